"""The shortcuts in building specs give what the long way gives.

``ServiceSpec._init_base`` copies a template of the attributes ``ServiceSpec.__init__`` sets
for a kind of spec (class, type and simple flags) instead of running it; these tests build
every type both ways, with templates off (``__init__`` each time) and warm, and compare the
attributes and the documents.
"""
from __future__ import annotations

import itertools
from typing import Any, Dict, List

import pytest

from ceph_orch_cli.deployment.service_spec import PlacementSpec, ServiceSpec
from ceph_orch_cli.deployment.service_spec import base as spec_base


class _NoTemplates(dict):
    """Never holds a template: every spec runs ``__init__``."""

    def __len__(self) -> int:
        return 10 ** 6


TYPES = [t for t in ServiceSpec.KNOWN_SERVICE_TYPES if t != 'osd']
#: drawn at random for every spec that has none (oauth2-proxy)
RANDOM = {'cookie_secret'}


def _attrs(spec: Any) -> Any:
    """The attributes and their order (the order checks run and errors are reported in)."""
    return ({k: v for k, v in vars(spec).items() if k not in RANDOM}, tuple(vars(spec)))


def _docs() -> List[Dict[str, Any]]:
    docs = []
    for stype, extra in itertools.product(TYPES, [
            {}, {'unmanaged': True}, {'networks': ['10.0.0.0/8']}, {'networks': []},
            {'preview_only': True, 'targets': ['a']}, {'ssl': False},
            {'certificate_source': 'cephadm-signed'}, {'unmanaged': 1}]):
        doc: Dict[str, Any] = {'service_type': stype, 'placement': {'count': 2}}
        if stype in ServiceSpec.REQUIRES_SERVICE_ID:
            doc['service_id'] = 'x'
        doc.update(extra)
        docs.append(doc)
    return docs


def _build(doc: Dict[str, Any]) -> Any:
    try:
        spec = ServiceSpec.from_json(doc)
    except Exception as e:  # the same error both ways
        return ('error', type(e).__name__, str(e))
    doc = dict(spec.to_json())
    doc.get('spec', {}).pop('cookie_secret', None)
    return (type(spec).__name__, _attrs(spec), doc)


@pytest.mark.parametrize('doc', _docs(), ids=lambda d: '-'.join(map(str, d.values()))[:60])
def test_from_json_with_templates_gives_what_init_gives(doc, monkeypatch):
    warm = [_build(doc) for _ in range(3)]  # the first run records the template
    monkeypatch.setattr(spec_base, '_TEMPLATES', _NoTemplates())
    cold = _build(doc)
    assert warm[1] == cold and warm[2] == cold and warm[0] == cold


@pytest.mark.parametrize('stype', TYPES)
def test_constructor_with_templates_gives_what_init_gives(stype, monkeypatch):
    kwargs: Dict[str, Any] = {'service_type': stype, 'placement': PlacementSpec(count=1)}
    if stype in ServiceSpec.REQUIRES_SERVICE_ID:
        kwargs['service_id'] = 'y'

    def build() -> Any:
        try:
            spec = ServiceSpec(**kwargs)
        except Exception as e:
            return ('error', type(e).__name__, str(e))
        return type(spec), _attrs(spec)
    warm = [build() for _ in range(2)]
    monkeypatch.setattr(spec_base, '_TEMPLATES', _NoTemplates())
    assert warm[0] == build() == warm[1]


def test_template_values_are_never_shared(monkeypatch):
    monkeypatch.setattr(spec_base, '_TEMPLATES', {})
    first = ServiceSpec.from_json({'service_type': 'rgw', 'service_id': 'first'})
    first.d3n_cache['changed'] = True  # the spec that recorded the template
    assert ServiceSpec.from_json({'service_type': 'rgw', 'service_id': 'c'}).d3n_cache == {}
    a = ServiceSpec.from_json({'service_type': 'crash', 'placement': {'host_pattern': '*'}})
    b = ServiceSpec.from_json({'service_type': 'crash', 'placement': {'host_pattern': '*'}})
    a.networks.append('10.0.0.0/8')
    a.targets.append('t')
    assert b.networks == [] and b.targets == []
    r1 = ServiceSpec.from_json({'service_type': 'rgw', 'service_id': 'a'})
    r2 = ServiceSpec.from_json({'service_type': 'rgw', 'service_id': 'b'})
    r1.d3n_cache['x'] = 1
    assert r2.d3n_cache == {} and r2.service_id == 'b'
    assert r1.placement is not r2.placement


def test_host_placement_parse_cache_keeps_errors():
    from ceph_orch_cli.deployment.hostspec import SpecValidationError
    from ceph_orch_cli.deployment.service_spec import HostPlacementSpec
    for _ in range(2):  # a bad network is the spec's error (EINVAL) every time, not cached away
        with pytest.raises(SpecValidationError):
            HostPlacementSpec.parse('host1:not-an-ip')
    assert HostPlacementSpec.parse('h:10.0.0.1=a') == HostPlacementSpec('h', '10.0.0.1', 'a')
