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

from ceph_orch_cli.cluster import reconcile
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
        """Serialise converging across processes (flock on ``<state_dir>/converge.lock``)."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        path = self.store.state_dir / "converge.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._lock_depth = 1
            for hook in self.reload_hooks:
                hook()
            try:
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
        for dtype in reconcile.MEMORY_TARGET_DEFAULTS:
            value = self.store.get_setting(f"{dtype}_memory_target", None)
            if value is not None:
                out[dtype] = int(value)
        return out

    def ceph_images(self) -> Dict[str, str]:
        return dict(self.store.get_setting("container_image_by_type", {}) or {})

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
            return ServiceSpec.from_json(dict(data))

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
        checked: Dict[str, Optional[str]] = {}
        ts = now_str()
        invs: Dict[str, Any] = {}
        facts: Dict[str, Any] = {}
        fsid = self.fsid()
        cached: Dict[str, List[Dict[str, Any]]] = {}
        with self.store.transaction():
            for hostname, r in results.items():
                if isinstance(r, HostUnreachable):
                    checked[hostname] = r.reason
                    continue
                if isinstance(r, HostActionError):
                    logger.warning("refresh of %s failed: %s", hostname, r)
                    continue
                if isinstance(r, BaseException):
                    raise r
                daemons, inv, fct, nets = r
                cached[hostname] = [ls_entry_to_cache(hostname, e, ts) for e in daemons
                                    if str(e.get("style", "")).startswith("cephadm")
                                    and e.get("fsid") in (None, fsid)]
                if inv is not None:
                    invs[hostname] = inv
                if fct is not None:
                    facts[hostname] = (fct, nets or {})
                checked[hostname] = None
            self.store.replace_daemons_of_hosts(cached, ts)
            self.remember_devices(invs)
            self.store.put_facts(facts)
            self.store.set_hosts_checked(checked)
        return checked

    # ================================================================ converge
    def add_events(self, events: List[EventRow]) -> None:
        if events:
            self.store.add_events(events)

    def converge(self) -> Dict[str, int]:
        """Schedule, diff and act on every managed spec; one transaction per host batch."""
        stats: Dict[str, int] = {}
        if self.paused():
            return stats
        with self.converge_lock(), no_cyclic_gc():
            return self.converge_locked(stats)

    def converge_locked(self, stats: Dict[str, int]) -> Dict[str, int]:
        rows = self.store.get_specs(include_deleted=True)
        if not rows:
            return stats
        active = [r for r in rows if not r.deleted]
        specs = [self.spec_from_json(r.spec) for r in active]
        state = self.cluster_state(any(s.service_type == "osd" and not s.unmanaged
                                        for s in specs))
        digests: Dict[str, str] = self.store.get_setting("config_digests", {}) or {}
        current = {r.service_name: reconcile.config_digest(r.spec) for r in active}
        changed = [n for n, d in current.items() if n in digests and digests[n] != d]
        rank_maps = {r.service_name: r.rank_map for r in active if r.rank_map}
        plans = reconcile.plan_all(specs, state, rank_maps, changed)
        deps_now = reconcile.reconfig_for_deps(
            plans, state, self.store.get_setting("daemon_deps", {}) or {})
        fsid = state.fsid
        started = now_str()

        events: List[EventRow] = []
        last = self.store.get_events("service")
        for plan in plans:
            if plan.error:
                msg = f"Failed to apply {plan.service_name} spec {plan.spec.one_line_str()}: {plan.error}"
                prev = last.get(("service", plan.service_name))
                if not prev or prev[-1].message != msg:
                    events.append(EventRow("service", plan.service_name, "ERROR", msg, started))
            if plan.rank_map is not None and plan.add:
                # saved before acting, so a crash leaves fenced generations, never reused ones
                self.store.set_rank_map(plan.service_name, {
                    str(r): {str(g): n for g, n in gens.items()}
                    for r, gens in plan.rank_map.items()})
        self.add_events(events)

        # deleted services: every daemon goes (hosts that are unreachable keep theirs)
        unreachable = {h.hostname for h in state.unreachable_hosts()}
        deleted_removals: List[DaemonDescription] = []
        purge: List[str] = []
        for r in rows:
            if not r.deleted:
                continue
            if r.service_type == "osd":
                purge.append(r.service_name)  # OSDs outlive their spec, as in cephadm
                continue
            dds = state.by_service.get(r.service_name, [])
            gone = [d for d in dds if d.hostname not in unreachable]
            deleted_removals.extend(gone)
            if len(gone) == len(dds):
                purge.append(r.service_name)

        # per-host action lists
        specs_by_name = {s.service_name(): s for s in specs}
        host_actions: Dict[str, List[Tuple[str, Any, Any]]] = {}

        def add(host: str, kind: str, a: Any, b: Any) -> None:
            host_actions.setdefault(host, []).append((kind, a, b))

        for plan in plans:
            spec = plan.spec
            new_names = {(s.hostname, f"{s.daemon_type}.{s.name}") for s in plan.add}
            new_ports = {}
            for s in plan.add:
                for p in s.ports or []:
                    new_ports[(s.hostname, p)] = s
            removals = self.ok_to_stop_subset(plan.remove)
            early = [d for d in removals if (d.hostname, d.name()) in new_names or
                     any((d.hostname, p) in new_ports for p in (d.ports or []))]
            early_names = {d.name() for d in early}
            late = [d for d in removals if d.name() not in early_names]
            for d in early:
                add(d.hostname or "", "remove", d, spec)
            for slot in plan.add:
                add(slot.hostname, "deploy", reconcile.deploy_request(
                    spec, slot, fsid, state.image(slot.daemon_type),
                    memory_request=state.memory_request(slot.daemon_type)), spec)
            for osd in plan.osds:
                add(osd.hostname, "osd", reconcile.osd_request(  # type: ignore[arg-type]
                    spec, osd, fsid, state.image("osd"), state.memory_request("osd")), osd)
            for d in plan.reconfig:
                add(d.hostname or "", "reconfig", reconcile.reconfig_request(
                    spec, d, fsid, state.image(d.daemon_type or "")), spec)
            for d in late:
                add(d.hostname or "", "remove", d, spec)
        for d in deleted_removals:
            add(d.hostname or "", "remove", d, None)

        if host_actions:
            self._act(host_actions, stats)
        with self.store.transaction():
            for name in purge:
                # only once its daemons are really gone (a failed removal retries next pass)
                if name.startswith("osd") or not self.store.get_daemons(service_name=name):
                    self.store.purge_spec(name)
            ok = {p.service_name for p in plans if not p.error}
            if deps_now != (self.store.get_setting("daemon_deps", {}) or {}):
                self.store.set_setting("daemon_deps", deps_now)
            digests = {n: d for n, d in digests.items() if n in current}
            for name in ok:
                if name in specs_by_name:
                    digests[name] = current[name]
            self.store.set_setting("config_digests", digests)
        return stats

    def ok_to_stop_subset(self, remove: List[DaemonDescription]) -> List[DaemonDescription]:
        """cephadm drops daemons from the end until the rest are ok to stop together."""
        remove = list(remove)
        by_type: Dict[str, List[DaemonDescription]] = {}
        for d in remove:
            by_type.setdefault(d.daemon_type or "", []).append(d)
        out: List[DaemonDescription] = []
        for dtype, dds in by_type.items():
            if dtype == "mon":
                # removing a mon shrinks the monmap too, so quorum holds while one remains
                # (cephadm's _check_safe_to_destroy); NEVER_EMPTY keeps that one
                out.extend(dds)
                continue
            while dds and not self.cluster.ok_to_stop(dtype, [d.daemon_id or "" for d in dds]).ok:
                dds.pop()
            out.extend(dds)
        return out

    def _act(self, host_actions: Dict[str, List[Tuple[str, Any, Any]]],
             stats: Dict[str, int]) -> None:
        """Run the actions host by host (hosts in parallel through the driver), recording
        each batch of hosts in one transaction."""
        specs_by_host = {h.hostname: h for h in self.host_specs()}
        total = sum(len(v) for v in host_actions.values())
        done = 0
        names = [h for h in host_actions if h in specs_by_host]
        cancel_before = self.store.get_setting("cancel_requested")
        self.report("Converging", 0, total)
        for start in range(0, len(names), self.batch_hosts):
            if self.store.get_setting("cancel_requested") != cancel_before:
                break
            batch = [specs_by_host[h] for h in names[start:start + self.batch_hosts]]
            results = self.driver.map_hosts(lambda h: self.act_on_host(h, host_actions[h.hostname]),
                                            batch)
            events: List[EventRow] = []
            ts = now_str()
            offline: Dict[str, Optional[str]] = {}
            cached: Dict[str, List[Dict[str, Any]]] = {}
            invs: Dict[str, List[Dict[str, Any]]] = {}
            with self.store.transaction():
                self.commit()
                for hostname, r in results.items():
                    if isinstance(r, HostUnreachable):
                        offline[hostname] = r.reason
                        for kind, a, b in host_actions[hostname]:
                            if kind in ("deploy", "osd"):
                                svc = a.service_name
                                events.append(EventRow("service", svc, "ERROR",
                                                       f"Failed while placing {a.name if kind == 'deploy' else 'osd'} "
                                                       f"on {hostname}: {r}", ts))
                        stats["failed"] = stats.get("failed", 0) + len(host_actions[hostname])
                        continue
                    if isinstance(r, BaseException):
                        raise r
                    outcomes, daemons, inv = r
                    cached[hostname] = [ls_entry_to_cache(hostname, e, ts) for e in daemons]
                    if inv is not None:
                        invs[hostname] = inv
                    offline[hostname] = None
                    removed = []
                    for kind, subject, service, error in outcomes:
                        if error is not None:
                            stats["failed"] = stats.get("failed", 0) + 1
                            verb = {"deploy": "placing", "osd": "creating OSDs",
                                    "remove": "removing", "reconfig": "reconfiguring"}[kind]
                            events.append(EventRow("service", service, "ERROR",
                                                   f"Failed while {verb} {subject} on {hostname}: {error}", ts))
                            continue
                        key = {"deploy": "deployed", "osd": "osds_created", "remove": "removed",
                               "reconfig": "reconfigured"}[kind]
                        if kind == "remove":
                            removed.append(subject)
                            stats[key] = stats.get(key, 0) + 1
                        elif kind == "osd":
                            for name in subject:
                                events.append(EventRow("daemon", name, "INFO",
                                                       f"Deployed {name} on host '{hostname}'", ts))
                            stats[key] = stats.get(key, 0) + len(subject)
                        else:
                            word = "Deployed" if kind == "deploy" else "Reconfigured"
                            events.append(EventRow("daemon", subject, "INFO",
                                                   f"{word} {subject} on host '{hostname}'", ts))
                            stats[key] = stats.get(key, 0) + 1
                    if removed:
                        self.store.remove_events("daemon", removed)
                self.store.replace_daemons_of_hosts(cached, ts)
                self.remember_devices(invs)
                self.store.set_hosts_checked(offline)
                self.add_events(events)
            done += sum(len(host_actions[h.hostname]) for h in batch)
            self.report("Converging", done, total)

    def act_on_host(self, host: "HostSpec", actions: List[Tuple[str, Any, Any]]) -> Tuple[Any, ...]:
        """One host's actions in order; HostUnreachable aborts the host (the caller marks it
        offline), a failed action is recorded and the next one still runs."""
        outcomes: List[Tuple[str, Any, str, Optional[str]]] = []
        touched_devices = False
        for kind, a, b in actions:
            try:
                if kind == "deploy" or kind == "reconfig":
                    self.driver.deploy_daemon(host, a)
                    outcomes.append((kind, a.name, a.service_name, None))
                elif kind == "remove":
                    self.driver.remove_daemon(host, a.name(), force=True)
                    outcomes.append((kind, a.name(), a.service_name(), None))
                elif kind == "osd":
                    touched_devices = True
                    osd_plan = b
                    a.osd_ids = self.cluster.allocate_osd_ids(host.hostname, osd_plan.count,
                                                              osd_plan.claims)
                    created = self.driver.prepare_osds(host, a)
                    outcomes.append((kind, [e["name"] for e in created], a.service_name, None))
            except HostActionError as e:
                subject = a.name() if kind == "remove" else getattr(a, "name", "osd")
                service = a.service_name() if kind == "remove" else a.service_name
                outcomes.append((kind, subject, service, e.reason))
            self.count_action()
        daemons = self.driver.list_daemons(host)
        inv = self.driver.inventory(host) if touched_devices else None
        return outcomes, daemons, inv

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
