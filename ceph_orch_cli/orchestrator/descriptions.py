"""What the orchestrator reports about daemons, services and upgrades, with Ceph's JSON shapes.

These are descriptions, not health checks: a daemon "running on host1" is where the orchestrator
placed it and what it last saw, as of ``last_refresh``.

yaml is never imported here; ``yaml_representer`` lets the renderer register these types so their
YAML keys keep ``to_json`` order, as Ceph's do.
"""
from __future__ import annotations

import datetime
import enum
from collections import OrderedDict
from functools import lru_cache, wraps
from typing import TYPE_CHECKING, Any, Callable, Dict, FrozenSet, List, Optional, TypeVar, cast

from .daemon_types import daemon_type_to_service
from .errors import OrchestratorError, OrchestratorValidationError
from .events import OrchestratorEvent
from ceph_orch_cli.timeutil import datetime_to_str, str_to_datetime

if TYPE_CHECKING:
    from ceph_orch_cli.deployment.service_spec import ServiceSpec

FuncT = TypeVar('FuncT', bound=Callable[..., Any])

_DAEMON_DATE_KEYS = ('last_refresh', 'created', 'started', 'last_deployed', 'last_configured')
_SERVICE_DATE_KEYS = ('last_refresh', 'created')


def _type_error_is_validation(method: FuncT) -> FuncT:
    """Turn ``from_json(data)`` TypeErrors (unknown or missing keys) into a user-facing error."""
    @wraps(method)
    def inner(cls: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(cls, *args, **kwargs)
        except TypeError as e:
            raise OrchestratorValidationError(f'{cls.__name__}: {e}') from e
    return cast(FuncT, inner)


@lru_cache(maxsize=None)
def _requires_service_id() -> FrozenSet[str]:
    # Imported on first use: the spec model is the single source of truth for this list.
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    return frozenset(ServiceSpec.REQUIRES_SERVICE_ID)


def _argument_specs(args: Optional[List[Any]]) -> Optional[List[Any]]:
    if not args:
        return None
    from ceph_orch_cli.deployment.service_spec import ArgumentSpec
    return ArgumentSpec.from_general_args(args)


class DaemonDescriptionStatus(enum.IntEnum):
    unknown = -2
    error = -1
    stopped = 0
    running = 1
    starting = 2  #: deployed, not yet running

    @staticmethod
    def to_str(status: Optional['DaemonDescriptionStatus']) -> str:
        """Lower-case name; None counts as ``unknown``."""
        if status is None:
            status = DaemonDescriptionStatus.unknown
        try:
            return DaemonDescriptionStatus(status).name
        except ValueError:
            return '<unknown>'


class DaemonDescription:
    """One daemon as the orchestrator last saw it (``orch ps`` rows)."""

    def __init__(self,
                 daemon_type: Optional[str] = None,
                 daemon_id: Optional[str] = None,
                 hostname: Optional[str] = None,
                 container_id: Optional[str] = None,
                 container_image_id: Optional[str] = None,
                 container_image_name: Optional[str] = None,
                 container_image_digests: Optional[List[str]] = None,
                 version: Optional[str] = None,
                 status: Optional[DaemonDescriptionStatus] = None,
                 status_desc: Optional[str] = None,
                 last_refresh: Optional[datetime.datetime] = None,
                 created: Optional[datetime.datetime] = None,
                 started: Optional[datetime.datetime] = None,
                 last_configured: Optional[datetime.datetime] = None,
                 osdspec_affinity: Optional[str] = None,
                 last_deployed: Optional[datetime.datetime] = None,
                 events: Optional[List[OrchestratorEvent]] = None,
                 is_active: bool = False,
                 memory_usage: Optional[int] = None,
                 memory_request: Optional[int] = None,
                 memory_limit: Optional[int] = None,
                 cpu_percentage: Optional[str] = None,
                 service_name: Optional[str] = None,
                 ports: Optional[List[int]] = None,
                 ip: Optional[str] = None,
                 deployed_by: Optional[List[str]] = None,
                 systemd_unit: Optional[str] = None,
                 rank: Optional[int] = None,
                 rank_generation: Optional[int] = None,
                 extra_container_args: Optional[List[Any]] = None,
                 extra_entrypoint_args: Optional[List[Any]] = None,
                 pending_daemon_config: bool = False,
                 ) -> None:
        #: same granularity as InventoryHost.name
        self.hostname = hostname
        self.container_id = container_id                  # runtime id
        self.container_image_id = container_image_id      # local image id
        self.container_image_name = container_image_name  # image name as given
        self.container_image_digests = container_image_digests  # registry digests
        #: osd, mon, mgr, haproxy, ...
        self.daemon_type = daemon_type
        #: the <id> in <type>.<id>, as it appears in the FSMap/ServiceMap
        self.daemon_id = daemon_id
        self.daemon_name = self.name()
        self.rank = rank
        self.rank_generation = rank_generation
        self._service_name = service_name
        self.version = version
        self._status = status
        #: human-readable status; set together with ``status`` by the property setter
        self.status_desc = status_desc
        self.last_refresh = last_refresh
        self.created = created
        self.started = started
        self.last_configured = last_configured
        self.last_deployed = last_deployed
        #: the OSD spec (service id) an OSD was created from
        self.osdspec_affinity = osdspec_affinity
        self.events: List[OrchestratorEvent] = events or []
        self.memory_usage = memory_usage
        self.memory_request = memory_request
        self.memory_limit = memory_limit
        self.cpu_percentage = cpu_percentage
        self.ports = ports
        self.ip = ip
        self.deployed_by = deployed_by
        self.systemd_unit = systemd_unit
        self.is_active = is_active
        #: the daemon's config changed and it has not been reconfigured yet
        self.pending_daemon_config = pending_daemon_config
        self.extra_container_args = _argument_specs(extra_container_args)
        self.extra_entrypoint_args = _argument_specs(extra_entrypoint_args)

    @property
    def status(self) -> Optional[DaemonDescriptionStatus]:
        return self._status

    @status.setter
    def status(self, new: DaemonDescriptionStatus) -> None:
        self._status = new
        self.status_desc = DaemonDescriptionStatus.to_str(new)

    def get_port_summary(self) -> str:
        """``ip:port,port`` for the PORTS column; ``*`` when bound to every address."""
        if not self.ports:
            return ''
        return f"{self.ip or '*'}:{','.join(map(str, self.ports))}"

    def name(self) -> str:
        return f'{self.daemon_type}.{self.daemon_id}'

    def matches_service(self, service_name: Optional[str]) -> bool:
        """Whether this daemon belongs to ``service_name``, judged from its name alone."""
        assert self.daemon_id is not None and self.daemon_type is not None
        if not service_name:
            return False
        own = daemon_type_to_service(self.daemon_type) + '.' + self.daemon_id
        return own.startswith(service_name + '.')

    def matches_digests(self, digests: Optional[List[str]]) -> bool:
        """Whether the daemon's image is one of these registry digests (upgrade progress)."""
        if not digests or not self.container_image_digests:
            return False
        return any(d in digests for d in self.container_image_digests)

    def matches_image_name(self, image_name: Optional[str]) -> bool:
        if not image_name or not self.container_image_name:
            return False
        return image_name == self.container_image_name

    def service_id(self) -> str:
        """The service id, from the stored service name or else recovered from the daemon id.

        Daemon ids follow ``<service_id>[.<host>][.<random>]``; the host part is found by the
        short hostname.
        """
        assert self.daemon_id is not None and self.daemon_type is not None
        if self._service_name:
            return self._service_name.split('.', 1)[1] if '.' in self._service_name else ''
        if self.daemon_type == 'osd':
            if self.osdspec_affinity and self.osdspec_affinity != 'None':
                return self.osdspec_affinity
            return ''
        if daemon_type_to_service(self.daemon_type) in _requires_service_id():
            return self._service_id_from_daemon_id()
        return self.daemon_id

    def _service_id_from_daemon_id(self) -> str:
        daemon_id = cast(str, self.daemon_id)
        err = OrchestratorError('DaemonDescription: Cannot calculate service_id: '
                                f"daemon_id='{daemon_id}' hostname='{self.hostname}'")
        if not self.hostname:
            raise err
        host = self.hostname.split('.')[0]
        if host == daemon_id:
            return daemon_id
        if host in daemon_id:
            pre, post = daemon_id.rsplit(host, 1)
            if not pre.endswith('.') or (post and not post.startswith('.')):
                raise err
            return pre[:-1]
        parts = daemon_id.split('.')
        if self.daemon_type == 'rgw' and len(parts) in (3, 4):
            return '.'.join(parts[0:2])
        if self.daemon_type == 'iscsi':
            return '.'.join(parts[0:-1])
        return daemon_id

    def service_name(self) -> str:
        if self._service_name:
            return self._service_name
        assert self.daemon_type is not None
        stype = daemon_type_to_service(self.daemon_type)
        if stype in _requires_service_id():
            return f'{stype}.{self.service_id()}'
        return stype

    def __repr__(self) -> str:
        return f'<DaemonDescription>({self.daemon_type}.{self.daemon_id})'

    def __str__(self) -> str:
        return f'{self.name()} in status {self.status_desc} on {self.hostname}'

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, DaemonDescription):
            return NotImplemented
        if self is other:
            return True
        # Cheap identity check first: scheduling compares daemons in lists of thousands.
        if (self.daemon_type, self.daemon_id, self.hostname) != \
                (other.daemon_type, other.daemon_id, other.hostname):
            return False
        return self.to_json() == other.to_json()

    def __hash__(self) -> int:
        # identity fields only: the rest (status, refresh times) changes while a daemon lives
        return hash((self.daemon_type, self.daemon_id, self.hostname))

    def _base_dict(self) -> 'OrderedDict[str, Any]':
        out: 'OrderedDict[str, Any]' = OrderedDict()
        out['daemon_type'] = self.daemon_type
        out['daemon_id'] = self.daemon_id
        out['service_name'] = self._service_name
        out['daemon_name'] = self.name()
        out['hostname'] = self.hostname
        out['container_id'] = self.container_id
        out['container_image_id'] = self.container_image_id
        out['container_image_name'] = self.container_image_name
        out['container_image_digests'] = self.container_image_digests
        out['memory_usage'] = self.memory_usage
        out['memory_request'] = self.memory_request
        out['memory_limit'] = self.memory_limit
        out['cpu_percentage'] = self.cpu_percentage
        out['version'] = self.version
        out['status'] = self.status.value if self.status is not None else None
        out['status_desc'] = self.status_desc
        if self.daemon_type == 'osd':
            out['osdspec_affinity'] = self.osdspec_affinity
        out['is_active'] = self.is_active
        out['ports'] = self.ports
        out['ip'] = self.ip
        return out

    def to_json(self) -> 'OrderedDict[str, Any]':
        """Ceph's keys in Ceph's order; None values are dropped."""
        out = self._base_dict()
        out['rank'] = self.rank
        out['rank_generation'] = self.rank_generation
        out['systemd_unit'] = self.systemd_unit
        if self.pending_daemon_config:
            out['pending_daemon_config'] = True
        for k in _DAEMON_DATE_KEYS:
            if getattr(self, k):
                out[k] = datetime_to_str(getattr(self, k))
        if self.events:
            out['events'] = [e.to_json() for e in self.events]
        return OrderedDict((k, v) for k, v in out.items() if v is not None)

    def to_dict(self) -> 'OrderedDict[str, Any]':
        """The dashboard's variant: no service_name/rank keys, events as dicts."""
        out = self._base_dict()
        del out['service_name']
        for k in _DAEMON_DATE_KEYS:
            if getattr(self, k):
                out[k] = datetime_to_str(getattr(self, k))
        if self.events:
            out['events'] = [e.to_dict() for e in self.events]
        return OrderedDict((k, v) for k, v in out.items() if v is not None)

    @classmethod
    @_type_error_is_validation
    def from_json(cls, data: Dict[str, Any]) -> 'DaemonDescription':
        c = dict(data)
        events = [OrchestratorEvent.from_json(e) for e in c.pop('events', [])]
        for k in _DAEMON_DATE_KEYS:
            if k in c:
                c[k] = str_to_datetime(c[k])
        status_int = c.pop('status', None)
        c.pop('daemon_name', None)
        service_name = c.get('service_name')
        if isinstance(service_name, str) and service_name.startswith('osd.'):
            # 'osd.<number>' is not a service name; older cephadm wrote it. Forget it.
            try:
                int(service_name[4:])
                del c['service_name']
            except ValueError:
                pass
        status = DaemonDescriptionStatus(status_int) if status_int is not None else None
        return cls(events=events, status=status, **c)

    def __copy__(self) -> 'DaemonDescription':
        return DaemonDescription.from_json(self.to_json())

    @staticmethod
    def yaml_representer(dumper: Any, data: 'DaemonDescription') -> Any:
        return dumper.represent_dict(data.to_json().items())


