"""Which disks of one host an OSD spec uses, and for what (Ceph's ``DriveSelection``).

Roles are assigned in Ceph's order -- data, wal, db, journal -- and a disk taken by one role
is no longer offered to the next. Within a role, disks are considered in inventory order
(``limit`` keeps the first ones) and the result is sorted by path.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence, Union

from ceph_orch_cli.deployment.drive_group import (DeviceSelection, DriveGroupSpec,
                                                  DriveGroupValidationError)
from ceph_orch_cli.deployment.inventory import Device, Devices

from .filter import compiled_matchers
from .matchers import _MatchInvalid

logger = logging.getLogger(__name__)


class DriveSelection:
    """The data/db/wal/journal devices ``spec`` selects among ``disks`` of one host.

    ``existing_daemons`` is the number of OSDs the spec already has on the host; they count
    towards each role's ``limit``.
    """

    def __init__(self,
                 spec: DriveGroupSpec,
                 disks: Union[Sequence[Device], Devices],
                 existing_daemons: Optional[int] = None,
                 ) -> None:
        self.disks: List[Device] = list(disks.devices if isinstance(disks, Devices) else disks)
        self.spec = spec
        self.existing_daemons = existing_daemons or 0

        self._data = self._assign('data_devices', self.spec.data_devices)
        self._wal = self._assign('wal_devices', self.spec.wal_devices)
        self._db = self._assign('db_devices', self.spec.db_devices)
        self._journal = self._assign('journal_devices', self.spec.journal_devices)

    def data_devices(self) -> List[Device]:
        return self._data

    def wal_devices(self) -> List[Device]:
        return self._wal

    def db_devices(self) -> List[Device]:
        return self._db

    def journal_devices(self) -> List[Device]:
        return self._journal

    def _limit_reached(self, device_filter: DeviceSelection, devices: List[Device],
                       disk_path: str) -> bool:
        """True once ``devices`` plus the existing OSDs fill the selection's ``limit``.

        Disks that already carry a Ceph OSD are not counted: they are counted through
        ``existing_daemons`` already, yet must stay in the batch command.
        """
        limit = device_filter.limit or 0
        non_ceph_devices = [d for d in devices if not d.ceph_device]
        return limit > 0 and (len(non_ceph_devices) + self.existing_daemons >= limit)

    def _assign(self, name: str, device_filter: Optional[DeviceSelection]) -> List[Device]:
        try:
            return self.assign_devices(device_filter)
        except _MatchInvalid as e:
            raise DriveGroupValidationError(f'{self.spec.service_id}.{name}', e.args[0])

    def _is_foreign_osd_disk(self, disk: Device) -> bool:
        """An unavailable Ceph disk whose LVs belong to another OSD spec."""
        for lv in disk.lvs or []:
            if 'osdspec_affinity' in lv.keys() and lv['osdspec_affinity'] != str(self.spec.service_id):
                return True
        return False

    def assign_devices(self, device_filter: Optional[DeviceSelection]) -> List[Device]:
        """Disks for one role; they are then withdrawn from the disks later roles see.

        A disk is skipped when it is being replaced, unavailable (unless it already is a
        Ceph disk of this spec), or fails the filters; the scan stops at the limit.
        """
        if not device_filter:
            return []
        if not self.spec.data_devices:
            return []
        if device_filter.paths:
            return list(device_filter.paths)

        limit = device_filter.limit or 0
        matchers = compiled_matchers(device_filter)
        logic = self.spec.filter_logic
        existing = self.existing_daemons

        devices: List[Device] = []
        by_path: Dict[str, List[Device]] = {}
        counted = 0  # selected disks that are not Ceph disks yet, for the limit
        for disk in self.disks:
            if not self._on_offer(disk):
                continue
            if not disk.path:
                raise ValueError("Disk {} doesn't have a 'path' identifier".format(disk))
            if limit > 0 and counted + existing >= limit:
                break
            same_path = by_path.get(disk.path)
            if same_path is not None and any(d is disk or d == disk for d in same_path):
                continue
            if not _passes(disk, matchers, logic):
                continue
            devices.append(disk)
            by_path.setdefault(disk.path, []).append(disk)
            if not disk.ceph_device:
                counted += 1

        if devices:
            self._withdraw(devices)
        return sorted(devices, key=lambda dev: dev.path)

    def _on_offer(self, disk: Device) -> bool:
        """Not being replaced, and available or already a Ceph disk of this spec."""
        if disk.being_replaced:
            return False
        if not disk.available:
            if not disk.ceph_device:
                return False
            if disk.lvs and self._is_foreign_osd_disk(disk):
                return False
        return True

    def _withdraw(self, taken: List[Device]) -> None:
        """Remove, for each taken disk, the first equal disk still on offer (Ceph's list.remove)."""
        positions: Dict[str, List[int]] = {}
        for index, disk in enumerate(self.disks):
            positions.setdefault(disk.path, []).append(index)
        removed = set()
        for device in taken:
            for index in positions.get(device.path, ()):
                if index in removed:
                    continue
                candidate = self.disks[index]
                if candidate is device or candidate == device:
                    removed.add(index)
                    break
        self.disks = [d for i, d in enumerate(self.disks) if i not in removed]

    def __repr__(self) -> str:
        selection: Dict[str, List[str]] = {
            'data devices': [d.path for d in self._data],
            'wal_devices': [d.path for d in self._wal],
            'db devices': [d.path for d in self._db],
            'journal devices': [d.path for d in self._journal],
        }
        return 'DeviceSelection({})'.format(
            ', '.join('{}={}'.format(key, value) for key, value in selection.items()))


def _passes(disk: Device, matchers: List[Any], logic: str) -> bool:
    """Whether the disk passes the filters: all of them (AND) or any (OR)."""
    if logic == 'AND':
        return all(m.compare(disk) for m in matchers)
    if logic == 'OR':
        return any(m.compare(disk) for m in matchers)
    return True
