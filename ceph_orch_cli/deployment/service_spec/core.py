"""Ceph's own daemons with fields of their own: mon (crush locations) and mds."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from ceph_orch_cli.deployment.hostspec import SpecValidationError, assert_valid_host
from ceph_orch_cli.deployment.service_spec.fields import _COMMON, _FieldSpec


class MDSSpec(_FieldSpec):
    _TYPES = ('mds',)
    _BASE = _COMMON - {'networks'}

    def validate(self) -> None:
        super().validate()
        if str(self.service_id)[0].isdigit():
            raise SpecValidationError('MDS service id cannot start with a numeric digit')


class MONSpec(_FieldSpec):
    _TYPES = ('mon',)
    _BASE = _COMMON | {'count'}
    #: host -> ``bucket=location`` strings, for stretch clusters
    crush_locations: Optional[Dict[str, List[str]]] = None

    def _post_init(self) -> None:
        self.validate()

    def validate(self) -> None:
        # As in Ceph, only the crush locations are checked for mon specs.
        if self.crush_locations:
            if not isinstance(self.crush_locations, dict):
                raise SpecValidationError('crush_locations must be a mapping of host to list')
            for host, crush_locs in self.crush_locations.items():
                try:
                    assert_valid_host(host)
                except SpecValidationError as e:
                    raise SpecValidationError(
                        f'Invalid hostname found in spec crush locations: {e}')
                for cloc in crush_locs:
                    if '=' not in cloc or len(cloc.split('=')) != 2:
                        raise SpecValidationError(
                            'Crush locations must be of form <bucket>=<location>. '
                            f'Found crush location: {cloc}')
