"""A control master for one state dir: the SSH connections kept open between commands.

Every command on a bootstrapped cluster asks the cluster for ``mgr/orch/version`` first
(``shared_state.py``: so two admin hosts never disagree for longer than one command). In a
new process that one question cost an import of paramiko (~350 ms on a loaded machine), an
SSH handshake and an agent start on the ``_admin`` host, several times the rest of `orch ps`.
OpenSSH solves the same problem with ``ControlMaster``/``ControlPersist``: a background
process keeps the connection and later ``ssh`` runs talk to it over a Unix socket. This is
that, for orch:

- the master (``ControlMaster``) keeps a ``ConnectionPool`` and the agent sessions on it,
  and carries the read-only agent calls of commands (the state version, a state dump, a
  refresh) and the cluster-state calls (records written, the writer lock, the mon lock's mon
  commands) over a Unix socket ``<state>/ssh/control.sock`` (0600, in the 0700 ``ssh`` dir of the state dir;
  the peer's uid is checked on both ends). It answers by asking the host each time: it never
  caches an answer, so the version a command sees is the cluster's at that moment;
- a command (``ControlClient``, stdlib socket and json only: no paramiko) asks it when it
  answers; when no master runs it starts one (double fork, its own session, output to
  ``<state>/ssh/control.log``) and takes the direct path that time. A dead or stale socket
  is removed and never fails a command: the direct path answers;
- it exits after ``ORCH_SSH_CONTROL_PERSIST`` seconds without a request (600; ``0``: no
  master at all), when the state dir's SSH identity, config or known_hosts change (or a
  command's differ from those it started with), or when its socket is gone.

A read the master lost is asked again directly; a state write or lock call it lost after
it was sent may have run, so it fails as a connection lost during a command does (the
transaction rolls back). The RADOS lock belongs to the agent session that took it: a hold is
taken, renewed and released through the master's session; if the master goes meanwhile the
renewal fails and the hold ends as a lost lock (nothing half-written). Deploys and every
other host action keep their own connections.
"""
from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import socket
import stat
import struct
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from ceph_orch_cli.backends.ssh.driver import READ_ONLY, SSHHostDriver, valid_host
from ceph_orch_cli.cluster.driver import HostActionError, HostUnreachable

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.deployment.hostspec import HostSpec

logger = logging.getLogger(__name__)

PERSIST_ENV = "ORCH_SSH_CONTROL_PERSIST"
DEFAULT_PERSIST = 600.0
SOCKET_NAME = "control.sock"
LOCK_NAME = "control.lock"
LOG_NAME = "control.log"
#: how often an idle master looks at its socket and the SSH files
CHECK_EVERY = 1.0
#: the longest line either side accepts (a state dump of a large cluster fits)
MAX_LINE = 64 * 1024 * 1024
#: ``state-keys`` ops a command may send through the master (and the driver's READ_ONLY
#: subcommands): reads only
READ_STATE_OPS = frozenset({"get", "dump"})
#: what the cluster-state calls use (``ControlledDriver.state_call``)
STATE_CALLS = frozenset({"state-keys", "state-lock", "ceph"})


def persist_seconds() -> float:
    """``ORCH_SSH_CONTROL_PERSIST``: idle seconds a master lives (0 or ``no``: none)."""
    raw = os.environ.get(PERSIST_ENV, "").strip().lower()
    if not raw:
        return DEFAULT_PERSIST
    if raw in ("no", "off", "false"):
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError
        raise OrchestratorValidationError(
            f"invalid {PERSIST_ENV} {raw[:40]!r}: seconds (0 turns the control master off)")
    return value


def routable(subcommand: str, request: Optional[Dict[str, Any]]) -> bool:
    """May this agent call go through the master? Reads only: nothing a master carries can
    change a host or the cluster."""
    if subcommand == "state-keys":
        return (request or {}).get("op") in READ_STATE_OPS
    return subcommand in READ_ONLY


def identity(state_dir: Path) -> str:
    """A digest of what a connection is made with: the key, certificate, user, ssh config
    (``ORCH_SSH_CONFIG`` or the stored one) and known_hosts. A change ends the master."""
    ssh = Path(state_dir) / "ssh"
    paths = [ssh / n for n in ("id", "id.pub", "id-cert.pub", "user", "ssh_config",
                               "known_hosts")]
    env = os.environ.get("ORCH_SSH_CONFIG")
    if env:
        paths.append(Path(env))
    parts = []
    for path in paths:
        try:
            st = os.stat(path)
            parts.append(f"{path}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{path}:-")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _private_dir(path: Path) -> bool:
    """The ``ssh`` dir of the state dir, as ``state_dir.py`` wants it: a real directory (not
    a link), ours, writable by no one else."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and \
        not st.st_mode & 0o022


def _our_socket(path: Path) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISSOCK(st.st_mode) and st.st_uid == os.geteuid()


def _peer_is_us(sock: socket.socket) -> bool:
    """The other end runs as our uid (SO_PEERCRED; where the platform lacks it, the 0700
    directory is the only guard)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return True
    creds = sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.geteuid()


