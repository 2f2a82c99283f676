"""Which disks an OSD spec picks on a host: Ceph's matcher and DriveSelection cases."""
from typing import List

import pytest

from ceph_orch_cli.deployment import drive_selection
from ceph_orch_cli.deployment.drive_group import (DeviceSelection, DriveGroupSpec,
                                                  DriveGroupValidationError)
from ceph_orch_cli.deployment.drive_selection.matchers import _MatchInvalid
from ceph_orch_cli.deployment.inventory import Device, Devices
from ceph_orch_cli.deployment.service_spec import PlacementSpec


def _mk_device(rotational=True, locked=False, size='394.27 GB', model='Model', vendor='Vendor'):
    """One inventory entry as ceph-volume reports it (Ceph's tests/utils.py)."""
    return [Device(
        path='??',
        sys_api={'rotational': '1' if rotational else '0', 'vendor': vendor,
                 'human_readable_size': size, 'partitions': {}, 'locked': int(locked),
                 'sectorsize': '512', 'removable': '0', 'path': '??', 'support_discard': '',
                 'model': model, 'ro': '0', 'nr_requests': '128', 'size': 423347879936},
        available=not locked,
        rejected_reasons=['locked'] if locked else [],
        lvs=[],
        device_id='Model-Vendor-foobar')]


def _mk_inventory(devices) -> List[Device]:
    """Name the devices /dev/sda, /dev/sdb, ... in order."""
    devs = []
    for dev_, name in zip(devices, map(chr, range(ord('a'), ord('z')))):
        dev = Device.from_json(dev_.to_json())
        dev.path = '/dev/sd' + name
        dev.sys_api = dict(dev_.sys_api, path='/dev/sd' + name)
        devs.append(dev)
    return Devices(devices=devs).devices


def _spec(**kwargs) -> DriveGroupSpec:
    return DriveGroupSpec(placement=PlacementSpec(host_pattern='*'), service_id='foobar', **kwargs)


def _paths(devices):
    return [d.path for d in devices]


class TestMatcher:
    def test_key_is_read_from_sys_api(self):
        disk = Device(path='/dev/vdb', sys_api={'foo': 'bar'})
        assert drive_selection.Matcher('foo', 'bar')._get_disk_key(disk) is disk.sys_api['foo']

    def test_missing_key_is_an_error(self):
        with pytest.raises(_MatchInvalid, match='No value found for bar or '):
            drive_selection.Matcher('bar', 'foo')._get_disk_key(Device(path='/dev/vdb'))

    def test_nested_keys_are_found_depth_first(self):
        disk = Device(path='/dev/vdb', sys_api={'partitions': {'vdb1': {'holders': 'x'}}},
                      lvs=[{'holders': 'y'}])
        assert drive_selection.Matcher('holders', '')._get_disk_key(disk) == 'x'

    def test_keys_outside_sys_api_are_found_too(self):
        disk = Device(path='/dev/vdb', lvs=[{'osd_id': '3'}])
        assert drive_selection.Matcher('osd_id', '')._get_disk_key(disk) == '3'


class TestSubstringMatcher:
    def test_compare(self):
        disk = Device(path='/dev/vdb', sys_api=dict(model='samsung'))
        assert drive_selection.SubstringMatcher('model', 'samsung').compare(disk) is True

    def test_compare_false(self):
        disk = Device(path='/dev/vdb', sys_api=dict(model='nothing_matching'))
        assert drive_selection.SubstringMatcher('model', 'samsung').compare(disk) is False


class TestEqualityMatcher:
    def test_compare(self):
        disk = Device(path='/dev/vdb', sys_api=dict(rotates='1'))
        assert drive_selection.EqualityMatcher('rotates', '1').compare(disk) is True

    def test_compare_false(self):
        disk = Device(path='/dev/vdb', sys_api=dict(rotates='1'))
        assert drive_selection.EqualityMatcher('rotates', '0').compare(disk) is False


