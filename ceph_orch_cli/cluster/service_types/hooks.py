"""What a service type may do differently from the rest, with the common behaviour as defaults.

``ServiceHooks`` plays the role of cephadm's ``CephadmService`` base class: the engine asks a
type's hooks instead of branching on its name. A type that differs overrides only what
differs, in its own module beside the registry (``ingress.py``, ``mon.py``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, Iterable, List, Optional, Sequence, Set

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.reconcile import ClusterState
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    from ceph_orch_cli.orchestrator import DaemonDescription

#: which hosts may get a new daemon of a service (cephadm's ``filter_new_host``)
HostFilter = Callable[[str, "ServiceSpec"], bool]


class ServiceHooks:
    """The behaviour every service type shares unless its own module says otherwise."""

    #: some daemon's config names other daemons (``daemon_deps`` answers); converge only
    #: tracks dependencies for such types
    names_other_daemons = False

    def primary_daemon_type(self, spec: "ServiceSpec") -> str:
        """The daemon type placement counts (a service of one type: that type)."""
        return spec.service_type

    def per_host_daemon_type(self, spec: "ServiceSpec") -> Optional[str]:
        """A second daemon type deployed once on every host the primary lands on."""
        return None

    def related_daemons(self, spec: "ServiceSpec", specs: Iterable["ServiceSpec"],
                        state: "ClusterState") -> Optional[List["DaemonDescription"]]:
        """Daemons whose hosts placement prefers: an ingress fronting this service (its
        daemons and this service's own, as cephadm does), else None."""
        for other in specs:
            if other.service_type == "ingress" and \
                    getattr(other, "backend_service", None) == spec.service_name():
                return list(state.by_service.get(other.service_name(), [])) + \
                    list(state.by_service.get(spec.service_name(), []))
        return None

    def host_filter(self, spec: "ServiceSpec", state: "ClusterState") -> Optional[HostFilter]:
        """A filter on the hosts that may get a new daemon, or None for every host."""
        return None

    def daemon_deps(self, daemon_type: str, spec: "ServiceSpec",
                    names_by_service: Dict[str, Set[str]]) -> Optional[List[str]]:
        """The other daemons a daemon's config names (a change means a reconfig); None when
        its config names none."""
        return None

    def check_apply(self, spec: "ServiceSpec", services: Sequence[str]) -> Optional[str]:
        """Why ``orch apply`` refuses this spec given the services that exist, or None."""
        return None

    def daemons_per_slot(self, spec: "ServiceSpec") -> int:
        """Daemons ``orch ls`` counts per placement slot."""
        return 1


DEFAULT_HOOKS = ServiceHooks()