def _read_line(sock: socket.socket) -> bytes:
    chunks: List[bytes] = []
    size = 0
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if chunk.endswith(b"\n") or size > MAX_LINE:
            return b"".join(chunks)


_said: List[str] = []


def _debug(text: str) -> None:
    """At most one debug line per command (``--debug``/``ORCH_DEBUG=1`` shows orch's debug
    log): a master not used is no failure of the command."""
    if not _said:
        _said.append(text)
        logger.debug(text)


# ==================================================================== the command's side
class ControlUnavailable(Exception):
    """The master did not run the call; the caller takes the direct path."""


class _LostAfterSending(Exception):
    """The master had the call but gave no answer: it may have run."""


class ControlClient:
    """A command's side: ask the state dir's master, start one when there is none."""

    def __init__(self, state_dir: Path, timeout: float = 900.0) -> None:
        # a bad ORCH_SSH_CONTROL_PERSIST fails the command here, not later; 0: no master
        self.off = persist_seconds() <= 0
        self.state_dir = Path(state_dir)
        self.dir = self.state_dir / "ssh"
        self.path = self.dir / SOCKET_NAME
        self.timeout = timeout
        self._identity: Optional[str] = None
        self._started = False
        self._start_lock = threading.Lock()
        #: once a master failed this process, the rest of it goes direct
        self.broken = False

    def call(self, hostname: str, addr: Optional[str], words: List[str],
             request: Dict[str, Any], read: bool = True) -> Dict[str, Any]:
        """The master's reply to one agent call: ``{"answer": ...}``, ``{"unreachable":
        reason}`` or ``{"action_error": reason}``. ``ControlUnavailable`` when the master
        did not run it (none there: one is started for the next command), so the direct
        path may; a call that is not a ``read`` and was lost after it was sent may have run:
        ``HostUnreachable``, as a connection lost during a command."""
        if self.off:
            raise ControlUnavailable(f"{PERSIST_ENV} is 0")
        if self.broken:
            raise ControlUnavailable("the control master failed earlier in this command")
        if self._identity is None:
            self._identity = identity(self.state_dir)
        message = {"host": hostname, "addr": addr, "words": words, "request": request,
                   "identity": self._identity}
        try:
            reply = self._ask(message)
        except _LostAfterSending as exc:
            self.broken = True
            if not read:
                raise HostUnreachable(hostname, f"the control master went away during "
                                                f"`{' '.join(words)}`: {exc}") from None
            _debug(f"control master: {exc}; asking directly")
            raise ControlUnavailable(str(exc)) from None
        except ControlUnavailable as exc:
            self.broken = True
            _debug(f"control master: {exc}; asking directly")
            self.start()
            raise
        if reply.get("stale") or reply.get("refused"):
            self.broken = True
            _debug(f"control master: {reply.get('refused') or 'started with other SSH files'}"
                   "; asking directly")
            self.start()
            raise ControlUnavailable("stale master")
        return reply

    def _ask(self, message: Dict[str, Any]) -> Dict[str, Any]:
        if not _private_dir(self.dir):
            raise ControlUnavailable(f"{self.dir} is not a private directory")
        if not _our_socket(self.path):
            raise ControlUnavailable("no control master")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(2.0)
            try:
                sock.connect(str(self.path))
                if not _peer_is_us(sock):
                    raise ControlUnavailable("the control socket's peer is another user")
                sock.settimeout(self.timeout)
                sock.sendall((json.dumps(message) + "\n").encode())
            except OSError as exc:
                if exc.errno in (errno.ECONNREFUSED, errno.ENOENT):
                    self._remove_stale()
                raise ControlUnavailable(f"cannot ask {self.path}: {exc.strerror or exc}") \
                    from None
            try:
                line = _read_line(sock)
            except OSError as exc:
                raise _LostAfterSending(str(exc) or type(exc).__name__) from None
        finally:
            sock.close()
        try:
            reply = json.loads(line.decode())
        except ValueError:
            raise _LostAfterSending("its answer was cut short") from None
        if not isinstance(reply, dict):
            raise _LostAfterSending("its answer was not understood")
        if reply.get("failed"):
            raise _LostAfterSending(str(reply["failed"]))
        return reply

    def _remove_stale(self) -> None:
        """A socket nobody listens on (its master was killed): gone, so a new one can bind."""
        if _our_socket(self.path):
            try:
                os.unlink(self.path)
            except OSError:
                pass

    def start(self) -> None:
        """Start a master for this state dir, detached (at most once per command). It
        binds its socket by itself; two starting at once settle it by a lock."""
        with self._start_lock:
            if self._started or persist_seconds() <= 0 or not _private_dir(self.dir):
                return
            self._started = True
            spawn_master(self.state_dir)


