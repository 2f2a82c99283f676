"""`orch` on a bootstrapped cluster with its control master (backends/ssh/control.py): real
sshd test hosts and agents; the cluster's config-key store and mon commands come from the
rados shim (tests/ssh/rados_shim: python3-rados stand-in, the one edge faked here), shared
by both hosts, so two state dirs are two admin hosts of one cluster."""
from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest

from testhosts import SSHTestHosts, missing_requirements

SHIM = Path(__file__).resolve().parent / "rados_shim"
#: a read command that reports whether paramiko was imported (on stderr, at exit)
PROBE = ("import atexit, sys\n"
         "atexit.register(lambda: sys.stderr.write('PARAMIKO=%s\\n' % ('paramiko' in sys.modules)))\n"
         "from ceph_orch_cli.cli import main\n"
         "sys.argv = ['orch'] + sys.argv[1:]\n"
         "main()\n")


def wait_for(what, check, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Admin:
    """One admin host's `orch --backend ssh --state-dir STATE`."""

    def __init__(self, state: Path, env: Dict[str, str]) -> None:
        self.state = state
        self.env = env
        self.sock = state / "ssh" / "control.sock"
        self.log = state / "ssh" / "control.log"

    def __call__(self, *words: str, ok: bool = True, probe: bool = False,
                 env: Dict[str, str] = None) -> subprocess.CompletedProcess:
        head = ["-c", PROBE] if probe else ["-m", "ceph_orch_cli"]
        proc = subprocess.run([sys.executable, *head, "--backend", "ssh", "--state-dir",
                               str(self.state), *words], capture_output=True, text=True,
                              timeout=120, env=dict(self.env, **(env or {})))
        if ok:
            assert proc.returncode == 0, (words, proc.stdout, proc.stderr)
        return proc

    def labels(self, **kw: str) -> List[str]:
        proc = self("host", "ls", "--format", "json", probe=True, env=kw or None)
        return [label for h in json.loads(proc.stdout) for label in h["labels"]]

    def masters(self) -> List[int]:
        """The pids of the masters this state dir started, from its log (oldest first)."""
        if not self.log.exists():
            return []
        return [int(p) for p in re.findall(r"control master (\d+) for", self.log.read_text())]

    def master_running(self) -> bool:
        pids = self.masters()
        return bool(pids) and self.sock.exists() and _alive(pids[-1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead too
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.fixture
def cluster(tmp_path, monkeypatch):
    """Two test hosts, ``host1`` the ``_admin`` host of a "bootstrapped" cluster whose state
    admin A pushed there; the masters started are killed by pid afterwards."""
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    from ceph_orch_cli.backends.ssh import keys
    hosts = SSHTestHosts(tmp_path / "hosts", 2, env={
        "PYTHONPATH": str(SHIM), "RADOS_SHIM_CLUSTER": str(tmp_path / "cluster.json")})
    hosts.start()
    admins: List[Admin] = []
    try:
        for host in hosts:  # /etc/ceph of an admin host (the shim reads neither)
            (host.root / "etc/ceph").mkdir(parents=True, exist_ok=True)
            (host.root / "etc/ceph/ceph.conf").write_text("[global]\n")
            (host.root / "etc/ceph/ceph.client.admin.keyring").write_text("[client.admin]\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORCH_")}
        env["ORCH_SSH_CONTROL_PERSIST"] = "120"

        def admin(name: str) -> Admin:
            state = tmp_path / name
            files = keys.SSHFiles(state)
            keys.set_private_key(files, hosts.client_key.read_text())
            keys.set_config(files, hosts.ssh_config())
            found = Admin(state, env)
            admins.append(found)
            return found
        a = admin("admin-a")
        off = {"ORCH_SSH_CONTROL_PERSIST": "0"}  # no master before the test starts one
        a("host", "add", "host1", hosts.hosts[0].addr, "--labels", "_admin", env=off)
        a("host", "add", "host2", hosts.hosts[1].addr, env=off)
        with sqlite3.connect(a.state / "orch.db") as db:  # what `orch bootstrap` records
            db.execute("INSERT OR REPLACE INTO settings VALUES ('bootstrapped', 'true')")
        pushed = a("host", "label", "add", "host2", "first", env=off)
        assert a.masters() == []
        assert "storing this state dir's state in the cluster" in pushed.stderr
        a.admin = admin  # type: ignore[attr-defined]
        yield a
    finally:
        for found in admins:
            for pid in found.masters():
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
        hosts.close()


def test_a_read_starts_the_master_and_the_next_read_asks_it_without_paramiko(cluster):
    first = cluster("host", "ls", "--format", "json", probe=True)
    assert "PARAMIKO=True" in first.stderr  # no master yet: the direct path
    wait_for("the control master", cluster.master_running)
    mode = os.lstat(cluster.sock).st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600
    assert stat.S_IMODE(os.stat(cluster.sock.parent).st_mode) == 0o700
    second = cluster("host", "ls", "--format", "json", probe=True)
    assert "PARAMIKO=False" in second.stderr
    assert {h["hostname"]: h["labels"] for h in json.loads(second.stdout)} == \
        {"host1": ["_admin"], "host2": ["first"]}
    assert len(cluster.masters()) == 1  # the second read did not start another


def test_the_answer_changes_as_soon_as_another_admin_writes(cluster):
    cluster("ps")
    wait_for("the control master", cluster.master_running)
    other = cluster.admin("admin-b")
    attached = other("cephadm", "attach", "host1", "127.0.0.11")
    assert "Attached to the cluster" in attached.stdout + attached.stderr
    other("host", "label", "add", "host2", "from-b")
    # A's very next command, through its master (no paramiko), sees B's write
    assert "from-b" in cluster.labels()
    other("host", "label", "rm", "host2", "from-b")
    assert "from-b" not in cluster.labels()
    proc = cluster("host", "ls", probe=True)
    assert "PARAMIKO=False" in proc.stderr


def test_two_state_dirs_never_share_a_master(cluster):
    other = cluster.admin("admin-b")
    other("cephadm", "attach", "host1", "127.0.0.11")
    cluster("ps")
    other("ps")
    wait_for("both masters", lambda: cluster.master_running() and other.master_running())
    assert cluster.masters()[-1] != other.masters()[-1]
    assert cluster.sock != other.sock
    for admin in (cluster, other):
        assert str(admin.state) in admin.log.read_text()
        assert "PARAMIKO=False" in admin("ps", probe=True).stderr


def test_a_killed_master_leaves_a_stale_socket_that_no_command_notices(cluster):
    cluster("ps")
    wait_for("the control master", cluster.master_running)
    pid = cluster.masters()[-1]
    os.kill(pid, signal.SIGKILL)
    wait_for("the master to die", lambda: not _alive(pid))
    assert stat.S_ISSOCK(os.lstat(cluster.sock).st_mode)  # left behind
    proc = cluster("host", "ls", "--format", "json", probe=True)
    assert sorted(h["hostname"] for h in json.loads(proc.stdout)) == ["host1", "host2"]
    assert proc.stderr.count("\n") == 1 and "PARAMIKO=True" in proc.stderr  # silent fallback
    wait_for("a new master", lambda: len(cluster.masters()) == 2 and cluster.master_running())
    assert "PARAMIKO=False" in cluster("ps", probe=True).stderr


def test_a_socket_that_is_not_a_socket_is_left_alone_and_the_command_works(cluster):
    cluster.sock.parent.mkdir(exist_ok=True)
    cluster.sock.write_text("not a socket")
    proc = cluster("host", "ls", probe=True)
    assert "host1" in proc.stdout and cluster.sock.read_text() == "not a socket"


def test_the_master_exits_when_idle_for_its_persist_time(cluster):
    cluster("ps", env={"ORCH_SSH_CONTROL_PERSIST": "2"})
    wait_for("the control master", lambda: bool(cluster.masters()))
    pid = cluster.masters()[-1]
    wait_for("the idle master to exit", lambda: not _alive(pid))
    assert "exits: idle for 2s" in cluster.log.read_text()
    assert not cluster.sock.exists()


def test_a_change_of_the_ssh_files_ends_the_master(cluster):
    from ceph_orch_cli.backends.ssh import keys
    cluster("ps")
    wait_for("the control master", cluster.master_running)
    pid = cluster.masters()[-1]
    files = keys.SSHFiles(cluster.state)
    keys.set_config(files, files.config.read_text() + "# edited\n")
    wait_for("the master to exit", lambda: not _alive(pid))
    assert "the state dir's SSH files changed" in cluster.log.read_text()
    assert "host1" in cluster("host", "ls").stdout


def test_persist_0_starts_no_master_and_a_bad_value_is_one_line(cluster):
    cluster("ps", env={"ORCH_SSH_CONTROL_PERSIST": "0"})
    assert cluster("ps", env={"ORCH_SSH_CONTROL_PERSIST": "0"}, probe=True).stderr \
        .count("PARAMIKO=True") == 1
    assert cluster.masters() == [] and not cluster.sock.exists()
    bad = cluster("ps", ok=False, env={"ORCH_SSH_CONTROL_PERSIST": "soon"})
    assert bad.returncode == 22 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().count("\n") == 0 and "ORCH_SSH_CONTROL_PERSIST" in bad.stderr


def test_ps_refresh_goes_through_the_master(cluster):
    cluster("ps")
    wait_for("the control master", cluster.master_running)
    proc = cluster("ps", "--refresh", "--format", "json", probe=True)
    assert json.loads(proc.stdout) == [] and "PARAMIKO=False" in proc.stderr
    refreshed = cluster("host", "ls", "--format", "json")
    assert all(h["status"] == "" for h in json.loads(refreshed.stdout))
