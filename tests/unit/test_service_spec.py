"""Service specs and placements behave as Ceph's (cases ported from Ceph's
test_service_spec.py, plus the documented examples of the service pages)."""
import re

import pytest
import yaml

from ceph_orch_cli.deployment.hostspec import HostSpec, SpecValidationError
from ceph_orch_cli.deployment.loader import dump_specs
from ceph_orch_cli.deployment.service_spec import (
    AlertManagerSpec, ArgumentSpec, CephExporterSpec, CustomConfig, CustomContainerSpec,
    GrafanaSpec, HostPattern, HostPlacementSpec, IngressSpec, IscsiServiceSpec, MDSSpec,
    MgmtGatewaySpec, MONSpec, MonitoringSpec, NFSServiceSpec, NodeProxySpec,
    NvmeofServiceSpec, OAuth2ProxySpec, PatternType, PlacementSpec, PrometheusSpec, RGWSpec,
    ServiceSpec, SMBSpec, SNMPGatewaySpec, TracingSpec, allow_colo,
    service_spec_allow_invalid_from_json)
from ceph_orch_cli.deployment.tuned_profile import TunedProfileSpec


# ----------------------------------------------------------------- host placement specs

@pytest.mark.parametrize('text,expected,require_network', [
    ('myhost', ('myhost', '', ''), False),
    ('myhost=sname', ('myhost', '', 'sname'), False),
    ('myhost:10.1.1.10', ('myhost', '10.1.1.10', ''), True),
    ('myhost:10.1.1.10=sname', ('myhost', '10.1.1.10', 'sname'), True),
    ('myhost:10.1.1.0/32', ('myhost', '10.1.1.0/32', ''), True),
    ('myhost:10.1.1.0/32=sname', ('myhost', '10.1.1.0/32', 'sname'), True),
    ('myhost:[v1:10.1.1.10:6789]', ('myhost', '[v1:10.1.1.10:6789]', ''), True),
    ('myhost:[v1:10.1.1.10:6789]=sname', ('myhost', '[v1:10.1.1.10:6789]', 'sname'), True),
    ('myhost:[v1:10.1.1.10:6789,v2:10.1.1.11:3000]',
     ('myhost', '[v1:10.1.1.10:6789,v2:10.1.1.11:3000]', ''), True),
    ('myhost:[v1:10.1.1.10:6789,v2:10.1.1.11:3000]=sname',
     ('myhost', '[v1:10.1.1.10:6789,v2:10.1.1.11:3000]', 'sname'), True),
    ('myhost:2001:db8::1', ('myhost', '2001:db8::1', ''), True),
    ('myhost:[2001:db8::1]=a', ('myhost', '[2001:db8::1]', 'a'), True),
    ('myhost:2001:db8::/64', ('myhost', '2001:db8::/64', ''), True),
])
def test_parse_host_placement_specs(text, expected, require_network):
    ret = HostPlacementSpec.parse(text, require_network=require_network)
    assert ret == expected
    assert str(ret) == text
    ps = PlacementSpec.from_string(text)
    assert ps.pretty_str() == text
    assert ps == PlacementSpec.from_string(ps.pretty_str())
    # the old verbose JSON form
    assert ret == HostPlacementSpec.from_json(
        {'hostname': ret.hostname, 'network': ret.network, 'name': ret.name})
    assert ret == HostPlacementSpec.from_json(ret.to_json())


@pytest.mark.parametrize('text', ['myhost:1.1.1.1/24', 'myhost:1'])
def test_host_placement_with_a_bad_network_is_a_spec_error(text):
    """Ceph raises ValueError (an internal error at the CLI); here the spec's error."""
    from ceph_orch_cli.deployment.hostspec import SpecValidationError
    with pytest.raises(SpecValidationError, match='Invalid network'):
        HostPlacementSpec.parse(text)


# ------------------------------------------------------------------ placement strings

@pytest.mark.parametrize('text,expected', [
    ('', 'PlacementSpec()'),
    ('count:2', 'PlacementSpec(count=2)'),
    ('3', 'PlacementSpec(count=3)'),
    ('host1 host2', "PlacementSpec(hosts=[HostPlacementSpec(hostname='host1', network='', name=''), HostPlacementSpec(hostname='host2', network='', name='')])"),  # noqa: E501
    ('host1;host2', "PlacementSpec(hosts=[HostPlacementSpec(hostname='host1', network='', name=''), HostPlacementSpec(hostname='host2', network='', name='')])"),  # noqa: E501
    ('host1,host2', "PlacementSpec(hosts=[HostPlacementSpec(hostname='host1', network='', name=''), HostPlacementSpec(hostname='host2', network='', name='')])"),  # noqa: E501
    ('host1 host2=b', "PlacementSpec(hosts=[HostPlacementSpec(hostname='host1', network='', name=''), HostPlacementSpec(hostname='host2', network='', name='b')])"),  # noqa: E501
    ('host1=a host2=b', "PlacementSpec(hosts=[HostPlacementSpec(hostname='host1', network='', name='a'), HostPlacementSpec(hostname='host2', network='', name='b')])"),  # noqa: E501
    ('host1:1.2.3.4=a host2:1.2.3.5=b', "PlacementSpec(hosts=[HostPlacementSpec(hostname='host1', network='1.2.3.4', name='a'), HostPlacementSpec(hostname='host2', network='1.2.3.5', name='b')])"),  # noqa: E501
    ('myhost:[v1:10.1.1.10:6789]', "PlacementSpec(hosts=[HostPlacementSpec(hostname='myhost', network='[v1:10.1.1.10:6789]', name='')])"),  # noqa: E501
    ('2 host1 host2', "PlacementSpec(count=2, hosts=[HostPlacementSpec(hostname='host1', network='', name=''), HostPlacementSpec(hostname='host2', network='', name='')])"),  # noqa: E501
    ('label:foo', "PlacementSpec(label='foo')"),
    ('3 label:foo', "PlacementSpec(count=3, label='foo')"),
    ('*', "PlacementSpec(host_pattern=HostPattern(pattern='*', pattern_type=PatternType.fnmatch))"),
    ('3 data[1-3]', "PlacementSpec(count=3, host_pattern=HostPattern(pattern='data[1-3]', pattern_type=PatternType.fnmatch))"),  # noqa: E501
    ('3 data?', "PlacementSpec(count=3, host_pattern=HostPattern(pattern='data?', pattern_type=PatternType.fnmatch))"),  # noqa: E501
    ('3 data*', "PlacementSpec(count=3, host_pattern=HostPattern(pattern='data*', pattern_type=PatternType.fnmatch))"),  # noqa: E501
    ('count-per-host:4 label:foo', "PlacementSpec(count_per_host=4, label='foo')"),
    ('regex:Foo[0-9]|Bar[0-9]', "PlacementSpec(host_pattern=HostPattern(pattern='Foo[0-9]|Bar[0-9]', pattern_type=PatternType.regex))"),  # noqa: E501
    ('3 regex:Foo[0-9]|Bar[0-9]', "PlacementSpec(count=3, host_pattern=HostPattern(pattern='Foo[0-9]|Bar[0-9]', pattern_type=PatternType.regex))"),  # noqa: E501
])
def test_parse_placement_specs(text, expected):
    ret = PlacementSpec.from_string(text)
    assert str(ret) == expected
    assert PlacementSpec.from_string(ret.pretty_str()) == ret


