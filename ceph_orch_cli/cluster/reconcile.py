"""Desired specs against running daemons: the ordered actions that close the gap.

This is the planning half of cephadm's ``_apply_all_services``/``_apply_service``: for each
managed spec, ``HostAssignment`` decides the slots (with cephadm's inputs: schedulable,
unreachable and draining hosts, related ingress daemons, the nfs rank map, per-type
colocation), new slots get cephadm-style names, and OSD specs become per-host
``DriveSelection``s over the cached inventory. Nothing here touches a host or the store, so
``plan()`` (the dry-run preview) and the engine's converge share one code path, and a plan
is a pure function of a ``ClusterState`` snapshot.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

from ceph_orch_cli.cluster import service_types
from ceph_orch_cli.cluster.driver import DeployRequest, OsdPrepareRequest
from ceph_orch_cli.cluster.naming import unique_daemon_id
from ceph_orch_cli.cluster.scheduling import DaemonPlacement, HostAssignment
from ceph_orch_cli.deployment.hostspec import SpecValidationError
from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.deployment.drive_group import DriveGroupSpec
    from ceph_orch_cli.deployment.drive_selection import DriveSelection
    from ceph_orch_cli.deployment.hostspec import HostSpec
    from ceph_orch_cli.deployment.inventory import Device
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    from ceph_orch_cli.orchestrator import DaemonDescription

logger = logging.getLogger(__name__)

DEFAULT_IMAGE = service_types.DEFAULT_IMAGE

DRAIN_LABEL = "_no_schedule"

PLAN_WARNING = ("WARNING! Dry-Runs are snapshots of a certain point in time and are bound \n"
                "to the current inventory setup. If any of these conditions change, the \n"
                "preview will be invalid. Please make sure to have a minimal \n"
                "timeframe between planning and applying the specs.")

#: the images of the daemon types that do not run the Ceph image (kept for importers; the
#: registry's records hold them)
DEFAULT_IMAGES: Dict[str, str] = {d: i for r in service_types.REGISTRY for d, i in r.images.items()}
#: store setting: type -> image chosen by `orch update service` (cephadm's
#: ``container_image_<type>`` module options)
SERVICE_IMAGES_SETTING = "service_images"
#: Ceph's defaults for ``<type>_memory_target``: cephadm passes it as the daemon's
#: ``memory_request`` for these types (``orch ps`` MEM LIM)
MEMORY_TARGET_DEFAULTS = service_types.memory_target_defaults()


def memory_request_for(daemon_type: str, targets: Dict[str, int]) -> Optional[int]:
    """A new daemon's ``memory_request``: its type's memory target (mon, osd only)."""
    if daemon_type not in MEMORY_TARGET_DEFAULTS:
        return None
    return int(targets.get(daemon_type, MEMORY_TARGET_DEFAULTS[daemon_type]))


def service_order(spec: "ServiceSpec") -> Tuple[int, str]:
    """Converge order: the record's position, unordered types last, then by name."""
    rank = service_types.service_type(spec.service_type).converge
    return (len(service_types.REGISTRY) if rank is None else rank, spec.service_name())


def image_for(daemon_type: str, ceph_image: str, spec: Optional["ServiceSpec"] = None,
              service_images: Optional[Dict[str, str]] = None) -> str:
    """A daemon's image: a custom container's own, the one `orch update service` set for
    the type (cephadm's ``container_image_<type>`` option), the type's default in the release
    of the Ceph image, else the Ceph image."""
    record = service_types.for_daemon(daemon_type)
    own = getattr(spec, "image", None) if record.image_from_spec else None
    if isinstance(own, str) and own:
        return own
    chosen = (service_images or {}).get(daemon_type)
    if chosen:
        return chosen
    return record.image_of(daemon_type, ceph_image) or ceph_image


def config_digest(spec_json: Dict[str, Any]) -> str:
    """What a daemon's configuration depends on: the spec without placement/managed flags.

    A change of this digest means the service's daemons need a reconfig; moving daemons
    (placement) or (un)managing the service does not.
    """
    relevant = {k: v for k, v in spec_json.items() if k not in ("placement", "unmanaged")}
    import hashlib  # lazily: OpenSSL's start-up is a cost every read-only command would pay
    return hashlib.sha1(json.dumps(relevant, sort_keys=True).encode()).hexdigest()


