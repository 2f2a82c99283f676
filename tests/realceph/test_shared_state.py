"""The cluster keeps its own state: two admin hosts (two state dirs) on one real cluster.

The second state dir is attached to the cluster (`orch cephadm attach`); from then on both
read the one truth in the mons' config-key store (``mgr/orch/...``) and take turns through
the RADOS writer lock. What is compared is what each `orch` prints.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ceph_orch_cli.backends.ssh import keys
from tests.realceph.conftest import (CLUSTER_CONF, RealCluster, SSHTestHosts, bring_up,
                                     missing_ceph, wait_until)

pytestmark = [pytest.mark.realceph, pytest.mark.timeout(1800)]

LEASE = 10


def _env(state: Path, **extra: str) -> dict:
    env = dict(os.environ, ORCH_STATE_DIR=str(state), ORCH_BACKEND="ssh",
               ORCH_LOCK_LEASE=str(LEASE), **extra)
    env.pop("ORCH_SSH_CONFIG", None)
    return env


def _orch(state: Path, *args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "ceph_orch_cli", *args], env=_env(state, **extra),
                            capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        pytest.fail(f"orch {' '.join(args)} ({state.name}) exited {result.returncode}:\n"
                    f"{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result


def _state_dir(cluster: RealCluster, name: str, extra_ssh_config: str = "") -> Path:
    state = cluster.work / name
    files = keys.SSHFiles(state)
    keys.set_private_key(files, cluster.hosts.client_key.read_text())
    keys.set_config(files, cluster.hosts.ssh_config() + extra_ssh_config)
    return state


def _services(state: Path, **extra: str):
    return sorted((s["service_name"], json.dumps(s.get("placement"), sort_keys=True),
                   s["status"].get("size"))
                  for s in json.loads(_orch(state, "ls", "--format", "json", **extra).stdout))


def _hosts(state: Path):
    return sorted((h["hostname"], h["addr"], tuple(sorted(h["labels"])))
                  for h in json.loads(_orch(state, "host", "ls", "--format", "json").stdout))


def _daemons(state: Path, *extra: str):
    return sorted((d["daemon_name"], d["hostname"]) for d in
                  json.loads(_orch(state, "ps", "--format", "json", *extra).stdout))


def _at_once(*jobs) -> None:
    """Run ``jobs`` in threads at the same time (two admin hosts typing at once)."""
    threads = [threading.Thread(target=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _labels(state: Path, host: str):
    return next(h[2] for h in _hosts(state) if h[0] == host)


@pytest.fixture(scope="module")
def admins(cluster):
    """(first admin's state dir, second admin's), the second attached to the cluster."""
    os.environ["ORCH_LOCK_LEASE"] = str(LEASE)
    bring_up(cluster)
    second = _state_dir(cluster, "state2")
    out = _orch(second, "cephadm", "attach", "host1", cluster.host("host1").addr).stdout
    assert "Attached to the cluster" in out
    return cluster.state_dir, second


def test_an_attached_admin_host_shows_what_the_first_shows(cluster, admins):
    a, b = admins
    assert _services(b) == _services(a)
    assert _hosts(b) == _hosts(a)
    assert _daemons(b) == _daemons(a)
    # the state is in the mons
    dumped = json.loads(cluster.ceph("config-key", "dump", "mgr/orch/"))
    assert "mgr/orch/spec/osd.all-available" in dumped and "mgr/orch/version" in dumped


def test_a_spec_applied_from_one_is_listed_and_converged_from_the_other(cluster, admins):
    a, b = admins
    # the first admin stores the spec and dies after its first daemon (as a crash would)
    died = _orch(a, "apply", "mds", "fs2", "--placement", "host1 host2", check=False,
                 ORCH_TEST_CRASH_AFTER="1")
    assert died.returncode == 137, died.stderr[-2000:]
    assert "mds.fs2" in [s[0] for s in _services(b)]
    _orch(b, "serve", "--once")  # after the dead one's lease
    wait_until("two mds.fs2 daemons running", lambda: len([
        d for d in json.loads(_orch(b, "ps", "--refresh", "--format", "json").stdout)
        if d["daemon_name"].startswith("mds.fs2.") and d["status_desc"] == "running"]) == 2, 120,
        every=3)
    assert [d for d in _daemons(a, "--refresh") if d[0].startswith("mds.fs2.")] == \
        [d for d in _daemons(b) if d[0].startswith("mds.fs2.")]


def test_a_label_added_on_one_shows_on_the_other(admins):
    a, b = admins
    _orch(a, "host", "label", "add", "host4", "blue")
    assert "blue" in _labels(b, "host4")
    _orch(b, "host", "label", "rm", "host4", "blue")
    assert "blue" not in _labels(a, "host4")


def test_writes_from_both_at_once_lose_nothing_and_place_no_daemon_twice(cluster, admins):
    a, b = admins
    rounds = 8
    failures = []

    def worker(state: Path, tag: str, n: int) -> None:
        for args in (("apply", "mds", f"u{tag}{n}", "--unmanaged"),
                     ("host", "label", "add", "host4", f"{tag}{n}"),
                     ("apply", "mds", "race", "--placement", "1")):
            r = _orch(state, *args, check=False)
            if r.returncode != 0:
                failures.append((tag, args, r.stderr[-1500:]))

    for n in range(rounds):
        _at_once(lambda: worker(a, "a", n), lambda: worker(b, "b", n))
    assert not failures
    want = {f"u{t}{n}" for t in "ab" for n in range(rounds)}
    for state in (a, b):
        names = {s[0].split(".", 1)[1] for s in _services(state) if s[0].startswith("mds.")}
        assert want <= names
        assert {f"{t}{n}" for t in "ab" for n in range(rounds)} <= set(_labels(state, "host4"))
    race = [d for d in _daemons(a, "--refresh") if d[0].startswith("mds.race.")]
    assert len(race) == 1, race
    running = cluster.host(race[0][1]).run(["pgrep", "-f", "ceph-mds.*race"]).stdout.split()
    assert len(running) == 1


def test_client_keyrings_and_certificates_are_kept_in_the_cluster(cluster, admins):
    a, b = admins
    cluster.ceph("auth", "get-or-create", "client.shared", "mon", "allow r")
    _orch(a, "client-keyring", "set", "client.shared", "label:_admin")
    listed = json.loads(_orch(b, "client-keyring", "ls", "--format", "json").stdout)
    assert [k["entity"] for k in listed if k["entity"] == "client.shared"] == ["client.shared"]
    dumped = json.loads(cluster.ceph("config-key", "dump", "mgr/orch/"))
    assert "client.shared" in dumped["mgr/orch/setting/client_keyrings"]
    keyring = cluster.host("host1").root / "etc/ceph/ceph.client.shared.keyring"

    def written() -> bool:
        if not keyring.exists():
            _orch(b, "serve", "--once")  # the pass that writes what is missing
        return keyring.exists()
    wait_until("the shared keyring on host1", written, 120, every=2)
    assert "client.shared" in keyring.read_text()
    # the root CA (settings backend/certs/...): made by one admin host, the same on the other
    cert = _orch(a, "sd", "dump", "cert").stdout
    assert "BEGIN CERTIFICATE" in cert and _orch(b, "sd", "dump", "cert").stdout == cert
    dumped = json.loads(cluster.ceph("config-key", "dump", "mgr/orch/"))
    assert "mgr/orch/setting/backend/certs/root_ca" in dumped
    _orch(b, "client-keyring", "rm", "client.shared")
    assert "client.shared" not in _orch(a, "client-keyring", "ls").stdout


def test_the_first_command_with_orch_admin_host_pulls_the_state(cluster, admins):
    a, _ = admins
    h1 = cluster.host("host1")
    # an operator's new machine: the SSH key, and the admin host's address (port 22 in real
    # life; the test hosts listen on another port, said for that address in the ssh config)
    third = _state_dir(cluster, "state3", f"Host {h1.addr}\n    Port {h1.port}\n    User root\n")
    first = _orch(third, "ls", "--format", "json", ORCH_ADMIN_HOST=h1.addr)
    assert "Attached to the cluster" in first.stderr
    assert sorted((s["service_name"], json.dumps(s.get("placement"), sort_keys=True),
                   s["status"].get("size")) for s in json.loads(first.stdout)) == _services(a)
    assert _hosts(third) == _hosts(a)
    assert _daemons(third) == _daemons(a)
    assert _orch(third, "ls", "--export").stdout == _orch(a, "ls", "--export").stdout


def test_a_killed_lock_holder_blocks_the_other_for_one_lease_at_most(cluster, admins):
    a, b = admins
    holder = subprocess.Popen([sys.executable, "-m", "ceph_orch_cli", "host", "label", "add",
                               "host4", "killed"], env=_env(a, ORCH_TEST_LOCK_HOLD="120"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        def held():
            out = cluster.host("host1").run(["rados", "-p", "orch", "lock", "info", "orch.lock",
                                             "orch"]).stdout.decode()
            return '"lockers": [{' in out.replace(" ", "").replace("\n", "").replace(
                '"lockers":[{', '"lockers": [{')
        wait_until("the first admin holding the lock", held, 60, every=0.5)
        refused = _orch(b, "host", "label", "add", "host4", "early", check=False,
                        ORCH_LOCK_TIMEOUT="2")
        assert refused.returncode != 0
        assert "held by" in refused.stderr and str(a) in refused.stderr, refused.stderr
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        start = time.monotonic()
        after = _orch(b, "host", "label", "add", "host4", "after")
        assert time.monotonic() - start < LEASE + 15
    finally:
        if holder.poll() is None:
            holder.kill()
    labels = _labels(a, "host4")
    assert "after" in labels and "killed" not in labels and "early" not in labels
    assert "Added label" in after.stdout


def test_a_lost_state_dir_attached_again_gets_everything_back(cluster, admins):
    a, _ = admins
    export = _orch(a, "ls", "--export").stdout
    hosts, services = _hosts(a), _services(a)
    shutil.rmtree(a)
    _state_dir(cluster, a.name)
    _orch(a, "cephadm", "attach", "host1", cluster.host("host1").addr)
    assert _orch(a, "ls", "--export").stdout == export
    assert _hosts(a) == hosts and _services(a) == services


def test_export_then_import_state_onto_the_same_cluster_reproduces_ls_export(cluster, admins):
    a, b = admins
    saved = cluster.work / "state.json"
    _orch(a, "cephadm", "export-state", "-o", str(saved))
    before = _orch(a, "ls", "--export").stdout
    _orch(a, "apply", "mds", "extra", "--unmanaged")
    _orch(b, "host", "label", "rm", "host4", "a0")
    assert _orch(a, "ls", "--export").stdout != before
    assert "Imported" in _orch(b, "cephadm", "import-state", "-i", str(saved)).stdout
    assert _orch(a, "ls", "--export").stdout == before
    assert _orch(b, "ls", "--export").stdout == before
    assert "a0" in _labels(a, "host4")


# -- a second, one-host cluster: right after bootstrap, and a restore onto a fresh cluster ------
@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A one-host cluster just bootstrapped (no OSDs, so no lock pool: writers take turns
    through the mon lock), with a second admin host attached. Its host sits four addresses
    after the main cluster's first (its mon binds Ceph's fixed ports)."""
    reason = missing_ceph()
    if reason:
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("fresh")
    first = int(os.environ.get("ORCH_REALCEPH_FIRST", "11")) + 4
    hosts = SSHTestHosts(work / "hosts", 1, ceph_shim=False, first=first)
    hosts.start()
    try:
        (work / "cluster.conf").write_text(CLUSTER_CONF)
        small = RealCluster(hosts, work / "c1", work)
        c1, c2 = _state_dir(small, "c1"), _state_dir(small, "c2")
        _bootstrap(small, c1)
        _orch(c2, "cephadm", "attach", "host1", small.host("host1").addr)
        yield small, c1, c2
    finally:
        hosts.close()


