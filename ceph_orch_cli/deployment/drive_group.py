"""OSD service specs ("drive groups"), mirroring Ceph's ``ceph.deployment.drive_group``.

A drive group says *which* disks of the placed hosts become OSDs (``data_devices``) and which
carry their DB/WAL; ``drive_selection`` applies it to an inventory and ``translate`` turns the
result into ceph-volume command lines.
"""
from __future__ import annotations

import enum
from typing import Any, Dict, List, Optional, Union

from ceph_orch_cli.deployment.hostspec import SpecValidationError
from ceph_orch_cli.deployment.inventory import Device
from ceph_orch_cli.deployment.service_spec import GeneralArgList, PlacementSpec, ServiceSpec


class OSDMethod(str, enum.Enum):
    """How ceph-volume prepares the OSDs: LVM (``lvm batch``) or raw partitions (``raw prepare``)."""

    raw = 'raw'
    lvm = 'lvm'


class DriveGroupValidationError(SpecValidationError):
    """An OSD spec is malformed; the message names the spec (and the device role) at fault."""

    def __init__(self, name: Optional[str], msg: str) -> None:
        name = name or '<unnamed>'
        super().__init__(f'Failed to validate OSD spec "{name}": {msg}')


class DeviceSelection:
    """The filter for one device role (data, db, wal or journal) of a drive group.

    Either explicit ``paths`` or attribute filters (size, model, vendor, rotational,
    actuators), or ``all``; ``limit`` caps how many disks the role takes per host.
    """

    _supported_filters = [
        'actuators', 'paths', 'size', 'vendor', 'model', 'rotational', 'limit', 'all',
    ]

    def __init__(self,
                 actuators: Optional[int] = None,
                 paths: Optional[List[Union[str, Dict[str, str]]]] = None,
                 model: Optional[str] = None,
                 size: Optional[str] = None,
                 rotational: Optional[bool] = None,
                 limit: Optional[int] = None,
                 vendor: Optional[str] = None,
                 all: bool = False,
                 ) -> None:
        self.actuators = actuators
        # Explicit paths become Devices so that a per-path crush_device_class travels with them.
        self.paths: List[Device] = []
        if paths is not None:
            for device in paths:
                if isinstance(device, dict):
                    self.paths.append(Device(device.get('path', ''),
                                             crush_device_class=device.get('crush_device_class', None)))
                else:
                    self.paths.append(Device(str(device)))
        # Substring of the drive's model, e.g. "SanDisk SD8SN8U5".
        self.model = model
        # Substring of the drive's vendor.
        self.vendor = vendor
        # LOW:HIGH, :HIGH, LOW: or an exact size, e.g. "10G:40G".
        self.size: Optional[str] = size
        self.rotational = rotational
        # At most this many disks per host for this role (counting existing OSDs of the spec).
        self.limit = limit
        # Every available disk; only meaningful for data devices.
        self.all = all

    def validate(self, name: str) -> None:
        props: List[Any] = [self.actuators, self.model, self.vendor, self.size, self.rotational]
        if self.paths and any(p is not None for p in props):
            raise DriveGroupValidationError(
                name, 'device selection: `paths` and other parameters are mutually exclusive')
        is_empty = not any(p is not None and p != [] for p in [self.paths] + props)
        if not self.all and is_empty:
            raise DriveGroupValidationError(name, 'device selection cannot be empty')
        if self.all and not is_empty:
            raise DriveGroupValidationError(
                name,
                'device selection: `all` and other parameters are mutually exclusive. {}'.format(
                    repr(self)))

    @classmethod
    def from_json(cls, device_spec: Optional[Dict[str, Any]]) -> Optional['DeviceSelection']:
        """None for an empty selection; KeyError naming the first unknown filter."""
        if not device_spec:
            return None
        for applied_filter in list(device_spec.keys()):
            if applied_filter not in cls._supported_filters:
                raise KeyError(applied_filter)
        return cls(**device_spec)

    def to_json(self) -> Dict[str, Any]:
        ret: Dict[str, Any] = {}
        if self.paths:
            ret['paths'] = [p.path for p in self.paths]
        if self.model:
            ret['model'] = self.model
        if self.vendor:
            ret['vendor'] = self.vendor
        if self.size:
            ret['size'] = self.size
        if self.rotational is not None:
            ret['rotational'] = self.rotational
        if self.limit:
            ret['limit'] = self.limit
        if self.all:
            ret['all'] = self.all
        return ret

    def __repr__(self) -> str:
        # Ceph lists `limit` twice (it is also in _supported_filters); kept for identical output.
        keys = [key for key in self._supported_filters + ['limit'] if getattr(self, key) is not None]
        if 'paths' in keys and self.paths == []:
            keys.remove('paths')
        return 'DeviceSelection({})'.format(
            ', '.join('{}={}'.format(key, repr(getattr(self, key))) for key in keys))

    def __eq__(self, other: Any) -> bool:
        return repr(self) == repr(other)

    __hash__ = None  # type: ignore[assignment]


