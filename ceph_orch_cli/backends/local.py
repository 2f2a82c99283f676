"""The embedded ``local`` backend: the real engine over simulated hardware.

Hosts, their addresses, facts and disks come from a fleet file (``ORCH_FLEET``, else
``<state_dir>/fleet.yaml``, else the demo fleet shipped with the package). Daemons "run" in
the store: ``LocalHostDriver`` keeps each host's daemons, used devices and lights as one JSON
row per host (a daemon's ports are held while it runs), and ``SimulatedCephCluster``
(``local_ceph.py``) keeps OSDs with placement groups that drain over a few passes. Both buffer changes in memory and write them in bulk when the engine commits
a batch (``flush``), inside the engine's own transaction, so a crash never leaves the
simulated hosts and the engine's cache half-updated and a 5,000-host apply costs a handful
of SQL statements, not one per daemon.
"""
from __future__ import annotations

import functools
import json
import os
import random
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Set

from ceph_orch_cli.backends.local_bmc import SimulatedNodeProxy
from ceph_orch_cli.backends.local_ceph import SimulatedCephCluster
from ceph_orch_cli.cluster.driver import (DeployRequest, HostActionError, HostDriver,
                                          HostUnreachable, OsdPrepareRequest)
from ceph_orch_cli.cluster.engine import ClusterOrchestrator
from ceph_orch_cli.cluster.store import Store, now_str
from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.deployment.hostspec import HostSpec

PACKAGED_FLEET = Path(__file__).resolve().parent.parent / "demo" / "fleet.yaml"

_LOCAL_DDL = (
    "CREATE TABLE IF NOT EXISTS local_hosts (hostname TEXT PRIMARY KEY, state TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sim_osds (osd_id INTEGER PRIMARY KEY, hostname TEXT NOT NULL,"
    " weight REAL NOT NULL, pgs INTEGER NOT NULL, up INTEGER NOT NULL, in_ INTEGER NOT NULL,"
    " destroyed INTEGER NOT NULL, drain_step INTEGER)",
)

_dumps = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode

_VERSION_BY_TAG = {"v18": "18.2.4", "v19": "19.2.0", "v17": "17.2.7"}


def fleet_path(state_dir: Path) -> Path:
    """Where the fleet comes from: ``ORCH_FLEET``, the state dir, else the demo fleet."""
    env = os.environ.get("ORCH_FLEET")
    if env:
        return Path(env)
    own = Path(state_dir) / "fleet.yaml"
    if own.exists():
        return own
    return PACKAGED_FLEET


def load_fleet(path: Path) -> Dict[str, Dict[str, Any]]:
    """Read a fleet file: YAML documents, or one list, of host entries (JSON works too).

    The file is operator input like a spec: every way it can be wrong (not UTF-8, bad YAML,
    alias bombs, a field of the wrong type, a host listed twice) is one error naming it.
    """
    from ceph_orch_cli.deployment.hostspec import SpecValidationError
    from ceph_orch_cli.deployment.loader import MAX_SPEC_BYTES, check_size, load_yaml_documents
    try:
        with open(path, "rb") as f:
            raw = check_size(f.read(MAX_SPEC_BYTES + 1), str(path))
    except OSError as e:
        raise OrchestratorError(f"Cannot read fleet file {path}: {e.strerror}")
    except SpecValidationError as e:
        raise OrchestratorError(f"Invalid fleet file {e}") from None
    stripped = raw.lstrip()
    try:
        if stripped.startswith((b"[", b"{")):
            docs: List[Any] = [json.loads(raw)]
        else:
            raise ValueError("not JSON")
    except (ValueError, RecursionError):
        try:
            docs = [doc for _, doc in load_yaml_documents(raw, f"fleet file {path}")]
        except SpecValidationError as e:
            raise OrchestratorError(f"Invalid {e}") from None
    entries: List[Any] = []
    for doc in docs:
        if doc is None:
            continue
        entries.extend(doc if isinstance(doc, list) else [doc])
    fleet: Dict[str, Dict[str, Any]] = {}
    for entry in entries:
        _check_fleet_entry(path, entry)
        name = entry["hostname"]
        if name in fleet:
            raise OrchestratorError(f"Fleet file {path}: host {name!r} is listed twice")
        fleet[name] = entry
    return fleet


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


