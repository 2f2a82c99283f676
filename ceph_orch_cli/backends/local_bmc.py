"""The simulated BMCs of the local backend: what node-proxy would report of each host in the
fleet file (``cluster/hardware.py`` describes the report and its ``hardware:`` overrides).
"""
from __future__ import annotations

import copy
import uuid
from typing import Any, Callable, Dict, Optional

from ceph_orch_cli.cluster.hardware import NodeProxy
from ceph_orch_cli.orchestrator.errors import OrchestratorError


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


class SimulatedNodeProxy(NodeProxy):
    """node-proxy over the fleet: a host has a BMC when it has a fleet entry."""

    def __init__(self, fleet: Callable[[], Dict[str, Dict[str, Any]]]) -> None:
        self._fleet = fleet  # read on first use, as the driver reads it

    def report(self, hostname: str) -> Optional[Dict[str, Any]]:
        entry = self._fleet().get(hostname)
        return None if entry is None else SimulatedBmc(entry).report()
