"""One SSH connection to one host: key auth, checked host keys, quoted commands.

cephadm connects with ``StrictHostKeyChecking no`` and ``UserKnownHostsFile /dev/null``
(field notes §1.22); we keep the backend's own known_hosts file in the state dir instead:
``host add`` records an unknown key (trust on first add), every later connection must present
the same key, and a changed key is refused with the command that fixes it. Only key auth is
tried (no agent, no ~/.ssh keys, no passwords), so the key the operator gave is the key used.

paramiko is imported inside functions: ``orch --help`` must not pay for it.
"""
from __future__ import annotations

import fcntl
import os
import shlex
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from ceph_orch_cli.cluster.driver import HostUnreachable
from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    import paramiko

DEFAULT_USER = "root"
DEFAULT_PORT = 22
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_KEEPALIVE = 15
DEFAULT_COMMAND_TIMEOUT = 900.0

_known_hosts_lock = threading.Lock()


class ConnectionLost(Exception):
    """The connection broke before a command could start; it is safe to reconnect and retry."""


class AgentSessionEnded(Exception):
    """The long-running agent exited (or never started) while the connection stayed up."""


@dataclass
class Target:
    """Where and as whom to connect, after the ssh config has been applied."""

    hostname: str          # the orchestrator's name for the host
    address: str           # what we connect to
    port: int = DEFAULT_PORT
    user: str = DEFAULT_USER
    identity_file: Optional[str] = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    keepalive: int = DEFAULT_KEEPALIVE

    @property
    def known_hosts_name(self) -> str:
        """The key OpenSSH uses in known_hosts: ``addr`` or ``[addr]:port``."""
        return self.address if self.port == DEFAULT_PORT else f"[{self.address}]:{self.port}"


def read_ssh_config(path: Optional[Path]) -> "paramiko.SSHConfig":
    import paramiko

    config = paramiko.SSHConfig()
    if path is not None and path.exists():
        # the file was checked by `orch ssh set-config`, but it can be edited (or
        # damaged) behind orch's back: say which file is wrong rather than crash
        try:
            with open(path, encoding="utf-8") as f:
                config.parse(f)
        except (paramiko.ConfigParseError, ValueError) as exc:
            raise OrchestratorError(f"invalid ssh config {path}: {exc}") from None
        except OSError as exc:
            raise OrchestratorError(f"cannot read ssh config {path}: {exc.strerror}") from None
    return config


def resolve_target(hostname: str, addr: Optional[str], config: "paramiko.SSHConfig",
                   default_user: str = DEFAULT_USER) -> Target:
    """Apply an OpenSSH-style config (User, Port, IdentityFile, ConnectTimeout,
    ServerAliveInterval, HostName) to one host. The stored address wins over HostName."""
    entry = config.lookup(hostname)
    address = addr or entry.get("hostname") or hostname
    identity = entry.get("identityfile")
    return Target(
        hostname=hostname,
        address=address,
        port=int(entry.get("port", DEFAULT_PORT)),
        user=entry.get("user", default_user),
        identity_file=os.path.expanduser(identity[0]) if identity else None,
        connect_timeout=float(entry.get("connecttimeout", DEFAULT_CONNECT_TIMEOUT)),
        keepalive=int(entry.get("serveraliveinterval", DEFAULT_KEEPALIVE)),
    )


def quote_command(argv: Sequence[str], user: str) -> str:
    """One remote command line with every word quoted; non-root users go through ``sudo -n``
    (never prompt: a password prompt would hang the fan-out)."""
    words = [shlex.quote(str(a)) for a in argv]
    if user != "root":
        words = ["sudo", "-n"] + words
    return " ".join(words)


