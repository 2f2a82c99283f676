"""mon: new monitors only on the mons' ``public_network`` (cephadm's ``services/cephadmservice.py``
``MonService``).

The other ways mon differs are plain fields of its record: it never goes below one daemon,
it is removed without ok-to-stop (the monmap shrinks with it), and ``<type>_memory_target``.
"""
from __future__ import annotations

import ipaddress
import logging
from typing import TYPE_CHECKING, Optional

from ceph_orch_cli.cluster.service_types.hooks import HostFilter, ServiceHooks

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.reconcile import ClusterState
    from ceph_orch_cli.deployment.service_spec import ServiceSpec

logger = logging.getLogger(__name__)


class MonHooks(ServiceHooks):
    """Mons go where the mons' public network is."""

    def host_filter(self, spec: "ServiceSpec", state: "ClusterState") -> Optional[HostFilter]:
        """A host with a network overlapping one of the mon ``public_network`` CIDRs (only
        when that option names one)."""
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
