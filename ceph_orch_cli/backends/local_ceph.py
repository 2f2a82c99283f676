"""The local backend's simulated Ceph cluster: the answers the ``ceph`` CLI would give.

The engine asks a cluster the questions cephadm asks Ceph (ok-to-stop, safe-to-destroy, PG
counts, which mgr is active) through the ``CephCluster`` seam. Here the answers come from
the store: OSDs with placement groups that drain over a few passes (``sim_osds``), the
monitor map (the mon daemons the engine deployed, running or not), and the active mgr (a
setting, elected among the running mgrs). The texts and exit codes follow what real Pacific
answers (``shared/reference/real-ceph.md``), so a rehearsal refuses what a cluster would.
"""
from __future__ import annotations

import errno
import uuid
from typing import Any, Dict, List, Optional, Set

from ceph_orch_cli.cluster import volatile_status
from ceph_orch_cli.cluster.ceph import CephCluster, OkToStop
from ceph_orch_cli.cluster.store import Store
from ceph_orch_cli.orchestrator.errors import OrchestratorError

#: placement groups a new simulated OSD carries
PGS_PER_OSD = 64
#: passes (``osd_tick``) a reweighted-to-0 OSD needs to drain
DRAIN_PASSES = 3
#: OSDs that must stay up for ``ok-to-stop`` (pool min_size)
MIN_OSDS_UP = 2
#: setting: the mgr map's active mgr (its daemon id)
ACTIVE_MGR_SETTING = "sim/active_mgr"
#: setting: OSDs whose placement groups are still peering (until the next pass)
PEERING_SETTING = "sim/peering_osds"