@dataclass
class ClusterState:
    """A snapshot of what the engine knows: hosts (status filled in), cached daemons and
    devices, networks, OSD ids kept for replacement."""

    hosts: List["HostSpec"]
    daemons: List["DaemonDescription"]
    devices: Dict[str, List["Device"]] = field(default_factory=dict)
    networks: Dict[str, Dict[str, Dict[str, List[str]]]] = field(default_factory=dict)
    destroyed_osds: Dict[str, List[int]] = field(default_factory=dict)
    fsid: str = ""
    ceph_image: str = DEFAULT_IMAGE
    #: per-daemon-type target images (cephadm's ``container_image`` per config section),
    #: set while a staggered upgrade has moved only some daemon types
    ceph_images: Dict[str, str] = field(default_factory=dict)
    #: images `orch update service` chose for non-Ceph types (prometheus, grafana, ...)
    service_images: Dict[str, str] = field(default_factory=dict)
    upgrade_in_progress: bool = False
    #: the ``public_network`` config option of the mons (comma-separated CIDRs); new mons
    #: only go to hosts on one of these networks when it names any
    mon_public_network: str = ""
    #: ``<type>_memory_target`` values set on the cluster (mon, osd); defaults otherwise
    memory_targets: Dict[str, int] = field(default_factory=dict)
    #: (service_name, hostname) -> OSD daemons there. When given, ``daemons`` may leave
    #: OSDs out: OSD specs only need these counts, and a large cluster is mostly OSDs.
    osd_counts: Optional[Dict[Tuple[str, str], int]] = None

    def __post_init__(self) -> None:
        self.by_service: Dict[str, List["DaemonDescription"]] = {}
        self.ids_by_type: Dict[str, Set[str]] = {}
        # cephadm walks its daemon cache host by host, in the order hosts were added; which
        # daemons survive a scale-down (the first ``count`` kept) depends on this order
        pos = {h.hostname: i for i, h in enumerate(self.hosts)}
        last = len(pos)
        for dd in sorted(self.daemons,
                         key=lambda d: (pos.get(d.hostname or "", last), d.name())):
            self.by_service.setdefault(dd.service_name(), []).append(dd)
            self.ids_by_type.setdefault(dd.daemon_type or "", set()).add(dd.daemon_id or "")

    def memory_request(self, daemon_type: str) -> Optional[int]:
        """What cephadm asks for a new daemon: its type's memory target (mon and osd)."""
        return memory_request_for(daemon_type, self.memory_targets)

    def image(self, daemon_type: str) -> str:
        """The Ceph image a new daemon of this type gets."""
        return self.ceph_images.get(daemon_type, self.ceph_image)

    def unreachable_hosts(self) -> List["HostSpec"]:
        return [h for h in self.hosts if (h.status or "").lower() in ("maintenance", "offline")]

    def draining_hosts(self) -> List["HostSpec"]:
        return [h for h in self.hosts if DRAIN_LABEL in h.labels]

    def schedulable_hosts(self) -> List["HostSpec"]:
        return [h for h in self.hosts if DRAIN_LABEL not in h.labels]


@dataclass
class OsdHostPlan:
    """OSDs one OSD spec creates on one host."""

    hostname: str
    selection: "DriveSelection"
    commands: List[str]
    claims: List[int]
    #: data devices that get new OSDs (the selection also lists those already in use,
    #: which ceph-volume's batch skips)
    data: List[str] = field(default_factory=list)
    db: List[str] = field(default_factory=list)
    wal: List[str] = field(default_factory=list)
    osds_per_device: int = 1

    @property
    def count(self) -> int:
        return len(self.data) * self.osds_per_device


