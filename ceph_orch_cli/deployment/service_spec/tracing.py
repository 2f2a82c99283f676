"""Jaeger tracing: ``jaeger-tracing`` stands for elasticsearch and the three jaeger services."""
from __future__ import annotations

from typing import Dict, List, Optional

from ceph_orch_cli.deployment.service_spec.base import ServiceSpec
from ceph_orch_cli.deployment.service_spec.fields import _FieldSpec
from ceph_orch_cli.deployment.service_spec.placement import PlacementSpec


class TracingSpec(_FieldSpec):
    SERVICE_TYPES = ['elasticsearch', 'jaeger-collector', 'jaeger-query', 'jaeger-agent']
    _TYPES = tuple(SERVICE_TYPES) + ('jaeger-tracing',)
    _BASE = frozenset({'placement', 'unmanaged', 'preview_only', 'config', 'networks'})
    #: an external elasticsearch (no elasticsearch service is deployed then)
    es_nodes: Optional[str] = None
    without_query: bool = False

    def get_port_start(self) -> List[int]:
        return [self.get_port()]

    def get_port(self) -> int:
        return {'elasticsearch': 9200, 'jaeger-agent': 6799, 'jaeger-collector': 14250,
                'jaeger-query': 16686}[self.service_type]

    def get_tracing_specs(self) -> List[ServiceSpec]:
        """Expand ``jaeger-tracing`` into the services it stands for."""
        daemons: Dict[str, Optional[PlacementSpec]] = {d: None for d in self.SERVICE_TYPES}
        if self.es_nodes:
            del daemons['elasticsearch']
        if self.without_query:
            del daemons['jaeger-query']
        if self.placement:
            daemons['jaeger-collector'] = self.placement
        return [TracingSpec(service_type=d, es_nodes=self.es_nodes, placement=p,
                            unmanaged=self.unmanaged, config=self.config,
                            networks=self.networks, preview_only=self.preview_only)
                for d, p in daemons.items()]
