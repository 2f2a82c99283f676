"""The cluster keeps its own state: orch's durable state in the mons' config-key store.

On the SSH backend, once a cluster is bootstrapped (the ``bootstrapped`` setting), the home
of the operator's intent and the workflows' state is the cluster itself, replicated by the
mons' Paxos like cephadm's ``mgr/cephadm/...``; the SQLite store in the state dir becomes its
cache. Every admin host (every state dir) sees one truth. The local backend keeps SQLite as
its home (``ClusterStore`` without a ``remote`` is a plain ``Store``).

Keys (one record per key: the mons cap a value at ``mon_config_key_max_entry_size``, 64 KiB)::

    mgr/orch/version                 the state's version: "<n>" (or "<n>-writing" mid-write)
    mgr/orch/spec/<service_name>     {service_type, spec, created, deleted, unmanaged, rank_map}
    mgr/orch/host/<hostname>         {seq, spec}          (host spec, labels, addr, status)
    mgr/orch/setting/<key>           the setting's JSON value (local-only ones excepted)
    mgr/orch/osd_removal/<osd_id>    {hostname, data}
    mgr/orch/upgrade_state           the upgrade's JSON document
    mgr/orch/tuned/<profile_name>    the tuned profile spec
    mgr/orch/event/<kind>/<subject>  [[level, message, created], ...] (oldest first)

Reads stay local: a command reads the cache; the first read of a process asks the cluster
for ``mgr/orch/version`` (one mon command) and, when it differs from the version the cache
was filled at, pulls every record (one ``config-key dump``) into the cache first.

Writes: every durable change takes the writer lock (below), re-checks the version under it
(pulling when another admin host wrote meanwhile, so a read-modify-write sees the latest
state), then runs its SQLite transaction. Temporary triggers note which records the
transaction touched; before the transaction commits, those records go to the cluster in one
agent round trip, in this order: the version key set to ``"<n+1>-writing"``, the records,
the version key set to ``"<n+1>"``. Only then does the cache commit (with version n+1). So:

- killed before or during the push: the cache rolls back (it never claims what the cluster
  may not have); the cluster may hold some of the records, with a ``-writing`` version that
  every other admin host sees as changed and pulls, so none misses them;
- killed after the push, before the cache's commit: the cache still says version n, the
  cluster n+1: the next command pulls what was written;
- a failed push rolls the cache back and the command fails.

The first write to a cluster with no ``mgr/orch/version`` (just bootstrapped, or a store
made before this change) pushes the whole state once, with a message (the migration).

The writer lock: a RADOS advisory lock (``lock_exclusive`` on ``orch.lock`` in the small
pool ``orch``, made when enough OSDs are up) with a lease (``ORCH_LOCK_LEASE``, 30 s),
renewed by a thread while held. Converging (``EngineCore.converge_lock``) and every durable
change hold it, so two admin hosts never converge at once or lose each other's update. A
killed ``orch`` stops renewing: the lock expires after at most one lease. A writer that
finds it taken waits, printing who holds it, and fails after ``ORCH_LOCK_TIMEOUT`` (300 s)
naming the holder's host, pid, state dir and how long it has held the lock. Before the pool
can exist (no OSDs yet, right after bootstrap) the same lease and holder semantics come from
an atomic create-if-absent on the mons (``mon_lock.py``: ``auth add`` of a lock entity with
a fresh key), and the change from one lock to the other lets no second writer in.
"""
from __future__ import annotations

import errno
import json
import logging
import os
import re
import socket
import sqlite3
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from ceph_orch_cli.backends.ssh.mon_lock import MonLock
from ceph_orch_cli.cluster.store import Store
from ceph_orch_cli.orchestrator.errors import OrchestratorError

logger = logging.getLogger(__name__)

