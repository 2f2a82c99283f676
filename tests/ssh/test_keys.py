"""`orch ssh` identity handling: keys stored 0600, pairs that always match, no key material
in any message."""
from __future__ import annotations

import stat
import subprocess

import pytest

from ceph_orch_cli.backends.ssh import keys
from ceph_orch_cli.orchestrator.errors import OrchestratorError, OrchestratorValidationError


@pytest.fixture
def files(tmp_path):
    return keys.SSHFiles(tmp_path / "state")


def keypair(tmp_path, name):
    path = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "x", "-f", str(path)], check=True)
    return path.read_text(), path.with_suffix(".pub").read_text()


def test_generate_key_stores_a_private_key_only_the_owner_reads(files):
    public = keys.generate_key(files)
    assert public.startswith("ssh-ed25519 ")
    assert stat.S_IMODE(files.private_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.dir.stat().st_mode) == 0o700
    assert keys.get_public_key(files) == public
    assert not files.missing_keys()


def test_get_pub_key_without_a_key_says_how_to_set_one(files):
    with pytest.raises(OrchestratorError) as failure:
        keys.get_public_key(files)
    assert failure.value.errno == -2 and "orch ssh generate-key" in str(failure.value)


def test_set_priv_key_derives_the_matching_public_key(files, tmp_path):
    private, public = keypair(tmp_path, "a")
    keys.set_private_key(files, private)
    assert keys.get_public_key(files).split()[:2] == public.split()[:2]


def test_a_public_key_of_another_pair_is_refused(files, tmp_path):
    private, _ = keypair(tmp_path, "a")
    _, other_public = keypair(tmp_path, "b")
    keys.set_private_key(files, private)
    with pytest.raises(OrchestratorValidationError) as failure:
        keys.set_public_key(files, other_public)
    assert "does not match the stored private key" in str(failure.value)
    assert other_public.split()[1] not in str(failure.value)


def test_a_broken_private_key_is_refused_without_echoing_it(files):
    secret = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0c2VjcmV0\n-----END OPENSSH PRIVATE KEY-----\n"
    with pytest.raises(OrchestratorValidationError) as failure:
        keys.set_private_key(files, secret)
    assert "c2VjcmV0" not in str(failure.value)
    assert not files.private_key.exists()


@pytest.mark.parametrize("user", ["root", "ceph-admin", "_svc"])
def test_set_user_accepts_plain_user_names(files, user):
    keys.set_user(files, user)
    assert files.user() == user


@pytest.mark.parametrize("user", ["", "a b", "x;reboot", "$(id)", "Root"])
def test_set_user_refuses_anything_else(files, user):
    with pytest.raises(OrchestratorValidationError):
        keys.set_user(files, user)


def test_ssh_config_from_the_environment_wins(files, tmp_path, monkeypatch):
    keys.set_config(files, "Host *\n  User ceph\n")
    assert keys.get_config(files) == "Host *\n  User ceph\n"
    other = tmp_path / "ssh_config"
    other.write_text("Host *\n  Port 2200\n")
    monkeypatch.setenv("ORCH_SSH_CONFIG", str(other))
    assert keys.get_config(files) == "Host *\n  Port 2200\n"
