"""Services and daemons: the ``orch ls/ps/apply/rm/daemon ...`` methods of
``ClusterOrchestrator`` (describe, list, actions, removal, apply with validation, add_daemon,
create_osds, plan).
"""
from __future__ import annotations

import errno
import functools
import logging
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Sequence, TypeVar

from ceph_orch_cli.cluster import mgr_role, reconcile, service_types, volatile_status
from ceph_orch_cli.cluster.converge import Action, CreateOsds, run_on_host
from ceph_orch_cli.cluster.daemon_cache import TimestampMemo, dd_from_cache, parse_timestamp
from ceph_orch_cli.cluster.driver import DeployRequest, HostActionError, HostUnreachable
from ceph_orch_cli.cluster.gc_pause import no_cyclic_gc
from ceph_orch_cli.cluster.naming import is_valid_daemon_name, is_valid_image, unique_daemon_id
from ceph_orch_cli.cluster.store import EventRow, now_str
from ceph_orch_cli.orchestrator import (DaemonDescription, OrchestratorEvent, ServiceDescription,
                                        handle_orch_error, service_to_daemon_types)
from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.core import EngineCore
    from ceph_orch_cli.cluster.hosts import Hosts
    from ceph_orch_cli.deployment.drive_group import DriveGroupSpec
    from ceph_orch_cli.deployment.hostspec import HostSpec
    from ceph_orch_cli.deployment.service_spec import ServiceSpec

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

#: cephadm's mgr/cephadm/max_count_per_host default
MAX_COUNT_PER_HOST = 10

#: daemon types whose image follows the cluster's Ceph image (redeploy --image allowed)
CEPH_IMAGE_TYPES = tuple(service_types.ceph_image_types())

#: service type -> the placement an apply without one gets (kept for importers)
DEFAULT_PLACEMENTS = {r.name: dict(r.placement) for r in service_types.REGISTRY if r.placement}


def default_placement(service_type: str) -> Optional[Dict[str, Any]]:
    """The placement an apply of this type without one gets, or None."""
    placement = service_types.service_type(service_type).placement
    return dict(placement) if placement else None


def expand_specs(specs: Sequence[Any]) -> List[Any]:
    """``jaeger-tracing`` stands for its four services (Ceph's ``get_tracing_specs``)."""
    out: List[Any] = []
    for spec in specs:
        if getattr(spec, "service_type", None) == "jaeger-tracing":
            out.extend(spec.get_tracing_specs())
        else:
            out.append(spec)
    return out


def _check_config(spec: "ServiceSpec") -> None:
    """A spec's ``config`` names only options Ceph knows."""
    from ceph_orch_cli.cluster import config_options
    config = getattr(spec, "config", None) or {}
    if isinstance(config, dict):
        bad = config_options.unknown(config)
        if bad is not None:
            shown = bad if len(str(bad)) <= 80 else str(bad)[:80] + "..."
            raise OrchestratorError(f"Invalid config option {shown} in spec",
                                    errno=-errno.EINVAL)


def _placement_or_default(spec: "ServiceSpec", record: service_types.ServiceType) -> None:
    """An empty placement becomes the type's default; a mon/mgr count below one is refused."""
    from ceph_orch_cli.deployment.service_spec import PlacementSpec
    if spec.placement.is_empty() and record.placement:
        spec.placement = PlacementSpec.from_json(dict(record.placement))
    elif record.never_empty and spec.placement.count is not None \
            and spec.placement.count < 1:
        raise OrchestratorError(f"cannot scale {spec.service_type} service below 1")