@pytest.mark.parametrize('text', [
    'host=a host*',
    'host=a label:wrong',
    'host? host*',
    'host? regex:host*',
    'regex:host? host*',
    'regex:host? regex:host*',
    'host=a count-per-host:0',
    'host=a count-per-host:-10',
    'count:2 count-per-host:1',
    'host1=a host2=b count-per-host:2',
    'host1:10/8 count-per-host:2',
    'count-per-host:2',
    'label:a label:b',
])
def test_parse_placement_specs_raises(text):
    with pytest.raises(SpecValidationError):
        PlacementSpec.from_string(text)


@pytest.mark.parametrize('text,message', [
    ('host=a label:wrong', 'Host and label are mutually exclusive'),
    ('host? host*', "more than one host pattern provided: ['host?', 'host*']"),
    ('label:a label:b', "more than one label provided: ['label:a', 'label:b']"),
    ('count:2 count-per-host:1 label:foo', 'cannot combine count and count-per-host'),
    ('count-per-host:2', 'count-per-host must be combined with label or hosts or host_pattern'),
    ('host1=a host2=b count-per-host:2',
     'count-per-host cannot be combined explicit placement with names or networks'),
    ('host=a host*', 'cannot combine host patterns and hosts'),
    ('0', 'num/count must be >= 1'),
])
def test_placement_errors_use_ceph_messages(text, message):
    with pytest.raises(SpecValidationError) as e:
        PlacementSpec.from_string(text)
    assert str(e.value) == message


@pytest.mark.parametrize('p,hosts,size', [
    (PlacementSpec(count=3), ['host1', 'host2', 'host3', 'host4', 'host5'], 3),
    (PlacementSpec(host_pattern='*'), ['host1', 'host2', 'host3', 'host4', 'host5'], 5),
    (PlacementSpec(count_per_host=2, host_pattern='*'),
     ['host1', 'host2', 'host3', 'host4', 'host5'], 10),
    (PlacementSpec(host_pattern='foo*'), ['foo1', 'foo2', 'bar1', 'bar2'], 2),
    (PlacementSpec(count_per_host=2, host_pattern='foo*'), ['foo1', 'foo2', 'bar1', 'bar2'], 4),
])
def test_placement_target_size(p, hosts, size):
    assert p.get_target_count([HostSpec(n) for n in hosts]) == size


def test_filter_matching_hostspecs():
    hosts = [HostSpec('host1', labels=['mon']), HostSpec('host2', labels=['mon', 'rgw']),
             HostSpec('data1'), HostSpec('Data2')]
    assert PlacementSpec(label='mon').filter_matching_hostspecs(hosts) == ['host1', 'host2']
    assert PlacementSpec(hosts=['host2', 'nothere']).filter_matching_hostspecs(hosts) == ['host2']
    assert PlacementSpec(host_pattern='data*').filter_matching_hostspecs(hosts) == ['data1']
    assert PlacementSpec.from_string('regex:[dD]ata[0-9]').filter_matching_hostspecs(hosts) == \
        ['data1', 'Data2']
    assert PlacementSpec(count=2).filter_matching_hostspecs(hosts) == \
        ['host1', 'host2', 'data1', 'Data2']


def test_host_pattern_json_forms():
    assert HostPattern.from_json('foo*') == HostPattern('foo*')
    assert HostPattern('foo*').to_json() == 'foo*'
    rx = HostPattern.from_json({'pattern': 'Foo[0-9]|Bar[0-9]', 'pattern_type': 'regex'})
    assert rx.pattern_type == PatternType.regex
    assert rx.to_json() == {'pattern': 'Foo[0-9]|Bar[0-9]', 'pattern_type': 'regex'}
    assert rx.filter_hosts(['Foo1', 'Bar2', 'Baz3']) == ['Foo1', 'Bar2']
    assert HostPattern.from_json({'pattern': 'x'}) == 'x'  # compares like its plain form
    with pytest.raises(SpecValidationError, match='no pattern field'):
        HostPattern.from_json({'pattern_type': 'regex'})
    with pytest.raises(SpecValidationError, match='unknown pattern type'):
        HostPattern.from_json({'pattern': 'x', 'pattern_type': 'glob'})
    with pytest.raises(SpecValidationError, match='Cannot convert'):
        PlacementSpec(host_pattern=5)  # type: ignore[arg-type]


def test_placement_json_round_trip_and_key_names():
    ps = PlacementSpec.from_json({'count': 2, 'label': 'mon'})
    assert ps.to_json() == {'label': 'mon', 'count': 2}
    assert PlacementSpec.from_json({'hosts': ['a:10.0.0.1=x', 'b']}).hosts[0] == \
        HostPlacementSpec('a', '10.0.0.1', 'x')
    rx = PlacementSpec.from_json({'host_pattern': {'pattern': 'a.*', 'pattern_type': 'regex'}})
    assert PlacementSpec.from_json(rx.to_json()) == rx
    with pytest.raises(SpecValidationError, match="^PlacementSpec: unknown field 'cont'"):
        PlacementSpec.from_json({'cont': 2})


def test_placement_is_empty():
    assert PlacementSpec().is_empty()
    assert not PlacementSpec(count=1).is_empty()


# -------------------------------------------------------------------- service specs

def _get_dict_spec(s_type, s_id):
    spec = {'service_id': s_id, 'service_type': s_type,
            'placement': dict(hosts=['host1:1.1.1.1'])}
    if s_type == 'iscsi':
        spec.update(pool='pool', api_user='api_user', api_password='api_password')
    elif s_type == 'osd':
        spec['spec'] = {'data_devices': {'all': True}}
    elif s_type == 'rgw':
        spec.update(rgw_realm='realm', rgw_zone='zone')
    return spec