@dataclass
class ServicePlan:
    """What converging one spec does. ``error`` set means the spec cannot be placed."""

    spec: "ServiceSpec"
    add: List[DaemonPlacement] = field(default_factory=list)
    remove: List["DaemonDescription"] = field(default_factory=list)
    reconfig: List["DaemonDescription"] = field(default_factory=list)
    osds: List[OsdHostPlan] = field(default_factory=list)
    all_slots: List[DaemonPlacement] = field(default_factory=list)
    rank_map: Optional[Dict[int, Dict[int, Optional[str]]]] = None
    error: Optional[str] = None

    @property
    def service_name(self) -> str:
        return self.spec.service_name()

    def is_noop(self) -> bool:
        return not (self.add or self.remove or self.reconfig or self.osds)


# -- per-service traits (cephadm's CephadmService subclasses) ------------------------------

def hooks(spec: "ServiceSpec") -> service_types.ServiceHooks:
    return service_types.service_type(spec.service_type).hooks


def primary_daemon_type(spec: "ServiceSpec") -> str:
    return hooks(spec).primary_daemon_type(spec)


def per_host_daemon_type(spec: "ServiceSpec") -> Optional[str]:
    return hooks(spec).per_host_daemon_type(spec)


def allow_colo(spec: "ServiceSpec") -> bool:
    """Whether the daemons placement counts may share a host (the primary type's record)."""
    return service_types.for_daemon(primary_daemon_type(spec)).colocate


def related_service_daemons(spec: "ServiceSpec", specs: Iterable["ServiceSpec"],
                            state: ClusterState) -> Optional[List["DaemonDescription"]]:
    """Daemons of the service an ingress fronts (or of the ingress fronting this service):
    placement prefers their hosts, as cephadm does."""
    return hooks(spec).related_daemons(spec, specs, state)


def host_filter(spec: "ServiceSpec", state: ClusterState
                ) -> Optional[Callable[[str, "ServiceSpec"], bool]]:
    """cephadm's ``filter_new_host``: which hosts may get a new daemon of this service
    (mon: the mons' public network; ingress: the subnets of the virtual IPs)."""
    return hooks(spec).host_filter(spec, state)


def daemon_deps(daemon_type: str, spec: "ServiceSpec",
                names_by_service: Dict[str, Set[str]]) -> Optional[List[str]]:
    """The other daemons a daemon's config names (cephadm's ``deps``): when they change,
    cephadm reconfigures it. None for types whose config names no other daemon here."""
    return hooks(spec).daemon_deps(daemon_type, spec, names_by_service)


def reconfig_for_deps(plans: List[ServicePlan], state: ClusterState,
                      last_deps: Dict[str, List[str]]) -> Dict[str, List[str]]:
    """Add to each plan's ``reconfig`` the daemons whose dependencies changed since their
    last (re)config, as cephadm's ``_check_daemons`` does; return every daemon's current
    deps (what to remember once the actions ran). A daemon never seen before is only
    recorded: its config was written by whoever deployed it."""
    names: Dict[str, Set[str]] = {svc: {d.name() for d in dds}
                                  for svc, dds in state.by_service.items()}
    for plan in plans:
        have = names.setdefault(plan.service_name, set())
        have.difference_update(d.name() for d in plan.remove)
        have.update(f"{s.daemon_type}.{s.name}" for s in plan.add)
    unreachable = {h.hostname for h in state.unreachable_hosts()}
    current: Dict[str, List[str]] = {}
    for plan in plans:
        if plan.error or not hooks(plan.spec).names_other_daemons:
            continue
        removing = {d.name() for d in plan.remove}
        queued = {d.name() for d in plan.reconfig}
        for d in state.by_service.get(plan.service_name, []):
            name = d.name()
            deps = daemon_deps(d.daemon_type or "", plan.spec, names)
            if deps is None or name in removing:
                continue
            if d.hostname in unreachable:  # reconfigured once it is back
                current[name] = last_deps.get(name, deps)
                continue
            current[name] = deps
            if name in last_deps and last_deps[name] != deps and name not in queued:
                plan.reconfig.append(d)
        for slot in plan.add:
            deps = daemon_deps(slot.daemon_type, plan.spec, names)
            if deps is not None:
                current[f"{slot.daemon_type}.{slot.name}"] = deps
    return current


def _parse_rank_map(raw: Optional[Dict[str, Any]]) -> Dict[int, Dict[int, Optional[str]]]:
    return {int(r): {int(g): n for g, n in gens.items()} for r, gens in (raw or {}).items()}


