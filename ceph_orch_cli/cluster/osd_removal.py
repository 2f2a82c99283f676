"""The OSD removal queue (``orch osd rm``): cephadm's ``OSDRemovalQueue`` as a state machine
kept in the store, advanced one step per reconcile pass.

Each queued OSD is one row of ``osd_removal_queue`` holding Ceph's ``OSD.to_json`` fields plus
the removal ``phase`` this engine adds so that a crash between two steps resumes at the right
one. Per pass an entry moves at most through::

    queued -> draining (reweight 0, or ``out`` for --replace) -> drained (no PGs left)
           -> down -> daemon removed -> destroyed (--replace) / purged -> zapped -> gone

Every arrow is one transaction that records the new phase together with what the host and
the cluster were told (the local backend's buffered state is flushed by the engine's commit
hooks in that same transaction), and every action is safe to repeat, so a ``kill -9`` at any
point leaves a queue the next pass finishes. ``--force`` skips the drain and the
safe-to-destroy wait (cephadm still waited on safe-to-destroy: ceph PR 71586).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from ceph_orch_cli.cluster.driver import HostActionError, HostUnreachable
from ceph_orch_cli.cluster.store import EventRow, now_str
from ceph_orch_cli.orchestrator import handle_orch_error
from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.core import EngineCore
    from ceph_orch_cli.deployment.hostspec import HostSpec

#: cephadm's mgr/cephadm/max_osd_draining_count default
MAX_OSD_DRAINING_COUNT = 10

# removal phases, in order (stored in each entry's ``phase``)
QUEUED = "queued"
DRAINING = "draining"
DRAINED = "drained"
DOWN = "down"
DAEMON_REMOVED = "daemon_removed"
RETIRED = "retired"        # destroyed (--replace) or purged
ZAPPED = "zapped"
_PHASES = [QUEUED, DRAINING, DRAINED, DOWN, DAEMON_REMOVED, RETIRED, ZAPPED]

_DATE_KEYS = ("drain_started_at", "drain_stopped_at", "drain_done_at", "process_started_at")


@dataclass
class OsdRemoval:
    """One queued OSD: Ceph's ``OSD`` fields (``to_json`` gives exactly Ceph's keys) plus the
    engine's bookkeeping (phase, devices to zap, service, pg count seen last)."""

    osd_id: int
    hostname: str
    started: bool = False
    draining: bool = False
    stopped: bool = False
    replace: bool = False
    force: bool = False
    zap: bool = False
    no_destroy: bool = False
    original_weight: Optional[float] = None
    drain_started_at: Optional[str] = None
    drain_stopped_at: Optional[str] = None
    drain_done_at: Optional[str] = None
    process_started_at: Optional[str] = None
    phase: str = QUEUED
    service_name: str = "osd"
    devices: List[str] = field(default_factory=list)
    pg_count: int = -1

    # -- Ceph's view ------------------------------------------------------------------
    def to_json(self) -> Dict[str, Any]:
        return {
            "osd_id": self.osd_id, "started": self.started, "draining": self.draining,
            "stopped": self.stopped, "replace": self.replace, "force": self.force,
            "zap": self.zap, "hostname": self.hostname, "original_weight": self.original_weight,
            "drain_started_at": self.drain_started_at, "drain_stopped_at": self.drain_stopped_at,
            "drain_done_at": self.drain_done_at, "process_started_at": self.process_started_at,
        }

    def drain_status_human(self) -> str:
        status = "started" if self.started and not self.draining else "not started"
        status = "draining" if self.draining else status
        if self.drain_done_at and not self.draining:
            status = "done, waiting for purge"
        return status

    def get_pg_count(self) -> int:
        return self.pg_count

    @property
    def name(self) -> str:
        return f"osd.{self.osd_id}"

    # -- stored form ------------------------------------------------------------------
    def to_store(self) -> Dict[str, Any]:
        out = self.to_json()
        out.update(no_destroy=self.no_destroy, phase=self.phase, service_name=self.service_name,
                   devices=list(self.devices), pg_count=self.pg_count)
        return out

    @classmethod
    def from_store(cls, data: Dict[str, Any]) -> "OsdRemoval":
        known = set(cls.__dataclass_fields__)
        c = {k: v for k, v in data.items() if k in known}
        if "nodename" in data and "hostname" not in c:  # older cephadm's key
            c["hostname"] = data["nodename"]
        c["osd_id"] = int(c["osd_id"])
        return cls(**c)

    def past(self, phase: str) -> bool:
        """Has the removal got at least as far as ``phase``?"""
        return _PHASES.index(self.phase) >= _PHASES.index(phase)