@pytest.mark.parametrize('s_type,o_spec,s_id', [
    ('mgr', ServiceSpec, 'test'),
    ('mon', ServiceSpec, 'test'),
    ('mds', ServiceSpec, 'test'),
    ('rgw', RGWSpec, 'realm.zone'),
    ('nfs', NFSServiceSpec, 'test'),
    ('iscsi', IscsiServiceSpec, 'test'),
])
def test_servicespec_map_test(s_type, o_spec, s_id):
    spec = ServiceSpec.from_json(_get_dict_spec(s_type, s_id))
    assert isinstance(spec, o_spec)
    assert isinstance(spec.placement, PlacementSpec)
    assert spec.placement.hosts[0] == HostPlacementSpec('host1', '1.1.1.1', '')
    assert spec.validate() is None
    assert ServiceSpec.from_json(spec.to_json()) == spec


def test_osd_specs_come_from_drive_group():
    drive_group = pytest.importorskip('ceph_orch_cli.deployment.drive_group')
    spec = ServiceSpec.from_json(_get_dict_spec('osd', 'test'))
    assert isinstance(spec, drive_group.DriveGroupSpec)
    assert spec.service_name() == 'osd.test'
    dg = ServiceSpec.from_json({'placement': {'host_pattern': '*'},
                                'service_id': 'all-available-devices',
                                'service_name': 'osd.all-available-devices',
                                'service_type': 'osd',
                                'spec': {'data_devices': {'all': True}, 'filter_logic': 'AND',
                                         'objectstore': 'bluestore'},
                                'unmanaged': True})
    assert dg.unmanaged is True


@pytest.mark.parametrize('realm,zone,frontend_type,message', [
    ('realm', 'zone1', 'beast', None),
    ('realm', 'zone2', 'civetweb', None),
    ('realm', None, 'beast', 'Cannot add RGW: Realm specified but no zone specified'),
    (None, 'zone1', 'beast', 'Cannot add RGW: Zone specified but no realm specified'),
    ('realm', 'zone', 'invalid-beast', '^Invalid rgw_frontend_type value'),
])
def test_rgw_realm_and_zone_go_together(realm, zone, frontend_type, message):
    spec = RGWSpec(service_id='foo', rgw_realm=realm, rgw_zone=zone,
                   rgw_frontend_type=frontend_type)
    if message:
        with pytest.raises(SpecValidationError, match=message):
            spec.validate()
    else:
        spec.validate()


def test_rgw_ports_and_octopus_service_id():
    assert RGWSpec(service_id='a').get_port_start() == [80]
    assert RGWSpec(service_id='a', ssl=True).get_port_start() == [443]
    assert RGWSpec(service_id='a', rgw_frontend_port=8080).get_port_start() == [8080]
    assert RGWSpec(rgw_realm='r', rgw_zone='z').service_id == 'r.z'
    assert allow_colo('rgw') and allow_colo('mds') and not allow_colo('mon')


def test_node_proxy_unmanaged():
    spec = ServiceSpec.from_json({'placement': {'host_pattern': '*'},
                                  'service_name': 'node-proxy', 'service_type': 'node-proxy',
                                  'unmanaged': True})
    assert isinstance(spec, NodeProxySpec)
    assert spec.unmanaged is True
    assert ServiceSpec.from_json(spec.to_json()) == spec


# Ceph's export expectations: from_json(doc).to_json() == doc, and the YAML is the same text.
EXPORTED = """service_type: crash
service_name: crash
placement:
  host_pattern: '*'
---
service_type: crash
service_name: crash
placement:
  host_pattern: '*'
unmanaged: true
---
service_type: crash
service_name: crash
placement:
  host_pattern:
    pattern: Foo[0-9]|Bar[0-9]
    pattern_type: regex
---
service_type: rgw
service_id: default-rgw-realm.eu-central-1.1
service_name: rgw.default-rgw-realm.eu-central-1.1
placement:
  hosts:
  - ceph-001
networks:
- 10.0.0.0/8
- 192.168.0.0/16
spec:
  certificate_source: cephadm-signed
  rgw_exit_timeout_secs: 60
  rgw_frontend_type: civetweb
  rgw_realm: default-rgw-realm
  rgw_zone: eu-central-1
---
service_type: alertmanager
service_name: alertmanager
spec:
  certificate_source: cephadm-signed
  port: 1234
  ssl: true
  user_data:
    default_webhook_urls:
    - foo
---
service_type: grafana
service_name: grafana
spec:
  anonymous_access: true
  certificate_source: cephadm-signed
  port: 1234
  protocol: https
  ssl: true
---
service_type: grafana
service_name: grafana
spec:
  anonymous_access: true
  certificate_source: cephadm-signed
  initial_admin_password: secure
  port: 1234
  protocol: https
  ssl: true
---
service_type: ingress
service_id: rgw.foo
service_name: ingress.rgw.foo
placement:
  hosts:
  - host1
  - host2
  - host3
spec:
  backend_service: rgw.foo
  certificate_source: cephadm-signed
  first_virtual_router_id: 50
  frontend_port: 8080
  monitor_cert_source: reuse_service_cert
  monitor_port: 8081
  virtual_ip: 192.168.20.1/24
---
service_type: nfs
service_id: mynfs
service_name: nfs.mynfs
spec:
  idmap_conf:
    general:
      local-realms: domain.org
    mapping:
      nobody-group: nfsnobody
      nobody-user: nfsnobody
  port: 1234
---
service_type: iscsi
service_id: iscsi
service_name: iscsi.iscsi
networks:
- ::0/8
spec:
  api_password: admin
  api_port: 5000
  api_user: admin
  certificate_source: cephadm-signed
  pool: pool
  trusted_ip_list:
  - ::1
  - ::2
---
service_type: container
service_id: hello-world
service_name: container.hello-world
spec:
  args:
  - --foo
  bind_mounts:
  - - type=bind
    - source=lib/modules
    - destination=/lib/modules
    - ro=true
  dirs:
  - foo
  - bar
  entrypoint: /usr/bin/bash
  envs:
  - FOO=0815
  files:
    bar.conf:
    - foo
    - bar
    foo.conf: 'foo

      bar'
  gid: 2000
  image: docker.io/library/hello-world:latest
  ports:
  - 8080
  - 8443
  uid: 1000
  volume_mounts:
    foo: /foo
---
service_type: snmp-gateway
service_name: snmp-gateway
placement:
  count: 1
spec:
  credentials:
    snmp_community: public
  snmp_destination: 192.168.1.42:162
  snmp_version: V2c
---
service_type: snmp-gateway
service_name: snmp-gateway
placement:
  count: 1
spec:
  auth_protocol: MD5
  credentials:
    snmp_v3_auth_password: mypassword
    snmp_v3_auth_username: myuser
  engine_id: 8000C53F00000000
  port: 9464
  snmp_destination: 192.168.1.42:162
  snmp_version: V3
---
service_type: snmp-gateway
service_name: snmp-gateway
placement:
  count: 1
spec:
  credentials:
    snmp_v3_auth_password: mypassword
    snmp_v3_auth_username: myuser
    snmp_v3_priv_password: mysecret
  engine_id: 8000C53F00000000
  privacy_protocol: AES
  snmp_destination: 192.168.1.42:162
  snmp_version: V3
---
service_type: grafana
service_name: grafana
placement:
  count: 1
spec:
  anonymous_access: false
  certificate_source: cephadm-signed
  initial_admin_password: password
  protocol: https
  ssl: true
""".split('---\n')


