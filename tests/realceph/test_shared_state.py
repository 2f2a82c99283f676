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
from tests.realceph.conftest import RealCluster, bring_up, wait_until

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


def _state_dir(cluster: RealCluster, name: str) -> Path:
    state = cluster.work / name
    files = keys.SSHFiles(state)
    keys.set_private_key(files, cluster.hosts.client_key.read_text())
    keys.set_config(files, cluster.hosts.ssh_config())
    return state


def _services(state: Path):
    return sorted((s["service_name"], json.dumps(s.get("placement"), sort_keys=True),
                   s["status"].get("size"))
                  for s in json.loads(_orch(state, "ls", "--format", "json").stdout))


def _hosts(state: Path):
    return sorted((h["hostname"], h["addr"], tuple(sorted(h["labels"])))
                  for h in json.loads(_orch(state, "host", "ls", "--format", "json").stdout))


def _daemons(state: Path, *extra: str):
    return sorted((d["daemon_name"], d["hostname"]) for d in
                  json.loads(_orch(state, "ps", "--format", "json", *extra).stdout))


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
    rounds = 4
    failures = []

    def worker(state: Path, tag: str, n: int) -> None:
        for args in (("apply", "mds", f"u{tag}{n}", "--unmanaged"),
                     ("host", "label", "add", "host4", f"{tag}{n}"),
                     ("apply", "mds", "race", "--placement", "1")):
            r = _orch(state, *args, check=False)
            if r.returncode != 0:
                failures.append((tag, args, r.stderr[-1500:]))

    for n in range(rounds):
        threads = [threading.Thread(target=worker, args=(a, "a", n)),
                   threading.Thread(target=worker, args=(b, "b", n))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
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


def test_export_then_import_state_reproduces_ls_export(cluster, admins):
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