class ServiceDescription:
    """A service (spec plus what the orchestrator observed of it): ``orch ls`` rows."""

    def __init__(self,
                 spec: 'ServiceSpec',
                 container_image_id: Optional[str] = None,
                 container_image_name: Optional[str] = None,
                 service_url: Optional[str] = None,
                 last_refresh: Optional[datetime.datetime] = None,
                 created: Optional[datetime.datetime] = None,
                 deleted: Optional[datetime.datetime] = None,
                 size: int = 0,
                 running: int = 0,
                 events: Optional[List[OrchestratorEvent]] = None,
                 virtual_ip: Optional[str] = None,
                 ports: Optional[List[int]] = None) -> None:
        self.container_image_id = container_image_id
        self.container_image_name = container_image_name
        #: the URL of the service's REST-like API, if it has one
        self.service_url = service_url
        #: number of daemons the service should have / has running
        self.size = size
        self.running = running
        self.last_refresh = last_refresh
        self.created = created
        #: set while the service is being removed
        self.deleted = deleted
        self.spec = spec
        self.events: List[OrchestratorEvent] = events or []
        self.virtual_ip = virtual_ip
        self.ports: List[int] = list(ports) if ports else []

    def service_type(self) -> str:
        return self.spec.service_type

    def __repr__(self) -> str:
        return f'<ServiceDescription of {self._spec_line()}>'

    def _spec_line(self) -> str:
        one_line_str = getattr(self.spec, 'one_line_str', None)
        if one_line_str is not None:
            return one_line_str()
        return f'<{type(self.spec).__name__} for service_name={self.spec.service_name()}>'

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, ServiceDescription):
            return NotImplemented
        return self.to_json() == other.to_json() and self.deleted == other.deleted

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def get_port_summary(self) -> str:
        """``vip:port,port`` for the PORTS column; ``?`` when there is no virtual IP."""
        if not self.ports:
            return ''
        ports = sorted(int(x) for x in self.ports)
        return f"{(self.virtual_ip or '?').split('/')[0]}:{','.join(map(str, ports))}"

    def _status(self) -> Dict[str, Any]:
        status: Dict[str, Any] = {
            'container_image_id': self.container_image_id,
            'container_image_name': self.container_image_name,
            'service_url': self.service_url,
            'size': self.size,
            'running': self.running,
            'last_refresh': self.last_refresh,
            'created': self.created,
            'virtual_ip': self.virtual_ip,
            'ports': self.ports if self.ports else None,
        }
        for k in _SERVICE_DATE_KEYS:
            if getattr(self, k):
                status[k] = datetime_to_str(getattr(self, k))
        return {k: v for k, v in status.items() if v is not None}

    def to_json(self) -> Dict[str, Any]:
        """``spec.to_json()`` plus ``status`` (None dropped) plus ``events`` when there are any."""
        out = self.spec.to_json()
        out['status'] = self._status()
        if self.events:
            out['events'] = [e.to_json() for e in self.events]
        return out

    def to_dict(self) -> Dict[str, Any]:
        out = self.spec.to_json()
        out['status'] = self._status()
        if self.events:
            out['events'] = [e.to_dict() for e in self.events]
        return out

    @classmethod
    @_type_error_is_validation
    def from_json(cls, data: Dict[str, Any]) -> 'ServiceDescription':
        from ceph_orch_cli.deployment.service_spec import ServiceSpec
        c = dict(data)
        status = dict(c.pop('status', {}))
        events = [OrchestratorEvent.from_json(e) for e in c.pop('events', [])]
        spec = ServiceSpec.from_json(c)
        for k in _SERVICE_DATE_KEYS:
            if k in status:
                status[k] = str_to_datetime(status[k])
        return cls(spec=spec, events=events, **status)

    @staticmethod
    def yaml_representer(dumper: Any, data: 'ServiceDescription') -> Any:
        return dumper.represent_dict(data.to_json().items())


class UpgradeStatusSpec:
    """The orchestrator's report on an upgrade (``orch upgrade status``)."""

    def __init__(self) -> None:
        self.in_progress = False
        self.target_image: Optional[str] = None
        #: daemon types already fully upgraded
        self.services_complete: List[str] = []
        #: which daemons the upgrade covers, when limited by type, service or host
        self.which: str = '<unknown>'
        #: e.g. "3/10 daemons upgraded"
        self.progress: Optional[str] = None
        self.message = ''
        self.is_paused = False

    def to_json(self) -> Dict[str, Any]:
        return {
            'in_progress': self.in_progress,
            'target_image': self.target_image,
            'which': self.which,
            'services_complete': self.services_complete,
            'progress': self.progress,
            'message': self.message,
            'is_paused': self.is_paused,
        }

    def __repr__(self) -> str:
        return f'UpgradeStatusSpec({self.to_json()!r})'
