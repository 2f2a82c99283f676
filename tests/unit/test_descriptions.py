"""JSON shapes of what the orchestrator reports (``orch ps``/``ls``/``device ls``/``upgrade status``).

Keys, key order and date format are Ceph's, so scripts written against ``ceph orch ... --format
json`` read ``orch`` output unchanged. Several cases are ported from Ceph's
``src/pybind/mgr/orchestrator/tests/test_orchestrator.py``.
"""
from __future__ import annotations

import copy
import datetime
import json
from typing import Any, Dict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ceph_orch_cli.orchestrator import (DaemonDescription, DaemonDescriptionStatus, DeviceLightLoc,
                                        InventoryFilter, InventoryHost, OrchestratorError,
                                        OrchestratorEvent, OrchestratorValidationError,
                                        ServiceDescription, UpgradeStatusSpec,
                                        daemon_type_to_service, datetime_to_str,
                                        service_to_daemon_types, str_to_datetime)

UTC = datetime.timezone.utc
T0 = datetime.datetime(2020, 6, 10, 10, 8, 22, 933241, tzinfo=UTC)


def _roundtrip(data: Dict[str, Any], cls: Any) -> Any:
    # Ceph's _test_resource: from_json(to_json()) is stable
    obj = cls.from_json(data)
    assert obj.to_json() == cls.from_json(obj.to_json()).to_json()
    return obj


def _yaml_of(obj: Any) -> str:
    # What `--format yaml` writes: to_json order at the top, PyYAML's sorted keys inside.
    yaml = pytest.importorskip('yaml')

    class Dumper(yaml.SafeDumper):
        pass
    Dumper.add_representer(DaemonDescription, DaemonDescription.yaml_representer)
    Dumper.add_representer(ServiceDescription, ServiceDescription.yaml_representer)
    return yaml.dump(obj, Dumper=Dumper, default_flow_style=False)


# --------------------------------------------------------------------------- time format

def test_dates_are_written_in_utc_with_microseconds_and_z() -> None:
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    assert datetime_to_str(datetime.datetime(2019, 4, 24, 19, 6, 53, 39991, tzinfo=plus_two)) \
        == '2019-04-24T17:06:53.039991Z'


@pytest.mark.parametrize('text, expected', [
    ('2020-03-03T09:21:43.636153304Z', datetime.datetime(2020, 3, 3, 9, 21, 43, 636153, tzinfo=UTC)),
    ('2020-03-03T15:52:30.136257504-0600',
     datetime.datetime(2020, 3, 3, 21, 52, 30, 136257, tzinfo=UTC)),
    ('2020-03-03T15:52:30.136257504', datetime.datetime(2020, 3, 3, 15, 52, 30, 136257, tzinfo=UTC)),
])
def test_dates_from_container_runtimes_are_read_as_aware_utc(text: str,
                                                            expected: datetime.datetime) -> None:
    parsed = str_to_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is not None


@given(st.datetimes(min_value=datetime.datetime(1000, 1, 2), max_value=datetime.datetime(9999, 12, 30),
                    timezones=st.sampled_from([UTC, datetime.timezone(datetime.timedelta(hours=-6))])))
def test_any_date_is_written_as_strftime_would_and_read_back(dt: datetime.datetime) -> None:
    text = datetime_to_str(dt)
    assert text == dt.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')
    assert str_to_datetime(text) == dt


def test_an_unreadable_date_is_a_value_error() -> None:
    with pytest.raises(ValueError, match='does not match'):
        str_to_datetime('yesterday')


# --------------------------------------------------------------------------- daemon status

def test_daemon_status_values_are_cephs() -> None:
    assert {s.name: s.value for s in DaemonDescriptionStatus} == {
        'unknown': -2, 'error': -1, 'stopped': 0, 'running': 1, 'starting': 2}


def test_daemon_status_text_is_the_lowercase_name_and_none_is_unknown() -> None:
    assert [DaemonDescriptionStatus.to_str(s) for s in DaemonDescriptionStatus] == [
        'unknown', 'error', 'stopped', 'running', 'starting']
    assert DaemonDescriptionStatus.to_str(None) == 'unknown'


# --------------------------------------------------------------------------- DaemonDescription