PREFIX = "mgr/orch/"
VERSION_KEY = PREFIX + "version"
LOCK_POOL = "orch"
LOCK_OBJECT = "orch.lock"
LEASE_ENV = "ORCH_LOCK_LEASE"
TIMEOUT_ENV = "ORCH_LOCK_TIMEOUT"
#: test hook: seconds to sleep right after taking the lock (a `kill -9` then finds it held)
HOLD_ENV = "ORCH_TEST_LOCK_HOLD"
DEFAULT_LEASE = 30
DEFAULT_TIMEOUT = 300
#: settings that describe this state dir, not the cluster: never shared, never pulled over
LOCAL_SETTINGS = ("orchestrator", "backend/ssh_workers")
#: the format of `orch cephadm export-state`
EXPORT_FORMAT = "orch-state"

_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode
_SYNC_DDL = ("CREATE TABLE IF NOT EXISTS orch_sync (id INTEGER PRIMARY KEY CHECK (id = 1),"
             " version TEXT)",)
_LOCAL = ",".join(f"'{k}'" for k in LOCAL_SETTINGS)
#: table -> (record kind, SQL of its key from a NEW/OLD row, extra WHEN, UPDATE columns)
_TRACKED = {
    "specs": ("spec", "{r}.service_name", "", ""),
    "hosts": ("host", "{r}.hostname", "", " OF spec, seq"),
    "settings": ("setting", "{r}.key", f" AND {{r}}.key NOT IN ({_LOCAL})", ""),
    "osd_removal_queue": ("osd_removal", "CAST({r}.osd_id AS TEXT)", "", ""),
    "upgrade_state": ("upgrade_state", "''", "", ""),
    "tuned_profiles": ("tuned", "{r}.profile_name", "", ""),
    "events": ("event", "{r}.kind || '/' || {r}.subject", "", ""),
}


def _tracking_ddl() -> List[str]:
    out = ["CREATE TEMP TABLE IF NOT EXISTS orch_dirty (kind TEXT NOT NULL, k TEXT NOT NULL,"
           " PRIMARY KEY (kind, k))"]
    for table, (kind, key, when, cols) in _TRACKED.items():
        for event, row in (("INSERT", "NEW"), ("DELETE", "OLD"), ("UPDATE", "NEW")):
            out.append(
                f"CREATE TEMP TRIGGER IF NOT EXISTS orch_dirty_{table}_{event.lower()} AFTER "
                f"{event}{cols if event == 'UPDATE' else ''} ON main.{table} "
                f"WHEN orch_tracking(){when.format(r=row)} BEGIN INSERT OR IGNORE INTO "
                f"orch_dirty VALUES ('{kind}', {key.format(r=row)}); END")
    return out


# ==================================================================== records <-> rows
def record_of(c: sqlite3.Connection, kind: str, k: str) -> Tuple[str, Optional[str]]:
    """The config-key record of one tracked row: (key, value), value None if it is gone."""
    def one(sql: str, *params: Any) -> Optional[Tuple[Any, ...]]:
        return c.execute(sql, params).fetchone()
    value: Any
    if kind == "spec":
        r = one("SELECT service_type, spec, created, deleted, unmanaged, rank_map FROM specs "
                "WHERE service_name = ?", k)
        value = None if r is None else {
            "service_type": r[0], "spec": json.loads(r[1]), "created": r[2], "deleted": r[3],
            "unmanaged": bool(r[4]), "rank_map": json.loads(r[5]) if r[5] else None}
    elif kind == "host":
        r = one("SELECT seq, spec FROM hosts WHERE hostname = ?", k)
        value = None if r is None else {"seq": r[0], "spec": json.loads(r[1])}
    elif kind == "setting":
        r = one("SELECT value FROM settings WHERE key = ?", k)
        return PREFIX + "setting/" + k, (None if r is None else r[0])
    elif kind == "osd_removal":
        r = one("SELECT hostname, data FROM osd_removal_queue WHERE osd_id = ?", int(k))
        value = None if r is None else {"hostname": r[0], "data": json.loads(r[1])}
    elif kind == "upgrade_state":
        r = one("SELECT data FROM upgrade_state WHERE id = 1")
        return PREFIX + "upgrade_state", (None if r is None else _dumps(json.loads(r[0])))
    elif kind == "tuned":
        r = one("SELECT spec FROM tuned_profiles WHERE profile_name = ?", k)
        value = None if r is None else json.loads(r[0])
    elif kind == "event":
        ekind, subject = k.split("/", 1)
        rows = c.execute("SELECT level, message, created FROM events WHERE kind = ? AND "
                         "subject = ? ORDER BY id", (ekind, subject)).fetchall()
        value = [list(r) for r in rows] or None
    else:
        raise ValueError(kind)
    key = PREFIX + kind + ("/" + k if kind != "upgrade_state" else "")
    return key, (None if value is None else _dumps(value))


