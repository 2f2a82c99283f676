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

import ipaddress
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

from ceph_orch_cli.cluster.driver import DeployRequest, OsdPrepareRequest
from ceph_orch_cli.cluster.naming import unique_daemon_id
from ceph_orch_cli.cluster.scheduling import DaemonPlacement, HostAssignment
from ceph_orch_cli.deployment.hostspec import SpecValidationError
from ceph_orch_cli.deployment.service_spec import allow_colo
from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.deployment.drive_group import DriveGroupSpec
    from ceph_orch_cli.deployment.drive_selection import DriveSelection
    from ceph_orch_cli.deployment.hostspec import HostSpec
    from ceph_orch_cli.deployment.inventory import Device
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    from ceph_orch_cli.orchestrator import DaemonDescription

logger = logging.getLogger(__name__)

DRAIN_LABEL = "_no_schedule"

#: services that never go below one daemon by reconciliation
NEVER_EMPTY = frozenset({"mon", "mgr"})
#: order in which services converge: the cluster's core first, ingress after its backends
_TYPE_ORDER = {t: i for i, t in enumerate(
    ["mon", "mgr", "crash", "osd", "ceph-exporter", "node-exporter", "mds", "rgw", "nfs",
     "iscsi", "nvmeof", "rbd-mirror", "cephfs-mirror", "smb", "ingress", "prometheus",
     "alertmanager", "grafana", "loki", "promtail", "alloy", "snmp-gateway", "mgmt-gateway",
     "oauth2-proxy", "container", "jaeger-tracing"])}

PLAN_WARNING = ("WARNING! Dry-Runs are snapshots of a certain point in time and are bound \n"
                "to the current inventory setup. If any of these conditions change, the \n"
                "preview will be invalid. Please make sure to have a minimal \n"
                "timeframe between planning and applying the specs.")

DEFAULT_IMAGE = "quay.io/ceph/ceph:v18.2.4"
#: store setting: type -> image chosen by `orch update service` (cephadm's
#: ``container_image_<type>`` module options)
SERVICE_IMAGES_SETTING = "service_images"
#: images of the non-Ceph daemon types (cephadm's defaults of the same era)
DEFAULT_IMAGES = {
    "prometheus": "quay.io/prometheus/prometheus:v2.43.0",
    "node-exporter": "quay.io/prometheus/node-exporter:v1.5.0",
    "alertmanager": "quay.io/prometheus/alertmanager:v0.25.0",
    "grafana": "quay.io/ceph/ceph-grafana:9.4.7",
    "haproxy": "quay.io/ceph/haproxy:2.3",
    "keepalived": "quay.io/ceph/keepalived:2.2.4",
    "loki": "docker.io/grafana/loki:2.4.0",
    "promtail": "docker.io/grafana/promtail:2.4.0",
    "snmp-gateway": "docker.io/maxwo/snmp-notifier:v1.2.1",
    "nvmeof": "quay.io/ceph/nvmeof:1.2.5",
    "elasticsearch": "quay.io/omrizeneva/elasticsearch:6.8.23",
    "jaeger-collector": "quay.io/jaegertracing/jaeger-collector:1.29",
    "jaeger-agent": "quay.io/jaegertracing/jaeger-agent:1.29",
    "jaeger-query": "quay.io/jaegertracing/jaeger-query:1.29",
    # newer than Reef: the first defaults cephadm gave these types
    "smb": "quay.io/samba.org/samba-server:devbuilds-centos-amd64",
    "mgmt-gateway": "quay.io/ceph/nginx:sclorg-nginx-126",
    "oauth2-proxy": "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0",
    "alloy": "docker.io/grafana/alloy:latest",
}


#: Ceph's defaults for ``<type>_memory_target``: cephadm passes it as the daemon's
#: ``memory_request`` for these types (``orch ps`` MEM LIM)
MEMORY_TARGET_DEFAULTS = {"mon": 2 * 1024 ** 3, "osd": 4 * 1024 ** 3}


def memory_request_for(daemon_type: str, targets: Dict[str, int]) -> Optional[int]:
    """A new daemon's ``memory_request``: its type's memory target (mon, osd only)."""
    if daemon_type not in MEMORY_TARGET_DEFAULTS:
        return None
    return int(targets.get(daemon_type, MEMORY_TARGET_DEFAULTS[daemon_type]))


def service_order(spec: "ServiceSpec") -> Tuple[int, str]:
    return (_TYPE_ORDER.get(spec.service_type, len(_TYPE_ORDER)), spec.service_name())


def image_for(daemon_type: str, ceph_image: str, spec: Optional["ServiceSpec"] = None,
              service_images: Optional[Dict[str, str]] = None) -> str:
    """A daemon's image: a custom container's own, the one `orch update service` set for a
    non-Ceph type (cephadm's ``container_image_<type>`` option), that type's default, else
    the Ceph image."""
    own = getattr(spec, "image", None) if daemon_type == "container" else None
    if isinstance(own, str) and own:
        return own
    chosen = (service_images or {}).get(daemon_type)
    if chosen:
        return chosen
    return DEFAULT_IMAGES.get(daemon_type, ceph_image)


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

def primary_daemon_type(spec: "ServiceSpec") -> str:
    if spec.service_type == "ingress":
        return "keepalived" if getattr(spec, "keepalive_only", False) else "haproxy"
    return spec.service_type


def per_host_daemon_type(spec: "ServiceSpec") -> Optional[str]:
    if spec.service_type == "ingress" and not getattr(spec, "keepalive_only", False):
        return "keepalived"
    return None