def _bootstrap(small: RealCluster, state: Path) -> None:
    _orch(state, "cephadm", "set-runtime", "package")
    out = _orch(state, "bootstrap", "host1", "--mon-ip", small.host("host1").addr,
                "--config", str(small.work / "cluster.conf"), "--skip-monitoring-stack").stdout
    assert "Bootstrap complete." in out


def test_two_writers_right_after_bootstrap_take_turns_through_the_mons(fresh):
    small, c1, c2 = fresh
    assert small.osd_stat()["num_up_osds"] == 0  # no pool for a RADOS lock can exist
    rounds = 8
    failures = []

    def worker(state: Path, tag: str) -> None:
        for n in range(rounds):
            for args in (("host", "label", "add", "host1", f"{tag}{n}"),
                         ("apply", "mds", f"e{tag}{n}", "--unmanaged")):
                r = _orch(state, *args, check=False)
                if r.returncode != 0:
                    failures.append((tag, args, r.stderr[-1500:]))

    _at_once(lambda: worker(c1, "a"), lambda: worker(c2, "b"))
    assert not failures
    labels = {f"{t}{n}" for t in "ab" for n in range(rounds)}
    specs = {f"mds.e{t}{n}" for t in "ab" for n in range(rounds)}
    for state in (c1, c2):
        assert labels <= set(_labels(state, "host1"))
        assert specs <= {s[0] for s in _services(state)}
    # the mon lock was what they took, and it is free again
    holder = json.loads(small.ceph("config-key", "get", "mgr/orch-lock/holder"))
    assert holder["state_dir"] in (str(c1), str(c2))
    assert "client.orch-lock" not in small.ceph("auth", "ls")