def records_of(c: sqlite3.Connection) -> Dict[str, str]:
    """Every durable record of the store (no version key)."""
    keys: List[Tuple[str, str]] = []
    keys += [("spec", r[0]) for r in c.execute("SELECT service_name FROM specs")]
    keys += [("host", r[0]) for r in c.execute("SELECT hostname FROM hosts")]
    keys += [("setting", r[0]) for r in c.execute(
        f"SELECT key FROM settings WHERE key NOT IN ({_LOCAL})")]
    keys += [("osd_removal", str(r[0])) for r in c.execute("SELECT osd_id FROM osd_removal_queue")]
    keys += [("upgrade_state", "") for _ in c.execute("SELECT 1 FROM upgrade_state")]
    keys += [("tuned", r[0]) for r in c.execute("SELECT profile_name FROM tuned_profiles")]
    keys += [("event", f"{r[0]}/{r[1]}") for r in c.execute(
        "SELECT DISTINCT kind, subject FROM events")]
    out = {}
    for kind, k in keys:
        key, value = record_of(c, kind, k)
        if value is not None:
            out[key] = value
    return out


def load_records(c: sqlite3.Connection, records: Dict[str, str]) -> None:
    """Make the store's durable tables hold exactly ``records`` (a pull or an import).

    What is cached about hosts (offline reason, last check) and local settings stay."""
    by_kind: Dict[str, Dict[str, Any]] = {}
    for key, value in records.items():
        if not key.startswith(PREFIX) or key == VERSION_KEY:
            continue
        rest = key[len(PREFIX):]
        kind, _, k = rest.partition("/")
        if kind == "setting":
            by_kind.setdefault(kind, {})[k] = value  # already JSON text
        else:
            by_kind.setdefault(kind, {})[k] = json.loads(value)
    specs = by_kind.get("spec", {})
    c.execute("DELETE FROM specs WHERE service_name NOT IN (SELECT value FROM json_each(?))",
              (json.dumps(sorted(specs)),))
    for name, r in specs.items():
        c.execute("INSERT OR REPLACE INTO specs (service_name, service_type, spec, created, "
                  "deleted, unmanaged, rank_map) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  (name, r["service_type"], json.dumps(r["spec"]), r["created"], r.get("deleted"),
                   1 if r.get("unmanaged") else 0,
                   json.dumps(r["rank_map"]) if r.get("rank_map") else None))
    hosts = by_kind.get("host", {})
    gone = [h for (h,) in c.execute("SELECT hostname FROM hosts") if h not in hosts]
    for h in gone:
        for table in ("hosts", "daemons", "daemon_refresh", "devices", "facts"):
            c.execute(f"DELETE FROM {table} WHERE hostname = ?", (h,))
    for name, r in sorted(hosts.items(), key=lambda kv: kv[1].get("seq", 0)):
        cur = c.execute("UPDATE hosts SET seq = ?, spec = ? WHERE hostname = ?",
                        (r["seq"], json.dumps(r["spec"]), name))
        if cur.rowcount == 0:
            c.execute("INSERT INTO hosts (hostname, seq, spec, offline_reason, last_check) "
                      "VALUES (?, ?, ?, NULL, NULL)", (name, r["seq"], json.dumps(r["spec"])))
    settings = by_kind.get("setting", {})
    c.execute(f"DELETE FROM settings WHERE key NOT IN ({_LOCAL})")
    c.executemany("INSERT OR REPLACE INTO settings VALUES (?, ?)",
                  [(k, v) for k, v in settings.items() if k not in LOCAL_SETTINGS])
    c.execute("DELETE FROM osd_removal_queue")
    c.executemany("INSERT INTO osd_removal_queue VALUES (?, ?, ?)",
                  [(int(k), r["hostname"], json.dumps(r["data"]))
                   for k, r in by_kind.get("osd_removal", {}).items()])
    c.execute("DELETE FROM upgrade_state")
    if "upgrade_state" in by_kind:
        c.execute("INSERT INTO upgrade_state VALUES (1, ?)",
                  (json.dumps(by_kind["upgrade_state"][""]),))
    c.execute("DELETE FROM tuned_profiles")
    c.executemany("INSERT INTO tuned_profiles VALUES (?, ?)",
                  [(k, json.dumps(v)) for k, v in by_kind.get("tuned", {}).items()])
    c.execute("DELETE FROM events")
    rows: List[Tuple[Any, ...]] = []
    for k, lines in by_kind.get("event", {}).items():
        ekind, subject = k.split("/", 1)
        rows.extend((ekind, subject, lvl, msg, created) for lvl, msg, created in lines)
    rows.sort(key=lambda r: r[4])  # ids in time order: listings show oldest first
    c.executemany("INSERT INTO events (kind, subject, level, message, created) "
                  "VALUES (?, ?, ?, ?, ?)", rows)