def test_daemon_description_round_trips_and_reads_status_numbers() -> None:
    dd = _roundtrip({'hostname': 'test', 'daemon_type': 'mon', 'daemon_id': 'a', 'status': -1},
                    DaemonDescription)
    assert dd.status == DaemonDescriptionStatus.error


def test_daemon_description_with_an_unknown_key_is_a_validation_error() -> None:
    with pytest.raises(OrchestratorValidationError, match='^DaemonDescription: '):
        DaemonDescription.from_json({'hostname': 'test', 'daemon_type': 'mon', 'daemon_id': 'a',
                                     'abc': False})


def test_daemon_json_has_cephs_keys_in_cephs_order() -> None:
    dd = DaemonDescription(
        daemon_type='osd', daemon_id='3', hostname='node1', container_id='c0ffee',
        container_image_id='img', container_image_name='quay.io/ceph/ceph:v19',
        container_image_digests=['quay.io/ceph/ceph@sha256:abc'], version='19.2.0',
        status=DaemonDescriptionStatus.running, status_desc='running', last_refresh=T0,
        created=T0, started=T0, last_configured=T0, osdspec_affinity='hdd', last_deployed=T0,
        events=[OrchestratorEvent(T0, 'daemon', 'osd.3', 'INFO', 'Deployed osd.3')],
        is_active=False, memory_usage=1024, memory_request=2048, memory_limit=4096,
        cpu_percentage='1.5%', service_name='osd.hdd', ports=[6800], ip='10.0.0.1',
        rank=0, rank_generation=1)
    assert list(dd.to_json()) == [
        'daemon_type', 'daemon_id', 'service_name', 'daemon_name', 'hostname', 'container_id',
        'container_image_id', 'container_image_name', 'container_image_digests', 'memory_usage',
        'memory_request', 'memory_limit', 'cpu_percentage', 'version', 'status', 'status_desc',
        'osdspec_affinity', 'is_active', 'ports', 'ip', 'rank', 'rank_generation',
        'last_refresh', 'created', 'started', 'last_deployed', 'last_configured', 'events']
    assert dd.to_json()['status'] == 1
    assert dd.to_json()['last_refresh'] == '2020-06-10T10:08:22.933241Z'
    assert dd.to_json()['events'] == ['2020-06-10T10:08:22.933241Z daemon:osd.3 [INFO] "Deployed osd.3"']
    assert DaemonDescription.from_json(json.loads(json.dumps(dd.to_json()))) == dd


def test_daemon_json_drops_unset_fields_and_osdspec_affinity_of_non_osds() -> None:
    dd = DaemonDescription(daemon_type='mgr', daemon_id='node1.abcdef', hostname='node1',
                           osdspec_affinity='ignored')
    assert dd.to_json() == {'daemon_type': 'mgr', 'daemon_id': 'node1.abcdef',
                            'daemon_name': 'mgr.node1.abcdef', 'hostname': 'node1',
                            'is_active': False}


def test_daemon_yaml_matches_cephs_output() -> None:
    # Ceph's test_yaml, daemon half
    y = """daemon_type: crash
daemon_id: ubuntu
daemon_name: crash.ubuntu
hostname: ubuntu
status: 1
status_desc: starting
is_active: false
events:
- 2020-06-10T10:08:22.933241Z daemon:crash.ubuntu [INFO] "Deployed crash.ubuntu on
  host 'ubuntu'"
"""
    yaml = pytest.importorskip('yaml')
    dd = DaemonDescription.from_json(yaml.safe_load(y))
    assert _yaml_of(dd) == y
    assert _yaml_of(DaemonDescription.from_json(json.loads(json.dumps(dd.to_json())))) == y


def test_setting_a_daemon_status_updates_its_description() -> None:
    dd = DaemonDescription(daemon_type='mon', daemon_id='a', hostname='node1')
    assert dd.status is None and dd.status_desc is None
    dd.status = DaemonDescriptionStatus.stopped
    assert (dd.status, dd.status_desc) == (DaemonDescriptionStatus.stopped, 'stopped')
    assert str(dd) == 'mon.a in status stopped on node1'
    assert repr(dd) == '<DaemonDescription>(mon.a)'


