"""A real Pacific cluster, deployed and operated by `orch` alone, as an operator types it.

The tests run in file order against one cluster (the ``cluster`` fixture): bring-up, then
each workflow against the real daemons. What is checked is what the real ``ceph`` says.
"""
from __future__ import annotations

import urllib.request

import pytest

from tests.realceph.conftest import bring_up, wait_until

pytestmark = [pytest.mark.realceph, pytest.mark.timeout(900)]

VERSION = "16.2.15"


def _running(cluster, name):
    return any(d["daemon_name"] == name and d.get("status_desc") == "running"
               for d in cluster.orch_json("ps", "--refresh"))


def test_bootstrap_hosts_and_a_cluster_file_bring_up_a_healthy_cluster(cluster):
    out = bring_up(cluster)
    fsid = cluster.ceph_json("fsid")["fsid"]
    assert f"Cluster fsid: {fsid}" in out
    again = cluster.orch("bootstrap", "host1", "--mon-ip", cluster.host("host1").addr, check=False)
    assert again.returncode == 17 and "already bootstrapped" in again.stderr

    report = cluster.ceph_json("status")
    assert sorted(report["quorum_names"]) == ["host1", "host2", "host3"]
    mgr = cluster.ceph_json("mgr", "dump")
    assert mgr["available"] and len(mgr["standbys"]) == 1
    daemons = wait_until("every daemon running with its version", lambda: (lambda ds: all(
        d["status_desc"] == "running" and d.get("version") == VERSION for d in ds) and ds)(
        cluster.orch_json("ps", "--refresh")), 120, every=2)
    names = {d["daemon_name"].split(".")[0] for d in daemons}
    assert names == {"mon", "mgr", "osd", "crash", "mds", "rgw"}
    assert len([d for d in daemons if d["daemon_type"] == "osd"]) == 7

    gateway = cluster.host("host2").addr

    def s3_answers():
        with urllib.request.urlopen(f"http://{gateway}:8080/", timeout=5) as reply:
            return reply.status == 200 and b"ListAllMyBucketsResult" in reply.read()
    wait_until(f"rgw answering S3 on {gateway}:8080", lambda: _try(s3_answers), 120, every=2)


def _try(fn):
    try:
        return fn()
    except OSError:
        return False


def test_stopping_one_mon_leaves_a_quorum_of_two_and_starting_it_restores_three(cluster):
    cluster.orch("daemon", "stop", "mon.host3")
    wait_until("a quorum of 2", lambda: sorted(cluster.ceph_json("quorum_status")["quorum_names"])
               == ["host1", "host2"], 60)
    assert not _running(cluster, "mon.host3")
    cluster.orch("daemon", "start", "mon.host3")
    wait_until("a quorum of 3", lambda: len(cluster.ceph_json("quorum_status")["quorum_names"]) == 3, 90)
    cluster.wait_healthy()


def _osds_of(cluster, host):
    return sorted(int(d["daemon_id"]) for d in cluster.orch_json("ps", "--daemon-type", "osd")
                  if d["hostname"] == host)


def test_osd_rm_drains_a_loaded_osd_then_purges_it(cluster):
    victim = _osds_of(cluster, "host1")[0]
    assert cluster.orch("osd", "rm", str(victim)).returncode == 0
    cluster.serve_until(f"osd.{victim} purged",
                        lambda: victim not in cluster.ceph_json("osd", "ls"), 300)
    assert victim not in _osds_of(cluster, "host1")
    assert "No OSD remove/replace operations reported" in cluster.orch("osd", "rm", "status").stdout
    cluster.wait_healthy(300)
    listing = cluster.host("host1").run(["rados", "-p", "data", "ls"]).stdout.decode().split()
    assert sorted(listing) == sorted(f"obj{n}" for n in range(8))


def test_osd_replace_keeps_the_id_and_the_wiped_disk_gets_it_back(cluster):
    victim = _osds_of(cluster, "host2")[0]
    disk = _device_of(cluster, "host2", victim)
    cluster.orch("osd", "rm", str(victim), "--replace")
    cluster.serve_until(f"osd.{victim} destroyed", lambda: any(
        n.get("id") == victim and n.get("status") == "destroyed"
        for n in cluster.ceph_json("osd", "tree", "destroyed")["nodes"]), 300)
    cluster.orch("device", "zap", "host2", disk, "--force")
    cluster.serve_until(f"osd.{victim} recreated on {disk}",
                        lambda: victim in _osds_of(cluster, "host2"), 180)
    wait_until(f"osd.{victim} up and in", lambda: any(
        n.get("id") == victim and n.get("status") == "up" and n.get("reweight") == 1.0
        for n in cluster.ceph_json("osd", "tree")["nodes"]), 120)
    cluster.wait_healthy(300)