def version_number(version: Optional[str]) -> int:
    if not version:
        return 0
    found = re.match(r"^(\d+)", version)
    return int(found.group(1)) if found else 0


# ==================================================================== the cluster side
class StateRemote:
    """What ``ClusterStore`` needs from the cluster (``AgentStateRemote`` on the SSH
    backend; the unit tests use one over a dict)."""

    def get_version(self) -> Optional[str]:
        raise NotImplementedError

    def dump(self) -> Dict[str, str]:
        raise NotImplementedError

    def write(self, sets: Dict[str, str], rms: List[str], pending: str, version: str) -> None:
        raise NotImplementedError

    def lock(self, op: str, cookie: str, holder: Dict[str, Any], duration: int) -> Dict[str, Any]:
        raise NotImplementedError

    def mon_command(self, cmd: Dict[str, Any], argv: List[str],
                    inbuf: str = "") -> Tuple[int, str, str]:
        """One mon command: (rc >= 0, out, err). The mon lock (``mon_lock.py``) uses it."""
        raise NotImplementedError


class AgentStateRemote(StateRemote):
    """The records and the lock through the agent's ``state-keys``/``state-lock`` on an
    admin host (``admin_host()``, or the one ``pinned`` by ``orch cephadm attach``)."""

    def __init__(self, driver: Any, admin_host: Callable[[], Tuple[str, Optional[str]]],
                 call: Optional[Callable[[Any, str, Dict[str, Any]], Any]] = None) -> None:
        self.driver = driver
        self.admin_host = admin_host
        #: how a call reaches the agent (the SSH backend's ``ControlledDriver.state_call``:
        #: through the state dir's control master when one runs), else ``driver.call``
        self.agent_call = call or driver.call
        self.pinned: Optional[Tuple[str, Optional[str]]] = None

    def _call(self, sub: str, request: Dict[str, Any]) -> Dict[str, Any]:
        from ceph_orch_cli.deployment.hostspec import HostSpec
        host, addr = self.pinned or self.admin_host()
        return self.agent_call(HostSpec(host, addr=addr or ""), sub, request)

    def get_version(self) -> Optional[str]:
        return self._call("state-keys", {"op": "get", "key": VERSION_KEY}).get("value")

    def dump(self) -> Dict[str, str]:
        return dict(self._call("state-keys", {"op": "dump"}).get("keys") or {})

    def write(self, sets: Dict[str, str], rms: List[str], pending: str, version: str) -> None:
        self._call("state-keys", {"op": "write", "version_key": VERSION_KEY, "set": sets,
                                  "rm": rms, "pending": pending, "version": version})

    def lock(self, op: str, cookie: str, holder: Dict[str, Any], duration: int) -> Dict[str, Any]:
        return self._call("state-lock", {"op": op, "pool": LOCK_POOL, "object": LOCK_OBJECT,
                                         "cookie": cookie, "holder": holder,
                                         "duration": duration})

    def mon_command(self, cmd: Dict[str, Any], argv: List[str],
                    inbuf: str = "") -> Tuple[int, str, str]:
        reply = self._call("ceph", {"cmd": dict(cmd, format="json"), "argv": argv,
                                    "inbuf": inbuf, "timeout": 30})
        return (int(reply.get("rc", 1)), str(reply.get("out") or ""),
                str(reply.get("err") or ""))


