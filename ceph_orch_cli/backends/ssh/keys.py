"""The SSH identity the backend connects with, kept in ``<state_dir>/ssh/`` (mode 0700).

Files: ``id`` (private key, 0600), ``id.pub``, ``id-cert.pub`` (a CA-signed certificate of the
key, as ``set-signed-cert`` stores it; OpenSSH's name for it, and the transport offers it with
the key when present), ``user``, ``ssh_config`` (OpenSSH format) and ``known_hosts``. cephadm once let ``set-priv-key`` and ``set-pub-key`` leave a mismatched pair
that broke every connection (field notes §1.24), so the public key is always derived from the
private key when one is set, and a public key that does not belong to the private key is
refused. No message here ever contains key material.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path
from typing import List, Optional

from ceph_orch_cli.orchestrator.errors import OrchestratorError, OrchestratorValidationError

USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
DEFAULT_USER = "root"
KEY_COMMENT = "ceph-orch"


class SSHFiles:
    """Paths of the backend's SSH files under one state dir."""

    def __init__(self, state_dir: Path) -> None:
        self.dir = Path(state_dir) / "ssh"
        self.private_key = self.dir / "id"
        self.public_key = self.dir / "id.pub"
        self.certificate = self.dir / "id-cert.pub"
        self.user_file = self.dir / "user"
        self.config = self.dir / "ssh_config"
        self.known_hosts = self.dir / "known_hosts"

    def ensure_dir(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = os.lstat(self.dir)
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
            # someone else's directory (or a link to one) would get our private key
            raise OrchestratorError(f"refusing to write into {self.dir}: it is not a directory "
                                    f"owned by uid {os.geteuid()}; remove it", errno=-errno.EPERM)
        os.chmod(self.dir, 0o700)

    def missing_keys(self) -> bool:
        return not (self.private_key.exists() and self.public_key.exists())

    def config_path(self) -> Optional[Path]:
        """``ORCH_SSH_CONFIG`` wins over the config stored by ``orch ssh set-config``."""
        env = os.environ.get("ORCH_SSH_CONFIG")
        if env:
            return Path(env)
        return self.config if self.config.exists() else None

    def user(self) -> str:
        try:
            user = self.user_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return DEFAULT_USER
        except (OSError, UnicodeDecodeError) as exc:
            raise OrchestratorError(f"cannot read the ssh user file {self.user_file}: "
                                    f"{getattr(exc, 'strerror', None) or exc}") from None
        if user and not USER_RE.match(user):
            # written behind orch's back: `orch ssh set-user` would have refused it
            raise OrchestratorError(f"the ssh user file {self.user_file} holds an invalid "
                                    f"user name {user[:40]!r}; fix it with `orch ssh set-user`")
        return user or DEFAULT_USER


def _write_private(path: Path, data: bytes, mode: int = 0o600) -> None:
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _public_line(key) -> str:
    return f"{key.get_name()} {key.get_base64()} {KEY_COMMENT}"


def _load_private_text(text: str):
    """Parse a private key of any supported type without touching the disk."""
    import io

    import paramiko

    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key(io.StringIO(text))
        except paramiko.PasswordRequiredException:
            # orch connects unattended: nobody is there to type the passphrase
            raise OrchestratorValidationError(
                "the private key is protected by a passphrase; orch needs a key without "
                "one (remove it with `ssh-keygen -p -N '' -f KEY`)") from None
        except (paramiko.SSHException, ValueError, IndexError, TypeError):
            continue
    raise OrchestratorValidationError(
        "the private key could not be read (supported: ed25519, ecdsa, rsa; no passphrase)")


def _parse_public(text: str):
    """Return (type, base64) of an OpenSSH public key line."""
    import base64
    import binascii

    parts = text.strip().split()
    if len(parts) < 2 or not parts[0].startswith(("ssh-", "ecdsa-", "sk-")):
        raise OrchestratorValidationError("the public key is not an OpenSSH public key line")
    try:
        base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise OrchestratorValidationError("the public key is not an OpenSSH public key line") from None
    return parts[0], parts[1]


def generate_key(files: SSHFiles) -> str:
    """Create a new ed25519 key pair (ssh-keygen; paramiko cannot generate ed25519, so
    without ssh-keygen fall back to a 4096-bit RSA key). Return the public key line."""
    files.ensure_dir()
    keygen = shutil.which("ssh-keygen")
    if keygen:
        with tempfile.TemporaryDirectory(dir=files.dir) as tmp:
            path = Path(tmp) / "id"
            result = subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", KEY_COMMENT,
                                     "-f", str(path)], capture_output=True, text=True)
            if result.returncode != 0:
                raise OrchestratorError(f"ssh-keygen failed: {result.stderr.strip()[-200:]}")
            private = path.read_bytes()
    else:
        import io

        import paramiko

        buf = io.StringIO()
        paramiko.RSAKey.generate(4096).write_private_key(buf)
        private = buf.getvalue().encode()
    return set_private_key(files, private.decode())


