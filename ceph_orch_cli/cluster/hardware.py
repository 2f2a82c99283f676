"""Hardware through node-proxy: health reports, identification LEDs, power-cycle, shutdown.

In Ceph, a node-proxy daemon on each host reads the host's BMC over Redfish and pushes the
report to the mgr (``NodeProxyCache``); ``orch hardware ...`` reads that cache, and LED and
power requests go back through node-proxy to the BMC.

The BMC is an edge this tool cannot reach: **the BMC is simulated**, and only for the local
backend, whose hosts come from the fleet file. Each host's report is synthesised from its
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

Backends without a simulated BMC (SSH) answer every call with EOPNOTSUPP: node-proxy/Redfish
is not supported there yet.
"""
from __future__ import annotations

import copy
import errno
import json
import uuid
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ceph_orch_cli.cluster.driver import HostActionError, HostUnreachable
from ceph_orch_cli.cluster.osd_removal import EngineParts
from ceph_orch_cli.cluster.store import now_str
from ceph_orch_cli.orchestrator import DaemonDescription, handle_orch_error
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
    class _Engine(EngineParts):
        def _host_events(self, daemons: List[DaemonDescription], message: str,
                         level: str = "INFO") -> None: ...
        def _set_host_status(self, hostname: str, status: str) -> None: ...
else:
    _Engine = EngineParts


def _ok() -> Dict[str, str]:
    return {"health": "OK", "state": "Enabled"}