def _env_seconds(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name) or default)
    except ValueError:
        raise OrchestratorError(f"invalid {name}: {os.environ.get(name)!r}") from None


class ClusterLock:
    """The writer lock across admin hosts (see the module docstring)."""

    def __init__(self, remote: StateRemote, state_dir: Path,
                 say: Callable[[str], None] = lambda text: print(text, file=sys.stderr)) -> None:
        self.remote = remote
        self.state_dir = state_dir
        self.say = say
        host = re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:24] or "host"
        self.cookie = f"{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.lost = False
        self.mon = MonLock(remote)
        #: which locks are held: ("rados",), ("mon",), or both while the pool comes up
        self.modes: Tuple[str, ...] = ()
        self._stop: Optional[threading.Event] = None
        self._thread: Optional[threading.Thread] = None

    def holder(self) -> Dict[str, Any]:
        return {"host": socket.gethostname(), "pid": os.getpid(),
                "state_dir": str(self.state_dir), "since": time.time()}

    @staticmethod
    def describe(holder: Dict[str, Any]) -> str:
        age = time.time() - float(holder.get("since") or time.time())
        return (f"{holder.get('host', '?')} (pid {holder.get('pid', '?')}, state dir "
                f"{holder.get('state_dir', '?')}) for {age:.0f}s")

    def acquire(self) -> bool:
        """Take the lock (the RADOS lock, else the mon lock before the pool exists), waiting
        for its holder; True once held."""
        lease = int(_env_seconds(LEASE_ENV, DEFAULT_LEASE))
        timeout = _env_seconds(TIMEOUT_ENV, DEFAULT_TIMEOUT)
        start = time.monotonic()
        said = -1e9
        me = self.holder()
        while True:
            holder = self._try(me, lease)
            if holder is None:
                break
            waited = time.monotonic() - start
            if waited >= timeout:
                raise OrchestratorError(
                    f"another orch holds the cluster's state lock: {self.describe(holder)}; "
                    f"gave up after waiting {waited:.0f}s (its lease is {lease}s: a holder that "
                    "died lets go by then)", errno=-errno.EBUSY)
            if time.monotonic() - said >= 5:
                self.say(f"Waiting for the cluster's state lock, held by {self.describe(holder)}")
                said = time.monotonic()
            time.sleep(min(1.0, max(0.1, timeout - waited)))
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, args=(me, lease), daemon=True,
                                        name="orch-lock-lease")
        self._thread.start()
        hold = os.environ.get(HOLD_ENV)
        if hold:
            time.sleep(float(hold))
        return True

    def _try(self, me: Dict[str, Any], lease: int) -> Optional[Dict[str, Any]]:
        """One attempt; None when held now (``self.modes`` says which locks), else who holds
        it. The order makes the change from the mon lock to the RADOS lock safe (see
        ``mon_lock.py``)."""
        answer = self.remote.lock("lock", self.cookie, me, lease)
        if answer.get("locked"):
            other = self.mon.live_holder(lease)
            if other is None:
                self.modes = ("rados",)
                return None
            self.remote.lock("unlock", self.cookie, {}, 0)
            return other
        if not answer.get("unavailable"):
            return dict(answer.get("holder") or {})
        logger.debug("no RADOS lock yet (%s): the mon lock", answer["unavailable"])
        got, holder = self.mon.try_lock(me, lease)
        if not got:
            return holder or {"host": "an orch that has not described itself yet"}
        again = self.remote.lock("lock", self.cookie, me, lease)
        if again.get("unavailable"):
            self.modes = ("mon",)
            return None
        if again.get("locked"):
            self.modes = ("mon", "rados")
            return None
        self.mon.unlock()
        return dict(again.get("holder") or {})

    def _renew(self, me: Dict[str, Any], lease: int) -> None:
        assert self._stop is not None
        while not self._stop.wait(max(1.0, lease / 3)):
            try:
                held = self._renew_once(me, lease)
            except Exception as exc:  # noqa: BLE001 - keep renewing; the lease covers a blip
                logger.warning("could not renew the state lock: %s", exc)
                continue
            if not held:
                self.lost = True
                return

    def _renew_once(self, me: Dict[str, Any], lease: int) -> bool:
        if "rados" in self.modes:
            answer = self.remote.lock("renew", self.cookie, me, lease)
            if answer.get("busy"):
                logger.error("lost the cluster's state lock to %s",
                             self.describe(answer.get("holder") or {}))
                return False
        if "mon" in self.modes and not self.mon.renew(me):
            logger.error("lost the cluster's state lock (the mon lock was taken over)")
            return False
        return True

    def release(self) -> None:
        if self._stop is not None:
            self._stop.set()
            if self._thread is not None:
                self._thread.join(timeout=30)
        self._stop = self._thread = None
        modes, self.modes = self.modes, ()
        try:
            if "rados" in modes:
                self.remote.lock("unlock", self.cookie, {}, 0)
            if "mon" in modes:
                self.mon.unlock()
        except Exception as exc:  # noqa: BLE001 - the lease ends it anyway
            logger.warning("could not release the state lock (it expires with its lease): %s",
                           exc)