@pytest.mark.parametrize('y', EXPORTED)
def test_export_matches_ceph(y):
    data = yaml.safe_load(y)
    obj = ServiceSpec.from_json(data)
    assert obj.to_json() == data
    assert dump_specs([obj]) == y
    assert dump_specs([ServiceSpec.from_json(obj.to_json())]) == y


def test_to_json_key_order_is_cephs():
    spec = ServiceSpec.from_json({
        'spec': {'rgw_frontend_port': 8080}, 'networks': ['10.0.0.0/8'], 'unmanaged': True,
        'placement': {'count': 1}, 'service_id': 'foo', 'service_type': 'rgw',
        'extra_container_args': ['--cpus 2'],
        'custom_configs': [{'content': 'x', 'mount_path': '/etc/x'}]})
    assert list(spec.to_json()) == ['service_type', 'service_id', 'service_name', 'placement',
                                    'unmanaged', 'networks', 'extra_container_args',
                                    'custom_configs', 'spec']


def test_alertmanager_spec():
    spec = AlertManagerSpec()
    assert spec.service_type == 'alertmanager'
    assert spec.user_data == {}
    assert spec.get_port_start() == [9093, 9094]
    assert AlertManagerSpec(user_data={'default_webhook_urls': ['foo']}).user_data == \
        {'default_webhook_urls': ['foo']}
    with pytest.raises(SpecValidationError,
                       match='Port 9094 is reserved for AlertManager cluster listen address'):
        AlertManagerSpec(port=9094).validate()


def test_monitoring_default_ports():
    assert [ServiceSpec(t).get_port_start() for t in
            ('prometheus', 'node-exporter', 'grafana', 'loki', 'promtail', 'alloy')] == \
        [[9095], [9100], [3000], [3100], [9080], [9080]]
    assert isinstance(ServiceSpec('alloy'), MonitoringSpec)
    assert CephExporterSpec().get_port_start() == [9926]


def test_repr():
    val = """ServiceSpec.from_json(yaml.safe_load('''service_type: crash
service_name: crash
placement:
  count: 42
'''))"""
    obj = ServiceSpec.from_json(yaml.safe_load(val.split("'''")[1]))
    assert obj.service_type == 'crash'
    assert repr(obj) == val


@pytest.mark.parametrize('spec1,spec2,eq', [
    (ServiceSpec(service_type='mon'), ServiceSpec(service_type='mon'), True),
    (ServiceSpec(service_type='mon'), ServiceSpec(service_type='mon', service_id='foo'), True),
    (ServiceSpec(service_type='rgw', service_id='foo'), RGWSpec(service_id='foo'), True),
    (ServiceSpec(service_type='rgw', service_id='foo'), RGWSpec(service_id='bar'), False),
    (ServiceSpec('crash'), ServiceSpec('crash', placement=PlacementSpec(count=1)), False),
])
def test_spec_eq(spec1, spec2, eq):
    assert (spec1 == spec2) is eq


def test_service_type_picks_the_class():
    assert type(ServiceSpec('rgw')) is type(RGWSpec('rgw'))
    for stype, cls in [('nfs', NFSServiceSpec), ('mds', MDSSpec), ('mon', MONSpec),
                       ('ingress', IngressSpec), ('grafana', GrafanaSpec),
                       ('prometheus', PrometheusSpec), ('node-exporter', MonitoringSpec),
                       ('ceph-exporter', CephExporterSpec), ('jaeger-agent', TracingSpec)]:
        assert ServiceSpec._cls(stype) is cls
    assert ServiceSpec._cls('crash') is ServiceSpec


@pytest.mark.parametrize('s_type,s_id,s_name', [
    ('mgr', 's_id', 'mgr'),
    ('mon', 's_id', 'mon'),
    ('mds', 's_id', 'mds.s_id'),
    ('rgw', 's_id', 'rgw.s_id'),
    ('nfs', 's_id', 'nfs.s_id'),
    ('iscsi', 's_id', 'iscsi.s_id'),
])
def test_service_name(s_type, s_id, s_name):
    spec = ServiceSpec.from_json(_get_dict_spec(s_type, s_id))
    spec.validate()
    assert spec.service_name() == s_name


@pytest.mark.parametrize('s_type,s_id', [
    ('mds', 's:id'), ('mds', '1abc'), ('mds', ''), ('rgw', '*s_id'), ('nfs', 's/id'),
    ('iscsi', 's@id'),
])
def test_service_id_raises_invalid_char(s_type, s_id):
    with pytest.raises(SpecValidationError):
        ServiceSpec.from_json(_get_dict_spec(s_type, s_id)).validate()


@pytest.mark.parametrize('doc,message', [
    ({'service_type': 'rgw'}, 'Cannot add Service: id required'),
    ({'service_type': 'mds', 'service_id': '1fs'}, 'MDS service id cannot start with a numeric digit'),
    ({'service_type': 'rgw', 'service_id': 'a b'},
     'Service id contains invalid characters, only [a-zA-Z0-9_.-] allowed'),
    ({'service_type': 'crash', 'config': {'mds_join_fs': 'x'}},
     'Cannot set config option mds_join_fs in spec: it is managed by cephadm'),
    ({'service_type': 'rgw', 'service_id': 'a', 'config': {'rgw_zone': 'x'}},
     'Cannot set config option rgw_zone in spec: it is managed by cephadm'),
    ({'service_type': 'mgr', 'networks': ['10.0.0.0/33']},
     "Cannot parse network 10.0.0.0/33: '10.0.0.0/33' does not appear to be an IPv4 or IPv6 network"),
    ({'service_type': 'mgr', 'networks': 5}, 'Networks (5) must be a string or list of strings'),
    ({'service_id': 'x'}, 'Spec needs a "service_type" key.'),
    ('foo', 'Service Spec is not an (JSON or YAML) object. got "foo"'),
    ({'service_type': 'mgr', 'spec': {'port': 1}},
     "ServiceSpec: unknown field 'port'"),
    ({'service_type': 'rgw', 'service_id': 'a', 'spec': {'rgw_zonee': 'z'}},
     "ServiceSpec: unknown field 'rgw_zonee'"),
])
def test_spec_errors_use_ceph_messages(doc, message):
    with pytest.raises(SpecValidationError) as e:
        ServiceSpec.from_json(doc)
    assert str(e.value) == message
    assert e.value.errno == -22