def test_an_old_numeric_osd_service_name_is_ignored() -> None:
    dd = DaemonDescription.from_json({'daemon_type': 'osd', 'daemon_id': '3', 'hostname': 'node1',
                                      'service_name': 'osd.3', 'osdspec_affinity': 'hdd'})
    # as in Ceph, the OSD's spec comes back through service_id(), not service_name()
    assert (dd.service_name(), dd.service_id()) == ('osd', 'hdd')
    assert 'service_name' not in dd.to_json()


@pytest.mark.parametrize('daemon_type, daemon_id, hostname, service_name', [
    ('mon', 'node1', 'node1', 'mon'),
    ('mgr', 'node1.xyzabc', 'node1.example.com', 'mgr'),
    ('crash', 'node1', 'node1', 'crash'),
    ('mds', 'cephfs.node1.abcdef', 'node1', 'mds.cephfs'),
    ('mds', 'cephfs.abcdef', 'node1', 'mds.cephfs.abcdef'),
    ('rgw', 'realm.zone.node1.abcdef', 'node1.example.com', 'rgw.realm.zone'),
    ('rgw', 'realm.zone.abcdef', 'other', 'rgw.realm.zone'),
    ('nfs', 'foo.0.1.node1.abcdef', 'node1', 'nfs.foo.0.1'),
    ('haproxy', 'rgw.foo.node1.abcdef', 'node1', 'ingress.rgw.foo'),
    ('keepalived', 'rgw.foo.node1.abcdef', 'node1', 'ingress.rgw.foo'),
    ('iscsi', 'gw.pool.abcdef', 'other', 'iscsi.gw.pool'),
    ('osd', '3', 'node1', 'osd'),
])
def test_service_name_is_recovered_from_the_daemon_id(daemon_type: str, daemon_id: str,
                                                      hostname: str, service_name: str) -> None:
    pytest.importorskip('ceph_orch_cli.deployment.service_spec')
    dd = DaemonDescription(daemon_type=daemon_type, daemon_id=daemon_id, hostname=hostname)
    assert dd.service_name() == service_name


def test_a_daemon_id_with_the_host_glued_on_cannot_name_its_service() -> None:
    pytest.importorskip('ceph_orch_cli.deployment.service_spec')
    dd = DaemonDescription(daemon_type='mds', daemon_id='cephfsnode1', hostname='node1')
    with pytest.raises(OrchestratorError, match='Cannot calculate service_id'):
        dd.service_name()


def test_a_stored_service_name_wins_over_the_daemon_id() -> None:
    dd = DaemonDescription(daemon_type='rgw', daemon_id='a.b.node1.xyz', hostname='node1',
                           service_name='rgw.myrgw')
    assert (dd.service_name(), dd.service_id()) == ('rgw.myrgw', 'myrgw')


def test_matches_service_compares_by_daemon_name_prefix() -> None:
    dd = DaemonDescription(daemon_type='haproxy', daemon_id='rgw.foo.node1.abc', hostname='node1')
    assert dd.matches_service('ingress.rgw.foo')
    assert not dd.matches_service('ingress.rgw.fo')
    assert not dd.matches_service(None)


def test_port_summary_shows_ip_or_star() -> None:
    assert DaemonDescription(daemon_type='rgw', daemon_id='x', ports=[80, 443],
                             ip='10.0.0.1').get_port_summary() == '10.0.0.1:80,443'
    assert DaemonDescription(daemon_type='rgw', daemon_id='x', ports=[80]).get_port_summary() == '*:80'
    assert DaemonDescription(daemon_type='rgw', daemon_id='x').get_port_summary() == ''


def test_image_matching_for_upgrades() -> None:
    dd = DaemonDescription(daemon_type='mon', daemon_id='a', container_image_name='quay.io/ceph/ceph:v19',
                           container_image_digests=['sha256:1', 'sha256:2'])
    assert dd.matches_digests(['sha256:2'])
    assert not dd.matches_digests([])
    assert dd.matches_image_name('quay.io/ceph/ceph:v19')
    assert not dd.matches_image_name('quay.io/ceph/ceph:v18')


