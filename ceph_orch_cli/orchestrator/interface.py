"""The orchestrator interface: every operation ``orch`` can ask of a backend.

A backend subclasses ``Orchestrator`` and overrides what it supports, decorating each
implementation with ``handle_orch_error`` so it returns an ``OrchResult``. Everything it leaves
alone raises ``NotImplementedError``, which the CLI reports as "This Orchestrator does not
support ...", and ``get_feature_set()`` reports as unavailable.

Backends should keep fresh caches and answer from them: a stale-but-recent inventory is better
than a caller waiting while every host is scanned.
"""
from __future__ import annotations

import errno
from typing import (TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar,
                    Union)

from .errors import OrchestratorError
from .result import OrchResult, handle_orch_error, raise_if_exception

if TYPE_CHECKING:
    from ceph_orch_cli.deployment.drive_group import DriveGroupSpec
    from ceph_orch_cli.deployment.hostspec import HostSpec
    from ceph_orch_cli.deployment.service_spec import (
        IngressSpec, IscsiServiceSpec, MDSSpec, NFSServiceSpec, NvmeofServiceSpec, RGWSpec,
        ServiceSpec, SMBSpec, SNMPGatewaySpec, MgmtGatewaySpec, OAuth2ProxySpec)
    from ceph_orch_cli.deployment.tuned_profile import TunedProfileSpec

    from .descriptions import DaemonDescription, ServiceDescription, UpgradeStatusSpec
    from .inventory import DeviceLightLoc, InventoryFilter, InventoryHost

    GenericSpec = Union[ServiceSpec, HostSpec]

FuncT = TypeVar('FuncT', bound=Callable[..., Any])


def _hide_in_features(f: FuncT) -> FuncT:
    """Leave a method out of ``get_feature_set()`` (it is plumbing, not a feature)."""
    f._hide_in_features = True  # type: ignore[attr-defined]
    return f