# -- planning -----------------------------------------------------------------------------

def plan_service(spec: "ServiceSpec", state: ClusterState, specs: Iterable["ServiceSpec"] = (),
                 rank_map: Optional[Dict[str, Any]] = None,
                 digest_changed: bool = False) -> ServicePlan:
    """One spec's plan. Never raises for a placement problem: it lands in ``plan.error``
    (with cephadm's "Failed to apply" wording added by the caller's event)."""
    record = service_types.service_type(spec.service_type)
    if record.creates_osds:
        return plan_osd_service(spec, state)  # type: ignore[arg-type]
    plan = ServicePlan(spec)
    daemons = list(state.by_service.get(spec.service_name(), []))
    ranked = record.ranked
    plan.rank_map = _parse_rank_map(rank_map) if ranked else None
    try:
        ha = HostAssignment(
            spec=spec,
            hosts=state.schedulable_hosts(),
            unreachable_hosts=state.unreachable_hosts(),
            draining_hosts=state.draining_hosts(),
            daemons=daemons,
            networks=state.networks,
            filter_new_host=host_filter(spec, state),
            allow_colo=allow_colo(spec),
            primary_daemon_type=primary_daemon_type(spec),
            per_host_daemon_type=per_host_daemon_type(spec),
            rank_map=plan.rank_map,
            related_service_daemons=related_service_daemons(spec, specs, state),
            upgrade_in_progress=state.upgrade_in_progress,
        )
        all_slots, to_add, to_remove = ha.place()
    except (OrchestratorError, SpecValidationError) as e:
        plan.error = str(e)
        return plan

    unreachable = {h.hostname for h in state.unreachable_hosts()}
    to_remove = [d for d in to_remove if d.hostname and d.hostname not in unreachable]

    if record.never_empty and len(daemons) + len(to_add) - len(to_remove) < 1:
        # cephadm's sanity check: a pass that would leave no mon/mgr changes nothing at all
        plan.all_slots = all_slots
        return plan

    # names, as cephadm assigns them before deploying (unique among the type's daemons)
    removing = {d.name() for d in to_remove}
    named: List[DaemonPlacement] = []
    taken_by_type: Dict[str, Set[str]] = {}
    for slot in to_add:
        taken = taken_by_type.get(slot.daemon_type)
        if taken is None:
            taken = taken_by_type[slot.daemon_type] = {
                i for i in state.ids_by_type.get(slot.daemon_type, set())
                if f"{slot.daemon_type}.{i}" not in removing}
        daemon_id = unique_daemon_id(slot.daemon_type, slot.hostname, taken,
                                     prefix=spec.service_id, forcename=slot.name or None,
                                     rank=slot.rank, rank_generation=slot.rank_generation)
        taken.add(daemon_id)
        slot = slot.assign_name(daemon_id)
        # the scheduler gives a slot its rank and its generation together
        rank, generation = slot.rank, slot.rank_generation
        if plan.rank_map is not None and rank is not None and generation is not None:
            plan.rank_map[rank][generation] = daemon_id
        named.append(slot)
    plan.add = named
    plan.remove = to_remove
    plan.all_slots = all_slots
    if digest_changed:
        plan.reconfig = [d for d in daemons
                         if d.name() not in removing and d.hostname not in unreachable]
    return plan


def _osds_per_host(spec: "DriveGroupSpec", state: ClusterState) -> Dict[str, int]:
    """How many OSDs the spec's service has on each host (counted by the store if it can)."""
    per_host: Dict[str, int] = {}
    if state.osd_counts is not None:
        for (service, host), n in state.osd_counts.items():
            if service == spec.service_name():
                per_host[host] = n
    else:
        for dd in state.by_service.get(spec.service_name(), []):
            per_host[dd.hostname or ""] = per_host.get(dd.hostname or "", 0) + 1
    return per_host


