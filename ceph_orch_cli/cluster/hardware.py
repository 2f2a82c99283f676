"""Hardware through node-proxy: health reports, identification LEDs, power-cycle, shutdown.

In Ceph, a node-proxy daemon on each host reads the host's BMC over Redfish and pushes the
report to the mgr (``NodeProxyCache``); ``orch hardware ...`` reads that cache, and LED and
power requests go back through node-proxy to the BMC.

The BMC is an edge this tool cannot reach: **the BMC is simulated**, and only for the local
backend, whose hosts come from the fleet file (``backends/local_bmc.py``, handed to the engine
as its ``NodeProxy``, the seam below). Each host's report is synthesised from its
fleet entry (disks from ``devices``, CPUs, memory and NICs from ``facts``, two power supplies,
fans, BIOS/BMC firmware), all healthy, and an optional ``hardware:`` section of the entry
overrides any part of it, e.g. a failed power supply::

    hardware:
      sn: FR8Y5X3
      status:
        power:
          "1": {status: {health: Critical, state: unplugged}}
      firmwares: {...}

Power actions act on the simulated host the way the real ones would look to the engine:

- ``hardware_powercycle``: the host reboots. Its daemons restart (new start time) and the host
  is marked offline now; the next refresh (``orch serve --once``, any reconcile pass) finds it
  reachable again and brings it back online. A host in maintenance stays in maintenance and its
  daemons stay stopped.
- ``hardware_shutdown``: the host powers off. Its daemons stop and the host is put in
  maintenance with an offline reason, so nothing is scheduled onto it and refreshes leave it
  alone. There is no power-on command in ``ceph orch``; here ``orch host maintenance exit
  <host>`` is the power button: the daemons start again and the host is back.

Backends without a ``NodeProxy`` (SSH) answer every call with EOPNOTSUPP: node-proxy/Redfish
is not supported there yet.
"""
from __future__ import annotations

import abc
import errno
import json
from typing import TYPE_CHECKING, Any, Dict, Optional

from ceph_orch_cli.cluster.driver import HostActionError, HostUnreachable
from ceph_orch_cli.cluster.store import now_str
from ceph_orch_cli.orchestrator import handle_orch_error
from ceph_orch_cli.orchestrator.errors import OrchestratorError

#: node-proxy's status components, in the order of the summary table
COMPONENTS = ("storage", "processors", "network", "memory", "power", "fans")
#: every ``--category`` of ``orch hardware status``
CATEGORIES = ("summary", "fullreport", "firmwares", "criticals") + COMPONENTS
LIGHT_TYPES = ("chassis", "device")
LIGHT_ACTIONS = ("on", "off", "get")
#: backend settings: LED states and power events of the simulated BMCs
LIGHTS_SETTING = "hardware/lights"
POWER_SETTING = "hardware/power"
POWERCYCLE_REASON = "Host is power-cycling (reboot requested through its BMC)"
SHUTDOWN_REASON = "Host is powered off (shutdown requested through its BMC)"

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.core import EngineCore


def _healthy(member: Dict[str, Any]) -> bool:
    return str((member.get("status") or {}).get("health", "OK")).lower() == "ok"


def summarize(report: Dict[str, Any]) -> Dict[str, Any]:
    """node-proxy's summary of one host: each component ``ok`` or ``error``."""
    return {"status": {c: "ok" if all(_healthy(m) for m in members.values()) else "error"
                       for c, members in report["status"].items()},
            "sn": report["sn"], "host": report["host"], "firmwares": report["firmwares"]}


def criticals(report: Dict[str, Any]) -> Dict[str, Any]:
    """The members of each component whose health is not OK."""
    return {c: {k: m for k, m in members.items() if not _healthy(m)}
            for c, members in report["status"].items()}


class NodeProxy(abc.ABC):
    """The seam to the hosts' BMCs: what node-proxy reports of each. A backend that has
    BMCs to show passes one to the engine (the local backend simulates them from its fleet
    file); without one every ``hardware``/``node-proxy`` call answers EOPNOTSUPP."""

    @abc.abstractmethod
    def report(self, hostname: str) -> Optional[Dict[str, Any]]:
        """node-proxy's full report of the host (``host``, ``sn``, ``status``,
        ``firmwares``), or None when the host has no BMC."""