def _merge(base: Dict[str, Any], override: Dict[str, Any]) -> Dict[str, Any]:
    """``override`` laid over ``base``, nested mappings merged key by key."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class SimulatedBmc:
    """What a host's BMC would report through node-proxy, made from its fleet entry."""

    def __init__(self, entry: Dict[str, Any], source: str = "the fleet file") -> None:
        self.entry = entry
        self.hostname = str(entry["hostname"])
        hw = entry.get("hardware")
        if hw is not None and not isinstance(hw, dict):
            raise OrchestratorError(f"{source}: host {self.hostname!r}: hardware must be a "
                                    f"mapping, got {type(hw).__name__}")
        self.overrides: Dict[str, Any] = dict(hw or {})
        for key in ("status", "firmwares"):
            value = self.overrides.get(key)
            if value is not None and not isinstance(value, dict):
                raise OrchestratorError(f"{source}: host {self.hostname!r}: hardware.{key} "
                                        f"must be a mapping, got {type(value).__name__}")

    # -- synthesised parts ---------------------------------------------------------------------
    def _facts(self) -> Dict[str, Any]:
        return dict(self.entry.get("facts") or {})

    def _storage(self) -> Dict[str, Any]:
        out = {}
        for n, dev in enumerate(self.entry.get("devices") or []):
            sys_api = dev.get("sys_api") or {}
            rotational = str(sys_api.get("rotational", "1")) == "1"
            protocol = "NVMe" if "nvme" in dev["path"] else "SATA"
            out[f"disk.bay.{n}:enclosure.internal.0-1"] = {
                "description": f"Disk {n} in Backplane 0 of Storage Controller in Slot 1",
                "entity": "NonRAID.Slot.1-1",
                "capacity_bytes": int(sys_api.get("size", 0) or 0),
                "model": str(sys_api.get("model", "") or ""),
                "protocol": protocol,
                "serial_number": str(dev.get("device_id", "") or "").rsplit("_", 1)[-1],
                "media_type": "HDD" if rotational else "SSD",
                "status": {"health": "OK", "healthrollup": "OK", "state": "Enabled"},
                "physical_location": {"partlocation": {"locationordinalvalue": n,
                                                       "locationtype": "Slot"}},
            }
        return out

    def _processors(self) -> Dict[str, Any]:
        facts = self._facts()
        sockets = max(1, int(facts.get("cpu_count", 1) or 1))
        cores = int(facts.get("cpu_cores", 8) or 8)
        threads = int(facts.get("cpu_threads", 2) or 2) * cores
        model = str(facts.get("cpu_model") or "Intel(R) Xeon(R) Silver 4210 CPU @ 2.20GHz")
        return {f"cpu.socket.{n}": {
            "description": "Represents the properties of a Processor attached to this System",
            "total_cores": cores, "total_threads": threads, "processor_type": "CPU",
            "model": model, "status": _ok(),
            "manufacturer": "AMD" if "AMD" in model else "Intel"} for n in range(1, sockets + 1)}

    def _memory(self) -> Dict[str, Any]:
        total_kb = int(self._facts().get("memory_total_kb", 65536000) or 65536000)
        dimm_mib = 16384
        count = max(1, round(total_kb / 1024 / dimm_mib))
        return {f"dimm.socket.a{n}": {"description": f"DIMM A{n}", "memory_device_type": "DDR4",
                                      "capacity_mi_b": dimm_mib, "status": _ok()}
                for n in range(1, count + 1)}

    def _network(self) -> Dict[str, Any]:
        ifaces = self._facts().get("interfaces") or {"eth0": {"speed": 10000}}
        out = {}
        for n, (name, info) in enumerate(sorted(ifaces.items()), start=1):
            speed = (info or {}).get("speed", 0) if isinstance(info, dict) else 0
            out[f"oslogicalnetwork.{n}"] = {"description": name, "name": name,
                                            "speed_mbps": max(0, int(speed or 0)),
                                            "status": _ok()}
        return out

    @staticmethod
    def _power() -> Dict[str, Any]:
        return {str(n): {"name": f"PS{n + 1} Status", "model": "PWR SPLY,800W,RDNT",
                         "manufacturer": "DELL", "status": _ok()} for n in range(2)}

    @staticmethod
    def _fans() -> Dict[str, Any]:
        return {str(n): {"name": f"System Board Fan{n + 1}A", "physical_context": "SystemBoard",
                         "status": _ok()} for n in range(4)}

    @staticmethod
    def _firmwares() -> Dict[str, Any]:
        return {
            "installed-0-1.16.2__bios.setup.1-1": {
                "name": "BIOS", "description": "Represents Firmware Inventory",
                "release_date": "2024-04-01T00:00:00Z", "version": "1.16.2",
                "updateable": True, "status": _ok()},
            "installed-1-7.10.30.00__idrac.embedded.1-1": {
                "name": "Integrated Remote Access Controller",
                "description": "Represents Firmware Inventory",
                "release_date": "2024-05-12T00:00:00Z", "version": "7.10.30.00",
                "updateable": True, "status": _ok()},
        }

    def report(self) -> Dict[str, Any]:
        """node-proxy's full report for this host: ``host``, ``sn``, ``status``, ``firmwares``."""
        status = {"storage": self._storage(), "processors": self._processors(),
                  "network": self._network(), "memory": self._memory(),
                  "power": self._power(), "fans": self._fans()}
        sn = uuid.uuid5(uuid.NAMESPACE_DNS, self.hostname).hex[:7].upper()
        base = {"host": self.hostname, "sn": sn, "status": status,
                "firmwares": self._firmwares()}
        return _merge(base, {k: v for k, v in self.overrides.items()
                             if k in ("sn", "status", "firmwares")})


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


