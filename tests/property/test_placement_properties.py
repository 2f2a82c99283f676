"""Properties of placements and specs, and the loader's promise to fail only cleanly."""
import string

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ceph_orch_cli.deployment.hostspec import SpecValidationError
from ceph_orch_cli.deployment.loader import dump_specs, load_specs
from ceph_orch_cli.deployment.service_spec import (HostPattern, HostPlacementSpec, PatternType,
                                                   PlacementSpec, ServiceSpec)

hostnames = st.from_regex(r'\A[a-z][a-z0-9-]{0,15}(\.[a-z0-9][a-z0-9-]{0,8}){0,2}\Z')
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
cidrs = st.builds(lambda ip, n: str(__import__('ipaddress').ip_network(f'{ip}/{n}', strict=False)),
                  ipv4, st.integers(8, 32))
networks = st.one_of(st.just(''), ipv4, ipv6, cidrs)
daemon_names = st.one_of(st.just(''), st.from_regex(r'\A[a-z][a-z0-9]{0,8}\Z'))
host_placements = st.builds(HostPlacementSpec, hostnames, networks, daemon_names)
labels = st.from_regex(r'\A[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,15}\Z')
fnmatch_patterns = st.from_regex(r'\A[a-z0-9.-]{0,6}[*?][a-z0-9.-]{0,6}\Z|\A[a-z]{1,5}\[[0-9]-[0-9]\]\Z')
regex_patterns = st.sampled_from(['Foo[0-9]|Bar[0-9]', 'host[0-9]+', '.*', 'ceph-(a|b)-[0-9]{2}',
                                  'data.*$', '^osd'])
host_patterns = st.one_of(
    fnmatch_patterns.map(HostPattern),
    regex_patterns.map(lambda p: HostPattern(p, PatternType.regex)))
counts = st.one_of(st.none(), st.integers(1, 1000))


@st.composite
def placements(draw):
    kind = draw(st.sampled_from(['none', 'hosts', 'label', 'pattern']))
    count = draw(counts)
    kwargs = {}
    if kind == 'hosts':
        hosts = draw(st.lists(host_placements, min_size=1, max_size=5,
                              unique_by=lambda h: h.hostname))
        kwargs['hosts'] = hosts
    elif kind == 'label':
        kwargs['label'] = draw(labels)
    elif kind == 'pattern':
        kwargs['host_pattern'] = draw(host_patterns)
    plain_hosts = kind == 'hosts' and not any(h.network or h.name for h in kwargs['hosts'])
    if count is None and (kind in ('label', 'pattern') or plain_hosts) and draw(st.booleans()):
        kwargs['count_per_host'] = draw(st.integers(1, 10))
    else:
        kwargs['count'] = count
    return PlacementSpec(**kwargs)


@settings(max_examples=300, deadline=None)
@given(placements())
def test_pretty_str_parses_back_to_the_same_placement(ps):
    assert PlacementSpec.from_string(ps.pretty_str()) == ps


@settings(max_examples=300, deadline=None)
@given(placements())
def test_placement_json_round_trips(ps):
    assert PlacementSpec.from_json(ps.to_json()) == ps
    assert PlacementSpec.from_json(yaml.safe_load(yaml.safe_dump(ps.to_json()))) == ps


service_docs = st.one_of(
    st.fixed_dictionaries({'service_type': st.sampled_from(['crash', 'mgr', 'mon', 'node-exporter',
                                                            'rbd-mirror', 'grafana', 'prometheus'])}),
    st.fixed_dictionaries({'service_type': st.just('rgw'),
                           'service_id': st.from_regex(r'\A[a-z][a-z0-9_.-]{0,10}\Z'),
                           'spec': st.fixed_dictionaries({'rgw_frontend_port': st.integers(1, 65535)})}),
    st.fixed_dictionaries({'service_type': st.just('nfs'),
                           'service_id': st.from_regex(r'\A[a-z][a-z0-9_-]{0,10}\Z'),
                           'spec': st.fixed_dictionaries({'port': st.integers(1, 65535)})}),
    st.fixed_dictionaries({'service_type': st.just('mds'),
                           'service_id': st.from_regex(r'\A[a-z][a-z0-9_-]{0,10}\Z')}),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(service_docs, placements(), st.booleans(),
       st.lists(cidrs, max_size=2, unique=True))
def test_generated_specs_round_trip(doc, ps, unmanaged, nets):
    doc = dict(doc)
    doc['placement'] = ps.to_json()
    doc['unmanaged'] = unmanaged
    if doc['service_type'] not in ('mds', 'nfs'):
        doc['networks'] = nets
    if doc['service_type'] == 'nfs' and ps.count_per_host:
        doc['placement'] = PlacementSpec(label='nfs').to_json()
    spec = ServiceSpec.from_json(doc)
    assert ServiceSpec.from_json(spec.to_json()) == spec
    assert load_specs(dump_specs([spec])) == [spec]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_loads_or_fails_with_a_spec_error(text):
    try:
        load_specs(text, 'fuzz.yaml')
    except SpecValidationError as e:
        assert str(e).startswith('fuzz.yaml: ')


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_any_bytes_load_or_fail_with_a_spec_error(data):
    try:
        load_specs(data, 'fuzz.bin')
    except SpecValidationError as e:
        assert str(e).startswith('fuzz.bin: ')


KEYS = ['service_type', 'service_id', 'service_name', 'placement', 'spec', 'networks',
        'unmanaged', 'config', 'count', 'hosts', 'label', 'host_pattern', 'count_per_host',
        'extra_container_args', 'custom_configs', 'port', 'hostname', 'addr', 'labels',
        'location', 'pattern', 'pattern_type', 'rgw_realm', 'rgw_zone', 'virtual_ip',
        'backend_service', 'frontend_port', 'monitor_port', 'data_devices', 'image', 'x']
TYPES = ['mon', 'mgr', 'crash', 'mds', 'osd', 'rgw', 'nfs', 'iscsi', 'nvmeof', 'ingress',
         'container', 'snmp-gateway', 'grafana', 'prometheus', 'alertmanager', 'host', 'smb',
         'mgmt-gateway', 'oauth2-proxy', 'ceph-exporter', 'jaeger-tracing', 'bogus']
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.floats(allow_nan=False),
                    st.text(string.printable, max_size=12), st.sampled_from(TYPES),
                    st.sampled_from(['*', 'label:mon', '10.0.0.0/8', 'h1:1.2.3.4', '[', 'regex:(']))
junk = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)), max_leaves=25)
documents = st.dictionaries(st.sampled_from(KEYS), junk, max_size=8).map(
    lambda d: d if 'service_type' in d else {**d, 'service_type': 'rgw'})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(documents, junk), min_size=1, max_size=3))
def test_structured_junk_loads_or_fails_with_a_spec_error(docs):
    text = yaml.safe_dump_all(docs)
    try:
        specs = load_specs(text, 'junk.yaml')
    except SpecValidationError as e:
        assert str(e).startswith('junk.yaml: document ')
        assert '\n' not in str(e)
    else:
        for spec in specs:
            spec.to_json()
