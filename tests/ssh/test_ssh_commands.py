"""`orch ssh ...` as an operator types it (no hosts needed)."""
from __future__ import annotations

import subprocess

import pytest
from click.testing import CliRunner

from ceph_orch_cli.cli import orch


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()

    def invoke(*words, stdin=None):
        return runner.invoke(orch, ["--state-dir", str(tmp_path / "state"), *words], input=stdin)
    return invoke


def test_generate_key_then_get_pub_key(run):
    assert run("ssh", "generate-key").exit_code == 0
    shown = run("ssh", "get-pub-key")
    assert shown.exit_code == 0 and shown.output.startswith("ssh-ed25519 ")


def test_set_priv_key_from_stdin_and_a_mismatched_pub_key_is_refused(run, tmp_path):
    for name in ("a", "b"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / name)], check=True)
    assert run("ssh", "set-priv-key", "-i", "-", stdin=(tmp_path / "a").read_text()).output == "Set ssh private key\n"
    refused = run("ssh", "set-pub-key", "-i", str(tmp_path / "b.pub"))
    assert refused.exit_code == 22
    assert "does not match the stored private key" in refused.output
    assert run("ssh", "set-pub-key", "-i", str(tmp_path / "a.pub")).exit_code == 0


def test_set_user_says_sudo_will_be_used(run):
    assert run("ssh", "set-user", "ceph-admin").output == "ssh user set to ceph-admin. sudo will be used\n"
    assert run("ssh", "set-user", "bad;user").exit_code == 22


def test_set_config_round_trips_through_get_config(run, tmp_path, monkeypatch):
    monkeypatch.delenv("ORCH_SSH_CONFIG", raising=False)
    config = tmp_path / "ssh_config"
    config.write_text("Host host*\n    Port 2222\n    User root\n")
    assert run("ssh", "set-config", "-i", str(config)).exit_code == 0
    assert run("ssh", "get-config").output == config.read_text()


def test_forget_host_key_of_an_unknown_host_is_enoent(run):
    forgotten = run("ssh", "forget-host-key", "host9")
    assert forgotten.exit_code == 2 and "No host key recorded for host9" in forgotten.output
