"""Per-attribute disk matchers, mirroring Ceph's ``drive_selection.matchers``.

Behaviour (which key is read, how sizes parse and compare, which errors arise and when) is
Ceph's. The work is not: attribute lookup walks the device in place instead of serialising
it to JSON first, size filters are parsed once per filter string, and the size strings
ceph-volume reports are parsed once per distinct string. Drive selection over a thousand
hosts spends its time here.
"""
from __future__ import annotations

import functools
import logging
import re
from typing import Any, Optional, Tuple

from ceph_orch_cli.deployment.inventory import Device

logger = logging.getLogger(__name__)

_MISSING = object()

_LOW_HIGH_RE = re.compile(r'\d+[A-Z]{1,2}:\d+[A-Z]{1,2}')
_LOW_RE = re.compile(r'\d+[A-Z]{1,2}:$')
_HIGH_RE = re.compile(r'^:\d+[A-Z]{1,2}')
_EXACT_RE = re.compile(r'^\d+\.?\d*[A-Z]{1,2}$')
_NUMBER_RE = re.compile(r'\d+\.?\d*')
_LETTERS_RE = re.compile(r'[a-zA-Z]+')
_DECIMAL_RE = re.compile(r'\d+\.\d+')

# Report fields that come before ``sys_api`` in Device.to_json(); a key is searched there
# first, exactly as Ceph's depth-first walk over the JSON report does.
_FIELDS_BEFORE_SYS_API = ('ceph_device', 'rejected_reasons', 'available', 'path')
_FIELDS_AFTER_SYS_API = ('lvs', 'device_id', 'lsm_data', 'crush_device_class', 'being_replaced')
_REPORT_FIELDS = frozenset(Device.report_fields)


class _MatchInvalid(Exception):
    """A filter cannot be applied (unparsable size, unknown unit, attribute missing)."""


def _find(node: Any, key: str) -> Any:
    """First value stored under ``key`` in a depth-first, pre-order walk of dicts and lists."""
    if isinstance(node, dict):
        if key in node:
            return node[key]
        for value in node.values():
            if isinstance(value, (dict, list)):
                found = _find(value, key)
                if found is not _MISSING:
                    return found
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, (dict, list)):
                found = _find(value, key)
                if found is not _MISSING:
                    return found
    return _MISSING


def _device_value(device: Device, key: str) -> Any:
    """What Ceph's ``findkeys(device.to_json(), key)`` yields first, without building the JSON."""
    if key in _REPORT_FIELDS:
        return device.to_json()[key]
    for name in _FIELDS_BEFORE_SYS_API:
        value = getattr(device, name)
        if value and isinstance(value, (dict, list)):  # an empty one holds nothing
            found = _find(value, key)
            if found is not _MISSING:
                return found
    sys_api = device.sys_api
    if type(sys_api) is dict and key in sys_api:
        return sys_api[key]
    if isinstance(sys_api, (dict, list)):
        found = _find(sys_api, key)
        if found is not _MISSING:
            return found
    for name in _FIELDS_AFTER_SYS_API:
        value = getattr(device, name)
        if isinstance(value, (dict, list)):
            found = _find(value, key)
            if found is not _MISSING:
                return found
    return _MISSING


class Matcher:
    """Base matcher: reads one attribute (``key``, else ``fallback_key``) of a disk."""

    def __init__(self, key: str, value: Any) -> None:
        self.key = key
        self.value = value
        self.fallback_key: Optional[str] = ''

    def _get_disk_key(self, device: Device) -> Any:
        """The disk's value for ``key`` (or ``fallback_key``), wherever the report nests it.

        ceph-volume does not fill every field on every machine (VMs lack some udev data),
        hence the fallback and the explicit error when neither is there.
        """
        value = _device_value(device, self.key)
        if value is _MISSING and self.fallback_key:
            value = _device_value(device, self.fallback_key)
        if value is _MISSING:
            raise _MatchInvalid('No value found for {} or {}'.format(self.key, self.fallback_key))
        return value

    def compare(self, disk: Device) -> bool:
        raise NotImplementedError


class SubstringMatcher(Matcher):
    """Matches when the filter value is a substring of the disk's value (model, vendor)."""

    def __init__(self, key: str, value: str, fallback_key: Optional[str] = None) -> None:
        super().__init__(key, value)
        self.fallback_key = fallback_key
        self._needle = str(value)

    def compare(self, disk: Device) -> bool:
        if not disk:
            return False
        return self._needle in self._get_disk_key(disk)


class AllMatcher(Matcher):
    """Matches every disk, whatever its value (``all: true``)."""

    def __init__(self, key: str, value: Any, fallback_key: Optional[str] = None) -> None:
        super().__init__(key, value)
        self.fallback_key = fallback_key

    def compare(self, disk: Device) -> bool:
        if not disk:
            return False
        return True


