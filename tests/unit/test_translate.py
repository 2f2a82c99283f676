"""The ceph-volume command lines an OSD spec produces on a host (Ceph's test_drive_group cases)."""
import pytest
import yaml

from ceph_orch_cli.deployment.drive_group import DeviceSelection, DriveGroupSpec
from ceph_orch_cli.deployment.drive_selection import DriveSelection
from ceph_orch_cli.deployment.inventory import Device, Devices
from ceph_orch_cli.deployment.service_spec import PlacementSpec
from ceph_orch_cli.deployment.translate import to_ceph_volume


def _mk_device(rotational=True, size='394.27 GB', model='Model'):
    return [Device(path='??',
                   sys_api={'rotational': '1' if rotational else '0', 'vendor': 'Vendor',
                            'human_readable_size': size, 'model': model, 'size': 423347879936},
                   available=True, rejected_reasons=[], lvs=[])]


def _mk_inventory(devices):
    devs = []
    for dev_, name in zip(devices, 'abcdefghijklmnopqrstuvwxy'):
        dev = Device.from_json(dev_.to_json())
        dev.path = '/dev/sd' + name
        devs.append(dev)
    return Devices(devices=devs).devices


def _spec(**kwargs):
    spec = DriveGroupSpec(placement=PlacementSpec(host_pattern='*'), service_id='foobar', **kwargs)
    spec.validate()
    return spec


def _cmds(spec, inventory, osd_id_claims=None, preview=False):
    return to_ceph_volume(DriveSelection(spec, inventory), osd_id_claims or [], preview).run()


def _from_yaml(text):
    spec = DriveGroupSpec.from_json(yaml.safe_load(text))
    spec.validate()
    return spec


def _paths_cmds(spec):
    return to_ceph_volume(DriveSelection(spec, spec.data_devices.paths), []).run()


def _mixed_inventory():
    return _mk_inventory(_mk_device(rotational=True, size='300.00 GB') * 2
                         + _mk_device(rotational=False, size='300.00 GB') * 2
                         + _mk_device(size='10.0 GB', rotational=False) * 2)


def _mixed_spec(**kwargs):
    return _spec(data_devices=DeviceSelection(size='200GB:350GB', rotational=True),
                 db_devices=DeviceSelection(size='200GB:350GB', rotational=False),
                 wal_devices=DeviceSelection(size='10G'), **kwargs)


def test_all_devices():
    assert _cmds(_spec(data_devices=DeviceSelection(all=True)), _mk_inventory(_mk_device() * 2)) == [
        'lvm batch --no-auto /dev/sda /dev/sdb --yes --no-systemd']


def test_hdd_data_with_ssd_db():
    spec = _spec(data_devices=DeviceSelection(rotational=True),
                 db_devices=DeviceSelection(rotational=False))
    inventory = _mk_inventory(_mk_device(rotational=True) * 2 + _mk_device(rotational=False) * 2)
    assert _cmds(spec, inventory) == [
        'lvm batch --no-auto /dev/sda /dev/sdb --db-devices /dev/sdc /dev/sdd --yes --no-systemd']


def test_data_db_and_wal_by_size():
    assert _cmds(_mixed_spec(), _mixed_inventory()) == [
        'lvm batch --no-auto /dev/sda /dev/sdb --db-devices /dev/sdc /dev/sdd '
        '--wal-devices /dev/sde /dev/sdf --yes --no-systemd']


def test_encrypted():
    assert _cmds(_mixed_spec(encrypted=True), _mixed_inventory()) == [
        'lvm batch --no-auto /dev/sda /dev/sdb --db-devices /dev/sdc /dev/sdd '
        '--wal-devices /dev/sde /dev/sdf --dmcrypt --yes --no-systemd']


def test_block_sizes_and_osds_per_device():
    spec = _mixed_spec(block_db_size='500M', block_wal_size='500M', osds_per_device=3,
                       encrypted=True)
    assert _cmds(spec, _mixed_inventory()) == [
        'lvm batch --no-auto /dev/sda /dev/sdb --db-devices /dev/sdc /dev/sdd '
        '--wal-devices /dev/sde /dev/sdf --block-wal-size 500M --block-db-size 500M '
        '--dmcrypt --osds-per-device 3 --yes --no-systemd']


def test_filestore_produces_no_command():
    spec = DriveGroupSpec(placement=PlacementSpec(host_pattern='*'), service_id='foobar',
                          data_devices=DeviceSelection(rotational=True), objectstore='filestore')
    assert _cmds(spec, _mk_inventory(_mk_device(rotational=True) * 2)) == []


def test_osd_id_claims():
    spec = _spec(data_devices=DeviceSelection(all=True), osd_id_claims={'host1': ['0', '1']})
    assert _cmds(spec, _mk_inventory(_mk_device(rotational=True) * 2), ['0', '1']) == [
        'lvm batch --no-auto /dev/sda /dev/sdb --osd-ids 0 1 --yes --no-systemd']


def test_or_filter_logic():
    spec = _spec(data_devices=DeviceSelection(rotational=True, model='INTEL SSDS'),
                 db_devices=DeviceSelection(model='INTEL SSDP'), filter_logic='OR', osd_id_claims={})
    inventory = _mk_inventory(
        _mk_device(rotational=True, size='1.82 TB', model='ST2000DM001-1ER1')
        + _mk_device(rotational=False, size='223.0 GB', model='INTEL SSDSC2KG24')
        + _mk_device(rotational=False, size='349.0 GB', model='INTEL SSDPED1K375GA'))
    assert _cmds(spec, inventory) == [
        'lvm batch --no-auto /dev/sda /dev/sdb --db-devices /dev/sdc --yes --no-systemd']