class DriveGroupSpec(ServiceSpec):
    """An OSD service spec: where (placement) and on which disks (device selections) OSDs go."""

    _supported_features = [
        'encrypted', 'block_wal_size', 'osds_per_device',
        'db_slots', 'wal_slots', 'block_db_size', 'placement', 'service_id', 'service_type',
        'data_devices', 'db_devices', 'wal_devices', 'journal_devices',
        'data_directories', 'osds_per_device', 'objectstore', 'osd_id_claims',
        'journal_size', 'unmanaged', 'filter_logic', 'preview_only', 'extra_container_args',
        'data_allocate_fraction', 'method', 'crush_device_class', 'config',
    ]

    def __init__(self,
                 placement: Optional[PlacementSpec] = None,
                 service_id: Optional[str] = None,
                 data_devices: Optional[DeviceSelection] = None,
                 db_devices: Optional[DeviceSelection] = None,
                 wal_devices: Optional[DeviceSelection] = None,
                 journal_devices: Optional[DeviceSelection] = None,
                 data_directories: Optional[List[str]] = None,
                 osds_per_device: Optional[int] = None,
                 objectstore: str = 'bluestore',
                 encrypted: bool = False,
                 db_slots: Optional[int] = None,
                 wal_slots: Optional[int] = None,
                 osd_id_claims: Optional[Dict[str, List[str]]] = None,
                 block_db_size: Union[int, str, None] = None,
                 block_wal_size: Union[int, str, None] = None,
                 journal_size: Union[int, str, None] = None,
                 service_type: Optional[str] = None,
                 unmanaged: bool = False,
                 filter_logic: str = 'AND',
                 preview_only: bool = False,
                 extra_container_args: Optional[GeneralArgList] = None,
                 data_allocate_fraction: Optional[float] = None,
                 method: Optional[OSDMethod] = None,
                 config: Optional[Dict[str, str]] = None,
                 custom_configs: Optional[List[Any]] = None,
                 crush_device_class: Optional[str] = None,
                 ) -> None:
        assert service_type is None or service_type == 'osd'
        super().__init__('osd', service_id=service_id,
                         placement=placement,
                         config=config,
                         unmanaged=unmanaged,
                         preview_only=preview_only,
                         extra_container_args=extra_container_args,
                         custom_configs=custom_configs)
        self.data_devices = data_devices
        self.db_devices = db_devices
        self.wal_devices = wal_devices
        self.journal_devices = journal_devices
        # Passed through to ceph-volume as --block-wal-size / --block-db-size.
        self.block_wal_size: Union[int, str, None] = block_wal_size
        self.block_db_size: Union[int, str, None] = block_db_size
        self.journal_size: Union[int, str, None] = journal_size
        # Several OSDs per data device (fast NVMe, dual-actuator drives).
        self.osds_per_device = osds_per_device
        self.data_directories = data_directories
        self.objectstore = objectstore
        self.encrypted = encrypted
        self.db_slots = db_slots
        self.wal_slots = wal_slots
        # host -> OSD ids to reuse when replacing OSDs.
        self.osd_id_claims = osd_id_claims or dict()
        # How the filters of one selection combine: every filter (AND) or any filter (OR).
        self.filter_logic = filter_logic.upper()
        self.preview_only = preview_only
        # Fraction (0, 1.0] of the data device to allocate.
        self.data_allocate_fraction = data_allocate_fraction
        self.method = method
        # Default crush device class of the OSDs; a per-path class overrides it.
        self.crush_device_class = crush_device_class

    @classmethod
    def _from_json_impl(cls, json_drive_group: Dict[str, Any]) -> 'DriveGroupSpec':
        """Accept the pre-Octopus flat style (with ``host_pattern``) and the ``spec:`` style."""
        args: Dict[str, Any] = json_drive_group.copy()
        if 'host_pattern' in args and 'placement' not in args:
            args['placement'] = {'host_pattern': args['host_pattern']}
            del args['host_pattern']

        s_id = args.get('service_id', '<unnamed>')

        if 'spec' in args:
            # Copy first: Ceph updates the caller's nested dict in place.
            args['spec'] = dict(args['spec'])
            args['spec'].update(cls._drive_group_spec_from_json(s_id, args['spec']))
            # Device selections may also sit next to `spec:` (as in Ceph's test_DriveGroup).
            top_level = {k: v for k, v in args.items() if k != 'spec'}
            if top_level:
                args.update(cls._drive_group_spec_from_json(s_id, top_level))
        else:
            args.update(cls._drive_group_spec_from_json(s_id, args))

        return super()._from_json_impl(args)

    @classmethod
    def _drive_group_spec_from_json(cls, name: str, json_drive_group: Dict[str, Any]) -> Dict[str, Any]:
        for applied_filter in list(json_drive_group.keys()):
            if applied_filter not in cls._supported_features:
                raise DriveGroupValidationError(
                    name, 'Feature `{}` is not supported'.format(applied_filter))

        def to_selection(key: str, vals: Dict[str, Any]) -> Optional[DeviceSelection]:
            try:
                return DeviceSelection.from_json(vals)
            except KeyError as e:
                raise DriveGroupValidationError(
                    f'{name}.{key}', f'Filtering for `{e.args[0]}` is not supported')

        try:
            args = {k: (to_selection(k, v) if k.endswith('_devices') else v)
                    for k, v in json_drive_group.items()}
            if not args:
                raise DriveGroupValidationError(name, "Didn't find drive selections")
            return args
        except (KeyError, TypeError) as e:
            raise DriveGroupValidationError(name, str(e))

    def validate(self) -> None:
        super().validate()

        if self.placement.is_empty():
            raise DriveGroupValidationError(self.service_id, '`placement` required')

        if self.data_devices is None:
            raise DriveGroupValidationError(self.service_id, '`data_devices` element is required.')

        for k in ('data_devices', 'db_devices', 'wal_devices', 'journal_devices'):
            s = getattr(self, k)
            if s is not None:
                s.validate(f'{self.service_id}.{k}')
        for s in filter(None, [self.db_devices, self.wal_devices, self.journal_devices]):
            if s.all:
                raise DriveGroupValidationError(
                    self.service_id, '`all` is only allowed for data_devices')

        # Ceph tests membership in the *string* 'bluestore' (its tuple lacks a comma).
        if self.objectstore not in ('bluestore'):
            raise DriveGroupValidationError(self.service_id,
                                            f"{self.objectstore} is not supported. Must be "
                                            f"one of ('bluestore')")

        for key in ('block_wal_size', 'block_db_size', 'journal_size'):
            value = getattr(self, key)
            if value is not None and type(value) not in [int, str]:
                raise DriveGroupValidationError(
                    self.service_id, f'{key} must be of type int or string')

        if self.filter_logic not in ['AND', 'OR']:
            raise DriveGroupValidationError(
                self.service_id, 'filter_logic must be either <AND> or <OR>')

        if self.method not in [None, 'lvm', 'raw']:
            raise DriveGroupValidationError(
                self.service_id, 'method must be one of None, lvm, raw')
        if self.method == 'raw' and self.objectstore == 'filestore':
            raise DriveGroupValidationError(
                self.service_id, 'method raw only supports bluestore')

        if self.data_devices.paths is not None:
            for device in list(self.data_devices.paths):
                if not device.path:
                    raise DriveGroupValidationError(self.service_id, 'Device path cannot be empty')