def test_copying_a_daemon_description_gives_an_equal_independent_one() -> None:
    dd = DaemonDescription(daemon_type='mon', daemon_id='a', hostname='node1',
                           status=DaemonDescriptionStatus.running, last_refresh=T0)
    twin = copy.copy(dd)
    assert twin == dd and twin is not dd
    twin.status = DaemonDescriptionStatus.stopped
    assert twin != dd
    assert hash(twin) == hash(dd)  # hashed by identity fields: still the same daemon


def test_pending_config_and_systemd_unit_are_reported_only_when_set() -> None:
    dd = DaemonDescription(daemon_type='mon', daemon_id='a', hostname='node1')
    assert 'pending_daemon_config' not in dd.to_json() and 'systemd_unit' not in dd.to_json()
    dd = DaemonDescription(daemon_type='mon', daemon_id='a', hostname='node1',
                           systemd_unit='ceph-fsid@mon.a', pending_daemon_config=True)
    assert DaemonDescription.from_json(dd.to_json()).pending_daemon_config is True
    assert dd.to_json()['systemd_unit'] == 'ceph-fsid@mon.a'


# --------------------------------------------------------------------------- ServiceDescription

SERVICE_YAML = """service_type: crash
service_name: crash
placement:
  host_pattern: '*'
status:
  container_image_id: 74803e884bea289d2d2d3ebdf6d37cd560499e955595695b1390a89800f4e37a
  container_image_name: docker.io/ceph/daemon-base:latest-master-devel
  created: '2020-06-10T10:37:31.051288Z'
  last_refresh: '2020-06-10T10:57:40.715637Z'
  running: 1
  size: 1
events:
- 2020-06-10T10:37:31.139159Z service:crash [INFO] "service was created"
"""


def test_service_yaml_matches_cephs_output() -> None:
    # Ceph's test_yaml, service half
    pytest.importorskip('ceph_orch_cli.deployment.service_spec')
    yaml = pytest.importorskip('yaml')
    sd = ServiceDescription.from_json(yaml.safe_load(SERVICE_YAML))
    assert _yaml_of(sd) == SERVICE_YAML
    assert _yaml_of(ServiceDescription.from_json(json.loads(json.dumps(sd.to_json())))) == SERVICE_YAML


def test_service_json_is_the_spec_plus_status_plus_events() -> None:
    service_spec = pytest.importorskip('ceph_orch_cli.deployment.service_spec')
    spec = service_spec.ServiceSpec.from_json({'service_type': 'rgw', 'service_id': 'foo',
                                               'placement': {'count': 2}})
    sd = ServiceDescription(spec, container_image_name='quay.io/ceph/ceph:v19', size=2, running=1,
                            last_refresh=T0, created=T0, virtual_ip='10.0.0.100/24',
                            ports=[443, 80],
                            events=[OrchestratorEvent(T0, 'service', 'rgw.foo', 'INFO', 'ok')])
    out = sd.to_json()
    spec_json = spec.to_json()
    assert list(out) == list(spec_json) + ['status', 'events']
    assert {k: out[k] for k in spec_json} == spec_json
    assert out['status'] == {
        'container_image_name': 'quay.io/ceph/ceph:v19', 'size': 2, 'running': 1,
        'last_refresh': '2020-06-10T10:08:22.933241Z', 'created': '2020-06-10T10:08:22.933241Z',
        'virtual_ip': '10.0.0.100/24', 'ports': [443, 80]}
    assert out['events'] == ['2020-06-10T10:08:22.933241Z service:rgw.foo [INFO] "ok"']
    assert sd.get_port_summary() == '10.0.0.100:80,443'
    assert ServiceDescription.from_json(out) == sd


def test_a_service_without_daemons_reports_size_and_running_zero() -> None:
    service_spec = pytest.importorskip('ceph_orch_cli.deployment.service_spec')
    sd = ServiceDescription(service_spec.ServiceSpec.from_json({'service_type': 'osd',
                                                                'service_id': 'x',
                                                                'placement': {'host_pattern': '*'},
                                                                'spec': {'data_devices': {'all': True}}}))
    assert sd.to_json()['status'] == {'size': 0, 'running': 0}
    assert 'events' not in sd.to_json()
    assert sd.get_port_summary() == ''
    assert sd.service_type() == 'osd'
    assert repr(sd).startswith('<ServiceDescription of <')


# --------------------------------------------------------------------------- upgrade status

