"""Which matchers a device selection implies, in Ceph's order (``drive_selection.filter``).

The order is observable: with ``filter_logic: AND`` evaluation stops at the first filter a
disk fails, so a later filter whose attribute the disk lacks never raises for it.
"""
from __future__ import annotations

from typing import Callable, Iterator, List, Optional

from ceph_orch_cli.deployment.drive_group import DeviceSelection
from ceph_orch_cli.deployment.inventory import Device

from .matchers import AllMatcher, EqualityMatcher, Matcher, SizeMatcher, SubstringMatcher


def _factories(device_filter: DeviceSelection) -> List[Callable[[], Matcher]]:
    ds = device_filter
    factories: List[Callable[[], Matcher]] = []
    if ds.actuators:
        factories.append(lambda: EqualityMatcher('actuators', ds.actuators))
    if ds.size:
        factories.append(lambda: SizeMatcher('size', ds.size))  # type: ignore[arg-type]
    if ds.model:
        factories.append(lambda: SubstringMatcher('model', ds.model))  # type: ignore[arg-type]
    if ds.vendor:
        factories.append(lambda: SubstringMatcher('vendor', ds.vendor))  # type: ignore[arg-type]
    if ds.rotational is not None:
        rotational = '1' if ds.rotational else '0'
        factories.append(lambda: EqualityMatcher('rotational', rotational))
    if ds.all:
        factories.append(lambda: AllMatcher('all', str(ds.all)))
    return factories


class FilterGenerator:
    """Iterates the matchers of a device selection, building each one when it is reached."""

    def __init__(self, device_filter: DeviceSelection) -> None:
        self.device_filter = device_filter

    def __iter__(self) -> Iterator[Matcher]:
        for factory in _factories(self.device_filter):
            yield factory()


class _LazyMatcher:
    """A matcher built on first use and then reused for every disk.

    Ceph builds matchers afresh for each disk, so a filter that cannot be parsed fails at the
    first disk that reaches it, and not at all if no disk does. Building lazily keeps that
    timing; a failed build is retried (and fails again) at the next disk, as in Ceph.
    """

    __slots__ = ('_factory', '_matcher')

    def __init__(self, factory: Callable[[], Matcher]) -> None:
        self._factory = factory
        self._matcher: Optional[Matcher] = None

    def compare(self, disk: Device) -> bool:
        matcher = self._matcher
        if matcher is None:
            matcher = self._matcher = self._factory()
        return matcher.compare(disk)


def compiled_matchers(device_filter: DeviceSelection) -> List[_LazyMatcher]:
    """The selection's matchers, built once per drive selection instead of once per disk."""
    return [_LazyMatcher(f) for f in _factories(device_filter)]
