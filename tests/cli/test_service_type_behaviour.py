"""What the registry of service types (`cluster/service_types/`) decides, seen from the command
line: a type that runs its own image (nvmeof) is treated so by every command, and a type's
default placement is the one an apply without placement gets."""
from __future__ import annotations

import json
from typing import List

import pytest
import yaml
from cli_helpers import Orch, assert_clean_failure

NVMEOF_IMAGE = 'quay.io/ceph/nvmeof:1.2.5'


def _daemons(orch: Orch, daemon_type: str) -> List[dict]:
    return json.loads(orch('ps', '--daemon-type', daemon_type, '--format', 'json').stdout)


def test_nvmeof_runs_its_own_image_in_every_command(orch: Orch, demo: object) -> None:
    assert orch('apply', 'nvmeof', 'rbd', 'grp1', 'count:1').exit_code == 0
    [gateway] = _daemons(orch, 'nvmeof')
    assert gateway['container_image_name'] == NVMEOF_IMAGE
    name = gateway['daemon_name']

    # an upgrade of the Ceph image leaves it alone
    check = json.loads(orch('upgrade', 'check', '--ceph-version', '18.2.5').stdout)
    assert name in check['non_ceph_image_daemons']
    assert name not in check['needs_update']
    assert any(n.startswith('mon.') for n in check['needs_update'])

    # `daemon redeploy --image` is for the Ceph image's types only
    assert_clean_failure(orch('daemon', 'redeploy', name, '--image', 'quay.io/ceph/ceph:v18.2.5'),
                         22, f'Cannot redeploy {name} with a new image: Supported types are: '
                             'mgr, mon, crash, osd, mds, rgw, rbd-mirror, cephfs-mirror, '
                             'ceph-exporter, iscsi, nfs')
    assert [d['container_image_name'] for d in _daemons(orch, 'nvmeof')] == [NVMEOF_IMAGE]

    # `update service` changes the image of a type that does not run the Ceph image
    newer = 'quay.io/ceph/nvmeof:1.3.0'
    result = orch('update', 'service', 'nvmeof', newer)
    assert result.exit_code == 0, result.stderr
    assert [d['container_image_name'] for d in _daemons(orch, 'nvmeof')] == [newer]


@pytest.mark.parametrize('words, service_name, placement', [
    (['mds', 'fs1'], 'mds.fs1', {'count': 2}),
    (['rbd-mirror'], 'rbd-mirror', {'count': 2}),
    (['ceph-exporter'], 'ceph-exporter', {'host_pattern': '*'}),
    (['nvmeof', 'rbd', 'grp1'], 'nvmeof.rbd.grp1', {'count': 1}),
])
def test_apply_without_placement_gets_the_types_default(orch: Orch, demo: object,
                                                        words: List[str], service_name: str,
                                                        placement: dict) -> None:
    assert orch('apply', *words).exit_code == 0
    [exported] = list(yaml.safe_load_all(orch('ls', '--service-name', service_name,
                                              '--export').stdout))
    assert exported['placement'] == placement


def test_mon_and_mgr_are_never_removed_and_counts_are_limited_per_type(orch: Orch, demo: object) -> None:
    before = len(_daemons(orch, 'mgr'))
    assert_clean_failure(orch('rm', 'mgr'), 22, 'The mon and mgr services cannot be removed')
    assert_clean_failure(orch('apply', 'mon', '0'), 22, 'num/count must be >= 1')
    assert_clean_failure(orch('apply', 'mgr', '7'), 22,
                         'The maximum number of mgr daemons allowed with 6 hosts is 6.')
    # the other types are limited per host instead
    assert_clean_failure(orch('apply', 'rgw', 'foo', '61'), 22,
                         'The maximum number of rgw daemons allowed with 6 hosts is 60 (6x10).')
    assert len(_daemons(orch, 'mgr')) == before