def test_export_then_import_state_onto_a_fresh_cluster_reproduces_ls_export(fresh):
    small, c1, _ = fresh
    _orch(c1, "apply", "rgw", "s3", "--unmanaged")
    saved = small.work / "state.json"
    _orch(c1, "cephadm", "export-state", "-o", str(saved))
    before = _orch(c1, "ls", "--export").stdout
    old_fsid = small.ceph("fsid").strip()
    # the cluster is lost: its host dies and comes back with empty disks
    host = small.host("host1")
    small.hosts.stop(host)
    shutil.rmtree(host.root)
    host.root.mkdir()
    small.hosts.restart(host)
    # a new cluster on it, from a new state dir, and the state restored into it
    c3 = _state_dir(small, "c3")
    _bootstrap(small, c3)
    new_fsid = small.ceph("fsid").strip()
    assert new_fsid != old_fsid
    out = _orch(c3, "cephadm", "import-state", "-i", str(saved)).stdout
    assert "Imported" in out and f"kept this cluster's fsid {new_fsid}" in out
    assert _orch(c3, "ls", "--export").stdout == before
    # the new cluster's mons hold it: an admin host attached afresh shows the same
    records = json.loads(saved.read_text())["records"]
    dumped = json.loads(small.ceph("config-key", "dump", "mgr/orch/"))
    specs = {k: v for k, v in records.items() if k.startswith("mgr/orch/spec/")}
    assert {k: v for k, v in dumped.items() if k.startswith("mgr/orch/spec/")} == specs
    assert json.loads(dumped["mgr/orch/setting/fsid"]) == new_fsid
    c4 = _state_dir(small, "c4")
    _orch(c4, "cephadm", "attach", "host1", host.addr)
    assert _orch(c4, "ls", "--export").stdout == before
