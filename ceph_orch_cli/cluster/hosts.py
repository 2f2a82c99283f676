"""Hosts and their devices: the ``orch host ...`` and ``orch device ...`` methods of
``ClusterOrchestrator`` (add, remove, label, address, facts, ok-to-stop, inventory, zap, lights).
"""
from __future__ import annotations

import errno
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from ceph_orch_cli.cluster import mgr_role, volatile_status
from ceph_orch_cli.cluster.driver import HostActionError, HostUnreachable
from ceph_orch_cli.deployment.hostspec import (SpecValidationError, assert_valid_addr,
                                              assert_valid_label)
from ceph_orch_cli.orchestrator import InventoryHost, handle_orch_error
from ceph_orch_cli.orchestrator.errors import OrchestratorError, OrchestratorValidationError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.core import EngineCore
    from ceph_orch_cli.deployment.hostspec import HostSpec
    from ceph_orch_cli.orchestrator import DeviceLightLoc, InventoryFilter

ADMIN_LABEL = "_admin"


class Hosts:
    """Host and device methods of the Orchestrator interface, over the engine's core.

    ``check`` is how a new host (or a new address) is checked before it is stored: the
    engine passes its ``_check_reachable``, which a backend may extend (the SSH backend
    records the host key first), and which ends in ``check_reachable`` below.
    """

    def __init__(self, core: "EngineCore", check: Callable[["HostSpec"], None]) -> None:
        self.core = core
        self.store = core.store
        self.driver = core.driver
        self.cluster = core.cluster
        self.check = check

    # ================================================================ hosts
    def check_reachable(self, spec: "HostSpec") -> None:
        """The engine's own check of a host: it answers, with the expected hostname."""
        try:
            info = self.driver.check_host(spec)
        except HostUnreachable as e:
            raise OrchestratorError(
                f"Failed to connect to {spec.hostname} ({spec.addr}): {e.reason}. "
                "Please make sure that the host is reachable and accepts connections using "
                "the orch SSH key")
        except HostActionError as e:
            raise OrchestratorError(f"New host {spec.hostname} ({spec.addr}) failed check(s): "
                                    f"['{e.reason}']")
        seen = (info or {}).get("hostname")
        if seen and seen != spec.hostname:
            raise OrchestratorError(
                f"New host {spec.hostname} ({spec.addr}) failed check(s): "
                f"['hostname \"{seen}\" does not match expected hostname \"{spec.hostname}\"']")

    def _store_host(self, spec: "HostSpec") -> None:
        """Add the host, or merge into the known one (new addr, more labels), as cephadm."""
        if self.store.get_host(spec.hostname) is None:
            self.store.put_host(spec.to_json())
        else:
            def merge(cur: Dict[str, Any]) -> Dict[str, Any]:
                cur["addr"] = spec.addr
                cur["labels"] = list(dict.fromkeys(list(cur.get("labels") or []) + spec.labels))
                if spec.status:
                    cur["status"] = spec.status
                if spec.location:
                    cur["location"] = spec.location
                return cur
            self.store.update_host(spec.hostname, merge)
        self.store.set_host_offline(spec.hostname, None)

    def check_hosts(self, specs: List["HostSpec"], stop_at_error: bool) -> List[Any]:
        """Validate and check hosts in parallel, storing nothing: per spec, the "Added
        host" message it would get or the exception (after the first with
        ``stop_at_error``)."""
        outcome: List[Any] = []
        valid: List["HostSpec"] = []
        for spec in specs:
            try:
                spec.validate()
                valid.append(spec)
                outcome.append(None)
            except SpecValidationError as e:  # a spec error is that host's result line
                outcome.append(e)
        checks = self.driver.map_hosts(self.check, valid)
        for i, spec in enumerate(specs):
            if outcome[i] is None:
                r = checks.get(spec.hostname)
                outcome[i] = r if isinstance(r, BaseException) else \
                    f"Added host '{spec.hostname}' with addr '{spec.addr}'"
            if isinstance(outcome[i], BaseException) and stop_at_error:
                return outcome[:i + 1]
        return outcome

    def add_hosts(self, specs: List["HostSpec"], stop_at_error: bool,
                  checked: bool = False) -> List[Any]:
        """Check hosts in parallel, store those that answer in one transaction, read them.

        Returns, per spec, the "Added host" message or the exception. With
        ``stop_at_error`` nothing after the first failure is stored; ``checked``: the
        caller has checked them all already (``check_hosts``).
        """
        if checked:
            outcome: List[Any] = [f"Added host '{s.hostname}' with addr '{s.addr}'"
                                  for s in specs]
        else:
            outcome = self.check_hosts(specs, stop_at_error)
        to_store = [s for s, r in zip(specs, outcome) if not isinstance(r, BaseException)]
        if stop_at_error and any(isinstance(r, BaseException) for r in outcome):
            to_store = [s for s, r in zip(specs, outcome[:-1])]
        with self.store.transaction():
            for spec in to_store:
                self._store_host(spec)
        if to_store:
            wanted = {s.hostname for s in to_store}
            self.core.refresh([h for h in self.core.host_specs() if h.hostname in wanted],
                              force=True)
        return outcome

    @handle_orch_error
    def add_host(self, host_spec: "HostSpec") -> str:
        result = self.add_hosts([host_spec], stop_at_error=True)[0]
        if isinstance(result, BaseException):
            raise result
        self.core.converge_stored()
        return result

    @handle_orch_error
    def remove_host(self, host: str, force: bool = False, offline: bool = False,
                    rm_crush_entry: bool = False) -> str:
        spec = self.core.host(host)
        is_offline = spec.status == "offline"
        if offline and not force:
            raise OrchestratorError("Removing an offline host requires --force")
        if offline and not is_offline:
            raise OrchestratorError(f"{host} is online, please remove host without --offline.")
        if is_offline and not offline:
            raise OrchestratorError(f"{host} is offline, please use --offline and --force to "
                                    "remove this host. This can potentially cause data loss")
        if not force and ADMIN_LABEL in spec.labels:
            admins = [h for h in self.core.host_specs() if ADMIN_LABEL in h.labels]
            if len(admins) == 1:
                raise OrchestratorError(
                    f"Host {host} is the last host with the '{ADMIN_LABEL}' label. Please add "
                    f"the '{ADMIN_LABEL}' label to a host or add --force to remove this host.")
        daemons = self.core.daemons(hostname=host)
        if not offline and not force and daemons:
            table = "type                 id             \n-------------------- ---------------\n"
            for d in daemons:
                table += "{:<20} {:<15}\n".format(d.daemon_type, d.daemon_id)
            raise OrchestratorValidationError(
                f"Not allowed to remove {host} from cluster. The following daemons are running "
                f"in the host:\n{table}\nPlease run 'orch host drain {host}' to remove "
                "daemons from host")
        with self.core.converge_lock():
            if offline:
                for d in daemons:
                    if d.daemon_type == "osd":
                        self.cluster.purge_osd(int(d.daemon_id or 0))
            with self.store.transaction():
                self.core.commit()
                self.store.remove_host(host)
        return f"Removed {'offline' if offline else ''} host '{host}'"

    @handle_orch_error
    def get_hosts(self) -> List["HostSpec"]:
        return self.core.host_specs()

    @handle_orch_error
    def update_host_addr(self, host: str, addr: str) -> str:
        assert_valid_addr(addr)
        spec = self.core.host(host)
        spec.addr = addr
        self.check(spec)
        self.store.update_host(host, lambda cur: dict(cur, addr=addr))
        self.store.set_host_offline(host, None)
        return f"Updated host '{host}' addr to '{addr}'"

    @handle_orch_error
    def add_host_label(self, host: str, label: str) -> str:
        assert_valid_label(label)
        def change(cur: Dict[str, Any]) -> Optional[Dict[str, Any]]:
            labels = list(cur.get("labels") or [])
            if label in labels:
                return None
            cur["labels"] = labels + [label]
            return cur
        if self.store.update_host(host, change) is None:
            raise OrchestratorError(f"host {host} does not exist", errno=-errno.ENOENT)
        self.core.converge_stored()
        return f"Added label {label} to host {host}"

    @handle_orch_error
    def remove_host_label(self, host: str, label: str, force: bool = False) -> str:
        spec = self.core.host(host)
        if label not in spec.labels:
            return (f"Host {host} does not have label '{label}'. Please use 'orch host ls' "
                    "to list all the labels.")
        if label == ADMIN_LABEL and not force:
            admins = [h for h in self.core.host_specs() if ADMIN_LABEL in h.labels]
            if len(admins) == 1:
                raise OrchestratorError(
                    f"Host {host} is the last host with the '{ADMIN_LABEL}' label.\nRemoving the "
                    f"{ADMIN_LABEL} label from this host could cause the removal or corruption of "
                    "the ceph.conf and keyring files on all hosts. Please add the label to "
                    "another host first or use --force to remove it anyway.")

        def change(cur: Dict[str, Any]) -> Dict[str, Any]:
            cur["labels"] = [x for x in cur.get("labels") or [] if x != label]
            return cur
        self.store.update_host(host, change)
        self.core.converge_stored()
        return f"Removed label {label} from host {host}"

    @handle_orch_error
    def get_facts(self, hostname: Optional[str] = None) -> List[Dict[str, Any]]:
        hosts = [self.core.host(hostname)] if hostname else self.core.host_specs()
        cached = self.store.get_facts(hostname)
        missing = [h for h in hosts if h.hostname not in cached]
        if missing:
            self.core.refresh(missing, force=True)
            cached = self.store.get_facts(hostname)
        return [cached[h.hostname][0] for h in hosts if h.hostname in cached]

    @handle_orch_error
    def host_ok_to_stop(self, hostname: str) -> str:
        if self.core.maybe_host(hostname) is None:
            raise OrchestratorError(f'Cannot find host "{hostname}"')
        by_type: Dict[str, List[str]] = {}
        for d in self.core.daemons(hostname=hostname):
            by_type.setdefault(d.daemon_type or "", []).append(d.daemon_id or "")
        notes: List[str] = []
        for dtype, ids in sorted(by_type.items()):
            alert = mgr_role.active_mgr_alert(self.cluster, ids, mgr_role.running_mgrs(
                self.core.daemons(daemon_type="mgr"), volatile_status.overrides(self.store))
            ) if dtype == "mgr" else None
            if alert:
                raise OrchestratorError(alert, errno=-errno.EBUSY)
            r = self.cluster.ok_to_stop(dtype, ids)
            if not r.ok:
                raise OrchestratorError(r.message, errno=-errno.EBUSY)
            notes.extend(r.notes)
        msg = f"It is presumed safe to stop host {hostname}"
        return "\n".join([msg] + notes)

    @handle_orch_error
    def rescan_host(self, hostname: str) -> str:
        host = self.core.maybe_host(hostname)
        if host is None:
            raise OrchestratorError(f"Cannot find host '{hostname}' in the inventory.")
        start = time.monotonic()
        checked = self.core.refresh([host], force=True)
        if checked.get(hostname):
            raise OrchestratorError(f"Unable to rescan {hostname}: {checked[hostname]}")
        devices, _ = self.store.get_devices(hostname).get(hostname, ([], ""))
        return (f"Ok. {len(devices)} devices detected: {len(devices)} rescanned, 0 skipped, "
                f"0 failed ({time.monotonic() - start:.2f}s)")

    # ================================================================ devices
    @handle_orch_error
    def get_inventory(self, host_filter: Optional["InventoryFilter"] = None,
                      refresh: bool = False) -> List[InventoryHost]:
        from ceph_orch_cli.deployment.inventory import Devices
        hosts = self.core.host_specs()
        if host_filter is not None and host_filter.hosts:
            wanted = set(host_filter.hosts)
            hosts = [h for h in hosts if h.hostname in wanted]
        if host_filter is not None and host_filter.labels:
            hosts = [h for h in hosts if set(host_filter.labels) & set(h.labels)]
        if refresh:
            self.core.refresh(hosts, force=True)
        cached = self.store.get_devices()
        out = []
        for h in hosts:
            if h.hostname not in cached:
                continue
            inv, ts = cached[h.hostname]
            replaced = self.core.being_replaced(h.hostname)
            for dev in inv:
                dev.setdefault("created", ts)
                dev["being_replaced"] = dev.get("path") in replaced
            out.append(InventoryHost(h.hostname, Devices.from_json(inv), h.labels, h.addr))
        return out

    @handle_orch_error
    def zap_device(self, host: str, path: str) -> str:
        spec = self.core.maybe_host(host)
        if spec is None:
            raise OrchestratorError(f"Host '{host}' is not a member of the cluster")
        inv, _ = self.store.get_devices(host).get(host, ([], ""))
        dev = next((d for d in inv if d.get("path") == path), None)
        if dev is None:
            raise OrchestratorError(f"Device path '{path}' not found on host '{host}'")
        osd_ids = sorted({str(lv.get("osd_id")) for lv in dev.get("lvs") or []
                          if lv.get("osd_id") is not None})
        live = {d.daemon_id for d in self.core.daemons(hostname=host, daemon_type="osd")}
        active = [f"osd.{i}" for i in osd_ids if i in live]
        if active:
            plural = "s" if len(active) > 1 else ""
            raise OrchestratorError(
                f"Unable to zap: device '{path}' on {host} has {len(active)} active "
                f"OSD{plural} ({', '.join(active)}). Use 'orch osd rm' first.")
        with self.core.converge_lock():
            try:
                self.driver.zap_device(spec, path)
                inv = self.driver.inventory(spec)
            except HostUnreachable as e:
                self.store.set_host_offline(host, e.reason)
                raise
            with self.store.transaction():
                self.core.commit()
                self.core.remember_devices({host: inv})
        return f"zap successful for {path} on {host}"

    @handle_orch_error
    def blink_device_light(self, ident_fault: str, on: bool,
                           locations: List["DeviceLightLoc"]) -> List[str]:
        out = []
        with self.core.converge_lock():
            for loc in locations:
                spec = self.core.host(loc.host)
                self.driver.set_light(spec, ident_fault, on, loc.path or loc.dev)
                out.append(f"Set {ident_fault} light for {loc.host}:{loc.path or loc.dev} "
                           f"{'on' if on else 'off'}")
            with self.store.transaction():
                self.core.commit()
        return out
