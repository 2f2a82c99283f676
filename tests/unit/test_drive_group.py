"""OSD specs as operators write them: parsing, Ceph's validation messages, JSON round trips."""
import re

import pytest
import yaml

from ceph_orch_cli.deployment.drive_group import (DeviceSelection, DriveGroupSpec,
                                                  DriveGroupValidationError, OSDMethod)
from ceph_orch_cli.deployment.hostspec import SpecValidationError
from ceph_orch_cli.deployment.inventory import Device
from ceph_orch_cli.deployment.service_spec import PlacementSpec, ServiceSpec


def _spec(**kwargs):
    kwargs.setdefault('placement', PlacementSpec(host_pattern='*'))
    kwargs.setdefault('service_id', 'mydg')
    return DriveGroupSpec(**kwargs)


@pytest.mark.parametrize('test_input', [
    """service_type: osd
service_id: testing_drivegroup
placement:
  host_pattern: hostname
crush_device_class: ssd
data_devices:
  paths:
  - /dev/sda
""",
    """service_type: osd
service_id: testing_drivegroup
placement:
  host_pattern: hostname
data_devices:
  paths:
  - path: /dev/sda
    crush_device_class: ssd""",
    """service_type: osd
service_id: testing_drivegroup
placement:
  host_pattern: hostname
spec:
  osds_per_device: 2
data_devices:
  paths:
  - path: /dev/sda
    crush_device_class: hdd""",
])
def test_explicit_paths_become_devices(test_input):
    dg = DriveGroupSpec.from_json(yaml.safe_load(test_input))
    assert dg.service_id == 'testing_drivegroup'
    assert all(isinstance(x, Device) for x in dg.data_devices.paths)
    assert dg.data_devices.paths[0].path == '/dev/sda'


def test_a_per_path_crush_device_class_is_kept():
    dg = DriveGroupSpec.from_json(yaml.safe_load("""service_type: osd
service_id: x
placement:
  host_pattern: '*'
data_devices:
  paths:
  - path: /dev/sda
    crush_device_class: hdd
  - /dev/sdb
"""))
    assert [(d.path, d.crush_device_class) for d in dg.data_devices.paths] == [
        ('/dev/sda', 'hdd'), ('/dev/sdb', None)]


@pytest.mark.parametrize('match,test_input', [
    (re.escape('Service Spec is not an (JSON or YAML) object. got "None"'), ''),
    ('Failed to validate OSD spec "<unnamed>": `placement` required', """data_devices:
  all: True
"""),
    ('Failed to validate OSD spec "mydg.data_devices": device selection cannot be empty', """
service_type: osd
service_id: mydg
placement:
  host_pattern: '*'
data_devices:
  limit: 1
"""),
    ('Failed to validate OSD spec "mydg": filter_logic must be either <AND> or <OR>', """
service_type: osd
service_id: mydg
placement:
  host_pattern: '*'
data_devices:
  all: True
filter_logic: XOR
"""),
    ('Failed to validate OSD spec "mydg": `data_devices` element is required.', """
service_type: osd
service_id: mydg
placement:
  host_pattern: '*'
spec:
  db_devices:
    model: model
"""),
    ('Failed to validate OSD spec "mydg.db_devices": Filtering for `unknown_key` is not supported', """
service_type: osd
service_id: mydg
placement:
  host_pattern: '*'
spec:
  db_devices:
    unknown_key: 1
"""),
    ('Failed to validate OSD spec "mydg": Feature `unknown_key` is not supported', """
service_type: osd
service_id: mydg
placement:
  host_pattern: '*'
spec:
  db_devices:
    all: true
  unknown_key: 1
"""),
])
def test_invalid_osd_specs_are_refused_with_cephs_message(match, test_input):
    with pytest.raises(SpecValidationError, match=match):
        osd_spec = DriveGroupSpec.from_json(yaml.safe_load(test_input))
        osd_spec.validate()


def test_paths_exclude_other_filters():
    devs = DeviceSelection(paths=['/dev/sda'])
    spec = DriveGroupSpec(PlacementSpec(host_pattern='node_name'), service_id='foobar',
                          data_devices=devs)
    assert all(isinstance(x, Device) for x in spec.data_devices.paths)
    assert spec.data_devices.paths[0].path == '/dev/sda'
    with pytest.raises(DriveGroupValidationError, match='exclusive'):
        DeviceSelection(paths=['/dev/sda'], rotational=False).validate('')


def test_validation_error_is_a_spec_validation_error_with_einval():
    err = DriveGroupValidationError(None, 'boom')
    assert isinstance(err, SpecValidationError)
    assert str(err) == 'Failed to validate OSD spec "<unnamed>": boom'
    assert err.errno == -22


def test_all_cannot_be_combined_with_other_filters():
    spec = _spec(data_devices=DeviceSelection(all=True, rotational=True))
    with pytest.raises(DriveGroupValidationError,
                       match=re.escape('Failed to validate OSD spec "mydg.data_devices": device '
                                       'selection: `all` and other parameters are mutually '
                                       'exclusive. DeviceSelection(rotational=True, all=True)')):
        spec.validate()


@pytest.mark.parametrize('role', ['db_devices', 'wal_devices', 'journal_devices'])
def test_all_is_only_for_data_devices(role):
    spec = _spec(data_devices=DeviceSelection(rotational=True), **{role: DeviceSelection(all=True)})
    with pytest.raises(DriveGroupValidationError,
                       match='Failed to validate OSD spec "mydg": `all` is only allowed for data_devices'):
        spec.validate()


