"""Apply an OSD spec to a host's inventory (Ceph's ``ceph.deployment.drive_selection``)."""
from .filter import FilterGenerator  # noqa: F401
from .matchers import AllMatcher, EqualityMatcher, Matcher, SizeMatcher, SubstringMatcher  # noqa: F401
from .selector import DriveSelection  # noqa: F401

__all__ = ['DriveSelection', 'FilterGenerator', 'Matcher', 'SubstringMatcher', 'EqualityMatcher',
           'AllMatcher', 'SizeMatcher']