def _device_of(cluster, host, osd_id):
    """The disk an OSD lives on: its data dir's ``block`` link, read on the host."""
    fsid = cluster.ceph_json("fsid")["fsid"]
    result = cluster.host(host).run(["readlink", "-f", f"/var/lib/ceph/{fsid}/osd.{osd_id}/block"])
    path = result.stdout.decode().strip()
    assert path in cluster.host(host).devices, path
    return path


def test_maintenance_stops_the_hosts_daemons_under_noout_and_exit_starts_them(cluster):
    # as an operator does: wait until Ceph says the host's OSDs may stop (a PG still peering
    # or a pool just created makes `osd ok-to-stop` refuse for a while), then enter
    wait_until("host3 ok to stop", lambda: cluster.orch(
        "host", "ok-to-stop", "host3", check=False).returncode == 0, 180, every=2)

    def enter() -> bool:
        # Ceph's answer may change between the two commands (a PG the balancer moves, a
        # backfill): a refusal changes nothing, and the operator tries again
        result = cluster.orch("host", "maintenance", "enter", "host3", check=False)
        if result.returncode == 0:
            return True
        if "NOT safe to stop" not in result.stderr:
            pytest.fail(f"maintenance enter host3: {result.stderr}")
        assert "host3 has flags noout" not in cluster.ceph("health", "detail")
        return False

    wait_until("host3 in maintenance", enter, 180, every=3)
    detail = cluster.ceph("health", "detail")
    assert "host host3 has flags noout" in detail
    daemons = [d for d in cluster.orch_json("ps", "--hostname", "host3")]
    assert daemons and all(d["status_desc"] == "stopped" for d in daemons)
    wait_until("a quorum without host3", lambda: "host3" not in
               cluster.ceph_json("quorum_status")["quorum_names"], 60)
    cluster.orch("host", "maintenance", "exit", "host3")
    assert "host3 has flags noout" not in cluster.ceph("health", "detail")
    wait_until("host3's daemons running", lambda: all(
        d["status_desc"] == "running" for d in cluster.orch_json("ps", "--hostname", "host3",
                                                                  "--refresh")), 60)
    cluster.wait_healthy(300)


def test_a_host_killed_during_an_apply_comes_back_and_converges(cluster):
    host3 = cluster.host("host3")
    cluster.hosts.stop(host3)  # the host crashes: sshd and every daemon on it die
    # rgw on every gateway host: host1 gets one, the dead host3 cannot, and goes offline
    cluster.orch("apply", "rgw", "s3", "--placement", "host1 host2 host3", "--port", "8080")
    wait_until("host3 offline", lambda: any(
        h["hostname"] == "host3" and h["status"].lower() == "offline"
        for h in cluster.orch_json("host", "ls")), 60)
    assert _running(cluster, next(d["daemon_name"] for d in cluster.orch_json("ps", "--hostname", "host1")
                                  if d["daemon_type"] == "rgw"))
    wait_until("the cluster noticing", lambda: cluster.health() != "HEALTH_OK", 60)
    cluster.hosts.restart(host3)  # a reboot: the data is there, the daemons are not running
    cluster.serve_until("host3 online with its daemons running", lambda: any(
        h["hostname"] == "host3" and h["status"] == "" for h in cluster.orch_json("host", "ls"))
        and (lambda ds: "rgw" in {d["daemon_type"] for d in ds} and
             all(d["status_desc"] == "running" for d in ds))(
            cluster.orch_json("ps", "--hostname", "host3", "--refresh")), 180)
    cluster.wait_healthy(300)


def test_drain_then_rm_retires_a_host(cluster):
    cluster.orch("host", "drain", "host4")
    cluster.serve_until("host4 empty", lambda: not cluster.orch_json("ps", "--hostname", "host4"),
                        400)
    assert cluster.orch("host", "rm", "host4").returncode == 0
    assert "host4" not in [h["hostname"] for h in cluster.orch_json("host", "ls")]
    cluster.wait_healthy(300)
    assert cluster.osd_stat()["num_osds"] == 5
