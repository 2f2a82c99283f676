"""Host maintenance and drain: cephadm's ``enter/exit_host_maintenance`` and
``drain_host``/``stop_drain_host``, over the engine's store, driver and cluster.

Maintenance is the host's ``status`` in its stored spec (``maintenance``), set in the same
transaction that records the stopped daemons, so the placement (which treats maintenance
hosts as unreachable) and ``orch host ls`` see it at once. Leaving maintenance works for a
host that was rebooted meanwhile (its daemons are started again, whatever state they are
in) and, with ``--offline --force``, for a host that is gone (only the flag is cleared).

A drain only labels the host (``_no_schedule``, and ``_no_conf_keyring`` unless asked not
to) and queues its OSDs for removal: the normal convergence moves every other daemon off,
and the OSD removal queue drains the OSDs, so a drain survives a crash like any intent.
``drain_step`` reports each drain's progress and says when the host is empty.
"""
from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ceph_orch_cli.cluster import mgr_role, service_types, volatile_status
from ceph_orch_cli.cluster.driver import HostActionError, HostUnreachable
from ceph_orch_cli.cluster.store import now_str
from ceph_orch_cli.orchestrator import (handle_orch_error, raise_if_exception,
                                        service_to_daemon_types)
from ceph_orch_cli.orchestrator.errors import OrchestratorError, OrchestratorValidationError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.core import EngineCore
    from ceph_orch_cli.cluster.osd_removal import OsdRemovalQueue

DRAIN_DAEMONS_LABEL = "_no_schedule"
DRAIN_CONF_KEYRING_LABEL = "_no_conf_keyring"
ADMIN_LABEL = "_admin"
#: daemon types whose failed ok-to-stop can cost availability or data: only
#: ``--force --yes-i-really-mean-it`` overrides them (``--force`` alone bypasses the others)
DANGEROUS_TYPES = frozenset(d for r in service_types.REGISTRY if r.stop_is_dangerous
                            for d in service_to_daemon_types(r.name))
#: setting that remembers which hosts are being drained (and whether to zap), for drain_step
DRAINS_SETTING = "drains"


