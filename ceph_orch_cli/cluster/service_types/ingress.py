"""ingress: haproxy in front of a backend service, keepalived holding the virtual IPs.

It differs from the other types in every hook (cephadm's ``services/ingress.py``): two daemon
types per host, placement next to the backend's daemons, hosts filtered by the subnets that
hold the virtual IPs, and daemons reconfigured when the daemons they name change.
"""
from __future__ import annotations

import ipaddress
import logging
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Sequence, Set

from ceph_orch_cli.cluster.service_types.hooks import HostFilter, ServiceHooks

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.reconcile import ClusterState
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    from ceph_orch_cli.orchestrator import DaemonDescription

logger = logging.getLogger(__name__)


def _keepalive_only(spec: "ServiceSpec") -> bool:
    return bool(getattr(spec, "keepalive_only", False))


def _subnet_holds(subnet: str, ip: "ipaddress._BaseAddress") -> bool:
    try:
        return ip in ipaddress.ip_network(subnet, strict=False)
    except ValueError:
        return False


class IngressHooks(ServiceHooks):
    """haproxy + keepalived per host (keepalived alone with ``keepalive_only``)."""

    names_other_daemons = True

    def primary_daemon_type(self, spec: "ServiceSpec") -> str:
        return "keepalived" if _keepalive_only(spec) else "haproxy"

    def per_host_daemon_type(self, spec: "ServiceSpec") -> Optional[str]:
        return None if _keepalive_only(spec) else "keepalived"

    def related_daemons(self, spec: "ServiceSpec", specs: Iterable["ServiceSpec"],
                        state: "ClusterState") -> Optional[List["DaemonDescription"]]:
        backend = getattr(spec, "backend_service", None)
        return list(state.by_service.get(backend or "", [])) + \
            list(state.by_service.get(spec.service_name(), []))

    def host_filter(self, spec: "ServiceSpec", state: "ClusterState") -> Optional[HostFilter]:
        """A host with an interface on a subnet holding every virtual IP (``virtual_ip``
        or else ``virtual_ips_list``)."""
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

    def daemon_deps(self, daemon_type: str, spec: "ServiceSpec",
                    names_by_service: Dict[str, Set[str]]) -> Optional[List[str]]:
        """haproxy lists its backend's daemons; keepalived the haproxy daemons of its
        ingress (of the backend's, with ``keepalive_only``)."""
        if daemon_type == "haproxy":
            return sorted(names_by_service.get(getattr(spec, "backend_service", None) or "", ()))
        if daemon_type == "keepalived":
            source = spec.service_name()
            if _keepalive_only(spec):
                source = getattr(spec, "backend_service", None) or ""
            return sorted(n for n in names_by_service.get(source, ()) if n.startswith("haproxy."))
        return None

    def check_apply(self, spec: "ServiceSpec", services: Sequence[str]) -> Optional[str]:
        backend = getattr(spec, "backend_service", None)
        if backend and backend not in services:
            return (f"Cannot apply {spec.service_name()}: its backend_service {backend!r} does "
                    "not exist (apply that service first, or in the same file)")
        return None

    def daemons_per_slot(self, spec: "ServiceSpec") -> int:
        return 1 if _keepalive_only(spec) else 2  # a haproxy and a keepalived per host
