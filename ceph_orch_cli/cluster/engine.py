"""``ClusterOrchestrator``: the Orchestrator of every host-based backend.

It mirrors cephadm's mgr module without the mgr: the store (``store.py``) replaces the mon
config-key store, the ``HostDriver`` replaces cephadm's SSH + host binary, the
``CephCluster`` replaces mon commands, and ``reconcile_pass()`` is one turn of cephadm's
serve loop (refresh hosts, converge every spec, run the workflow steps).

Mutating calls store the intent first (one transaction), then converge in the foreground
while holding the state directory's converge lock, so two ``orch`` processes never place
the same daemon twice and an interrupted converge is finished by the next command or pass.

The long workflows live in their own modules as mixins over this engine's plumbing:
``osd_removal.OsdRemovalMixin`` (``orch osd rm``), ``upgrade.UpgradeMixin`` and
``maintenance.MaintenanceMixin`` (maintenance, drain); their per-pass steps are registered
in ``_workflow_steps``. Hooks they (and backends) use:
- ``self._workflow_steps``: callables run once per ``reconcile_pass()`` after convergence
  (unless paused), each returning a JSON-able summary (or None when it did nothing); the
  summary lands under its ``__name__`` in the pass's result.
- ``self._commit_hooks``: called inside the transaction that records a batch of host
  actions (backends that buffer simulated state flush it there).
- ``self._reload_hooks``: called after taking the converge lock, to drop buffered state
  another process may have changed.
- Store tables ``osd_removal_queue`` and ``upgrade_state`` (see ``store.py``).
"""
from __future__ import annotations

import datetime
import errno
import fcntl
import gc
import logging
import os
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from ceph_orch_cli.cluster import reconcile
from ceph_orch_cli.cluster.ceph import CephCluster
from ceph_orch_cli.cluster.driver import (DeployRequest, HostActionError, HostDriver,
                                          HostUnreachable)
from ceph_orch_cli.cluster.maintenance import MaintenanceMixin
from ceph_orch_cli.cluster.naming import is_valid_daemon_name, unique_daemon_id
from ceph_orch_cli.cluster.osd_removal import OsdRemovalMixin
from ceph_orch_cli.cluster.store import EventRow, Store, now_str
from ceph_orch_cli.cluster.upgrade import UpgradeMixin
from ceph_orch_cli.deployment.hostspec import SpecValidationError
from ceph_orch_cli.deployment.service_spec import allow_colo
from ceph_orch_cli.orchestrator import (DaemonDescription, DaemonDescriptionStatus,
                                        InventoryHost, Orchestrator, OrchestratorEvent,
                                        ServiceDescription, handle_orch_error,
                                        service_to_daemon_types)
from ceph_orch_cli.orchestrator.errors import OrchestratorError, OrchestratorValidationError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.deployment.drive_group import DriveGroupSpec
    from ceph_orch_cli.deployment.hostspec import HostSpec
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    from ceph_orch_cli.deployment.tuned_profile import TunedProfileSpec
    from ceph_orch_cli.orchestrator import DeviceLightLoc, InventoryFilter

logger = logging.getLogger(__name__)

ADMIN_LABEL = "_admin"
#: cephadm's mgr/cephadm/max_count_per_host default
MAX_COUNT_PER_HOST = 10
#: hosts acted on per recorded batch (one transaction each)
BATCH_HOSTS = 256
#: devices and facts are re-read when older than this (cephadm's cache timeouts)
DEVICE_CACHE_TIMEOUT = 1800
FACTS_CACHE_TIMEOUT = 60
#: the environment variable that makes the engine die (exit 137) after N host actions;
#: crash-safety tests use it to stop a converge at a chosen point
CRASH_AFTER_ENV = "ORCH_TEST_CRASH_AFTER"

#: daemon types whose image follows the cluster's Ceph image (redeploy --image allowed)
CEPH_IMAGE_TYPES = ("mgr", "mon", "crash", "osd", "mds", "rgw", "rbd-mirror", "cephfs-mirror",
                    "ceph-exporter", "iscsi", "nfs", "nvmeof")

DEFAULT_PLACEMENTS = {
    "mon": {"count": 5}, "mgr": {"count": 2}, "mds": {"count": 2}, "rgw": {"count": 2},
    "ingress": {"count": 2}, "iscsi": {"count": 1}, "nvmeof": {"count": 1},
    "rbd-mirror": {"count": 2}, "cephfs-mirror": {"count": 1}, "nfs": {"count": 1},
    "grafana": {"count": 1}, "alertmanager": {"count": 1}, "prometheus": {"count": 1},
    "node-exporter": {"host_pattern": "*"}, "ceph-exporter": {"host_pattern": "*"},
    "loki": {"count": 1}, "promtail": {"host_pattern": "*"}, "alloy": {"host_pattern": "*"},
    "crash": {"host_pattern": "*"}, "container": {"count": 1}, "snmp-gateway": {"count": 1},
    "smb": {"count": 1}, "mgmt-gateway": {"count": 1}, "oauth2-proxy": {"count": 1},
}

_STATE_TO_STATUS = {"running": DaemonDescriptionStatus.running,
                    "stopped": DaemonDescriptionStatus.stopped,
                    "error": DaemonDescriptionStatus.error,
                    "unknown": DaemonDescriptionStatus.error,
                    "starting": DaemonDescriptionStatus.starting}


def _parse_ts(value: Optional[str]) -> Optional[datetime.datetime]:
    if not value:
        return None
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


class _TimestampMemo(dict):
    """Daemons deployed in one batch share their timestamps: parse each string once."""

    def __missing__(self, key: str) -> Optional[datetime.datetime]:
        value = self[key] = _parse_ts(key)
        return value


#: ls ``state`` -> (status int, status_desc)
_STATE_TO_PAIR = {k: (int(v), v.name) for k, v in _STATE_TO_STATUS.items()}
_ERROR_PAIR = (int(DaemonDescriptionStatus.error), DaemonDescriptionStatus.error.name)
#: cache keys copied from the ls entry as they are, in DaemonDescription.to_json order
_COPIED_HEAD = ("container_image_id", "container_image_name", "container_image_digests",
                "memory_usage", "memory_request", "memory_limit", "cpu_percentage", "version")


def ls_entry_to_cache(hostname: str, entry: Dict[str, Any], refreshed: str) -> Dict[str, Any]:
    """A cephadm ``ls`` entry as the DaemonDescription JSON the cache holds
    (cephadm's ``_process_ls_output``): ``to_json`` keys and order, None values left out.
    Runs once per daemon per refresh, so it is written for speed."""
    get = entry.get
    name = entry["name"]
    daemon_type, daemon_id = name.split(".", 1)
    affinity = get("osdspec_affinity")
    if daemon_type == "osd":
        service_name = f"osd.{affinity}" if affinity and affinity != "None" else "osd"
    else:
        service_name = get("service_name")
    out: Dict[str, Any] = {"daemon_type": daemon_type, "daemon_id": daemon_id}
    if service_name is not None:
        out["service_name"] = service_name
    out["daemon_name"] = name
    out["hostname"] = hostname
    container_id = get("container_id")
    if container_id:
        out["container_id"] = container_id[:12]
    for key in _COPIED_HEAD:
        value = get(key)
        if value is not None:
            out[key] = value
    out["status"], out["status_desc"] = _STATE_TO_PAIR.get(get("state") or "unknown", _ERROR_PAIR)
    if daemon_type == "osd":
        out["osdspec_affinity"] = affinity or "None"
    out["is_active"] = False
    for key, value in (("ports", get("ports") or None), ("ip", get("ip")),
                       ("rank", get("rank")), ("rank_generation", get("rank_generation")),
                       ("systemd_unit", get("systemd_unit")), ("last_refresh", refreshed),
                       ("created", get("created")), ("started", get("started")),
                       ("last_deployed", get("deployed") or get("last_deployed")),
                       ("last_configured", get("configured") or get("last_configured")),
                       ("extra_container_args", get("extra_container_args") or None),
                       ("extra_entrypoint_args", get("extra_entrypoint_args") or None)):
        if value is not None:
            out[key] = value
    return out