def test_upgrade_status_json_has_cephs_keys_and_defaults() -> None:
    status = UpgradeStatusSpec()
    assert list(status.to_json().items()) == [
        ('in_progress', False), ('target_image', None), ('which', '<unknown>'),
        ('services_complete', []), ('progress', None), ('message', ''), ('is_paused', False)]


# --------------------------------------------------------------------------- inventory

INVENTORY = {
    'name': 'host0',
    'addr': '1.2.3.4',
    'devices': [{'sys_api': {'rotational': '1', 'size': 1024}, 'path': '/dev/sda',
                 'available': False, 'rejected_reasons': [], 'lvs': []}],
}


def test_inventory_host_round_trips() -> None:
    host = _roundtrip(INVENTORY, InventoryHost)
    assert list(host.to_json()) == ['name', 'addr', 'devices', 'labels']
    assert (host.name, host.addr, host.labels) == ('host0', '1.2.3.4', [])
    assert [d.path for d in host.devices] == ['/dev/sda']
    assert InventoryHost.from_json(host.to_json()) == host


def test_inventory_host_with_an_unknown_key_is_rejected() -> None:
    with pytest.raises(OrchestratorValidationError, match='Unknown key'):
        InventoryHost.from_json(dict(INVENTORY, abc=False))


@pytest.mark.parametrize('data', [{}, {'name': 'host0', 'addr': '1.2.3.4'}, {'devices': []}])
def test_inventory_host_needs_a_name_and_devices(data: Dict[str, Any]) -> None:
    with pytest.raises(OrchestratorValidationError, match='is required for InventoryHost'):
        InventoryHost.from_json(data)


def test_inventory_host_address_defaults_to_its_name() -> None:
    assert InventoryHost('node1').addr == 'node1'
    assert InventoryHost.from_json({'name': 'node1', 'devices': []}).to_json() == {
        'name': 'node1', 'addr': 'node1', 'devices': [], 'labels': []}


def test_inventory_host_refuses_devices_of_the_wrong_type() -> None:
    with pytest.raises(OrchestratorValidationError):
        InventoryHost('node1', devices=[])  # type: ignore[arg-type]


def test_inventory_filter_and_light_location_hold_what_they_are_given() -> None:
    f = InventoryFilter(labels=['osd'], hosts=['node1'])
    assert (f.labels, f.hosts) == (['osd'], ['node1'])
    assert (InventoryFilter().labels, InventoryFilter().hosts) == (None, None)
    loc = DeviceLightLoc('node1', 'ABC1234DEF567-1R1234_ABC8DE0Q', '/dev/sdb')
    assert (loc.host, loc.dev, loc.path) == ('node1', 'ABC1234DEF567-1R1234_ABC8DE0Q', '/dev/sdb')


# --------------------------------------------------------------------------- events

def test_event_json_is_one_readable_line() -> None:
    e = OrchestratorEvent.from_json(
        '''2020-06-10T10:20:25.691255 daemon:crash.ubuntu [INFO] "Deployed crash.ubuntu on host 'ubuntu'"''')
    assert e.to_json() == ('2020-06-10T10:20:25.691255Z daemon:crash.ubuntu [INFO] '
                           '"Deployed crash.ubuntu on host \'ubuntu\'"')
    assert (e.kind, e.subject, e.level) == ('daemon', 'crash.ubuntu', 'INFO')


def test_event_with_a_multiline_message_round_trips() -> None:
    e = OrchestratorEvent(T0, 'service', 'subject', 'ERROR', 'multiline\nmessage')
    assert OrchestratorEvent.from_json(e.to_json()) == e


def test_event_kind_and_level_are_checked() -> None:
    with pytest.raises(OrchestratorValidationError):
        OrchestratorEvent(T0, 'host', 'node1', 'INFO', 'x')
    with pytest.raises(OrchestratorValidationError):
        OrchestratorEvent(T0, 'daemon', 'mon.a', 'DEBUG', 'x')
    with pytest.raises(ValueError, match='Unable to match'):
        OrchestratorEvent.from_json('not an event')


