"""`CephCLICluster`: the engine's questions to Ceph as `ceph ... --format json` on an admin
host over SSH. A Ceph cluster is an edge we cannot run here: a `ceph` shim on the test host
answers from a JSON file, so these tests check the commands asked and the parsing of the
answers' shapes, not Ceph itself."""
from __future__ import annotations

import json
import os
import subprocess

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
    cluster.mark_osd(1, "down")  # as the engine does: Ceph refuses to destroy an up OSD
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
    assert answer.ok is False and "unsafe to stop osd(s) at this time" in answer.message


def test_a_failing_ceph_command_is_an_error_naming_the_command(cluster):
    with pytest.raises(CephCommandError) as failure:
        cluster.reweight_osd(42, 0.0)  # `osd down 42` is not an error in real Ceph
    assert "`ceph osd crush reweight osd.42 0.0`" in str(failure.value)
    assert "device 'osd.42' does not appear in the crush map" in str(failure.value)


# -- the `ceph` shim answers as real Pacific does (reference/real-ceph.md, section 5) --------

def raw(cluster, *argv):
    from ceph_orch_cli.backends.ssh.ceph_cli import CephCommand
    return cluster.ask(CephCommand(" ".join(argv[:2]), list(argv)))


def test_safe_to_destroy_as_json_exits_0_and_lists_only_the_safe_ids(cluster, hosts):
    answer = raw(cluster, "osd", "safe-to-destroy", "0", "1", "7")
    assert answer.rc == 0
    assert json.loads(answer.out) == {"safe_to_destroy": [7], "active": [0, 1],
                                      "missing_stats": [], "stored_pgs": []}
    assert cluster.safe_to_destroy([7]) is True and cluster.safe_to_destroy([0]) is False
    # the plain form (no --format json) is the one that exits EBUSY
    admin = hosts.hosts[0]
    env = dict(os.environ, ORCH_AGENT_ROOT=str(admin.root))
    plain = subprocess.run([str(hosts.shim_dir / "ceph"), "osd", "safe-to-destroy", "0"],
                           capture_output=True, text=True, env=env)
    assert plain.returncode == 16 and plain.stderr.startswith("Error EBUSY: OSD(s) 0 have 2 pgs")


def test_out_and_in_of_an_unknown_osd_succeed_with_a_note_on_stderr(cluster):
    for state in ("out", "in"):
        answer = raw(cluster, "osd", state, "7")
        assert (answer.rc, answer.out, answer.err.strip()) == (0, "", "osd.7 does not exist.")
        cluster.mark_osd(7, state)


def test_destroying_an_up_osd_is_ebusy(cluster):
    with pytest.raises(CephCommandError) as refused:
        cluster.destroy_osd(0)
    assert refused.value.rc == 16 and "Error EBUSY: osd.0 is not `down`." in str(refused.value)
    cluster.mark_osd(0, "down")
    cluster.destroy_osd(0)
    assert cluster.destroyed_osds() == {"host1": [0], "host2": [3]}


def test_placement_groups_of_a_down_or_unknown_osd_are_eagain(cluster):
    cluster.mark_osd(1, "down")
    for osd in ("1", "7"):
        answer = raw(cluster, "pg", "ls-by-osd", osd)
        assert (answer.rc, json.loads(answer.out), answer.err.strip()) == (
            11, {"pg_ready": True}, f"osd {osd} is not up")
    assert cluster.pg_count(1) == -1 and cluster.pg_count(0) == 2


def test_mon_ok_to_stop_answers_on_stderr_with_an_empty_stdout(cluster):
    answer = raw(cluster, "mon", "ok-to-stop", "host1")
    assert answer.rc == 0 and answer.out == ""
    assert answer.err.startswith("quorum should be preserved (") and "after stopping [host1]" in answer.err
    assert cluster.ok_to_stop("mon", ["host1"]).ok is True