_DATE_KEYS = ("last_refresh", "created", "started", "last_deployed", "last_configured")
_STATUSES = {int(s): s for s in DaemonDescriptionStatus}


def _failed_part(part: Any) -> bool:
    """A ``refresh_host`` part that failed on a reachable host: ``{"error": reason}``."""
    return not isinstance(part, dict) or set(part) == {"error"}


def _part_error(part: Any) -> str:
    return str(part.get("error")) if isinstance(part, dict) else f"unexpected answer {part!r}"


def dd_from_cache(d: Dict[str, Any], events: Optional[List[OrchestratorEvent]] = None,
                  memo: Optional[Dict[str, Optional[datetime.datetime]]] = None) -> DaemonDescription:
    """A cached daemon as a DaemonDescription; the fast path of ``from_json`` (``orch ps``
    on 100k daemons parses dates with ``fromisoformat``, once per distinct string)."""
    c = d  # the caller's dict is a fresh json.loads result: consumed here
    c.pop("daemon_name", None)
    status = c.pop("status", None)
    parse = memo.__getitem__ if memo is not None else _parse_ts
    for key in _DATE_KEYS:
        if key in c:
            c[key] = parse(c[key])
    c.pop("events", None)
    return DaemonDescription(status=_STATUSES.get(status) if status is not None else None,
                             events=events, **c)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Converging a large cluster allocates hundreds of thousands of small dicts that live
    until the end; the cyclic collector would rescan them again and again for nothing
    (reference counting still frees everything)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class ClusterOrchestrator(OsdRemovalMixin, UpgradeMixin, MaintenanceMixin, Orchestrator):
    """The engine over a Store, a HostDriver and a CephCluster; see the module docstring."""

    backend_name = "cluster"

    def __init__(self, store: Store, driver: HostDriver, cluster: CephCluster) -> None:
        self.store = store
        self.driver = driver
        self.cluster = cluster
        self._progress: Optional[Callable[[str, int, int], None]] = None
        self._workflow_steps: List[Callable[[], Any]] = [
            self.osd_removal_step, self.drain_step, self.upgrade_step]
        self._commit_hooks: List[Callable[[], None]] = []
        self._reload_hooks: List[Callable[[], None]] = []
        self._actions_done = 0
        crash = os.environ.get(CRASH_AFTER_ENV)
        self._crash_after: Optional[int] = int(crash) if crash else None
        self._lock_depth = 0
        #: parsed device cache: hostname -> (last_refresh, [Device]); re-read when the
        #: store's refresh time differs (another process refreshed the host)
        self._devices_mem: Dict[str, Tuple[str, List[Any]]] = {}

    # ================================================================ plumbing
    def set_progress(self, callback: Optional[Callable[[str, int, int], None]]) -> None:
        """Report convergence as ``callback(description, completed, total)``."""
        self._progress = callback

    def _report(self, description: str, completed: int, total: int) -> None:
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
    def _converge_lock(self) -> Iterator[None]:
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
            for hook in self._reload_hooks:
                hook()
            try:
                yield
            finally:
                self._lock_depth = 0
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _commit(self) -> None:
        for hook in self._commit_hooks:
            hook()

    def _count_action(self) -> None:
        self._actions_done += 1
        if self._crash_after is not None and self._actions_done >= self._crash_after:
            os._exit(137)  # test hook: die like kill -9, mid-converge, nothing flushed

    def _fsid(self) -> str:
        return self.cluster.fsid()

    def _ceph_image(self, daemon_type: Optional[str] = None) -> str:
        """The image new daemons get: the type's own target (set per config section by a
        staggered upgrade, as cephadm's ``container_image`` per section) or the global one."""
        if daemon_type is not None:
            per_type = self._ceph_images()
            if daemon_type in per_type:
                return per_type[daemon_type]
        return self.store.get_setting("container_image", reconcile.DEFAULT_IMAGE)

    def _memory_targets(self) -> Dict[str, int]:
        """``mon_memory_target``/``osd_memory_target`` when set (cluster config options)."""
        out = {}
        for dtype in reconcile.MEMORY_TARGET_DEFAULTS:
            value = self.store.get_setting(f"{dtype}_memory_target", None)
            if value is not None:
                out[dtype] = int(value)
        return out

    def _ceph_images(self) -> Dict[str, str]:
        return dict(self.store.get_setting("container_image_by_type", {}) or {})

    def _paused(self) -> bool:
        return bool(self.store.get_setting("paused", False))

    # ================================================================ reading state
    def _host_specs(self) -> List["HostSpec"]:
        from ceph_orch_cli.deployment.hostspec import HostSpec
        out = []
        for row in self.store.get_hosts():
            spec = HostSpec.from_json(dict(row.spec))
            if row.offline_reason and spec.status.lower() != "maintenance":
                spec.status = "offline"
            out.append(spec)
        return out

    def _host(self, hostname: str) -> "HostSpec":
        spec = self._maybe_host(hostname)
        if spec is None:
            raise OrchestratorError(f"host {hostname} does not exist", errno=-errno.ENOENT)
        return spec

    def _maybe_host(self, hostname: str) -> Optional["HostSpec"]:
        from ceph_orch_cli.deployment.hostspec import HostSpec
        row = self.store.get_host(hostname)
        if row is None:
            return None
        spec = HostSpec.from_json(dict(row.spec))
        if row.offline_reason and spec.status.lower() != "maintenance":
            spec.status = "offline"
        return spec

    @staticmethod
    def _spec_from_json(data: Dict[str, Any]) -> "ServiceSpec":
        from ceph_orch_cli.deployment.service_spec import (ServiceSpec,
                                                           service_spec_allow_invalid_from_json)
        with service_spec_allow_invalid_from_json():
            return ServiceSpec.from_json(dict(data))

    def _daemons(self, **filters: Optional[str]) -> List[DaemonDescription]:
        memo = _TimestampMemo()
        return [dd_from_cache(d, None, memo) for d in self.store.get_daemons(**filters)]

    def _cluster_state(self, devices_needed: bool = True) -> reconcile.ClusterState:
        """What planning needs; ``devices_needed=False`` skips the inventories when no OSD
        spec is being planned (on a large fleet they are most of the work)."""
        devices = self._device_map() if devices_needed else {}
        networks = {h: nets for h, (_, nets, _) in self.store.get_facts().items()}
        memo = _TimestampMemo()
        # OSDs (most daemons of a large cluster) enter planning as counts, not objects
        daemons = [dd_from_cache(d, None, memo) for d in self.store.get_daemons_except("osd")]
        return reconcile.ClusterState(
            hosts=self._host_specs(), daemons=daemons, devices=devices,
            osd_counts=self.store.count_daemons_by_service_host("osd"),
            networks=networks, destroyed_osds=self.cluster.destroyed_osds(), fsid=self._fsid(),
            ceph_image=self._ceph_image(), ceph_images=self._ceph_images(),
            mon_public_network=str(self.store.get_setting("mon_public_network", "") or ""),
            memory_targets=self._memory_targets(),
            upgrade_in_progress=bool((self.store.get_upgrade_state() or {}).get("target_image")))

    def _remember_devices(self, inventories: Dict[str, List[Dict[str, Any]]]) -> None:
        """Store inventories and keep them for this process's next plan (parsed only if
        a plan asks: an apply that ends after acting never pays for it)."""
        ts = self.store.put_devices(inventories)
        for host, inv in inventories.items():
            self._devices_mem[host] = (ts, inv)

    def _device_map(self) -> Dict[str, List[Any]]:
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
        return {h: devs for h, (_, devs) in mem.items()}

    # ================================================================ refresh
    def _refresh(self, hosts: Sequence["HostSpec"], force: bool = False) -> Dict[str, Optional[str]]:
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
            parsed = _parse_ts(ts)
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
        with self._converge_lock(), _no_cyclic_gc():
            # in batches: a 5,000-host refresh never holds every host's inventory at once
            for start in range(0, len(hosts), BATCH_HOSTS):
                results = self.driver.map_hosts(one, hosts[start:start + BATCH_HOSTS])
                checked.update(self._record_refresh(results))
        return checked

    def _record_refresh(self, results: Dict[str, Any]) -> Dict[str, Optional[str]]:
        checked: Dict[str, Optional[str]] = {}
        ts = now_str()
        invs: Dict[str, Any] = {}
        facts: Dict[str, Any] = {}
        fsid = self._fsid()
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
            self._remember_devices(invs)
            self.store.put_facts(facts)
            self.store.set_hosts_checked(checked)
        return checked

    # ================================================================ converge
    def _events(self, events: List[EventRow]) -> None:
        if events:
            self.store.add_events(events)

    def _converge(self) -> Dict[str, int]:
        """Schedule, diff and act on every managed spec; one transaction per host batch."""
        stats: Dict[str, int] = {}
        if self._paused():
            return stats
        with self._converge_lock(), _no_cyclic_gc():
            return self._converge_locked(stats)

    def _converge_locked(self, stats: Dict[str, int]) -> Dict[str, int]:
        rows = self.store.get_specs(include_deleted=True)
        if not rows:
            return stats
        active = [r for r in rows if not r.deleted]
        specs = [self._spec_from_json(r.spec) for r in active]
        state = self._cluster_state(any(s.service_type == "osd" and not s.unmanaged
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
        self._events(events)

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
            removals = self._ok_to_stop_subset(plan.remove)
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

    def _ok_to_stop_subset(self, remove: List[DaemonDescription]) -> List[DaemonDescription]:
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
        specs_by_host = {h.hostname: h for h in self._host_specs()}
        total = sum(len(v) for v in host_actions.values())
        done = 0
        names = [h for h in host_actions if h in specs_by_host]
        cancel_before = self.store.get_setting("cancel_requested")
        self._report("Converging", 0, total)
        for start in range(0, len(names), BATCH_HOSTS):
            if self.store.get_setting("cancel_requested") != cancel_before:
                break
            batch = [specs_by_host[h] for h in names[start:start + BATCH_HOSTS]]
            results = self.driver.map_hosts(lambda h: self._act_on_host(h, host_actions[h.hostname]),
                                            batch)
            events: List[EventRow] = []
            ts = now_str()
            offline: Dict[str, Optional[str]] = {}
            cached: Dict[str, List[Dict[str, Any]]] = {}
            invs: Dict[str, List[Dict[str, Any]]] = {}
            with self.store.transaction():
                self._commit()
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
                self._remember_devices(invs)
                self.store.set_hosts_checked(offline)
                self._events(events)
            done += sum(len(host_actions[h.hostname]) for h in batch)
            self._report("Converging", done, total)

    def _act_on_host(self, host: "HostSpec", actions: List[Tuple[str, Any, Any]]) -> Tuple[Any, ...]:
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
            self._count_action()
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
        with self._converge_lock(), _no_cyclic_gc():
            hosts = self._host_specs()
            was_offline = {h.hostname for h in hosts if h.status == "offline"}
            checked = self._refresh(hosts)
            went_offline = sorted(h for h, r in checked.items() if r and h not in was_offline)
            came_back = sorted(h for h, r in checked.items() if not r and h in was_offline)
            if went_offline:
                summary["offline"] = went_offline
            if came_back:
                summary["online"] = came_back
            self.cluster.osd_tick()
            with self.store.transaction():
                self._commit()
            if self._paused():
                summary["paused"] = True
                return summary
            stats = self._converge_locked({})
            summary.update({k: v for k, v in stats.items() if v})
            for step in self._workflow_steps:
                result = step()
                if result:
                    summary[getattr(step, "__name__", repr(step))] = result
        return summary

    # ================================================================ utility
    def available(self) -> Tuple[bool, str, Dict[str, Any]]:
        return True, "", {"paused": self._paused(), "workers": self.driver.max_workers}

    def pause(self) -> None:
        self.store.set_setting("paused", True)

    def resume(self) -> None:
        self.store.set_setting("paused", None)

    def cancel_completions(self) -> None:
        """Ask a converge running in another process to stop after its current host batch."""
        self.store.set_setting("cancel_requested", now_str())

    # ================================================================ hosts
    def _check_reachable(self, spec: "HostSpec") -> None:
        try:
            info = self.driver.check_host(spec)
        except HostUnreachable as e:
            raise OrchestratorError(
                f"Failed to connect to {spec.hostname} ({spec.addr}): {e.reason}. "
                "Please make sure that the host is reachable and accepts connections using "
                "the orch SSH key")
        except HostActionError as e:
            raise OrchestratorError(f"New host {spec.hostname} ({spec.addr}) failed check(s): "
                                    f"['{e.reason}']")
        seen = (info or {}).get("hostname")
        if seen and seen != spec.hostname:
            raise OrchestratorError(
                f"New host {spec.hostname} ({spec.addr}) failed check(s): "
                f"['hostname \"{seen}\" does not match expected hostname \"{spec.hostname}\"']")

    def _store_host(self, spec: "HostSpec") -> None:
        """Add the host, or merge into the known one (new addr, more labels), as cephadm."""
        if self.store.get_host(spec.hostname) is None:
            self.store.put_host(spec.to_json())
        else:
            def merge(cur: Dict[str, Any]) -> Dict[str, Any]:
                cur["addr"] = spec.addr
                cur["labels"] = list(dict.fromkeys(list(cur.get("labels") or []) + spec.labels))
                if spec.status:
                    cur["status"] = spec.status
                if spec.location:
                    cur["location"] = spec.location
                return cur
            self.store.update_host(spec.hostname, merge)
        self.store.set_host_offline(spec.hostname, None)

    def _add_hosts(self, specs: List["HostSpec"], stop_at_error: bool) -> List[Any]:
        """Check hosts in parallel, store those that answer in one transaction, read them.

        Returns, per spec, the "Added host" message or the exception. With
        ``stop_at_error`` nothing after the first failure is stored.
        """
        outcome: List[Any] = []
        valid: List["HostSpec"] = []
        for spec in specs:
            try:
                spec.validate()
                valid.append(spec)
                outcome.append(None)
            except SpecValidationError as e:  # a spec error is that host's result line
                outcome.append(e)
        checks = self.driver.map_hosts(self._check_reachable, valid)
        to_store = []
        for i, spec in enumerate(specs):
            if outcome[i] is None:
                r = checks.get(spec.hostname)
                outcome[i] = r if isinstance(r, BaseException) else \
                    f"Added host '{spec.hostname}' with addr '{spec.addr}'"
            if isinstance(outcome[i], BaseException):
                if stop_at_error:
                    outcome = outcome[:i + 1]
                    break
                continue
            to_store.append(spec)
        with self.store.transaction():
            for spec in to_store:
                self._store_host(spec)
        if to_store:
            wanted = {s.hostname for s in to_store}
            self._refresh([h for h in self._host_specs() if h.hostname in wanted], force=True)
        return outcome

    @handle_orch_error
    def add_host(self, host_spec: "HostSpec") -> str:
        result = self._add_hosts([host_spec], stop_at_error=True)[0]
        if isinstance(result, BaseException):
            raise result
        self._converge()
        return result

    @handle_orch_error
    def remove_host(self, host: str, force: bool = False, offline: bool = False,
                    rm_crush_entry: bool = False) -> str:
        spec = self._host(host)
        is_offline = spec.status == "offline"
        if offline and not force:
            raise OrchestratorError("Removing an offline host requires --force")
        if offline and not is_offline:
            raise OrchestratorError(f"{host} is online, please remove host without --offline.")
        if is_offline and not offline:
            raise OrchestratorError(f"{host} is offline, please use --offline and --force to "
                                    "remove this host. This can potentially cause data loss")
        if not force and ADMIN_LABEL in spec.labels:
            admins = [h for h in self._host_specs() if ADMIN_LABEL in h.labels]
            if len(admins) == 1:
                raise OrchestratorError(
                    f"Host {host} is the last host with the '{ADMIN_LABEL}' label. Please add "
                    f"the '{ADMIN_LABEL}' label to a host or add --force to remove this host.")
        daemons = self._daemons(hostname=host)
        if not offline and not force and daemons:
            table = "type                 id             \n-------------------- ---------------\n"
            for d in daemons:
                table += "{:<20} {:<15}\n".format(d.daemon_type, d.daemon_id)
            raise OrchestratorValidationError(
                f"Not allowed to remove {host} from cluster. The following daemons are running "
                f"in the host:\n{table}\nPlease run 'ceph orch host drain {host}' to remove "
                "daemons from host")
        with self._converge_lock():
            if offline:
                for d in daemons:
                    if d.daemon_type == "osd":
                        self.cluster.purge_osd(int(d.daemon_id or 0))
            with self.store.transaction():
                self._commit()
                self.store.remove_host(host)
        return f"Removed {'offline' if offline else ''} host '{host}'"

    @handle_orch_error
    def get_hosts(self) -> List["HostSpec"]:
        return self._host_specs()

    @handle_orch_error
    def update_host_addr(self, host: str, addr: str) -> str:
        spec = self._host(host)
        spec.addr = addr
        self._check_reachable(spec)
        self.store.update_host(host, lambda cur: dict(cur, addr=addr))
        self.store.set_host_offline(host, None)
        return f"Updated host '{host}' addr to '{addr}'"

    @handle_orch_error
    def add_host_label(self, host: str, label: str) -> str:
        def change(cur: Dict[str, Any]) -> Optional[Dict[str, Any]]:
            labels = list(cur.get("labels") or [])
            if label in labels:
                return None
            cur["labels"] = labels + [label]
            return cur
        if self.store.update_host(host, change) is None:
            raise OrchestratorError(f"host {host} does not exist", errno=-errno.ENOENT)
        self._converge()
        return f"Added label {label} to host {host}"

    @handle_orch_error
    def remove_host_label(self, host: str, label: str, force: bool = False) -> str:
        spec = self._host(host)
        if label not in spec.labels:
            return (f"Host {host} does not have label '{label}'. Please use 'ceph orch host ls' "
                    "to list all the labels.")
        if label == ADMIN_LABEL and not force:
            admins = [h for h in self._host_specs() if ADMIN_LABEL in h.labels]
            if len(admins) == 1:
                raise OrchestratorError(
                    f"Host {host} is the last host with the '{ADMIN_LABEL}' label.\nRemoving the "
                    f"{ADMIN_LABEL} label from this host could cause the removal or corruption of "
                    "the ceph.conf and keyring files on all hosts. Please add the label to "
                    "another host first or use --force to remove it anyway.")

        def change(cur: Dict[str, Any]) -> Dict[str, Any]:
            cur["labels"] = [x for x in cur.get("labels") or [] if x != label]
            return cur
        self.store.update_host(host, change)
        self._converge()
        return f"Removed label {label} from host {host}"

    @handle_orch_error
    def get_facts(self, hostname: Optional[str] = None) -> List[Dict[str, Any]]:
        hosts = [self._host(hostname)] if hostname else self._host_specs()
        cached = self.store.get_facts(hostname)
        missing = [h for h in hosts if h.hostname not in cached]
        if missing:
            self._refresh(missing, force=True)
            cached = self.store.get_facts(hostname)
        return [cached[h.hostname][0] for h in hosts if h.hostname in cached]

    @handle_orch_error
    def host_ok_to_stop(self, hostname: str) -> str:
        if self._maybe_host(hostname) is None:
            raise OrchestratorError(f'Cannot find host "{hostname}"')
        by_type: Dict[str, List[str]] = {}
        for d in self._daemons(hostname=hostname):
            by_type.setdefault(d.daemon_type or "", []).append(d.daemon_id or "")
        notes: List[str] = []
        for dtype, ids in sorted(by_type.items()):
            r = self.cluster.ok_to_stop(dtype, ids)
            if not r.ok:
                raise OrchestratorError(r.message, errno=-errno.EBUSY)
            notes.extend(r.notes)
        msg = f"It is presumed safe to stop host {hostname}"
        return "\n".join([msg] + notes)

    @handle_orch_error
    def rescan_host(self, hostname: str) -> str:
        host = self._maybe_host(hostname)
        if host is None:
            raise OrchestratorError(f"Cannot find host '{hostname}' in the inventory.")
        start = time.monotonic()
        checked = self._refresh([host], force=True)
        if checked.get(hostname):
            raise OrchestratorError(f"Unable to rescan {hostname}: {checked[hostname]}")
        devices, _ = self.store.get_devices(hostname).get(hostname, ([], ""))
        return (f"Ok. {len(devices)} devices detected: {len(devices)} rescanned, 0 skipped, "
                f"0 failed ({time.monotonic() - start:.2f}s)")

    # ================================================================ devices
    @handle_orch_error
    def get_inventory(self, host_filter: Optional["InventoryFilter"] = None,
                      refresh: bool = False) -> List[InventoryHost]:
        from ceph_orch_cli.deployment.inventory import Devices
        hosts = self._host_specs()
        if host_filter is not None and host_filter.hosts:
            wanted = set(host_filter.hosts)
            hosts = [h for h in hosts if h.hostname in wanted]
        if host_filter is not None and host_filter.labels:
            hosts = [h for h in hosts if set(host_filter.labels) & set(h.labels)]
        if refresh:
            self._refresh(hosts, force=True)
        cached = self.store.get_devices()
        out = []
        for h in hosts:
            if h.hostname not in cached:
                continue
            inv, ts = cached[h.hostname]
            for dev in inv:
                dev.setdefault("created", ts)
            out.append(InventoryHost(h.hostname, Devices.from_json(inv), h.labels, h.addr))
        return out

    @handle_orch_error
    def zap_device(self, host: str, path: str) -> str:
        spec = self._maybe_host(host)
        if spec is None:
            raise OrchestratorError(f"Host '{host}' is not a member of the cluster")
        inv, _ = self.store.get_devices(host).get(host, ([], ""))
        dev = next((d for d in inv if d.get("path") == path), None)
        if dev is None:
            raise OrchestratorError(f"Device path '{path}' not found on host '{host}'")
        osd_ids = sorted({str(lv.get("osd_id")) for lv in dev.get("lvs") or []
                          if lv.get("osd_id") is not None})
        live = {d.daemon_id for d in self._daemons(hostname=host, daemon_type="osd")}
        active = [f"osd.{i}" for i in osd_ids if i in live]
        if active:
            plural = "s" if len(active) > 1 else ""
            raise OrchestratorError(
                f"Unable to zap: device '{path}' on {host} has {len(active)} active "
                f"OSD{plural} ({', '.join(active)}). Use 'ceph orch osd rm' first.")
        with self._converge_lock():
            try:
                self.driver.zap_device(spec, path)
                inv = self.driver.inventory(spec)
            except HostUnreachable as e:
                self.store.set_host_offline(host, e.reason)
                raise
            with self.store.transaction():
                self._commit()
                self._remember_devices({host: inv})
        return f"zap successful for {path} on {host}"

    @handle_orch_error
    def blink_device_light(self, ident_fault: str, on: bool,
                           locations: List["DeviceLightLoc"]) -> List[str]:
        out = []
        with self._converge_lock():
            for loc in locations:
                spec = self._host(loc.host)
                self.driver.set_light(spec, ident_fault, on, loc.path or loc.dev)
                out.append(f"Set {ident_fault} light for {loc.host}:{loc.path or loc.dev} "
                           f"{'on' if on else 'off'}")
            with self.store.transaction():
                self._commit()
        return out

    # ================================================================ services
    @handle_orch_error
    def describe_service(self, service_type: Optional[str] = None,
                         service_name: Optional[str] = None,
                         refresh: bool = False) -> List[ServiceDescription]:
        if refresh:
            with self._converge_lock():
                self._refresh(self._host_specs())
        rows = {r.service_name: r for r in self.store.get_specs(include_deleted=True)}
        events = self.store.get_events("service")
        by_service: Dict[str, List[Dict[str, Any]]] = {}
        for d in self.store.get_daemons():
            by_service.setdefault(d.get("service_name") or "", []).append(d)
        hosts = [h for h in self._host_specs() if reconcile.DRAIN_LABEL not in h.labels]
        out: List[ServiceDescription] = []
        for name in sorted(set(rows) | set(by_service)):
            row = rows.get(name)
            if row is not None:
                spec = self._spec_from_json(row.spec)
            else:
                spec = self._spec_without_row(name)
                if spec is None:
                    continue
            if service_type and spec.service_type != service_type:
                continue
            if service_name and name != service_name:
                continue
            dds = by_service.get(name, [])
            if spec.service_type == "osd" or row is None:
                size = len(dds)
            else:
                size = spec.placement.get_target_count(hosts)
                if spec.service_type == "ingress" and not getattr(spec, "keepalive_only", False):
                    size *= 2  # a haproxy and a keepalived per host, as cephadm counts
            refreshes = [d["last_refresh"] for d in dds if d.get("last_refresh")]
            first = dds[0] if dds else {}
            evs = [OrchestratorEvent(e.created, e.kind, e.subject, e.level, e.message)
                   for e in events.get(("service", name), [])]
            ports = spec.get_port_start() if dds or row is not None else []
            out.append(ServiceDescription(
                spec=spec, container_image_id=first.get("container_image_id"),
                container_image_name=first.get("container_image_name"),
                last_refresh=_parse_ts(min(refreshes)) if refreshes else None,
                created=_parse_ts(row.created) if row else None,
                deleted=_parse_ts(row.deleted) if row and row.deleted else None,
                size=size, running=sum(1 for d in dds if d.get("status") == 1),
                events=evs, virtual_ip=spec.get_virtual_ip(), ports=ports))
        return out

    def _spec_without_row(self, name: str) -> Optional["ServiceSpec"]:
        """An unmanaged placeholder for daemons whose service has no stored spec."""
        stype, _, sid = name.partition(".")
        try:
            return self._spec_from_json({"service_type": stype, "service_id": sid or None,
                                         "unmanaged": True})
        except (OrchestratorError, ValueError, TypeError, KeyError) as e:
            logger.debug("no placeholder spec for %s: %s", name, e)
            return None

    @handle_orch_error
    def list_daemons(self, service_name: Optional[str] = None, daemon_type: Optional[str] = None,
                     daemon_id: Optional[str] = None, host: Optional[str] = None,
                     refresh: bool = False) -> List[DaemonDescription]:
        if refresh:
            with self._converge_lock():
                hosts = self._host_specs()
                if host:
                    hosts = [h for h in hosts if h.hostname == host]
                self._refresh(hosts)
        rows = self.store.get_daemons(hostname=host, service_name=service_name,
                                      daemon_type=daemon_type, daemon_id=daemon_id)
        memo = _TimestampMemo()
        events = self._daemon_events(rows, memo)
        out = []
        with _no_cyclic_gc():
            for d in rows:
                out.append(dd_from_cache(d, events.get(d.get("daemon_name", "")), memo))
        return out

    def daemons_json(self, service_name: Optional[str] = None, daemon_type: Optional[str] = None,
                     daemon_id: Optional[str] = None, host: Optional[str] = None) -> List[Dict[str, Any]]:
        """``[DaemonDescription.to_json()]`` straight from the cache, for ``orch ps --format
        json`` on 100k daemons: no objects, no date parsing (not part of Ceph's interface)."""
        rows = self.store.get_daemons(hostname=host, service_name=service_name,
                                      daemon_type=daemon_type, daemon_id=daemon_id)
        found = self.store.event_lines(
            "daemon", None if len(rows) > 20000 else [d.get("daemon_name", "") for d in rows])
        for d in rows:
            # kept in the cache for redeploys, but not part of DaemonDescription.to_json
            d.pop("extra_container_args", None)
            d.pop("extra_entrypoint_args", None)
            evs = found.get(d.get("daemon_name", ""))
            if evs:
                d["events"] = evs
        return rows

    def _daemon_events(self, rows: List[Dict[str, Any]],
                       memo: Dict[str, Any]) -> Dict[str, List[OrchestratorEvent]]:
        if len(rows) > 20000:
            found = self.store.get_events("daemon")
        else:
            found = self.store.get_events_for("daemon", [d.get("daemon_name", "") for d in rows])
        return {subject: [OrchestratorEvent(memo[e.created], e.kind, e.subject, e.level, e.message)
                          for e in evs] for (_, subject), evs in found.items()}

    @handle_orch_error
    def service_action(self, action: str, service_name: str) -> List[str]:
        if self.store.get_spec(service_name) is None and not service_name.startswith("osd"):
            raise OrchestratorError(f'Invalid service name "{service_name}". View currently '
                                    'running services using "ceph orch ls"')
        dds = self._daemons(service_name=service_name)
        if not dds:
            raise OrchestratorError(f'No daemons exist under service name "{service_name}". '
                                    'View currently running services using "ceph orch ls"')
        if action == "stop" and service_name.split(".")[0].lower() in ("mgr", "mon", "osd"):
            return [f"Stopping entire {service_name} service is prohibited."]
        return self._daemon_actions(action, dds, None)

    def _daemon_actions(self, action: str, dds: List[DaemonDescription],
                        image: Optional[str]) -> List[str]:
        hosts = {h.hostname: h for h in self._host_specs()}
        per_host: Dict[str, List[DaemonDescription]] = {}
        for d in dds:
            per_host.setdefault(d.hostname or "", []).append(d)
        fsid, ceph_image, per_type = self._fsid(), self._ceph_image(), self._ceph_images()
        specs = {r.service_name: r for r in self.store.get_specs(include_deleted=True)}

        def one(host: "HostSpec") -> List[Optional[str]]:
            errors: List[Optional[str]] = []
            for d in per_host[host.hostname]:
                try:
                    self._one_daemon_action(host, d, action, image, fsid,
                                            per_type.get(d.daemon_type or "", ceph_image), specs)
                    errors.append(None)
                except HostActionError as e:
                    errors.append(e.reason)
            return errors

        with self._converge_lock():
            results = self.driver.map_hosts(one, [hosts[h] for h in per_host if h in hosts])
            ts = now_str()
            events: List[EventRow] = []
            with self.store.transaction():
                self._commit()
                for hostname, r in results.items():
                    if isinstance(r, HostUnreachable):
                        self.store.set_host_offline(hostname, r.reason)
                        raise OrchestratorError(f"Failed to {action} daemons on {hostname}: {r}")
                    if isinstance(r, BaseException):
                        raise r
                    for d, err in zip(per_host[hostname], r):
                        if err is None:
                            events.append(EventRow("daemon", d.name(), "INFO",
                                                   f"{action} {d.name()} on host '{hostname}'", ts))
                        else:
                            events.append(EventRow("daemon", d.name(), "ERROR",
                                                   f"Failed to {action} {d.name()} on host "
                                                   f"'{hostname}': {err}", ts))
                self._events(events)
            self._refresh([hosts[h] for h in results])
        return [f"Scheduled to {action} {d.name()} on host '{d.hostname}'" for d in dds]

    def _one_daemon_action(self, host: "HostSpec", d: DaemonDescription, action: str,
                           image: Optional[str], fsid: str, ceph_image: str,
                           specs: Dict[str, Any]) -> None:
        if action in ("start", "stop", "restart"):
            self.driver.daemon_unit(host, d.name(), action)
            return
        if action not in ("redeploy", "reconfig", "rotate-key"):
            raise OrchestratorError(f"Unknown daemon action {action}")
        row = specs.get(d.service_name())
        spec = self._spec_from_json(row.spec) if row else None
        use_image = image or d.container_image_name or reconcile.image_for(d.daemon_type or "",
                                                                            ceph_image)
        if spec is not None:
            req = reconcile.reconfig_request(spec, d, fsid, ceph_image)
        else:
            req = DeployRequest(name=d.name(), fsid=fsid, image=use_image,
                                service_name=d.service_name(), ports=list(d.ports or []),
                                ip=d.ip, rank=d.rank, rank_generation=d.rank_generation,
                                reconfig=True)
        req.image = use_image
        req.reconfig = action != "redeploy"
        self.driver.deploy_daemon(host, req)

    @handle_orch_error
    def daemon_action(self, action: str, daemon_name: str, image: Optional[str] = None,
                      force: bool = False) -> str:
        if not is_valid_daemon_name(daemon_name):
            raise OrchestratorError(f"{daemon_name} is not a valid daemon name")
        dtype, did = daemon_name.split(".", 1)
        dds = self._daemons(daemon_type=dtype, daemon_id=did)
        if not dds:
            raise OrchestratorError(f"Unable to find {daemon_name} daemon(s)")
        d = dds[0]
        if image is not None:
            if action != "redeploy":
                raise OrchestratorError(f"Cannot execute {action} with new image. `action` "
                                        "needs to be `redeploy`")
            if dtype not in CEPH_IMAGE_TYPES:
                raise OrchestratorError(f"Cannot redeploy {daemon_name} with a new image: "
                                        f"Supported types are: {', '.join(CEPH_IMAGE_TYPES)}")
        if action in ("stop", "restart") and not force:
            r = self.cluster.ok_to_stop(dtype, [did])
            if not r.ok:
                raise OrchestratorError(f"It is NOT safe to {action} {daemon_name} at this time: "
                                        f"{r.message}\nNote: Warnings can be bypassed with the "
                                        "--force flag", errno=-errno.EBUSY)
        return self._daemon_actions(action, [d], image)[0]

    @handle_orch_error
    def remove_daemons(self, names: List[str]) -> List[str]:
        found: List[DaemonDescription] = []
        for name in names:
            if not is_valid_daemon_name(name):
                continue
            dtype, did = name.split(".", 1)
            found.extend(self._daemons(daemon_type=dtype, daemon_id=did))
        if not found:
            raise OrchestratorError(f"Unable to find daemon(s) {names}")
        hosts = {h.hostname: h for h in self._host_specs()}
        per_host: Dict[str, List[DaemonDescription]] = {}
        for d in found:
            per_host.setdefault(d.hostname or "", []).append(d)
        with self._converge_lock():
            out: List[str] = []
            results = self.driver.map_hosts(
                lambda h: [self.driver.remove_daemon(h, d.name(), force=True)
                           for d in per_host[h.hostname]],
                [hosts[h] for h in per_host if h in hosts])
            with self.store.transaction():
                self._commit()
                for hostname, r in results.items():
                    if isinstance(r, HostUnreachable):
                        self.store.set_host_offline(hostname, r.reason)
                        raise OrchestratorError(f"Failed to remove daemons on {hostname}: {r}")
                    if isinstance(r, BaseException):
                        raise r
                    names_here = [d.name() for d in per_host[hostname]]
                    self.store.delete_daemons(names_here)
                    self.store.remove_events("daemon", names_here)
                    out.extend(f"Removed {n} from host '{hostname}'" for n in names_here)
        return out

    @handle_orch_error
    def remove_service(self, service_name: str, force: bool = False) -> str:
        row = self.store.get_spec(service_name)
        if row is None or row.deleted:
            return (f"Invalid service '{service_name}'. Use 'ceph orch ls' to list available "
                    "services.\n")
        if row.service_type in ("mon", "mgr"):
            return (f"Unable to remove {service_name} service.\nNote, you might want to mark "
                    f'the {service_name} service as "unmanaged"')
        if not force and service_name.startswith("osd."):
            # host by host in the order hosts were added, as cephadm walks its cache
            per_host: Dict[str, List[str]] = {h.hostname: [] for h in self._host_specs()}
            for d in self._daemons(service_name=service_name, daemon_type="osd"):
                per_host.setdefault(d.hostname or "", []).append(f"osd.{d.daemon_id}")
            per_host = {h: ids for h, ids in per_host.items() if ids}
            if per_host:
                msg = "".join(f"\thost {h}: {' '.join(ids)}" for h, ids in per_host.items())
                raise OrchestratorError(f"If {service_name} is removed then the following OSDs "
                                        f"will remain, --force to proceed anyway\n{msg}")
        self.store.mark_spec_deleted(service_name)
        self._converge()
        return f"Removed service {service_name}"

    @handle_orch_error
    def set_unmanaged(self, service_name: str, value: bool) -> str:
        row = self.store.get_spec(service_name)
        if row is None or row.deleted:
            return (f'No service of name {service_name} found. Check "ceph orch ls" for all '
                    "known services")
        if row.unmanaged == value:
            return (f"Service {service_name}{' already ' if value else ' not '}marked "
                    "unmanaged. No action taken.")
        spec = dict(row.spec)
        if value:
            spec["unmanaged"] = True
        else:
            spec.pop("unmanaged", None)
        self.store.put_specs([spec])
        if not value:
            self._converge()
        return f"Set unmanaged to {value} for service {service_name}"

    # ================================================================ apply
    def _validate_service_spec(self, spec: "ServiceSpec") -> None:
        """cephadm's ``_apply_service_spec`` checks, before anything is stored."""
        from ceph_orch_cli.cluster.scheduling import HostAssignment
        from ceph_orch_cli.deployment.service_spec import PlacementSpec

        if spec.placement.is_empty() and spec.service_type in DEFAULT_PLACEMENTS:
            spec.placement = PlacementSpec.from_json(dict(DEFAULT_PLACEMENTS[spec.service_type]))
        elif spec.service_type in ("mon", "mgr") and spec.placement.count is not None \
                and spec.placement.count < 1:
            raise OrchestratorError(f"cannot scale {spec.service_type} service below 1")
        hosts = self._host_specs()
        host_count = len(hosts)
        if spec.placement.count is not None:
            if spec.service_type in ("mon", "mgr"):
                if spec.placement.count > max(5, host_count):
                    raise OrchestratorError(f"The maximum number of {spec.service_type} daemons "
                                            f"allowed with {host_count} hosts is "
                                            f"{max(5, host_count)}.")
            elif spec.service_type != "osd":
                if spec.placement.count > MAX_COUNT_PER_HOST * host_count:
                    raise OrchestratorError(
                        f"The maximum number of {spec.service_type} daemons allowed with "
                        f"{host_count} hosts is {host_count * MAX_COUNT_PER_HOST} "
                        f"({host_count}x{MAX_COUNT_PER_HOST}). This limit can be adjusted by "
                        "changing the mgr/cephadm/max_count_per_host config option")
        if spec.placement.count_per_host is not None and \
                spec.placement.count_per_host > MAX_COUNT_PER_HOST and spec.service_type != "osd":
            raise OrchestratorError(f"The maximum count_per_host allowed is {MAX_COUNT_PER_HOST}. "
                                    "This limit can be adjusted by changing the "
                                    "mgr/cephadm/max_count_per_host config option")
        if spec.service_type == "osd":
            spec.validate()
            return
        state_hosts = [h for h in hosts if reconcile.DRAIN_LABEL not in h.labels]
        HostAssignment(
            spec=spec, hosts=state_hosts,
            unreachable_hosts=[h for h in hosts if h.status in ("offline", "maintenance")],
            draining_hosts=[h for h in hosts if reconcile.DRAIN_LABEL in h.labels],
            daemons=[], allow_colo=allow_colo(reconcile.primary_daemon_type(spec)),
            primary_daemon_type=reconcile.primary_daemon_type(spec),
            per_host_daemon_type=reconcile.per_host_daemon_type(spec)).validate()

    def _store_spec(self, spec: "ServiceSpec", no_overwrite: bool) -> str:
        name = spec.service_name()
        if no_overwrite:
            row = self.store.get_spec(name)
            if row is not None and not row.deleted:
                return (f"Skipped {name} service spec. To change {name} spec omit "
                        "--no-overwrite flag")
        self._validate_service_spec(spec)
        if getattr(spec, "preview_only", False):
            return f"Scheduled {name} update..."
        existed = self.store.get_spec(name)
        self.store.put_specs([spec.to_json()])
        if existed is None or existed.deleted:
            self._events([EventRow("service", name, "INFO", "service was created", now_str())])
        return f"Scheduled {name} update..."

    @handle_orch_error
    def apply(self, specs: Sequence[Any], no_overwrite: bool = False,
              continue_on_error: bool = False) -> List[str]:
        results: List[str] = []
        stored = False
        specs = list(specs)
        i = 0
        while i < len(specs):
            spec = specs[i]
            if spec.service_type == "host":
                # a run of host specs is checked in parallel and stored at once
                j = i
                while j < len(specs) and specs[j].service_type == "host":
                    j += 1
                run = []
                for h in specs[i:j]:
                    if no_overwrite and self.store.get_host(h.hostname) is not None:
                        results.append(f"Skipped {h.hostname} host spec. To change "
                                       f"{h.hostname} spec omit --no-overwrite flag")
                    else:
                        run.append(h)
                for h, r in zip(run, self._add_hosts(run, stop_at_error=not continue_on_error)):
                    if isinstance(r, BaseException):
                        if not continue_on_error:
                            if stored:
                                self._converge()
                            raise r
                        results.append(f"Failed to apply spec for {h}: {r}")
                    else:
                        results.append(r)
                        stored = True
                i = j
                continue
            try:
                msg = self._store_spec(spec, no_overwrite)
                stored = stored or not getattr(spec, "preview_only", False)
                results.append(msg)
            except Exception as e:  # per-spec fan-out: with continue_on_error a failure is a line
                if not continue_on_error:
                    if stored:
                        self._converge()
                    raise
                results.append(f"Failed to apply spec for {spec}: {e}")
            i += 1
        if stored:
            self._converge()
        return results

    def _apply_service(self, spec: "ServiceSpec") -> str:
        msg = self._store_spec(spec, False)
        if not getattr(spec, "preview_only", False):
            self._converge()
        return msg

    @handle_orch_error
    def apply_drivegroups(self, specs: List["DriveGroupSpec"]) -> List[str]:
        out = [self._store_spec(s, False) for s in specs]
        if any(not getattr(s, "preview_only", False) for s in specs):
            self._converge()
        return out

    @handle_orch_error
    def apply_mon(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_mgr(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_mds(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_rgw(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_ingress(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_rbd_mirror(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_nfs(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_iscsi(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_nvmeof(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_smb(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_prometheus(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_node_exporter(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_ceph_exporter(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_loki(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_promtail(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_alloy(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_crash(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_grafana(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_alertmanager(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_snmp_gateway(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_mgmt_gateway(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    @handle_orch_error
    def apply_oauth2_proxy(self, spec: "ServiceSpec") -> str:
        return self._apply_service(spec)

    # ================================================================ daemons
    @handle_orch_error
    def add_daemon(self, spec: "ServiceSpec") -> List[str]:
        row = self.store.get_spec(spec.service_name())
        if row is None or row.deleted:
            raise OrchestratorError("Unable to add a Daemon without Service.\n"
                                    "Please use `ceph orch apply ...` to create a Service.\n"
                                    'Note, you might want to create the service with "unmanaged=true"')
        if not spec.placement.hosts:
            raise OrchestratorError("must specify host(s) to deploy on")
        count = spec.placement.count or len(spec.placement.hosts)
        if count > len(spec.placement.hosts):
            raise OrchestratorError(f"too few hosts: want {count}, have {spec.placement.hosts}")
        from ceph_orch_cli.cluster.scheduling import DaemonPlacement
        hosts = {h.hostname: h for h in self._host_specs()}
        for hp in spec.placement.hosts:
            if hp.hostname not in hosts:
                raise OrchestratorError(f"host {hp.hostname} does not exist", errno=-errno.ENOENT)
        fsid, targets = self._fsid(), self._memory_targets()
        requests: Dict[str, List[DeployRequest]] = {}
        with self._converge_lock():
            for dtype in service_to_daemon_types(spec.service_type):
                taken = {d.daemon_id or "" for d in self._daemons(daemon_type=dtype)}
                for hp in spec.placement.hosts[:count]:
                    did = unique_daemon_id(dtype, hp.hostname, taken, prefix=spec.service_id,
                                           forcename=hp.name or None)
                    taken.add(did)
                    slot = DaemonPlacement(daemon_type=dtype, hostname=hp.hostname,
                                           network=hp.network, name=did,
                                           ports=spec.get_port_start())
                    requests.setdefault(hp.hostname, []).append(
                        reconcile.deploy_request(
                            spec, slot, fsid, self._ceph_image(dtype),
                            memory_request=reconcile.memory_request_for(dtype, targets)))
            def deploy_all(h: "HostSpec") -> List[str]:
                names = []
                for req in requests[h.hostname]:
                    self.driver.deploy_daemon(h, req)
                    names.append(req.name)
                return names

            results = self.driver.map_hosts(deploy_all, [hosts[h] for h in requests])
            out: List[str] = []
            ts = now_str()
            with self.store.transaction():
                self._commit()
                events = []
                for hostname, r in results.items():
                    if isinstance(r, HostUnreachable):
                        self.store.set_host_offline(hostname, r.reason)
                        out.append(f"Failed to deploy on {hostname}: {r}")
                        continue
                    if isinstance(r, BaseException):
                        raise r
                    for name in r:
                        msg = f"Deployed {name} on host '{hostname}'"
                        out.append(msg)
                        events.append(EventRow("daemon", name, "INFO", msg, ts))
                self._events(events)
            self._refresh([hosts[h] for h in results])
        return out

    @handle_orch_error
    def create_osds(self, drive_group: "DriveGroupSpec", skip_validation: bool = False) -> str:
        hosts = self._host_specs()
        matching = drive_group.placement.filter_matching_hostspecs(hosts)
        if not matching:
            return ("Invalid 'host:device' spec: host not found in cluster. Please check "
                    "'ceph orch host ls' for available hosts")
        with self._converge_lock():
            state = self._cluster_state()
            plan = reconcile.plan_osd_service(drive_group, state)
            if plan.error:
                raise OrchestratorError(plan.error)
            fsid, image, mem = state.fsid, state.image("osd"), state.memory_request("osd")
            actions = {osd.hostname: [("osd", reconcile.osd_request(drive_group, osd, fsid, image,
                                                                    mem), osd)]
                       for osd in plan.osds}
            by_host = {h.hostname: h for h in hosts}
            results = self.driver.map_hosts(lambda h: self._act_on_host(h, actions[h.hostname]),
                                            [by_host[h] for h in actions])
            msgs = []
            ts = now_str()
            with self.store.transaction():
                self._commit()
                for hostname, r in results.items():
                    if isinstance(r, BaseException):
                        if isinstance(r, HostUnreachable):
                            self.store.set_host_offline(hostname, r.reason)
                        raise r
                    outcomes, daemons, inv = r
                    self.store.replace_host_daemons(
                        hostname, [ls_entry_to_cache(hostname, e, ts) for e in daemons], ts)
                    if inv is not None:
                        self._remember_devices({hostname: inv})
                    for _, names, _, err in outcomes:
                        if err:
                            raise OrchestratorError(err)
                        ids = ",".join(n.split(".", 1)[1] for n in names)
                        msgs.append(f"Created osd(s) {ids} on host '{hostname}'")
        for h in matching:
            if h not in actions:
                msgs.append(f"Created no osd(s) on host {h}; already created?")
        return ", ".join(msgs)

    # ================================================================ plan / preview
    @handle_orch_error
    def plan(self, spec: Sequence[Any]) -> List[Any]:
        if any(getattr(s, "service_type", None) == "host" for s in spec):
            return [{"error": "Found <HostSpec>. Previews that include Host Specifications "
                              "are not supported, yet."}]
        from ceph_orch_cli.deployment.service_spec import PlacementSpec
        state = self._cluster_state()
        stored = {r.service_name: self._spec_from_json(r.spec)
                  for r in self.store.get_specs()}
        wanted = []
        for s in spec:
            if s.placement.is_empty() and s.service_type in DEFAULT_PLACEMENTS:
                s.placement = PlacementSpec.from_json(dict(DEFAULT_PLACEMENTS[s.service_type]))
            stored[s.service_name()] = s
            wanted.append(s.service_name())
        rank_maps = {r.service_name: r.rank_map for r in self.store.get_specs() if r.rank_map}
        plans = reconcile.plan_all([s for s in stored.values()], state, rank_maps)
        by_name = {p.service_name: p for p in plans}
        chosen = [by_name[n] for n in wanted if n in by_name]
        for n in wanted:
            if n not in by_name:
                chosen.append(reconcile.ServicePlan(stored[n]))  # unmanaged: changes nothing
        return reconcile.preview(chosen)

    @handle_orch_error
    def preview_osdspecs(self, osdspec_name: Optional[str] = "osd",
                         osdspecs: Optional[List["DriveGroupSpec"]] = None) -> List[Any]:
        state = self._cluster_state()
        if osdspecs is None:
            osdspecs = [self._spec_from_json(r.spec) for r in self.store.get_specs()  # type: ignore[misc]
                        if r.service_type == "osd"
                        and (not osdspec_name or osdspec_name == "osd"
                             or r.service_name in (osdspec_name, f"osd.{osdspec_name}"))]
        return [reconcile.osd_preview(reconcile.plan_osd_service(s, state)) for s in osdspecs]

    # ================================================================ tuned profiles
    @handle_orch_error
    def apply_tuned_profiles(self, specs: List["TunedProfileSpec"], no_overwrite: bool = False) -> str:
        existing = self.store.get_tuned_profiles()
        out = []
        for spec in specs:
            if no_overwrite and spec.profile_name in existing:
                out.append(f"Tuned profile '{spec.profile_name}' already exists "
                           "(--no-overwrite was passed)")
                continue
            self.store.put_tuned_profile(spec.profile_name, spec.to_json())
            out.append(f"Saved tuned profile {spec.profile_name}")
        return "\n".join(out)

    @handle_orch_error
    def rm_tuned_profile(self, profile_name: str) -> str:
        if not self.store.remove_tuned_profile(profile_name):
            raise OrchestratorError(f"Tuned profile {profile_name} does not exist. Nothing to remove.")
        return f"Removed tuned profile {profile_name}"

    @handle_orch_error
    def tuned_profile_ls(self) -> List["TunedProfileSpec"]:
        from ceph_orch_cli.deployment.tuned_profile import TunedProfileSpec
        return [TunedProfileSpec.from_json(s) for s in self.store.get_tuned_profiles().values()]

    def _edit_profile(self, profile_name: str, verb: str,
                      change: Callable[[Dict[str, str]], None]) -> None:
        with self.store.transaction():
            spec = self.store.get_tuned_profiles().get(profile_name)
            if spec is None:
                raise OrchestratorError(f"Tuned profile {profile_name} does not exist. "
                                        f"Cannot {verb} setting.")
            settings = dict(spec.get("settings") or {})
            change(settings)
            spec["settings"] = settings
            self.store.put_tuned_profile(profile_name, spec)

    @handle_orch_error
    def tuned_profile_add_setting(self, profile_name: str, setting: str, value: str) -> str:
        self._edit_profile(profile_name, "add", lambda s: s.__setitem__(setting, value))
        return f"Added setting {setting} with value {value} to tuned profile {profile_name}"

    @handle_orch_error
    def tuned_profile_rm_setting(self, profile_name: str, setting: str) -> str:
        self._edit_profile(profile_name, "remove", lambda s: s.pop(setting, None))
        return f"Removed setting {setting} from tuned profile {profile_name}"

    @handle_orch_error
    def tuned_profile_add_settings(self, profile_name: str, setting: Dict[str, str]) -> str:
        self._edit_profile(profile_name, "add", lambda s: s.update(setting))
        return f"Added settings {', '.join(setting)} to tuned profile {profile_name}"

    @handle_orch_error
    def tuned_profile_rm_settings(self, profile_name: str, settings: List[str]) -> str:
        def drop(s: Dict[str, str]) -> None:
            for k in settings:
                s.pop(k, None)
        self._edit_profile(profile_name, "remove", drop)
        return f"Removed settings {', '.join(settings)} from tuned profile {profile_name}"
