"""Connections to real sshd test hosts: host keys trusted on first add and checked after,
a dead pooled connection replaced once, and every remote word quoted."""
from __future__ import annotations

import shlex
import stat

import paramiko
import pytest

from ceph_orch_cli.backends.ssh import driver as driver_module
from ceph_orch_cli.backends.ssh.driver import SSHHostDriver
from ceph_orch_cli.backends.ssh.keys import SSHFiles
from ceph_orch_cli.backends.ssh.pool import ConnectionPool
from ceph_orch_cli.backends.ssh.transport import KnownHosts, quote_command
from ceph_orch_cli.cluster.driver import HostActionError, HostUnreachable

FSID = "5a1c9a40-1f6e-11ef-9d4a-525400a1b2c3"


def make_driver(state_dir, key_path=None):
    files = SSHFiles(state_dir)
    pool = ConnectionPool(key_path or files.private_key, KnownHosts(files.known_hosts),
                          files.config_path())
    return SSHHostDriver(pool, fsid=lambda: FSID)


def test_quote_command_quotes_every_word_and_uses_sudo_for_non_root():
    argv = ["python3", "/var/lib/a b/agent.py", "mon.a;reboot", "$(id)", "it's"]
    assert quote_command(argv, "root") == \
        "python3 '/var/lib/a b/agent.py' 'mon.a;reboot' '$(id)' 'it'\"'\"'s'"
    assert quote_command(["ls"], "ceph-admin") == "sudo -n ls"


def test_quoted_words_reach_the_remote_command_unchanged(hosts, state_dir):
    driver = make_driver(state_dir)
    host1 = hosts.hosts[0]
    driver.learn_host_key(host1.spec())
    hostile = "a b;$(touch /tmp/pwned)`id`'\"\n|&"
    rc, out, _ = driver.pool.run(host1.name, host1.addr, ["printf", "%s", hostile])
    assert (rc, out.decode()) == (0, hostile)


def test_host_add_records_an_unknown_key(hosts, state_dir):
    driver = make_driver(state_dir)
    host1 = hosts.hosts[0]
    assert driver.learn_host_key(host1.spec())["hostname"] == "host1"
    known = SSHFiles(state_dir).known_hosts
    assert stat.S_IMODE(known.stat().st_mode) == 0o600
    recorded = paramiko.HostKeys(str(known)).lookup(f"[{host1.addr}]:{host1.port}")
    served = (host1.dir / "ssh_host_ed25519_key.pub").read_text().split()[1]
    assert recorded["ssh-ed25519"].get_base64() == served


def test_a_host_never_added_is_refused(hosts, state_dir):
    driver = make_driver(state_dir)
    with pytest.raises(HostUnreachable) as failure:
        driver.check_host(hosts.hosts[0].spec())
    assert "no host key recorded for host1" in str(failure.value)
    assert "`orch host add host1 127.0.0.11`" in str(failure.value)


def test_a_changed_host_key_is_refused_with_the_fix(hosts, state_dir):
    from ceph_orch_cli.backends.ssh.keys import forget_host_key

    driver = make_driver(state_dir)
    host1 = hosts.hosts[0]
    driver.learn_host_key(host1.spec())
    hosts.new_host_key(host1)
    for attempt in (driver.check_host, driver.learn_host_key):  # even host add refuses it
        with pytest.raises(HostUnreachable) as failure:
            attempt(host1.spec())
        assert "has CHANGED" in str(failure.value)
        assert "`orch ssh forget-host-key host1`" in str(failure.value)
    assert forget_host_key(state_dir, "host1") == [f"[{host1.addr}]:{host1.port}"]
    assert driver.learn_host_key(host1.spec())["hostname"] == "host1"
    assert driver.check_host(host1.spec())["hostname"] == "host1"


def test_a_dropped_connection_is_reopened_once(hosts, state_dir):
    driver = make_driver(state_dir)
    host1 = hosts.hosts[0].spec()
    driver.learn_host_key(host1)
    first = driver.pool.get(host1.hostname, host1.addr)
    first.client.get_transport().close()  # the network dropped it
    assert driver.check_host(host1)["hostname"] == "host1"
    assert driver.pool.get(host1.hostname, host1.addr) is not first


def test_a_restarted_sshd_is_reconnected(hosts, state_dir):
    driver = make_driver(state_dir)
    host1 = hosts.hosts[0].spec()
    driver.learn_host_key(host1)
    hosts.restart(hosts.hosts[0])  # kills the session our pooled connection used
    assert driver.check_host(host1)["hostname"] == "host1"


def test_the_agent_is_uploaded_only_when_missing(hosts, state_dir):
    host1 = hosts.hosts[0]
    make_driver(state_dir).learn_host_key(host1.spec())
    [uploaded] = (host1.root / "var/lib/ceph-orch").glob("agent.*.py")
    assert stat.S_IMODE(uploaded.stat().st_mode) == 0o700
    before = uploaded.stat().st_mtime_ns
    make_driver(state_dir).check_host(host1.spec())  # a new process, a new connection
    assert uploaded.stat().st_mtime_ns == before


