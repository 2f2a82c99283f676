"""`orch cephadm ...` against a real (small) Pacific cluster: the extra ceph.conf reaches
the daemons' config files and a restarted OSD runs with it, a client keyring gets its owner
and mode on the host, `osd activate` brings back an OSD whose daemon was removed, and the
configuration checker reads the real cluster's networks. Nothing is faked.

A smaller cluster than test_cluster.py's: one mon and mgr on host1, one OSD on host2 (the
tests run in file order against it).
"""
from __future__ import annotations

import os
import stat

import pytest

from tests.realceph.conftest import wait_until

pytestmark = [pytest.mark.realceph, pytest.mark.timeout(900)]


def _osd_up(cluster, osd_id):
    tree = cluster.ceph_json("osd", "dump")
    return any(o["osd"] == osd_id and o["up"] == 1 for o in tree["osds"])


def _fsid(cluster):
    return cluster.ceph_json("fsid")["fsid"]


def test_bootstrap_one_host_and_an_osd_on_another(cluster):
    cluster.orch("cephadm", "set-runtime", "package")
    out = cluster.orch("bootstrap", "host1", "--mon-ip", cluster.host("host1").addr,
                       "--config", str(cluster.work / "cluster.conf"),
                       "--skip-monitoring-stack").stdout
    assert "Bootstrap complete." in out
    cluster.orch("host", "add", "host2", cluster.host("host2").addr)
    device = cluster.host("host2").devices[0]
    assert "Created osd(s) 0 on host 'host2'" in \
        cluster.orch("daemon", "add", "osd", f"host2:{device}").stdout
    wait_until("osd.0 up", lambda: _osd_up(cluster, 0), 180, every=2)


def test_prepare_host_on_a_cluster_host(cluster):
    lines = cluster.orch("cephadm", "prepare-host", "host2").stdout.splitlines()
    assert lines[0] == "host2 (None) ok"


def test_extra_ceph_conf_reaches_every_daemons_config_and_a_restarted_osd(cluster):
    conf = "[osd]\nosd_max_backfills = 7\n"
    cluster.orch("cephadm", "set-extra-ceph-conf", "-i", "-", stdin=conf)
    assert cluster.orch("cephadm", "get-extra-ceph-conf").stdout == conf
    fsid = _fsid(cluster)
    daemons = [(d["hostname"], d["daemon_name"]) for d in cluster.orch_json("ps")]
    assert {n.split(".")[0] for _, n in daemons} >= {"mon", "mgr", "osd"}
    for host, daemon in daemons:
        text = (cluster.host(host).root / "var/lib/ceph" / fsid / daemon / "config").read_text()
        assert "[osd]\n\tosd_max_backfills = 7\n" in text, (daemon, text)
        assert "[global]" in text and "mon_host" in text
    # the admin host's /etc/ceph/ceph.conf follows on the next pass
    cluster.orch("serve", "--once")
    assert "osd_max_backfills = 7" in (cluster.host("host1").root / "etc/ceph/ceph.conf").read_text()
    cluster.orch("daemon", "restart", "osd.0")
    wait_until("osd.0 running with osd_max_backfills 7", lambda: _osd_up(cluster, 0) and
               cluster.ceph("config", "show", "osd.0", "osd_max_backfills").strip() == "7",
               120, every=2)


def test_client_keyring_owner_and_mode_are_applied_on_the_host(cluster):
    cluster.ceph("auth", "get-or-create", "client.foo", "mon", "allow r")
    cluster.orch("client-keyring", "set", "client.foo", "host2", "1000:1001", "640")
    etc = cluster.host("host2").root / "etc/ceph"
    keyring = os.stat(etc / "ceph.client.foo.keyring")
    assert (keyring.st_uid, keyring.st_gid, stat.S_IMODE(keyring.st_mode)) == (1000, 1001, 0o640)
    assert "[client.foo]" in (etc / "ceph.client.foo.keyring").read_text()
    conf = os.stat(etc / "ceph.conf")
    assert (conf.st_uid, conf.st_gid, stat.S_IMODE(conf.st_mode)) == (0, 0, 0o644)
    cluster.orch("client-keyring", "rm", "client.foo")
    assert not (etc / "ceph.client.foo.keyring").exists()


def test_osd_activate_brings_back_an_osd_whose_daemon_was_removed(cluster):
    cluster.orch("daemon", "rm", "osd.0", "--force")
    wait_until("osd.0 down", lambda: not _osd_up(cluster, 0), 120, every=2)
    assert cluster.orch("cephadm", "osd", "activate", "host2").stdout == \
        "Created osd(s) 0 on host 'host2'\n"
    wait_until("osd.0 up again", lambda: _osd_up(cluster, 0), 180, every=2)
    assert any(d["daemon_name"] == "osd.0" for d in cluster.orch_json("ps", "host2"))
    assert cluster.orch("cephadm", "osd", "activate", "host2").stdout == \
        "Created no osd(s) on host host2; already created?\n"


def test_the_config_checker_reads_the_clusters_public_network(cluster):
    cluster.orch("cephadm", "config-check", "set-enabled", "true")
    # the test cluster's public_network is 127.0.0.0/8: on lo only, which cephadm's checks
    # leave out, so the network is missing from every host
    status = cluster.orch("cephadm", "config-check", "status").stdout.splitlines()
    assert status[0] == "Enabled"
    assert "[WRN] CEPHADM_CHECK_NETWORK_MISSING: Public/cluster network defined, but can not " \
        "be found on any host" in status
    assert "    127.0.0.0/8 not found on any host in the cluster" in status
    cluster.orch("cephadm", "config-check", "disable", "network_missing")
    assert cluster.orch("cephadm", "config-check", "status").stdout == "Enabled\n"
