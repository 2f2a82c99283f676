"""Converge as a pipeline: plans -> per-host actions -> one executor.

::

    reconcile.plan_all(specs, state)          what each service should gain and lose
        │ ServicePlan (add, remove, osds, reconfig, error)
        ▼
    plan_host_actions(plans, state, cluster)  typed actions per host, in the order they run:
        │ {host: [Remove (frees a name/port), Deploy, CreateOsds, Reconfigure, Remove]}
        ▼
    Executor.run(host_actions, stats)         hosts in parallel (HostDriver.map_hosts), a batch
                                              of hosts at a time, each batch recorded in one
                                              transaction (EngineCore.record_batch): events,
                                              offline hosts, the hosts' daemons re-read

Each action knows how to run itself on a host (``run``), which counter it adds to
(``stat``), which events it leaves when done, and how its failure reads; the executor knows
nothing of the kinds. ``run_on_host`` is shared with ``orch daemon add osd`` (``Services``).
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ceph_orch_cli.cluster import reconcile, service_types
from ceph_orch_cli.cluster.driver import (DeployRequest, HostActionError, HostUnreachable,
                                          OsdPrepareRequest)
from ceph_orch_cli.cluster.store import EventRow
from ceph_orch_cli.orchestrator import DaemonDescription, DaemonDescriptionStatus

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.ceph import CephCluster
    from ceph_orch_cli.cluster.core import BatchRecord, EngineCore
    from ceph_orch_cli.cluster.driver import HostDriver
    from ceph_orch_cli.deployment.hostspec import HostSpec
    from ceph_orch_cli.deployment.service_spec import ServiceSpec


# ================================================================ actions
class Action(abc.ABC):
    """One thing to do on one host. ``run`` returns the names of the daemons it made or
    touched; a ``HostActionError`` is that action's failure (the host's next one still runs),
    a ``HostUnreachable`` aborts the host."""

    #: the counter of ``reconcile_pass()``'s summary a success adds to
    stat = ""
    #: how a failure reads: "Failed while <verb> <subject> on <host>: <reason>"
    verb = ""
    #: re-read the host's devices afterwards
    touches_devices = False
    #: a success's event on each daemon done: "<word> <daemon> on host '<host>'" ("": none)
    word = ""
    #: an unreachable host leaves "Failed while placing ..." on the service (new daemons)
    placing = False
    #: the daemons done are gone: their events go with them
    drops_events = False
    #: the host it runs on, the service its events go to, what its failure names
    hostname: str = ""
    service_name: str = ""
    subject: str = ""

    @abc.abstractmethod
    def run(self, driver: "HostDriver", cluster: "CephCluster", host: "HostSpec") -> List[str]:
        """Do it on the host; the daemon names done."""

    def done_events(self, names: List[str], hostname: str, ts: str) -> List[EventRow]:
        """The events a success leaves on its daemons."""
        if not self.word:
            return []
        return [EventRow("daemon", n, "INFO", f"{self.word} {n} on host '{hostname}'", ts)
                for n in names]

    def unreachable_event(self, hostname: str, reason: Any, ts: str) -> Optional[EventRow]:
        """The event left on the service when the host could not be reached (None: none)."""
        if not self.placing:
            return None
        return EventRow("service", self.service_name, "ERROR",
                        f"Failed while placing {self.subject} on {hostname}: {reason}", ts)

    def count(self, names: List[str]) -> int:
        """How much a success adds to ``stat``."""
        return 1


class Deploy(Action):
    """Place a new daemon (``HostDriver.deploy_daemon``)."""

    stat = "deployed"
    verb = "placing"
    word = "Deployed"
    placing = True

    def __init__(self, hostname: str, request: DeployRequest) -> None:
        self.hostname = hostname
        self.request = request
        self.service_name = request.service_name
        self.subject = request.name

    def run(self, driver: "HostDriver", cluster: "CephCluster", host: "HostSpec") -> List[str]:
        driver.deploy_daemon(host, self.request)
        return [self.request.name]


class Reconfigure(Deploy):
    """Rewrite a daemon's configuration in place (a deploy with ``reconfig``)."""

    stat = "reconfigured"
    verb = "reconfiguring"
    word = "Reconfigured"
    placing = False


class FinishDeploy(Deploy):
    """Deploy again a daemon whose deploy never finished: its host lists it, but it never
    ran (no deploy time, not running), as after a host died in the middle of its deploy.
    A daemon stopped on purpose has run, so it is left alone."""

    verb = "redeploying"

    @staticmethod
    def wanted(d: DaemonDescription) -> bool:
        """A daemon left behind by an interrupted deploy."""
        return (d.daemon_type != "osd" and d.last_deployed is None and d.started is None
                and d.status != DaemonDescriptionStatus.running)


