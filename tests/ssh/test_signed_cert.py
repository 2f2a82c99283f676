"""CA-signed SSH user certificates (`orch cephadm set-signed-cert` / `get-signed-cert`):
against a real sshd that trusts a user CA (``TrustedUserCAKeys``) and authorizes no key at
all, a host can be added only once the key's certificate is set, and `clear-key` forgets it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from testhosts import SSHTestHosts, TestHost, missing_requirements


class CATrustingHosts(SSHTestHosts):
    """Test hosts whose sshd accepts only certificates signed by ``ca``: no authorized keys
    (``AuthorizedKeysFile none``), the CA's public key as ``TrustedUserCAKeys``."""

    def __init__(self, base: Path, count: int, ca_public: Path) -> None:
        super().__init__(base, count)
        self.ca_public = ca_public

    def _sshd_config(self, host: TestHost) -> Path:
        config = super()._sshd_config(host)
        lines = [("AuthorizedKeysFile none" if ln.startswith("AuthorizedKeysFile ") else ln)
                 for ln in config.read_text().splitlines()]
        config.write_text("\n".join(lines + [f"TrustedUserCAKeys {self.ca_public}", ""]))
        return config


def keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "t", "-f", str(path)],
                   check=True)


def sign(ca: Path, public: Path, principal: str = "root") -> Path:
    """``ssh-keygen -s``: the user certificate of ``public`` (written beside it)."""
    subprocess.run(["ssh-keygen", "-q", "-s", str(ca), "-I", "orch-test", "-n", principal,
                    "-V", "-5m:+1h", str(public)], check=True, capture_output=True)
    return public.with_name(public.name.replace(".pub", "-cert.pub"))


@pytest.fixture
def ca_hosts(tmp_path):
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    keygen(tmp_path / "user_ca")
    hosts = CATrustingHosts(tmp_path / "hosts", 1, tmp_path / "user_ca.pub").start()
    yield hosts
    hosts.close()


def orch(state: Path, *words: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("ORCH_SSH_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "ceph_orch_cli", "--backend", "ssh",
                           "--state-dir", str(state), *words], input=stdin, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_host_that_trusts_only_the_user_ca_is_reached_with_the_signed_cert(ca_hosts,
                                                                            tmp_path):
    host = ca_hosts.hosts[0]
    state = tmp_path / "state"
    (tmp_path / "ssh_config").write_text(ca_hosts.ssh_config())
    assert orch(state, "cephadm", "set-priv-key", "-i", str(ca_hosts.client_key)).returncode == 0
    assert orch(state, "cephadm", "set-ssh-config", "-i", str(tmp_path / "ssh_config")
                ).returncode == 0
    missing = orch(state, "cephadm", "get-signed-cert")
    assert (missing.returncode, missing.stderr) == (2, "Error ENOENT: No signed cert defined\n")
    # the key alone is not authorized on this host
    refused = orch(state, "host", "add", host.name, host.addr)
    assert refused.returncode != 0 and "authentication as root failed" in refused.stderr
    assert "Traceback" not in refused.stderr

    cert = sign(tmp_path / "user_ca", ca_hosts.client_key.with_suffix(".pub"))
    assert orch(state, "cephadm", "set-signed-cert", "-i", str(cert)).stdout == ""
    assert orch(state, "cephadm", "get-signed-cert").stdout == cert.read_text()
    assert orch(state, "cephadm", "set-signed-cert", "-i", "-",
                stdin=cert.read_text()).stdout == "value unchanged\n"
    added = orch(state, "host", "add", host.name, host.addr)
    assert added.returncode == 0, added.stderr
    assert added.stdout == f"Added host '{host.name}' with addr '{host.addr}'\n"
    assert "Available: Yes" in orch(state, "status").stdout

    # clear-key forgets the certificate with the key
    assert orch(state, "cephadm", "clear-key").returncode == 0
    assert orch(state, "ssh", "get-signed-cert").returncode == 2


def test_set_signed_cert_refuses_what_does_not_certify_the_key(tmp_path):
    state = tmp_path / "state"
    keygen(tmp_path / "user_ca")
    keygen(tmp_path / "mine")
    keygen(tmp_path / "other")
    other_cert = sign(tmp_path / "user_ca", tmp_path / "other.pub")
    empty = tmp_path / "empty"
    empty.write_text("")
    for words, code, message in [
        (("-i", str(empty)), 22, "Error EINVAL: empty cert file provided"),
        (("-i", str(other_cert)), 22, "Error EINVAL: no SSH private key is set"),
    ]:
        result = orch(state, "cephadm", "set-signed-cert", *words)
        assert result.returncode == code and result.stderr.startswith(message), result.stderr
    assert orch(state, "cephadm", "set-priv-key", "-i", str(tmp_path / "mine")).returncode == 0
    for text, message in [
        (other_cert.read_text(), "the signed cert does not certify the stored private key"),
        ((tmp_path / "mine.pub").read_text(), "the signed cert is not an OpenSSH certificate"),
    ]:
        result = orch(state, "cephadm", "set-signed-cert", "-i", "-", stdin=text)
        assert result.returncode == 22 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert not (state / "ssh" / "id-cert.pub").exists()
    mine = sign(tmp_path / "user_ca", tmp_path / "mine.pub")
    assert orch(state, "cephadm", "set-signed-cert", "-i", str(mine)).returncode == 0
    # a new private key drops the certificate of the old one
    assert orch(state, "cephadm", "set-priv-key", "-i", str(tmp_path / "other")).returncode == 0
    assert orch(state, "cephadm", "get-signed-cert").returncode == 2
