"""``ClusterOrchestrator``: the Orchestrator of every host-based backend, composed of parts.

The parts and what each is built with (the constructors are the dependency graph):

- ``core.EngineCore(store, driver, cluster, batch_hosts)``: the plumbing every part shares - converge lock,
  commit/reload hooks, reads of hosts/daemons/devices, refresh, converge, the serve pass;
- ``hosts.Hosts(core, check)``: ``orch host ...`` and ``orch device ...``; ``check`` is this
  class's ``_check_reachable``, which backends may extend;
- ``services.Services(core, hosts)``: services, daemons, apply, plan;
- ``tuned_profiles.TunedProfiles(store)``;
- ``osd_removal.OsdRemovalQueue(core)``: ``orch osd rm`` (cephadm's ``OSDRemovalQueue``);
- ``upgrade.Upgrade(core)``: ``orch upgrade ...`` (cephadm's ``CephadmUpgrade``);
- ``maintenance.Maintenance(core, osd_queue)``: maintenance and drain;
- ``monitoring_access.MonitoringAccess(core, services)``: monitoring credentials, targets,
  certificates;
- ``hardware.Hardware(core, node_proxy, backend_name)``: node-proxy, over the backend's
  ``NodeProxy`` seam (None: EOPNOTSUPP);
- ``devices_replace.DeviceReplace(core, osd_queue)``: ``orch device replace``, ``orch osd
  set-spec-affinity``;
- ``cephadm_ops.CephadmOps(core)``: ``orch cephadm check-host|prepare-host|registry-login|osd
  activate|set-extra-ceph-conf|config-check ...``;
- ``client_keyrings.ClientKeyrings(core, files)``: ``orch client-keyring ...``; ``files`` is the
  backend's ``KeyringFiles`` seam (default: the store's record is all, as on the local backend);
- ``certmgr.CertMgr(core, services)``: ``orch certmgr ...`` and ``orch cert-store ...``.

This class builds them, registers the workflows' pass steps, and delegates every interface
method to the part that owns it; it holds no logic of its own beyond ``available``,
``pause``/``resume`` and ``cancel_completions``. Backends subclass it (``LocalOrchestrator``,
``SSHOrchestrator``) and hand it their driver, cluster and hooks.
"""
from __future__ import annotations

import functools
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Sequence, Set,
                    Tuple)

from ceph_orch_cli.cluster.ceph import CephCluster
from ceph_orch_cli.cluster.core import (BATCH_HOSTS, CRASH_AFTER_ENV, DEVICE_CACHE_TIMEOUT,
                                        FACTS_CACHE_TIMEOUT, EngineCore)
from ceph_orch_cli.cluster.devices_replace import DeviceReplace
from ceph_orch_cli.cluster.driver import HostDriver
from ceph_orch_cli.cluster.hardware import Hardware, NodeProxy
from ceph_orch_cli.cluster.hosts import Hosts
from ceph_orch_cli.cluster.maintenance import Maintenance
from ceph_orch_cli.cluster.monitoring_access import MonitoringAccess
from ceph_orch_cli.cluster.osd_removal import OsdRemovalQueue
from ceph_orch_cli.cluster.services import Services
from ceph_orch_cli.cluster.store import Store, now_str
from ceph_orch_cli.cluster.tuned_profiles import TunedProfiles
from ceph_orch_cli.cluster.upgrade import Upgrade
from ceph_orch_cli.orchestrator import Orchestrator

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.osd_removal import OsdRemoval
    from ceph_orch_cli.deployment.drive_group import DriveGroupSpec
    from ceph_orch_cli.deployment.hostspec import HostSpec
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    from ceph_orch_cli.cluster.certmgr import CertMgr
    from ceph_orch_cli.cluster.cephadm_ops import CephadmOps
    from ceph_orch_cli.cluster.client_keyrings import ClientKeyrings
    from ceph_orch_cli.deployment.tuned_profile import TunedProfileSpec
    from ceph_orch_cli.orchestrator import (DaemonDescription, DeviceLightLoc, InventoryFilter,
                                            InventoryHost, OrchResult, ServiceDescription,
                                            UpgradeStatusSpec)

__all__ = ["ClusterOrchestrator", "BATCH_HOSTS", "CRASH_AFTER_ENV", "DEVICE_CACHE_TIMEOUT",
           "FACTS_CACHE_TIMEOUT"]