def test_service_id_is_dropped_for_types_that_have_none():
    spec = ServiceSpec('crash', service_id='foo')
    assert spec.service_id is None and spec.service_name() == 'crash'


def test_old_and_new_style_mean_the_same():
    old = ServiceSpec.from_json({'service_type': 'nfs', 'service_id': 'foo', 'port': 2050})
    new = ServiceSpec.from_json({'service_type': 'nfs', 'service_id': 'foo',
                                 'spec': {'port': 2050}})
    assert old == new
    assert new.to_json()['spec'] == {'port': 2050}


def test_service_name_fills_type_and_id():
    spec = ServiceSpec.from_json({'service_name': 'rgw.foo.bar', 'status': {'running': 1}})
    assert spec.service_type == 'rgw' and spec.service_id == 'foo.bar'


def test_networks_may_be_a_single_string():
    assert ServiceSpec.from_json({'service_type': 'mgr', 'networks': '10.0.0.0/8'}).networks == \
        ['10.0.0.0/8']


def test_allow_invalid_from_json_skips_validation():
    with service_spec_allow_invalid_from_json():
        spec = ServiceSpec.from_json({'service_type': 'rgw'})
    assert spec.service_id is None
    with pytest.raises(SpecValidationError):
        ServiceSpec.from_json({'service_type': 'rgw'})


def test_unknown_service_type_is_a_spec_error():
    with pytest.raises(SpecValidationError, match='Unknown service type: foo'):
        ServiceSpec.from_json({'service_type': 'foo'})


def test_custom_container_spec():
    spec = CustomContainerSpec(service_id='hello-world',
                               image='docker.io/library/hello-world:latest',
                               entrypoint='/usr/bin/bash', uid=1000, gid=2000,
                               volume_mounts={'foo': '/foo'}, args=['--foo'], envs=['FOO=0815'],
                               bind_mounts=[['type=bind', 'source=lib/modules',
                                             'destination=/lib/modules', 'ro=true']],
                               ports=[8080, 8443], dirs=['foo', 'bar'],
                               files={'foo.conf': 'foo\nbar', 'bar.conf': ['foo', 'bar']})
    assert spec.service_type == 'container'
    assert spec.entrypoint == '/usr/bin/bash'
    assert (spec.uid, spec.gid) == (1000, 2000)
    assert spec.ports == [8080, 8443]
    assert spec.files == {'foo.conf': 'foo\nbar', 'bar.conf': ['foo', 'bar']}
    config_json = CustomContainerSpec(service_id='foo', image='foo', dirs=None).config_json()
    for key in ['entrypoint', 'uid', 'gid', 'bind_mounts', 'dirs']:
        assert key not in config_json


def test_custom_container_mutually_exclusive_fields():
    with pytest.raises(SpecValidationError, match='"args" and "extra_container_args" are mutually'):
        ServiceSpec.from_json({'service_type': 'container', 'service_id': 'c', 'image': 'i',
                               'args': ['--a'], 'extra_container_args': ['--b']})
    with pytest.raises(SpecValidationError, match='"files" and "custom_configs" are mutually'):
        ServiceSpec.from_json({'service_type': 'container', 'service_id': 'c', 'image': 'i',
                               'files': {'a': 'b'},
                               'custom_configs': [{'content': 'x', 'mount_path': '/x'}]})


def test_custom_container_init_containers_round_trip():
    spec = ServiceSpec.from_json({'service_type': 'container', 'service_id': 'c', 'image': 'i',
                                  'init_containers': [{'image': 'busybox',
                                                       'entrypoint_args': ['--x 1']}]})
    j = spec.to_json()
    assert j['spec']['init_containers'] == [{'image': 'busybox', 'entrypoint_args': ['--x 1']}]
    assert ServiceSpec.from_json(j) == spec


def test_ingress_spec():
    spec = ServiceSpec.from_json(yaml.safe_load("""service_type: ingress
service_id: rgw.foo
placement:
  hosts:
    - host1
    - host2
    - host3
spec:
  virtual_ip: 192.168.20.1/24
  backend_service: rgw.foo
  frontend_port: 8080
  monitor_port: 8081
"""))
    assert spec.service_type == 'ingress' and spec.service_id == 'rgw.foo'
    assert spec.virtual_ip == '192.168.20.1/24'
    assert spec.get_virtual_ip() == '192.168.20.1/24'
    assert spec.get_port_start() == [8080, 8081]


def test_ingress_nfs_backend_reserves_peer_port():
    common = dict(service_type='ingress', frontend_port=2049, monitor_port=9049,
                  virtual_ip='192.168.1.1/24')
    assert IngressSpec(service_id='nfs.foo', backend_service='nfs.foo', **common
                       ).get_port_start() == [2049, 9049, 1024]
    assert IngressSpec(service_id='nfs.foo', backend_service='nfs.foo',
                       haproxy_peer_communication_port=5000, **common
                       ).get_port_start() == [2049, 9049, 5000]


@pytest.mark.parametrize('spec,message', [
    ({}, 'Cannot add ingress: No backend_service specified'),
    ({'backend_service': 'rgw.a'}, 'Cannot add ingress: No frontend_port specified'),
    ({'backend_service': 'rgw.a', 'frontend_port': 80},
     'Cannot add ingress: No monitor_port specified'),
    ({'backend_service': 'rgw.a', 'frontend_port': 80, 'monitor_port': 81},
     'Cannot add ingress: No virtual_ip provided'),
    ({'backend_service': 'rgw.a', 'frontend_port': 80, 'monitor_port': 81,
      'virtual_ip': '10.0.0.1/24', 'virtual_ips_list': ['10.0.0.2/24']},
     'Cannot add ingress: Single and multiple virtual IPs specified'),
    ({'backend_service': 'rgw.a', 'frontend_port': 80, 'monitor_port': 80,
      'virtual_ip': '10.0.0.1/24'}, 'Invalid port: Duplicate ports are not allowed'),
])
def test_ingress_requirements(spec, message):
    with pytest.raises(SpecValidationError) as e:
        ServiceSpec.from_json({'service_type': 'ingress', 'service_id': 'rgw.a', 'spec': spec})
    assert str(e.value) == message


def test_ingress_keepalive_only_needs_no_ports():
    spec = ServiceSpec.from_json({'service_type': 'ingress', 'service_id': 'nfs.foo',
                                  'placement': {'count': 1},
                                  'spec': {'backend_service': 'nfs.foo', 'keepalive_only': True,
                                           'virtual_ip': '10.0.0.123/24'}})
    assert spec.keepalive_only is True


