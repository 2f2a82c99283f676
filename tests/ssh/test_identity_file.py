"""Operators authenticate as they do with ssh: an ``IdentityFile`` in the ssh config orch is
given (``ORCH_SSH_CONFIG``) is enough, with no key stored by orch."""
from __future__ import annotations

import os
import subprocess
import sys


def test_an_identity_file_in_the_ssh_config_is_enough_to_add_a_host(start_hosts, tmp_path):
    hosts = start_hosts(1)
    host = hosts.hosts[0]
    config = tmp_path / "ssh_config"
    config.write_text(hosts.ssh_config() + f"    IdentityFile {hosts.client_key}\n")
    env = dict(os.environ, ORCH_SSH_CONFIG=str(config), ORCH_STATE_DIR=str(tmp_path / "state"),
               ORCH_BACKEND="ssh")

    def orch(*words):
        return subprocess.run([sys.executable, "-m", "ceph_orch_cli", *words], env=env,
                              capture_output=True, text=True, timeout=120)

    added = orch("host", "add", host.name, host.addr)
    assert added.returncode == 0, added.stderr
    assert added.stdout == f"Added host '{host.name}' with addr '{host.addr}'\n"
    assert "Available: Yes" in orch("status").stdout
    from ceph_orch_cli.backends.ssh.keys import SSHFiles
    assert SSHFiles(tmp_path / "state").missing_keys()  # nothing stored by orch