def test_filestore_is_not_supported_any_more():
    spec = _spec(data_devices=DeviceSelection(rotational=True), objectstore='filestore')
    with pytest.raises(DriveGroupValidationError,
                       match=re.escape('"mydg": filestore is not supported. Must be one of (\'bluestore\')')):
        spec.validate()


@pytest.mark.parametrize('key', ['block_wal_size', 'block_db_size', 'journal_size'])
def test_sizes_must_be_int_or_string(key):
    spec = _spec(data_devices=DeviceSelection(all=True), **{key: 1.5})
    with pytest.raises(DriveGroupValidationError, match=f'{key} must be of type int or string'):
        spec.validate()


def test_method_must_be_lvm_or_raw():
    spec = _spec(data_devices=DeviceSelection(all=True), method='zfs')
    with pytest.raises(DriveGroupValidationError, match='method must be one of None, lvm, raw'):
        spec.validate()
    _spec(data_devices=DeviceSelection(all=True), method=OSDMethod.raw).validate()


def test_an_explicit_device_needs_a_path():
    with pytest.raises(DriveGroupValidationError, match='Device path cannot be empty'):
        DriveGroupSpec.from_json(yaml.safe_load("""service_type: osd
service_id: testing_drivegroup
placement:
  host_pattern: hostname
data_devices:
  paths:
  - crush_device_class: hdd
""")).validate()


def test_filter_logic_is_case_insensitive():
    assert _spec(data_devices=DeviceSelection(all=True), filter_logic='or').filter_logic == 'OR'


def test_pre_octopus_flat_style_with_host_pattern():
    dg = DriveGroupSpec.from_json({'service_type': 'osd', 'service_id': 'legacy',
                                   'host_pattern': 'data*',
                                   'data_devices': {'rotational': True},
                                   'db_devices': {'rotational': False, 'limit': 2}})
    assert dg.placement.host_pattern == PlacementSpec(host_pattern='data*').host_pattern
    assert dg.data_devices == DeviceSelection(rotational=True)
    assert dg.db_devices == DeviceSelection(rotational=False, limit=2)


def test_service_spec_from_json_dispatches_osd_to_drive_group_spec():
    spec = ServiceSpec.from_json({'service_type': 'osd', 'service_id': 'all',
                                  'placement': {'host_pattern': '*'},
                                  'spec': {'data_devices': {'all': True}}})
    assert isinstance(spec, DriveGroupSpec)
    assert spec.data_devices == DeviceSelection(all=True)


def test_new_style_round_trip_matches_ceph():
    text = """service_type: osd
service_id: default_drive_group
service_name: osd.default_drive_group
placement:
  host_pattern: '*'
spec:
  data_devices:
    rotational: false
  db_devices:
    model: MC-55-44-XZ
  filter_logic: AND
  objectstore: bluestore
  wal_devices:
    model: SSD
"""
    data = yaml.safe_load(text)
    spec = ServiceSpec.from_json(data)
    assert isinstance(spec, DriveGroupSpec)
    assert dict(spec.to_json()) == data
    assert ServiceSpec.from_json(spec.to_json()) == spec


class TestSpecProperties:
    """Ceph's TestDriveGroup: what a parsed spec exposes."""

    SAMPLE = {
        'service_type': 'osd',
        'service_id': 'foo',
        'placement': {'host_pattern': 'data*'},
        'data_devices': {'size': '30G:50G', 'model': '42-RGB', 'vendor': 'samsung', 'limit': 0},
        'wal_devices': {'model': 'fast', 'limit': 0},
        'db_devices': {'size': ':20G', 'limit': 0},
        'db_slots': 5,
        'wal_slots': 5,
        'block_wal_size': '5G',
        'block_db_size': '10G',
        'objectstore': 'bluestore',
        'osds_per_device': '3',
        'encrypted': True,
    }
    EMPTY = {'service_type': 'osd', 'service_id': 'foo', 'placement': {'host_pattern': 'data*'},
             'data_devices': {'all': True}}

    def test_full_sample(self):
        dg = DriveGroupSpec.from_json(dict(self.SAMPLE))
        assert dg.encrypted is True
        assert dg.db_slots == 5 and dg.wal_slots == 5
        assert dg.block_wal_size == '5G' and dg.block_db_size == '10G'
        assert dg.objectstore == 'bluestore'
        assert dg.osds_per_device == '3'
        assert dg.data_devices == DeviceSelection(model='42-RGB', size='30G:50G', vendor='samsung',
                                                  limit=0)
        assert dg.db_devices == DeviceSelection(size=':20G', limit=0)
        assert dg.wal_devices == DeviceSelection(model='fast', limit=0)

    def test_defaults(self):
        dg = DriveGroupSpec.from_json(dict(self.EMPTY))
        assert dg.encrypted is False
        assert dg.db_slots is None and dg.wal_slots is None
        assert dg.block_wal_size is None and dg.block_db_size is None and dg.journal_size is None
        assert dg.db_devices is None and dg.wal_devices is None
        assert dg.objectstore == 'bluestore'
        assert dg.filter_logic == 'AND'
        assert dg.osd_id_claims == {}
        assert dg.method is None


def test_device_selection_repr_and_json():
    ds = DeviceSelection(size='10G:40G', rotational=False, limit=2)
    assert repr(ds) == "DeviceSelection(size='10G:40G', rotational=False, limit=2, all=False, limit=2)"
    assert ds.to_json() == {'size': '10G:40G', 'rotational': False, 'limit': 2}
    assert DeviceSelection.from_json(ds.to_json()) == ds
    assert DeviceSelection.from_json({}) is None
    with pytest.raises(KeyError):
        DeviceSelection.from_json({'colour': 'blue'})