class CreateOsds(Action):
    """Prepare the OSDs one OSD spec wants on this host (ids allocated by the cluster)."""

    stat = "osds_created"
    verb = "creating OSDs"
    touches_devices = True
    word = "Deployed"
    placing = True
    subject = "osd"

    def __init__(self, request: OsdPrepareRequest, plan: reconcile.OsdHostPlan) -> None:
        self.hostname = plan.hostname
        self.request = request
        self.plan = plan
        self.service_name = request.service_name

    def run(self, driver: "HostDriver", cluster: "CephCluster", host: "HostSpec") -> List[str]:
        self.request.osd_ids = cluster.allocate_osd_ids(host.hostname, self.plan.count,
                                                        self.plan.claims)
        return [e["name"] for e in driver.prepare_osds(host, self.request)]

    def count(self, names: List[str]) -> int:
        return len(names)


class Remove(Action):
    """Remove a daemon; its events go with it."""

    stat = "removed"
    verb = "removing"
    drops_events = True

    def __init__(self, daemon: DaemonDescription) -> None:
        self.hostname = daemon.hostname or ""
        self.daemon = daemon
        self.service_name = daemon.service_name()
        self.subject = daemon.name()

    def run(self, driver: "HostDriver", cluster: "CephCluster", host: "HostSpec") -> List[str]:
        driver.remove_daemon(host, self.subject, force=True)
        return [self.subject]


@dataclass
class Outcome:
    """One action's result on its host: the daemons done, or why the host refused."""

    action: Action
    names: List[str] = field(default_factory=list)
    error: Optional[str] = None


@dataclass
class HostWork:
    """A host's outcomes and what it lists afterwards (its inventory if devices changed)."""

    outcomes: List[Outcome]
    daemons: List[Dict[str, Any]]
    inventory: Optional[List[Dict[str, Any]]]


def run_on_host(core: "EngineCore", host: "HostSpec", actions: List[Action]) -> HostWork:
    """One host's actions in order; HostUnreachable aborts the host (the caller marks it
    offline), a failed action is recorded and the next one still runs."""
    outcomes: List[Outcome] = []
    touched_devices = False
    for action in actions:
        touched_devices = touched_devices or action.touches_devices
        try:
            outcomes.append(Outcome(action, action.run(core.driver, core.cluster, host)))
        except HostActionError as e:
            outcomes.append(Outcome(action, error=e.reason))
        core.count_action()
    daemons = core.driver.list_daemons(host)
    inventory = core.driver.inventory(host) if touched_devices else None
    return HostWork(outcomes, daemons, inventory)


# ================================================================ planner
def ok_to_stop_subset(cluster: "CephCluster",
                      remove: List[DaemonDescription]) -> List[DaemonDescription]:
    """cephadm drops daemons from the end until the rest are ok to stop together."""
    by_type: Dict[str, List[DaemonDescription]] = {}
    for d in remove:
        by_type.setdefault(d.daemon_type or "", []).append(d)
    out: List[DaemonDescription] = []
    for dtype, dds in by_type.items():
        if service_types.for_daemon(dtype).removal_unchecked:
            # removing a mon shrinks the monmap too, so quorum holds while one remains
            # (cephadm's _check_safe_to_destroy); the record's never_empty keeps that one
            out.extend(dds)
            continue
        while dds and not cluster.ok_to_stop(dtype, [d.daemon_id or "" for d in dds]).ok:
            dds.pop()
        out.extend(dds)
    return out


def _service_actions(plan: reconcile.ServicePlan, state: reconcile.ClusterState,
                     cluster: "CephCluster") -> List[Action]:
    """One service's actions: removals that free a name or port its new daemons need
    first, then deploys, OSDs, reconfigs, and the other removals last."""
    spec: "ServiceSpec" = plan.spec
    fsid = state.fsid
    new_names = {(s.hostname, f"{s.daemon_type}.{s.name}") for s in plan.add}
    new_ports = {(s.hostname, p) for s in plan.add for p in s.ports or []}
    removals = ok_to_stop_subset(cluster, list(plan.remove))
    early = [d for d in removals if (d.hostname, d.name()) in new_names or
             any((d.hostname, p) in new_ports for p in (d.ports or []))]
    early_names = {d.name() for d in early}
    actions: List[Action] = [Remove(d) for d in early]
    actions.extend(Deploy(slot.hostname, reconcile.deploy_request(
        spec, slot, fsid, state.image(slot.daemon_type),
        memory_request=state.memory_request(slot.daemon_type),
        service_images=state.service_images)) for slot in plan.add)
    actions.extend(CreateOsds(reconcile.osd_request(
        spec, osd, fsid, state.image("osd"),  # type: ignore[arg-type]  # an OSD spec
        state.memory_request("osd")), osd) for osd in plan.osds)
    actions.extend(Reconfigure(d.hostname or "", reconcile.reconfig_request(
        spec, d, fsid, state.image(d.daemon_type or ""))) for d in plan.reconfig)
    actions.extend(_finish_deploys(spec, state, plan, removals))
    actions.extend(Remove(d) for d in removals if d.name() not in early_names)
    return actions


