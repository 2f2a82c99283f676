"""Every example in specs/ loads, validates and survives an export round trip."""
from pathlib import Path

import pytest

from ceph_orch_cli.deployment.hostspec import HostSpec
from ceph_orch_cli.deployment.loader import dump_specs, load_spec_documents, load_specs

SPECS = Path(__file__).resolve().parents[2] / 'specs'
FILES = sorted(p for p in SPECS.rglob('*.yaml') if p != SPECS / 'demo' / 'fleet.yaml')


def _needs_drive_groups(path: Path) -> bool:
    return any(isinstance(d, dict) and d.get('service_type') == 'osd'
               for _, d in load_spec_documents(path.read_text(), str(path)))


def test_there_is_an_example_per_service_type():
    names = {p.stem for p in FILES}
    for stype in ['mon', 'mgr', 'crash', 'mds', 'osd', 'rbd-mirror', 'cephfs-mirror', 'nfs', 'rgw',
                  'iscsi', 'nvmeof', 'ingress', 'alertmanager', 'grafana', 'node-exporter',
                  'prometheus', 'loki', 'promtail', 'alloy', 'container', 'snmp-gateway',
                  'mgmt-gateway', 'oauth2-proxy', 'smb', 'ceph-exporter', 'host']:
        assert stype in names


@pytest.mark.parametrize('path', FILES, ids=lambda p: str(p.relative_to(SPECS)))
def test_example_loads_validates_and_round_trips(path):
    if _needs_drive_groups(path):
        pytest.importorskip('ceph_orch_cli.deployment.drive_group')
    specs = load_specs(path.read_text(), str(path))
    assert specs
    for spec in specs:
        spec.validate()
        again = load_specs(dump_specs([spec]))[0]
        assert again == spec
        if not isinstance(spec, HostSpec):
            assert type(spec).from_json(spec.to_json()) == spec
    if path.stem.startswith(('host',)) or path.parent.name == 'demo':
        return
    assert all(getattr(s, 'service_type', None) in (path.stem, 'host') for s in specs)


def test_demo_cluster_matches_the_demo_fleet():
    pytest.importorskip('ceph_orch_cli.deployment.drive_group')
    specs = load_specs((SPECS / 'demo' / 'cluster.yaml').read_text())
    hosts = [s for s in specs if isinstance(s, HostSpec)]
    assert [(h.hostname, h.addr) for h in hosts] == \
        [(f'host{i}', f'10.0.0.{10 + i}') for i in range(1, 7)]
    services = {s.service_name(): s for s in specs if not isinstance(s, HostSpec)}
    assert set(services) == {'mon', 'mgr', 'crash', 'mds.cephfs', 'rgw.myrgw', 'nfs.mynfs',
                             'ingress.rgw.myrgw', 'prometheus', 'grafana', 'alertmanager',
                             'node-exporter', 'osd.default_drive_group'}
    assert services['ingress.rgw.myrgw'].virtual_ip == '10.0.0.100/24'
    assert services['nfs.mynfs'].port == 12049
    fleet = SPECS / 'demo' / 'fleet.yaml'
    if fleet.exists():
        import yaml
        docs = [d for d in yaml.safe_load_all(fleet.read_text()) if d]
        if len(docs) == 1 and isinstance(docs[0], list):
            docs = docs[0]
        assert {(d['hostname'], d['addr']) for d in docs} == \
            {(h.hostname, h.addr) for h in hosts}