# -- known_hosts ---------------------------------------------------------------------------
class KnownHosts:
    """The backend's own known_hosts file (OpenSSH format, mode 0600).

    Writes hold a thread lock and an ``flock`` so parallel ``host add`` calls in one or
    several ``orch`` processes never lose each other's entries.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> "paramiko.HostKeys":
        import paramiko

        keys = paramiko.HostKeys()
        if self.path.exists():
            keys.load(str(self.path))
        return keys

    def lookup(self, name: str) -> Optional[Any]:
        return self._load().lookup(name)

    def _rewrite(self, change) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _known_hosts_lock:
            with open(self.path.with_suffix(".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                keys = self._load()
                changed = change(keys)
                if changed:
                    tmp = self.path.with_name(self.path.name + ".new")
                    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                    os.close(fd)
                    keys.save(str(tmp))
                    os.chmod(tmp, 0o600)
                    os.replace(tmp, self.path)
                return changed

    def add(self, name: str, key: "paramiko.PKey") -> None:
        def change(keys):
            current = keys.lookup(name)
            if current is not None and current.get(key.get_name()) == key:
                return False
            keys.add(name, key.get_name(), key)
            return True
        self._rewrite(change)

    def forget(self, names: Sequence[str]) -> List[str]:
        """Drop every key recorded under these names; return the names that had keys."""
        dropped: List[str] = []

        def change(keys):
            for n in names:
                if n in keys:
                    del keys[n]
                    dropped.append(n)
            return bool(dropped)
        self._rewrite(change)
        return dropped


def changed_key_message(target: Target) -> str:
    return (f"the host key of {target.hostname} ({target.known_hosts_name}) has CHANGED; "
            "someone may be intercepting the connection, or the host was reinstalled. "
            f"If you trust the new key, run `orch ssh forget-host-key {target.hostname}` and "
            f"then `orch host add {target.hostname} {target.address}` to record it again")


def unknown_key_message(target: Target) -> str:
    return (f"no host key recorded for {target.hostname} ({target.known_hosts_name}); "
            f"run `orch host add {target.hostname} {target.address}` to record it")


# -- the connection ------------------------------------------------------------------------
class Connection:
    """An open paramiko client for one host plus what we learnt about it (agent path)."""

    def __init__(self, target: Target, client: "paramiko.SSHClient") -> None:
        self.target = target
        self.client = client
        self.agent_path: Optional[str] = None
        self.agent_argv: List[str] = []
        self.lock = threading.Lock()
        self._session: Optional[Any] = None
        self._session_lock = threading.Lock()

    @property
    def alive(self) -> bool:
        transport = self.client.get_transport()
        return transport is not None and transport.is_active()

    def close(self) -> None:
        self._drop_session()
        self.client.close()

    # -- one long-running agent per connection --------------------------------------------
    def _drop_session(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close()

    def _start_session(self, command: str) -> "_AgentChannel":
        import paramiko

        transport = self.client.get_transport()
        if transport is None or not transport.is_active():
            raise ConnectionLost("connection closed")
        try:
            channel = transport.open_session(timeout=self.target.connect_timeout)
            channel.exec_command(command)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise ConnectionLost(str(exc) or type(exc).__name__) from exc
        return _AgentChannel(channel)

    def start_session(self, command: str, preamble_lines: int, timeout: float) -> List[str]:
        """Start the agent session with a command (built and quoted by this package) that
        first prints ``preamble_lines`` lines, what it learnt of the host, and then, when it
        can, becomes ``agent serve`` on the same channel: one exec instead of a probe and
        then the agent. Returns those lines; when the command ended instead, the next
        ``request`` starts the agent itself.

        ``ConnectionLost`` when no channel could be opened; ``HostUnreachable`` when the
        connection died or stayed silent; ``AgentSessionEnded`` (with what the command
        wrote on stderr) when it ended before printing every line.
        """
        with self._session_lock:
            self._drop_session()
            session = self._start_session(command)
            session.channel.settimeout(timeout)
            lines = [self._read_line(session, timeout, "the command ended early")[:-1]
                     for _ in range(preamble_lines)]
            self._session = session
            return [line.decode(errors="replace") for line in lines]

    def _read_line(self, session: "_AgentChannel", timeout: float, ended: str) -> bytes:
        """One whole line from a session, else the session is closed and the reason raised:
        ``HostUnreachable`` (silence, a lost connection) or ``AgentSessionEnded`` (the
        command ended: what it wrote on stderr, else ``ended``)."""
        import paramiko

        try:
            line = session.read_line()
        except socket.timeout as exc:
            session.close()
            raise HostUnreachable(self.target.hostname,
                                  f"no answer from the agent after {timeout:.0f}s") from exc
        except (paramiko.SSHException, EOFError, OSError) as exc:
            session.close()
            raise HostUnreachable(self.target.hostname,
                                  f"connection lost during a command: {exc or type(exc).__name__}") from exc
        if not line.endswith(b"\n"):
            channel = session.channel
            err = channel.recv_stderr(65536) if channel.recv_stderr_ready() else b""
            session.close()
            if not self.alive:
                raise HostUnreachable(self.target.hostname, "connection lost during a command")
            raise AgentSessionEnded(err.decode(errors="replace").strip()[-500:] or ended)
        return line

    def request(self, argv: Sequence[str], message: Dict[str, Any],
                timeout: float = DEFAULT_COMMAND_TIMEOUT) -> Dict[str, Any]:
        """Send one JSON request to the agent session started with ``argv`` (started on first
        use, restarted when it ended) and return its one-line JSON answer.

        ``ConnectionLost`` when the request could not be sent (safe to retry);
        ``HostUnreachable`` when the connection died after it was sent (it may have run);
        ``AgentSessionEnded`` when the agent exited but the host is still there.
        """
        import json

        import paramiko

        line = (json.dumps(message) + "\n").encode()
        with self._session_lock:
            if self._session is None or self._session.closed:
                self._session = self._start_session(quote_command(argv, self.target.user))
            session = self._session
            channel = session.channel
            try:
                channel.settimeout(timeout)
                channel.sendall(line)
            except (paramiko.SSHException, EOFError, OSError) as exc:
                self._drop_session()
                raise ConnectionLost(str(exc) or type(exc).__name__) from exc
            answer = self._read_line(session, timeout, "the agent exited")
            return json.loads(answer.decode(errors="replace"))

    def run(self, argv: Sequence[str], stdin: bytes = b"",
            timeout: float = DEFAULT_COMMAND_TIMEOUT) -> Tuple[int, bytes, bytes]:
        """Run one command; ``ConnectionLost`` when no channel could be opened."""
        return self.run_raw(quote_command(argv, self.target.user), stdin, timeout)

    def run_raw(self, command: str, stdin: bytes = b"",
                timeout: float = DEFAULT_COMMAND_TIMEOUT) -> Tuple[int, bytes, bytes]:
        """Run a command line built by this package (callers quote every argument)."""
        import paramiko

        transport = self.client.get_transport()
        if transport is None or not transport.is_active():
            raise ConnectionLost("connection closed")
        try:
            channel = transport.open_session(timeout=self.target.connect_timeout)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise ConnectionLost(str(exc) or type(exc).__name__) from exc
        try:
            channel.settimeout(timeout)
            channel.exec_command(command)
            if stdin:
                channel.sendall(stdin)
            channel.shutdown_write()
            # The agent writes little to stderr, so reading stdout to the end first cannot
            # stall on a full stderr window.
            out = _read_all(channel.recv)
            err = _read_all(channel.recv_stderr)
            rc = channel.recv_exit_status()
        except socket.timeout as exc:
            raise HostUnreachable(self.target.hostname, f"command timed out after {timeout:.0f}s") from exc
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise HostUnreachable(self.target.hostname,
                                  f"connection lost during a command: {exc or type(exc).__name__}") from exc
        finally:
            channel.close()
        return rc, out, err

    def put_file(self, data: bytes, remote_path: str, mode: int = 0o600) -> None:
        import paramiko

        try:
            sftp = self.client.open_sftp()
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise ConnectionLost(str(exc) or type(exc).__name__) from exc
        try:
            with sftp.open(remote_path, "wb") as f:
                f.set_pipelined(True)
                f.write(data)
            sftp.chmod(remote_path, mode)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise HostUnreachable(self.target.hostname, f"upload failed: {exc}") from exc
        finally:
            sftp.close()


class _AgentChannel:
    """An ``agent serve`` channel and the bytes read past the last answer."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel
        self.rest = b""

    @property
    def closed(self) -> bool:
        return bool(self.channel.closed)

    def close(self) -> None:
        self.channel.close()

    def read_line(self) -> bytes:
        """Up to and including a newline, or what came before EOF."""
        buffered = self.rest
        chunks = []
        while b"\n" not in buffered:
            chunks.append(buffered)
            buffered = self.channel.recv(65536)
            if not buffered:
                self.rest = b""
                return b"".join(chunks)
        head, _, self.rest = buffered.partition(b"\n")
        chunks.append(head + b"\n")
        return b"".join(chunks)