def osd_devices(inventory: Sequence[Dict[str, Any]], osd_id: int) -> List[str]:
    """Paths of the devices holding an OSD's logical volumes (what ``lvm zap --osd-id`` wipes)."""
    out = []
    for dev in inventory:
        for lv in dev.get("lvs") or []:
            if str(lv.get("osd_id")) == str(osd_id):
                out.append(dev["path"])
                break
    return out


class OsdRemovalQueue:
    """cephadm's ``OSDRemovalQueue``: ``remove_osds``/``stop_remove_osds``/
    ``remove_osds_status`` and the queue's pass step, over the core's store, driver, cluster
    and commit/lock plumbing."""

    def __init__(self, core: "EngineCore") -> None:
        self.core = core
        self.store = core.store
        self.driver = core.driver
        self.cluster = core.cluster

    # -- queue access -----------------------------------------------------------------
    def removal_queue(self) -> List[OsdRemoval]:
        return [OsdRemoval.from_store(d) for d in self.store.get_osd_removal_queue()]

    def _save_removal(self, entry: OsdRemoval, create: bool = False) -> bool:
        """Write an entry back unless someone removed it meanwhile (``osd rm stop`` from
        another process must not be undone by a pass that read the queue earlier)."""
        return self.store.save_osd_removal(entry.to_store(), create)

    def _osd_event(self, entry: OsdRemoval, message: str, level: str = "INFO") -> None:
        """Removal events go on the OSD daemon while it exists, on its service after."""
        ts = now_str()
        rows = [EventRow("service", entry.service_name, level, message, ts)]
        if not entry.past(DAEMON_REMOVED):
            rows.append(EventRow("daemon", entry.name, level, message, ts))
        self.store.add_events(rows)

    # -- API ------------------------------------------------------------------------------
    @handle_orch_error
    def remove_osds(self, osd_ids: List[str], replace: bool = False, replace_block: bool = False,
                    replace_db: bool = False, replace_wal: bool = False, force: bool = False,
                    zap: bool = False, no_destroy: bool = False) -> str:
        wanted = {str(i) for i in osd_ids}
        daemons = [d for d in self.store.get_daemons(daemon_type="osd")
                   if str(d["daemon_id"]) in wanted]
        if not daemons:
            return f"Unable to find OSDs: {list(osd_ids)}"
        queued = {e.osd_id for e in self.removal_queue()}
        with self.core.converge_lock():
            for d in daemons:
                osd_id = int(d["daemon_id"])
                weight = self.cluster.osd_weight(osd_id)
                if weight is None:
                    return f"Unable to find OSDs: {list(osd_ids)}"
                if osd_id in queued:
                    continue  # cephadm's queue is a set: a second rm changes nothing
                entry = OsdRemoval(osd_id=osd_id, hostname=d["hostname"], started=True,
                                   replace=replace, force=force, zap=zap, no_destroy=no_destroy,
                                   original_weight=weight, process_started_at=now_str(),
                                   service_name=d.get("service_name") or "osd")
                self._save_removal(entry, create=True)
                what = "replacement" if replace else "removal"
                self._osd_event(entry, f"Scheduled {entry.name} on host '{entry.hostname}' "
                                       f"for {what}")
        warning_zap = "" if zap else (
            "\nVG/LV for the OSDs won't be zapped (--zap wasn't passed).\n"
            "Run the `ceph-volume lvm zap` command with `--destroy` against the VG/LV if you "
            "want them to be destroyed.")
        return f"Scheduled OSD(s) for removal.{warning_zap}"

    @handle_orch_error
    def stop_remove_osds(self, osd_ids: List[str]) -> str:
        with self.core.converge_lock():
            queue = {e.osd_id: e for e in self.removal_queue()}
            for raw in osd_ids:
                try:
                    entry = queue.get(int(raw))
                except ValueError:
                    entry = None
                if entry is None:
                    return f"Unable to find OSD in the queue: {raw}"
                if entry.past(DOWN):
                    raise OrchestratorError(
                        f"Cannot stop the removal of {entry.name}: it is already down and being "
                        f"removed from host '{entry.hostname}'; the next reconcile pass "
                        "finishes it")
                self._stop_draining(entry)
                with self.store.transaction():
                    self.core.commit()
                    self.store.remove_osd_removals([entry.osd_id])
                    self._osd_event(entry, f"Stopped the removal of {entry.name}; it is back "
                                           "in service")
        return "Stopped OSD(s) removal"

    def _stop_draining(self, entry: OsdRemoval) -> None:
        """Return an OSD to service as cephadm's ``OSD.stop`` does."""
        cluster = self.cluster
        if cluster.osd_weight(entry.osd_id) is None:
            return
        if entry.replace:
            cluster.mark_osd(entry.osd_id, "in")
        elif entry.original_weight:
            cluster.reweight_osd(entry.osd_id, entry.original_weight)
        entry.drain_stopped_at = now_str()
        entry.draining = False
        entry.started = False
        entry.stopped = True

    @handle_orch_error
    def remove_osds_status(self) -> List[OsdRemoval]:
        out = []
        for entry in self.removal_queue():
            if not entry.past(DAEMON_REMOVED):
                entry.pg_count = self.cluster.pg_count(entry.osd_id)
            out.append(entry)
        return out

    # -- the pass step ----------------------------------------------------------------------
    def osd_removal_step(self) -> Optional[Dict[str, Any]]:
        """One turn of cephadm's ``process_removal_queue``; returns what moved (None: nothing)."""
        queue = self.removal_queue()
        if not queue:
            return None
        moved: Dict[str, List[int]] = {}
        hosts = {h.hostname: h for h in self.core.host_specs()}

        # entries whose OSD vanished from the cluster before we retired it: forget them
        for entry in queue:
            if not entry.past(DOWN) and self.cluster.osd_weight(entry.osd_id) is None:
                self.store.remove_osd_removals([entry.osd_id])
                self._osd_event(entry, f"{entry.name} is no longer in the cluster; dropped "
                                       "from the removal queue")
                moved.setdefault("forgotten", []).append(entry.osd_id)
        queue = [e for e in queue if e.osd_id not in moved.get("forgotten", [])]

        self._start_draining(queue, moved)
        for entry in queue:
            host = hosts.get(entry.hostname)
            try:
                self._advance(entry, host, moved)
            except HostUnreachable as e:
                self.store.set_host_offline(entry.hostname, e.reason)
                self._osd_event(entry, f"Waiting to remove {entry.name}: {e}", "ERROR")
                moved.setdefault("waiting_for_host", []).append(entry.osd_id)
            except OrchestratorError as e:  # the host or the cluster refused: retried next pass
                reason = e.reason if isinstance(e, HostActionError) else str(e)
                self._osd_event(entry, f"Failed to remove {entry.name} on host "
                                       f"'{entry.hostname}': {reason}", "ERROR")
                moved.setdefault("failed", []).append(entry.osd_id)
        return moved or None

    def _start_draining(self, queue: List[OsdRemoval], moved: Dict[str, List[int]]) -> None:
        """Start draining idle OSDs that are ok to stop, up to the draining limit."""
        cluster = self.cluster
        draining = [e for e in queue if e.phase == DRAINING]
        idle = [e for e in queue if e.phase == QUEUED and not e.force]
        room = max(0, MAX_OSD_DRAINING_COUNT - len(draining))
        # cephadm halves the candidate list until the rest is ok to stop together
        while idle and not cluster.ok_to_stop("osd", [str(e.osd_id) for e in idle]).ok:
            if len(idle) <= 1:
                idle = []
                break
            idle = idle[len(idle) // 2:]
        for entry in idle[:room]:
            if entry.replace:
                cluster.mark_osd(entry.osd_id, "out")
            else:
                cluster.reweight_osd(entry.osd_id, 0.0)
            entry.phase = DRAINING
            entry.draining = True
            entry.drain_started_at = now_str()
            self._commit_entry(entry)
            self._osd_event(entry, f"Draining {entry.name}: "
                                   + ("marked out" if entry.replace else "CRUSH weight set to 0"))
            moved.setdefault("draining", []).append(entry.osd_id)

    def _commit_entry(self, entry: OsdRemoval) -> None:
        with self.store.transaction():
            self.core.commit()
            self._save_removal(entry)
        self.core.count_action()

    def _advance(self, entry: OsdRemoval, host: Optional["HostSpec"],
                 moved: Dict[str, List[int]]) -> None:
        """Move one entry as far as it can go this pass, committing after every step."""
        cluster = self.cluster
        if entry.phase == QUEUED and not entry.force:
            return  # not ok to stop yet; _start_draining retries next pass
        if entry.phase in (QUEUED, DRAINING):
            if not entry.force:
                entry.pg_count = cluster.pg_count(entry.osd_id)
                if entry.pg_count != 0:
                    self._save_removal(entry)
                    return
                entry.drain_done_at = entry.drain_done_at or now_str()
                entry.draining = False
                if not cluster.safe_to_destroy([entry.osd_id]):
                    self._save_removal(entry)
                    return
            entry.phase = DRAINED
            self._commit_entry(entry)
            self._osd_event(entry, f"{entry.name} is drained" if not entry.force
                            else f"Removing {entry.name} without draining (--force)")
        if host is None:
            self._finish_without_host(entry, moved)
            return
        if entry.phase == DRAINED:
            # remember the OSD's devices before its volumes go, for --zap
            if entry.zap and not entry.devices:
                entry.devices = osd_devices(self.driver.inventory(host), entry.osd_id)
            cluster.mark_osd(entry.osd_id, "down")
            entry.phase = DOWN
            self._commit_entry(entry)
        if entry.phase == DOWN:
            self.driver.remove_daemon(host, entry.name, force=True)
            entry.phase = DAEMON_REMOVED
            with self.store.transaction():
                self.core.commit()
                self._save_removal(entry)
                self.store.delete_daemons([entry.name])
                self.store.remove_events("daemon", [entry.name])
            self.core.count_action()
            self._osd_event(entry, f"Removed {entry.name} from host '{entry.hostname}'")
        if entry.phase == DAEMON_REMOVED:
            if entry.replace:
                exists = cluster.osd_weight(entry.osd_id) is not None
                if exists and entry.osd_id not in cluster.destroyed_osds().get(entry.hostname, []):
                    cluster.destroy_osd(entry.osd_id)
                what = f"Destroyed {entry.name}; its id is kept for a replacement on " \
                       f"host '{entry.hostname}'"
            else:
                cluster.purge_osd(entry.osd_id)
                what = f"Purged {entry.name} from the cluster"
            entry.phase = RETIRED
            self._commit_entry(entry)
            self._osd_event(entry, what)
        if entry.phase == RETIRED:
            if entry.zap:
                for path in entry.devices:
                    try:
                        self.driver.zap_device(host, path)
                    except HostActionError as e:
                        # a disk that cannot be wiped must not hold the OSD in the queue forever
                        self._osd_event(entry, f"Zap of {path} on host '{entry.hostname}' "
                                               f"failed: {e.reason}", "ERROR")
                inventory = self.driver.inventory(host)
                with self.store.transaction():
                    self.core.commit()
                    self.store.put_devices({entry.hostname: inventory})
                self.core.count_action()
                if entry.devices:
                    self._osd_event(entry, f"Zapped {', '.join(entry.devices)} on host "
                                           f"'{entry.hostname}'")
            entry.phase = ZAPPED
        if entry.phase == ZAPPED:
            self.store.remove_osd_removals([entry.osd_id])
            moved.setdefault("removed", []).append(entry.osd_id)

    def _finish_without_host(self, entry: OsdRemoval, moved: Dict[str, List[int]]) -> None:
        """The OSD's host was removed (``host rm --offline --force``): its daemon and disks went
        with it, so only the cluster's record is left to destroy or purge."""
        cluster = self.cluster
        if cluster.osd_weight(entry.osd_id) is not None:
            if entry.replace:
                if entry.osd_id not in cluster.destroyed_osds().get(entry.hostname, []):
                    cluster.destroy_osd(entry.osd_id)
            else:
                cluster.purge_osd(entry.osd_id)
        with self.store.transaction():
            self.core.commit()
            self.store.remove_osd_removals([entry.osd_id])
            self.store.delete_daemons([entry.name])
        self._osd_event(entry, f"Host '{entry.hostname}' is gone; finished removing "
                               f"{entry.name} from the cluster")
        moved.setdefault("removed", []).append(entry.osd_id)