def set_private_key(files: SSHFiles, text: str) -> str:
    """Store a private key and the public key derived from it; return the public line."""
    key = _load_private_text(text)
    files.ensure_dir()
    if files.certificate.exists() and not _still_certified(files, key):
        files.certificate.unlink()  # it certified the old key: offering it would only fail
    _write_private(files.private_key, text.encode() if text.endswith("\n") else (text + "\n").encode())
    public = _public_line(key)
    _write_private(files.public_key, (public + "\n").encode(), mode=0o644)
    return public


def _still_certified(files: SSHFiles, key) -> bool:
    try:
        return certificate_matches(key, _certificate_blob(files.certificate.read_text()))
    except (OSError, OrchestratorError):
        return False


def set_public_key(files: SSHFiles, text: str) -> str:
    """Store a public key, refusing one that is not the pair of the stored private key."""
    key_type, body = _parse_public(text)
    if files.private_key.exists():
        from ceph_orch_cli.backends.ssh.transport import load_private_key

        private = load_private_key(files.private_key)
        if private.get_name() != key_type or private.get_base64() != body:
            raise OrchestratorValidationError(
                "the public key does not match the stored private key; set the matching "
                "private key first with `orch ssh set-priv-key -i FILE`")
    files.ensure_dir()
    line = text.strip()
    _write_private(files.public_key, (line + "\n").encode(), mode=0o644)
    return line


def get_public_key(files: SSHFiles) -> str:
    try:
        return files.public_key.read_text().strip()
    except FileNotFoundError:
        raise OrchestratorError("No SSH public key set. Use `orch ssh set-pub-key` or "
                                "`orch ssh generate-key`", errno=-errno.ENOENT) from None


def set_user(files: SSHFiles, user: str) -> None:
    if not USER_RE.match(user or ""):
        raise OrchestratorValidationError(f"invalid user name: {user!r}")
    files.ensure_dir()
    _write_private(files.user_file, (user + "\n").encode(), mode=0o644)


def set_config(files: SSHFiles, text: str) -> None:
    """Store an OpenSSH-style client config (User, Port, IdentityFile, ConnectTimeout, ...)."""
    import io

    import paramiko

    config = paramiko.SSHConfig()
    try:
        config.parse(io.StringIO(text))
    except (paramiko.ConfigParseError, ValueError) as exc:
        raise OrchestratorValidationError(f"invalid ssh config: {exc}") from None
    if not text.strip():
        raise OrchestratorValidationError("empty ssh_config")
    files.ensure_dir()
    _write_private(files.config, text.encode())


def get_config(files: SSHFiles) -> str:
    path = files.config_path()
    if path is None:
        raise OrchestratorError("No custom SSH config set", errno=-errno.ENOENT)
    return path.read_text()