class Hardware:
    """``hardware_*`` and ``node_proxy_*`` over the core and a backend's ``NodeProxy``."""

    def __init__(self, core: "EngineCore", node_proxy: Optional[NodeProxy],
                 backend_name: str) -> None:
        self.core = core
        self.store = core.store
        self.driver = core.driver
        self.node_proxy = node_proxy
        self.backend_name = backend_name

    # -- the BMCs ------------------------------------------------------------------------------
    def _node_proxy(self) -> NodeProxy:
        if self.node_proxy is None:
            raise OrchestratorError(
                f"Hardware monitoring (node-proxy/Redfish) is not supported by the "
                f"{self.backend_name} backend yet", errno=-errno.EOPNOTSUPP)
        return self.node_proxy

    def _report(self, hostname: str) -> Dict[str, Any]:
        node_proxy = self._node_proxy()
        report = node_proxy.report(hostname) if self.store.get_host(hostname) is not None \
            else None
        if report is None:
            raise OrchestratorError(f"No node-proxy report for host '{hostname}': it is not "
                                    "a managed host with a BMC", errno=-errno.ENOENT)
        return report

    def _reports(self, hostname: Optional[str]) -> Dict[str, Dict[str, Any]]:
        if hostname:
            return {hostname: self._report(hostname)}
        node_proxy = self._node_proxy()
        out = {}
        for r in self.store.get_hosts():
            report = node_proxy.report(r.hostname)
            if report is not None:
                out[r.hostname] = report
        return out

    # -- reports -------------------------------------------------------------------------------
    @handle_orch_error
    def node_proxy_fullreport(self, hostname: Optional[str] = None) -> Dict[str, Any]:
        return self._reports(hostname)

    @handle_orch_error
    def node_proxy_summary(self, hostname: Optional[str] = None) -> Dict[str, Any]:
        return {h: summarize(r) for h, r in self._reports(hostname).items()}

    @handle_orch_error
    def node_proxy_firmwares(self, hostname: Optional[str] = None) -> Dict[str, Any]:
        return {h: r["firmwares"] for h, r in self._reports(hostname).items()}

    @handle_orch_error
    def node_proxy_criticals(self, hostname: Optional[str] = None) -> Dict[str, Any]:
        return {h: criticals(r) for h, r in self._reports(hostname).items()}

    @handle_orch_error
    def node_proxy_common(self, category: str, hostname: Optional[str] = None) -> Dict[str, Any]:
        if category not in COMPONENTS:
            raise OrchestratorError(f"Invalid host {hostname or '*'} or component {category}.",
                                    errno=-errno.ENOENT)
        return {h: r["status"].get(category, {}) for h, r in self._reports(hostname).items()}

    @handle_orch_error
    def hardware_status(self, hostname: Optional[str] = None,
                        category: Optional[str] = "summary") -> str:
        """The category's report as JSON text (``orch hardware status --format json``)."""
        category = category or "summary"
        if category not in CATEGORIES:
            raise OrchestratorError(f"'{category}' is not a valid category.")
        reports = self._reports(hostname)
        if category == "summary":
            data: Dict[str, Any] = {h: summarize(r) for h, r in reports.items()}
        elif category == "fullreport":
            data = reports
        elif category == "firmwares":
            data = {h: r["firmwares"] for h, r in reports.items()}
        elif category == "criticals":
            data = {h: criticals(r) for h, r in reports.items()}
        else:
            data = {h: r["status"].get(category, {}) for h, r in reports.items()}
        return json.dumps(data)

    # -- lights --------------------------------------------------------------------------------
    @handle_orch_error
    def hardware_light(self, light_type: str, action: str, hostname: str,
                       device: Optional[str] = None) -> Dict[str, Any]:
        if light_type not in LIGHT_TYPES:
            raise OrchestratorError(f"Invalid light type {light_type!r}: use one of "
                                    f"{', '.join(LIGHT_TYPES)}")
        if action not in LIGHT_ACTIONS:
            raise OrchestratorError(f"Invalid action {action!r}: use one of "
                                    f"{', '.join(LIGHT_ACTIONS)}")
        report = self._report(hostname)
        if light_type == "device":
            if not device:
                raise OrchestratorError("you must pass a device ID.", errno=-errno.ENOENT)
            drives = report["status"].get("storage", {})
            if device not in drives:
                raise OrchestratorError(
                    f"Device '{device}' not found on host '{hostname}' (the ids are listed by "
                    f"`orch hardware status {hostname} --category storage --format json`)",
                    errno=-errno.ENOENT)
        lights = dict(self.core.get_backend_setting(LIGHTS_SETTING, {}) or {})
        mine = dict(lights.get(hostname) or {"chassis": False, "drives": {}})
        drives_on = dict(mine.get("drives") or {})
        if action == "get":
            on = bool(mine.get("chassis")) if light_type == "chassis" \
                else bool(drives_on.get(device or ""))
            return {"LocationIndicatorActive": on}
        on = action == "on"
        if light_type == "chassis":
            mine["chassis"] = on
        else:
            drives_on[device or ""] = on
        mine["drives"] = {k: v for k, v in drives_on.items() if v}
        lights[hostname] = mine
        self.core.set_backend_setting(LIGHTS_SETTING, lights)
        return {"LocationIndicatorActive": on}

    # -- power ---------------------------------------------------------------------------------
    def _record_power(self, hostname: str, event: str, force: bool = False) -> None:
        power = dict(self.core.get_backend_setting(POWER_SETTING, {}) or {})
        power[hostname] = {"last": event, "at": now_str(), "force": bool(force)}
        self.core.set_backend_setting(POWER_SETTING, power)

    def power_state(self, hostname: str) -> str:
        """``off`` while a shut-down host is still in maintenance, else ``on``."""
        power = (self.core.get_backend_setting(POWER_SETTING, {}) or {}).get(hostname) or {}
        host = self.core.maybe_host(hostname)
        in_maintenance = host is not None and (host.status or "").lower() == "maintenance"
        return "off" if power.get("last") == "shutdown" and in_maintenance else "on"

    @handle_orch_error
    def hardware_powercycle(self, hostname: str, yes_i_really_mean_it: bool = False) -> str:
        if not yes_i_really_mean_it:
            raise OrchestratorError("you must pass --yes-i-really-mean-it")
        host = self.core.inventory_host(hostname)
        self._report(hostname)
        if self.power_state(hostname) == "off":
            raise OrchestratorError(f"Host {hostname} is powered off; power it on with "
                                    f"`orch host maintenance exit {hostname}`")
        in_maintenance = (host.status or "").lower() == "maintenance"
        daemons = self.core.daemons(hostname=hostname)
        with self.core.converge_lock():
            reached = True
            try:
                if not in_maintenance:
                    for d in daemons:
                        self.driver.daemon_unit(host, d.name(), "restart")
            except HostUnreachable:
                reached = False  # a dead host power-cycles without coming back
            except HostActionError as e:
                raise OrchestratorError(f"Power cycle of {hostname} failed: {e}") from None
            with self.store.transaction():
                self.core.commit()
                if reached and not in_maintenance:
                    self.core.sync_daemons(host)
                if not in_maintenance:
                    self.store.set_host_offline(hostname, POWERCYCLE_REASON)
            self.core.count_action()
        self._record_power(hostname, "powercycle")
        if daemons and not in_maintenance:
            self.core.host_events(daemons, f"Restarted: host '{hostname}' was power-cycled "
                                       "through its BMC")
        return (f"Powercycle requested for {hostname}: the host reboots and is back online "
                "after the next refresh")

    @handle_orch_error
    def hardware_shutdown(self, hostname: str, force: Optional[bool] = False,
                          yes_i_really_mean_it: bool = False) -> str:
        if not yes_i_really_mean_it:
            raise OrchestratorError("you must pass --yes-i-really-mean-it")
        host = self.core.inventory_host(hostname)
        self._report(hostname)
        if self.power_state(hostname) == "off":
            raise OrchestratorError(f"Host {hostname} is already powered off")
        daemons = self.core.daemons(hostname=hostname)
        with self.core.converge_lock():
            reached = True
            try:
                self.driver.maintenance(host, True)
            except HostUnreachable:
                reached = False  # already dead: the BMC powers it off all the same
            except HostActionError as e:
                raise OrchestratorError(f"Shutdown of {hostname} failed: {e}") from None
            with self.store.transaction():
                self.core.commit()
                if reached:
                    self.core.sync_daemons(host)
                self.core.set_host_status(hostname, "maintenance")
                self.store.set_host_offline(hostname, SHUTDOWN_REASON)
            self.core.count_action()
        self._record_power(hostname, "shutdown", bool(force))
        how = "forced power-off" if force else "graceful shutdown"
        if daemons:
            self.core.host_events(daemons, f"Stopped: host '{hostname}' was shut down through its "
                                       f"BMC ({how})")
        return (f"Shutdown ({how}) requested for {hostname}: the host is powered off and in "
                f"maintenance; `orch host maintenance exit {hostname}` powers it on again")
