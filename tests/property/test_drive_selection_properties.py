"""Drive selection over arbitrary inventories: the invariants an operator relies on, and
agreement with a literal (slow) rendering of Ceph's algorithm."""
from typing import Any, Iterator, List, Optional

from hypothesis import given, settings
from hypothesis import strategies as st

from ceph_orch_cli.deployment.drive_group import DeviceSelection, DriveGroupSpec
from ceph_orch_cli.deployment.drive_selection import DriveSelection, FilterGenerator
from ceph_orch_cli.deployment.drive_selection.matchers import SizeMatcher, _device_value, _MISSING
from ceph_orch_cli.deployment.inventory import Device
from ceph_orch_cli.deployment.service_spec import PlacementSpec

SIZES_GB = [10, 20, 40, 100, 300, 1000, 4000]
MODELS = ['INTEL SSDPE', 'INTEL SSDSC', 'ST4000NM', 'Samsung 860']


@st.composite
def devices(draw: Any) -> Device:
    path = '/dev/sd' + draw(st.sampled_from('abcdefghij'))
    rotational = draw(st.sampled_from(['0', '1']))
    size = draw(st.sampled_from(SIZES_GB))
    ceph_device = draw(st.sampled_from([None, False, True]))
    lvs = draw(st.sampled_from([[], [{'osd_id': '1', 'osdspec_affinity': 'spec'}],
                                [{'osd_id': '2', 'osdspec_affinity': 'other'}], [{'osd_id': '3'}]]))
    return Device(path,
                  sys_api={'rotational': rotational, 'human_readable_size': f'{size}.00 GB',
                           'model': draw(st.sampled_from(MODELS)), 'vendor': 'ATA',
                           'size': size * 10**9},
                  available=draw(st.booleans()), ceph_device=ceph_device, lvs=lvs,
                  being_replaced=draw(st.sampled_from([False, False, True])))


size_filters = st.sampled_from([None, '30G:', ':100G', '20G:300G', '40G', '1TB:'])


@st.composite
def selections(draw: Any, allow_all: bool = False) -> Optional[DeviceSelection]:
    if allow_all and draw(st.booleans()):
        return DeviceSelection(all=True, limit=draw(st.sampled_from([None, 0, 1, 3])))
    rotational = draw(st.sampled_from([None, True, False]))
    size = draw(size_filters)
    model = draw(st.sampled_from([None, 'INTEL', 'ST4000']))
    if rotational is None and size is None and model is None:
        rotational = True
    return DeviceSelection(rotational=rotational, size=size, model=model,
                           limit=draw(st.sampled_from([None, 0, 1, 2, 5])))


@st.composite
def specs(draw: Any) -> DriveGroupSpec:
    optional = st.one_of(st.none(), selections())
    return DriveGroupSpec(placement=PlacementSpec(host_pattern='*'), service_id='spec',
                          data_devices=draw(selections(allow_all=True)),
                          db_devices=draw(optional), wal_devices=draw(optional),
                          journal_devices=draw(optional),
                          filter_logic=draw(st.sampled_from(['AND', 'OR'])))


def _findkeys(node: Any, key: str) -> Iterator[Any]:
    if isinstance(node, list):
        for i in node:
            yield from _findkeys(i, key)
    elif isinstance(node, dict):
        if key in node:
            yield node[key]
        for j in node.values():
            yield from _findkeys(j, key)


def _ceph_assign(spec: DriveGroupSpec, disks: List[Device], existing: int,
                 device_filter: Optional[DeviceSelection]) -> List[Device]:
    """Ceph's assign_devices, literally: per-disk matchers, list membership, list.remove."""
    if not device_filter or not spec.data_devices:
        return []
    if device_filter.paths:
        return list(device_filter.paths)
    devices: List[Device] = []
    for disk in disks:
        if disk.being_replaced:
            continue
        if not disk.available and not disk.ceph_device:
            continue
        if not disk.available and disk.ceph_device and disk.lvs:
            if any('osdspec_affinity' in lv and lv['osdspec_affinity'] != str(spec.service_id)
                   for lv in disk.lvs):
                continue
        limit = device_filter.limit or 0
        if limit > 0 and len([d for d in devices if not d.ceph_device]) + existing >= limit:
            break
        if disk in devices:
            continue
        if spec.filter_logic == 'AND' and not all(m.compare(disk) for m in FilterGenerator(device_filter)):
            continue
        if spec.filter_logic == 'OR' and not any(m.compare(disk) for m in FilterGenerator(device_filter)):
            continue
        devices.append(disk)
    for taken in devices:
        if taken in disks:
            disks.remove(taken)
    return sorted(devices, key=lambda dev: dev.path)


@settings(max_examples=300, deadline=None)
@given(spec=specs(), disks=st.lists(devices(), max_size=12), existing=st.integers(0, 3))
def test_selection_agrees_with_cephs_literal_algorithm(spec, disks, existing):
    sel = DriveSelection(spec, disks, existing_daemons=existing)
    remaining = list(disks)
    expected = {role: _ceph_assign(spec, remaining, existing, getattr(spec, role))
                for role in ('data_devices', 'wal_devices', 'db_devices', 'journal_devices')}
    for role, want in expected.items():
        got = getattr(sel, role)()
        assert [id(d) for d in got] == [id(d) for d in want], role


@settings(max_examples=300, deadline=None)
@given(spec=specs(), disks=st.lists(devices(), max_size=12), existing=st.integers(0, 3))
def test_selection_invariants(spec, disks, existing):
    sel = DriveSelection(spec, disks, existing_daemons=existing)
    roles = [sel.data_devices(), sel.wal_devices(), sel.db_devices(), sel.journal_devices()]

    # No disk serves two roles.
    chosen = [id(d) for role in roles for d in role]
    assert len(chosen) == len(set(chosen))

    for role in roles:
        assert [d.path for d in role] == sorted(d.path for d in role)
        for d in role:
            # A disk being replaced, or unavailable and not already Ceph's, is never used.
            assert not d.being_replaced
            assert d.available or d.ceph_device

    data = sel.data_devices()
    limit = spec.data_devices.limit or 0
    if limit > 0:
        assert len([d for d in data if not d.ceph_device]) <= max(limit - existing, 0)

    if spec.filter_logic == 'AND' and not spec.data_devices.all:
        ds = spec.data_devices
        for d in data:
            if ds.rotational is not None:
                assert d.sys_api['rotational'] == ('1' if ds.rotational else '0')
            if ds.model:
                assert ds.model in d.sys_api['model']
            if ds.size:
                assert SizeMatcher('size', ds.size).compare(d)


@settings(max_examples=200, deadline=None)
@given(disk=devices(), key=st.sampled_from(['model', 'rotational', 'human_readable_size', 'size',
                                            'osd_id', 'osdspec_affinity', 'actuators', 'path']))
def test_attribute_lookup_equals_a_walk_over_the_json_report(disk, key):
    found = list(_findkeys(disk.to_json(), key))
    value = _device_value(disk, key)
    assert (value is _MISSING) == (not found)
    if found:
        assert value == found[0]