class ClusterOrchestrator(Orchestrator):
    """The engine over a Store, a HostDriver and a CephCluster; see the module docstring."""

    backend_name = "cluster"

    def __init__(self, store: Store, driver: HostDriver, cluster: CephCluster,
                 node_proxy: Optional[NodeProxy] = None) -> None:
        # BATCH_HOSTS read here, not imported into the core: tests shrink engine.BATCH_HOSTS
        self.core = core = EngineCore(store, driver, cluster, batch_hosts=BATCH_HOSTS)
        self.store, self.driver, self.cluster = store, driver, cluster
        self.hosts = hosts = Hosts(core, check=self._check_reachable)
        self.services = services = Services(core, hosts)
        self.tuned_profiles = TunedProfiles(store)
        self.osd_queue = osd_queue = OsdRemovalQueue(core)
        self.upgrade = Upgrade(core)
        self.maintenance = Maintenance(core, osd_queue)
        self.monitoring = MonitoringAccess(core, services)
        self.hardware = Hardware(core, node_proxy, self.backend_name)
        self.devices = DeviceReplace(core, osd_queue)
        # client_keyrings, cephadm and certmgr are built on first use (properties below):
        # a read such as `orch host ls` never needs them, nor the ~8 ms their imports cost
        core.workflow_steps.extend([osd_queue.osd_removal_step, self.maintenance.drain_step,
                                    self.upgrade.upgrade_step,
                                    self._step_of("client_keyrings", "sync"),
                                    self._step_of("cephadm", "extra_conf_step"),
                                    self._step_of("certmgr", "certificates_step")])
        # the cephadm-signed pairs deploys were handed, written with the batch that deployed
        core.commit_hooks.append(self._flush_signed_certificates)
        #: where `orch status` finds raised health checks: one mechanism for every source
        self.health_sources: List[Callable[[], Dict[str, Dict[str, Any]]]] = [
            self._config_check_health, self._certificate_health]
        # the core's hook lists, under the names backends and tests use
        self._workflow_steps = core.workflow_steps
        self._commit_hooks = core.commit_hooks
        self._reload_hooks = core.reload_hooks

    # -- the parts built on first use ---------------------------------------------------------
    @functools.cached_property
    def client_keyrings(self) -> "ClientKeyrings":
        from ceph_orch_cli.cluster.client_keyrings import ClientKeyrings
        return ClientKeyrings(self.core)

    @functools.cached_property
    def cephadm(self) -> "CephadmOps":
        from ceph_orch_cli.cluster.cephadm_ops import CephadmOps
        return CephadmOps(self.core)

    @functools.cached_property
    def certmgr(self) -> "CertMgr":
        from ceph_orch_cli.cluster.certmgr import CertMgr
        return CertMgr(self.core, self.services)

    def _step_of(self, part: str, step: str) -> Callable[[], Any]:
        """A part's serve-pass step that builds the part only when the pass runs; it keeps
        the step's name (a pass reports each step's result under it)."""

        def run() -> Any:
            return getattr(getattr(self, part), step)()

        run.__name__ = step
        return run

    def _flush_signed_certificates(self) -> None:
        if "certmgr" in self.__dict__:  # no deploy asked for a pair unless it was built
            self.certmgr.signed.flush()

    def _config_check_health(self) -> Dict[str, Dict[str, Any]]:
        return self.cephadm.raised_checks()

    def _certificate_health(self) -> Dict[str, Dict[str, Any]]:
        return self.certmgr.raised_checks()

    def tls_files_for(self, daemon_type: str, service_name: str,
                      hostname: str) -> Dict[str, str]:
        """The TLS files a daemon gets at deploy (the drivers' ``tls_files`` hook)."""
        return self.certmgr.files_for(daemon_type, service_name, hostname)

    # -- the core ------------------------------------------------------------------------------
    def set_progress(self, callback: Optional[Callable[[str, int, int], None]]) -> None:
        """Report convergence as ``callback(description, completed, total)``."""
        self.core.set_progress(callback)

    def close(self) -> None:
        """Release the driver's connections and the database handle."""
        self.core.close()

    def get_backend_setting(self, key: str, default: Any = None) -> Any:
        return self.core.get_backend_setting(key, default)

    def set_backend_setting(self, key: str, value: Any) -> None:
        self.core.set_backend_setting(key, value)

    def reconcile_pass(self) -> Dict[str, Any]:
        """One ``orch serve --once`` pass (``EngineCore.reconcile_pass``)."""
        return self.core.reconcile_pass()

    def being_replaced(self, hostname: str) -> Set[str]:
        """Paths of the host's devices marked as being replaced."""
        return self.core.being_replaced(hostname)

    def _check_reachable(self, spec: HostSpec) -> None:
        """How ``host add`` checks a new host; backends extend it (SSH records the key)."""
        self.hosts.check_reachable(spec)

    def _removal_queue(self) -> List[OsdRemoval]:
        return self.osd_queue.removal_queue()

    @staticmethod
    def _spec_from_json(data: Dict[str, Any]) -> ServiceSpec:
        return EngineCore.spec_from_json(data)

    # -- utility -------------------------------------------------------------------------------
    def available(self) -> Tuple[bool, str, Dict[str, Any]]:
        details: Dict[str, Any] = {"paused": self.core.paused(),
                                   "workers": self.driver.max_workers}
        health: Dict[str, Dict[str, Any]] = {}
        for source in self.health_sources:  # the configuration checker's, the certificates'
            health.update(source())
        if health:
            details["health_checks"] = health
        return True, "", details

    def pause(self) -> None:
        self.store.set_setting("paused", True)

    def resume(self) -> None:
        self.store.set_setting("paused", None)

    def cancel_completions(self) -> None:
        """Ask a converge running in another process to stop after its current host batch."""
        self.store.set_setting("cancel_requested", now_str())

    # -- hosts.Hosts ----------------------------------------------------------
    def add_host(self, host_spec: HostSpec) -> OrchResult[str]:
        return self.hosts.add_host(host_spec)

    def remove_host(self, host: str, force: bool = False, offline: bool = False,
                    rm_crush_entry: bool = False) -> OrchResult[str]:
        return self.hosts.remove_host(host, force, offline, rm_crush_entry)

    def get_hosts(self) -> OrchResult[List[HostSpec]]:
        return self.hosts.get_hosts()

    def update_host_addr(self, host: str, addr: str) -> OrchResult[str]:
        return self.hosts.update_host_addr(host, addr)

    def add_host_label(self, host: str, label: str) -> OrchResult[str]:
        return self.hosts.add_host_label(host, label)

    def remove_host_label(self, host: str, label: str, force: bool = False) -> OrchResult[str]:
        return self.hosts.remove_host_label(host, label, force)

    def get_facts(self, hostname: Optional[str] = None) -> OrchResult[List[Dict[str, Any]]]:
        return self.hosts.get_facts(hostname)

    def host_ok_to_stop(self, hostname: str) -> OrchResult[str]:
        return self.hosts.host_ok_to_stop(hostname)

    def rescan_host(self, hostname: str) -> OrchResult[str]:
        return self.hosts.rescan_host(hostname)

    def get_inventory(self, host_filter: Optional[InventoryFilter] = None,
                      refresh: bool = False) -> OrchResult[List[InventoryHost]]:
        return self.hosts.get_inventory(host_filter, refresh)

    def zap_device(self, host: str, path: str) -> OrchResult[str]:
        return self.hosts.zap_device(host, path)

    def blink_device_light(self, ident_fault: str, on: bool,
                           locations: List[DeviceLightLoc]) -> OrchResult[List[str]]:
        return self.hosts.blink_device_light(ident_fault, on, locations)

    # -- services.Services ----------------------------------------------------
    def describe_service(self, service_type: Optional[str] = None,
                         service_name: Optional[str] = None,
                         refresh: bool = False) -> OrchResult[List[ServiceDescription]]:
        return self.services.describe_service(service_type, service_name, refresh)

    def list_daemons(self, service_name: Optional[str] = None, daemon_type: Optional[str] = None,
                     daemon_id: Optional[str] = None, host: Optional[str] = None,
                     refresh: bool = False) -> OrchResult[List[DaemonDescription]]:
        return self.services.list_daemons(service_name, daemon_type, daemon_id, host, refresh)

    def daemons_json_text(self, service_name: Optional[str] = None,
                          daemon_type: Optional[str] = None, daemon_id: Optional[str] = None,
                          host: Optional[str] = None) -> Iterator[List[str]]:
        return self.services.daemons_json_text(service_name, daemon_type, daemon_id, host)

    def service_action(self, action: str, service_name: str) -> OrchResult[List[str]]:
        return self.services.service_action(action, service_name)

    def daemon_action(self, action: str, daemon_name: str, image: Optional[str] = None,
                      force: bool = False) -> OrchResult[str]:
        return self.services.daemon_action(action, daemon_name, image, force)

    def update_service(self, service_type: str, image: str) -> OrchResult[List[str]]:
        return self.services.update_service(service_type, image)

    def remove_daemons(self, names: List[str]) -> OrchResult[List[str]]:
        return self.services.remove_daemons(names)

    def remove_service(self, service_name: str, force: bool = False) -> OrchResult[str]:
        return self.services.remove_service(service_name, force)

    def set_unmanaged(self, service_name: str, value: bool) -> OrchResult[str]:
        return self.services.set_unmanaged(service_name, value)

    def apply(self, specs: Sequence[Any], no_overwrite: bool = False,
              continue_on_error: bool = False) -> OrchResult[List[str]]:
        return self.services.apply(specs, no_overwrite, continue_on_error)

    def apply_drivegroups(self, specs: List[DriveGroupSpec]) -> OrchResult[List[str]]:
        return self.services.apply_drivegroups(specs)

    def add_daemon(self, spec: ServiceSpec) -> OrchResult[List[str]]:
        return self.services.add_daemon(spec)

    def create_osds(self, drive_group: DriveGroupSpec,
                    skip_validation: bool = False) -> OrchResult[str]:
        return self.services.create_osds(drive_group, skip_validation)

    def plan(self, spec: Sequence[Any]) -> OrchResult[List[Any]]:
        return self.services.plan(spec)

    def preview_osdspecs(self, osdspec_name: Optional[str] = "osd",
                         osdspecs: Optional[List[DriveGroupSpec]] = None) -> OrchResult[List[Any]]:
        return self.services.preview_osdspecs(osdspec_name, osdspecs)

    def apply_mon(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_mgr(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_mds(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_rgw(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_ingress(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_rbd_mirror(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_nfs(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_iscsi(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_nvmeof(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_smb(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_prometheus(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_node_exporter(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_ceph_exporter(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_loki(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_promtail(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_alloy(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_crash(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_grafana(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_alertmanager(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_snmp_gateway(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_mgmt_gateway(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    def apply_oauth2_proxy(self, spec: ServiceSpec) -> OrchResult[str]:
        return self.services.apply_service(spec)

    # -- tuned_profiles.TunedProfiles -----------------------------------------
    def apply_tuned_profiles(self, specs: List[TunedProfileSpec],
                             no_overwrite: bool = False) -> OrchResult[str]:
        return self.tuned_profiles.apply_tuned_profiles(specs, no_overwrite)

    def rm_tuned_profile(self, profile_name: str) -> OrchResult[str]:
        return self.tuned_profiles.rm_tuned_profile(profile_name)

    def tuned_profile_ls(self) -> OrchResult[List[TunedProfileSpec]]:
        return self.tuned_profiles.tuned_profile_ls()

    def tuned_profile_add_setting(self, profile_name: str, setting: str,
                                  value: str) -> OrchResult[str]:
        return self.tuned_profiles.tuned_profile_add_setting(profile_name, setting, value)

    def tuned_profile_rm_setting(self, profile_name: str, setting: str) -> OrchResult[str]:
        return self.tuned_profiles.tuned_profile_rm_setting(profile_name, setting)

    def tuned_profile_add_settings(self, profile_name: str,
                                   setting: Dict[str, str]) -> OrchResult[str]:
        return self.tuned_profiles.tuned_profile_add_settings(profile_name, setting)

    def tuned_profile_rm_settings(self, profile_name: str, settings: List[str]) -> OrchResult[str]:
        return self.tuned_profiles.tuned_profile_rm_settings(profile_name, settings)

    # -- osd_removal.OsdRemovalQueue ------------------------------------------
    def remove_osds(self, osd_ids: List[str], replace: bool = False, replace_block: bool = False,
                    replace_db: bool = False, replace_wal: bool = False, force: bool = False,
                    zap: bool = False, no_destroy: bool = False) -> OrchResult[str]:
        return self.osd_queue.remove_osds(
            osd_ids, replace, replace_block, replace_db, replace_wal, force, zap, no_destroy)

    def stop_remove_osds(self, osd_ids: List[str]) -> OrchResult[str]:
        return self.osd_queue.stop_remove_osds(osd_ids)

    def remove_osds_status(self) -> OrchResult[List[OsdRemoval]]:
        return self.osd_queue.remove_osds_status()

    def osd_removal_step(self) -> Optional[Dict[str, Any]]:  # not in Ceph's interface
        return self.osd_queue.osd_removal_step()

    # -- upgrade.Upgrade ------------------------------------------------------
    def upgrade_check(self, image: Optional[str], version: Optional[str]) -> OrchResult[str]:
        return self.upgrade.upgrade_check(image, version)

    def upgrade_ls(self, image: Optional[str], tags: bool,
                   show_all_versions: Optional[bool] = False) -> OrchResult[Dict[Any, Any]]:
        return self.upgrade.upgrade_ls(image, tags, show_all_versions)

    def upgrade_start(self, image: Optional[str], version: Optional[str],
                      daemon_types: Optional[List[str]] = None, hosts: Optional[str] = None,
                      services: Optional[List[str]] = None,
                      limit: Optional[int] = None) -> OrchResult[str]:
        return self.upgrade.upgrade_start(image, version, daemon_types, hosts, services, limit)

    def upgrade_pause(self) -> OrchResult[str]:
        return self.upgrade.upgrade_pause()

    def upgrade_resume(self) -> OrchResult[str]:
        return self.upgrade.upgrade_resume()

    def upgrade_stop(self) -> OrchResult[str]:
        return self.upgrade.upgrade_stop()

    def upgrade_status(self) -> OrchResult[UpgradeStatusSpec]:
        return self.upgrade.upgrade_status()

    def upgrade_step(self) -> Optional[Dict[str, Any]]:  # not in Ceph's interface
        return self.upgrade.upgrade_step()

    # -- maintenance.Maintenance ----------------------------------------------
    def enter_host_maintenance(self, hostname: str, force: bool = False,
                               yes_i_really_mean_it: bool = False) -> OrchResult[str]:
        return self.maintenance.enter_host_maintenance(hostname, force, yes_i_really_mean_it)

    def exit_host_maintenance(self, hostname: str, force: bool = False,
                              offline: bool = False) -> OrchResult[str]:
        return self.maintenance.exit_host_maintenance(hostname, force, offline)

    def drain_host(self, hostname: str, force: bool = False, keep_conf_keyring: bool = False,
                   zap_osd_devices: bool = False) -> OrchResult[str]:
        return self.maintenance.drain_host(hostname, force, keep_conf_keyring, zap_osd_devices)

    def stop_drain_host(self, hostname: str) -> OrchResult[str]:
        return self.maintenance.stop_drain_host(hostname)

    def drain_step(self) -> Optional[Dict[str, Any]]:  # not in Ceph's interface
        return self.maintenance.drain_step()

    # -- monitoring_access.MonitoringAccess -----------------------------------
    def get_prometheus_access_info(self) -> OrchResult[Dict[str, str]]:
        return self.monitoring.get_prometheus_access_info()

    def get_alertmanager_access_info(self) -> OrchResult[Dict[str, str]]:
        return self.monitoring.get_alertmanager_access_info()

    def set_prometheus_access_info(self, user: str, password: str) -> OrchResult[str]:
        return self.monitoring.set_prometheus_access_info(user, password)

    def set_alertmanager_access_info(self, user: str, password: str) -> OrchResult[str]:
        return self.monitoring.set_alertmanager_access_info(user, password)

    def custom_prometheus_alerts(self) -> Optional[str]:  # not in Ceph's interface
        return self.monitoring.custom_prometheus_alerts()

    def set_custom_prometheus_alerts(self, alerts_file: str) -> OrchResult[str]:
        return self.monitoring.set_custom_prometheus_alerts(alerts_file)

    def set_prometheus_target(self, url: str) -> OrchResult[str]:
        return self.monitoring.set_prometheus_target(url)

    def remove_prometheus_target(self, url: str) -> OrchResult[str]:
        return self.monitoring.remove_prometheus_target(url)

    def service_discovery_dump_cert(self) -> OrchResult[str]:
        return self.monitoring.service_discovery_dump_cert()

    def get_prometheus_cert(self, url: str) -> OrchResult[str]:
        return self.monitoring.get_prometheus_cert(url)

    def generate_certificates(self, module_name: str) -> OrchResult[Optional[Dict[str, str]]]:
        return self.monitoring.generate_certificates(module_name)

    def get_security_config(self) -> OrchResult[Dict[str, bool]]:
        return self.monitoring.get_security_config()

    # -- hardware.Hardware ----------------------------------------------------
    def node_proxy_fullreport(self, hostname: Optional[str] = None) -> OrchResult[Dict[str, Any]]:
        return self.hardware.node_proxy_fullreport(hostname)

    def node_proxy_summary(self, hostname: Optional[str] = None) -> OrchResult[Dict[str, Any]]:
        return self.hardware.node_proxy_summary(hostname)

    def node_proxy_firmwares(self, hostname: Optional[str] = None) -> OrchResult[Dict[str, Any]]:
        return self.hardware.node_proxy_firmwares(hostname)

    def node_proxy_criticals(self, hostname: Optional[str] = None) -> OrchResult[Dict[str, Any]]:
        return self.hardware.node_proxy_criticals(hostname)

    def node_proxy_common(self, category: str,
                          hostname: Optional[str] = None) -> OrchResult[Dict[str, Any]]:
        return self.hardware.node_proxy_common(category, hostname)

    def hardware_status(self, hostname: Optional[str] = None,
                        category: Optional[str] = "summary") -> OrchResult[str]:
        return self.hardware.hardware_status(hostname, category)

    def hardware_light(self, light_type: str, action: str, hostname: str,
                       device: Optional[str] = None) -> OrchResult[Dict[str, Any]]:
        return self.hardware.hardware_light(light_type, action, hostname, device)

    def power_state(self, hostname: str) -> str:  # not in Ceph's interface
        return self.hardware.power_state(hostname)

    def hardware_powercycle(self, hostname: str,
                            yes_i_really_mean_it: bool = False) -> OrchResult[str]:
        return self.hardware.hardware_powercycle(hostname, yes_i_really_mean_it)

    def hardware_shutdown(self, hostname: str, force: Optional[bool] = False,
                          yes_i_really_mean_it: bool = False) -> OrchResult[str]:
        return self.hardware.hardware_shutdown(hostname, force, yes_i_really_mean_it)

    # -- client_keyrings.ClientKeyrings ---------------------------------------
    def client_keyring_ls(self) -> OrchResult[List[Any]]:
        return self.client_keyrings.client_keyring_ls()

    def client_keyring_set(self, entity: str, placement: str, owner: Optional[str] = None,
                           mode: Optional[str] = None,
                           no_ceph_conf: bool = False) -> OrchResult[str]:
        return self.client_keyrings.client_keyring_set(entity, placement, owner, mode,
                                                       no_ceph_conf)

    def client_keyring_rm(self, entity: str) -> OrchResult[str]:
        return self.client_keyrings.client_keyring_rm(entity)

    def client_keyring_files(self) -> Dict[str, Dict[str, Dict[str, Any]]]:  # not in Ceph's
        """What each host holds (``{host: {path: {entity, mode, uid, gid}}}``)."""
        return self.client_keyrings.host_files()

    # -- certmgr.CertMgr (`orch certmgr ...`, `orch cert-store ...`) ------------
    def cert_store_cert_ls(self, filter_by: str = '', show_details: bool = False,
                           include_cephadm_signed: bool = False) -> OrchResult[Dict[str, Any]]:
        return self.certmgr.cert_ls(filter_by, show_details, include_cephadm_signed)

    def cert_store_key_ls(self, include_cephadm_generated_keys: bool = False
                          ) -> OrchResult[Dict[str, Any]]:
        return self.certmgr.key_ls(include_cephadm_generated_keys)

    def cert_store_entity_ls(self) -> OrchResult[Dict[str, Any]]:
        return self.certmgr.entity_ls()

    def cert_store_get_cert(self, cert_name: str, service_name: Optional[str] = None,
                            hostname: Optional[str] = None,
                            no_exception_when_missing: bool = False) -> OrchResult[str]:
        return self.certmgr.cert_get(cert_name, service_name, hostname,
                                     no_exception_when_missing)

    def cert_store_get_key(self, key_name: str, service_name: Optional[str] = None,
                           hostname: Optional[str] = None,
                           no_exception_when_missing: bool = False) -> OrchResult[str]:
        return self.certmgr.key_get(key_name, service_name, hostname, no_exception_when_missing)

    def cert_store_set_cert(self, cert_name: str, cert: Optional[str],
                            service_name: Optional[str] = None,
                            hostname: Optional[str] = None) -> OrchResult[str]:
        return self.certmgr.cert_set(cert_name, cert, service_name, hostname)

    def cert_store_set_key(self, key_name: str, key: Optional[str],
                           service_name: Optional[str] = None,
                           hostname: Optional[str] = None) -> OrchResult[str]:
        return self.certmgr.key_set(key_name, key, service_name, hostname)

    def cert_store_set_pair(self, entity: str, cert: Optional[str] = None,
                            key: Optional[str] = None, cert_name: Optional[str] = None,
                            service_name: Optional[str] = None, hostname: Optional[str] = None,
                            force: bool = False, inbuf: Optional[str] = None) -> OrchResult[str]:
        return self.certmgr.cert_key_set(entity, cert, key, cert_name, service_name, hostname,
                                         force, inbuf)

    def cert_store_rm_cert(self, cert_name: str, service_name: Optional[str] = None,
                           hostname: Optional[str] = None) -> OrchResult[str]:
        return self.certmgr.cert_rm(cert_name, service_name, hostname)

    def cert_store_rm_key(self, key_name: str, service_name: Optional[str] = None,
                          hostname: Optional[str] = None) -> OrchResult[str]:
        return self.certmgr.key_rm(key_name, service_name, hostname)

    def cert_store_cert_check(self) -> OrchResult[List[str]]:
        return self.certmgr.cert_check()

    def cert_store_reload(self) -> OrchResult[str]:
        return self.certmgr.reload()

    # -- cephadm_ops.CephadmOps (`ceph cephadm ...`, not in Ceph's interface) ----
    def check_host(self, host: str, addr: Optional[str] = None) -> OrchResult[str]:
        return self.cephadm.check_host(host, addr)

    def prepare_host(self, host: str, addr: Optional[str] = None) -> OrchResult[str]:
        return self.cephadm.prepare_host(host, addr)

    def registry_login(self, url: Optional[str] = None, username: Optional[str] = None,
                       password: Optional[str] = None,
                       inbuf: Optional[str] = None) -> OrchResult[str]:
        return self.cephadm.registry_login(url, username, password, inbuf)

    def osd_activate(self, hosts: List[str]) -> OrchResult[List[str]]:
        return self.cephadm.osd_activate(hosts)

    def set_extra_ceph_conf(self, text: Optional[str]) -> OrchResult[str]:
        return self.cephadm.set_extra_ceph_conf(text)

    def get_extra_ceph_conf(self) -> OrchResult[str]:
        return self.cephadm.get_extra_ceph_conf()

    def config_checks(self) -> OrchResult[List[Dict[str, Any]]]:
        return self.cephadm.config_checks()

    def config_checks_enabled(self) -> OrchResult[bool]:
        return self.cephadm.config_checks_enabled()

    def set_config_check(self, name: str, status: str) -> OrchResult[str]:
        return self.cephadm.set_config_check(name, status)

    def set_config_checks_enabled(self, enabled: bool) -> OrchResult[str]:
        return self.cephadm.set_config_checks_enabled(enabled)

    def config_check_health(self) -> OrchResult[Dict[str, Dict[str, Any]]]:
        return self.cephadm.config_check_health()

    def systemd_unit_ls(self, hostname: Optional[str] = None, daemon_type: Optional[str] = None,
                        daemon_id: Optional[str] = None) -> OrchResult[Dict[str, Any]]:
        return self.cephadm.systemd_unit_ls(hostname, daemon_type, daemon_id)

    # -- devices_replace.DeviceReplace ----------------------------------------
    def replace_device(self, hostname: str, device: str, clear: bool = False,
                       yes_i_really_mean_it: bool = False) -> OrchResult[str]:
        return self.devices.replace_device(hostname, device, clear, yes_i_really_mean_it)

    def set_osd_spec(self, service_name: str, osd_ids: List[str]) -> OrchResult[str]:
        return self.devices.set_osd_spec(service_name, osd_ids)
