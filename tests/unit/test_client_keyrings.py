"""The engine's client keyrings: which hosts hold which files, and how that follows the
placement (labels added and removed, hosts in maintenance, specs removed)."""
from __future__ import annotations

from workflow_cluster import ok

from ceph_orch_cli.cluster.client_keyrings import (CEPH_CONF, ClientKeyringSpec,
                                                   file_mode_to_str, parse_mode)


def _holders(orch, path):
    return sorted(h for h, files in orch.client_keyring_files().items() if path in files)


def test_file_mode_to_str_and_parse_mode():
    assert file_mode_to_str(0o600) == 'rw-------'
    assert file_mode_to_str(0o755) == 'rwxr-xr-x'
    assert parse_mode('640') == 0o640 and parse_mode(None) == 0o600


def test_spec_json_round_trip():
    from ceph_orch_cli.deployment.service_spec import PlacementSpec
    spec = ClientKeyringSpec('client.a', PlacementSpec(label='x'), mode=0o640, uid=1, gid=2,
                             include_ceph_conf=False)
    assert ClientKeyringSpec.from_json(spec.to_json()) == spec
    assert spec.path == '/etc/ceph/ceph.client.a.keyring'


def test_files_follow_the_placement(orch):
    hosts = sorted(h.hostname for h in ok(orch.get_hosts()))
    ok(orch.client_keyring_set('client.app', 'label:app', '10:20', '640'))
    path = '/etc/ceph/ceph.client.app.keyring'
    assert _holders(orch, path) == []
    ok(orch.add_host_label(hosts[0], 'app'))
    orch.reconcile_pass()
    assert _holders(orch, path) == [hosts[0]]
    meta = orch.client_keyring_files()[hosts[0]]
    assert meta[path] == {'entity': 'client.app', 'mode': 0o640, 'uid': 10, 'gid': 20}
    assert CEPH_CONF in meta
    ok(orch.remove_host_label(hosts[0], 'app'))
    orch.reconcile_pass()
    assert _holders(orch, path) == []
    assert orch.client_keyring_files().get(hosts[0], {}) == {}


def test_removing_the_spec_removes_the_files(orch):
    ok(orch.client_keyring_set('client.all', '*', no_ceph_conf=True))
    hosts = sorted(h.hostname for h in ok(orch.get_hosts()))
    assert _holders(orch, '/etc/ceph/ceph.client.all.keyring') == hosts
    assert _holders(orch, CEPH_CONF) == []
    ok(orch.client_keyring_rm('client.all'))
    assert orch.client_keyring_files() == {}