class Orchestrator:
    """The interface a backend implements; see the module docstring."""

    # ----------------------------------------------------------------- utilities

    @_hide_in_features
    def is_orchestrator_module(self) -> bool:
        """Lets callers check that an object can serve as a backend. Not meant to be overridden."""
        return True

    @_hide_in_features
    def available(self) -> Tuple[bool, str, Dict[str, Any]]:
        """Whether the backend can be reached: ``(ok, reason when not ok, backend details)``.

        Called often (every ``orch status``), so it must be cheap; a slightly stale answer from a
        background check is fine. ``True`` says nothing about which features work: call the
        method and handle ``NotImplementedError`` instead.
        """
        raise NotImplementedError()

    @_hide_in_features
    def get_feature_set(self) -> Dict[str, dict]:
        """``{method: {'available': bool}}``: which interface methods this backend overrides.

        Like ``available()``, a True here is no promise that a call succeeds; ask forgiveness
        (catch ``OrchestratorError``/``NotImplementedError``) rather than permission.
        """
        backend = type(self)
        return {
            name: {'available': getattr(Orchestrator, name, None) != getattr(backend, name, None)}
            for name in Orchestrator.__dict__
            if not name.startswith('_')
            and not getattr(getattr(Orchestrator, name), '_hide_in_features', False)
        }

    def cancel_completions(self) -> None:
        """Cancel operations in flight, so a stuck backend stops blocking every command."""
        raise NotImplementedError()

    def pause(self) -> None:
        """Stop background work (reconcile loop) until ``resume()``."""
        raise NotImplementedError()

    def resume(self) -> None:
        """Restart background work stopped by ``pause()``."""
        raise NotImplementedError()

    # ----------------------------------------------------------------- hosts

    def add_host(self, host_spec: 'HostSpec') -> OrchResult[str]:
        """Add a host to the orchestrator's inventory.

        :param host_spec: hostname, address, labels, status
        """
        raise NotImplementedError()

    def remove_host(self, host: str, force: bool, offline: bool,
                    rm_crush_entry: bool) -> OrchResult[str]:
        """Remove a host from the inventory.

        :param host: hostname
        :param force: remove even though daemons are still on it
        :param offline: the host is unreachable; forget it without contacting it
        :param rm_crush_entry: also remove the host's CRUSH bucket
        """
        raise NotImplementedError()

    def drain_host(self, hostname: str, force: bool = False, keep_conf_keyring: bool = False,
                   zap_osd_devices: bool = False) -> OrchResult[str]:
        """Schedule every daemon off a host (labels it ``_no_schedule``).

        :param hostname: hostname
        :param keep_conf_keyring: leave ceph.conf and the admin keyring on the host
        :param zap_osd_devices: zap the devices of the OSDs removed from the host
        """
        raise NotImplementedError()

    def stop_drain_host(self, hostname: str) -> OrchResult[str]:
        """Stop draining a host: OSD removals it started are cancelled.

        :param hostname: hostname
        """
        raise NotImplementedError()

    def update_host_addr(self, host: str, addr: str) -> OrchResult[str]:
        """Change the address used to reach a host.

        :param host: hostname
        :param addr: address (DNS name or IP)
        """
        raise NotImplementedError()

    def get_hosts(self) -> OrchResult[List['HostSpec']]:
        """The hosts in the cluster, as HostSpec."""
        raise NotImplementedError()

    def get_facts(self, hostname: Optional[str] = None) -> OrchResult[List[Dict[str, Any]]]:
        """Host metadata gathered from each host (``gather-facts``), for one host or all."""
        raise NotImplementedError()

    def add_host_label(self, host: str, label: str) -> OrchResult[str]:
        """Add a label to a host."""
        raise NotImplementedError()

    def remove_host_label(self, host: str, label: str, force: bool = False) -> OrchResult[str]:
        """Remove a label from a host (``force`` allows removing the last ``_admin`` label)."""
        raise NotImplementedError()

    def host_ok_to_stop(self, hostname: str) -> OrchResult:
        """Whether stopping every daemon on a host keeps the cluster available.

        :param hostname: hostname
        """
        raise NotImplementedError()

    def enter_host_maintenance(self, hostname: str, force: bool = False,
                               yes_i_really_mean_it: bool = False) -> OrchResult:
        """Put a host in maintenance: stop its daemons and disable its cluster target."""
        raise NotImplementedError()

    def exit_host_maintenance(self, hostname: str, force: bool = False,
                              offline: bool = False) -> OrchResult:
        """Take a host out of maintenance, restarting its cluster target.

        :param offline: the host is unreachable; just clear its maintenance state
        """
        raise NotImplementedError()

    def rescan_host(self, hostname: str) -> OrchResult:
        """Ask every HBA on a host to rescan its disks.

        Some HBAs and external enclosures do not report hot-plugged devices to the kernel.

        :param hostname: hostname
        """
        raise NotImplementedError()

    # ----------------------------------------------------------------- hardware (node-proxy)

    def hardware_light(self, light_type: str, action: str, hostname: str,
                       device: Optional[str] = None) -> OrchResult[Dict[str, Any]]:
        """Get or set a chassis or device identification LED.

        :param light_type: ``chassis`` or ``device``
        :param action: ``on``, ``off`` or ``get``
        :param hostname: hostname
        :param device: the device id when ``light_type`` is ``device``
        """
        raise NotImplementedError()

    def hardware_powercycle(self, hostname: str, yes_i_really_mean_it: bool = False) -> OrchResult[str]:
        """Power-cycle a host through its out-of-band controller.

        :param hostname: the host to reboot
        """
        raise NotImplementedError()

    def hardware_shutdown(self, hostname: str, force: Optional[bool] = False,
                          yes_i_really_mean_it: bool = False) -> OrchResult[str]:
        """Shut a host down through its out-of-band controller.

        :param hostname: the host to shut down
        """
        raise NotImplementedError()

    def hardware_status(self, hostname: Optional[str] = None,
                        category: Optional[str] = 'summary') -> OrchResult[str]:
        """Hardware health as reported by node-proxy.

        :param hostname: one host, or all
        :param category: summary, memory, storage, processors, network, power, fans, firmwares,
            criticals
        """
        raise NotImplementedError()

    def node_proxy_summary(self, hostname: Optional[str] = None) -> OrchResult[Dict[str, Any]]:
        """node-proxy's summary report.

        :param hostname: one host, or all
        """
        raise NotImplementedError()

    def node_proxy_fullreport(self, hostname: Optional[str] = None) -> OrchResult[Dict[str, Any]]:
        """node-proxy's full report.

        :param hostname: one host, or all
        """
        raise NotImplementedError()

    def node_proxy_firmwares(self, hostname: Optional[str] = None) -> OrchResult[Dict[str, Any]]:
        """node-proxy's firmware report.

        :param hostname: one host, or all
        """
        raise NotImplementedError()

    def node_proxy_criticals(self, hostname: Optional[str] = None) -> OrchResult[Dict[str, Any]]:
        """node-proxy's report of critical hardware events.

        :param hostname: one host, or all
        """
        raise NotImplementedError()

    def node_proxy_common(self, category: str,
                          hostname: Optional[str] = None) -> OrchResult[Dict[str, Any]]:
        """node-proxy's report for one category (memory, storage, ...).

        :param hostname: one host, or all
        """
        raise NotImplementedError()

    # ----------------------------------------------------------------- devices

    def get_inventory(self, host_filter: Optional['InventoryFilter'] = None,
                      refresh: bool = False) -> OrchResult[List['InventoryHost']]:
        """The devices of each host, as ``ceph-volume inventory`` reports them.

        :param refresh: scan the hosts instead of answering from the cache
        """
        raise NotImplementedError()

    def zap_device(self, host: str, path: str) -> OrchResult[str]:
        """Erase a device so it can be reused (DESTROYS DATA)."""
        raise NotImplementedError()

    def replace_device(self, hostname: str, device: str, clear: bool = False,
                       yes_i_really_mean_it: bool = False) -> OrchResult:
        """Prepare a device for physical replacement (mark its OSDs, or clear the mark).

        :param clear: undo an earlier replace mark
        """
        raise NotImplementedError()

    def blink_device_light(self, ident_fault: str, on: bool,
                           locations: List['DeviceLightLoc']) -> OrchResult[List[str]]:
        """Switch the ident or fault LED of devices on or off.

        :param ident_fault: ``ident`` or ``fault``
        :param on: True to switch on
        :param locations: the devices, see DeviceLightLoc
        """
        raise NotImplementedError()

    # ----------------------------------------------------------------- services and daemons

    def service_discovery_dump_cert(self) -> OrchResult:
        """The service discovery server's root certificate."""
        raise NotImplementedError()

    def describe_service(self, service_type: Optional[str] = None,
                         service_name: Optional[str] = None,
                         refresh: bool = False) -> OrchResult[List['ServiceDescription']]:
        """The services the orchestrator manages, with their observed state (``orch ls``)."""
        raise NotImplementedError()

    def list_daemons(self, service_name: Optional[str] = None, daemon_type: Optional[str] = None,
                     daemon_id: Optional[str] = None, host: Optional[str] = None,
                     refresh: bool = False) -> OrchResult[List['DaemonDescription']]:
        """The daemons the orchestrator knows of, optionally filtered (``orch ps``)."""
        raise NotImplementedError()

    @handle_orch_error
    def apply(self, specs: Sequence['GenericSpec'], no_overwrite: bool = False,
              continue_on_error: bool = False) -> List[str]:
        """Apply service, OSD and host specs, each through its ``apply_*`` method.

        ``osd`` specs go to ``apply_drivegroups([spec])`` and ``host`` specs to ``add_host``.
        With ``continue_on_error`` a failing spec adds a "Failed to apply spec for ..." line
        and the rest are still applied; otherwise the first failure is raised. The base class
        ignores ``no_overwrite``: backends that store specs override ``apply``.
        """
        results: List[str] = []
        for spec in specs:
            try:
                results.append(raise_if_exception(self._apply_one(spec)))
            except Exception as e:  # per-spec fan-out: the error becomes that spec's result line
                if not continue_on_error:
                    raise
                results.append(f'Failed to apply spec for {spec}: {e}')
        return results

    def _apply_one(self, spec: 'GenericSpec') -> OrchResult[str]:
        fns: Dict[str, Callable[..., Any]] = {
            'alertmanager': self.apply_alertmanager,
            'alloy': self.apply_alloy,
            'ceph-exporter': self.apply_ceph_exporter,
            'crash': self.apply_crash,
            'grafana': self.apply_grafana,
            'host': self.add_host,
            'ingress': self.apply_ingress,
            'iscsi': self.apply_iscsi,
            'loki': self.apply_loki,
            'mds': self.apply_mds,
            'mgmt-gateway': self.apply_mgmt_gateway,
            'mgr': self.apply_mgr,
            'mon': self.apply_mon,
            'nfs': self.apply_nfs,
            'node-exporter': self.apply_node_exporter,
            'nvmeof': self.apply_nvmeof,
            'oauth2-proxy': self.apply_oauth2_proxy,
            'osd': lambda dg: self._first_of(self.apply_drivegroups([dg])),
            'prometheus': self.apply_prometheus,
            'promtail': self.apply_promtail,
            'rbd-mirror': self.apply_rbd_mirror,
            'rgw': self.apply_rgw,
            'smb': self.apply_smb,
            'snmp-gateway': self.apply_snmp_gateway,
        }
        fn = fns.get(spec.service_type)
        if fn is None:
            raise OrchestratorError(f'apply: unsupported service type "{spec.service_type}"',
                                    errno=-errno.EINVAL)
        return fn(spec)

    @staticmethod
    def _first_of(res: OrchResult[List[str]]) -> OrchResult[str]:
        # apply_drivegroups answers one line per spec; apply() gave it exactly one spec.
        if res.exception is not None:
            return OrchResult(None, exception=res.exception)
        lines = res.result or []
        return OrchResult('\n'.join(str(x) for x in lines))

    def set_unmanaged(self, service_name: str, value: bool) -> OrchResult[str]:
        """Set a service's ``unmanaged`` flag (True: the orchestrator stops adding/removing daemons)."""
        raise NotImplementedError()

    def plan(self, spec: Sequence['GenericSpec']) -> OrchResult[List]:
        """Preview (dry-run) what applying these specs would change."""
        raise NotImplementedError()

    def remove_daemons(self, names: List[str]) -> OrchResult[List[str]]:
        """Remove specific daemons by name (``<type>.<id>``)."""
        raise NotImplementedError()

    def remove_service(self, service_name: str, force: bool = False) -> OrchResult[str]:
        """Remove a service and all its daemons."""
        raise NotImplementedError()

    def service_action(self, action: str, service_name: str) -> OrchResult[List[str]]:
        """Run an action on every daemon of a service.

        :param action: start, stop, restart, redeploy or reconfig
        :param service_name: ``<service_type>[.<service_id>]``, e.g. ``mon``, ``mds.cephfs``
        """
        raise NotImplementedError()

    def daemon_action(self, action: str, daemon_name: str, image: Optional[str] = None,
                      force: bool = False) -> OrchResult[str]:
        """Run an action on one daemon.

        :param action: start, stop, restart, redeploy or reconfig
        :param daemon_name: ``<type>.<id>``
        :param image: container image to redeploy the daemon with
        :param force: skip the ok-to-stop safety check
        """
        raise NotImplementedError()

    def add_daemon(self, spec: 'ServiceSpec') -> OrchResult[List[str]]:
        """Create daemons for an unmanaged service at the placement the spec names."""
        raise NotImplementedError()

    # ----------------------------------------------------------------- OSDs

    def create_osds(self, drive_group: 'DriveGroupSpec',
                    skip_validation: bool = False) -> OrchResult[str]:
        """Create OSDs on the devices one drive group selects, once (not stored as a service).

        :param skip_validation: create even on devices the inventory reports unavailable
            (without it, a device named by path must be in the host's inventory and
            available, as cephadm's ``validate_device`` checks)
        """
        raise NotImplementedError()

    def apply_drivegroups(self, specs: List['DriveGroupSpec']) -> OrchResult[List[str]]:
        """Store OSD specs and create OSDs on the devices they select."""
        raise NotImplementedError()

    def set_unmanaged_flag(self, unmanaged_flag: bool, service_type: str = 'osd',
                           service_name: Optional[str] = None) -> Any:
        """Set ``unmanaged`` on every service of a type (``orch apply osd --unmanaged``).

        Returns Ceph's command triple ``(retval, stdout, stderr)``.
        """
        raise NotImplementedError()

    def set_osd_spec(self, service_name: str, osd_ids: List[str]) -> OrchResult:
        """Move existing OSDs under another OSD service."""
        raise NotImplementedError()

    def preview_osdspecs(self, osdspec_name: Optional[str] = 'osd',
                         osdspecs: Optional[List['DriveGroupSpec']] = None) -> OrchResult[List[Any]]:
        """What creating these OSD specs would do, per host and device."""
        raise NotImplementedError()

    def remove_osds(self, osd_ids: List[str], replace: bool = False, replace_block: bool = False,
                    replace_db: bool = False, replace_wal: bool = False, force: bool = False,
                    zap: bool = False, no_destroy: bool = False) -> OrchResult[str]:
        """Schedule OSDs for removal: drain their placement groups, then remove them.

        Only OSDs that got an id can be removed.

        :param replace: mark the OSDs destroyed, keeping their ids for the replacement disks
        :param replace_block: mark the OSDs' block devices as being replaced
        :param replace_db: mark the OSDs' db devices as being replaced
        :param replace_wal: mark the OSDs' wal devices as being replaced
        :param force: do not wait for the data to drain first
        :param zap: erase the OSDs' devices afterwards (DESTROYS DATA)
        :param no_destroy: keep the OSDs' volume groups and logical volumes

        The cluster engine (local, ssh) accepts ``replace_block``, ``replace_db`` and
        ``replace_wal`` for interface parity with Ceph and ignores them (`replace_device`
        records which device is being replaced itself).
        """
        raise NotImplementedError()

    def stop_remove_osds(self, osd_ids: List[str]) -> OrchResult:
        """Cancel scheduled OSD removals."""
        raise NotImplementedError()

    def remove_osds_status(self) -> OrchResult:
        """The OSD removals in progress (``orch osd rm status``)."""
        raise NotImplementedError()

    # ----------------------------------------------------------------- apply_* per service type

    def apply_mon(self, spec: 'ServiceSpec') -> OrchResult[str]:
        """Update the mon service."""
        raise NotImplementedError()

    def apply_mgr(self, spec: 'ServiceSpec') -> OrchResult[str]:
        """Update the mgr service."""
        raise NotImplementedError()

    def apply_mds(self, spec: 'MDSSpec') -> OrchResult[str]:
        """Update an MDS service."""
        raise NotImplementedError()

    def apply_rgw(self, spec: 'RGWSpec') -> OrchResult[str]:
        """Update an RGW service."""
        raise NotImplementedError()

    def apply_ingress(self, spec: 'IngressSpec') -> OrchResult[str]:
        """Update an ingress service (haproxy and keepalived)."""
        raise NotImplementedError()

    def apply_rbd_mirror(self, spec: 'ServiceSpec') -> OrchResult[str]:
        """Update the rbd-mirror service."""
        raise NotImplementedError()

    def apply_nfs(self, spec: 'NFSServiceSpec') -> OrchResult[str]:
        """Update an NFS service."""
        raise NotImplementedError()

    def apply_iscsi(self, spec: 'IscsiServiceSpec') -> OrchResult[str]:
        """Update an iSCSI gateway service."""
        raise NotImplementedError()

    def apply_nvmeof(self, spec: 'NvmeofServiceSpec') -> OrchResult[str]:
        """Update an NVMe-oF gateway service."""
        raise NotImplementedError()

    def apply_smb(self, spec: 'SMBSpec') -> OrchResult[str]:
        """Update an SMB gateway service."""
        raise NotImplementedError()

    def apply_prometheus(self, spec: 'ServiceSpec') -> OrchResult[str]:
        """Update the prometheus service."""
        raise NotImplementedError()

    def apply_node_exporter(self, spec: 'ServiceSpec') -> OrchResult[str]:
        """Update the node-exporter service."""
        raise NotImplementedError()

    def apply_ceph_exporter(self, spec: 'ServiceSpec') -> OrchResult[str]:
        """Update the ceph-exporter service."""
        raise NotImplementedError()

    def apply_loki(self, spec: 'ServiceSpec') -> OrchResult[str]:
        """Update the loki service."""
        raise NotImplementedError()

    def apply_promtail(self, spec: 'ServiceSpec') -> OrchResult[str]:
        """Update the promtail service."""
        raise NotImplementedError()

    def apply_alloy(self, spec: 'ServiceSpec') -> OrchResult[str]:
        """Update the alloy service."""
        raise NotImplementedError()

    def apply_crash(self, spec: 'ServiceSpec') -> OrchResult[str]:
        """Update the crash service."""
        raise NotImplementedError()

    def apply_grafana(self, spec: 'ServiceSpec') -> OrchResult[str]:
        """Update the grafana service."""
        raise NotImplementedError()

    def apply_alertmanager(self, spec: 'ServiceSpec') -> OrchResult[str]:
        """Update the alertmanager service."""
        raise NotImplementedError()

    def apply_snmp_gateway(self, spec: 'SNMPGatewaySpec') -> OrchResult[str]:
        """Update the snmp-gateway service."""
        raise NotImplementedError()

    def apply_mgmt_gateway(self, spec: 'MgmtGatewaySpec') -> OrchResult[str]:
        """Update the mgmt-gateway (cluster gateway) service."""
        raise NotImplementedError()

    def apply_oauth2_proxy(self, spec: 'OAuth2ProxySpec') -> OrchResult[str]:
        """Update the oauth2-proxy service."""
        raise NotImplementedError()

    # ----------------------------------------------------------------- monitoring and certificates

    def get_prometheus_access_info(self) -> OrchResult[Dict[str, str]]:
        """Prometheus credentials (user, password, certificate)."""
        raise NotImplementedError()

    def set_prometheus_access_info(self, user: str, password: str) -> OrchResult[str]:
        """Set the Prometheus credentials."""
        raise NotImplementedError()

    def get_alertmanager_access_info(self) -> OrchResult[Dict[str, str]]:
        """Alertmanager credentials (user, password, certificate)."""
        raise NotImplementedError()

    def set_alertmanager_access_info(self, user: str, password: str) -> OrchResult[str]:
        """Set the Alertmanager credentials."""
        raise NotImplementedError()

    def set_custom_prometheus_alerts(self, alerts_file: str) -> OrchResult[str]:
        """Install a custom Prometheus alerts file and reconfigure Prometheus."""
        raise NotImplementedError()

    def set_prometheus_target(self, url: str) -> OrchResult[str]:
        """Add a Prometheus scrape target (multi-cluster monitoring)."""
        raise NotImplementedError()

    def remove_prometheus_target(self, url: str) -> OrchResult[str]:
        """Remove a Prometheus scrape target added by ``set_prometheus_target``."""
        raise NotImplementedError()

    def get_prometheus_cert(self, url: str) -> OrchResult[str]:
        """The certificate of the Prometheus server."""
        raise NotImplementedError()

    def generate_certificates(self, module_name: str) -> OrchResult[Optional[Dict[str, str]]]:
        """A certificate and key signed by the cluster's root CA for a module's endpoint."""
        raise NotImplementedError()

    # ----------------------------------------------------------------- certificate store
    # Squid's ``cert-store`` and Tentacle's ``certmgr``: the TLS objects of the services, per
    # certificate name and scope (service, host or global); see cluster/certmgr.py.

    def cert_store_cert_ls(self, filter_by: str = '', show_details: bool = False,
                           include_cephadm_signed: bool = False) -> OrchResult[Dict[str, Any]]:
        """The stored certificates: per name its scope and each target's certificate facts."""
        raise NotImplementedError()

    def cert_store_key_ls(self, include_cephadm_generated_keys: bool = False
                          ) -> OrchResult[Dict[str, Any]]:
        """The stored private keys' type and size per name and target (never the keys)."""
        raise NotImplementedError()

    def cert_store_entity_ls(self) -> OrchResult[Dict[str, Any]]:
        """The entities (service types) that take certificates, with their names and scope."""
        raise NotImplementedError()

    def cert_store_get_cert(self, cert_name: str, service_name: Optional[str] = None,
                            hostname: Optional[str] = None,
                            no_exception_when_missing: bool = False) -> OrchResult[str]:
        """One stored certificate (PEM)."""
        raise NotImplementedError()

    def cert_store_get_key(self, key_name: str, service_name: Optional[str] = None,
                           hostname: Optional[str] = None,
                           no_exception_when_missing: bool = False) -> OrchResult[str]:
        """One stored private key (PEM)."""
        raise NotImplementedError()

    def cert_store_set_cert(self, cert_name: str, cert: Optional[str],
                            service_name: Optional[str] = None,
                            hostname: Optional[str] = None) -> OrchResult[str]:
        """Store a user's certificate under a name and its scope's target."""
        raise NotImplementedError()

    def cert_store_set_key(self, key_name: str, key: Optional[str],
                           service_name: Optional[str] = None,
                           hostname: Optional[str] = None) -> OrchResult[str]:
        """Store a user's private key under a name and its scope's target."""
        raise NotImplementedError()

    def cert_store_set_pair(self, entity: str, cert: Optional[str] = None,
                            key: Optional[str] = None, cert_name: Optional[str] = None,
                            service_name: Optional[str] = None, hostname: Optional[str] = None,
                            force: bool = False, inbuf: Optional[str] = None) -> OrchResult[str]:
        """Store a validated certificate and its key for an entity (``cert-key set``)."""
        raise NotImplementedError()

    def cert_store_rm_cert(self, cert_name: str, service_name: Optional[str] = None,
                           hostname: Optional[str] = None) -> OrchResult[str]:
        """Remove a stored certificate."""
        raise NotImplementedError()

    def cert_store_rm_key(self, key_name: str, service_name: Optional[str] = None,
                          hostname: Optional[str] = None) -> OrchResult[str]:
        """Remove a stored private key."""
        raise NotImplementedError()

    def cert_store_cert_check(self) -> OrchResult[List[str]]:
        """The stored certificates' problems (expired, expiring, invalid, key missing)."""
        raise NotImplementedError()

    def cert_store_reload(self) -> OrchResult[str]:
        """Re-read the store and give the daemons that use it their files again."""
        raise NotImplementedError()

    def get_security_config(self) -> OrchResult[Dict[str, bool]]:
        """Whether security (TLS, authentication) is enabled for the monitoring stack."""
        raise NotImplementedError()

    # ----------------------------------------------------------------- tuned profiles

    def apply_tuned_profiles(self, specs: List['TunedProfileSpec'],
                             no_overwrite: bool) -> OrchResult[str]:
        """Add or update tuned (sysctl) profiles."""
        raise NotImplementedError()

    def rm_tuned_profile(self, profile_name: str) -> OrchResult[str]:
        """Remove a tuned profile."""
        raise NotImplementedError()

    def tuned_profile_ls(self) -> OrchResult[List['TunedProfileSpec']]:
        """The tuned profiles."""
        raise NotImplementedError()

    def tuned_profile_add_setting(self, profile_name: str, setting: str,
                                  value: str) -> OrchResult[str]:
        """Add or change one setting of a tuned profile."""
        raise NotImplementedError()

    def tuned_profile_rm_setting(self, profile_name: str, setting: str) -> OrchResult[str]:
        """Remove one setting from a tuned profile."""
        raise NotImplementedError()

    def tuned_profile_add_settings(self, profile_name: str,
                                   setting: Dict[str, str]) -> OrchResult[str]:
        """Add or change several settings of a tuned profile."""
        raise NotImplementedError()

    def tuned_profile_rm_settings(self, profile_name: str, settings: List[str]) -> OrchResult[str]:
        """Remove several settings from a tuned profile."""
        raise NotImplementedError()

    # ----------------------------------------------------------------- upgrades

    def upgrade_check(self, image: Optional[str], version: Optional[str]) -> OrchResult[str]:
        """Which daemons would change when upgrading to this image or version."""
        raise NotImplementedError()

    def upgrade_ls(self, image: Optional[str], tags: bool,
                   show_all_versions: Optional[bool] = False) -> OrchResult[Dict[Any, Any]]:
        """Versions (or image tags) available to upgrade to."""
        raise NotImplementedError()

    def upgrade_start(self, image: Optional[str], version: Optional[str],
                      daemon_types: Optional[List[str]], hosts: Optional[str],
                      services: Optional[List[str]], limit: Optional[int]) -> OrchResult[str]:
        """Start an upgrade, optionally limited to daemon types, hosts, services or a count."""
        raise NotImplementedError()

    def upgrade_pause(self) -> OrchResult[str]:
        """Pause the upgrade in progress."""
        raise NotImplementedError()

    def upgrade_resume(self) -> OrchResult[str]:
        """Resume a paused upgrade."""
        raise NotImplementedError()

    def upgrade_stop(self) -> OrchResult[str]:
        """Stop the upgrade in progress."""
        raise NotImplementedError()

    def upgrade_status(self) -> OrchResult['UpgradeStatusSpec']:
        """Where the upgrade in progress stands, or the error that stopped it."""
        raise NotImplementedError()

    @_hide_in_features
    def upgrade_available(self) -> OrchResult:
        """The versions available to upgrade to, as a list of strings."""
        raise NotImplementedError()


def json_to_generic_spec(spec: Dict[str, Any]) -> 'GenericSpec':
    """A host spec for ``service_type: host`` documents, else a service spec."""
    if spec.get('service_type') == 'host':
        from ceph_orch_cli.deployment.hostspec import HostSpec
        return HostSpec.from_json(spec)
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    return ServiceSpec.from_json(spec)
