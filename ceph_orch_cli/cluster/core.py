"""``EngineCore``: what every part of the engine shares - the store, the ``HostDriver``, the
``CephCluster``, the converge lock, the commit/reload hooks, reads of hosts and daemons,
refresh and converge.

It mirrors the plumbing of cephadm's mgr module without the mgr: the store (``store.py``)
replaces the mon config-key store, the ``HostDriver`` replaces cephadm's SSH + host binary,
the ``CephCluster`` replaces mon commands, and ``reconcile_pass()`` is one turn of cephadm's
serve loop (refresh hosts, converge every spec, run the workflow steps).

Mutating calls store the intent first (one transaction), then converge in the foreground
while holding the state directory's converge lock, so two ``orch`` processes never place
the same daemon twice and an interrupted converge is finished by the next command or pass.

The Orchestrator methods live in objects built over this core (``engine.ClusterOrchestrator``
composes them). Hooks they and the backends use:
- ``workflow_steps``: callables run once per ``reconcile_pass()`` after convergence (unless
  paused), each returning a JSON-able summary (or None when it did nothing); the summary
  lands under its ``__name__`` in the pass's result.
- ``commit_hooks``: called inside the transaction that records a batch of host actions
  (backends that buffer simulated state flush it there).
- ``reload_hooks``: called after taking the converge lock, to drop buffered state another
  process may have changed.
"""
from __future__ import annotations

import errno
import fcntl
import logging
import os
import time
from contextlib import contextmanager
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Sequence, Set,
                    Tuple)

from ceph_orch_cli.cluster import converge, reconcile, service_types, state_dir
from ceph_orch_cli.cluster.ceph import CephCluster
from ceph_orch_cli.cluster.daemon_cache import (TimestampMemo, dd_from_cache, ls_entry_to_cache,
                                                parse_timestamp)
from ceph_orch_cli.cluster.driver import HostActionError, HostDriver, HostUnreachable
from ceph_orch_cli.cluster.gc_pause import no_cyclic_gc
from ceph_orch_cli.cluster.store import EventRow, Store, now_str
from ceph_orch_cli.orchestrator import DaemonDescription
from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.deployment.hostspec import HostSpec
    from ceph_orch_cli.deployment.service_spec import ServiceSpec

logger = logging.getLogger(__name__)

#: hosts acted on per recorded batch (one transaction each)
BATCH_HOSTS = 256
#: devices and facts are re-read when older than this (cephadm's cache timeouts)
DEVICE_CACHE_TIMEOUT = 1800
FACTS_CACHE_TIMEOUT = 60
#: the environment variable that makes the engine die (exit 137) after N host actions;
#: crash-safety tests use it to stop a converge at a chosen point
CRASH_AFTER_ENV = "ORCH_TEST_CRASH_AFTER"
#: backend setting: hostname -> device path -> {"osd_ids": [...], "since": ts}, the devices
#: ``orch device replace`` marked (ceph-volume's ``being_replaced``)
BEING_REPLACED_SETTING = "devices/being_replaced"


def _failed_part(part: Any) -> bool:
    """A ``refresh_host`` part that failed on a reachable host: ``{"error": reason}``."""
    return not isinstance(part, dict) or set(part) == {"error"}


def _part_error(part: Any) -> str:
    return str(part.get("error")) if isinstance(part, dict) else f"unexpected answer {part!r}"


