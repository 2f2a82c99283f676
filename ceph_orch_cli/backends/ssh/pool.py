"""One pooled connection per host and a bounded parallel fan-out over hosts.

cephadm keeps one cached asyncssh connection per host and maps refreshes over a
``ThreadPool(10)`` (field notes §2). We keep the connection cache, reconnect once when a
pooled connection turns out to be dead (the host rebooted, sshd restarted, a NAT dropped
it), and fan out on a larger pool (32 by default) because connection setup, not CPU, is what
a refresh waits on.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import (TYPE_CHECKING, Callable, Dict, Iterable, Optional, Sequence, Tuple, TypeVar,
                    Union)

from ceph_orch_cli.backends.ssh.transport import (
    DEFAULT_COMMAND_TIMEOUT, Connection, ConnectionLost, KnownHosts, Target, connect,
    load_private_key, read_ssh_config, resolve_target,
)
from ceph_orch_cli.cluster.driver import HostUnreachable

if TYPE_CHECKING:  # pragma: no cover
    import paramiko

T = TypeVar("T")
K = TypeVar("K")

DEFAULT_WORKERS = 32


class ConnectionPool:
    """Open connections on first use, keep them, and drop them when they fail."""

    def __init__(self, key_path: Path, known_hosts: KnownHosts,
                 ssh_config_path: Optional[Path] = None, workers: int = DEFAULT_WORKERS,
                 user: str = "root") -> None:
        self.key_path = key_path
        self.user = user
        self.known_hosts = known_hosts
        self.ssh_config_path = ssh_config_path
        self.workers = max(1, int(workers))
        self._connections: Dict[str, Connection] = {}
        self._host_locks: Dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        # Reading the ssh config (the first one imports paramiko) and loading the key take
        # their own lock: a fan-out's threads must not queue behind them for their host
        # locks or pooled connections (py-spy: 32 threads waited ~0.2 s each on _lock).
        self._setup_lock = threading.Lock()
        self._key: Optional["paramiko.PKey"] = None
        self._config: Optional["paramiko.SSHConfig"] = None

    # -- configuration ---------------------------------------------------------------------
    def target(self, hostname: str, addr: Optional[str]) -> Target:
        config = self._config
        if config is None:
            with self._setup_lock:
                if self._config is None:
                    self._config = read_ssh_config(self.ssh_config_path)
                config = self._config
        return resolve_target(hostname, addr, config, self.user)

    def _private_key(self, target: Target):
        if target.identity_file:
            return load_private_key(Path(target.identity_file))
        key = self._key
        if key is None:
            with self._setup_lock:
                if self._key is None:
                    self._key = load_private_key(self.key_path)
                key = self._key
        return key

    def _host_lock(self, hostname: str) -> threading.Lock:
        with self._lock:
            return self._host_locks.setdefault(hostname, threading.Lock())

    # -- connections -----------------------------------------------------------------------
    def get(self, hostname: str, addr: Optional[str], trust_new_key: bool = False) -> Connection:
        """The pooled connection to a host, opened when missing or dead."""
        with self._host_lock(hostname):
            conn = self._connections.get(hostname)
            if conn is not None and conn.alive and conn.target.address == (addr or conn.target.address):
                return conn
            if conn is not None:
                conn.close()
                self._connections.pop(hostname, None)
            target = self.target(hostname, addr)
            conn = connect(target, self._private_key(target), self.known_hosts, trust_new_key)
            self._connections[hostname] = conn
            return conn

    def drop(self, hostname: str) -> None:
        with self._host_lock(hostname):
            conn = self._connections.pop(hostname, None)
        if conn is not None:
            conn.close()

    def with_connection(self, hostname: str, addr: Optional[str],
                        fn: Callable[[Connection], T], trust_new_key: bool = False) -> T:
        """Run ``fn`` on the host's connection; if the pooled connection was dead before the
        command started, reconnect once and run it again. A host that still fails has its
        connection dropped so the next call starts clean."""
        try:
            conn = self.get(hostname, addr, trust_new_key)
            try:
                return fn(conn)
            except ConnectionLost:
                self.drop(hostname)
                conn = self.get(hostname, addr, trust_new_key)
                try:
                    return fn(conn)
                except ConnectionLost as exc:
                    raise HostUnreachable(hostname, f"connection lost: {exc}") from None
        except HostUnreachable:
            self.drop(hostname)
            raise

    def run(self, hostname: str, addr: Optional[str], argv: Sequence[str], stdin: bytes = b"",
            timeout: float = DEFAULT_COMMAND_TIMEOUT) -> Tuple[int, bytes, bytes]:
        return self.with_connection(hostname, addr, lambda c: c.run(argv, stdin, timeout))

    # -- fan-out ---------------------------------------------------------------------------
    def map(self, fn: Callable[[K], T], items: Iterable[K],
            key: Callable[[K], str]) -> Dict[str, Union[T, BaseException]]:
        """Run ``fn`` over items on at most ``workers`` threads; map key to result or error."""
        items = list(items)
        results: Dict[str, Union[T, BaseException]] = {}
        if not items:
            return results

        def one(item: K) -> Union[T, BaseException]:
            try:
                return fn(item)
            except Exception as exc:  # one host's failure is data for the caller, never fatal
                return exc

        with ThreadPoolExecutor(max_workers=min(self.workers, len(items)),
                                thread_name_prefix="orch-ssh") as executor:
            for item, outcome in zip(items, executor.map(one, items)):
                results[key(item)] = outcome
        return results

    def close(self) -> None:
        with self._lock:
            connections = list(self._connections.values())
            self._connections.clear()
        for conn in connections:
            conn.close()
