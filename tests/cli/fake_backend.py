"""A fixed, in-memory cluster for golden-table tests: every timestamp is relative to NOW."""
from __future__ import annotations

import datetime
from typing import Any, List, Optional, Sequence

from ceph_orch_cli.deployment.drive_group import DriveGroupSpec
from ceph_orch_cli.deployment.hostspec import HostSpec
from ceph_orch_cli.deployment.inventory import Device, Devices
from ceph_orch_cli.deployment.service_spec import PlacementSpec, ServiceSpec
from ceph_orch_cli.orchestrator import (DaemonDescription, DaemonDescriptionStatus,
                                        InventoryHost, Orchestrator, ServiceDescription,
                                        handle_orch_error)

NOW = datetime.datetime(2024, 5, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)


def ago(**kwargs: float) -> datetime.datetime:
    return NOW - datetime.timedelta(**kwargs)


GIB = 1024 ** 3
MIB = 1024 ** 2


class FakeCluster(Orchestrator):
    """Three hosts, five services, six daemons, four devices."""

    def __init__(self) -> None:
        self.applied: List[Any] = []

    @handle_orch_error
    def get_hosts(self) -> List[HostSpec]:
        return [HostSpec('host10', labels=[], status='offline'),
                HostSpec('host2', '10.0.0.12', ['mon'], 'maintenance'),
                HostSpec('host1', '10.0.0.11', ['_admin', 'mon'])]

    @handle_orch_error
    def get_facts(self, hostname: Optional[str] = None) -> List[dict]:
        if hostname != 'host1':
            return []
        return [{'vendor': 'Dell', 'model': 'R740', 'cpu_cores': 8, 'cpu_count': 2,
                 'cpu_threads': 2, 'memory_total_kb': 65_000_000, 'hdd_count': 2,
                 'hdd_capacity': '8.0TB', 'flash_count': 0, 'flash_capacity': '0.0',
                 'nic_count': 4}]

    @handle_orch_error
    def describe_service(self, service_type: Optional[str] = None,
                         service_name: Optional[str] = None,
                         refresh: bool = False) -> List[ServiceDescription]:
        unmanaged_crash = ServiceSpec('crash', placement=PlacementSpec(host_pattern='*'),
                                      unmanaged=True)
        services = [
            ServiceDescription(ServiceSpec('rgw', service_id='myrgw',
                                           placement=PlacementSpec(label='rgw', count=2)),
                               size=2, running=1, ports=[8080], last_refresh=ago(minutes=5),
                               created=ago(days=21)),
            ServiceDescription(ServiceSpec('mon', placement=PlacementSpec(count=3, label='mon')),
                               size=3, running=3, last_refresh=ago(seconds=30),
                               created=ago(days=210)),
            ServiceDescription(ServiceSpec('alertmanager', placement=PlacementSpec(count=1)),
                               size=1, running=1, ports=[9094, 9093],
                               last_refresh=ago(minutes=3), created=ago(hours=5)),
            ServiceDescription(DriveGroupSpec(service_id='default',
                                             placement=PlacementSpec(label='osd')),
                               size=0, running=12, last_refresh=ago(minutes=1),
                               created=ago(days=3)),
            ServiceDescription(unmanaged_crash, size=3, running=3, deleted=ago(seconds=1)),
        ]
        if service_type:
            services = [s for s in services if s.spec.service_type == service_type]
        return services

    @handle_orch_error
    def list_daemons(self, service_name: Optional[str] = None,
                     daemon_type: Optional[str] = None, daemon_id: Optional[str] = None,
                     host: Optional[str] = None, refresh: bool = False) -> List[DaemonDescription]:
        running = DaemonDescriptionStatus.running
        daemons = [
            DaemonDescription('osd', '10', 'host2', status=running, started=ago(hours=2),
                              last_refresh=ago(minutes=5), created=ago(days=40),
                              memory_usage=423 * MIB, memory_request=4 * GIB,
                              version='18.2.1', container_image_id='0123456789abcdef'),
            DaemonDescription('osd', '9', 'host1', status=DaemonDescriptionStatus.stopped,
                              last_refresh=ago(minutes=5), created=ago(days=40),
                              version='18.2.1', container_image_id='0123456789abcdef'),
            DaemonDescription('mon', 'host1', 'host1', status=running, started=ago(days=3),
                              last_refresh=ago(seconds=40), created=ago(days=300),
                              memory_usage=int(1.5 * GIB), memory_request=2 * GIB,
                              version='18.2.1', container_image_id='0123456789abcdef'),
            DaemonDescription('alertmanager', 'host1', 'host1', status=running,
                              started=ago(minutes=3), last_refresh=ago(minutes=3),
                              created=ago(hours=5), ports=[9093, 9094],
                              status_desc='running'),
            DaemonDescription('rgw', 'myrgw.host2.abcdef', 'host2',
                              status=DaemonDescriptionStatus.error, status_desc='error',
                              ports=[8080], ip='10.0.0.12'),
        ]
        if daemon_type:
            daemons = [d for d in daemons if d.daemon_type == daemon_type]
        if host:
            daemons = [d for d in daemons if d.hostname == host]
        return daemons

    @handle_orch_error
    def get_inventory(self, host_filter: Any = None, refresh: bool = False) -> List[InventoryHost]:
        def dev(path: str, rot: str, size: int, avail: bool, reasons: Sequence[str] = (),
                lsm: Optional[dict] = None) -> Device:
            return Device(path, sys_api={'rotational': rot, 'size': size}, available=avail,
                          rejected_reasons=list(reasons), device_id=f'ID{path[-3:].upper()}',
                          lsm_data=lsm or {}, created=ago(minutes=7))
        hosts = [
            InventoryHost('host2', Devices([
                dev('/dev/sdc', '1', 4 * 1024 ** 4, True),
                dev('/dev/nvme0n1', '0', 800 * 1000 ** 3, False,
                    ['Insufficient space (<10 extents) on vgs', 'LVM detected'],
                    {'transport': 'NVMe', 'rpm': 'N/A', 'health': 'Good',
                     'ledSupport': {'IDENTstatus': 'Off', 'FAILstatus': 'Unsupported'}}),
            ])),
            InventoryHost('host1', Devices([dev('/dev/sdb', '1', 423 * MIB, True)])),
        ]
        if host_filter is not None and host_filter.hosts:
            hosts = [h for h in hosts if h.name in host_filter.hosts]
        return hosts

    @handle_orch_error
    def apply(self, specs: Sequence[Any], no_overwrite: bool = False,
              continue_on_error: bool = False) -> List[str]:
        self.applied.extend(specs)
        return [f'Scheduled {s.service_name()} update...' for s in specs]

    @handle_orch_error
    def plan(self, specs: Sequence[Any]) -> List[dict]:
        plan: List[dict] = [{'warning': 'WARNING! Dry-Runs are snapshots of a certain point in '
                                        'time and are bound \nto the current inventory setup.'}]
        for s in specs:
            if s.service_type == 'osd':
                plan.append({'service_name': s.service_name(), 'service_type': 'osd', 'data': {
                    'host1': [{'osdspec': s.service_id, 'data': [
                        {'data': '/dev/sdb', 'block_db': '/dev/nvme0n1'}]}]}})
            else:
                plan.append({'service_name': s.service_name(), 'service_type': s.service_type,
                             'add': ['host1', 'host2'], 'remove': ['mon.host10']})
        return plan

    @handle_orch_error
    def remove_osds_status(self) -> List[dict]:
        """Queue entries in OSD.to_json's shape (the CLI reads objects or these dicts)."""
        return [
            {'osd_id': 12, 'hostname': 'host2', 'started': True, 'draining': True,
             'stopped': False, 'replace': True, 'force': False, 'zap': True, 'pg_count': 57,
             'drain_started_at': '2024-05-01T11:58:00.123456Z', 'drain_done_at': None},
            {'osd_id': 3, 'hostname': 'host10', 'started': False, 'draining': False,
             'stopped': False, 'replace': False, 'force': False, 'zap': False,
             'pg_count': None, 'drain_started_at': None, 'drain_done_at': None},
        ]