def test_event_dict_form_for_dashboards() -> None:
    e = OrchestratorEvent(T0, 'daemon', 'mon.a', 'ERROR', 'failed')
    assert e.to_dict() == {'created': '2020-06-10T10:08:22.933241Z', 'subject': 'daemon:mon.a',
                           'level': 'ERROR', 'message': 'failed'}
    assert repr(e) == f'OrchestratorEvent.from_json({e.to_json()!r})'


@given(kind=st.sampled_from(['service', 'daemon']),
       subject=st.from_regex(r'[a-z][a-z0-9.-]{0,20}', fullmatch=True),
       level=st.sampled_from(['INFO', 'ERROR']),
       message=st.text(st.characters(blacklist_categories=['Cs']), max_size=60),
       created=st.datetimes(min_value=datetime.datetime(2000, 1, 1),
                            max_value=datetime.datetime(2100, 1, 1),
                            timezones=st.just(UTC)))
def test_any_event_survives_its_json_form(kind: str, subject: str, level: str, message: str,
                                          created: datetime.datetime) -> None:
    e = OrchestratorEvent(created, kind, subject, level, message)
    back = OrchestratorEvent.from_json(e.to_json())
    assert back == e and back.level == level


# --------------------------------------------------------------------------- daemon/service types

@pytest.mark.parametrize('daemon_type, service_type', [
    ('haproxy', 'ingress'), ('keepalived', 'ingress'), ('crashcollector', 'crash'),
    ('mon', 'mon'), ('node-exporter', 'node-exporter'), ('nvmeof', 'nvmeof'), ('smb', 'smb'),
])
def test_daemon_types_map_to_their_service(daemon_type: str, service_type: str) -> None:
    assert daemon_type_to_service(daemon_type) == service_type


def test_service_types_map_to_their_daemon_types() -> None:
    assert service_to_daemon_types('ingress') == ['haproxy', 'keepalived']
    assert service_to_daemon_types('jaeger-tracing') == [
        'elasticsearch', 'jaeger-query', 'jaeger-collector', 'jaeger-agent']
    assert service_to_daemon_types('rgw') == ['rgw']


def test_unknown_types_are_key_errors() -> None:
    with pytest.raises(KeyError):
        daemon_type_to_service('frobnicator')
    with pytest.raises(KeyError):
        service_to_daemon_types('frobnicator')


def test_known_daemon_types_cover_every_known_service_type() -> None:
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    from ceph_orch_cli.orchestrator import KNOWN_DAEMON_TYPES
    assert {'haproxy', 'keepalived', 'mon', 'osd', 'node-exporter'} <= set(KNOWN_DAEMON_TYPES)
    assert {daemon_type_to_service(d) for d in KNOWN_DAEMON_TYPES} == \
        set(ServiceSpec.KNOWN_SERVICE_TYPES) - {'jaeger-tracing'}


# --------------------------------------------------------------------------- constructors as the seed lists them

def _params(cls: Any) -> str:
    import inspect
    return ', '.join(p.name if p.default is inspect.Parameter.empty else f'{p.name}={p.default!r}'
                     for p in inspect.signature(cls).parameters.values())


def test_constructors_take_the_seeds_arguments_in_the_seeds_order() -> None:
    assert _params(DaemonDescription) == (
        'daemon_type=None, daemon_id=None, hostname=None, container_id=None, '
        'container_image_id=None, container_image_name=None, container_image_digests=None, '
        'version=None, status=None, status_desc=None, last_refresh=None, created=None, '
        'started=None, last_configured=None, osdspec_affinity=None, last_deployed=None, '
        'events=None, is_active=False, memory_usage=None, memory_request=None, '
        'memory_limit=None, cpu_percentage=None, service_name=None, ports=None, ip=None, '
        'deployed_by=None, systemd_unit=None, rank=None, rank_generation=None, '
        'extra_container_args=None, extra_entrypoint_args=None, pending_daemon_config=False')
    # the seed's `ports=[]` default is taken as None here (no shared mutable default)
    assert _params(ServiceDescription) == (
        'spec, container_image_id=None, container_image_name=None, service_url=None, '
        'last_refresh=None, created=None, deleted=None, size=0, running=0, events=None, '
        'virtual_ip=None, ports=None')
    assert _params(InventoryFilter) == 'labels=None, hosts=None'
    assert DeviceLightLoc._fields == ('host', 'dev', 'path')