def _read_all(recv) -> bytes:
    chunks: List[bytes] = []
    while True:
        chunk = recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _quiet_paramiko() -> None:
    """paramiko logs socket errors at ERROR level; with no logging configured Python would
    print them on stderr beside our own one-line error. We report every failure ourselves
    (as ``HostUnreachable``), so its records go nowhere unless someone configures logging."""
    import logging

    logger = logging.getLogger("paramiko")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())


def load_private_key(path: Path, certificate: bool = True) -> "paramiko.PKey":
    """Load a private key of any type paramiko knows; the message never shows key material.

    A CA-signed certificate beside it (``<key>-cert.pub``, where OpenSSH and ``orch cephadm
    set-signed-cert`` keep it) comes with it (paramiko's ``from_path`` loads it), so
    authentication offers the certificate (hosts with ``TrustedUserCAKeys`` accept it);
    ``certificate=False`` gives the bare key."""
    import paramiko

    try:
        key = paramiko.PKey.from_path(str(path))
    except paramiko.PasswordRequiredException:
        raise OrchestratorError(f"cannot load the SSH private key {path}: it is protected by "
                                "a passphrase") from None
    except OSError as exc:
        raise OrchestratorError(f"cannot load the SSH private key {path}: "
                                f"{exc.strerror or type(exc).__name__}") from None
    except (paramiko.SSHException, ValueError):
        # never echo the parser's message: it may quote key material
        raise OrchestratorError(f"cannot load the SSH private key {path}: not a supported "
                                "private key (ed25519, ecdsa, rsa)") from None
    if not certificate:
        key.public_blob = None  # from_path loaded <key>-cert.pub; the caller wants the bare key
    return key


