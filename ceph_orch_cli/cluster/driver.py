"""The one small interface between the engine and the machines it manages.

The engine (store, scheduling, reconcile, OSD removal, upgrade) never talks to a host
directly: it calls a ``HostDriver``. ``backends/local.py`` implements it over simulated
hardware, ``backends/ssh`` over paramiko and the host agent. The shapes mirror what
cephadm's host binary returns (``ls``, ``gather-facts``, ``list-networks``,
``ceph-volume inventory``), so one engine serves both and a real host's JSON can be
replayed against the local backend.

Contract rules:
- Every method takes the host's ``HostSpec`` (hostname and addr) first.
- A host that cannot be reached raises ``HostUnreachable``; the engine marks it offline
  with the reason and carries on with the others. Any other failure of a requested action
  raises ``HostActionError`` (the host stays online).
- ``map_hosts`` is how the engine fans out: drivers that talk to real hosts run it on a
  bounded thread pool; the local driver runs it inline.
- Methods return plain JSON-able data; no Click, no rich, no printing.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, TypeVar, Union

from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.deployment.hostspec import HostSpec

T = TypeVar("T")


class HostUnreachable(OrchestratorError):
    """The host did not answer (connection refused, timeout, auth or host key failure)."""

    def __init__(self, hostname: str, reason: str) -> None:
        super().__init__(f"Failed to connect to {hostname}: {reason}", errno=-113)  # EHOSTUNREACH
        self.hostname = hostname
        self.reason = reason


class HostActionError(OrchestratorError):
    """The host answered, but the requested action failed there."""

    def __init__(self, hostname: str, action: str, reason: str) -> None:
        super().__init__(f"host {hostname} `{action}` failed: {reason}")
        self.hostname = hostname
        self.action = action
        self.reason = reason


@dataclass
class DeployRequest:
    """One daemon to deploy (or reconfigure) on one host: cephadm ``deploy`` in one object.

    ``name`` is ``<daemon_type>.<daemon_id>``. ``config`` carries the service-specific
    settings the daemon needs (from the spec's ``config``/type fields); it may hold secrets
    and must never be logged. ``osd_devices`` is only set for OSDs created by
    ``prepare_osds`` and names the devices backing that OSD.
    """

    name: str
    fsid: str
    image: str
    service_name: str
    ports: List[int] = field(default_factory=list)
    ip: Optional[str] = None
    rank: Optional[int] = None
    rank_generation: Optional[int] = None
    config: Dict[str, Any] = field(default_factory=dict)
    extra_container_args: List[str] = field(default_factory=list)
    extra_entrypoint_args: List[str] = field(default_factory=list)
    memory_request: Optional[int] = None
    memory_limit: Optional[int] = None
    reconfig: bool = False
    osd_devices: List[str] = field(default_factory=list)

    @property
    def daemon_type(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def daemon_id(self) -> str:
        return self.name.split(".", 1)[1]


@dataclass
class OsdPrepareRequest:
    """OSDs to create on one host from one drive selection.

    ``ceph_volume_args`` are the argument vectors that ``translate.to_ceph_volume(...).run()``
    produced (``['lvm', 'batch', '--no-auto', '/dev/sdb', ...]``); ``osd_ids`` are the ids the
    cluster allocated (claims first), one per OSD that will be created, in device order.
    """

    fsid: str
    image: str
    service_name: str
    ceph_volume_args: List[List[str]]
    data_devices: List[str]
    db_devices: List[str] = field(default_factory=list)
    wal_devices: List[str] = field(default_factory=list)
    osd_ids: List[int] = field(default_factory=list)
    osds_per_device: int = 1
    #: ``osd_memory_target`` for the new OSDs' ``memory_request`` (``orch ps`` MEM LIM)
    memory_request: Optional[int] = None


class HostDriver(abc.ABC):
    """Reach hosts and run cephadm-like operations on them."""

    #: how many hosts ``map_hosts`` works on at once
    max_workers: int = 1

    # -- discovery -------------------------------------------------------------------
    @abc.abstractmethod
    def check_host(self, host: "HostSpec") -> Dict[str, Any]:
        """Prove the host is reachable and usable; return ``{'hostname': <its own name>}``.

        Raises ``HostUnreachable`` when it is not.
        """

    @abc.abstractmethod
    def gather_facts(self, host: "HostSpec") -> Dict[str, Any]:
        """cephadm ``gather-facts`` shape (hostname, cpu_*, memory_total_kb, hdd_*, ...)."""

    @abc.abstractmethod
    def list_networks(self, host: "HostSpec") -> Dict[str, Dict[str, List[str]]]:
        """``{cidr: {iface: [ip, ...]}}`` as cephadm ``list-networks``."""

    @abc.abstractmethod
    def inventory(self, host: "HostSpec") -> List[Dict[str, Any]]:
        """``ceph-volume inventory --format=json`` entries (Device.to_json shape)."""

    @abc.abstractmethod
    def list_daemons(self, host: "HostSpec") -> List[Dict[str, Any]]:
        """cephadm ``ls`` entries: name, style, fsid, systemd_unit, state, container_id,
        container_image_name, container_image_id, version, memory_usage, started, created,
        deployed, configured, service_name, ports, ip, rank, rank_generation,
        memory_request, memory_limit, extra_container_args, extra_entrypoint_args."""

    def refresh_host(self, host: "HostSpec") -> Dict[str, Any]:
        """Everything a refresh reads from one host: keys ``check_host``, ``ls``, ``facts``,
        ``networks``, ``inventory``.

        A driver that can fetch these in one round trip overrides this. Raises
        ``HostUnreachable`` when the host cannot be reached; a part that failed on a
        reachable host holds ``{"error": <reason>}``.
        """
        out: Dict[str, Any] = {"check_host": self.check_host(host)}
        parts: Dict[str, Callable[["HostSpec"], Any]] = {
            "ls": self.list_daemons, "facts": self.gather_facts,
            "networks": self.list_networks, "inventory": self.inventory}
        for key, read in parts.items():
            try:
                out[key] = read(host)
            except HostActionError as e:
                out[key] = {"error": e.reason}
        return out

    # -- actions ---------------------------------------------------------------------
    @abc.abstractmethod
    def deploy_daemon(self, host: "HostSpec", request: DeployRequest) -> Dict[str, Any]:
        """Deploy or reconfigure one daemon; return its ``ls`` entry."""

    @abc.abstractmethod
    def prepare_osds(self, host: "HostSpec", request: OsdPrepareRequest) -> List[Dict[str, Any]]:
        """Create OSDs on devices (ceph-volume), deploy their daemons; return their ``ls`` entries."""

    @abc.abstractmethod
    def remove_daemon(self, host: "HostSpec", name: str, force: bool = False) -> None:
        """Stop and remove one daemon and its unit (cephadm ``rm-daemon``)."""

    @abc.abstractmethod
    def daemon_unit(self, host: "HostSpec", name: str, action: str) -> None:
        """``start``, ``stop`` or ``restart`` one daemon's unit."""

    @abc.abstractmethod
    def zap_device(self, host: "HostSpec", path: str) -> None:
        """Wipe one device so it becomes available again."""

    @abc.abstractmethod
    def set_light(self, host: "HostSpec", ident_fault: str, on: bool, path: str) -> None:
        """Switch a device's ``ident`` or ``fault`` LED."""

    @abc.abstractmethod
    def maintenance(self, host: "HostSpec", enter: bool) -> None:
        """Stop (enter) or start again (exit) the cluster's systemd target on the host."""

    def binary_roots(self, host: "HostSpec") -> List[Dict[str, Any]]:
        """The package runtime's binary roots on the host, ``[{image, version}]`` (the images
        ``orch upgrade ls`` offers there); empty where daemons run from container images."""
        return []

    def update_osd_service(self, host: "HostSpec", names: List[str], service_name: str) -> None:
        """Move existing OSD daemons to another OSD service (cephadm
        ``update-osd-service``). Drivers that cannot refuse with EOPNOTSUPP."""
        raise OrchestratorError("This backend cannot move OSDs between services yet",
                                errno=-95)  # EOPNOTSUPP

    # -- plumbing --------------------------------------------------------------------
    def map_hosts(self, fn: Callable[["HostSpec"], T],
                  hosts: Iterable["HostSpec"]) -> Dict[str, Union[T, BaseException]]:
        """Run ``fn`` for every host; map hostname to its result or the exception it raised.

        One host's failure never stops the others. The default runs inline, in order.
        """
        results: Dict[str, Union[T, BaseException]] = {}
        for host in hosts:
            try:
                results[host.hostname] = fn(host)
            except Exception as exc:  # each host's failure is data for the caller
                results[host.hostname] = exc
        return results

    def close(self) -> None:
        """Release connections; the default holds none."""