SNMP_BASE = {'service_type': 'snmp-gateway', 'service_name': 'snmp-gateway',
             'placement': {'count': 1}}


@pytest.mark.parametrize('spec,message', [
    ({'credentials': {'snmp_v3_auth_password': 'p', 'snmp_v3_auth_username': 'u',
                      'snmp_v3_priv_password': 's'}, 'port': 9464,
      'engine_id': '8000c53f0000000000', 'privacy_protocol': 'WEIRD',
      'snmp_destination': '192.168.122.1:162', 'auth_protocol': 'BIZARRE',
      'snmp_version': 'V3'}, 'auth_protocol unsupported. Must be one of MD5, SHA'),
    ({'credentials': {'snmp_community': 'public'}, 'snmp_destination': '192.168.1.42:162',
      'snmp_version': 'V4'}, 'snmp_version unsupported. Must be one of V2c, V3'),
    ({'credentials': {'snmp_community': 'public'}, 'port': 9464,
      'snmp_destination': '192.168.1.42:162'}, 'Missing SNMP version (snmp_version)'),
    ({'snmp_version': 'V2c', 'snmp_destination': '192.168.1.42:162'},
     'Missing authentication information (credentials). '
     'SNMP V2c and V3 require credential information'),
    ({'credentials': {'snmp_v3_auth_username': 'u', 'snmp_v3_auth_password': 'p',
                      'snmp_v3_priv_password': 's'}, 'auth_protocol': 'SHA',
      'privacy_protocol': 'weewah', 'snmp_destination': '192.168.1.42:162',
      'snmp_version': 'V3'}, 'privacy_protocol unsupported. Must be one of DES, AES'),
    ({'credentials': {'snmp_v3_auth_username': 'u', 'snmp_v3_auth_password': 'p',
                      'snmp_v3_priv_password': 's'}, 'auth_protocol': 'SHA',
      'privacy_protocol': 'AES', 'snmp_destination': '192.168.1.42:162',
      'snmp_version': 'V3'}, 'Must provide an engine_id for SNMP V3 notifications'),
    ({'credentials': {'snmp_v3_auth_username': 'u', 'snmp_v3_auth_password': 'p'},
      'auth_protocol': 'SHA', 'privacy_protocol': 'AES', 'engine_id': '8000C53F0000000000',
      'snmp_destination': '192.168.1.42:162', 'snmp_version': 'V3'},
     'SNMP V3 credentials are incomplete. Missing snmp_v3_priv_password'),
    ({'credentials': {'snmp_community': 'public'}, 'snmp_destination': '192.168.1.42',
      'snmp_version': 'V2c'},
     'SNMP destination (snmp_destination) type (IPv4) is invalid. '
     'Must be either: IPv4:Port, Name:Port'),
    ({'credentials': {'snmp_v3_auth_username': 'u', 'snmp_v3_auth_password': 'p'},
      'auth_protocol': 'SHA', 'engine_id': '8000C53F0000000000', 'snmp_version': 'V3'},
     'SNMP destination (snmp_destination) must be provided'),
    ({'credentials': {'snmp_community': 'public'}, 'snmp_destination': '10.79.32.10:fred',
      'snmp_version': 'V2c'}, 'SNMP destination (snmp_destination) is invalid: Port must be numeric'),
    *[({'credentials': {'snmp_v3_auth_username': 'u', 'snmp_v3_auth_password': 'p'},
        'engine_id': eid, 'snmp_destination': '10.79.32.10:162', 'snmp_version': 'V3'},
       'engine_id must be a string containing 10-64 hex characters. '
       'Its length must be divisible by 2')
      for eid in ['bogus', '8000C53', '8000C53DOH!', '8000C53F00000',
                  '8000C53FCA7344403DC611EC9B985254002537A6C53FCA7344403DC6112537A60']],
])
def test_snmp_gateway_validation(spec, message):
    with pytest.raises(SpecValidationError) as e:
        ServiceSpec.from_json({**SNMP_BASE, 'spec': spec})
    assert str(e.value) == message


def test_snmp_gateway_has_no_service_id_and_default_port():
    spec = ServiceSpec.from_json({**SNMP_BASE, 'spec': {
        'credentials': {'snmp_community': 'public'}, 'snmp_destination': 'snmp-host:162',
        'snmp_version': 'V2c'}})
    assert isinstance(spec, SNMPGatewaySpec)
    assert spec.get_port_start() == [9464]
    with pytest.raises(SpecValidationError, match="unknown field 'service_id'"):
        ServiceSpec.from_json({**SNMP_BASE, 'service_id': 'x', 'spec': {}})


@pytest.mark.parametrize('field,value,message', [
    ('count_per_host', 'twelve', 'count-per-host must be a numeric value'),
    ('count_per_host', '2', 'count-per-host must be an integer value'),
    ('count_per_host', 7.36, 'count-per-host must be an integer value'),
    ('count', 'fifteen', 'num/count must be a numeric value'),
    ('count', '4', 'num/count must be an integer value'),
    ('count', 7.36, 'num/count must be an integer value'),
    ('count', 0, 'num/count must be >= 1'),
    ('count_per_host', 0, 'count-per-host must be >= 1'),
])
def test_placement_count_validation(field, value, message):
    with pytest.raises(SpecValidationError, match=message):
        ServiceSpec.from_json({'service_type': 'rgw', 'service_id': 'foo',
                               'placement': {field: value, 'label': 'rgw'}})


@pytest.mark.parametrize('doc,ec_args,ee_args,ec_final,ee_final', [
    ({'service_type': 'nfs', 'service_id': 'mynfs',
      'spec': {'port': 1234,
               'extra_entrypoint_args': ['--lasers=blue', '--title=Custom NFS Options'],
               'extra_container_args': ['--cap-add=CAP_NET_BIND_SERVICE', '--oom-score-adj=12']}},
     ['--cap-add=CAP_NET_BIND_SERVICE', '--oom-score-adj=12'],
     ['--lasers=blue', '--title=Custom NFS Options'],
     ['--cap-add=CAP_NET_BIND_SERVICE', '--oom-score-adj=12'],
     ['--lasers=blue', '--title=Custom', 'NFS', 'Options']),
    ({'service_type': 'nfs', 'service_id': 'mynfs', 'spec': {'port': 1234},
      'extra_entrypoint_args': [{'argument': '--lasers=blue'},
                                {'argument': '--title=Custom NFS Options'}],
      'extra_container_args': [{'argument': '--cap-add=CAP_NET_BIND_SERVICE'},
                               {'argument': '--oom-score-adj=12', 'split': True}]},
     [{'argument': '--cap-add=CAP_NET_BIND_SERVICE', 'split': False},
      {'argument': '--oom-score-adj=12', 'split': True}],
     [{'argument': '--lasers=blue', 'split': False},
      {'argument': '--title=Custom NFS Options', 'split': False}],
     ['--cap-add=CAP_NET_BIND_SERVICE', '--oom-score-adj=12'],
     ['--lasers=blue', '--title=Custom NFS Options']),
])
def test_extra_args_handling(doc, ec_args, ee_args, ec_final, ee_final):
    spec = ServiceSpec.from_json(doc)
    assert ArgumentSpec.map_json(spec.extra_container_args) == ec_args
    assert ArgumentSpec.map_json(spec.extra_entrypoint_args) == ee_args
    assert sum((a.to_args() for a in spec.extra_container_args), []) == ec_final
    assert sum((a.to_args() for a in spec.extra_entrypoint_args), []) == ee_final
    assert ServiceSpec.from_json(spec.to_json()) == spec