class TestAllMatcher:
    @pytest.mark.parametrize('value', ['True', 'False'])
    def test_matches_whatever_the_value(self, value):
        assert drive_selection.AllMatcher('all', value).compare(Device(path='/dev/vdb')) is True


class TestSizeMatcher:
    def test_parse_filter_exact(self):
        matcher = drive_selection.SizeMatcher('size', '20G')
        assert matcher.exact == ('20', 'GB')

    def test_parse_filter_exact_GB_G(self):
        assert drive_selection.SizeMatcher('size', '20GB').exact == ('20', 'GB')

    def test_parse_filter_high_low(self):
        matcher = drive_selection.SizeMatcher('size', '20G:50G')
        assert matcher.low == ('20', 'GB')
        assert matcher.high == ('50', 'GB')

    def test_parse_filter_max_high(self):
        assert drive_selection.SizeMatcher('size', ':50G').high == ('50', 'GB')

    def test_parse_filter_min_low(self):
        assert drive_selection.SizeMatcher('size', '50G:').low == ('50', 'GB')

    @pytest.mark.parametrize('tpl,expected', [
        (('4', 'KB'), 4 * 1e+3),
        (('10', 'MB'), 10 * 1e+6),
        (('10', 'GB'), 10 * 1e+9),
        (('10', 'TB'), 10 * 1e+12),
    ])
    def test_to_byte(self, tpl, expected):
        assert drive_selection.SizeMatcher.to_byte(tpl) == expected

    def test_petabytes_are_not_supported(self):
        with pytest.raises(_MatchInvalid, match="Unit 'P' not supported"):
            drive_selection.SizeMatcher('size', '10P')

    def test_compare_exact(self):
        disk = Device(path='/dev/vdb', sys_api=dict(size='20.00 GB'))
        assert drive_selection.SizeMatcher('size', '20GB').compare(disk) is True

    def test_compare_exact_decimal(self):
        disk = Device(path='/dev/vdb', sys_api=dict(size='20.12 GB'))
        assert drive_selection.SizeMatcher('size', '20.12GB').compare(disk) is True

    @pytest.mark.parametrize('test_input,expected', [
        ('1.00 GB', False), ('20.00 GB', True), ('50.00 GB', True),
        ('100.00 GB', True), ('101.00 GB', False), ('1101.00 GB', False),
    ])
    def test_compare_high_low(self, test_input, expected):
        disk = Device(path='/dev/vdb', sys_api=dict(size=test_input))
        assert drive_selection.SizeMatcher('size', '20GB:100GB').compare(disk) is expected

    @pytest.mark.parametrize('test_input,expected', [
        ('1.00 GB', True), ('20.00 GB', True), ('50.00 GB', True),
        ('100.00 GB', False), ('101.00 GB', False), ('1101.00 GB', False),
    ])
    def test_compare_high(self, test_input, expected):
        disk = Device(path='/dev/vdb', sys_api=dict(size=test_input))
        assert drive_selection.SizeMatcher('size', ':50GB').compare(disk) is expected

    @pytest.mark.parametrize('test_input,expected', [
        ('1.00 GB', False), ('20.00 GB', False), ('50.00 GB', True),
        ('100.00 GB', True), ('101.00 GB', True), ('1101.00 GB', True),
    ])
    def test_compare_low(self, test_input, expected):
        disk = Device(path='/dev/vdb', sys_api=dict(size=test_input))
        assert drive_selection.SizeMatcher('size', '50GB:').compare(disk) is expected

    @pytest.mark.parametrize('test_input,expected', [
        ('1.00 GB', False), ('20.00 GB', False), ('50.00 GB', False), ('100.00 GB', False),
        ('101.00 GB', False), ('1101.00 GB', True), ('9.10 TB', True),
    ])
    def test_compare_at_least_1TB(self, test_input, expected):
        disk = Device(path='/dev/sdz', sys_api=dict(size=test_input))
        assert drive_selection.SizeMatcher('size', '1TB:').compare(disk) is expected

    def test_human_readable_size_wins_over_size(self):
        disk = Device(path='/dev/sdz', sys_api={'human_readable_size': '30.00 GB', 'size': '99.00 GB'})
        assert drive_selection.SizeMatcher('size', '10G:40G').compare(disk) is True

    def test_a_bare_byte_count_is_compared_as_bytes(self):
        disk = Device(path='/dev/sdz', sys_api={'size': 30 * 10**9})
        assert drive_selection.SizeMatcher('size', '10G:40G').compare(disk) is True
        assert drive_selection.SizeMatcher('size', ':20G').compare(disk) is False

    def test_an_unparsable_filter_fails_when_compared(self):
        matcher = drive_selection.SizeMatcher('size', 'None')
        disk = Device(path='/dev/vdb', sys_api=dict(size='20.00 GB'))
        with pytest.raises(_MatchInvalid, match='No filters applied'):
            matcher.compare(disk)

    def test_lowercase_units_only_work_in_exact_sizes_not_ranges(self):
        # Ceph's range patterns want upper-case units; '10g:40g' parses as nothing.
        disk = Device(path='/dev/vdb', sys_api=dict(size='20.00 GB'))
        with pytest.raises(_MatchInvalid, match='No filters applied'):
            drive_selection.SizeMatcher('size', '10g:40g').compare(disk)

    @pytest.mark.parametrize('test_input,expected', [
        ('10G', ('10', 'GB')), ('20GB', ('20', 'GB')), ('10g', ('10', 'GB')), ('20gb', ('20', 'GB')),
    ])
    def test_get_k_v(self, test_input, expected):
        assert drive_selection.SizeMatcher._get_k_v(test_input) == expected

    @pytest.mark.parametrize('test_input,expected', [
        ('10G', 'GB'), ('10g', 'GB'), ('20GB', 'GB'), ('20gb', 'GB'), ('20TB', 'TB'),
        ('20tb', 'TB'), ('20T', 'TB'), ('20t', 'TB'), ('20MB', 'MB'), ('20mb', 'MB'),
        ('20M', 'MB'), ('20m', 'MB'),
    ])
    def test_parse_suffix(self, test_input, expected):
        assert drive_selection.SizeMatcher._parse_suffix(test_input) == expected

    @pytest.mark.parametrize('test_input,expected', [
        ('G', 'GB'), ('GB', 'GB'), ('TB', 'TB'), ('T', 'TB'), ('MB', 'MB'), ('M', 'MB'),
    ])
    def test_normalize_suffix(self, test_input, expected):
        assert drive_selection.SizeMatcher._normalize_suffix(test_input) == expected

    def test_str_to_byte(self):
        assert drive_selection.SizeMatcher.str_to_byte('500M') == 500 * 1e+6


