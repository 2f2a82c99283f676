"""`ceph-volume inventory --format=json` output read into Devices and written back unchanged."""
import copy
import datetime

import pytest

from ceph_orch_cli.deployment.inventory import Device, Devices

CEPH_VOLUME_INVENTORY = [
    {
        'available': False,
        'ceph_device': True,
        'created': '2026-11-20T10:11:12.123456789Z',
        'device_id': 'Samsung_SSD_860_S3Z9NB0K123456',
        'lsm_data': {},
        'lvs': [{'block_uuid': 'X1', 'cluster_fsid': 'f0', 'cluster_name': 'ceph',
                 'name': 'osd-block-1', 'osd_fsid': 'a1', 'osd_id': '0',
                 'osdspec_affinity': 'default', 'type': 'block'}],
        'path': '/dev/sdb',
        'rejected_reasons': ['locked', 'LVM detected', 'Insufficient space (<10 extents) on vgs'],
        'sys_api': {'human_readable_size': '931.51 GB', 'locked': 1, 'model': 'Samsung SSD 860',
                    'partitions': {}, 'path': '/dev/sdb', 'removable': '0', 'rev': 'RVT0',
                    'ro': '0', 'rotational': '0', 'sas_address': '', 'sas_device_handle': '',
                    'scheduler_mode': 'mq-deadline', 'sectors': 0, 'sectorsize': '512',
                    'size': 1000204886016.0, 'support_discard': '512', 'vendor': 'ATA'},
    },
    {
        'available': True,
        'ceph_device': None,
        'device_id': 'ST4000NM0035-1V4107_ZC1A2B3C',
        'lsm_data': {},
        'lvs': [],
        'path': '/dev/sda',
        'rejected_reasons': [],
        'sys_api': {'human_readable_size': '3.64 TB', 'locked': 0, 'model': 'ST4000NM0035-1V4',
                    'partitions': {}, 'path': '/dev/sda', 'removable': '0', 'rev': 'TN04',
                    'ro': '0', 'rotational': '1', 'size': 4000787030016.0, 'vendor': 'ATA'},
    },
]


def test_inventory_report_round_trips_through_devices():
    devices = Devices.from_json(copy.deepcopy(CEPH_VOLUME_INVENTORY))
    assert len(devices.devices) == len(CEPH_VOLUME_INVENTORY)
    assert Devices.from_json(devices.to_json()) == devices


def test_devices_are_listed_by_path():
    devices = Devices.from_json(copy.deepcopy(CEPH_VOLUME_INVENTORY))
    assert [d.path for d in devices.devices] == ['/dev/sda', '/dev/sdb']


def test_device_json_carries_cephs_keys_including_the_derived_type():
    report = Devices.from_json(copy.deepcopy(CEPH_VOLUME_INVENTORY)).to_json()[0]
    assert list(report) == ['ceph_device', 'rejected_reasons', 'available', 'path', 'sys_api',
                            'created', 'lvs', 'human_readable_type', 'device_id', 'lsm_data',
                            'crush_device_class', 'being_replaced']
    assert report['human_readable_type'] == 'hdd'
    assert report['being_replaced'] is False


@pytest.mark.parametrize('sys_api,expected', [
    ({'rotational': '1'}, 'hdd'),
    ({'rotational': '0'}, 'ssd'),
    ({}, 'unknown'),
])
def test_human_readable_type_follows_the_rotational_flag(sys_api, expected):
    assert Device('/dev/sdc', sys_api=sys_api).human_readable_type == expected


def test_rejected_reasons_are_sorted_on_read():
    device = Device.from_json(CEPH_VOLUME_INVENTORY[0])
    assert device.rejected_reasons == ['Insufficient space (<10 extents) on vgs', 'LVM detected',
                                       'locked']


def test_created_is_parsed_with_nanoseconds_and_written_in_cephs_format():
    device = Device.from_json(CEPH_VOLUME_INVENTORY[0])
    assert device.created == datetime.datetime(2026, 11, 20, 10, 11, 12, 123456,
                                               tzinfo=datetime.timezone.utc)
    assert device.to_json()['created'] == '2026-11-20T10:11:12.123456Z'


def test_a_device_without_created_gets_the_current_time():
    device = Device.from_json({'path': '/dev/sdd'})
    assert isinstance(device.created, datetime.datetime)
    assert device.created.tzinfo is not None


def test_equality_ignores_created_but_not_the_report():
    a = Device('/dev/sda', sys_api={'rotational': '1'}, available=True)
    b = Device('/dev/sda', sys_api={'rotational': '1'}, available=True,
               created=datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc))
    assert a == b
    assert a != Device('/dev/sda', sys_api={'rotational': '0'}, available=True)
    assert a != Device('/dev/sda', sys_api={'rotational': '1'}, available=True, being_replaced=True)


def test_a_non_dict_entry_is_refused():
    with pytest.raises(ValueError, match='Device: Expected dict. Got `"/dev/sda"...`'):
        Device.from_json('/dev/sda')  # type: ignore[arg-type]


def test_repr_shows_rejection_reasons_only_for_unavailable_devices():
    device = Device('/dev/sdb', available=False, rejected_reasons=['locked'], ceph_device=True)
    assert repr(device) == ('Device(path=/dev/sdb, lvs=None, available=False, ceph_device=True, '
                            'crush_device_class=None, rejection reasons=[\'locked\'])')
    assert 'rejection' not in repr(Device('/dev/sda', available=True, rejected_reasons=['x']))


def test_copy_is_a_new_container_over_the_same_devices():
    devices = Devices.from_json(copy.deepcopy(CEPH_VOLUME_INVENTORY))
    clone = devices.copy()
    assert clone == devices
    assert clone.devices is not devices.devices
    assert clone.devices[0] is devices.devices[0]
