"""`CephCLICluster`: the engine's questions to Ceph as `ceph ... --format json` on an admin
host over SSH. A Ceph cluster is an edge we cannot run here: a `ceph` shim on the test host
answers from a JSON file, so these tests check the commands asked and the parsing of the
answers' shapes, not Ceph itself."""
from __future__ import annotations

import json

import pytest

from ceph_orch_cli.backends.ssh.ceph_cli import CephCLICluster, CephCommandError
from ceph_orch_cli.backends.ssh.keys import SSHFiles
from ceph_orch_cli.backends.ssh.pool import ConnectionPool
from ceph_orch_cli.backends.ssh.transport import KnownHosts

FSID = "5a1c9a40-1f6e-11ef-9d4a-525400a1b2c3"


@pytest.fixture
def cluster(hosts, state_dir):
    admin = hosts.hosts[0]
    files = SSHFiles(state_dir)
    pool = ConnectionPool(files.private_key, KnownHosts(files.known_hosts), files.config_path())
    pool.get(admin.name, admin.addr, trust_new_key=True)
    hosts.write_ceph_cluster(admin, {"fsid": FSID, "osds": {
        "0": {"host": "host1", "weight": 0.0098, "pgs": 2},
        "1": {"host": "host2", "weight": 0.0098, "pgs": 5},
        "3": {"host": "host2", "weight": 0.0098, "pgs": 0, "status": "destroyed"}}})
    ceph = CephCLICluster(pool, lambda: (admin.name, admin.addr))
    ceph.calls = lambda: [json.loads(l) for l in (admin.root / "ceph-calls.jsonl").read_text().splitlines()]
    yield ceph
    pool.close()


def test_fsid_comes_from_ceph_fsid(cluster):
    assert cluster.fsid() == FSID
    assert cluster.calls() == [["fsid", "--format", "json"]]


def test_osd_drain_reweights_and_counts_placement_groups_down(cluster):
    assert cluster.osd_weight(0) == pytest.approx(0.0098)
    assert cluster.osd_weight(7) is None
    cluster.reweight_osd(0, 0.0)
    assert cluster.osd_weight(0) == 0.0
    assert [cluster.pg_count(0) for _ in range(3)] == [1, 0, 0]
    assert cluster.safe_to_destroy([0]) is True
    assert cluster.safe_to_destroy([0, 1]) is False
    assert ["osd", "crush", "reweight", "osd.0", "0.0", "--format", "json"] in cluster.calls()


def test_destroy_keeps_the_id_for_a_replacement_and_purge_forgets_it(cluster):
    cluster.mark_osd(1, "out")
    cluster.destroy_osd(1)
    assert cluster.destroyed_osds() == {"host2": [1, 3]}
    assert cluster.allocate_osd_ids("host2", 3, claims=[3]) == [3, 2, 4]
    cluster.purge_osd(1)
    assert cluster.destroyed_osds() == {"host2": [3]}
    assert ["osd", "destroy", "1", "--yes-i-really-mean-it", "--format", "json"] in cluster.calls()


def test_ok_to_stop_reports_cephs_refusal(cluster, hosts):
    assert cluster.ok_to_stop("osd", ["0"]).ok is True
    state = json.loads((hosts.hosts[0].root / "ceph-cluster.json").read_text())
    state["not_ok_to_stop"] = ["1"]
    hosts.write_ceph_cluster(hosts.hosts[0], state)
    answer = cluster.ok_to_stop("osd", ["1"])
    assert answer.ok is False and "unsafe to stop 1" in answer.message


def test_a_failing_ceph_command_is_an_error_naming_the_command(cluster):
    with pytest.raises(CephCommandError) as failure:
        cluster.mark_osd(42, "down")
    assert "`ceph osd down 42`" in str(failure.value) and "osd.42 does not exist" in str(failure.value)