def forget_host_key(state_dir: Path, hostname: str) -> List[str]:
    """Drop every known_hosts entry a host's key may be recorded under (its name, its
    address, ``[address]:port``); return the names that had keys."""
    from ceph_orch_cli.backends.ssh.transport import KnownHosts, read_ssh_config, resolve_target
    from ceph_orch_cli.cluster.store import Store

    files = SSHFiles(Path(state_dir))
    addr = None
    if (Path(state_dir) / "orch.db").exists():
        store = Store(Path(state_dir))
        try:
            row = store.get_host(hostname)
        finally:
            store.close()
        addr = row.spec.get("addr") if row else None
    config = read_ssh_config(files.config_path())
    target = resolve_target(hostname, addr, config, files.user())
    names = {target.known_hosts_name, hostname, target.address}
    return KnownHosts(files.known_hosts).forget(sorted(names))


def default_config(files: SSHFiles) -> str:
    """The client settings in force without a custom config (what `get-ssh-config` shows).

    Unlike cephadm's default, host keys are checked against orch's own known_hosts."""
    return ("Host *\n"
            f"  User {files.user()}\n"
            "  StrictHostKeyChecking yes\n"
            f"  UserKnownHostsFile {files.known_hosts}\n"
            "  ConnectTimeout=10\n")


def _certificate_blob(text: str):
    """The OpenSSH user certificate of a ``-cert.pub`` line (paramiko's ``PublicBlob``)."""
    from paramiko.pkey import PublicBlob

    line = text.strip()
    if "\n" in line or "-cert-v01@openssh.com " not in line + " ":
        raise OrchestratorValidationError(
            "the signed cert is not an OpenSSH certificate line (<type>-cert-v01@openssh.com "
            "<base64> [comment], as ssh-keygen -s writes to id-cert.pub)")
    try:
        return PublicBlob.from_string(line)
    except (ValueError, TypeError, IndexError):
        raise OrchestratorValidationError("the signed cert could not be read") from None


def certificate_matches(key, blob) -> bool:
    """Whether a certificate certifies ``key``: after the certificate's type and nonce come the
    key's own public fields (PROTOCOL.certkeys), the same bytes as the key's public blob."""
    import paramiko

    if not blob.key_type.startswith(key.get_name()):
        return False
    try:
        cert = paramiko.Message(blob.key_blob)
        cert.get_text()
        cert.get_binary()  # the nonce
        own = paramiko.Message(key.asbytes())
        own.get_text()
        return bool(cert.get_remainder().startswith(own.get_remainder()))
    except (paramiko.SSHException, ValueError, IndexError, TypeError):
        return False


def set_signed_cert(files: SSHFiles, text: str) -> None:
    """Store a CA-signed certificate of the stored private key (`set-signed-cert -i`)."""
    blob = _certificate_blob(text)
    if not files.private_key.exists():
        raise OrchestratorValidationError(
            "no SSH private key is set: set the key the certificate signs first "
            "(`orch cephadm set-priv-key -i FILE`)")
    from ceph_orch_cli.backends.ssh.transport import load_private_key

    if not certificate_matches(load_private_key(files.private_key, certificate=False), blob):
        raise OrchestratorValidationError(
            "the signed cert does not certify the stored private key")
    files.ensure_dir()
    _write_private(files.certificate, (text.strip() + "\n").encode(), mode=0o644)


def get_signed_cert(files: SSHFiles) -> str:
    try:
        return files.certificate.read_text().strip()
    except FileNotFoundError:
        raise OrchestratorError("No signed cert defined", errno=-errno.ENOENT) from None


def clear_key(files: SSHFiles) -> None:
    """Forget the cluster key pair and its signed cert (`orch cephadm clear-key`)."""
    for path in (files.private_key, files.public_key, files.certificate):
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def clear_config(files: SSHFiles) -> None:
    """Forget the custom client config (`orch cephadm clear-ssh-config`)."""
    try:
        files.config.unlink()
    except FileNotFoundError:
        pass