def _finish_deploys(spec: "ServiceSpec", state: reconcile.ClusterState,
                    plan: reconcile.ServicePlan,
                    removals: List[DaemonDescription]) -> List[Action]:
    """Deploys the service's interrupted ones need (``FinishDeploy.wanted``), on hosts that
    answer; a full deploy, not a reconfig: the unit may never have been written."""
    leaving = {d.name() for d in removals} | {d.name() for d in plan.reconfig}
    online = {h.hostname for h in state.hosts if not h.status}
    out: List[Action] = []
    for d in state.by_service.get(spec.service_name(), []):
        if d.name() in leaving or d.hostname not in online or not FinishDeploy.wanted(d):
            continue
        request = reconcile.reconfig_request(spec, d, state.fsid, state.image(d.daemon_type or ""))
        request.reconfig = False
        out.append(FinishDeploy(d.hostname or "", request))
    return out


def plan_host_actions(plans: List[reconcile.ServicePlan], state: reconcile.ClusterState,
                      cluster: "CephCluster",
                      deleted: List[DaemonDescription]) -> Dict[str, List[Action]]:
    """Per-host action lists from the plans (services in plan order), then the removal of
    every daemon of a deleted service."""
    host_actions: Dict[str, List[Action]] = {}
    for plan in plans:
        for action in _service_actions(plan, state, cluster):
            host_actions.setdefault(action.hostname, []).append(action)
    for d in deleted:
        host_actions.setdefault(d.hostname or "", []).append(Remove(d))
    return host_actions


# ================================================================ executor
class Executor:
    """Runs per-host action lists: hosts in parallel through the driver, a batch of hosts
    at a time (``core.batch_hosts``), each batch recorded in one transaction with its
    events, offline hosts and re-read daemons; stops between batches when another process
    asks (``orch cancel``)."""

    def __init__(self, core: "EngineCore") -> None:
        self.core = core

    def run(self, host_actions: Dict[str, List[Action]], stats: Dict[str, int]) -> None:
        core = self.core
        store = core.store
        specs_by_host = {h.hostname: h for h in core.host_specs()}
        total = sum(len(v) for v in host_actions.values())
        done = 0
        names = [h for h in host_actions if h in specs_by_host]
        cancel_before = store.get_setting("cancel_requested")
        core.report("Converging", 0, total)
        for start in range(0, len(names), core.batch_hosts):
            if store.get_setting("cancel_requested") != cancel_before:
                break
            batch = [specs_by_host[h] for h in names[start:start + core.batch_hosts]]
            results = core.driver.map_hosts(
                lambda h: run_on_host(core, h, host_actions[h.hostname]), batch)
            with core.record_batch() as record:
                for hostname, r in results.items():
                    if isinstance(r, HostUnreachable):
                        self._unreachable(record, hostname, r, host_actions[hostname], stats)
                        continue
                    if isinstance(r, BaseException):
                        raise r
                    self._reached(record, hostname, r, stats)
            done += sum(len(host_actions[h.hostname]) for h in batch)
            core.report("Converging", done, total)

    @staticmethod
    def _unreachable(record: "BatchRecord", hostname: str, error: HostUnreachable,
                     actions: List[Action], stats: Dict[str, int]) -> None:
        record.checked[hostname] = error.reason
        for action in actions:
            event = action.unreachable_event(hostname, error, record.ts)
            if event is not None:
                record.events.append(event)
        stats["failed"] = stats.get("failed", 0) + len(actions)

    @staticmethod
    def _reached(record: "BatchRecord", hostname: str, work: HostWork,
                 stats: Dict[str, int]) -> None:
        record.host_daemons(hostname, work.daemons)
        if work.inventory is not None:
            record.inventories[hostname] = work.inventory
        record.checked[hostname] = None
        removed: List[str] = []
        for outcome in work.outcomes:
            action = outcome.action
            if outcome.error is not None:
                stats["failed"] = stats.get("failed", 0) + 1
                record.events.append(EventRow(
                    "service", action.service_name, "ERROR",
                    f"Failed while {action.verb} {action.subject} on {hostname}: "
                    f"{outcome.error}", record.ts))
                continue
            if action.drops_events:
                removed.extend(outcome.names)
            record.events.extend(action.done_events(outcome.names, hostname, record.ts))
            stats[action.stat] = stats.get(action.stat, 0) + action.count(outcome.names)
        if removed:
            record.drop_daemon_events(removed)
