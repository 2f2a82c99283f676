"""The active mgr, as cephadm treats it: never stopped by surprise.

cephadm's ``MgrService.ok_to_stop`` refuses to stop the active mgr ("ALERT: Cannot stop
active Mgr daemon, Please switch active Mgrs with 'ceph mgr fail <id>'"), which is what
``host ok-to-stop`` and ``host maintenance enter`` report for the active mgr's host; and a
daemon action aimed at the active mgr itself fails over to a standby first, as cephadm does
before it restarts or redeploys itself. Both backends ask the cluster (``active_mgr``,
``fail_mgr``); listings mark the active one only where that answer is free.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, List, Optional

from ceph_orch_cli.orchestrator import DaemonDescriptionStatus

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.ceph import CephCluster
    from ceph_orch_cli.orchestrator import DaemonDescription

#: daemon actions that take the mgr they act on down for a while
_DISRUPTIVE = ("stop", "restart", "redeploy")


def active_mgr_alert(cluster: "CephCluster", mgr_ids: Iterable[str],
                     running_mgrs: Iterable[str]) -> Optional[str]:
    """cephadm's refusal when the active mgr is among ``mgr_ids`` and a standby outside
    them could take over (``ceph mgr fail`` first), else None. Without such a standby the
    last mgr's ok-to-stop warning applies instead."""
    ids = set(mgr_ids)
    if not [m for m in running_mgrs if m not in ids]:
        return None
    active = cluster.active_mgr()
    if active is not None and active in ids:
        return ("ALERT: Cannot stop active Mgr daemon, Please switch active Mgrs with "
                f"'ceph mgr fail {active}'")
    return None


def running_mgrs(daemons: Iterable["DaemonDescription"], away: Iterable[str]) -> List[str]:
    """The ids of the mgrs that run: cached as running, on a host that is not away."""
    gone = set(away)
    return [d.daemon_id or "" for d in daemons if d.daemon_type == "mgr"
            and d.status == DaemonDescriptionStatus.running and d.hostname not in gone]


def fail_over_before(cluster: "CephCluster", action: str, daemon_name: str,
                     running_mgrs: List[str]) -> bool:
    """Before ``action`` on the active mgr: hand its role to a running standby (``ceph mgr
    fail``). Returns whether it failed over; without a standby nothing changes, and the
    action's own ok-to-stop check (or ``--force``) decides."""
    dtype, _, did = daemon_name.partition(".")
    if dtype != "mgr" or action not in _DISRUPTIVE or did not in running_mgrs:
        return False
    if not [m for m in running_mgrs if m != did] or did != cluster.active_mgr():
        return False
    cluster.fail_mgr(did)
    return True


def mark_active(cluster: "CephCluster", daemons: Iterable["DaemonDescription"]) -> None:
    """Set ``is_active`` on the mgr the cluster names, where asking costs nothing."""
    if not cluster.answers_cheaply:
        return
    mgrs = [d for d in daemons if d.daemon_type == "mgr"]
    if not mgrs:
        return
    active = cluster.active_mgr()
    for d in mgrs:
        d.is_active = d.daemon_id == active


def active_for_texts(cluster: "CephCluster") -> Optional[str]:
    """The active mgr's daemon name for marking listing texts (None: not known cheaply)."""
    if not cluster.answers_cheaply:
        return None
    active = cluster.active_mgr()
    return f"mgr.{active}" if active else None
