"""Real sshd test hosts for the SSH backend (``tests/testhosts.py``).

Each host is a real ``/usr/sbin/sshd`` on 127.0.0.1N in its own UTS namespace, with its own
host key, agent root and loop-device disks. The container engine is the one mocked edge (a
recording ``podman`` shim); the Ceph cluster is another edge we cannot run here, answered by
a ``ceph`` shim. Tests that need these skip with the reason when not root or sshd is missing.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, List

import pytest

from testhosts import SSHTestHosts, missing_requirements

GB = 1024 ** 3


@pytest.fixture
def start_hosts(tmp_path) -> Callable[..., SSHTestHosts]:
    """Start N sshd test hosts (killed, by pid, and their loop devices detached afterwards)."""
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    started: List[SSHTestHosts] = []

    def start(count: int = 2, disks: List[int] = ()) -> SSHTestHosts:
        hosts = SSHTestHosts(tmp_path / f"hosts{len(started)}", count, disks=list(disks))
        started.append(hosts)
        return hosts.start()

    yield start
    for hosts in started:
        hosts.close()


@pytest.fixture
def hosts(start_hosts) -> SSHTestHosts:
    """Two test hosts, each with a 10 GB disk and a 1 GB one (too small for an OSD)."""
    return start_hosts(2, disks=[10 * GB, 1 * GB])


@pytest.fixture
def state_dir(tmp_path, hosts, monkeypatch) -> Path:
    """A state dir whose SSH identity is the test hosts' authorized key and whose ssh config
    names them (as `orch ssh set-priv-key -i` and `orch ssh set-config -i` would store)."""
    from ceph_orch_cli.backends.ssh import keys

    state = tmp_path / "state"
    files = keys.SSHFiles(state)
    keys.set_private_key(files, hosts.client_key.read_text())
    keys.set_config(files, hosts.ssh_config())
    monkeypatch.delenv("ORCH_SSH_CONFIG", raising=False)
    return state