class EngineCore:
    """The store, driver and cluster with the locks, hooks, reads, refresh and converge that
    every workflow shares; see the module docstring."""

    def __init__(self, store: Store, driver: HostDriver, cluster: CephCluster,
                 batch_hosts: int = BATCH_HOSTS) -> None:
        self.store = store
        self.driver = driver
        self.cluster = cluster
        #: hosts per recorded batch (``engine.BATCH_HOSTS`` when built by the engine)
        self.batch_hosts = batch_hosts
        self._progress: Optional[Callable[[str, int, int], None]] = None
        self.workflow_steps: List[Callable[[], Any]] = []
        self.commit_hooks: List[Callable[[], None]] = []
        self.reload_hooks: List[Callable[[], None]] = []
        self._actions_done = 0
        crash = os.environ.get(CRASH_AFTER_ENV)
        self._crash_after: Optional[int] = int(crash) if crash else None
        self._lock_depth = 0
        #: parsed device cache: hostname -> (last_refresh, [Device]); re-read when the
        #: store's refresh time differs (another process refreshed the host)
        self._devices_mem: Dict[str, Tuple[str, List[Any]]] = {}
        self._hosts_with_marks: Set[str] = set()

    # ================================================================ plumbing
    def set_progress(self, callback: Optional[Callable[[str, int, int], None]]) -> None:
        """Report convergence as ``callback(description, completed, total)``."""
        self._progress = callback

    def report(self, description: str, completed: int, total: int) -> None:
        if self._progress is not None:
            self._progress(description, completed, total)

    def close(self) -> None:
        """Release the driver's connections and the database handle."""
        self.driver.close()
        self.store.close()

    def get_backend_setting(self, key: str, default: Any = None) -> Any:
        return self.store.get_setting(f"backend/{key}", default)

    def set_backend_setting(self, key: str, value: Any) -> None:
        self.store.set_setting(f"backend/{key}", value)

    @contextmanager
    def converge_lock(self) -> Iterator[None]:
        """Serialise converging across processes (flock on ``<state_dir>/converge.lock``, then
        ``store.writer()``)."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        path = self.store.state_dir / "converge.lock"
        fd = state_dir.open_private(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._lock_depth = 1
            try:
                # then the store's writer lock (the cluster's, when the cluster is the home
                # of the state: one converge at a time across admin hosts)
                with self.store.writer():
                    for hook in self.reload_hooks:
                        hook()
                    yield
            finally:
                self._lock_depth = 0
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def commit(self) -> None:
        for hook in self.commit_hooks:
            hook()

    def count_action(self) -> None:
        self._actions_done += 1
        if self._crash_after is not None and self._actions_done >= self._crash_after:
            os._exit(137)  # test hook: die like kill -9, mid-converge, nothing flushed

    def fsid(self) -> str:
        return self.cluster.fsid()

    def ceph_image(self, daemon_type: Optional[str] = None) -> str:
        """The image new daemons get: the type's own target (set per config section by a
        staggered upgrade, as cephadm's ``container_image`` per section) or the global one."""
        if daemon_type is not None:
            per_type = self.ceph_images()
            if daemon_type in per_type:
                return per_type[daemon_type]
        return self.store.get_setting("container_image", reconcile.DEFAULT_IMAGE)

    def memory_targets(self) -> Dict[str, int]:
        """``mon_memory_target``/``osd_memory_target`` when set (cluster config options)."""
        out = {}
        for dtype in service_types.memory_target_defaults():
            value = self.store.get_setting(f"{dtype}_memory_target", None)
            if value is not None:
                out[dtype] = int(value)
        return out

    def ceph_images(self) -> Dict[str, str]:
        return dict(self.store.get_setting("container_image_by_type", {}) or {})

    def service_images(self) -> Dict[str, str]:
        """The images `orch update service` chose per non-Ceph daemon type."""
        return dict(self.store.get_setting(reconcile.SERVICE_IMAGES_SETTING, {}) or {})

    def paused(self) -> bool:
        return bool(self.store.get_setting("paused", False))

    # ================================================================ reading state
    def host_specs(self) -> List["HostSpec"]:
        from ceph_orch_cli.deployment.hostspec import HostSpec
        out = []
        for row in self.store.get_hosts():
            spec = HostSpec.from_json(dict(row.spec))
            if row.offline_reason and spec.status.lower() != "maintenance":
                spec.status = "offline"
            out.append(spec)
        return out

    def host(self, hostname: str) -> "HostSpec":
        spec = self.maybe_host(hostname)
        if spec is None:
            raise OrchestratorError(f"host {hostname} does not exist", errno=-errno.ENOENT)
        return spec

    def maybe_host(self, hostname: str) -> Optional["HostSpec"]:
        from ceph_orch_cli.deployment.hostspec import HostSpec
        row = self.store.get_host(hostname)
        if row is None:
            return None
        spec = HostSpec.from_json(dict(row.spec))
        if row.offline_reason and spec.status.lower() != "maintenance":
            spec.status = "offline"
        return spec

    @staticmethod
    def spec_from_json(data: Dict[str, Any]) -> "ServiceSpec":
        from ceph_orch_cli.deployment.service_spec import (ServiceSpec,
                                                           service_spec_allow_invalid_from_json)
        with service_spec_allow_invalid_from_json():
            try:
                return ServiceSpec.from_json(dict(data))
            except (ValueError, TypeError, KeyError, AttributeError) as e:
                # a stored spec that no longer parses (a damaged row, or one stored by an
                # older orch): name it and the repair instead of an internal error
                name = data.get("service_name") or ".".join(
                    str(data.get(k)) for k in ("service_type", "service_id") if data.get(k))
                raise OrchestratorError(
                    f"stored spec {str(name)[:64]!r} cannot be read ({str(e)[:120]}); "
                    f"remove it with `orch rm {str(name)[:64]}` and apply it again",
                    errno=-errno.EIO) from None

    def daemons(self, **filters: Optional[str]) -> List[DaemonDescription]:
        memo = TimestampMemo()
        return [dd_from_cache(d, None, memo) for d in self.store.get_daemons(**filters)]

    def cluster_state(self, devices_needed: bool = True) -> reconcile.ClusterState:
        """What planning needs; ``devices_needed=False`` skips the inventories when no OSD
        spec is being planned (on a large fleet they are most of the work)."""
        devices = self.device_map() if devices_needed else {}
        networks = self.store.get_networks()
        memo = TimestampMemo()
        # OSDs (most daemons of a large cluster) enter planning as counts, not objects
        daemons = [dd_from_cache(d, None, memo) for d in self.store.get_daemons_except("osd")]
        return reconcile.ClusterState(
            hosts=self.host_specs(), daemons=daemons, devices=devices,
            osd_counts=self.store.count_daemons_by_service_host("osd"),
            networks=networks, destroyed_osds=self.cluster.destroyed_osds(), fsid=self.fsid(),
            ceph_image=self.ceph_image(), ceph_images=self.ceph_images(),
            service_images=self.service_images(),
            mon_public_network=str(self.store.get_setting("mon_public_network", "") or ""),
            memory_targets=self.memory_targets(),
            upgrade_in_progress=bool((self.store.get_upgrade_state() or {}).get("target_image")))

    def remember_devices(self, inventories: Dict[str, List[Dict[str, Any]]]) -> None:
        """Store inventories and keep them for this process's next plan (parsed only if
        a plan asks: an apply that ends after acting never pays for it)."""
        ts = self.store.put_devices(inventories)
        for host, inv in inventories.items():
            self._devices_mem[host] = (ts, inv)

    def device_map(self) -> Dict[str, List[Any]]:
        from ceph_orch_cli.deployment.inventory import Device
        times = self.store.refresh_times("devices")
        mem = self._devices_mem
        for host in [h for h in mem if h not in times]:
            del mem[host]
        stale = [h for h, ts in times.items() if mem.get(h, ("",))[0] != ts]
        if stale:
            rows = self.store.get_devices() if len(stale) > 64 else \
                {k: v for h in stale for k, v in self.store.get_devices(h).items()}
            for host in stale:
                if host in rows:
                    inv, ts = rows[host]
                    mem[host] = (ts, inv)
        for host, (ts, devs) in mem.items():
            if devs and isinstance(devs[0], dict):
                mem[host] = (ts, [Device.from_json(d) for d in devs])
        self._mark_replaced_devices(mem)
        return {h: devs for h, (_, devs) in mem.items()}

    def _mark_replaced_devices(self, mem: Dict[str, Tuple[str, List[Any]]]) -> None:
        """Devices `orch device replace` marked are out of drive selection until cleared
        (ceph-volume reports them ``being_replaced``); only marked hosts are touched."""
        marked = self.get_backend_setting(BEING_REPLACED_SETTING, {}) or {}
        for host in set(marked) | self._hosts_with_marks:
            paths = marked.get(host) or {}
            for device in mem.get(host, ("", []))[1]:
                device.being_replaced = device.path in paths
        self._hosts_with_marks = set(marked)

    # ================================================================ host helpers
    def inventory_host(self, hostname: str) -> "HostSpec":
        """cephadm's ``@host_exists`` check, with its hint of similar names."""
        host = self.maybe_host(hostname)
        if host is None:
            names = [r.hostname for r in self.store.get_hosts()]
            candidates = ",".join(h for h in names if h.startswith(hostname))
            hint = f"Did you mean {candidates}?" if candidates else ""
            raise OrchestratorError(f"Cannot find host '{hostname}' in the inventory. {hint}")
        return host

    def host_events(self, daemons: List[DaemonDescription], message: str,
                    level: str = "INFO") -> None:
        """The same event on each daemon and on each of their services."""
        ts = now_str()
        rows = [EventRow("daemon", d.name(), level, message, ts) for d in daemons]
        rows.extend(EventRow("service", s, level, message, ts)
                    for s in sorted({d.service_name() for d in daemons}))
        self.store.add_events(rows)

    def set_host_status(self, hostname: str, status: str) -> None:
        self.store.update_host(hostname, lambda cur: dict(cur, status=status))

    def sync_daemons(self, host: "HostSpec") -> None:
        """Re-read one host's daemons into the cache, inside the caller's transaction."""
        ts = now_str()
        entries = self.driver.list_daemons(host)
        self.store.replace_host_daemons(
            host.hostname, [ls_entry_to_cache(host.hostname, e, ts) for e in entries], ts)

    def being_replaced(self, hostname: str) -> Set[str]:
        """Paths of the host's devices marked as being replaced."""
        marks = self.get_backend_setting(BEING_REPLACED_SETTING, {}) or {}
        return set((marks.get(hostname) or {}).keys())

    # ================================================================ refresh
    def refresh(self, hosts: Sequence["HostSpec"], force: bool = False) -> Dict[str, Optional[str]]:
        """Read daemons (and stale devices/facts) from hosts; mark unreachable ones offline.

        Hosts in maintenance are skipped, as in cephadm. Returns hostname -> offline reason.
        """
        hosts = [h for h in hosts if (h.status or "").lower() != "maintenance"]
        if not hosts:
            return {}
        now = time.time()
        dev_times = self.store.refresh_times("devices")
        fact_times = self.store.refresh_times("facts")

        def stale(ts: Optional[str], timeout: int) -> bool:
            parsed = parse_timestamp(ts)
            return force or parsed is None or now - parsed.timestamp() > timeout

        def one(host: "HostSpec") -> Tuple[Any, ...]:
            want_inv = stale(dev_times.get(host.hostname), DEVICE_CACHE_TIMEOUT)
            want_facts = stale(fact_times.get(host.hostname), FACTS_CACHE_TIMEOUT)
            if not (want_inv or want_facts):
                return self.driver.list_daemons(host), None, None, None
            # everything at once: one round trip on drivers that can (the SSH agent)
            got = self.driver.refresh_host(host)
            daemons = got.get("ls")
            if not isinstance(daemons, list):
                raise HostActionError(host.hostname, "ls", _part_error(daemons))
            inv = got.get("inventory") if want_inv else None
            if inv is not None and not isinstance(inv, list):
                logger.warning("inventory of %s failed: %s", host.hostname, _part_error(inv))
                inv = None
            facts = nets = None
            if want_facts:
                facts, nets = got.get("facts"), got.get("networks")
                if _failed_part(facts) or _failed_part(nets):
                    logger.warning("facts of %s failed: %s", host.hostname,
                                   _part_error(facts if _failed_part(facts) else nets))
                    facts = nets = None
            return daemons, inv, facts, nets

        checked: Dict[str, Optional[str]] = {}
        # under the converge lock: a refresh racing another process's converge could
        # otherwise write back a view of the host older than that converge's result
        with self.converge_lock(), no_cyclic_gc():
            # in batches: a 5,000-host refresh never holds every host's inventory at once
            for start in range(0, len(hosts), self.batch_hosts):
                results = self.driver.map_hosts(one, hosts[start:start + self.batch_hosts])
                checked.update(self._record_refresh(results))
        return checked

    def _record_refresh(self, results: Dict[str, Any]) -> Dict[str, Optional[str]]:
        fsid = self.fsid()
        # a refresh only reads hosts: nothing of the backend's is buffered to flush
        with self.record_batch(flush=False) as record:
            for hostname, r in results.items():
                if isinstance(r, HostUnreachable):
                    record.checked[hostname] = r.reason
                    continue
                if isinstance(r, HostActionError):
                    logger.warning("refresh of %s failed: %s", hostname, r)
                    continue
                if isinstance(r, BaseException):
                    raise r
                daemons, inv, fct, nets = r
                record.host_daemons(hostname, [
                    e for e in daemons if str(e.get("style", "")).startswith("cephadm")
                    and e.get("fsid") in (None, fsid)])
                if inv is not None:
                    record.inventories[hostname] = inv
                if fct is not None:
                    record.facts[hostname] = (fct, nets or {})
                record.checked[hostname] = None
        return record.checked

    # ================================================================ recording host work
    @contextmanager
    def record_batch(self, flush: bool = True) -> Iterator["BatchRecord"]:
        """One transaction recording what a batch of host work did.

        Inside, the backend's buffered state is flushed first (``commit_hooks``, unless
        ``flush`` is False), and the caller notes on the ``BatchRecord`` what it learnt:
        hosts checked or found offline, each host's daemons as it lists them now, new
        inventories and facts, events. They are written when the block ends, in the same
        transaction, so a crash leaves either all of the batch or none of it; an exception
        from the block rolls it all back.
        """
        record = BatchRecord(self.store, now_str())
        with self.store.transaction():
            if flush:
                self.commit()
            yield record
            record.write(self)

    # ================================================================ converge
    def add_events(self, events: List[EventRow]) -> None:
        if events:
            self.store.add_events(events)

    def converge_stored(self) -> Dict[str, int]:
        """``converge`` after a command stored its intent: a failure says the intent is
        stored (``ConvergeFailed``, EAGAIN), never reads as "nothing happened"."""
        from ceph_orch_cli.orchestrator.errors import ConvergeFailed
        try:
            return self.converge()
        except ConvergeFailed:
            raise
        except (KeyboardInterrupt, MemoryError, RecursionError):
            raise
        except Exception as e:  # noqa: BLE001 - every failure after the store says so
            raise ConvergeFailed(e) from e

    def converge(self) -> Dict[str, int]:
        """Schedule, diff and act on every managed spec; one transaction per host batch."""
        stats: Dict[str, int] = {}
        if self.paused():
            return stats
        with self.converge_lock(), no_cyclic_gc():
            # a host marked offline may be back (rebooted mid-apply): check it again, as
            # cephadm's serve loop does, so a rerun of the command converges it too
            offline = [h for h in self.host_specs() if h.status == "offline"]
            if offline:
                self.refresh(offline)
            return self.converge_locked(stats)

    def converge_locked(self, stats: Dict[str, int]) -> Dict[str, int]:
        """Plan every spec, act on the hosts (``converge.plan_host_actions`` then the
        ``Executor``), then purge deleted services and remember what was applied."""
        rows = self.store.get_specs(include_deleted=True)
        if not rows:
            return stats
        active = [r for r in rows if not r.deleted]
        specs = [self.spec_from_json(r.spec) for r in active]
        state = self.cluster_state(any(
            service_types.service_type(s.service_type).creates_osds and not s.unmanaged
            for s in specs))
        digests: Dict[str, str] = self.store.get_setting("config_digests", {}) or {}
        current = {r.service_name: reconcile.config_digest(r.spec) for r in active}
        changed = [n for n, d in current.items() if n in digests and digests[n] != d]
        rank_maps = {r.service_name: r.rank_map for r in active if r.rank_map}
        plans = reconcile.plan_all(specs, state, rank_maps, changed)
        deps_now = reconcile.reconfig_for_deps(
            plans, state, self.store.get_setting("daemon_deps", {}) or {})
        self._record_plans(plans)
        deleted, purge = self._deleted_services(rows, state)
        host_actions = converge.plan_host_actions(plans, state, self.cluster, deleted)
        if host_actions:
            converge.Executor(self).run(host_actions, stats)
        applied = {p.service_name for p in plans if not p.error}
        self._record_applied(purge, deps_now, digests, current,
                             applied & {s.service_name() for s in specs})
        return stats

    def _record_applied(self, purge: List[str], deps_now: Dict[str, Any],
                        digests: Dict[str, str], current: Dict[str, str],
                        applied: Set[str]) -> None:
        """After acting: purge deleted services whose daemons are gone, and remember the
        daemons' dependencies and the config digest of every spec applied without error
        (a changed digest is what makes the next pass reconfigure)."""
        with self.store.transaction():
            for name in purge:
                # only once its daemons are really gone (a failed removal retries next pass)
                if name.startswith("osd") or not self.store.get_daemons(service_name=name):
                    self.store.purge_spec(name)
            if deps_now != (self.store.get_setting("daemon_deps", {}) or {}):
                self.store.set_setting("daemon_deps", deps_now)
            digests = {n: d for n, d in digests.items() if n in current}
            for name in applied:
                digests[name] = current[name]
            self.store.set_setting("config_digests", digests)

    def _record_plans(self, plans: List[reconcile.ServicePlan]) -> None:
        """A plan's error as a service event (once per message), and the rank maps of
        ranked services, saved before acting: a crash leaves fenced generations, never
        reused ones."""
        events: List[EventRow] = []
        started = now_str()
        last = self.store.get_events("service")
        for plan in plans:
            if plan.error:
                msg = (f"Failed to apply {plan.service_name} spec {plan.spec.one_line_str()}: "
                       f"{plan.error}")
                prev = last.get(("service", plan.service_name))
                if not prev or prev[-1].message != msg:
                    events.append(EventRow("service", plan.service_name, "ERROR", msg, started))
            if plan.rank_map is not None and plan.add:
                self.store.set_rank_map(plan.service_name, {
                    str(r): {str(g): n for g, n in gens.items()}
                    for r, gens in plan.rank_map.items()})
        self.add_events(events)

    @staticmethod
    def _deleted_services(rows: List[Any], state: reconcile.ClusterState
                          ) -> Tuple[List[DaemonDescription], List[str]]:
        """(daemons to remove, services to purge) of the deleted services: every daemon
        goes, except on unreachable hosts, which keep theirs; OSDs outlive their spec, as
        in cephadm."""
        unreachable = {h.hostname for h in state.unreachable_hosts()}
        removals: List[DaemonDescription] = []
        purge: List[str] = []
        for r in rows:
            if not r.deleted:
                continue
            if service_types.service_type(r.service_type).creates_osds:
                purge.append(r.service_name)
                continue
            dds = state.by_service.get(r.service_name, [])
            gone = [d for d in dds if d.hostname not in unreachable]
            removals.extend(gone)
            if len(gone) == len(dds):
                purge.append(r.service_name)
        return removals, purge

    # ================================================================ serve loop
    def reconcile_pass(self) -> Dict[str, Any]:
        """One turn of the serve loop: refresh every host, converge every spec, run the
        workflow steps. Returns only what happened (an empty dict for a quiet pass):
        ``offline``/``online`` (hosts that changed), ``paused``, counts ``deployed``,
        ``removed``, ``reconfigured``, ``osds_created``, ``failed``, and one key per
        workflow step that reported something."""
        summary: Dict[str, Any] = {}
        with self.converge_lock(), no_cyclic_gc():
            hosts = self.host_specs()
            was_offline = {h.hostname for h in hosts if h.status == "offline"}
            checked = self.refresh(hosts)
            went_offline = sorted(h for h, r in checked.items() if r and h not in was_offline)
            came_back = sorted(h for h, r in checked.items() if not r and h in was_offline)
            if went_offline:
                summary["offline"] = went_offline
            if came_back:
                summary["online"] = came_back
            self.cluster.osd_tick()
            with self.store.transaction():
                self.commit()
            if self.paused():
                summary["paused"] = True
                return summary
            stats = self.converge_locked({})
            summary.update({k: v for k, v in stats.items() if v})
            for step in self.workflow_steps:
                result = step()
                if result:
                    summary[getattr(step, "__name__", repr(step))] = result
        return summary


