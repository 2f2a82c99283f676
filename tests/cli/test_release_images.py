"""cephadm's default images follow the release of the cluster's Ceph image.

A Reef cluster runs Reef's monitoring images; `orch upgrade start` to Squid moves the Ceph
daemons and then nvmeof, smb and the monitoring stack to Squid's defaults (as cephadm moves
them to the upgraded mgr's `container_image_<type>` defaults), while an image chosen with
`orch update service` stays; a custom container runs its spec's `image:`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict

from cli_helpers import Orch

REEF = {'prometheus': 'quay.io/prometheus/prometheus:v2.43.0',
        'node-exporter': 'quay.io/prometheus/node-exporter:v1.5.0',
        'alertmanager': 'quay.io/prometheus/alertmanager:v0.25.0',
        'grafana': 'quay.io/ceph/ceph-grafana:9.4.7'}
SQUID = {'prometheus': 'quay.io/prometheus/prometheus:v2.51.0',
         'node-exporter': 'quay.io/prometheus/node-exporter:v1.7.0',
         'alertmanager': 'quay.io/prometheus/alertmanager:v0.27.0',
         'grafana': 'quay.io/ceph/grafana:10.4.8',
         'loki': 'docker.io/grafana/loki:3.0.0',
         'nvmeof': 'quay.io/ceph/nvmeof:1.2.17'}


def _images(orch: Orch) -> Dict[str, set]:
    result = orch('ps', '--format', 'json')
    assert result.exit_code == 0, result.stderr
    out: Dict[str, set] = {}
    for d in json.loads(result.stdout):
        out.setdefault(d['daemon_type'], set()).add(d['container_image_name'])
    return out


def _deploy(orch: Orch, *apply_words: str) -> Dict[str, set]:
    """`orch apply ...`, a pass, and the images every daemon type then runs."""
    applied = orch('apply', *apply_words)
    assert applied.exit_code == 0, applied.stderr
    assert orch('serve', '--once').exit_code == 0
    return _images(orch)


def _upgrade(orch: Orch, image: str) -> None:
    started = orch('upgrade', 'start', '--image', image)
    assert started.exit_code == 0, started.stderr
    for _ in range(60):
        if not json.loads(orch('upgrade', 'status').stdout)['in_progress']:
            break
        assert orch('serve', '--once').exit_code == 0
    assert json.loads(orch('upgrade', 'status').stdout)['in_progress'] is False


def test_a_reef_cluster_runs_reefs_monitoring_images(orch: Orch, demo: object) -> None:
    assert orch('serve', '--once').exit_code == 0
    images = _images(orch)
    for dtype, image in REEF.items():
        assert images[dtype] == {image}, dtype


def test_upgrade_to_squid_moves_the_monitoring_stack_after_the_ceph_daemons(
        orch: Orch, demo: object) -> None:
    assert _deploy(orch, 'nvmeof', 'rbd', 'gw', '1')['nvmeof'] == {'quay.io/ceph/nvmeof:1.2.5'}
    _upgrade(orch, 'quay.io/ceph/ceph:v19.2.2')
    images = _images(orch)
    assert images['mgr'] == images['mon'] == images['osd'] == {'quay.io/ceph/ceph:v19.2.2'}
    for dtype in ('prometheus', 'node-exporter', 'alertmanager', 'grafana', 'nvmeof'):
        assert images[dtype] == {SQUID[dtype]}, dtype
    # haproxy's default did not change in Squid
    assert images['haproxy'] == {'quay.io/ceph/haproxy:2.3'}
    versions = {d['daemon_type']: d['version'] for d in
                json.loads(orch('ps', '--daemon-type', 'prometheus', '--format', 'json').stdout)}
    assert versions == {'prometheus': '2.51.0'}


def test_after_the_upgrade_new_daemons_get_squids_defaults(orch: Orch, demo: object) -> None:
    assert orch('serve', '--once').exit_code == 0
    _upgrade(orch, 'quay.io/ceph/ceph:v19.2.2')
    assert _deploy(orch, 'loki', '1')['loki'] == {SQUID['loki']}


def test_an_image_chosen_with_update_service_stays_through_the_upgrade(
        orch: Orch, demo: object) -> None:
    assert orch('serve', '--once').exit_code == 0
    chosen = orch('update', 'service', 'grafana', 'quay.io/ceph/grafana:site-build')
    assert chosen.exit_code == 0, chosen.stderr
    assert orch('serve', '--once').exit_code == 0
    _upgrade(orch, 'quay.io/ceph/ceph:v19.2.2')
    images = _images(orch)
    assert images['grafana'] == {'quay.io/ceph/grafana:site-build'}
    assert images['prometheus'] == {SQUID['prometheus']}


def test_a_staggered_upgrade_of_the_mgrs_leaves_the_monitoring_stack(
        orch: Orch, demo: object) -> None:
    assert orch('serve', '--once').exit_code == 0
    started = orch('upgrade', 'start', '--image', 'quay.io/ceph/ceph:v19.2.2',
                   '--daemon-types', 'mgr')
    assert started.exit_code == 0, started.stderr
    for _ in range(30):
        if not json.loads(orch('upgrade', 'status').stdout)['in_progress']:
            break
        assert orch('serve', '--once').exit_code == 0
    images = _images(orch)
    assert images['mgr'] == {'quay.io/ceph/ceph:v19.2.2'}
    assert images['prometheus'] == {REEF['prometheus']}


def test_upgrade_check_lists_the_monitoring_daemons_as_non_ceph_image(
        orch: Orch, demo: object) -> None:
    assert orch('serve', '--once').exit_code == 0
    check = json.loads(orch('upgrade', 'check', 'quay.io/ceph/ceph:v19.2.2').stdout)
    assert 'prometheus.host6' in check['non_ceph_image_daemons']
    assert not any(n.startswith(('prometheus', 'grafana')) for n in check['needs_update'])
    assert any(n.startswith('mgr.') for n in check['needs_update'])


def test_a_custom_container_runs_its_specs_image(orch: Orch, demo: object,
                                                 tmp_path: Path) -> None:
    spec = tmp_path / 'container.yaml'
    spec.write_text('service_type: container\nservice_id: web\nplacement:\n  count: 1\n'
                    'spec:\n  image: docker.io/library/nginx:1.27\n  ports: [8088]\n')
    applied = orch('apply', '-i', str(spec))
    assert applied.exit_code == 0, applied.stderr
    assert orch('serve', '--once').exit_code == 0
    assert _images(orch)['container'] == {'docker.io/library/nginx:1.27'}
    # an upgrade leaves it on its own image
    _upgrade(orch, 'quay.io/ceph/ceph:v19.2.2')
    assert _images(orch)['container'] == {'docker.io/library/nginx:1.27'}


def test_upgrade_to_tentacle_takes_tentacles_and_keeps_squids_where_unchanged(
        orch: Orch, demo: object) -> None:
    assert _deploy(orch, 'smb', 'c1', 'rados://pool/c1/config.json', '1')['smb'] == {
        'quay.io/samba.org/samba-server:devbuilds-centos-amd64'}
    _upgrade(orch, 'quay.io/ceph/ceph:v20.2.0')
    images = _images(orch)
    assert images['prometheus'] == {'quay.io/prometheus/prometheus:v3.6.0'}
    assert images['grafana'] == {'quay.io/ceph/grafana:12.3.1'}
    assert images['smb'] == {'quay.io/samba.org/samba-server:ceph20-centos-amd64'}
    # loki did not change in Tentacle: a new one gets Squid's
    assert _deploy(orch, 'loki', '1')['loki'] == {SQUID['loki']}
