"""One record per service type: everything the engine knows about a type, in one place.

A record says which default placement a type gets, which images its daemon types run (none
named: they follow the cluster's Ceph image), where it comes in converge and in upgrade, whether
its daemons may share a host, the cephx caps and config section of its daemons, their
memory option, the ports they open beyond their spec's, and how it deploys; ``hooks``
carries the behaviour of the few types that differ (``ingress.py``, ``mon.py``), as
cephadm's ``cephadm/services/<type>.py`` do. Which daemon types make up a service is the
interface's naming (``orchestrator.service_to_daemon_types``) and the ports a spec names by
default are its spec class's (``deployment/service_spec``): both are read from there.

To add a service type: one ``ServiceType(...)`` below, and a hooks module only if it
behaves differently from ``ServiceHooks``' defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Tuple

from ceph_orch_cli.cluster.service_types.hooks import DEFAULT_HOOKS, ServiceHooks
from ceph_orch_cli.cluster.service_types.ingress import IngressHooks
from ceph_orch_cli.cluster.service_types.mon import MonHooks

DEFAULT_IMAGE = "quay.io/ceph/ceph:v18.2.4"

#: what a daemon's config section is: its own name (``mon.a``), ``client.<name>``, or
#: ``mon`` (daemons with no entity of their own read the mon section)
SELF, CLIENT, MON_SECTION = "self", "client", "mon"

#: families in cephadm's upgrade order (``utils.py``): the Ceph daemons, then the gateways,
#: then the monitoring stack
CEPH, GATEWAY, MONITORING, OTHER = "ceph", "gateway", "monitoring", "other"


@dataclass(frozen=True)
class ServiceType:
    """What the engine knows about one service type."""

    name: str
    #: the placement an apply without one gets (cephadm's ``default_placement``)
    placement: Optional[Mapping[str, object]] = None
    #: images of daemon types that do not run the Ceph image: cephadm's defaults of Reef's era
    #: (later releases' changes: ``release_images.py``)
    images: Mapping[str, str] = field(default_factory=dict)
    #: position in converge (the cluster's core first, ingress after its backends); None:
    #: after every ordered type
    converge: Optional[int] = None
    #: position in cephadm's upgrade order; None: not part of an upgrade
    upgrade: Optional[int] = None
    family: str = OTHER
    #: several daemons of this service may share a host (cephadm's ``allow_colo``)
    colocate: bool = False
    #: at least one daemon always (mon, mgr): never scaled below one, not removable with
    #: ``orch rm``, at most max(5, hosts) daemons
    never_empty: bool = False
    #: daemons get ranks (nfs: cephadm's rank map)
    ranked: bool = False
    #: deploys by creating OSDs from drive selections rather than daemons on slots
    creates_osds: bool = False
    #: its daemons run the image their spec names (a custom container), else ``images``
    image_from_spec: bool = False
    #: removing a daemon needs no ok-to-stop (mon: the monmap shrinks with it)
    removal_unchecked: bool = False
    #: a failed ok-to-stop of its daemons can cost availability or data: only
    #: ``--force --yes-i-really-mean-it`` overrides it for maintenance (mon, osd, mds)
    stop_is_dangerous: bool = False
    #: the daemons' config section (SELF, CLIENT or MON_SECTION)
    config_section: str = MON_SECTION
    #: cephx caps of a new key per daemon type (cephadm's ``services/*.py``); a type not here
    #: gets no key of its own
    caps: Mapping[str, List[str]] = field(default_factory=dict)
    #: Ceph's default of ``<daemon type>_memory_target`` per daemon type (the daemon's
    #: ``memory_request``, ``orch ps`` MEM LIM)
    memory_targets: Mapping[str, int] = field(default_factory=dict)
    #: ports a daemon type opens that its spec does not name (mgr: the dashboard 8443,
    #: prometheus module 9283 and service discovery 8765, as cephadm deploys every mgr)
    implied_ports: Mapping[str, List[int]] = field(default_factory=dict)
    hooks: ServiceHooks = DEFAULT_HOOKS

    def image_of(self, daemon_type: str, ceph_image: Optional[str] = None) -> Optional[str]:
        """The daemon type's own default image in the release of ``ceph_image`` (the first
        release's when it is not given), None when the type runs the Ceph image."""
        first = self.images.get(daemon_type)
        if first is None or ceph_image is None:
            return first
        from ceph_orch_cli.cluster.service_types.release_images import release_default
        return release_default(daemon_type, first, ceph_image)