def plan_osd_service(spec: "DriveGroupSpec", state: ClusterState,
                     skip_validation: bool = False) -> ServicePlan:
    """Per matching reachable host, the devices the OSD spec takes (prepare_drivegroup).
    ``skip_validation`` (`orch daemon add osd --skip-validation`) hands explicit paths the
    inventory rejects to ceph-volume anyway: it, not the inventory, has the last word."""
    from ceph_orch_cli.deployment.drive_selection import DriveSelection
    from ceph_orch_cli.deployment.translate import to_ceph_volume

    plan = ServicePlan(spec)
    unreachable = {h.hostname for h in state.unreachable_hosts()}
    try:
        matching = spec.placement.filter_matching_hostspecs(state.schedulable_hosts())
    except OrchestratorError as e:
        plan.error = str(e)
        return plan
    per_host = _osds_per_host(spec, state)
    for hostname in matching:
        if hostname in unreachable or hostname not in state.devices:
            continue
        try:
            selection = DriveSelection(spec, state.devices[hostname],
                                       existing_daemons=per_host.get(hostname, 0))
        except SpecValidationError as e:  # includes DriveGroupValidationError
            plan.error = str(e)
            return plan
        # explicit paths come back as bare Devices: judge every device by the inventory's view
        known = {d.path: d for d in state.devices[hostname]}
        # (a path the inventory lacks is left to the host to refuse)
        free = [d.path for d in selection.data_devices()
                if d.path not in known or known[d.path].available or skip_validation]
        if not free:
            continue
        claims = sorted(set(state.destroyed_osds.get(hostname, [])) |
                        {int(i) for i in spec.osd_id_claims.get(hostname, [])})
        try:
            cmds = to_ceph_volume(selection, [str(c) for c in claims] or None).run()
        except ValueError as e:
            plan.error = str(e)
            return plan
        if cmds:
            plan.osds.append(OsdHostPlan(
                hostname, selection, cmds, claims, data=free,
                db=[d.path for d in selection.db_devices()],
                wal=[d.path for d in selection.wal_devices()],
                osds_per_device=spec.osds_per_device or 1))
    return plan


def plan_all(specs: List["ServiceSpec"], state: ClusterState,
             rank_maps: Optional[Dict[str, Dict[str, Any]]] = None,
             changed_digests: Iterable[str] = ()) -> List[ServicePlan]:
    """Plans for every managed spec, in converge order. Each later plan sees the daemons the
    earlier ones add (names stay unique, ingress sees its backend's new hosts)."""
    from ceph_orch_cli.orchestrator import DaemonDescription

    changed = set(changed_digests)
    plans = []
    work = ClusterState(hosts=state.hosts, daemons=list(state.daemons), devices=state.devices,
                        networks=state.networks, destroyed_osds=state.destroyed_osds,
                        fsid=state.fsid, ceph_image=state.ceph_image,
                        ceph_images=state.ceph_images, service_images=state.service_images,
                        upgrade_in_progress=state.upgrade_in_progress,
                        mon_public_network=state.mon_public_network,
                        memory_targets=state.memory_targets,
                        osd_counts=state.osd_counts)
    for spec in sorted(specs, key=service_order):
        if spec.unmanaged:
            continue
        plan = plan_service(spec, work, specs, (rank_maps or {}).get(spec.service_name()),
                            spec.service_name() in changed)
        plans.append(plan)
        for slot in plan.add:
            dd = DaemonDescription(daemon_type=slot.daemon_type, daemon_id=slot.name,
                                   hostname=slot.hostname, service_name=spec.service_name(),
                                   ports=slot.ports or None, ip=slot.ip, rank=slot.rank,
                                   rank_generation=slot.rank_generation)
            work.by_service.setdefault(spec.service_name(), []).append(dd)
            work.ids_by_type.setdefault(slot.daemon_type, set()).add(slot.name)
    return plans


# -- requests for the driver --------------------------------------------------------------

#: Ports a daemon opens that its spec does not name (the registry's ``implied_ports``).
IMPLIED_PORTS: Dict[str, List[int]] = {
    d: list(p) for r in service_types.REGISTRY for d, p in r.implied_ports.items()}