#: fleet entry fields and the types the simulation reads them as
_FLEET_FIELDS: Dict[str, tuple] = {
    "addr": (str,), "status": (str,), "facts": (dict,), "networks": (dict,),
    "devices": (list,), "error_daemon_types": (list,),
}

#: per-device fields the simulation reads (``path`` is required)
_DEVICE_FIELDS: Dict[str, tuple] = {
    "path": (str,), "device_id": (str,), "sys_api": (dict,), "lsm_data": (dict,),
    "rejected_reasons": (list,), "lvs": (list,),
}


def _check_fleet_entry(path: Path, entry: Any) -> None:
    """Reject an entry the simulated host driver could not use, before it is used."""
    def fail(why: str) -> OrchestratorError:
        return OrchestratorError(f"Fleet file {path}: {why}")

    if not isinstance(entry, dict) or not entry.get("hostname"):
        raise fail(f"every entry needs a hostname, got {_short(entry)}")
    host = entry["hostname"]
    if not isinstance(host, str):
        raise fail(f"hostname must be a string, got {_short(host)}")
    for key, types in _FLEET_FIELDS.items():
        value = entry.get(key)
        if value is not None and not isinstance(value, types):
            raise fail(f"host {host!r}: {key} must be a {types[0].__name__}, "
                       f"got {_short(value)}")
    for name in entry.get("error_daemon_types") or ():
        if not isinstance(name, str):
            raise fail(f"host {host!r}: error_daemon_types holds {_short(name)}, not a name")
    for name, ifaces in (entry.get("networks") or {}).items():
        if not isinstance(ifaces, dict) or not all(isinstance(a, list)
                                                   for a in ifaces.values()):
            raise fail(f"host {host!r}: networks[{name!r}] must map interfaces to "
                       f"address lists, got {_short(ifaces)}")
    for n, dev in enumerate(entry.get("devices") or (), start=1):
        if not isinstance(dev, dict) or not isinstance(dev.get("path"), str):
            raise fail(f"host {host!r}: device {n} needs a path, got {_short(dev)}")
        for key, types in _DEVICE_FIELDS.items():
            value = dev.get(key)
            if value is not None and not isinstance(value, types):
                raise fail(f"host {host!r}: device {dev['path']}: {key} must be a "
                           f"{types[0].__name__}, got {_short(value)}")
        size = (dev.get("sys_api") or {}).get("size", 0)
        try:
            int(size)
        except (TypeError, ValueError):
            raise fail(f"host {host!r}: device {dev['path']}: sys_api.size must be a "
                       f"number, got {_short(size)}") from None


def image_version(image: str) -> str:
    """The Ceph version an image tag stands for (``quay.io/ceph/ceph:v18.2.4`` -> 18.2.4)."""
    tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else "latest"
    if tag in _VERSION_BY_TAG:
        return _VERSION_BY_TAG[tag]
    return tag[1:] if tag.startswith("v") and tag[1:2].isdigit() else tag


@functools.lru_cache(maxsize=64)
def _image_id(image: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, image).hex + uuid.uuid5(uuid.NAMESPACE_DNS, image).hex


#: the list values of an ls entry (copied per daemon when entries share a template)
_LS_ENTRY_LISTS = ("container_image_digests", "ports", "extra_container_args",
                   "extra_entrypoint_args")


