"""The questions the engine asks the Ceph cluster itself, behind one small interface.

cephadm asks the monitors before it stops, removes or upgrades anything: is it ok to stop,
is it safe to destroy, how many placement groups are still on this OSD. The SSH backend
answers through the ``ceph`` CLI with ``--format json`` on a real cluster; the local backend
answers from a simulated cluster kept in the store. OSD ids are numbers the cluster hands
out, so their allocation lives here too.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Dict, List, Optional


@dataclass
class OkToStop:
    """The answer to ``ceph <type> ok-to-stop <ids>``: ``ok`` and, when not, why."""

    ok: bool
    message: str = ""
    notes: List[str] = field(default_factory=list)


class CephCluster(abc.ABC):
    """What the engine needs to know from, and tell to, the Ceph cluster."""

    #: True when the answers cost no I/O (a simulated cluster): listings may then ask which
    #: mgr is active on every ``orch ps``; a real cluster's answer is a round trip
    answers_cheaply = False

    @abc.abstractmethod
    def fsid(self) -> str:
        """The cluster's fsid (a UUID string)."""

    @abc.abstractmethod
    def ok_to_stop(self, daemon_type: str, daemon_ids: List[str]) -> OkToStop:
        """Would stopping these daemons (together) reduce availability?"""

    @abc.abstractmethod
    def safe_to_destroy(self, osd_ids: List[int]) -> bool:
        """``ceph osd safe-to-destroy``: no placement group depends on these OSDs any more."""

    @abc.abstractmethod
    def pg_count(self, osd_id: int) -> int:
        """Placement groups still mapped to the OSD (-1 when unknown)."""

    @abc.abstractmethod
    def osd_weight(self, osd_id: int) -> Optional[float]:
        """The OSD's CRUSH weight, or None when the OSD does not exist."""

    @abc.abstractmethod
    def reweight_osd(self, osd_id: int, weight: float) -> None:
        """``ceph osd crush reweight``: 0 drains the OSD."""

    @abc.abstractmethod
    def mark_osd(self, osd_id: int, state: str) -> None:
        """``ceph osd <state>`` for state in ``out``, ``in``, ``down``."""

    @abc.abstractmethod
    def destroy_osd(self, osd_id: int) -> None:
        """``ceph osd destroy``: keep the id for a replacement (``osd_id_claims``)."""

    @abc.abstractmethod
    def purge_osd(self, osd_id: int) -> None:
        """``ceph osd purge``: forget the OSD entirely."""

    @abc.abstractmethod
    def allocate_osd_ids(self, hostname: str, count: int,
                         claims: Optional[List[int]] = None) -> List[int]:
        """Hand out ``count`` OSD ids on ``hostname``: destroyed ids from ``claims`` first,
        then the lowest free ones (as ``ceph osd new`` does)."""

    @abc.abstractmethod
    def destroyed_osds(self) -> Dict[str, List[int]]:
        """``{hostname: [osd ids]}`` of OSDs destroyed for replacement (Ceph's osd_id_claims)."""

    @abc.abstractmethod
    def osd_tick(self) -> None:
        """Let time pass: data moves off draining OSDs (a no-op on a real cluster)."""

    def set_host_noout(self, hostname: str, on: bool) -> None:
        """``ceph osd set-group noout <host>`` (or ``unset-group``): a host in maintenance
        keeps its OSDs in while they are stopped, as cephadm does. The default does
        nothing (a cluster without that flag to set)."""

    def active_mgr(self) -> Optional[str]:
        """The active mgr's daemon id, when the cluster can say (None: unknown)."""
        return None

    def fail_mgr(self, daemon_id: str) -> None:
        """``ceph mgr fail <id>``: hand the active role to a standby before stopping it."""

    def finish_upgrade(self, version: str) -> List[str]:
        """What Ceph requires once every daemon runs ``version`` (``osd require-osd-release``);
        returns what was done."""
        return []
