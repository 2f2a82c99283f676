"""Tuned (sysctl) profiles applied to a set of hosts, as Ceph's ``TunedProfileSpec``."""
from __future__ import annotations

import re
from typing import Any, Dict, Optional

from ceph_orch_cli.deployment.hostspec import SpecValidationError
from ceph_orch_cli.deployment.service_spec import PlacementSpec


#: a profile becomes the file /etc/sysctl.d/<name>-cephadm-tuned-profile.conf on its hosts
_PROFILE_NAME_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$')


def assert_valid_profile_name(name: Any) -> None:
    """A profile name is one word a file name can hold: letters, digits, ``_ . -``."""
    if not isinstance(name, str) or not name.strip():
        raise SpecValidationError('Invalid profile_name: Must be a non-empty string.')
    if not _PROFILE_NAME_RE.match(name):
        shown = name if len(name) <= 64 else name[:64] + f'... ({len(name)} chars)'
        raise SpecValidationError(
            f'Invalid profile_name {shown!r}: use letters, digits, "_", "." and "-" (it names '
            'a sysctl file on the hosts), at most 200 characters')


class TunedProfileSpec:
    """A named set of sysctl settings and the hosts it applies to (all by default)."""

    def __init__(self, profile_name: str, placement: Optional[PlacementSpec] = None,
                 settings: Optional[Dict[str, str]] = None) -> None:
        self.profile_name = profile_name
        self.placement = placement or PlacementSpec(host_pattern='*')
        self.settings = settings or {}
        self._last_updated: str = ''

    @classmethod
    def from_json(cls, spec: Dict[str, Any]) -> 'TunedProfileSpec':
        if not isinstance(spec, dict):
            raise SpecValidationError(f'Tuned profile spec must be an object. Got "{spec}"')
        if 'profile_name' not in spec:
            raise SpecValidationError('Tuned profile spec must include "profile_name" field')
        data: Dict[str, Any] = {'profile_name': spec['profile_name']}
        assert_valid_profile_name(data['profile_name'])
        if 'placement' in spec:
            data['placement'] = PlacementSpec.from_json(spec['placement'])
        if 'settings' in spec:
            settings = spec['settings']
            if settings is not None and not isinstance(settings, dict):
                raise SpecValidationError('"settings" field must be a mapping')
            data['settings'] = settings
        return cls(**data)

    def to_json(self) -> Dict[str, Any]:
        return {'profile_name': self.profile_name,
                'placement': self.placement.to_json(),
                'settings': self.settings}

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, TunedProfileSpec):
            return (self.placement == other.placement
                    and self.profile_name == other.profile_name
                    and self.settings == other.settings)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f'TunedProfile({self.profile_name})'

    def copy(self) -> 'TunedProfileSpec':
        """A copy whose settings can be edited without touching this one."""
        return TunedProfileSpec(self.profile_name, self.placement, self.settings.copy())