def _uuid_text(bits: int) -> str:
    """``str(uuid.UUID(int=bits))`` for a 128-bit integer, without building the UUID."""
    h = "%032x" % bits
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class LocalHostDriver(HostDriver):
    """Hosts from the fleet file; their daemons and device use kept in the store."""

    def __init__(self, store: Store, fleet: Callable[[], Dict[str, Dict[str, Any]]],
                 fsid: str) -> None:
        self.store = store
        self._load_fleet = fleet
        self._fleet: Optional[Dict[str, Dict[str, Any]]] = None
        self.fsid = fsid
        self._state: Dict[str, Dict[str, Any]] = {}
        self._dirty: Set[str] = set()
        self._rng = random.Random()
        #: the TLS files a daemon gets (``CertMgr.files_for``), asked at each deploy as the SSH
        #: driver does; a simulated daemon keeps none, but a cephadm-signed pair it needs is
        #: issued then, with its deploy, as on a real host
        self.tls_files: Optional[Callable[[str, str, str], Dict[str, str]]] = None

    # -- state -------------------------------------------------------------------------
    @property
    def fleet(self) -> Dict[str, Dict[str, Any]]:
        """The hardware, read on first use: read-only commands (``orch ps``) never parse it."""
        if self._fleet is None:
            self._fleet = self._load_fleet()
        return self._fleet

    def _host_state(self, hostname: str) -> Dict[str, Any]:
        """One host's simulated state, read from the store on first use."""
        st = self._state.get(hostname)
        if st is None:
            rows = self.store.query("SELECT state FROM local_hosts WHERE hostname = ?", (hostname,))
            st = json.loads(rows[0][0]) if rows else {"daemons": {}, "used": {}, "lights": {},
                                                       "maintenance": False}
            self._state[hostname] = st
        return st

    def reload(self) -> None:
        """Forget buffered state (another process may have changed it)."""
        self._state = {}
        self._dirty.clear()

    def flush(self) -> None:
        """Write changed hosts; called by the engine inside its transaction. Afterwards the
        memory is released: a 5,000-host fleet is never held whole."""
        if self._dirty:
            dumps = _dumps
            rows = [(h, dumps(self._state[h])) for h in self._dirty if h in self._state]
            with self.store.transaction() as c:
                c.executemany("INSERT OR REPLACE INTO local_hosts VALUES (?, ?)", rows)
            self._dirty.clear()
        self._state = {}

    def _reach(self, host: "HostSpec") -> Dict[str, Any]:
        entry = self.fleet.get(host.hostname)
        if entry is None:
            raise HostUnreachable(host.hostname, "No route to host (not in the fleet file)")
        if str(entry.get("status", "")).lower() == "offline":
            raise HostUnreachable(host.hostname, "Connection timed out (host is offline in the fleet file)")
        fleet_addr = str(entry.get("addr") or host.hostname)
        if host.addr not in (fleet_addr, host.hostname):
            raise HostUnreachable(host.hostname, f"Connection refused by {host.addr}")
        return entry

    # -- discovery -------------------------------------------------------------------
    def check_host(self, host: "HostSpec") -> Dict[str, Any]:
        self._reach(host)
        return {"hostname": host.hostname}

    def prepare_host(self, host: "HostSpec") -> Dict[str, Any]:
        """`orch cephadm prepare-host`: a simulated host has its container engine, lvm2 and
        time sync already; being reachable is being prepared."""
        self._reach(host)
        return {"hostname": host.hostname}

    def registry_login(self, host: "HostSpec", login: Dict[str, Any]) -> None:
        """`orch cephadm registry-login`: remembered per host, as `podman login` would."""
        self._reach(host)
        self._host_state(host.hostname)["registry"] = login.get("url")
        self._dirty.add(host.hostname)

    def activate_osds(self, host: "HostSpec", fsid: str, image: str) -> List[str]:
        """`orch cephadm osd activate`: a daemon for every OSD whose volume is on one of the
        host's devices but which has no daemon (after a reinstall, or `daemon rm`)."""
        self._reach(host)
        st = self._host_state(host.hostname)
        created = []
        for path, lvs in sorted(st["used"].items()):
            for lv in lvs:
                name = f"osd.{lv.get('osd_id')}"
                if lv.get("type") != "block" or name in st["daemons"]:
                    continue
                affinity = lv.get("osdspec_affinity") or "None"
                req = DeployRequest(name=name, fsid=fsid, image=image,
                                    service_name=f"osd.{affinity}", osd_devices=[path])
                entry = self._ls_entry(host, req, None)
                entry["osdspec_affinity"] = affinity
                st["daemons"][name] = entry
                created.append(name)
        if created:
            self._dirty.add(host.hostname)
        return created

    def gather_facts(self, host: "HostSpec") -> Dict[str, Any]:
        entry = self._reach(host)
        if entry.get("facts"):
            return dict(entry["facts"])
        return self._synthesized_facts(entry)

    def _synthesized_facts(self, entry: Dict[str, Any]) -> Dict[str, Any]:
        hostname = entry["hostname"]
        addr = str(entry.get("addr") or hostname)
        hdd: List[Dict[str, Any]] = []
        flash: List[Dict[str, Any]] = []
        for d in entry.get("devices") or []:
            sys_api = d.get("sys_api") or {}
            disk = {"description": f"{sys_api.get('vendor', '')} {sys_api.get('model', '')}".strip(),
                    "vendor": sys_api.get("vendor", ""), "model": sys_api.get("model", ""),
                    "rev": sys_api.get("rev", ""), "wwid": d.get("device_id", ""),
                    "dev_name": d["path"].rsplit("/", 1)[-1],
                    "disk_size_bytes": int(sys_api.get("size", 0)),
                    "disk_type": "hdd" if str(sys_api.get("rotational")) == "1" else "flash",
                    "serial": d.get("device_id", "").rsplit("_", 1)[-1]}
            (hdd if disk["disk_type"] == "hdd" else flash).append(disk)
        hdd_bytes = sum(x["disk_size_bytes"] for x in hdd)
        flash_bytes = sum(x["disk_size_bytes"] for x in flash)
        return {
            "arch": "x86_64", "bios_date": "04/01/2014", "bios_version": "1.16.2",
            "board_serial": "Unknown", "chassis_serial": "Unknown",
            "cpu_count": 1, "cpu_cores": 8, "cpu_threads": 2,
            "cpu_load": {"1min": 0.1, "5min": 0.1, "15min": 0.05},
            "cpu_model": "Intel(R) Xeon(R) Silver 4210 CPU @ 2.20GHz",
            "enclosure_count": 0, "enclosures": {},
            "flash_capacity": f"{flash_bytes / 1e9:.1f}GB", "flash_capacity_bytes": flash_bytes,
            "flash_count": len(flash), "flash_list": flash,
            "fqdn": hostname, "hdd_capacity": f"{hdd_bytes / 1e12:.1f}TB",
            "hdd_capacity_bytes": hdd_bytes, "hdd_count": len(hdd), "hdd_list": hdd,
            "hostname": hostname,
            "interfaces": {"eth0": {"driver": "virtio_net", "iftype": "physical",
                                    "ipv4_address": f"{addr}/24", "ipv6_address": "",
                                    "lower_devs_list": [], "mtu": 1500, "nic_type": "ethernet",
                                    "operstate": "up", "speed": 10000, "upper_devs_list": []}},
            "kernel": "6.1.0-18-amd64", "kernel_parameters": {},
            "kernel_security": {"type": "AppArmor", "description": "AppArmor: Enabled"},
            "memory_available_kb": 60000000, "memory_free_kb": 58000000,
            "memory_total_kb": 65536000, "model": "Standard PC (Q35 + ICH9, 2009)",
            "nic_count": 1, "operating_system": "Debian GNU/Linux 12 (bookworm)",
            "product_serial": "Unknown", "selinux_enabled": False, "shortname": hostname.split(".")[0],
            "subscribed": "Unknown", "sysctl_options": {}, "system_uptime": 86400.0,
            "tcp6_ports_used": [], "tcp_ports_used": [22], "timestamp": 0.0,
            "udp6_ports_used": [], "udp_ports_used": [], "vendor": "QEMU",
        }

    def list_networks(self, host: "HostSpec") -> Dict[str, Dict[str, List[str]]]:
        entry = self._reach(host)
        if entry.get("networks"):
            return dict(entry["networks"])
        addr = str(entry.get("addr") or "")
        parts = addr.split(".")
        if len(parts) == 4 and all(p.isdigit() for p in parts):
            return {".".join(parts[:3]) + ".0/24": {"eth0": [addr]}}
        return {}

    def inventory(self, host: "HostSpec") -> List[Dict[str, Any]]:
        entry = self._reach(host)
        st = self._host_state(host.hostname)
        used: Dict[str, List[Dict[str, Any]]] = st["used"]
        lights: Dict[str, Dict[str, bool]] = st["lights"]
        out = []
        for d in entry.get("devices") or []:
            dev = dict(d)
            path = dev["path"]
            lvs = used.get(path)
            if lvs:
                dev["available"] = False
                dev["ceph_device"] = True
                dev["lvs"] = lvs
                dev["rejected_reasons"] = sorted(set(dev.get("rejected_reasons") or []) | {
                    "Has a FileSystem", "Insufficient space (<10 extents) on vgs", "LVM detected"})
            light = lights.get(path)
            if light:
                lsm = dict(dev.get("lsm_data") or {})
                lsm["ledSupport"] = {
                    "IDENTsupport": "Supported", "IDENTstatus": "on" if light.get("ident") else "off",
                    "FAILsupport": "Supported", "FAILstatus": "on" if light.get("fault") else "off"}
                dev["lsm_data"] = lsm
            out.append(dev)
        out.sort(key=lambda d: (not d.get("available"), d["path"]))
        return out

    def list_daemons(self, host: "HostSpec") -> List[Dict[str, Any]]:
        self._reach(host)
        return list(self._host_state(host.hostname)["daemons"].values())

    # -- actions ---------------------------------------------------------------------
    def _run_state(self, hostname: str, daemon_type: str) -> str:
        """``error`` for the daemon types the fleet marks as crashing on this host
        (``error_daemon_types: [rgw]``), else ``running``."""
        broken = self.fleet.get(hostname, {}).get("error_daemon_types") or ()
        return "error" if daemon_type in broken else "running"

    def _ls_entry(self, host: "HostSpec", request: DeployRequest,
                  old: Optional[Dict[str, Any]], ts: Optional[str] = None) -> Dict[str, Any]:
        ts = ts or now_str()
        entry = {
            "style": "cephadm:v1", "name": request.name, "fsid": request.fsid,
            "systemd_unit": f"ceph-{request.fsid}@{request.name}", "enabled": True,
            "state": self._run_state(host.hostname, request.daemon_type),
            "container_id": "%064x" % self._rng.getrandbits(256),
            "container_image_name": request.image,
            "container_image_id": _image_id(request.image),
            "container_image_digests": [f"{request.image.rsplit(':', 1)[0]}@sha256:{_image_id(request.image)}"],
            "version": image_version(request.image),
            "memory_usage": 64 * 1024 * 1024,
            "started": ts, "created": (old or {}).get("created", ts), "deployed": ts, "configured": ts,
            "service_name": request.service_name, "ports": list(request.ports), "ip": request.ip,
            "rank": request.rank, "rank_generation": request.rank_generation,
            "memory_request": request.memory_request, "memory_limit": request.memory_limit,
            "extra_container_args": list(request.extra_container_args),
            "extra_entrypoint_args": list(request.extra_entrypoint_args),
        }
        if request.daemon_type == "osd":
            entry["osdspec_affinity"] = (old or {}).get("osdspec_affinity", "")
        return entry

    def deploy_daemon(self, host: "HostSpec", request: DeployRequest) -> Dict[str, Any]:
        self._reach(host)
        st = self._host_state(host.hostname)
        old = st["daemons"].get(request.name)
        if request.reconfig:
            if old is None:
                raise HostActionError(host.hostname, "deploy --reconfig",
                                      f"daemon {request.name} not found")
            old["configured"] = now_str()
            entry = old
        else:
            self._check_ports(host.hostname, st, request.name, request.ports, request.ip)
            entry = self._ls_entry(host, request, old)
            if self.tls_files is not None:
                self.tls_files(request.daemon_type, request.service_name, host.hostname)
            if st["maintenance"]:
                entry["state"] = "stopped"
            st["daemons"][request.name] = entry
        self._dirty.add(host.hostname)
        return dict(entry)

    @staticmethod
    def _check_ports(hostname: str, st: Dict[str, Any], name: str, ports: List[int],
                     ip: Optional[str]) -> None:
        """A port is real: while another daemon on the host listens on it (on the same
        address, or either on all of them), this one cannot bind it, and the deploy fails
        with cephadm's text. A mgr only warns there (its standby modules may not bind)."""
        daemon_type = name.split(".", 1)[0]
        if not ports or daemon_type == "mgr":
            return
        taken: Set[int] = set()
        for other, entry in st["daemons"].items():
            if other == name or entry.get("state") != "running":
                continue
            other_ip = entry.get("ip")
            if ip and other_ip and ip != other_ip:
                continue
            taken.update(int(p) for p in entry.get("ports") or ())
        clash = [p for p in ports if int(p) in taken]
        if clash:
            raise HostActionError(hostname, "deploy",
                                  f"TCP Port(s) '{','.join(map(str, clash))}' required for "
                                  f"{daemon_type} already in use")

    def prepare_osds(self, host: "HostSpec", request: OsdPrepareRequest) -> List[Dict[str, Any]]:
        entry = self._reach(host)
        st = self._host_state(host.hostname)
        known = {d["path"] for d in entry.get("devices") or []}
        wanted = list(request.data_devices) + list(request.db_devices) + list(request.wal_devices)
        for path in wanted:
            if path not in known:
                raise HostActionError(host.hostname, "ceph-volume lvm batch",
                                      f"Device path '{path}' not found on host '{host.hostname}'")
        for path in request.data_devices:
            if st["used"].get(path):
                raise HostActionError(host.hostname, "ceph-volume lvm batch",
                                      f"{path} is already used by an OSD")
        per_device = max(1, request.osds_per_device)
        needed = len(request.data_devices) * per_device
        if len(request.osd_ids) < needed:
            raise HostActionError(host.hostname, "ceph-volume lvm batch",
                                  f"{needed} OSD ids needed, {len(request.osd_ids)} given")
        affinity = request.service_name.split(".", 1)[1] if "." in request.service_name else "None"
        ts = now_str()
        created = []
        ids = iter(request.osd_ids)
        # every OSD of one request shares image, service, state and times: the first one's
        # ls entry is the template of the others (5,000 hosts x 20 disks: ~0.4 s saved)
        template: Optional[Dict[str, Any]] = None
        for i, path in enumerate(request.data_devices):
            for _ in range(per_device):
                osd_id = next(ids)
                lv = {"name": f"osd-block-{_uuid_text(self._rng.getrandbits(128))}",
                      "osd_id": str(osd_id),
                      "cluster_name": "ceph", "type": "block", "cluster_fsid": request.fsid,
                      "osdspec_affinity": affinity}
                st["used"].setdefault(path, []).append(lv)
                for extra, kind in ((request.db_devices, "db"), (request.wal_devices, "wal")):
                    if extra:
                        dev = extra[i % len(extra)]
                        st["used"].setdefault(dev, []).append(dict(lv, type=kind))
                name = f"osd.{osd_id}"
                if template is None:
                    req = DeployRequest(name=name, fsid=request.fsid, image=request.image,
                                        service_name=request.service_name, osd_devices=[path],
                                        memory_request=request.memory_request)
                    ls = template = self._ls_entry(host, req, None, ts)
                    ls["osdspec_affinity"] = affinity
                    if st["maintenance"]:
                        ls["state"] = "stopped"
                else:
                    ls = dict(template)  # same keys in the same order as _ls_entry's
                    ls["name"] = name
                    ls["systemd_unit"] = f"ceph-{request.fsid}@{name}"
                    ls["container_id"] = "%064x" % self._rng.getrandbits(256)
                    for key in _LS_ENTRY_LISTS:  # no list shared between two daemons
                        ls[key] = list(template[key])
                st["daemons"][name] = ls
                created.append(dict(ls))
        self._dirty.add(host.hostname)
        return created

    def remove_daemon(self, host: "HostSpec", name: str, force: bool = False) -> None:
        self._reach(host)
        st = self._host_state(host.hostname)
        if st["daemons"].pop(name, None) is None and not force:
            raise HostActionError(host.hostname, "rm-daemon", f"daemon {name} not found")
        self._dirty.add(host.hostname)

    def daemon_unit(self, host: "HostSpec", name: str, action: str) -> None:
        self._reach(host)
        st = self._host_state(host.hostname)
        entry = st["daemons"].get(name)
        if entry is None:
            raise HostActionError(host.hostname, f"unit {action}", f"daemon {name} not found")
        if action == "stop":
            entry["state"] = "stopped"
        elif action in ("start", "restart"):
            self._check_ports(host.hostname, st, name, entry.get("ports") or [], entry.get("ip"))
            entry["state"] = self._run_state(host.hostname, name.split(".", 1)[0])
            entry["started"] = now_str()
            entry["container_id"] = "%064x" % self._rng.getrandbits(256)
        else:
            raise HostActionError(host.hostname, f"unit {action}", "unknown unit action")
        self._dirty.add(host.hostname)

    def zap_device(self, host: "HostSpec", path: str) -> None:
        entry = self._reach(host)
        if path not in {d["path"] for d in entry.get("devices") or []}:
            raise HostActionError(host.hostname, "ceph-volume lvm zap",
                                  f"Device path '{path}' not found on host '{host.hostname}'")
        self._host_state(host.hostname)["used"].pop(path, None)
        self._dirty.add(host.hostname)

    def set_light(self, host: "HostSpec", ident_fault: str, on: bool, path: str) -> None:
        entry = self._reach(host)
        if path not in {d["path"] for d in entry.get("devices") or []}:
            raise HostActionError(host.hostname, "light",
                                  f"Device path '{path}' not found on host '{host.hostname}'")
        lights = self._host_state(host.hostname)["lights"].setdefault(path, {})
        lights[ident_fault] = on
        self._dirty.add(host.hostname)

    def maintenance(self, host: "HostSpec", enter: bool) -> None:
        self._reach(host)
        st = self._host_state(host.hostname)
        st["maintenance"] = enter
        ts = now_str()
        for name, entry in st["daemons"].items():
            entry["state"] = "stopped" if enter else self._run_state(host.hostname,
                                                                     name.split(".", 1)[0])
            if not enter:
                entry["started"] = ts
        self._dirty.add(host.hostname)

    def update_osd_service(self, host: "HostSpec", names: List[str], service_name: str) -> None:
        """What ``cephadm update-osd-service`` changes on a host: the daemons'
        ``osdspec_affinity``/``service_name`` and their logical volumes' affinity."""
        self._reach(host)
        state = self._host_state(host.hostname)
        affinity = service_name.split(".", 1)[1] if "." in service_name else "None"
        for name in names:
            entry = state["daemons"].get(name)
            if entry is None:
                raise HostActionError(host.hostname, "update-osd-service",
                                      f"daemon {name} not found")
            entry["osdspec_affinity"] = affinity
            entry["service_name"] = service_name
        ids = {n.split(".", 1)[1] for n in names}
        for lvs in state["used"].values():
            for lv in lvs:
                if str(lv.get("osd_id")) in ids:
                    lv["osdspec_affinity"] = affinity
        self._dirty.add(host.hostname)


class LocalOrchestrator(ClusterOrchestrator):
    """``--backend local``: the engine over the fleet file and the simulated cluster."""

    backend_name = "local"

    def __init__(self, state_dir: Path) -> None:
        store = Store(Path(state_dir))
        store.ensure_tables(_LOCAL_DDL)
        self.fleet_file = fleet_path(Path(state_dir))
        cluster = SimulatedCephCluster(store)
        fleet_file = self.fleet_file
        driver = LocalHostDriver(store, lambda: load_fleet(fleet_file), cluster.fsid())
        super().__init__(store, driver, cluster,
                         node_proxy=SimulatedNodeProxy(lambda: driver.fleet))
        self.core.commit_hooks.extend([driver.flush, cluster.flush])
        driver.tls_files = self.tls_files_for
        self.core.reload_hooks.extend([driver.reload, cluster.reload])