class SimulatedCephCluster(CephCluster):
    """A Ceph cluster's answers, simulated: OSDs with PGs that drain when reweighted to 0."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._osds: Optional[Dict[int, Dict[str, Any]]] = None
        self._dirty: Set[int] = set()
        self._deleted: Set[int] = set()
        self._next_free = 0
        #: an active mgr elected by ``active_mgr`` since the map last changed
        self._elected: Optional[str] = None
        #: OSDs created since the last pass (their PGs peer until ``osd_tick``)
        self._new_osds: Set[int] = set()
        #: a pass happened (``osd_tick``): the PGs that peered before it are active now
        self._peering_done = False

    #: the answers come from the store, no I/O: listings may ask which mgr is active
    answers_cheaply = True

    def _all(self) -> Dict[int, Dict[str, Any]]:
        if self._osds is None:
            self._osds = {
                int(r[0]): {"hostname": r[1], "weight": r[2], "pgs": r[3], "up": bool(r[4]),
                            "in": bool(r[5]), "destroyed": bool(r[6]), "drain_step": r[7]}
                for r in self.store.query("SELECT osd_id, hostname, weight, pgs, up, in_, "
                                          "destroyed, drain_step FROM sim_osds")}
        return self._osds

    def reload(self) -> None:
        self._osds = None
        self._dirty.clear()
        self._deleted.clear()
        self._next_free = 0
        self._elected = None
        self._new_osds.clear()
        self._peering_done = False

    def flush(self) -> None:
        self._flush_maps()
        if self._osds is None or not (self._dirty or self._deleted):
            return
        with self.store.transaction() as c:
            c.executemany("DELETE FROM sim_osds WHERE osd_id = ?", [(i,) for i in self._deleted])
            osds = self._osds
            c.executemany("INSERT OR REPLACE INTO sim_osds VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                          [(i, o["hostname"], o["weight"], o["pgs"], int(o.get("up", True)),
                            int(o.get("in", True)), int(o.get("destroyed", False)),
                            o.get("drain_step")) for i, o in
                           ((i, osds[i]) for i in self._dirty if i in osds)])
        self._dirty.clear()
        self._deleted.clear()

    def _flush_maps(self) -> None:
        """Write what the maps learnt in memory: an elected mgr, the PGs that peer."""
        if self._elected is not None:
            if self.store.get_setting(ACTIVE_MGR_SETTING) != self._elected:
                self.store.set_setting(ACTIVE_MGR_SETTING, self._elected)
            self._elected = None
        if self._new_osds or self._peering_done:
            kept = [] if self._peering_done else self._peering()
            self.store.set_setting(PEERING_SETTING, sorted(set(kept) | self._new_osds))
            self._new_osds.clear()
            self._peering_done = False

    def _osd(self, osd_id: int) -> Dict[str, Any]:
        osd = self._all().get(int(osd_id))
        if osd is None:
            raise OrchestratorError(f"osd.{osd_id} does not exist", errno=-2)
        return osd

    def fsid(self) -> str:
        return self.store.setting_default("fsid", lambda: str(uuid.uuid4()))

    def _running(self, daemon_type: str) -> List[str]:
        """Ids of the daemons that run now: cached as running, on a host neither offline
        nor in maintenance (a dead host's mon is out of quorum, its mgr out of the map)."""
        away = volatile_status.overrides(self.store)
        return sorted(d["daemon_id"] for d in self.store.get_daemons(daemon_type=daemon_type)
                      if d.get("status") == 1 and d.get("hostname") not in away)

    def _monmap(self) -> List[str]:
        """The monitor map: every mon the engine deployed, running or not (a stopped mon
        stays in the map, and quorum is a majority of the map, not of the living)."""
        return sorted(d["daemon_id"] for d in self.store.get_daemons(daemon_type="mon"))

    def ok_to_stop(self, daemon_type: str, daemon_ids: List[str]) -> OkToStop:
        ids = [str(i) for i in daemon_ids]
        if daemon_type == "mon":
            return self._mon_ok_to_stop(ids)
        if daemon_type == "osd":
            return self._osd_ok_to_stop(ids)
        if daemon_type == "mgr":
            running = self._running("mgr")
            if running and not [m for m in running if m not in ids]:
                return OkToStop(False, "Error EBUSY: no standby mgr would remain")
        return OkToStop(True, f"It is presumed safe to stop {['%s.%s' % (daemon_type, i) for i in ids]}")

    def _mon_ok_to_stop(self, ids: List[str]) -> OkToStop:
        """``ceph mon ok-to-stop``: the quorum left must be a majority of the monmap."""
        monmap = self._monmap()
        if not monmap:
            return OkToStop(True, f"quorum should be preserved () after stopping [{','.join(ids)}]")
        alive = [m for m in self._running("mon") if m not in ids]
        if len(alive) < len(monmap) // 2 + 1:
            return OkToStop(False, "Error EBUSY: not enough monitors would be available "
                                   f"({','.join(alive)}) after stopping mons [{','.join(ids)}]")
        return OkToStop(True, f"quorum should be preserved ({','.join(alive)}) after stopping "
                              f"[{','.join(ids)}]")

    def _osd_ok_to_stop(self, ids: List[str]) -> OkToStop:
        """``ceph osd ok-to-stop``: refused while PGs peer (new OSDs' PGs until the next
        pass, as on a real cluster right after OSDs are created) or when the OSDs left up
        could not hold every PG the stopped ones carry."""
        osds = self._all()
        peering = sum(osds[i]["pgs"] for i in self._peering() if i in osds)
        if peering:
            return OkToStop(False, "Error EBUSY: unsafe to stop osd(s) at this time "
                                   f"({peering} PGs are or would become offline)")
        pgs = sum(osds[int(i)]["pgs"] for i in ids if i.isdigit() and int(i) in osds)
        up = [i for i, o in osds.items() if o.get("up") and not o.get("destroyed")]
        left = len([i for i in up if str(i) not in ids])
        if pgs and left < MIN_OSDS_UP:
            return OkToStop(False, "Error EBUSY: unsafe to stop osd(s) at this time "
                                   f"({pgs} PGs are or would become offline)")
        return OkToStop(True, f"OSD(s) {', '.join(ids)} are ok to stop without reducing "
                              "availability or risking data, provided there are no other "
                              "concurrent failures or interventions.")

    def _peering(self) -> List[int]:
        return [int(i) for i in self.store.get_setting(PEERING_SETTING, []) or []]

    # -- the mgr map ------------------------------------------------------------------------
    def active_mgr(self) -> Optional[str]:
        """The active mgr: the one the map names while it runs, else the first running
        standby (the monitors promote one when the active stops beaconing)."""
        running = self._running("mgr")
        named = self.store.get_setting(ACTIVE_MGR_SETTING)
        if named in running:
            return str(named)
        self._elected = running[0] if running else None
        return self._elected

    def fail_mgr(self, daemon_id: str) -> None:
        """``ceph mgr fail``: a running standby takes over (none: the map keeps it)."""
        standbys = [m for m in self._running("mgr") if m != daemon_id]
        if standbys:
            self.store.set_setting(ACTIVE_MGR_SETTING, standbys[0])
        self._elected = None

    def safe_to_destroy(self, osd_ids: List[int]) -> bool:
        osds = self._all()
        return all(osds.get(int(i), {}).get("pgs", 0) == 0 for i in osd_ids)

    def pg_count(self, osd_id: int) -> int:
        """``ceph pg ls-by-osd``: Pacific answers EAGAIN ("osd N is not up") for a down or
        missing OSD, which the engine reads as -1 (unknown)."""
        osd = self._all().get(int(osd_id))
        return -1 if osd is None or not osd.get("up", True) else int(osd["pgs"])

    def osd_weight(self, osd_id: int) -> Optional[float]:
        osd = self._all().get(int(osd_id))
        return None if osd is None else float(osd["weight"])

    def reweight_osd(self, osd_id: int, weight: float) -> None:
        osd = self._osd(osd_id)
        osd["weight"] = float(weight)
        if weight == 0 and osd["pgs"]:
            osd["drain_step"] = max(1, -(-osd["pgs"] // DRAIN_PASSES))
        self._dirty.add(int(osd_id))

    def mark_osd(self, osd_id: int, state: str) -> None:
        """``ceph osd out|in|down``; of an OSD that does not exist Pacific only says so
        ("osd.N does not exist.", exit 0), so nothing happens here either."""
        if int(osd_id) not in self._all():
            return
        osd = self._osd(osd_id)
        if state == "out":
            osd["in"] = False
            if osd["pgs"]:
                osd["drain_step"] = max(1, -(-osd["pgs"] // DRAIN_PASSES))
        elif state == "in":
            osd["in"] = True
        elif state == "down":
            osd["up"] = False
        else:
            raise OrchestratorError(f"unknown OSD state {state!r}")
        self._dirty.add(int(osd_id))

    def destroy_osd(self, osd_id: int) -> None:
        """``ceph osd destroy``: refused for an OSD that is up (Pacific: EBUSY "osd.N is
        not `down`."); the engine marks it down and stops its daemon first."""
        osd = self._osd(osd_id)
        running = [d for d in self.store.get_daemons(daemon_type="osd", daemon_id=str(osd_id))
                   if d.get("status") == 1]
        if osd.get("up", True) and running:
            raise OrchestratorError(f"osd.{osd_id} is not `down`.", errno=-errno.EBUSY)
        osd.update(destroyed=True, up=False, pgs=0)
        self._dirty.add(int(osd_id))

    def purge_osd(self, osd_id: int) -> None:
        self._all().pop(int(osd_id), None)
        self._next_free = min(self._next_free, int(osd_id))
        self._dirty.discard(int(osd_id))
        self._deleted.add(int(osd_id))

    def allocate_osd_ids(self, hostname: str, count: int,
                         claims: Optional[List[int]] = None) -> List[int]:
        osds = self._all()
        out: List[int] = []
        for claim in claims or []:
            osd = osds.get(int(claim))
            if len(out) < count and osd and osd.get("destroyed") and osd["hostname"] == hostname:
                out.append(int(claim))
        # ids below the hint are all taken; ``purge`` lowers it again
        next_id = self._next_free
        while len(out) < count:
            while next_id in osds:
                next_id += 1
            out.append(next_id)
            next_id += 1
        self._next_free = next_id
        for osd_id in out:
            osds[osd_id] = {"hostname": hostname, "weight": 1.0, "pgs": PGS_PER_OSD,
                            "up": True, "in": True, "destroyed": False}
            self._dirty.add(osd_id)
            self._deleted.discard(osd_id)
            self._new_osds.add(osd_id)
        return out

    def destroyed_osds(self) -> Dict[str, List[int]]:
        out: Dict[str, List[int]] = {}
        for osd_id, osd in sorted(self._all().items()):
            if osd.get("destroyed"):
                out.setdefault(osd["hostname"], []).append(osd_id)
        return out

    def osd_tick(self) -> None:
        self._peering_done = True
        for osd_id, osd in self._all().items():
            draining = osd["weight"] == 0 or not osd.get("in", True)
            if draining and osd["pgs"] > 0:
                step = osd.get("drain_step") or max(1, -(-osd["pgs"] // DRAIN_PASSES))
                osd["pgs"] = max(0, osd["pgs"] - step)
                self._dirty.add(osd_id)