class TestDriveSelection:
    testdata = [
        (_spec(data_devices=DeviceSelection(all=True)),
         _mk_inventory(_mk_device() * 5),
         ['/dev/sda', '/dev/sdb', '/dev/sdc', '/dev/sdd', '/dev/sde'], []),
        (_spec(data_devices=DeviceSelection(all=True, limit=3), db_devices=DeviceSelection(all=True)),
         _mk_inventory(_mk_device() * 5),
         ['/dev/sda', '/dev/sdb', '/dev/sdc'], ['/dev/sdd', '/dev/sde']),
        (_spec(data_devices=DeviceSelection(rotational=True), db_devices=DeviceSelection(rotational=False)),
         _mk_inventory(_mk_device(rotational=False) + _mk_device(rotational=True)),
         ['/dev/sdb'], ['/dev/sda']),
        (_spec(data_devices=DeviceSelection(rotational=True), db_devices=DeviceSelection(rotational=False)),
         _mk_inventory(_mk_device(rotational=True) * 2 + _mk_device(rotational=False)),
         ['/dev/sda', '/dev/sdb'], ['/dev/sdc']),
        (_spec(data_devices=DeviceSelection(rotational=True), db_devices=DeviceSelection(rotational=False)),
         _mk_inventory(_mk_device(rotational=True) * 2),
         ['/dev/sda', '/dev/sdb'], []),
    ]

    @pytest.mark.parametrize('spec,inventory,expected_data,expected_db', testdata)
    def test_disk_selection(self, spec, inventory, expected_data, expected_db):
        sel = drive_selection.DriveSelection(spec, inventory)
        assert _paths(sel.data_devices()) == expected_data
        assert _paths(sel.db_devices()) == expected_db

    def test_an_unparsable_size_names_the_spec_and_role(self):
        spec = _spec(data_devices=DeviceSelection(size='wrong'))
        inventory = _mk_inventory(_mk_device(rotational=True) * 2)
        m = 'Failed to validate OSD spec "foobar.data_devices": No filters applied'
        with pytest.raises(DriveGroupValidationError, match=m):
            drive_selection.DriveSelection(spec, inventory)

    def test_an_unparsable_size_is_harmless_when_no_disk_reaches_it(self):
        spec = _spec(data_devices=DeviceSelection(size='wrong'))
        inventory = _mk_inventory(_mk_device(locked=True) * 2)
        assert drive_selection.DriveSelection(spec, inventory).data_devices() == []

    def test_a_missing_attribute_names_the_spec_and_role(self):
        spec = _spec(data_devices=DeviceSelection(rotational=True), db_devices=DeviceSelection(actuators=2))
        inventory = _mk_inventory(_mk_device(rotational=True) + _mk_device(rotational=False))
        m = 'Failed to validate OSD spec "foobar.db_devices": No value found for actuators or '
        with pytest.raises(DriveGroupValidationError, match=m):
            drive_selection.DriveSelection(spec, inventory)

    def test_and_needs_every_filter_or_needs_one(self):
        inventory = _mk_inventory(
            _mk_device(rotational=True, size='1.82 TB', model='ST2000DM001-1ER1')
            + _mk_device(rotational=False, size='223.0 GB', model='INTEL SSDSC2KG24')
            + _mk_device(rotational=False, size='349.0 GB', model='INTEL SSDPED1K375GA'))
        data = DeviceSelection(rotational=True, model='INTEL SSDS')
        and_sel = drive_selection.DriveSelection(_spec(data_devices=data), inventory)
        or_sel = drive_selection.DriveSelection(_spec(data_devices=data, filter_logic='OR'), inventory)
        assert _paths(and_sel.data_devices()) == []
        assert _paths(or_sel.data_devices()) == ['/dev/sda', '/dev/sdb']

    def test_size_range_with_model_and_vendor(self):
        inventory = _mk_inventory(
            _mk_device(size='40.00 GB', model='42-RGB', vendor='samsung')
            + _mk_device(size='60.00 GB', model='42-RGB', vendor='samsung')
            + _mk_device(size='40.00 GB', model='other', vendor='samsung')
            + _mk_device(size='45.00 GB', model='42-RGB-X', vendor='samsung inc'))
        spec = _spec(data_devices=DeviceSelection(size='30G:50G', model='42-RGB', vendor='samsung'))
        assert _paths(drive_selection.DriveSelection(spec, inventory).data_devices()) == [
            '/dev/sda', '/dev/sdd']

    def test_wal_is_assigned_before_db(self):
        # Ceph assigns wal_devices before db_devices: with overlapping filters wal wins.
        inventory = _mk_inventory(_mk_device(rotational=True) + _mk_device(rotational=False) * 2)
        spec = _spec(data_devices=DeviceSelection(rotational=True),
                     db_devices=DeviceSelection(rotational=False),
                     wal_devices=DeviceSelection(rotational=False, limit=1))
        sel = drive_selection.DriveSelection(spec, inventory)
        assert _paths(sel.wal_devices()) == ['/dev/sdb']
        assert _paths(sel.db_devices()) == ['/dev/sdc']

    def test_unavailable_disks_are_skipped(self):
        inventory = _mk_inventory(_mk_device() + _mk_device(locked=True) + _mk_device())
        sel = drive_selection.DriveSelection(_spec(data_devices=DeviceSelection(all=True)), inventory)
        assert _paths(sel.data_devices()) == ['/dev/sda', '/dev/sdc']

    def test_disks_being_replaced_are_skipped(self):
        inventory = _mk_inventory(_mk_device() * 2)
        inventory[0].being_replaced = True
        sel = drive_selection.DriveSelection(_spec(data_devices=DeviceSelection(all=True)), inventory)
        assert _paths(sel.data_devices()) == ['/dev/sdb']

    def test_own_ceph_disks_stay_in_the_selection_foreign_ones_do_not(self):
        own = Device('/dev/sda', available=False, ceph_device=True,
                     lvs=[{'osd_id': '0', 'osdspec_affinity': 'foobar'}])
        foreign = Device('/dev/sdb', available=False, ceph_device=True,
                         lvs=[{'osd_id': '1', 'osdspec_affinity': 'other'}])
        unlabelled = Device('/dev/sdc', available=False, ceph_device=True, lvs=[{'osd_id': '2'}])
        sel = drive_selection.DriveSelection(_spec(data_devices=DeviceSelection(all=True)),
                                             [own, foreign, unlabelled])
        assert _paths(sel.data_devices()) == ['/dev/sda', '/dev/sdc']

    def test_explicit_paths_are_used_as_given(self):
        spec = _spec(data_devices=DeviceSelection(paths=['/dev/sdc', '/dev/sda']),
                     db_devices=DeviceSelection(paths=['/dev/nvme0n1']))
        sel = drive_selection.DriveSelection(spec, [])
        assert _paths(sel.data_devices()) == ['/dev/sdc', '/dev/sda']
        assert _paths(sel.db_devices()) == ['/dev/nvme0n1']

    def test_devices_container_is_accepted(self):
        inventory = Devices(_mk_inventory(_mk_device() * 2))
        sel = drive_selection.DriveSelection(_spec(data_devices=DeviceSelection(all=True)), inventory)
        assert _paths(sel.data_devices()) == ['/dev/sda', '/dev/sdb']

    def test_limit_counts_existing_osds_of_the_spec(self):
        inventory = _mk_inventory(_mk_device() * 4)
        spec = _spec(data_devices=DeviceSelection(all=True, limit=3))
        assert _paths(drive_selection.DriveSelection(spec, inventory, existing_daemons=2)
                      .data_devices()) == ['/dev/sda']
        assert drive_selection.DriveSelection(spec, inventory, existing_daemons=3).data_devices() == []

    def test_repr_lists_the_roles(self):
        sel = drive_selection.DriveSelection(_spec(data_devices=DeviceSelection(all=True)),
                                             _mk_inventory(_mk_device()))
        assert repr(sel) == ("DeviceSelection(data devices=['/dev/sda'], wal_devices=[], "
                             "db devices=[], journal devices=[])")


class TestDeviceSelectionLimit:
    def test_limit_existing_devices(self):
        # /dev/sda already carries an OSD of this spec (existing_daemons=1); it stays in the
        # selection without being counted twice, and the limit of 2 then admits /dev/sdb only.
        dev_a = Device('/dev/sda', ceph_device=True, available=False)
        dev_b = Device('/dev/sdb', ceph_device=False, available=True)
        dev_c = Device('/dev/sdc', ceph_device=False, available=True)
        processed: List[Device] = []
        limit_filter = DeviceSelection(all=True, limit=2)
        ds = drive_selection.DriveSelection(DriveGroupSpec(data_devices=limit_filter),
                                            [dev_a, dev_b, dev_c], existing_daemons=1)

        assert not ds._limit_reached(limit_filter, processed, '/dev/sda')
        processed.append(dev_a)
        assert not ds._limit_reached(limit_filter, processed, '/dev/sdb')
        processed.append(dev_b)
        assert ds._limit_reached(limit_filter, processed, '/dev/sdc')
        assert ds._data == [dev_a, dev_b]
