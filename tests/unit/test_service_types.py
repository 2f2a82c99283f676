"""The registry of service types: one record per type, and every table derived from it agrees."""
from __future__ import annotations

from ceph_orch_cli.cluster import reconcile, service_types
from ceph_orch_cli.cluster.maintenance import DANGEROUS_TYPES
from ceph_orch_cli.cluster.services import CEPH_IMAGE_TYPES
from ceph_orch_cli.cluster.upgrade import CEPH_UPGRADE_ORDER, NON_CEPH_IMAGE_TYPES
from ceph_orch_cli.deployment.service_spec import ServiceSpec, allow_colo
from ceph_orch_cli.orchestrator import service_to_daemon_types


def test_every_record_names_a_type_the_spec_model_and_the_interface_know() -> None:
    names = [r.name for r in service_types.REGISTRY]
    assert len(names) == len(set(names))
    assert set(names) <= set(ServiceSpec.KNOWN_SERVICE_TYPES)
    for name in names:
        assert service_to_daemon_types(name)


def test_orders_are_cephadms() -> None:
    assert CEPH_UPGRADE_ORDER == [
        'mgr', 'mon', 'crash', 'osd', 'mds', 'rgw', 'rbd-mirror', 'cephfs-mirror',
        'ceph-exporter', 'iscsi', 'nfs', 'nvmeof', 'smb', 'node-exporter', 'prometheus',
        'alertmanager', 'grafana', 'loki', 'promtail', 'alloy']
    ranks = [r.converge for r in service_types.REGISTRY if r.converge is not None]
    assert ranks == sorted(set(ranks))  # the records are listed in converge order
    spec = ServiceSpec.from_json
    ordered = sorted([spec({'service_type': 'ingress', 'service_id': 'x',
                            'backend_service': 'rgw.x', 'frontend_port': 80,
                            'monitor_port': 81, 'virtual_ip': '10.0.0.1/24'}),
                      spec({'service_type': 'rgw', 'service_id': 'x'}),
                      spec({'service_type': 'mon'})], key=reconcile.service_order)
    assert [s.service_type for s in ordered] == ['mon', 'rgw', 'ingress']


def test_a_type_with_its_own_image_is_never_taken_for_a_ceph_image_type() -> None:
    for record in service_types.REGISTRY:
        for dtype in service_to_daemon_types(record.name):
            own = service_types.daemon_image(dtype)
            assert reconcile.image_for(dtype, 'ceph:x') == (own or 'ceph:x')
            if own is not None:
                assert dtype not in CEPH_IMAGE_TYPES
    assert 'nvmeof' not in CEPH_IMAGE_TYPES and 'nvmeof' in NON_CEPH_IMAGE_TYPES
    assert 'smb' in NON_CEPH_IMAGE_TYPES
    assert set(CEPH_IMAGE_TYPES) | set(NON_CEPH_IMAGE_TYPES) == set(CEPH_UPGRADE_ORDER)


def test_colocation_agrees_with_the_spec_models_allow_colo() -> None:
    for record in service_types.REGISTRY:
        assert record.colocate == allow_colo(record.name), record.name


def test_per_daemon_facts_are_on_the_owning_record() -> None:
    assert service_types.for_daemon('haproxy').name == 'ingress'
    assert service_types.for_daemon('elasticsearch').name == 'elasticsearch'
    assert service_types.memory_target_defaults() == {'mon': 2 * 1024 ** 3, 'osd': 4 * 1024 ** 3}
    assert DANGEROUS_TYPES == {'mon', 'osd', 'mds'}
    unknown = service_types.service_type('not-a-type')
    assert unknown.converge is None and unknown.hooks is service_types.DEFAULT_HOOKS