_GIB = 1024 ** 3

#: every service type, in converge order
REGISTRY: Tuple[ServiceType, ...] = (
    ServiceType("mon", {"count": 5}, converge=0, upgrade=1, family=CEPH, never_empty=True,
                removal_unchecked=True, stop_is_dangerous=True, config_section=SELF,
                memory_targets={"mon": 2 * _GIB}, hooks=MonHooks()),
    ServiceType("mgr", {"count": 2}, converge=1, upgrade=0, family=CEPH, never_empty=True,
                config_section=SELF,
                caps={"mgr": ["mon", "profile mgr", "osd", "allow *", "mds", "allow *"]},
                implied_ports={"mgr": [8443, 9283, 8765]}),
    ServiceType("crash", {"host_pattern": "*"}, converge=2, upgrade=2, family=CEPH,
                config_section=CLIENT,
                caps={"crash": ["mon", "profile crash", "mgr", "profile crash"]}),
    ServiceType("osd", None, converge=3, upgrade=3, family=CEPH, creates_osds=True,
                stop_is_dangerous=True, config_section=SELF, memory_targets={"osd": 4 * _GIB}),
    ServiceType("ceph-exporter", {"host_pattern": "*"}, converge=4, upgrade=8, family=CEPH,
                config_section=CLIENT,
                caps={"ceph-exporter": ["mon", "profile ceph-exporter", "mon", "allow r",
                                        "mgr", "allow r", "osd", "allow r"]}),
    ServiceType("node-exporter", {"host_pattern": "*"}, converge=5, upgrade=13,
                family=MONITORING,
                images={"node-exporter": "quay.io/prometheus/node-exporter:v1.5.0"}),
    ServiceType("mds", {"count": 2}, converge=6, upgrade=4, family=CEPH, colocate=True,
                stop_is_dangerous=True, config_section=SELF,
                caps={"mds": ["mon", "profile mds", "osd", "allow rw tag cephfs *=*",
                              "mds", "allow"]}),
    ServiceType("rgw", {"count": 2}, converge=7, upgrade=5, family=CEPH, colocate=True,
                config_section=CLIENT,
                caps={"rgw": ["mon", "allow *", "mgr", "allow rw", "osd",
                              "allow rwx tag rgw *=*"]}),
    ServiceType("nfs", {"count": 1}, converge=8, upgrade=10, family=GATEWAY, ranked=True,
                config_section=CLIENT),
    ServiceType("iscsi", {"count": 1}, converge=9, upgrade=9, family=GATEWAY,
                config_section=CLIENT),
    ServiceType("nvmeof", {"count": 1}, converge=10, upgrade=11, family=GATEWAY,
                config_section=CLIENT, images={"nvmeof": "quay.io/ceph/nvmeof:1.2.5"}),
    ServiceType("rbd-mirror", {"count": 2}, converge=11, upgrade=6, family=CEPH,
                colocate=True, config_section=CLIENT,
                caps={"rbd-mirror": ["mon", "profile rbd-mirror", "osd", "profile rbd"]}),
    ServiceType("cephfs-mirror", {"count": 1}, converge=12, upgrade=7, family=CEPH,
                config_section=CLIENT,
                caps={"cephfs-mirror": [
                    "mon", "profile cephfs-mirror", "mds", "allow r",
                    "osd", "allow rw tag cephfs metadata=*, allow r tag cephfs data=*",
                    "mgr", "allow r"]}),
    # newer than Reef: the first default image cephadm gave smb
    ServiceType("smb", {"count": 1}, converge=13, upgrade=12, family=GATEWAY,
                images={"smb": "quay.io/samba.org/samba-server:devbuilds-centos-amd64"}),
    ServiceType("ingress", {"count": 2}, converge=14,
                images={"haproxy": "quay.io/ceph/haproxy:2.3",
                        "keepalived": "quay.io/ceph/keepalived:2.2.4"}, hooks=IngressHooks()),
    ServiceType("prometheus", {"count": 1}, converge=15, upgrade=14, family=MONITORING,
                images={"prometheus": "quay.io/prometheus/prometheus:v2.43.0"}),
    ServiceType("alertmanager", {"count": 1}, converge=16, upgrade=15, family=MONITORING,
                images={"alertmanager": "quay.io/prometheus/alertmanager:v0.25.0"}),
    ServiceType("grafana", {"count": 1}, converge=17, upgrade=16, family=MONITORING,
                images={"grafana": "quay.io/ceph/ceph-grafana:9.4.7"}),
    ServiceType("loki", {"count": 1}, converge=18, upgrade=17, family=MONITORING,
                images={"loki": "docker.io/grafana/loki:2.4.0"}),
    ServiceType("promtail", {"host_pattern": "*"}, converge=19, upgrade=18, family=MONITORING,
                images={"promtail": "docker.io/grafana/promtail:2.4.0"}),
    ServiceType("alloy", {"host_pattern": "*"}, converge=20, upgrade=19, family=MONITORING,
                images={"alloy": "docker.io/grafana/alloy:latest"}),
    ServiceType("snmp-gateway", {"count": 1}, converge=21,
                images={"snmp-gateway": "docker.io/maxwo/snmp-notifier:v1.2.1"}),
    ServiceType("mgmt-gateway", {"count": 1}, converge=22,
                images={"mgmt-gateway": "quay.io/ceph/nginx:sclorg-nginx-126"}),
    ServiceType("oauth2-proxy", {"count": 1}, converge=23,
                images={"oauth2-proxy": "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0"}),
    ServiceType("container", {"count": 1}, converge=24, image_from_spec=True),
    # stands for its four services (``expand_specs``), each with a record of its own
    ServiceType("jaeger-tracing", None, converge=25),
    ServiceType("elasticsearch", {"count": 1},
                images={"elasticsearch": "quay.io/omrizeneva/elasticsearch:6.8.23"}),
    ServiceType("jaeger-collector", {"count": 1},
                images={"jaeger-collector": "quay.io/jaegertracing/jaeger-collector:1.29"}),
    ServiceType("jaeger-query", {"count": 1},
                images={"jaeger-query": "quay.io/jaegertracing/jaeger-query:1.29"}),
    ServiceType("jaeger-agent", {"host_pattern": "*"},
                images={"jaeger-agent": "quay.io/jaegertracing/jaeger-agent:1.29"}),
    ServiceType("agent"),
    ServiceType("node-proxy"),
)

