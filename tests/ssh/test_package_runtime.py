"""The package runtime's supervision, run as the SSH backend runs the agent (``python3
agent.py <sub>``, JSON in and out) with a private ``ORCH_AGENT_ROOT``. The daemon binary is
the edge faked here: a ``ceph-mgr`` on PATH that stays in the foreground, answers ``version``
on the admin socket it is given, and ignores SIGTERM when told to (a hung daemon). The real
binaries run in tests/realceph."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from ceph_orch_cli.backends.ssh import agent

AGENT = agent.__file__
FSID = "5a1c9a40-1f6e-11ef-9d4a-525400a1b2c3"
NAME = "mgr.host1.abcdef"

FAKE_DAEMON = r'''#!@PYTHON@
import json, os, signal, socket, struct, sys, time
args = sys.argv[1:]
asok = args[args.index("--admin-socket") + 1]
if os.environ.get("FAKE_IGNORE_TERM") or os.path.exists(asok + ".ignore-term"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
os.makedirs(os.path.dirname(asok), exist_ok=True)
try:
    os.unlink(asok)
except OSError:
    pass
s = socket.socket(socket.AF_UNIX)
s.bind(asok)
s.listen(4)
while True:
    c, _ = s.accept()
    c.recv(4096)
    body = json.dumps({"version": "16.2.15", "release": "pacific"}).encode()
    c.sendall(struct.pack(">I", len(body)) + body)
    c.close()
'''


@pytest.fixture
def host(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    daemon = bindir / "ceph-mgr"
    daemon.write_text(FAKE_DAEMON.replace("@PYTHON@", sys.executable))
    daemon.chmod(0o755)
    # a short root: a UNIX socket path holds at most 107 bytes
    root = Path(tempfile.mkdtemp(prefix="pkg", dir="/tmp"))

    class Host:
        def __init__(self):
            self.root = root
            self.env = dict(os.environ, ORCH_AGENT_ROOT=str(root), ORCH_AGENT_DEVICES="",
                            PATH=f"{bindir}:{os.environ['PATH']}")

        def agent(self, *words, request=None, ok=True):
            proc = subprocess.run([sys.executable, AGENT, *words], input=json.dumps(request or {}),
                                  capture_output=True, text=True, env=self.env, timeout=60)
            answer = json.loads(proc.stdout)
            if ok:
                assert proc.returncode == 0, answer
            return answer

        def ddir(self):
            return root / "var/lib/ceph" / FSID / NAME

        def pid(self):
            return int((self.ddir() / "unit.pid").read_text())

        def entry(self, boot=True):
            return next(e for e in self.agent("ls", request={"boot": boot}) if e["name"] == NAME)

    yield (h := Host())
    try:
        os.kill(h.pid(), signal.SIGKILL)  # only the daemon this test started
    except (OSError, ValueError):
        pass
    shutil.rmtree(root, ignore_errors=True)


def deploy(host, **extra):
    request = {"name": NAME, "fsid": FSID, "image": "deb:system", "service_name": "mgr",
               "runtime": "package", "files": {"config": "[global]\n\tfsid = %s\n" % FSID,
                                               "keyring": "[mgr.host1.abcdef]\n\tkey = x\n"}}
    request.update(extra)
    return host.agent("deploy", request=request)


def wait_for(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_deploy_writes_cephadms_layout_and_runs_the_daemon_in_the_foreground(host):
    entry = deploy(host)
    assert entry["state"] == "running"
    d = host.ddir()
    assert sorted(p.name for p in d.iterdir()) >= ["config", "keyring", "unit.meta", "unit.pid",
                                                   "unit.run", "unit.state"]
    assert oct((d / "keyring").stat().st_mode & 0o777) == "0o600"
    argv = json.loads((d / "unit.run").read_text())
    assert argv[1:5] == ["-f", "-i", "host1.abcdef", "--conf"]
    assert "--mgr-data" in argv and str(d) in argv
    version = wait_for(lambda: host.entry()["version"])
    assert version == "16.2.15"
    assert host.entry()["memory_usage"] > 0
    assert host.entry()["cpu_percentage"].endswith("%")


def test_stop_is_sigterm_then_the_unit_stays_stopped(host):
    deploy(host)
    pid = host.pid()
    assert host.agent("unit", "stop", request={"name": NAME, "fsid": FSID})["state"] == "stopped"
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
    assert host.entry()["state"] == "stopped"  # stopped on purpose: never restarted by ls
    assert host.agent("unit", "start", request={"name": NAME, "fsid": FSID})["state"] == "running"
    assert host.pid() != pid


def test_a_daemon_that_ignores_sigterm_is_killed(host, tmp_path):
    deploy(host)
    asok = json.loads((host.ddir() / "unit.run").read_text())
    asok = asok[asok.index("--admin-socket") + 1]
    open(asok + ".ignore-term", "w").close()
    host.agent("unit", "restart", request={"name": NAME, "fsid": FSID})  # restart: a new process
    pid = host.pid()
    start = time.monotonic()
    host.agent("unit", "stop", request={"name": NAME, "fsid": FSID})
    assert time.monotonic() - start >= agent.STOP_TIMEOUT - 0.5
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_a_daemon_that_died_is_error_then_restarted_by_ls_within_systemds_limits(host):
    deploy(host)
    os.kill(host.pid(), signal.SIGKILL)
    wait_for(lambda: host.entry(boot=False)["state"] == "error")
    assert host.entry()["state"] == "running"  # ls restarts an enabled daemon, as systemd would
    for _ in range(agent.RESTART_BURST):
        os.kill(host.pid(), signal.SIGKILL)
        wait_for(lambda: host.entry(boot=False)["state"] == "error")
        host.entry()
    assert host.entry()["state"] == "error"  # StartLimitBurst reached: left down


def test_running_means_the_pid_runs_the_units_command_line(host):
    deploy(host)
    real = host.pid()
    (host.ddir() / "unit.pid").write_text(f"{os.getpid()}\n")  # a wrapped pid, someone else's
    assert host.entry(boot=False)["state"] == "error"
    (host.ddir() / "unit.pid").write_text(f"{real}\n")
    assert host.entry(boot=False)["state"] == "running"


def test_rm_daemon_stops_it_and_keeps_its_dir_under_removed(host):
    deploy(host)
    pid = host.pid()
    host.agent("rm-daemon", request={"name": NAME, "fsid": FSID})
    assert not host.ddir().exists()
    assert any(p.name.startswith(NAME) for p in (host.root / "var/lib/ceph" / FSID / "removed").iterdir())
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_types_without_a_packaged_binary_are_refused_with_the_reason(host):
    answer = host.agent("deploy", request={
            "name": "grafana.host1", "fsid": FSID, "image": "deb:system",
            "service_name": "grafana", "runtime": "package"}, ok=False)
    assert "cannot run grafana daemons" in answer["error"]
    answer = host.agent("deploy", request={"name": NAME, "fsid": FSID, "image": "deb:nosuch",
                                           "service_name": "mgr", "runtime": "package"}, ok=False)
    assert "binary root" in answer["error"] and "deb:nosuch" in answer["error"]