class EqualityMatcher(Matcher):
    """Matches when the disk's value equals the filter value (rotational, actuators)."""

    def compare(self, disk: Device) -> bool:
        if not disk:
            return False
        return self._get_disk_key(disk) == self.value


_SizeTuple = Tuple[Optional[str], Optional[str]]


@functools.lru_cache(maxsize=1024)
def _parse_size_filter(value: str) -> Tuple[_SizeTuple, _SizeTuple, _SizeTuple]:
    """(low, high, exact) of a size filter; each (number, unit) or (None, None)."""
    low: _SizeTuple = (None, None)
    high: _SizeTuple = (None, None)
    exact: _SizeTuple = (None, None)
    low_high = _LOW_HIGH_RE.match(value)
    if low_high is not None:
        lowpart, highpart = low_high.group().split(':')
        low = SizeMatcher._get_k_v(lowpart)
        high = SizeMatcher._get_k_v(highpart)
    low_only = _LOW_RE.match(value)
    if low_only:
        low = SizeMatcher._get_k_v(low_only.group())
    high_only = _HIGH_RE.match(value)
    if high_only:
        high = SizeMatcher._get_k_v(high_only.group())
    exact_match = _EXACT_RE.match(value)
    if exact_match:
        exact = SizeMatcher._get_k_v(exact_match.group())
    return low, high, exact


@functools.lru_cache(maxsize=4096)
def _parse_disk_size(disk_value: str) -> float:
    """Bytes of a ceph-volume size string such as ``'300.00 GB'`` (decimal units, as Ceph)."""
    disk_size = _DECIMAL_RE.findall(disk_value)[0]
    disk_suffix = SizeMatcher._parse_suffix(disk_value)
    return SizeMatcher.to_byte((disk_size, disk_suffix))


class SizeMatcher(Matcher):
    """Size filter: ``LOW:HIGH``, ``:HIGH``, ``LOW:`` or an exact size, in K/M/G/T(B)."""

    SUFFIXES = (
        ['KB', 'MB', 'GB', 'TB'],
        ['K', 'M', 'G', 'T'],
        [1e+3, 1e+6, 1e+9, 1e+12],
    )
    supported_suffixes = SUFFIXES[0] + SUFFIXES[1]
    _SHORT_TO_LONG = dict(zip(SUFFIXES[1], SUFFIXES[0]))
    _FACTORS = dict(zip(SUFFIXES[0], SUFFIXES[2]))

    def __init__(self, key: str, value: str) -> None:
        # The filter is called `size` but the inventory reports `human_readable_size`.
        super().__init__(key, value)
        self.key = 'human_readable_size'
        self.fallback_key = 'size'
        self.low, self.high, self.exact = _parse_size_filter(value)
        self._low_bytes = self.to_byte(self.low)
        self._high_bytes = self.to_byte(self.high)
        self._exact_bytes = self.to_byte(self.exact)

    @classmethod
    def _normalize_suffix(cls, suffix: str) -> str:
        """'g' -> 'GB'; anything but K/M/G/T(B) is refused."""
        suffix = suffix.upper()
        if suffix not in cls.supported_suffixes:
            raise _MatchInvalid("Unit '{}' not supported".format(suffix))
        return cls._SHORT_TO_LONG.get(suffix, suffix)

    @classmethod
    def _parse_suffix(cls, obj: str) -> str:
        return cls._normalize_suffix(_LETTERS_RE.findall(obj)[0])

    @classmethod
    def _get_k_v(cls, data: str) -> Tuple[str, str]:
        """'10G' -> ('10', 'GB')."""
        return _NUMBER_RE.findall(data)[0], cls._parse_suffix(data)

    @staticmethod
    def to_byte(tpl: Tuple[Optional[str], Optional[str]]) -> float:
        val_str, suffix = tpl
        value = float(val_str) if val_str is not None else 0.0
        return SizeMatcher._FACTORS.get(str(suffix), 0.00) * value

    @staticmethod
    def str_to_byte(input: str) -> float:
        return SizeMatcher.to_byte(SizeMatcher._get_k_v(input))

    def compare(self, disk: Device) -> bool:
        if not disk:
            return False
        disk_value = self._get_disk_key(disk)
        if not disk_value:
            logger.warning('Could not retrieve value for disk')
            return False
        if isinstance(disk_value, (int, float)) and not isinstance(disk_value, bool):
            # A bare byte count (`sys_api.size` when `human_readable_size` is absent);
            # Ceph would fail on it with a TypeError, we compare it as bytes.
            disk_size_in_byte = float(disk_value)
        else:
            disk_size_in_byte = _parse_disk_size(disk_value)

        if all(self.high) and all(self.low):
            return self._low_bytes <= disk_size_in_byte <= self._high_bytes
        if all(self.low) and not all(self.high):
            return disk_size_in_byte >= self._low_bytes
        if all(self.high) and not all(self.low):
            return disk_size_in_byte <= self._high_bytes
        if all(self.exact):
            return disk_size_in_byte == self._exact_bytes
        raise _MatchInvalid('No filters applied')