def test_extra_args_reject_unknown_fields_and_types():
    with pytest.raises(SpecValidationError, match="ArgumentSpec got an unknown field 'spilt'"):
        ServiceSpec.from_json({'service_type': 'mgr',
                               'extra_container_args': [{'argument': 'a', 'spilt': True}]})
    with pytest.raises(SpecValidationError, match='ArgumentSpec must have an "argument" field'):
        ServiceSpec.from_json({'service_type': 'mgr', 'extra_container_args': [{}]})
    with pytest.raises(SpecValidationError, match='Unknown type for argument'):
        ServiceSpec.from_json({'service_type': 'mgr', 'extra_container_args': [5]})


def test_custom_configs():
    spec = ServiceSpec.from_json({'service_type': 'grafana', 'custom_configs': [
        {'mount_path': '/etc/grafana/grafana.ini', 'content': '[server]\n'}]})
    assert spec.custom_configs == [CustomConfig('[server]\n', '/etc/grafana/grafana.ini')]
    assert spec.custom_configs[0].filename == 'grafana.ini'
    with pytest.raises(SpecValidationError, match='CustomConfig must have "content" field'):
        ServiceSpec.from_json({'service_type': 'mgr', 'custom_configs': [{'mount_path': '/x'}]})
    with pytest.raises(SpecValidationError, match='CustomConfig got unknown field "owner"'):
        ServiceSpec.from_json({'service_type': 'mgr', 'custom_configs': [
            {'mount_path': '/x', 'content': '', 'owner': 'root'}]})


@pytest.mark.parametrize('kwargs,message', [
    ({'protocol': ''}, '^Invalid protocol'),
    ({'protocol': 'invalid'}, '^Invalid protocol'),
    ({'anonymous_access': False}, '^Either initial'),
])
def test_grafana_validation(kwargs, message):
    with pytest.raises(SpecValidationError, match=message):
        GrafanaSpec(**kwargs).validate()


def test_grafana_valid_and_anonymous_access_false_survives_export():
    GrafanaSpec(protocol='http').validate()
    spec = GrafanaSpec(anonymous_access=False, initial_admin_password='test')
    spec.validate()
    assert spec.to_json()['spec']['anonymous_access'] is False


@pytest.mark.parametrize('kwargs,message', [
    ({'retention_time': '1y'}, None), ({'retention_time': ' 10w '}, None),
    ({'retention_time': '  '}, None), ({'retention_time': '100k'}, '^Invalid retention time'),
    ({'retention_time': '10'}, '^Invalid retention time'),
    ({'retention_time': '100.00y'}, '^Invalid retention time'),
    ({'retention_size': '123456789B'}, None), ({'retention_size': ' 10GB '}, None),
    ({'retention_size': '100b'}, '^Invalid retention size'),
    ({'retention_size': '333kb'}, '^Invalid retention size'),
    ({'retention_size': '200.00PB'}, '^Invalid retention size'),
    ({'retention_time': '1j', 'retention_size': '100GB'}, '^Invalid retention time'),
])
def test_prometheus_retention(kwargs, message):
    spec = PrometheusSpec(**kwargs)
    if message:
        with pytest.raises(SpecValidationError, match=message):
            spec.validate()
    else:
        spec.validate()


@pytest.mark.parametrize('kwargs,missing', [
    ({}, 'provider_display_name, oidc_issuer_url, client_id, client_secret'),
    ({'provider_display_name': 'P', 'oidc_issuer_url': 'https://idp.example.com'},
     'client_id, client_secret'),
    ({'provider_display_name': 'P', 'oidc_issuer_url': 'https://idp.example.com',
      'client_secret': 'secret'}, 'client_id'),
])
def test_oauth2_proxy_missing_required_fields(kwargs, missing):
    with pytest.raises(SpecValidationError,
                       match=re.escape(f'Missing required fields for oauth2-proxy: {missing}.')):
        OAuth2ProxySpec(**kwargs).validate()


def test_oauth2_proxy_cookie_secret_length():
    ok = dict(provider_display_name='P', oidc_issuer_url='https://idp.example.com',
              client_id='c', client_secret='s')
    OAuth2ProxySpec(**ok).validate()  # a random 32-byte secret is generated
    with pytest.raises(SpecValidationError, match='but must be 16, 24, or 32 bytes'):
        OAuth2ProxySpec(cookie_secret='short', **ok).validate()
    assert OAuth2ProxySpec(**ok).get_port_start() == [4180]


@pytest.mark.parametrize('kwargs,message', [
    ({'ssl_protocols': ['TLSv1.1']}, 'Invalid SSL Protocol: TLSv1.1'),
    ({'ssl_stapling': 'yes'}, 'Invalid ssl_stapling: yes. Supported values: on | off.'),
    ({'ssl_session_timeout': '5x'}, 'Invalid SSL Session Timeout: 5x'),
    ({'port': 70000}, 'Invalid port: 70000. Must be between 1 and 65535.'),
])
def test_mgmt_gateway_validation(kwargs, message):
    with pytest.raises(SpecValidationError, match=re.escape(message)):
        MgmtGatewaySpec(**kwargs).validate()


def test_mgmt_gateway_defaults_to_https_on_443():
    spec = ServiceSpec.from_json({'service_type': 'mgmt-gateway'})
    assert spec.get_port_start() == [443]
    assert spec.to_json()['spec'] == {'certificate_source': 'cephadm-signed', 'ssl': True}


