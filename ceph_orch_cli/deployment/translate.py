"""ceph-volume command lines for a drive selection (Ceph's ``ceph.deployment.translate``).

The strings are what cephadm hands to ``ceph-volume`` on the host, without the leading
``ceph-volume``: one ``lvm batch`` per crush device class, or one ``raw prepare`` per data
device in raw mode.
"""
from __future__ import annotations

from typing import Dict, List, Optional

from ceph_orch_cli.deployment.drive_selection import DriveSelection


class to_ceph_volume:  # noqa: N801 -- Ceph's name, used as a callable by the orchestrator
    """Builds the ceph-volume invocations for one host's drive selection."""

    NO_CRUSH = '_NO_CRUSH'

    def __init__(self,
                 selection: DriveSelection,
                 osd_id_claims: Optional[List[str]] = None,
                 preview: bool = False,
                 ) -> None:
        self.selection = selection
        self.spec = selection.spec
        self.preview = preview
        self.osd_id_claims = osd_id_claims

    def prepare_devices(self) -> Dict[str, List[str]]:
        """Data device paths grouped by crush device class, in command order.

        The spec-wide class (or "no class") group comes first, then per-path classes in
        the order they first appear; each non-empty group becomes its own command.
        """
        lvcount: Dict[str, List[str]] = {}
        if self.spec.crush_device_class:
            lvcount[self.spec.crush_device_class] = []
        lvcount[self.NO_CRUSH] = []

        for device in self.selection.data_devices():
            path = device.path
            if path is None:
                raise ValueError("Device path can't be empty")
            crush_device_class = device.crush_device_class
            if crush_device_class is not None:
                lvcount.setdefault(crush_device_class, []).append(path)
            elif self.spec.crush_device_class:
                lvcount[self.spec.crush_device_class].append(path)
            else:
                lvcount[self.NO_CRUSH].append(path)
        return lvcount

    def run(self) -> List[str]:
        """The command lines; empty when the selection has no data devices."""
        db_devices = [x.path for x in self.selection.db_devices()]
        wal_devices = [x.path for x in self.selection.wal_devices()]

        if not self.selection.data_devices():
            return []

        cmds: List[str] = []
        devices = self.prepare_devices()
        self._check_raw_pairing(devices, db_devices, wal_devices)
        for crush_class, data_devices in devices.items():
            if not data_devices:
                continue
            if self.spec.method == 'raw':
                cmds.extend(self._raw_commands(crush_class, data_devices, db_devices,
                                               wal_devices))
            elif self.spec.objectstore == 'bluestore':
                cmds.append(self._batch_command(crush_class, data_devices, db_devices,
                                                wal_devices))
        return [cmd + self._common_flags() for cmd in cmds]

    def _check_raw_pairing(self, devices: Dict[str, List[str]], db_devices: List[str],
                           wal_devices: List[str]) -> None:
        """Raw mode pairs each data device with one db (and wal) device."""
        devices_count = sum(len(paths) for paths in devices.values())
        if devices and db_devices:
            if devices_count != len(db_devices) and self.spec.method == 'raw':
                raise ValueError('Number of data devices must match number of '
                                 'db devices for raw mode osds')
        if devices and wal_devices:
            if devices_count != len(wal_devices) and self.spec.method == 'raw':
                raise ValueError('Number of data devices must match number of '
                                 'wal devices for raw mode osds')

    def _raw_commands(self, crush_class: str, data_devices: List[str],
                      db_devices: List[str], wal_devices: List[str]) -> List[str]:
        """``raw prepare``, one per data device, taking db/wal devices off the shared lists."""
        assert self.spec.objectstore == 'bluestore'
        # raw prepare is 1:1 data to db/wal. Ceph reverses the shared db/wal lists for
        # every crush class group and pops from the end; kept so that the pairing of data
        # and db/wal devices is the one Ceph produces.
        db_devices.reverse()
        wal_devices.reverse()
        cmds = []
        for data_device in data_devices:
            cmd = 'raw prepare --bluestore'
            cmd += ' --data {}'.format(data_device)
            if db_devices:
                cmd += ' --block.db {}'.format(db_devices.pop())
            if wal_devices:
                cmd += ' --block.wal {}'.format(wal_devices.pop())
            if crush_class != self.NO_CRUSH:
                cmd += ' --crush-device-class {}'.format(crush_class)
            cmds.append(cmd)
        return cmds

    def _batch_command(self, crush_class: str, data_devices: List[str],
                       db_devices: List[str], wal_devices: List[str]) -> str:
        """``lvm batch`` takes all data devices of a class in one command."""
        cmd = 'lvm batch --no-auto {}'.format(' '.join(data_devices))
        if db_devices:
            cmd += ' --db-devices {}'.format(' '.join(db_devices))
        if wal_devices:
            cmd += ' --wal-devices {}'.format(' '.join(wal_devices))
        if self.spec.block_wal_size:
            cmd += ' --block-wal-size {}'.format(self.spec.block_wal_size)
        if self.spec.block_db_size:
            cmd += ' --block-db-size {}'.format(self.spec.block_db_size)
        if crush_class != self.NO_CRUSH:
            cmd += ' --crush-device-class {}'.format(crush_class)
        return cmd

    def _common_flags(self) -> str:
        """What every command line of this spec ends with."""
        flags = ''
        if self.spec.encrypted:
            flags += ' --dmcrypt'
        if self.spec.osds_per_device:
            flags += ' --osds-per-device {}'.format(self.spec.osds_per_device)
        if self.spec.data_allocate_fraction:
            flags += ' --data-allocate-fraction {}'.format(self.spec.data_allocate_fraction)
        if self.osd_id_claims:
            flags += ' --osd-ids {}'.format(' '.join(self.osd_id_claims))
        if self.spec.method != 'raw':
            flags += ' --yes'
            flags += ' --no-systemd'
        if self.preview:
            flags += ' --report'
            flags += ' --format json'
        return flags
