"""Disks as ``ceph-volume inventory --format=json`` reports them (Ceph's ``ceph.deployment.inventory``).

``Device`` keeps the report's keys verbatim so that a host's inventory survives a JSON round
trip unchanged and drive selection can look attributes up where ceph-volume puts them
(mostly under ``sys_api``).
"""
from __future__ import annotations

import datetime
import json
from typing import Any, Callable, Dict, Iterator, List, Optional, Union

from ceph_orch_cli.timeutil import datetime_now, datetime_to_str, str_to_datetime


class Device:
    """One disk of one host, as ceph-volume describes it."""

    # Order matters: JSON output follows it, and drive-selection matchers search the
    # report depth-first in this order (as Ceph's do).
    report_fields = [
        'ceph_device',
        'rejected_reasons',
        'available',
        'path',
        'sys_api',
        'created',
        'lvs',
        'human_readable_type',
        'device_id',
        'lsm_data',
        'crush_device_class',
        'being_replaced',
    ]

    def __init__(self,
                 path: str,
                 sys_api: Optional[Dict[str, Any]] = None,
                 available: Optional[bool] = None,
                 rejected_reasons: Optional[List[str]] = None,
                 lvs: Optional[List[Dict[str, str]]] = None,
                 device_id: Optional[str] = None,
                 lsm_data: Optional[Dict[str, Dict[str, str]]] = None,
                 created: Optional[datetime.datetime] = None,
                 ceph_device: Optional[bool] = None,
                 crush_device_class: Optional[str] = None,
                 being_replaced: Optional[bool] = None,
                 ) -> None:
        self.path = path
        self.sys_api: Dict[str, Any] = sys_api if sys_api is not None else {}
        self.available = available
        self.rejected_reasons: List[str] = rejected_reasons if rejected_reasons is not None else []
        self.lvs = lvs
        self.device_id = device_id
        self.lsm_data: Dict[str, Dict[str, str]] = lsm_data if lsm_data is not None else {}
        self.created = created if created is not None else datetime_now()
        self.ceph_device = ceph_device
        self.crush_device_class = crush_device_class
        # Set by ceph-volume when a zapped disk is waiting for its replacement OSD
        # (`ceph orch device replace`); drive selection must leave it alone.
        self.being_replaced = being_replaced if being_replaced is not None else False

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Device):
            return NotImplemented
        for key in self.report_fields:
            if key != 'created' and getattr(self, key) != getattr(other, key):
                return False
        return True

    # Devices compare by content and are mutable, like Ceph's: not hashable.
    __hash__ = None  # type: ignore[assignment]

    @property
    def human_readable_type(self) -> str:
        """``hdd``/``ssd`` from sysfs' rotational flag, as ``ceph orch device ls`` shows it."""
        if self.sys_api is None or 'rotational' not in self.sys_api:
            return 'unknown'
        return 'hdd' if self.sys_api['rotational'] == '1' else 'ssd'

    def to_json(self) -> Dict[str, Any]:
        ret: Dict[str, Any] = {}
        for key in self.report_fields:
            value = getattr(self, key)
            if key == 'created' and isinstance(value, datetime.datetime):
                value = datetime_to_str(value)
            ret[key] = value
        return ret

    @classmethod
    def from_json(cls, input: Dict[str, Any]) -> 'Device':
        if not isinstance(input, dict):
            raise ValueError('Device: Expected dict. Got `{}...`'.format(json.dumps(input)[:10]))
        # every report field but the derived human_readable_type, spelled out rather than
        # looped over: a converging 5,000 x 24-disk fleet parses 240,000 devices
        get: Callable[[str], Any] = input.get  # a JSON document: every value is Any
        created = get('created')
        ret = cls(path=get('path'), sys_api=get('sys_api'), available=get('available'),
                  rejected_reasons=get('rejected_reasons'), lvs=get('lvs'),
                  device_id=get('device_id'), lsm_data=get('lsm_data'),
                  created=str_to_datetime(created) if created else created,
                  ceph_device=get('ceph_device'), crush_device_class=get('crush_device_class'),
                  being_replaced=get('being_replaced'))
        if ret.rejected_reasons:
            ret.rejected_reasons = sorted(ret.rejected_reasons)
        return ret

    def __repr__(self) -> str:
        device_desc: Dict[str, Union[str, List[str], List[Dict[str, str]]]] = {
            'path': self.path if self.path is not None else 'unknown',
            'lvs': self.lvs if self.lvs else 'None',
            'available': str(self.available),
            'ceph_device': str(self.ceph_device),
            'crush_device_class': str(self.crush_device_class),
        }
        if not self.available and self.rejected_reasons:
            device_desc['rejection reasons'] = self.rejected_reasons
        return 'Device({})'.format(
            ', '.join('{}={}'.format(key, value) for key, value in device_desc.items()))


class Devices:
    """All disks of one host, kept sorted by path so listings and selections are stable."""

    def __init__(self, devices: List[Device]) -> None:
        self.devices: List[Device] = sorted(devices, key=lambda d: d.path if d.path else '')

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Devices):
            return NotImplemented
        if len(self.devices) != len(other.devices):
            return False
        return all(d1 == d2 for d1, d2 in zip(other.devices, self.devices))

    __hash__ = None  # type: ignore[assignment]

    def __iter__(self) -> Iterator[Device]:
        return iter(self.devices)

    def to_json(self) -> List[Dict[str, Any]]:
        return [d.to_json() for d in self.devices]

    @classmethod
    def from_json(cls, input: List[Dict[str, Any]]) -> 'Devices':
        """Read ``ceph-volume inventory --format=json`` output (a list of device reports)."""
        return cls([Device.from_json(i) for i in input])

    def copy(self) -> 'Devices':
        return Devices(devices=list(self.devices))

    def __repr__(self) -> str:
        return 'Devices({!r})'.format(self.devices)