def test_nfs_ports():
    # The scheduler gives nfs slots a port only when the spec names one.
    assert NFSServiceSpec(service_id='n').get_port_start() == []
    assert NFSServiceSpec(service_id='n', port=12049).get_port_start() == [12049]
    with pytest.raises(SpecValidationError, match="count_per_host' is not supported for nfs"):
        ServiceSpec.from_json({'service_type': 'nfs', 'service_id': 'n',
                               'placement': {'count_per_host': 2, 'label': 'nfs'}})
    with pytest.raises(SpecValidationError,
                       match='Invalid NFS spec: Cannot set virtual_ip and networks fields'):
        ServiceSpec.from_json({'service_type': 'nfs', 'service_id': 'n',
                               'networks': ['10.0.0.0/24'],
                               'spec': {'virtual_ip': '10.0.0.5'}})
    with pytest.raises(SpecValidationError, match='NFS spec has invalid port value: 70000'):
        ServiceSpec.from_json({'service_type': 'nfs', 'service_id': 'n', 'port': 70000})


def test_iscsi_needs_a_pool_and_defaults_api():
    with pytest.raises(SpecValidationError, match='Cannot add ISCSI: No Pool specified'):
        ServiceSpec.from_json({'service_type': 'iscsi', 'service_id': 'i'})
    spec = ServiceSpec.from_json({'service_type': 'iscsi', 'service_id': 'i', 'pool': 'p'})
    assert (spec.api_port, spec.api_user, spec.api_password) == (5000, 'admin', 'admin')
    assert spec.get_port_start() == [5000]


def test_nvmeof_defaults():
    spec = ServiceSpec.from_json({'service_type': 'nvmeof', 'service_id': 'mypool.mygroup',
                                  'spec': {'pool': 'mypool', 'group': 'mygroup'}})
    assert isinstance(spec, NvmeofServiceSpec)
    assert spec.get_port_start() == [5500, 4420, 8009, 10008]
    assert spec.cluster_connections == 32
    with pytest.raises(SpecValidationError, match='Invalid transport. Valid values are tcp'):
        ServiceSpec.from_json({'service_type': 'nvmeof', 'service_id': 'a', 'transports': 'rdma'})


def test_mon_crush_locations():
    spec = ServiceSpec.from_json({'service_type': 'mon', 'placement': {'count': 3},
                                  'spec': {'crush_locations': {'host1': ['datacenter=a']}}})
    assert spec.crush_locations == {'host1': ['datacenter=a']}
    with pytest.raises(SpecValidationError, match='Crush locations must be of form'):
        ServiceSpec.from_json({'service_type': 'mon',
                               'spec': {'crush_locations': {'host1': ['datacenter']}}})
    with pytest.raises(SpecValidationError, match='Invalid hostname found in spec crush locations'):
        ServiceSpec.from_json({'service_type': 'mon',
                               'spec': {'crush_locations': {'host_1': ['a=b']}}})


def test_ceph_exporter_settings():
    spec = ServiceSpec.from_json({'service_type': 'ceph-exporter',
                                  'spec': {'prio_limit': 5, 'stats_period': 5}})
    assert spec.to_json()['spec']['prio_limit'] == 5
    with pytest.raises(SpecValidationError, match='prio_limit must be an integer'):
        ServiceSpec.from_json({'service_type': 'ceph-exporter', 'spec': {'prio_limit': 'x'}})


def test_smb_spec_rejects_a_missing_config_uri_as_a_spec_error():
    spec = ServiceSpec.from_json({'service_type': 'smb', 'service_id': 'tango',
                                  'spec': {'cluster_id': 'tango', 'features': ['clustered'],
                                           'config_uri': 'rados://.smb/tango/scc.toml'}})
    assert isinstance(spec, SMBSpec)
    assert spec.cluster_meta_uri == 'rados://.smb/tango/cluster.meta.json'
    assert spec.get_port_start() == [445, 9922, 4379]
    # Ceph raises ValueError here; we raise SpecValidationError so the CLI reports EINVAL.
    with pytest.raises(SpecValidationError, match='a valid config_uri is required'):
        ServiceSpec.from_json({'service_type': 'smb', 'service_id': 't',
                               'spec': {'cluster_id': 't'}})


def test_tracing_expands_into_jaeger_services():
    spec = ServiceSpec.from_json({'service_type': 'jaeger-tracing'})
    assert [s.service_type for s in spec.get_tracing_specs()] == \
        ['elasticsearch', 'jaeger-collector', 'jaeger-query', 'jaeger-agent']


def test_tls_inline_cert_needs_both_parts():
    with pytest.raises(SpecValidationError, match='both ssl_cert and ssl_key must be provided'):
        ServiceSpec.from_json({'service_type': 'rgw', 'service_id': 'a',
                               'spec': {'ssl': True, 'ssl_cert': 'CERT'}})
    spec = ServiceSpec.from_json({'service_type': 'rgw', 'service_id': 'a',
                                  'spec': {'ssl': True, 'ssl_cert': 'C', 'ssl_key': 'K'}})
    assert spec.certificate_source == 'inline'
    assert spec.to_json()['spec']['ssl_cert'] == 'C'


def test_multiline_spec_values_export_as_literal_blocks():
    spec = ServiceSpec.from_json(yaml.safe_load("""
service_type: iscsi
service_id: iscsi
placement:
  label: iscsi
spec:
  pool: testpool
  ssl_cert: |
    -----BEGIN CERTIFICATE-----
    FILLER
    -----END CERTIFICATE-----
  ssl_key: |
    -----BEGIN PRIVATE KEY-----
    FILLER
    -----END PRIVATE KEY-----
"""))
    dumped = dump_specs([spec])
    assert 'ssl_cert: |' in dumped and 'ssl_key: |' in dumped


@pytest.mark.parametrize('doc,error', [
    ({'profile_name': '', 'placement': {'hosts': ['ceph-node-0']}},
     r'Invalid profile_name: Must be a non-empty string\.'),
    ({'placement': {'hosts': ['ceph-node-0']}},
     r'Tuned profile spec must include "profile_name" field'),
])
def test_tuned_profile_validation(doc, error):
    with pytest.raises(SpecValidationError, match=error):
        TunedProfileSpec.from_json(doc)


def test_tuned_profile_round_trip():
    spec = TunedProfileSpec.from_json({'profile_name': 'os-tune',
                                       'placement': {'hosts': ['ceph-node-0', 'ceph-node-1']},
                                       'settings': {'vm.swappiness': '10'}})
    assert TunedProfileSpec.from_json(spec.to_json()) == spec
    assert TunedProfileSpec('p').placement == PlacementSpec(host_pattern='*')
    assert repr(spec) == 'TunedProfile(os-tune)'


def test_hosts_must_be_a_list_not_a_string():
    with pytest.raises(SpecValidationError, match='hosts must be a list of host names'):
        ServiceSpec.from_json({'service_type': 'mon', 'placement': {'hosts': 'host1'}})
