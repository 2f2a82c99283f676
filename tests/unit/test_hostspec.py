"""Host specs as an operator writes them in `service_type: host` documents."""
import pytest

from ceph_orch_cli.deployment.hostspec import (HostSpec, SpecialHostLabels, SpecValidationError,
                                               assert_valid_host)


@pytest.mark.parametrize('doc,expected', [
    ({'hostname': 'foo'}, HostSpec('foo')),
    ({'hostname': 'foo', 'labels': 'l1'}, HostSpec('foo', labels=['l1'])),
    ({'hostname': 'foo', 'labels': ['l1', 'l2']}, HostSpec('foo', labels=['l1', 'l2'])),
    ({'hostname': 'foo', 'location': {'rack': 'foo'}}, HostSpec('foo', location={'rack': 'foo'})),
])
def test_host_documents_parse(doc, expected):
    assert HostSpec.from_json(doc) == expected


@pytest.mark.parametrize('bad', [
    {'hostname': 'foo', 'labels': 124},
    {'hostname': 'foo', 'labels': {'a', 'b'}},
    {'hostname': 'foo', 'labels': ['a', 2]},
    {'hostname': 'foo', 'location': 'rack=bar'},
    {'hostname': 'foo', 'location': ['a']},
    {'hostname': 'foo', 'location': {'rack', 1}},
    {'hostname': 'foo', 'location': {1: 'rack'}},
])
def test_malformed_host_documents_are_rejected(bad):
    with pytest.raises(SpecValidationError):
        HostSpec.from_json(bad)


def test_labels_messages_follow_ceph():
    with pytest.raises(SpecValidationError, match=r'^Labels \(124\) must be a string or list of strings$'):
        HostSpec.from_json({'hostname': 'foo', 'labels': 124})
    with pytest.raises(SpecValidationError,
                       match=r'^Location \(rack=bar\) must be a dictionary of strings to strings$'):
        HostSpec.from_json({'hostname': 'foo', 'location': 'rack=bar'})


def test_addr_defaults_to_hostname_and_json_keeps_ceph_key_order():
    h = HostSpec('node1', labels=['mon', 'mon', '_admin'])
    assert h.addr == 'node1'
    assert list(h.to_json()) == ['hostname', 'addr', 'labels', 'status']
    assert h.to_json()['labels'] == ['mon', '_admin']  # de-duplicated, order kept


def test_to_json_round_trips_with_location_and_oob():
    h = HostSpec('node1', '10.0.0.11', ['_admin'], 'maintenance', {'rack': 'r1'},
                 {'username': 'u', 'password': 'p', 'addr': '10.1.0.1'})
    j = h.to_json()
    assert j['location'] == {'rack': 'r1'} and j['oob']['username'] == 'u'
    assert HostSpec.from_json(j) == h
    assert HostSpec.from_json(j).status == 'maintenance'


def test_from_json_removes_duplicate_labels():
    assert HostSpec.from_json({'hostname': 'a', 'labels': ['x', 'y', 'x']}).labels == ['x', 'y']


def test_equality_ignores_status_and_label_order():
    assert HostSpec('a', labels=['x', 'y'], status='offline') == HostSpec('a', labels=['y', 'x'])
    assert HostSpec('a', addr='1.2.3.4') != HostSpec('a')


def test_repr_and_str():
    assert repr(HostSpec('a', '1.2.3.4', ['x'])) == "HostSpec('a', '1.2.3.4', ['x'])"
    assert str(HostSpec('a', '1.2.3.4')) == 'a (1.2.3.4)'
    assert str(HostSpec('a')) == 'a'


@pytest.mark.parametrize('name', ['host1', 'host-1.example.com', 'a' * 63, 'A1'])
def test_valid_hostnames(name):
    assert_valid_host(name)
    HostSpec(name).validate()


@pytest.mark.parametrize('name,message', [
    ('a' * 251, 'name is too long (max 250 chars)'),
    ('host..example', '.-delimited name component must not be empty'),
    ('a' * 64, '.-delimited name component must not be more than 63 chars'),
    ('host_1', 'name component must include only a-z, 0-9, and -'),
    ('host 1', 'name component must include only a-z, 0-9, and -'),
])
def test_invalid_hostnames_name_the_problem(name, message):
    with pytest.raises(SpecValidationError) as e:
        HostSpec(name).validate()
    assert str(e.value) == f'{message}. Got "{name}"'
    assert e.value.errno == -22


def test_oob_needs_credentials():
    with pytest.raises(SpecValidationError):
        HostSpec('a', oob={'addr': '10.1.0.1'}).validate()
    HostSpec('a', oob={'username': 'u', 'password': 'p'}).validate()


def test_special_labels():
    assert SpecialHostLabels.ADMIN == '_admin'
    assert SpecialHostLabels.DRAIN_DAEMONS == '_no_schedule'
    assert SpecialHostLabels.DRAIN_CONF_KEYRING == '_no_conf_keyring'
    assert SpecialHostLabels.NO_MEMORY_AUTOTUNE == '_no_autotune_memory'
    assert SpecialHostLabels.ADMIN in HostSpec('a', labels=['_admin']).labels
    assert SpecialHostLabels.ADMIN.to_json() == '_admin'