def related_service_daemons(spec: "ServiceSpec", specs: Iterable["ServiceSpec"],
                            state: ClusterState) -> Optional[List["DaemonDescription"]]:
    """Daemons of the service an ingress fronts (or of the ingress fronting this service):
    placement prefers their hosts, as cephadm does."""
    if spec.service_type == "ingress":
        backend = getattr(spec, "backend_service", None)
        return list(state.by_service.get(backend or "", [])) + \
            list(state.by_service.get(spec.service_name(), []))
    for other in specs:
        if other.service_type == "ingress" and \
                getattr(other, "backend_service", None) == spec.service_name():
            return list(state.by_service.get(other.service_name(), [])) + \
                list(state.by_service.get(spec.service_name(), []))
    return None


def host_filter(spec: "ServiceSpec", state: ClusterState
                ) -> Optional[Callable[[str, "ServiceSpec"], bool]]:
    """cephadm's ``filter_new_host``: which hosts may get a new daemon of this service.

    mon: a host with a network overlapping one of the mon ``public_network`` CIDRs (only
    when that option names one). ingress: a host with an interface on a subnet holding
    every virtual IP (``virtual_ip`` or else ``virtual_ips_list``).
    """
    if spec.service_type == "mon":
        public = [n.strip() for n in state.mon_public_network.split(",")
                  if "/" in state.mon_public_network and n.strip()]
        if not public:
            return None
        wanted = [ipaddress.ip_network(n, strict=False) for n in public]

        def on_public_network(host: str, _spec: "ServiceSpec") -> bool:
            for subnet in state.networks.get(host, {}):
                try:
                    net = ipaddress.ip_network(subnet, strict=False)
                except ValueError:
                    continue
                if any(net.version == w.version and net.overlaps(w) for w in wanted):
                    return True
            logger.info("Filtered out host %s: does not belong to mon public_network(s): %s",
                        host, ",".join(public))
            return False
        return on_public_network
    if spec.service_type == "ingress":
        vip = getattr(spec, "virtual_ip", None)
        vips = [vip] if vip else list(getattr(spec, "virtual_ips_list", None) or [])
        try:
            ips = [(v, ipaddress.ip_address(str(v).split("/")[0])) for v in vips]
        except ValueError:
            return None  # spec validation reports a malformed VIP
        if not ips:
            return None

        def has_interface_for_vips(host: str, _spec: "ServiceSpec") -> bool:
            for v, ip in ips:
                if not any(ifaces and _subnet_holds(subnet, ip)
                           for subnet, ifaces in state.networks.get(host, {}).items()):
                    logger.info("Filtered out host %s: Host has no interface available for "
                                "VIP: %s", host, v)
                    return False
            return True
        return has_interface_for_vips
    return None


def _subnet_holds(subnet: str, ip: "ipaddress._BaseAddress") -> bool:
    try:
        return ip in ipaddress.ip_network(subnet, strict=False)
    except ValueError:
        return False


def daemon_deps(daemon_type: str, spec: "ServiceSpec",
                names_by_service: Dict[str, Set[str]]) -> Optional[List[str]]:
    """The other daemons a daemon's config names (cephadm's ``deps``): when they change,
    cephadm reconfigures it. haproxy lists its backend's daemons; keepalived the haproxy
    daemons of its ingress. None for types whose config names no other daemon here."""
    if spec.service_type != "ingress":
        return None
    if daemon_type == "haproxy":
        return sorted(names_by_service.get(getattr(spec, "backend_service", None) or "", ()))
    if daemon_type == "keepalived":
        source = spec.service_name()
        if getattr(spec, "keepalive_only", False):
            source = getattr(spec, "backend_service", None) or ""
        return sorted(n for n in names_by_service.get(source, ()) if n.startswith("haproxy."))
    return None


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
        if plan.error or plan.spec.service_type != "ingress":
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
    if spec.service_type == "osd":
        return plan_osd_service(spec, state)  # type: ignore[arg-type]
    plan = ServicePlan(spec)
    daemons = list(state.by_service.get(spec.service_name(), []))
    ranked = spec.service_type == "nfs"
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
            allow_colo=allow_colo(primary_daemon_type(spec)),
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

    if spec.service_type in NEVER_EMPTY and len(daemons) + len(to_add) - len(to_remove) < 1:
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
        if plan.rank_map is not None and slot.rank is not None:
            plan.rank_map[slot.rank][slot.rank_generation] = daemon_id
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

#: Ports a daemon opens that its spec does not name: cephadm deploys every mgr with the
#: dashboard (8443), prometheus module (9283) and service discovery (8765) ports.
IMPLIED_PORTS: Dict[str, List[int]] = {"mgr": [8443, 9283, 8765]}


def deploy_request(spec: "ServiceSpec", slot: DaemonPlacement, fsid: str,
                   ceph_image: str, reconfig: bool = False,
                   memory_request: Optional[int] = None,
                   service_images: Optional[Dict[str, str]] = None) -> DeployRequest:
    config: Dict[str, Any] = {}
    spec_json = spec.to_json()
    if spec_json.get("spec"):
        config["spec"] = spec_json["spec"]
    if getattr(spec, "config", None):
        config["config"] = dict(spec.config)  # type: ignore[attr-defined]
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
        rows = []
        for i, path in enumerate(osd.data):
            row: Dict[str, Any] = {"data": path, "data_size": sizes.get(path, ""),
                                   "encryption": "dmcrypt" if plan.spec.encrypted else "None"}
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
        if plan.spec.service_type == "osd":
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