def _check_counts(spec: "ServiceSpec", record: service_types.ServiceType,
                  host_count: int) -> None:
    """cephadm's limits: max(5, hosts) mons/mgrs, ``max_count_per_host`` per host for the
    other types (OSDs excepted: drive selections count them)."""
    count, per_host = spec.placement.count, spec.placement.count_per_host
    if count is not None and record.never_empty:
        if count > max(5, host_count):
            raise OrchestratorError(f"The maximum number of {spec.service_type} daemons "
                                    f"allowed with {host_count} hosts is "
                                    f"{max(5, host_count)}.")
    elif count is not None and not record.creates_osds:
        if count > MAX_COUNT_PER_HOST * host_count:
            raise OrchestratorError(
                f"The maximum number of {spec.service_type} daemons allowed with "
                f"{host_count} hosts is {host_count * MAX_COUNT_PER_HOST} "
                f"({host_count}x{MAX_COUNT_PER_HOST}). This limit can be adjusted by "
                "changing the mgr/cephadm/max_count_per_host config option")
    if per_host is not None and per_host > MAX_COUNT_PER_HOST and not record.creates_osds:
        raise OrchestratorError(f"The maximum count_per_host allowed is {MAX_COUNT_PER_HOST}. "
                                "This limit can be adjusted by changing the "
                                "mgr/cephadm/max_count_per_host config option")


def read_snapshot(method: F) -> F:
    """Run a read method inside one store snapshot: ``orch ls`` must not see half a write
    (a daemon counted by one SELECT and gone by the next). A refresh inside writes in its
    own transactions, and the reads after it see a new snapshot."""
    @functools.wraps(method)
    def wrapper(self: "Services", *args: Any, **kwargs: Any) -> Any:
        with self.store.snapshot():
            return method(self, *args, **kwargs)
    return wrapper  # type: ignore[return-value]


def validate_osd_paths(drive_group: "DriveGroupSpec", hosts: List[str],
                       state: "reconcile.ClusterState") -> None:
    """cephadm's ``validate_device`` before `orch daemon add osd HOST:DEV`: each device
    named by path must be in the host's inventory and available, else the command says why
    (``--skip-validation`` leaves it to ceph-volume on the host)."""
    for hostname in hosts:
        known = {d.path: d for d in state.devices.get(hostname, [])}
        if hostname not in state.devices:
            continue  # no inventory yet (or the host is offline): the host decides
        for selection in (drive_group.data_devices, drive_group.db_devices,
                          drive_group.wal_devices):
            for dev in (selection.paths if selection is not None else []):
                found = known.get(dev.path)
                if found is None:
                    raise OrchestratorError(f"Device path '{dev.path}' not found on host "
                                            f"'{hostname}'", errno=-errno.EINVAL)
                if not found.available:
                    why = ", ".join(found.rejected_reasons or []) or "rejected by the inventory"
                    raise OrchestratorError(
                        f"Device '{dev.path}' on host '{hostname}' is not available for an "
                        f"OSD: {why} (--skip-validation hands it to ceph-volume anyway)",
                        errno=-errno.EINVAL)