class BatchRecord:
    """What a batch of host work changed, noted while the batch is recorded
    (``EngineCore.record_batch``) and written when its block ends."""

    def __init__(self, store: Store, ts: str) -> None:
        self.store = store
        #: the time the batch is recorded with (events, daemon refresh times)
        self.ts = ts
        #: hostname -> offline reason (None: it answered)
        self.checked: Dict[str, Optional[str]] = {}
        #: hostname -> its daemons as cache rows (replacing what was cached)
        self.daemons: Dict[str, Sequence[Dict[str, Any]]] = {}
        self.inventories: Dict[str, List[Dict[str, Any]]] = {}
        #: hostname -> (facts, networks)
        self.facts: Dict[str, Tuple[Any, Any]] = {}
        self.events: List[EventRow] = []

    def host_daemons(self, hostname: str, entries: List[Dict[str, Any]]) -> None:
        """The host's ``ls`` entries, as it lists them now."""
        self.daemons[hostname] = [ls_entry_to_cache(hostname, e, self.ts) for e in entries]

    def offline(self, hostname: str, reason: Optional[str]) -> None:
        """Mark one host offline now (its check time is not recorded, unlike ``checked``)."""
        self.store.set_host_offline(hostname, reason)

    def forget_daemons(self, names: List[str]) -> None:
        """Daemons removed from their host: out of the cache, with their events."""
        self.store.delete_daemons(names)
        self.drop_daemon_events(names)

    def drop_daemon_events(self, names: List[str]) -> None:
        """Events of daemons that are gone (before this batch's events are added)."""
        self.store.remove_events("daemon", names)

    def write(self, core: EngineCore) -> None:
        self.store.replace_daemons_of_hosts(self.daemons, self.ts)
        core.remember_devices(self.inventories)
        if self.facts:
            self.store.put_facts(self.facts)
        if self.checked:
            self.store.set_hosts_checked(self.checked)
        core.add_events(self.events)