def test_the_agent_starts_from_cached_bytecode(hosts, state_dir):
    """Sessions load the agent as a module, so the host's Python keeps its bytecode instead
    of compiling it at every `orch` run (unless the host's environment forbids it)."""
    host1 = hosts.hosts[0]
    driver = make_driver(state_dir)
    driver.learn_host_key(host1.spec())
    [uploaded] = (host1.root / "var/lib/ceph-orch").glob("agent.*.py")
    if "PYTHONDONTWRITEBYTECODE" in (host1.dir / "sshd_config").read_text():
        pytest.skip("the test host's environment forbids bytecode")
    [cached] = (uploaded.parent / "__pycache__").glob(uploaded.stem + ".*.pyc")
    before = cached.stat().st_mtime_ns
    driver.close()
    assert make_driver(state_dir).check_host(host1.spec())["hostname"] == "host1"
    assert cached.stat().st_mtime_ns == before


def test_a_wrong_key_fails_authentication_without_showing_it(hosts, state_dir, tmp_path):
    import subprocess

    make_driver(state_dir).learn_host_key(hosts.hosts[0].spec())
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    with pytest.raises(HostUnreachable) as failure:
        make_driver(state_dir, key_path=other).check_host(hosts.hosts[0].spec())
    message = str(failure.value)
    assert "authentication as root failed" in message and "orch ssh get-pub-key" in message
    secret_body = "".join(other.read_text().splitlines()[1:-1])
    assert secret_body[:20] not in message


def test_a_host_that_is_down_is_unreachable(hosts, state_dir):
    driver = make_driver(state_dir)
    host2 = hosts.hosts[1]
    driver.learn_host_key(host2.spec())
    hosts.stop(host2)
    with pytest.raises(HostUnreachable) as failure:
        driver.check_host(host2.spec())
    assert failure.value.hostname == "host2"
    assert f"{host2.addr}:{host2.port}" in str(failure.value)


def test_calls_share_one_long_running_agent_which_is_restarted_when_it_dies(hosts, state_dir):
    import signal

    driver = make_driver(state_dir)
    host1 = hosts.hosts[0].spec()
    first = driver.learn_host_key(host1)["agent_pid"]
    assert driver.check_host(host1)["agent_pid"] == first
    hosts.hosts[0].kill(first, signal.SIGKILL)  # the agent dies; the host and the connection stay up
    try:
        answer = driver.check_host(host1)  # a new agent, if the channel's end arrived first
    except HostActionError as failure:  # else the call in flight reports it
        assert "the agent exited" in str(failure)
        answer = driver.check_host(host1)
    assert answer["agent_pid"] != first


def test_a_non_root_user_runs_the_agent_through_sudo_with_its_environment(tmp_path):
    """sudo resets the environment, so what sshd gave the agent is passed on explicitly,
    both by the probe that becomes the agent and by a restart of the agent."""
    import os
    import subprocess

    from ceph_orch_cli.backends.ssh.transport import Target

    class Conn:  # the probe's answer, as a host with an agent already installed gives it
        target = Target("host1", "10.0.0.1", user="ceph-admin")
        agent_path = None
        sent = []

        def start_session(self, command, preamble_lines, timeout=0):
            self.sent.append(command)
            return ["present", "/var/lib/ceph-orch/agent.x.py", "/usr/bin/python3", "", "podman", ""]

    driver = make_driver(tmp_path, key_path=tmp_path / "unused")
    conn = Conn()
    driver._ensure_agent(conn)
    assert not conn.sent[0].startswith("sudo")  # the probe only reads the environment
    assert quote_command(conn.agent_argv + ["serve"], conn.target.user) == (
        "sudo -n env ORCH_AGENT_ROOT=/ ORCH_CONTAINER_ENGINE=podman /usr/bin/python3 -S -c "
        f"{shlex.quote(driver_module._LAUNCH)} /var/lib/ceph-orch/agent.x.py serve")

    # the probe itself, run by sh with a sudo that shows what it was asked to run
    root, bin_dir = tmp_path / "root", tmp_path / "bin"
    (root / "var/lib/ceph-orch").mkdir(parents=True)
    (root / "var/lib/ceph-orch/agent.abc.py").write_text("")
    bin_dir.mkdir()
    (bin_dir / "sudo").write_text('#!/bin/sh\nprintf "%s\\n" sudo "$@"\n')
    (bin_dir / "sudo").chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "ORCH_AGENT_ROOT": str(root),
           "ORCH_CONTAINER_ENGINE": "/opt/engine with space"}
    out = subprocess.run(["sh", "-c", driver_module._PROBE, "sh", "abc", "sudo", "LAUNCH"],
                         env=env, capture_output=True, text=True, check=True).stdout.split("\n")
    agent = f"{root}/var/lib/ceph-orch/agent.abc.py"
    assert out[:6] == ["present", agent, out[2], str(root), "/opt/engine with space", ""]
    assert os.path.isabs(out[2])
    assert out[6:-1] == ["sudo", "-n", "env", f"ORCH_AGENT_ROOT={root}",
                         "ORCH_CONTAINER_ENGINE=/opt/engine with space", out[2], "-S", "-c", "LAUNCH",
                         agent, "serve"]
