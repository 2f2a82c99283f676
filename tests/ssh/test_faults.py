"""Faults the SSH backend must survive: a host dying in the middle of an apply, a host key
that changed, hostile names. Real sshd test hosts; the container engine is the one mocked
edge (a recording `podman` shim), the Ceph cluster a `ceph` shim (it cannot run here)."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from ceph_orch_cli.backends.ssh.driver import SSHHostDriver
from ceph_orch_cli.backends.ssh.keys import SSHFiles
from ceph_orch_cli.backends.ssh.pool import ConnectionPool
from ceph_orch_cli.backends.ssh.transport import KnownHosts
from ceph_orch_cli.cluster.driver import DeployRequest
from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError


def orch_argv(state_dir, *words):
    return [sys.executable, "-m", "ceph_orch_cli", "--backend", "ssh", "--state-dir", str(state_dir), *words]


def orch(state_dir, *words, ok=True):
    proc = subprocess.run(orch_argv(state_dir, *words), capture_output=True, text=True, timeout=120)
    if ok:
        assert proc.returncode == 0, (words, proc.stdout, proc.stderr)
    return proc


def host_status(state_dir):
    listed = json.loads(orch(state_dir, "host", "ls", "--format", "json").stdout)
    return {h["hostname"]: h["status"] for h in listed}


def crash_hosts(state_dir):
    daemons = json.loads(orch(state_dir, "ps", "--daemon-type", "crash", "--format", "json").stdout)
    return sorted(d["hostname"] for d in daemons)


@pytest.fixture
def three_hosts(start_hosts, tmp_path):
    from ceph_orch_cli.backends.ssh import keys

    hosts = start_hosts(3)
    hosts.write_ceph_cluster(hosts.hosts[0], {"fsid": "unused", "osds": {}})
    state = tmp_path / "state"
    files = keys.SSHFiles(state)
    keys.set_private_key(files, hosts.client_key.read_text())
    keys.set_config(files, hosts.ssh_config())
    for h in hosts:
        orch(state, "host", "add", h.name, h.addr, *(["--labels", "_admin"] if h.name == "host1" else []))
    return hosts, state


def kill_mid_apply(hosts, host, state):
    """`orch apply crash` with the host dying while its `podman run` hangs."""
    (host.root / "engine-delay").write_text("30")  # the host's `podman run` hangs...
    apply = subprocess.Popen(orch_argv(state, "apply", "crash"), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (host.root / "engine-delayed").exists():
        assert time.monotonic() < deadline and apply.poll() is None, "apply never reached it"
        time.sleep(0.05)
    hosts.stop(host)  # ...and the host dies while the apply waits on it
    apply.communicate(timeout=120)


def test_a_host_dying_mid_apply_goes_offline_and_a_rerun_converges(three_hosts):
    hosts, state = three_hosts
    host2 = hosts.hosts[1]
    kill_mid_apply(hosts, host2, state)
    assert crash_hosts(state) == ["host1", "host3"]
    assert host_status(state)["host2"].lower() == "offline"

    (host2.root / "engine-delay").unlink()
    hosts.restart(host2)
    orch(state, "serve", "--once")
    assert crash_hosts(state) == ["host1", "host2", "host3"]
    assert host_status(state)["host2"] == ""


def test_a_changed_host_key_is_refused_until_forgotten(three_hosts):
    hosts, state = three_hosts
    host3 = hosts.hosts[2]
    hosts.new_host_key(host3)
    orch(state, "ps", "--refresh")
    assert host_status(state)["host3"].lower() == "offline"
    readd = orch(state, "host", "add", "host3", host3.addr, ok=False)
    assert readd.returncode != 0
    assert "has CHANGED" in readd.stderr and "orch ssh forget-host-key host3" in readd.stderr
    assert "Forgot the host key of host3" in orch(state, "ssh", "forget-host-key", "host3").stdout
    orch(state, "host", "add", "host3", host3.addr)
    assert host_status(state)["host3"] == ""


HOSTILE_HOSTS = ["host1;touch PWNED", "host$(touch PWNED)", "host1 x", "host1'x", "host1\ntouch PWNED",
                 "`touch PWNED`"]
HOSTILE_DAEMONS = ["crash.host1;touch PWNED", "crash.$(touch PWNED)", "crash.a b", "crash.'x'", "crash.x\ny"]


@pytest.fixture
def one_host(start_hosts, tmp_path):
    from ceph_orch_cli.backends.ssh import keys

    hosts = start_hosts(1)
    state = tmp_path / "state"
    files = keys.SSHFiles(state)
    keys.set_private_key(files, hosts.client_key.read_text())
    keys.set_config(files, hosts.ssh_config())
    return hosts, state


def test_hostile_host_names_never_reach_a_shell(one_host, tmp_path):
    hosts, state = one_host
    for name in HOSTILE_HOSTS:
        added = orch(state, "host", "add", name, "127.0.0.11", ok=False)
        assert added.returncode == 22, (name, added.stderr)
    assert not list(tmp_path.rglob("PWNED"))
    assert not (state / "ssh" / "known_hosts").exists()
    assert hosts.hosts[0].engine_calls() == []


def test_hostile_daemon_names_are_refused_before_any_connection(one_host):
    hosts, state = one_host
    files = SSHFiles(state)
    pool = ConnectionPool(files.private_key, KnownHosts(files.known_hosts), files.config_path())
    driver = SSHHostDriver(pool, fsid=lambda: "5a1c9a40-1f6e-11ef-9d4a-525400a1b2c3")
    for daemon in HOSTILE_DAEMONS:
        request = DeployRequest(name=daemon, fsid="5a1c9a40-1f6e-11ef-9d4a-525400a1b2c3",
                                image="quay.io/ceph/ceph:v19", service_name="crash",
                                config={"keyring": "AQBsecret=="})
        with pytest.raises(OrchestratorValidationError) as failure:
            driver.deploy_daemon(hosts.hosts[0].spec(), request)
        assert "AQBsecret" not in str(failure.value)
        with pytest.raises(OrchestratorValidationError):
            driver.daemon_unit(hosts.hosts[0].spec(), daemon, "stop")
    assert pool._connections == {}
    assert hosts.hosts[0].engine_calls() == []


def test_a_rerun_of_apply_reprobes_a_restarted_host_and_converges(three_hosts):
    """Issue 16: not only `orch serve --once`: the operator's rerun of the same `orch apply`
    checks the host that went offline again, and finishes the work on it."""
    hosts, state = three_hosts
    host2 = hosts.hosts[1]
    kill_mid_apply(hosts, host2, state)
    assert host_status(state)["host2"].lower() == "offline"

    (host2.root / "engine-delay").unlink()
    hosts.restart(host2)
    orch(state, "apply", "crash")
    assert host_status(state)["host2"] == ""
    assert crash_hosts(state) == ["host1", "host2", "host3"]
    daemons = json.loads(orch(state, "ps", "--daemon-type", "crash", "--format", "json").stdout)
    assert {d["hostname"]: d["status_desc"] for d in daemons}["host2"] == "running"