class _NoDelaySocket(socket.socket):
    """A TCP socket that neither delays what it sends nor the ACKs of what it receives.

    Requests and answers are single small SSH packets. With Nagle's algorithm on, a packet
    that follows an unacknowledged one waits for the peer's delayed ACK (40 ms on Linux), so
    TCP_NODELAY is set, as OpenSSH (for sessions) and asyncssh, cephadm's SSH library, do.
    sshd keeps Nagle on for sessions without a terminal, so our side also acknowledges at
    once (TCP_QUICKACK, which Linux clears by itself, hence before every read): each new
    channel otherwise waited ~40 ms for sshd's output to be released."""

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        if _QUICKACK is not None:
            try:
                self.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
            except OSError:
                pass
        return super().recv(bufsize, flags)


_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only


def _open_socket(target: Target) -> socket.socket:
    """The TCP connection to the host (each address tried in turn, as paramiko would)."""
    error: Optional[OSError] = None
    for family, kind, proto, _, address in socket.getaddrinfo(
            target.address, target.port, type=socket.SOCK_STREAM):
        sock = _NoDelaySocket(family, kind, proto)
        try:
            sock.settimeout(target.connect_timeout)
            sock.connect(address)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError(f"no address for {target.address}")


def _close_quietly(sock: Optional[socket.socket]) -> None:
    if sock is not None:
        try:
            sock.close()
        except OSError:
            pass


def connect(target: Target, key: "paramiko.PKey", known_hosts: KnownHosts,
            trust_new_key: bool = False) -> Connection:
    """Open and authenticate one connection, checking the host key against ``known_hosts``.

    With ``trust_new_key`` (``host add``) an unknown key is recorded; a changed key is always
    refused. Every failure becomes ``HostUnreachable`` with a reason that holds no secret.
    """
    import paramiko

    _quiet_paramiko()
    client = paramiko.SSHClient()
    recorded = known_hosts.lookup(target.known_hosts_name)
    if recorded is not None:
        for key_type, host_key in recorded.items():
            client.get_host_keys().add(target.known_hosts_name, key_type, host_key)

    class _FirstAdd(paramiko.MissingHostKeyPolicy):
        def missing_host_key(self, client_, hostname, host_key):
            if not trust_new_key:
                raise HostUnreachable(target.hostname, unknown_key_message(target))
            known_hosts.add(target.known_hosts_name, host_key)

    client.set_missing_host_key_policy(_FirstAdd())
    sock: Optional[socket.socket] = None
    try:
        sock = _open_socket(target)
        client.connect(
            target.address, port=target.port, username=target.user, pkey=key, sock=sock,
            timeout=target.connect_timeout, banner_timeout=target.connect_timeout,
            auth_timeout=target.connect_timeout, allow_agent=False, look_for_keys=False,
        )
    except HostUnreachable:
        client.close()
        _close_quietly(sock)
        raise
    except paramiko.BadHostKeyException:
        client.close()
        _close_quietly(sock)
        raise HostUnreachable(target.hostname, changed_key_message(target)) from None
    except paramiko.AuthenticationException:
        client.close()
        _close_quietly(sock)
        raise HostUnreachable(
            target.hostname,
            f"authentication as {target.user} failed; add the key from `orch ssh get-pub-key` "
            f"to ~{target.user}/.ssh/authorized_keys on the host") from None
    except (paramiko.SSHException, EOFError, OSError) as exc:
        client.close()
        _close_quietly(sock)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else (str(exc) or type(exc).__name__)
        raise HostUnreachable(target.hostname, f"{target.address}:{target.port}: {reason}") from None
    transport = client.get_transport()
    if transport is not None and target.keepalive > 0:
        transport.set_keepalive(target.keepalive)
    return Connection(target, client)