class ControlledDriver(SSHHostDriver):
    """The command's driver: read-only agent calls go through the state dir's master while
    ``enabled()`` (a bootstrapped cluster's state dir); everything else, and every call the
    master cannot answer, takes the direct path of ``SSHHostDriver``."""

    def __init__(self, *args: Any, control: ControlClient, enabled: Callable[[], bool],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.control = control
        self.enabled = enabled

    def call(self, host: "HostSpec", subcommand: str, request: Optional[Dict[str, Any]] = None,
             action: Optional[str] = None, trust_new_key: bool = False) -> Any:
        if action is None and not trust_new_key and routable(subcommand, request):
            found, answer = self._through_master(host, subcommand, request, read=True)
            if found:
                return answer
        return super().call(host, subcommand, request, action, trust_new_key)

    def state_call(self, host: "HostSpec", subcommand: str,
                   request: Dict[str, Any]) -> Any:
        """The cluster-state calls (``AgentStateRemote``: records, the writer lock and the
        mon lock's mon commands), writes too: each is one agent request that depends on no
        session of this process (the RADOS lock's session is the master's for every call
        of the hold: taken, renewed and released through it; a master lost meanwhile makes
        the renewal fail, which ends the hold as a lost lock does)."""
        found, answer = self._through_master(host, subcommand, request,
                                             read=routable(subcommand, request))
        return answer if found else super().call(host, subcommand, request)

    def _through_master(self, host: "HostSpec", subcommand: str,
                        request: Optional[Dict[str, Any]], read: bool) -> Tuple[bool, Any]:
        """(True, the answer) when the master ran the call; (False, None) for the direct
        path."""
        if self.control.off or self.control.broken or not self.enabled():
            return False, None
        name = valid_host(host)
        payload = dict(request or {})
        payload.setdefault("runtime", self.runtime())
        if payload["runtime"] == "package":
            payload.setdefault("inventory_source", "ceph-volume")
        try:
            reply = self.control.call(name, getattr(host, "addr", None) or None, [subcommand],
                                      payload, read=read)
        except ControlUnavailable:
            return False, None
        if "unreachable" in reply:
            raise HostUnreachable(name, str(reply["unreachable"]))
        if "action_error" in reply:
            raise HostActionError(name, subcommand, str(reply["action_error"]))
        return True, reply.get("answer")


def spawn_master(state_dir: Path) -> None:
    """Double fork: the master is no child of the command (nothing waits for it), in a
    session of its own (no terminal's signals reach it), output to its log."""
    from ceph_orch_cli.cluster.state_dir import open_private
    try:
        log = open_private(Path(state_dir) / "ssh" / LOG_NAME, os.O_WRONLY | os.O_APPEND)
    except OSError as exc:
        _debug(f"control master not started: {exc}")
        return
    argv = [sys.executable, "-m", "ceph_orch_cli.backends.ssh.control", str(state_dir)]
    pid = os.fork()
    if pid:
        os.close(log)
        os.waitpid(pid, 0)
        return
    try:  # the first child: a new session, then the master's own fork
        os.setsid()
        if os.fork() == 0:
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # no lock or db of the command's
            os.chdir("/")
            os.execv(sys.executable, argv)
    except BaseException:  # noqa: BLE001 - a child must never return into the command
        pass
    os._exit(0)


# ==================================================================== the master
class ControlMaster:
    """The background process (module docstring): one per state dir."""

    def __init__(self, state_dir: Path, persist: float) -> None:
        self.state_dir = Path(state_dir)
        self.dir = self.state_dir / "ssh"
        self.path = self.dir / SOCKET_NAME
        self.persist = persist
        self.identity = identity(self.state_dir)
        self.last_request = time.monotonic()
        self.busy = 0
        self.done = threading.Event()
        self._mutex = threading.Lock()
        self._driver_lock = threading.Lock()
        self._driver: Any = None

    def driver(self) -> Any:
        """A plain SSH driver over a pool of this state dir's connections (paramiko is
        imported here, once for the master's life)."""
        with self._driver_lock:
            if self._driver is None:
                from ceph_orch_cli.backends.ssh.keys import SSHFiles
                from ceph_orch_cli.backends.ssh.pool import ConnectionPool
                from ceph_orch_cli.backends.ssh.transport import KnownHosts
                files = SSHFiles(self.state_dir)
                pool = ConnectionPool(files.private_key, KnownHosts(files.known_hosts),
                                      files.config_path(), 32, files.user())
                self._driver = SSHHostDriver(pool, fsid=lambda: "")
            return self._driver

    def run(self) -> int:
        import fcntl

        from ceph_orch_cli.cluster.state_dir import open_private
        if not _private_dir(self.dir):
            logger.error("refused: %s is not a private directory", self.dir)
            return 1
        lock = open_private(self.dir / LOCK_NAME, os.O_RDWR)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return 0  # another master runs (or is starting) for this state dir
        if _our_socket(self.path):
            os.unlink(self.path)  # its master is gone: we hold the lock
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            server.bind(str(self.path))  # never follows a link: an existing name fails it
        except OSError as exc:
            logger.error("refused: cannot bind %s: %s", self.path, exc.strerror)
            os.close(lock)
            return 1
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        mine = os.lstat(self.path).st_ino
        server.listen(64)
        server.settimeout(CHECK_EVERY)
        logger.info("for %s, persist %gs", self.state_dir, self.persist)
        try:
            while not self.done.is_set() and not self._should_exit(mine):
                try:
                    conn, _ = server.accept()
                except socket.timeout:
                    continue
                threading.Thread(target=self._serve_one, args=(conn,), daemon=True).start()
        finally:
            server.close()
            try:
                if os.lstat(self.path).st_ino == mine:
                    os.unlink(self.path)
            except OSError:
                pass
            os.close(lock)
            if self._driver is not None:
                self._driver.close()
        return 0

    def _should_exit(self, inode: int) -> bool:
        try:
            if os.lstat(self.path).st_ino != inode:
                return self._bye("its socket was replaced")
        except OSError:
            return self._bye("its socket was removed")
        if identity(self.state_dir) != self.identity:
            return self._bye("the state dir's SSH files changed")
        with self._mutex:
            idle = self.busy == 0 and time.monotonic() - self.last_request >= self.persist
        return self._bye(f"idle for {self.persist:g}s") if idle else False

    @staticmethod
    def _bye(why: str) -> bool:
        logger.info("exits: %s", why)
        return True

    def _serve_one(self, conn: socket.socket) -> None:
        with self._mutex:
            self.busy += 1
        try:
            with conn:
                if not _peer_is_us(conn):
                    return
                conn.settimeout(30)
                line = _read_line(conn)
                conn.settimeout(None)
                reply = self.answer(json.loads(line.decode()))
                conn.sendall((json.dumps(reply) + "\n").encode())
        except (OSError, ValueError) as exc:
            logger.warning("request failed: %s", exc)
        finally:
            with self._mutex:
                self.busy -= 1
                self.last_request = time.monotonic()

    def answer(self, message: Dict[str, Any]) -> Dict[str, Any]:
        """One agent call, asked of the host now (never from a cache)."""
        from ceph_orch_cli.deployment.hostspec import HostSpec
        if message.get("identity") != self.identity:
            self.done.set()
            return {"stale": True}
        words = [str(w) for w in message.get("words") or []]
        request = message.get("request") or {}
        if len(words) != 1 or not isinstance(request, dict) or not (
                routable(words[0], request) or words[0] in STATE_CALLS):
            return {"refused": f"not a call the control master carries: {words}"}
        host = HostSpec(str(message.get("host")), addr=str(message.get("addr") or ""))
        try:
            return {"answer": self.driver().call(host, words[0], request)}
        except HostUnreachable as exc:
            return {"unreachable": exc.reason}
        except HostActionError as exc:
            return {"action_error": exc.reason}
        except Exception as exc:  # noqa: BLE001 - the command goes direct and says why
            return {"failed": f"{type(exc).__name__}: {exc}"}


def main(argv: List[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m ceph_orch_cli.backends.ssh.control STATE_DIR", file=sys.stderr)
        return 2
    persist = persist_seconds()
    if persist <= 0:
        return 0
    # the master's own process: its stderr is control.log in the state dir (spawn_master)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s control master %(process)d %(message)s")
    return ControlMaster(Path(argv[0]), persist).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
