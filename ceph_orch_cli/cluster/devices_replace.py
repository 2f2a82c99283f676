"""Replacing a disk (``orch device replace``) and moving OSDs between OSD services
(``orch osd set-spec-affinity``).

``replace_device`` is cephadm's: find the OSDs whose logical volumes live on the device (its
block, db or wal role, from the cached ``ceph-volume inventory``), refuse a device shared by
several OSDs unless ``--yes-i-really-mean-it``, queue those OSDs for removal with
``--replace`` (their ids are kept for the new disk), and mark the device as being replaced.
cephadm's mark is a header ceph-volume writes on the disk; here it is a backend setting
(``devices/being_replaced``: host -> path -> OSD ids), read through ``EngineCore.being_replaced()``.
``--clear`` removes the mark once the new disk is in.

``set_osd_spec`` rewrites which OSD service existing OSDs belong to (cephadm runs
``cephadm update-osd-service`` on each host): ``HostDriver.update_osd_service``.
"""
from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Any, Dict, List

from ceph_orch_cli.cluster.driver import HostActionError, HostUnreachable
from ceph_orch_cli.cluster.store import EventRow, now_str
from ceph_orch_cli.orchestrator import handle_orch_error, raise_if_exception
from ceph_orch_cli.orchestrator.errors import OrchestratorError

from ceph_orch_cli.cluster.core import BEING_REPLACED_SETTING

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.core import EngineCore
    from ceph_orch_cli.cluster.osd_removal import OsdRemovalQueue


class DeviceReplace:
    """``replace_device`` and ``set_osd_spec``; a replaced device's OSDs go on ``osd_queue``."""

    def __init__(self, core: "EngineCore", osd_queue: "OsdRemovalQueue") -> None:
        self.core = core
        self.store = core.store
        self.driver = core.driver
        self.cluster = core.cluster
        self.osd_queue = osd_queue

    # -- device replacement --------------------------------------------------------------------
    def _device_osd_roles(self, hostname: str, device: str) -> Dict[str, List[str]]:
        """OSD ids using ``device``, by role (block/db/wal), from the cached inventory."""
        cached = self.store.get_devices(hostname).get(hostname)
        if cached is None:
            raise OrchestratorError(f"Host '{hostname}' hasn't been scanned yet to determine "
                                    "its inventory. Please try again later.")
        roles: Dict[str, List[str]] = {}
        for dev in cached[0]:
            if dev.get("path") != device:
                continue
            for lv in dev.get("lvs") or []:
                osd_id = lv.get("osd_id")
                if osd_id is None:
                    continue
                ids = roles.setdefault(str(lv.get("type") or "block"), [])
                if str(osd_id) not in ids:
                    ids.append(str(osd_id))
        return roles

    def _save_marks(self, marks: Dict[str, Any]) -> None:
        self.core.set_backend_setting(BEING_REPLACED_SETTING,
                                 {h: m for h, m in marks.items() if m} or None)

    @handle_orch_error
    def replace_device(self, hostname: str, device: str, clear: bool = False,
                       yes_i_really_mean_it: bool = False) -> str:
        self.core.inventory_host(hostname)
        marks = dict(self.core.get_backend_setting(BEING_REPLACED_SETTING, {}) or {})
        mine = dict(marks.get(hostname) or {})
        if clear:
            if device not in mine:
                return (f"No replacement header could be cleared on {device}.\n"
                        f"{device} on {hostname} is not marked as being replaced")
            mine.pop(device)
            marks[hostname] = mine
            self._save_marks(marks)
            return f"Replacement header cleared on {device}"
        roles = self._device_osd_roles(hostname, device)
        osd_ids = sorted({i for ids in roles.values() for i in ids}, key=int)
        if not osd_ids:
            raise OrchestratorError(f"{device} doesn't appear to be used for an OSD, not a "
                                    f"valid device in {hostname}.")
        if len(osd_ids) > 1 and not yes_i_really_mean_it:
            raise OrchestratorError(
                f"{device} is a shared device.\nReplacing {device} implies destroying "
                f"OSD(s): {osd_ids}.\nPlease, *be very careful*, this can be a very dangerous "
                "operation.\nIf you know what you are doing, pass --yes-i-really-mean-it")
        result = raise_if_exception(self.osd_queue.remove_osds(
            osd_ids, replace=True, replace_block="block" in roles, replace_db="db" in roles,
            replace_wal="wal" in roles))
        if str(result).startswith("Unable to find OSDs"):
            raise OrchestratorError(str(result), errno=-errno.ENOENT)
        mine[device] = {"osd_ids": osd_ids, "since": now_str()}
        marks[hostname] = mine
        self._save_marks(marks)
        return f"Scheduled to destroy osds: {osd_ids} and mark {device} as being replaced."

    # -- OSD service affinity ------------------------------------------------------------------
    @handle_orch_error
    def set_osd_spec(self, service_name: str, osd_ids: List[str]) -> str:
        row = self.store.get_spec(service_name)
        if row is None or row.deleted or not service_name.startswith("osd"):
            raise OrchestratorError(
                f"Cannot find service '{service_name}' in the inventory. Please try again "
                "after applying an OSD service that matches the service name to which you want "
                "to attach OSDs.")
        wanted = [str(i) for i in osd_ids]
        per_host: Dict[str, List[str]] = {}
        for d in self.core.daemons(daemon_type="osd"):
            if d.daemon_id in wanted and d.hostname:
                per_host.setdefault(d.hostname, []).append(d.daemon_id)
        if not per_host:
            raise OrchestratorError(f"Unable to find OSDs: {wanted}")
        update = self.driver.update_osd_service
        done: List[str] = []
        failed: List[str] = []
        ts = now_str()
        with self.core.converge_lock():
            for hostname, ids in sorted(per_host.items()):
                host = self.core.maybe_host(hostname)
                names = [f"osd.{i}" for i in ids]
                try:
                    if host is None:
                        raise HostActionError(hostname, "update-osd-service", "host removed")
                    update(host, names, service_name)
                    with self.store.transaction():
                        self.core.commit()
                        self.core.sync_daemons(host)
                        self.core.remember_devices({hostname: self.driver.inventory(host)})
                        self.store.add_events(
                            [EventRow("daemon", n, "INFO",
                                      f"Moved {n} to service {service_name}", ts) for n in names])
                    done.extend(ids)
                except (HostActionError, HostUnreachable) as e:
                    # per-host fan-out, as cephadm: one host failing does not stop the others
                    with self.store.transaction():
                        self.store.add_events(
                            [EventRow("daemon", n, "ERROR",
                                      f"Failed to move {n} to service {service_name}: {e}", ts)
                             for n in names])
                    failed.extend(ids)
        msg = f"Updated service for osd {','.join(done)}" if done else \
            "Updated service for no osd"
        if failed:
            msg += f" and failed for {','.join(failed)}"
        return msg