class HardwareMixin(_Engine):
    """``hardware_*`` and ``node_proxy_*`` for ``ClusterOrchestrator`` (simulated BMC)."""

    # -- the BMCs ------------------------------------------------------------------------------
    def _bmc_fleet(self) -> Dict[str, Dict[str, Any]]:
        fleet = getattr(self.driver, "fleet", None)
        if not isinstance(fleet, dict):
            raise OrchestratorError(
                f"Hardware monitoring (node-proxy/Redfish) is not supported by the "
                f"{getattr(self, 'backend_name', 'this')} backend yet",
                errno=-errno.EOPNOTSUPP)
        return fleet

    def _bmc(self, hostname: str) -> SimulatedBmc:
        fleet = self._bmc_fleet()
        if self.store.get_host(hostname) is None or hostname not in fleet:
            raise OrchestratorError(f"No node-proxy report for host '{hostname}': it is not "
                                    "a managed host with a BMC", errno=-errno.ENOENT)
        return SimulatedBmc(fleet[hostname])

    def _reports(self, hostname: Optional[str]) -> Dict[str, Dict[str, Any]]:
        if hostname:
            return {hostname: self._bmc(hostname).report()}
        fleet = self._bmc_fleet()
        return {r.hostname: SimulatedBmc(fleet[r.hostname]).report()
                for r in self.store.get_hosts() if r.hostname in fleet}

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
        bmc = self._bmc(hostname)
        if light_type == "device":
            if not device:
                raise OrchestratorError("you must pass a device ID.", errno=-errno.ENOENT)
            drives = bmc.report()["status"].get("storage", {})
            if device not in drives:
                raise OrchestratorError(
                    f"Device '{device}' not found on host '{hostname}' (the ids are listed by "
                    f"`orch hardware status {hostname} --category storage --format json`)",
                    errno=-errno.ENOENT)
        lights = dict(self.get_backend_setting(LIGHTS_SETTING, {}) or {})
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
        self.set_backend_setting(LIGHTS_SETTING, lights)
        return {"LocationIndicatorActive": on}

    # -- power ---------------------------------------------------------------------------------
    def _record_power(self, hostname: str, event: str, force: bool = False) -> None:
        power = dict(self.get_backend_setting(POWER_SETTING, {}) or {})
        power[hostname] = {"last": event, "at": now_str(), "force": bool(force)}
        self.set_backend_setting(POWER_SETTING, power)

    def power_state(self, hostname: str) -> str:
        """``off`` while a shut-down host is still in maintenance, else ``on``."""
        power = (self.get_backend_setting(POWER_SETTING, {}) or {}).get(hostname) or {}
        host = self._maybe_host(hostname)
        in_maintenance = host is not None and (host.status or "").lower() == "maintenance"
        return "off" if power.get("last") == "shutdown" and in_maintenance else "on"

    @handle_orch_error
    def hardware_powercycle(self, hostname: str, yes_i_really_mean_it: bool = False) -> str:
        if not yes_i_really_mean_it:
            raise OrchestratorError("you must pass --yes-i-really-mean-it")
        host = self._inventory_host(hostname)
        self._bmc(hostname)
        if self.power_state(hostname) == "off":
            raise OrchestratorError(f"Host {hostname} is powered off; power it on with "
                                    f"`orch host maintenance exit {hostname}`")
        in_maintenance = (host.status or "").lower() == "maintenance"
        daemons = self._daemons(hostname=hostname)
        with self._converge_lock():
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
                self._commit()
                if reached and not in_maintenance:
                    self._sync_daemons(host)
                if not in_maintenance:
                    self.store.set_host_offline(hostname, POWERCYCLE_REASON)
            self._count_action()
        self._record_power(hostname, "powercycle")
        if daemons and not in_maintenance:
            self._host_events(daemons, f"Restarted: host '{hostname}' was power-cycled "
                                       "through its BMC")
        return (f"Powercycle requested for {hostname}: the host reboots and is back online "
                "after the next refresh")

    @handle_orch_error
    def hardware_shutdown(self, hostname: str, force: Optional[bool] = False,
                          yes_i_really_mean_it: bool = False) -> str:
        if not yes_i_really_mean_it:
            raise OrchestratorError("you must pass --yes-i-really-mean-it")
        host = self._inventory_host(hostname)
        self._bmc(hostname)
        if self.power_state(hostname) == "off":
            raise OrchestratorError(f"Host {hostname} is already powered off")
        daemons = self._daemons(hostname=hostname)
        with self._converge_lock():
            reached = True
            try:
                self.driver.maintenance(host, True)
            except HostUnreachable:
                reached = False  # already dead: the BMC powers it off all the same
            except HostActionError as e:
                raise OrchestratorError(f"Shutdown of {hostname} failed: {e}") from None
            with self.store.transaction():
                self._commit()
                if reached:
                    self._sync_daemons(host)
                self._set_host_status(hostname, "maintenance")
                self.store.set_host_offline(hostname, SHUTDOWN_REASON)
            self._count_action()
        self._record_power(hostname, "shutdown", bool(force))
        how = "forced power-off" if force else "graceful shutdown"
        if daemons:
            self._host_events(daemons, f"Stopped: host '{hostname}' was shut down through its "
                                       f"BMC ({how})")
        return (f"Shutdown ({how}) requested for {hostname}: the host is powered off and in "
                f"maintenance; `orch host maintenance exit {hostname}` powers it on again")
