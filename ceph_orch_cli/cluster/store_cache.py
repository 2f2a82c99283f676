"""The caches of what hosts reported (daemons, devices, facts and networks) and the events.

The daemon cache is the hot path of ``orch ps``: rows hold the text it prints
(``daemon_listing``), read row by row under the store's lock without a transaction.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from ceph_orch_cli.cluster import daemon_listing
from ceph_orch_cli.cluster.store_intent import IntentTables
from ceph_orch_cli.cluster.store_schema import EventRow, now_str

#: events kept per (kind, subject); cephadm keeps only the latest few as well
EVENTS_PER_SUBJECT = 5

#: compact, no cycle check: the daemon cache writes one document per daemon
_dumps = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode

_INSERT_DAEMON = ("INSERT OR REPLACE INTO daemons (daemon_name, hostname, service_name, "
                  "daemon_type, daemon_id, data, extra, events_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")

#: an event as ``OrchestratorEvent.to_json()`` prints it, formatted by SQLite
_EVENT_LINE = ("created || ' ' || kind || ':' || subject || ' [' || level || '] \"' || "
               "message || '\"'")


def _daemon_filter(hostname: Optional[str], service_name: Optional[str],
                   daemon_type: Optional[str], daemon_id: Optional[str]
                   ) -> Tuple[str, List[str]]:
    """The WHERE clause (indexed columns only) and parameters of a daemon-cache query."""
    clauses, params = [], []
    for col, value in (("hostname", hostname), ("service_name", service_name),
                       ("daemon_type", daemon_type), ("daemon_id", daemon_id)):
        if value is not None:
            clauses.append(f"{col} = ?")
            params.append(value)
    return ((" WHERE " + " AND ".join(clauses)) if clauses else ""), params


class CacheTables(IntentTables):
    """Daemons, devices, facts and networks per host as last refreshed, and events."""

    # -- daemon cache ------------------------------------------------------------------
    def get_daemons(self, hostname: Optional[str] = None, service_name: Optional[str] = None,
                    daemon_type: Optional[str] = None,
                    daemon_id: Optional[str] = None) -> List[Dict[str, Any]]:
        """DaemonDescription JSON dicts (plus ``last_refresh``) matching every given filter."""
        where, params = _daemon_filter(hostname, service_name, daemon_type, daemon_id)
        decode = daemon_listing.decode
        with self._lock:
            # row by row: 100,000 daemons' JSON text is never held next to the parsed dicts
            cur = self._conn.execute(f"SELECT data, extra FROM daemons{where}", params)
            return [decode(data, extra) for data, extra in cur]

    def daemons_listing_text(self, hostname: Optional[str] = None,
                             service_name: Optional[str] = None,
                             daemon_type: Optional[str] = None, daemon_id: Optional[str] = None,
                             batch: int = 2000) -> Iterator[List[str]]:
        """``json.dumps(DaemonDescription.to_json(), sort_keys=True)`` of every daemon
        matching the filters, events included, in ``orch ps`` order (type, host, id; SQLite's
        BINARY collation on UTF-8 text orders as Python orders str), a batch at a time:
        listing 100,000 daemons parses no JSON and never holds them all. The store's lock is
        held until the iteration ends: consume it at once."""
        where, params = _daemon_filter(hostname, service_name, daemon_type, daemon_id)
        listed = daemon_listing.listed
        # one row per (daemon, event), events oldest first: no query per daemon
        sql = (f"SELECT daemon_name, data, events_at, {_EVENT_LINE} FROM daemons "
               "LEFT JOIN events ON kind = 'daemon' AND subject = daemon_name"
               f"{where} ORDER BY daemon_type, hostname, daemon_id, id")
        out: List[str] = []
        name: Optional[str] = None
        text, at, lines = "", None, []  # type: Tuple[str, Optional[int], List[str]]
        with self._lock:
            for row_name, row_text, row_at, line in self._conn.execute(sql, params):
                if row_name != name:
                    if name is not None:
                        out.append(listed(text, at, lines))
                        if len(out) >= batch:
                            yield out
                            out = []
                    name, text, at, lines = row_name, row_text, row_at, []
                if line is not None:
                    lines.append(line)
            if name is not None:
                out.append(listed(text, at, lines))
            if out:
                yield out

    def get_daemons_except(self, daemon_type: str) -> List[Dict[str, Any]]:
        decode = daemon_listing.decode
        return [decode(data, extra) for data, extra in self.query(
            "SELECT data, extra FROM daemons WHERE daemon_type != ?", (daemon_type,))]

    def count_daemons_by_service_host(self, daemon_type: str) -> Dict[Tuple[str, str], int]:
        return {(r[0], r[1]): r[2] for r in self.query(
            "SELECT service_name, hostname, count(*) FROM daemons WHERE daemon_type = ? "
            "GROUP BY service_name, hostname", (daemon_type,))}

    def daemon_summary(self) -> Dict[str, Dict[str, Any]]:
        """Per service, what ``orch ls`` shows of its daemons, aggregated by SQLite instead
        of parsing every row (``orch ls`` on 100,000 daemons): ``count``, ``running``
        (status 1), ``last_refresh`` (the oldest non-empty one) and the image of the first
        daemon in table order, the one a scan of ``get_daemons()`` meets first."""
        out: Dict[str, Dict[str, Any]] = {}
        for name, count, running, refreshed in self.query(
                "SELECT service_name, COUNT(*),"
                " SUM(CASE WHEN json_extract(data, '$.status') = 1 THEN 1 ELSE 0 END),"
                " MIN(NULLIF(json_extract(data, '$.last_refresh'), ''))"
                " FROM daemons GROUP BY service_name"):
            out[name] = {"count": count, "running": running, "last_refresh": refreshed,
                         "container_image_id": None, "container_image_name": None}
        for name, image_id, image_name in self.query(
                "SELECT service_name, json_extract(data, '$.container_image_id'),"
                " json_extract(data, '$.container_image_name') FROM daemons"
                " WHERE rowid IN (SELECT MIN(rowid) FROM daemons GROUP BY service_name)"):
            out[name].update(container_image_id=image_id, container_image_name=image_name)
        return out

    def running_daemons_on_hosts(self, hostnames: Sequence[str]) -> Dict[str, int]:
        """Per service, the daemons cached as running (status 1) on these hosts."""
        marks = ",".join("?" * len(hostnames))
        return {r[0]: r[1] for r in self.query(
            "SELECT service_name, COUNT(*) FROM daemons WHERE hostname IN (%s)"
            " AND json_extract(data, '$.status') = 1 GROUP BY service_name" % marks,
            tuple(hostnames))}

    def daemon_counts(self) -> Dict[str, int]:
        return {r[0]: r[1] for r in self.query(
            "SELECT service_name, count(*) FROM daemons GROUP BY service_name")}

    @staticmethod
    def _daemon_params(hostname: str, daemons: Iterable[Dict[str, Any]]) -> List[Tuple[Any, ...]]:
        encode = daemon_listing.encode
        return [(f"{d['daemon_type']}.{d['daemon_id']}", hostname, d.get("service_name") or "",
                 d["daemon_type"], str(d["daemon_id"]), *encode(d)) for d in daemons]

    def replace_host_daemons(self, hostname: str, daemons: Sequence[Dict[str, Any]],
                             refreshed: Optional[str] = None) -> None:
        """The host's daemon list as just read from it: replaces what was cached."""
        with self.transaction() as c:
            c.execute("DELETE FROM daemons WHERE hostname = ?", (hostname,))
            c.executemany(_INSERT_DAEMON,
                          self._daemon_params(hostname, daemons))
            c.execute("INSERT OR REPLACE INTO daemon_refresh VALUES (?, ?)",
                      (hostname, refreshed or now_str()))

    def replace_daemons_of_hosts(self, daemons: Dict[str, Sequence[Dict[str, Any]]],
                                 refreshed: Optional[str] = None) -> None:
        """``replace_host_daemons`` for many hosts in a few bulk statements."""
        if not daemons:
            return
        ts = refreshed or now_str()
        params: List[Tuple[Any, ...]] = []
        for hostname, dds in daemons.items():
            params.extend(self._daemon_params(hostname, dds))
        with self.transaction() as c:
            c.executemany("DELETE FROM daemons WHERE hostname = ?", [(h,) for h in daemons])
            c.executemany(_INSERT_DAEMON, params)
            c.executemany("INSERT OR REPLACE INTO daemon_refresh VALUES (?, ?)",
                          [(h, ts) for h in daemons])

    def upsert_daemons(self, hostname: str, daemons: Sequence[Dict[str, Any]]) -> None:
        with self.transaction() as c:
            c.executemany(_INSERT_DAEMON,
                          self._daemon_params(hostname, daemons))

    def delete_daemons(self, names: Sequence[str]) -> None:
        with self.transaction() as c:
            c.executemany("DELETE FROM daemons WHERE daemon_name = ?", [(n,) for n in names])

    # -- device cache ------------------------------------------------------------------
    def get_devices(self, hostname: Optional[str] = None) -> Dict[str, Tuple[List[Dict[str, Any]], str]]:
        if hostname is None:
            rows = self.query("SELECT hostname, inventory, last_refresh FROM devices")
        else:
            rows = self.query("SELECT hostname, inventory, last_refresh FROM devices "
                              "WHERE hostname = ?", (hostname,))
        return {r[0]: (json.loads(r[1]), r[2]) for r in rows}

    def refresh_times(self, table: str) -> Dict[str, str]:
        """hostname -> last refresh of the ``devices`` or ``facts`` cache, without the data."""
        if table not in ("devices", "facts", "daemon_refresh"):
            raise ValueError(table)
        return dict(self.query(f"SELECT hostname, last_refresh FROM {table}"))

    def put_devices(self, inventories: Dict[str, List[Dict[str, Any]]]) -> str:
        """Cache inventories; returns the refresh time they were stored with."""
        ts = now_str()
        if inventories:
            with self.transaction() as c:
                c.executemany("INSERT OR REPLACE INTO devices VALUES (?, ?, ?)",
                              # compact text, no cycle check: 5,000 inventories of 24 disks
                              [(h, _dumps(inv), ts) for h, inv in inventories.items()])
        return ts

    # -- facts / networks cache --------------------------------------------------------
    def get_facts(self, hostname: Optional[str] = None) -> Dict[str, Tuple[Dict[str, Any], Dict[str, Any], str]]:
        if hostname is None:
            rows = self.query("SELECT hostname, facts, networks, last_refresh FROM facts")
        else:
            rows = self.query("SELECT hostname, facts, networks, last_refresh FROM facts "
                              "WHERE hostname = ?", (hostname,))
        return {r[0]: (json.loads(r[1]), json.loads(r[2]), r[3]) for r in rows}

    def get_networks(self) -> Dict[str, Dict[str, Any]]:
        """hostname -> cached networks, without parsing the (much larger) facts."""
        loads = json.loads
        return {h: loads(n) for h, n in self.query("SELECT hostname, networks FROM facts")}

    def put_facts(self, facts: Dict[str, Tuple[Dict[str, Any], Dict[str, Any]]]) -> None:
        ts = now_str()
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO facts VALUES (?, ?, ?, ?)",
                          [(h, _dumps(f), _dumps(n), ts) for h, (f, n) in facts.items()])

    # -- events ------------------------------------------------------------------------
    def add_events(self, events: Sequence[EventRow]) -> None:
        """Record events, keeping only the newest ``EVENTS_PER_SUBJECT`` per subject."""
        if not events:
            return
        with self.transaction() as c:
            c.executemany("INSERT INTO events (kind, subject, level, message, created) "
                          "VALUES (?, ?, ?, ?, ?)",
                          [(e.kind, e.subject, e.level, e.message, e.created) for e in events])
            by_kind: Dict[str, Set[str]] = {}
            for e in events:
                by_kind.setdefault(e.kind, set()).add(e.subject)
            full: List[Tuple[str, str]] = []
            for kind, subjects in by_kind.items():
                ordered = sorted(subjects)
                for start in range(0, len(ordered), 500):
                    chunk = ordered[start:start + 500]
                    marks = ",".join("?" * len(chunk))
                    full.extend((kind, r[0]) for r in c.execute(
                        f"SELECT subject FROM events WHERE kind = ? AND subject IN ({marks}) "
                        f"GROUP BY subject HAVING count(*) > {EVENTS_PER_SUBJECT}",
                        [kind, *chunk]).fetchall())
            c.executemany("DELETE FROM events WHERE kind = ? AND subject = ? AND id NOT IN "
                          "(SELECT id FROM events WHERE kind = ? AND subject = ? "
                          f"ORDER BY id DESC LIMIT {EVENTS_PER_SUBJECT})",
                          [(k, s, k, s) for k, s in full])

    def get_events(self, kind: Optional[str] = None) -> Dict[Tuple[str, str], List[EventRow]]:
        """All events (of one kind), grouped by (kind, subject), oldest first."""
        if kind is None:
            rows = self.query("SELECT kind, subject, level, message, created FROM events "
                              "ORDER BY id")
        else:
            rows = self.query("SELECT kind, subject, level, message, created FROM events "
                              "WHERE kind = ? ORDER BY id", (kind,))
        out: Dict[Tuple[str, str], List[EventRow]] = {}
        for r in rows:
            out.setdefault((r[0], r[1]), []).append(EventRow(*r))
        return out

    def get_events_for(self, kind: str, subjects: Sequence[str]) -> Dict[Tuple[str, str], List[EventRow]]:
        """Events of these subjects only (a filtered ``orch ps`` must not read them all)."""
        out: Dict[Tuple[str, str], List[EventRow]] = {}
        subjects = list(subjects)
        for start in range(0, len(subjects), 500):
            chunk = subjects[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for r in self.query("SELECT kind, subject, level, message, created FROM events "
                                f"WHERE kind = ? AND subject IN ({marks}) ORDER BY id",
                                [kind, *chunk]):
                out.setdefault((r[0], r[1]), []).append(EventRow(*r))
        return out

    def remove_events(self, kind: str, subjects: Sequence[str]) -> None:
        with self.transaction() as c:
            c.executemany("DELETE FROM events WHERE kind = ? AND subject = ?",
                          [(kind, s) for s in subjects])