def deploy_request(spec: "ServiceSpec", slot: DaemonPlacement, fsid: str,
                   ceph_image: str, reconfig: bool = False,
                   memory_request: Optional[int] = None,
                   service_images: Optional[Dict[str, str]] = None) -> DeployRequest:
    config: Dict[str, Any] = {}
    spec_json = spec.to_json()
    if spec_json.get("spec"):
        config["spec"] = spec_json["spec"]
    spec_config = getattr(spec, "config", None)
    if spec_config:
        config["config"] = dict(spec_config)
    return DeployRequest(
        name=f"{slot.daemon_type}.{slot.name}", fsid=fsid,
        image=image_for(slot.daemon_type, ceph_image, spec, service_images),
        service_name=spec.service_name(),
        ports=list(slot.ports or IMPLIED_PORTS.get(slot.daemon_type, [])), ip=slot.ip,
        rank=slot.rank,
        rank_generation=slot.rank_generation, config=config,
        extra_container_args=[str(a) for a in (spec_json.get("extra_container_args") or [])],
        extra_entrypoint_args=[str(a) for a in (spec_json.get("extra_entrypoint_args") or [])],
        reconfig=reconfig, memory_request=memory_request)


def reconfig_request(spec: "ServiceSpec", dd: "DaemonDescription", fsid: str,
                     ceph_image: str) -> DeployRequest:
    slot = DaemonPlacement(daemon_type=dd.daemon_type or "", hostname=dd.hostname or "",
                           name=dd.daemon_id or "", ports=list(dd.ports or []), ip=dd.ip,
                           rank=dd.rank, rank_generation=dd.rank_generation)
    req = deploy_request(spec, slot, fsid, ceph_image, reconfig=True,
                         memory_request=dd.memory_request)
    if dd.container_image_name:
        req.image = dd.container_image_name
    return req


def osd_request(spec: "DriveGroupSpec", osd: OsdHostPlan, fsid: str,
                ceph_image: str, memory_request: Optional[int] = None) -> OsdPrepareRequest:
    return OsdPrepareRequest(
        fsid=fsid, image=ceph_image, service_name=spec.service_name(),
        ceph_volume_args=[c.split() for c in osd.commands],
        data_devices=list(osd.data), db_devices=list(osd.db), wal_devices=list(osd.wal),
        osds_per_device=osd.osds_per_device, memory_request=memory_request)


# -- the preview (Ceph's plan() shape) ---------------------------------------------------

def osd_preview(plan: ServicePlan) -> Dict[str, Any]:
    data: Dict[str, List[Any]] = {}
    for osd in plan.osds:
        sizes = {d.path: _human(d) for d in osd.selection.data_devices()}
        dbs, wals = osd.db, osd.wal
        encrypted = getattr(plan.spec, "encrypted", False)  # an OSD plan's is a DriveGroupSpec
        rows = []
        for i, path in enumerate(osd.data):
            row: Dict[str, Any] = {"data": path, "data_size": sizes.get(path, ""),
                                   "encryption": "dmcrypt" if encrypted else "None"}
            if dbs:
                row["block_db"] = dbs[i % len(dbs)]
            if wals:
                row["block_wal"] = wals[i % len(wals)]
            rows.append(row)
        data.setdefault(osd.hostname, []).append(
            {"osdspec": plan.spec.service_id, "host": osd.hostname, "data": rows, "notes": []})
    if plan.error:
        data = {"n/a": [{"error": True, "message": plan.error}]}
    elif not data:
        data = {"n/a": [{"error": True, "message": "No OSDSpec or matching hosts found."}]}
    return {"service_name": plan.service_name, "service_type": "osd", "data": data}


def _human(dev: "Device") -> str:
    sys_api = dev.sys_api or {}
    return str(sys_api.get("human_readable_size") or sys_api.get("size", ""))


def preview(plans: List[ServicePlan]) -> List[Dict[str, Any]]:
    """``plan()``'s answer: the warning first, then one entry per spec."""
    out: List[Dict[str, Any]] = [{"warning": PLAN_WARNING}]
    for plan in plans:
        if service_types.service_type(plan.spec.service_type).creates_osds:
            out.append(osd_preview(plan))
            continue
        entry: Dict[str, Any] = {"service_name": plan.service_name,
                                 "service_type": plan.spec.service_type,
                                 "add": sorted({s.hostname for s in plan.add}),
                                 "remove": [d.name() for d in plan.remove]}
        if plan.error:
            entry["error"] = plan.error
        out.append(entry)
    return out