def test_data_allocate_fraction():
    spec = _spec(data_devices=DeviceSelection(all=True), data_allocate_fraction=0.8)
    assert _cmds(spec, _mk_inventory(_mk_device() * 2)) == [
        'lvm batch --no-auto /dev/sda /dev/sdb --data-allocate-fraction 0.8 --yes --no-systemd']


def test_preview_asks_for_a_json_report():
    assert _cmds(_spec(data_devices=DeviceSelection(all=True)), _mk_inventory(_mk_device()),
                 preview=True) == [
        'lvm batch --no-auto /dev/sda --yes --no-systemd --report --format json']


def test_no_data_devices_no_command():
    spec = _spec(data_devices=DeviceSelection(rotational=False))
    assert _cmds(spec, _mk_inventory(_mk_device(rotational=True))) == []


BASE = """service_type: osd
service_id: testing_drivegroup
placement:
  host_pattern: hostname
"""


def test_spec_wide_crush_device_class():
    spec = _from_yaml(BASE + """crush_device_class: ssd
data_devices:
  paths:
  - /dev/sda
""")
    assert _paths_cmds(spec) == ['lvm batch --no-auto /dev/sda --crush-device-class ssd --yes --no-systemd']


def test_per_path_crush_device_class_overrides_the_spec():
    spec = _from_yaml(BASE + """crush_device_class: ssd
data_devices:
  paths:
  - path: /dev/sda
    crush_device_class: hdd
  - path: /dev/sdb
    crush_device_class: hdd
""")
    assert _paths_cmds(spec) == [
        'lvm batch --no-auto /dev/sda /dev/sdb --crush-device-class hdd --yes --no-systemd']


def test_spec_class_group_comes_before_per_path_classes():
    spec = _from_yaml(BASE + """crush_device_class: ssd
data_devices:
  paths:
  - path: /dev/sda
    crush_device_class: hdd
  - path: /dev/sdb
""")
    assert _paths_cmds(spec) == [
        'lvm batch --no-auto /dev/sdb --crush-device-class ssd --yes --no-systemd',
        'lvm batch --no-auto /dev/sda --crush-device-class hdd --yes --no-systemd']


def test_classless_group_comes_first():
    spec = _from_yaml(BASE + """data_devices:
  paths:
  - path: /dev/sda
    crush_device_class: hdd
  - path: /dev/sdb
""")
    assert _paths_cmds(spec) == [
        'lvm batch --no-auto /dev/sdb --yes --no-systemd',
        'lvm batch --no-auto /dev/sda --crush-device-class hdd --yes --no-systemd']


def test_raw_pairs_each_data_device_with_a_db_device():
    spec = _spec(data_devices=DeviceSelection(rotational=True),
                 db_devices=DeviceSelection(rotational=False), method='raw')
    inventory = _mk_inventory(_mk_device(rotational=True) * 2 + _mk_device(rotational=False) * 2)
    assert _cmds(spec, inventory) == [
        'raw prepare --bluestore --data /dev/sda --block.db /dev/sdc',
        'raw prepare --bluestore --data /dev/sdb --block.db /dev/sdd']


@pytest.mark.parametrize('role', ['db', 'wal'])
def test_raw_needs_as_many_db_or_wal_as_data_devices(role):
    spec = _spec(data_devices=DeviceSelection(rotational=True),
                 **{f'{role}_devices': DeviceSelection(rotational=False)}, method='raw')
    inventory = _mk_inventory(_mk_device(rotational=True) * 2 + _mk_device(rotational=False))
    with pytest.raises(ValueError, match=f'Number of data devices must match number of {role} '
                                         'devices for raw mode osds'):
        _cmds(spec, inventory)


def test_raw_with_crush_device_class():
    spec = _from_yaml(BASE + """method: raw
data_devices:
  paths:
  - path: /dev/sda
    crush_device_class: hdd
  - path: /dev/sdb
    crush_device_class: hdd
  - path: /dev/sdc
    crush_device_class: ssd
db_devices:
  paths:
  - /dev/sdd
  - /dev/sde
  - /dev/sdf
""")
    assert _paths_cmds(spec) == [
        'raw prepare --bluestore --data /dev/sda --block.db /dev/sdd --crush-device-class hdd',
        'raw prepare --bluestore --data /dev/sdb --block.db /dev/sde --crush-device-class hdd',
        'raw prepare --bluestore --data /dev/sdc --block.db /dev/sdf --crush-device-class ssd']


def test_raw_pairing_across_three_classes_follows_ceph():
    spec = _from_yaml(BASE + """method: raw
data_devices:
  paths:
  - path: /dev/sda
    crush_device_class: hdd
  - path: /dev/sdb
    crush_device_class: nvme
  - path: /dev/sdc
    crush_device_class: ssd
db_devices:
  paths:
  - /dev/sdd
  - /dev/sde
  - /dev/sdf
wal_devices:
  paths:
  - /dev/sdg
  - /dev/sdh
  - /dev/sdi
""")
    assert _paths_cmds(spec) == [
        'raw prepare --bluestore --data /dev/sda --block.db /dev/sdd --block.wal /dev/sdg '
        '--crush-device-class hdd',
        'raw prepare --bluestore --data /dev/sdb --block.db /dev/sdf --block.wal /dev/sdi '
        '--crush-device-class nvme',
        'raw prepare --bluestore --data /dev/sdc --block.db /dev/sde --block.wal /dev/sdh '
        '--crush-device-class ssd']


def test_raw_encrypted_with_claims_has_no_lvm_flags():
    spec = _spec(data_devices=DeviceSelection(all=True), method='raw', encrypted=True)
    assert _cmds(spec, _mk_inventory(_mk_device()), ['7']) == [
        'raw prepare --bluestore --data /dev/sda --dmcrypt --osd-ids 7']
