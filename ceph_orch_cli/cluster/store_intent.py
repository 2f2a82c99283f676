"""The operator's intent in the state database: settings, hosts and service specs."""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ceph_orch_cli.cluster.store_schema import (DamagedRow, HostRow, SpecRow, StoreTables, _cell,
                                                now_str)


class IntentTables(StoreTables):
    """Settings, hosts (in the order they were added) and specs (soft-deleted until the
    engine purged their daemons)."""

    # -- settings ----------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        rows = self.query("SELECT value FROM settings WHERE key = ?", (key,))
        return _cell(self.path, rows[0][0], "settings", key) if rows else default

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as c:
            if value is None:
                c.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                c.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)",
                          (key, json.dumps(value)))

    def setting_default(self, key: str, make: Callable[[], Any]) -> Any:
        """Read a setting, storing ``make()`` first if it is unset (e.g. the fsid).

        A set value is read without the write lock (the common case, on every command)."""
        found = self.query("SELECT value FROM settings WHERE key = ?", (key,))
        if found:
            return json.loads(found[0][0])
        with self.transaction() as c:
            row = c.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
            if row:
                return json.loads(row[0])
            value = make()
            c.execute("INSERT INTO settings VALUES (?, ?)", (key, json.dumps(value)))
            return value

    # -- hosts -------------------------------------------------------------------------
    def _host_row(self, r: Tuple[Any, ...]) -> HostRow:
        spec = _cell(self.path, r[1], "hosts", r[0])
        if not isinstance(spec, dict) or not isinstance(spec.get("hostname"), str):
            raise DamagedRow(self.path, "hosts", r[0], "not a host spec")
        return HostRow(r[0], spec, r[2], r[3])

    def get_hosts(self) -> List[HostRow]:
        rows = self.query("SELECT hostname, spec, offline_reason, last_check FROM hosts "
                          "ORDER BY seq")
        return [self._host_row(r) for r in rows]

    def get_host(self, hostname: str) -> Optional[HostRow]:
        rows = self.query("SELECT hostname, spec, offline_reason, last_check FROM hosts "
                          "WHERE hostname = ?", (hostname,))
        return self._host_row(rows[0]) if rows else None

    def put_host(self, spec: Dict[str, Any]) -> None:
        """Add a host or replace its spec, keeping its place in the listing."""
        with self.transaction() as c:
            cur = c.execute("UPDATE hosts SET spec = ? WHERE hostname = ?",
                            (json.dumps(spec), spec["hostname"]))
            if cur.rowcount == 0:
                c.execute("INSERT INTO hosts (hostname, seq, spec, offline_reason, last_check) "
                          "VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM hosts), ?, NULL,"
                          " ?)", (spec["hostname"], json.dumps(spec), now_str()))

    def update_host(self, hostname: str,
                    change: Callable[[Dict[str, Any]], Optional[Dict[str, Any]]]) -> Optional[Dict[str, Any]]:
        """Read-modify-write one host's spec atomically; ``change`` returns the new spec
        (or None to leave it as is). Returns the spec as stored, None if no such host."""
        with self.transaction() as c:
            row = c.execute("SELECT spec FROM hosts WHERE hostname = ?", (hostname,)).fetchone()
            if row is None:
                return None
            spec = _cell(self.path, row[0], "hosts", hostname)
            new = change(spec)
            if new is None:
                return spec
            c.execute("UPDATE hosts SET spec = ? WHERE hostname = ?", (json.dumps(new), hostname))
            return new

    def hosts_away(self) -> List[Tuple[str, bool]]:
        """(hostname, offline) of the hosts that are offline or in maintenance (a host in
        maintenance is not checked, so maintenance wins, as in ``host ls``), without parsing
        every host spec (``orch ps`` asks on every listing)."""
        return [(r[0], not r[1]) for r in self.query(
            "SELECT hostname, lower(json_extract(spec, '$.status')) IS 'maintenance' FROM hosts"
            " WHERE offline_reason IS NOT NULL"
            " OR lower(json_extract(spec, '$.status')) = 'maintenance'")]

    def set_host_offline(self, hostname: str, reason: Optional[str]) -> None:
        with self.transaction() as c:
            c.execute("UPDATE hosts SET offline_reason = ?, last_check = ? WHERE hostname = ?",
                      (reason, now_str(), hostname))

    def set_hosts_checked(self, results: Dict[str, Optional[str]]) -> None:
        """Record a check of many hosts at once: hostname -> offline reason or None."""
        ts = now_str()
        with self.transaction() as c:
            c.executemany("UPDATE hosts SET offline_reason = ?, last_check = ? WHERE hostname = ?",
                          [(reason, ts, h) for h, reason in results.items()])

    def remove_host(self, hostname: str) -> None:
        """Forget a host and everything cached about it."""
        with self.transaction() as c:
            for table in ("hosts", "daemons", "daemon_refresh", "devices", "facts"):
                c.execute(f"DELETE FROM {table} WHERE hostname = ?", (hostname,))

    # -- specs -------------------------------------------------------------------------
    def _spec_row(self, r: Tuple[Any, ...]) -> SpecRow:
        spec = _cell(self.path, r[2], "specs", r[0])
        if not isinstance(spec, dict):
            raise DamagedRow(self.path, "specs", r[0], "not a service spec")
        return SpecRow(r[0], r[1], spec, r[3], r[4], bool(r[5]),
                       _cell(self.path, r[6], "specs", r[0]) if r[6] else None)

    _SPEC_COLS = "service_name, service_type, spec, created, deleted, unmanaged, rank_map"

    def get_specs(self, include_deleted: bool = False) -> List[SpecRow]:
        where = "" if include_deleted else " WHERE deleted IS NULL"
        rows = self.query(f"SELECT {self._SPEC_COLS} FROM specs{where} ORDER BY service_name")
        return [self._spec_row(r) for r in rows]

    def get_spec(self, service_name: str) -> Optional[SpecRow]:
        rows = self.query(f"SELECT {self._SPEC_COLS} FROM specs WHERE service_name = ?",
                          (service_name,))
        return self._spec_row(rows[0]) if rows else None

    def put_specs(self, specs: Sequence[Dict[str, Any]], no_overwrite: bool = False) -> List[bool]:
        """Store service specs (``ServiceSpec.to_json`` dicts) in one transaction.

        A re-applied spec keeps its ``created`` time and rank map and is undeleted.
        Returns, per spec, whether it was written (False: skipped by ``no_overwrite``).
        """
        ts = now_str()
        written: List[bool] = []
        with self.transaction() as c:
            for spec in specs:
                name = spec["service_name"]
                row = c.execute("SELECT deleted FROM specs WHERE service_name = ?",
                                (name,)).fetchone()
                if row is not None and row[0] is None and no_overwrite:
                    written.append(False)
                    continue
                unmanaged = 1 if spec.get("unmanaged") else 0
                if row is None:
                    c.execute("INSERT INTO specs (service_name, service_type, spec, created,"
                              " deleted, unmanaged, rank_map) VALUES (?, ?, ?, ?, NULL, ?, NULL)",
                              (name, spec["service_type"], json.dumps(spec), ts, unmanaged))
                else:
                    c.execute("UPDATE specs SET spec = ?, deleted = NULL, unmanaged = ?,"
                              " created = CASE WHEN deleted IS NULL THEN created ELSE ? END"
                              " WHERE service_name = ?", (json.dumps(spec), unmanaged, ts, name))
                written.append(True)
        return written

    def mark_spec_deleted(self, service_name: str) -> bool:
        with self.transaction() as c:
            cur = c.execute("UPDATE specs SET deleted = ? WHERE service_name = ? AND deleted IS NULL",
                            (now_str(), service_name))
            return cur.rowcount > 0

    def purge_spec(self, service_name: str) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM specs WHERE service_name = ?", (service_name,))

    def set_rank_map(self, service_name: str, rank_map: Dict[str, Any]) -> None:
        with self.transaction() as c:
            c.execute("UPDATE specs SET rank_map = ? WHERE service_name = ?",
                      (json.dumps(rank_map), service_name))