class Maintenance:
    """Maintenance and drain over the core; a drain queues the host's OSDs on ``osd_queue``."""

    def __init__(self, core: "EngineCore", osd_queue: "OsdRemovalQueue") -> None:
        self.core = core
        self.store = core.store
        self.driver = core.driver
        self.cluster = core.cluster
        self.osd_queue = osd_queue

    # -- helpers --------------------------------------------------------------------------
    def _host_stop_problems(self, hostname: str) -> Tuple[List[str], List[str]]:
        """(dangerous, warnings): ok-to-stop failures of the host's daemons, by type."""
        by_type: Dict[str, List[str]] = {}
        for d in self.core.daemons(hostname=hostname):
            by_type.setdefault(d.daemon_type or "", []).append(d.daemon_id or "")
        dangerous: List[str] = []
        warnings: List[str] = []
        for dtype, ids in sorted(by_type.items()):
            alert = mgr_role.active_mgr_alert(self.cluster, ids, mgr_role.running_mgrs(
                self.core.daemons(daemon_type="mgr"), volatile_status.overrides(self.store))
            ) if dtype == "mgr" else None
            if alert:  # cephadm's text as it is; --force does not bypass it
                dangerous.append(alert)
                continue
            r = self.cluster.ok_to_stop(dtype, ids)
            if r.ok:
                continue
            names = ",".join(f"{dtype}.{i}" for i in ids)
            msg = f"It is NOT safe to stop {names} at this time: {r.message}"
            (dangerous if dtype in DANGEROUS_TYPES else warnings).append(msg)
        return dangerous, warnings

    # -- maintenance ------------------------------------------------------------------------
    @handle_orch_error
    def enter_host_maintenance(self, hostname: str, force: bool = False,
                               yes_i_really_mean_it: bool = False) -> str:
        host = self.core.inventory_host(hostname)
        if yes_i_really_mean_it and not force:
            raise OrchestratorError("--force must be passed with --yes-i-really-mean-it")
        if len(self.store.get_hosts()) == 1 and not yes_i_really_mean_it:
            raise OrchestratorError("Maintenance feature is not supported on single node clusters")
        if self.store.get_upgrade_state() and not yes_i_really_mean_it:
            raise OrchestratorError(
                f"Unable to place {hostname} in maintenance with upgrade active/paused")
        if (host.status or "").lower() == "maintenance":
            raise OrchestratorError(f"Host {hostname} is already in maintenance")
        fsid = self.cluster.fsid()
        daemons = self.core.daemons(hostname=hostname)
        if daemons:
            dangerous, warnings = self._host_stop_problems(hostname)
            blocking = dangerous if force else dangerous + warnings
            if blocking and not yes_i_really_mean_it:
                note = ("\nNote: Warnings can be bypassed with the --force flag" if not force
                        else "\nNote: this can only be overridden with --force "
                             "--yes-i-really-mean-it")
                raise OrchestratorError("\n".join(blocking) + note, errno=1)
        with self.core.converge_lock():
            reached = True
            try:
                if any(d.daemon_type == "osd" for d in daemons):
                    self.cluster.set_host_noout(hostname, True)
                self.driver.maintenance(host, True)
            except (HostUnreachable, HostActionError) as e:
                if isinstance(e, HostUnreachable):
                    self.store.set_host_offline(hostname, e.reason)
                if not yes_i_really_mean_it:
                    raise OrchestratorError(
                        f"Failed to place {hostname} into maintenance for cluster {fsid}: {e}")
                reached = False
            with self.store.transaction():
                self.core.commit()
                if reached:
                    self.core.sync_daemons(host)
                self.core.set_host_status(hostname, "maintenance")
            self.core.count_action()
        self.core.host_events(daemons, f"Stopped: host '{hostname}' entered maintenance mode")
        return (f"Daemons for Ceph cluster {fsid} stopped on host {hostname}. "
                f"Host {hostname} moved to maintenance mode")

    @handle_orch_error
    def exit_host_maintenance(self, hostname: str, force: bool = False,
                              offline: bool = False) -> str:
        host = self.core.inventory_host(hostname)
        if (host.status or "").lower() != "maintenance":
            raise OrchestratorError(f"Host {hostname} is not in maintenance mode")
        fsid = self.cluster.fsid()
        # maintenance hosts are not refreshed, so ask the host itself whether it is there
        try:
            self.driver.check_host(host)
            host_offline = False
        except HostUnreachable as e:
            self.store.set_host_offline(hostname, e.reason)
            host_offline = True
        except HostActionError:
            host_offline = False  # it answered; whether it works is the next step's question
        if host_offline and not offline:
            raise OrchestratorValidationError(
                f"{hostname} is offline, please use --offline and --force to take this host "
                "out of maintenance mode")
        if not host_offline and offline:
            raise OrchestratorValidationError(
                f"{hostname} is online, please take host out of maintenance mode without "
                "--offline.")
        if offline and not force:
            raise OrchestratorValidationError(
                "Taking an offline host out of maintenance mode requires --force")
        daemons = self.core.daemons(hostname=hostname)
        with self.core.converge_lock():
            started = False
            if not host_offline:
                try:
                    self.driver.maintenance(host, False)
                    started = True
                    if any(d.daemon_type == "osd" for d in daemons):
                        self.cluster.set_host_noout(hostname, False)
                except (HostUnreachable, HostActionError) as e:
                    if not force:
                        raise OrchestratorError(f"Failed to exit maintenance state for host "
                                                f"{hostname}, cluster {fsid}: {e}")
            with self.store.transaction():
                self.core.commit()
                if started:
                    self.store.set_host_offline(hostname, None)
                    self.core.sync_daemons(host)
                self.core.set_host_status(hostname, "")
            self.core.count_action()
        how = "started again" if started else "left as they are (host offline)"
        self.core.host_events(daemons, f"Host '{hostname}' exited maintenance mode; daemons {how}")
        return f"Ceph cluster {fsid} on {hostname} has exited maintenance mode"

    # -- drain -------------------------------------------------------------------------------
    @handle_orch_error
    def drain_host(self, hostname: str, force: bool = False, keep_conf_keyring: bool = False,
                   zap_osd_devices: bool = False) -> str:
        host = self.core.maybe_host(hostname)
        if host is None:
            raise OrchestratorError(f"host {hostname} does not exist", errno=-errno.ENOENT)
        if not force and ADMIN_LABEL in host.labels:
            admins = [h for h in self.core.host_specs() if ADMIN_LABEL in h.labels]
            if len(admins) == 1:
                raise OrchestratorValidationError(
                    f"Host {hostname} is the last host with the '{ADMIN_LABEL}' label.\n"
                    "Draining this host could cause the removal of the last cluster "
                    "config/keyring managed by cephadm.\n"
                    f"It is recommended to add the {ADMIN_LABEL} label to another host before "
                    "completing this operation.\nIf you're certain this is what you want rerun "
                    "this command with --force.")
        labels = [DRAIN_DAEMONS_LABEL] + ([] if keep_conf_keyring else [DRAIN_CONF_KEYRING_LABEL])

        def add_labels(cur: Dict[str, Any]) -> Dict[str, Any]:
            cur["labels"] = list(dict.fromkeys(list(cur.get("labels") or []) + labels))
            return cur

        with self.store.transaction():
            self.store.update_host(hostname, add_labels)
            drains = dict(self.store.get_setting(DRAINS_SETTING, {}) or {})
            drains[hostname] = {"started": now_str(), "zap": zap_osd_devices}
            self.store.set_setting(DRAINS_SETTING, drains)
        daemons = self.core.daemons(hostname=hostname)
        osds = [d.daemon_id or "" for d in daemons if d.daemon_type == "osd"]
        if osds:
            raise_if_exception(self.osd_queue.remove_osds(osds, zap=zap_osd_devices))
        self.core.host_events(daemons, f"Scheduled for removal: host '{hostname}' is being drained")
        self.core.converge()
        table = "{:<20} {:<15}\n".format("type", "id")
        table += "{:<20} {:<15}\n".format("-" * 20, "-" * 15)
        for d in daemons:
            table += "{:<20} {:<15}\n".format(d.daemon_type, d.daemon_id)
        return f"Scheduled to remove the following daemons from host '{hostname}'\n{table}"

    @handle_orch_error
    def stop_drain_host(self, hostname: str) -> str:
        host = self.core.maybe_host(hostname)
        if host is None:
            raise OrchestratorError(f"host {hostname} does not exist", errno=-errno.ENOENT)
        if DRAIN_DAEMONS_LABEL not in host.labels:
            raise OrchestratorValidationError(f"Host {hostname} is not currently being drained")

        def drop_labels(cur: Dict[str, Any]) -> Dict[str, Any]:
            cur["labels"] = [x for x in cur.get("labels") or []
                             if x not in (DRAIN_DAEMONS_LABEL, DRAIN_CONF_KEYRING_LABEL)]
            return cur

        with self.store.transaction():
            self.store.update_host(hostname, drop_labels)
            drains = dict(self.store.get_setting(DRAINS_SETTING, {}) or {})
            drains.pop(hostname, None)
            self.store.set_setting(DRAINS_SETTING, drains or None)
        queued = [str(e.osd_id) for e in self.osd_queue.removal_queue()
                  if e.hostname == hostname and not e.past("down")]
        if queued:
            raise_if_exception(self.osd_queue.stop_remove_osds(queued))
        self.core.host_events(self.core.daemons(hostname=hostname),
                          f"Drain of host '{hostname}' stopped")
        return f"Stopped host drain for {hostname}"

    def drain_step(self) -> Optional[Dict[str, Any]]:
        """Report drains: daemons left per draining host; forget a drain once the host is
        empty (the operator then runs ``orch host rm``)."""
        drains = dict(self.store.get_setting(DRAINS_SETTING, {}) or {})
        if not drains:
            return None
        out: Dict[str, Any] = {}
        for hostname in list(drains):
            host = self.core.maybe_host(hostname)
            if host is None or DRAIN_DAEMONS_LABEL not in host.labels:
                drains.pop(hostname)
                continue
            left = self.core.daemons(hostname=hostname)
            queued = [e for e in self.osd_queue.removal_queue() if e.hostname == hostname]
            # an OSD queued by nobody (e.g. created while draining) is queued now
            missing = [d.daemon_id or "" for d in left if d.daemon_type == "osd"
                       and int(d.daemon_id or -1) not in {e.osd_id for e in queued}]
            if missing:
                raise_if_exception(self.osd_queue.remove_osds(
                    missing, zap=bool(drains[hostname].get("zap"))))
            if not left and not queued:
                drains.pop(hostname)
                out[hostname] = "drained"
            else:
                # name them: a daemon whose service cannot be placed elsewhere (e.g. its only
                # labelled host is this one) stays, as in cephadm; its service's events say why
                names = sorted(d.name() for d in left)
                shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
                out[hostname] = f"{len(left)} daemon(s) left: {shown}"
        self.store.set_setting(DRAINS_SETTING, drains or None)
        return out or None
