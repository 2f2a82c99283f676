"""The long workflows' state in the state database: the OSD removal queue
(``cluster/osd_removal.py``), the upgrade (``cluster/upgrade.py``) and tuned profiles.

Each holds JSON documents in the shapes those modules choose; the read-modify-write steps
they need are here too, so no workflow writes SQL.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence

from ceph_orch_cli.cluster.store_cache import CacheTables


class WorkflowTables(CacheTables):
    """The OSD removal queue, the one upgrade state and the tuned profiles."""

    # -- OSD removal queue (workflow: cluster/osd_removal.py) ----------------------------
    def get_osd_removal_queue(self) -> List[Dict[str, Any]]:
        return [json.loads(r[0]) for r in
                self.query("SELECT data FROM osd_removal_queue ORDER BY osd_id")]

    def put_osd_removals(self, entries: Sequence[Dict[str, Any]]) -> None:
        """Queue or update entries; each needs ``osd_id`` and ``hostname``."""
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO osd_removal_queue VALUES (?, ?, ?)",
                          [(int(e["osd_id"]), e["hostname"], json.dumps(e)) for e in entries])

    def save_osd_removal(self, entry: Dict[str, Any], create: bool = False) -> bool:
        """Write one entry back unless it was removed meanwhile (``osd rm stop`` from another
        process must not be undone by a pass that read the queue earlier); ``create``
        queues it whatever is there. False: it was gone."""
        with self.transaction() as c:
            if create:
                c.execute("INSERT OR REPLACE INTO osd_removal_queue VALUES (?, ?, ?)",
                          (int(entry["osd_id"]), entry["hostname"], json.dumps(entry)))
                return True
            cur = c.execute("UPDATE osd_removal_queue SET data = ? WHERE osd_id = ?",
                            (json.dumps(entry), int(entry["osd_id"])))
            return cur.rowcount > 0

    def remove_osd_removals(self, osd_ids: Sequence[int]) -> None:
        with self.transaction() as c:
            c.executemany("DELETE FROM osd_removal_queue WHERE osd_id = ?",
                          [(int(i),) for i in osd_ids])

    # -- upgrade state (workflow: cluster/upgrade.py) ------------------------------------
    def get_upgrade_state(self) -> Optional[Dict[str, Any]]:
        rows = self.query("SELECT data FROM upgrade_state WHERE id = 1")
        return json.loads(rows[0][0]) if rows else None

    def put_upgrade_state(self, state: Optional[Dict[str, Any]]) -> None:
        with self.transaction() as c:
            if state is None:
                c.execute("DELETE FROM upgrade_state")
            else:
                c.execute("INSERT OR REPLACE INTO upgrade_state VALUES (1, ?)",
                          (json.dumps(state),))

    def update_upgrade_state(self, changes: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """Read-modify-write the upgrade state in one transaction: the state with
        ``changes`` applied, or None (and nothing written) if it was stopped meanwhile."""
        with self.transaction() as c:
            row = c.execute("SELECT data FROM upgrade_state WHERE id = 1").fetchone()
            if row is None:
                return None
            state: Dict[str, Any] = json.loads(row[0])
            state.update(changes)
            c.execute("UPDATE upgrade_state SET data = ? WHERE id = 1", (json.dumps(state),))
            return state

    # -- tuned profiles ----------------------------------------------------------------
    def get_tuned_profiles(self) -> Dict[str, Dict[str, Any]]:
        return {r[0]: json.loads(r[1]) for r in
                self.query("SELECT profile_name, spec FROM tuned_profiles ORDER BY profile_name")}

    def put_tuned_profile(self, name: str, spec: Dict[str, Any]) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO tuned_profiles VALUES (?, ?)",
                      (name, json.dumps(spec)))

    def remove_tuned_profile(self, name: str) -> bool:
        with self.transaction() as c:
            return c.execute("DELETE FROM tuned_profiles WHERE profile_name = ?",
                             (name,)).rowcount > 0