class Services:
    """Service, daemon, apply and plan methods of the Orchestrator interface; ``hosts``
    stores the host specs of a multi-document ``apply``."""

    def __init__(self, core: "EngineCore", hosts: "Hosts") -> None:
        self.core = core
        self.store = core.store
        self.driver = core.driver
        self.cluster = core.cluster
        self.hosts = hosts

    # ================================================================ services
    @handle_orch_error
    @read_snapshot
    def describe_service(self, service_type: Optional[str] = None,
                         service_name: Optional[str] = None,
                         refresh: bool = False) -> List[ServiceDescription]:
        if refresh:
            with self.core.converge_lock():
                self.core.refresh(self.core.host_specs())
        rows = {r.service_name: r for r in self.store.get_specs(include_deleted=True)}
        events = self.store.get_events("service")
        # counted by SQLite: `orch ls` must not parse every daemon of a 100k-daemon cluster
        by_service = volatile_status.summary_now(self.store, self.store.daemon_summary())
        # parsed only for a placement that needs them: `count:N` does not look at hosts, and
        # 1,000 host specs cost ~10 ms of a plain `orch ls`
        hosts_memo: List[List["HostSpec"]] = []

        def hosts() -> List["HostSpec"]:
            if not hosts_memo:
                hosts_memo.append([h for h in self.core.host_specs()
                                   if reconcile.DRAIN_LABEL not in h.labels])
            return hosts_memo[0]
        out: List[ServiceDescription] = []
        for name in sorted(set(rows) | set(by_service)):
            row = rows.get(name)
            spec: Optional[ServiceSpec]
            if row is not None:
                spec = self.core.spec_from_json(row.spec)
            else:
                spec = self._spec_without_row(name)
                if spec is None:
                    continue
            if service_type and spec.service_type != service_type:
                continue
            if service_name and name != service_name:
                continue
            found = by_service.get(name) or {"count": 0, "running": 0, "last_refresh": None}
            if service_types.service_type(spec.service_type).creates_osds or row is None:
                size = found["count"]
            else:
                placement = spec.placement
                size = placement.count or placement.get_target_count(hosts())
                size *= reconcile.hooks(spec).daemons_per_slot(spec)  # as cephadm counts
            evs = [OrchestratorEvent(e.created, e.kind, e.subject, e.level, e.message)
                   for e in events.get(("service", name), [])]
            ports = spec.get_port_start() if found["count"] or row is not None else []
            out.append(ServiceDescription(
                spec=spec, container_image_id=found.get("container_image_id"),
                container_image_name=found.get("container_image_name"),
                last_refresh=parse_timestamp(found["last_refresh"]),
                created=parse_timestamp(row.created) if row else None,
                deleted=parse_timestamp(row.deleted) if row and row.deleted else None,
                size=size, running=found["running"],
                events=evs, virtual_ip=spec.get_virtual_ip(), ports=ports))
        return out

    def _spec_without_row(self, name: str) -> Optional["ServiceSpec"]:
        """An unmanaged placeholder for daemons whose service has no stored spec."""
        stype, _, sid = name.partition(".")
        try:
            return self.core.spec_from_json({"service_type": stype, "service_id": sid or None,
                                         "unmanaged": True})
        except (OrchestratorError, ValueError, TypeError, KeyError) as e:
            logger.debug("no placeholder spec for %s: %s", name, e)
            return None

    @handle_orch_error
    @read_snapshot
    def list_daemons(self, service_name: Optional[str] = None, daemon_type: Optional[str] = None,
                     daemon_id: Optional[str] = None, host: Optional[str] = None,
                     refresh: bool = False) -> List[DaemonDescription]:
        if refresh:
            with self.core.converge_lock():
                hosts = self.core.host_specs()
                if host:
                    hosts = [h for h in hosts if h.hostname == host]
                self.core.refresh(hosts)
        rows = self.store.get_daemons(hostname=host, service_name=service_name,
                                      daemon_type=daemon_type, daemon_id=daemon_id)
        memo = TimestampMemo()
        events = self._daemon_events(rows, memo)
        out = []
        with no_cyclic_gc():
            for i, d in enumerate(rows):
                rows[i] = None  # type: ignore[call-overload]  # freed as converted: peak memory
                out.append(dd_from_cache(d, events.get(d.get("daemon_name", "")), memo))
        volatile_status.apply_to_descriptions(out, volatile_status.overrides(self.store))
        mgr_role.mark_active(self.cluster, out)
        return out

    def daemons_json_text(self, service_name: Optional[str] = None,
                          daemon_type: Optional[str] = None, daemon_id: Optional[str] = None,
                          host: Optional[str] = None) -> Iterator[List[str]]:
        """``json.dumps(d.to_json(), sort_keys=True)`` of each daemon ``list_daemons`` would
        return, in ``orch ps`` order (type, host, id), a batch at a time: `orch ps --format
        json` on 100,000 daemons as stored text, in flat memory (not part of Ceph's
        interface)."""
        return volatile_status.apply_to_texts(
            self.store.daemons_listing_text(hostname=host, service_name=service_name,
                                            daemon_type=daemon_type, daemon_id=daemon_id),
            volatile_status.overrides(self.store), mgr_role.active_for_texts(self.cluster))

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
                                    'running services using "orch ls"')
        dds = self.core.daemons(service_name=service_name)
        if not dds:
            raise OrchestratorError(f'No daemons exist under service name "{service_name}". '
                                    'View currently running services using "orch ls"')
        if action == "stop" and service_name.split(".")[0].lower() in ("mgr", "mon", "osd"):
            return [f"Stopping entire {service_name} service is prohibited."]
        return self.daemon_actions(action, dds, None)

    def daemon_actions(self, action: str, dds: List[DaemonDescription],
                        image: Optional[str]) -> List[str]:
        hosts = {h.hostname: h for h in self.core.host_specs()}
        per_host: Dict[str, List[DaemonDescription]] = {}
        for d in dds:
            per_host.setdefault(d.hostname or "", []).append(d)
        core = self.core
        fsid, ceph_image, per_type = core.fsid(), core.ceph_image(), core.ceph_images()
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

        with self.core.converge_lock():
            results = self.driver.map_hosts(one, [hosts[h] for h in per_host if h in hosts])
            with self.core.record_batch() as record:
                ts = record.ts
                for hostname, r in results.items():
                    if isinstance(r, HostUnreachable):
                        record.offline(hostname, r.reason)
                        raise OrchestratorError(f"Failed to {action} daemons on {hostname}: {r}")
                    if isinstance(r, BaseException):
                        raise r
                    for d, err in zip(per_host[hostname], r):
                        if err is None:
                            record.events.append(EventRow(
                                "daemon", d.name(), "INFO",
                                f"{action} {d.name()} on host '{hostname}'", ts))
                        else:
                            record.events.append(EventRow(
                                "daemon", d.name(), "ERROR",
                                f"Failed to {action} {d.name()} on host '{hostname}': {err}",
                                ts))
            self.core.refresh([hosts[h] for h in results])
        return [f"Scheduled to {action} {d.name()} on host '{d.hostname}'" for d in dds]

    @handle_orch_error
    def update_service(self, service_type: str, image: str) -> List[str]:
        """`orch update service <type> <image>`: redeploy every daemon of a non-Ceph
        service type (prometheus, grafana, ...) with another image."""
        if not image or not image.strip():
            raise OrchestratorError("an image is required", errno=-errno.EINVAL)
        dtypes = service_to_daemon_types(service_type)
        if service_type in CEPH_IMAGE_TYPES or any(t in CEPH_IMAGE_TYPES for t in dtypes):
            raise OrchestratorError(
                f"{service_type} daemons run the Ceph image: use `orch upgrade start --image "
                f"<image>` to change it", errno=-errno.EINVAL)
        dds = [d for t in dtypes for d in self.core.daemons(daemon_type=t)]
        if not dds:
            raise OrchestratorError(f"No daemons of service type {service_type} found",
                                    errno=-errno.ENOENT)
        # new daemons of these types get it too (cephadm sets ``container_image_<type>``)
        with self.store.transaction():
            chosen = self.core.service_images()
            chosen.update({t: image for t in dtypes})
            self.store.set_setting(reconcile.SERVICE_IMAGES_SETTING, chosen)
        return self.daemon_actions("redeploy", dds, image)

    def _one_daemon_action(self, host: "HostSpec", d: DaemonDescription, action: str,
                           image: Optional[str], fsid: str, ceph_image: str,
                           specs: Dict[str, Any]) -> None:
        if action in ("start", "stop", "restart"):
            self.driver.daemon_unit(host, d.name(), action)
            return
        if action not in ("redeploy", "reconfig", "rotate-key"):
            raise OrchestratorError(f"Unknown daemon action {action}")
        row = specs.get(d.service_name())
        spec = self.core.spec_from_json(row.spec) if row else None
        use_image = image or d.container_image_name or reconcile.image_for(
            d.daemon_type or "", ceph_image, service_images=self.core.service_images())
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
        dds = self.core.daemons(daemon_type=dtype, daemon_id=did)
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
            if not is_valid_image(image):
                shown = image if len(image) <= 80 else image[:80] + "..."
                raise OrchestratorError(
                    f"Cannot redeploy {daemon_name}: {shown!r} is not a valid image reference "
                    "([registry/]repository[:tag][@digest], or deb:<root> for the package "
                    "runtime)", errno=-errno.EINVAL)
        if dtype == "mgr":  # the active one hands its role over first, as cephadm's does
            mgr_role.fail_over_before(self.cluster, action, daemon_name, mgr_role.running_mgrs(
                self.core.daemons(daemon_type="mgr"), volatile_status.overrides(self.store)))
        if action in ("stop", "restart") and not force:
            r = self.cluster.ok_to_stop(dtype, [did])
            if not r.ok:
                raise OrchestratorError(f"It is NOT safe to {action} {daemon_name} at this time: "
                                        f"{r.message}\nNote: Warnings can be bypassed with the "
                                        "--force flag", errno=-errno.EBUSY)
        return self.daemon_actions(action, [d], image)[0]

    @handle_orch_error
    def remove_daemons(self, names: List[str]) -> List[str]:
        found: List[DaemonDescription] = []
        for name in names:
            if not is_valid_daemon_name(name):
                continue
            dtype, did = name.split(".", 1)
            found.extend(self.core.daemons(daemon_type=dtype, daemon_id=did))
        if not found:
            raise OrchestratorError(f"Unable to find daemon(s) {names}")
        hosts = {h.hostname: h for h in self.core.host_specs()}
        per_host: Dict[str, List[DaemonDescription]] = {}
        for d in found:
            per_host.setdefault(d.hostname or "", []).append(d)
        with self.core.converge_lock():
            out: List[str] = []
            results = self.driver.map_hosts(
                lambda h: [self.driver.remove_daemon(h, d.name(), force=True)
                           for d in per_host[h.hostname]],
                [hosts[h] for h in per_host if h in hosts])
            with self.core.record_batch() as record:
                for hostname, r in results.items():
                    if isinstance(r, HostUnreachable):
                        record.offline(hostname, r.reason)
                        raise OrchestratorError(f"Failed to remove daemons on {hostname}: {r}")
                    if isinstance(r, BaseException):
                        raise r
                    names_here = [d.name() for d in per_host[hostname]]
                    record.forget_daemons(names_here)
                    out.extend(f"Removed {n} from host '{hostname}'" for n in names_here)
        return out

    @handle_orch_error
    def remove_service(self, service_name: str, force: bool = False) -> str:
        row = self.store.get_spec(service_name)
        if row is None or row.deleted:
            return (f"Invalid service '{service_name}'. Use 'orch ls' to list available "
                    "services.\n")
        if service_types.service_type(row.service_type).never_empty:
            return (f"Unable to remove {service_name} service.\nNote, you might want to mark "
                    f'the {service_name} service as "unmanaged"')
        if not force and service_name.startswith("osd."):
            # host by host in the order hosts were added, as cephadm walks its cache
            per_host: Dict[str, List[str]] = {h.hostname: [] for h in self.core.host_specs()}
            for d in self.core.daemons(service_name=service_name, daemon_type="osd"):
                per_host.setdefault(d.hostname or "", []).append(f"osd.{d.daemon_id}")
            per_host = {h: ids for h, ids in per_host.items() if ids}
            if per_host:
                msg = "".join(f"\thost {h}: {' '.join(ids)}" for h, ids in per_host.items())
                raise OrchestratorError(f"If {service_name} is removed then the following OSDs "
                                        f"will remain, --force to proceed anyway\n{msg}")
        self.store.mark_spec_deleted(service_name)
        self.core.converge_stored()
        return f"Removed service {service_name}"

    @handle_orch_error
    def set_unmanaged(self, service_name: str, value: bool) -> str:
        row = self.store.get_spec(service_name)
        if row is None or row.deleted:
            return (f'No service of name {service_name} found. Check "orch ls" for all '
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
            self.core.converge_stored()
        return f"Set unmanaged to {value} for service {service_name}"

    # ================================================================ apply
    def _validate_service_spec(self, spec: "ServiceSpec",
                               hosts: Optional[List["HostSpec"]] = None,
                               services: Optional[Sequence[str]] = None) -> None:
        """cephadm's ``_apply_service_spec`` checks, before anything is stored; ``hosts``
        and ``services`` (default: the stored ones) let a file's own documents count."""
        from ceph_orch_cli.cluster.scheduling import HostAssignment

        _check_config(spec)
        record = service_types.service_type(spec.service_type)
        if services is None and record.hooks.check_apply(spec, ()) is not None:
            services = [r.service_name for r in self.store.get_specs()]
        refusal = record.hooks.check_apply(spec, services or ())
        if refusal is not None:
            raise OrchestratorError(refusal, errno=-errno.ENOENT)
        _placement_or_default(spec, record)
        if hosts is None:
            hosts = self.core.host_specs()
        _check_counts(spec, record, len(hosts))
        if record.creates_osds:
            spec.validate()
            return
        state_hosts = [h for h in hosts if reconcile.DRAIN_LABEL not in h.labels]
        HostAssignment(
            spec=spec, hosts=state_hosts,
            unreachable_hosts=[h for h in hosts if h.status in ("offline", "maintenance")],
            draining_hosts=[h for h in hosts if reconcile.DRAIN_LABEL in h.labels],
            daemons=[], allow_colo=reconcile.allow_colo(spec),
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
            self.core.add_events([EventRow("service", name, "INFO", "service was created",
                                           now_str())])
        return f"Scheduled {name} update..."

    @handle_orch_error
    def apply(self, specs: Sequence[Any], no_overwrite: bool = False,
              continue_on_error: bool = False) -> List[str]:
        results: List[str] = []
        stored = False
        specs = expand_specs(specs)
        checked = False
        if not continue_on_error:
            # a refused apply changes nothing: every document is validated, and every host
            # document checked for reachability, before the first one is stored
            self._validate_before_storing(specs, no_overwrite)
            fresh = [h for h in specs if h.service_type == "host"
                     and not (no_overwrite and self.store.get_host(h.hostname) is not None)]
            for r in self.hosts.check_hosts(fresh, stop_at_error=True):
                if isinstance(r, BaseException):
                    raise r
            checked = True
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
                added = self.hosts.add_hosts(run, stop_at_error=not continue_on_error,
                                             checked=checked)
                for h, r in zip(run, added):
                    if isinstance(r, BaseException):
                        if not continue_on_error:
                            if stored:
                                self.core.converge_stored()
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
                        self.core.converge_stored()
                    raise
                results.append(f"Failed to apply spec for {spec}: {e}")
            i += 1
        if stored:
            self.core.converge_stored()
        return results

    def _validate_before_storing(self, specs: List[Any], no_overwrite: bool) -> None:
        """Check every service spec of a multi-document apply before storing any, so one
        invalid document leaves the store as it was (hosts in the same file count)."""
        hosts = {h.hostname: h for h in self.core.host_specs()}
        hosts.update((s.hostname, s) for s in specs if s.service_type == "host")
        services = [r.service_name for r in self.store.get_specs()] + \
            [s.service_name() for s in specs if s.service_type != "host"]
        for spec in specs:
            if spec.service_type == "host":
                continue
            if no_overwrite:
                row = self.store.get_spec(spec.service_name())
                if row is not None and not row.deleted:
                    continue
            self._validate_service_spec(spec, list(hosts.values()), services)

    @handle_orch_error
    def apply_service(self, spec: "ServiceSpec") -> str:
        """Every ``apply_<type>`` of the interface: store the spec, converge."""
        msg = self._store_spec(spec, False)
        if not getattr(spec, "preview_only", False):
            self.core.converge_stored()
        return msg

    @handle_orch_error
    def apply_drivegroups(self, specs: List["DriveGroupSpec"]) -> List[str]:
        out = [self._store_spec(s, False) for s in specs]
        if any(not getattr(s, "preview_only", False) for s in specs):
            self.core.converge_stored()
        return out

    # ================================================================ daemons
    @handle_orch_error
    def add_daemon(self, spec: "ServiceSpec") -> List[str]:
        row = self.store.get_spec(spec.service_name())
        if row is None or row.deleted:
            raise OrchestratorError("Unable to add a Daemon without Service.\n"
                                    "Please use `orch apply ...` to create a Service.\n"
                                    'Note, you might want to create the service with "unmanaged=true"')
        if not spec.placement.hosts:
            raise OrchestratorError("must specify host(s) to deploy on")
        count = spec.placement.count or len(spec.placement.hosts)
        if count > len(spec.placement.hosts):
            raise OrchestratorError(f"too few hosts: want {count}, have {spec.placement.hosts}")
        from ceph_orch_cli.cluster.scheduling import DaemonPlacement
        hosts = {h.hostname: h for h in self.core.host_specs()}
        for hp in spec.placement.hosts:
            if hp.hostname not in hosts:
                raise OrchestratorError(f"host {hp.hostname} does not exist", errno=-errno.ENOENT)
        fsid, targets = self.core.fsid(), self.core.memory_targets()
        requests: Dict[str, List[DeployRequest]] = {}
        with self.core.converge_lock():
            for dtype in service_to_daemon_types(spec.service_type):
                taken = {d.daemon_id or "" for d in self.core.daemons(daemon_type=dtype)}
                for hp in spec.placement.hosts[:count]:
                    did = unique_daemon_id(dtype, hp.hostname, taken, prefix=spec.service_id,
                                           forcename=hp.name or None)
                    taken.add(did)
                    slot = DaemonPlacement(daemon_type=dtype, hostname=hp.hostname,
                                           network=hp.network, name=did,
                                           ports=spec.get_port_start())
                    requests.setdefault(hp.hostname, []).append(
                        reconcile.deploy_request(
                            spec, slot, fsid, self.core.ceph_image(dtype),
                            memory_request=reconcile.memory_request_for(dtype, targets),
                            service_images=self.core.service_images()))
            def deploy_all(h: "HostSpec") -> List[str]:
                names = []
                for req in requests[h.hostname]:
                    self.driver.deploy_daemon(h, req)
                    names.append(req.name)
                return names

            results = self.driver.map_hosts(deploy_all, [hosts[h] for h in requests])
            out: List[str] = []
            with self.core.record_batch() as record:
                for hostname, r in results.items():
                    if isinstance(r, HostUnreachable):
                        record.offline(hostname, r.reason)
                        out.append(f"Failed to deploy on {hostname}: {r}")
                        continue
                    if isinstance(r, BaseException):
                        raise r
                    for name in r:
                        msg = f"Deployed {name} on host '{hostname}'"
                        out.append(msg)
                        record.events.append(EventRow("daemon", name, "INFO", msg, record.ts))
            self.core.refresh([hosts[h] for h in results])
        return out

    @handle_orch_error
    def create_osds(self, drive_group: "DriveGroupSpec", skip_validation: bool = False) -> str:
        hosts = self.core.host_specs()
        matching = drive_group.placement.filter_matching_hostspecs(hosts)
        if not matching:
            return ("Invalid 'host:device' spec: host not found in cluster. Please check "
                    "'orch host ls' for available hosts")
        with self.core.converge_lock():
            state = self.core.cluster_state()
            if not skip_validation:
                validate_osd_paths(drive_group, matching, state)
            plan = reconcile.plan_osd_service(drive_group, state, skip_validation)
            if plan.error:
                raise OrchestratorError(plan.error)
            fsid, image, mem = state.fsid, state.image("osd"), state.memory_request("osd")
            actions: Dict[str, List[Action]] = {
                osd.hostname: [CreateOsds(reconcile.osd_request(drive_group, osd, fsid, image,
                                                                mem), osd)]
                for osd in plan.osds}
            by_host = {h.hostname: h for h in hosts}
            results = self.driver.map_hosts(
                lambda h: run_on_host(self.core, h, actions[h.hostname]),
                [by_host[h] for h in actions])
            msgs = []
            with self.core.record_batch() as record:
                for hostname, r in results.items():
                    if isinstance(r, BaseException):
                        if isinstance(r, HostUnreachable):
                            record.offline(hostname, r.reason)
                        raise r
                    record.host_daemons(hostname, r.daemons)
                    if r.inventory is not None:
                        record.inventories[hostname] = r.inventory
                    for outcome in r.outcomes:
                        if outcome.error:
                            raise OrchestratorError(outcome.error)
                        ids = ",".join(n.split(".", 1)[1] for n in outcome.names)
                        msgs.append(f"Created osd(s) {ids} on host '{hostname}'")
        for h in matching:
            if h not in actions:
                msgs.append(f"Created no osd(s) on host {h}; already created?")
        return ", ".join(msgs)

    # ================================================================ plan / preview
    @handle_orch_error
    def plan(self, spec: Sequence[Any]) -> List[Any]:
        """The preview of ``apply --dry-run``; host documents in ``spec`` are checked
        (reachable, their devices read) and planned as if added, storing nothing."""
        import dataclasses

        from ceph_orch_cli.deployment.inventory import Device
        spec = expand_specs(spec)
        new_hosts = [s for s in spec if getattr(s, "service_type", None) == "host"]
        spec = [s for s in spec if getattr(s, "service_type", None) != "host"]
        for r in self.hosts.check_hosts(new_hosts, stop_at_error=True):
            if isinstance(r, BaseException):
                raise r
        self._validate_before_storing(new_hosts + list(spec), no_overwrite=False)
        state = self.core.cluster_state()
        host_entries: List[Dict[str, Any]] = []
        if new_hosts:
            hosts = {h.hostname: h for h in state.hosts}
            devices = dict(state.devices)
            for h in new_hosts:
                host_entries.append({"host": h.hostname, "addr": h.addr, "labels": h.labels,
                                     "action": "update" if h.hostname in hosts else "add"})
                hosts[h.hostname] = h
                if h.hostname not in devices:
                    try:
                        devices[h.hostname] = [Device.from_json(d)
                                               for d in self.driver.inventory(h)]
                    except HostUnreachable as e:
                        raise OrchestratorError(f"Cannot read the devices of {h.hostname}: "
                                                f"{e.reason}")
            state = dataclasses.replace(state, hosts=list(hosts.values()), devices=devices)
        return host_entries + self._plan_services(spec, state)

    def _plan_services(self, spec: Sequence[Any], state: "reconcile.ClusterState") -> List[Any]:
        from ceph_orch_cli.deployment.service_spec import PlacementSpec
        stored = {r.service_name: self.core.spec_from_json(r.spec)
                  for r in self.store.get_specs()}
        wanted = []
        for s in spec:
            placement = default_placement(s.service_type)
            if s.placement.is_empty() and placement:
                s.placement = PlacementSpec.from_json(placement)
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
        state = self.core.cluster_state()
        if osdspecs is None:
            osdspecs = [self.core.spec_from_json(r.spec) for r in self.store.get_specs()  # type: ignore[misc]
                        if service_types.service_type(r.service_type).creates_osds
                        and (not osdspec_name or osdspec_name == "osd"
                             or r.service_name in (osdspec_name, f"osd.{osdspec_name}"))]
        return [reconcile.osd_preview(reconcile.plan_osd_service(s, state)) for s in osdspecs]
