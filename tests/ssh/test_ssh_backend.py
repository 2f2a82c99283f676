"""The SSH backend end to end through the real CLI (`python -m ceph_orch_cli --backend ssh`)
against three real sshd test hosts. The container engine is the one mocked edge (a `podman`
shim that records every call); the Ceph cluster is an edge we cannot run here, so a `ceph`
shim on the admin host answers its few questions."""
from __future__ import annotations

import json
import stat
import subprocess
import sys

import pytest

from testhosts import SSHTestHosts, missing_requirements

GB = 1024 ** 3


class Orch:
    """`orch --backend ssh --state-dir ...` as an operator types it."""

    def __init__(self, state_dir):
        self.state_dir = state_dir

    def __call__(self, *words, ok=True, stdin=None):
        proc = subprocess.run([sys.executable, "-m", "ceph_orch_cli", "--backend", "ssh",
                               "--state-dir", str(self.state_dir), *words],
                              capture_output=True, text=True, input=stdin, timeout=120)
        if ok:
            assert proc.returncode == 0, (words, proc.stdout, proc.stderr)
        return proc

    def json(self, *words):
        return json.loads(self(*words, "--format", "json").stdout)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Three hosts added, mon/mgr/crash and an OSD spec applied, as an operator would."""
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("ssh-backend")
    hosts = SSHTestHosts(base / "hosts", 3, disks=[10 * GB, 1 * GB]).start()
    try:
        orch = Orch(base / "state")
        hosts.write_ceph_cluster(hosts.hosts[0], {"fsid": "unused", "osds": {}})
        (base / "ssh_config").write_text(hosts.ssh_config())
        orch("ssh", "set-priv-key", "-i", str(hosts.client_key))
        orch("ssh", "set-config", "-i", str(base / "ssh_config"))
        orch("host", "add", "host1", hosts.hosts[0].addr, "--labels", "_admin")
        orch("host", "add", "host2", hosts.hosts[1].addr)
        orch("host", "add", "host3", hosts.hosts[2].addr)
        orch("apply", "mon", "3")
        orch("apply", "mgr", "2")
        orch("apply", "crash")
        spec = base / "osd.yaml"
        spec.write_text("service_type: osd\nservice_id: default\nplacement:\n  host_pattern: '*'\n"
                        "spec:\n  data_devices:\n    all: true\n")
        orch("apply", "-i", str(spec))
        yield orch, hosts
    finally:
        hosts.close()


def test_host_add_recorded_each_hosts_key(cluster):
    orch, hosts = cluster
    known = (orch.state_dir / "ssh" / "known_hosts").read_text()
    for h in hosts:
        served = (h.dir / "ssh_host_ed25519_key.pub").read_text().split()[1]
        assert f"[{h.addr}]:{h.port} ssh-ed25519 {served}" in known
    assert stat.S_IMODE((orch.state_dir / "ssh" / "id").stat().st_mode) == 0o600


def test_host_ls_lists_the_added_hosts(cluster):
    orch, _ = cluster
    listed = orch.json("host", "ls")
    assert [(h["hostname"], h["addr"], h["labels"]) for h in listed] == [
        ("host1", "127.0.0.11", ["_admin"]), ("host2", "127.0.0.12", []), ("host3", "127.0.0.13", [])]


def test_device_ls_shows_each_hosts_loop_disks_and_why_one_is_rejected(cluster):
    orch, hosts = cluster
    inventory = {h["name"]: h["devices"] for h in orch.json("device", "ls")}
    for h in hosts:
        big, small = h.devices
        by_path = {d["path"]: d for d in inventory[h.name]}
        assert set(by_path) == {big, small}
        assert by_path[small]["available"] is False
        assert by_path[small]["rejected_reasons"] == ["Insufficient space (<5GB)"]
        assert by_path[big]["sys_api"]["size"] == 10 * GB


def test_ps_shows_the_daemons_the_specs_asked_for(cluster):
    orch, _ = cluster
    daemons = orch.json("ps")
    by_type = {}
    for d in daemons:
        by_type.setdefault(d["daemon_type"], []).append(d["hostname"])
        assert d["status_desc"] == "running"
    assert sorted(by_type["mon"]) == ["host1", "host2", "host3"]
    assert len(by_type["mgr"]) == 2
    assert sorted(by_type["crash"]) == ["host1", "host2", "host3"]
    assert sorted(by_type["osd"]) == ["host1", "host2", "host3"]


def test_each_daemon_runs_as_a_container_on_its_host(cluster):
    orch, hosts = cluster
    for h in hosts:
        on_host = sorted(d["daemon_name"] for d in orch.json("ps", h.name))
        fsid = orch.json("ps", h.name)[0]["systemd_unit"].split("@")[0][len("ceph-"):]
        started = sorted(c[c.index("--name") + 1] for c in h.engine_calls()
                         if c[0] == "run" and "-d" in c)
        assert started == sorted(f"ceph-{fsid}-{n.replace('.', '-')}" for n in on_host)


def test_the_osd_spec_ran_ceph_volume_on_the_big_disk_only(cluster):
    _, hosts = cluster
    for h in hosts:
        [batch] = [c for c in h.engine_calls() if "/usr/sbin/ceph-volume" in c]
        big, small = h.devices
        assert big in batch and small not in batch
        assert "CEPH_VOLUME_OSDSPEC_AFFINITY=default" in batch


def test_daemon_stop_and_start_reach_the_container_engine_exactly(cluster):
    orch, hosts = cluster
    host2 = hosts.hosts[1]
    fsid = orch.json("ps", "host2")[0]["systemd_unit"].split("@")[0][len("ceph-"):]
    host2.clear_engine_calls()
    orch("daemon", "stop", "crash.host2")
    [crash] = orch.json("ps", "host2", "--daemon-type", "crash", "--refresh")
    assert crash["status_desc"] == "stopped"
    orch("daemon", "start", "crash.host2")
    actions = [c for c in host2.engine_calls() if c[0] in ("start", "stop", "restart", "run", "rm")]
    assert actions == [["stop", f"ceph-{fsid}-crash-host2"], ["start", f"ceph-{fsid}-crash-host2"]]


def containers_acted_on(host, verb):
    return sorted(c[-1] for c in host.engine_calls() if c[0] == verb)


def test_maintenance_stops_and_restarts_a_hosts_daemons(cluster):
    orch, hosts = cluster
    host3 = hosts.hosts[2]
    running = sorted(f"ceph-{d['systemd_unit'].split('@')[0][len('ceph-'):]}-{d['daemon_name'].replace('.', '-')}"
                     for d in orch.json("ps", "host3") if d["status_desc"] == "running")
    host3.clear_engine_calls()
    entered = orch("host", "maintenance", "enter", "host3", "--force", ok=False)
    if entered.returncode == 95:
        pytest.skip("host maintenance is not implemented by the engine yet")
    assert entered.returncode == 0, entered.stderr
    assert containers_acted_on(host3, "stop") == running
    orch("host", "maintenance", "exit", "host3")
    assert containers_acted_on(host3, "start") == running


def test_osd_rm_drains_removes_and_zaps(cluster):
    orch, hosts = cluster
    host3 = hosts.hosts[2]
    [osd] = orch.json("ps", "host3", "--daemon-type", "osd")
    osd_id = osd["daemon_id"]
    hosts.write_ceph_cluster(hosts.hosts[0], {"fsid": "unused", "osds": {
        d["daemon_id"]: {"host": d["hostname"], "weight": 0.0098, "pgs": 0}
        for d in orch.json("ps", "--daemon-type", "osd")}})
    host3.clear_engine_calls()
    removed = orch("osd", "rm", osd_id, "--zap", "--wait", ok=False)
    if removed.returncode == 95:
        pytest.skip("osd rm is not implemented by the engine yet")
    assert removed.returncode == 0, removed.stderr
    assert orch.json("ps", "host3", "--daemon-type", "osd") == []
    container = f"ceph-{osd['systemd_unit'].split('@')[0][len('ceph-'):]}-osd-{osd_id}"
    assert container in containers_acted_on(host3, "stop")
    zaps = [c for c in host3.engine_calls() if c[-4:-1] == ["lvm", "zap", "--destroy"]]
    assert [z[-1] for z in zaps] == [host3.devices[0]]
    ceph_calls = (hosts.hosts[0].root / "ceph-calls.jsonl").read_text()
    assert json.dumps(["osd", "purge", osd_id, "--yes-i-really-mean-it", "--format", "json"]) in ceph_calls


def test_a_disk_holding_an_osd_is_no_longer_available(cluster):
    orch, hosts = cluster
    inventory = {h["name"]: {d["path"]: d for d in h["devices"]} for h in orch.json("device", "ls", "--refresh")}
    for osd in orch.json("ps", "--daemon-type", "osd"):
        host = next(h for h in hosts if h.name == osd["hostname"])
        used = inventory[host.name][host.devices[0]]
        assert used["available"] is False and "LVM detected" in used["rejected_reasons"]
        assert [lv["osd_id"] for lv in used["lvs"]] == [osd["daemon_id"]]
