"""The codec's one pass over a document and the functions written per attribute shape give
what the long way gives: the same attributes, documents and errors, in the same order.

The long way is forced as in test_spec_fast_paths: with the codec store (``_TEMPLATES``)
never keeping one, every spec runs ``ServiceSpec.__init__``.
"""
from __future__ import annotations

from typing import Any, Dict

import pytest

from ceph_orch_cli.deployment.hostspec import SpecValidationError
from ceph_orch_cli.deployment.service_spec import ServiceSpec
from ceph_orch_cli.deployment.service_spec import base as spec_base


class _NoCodecs(dict):
    """Never keeps a codec: every spec takes the long way."""

    def __len__(self) -> int:
        return 10 ** 6


def _outcome(doc: Dict[str, Any]) -> Any:
    try:
        spec = ServiceSpec.from_json(doc)
    except Exception as e:
        return ('error', type(e).__name__, str(e))
    return (type(spec).__name__, list(vars(spec).items()), dict(spec.to_json()))


DOCS = [
    # a key given at the top level and under spec: the later one wins, either way round
    {'service_type': 'nfs', 'service_id': 'a', 'spec': {'port': 1}, 'port': 2},
    {'service_type': 'nfs', 'service_id': 'a', 'port': 2, 'spec': {'port': 1}},
    # rgw names itself after realm and zone given under spec
    {'service_type': 'rgw', 'spec': {'rgw_realm': 'r', 'rgw_zone': 'z'}},
    # the TLS block of a type without one is accepted and dropped
    {'service_type': 'crash', 'ssl': True, 'placement': {'host_pattern': '*'}},
    # what the codec leaves to the long way: config, a string network, a service_name
    {'service_type': 'mgr', 'config': {'a b': 1}},
    {'service_type': 'mgr', 'networks': '10.0.0.0/8'},
    {'service_name': 'rgw.x', 'placement': {'count': 1}},
    # errors: an unknown field, an id where none is taken, a bad placement after it
    {'service_type': 'grafana', 'spec': {'no_such_field': 1}},
    {'service_type': 'snmp-gateway', 'service_id': 'x'},
    {'service_type': 'mon', 'unknown': 1, 'placement': {'count': 0}},
    {'service_type': 'mon', 'placement': {'count': 0}, 'unknown': 1},
    # two badly typed ports: the first in attribute order is the one reported
    {'service_type': 'nfs', 'service_id': 'a', 'spec': {'monitoring_port': 'x', 'port': 'y'}},
    {'service_type': 'prometheus', 'spec': {'port': True}},
]


@pytest.mark.parametrize('doc', DOCS, ids=lambda d: str(d)[:60])
def test_codec_gives_what_the_long_way_gives(doc, monkeypatch):
    fast = [_outcome(doc) for _ in range(2)]  # the first call makes the codec
    monkeypatch.setattr(spec_base, '_TEMPLATES', _NoCodecs())
    assert fast[0] == fast[1] == _outcome(doc)


def test_an_attribute_added_later_is_written_and_checked():
    spec = ServiceSpec.from_json({'service_type': 'crash'})
    spec.extra_port = 'not a number'  # a shape no function was written for yet
    with pytest.raises(SpecValidationError, match='Invalid extra_port'):
        spec.validate()
    spec.extra_port = 8080
    spec.validate()
    assert spec.to_json()['spec'] == {'extra_port': 8080}
    again = ServiceSpec.from_json({'service_type': 'crash'})  # its kind's shape as before
    assert 'spec' not in again.to_json()


def test_a_value_with_to_json_is_converted_under_spec():
    spec = ServiceSpec.from_json({'service_type': 'snmp-gateway', 'spec': {
        'snmp_version': 'V2c', 'snmp_destination': '192.168.1.1:162',
        'credentials': {'snmp_community': 'public'}}})
    assert spec.to_json()['spec']['snmp_version'] == 'V2c'


def test_named_hosts_found_valid_are_remembered_and_bad_ones_still_refused():
    from ceph_orch_cli.deployment.service_spec import HostPlacementSpec, PlacementSpec
    good = {'hosts': ['h1:10.0.0.1=a', 'h2:10.0.0.0/24']}
    for _ in range(2):  # the second time from what the first found
        assert PlacementSpec.from_json(good).to_json() == good
    for _ in range(2):
        with pytest.raises(SpecValidationError, match='Invalid network'):
            PlacementSpec(hosts=[HostPlacementSpec('h1', '10.0.0.999', '')])
    with pytest.raises(SpecValidationError):  # a part that is no string: refused, not hashed
        PlacementSpec.from_json({'hosts': [{'hostname': 'h1', 'network': ['x'], 'name': ''}]})