_BY_NAME: Dict[str, ServiceType] = {r.name: r for r in REGISTRY}


def service_type(name: str) -> ServiceType:
    """The record of a service type; a name not registered gets the defaults (a spec
    model newer than the registry still plans, as one plain service)."""
    found = _BY_NAME.get(name)
    return found if found is not None else ServiceType(name)


def _daemon_owners() -> Dict[str, ServiceType]:
    """Daemon type -> the record that owns it: a type's own service where there is one
    (``elasticsearch``), else the service it is part of (``haproxy`` -> ingress)."""
    from ceph_orch_cli.orchestrator import service_to_daemon_types
    owners: Dict[str, ServiceType] = {}
    for record in REGISTRY:
        for dtype in service_to_daemon_types(record.name):
            if dtype == record.name or dtype not in owners:
                owners[dtype] = record
    return owners


_OWNERS: Dict[str, ServiceType] = _daemon_owners()


def for_daemon(daemon_type: str) -> ServiceType:
    """The record a daemon type's facts (image, caps, memory option, section) are on."""
    found = _OWNERS.get(daemon_type)
    return found if found is not None else ServiceType(daemon_type)


def daemon_image(daemon_type: str) -> Optional[str]:
    """A daemon type's own default image, None when it runs the Ceph image."""
    return for_daemon(daemon_type).image_of(daemon_type)


def follows_ceph_image(daemon_type: str) -> bool:
    """Whether a daemon type runs the cluster's Ceph image (and an upgrade moves it)."""
    return daemon_image(daemon_type) is None


def upgrade_order(family: Optional[str] = None) -> List[str]:
    """cephadm's upgrade order (mgr first, the monitoring stack last), of one family."""
    ranked = sorted((r for r in REGISTRY if r.upgrade is not None),
                    key=lambda r: r.upgrade or 0)
    return [r.name for r in ranked if family is None or r.family == family]


def ceph_image_types() -> List[str]:
    """The upgrade-ordered daemon types that run the Ceph image (cephadm's CEPH_IMAGE_TYPES)."""
    return [t for t in upgrade_order() if follows_ceph_image(t)]


def memory_target_defaults() -> Dict[str, int]:
    """Daemon type -> Ceph's default ``<type>_memory_target``, for the types that have one."""
    return {d: v for r in REGISTRY for d, v in r.memory_targets.items()}
