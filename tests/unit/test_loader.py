"""`orch apply -i FILE`: multi-document spec files in, `orch ls --export` YAML out."""
import pytest

from ceph_orch_cli.deployment.hostspec import HostSpec, SpecValidationError
from ceph_orch_cli.deployment.loader import dump_specs, load_spec_documents, load_specs
from ceph_orch_cli.deployment.service_spec import PlacementSpec, RGWSpec, ServiceSpec

CLUSTER = """\
service_type: host
hostname: host1
addr: 10.0.0.11
labels: [_admin, mon]
---
service_type: mon
placement:
  count: 3
---

---
service_type: rgw
service_id: myrgw
placement:
  label: rgw
spec:
  rgw_frontend_port: 8080
"""


def test_loads_hosts_and_services_skipping_empty_documents():
    specs = load_specs(CLUSTER, 'cluster.yaml')
    assert specs[0] == HostSpec('host1', '10.0.0.11', ['_admin', 'mon'])
    assert specs[1] == ServiceSpec('mon', placement=PlacementSpec(count=3))
    assert isinstance(specs[2], RGWSpec) and specs[2].rgw_frontend_port == 8080
    assert len(specs) == 3


def test_bytes_and_a_byte_order_mark_are_accepted():
    assert load_specs(b'\xef\xbb\xbfservice_type: crash\n')[0].service_type == 'crash'


def test_document_numbers_count_empty_documents():
    assert [n for n, _ in load_spec_documents(CLUSTER)] == [1, 2, 4]


def test_errors_name_the_file_the_document_and_the_problem():
    text = 'service_type: mgr\n---\nservice_type: rgw\n'
    with pytest.raises(SpecValidationError) as e:
        load_specs(text, 'spec.yaml')
    assert str(e.value) == 'spec.yaml: document 2: Cannot add Service: id required'
    assert e.value.errno == -22


@pytest.mark.parametrize('text,message', [
    ('service_type: mgr\nplacement: {count: [}\n', 'stdin: document 1: invalid YAML: '),
    ('- a\n- b\n', 'stdin: document 1: Service Spec is not an (JSON or YAML) object.'),
    ('42\n', 'stdin: document 1: Service Spec is not an (JSON or YAML) object. got "42"'),
    ('service_type: rgw\nservice_id: a\nspec: [1, 2]\n', 'stdin: document 1: '),
    ('service_type: mgr\nplacement: 3\n', "stdin: document 1: PlacementSpec: "),
    ('service_type: mon\nplacement: {hosts: ["h1:1.2.3.4/24"]}\n', 'stdin: document 1: '),
    ('service_type: host\nlabels: [a]\n', 'stdin: document 1: Host spec needs a "hostname" key.'),
    ('service_type: host\nhostname: bad_name\n',
     'stdin: document 1: name component must include only a-z, 0-9, and -. Got "bad_name"'),
    ('service_type: mgr\n1: 2\n', 'stdin: document 1: '),
    ('service_type: foo\n', 'stdin: document 1: Unknown service type: foo'),
    ('service_type: smb\nservice_id: s\n', 'stdin: document 1: a valid cluster_id is required'),
])
def test_bad_input_is_always_a_spec_error(text, message):
    with pytest.raises(SpecValidationError) as e:
        load_specs(text, 'stdin')
    assert str(e.value).startswith(message)
    assert '\n' not in str(e.value)


def test_binary_garbage_is_a_spec_error():
    with pytest.raises(SpecValidationError, match=r'^x\.bin: not UTF-8 text'):
        load_specs(b'\xff\xfe\x00\x81garbage', 'x.bin')


def test_deep_nesting_is_a_spec_error():
    with pytest.raises(SpecValidationError, match='^stdin: document 1: '):
        load_specs('[' * 5000 + ']' * 5000, 'stdin')


def test_multiline_messages_become_one_line():
    with pytest.raises(SpecValidationError) as e:
        load_specs('service_type: rgw\nservice_id: a\nspec: {rgw_frontend_type: apache}\n')
    assert '\n' not in str(e.value)
    assert 'Invalid rgw_frontend_type value. Valid values are: beast, civetweb.' in str(e.value)


def test_dump_is_multi_document_yaml_like_ceph_export():
    specs = load_specs(CLUSTER)
    out = dump_specs(specs[1:])
    assert out == ('service_type: mon\nservice_name: mon\nplacement:\n  count: 3\n---\n'
                   'service_type: rgw\nservice_id: myrgw\nservice_name: rgw.myrgw\n'
                   'placement:\n  label: rgw\nspec:\n  rgw_exit_timeout_secs: 120\n'
                   '  rgw_frontend_port: 8080\n')


def test_dump_then_load_round_trips_hosts_and_services():
    specs = load_specs(CLUSTER)
    assert load_specs(dump_specs(specs)) == specs
    assert dump_specs(specs).startswith('service_type: host\nhostname: host1\n')


def test_placement_keys_are_alphabetical_in_export():
    spec = ServiceSpec.from_json({'service_type': 'mon',
                                  'placement': {'label': 'mon', 'count': 3}})
    assert dump_specs([spec]) == ('service_type: mon\nservice_name: mon\nplacement:\n'
                                  '  count: 3\n  label: mon\n')


def test_empty_input_gives_no_specs():
    assert load_specs('') == []
    assert load_specs('---\n---\n') == []
    assert dump_specs([]) == ''