# ==================================================================== the cache
class ClusterStore(Store):
    """A ``Store`` that, with a ``remote`` and a bootstrapped cluster, is the cache of the
    cluster's state (module docstring); without, it is the plain store."""

    #: the methods that change durable state: each runs holding the writer lock
    DURABLE_WRITES = ("set_setting", "put_host", "update_host", "remove_host", "put_specs",
                      "mark_spec_deleted", "purge_spec", "set_rank_map", "add_events",
                      "remove_events", "put_osd_removals", "remove_osd_removals",
                      "put_upgrade_state", "put_tuned_profile", "remove_tuned_profile")

    def __init__(self, state_dir: Path,
                 say: Callable[[str], None] = lambda text: print(text, file=sys.stderr)) -> None:
        super().__init__(state_dir)
        self.say = say
        self.remote: Optional[StateRemote] = None
        self.cluster_lock: Optional[ClusterLock] = None
        #: called once, before the first read of a process (the SSH backend's
        #: ``ORCH_ADMIN_HOST`` attach of a new state dir)
        self.first_read: Optional[Callable[[], None]] = None
        self._tracking = False
        self._pulling = False
        self._checked = False
        self._held = 0
        self._writer_mutex = threading.Lock()
        self.ensure_tables(_SYNC_DDL)
        self._conn.create_function(
            "orch_tracking", 0, lambda: 1 if self._tracking and not self._pulling else 0)
        with self._lock:
            for ddl in _tracking_ddl():
                self._conn.execute(ddl)

    def attach_remote(self, remote: StateRemote) -> None:
        self.remote = remote
        self.cluster_lock = ClusterLock(remote, self.state_dir, self.say)

    # -- is the cluster the home? ----------------------------------------------------------
    def mirroring(self) -> bool:
        if self.remote is None:
            return False
        rows = Store.query(self, "SELECT value FROM settings WHERE key = 'bootstrapped'")
        return bool(rows and json.loads(rows[0][0]))

    def cached_version(self) -> Optional[str]:
        rows = Store.query(self, "SELECT version FROM orch_sync WHERE id = 1")
        return rows[0][0] if rows else None

    # -- reads: one version question per process --------------------------------------------
    def query(self, sql: str, params: Any = ()) -> List[Tuple[Any, ...]]:
        if not self._checked and self.remote is not None:
            self._checked = True
            if self.first_read is not None:
                self.first_read()
            self.check_fresh()
        return super().query(sql, params)

    def check_fresh(self) -> None:
        """Pull the cluster's state if its version differs from the cache's; a cluster that
        does not answer leaves the cache as it is (with a warning)."""
        if not self.mirroring():
            return
        try:
            self.sync()
        except OrchestratorError as exc:
            self.say(f"orch: cannot read the cluster's state ({exc}); showing the cached state")

    def sync(self, force: bool = False) -> bool:
        """Pull when the cluster's version differs from the cache's (or ``force``);
        True when the cache was rewritten."""
        assert self.remote is not None
        self._checked = True
        remote_version = self.remote.get_version()
        if remote_version is None:
            return False  # nothing there yet: the first write pushes this state
        if remote_version == self.cached_version() and not force:
            return False
        records = self.remote.dump()
        self.pull(records)
        return True

    def pull(self, records: Dict[str, str]) -> None:
        with self._lock:
            self._pulling = True
            try:
                with Store.transaction(self) as c:
                    load_records(c, records)
                    c.execute("INSERT OR REPLACE INTO orch_sync VALUES (1, ?)",
                              (records.get(VERSION_KEY),))
            finally:
                self._pulling = False

    # -- writes ------------------------------------------------------------------------------
    @contextmanager
    def writer(self) -> Iterator[None]:
        """Hold the writer lock (nested calls join), with the cache brought up to date
        under it."""
        if self._held or not self.mirroring():
            self._held += 1
            try:
                yield
            finally:
                self._held -= 1
            return
        assert self.cluster_lock is not None
        with self._writer_mutex:
            locked = self.cluster_lock.acquire()
            self._held = 1
            try:
                self.sync()
                yield
            finally:
                self._held = 0
                if locked:
                    self.cluster_lock.release()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._depth or self._pulling or not self.mirroring():
                with super().transaction() as c:
                    yield c
                return
            self._tracking = True
            try:
                with super().transaction() as c:
                    c.execute("DELETE FROM orch_dirty")
                    yield c
                    self._push(c)
            finally:
                self._tracking = False

    def _push(self, c: sqlite3.Connection) -> None:
        """The touched records to the cluster, before the cache commits (docstring)."""
        assert self.remote is not None
        dirty = c.execute("SELECT kind, k FROM orch_dirty").fetchall()
        c.execute("DELETE FROM orch_dirty")
        cached = c.execute("SELECT version FROM orch_sync WHERE id = 1").fetchone()
        cached_version = cached[0] if cached else None
        if not dirty:
            return  # a cache-only change (daemons, devices, facts)
        if self.cluster_lock is not None and self.cluster_lock.lost:
            raise OrchestratorError("lost the cluster's state lock while writing; nothing was "
                                    "stored, retry", errno=-errno.EBUSY)
        sets: Dict[str, str] = {}
        rms: List[str] = []
        if cached_version is None:
            # the first write to a cluster that holds no state: all of it, once
            sets = records_of(c)
            self.say(f"orch: storing this state dir's state in the cluster (config-key "
                     f"{PREFIX}..., {len(sets)} records); from now on every admin host shares "
                     "it and this state dir caches it")
        else:
            for kind, k in dirty:
                key, value = record_of(c, kind, k)
                if value is None:
                    rms.append(key)
                else:
                    sets[key] = value
        new = str(version_number(cached_version) + 1)
        self.remote.write(sets, rms, pending=f"{new}-writing", version=new)
        c.execute("INSERT OR REPLACE INTO orch_sync VALUES (1, ?)", (new,))

    def setting_default(self, key: str, make: Callable[[], Any]) -> Any:
        found = Store.query(self, "SELECT value FROM settings WHERE key = ?", (key,))
        if found:
            return json.loads(found[0][0])
        with self.writer():
            return super().setting_default(key, make)

    # -- whole state: export / import -------------------------------------------------------
    def export_records(self) -> Dict[str, str]:
        if self.remote is not None and self.mirroring():
            self.sync()
        with self._lock:
            return records_of(self._conn)

    def import_records(self, records: Dict[str, str]) -> None:
        """Replace the durable state with ``records`` (the cluster's too, when it is home)."""
        with self.writer():
            with self.transaction() as c:
                load_records(c, records)


def _durable(name: str) -> Callable[..., Any]:
    base = getattr(Store, name)

    def method(self: ClusterStore, *args: Any, **kwargs: Any) -> Any:
        with self.writer():
            return base(self, *args, **kwargs)
    method.__name__ = name
    method.__doc__ = base.__doc__
    return method


for _name in ClusterStore.DURABLE_WRITES:
    setattr(ClusterStore, _name, _durable(_name))
