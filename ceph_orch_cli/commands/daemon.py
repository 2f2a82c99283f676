"""`orch daemon ...`: add, remove and act on single daemons."""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import click

from ceph_orch_cli.commands._common import (CephCommand, ceph_commands, call, refuse_inbuf,
                                            complete_daemons, emit, flag, option, orch_of, progress,
                                            read_inbuf, result_str)
from ceph_orch_cli.commands._common import complete_apply_types, complete_host_devices
from ceph_orch_cli.commands.context import DefaultGroup

#: Ceph's ServiceType choices for `orch daemon add <daemon_type> <placement>` and
#: `orch apply <service_type> [<placement>]`
DAEMON_ADD_TYPES = ('mon', 'mgr', 'rbd-mirror', 'cephfs-mirror', 'crash', 'alertmanager',
                    'grafana', 'node-exporter', 'ceph-exporter', 'prometheus', 'loki',
                    'promtail', 'mds', 'rgw', 'nfs', 'iscsi', 'snmp-gateway', 'elasticsearch',
                    'jaeger-agent', 'jaeger-collector', 'jaeger-query')

OSD_USAGE = """
Usage:
  orch daemon add osd host:device1,device2,...
  orch daemon add osd host:data_devices=device1,device2,db_devices=device3,osds_per_device=2,...
"""

_DEVICE_KEYS = ('data_devices', 'db_devices', 'wal_devices', 'journal_devices')
#: precious daemon types that `orch daemon rm` removes only with --force
_PRECIOUS = ('osd', 'mon', 'prometheus')


@click.group()
def daemon() -> None:
    """Add, remove and act on single daemons."""


ceph_commands(daemon)


def _add_daemon(ctx: click.Context, spec: Any) -> None:
    orch = orch_of(ctx)
    with progress(ctx):
        emit(result_str(call(orch.add_daemon(spec))))


@daemon.group('add', cls=DefaultGroup, default_command='spec')
def add() -> None:
    """Add daemon(s)."""


ceph_commands(add)


@add.command('spec', hidden=True)
@click.argument('daemon_type', required=False, shell_complete=complete_apply_types)
@click.argument('placement', required=False)
@option('--placement', 'placement_opt', default=None, help='Placement string')
@option('--in-file', '-i', 'in_file', default=None, help='Service spec (JSON or YAML)')
@click.pass_context
def add_spec(ctx: click.Context, daemon_type: Optional[str], placement: Optional[str],
             placement_opt: Optional[str], in_file: Optional[str]) -> None:
    """Add daemon(s) of a type on the hosts of a placement, or from `-i` spec."""
    from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError
    usage = ('Usage:\n    orch daemon add -i <json_file>\n'
             f"    orch daemon add {daemon_type or '<daemon_type>'} <placement>")
    placement = placement_opt if placement_opt is not None else placement
    if in_file is not None:
        if daemon_type or placement:
            raise OrchestratorValidationError(usage)
        from ceph_orch_cli.deployment.hostspec import SpecValidationError
        from ceph_orch_cli.deployment.loader import load_yaml_documents
        from ceph_orch_cli.deployment.service_spec import ServiceSpec
        documents = load_yaml_documents(read_inbuf(in_file) or '', in_file)
        data = documents[0][1] if documents else None
        if not isinstance(data, dict):
            raise SpecValidationError('Spec needs a "service_type" key.')
        _add_daemon(ctx, ServiceSpec.from_json(data))
        return
    if not placement or not daemon_type:
        raise OrchestratorValidationError(usage)
    if daemon_type not in DAEMON_ADD_TYPES:
        raise OrchestratorValidationError(
            f"Invalid command: {daemon_type} not in {'|'.join(DAEMON_ADD_TYPES)}")
    from ceph_orch_cli.deployment.service_spec import PlacementSpec, ServiceSpec
    spec = ServiceSpec(daemon_type, placement=PlacementSpec.from_string(placement))
    _add_daemon(ctx, spec)


def _scalar(value: str) -> Any:
    """`osds_per_device=2` and `encrypted=true` arrive as text; give the spec real types."""
    if value.isdigit():
        return int(value)
    if value.lower() in ('true', 'false'):
        return value.lower() == 'true'
    return value


def parse_osd_arg(svc_arg: str) -> Tuple[str, Dict[str, Any]]:
    """Split `host:dev1,dev2` or `host:data_devices=a,b,db_devices=c,osds_per_device=2`.

    Bare paths belong to the last ``*_devices`` key named (``data_devices`` at first).
    Raises ValueError with a reason for anything else.
    """
    if ':' not in svc_arg:
        raise ValueError("expected 'host:device'")
    host, raw = svc_arg.split(':', 1)
    if not host:
        raise ValueError('no host given')
    fields: Dict[str, Any] = {'data_devices': []}
    current: Optional[str] = None
    seen_setting = False
    for token in raw.split(','):
        if not token:
            continue
        if '=' in token:
            key, value = token.split('=', 1)
            if key in _DEVICE_KEYS:
                fields.setdefault(key, []).append(value)
                current = key
            else:
                fields[key] = _scalar(value)
                current = None
                seen_setting = True
        elif current is not None:
            fields[current].append(token)
        elif seen_setting:
            raise ValueError(f"'{token}' follows a setting; name its *_devices key")
        else:
            fields['data_devices'].append(token)
    if not fields['data_devices']:
        raise ValueError('no data devices given')
    return host, fields


@add.command('osd')
@click.argument('svc_arg', required=False, shell_complete=complete_host_devices)
@click.argument('method', type=click.Choice(['raw', 'lvm']), required=False)
@flag('--skip-validation', help='Create the OSDs even on devices the inventory rejects')
@click.pass_context
def add_osd(ctx: click.Context, svc_arg: Optional[str], method: Optional[str],
            skip_validation: bool) -> None:
    """Create OSD daemon(s) on specified host and device(s) (e.g. myhost:/dev/sdb)."""
    from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError
    if not svc_arg:
        raise OrchestratorValidationError(OSD_USAGE.strip('\n'))
    from ceph_orch_cli.deployment.drive_group import DeviceSelection, DriveGroupSpec
    from ceph_orch_cli.deployment.hostspec import SpecValidationError
    from ceph_orch_cli.deployment.service_spec import PlacementSpec
    try:
        host, fields = parse_osd_arg(svc_arg)
        for key in _DEVICE_KEYS:
            fields[key] = DeviceSelection(paths=fields[key]) if fields.get(key) else None
        kwargs: Dict[str, Any] = dict(fields)
        if method:
            kwargs['method'] = method
        spec = DriveGroupSpec(placement=PlacementSpec(host_pattern=host), **kwargs)
    except (TypeError, KeyError, ValueError, SpecValidationError) as e:
        raise OrchestratorValidationError(
            f"Invalid 'host:device' spec: '{svc_arg}': {e}" + OSD_USAGE.rstrip('\n'))
    orch = orch_of(ctx)
    with progress(ctx):
        emit(result_str(call(orch.create_osds(spec, skip_validation=skip_validation))))


@add.command('mds')
@click.argument('fs_name')
@click.argument('placement', required=False)
@click.pass_context
def add_mds(ctx: click.Context, fs_name: str, placement: Optional[str]) -> None:
    """Start MDS daemon(s)."""
    from ceph_orch_cli.deployment.service_spec import PlacementSpec, ServiceSpec
    _add_daemon(ctx, ServiceSpec(service_type='mds', service_id=fs_name,
                                 placement=PlacementSpec.from_string(placement)))


@add.command('rgw')
@click.argument('svc_id')
@click.argument('placement', required=False)
@option('--port', type=int, default=None, help='Frontend port')
@flag('--ssl', help='Serve over SSL')
@click.pass_context
def add_rgw(ctx: click.Context, svc_id: str, placement: Optional[str], port: Optional[int],
            ssl: bool) -> None:
    """Start RGW daemon(s)."""
    from ceph_orch_cli.deployment.service_spec import PlacementSpec, RGWSpec
    _add_daemon(ctx, RGWSpec(service_id=svc_id, rgw_frontend_port=port, ssl=ssl,
                             placement=PlacementSpec.from_string(placement)))


@add.command('nfs')
@click.argument('svc_id')
@click.argument('placement', required=False)
@click.pass_context
def add_nfs(ctx: click.Context, svc_id: str, placement: Optional[str]) -> None:
    """Start NFS daemon(s)."""
    from ceph_orch_cli.deployment.service_spec import NFSServiceSpec, PlacementSpec
    _add_daemon(ctx, NFSServiceSpec(service_id=svc_id,
                                    placement=PlacementSpec.from_string(placement)))


@add.command('iscsi')
@click.argument('pool')
@click.argument('api_user')
@click.argument('api_password')
@click.argument('trusted_ip_list', required=False)
@click.argument('placement', required=False)
@click.pass_context
def add_iscsi(ctx: click.Context, pool: str, api_user: str, api_password: str,
              trusted_ip_list: Optional[str], placement: Optional[str]) -> None:
    """Start iscsi daemon(s)."""
    from ceph_orch_cli.deployment.service_spec import IscsiServiceSpec, PlacementSpec
    _add_daemon(ctx, IscsiServiceSpec(service_id='iscsi', pool=pool, api_user=api_user,
                                      api_password=api_password,
                                      trusted_ip_list=trusted_ip_list,
                                      placement=PlacementSpec.from_string(placement)))


@add.command('nvmeof')
@click.argument('pool')
@click.argument('group')
@click.argument('placement', required=False)
@click.pass_context
def add_nvmeof(ctx: click.Context, pool: str, group: str, placement: Optional[str]) -> None:
    """Start nvmeof daemon(s)."""
    from ceph_orch_cli.deployment.service_spec import NvmeofServiceSpec, PlacementSpec
    _add_daemon(ctx, NvmeofServiceSpec(service_id=f'{pool}.{group}', pool=pool, group=group,
                                       placement=PlacementSpec.from_string(placement)))


refuse_inbuf(add_mds, add_rgw, add_nfs, add_iscsi, add_nvmeof)


def _check_name(name: str) -> None:
    from ceph_orch_cli.orchestrator.errors import OrchestratorError
    if '.' not in name:
        raise OrchestratorError(f'{name} is not a valid daemon name')


def _daemon_action(action: str) -> click.Command:
    @click.command(action, help=f'{action.capitalize()} a specific daemon.', cls=CephCommand)
    @click.argument('name', shell_complete=complete_daemons)
    @flag('--force', help='Act even when Ceph says stopping the daemon is not safe')
    @click.pass_context
    def command(ctx: click.Context, name: str, force: bool) -> None:
        _check_name(name)
        orch = orch_of(ctx)
        with progress(ctx):
            emit(result_str(call(orch.daemon_action(action, name, force=force))))
    return command


for _action in ('start', 'stop', 'restart', 'reconfig', 'rotate-key'):
    daemon.add_command(_daemon_action(_action))


@daemon.command('redeploy')
@click.argument('name', shell_complete=complete_daemons)
@click.argument('image', required=False)
@click.pass_context
def redeploy(ctx: click.Context, name: str, image: Optional[str]) -> None:
    """Redeploy a daemon (with a specific image)."""
    _check_name(name)
    orch = orch_of(ctx)
    with progress(ctx):
        emit(result_str(call(orch.daemon_action('redeploy', name, image=image))))


@daemon.command('rm')
@click.argument('names', nargs=-1, required=True, shell_complete=complete_daemons)
@flag('--force', help='Needed for osd, mon and prometheus daemons')
@click.pass_context
def rm(ctx: click.Context, names: Tuple[str, ...], force: bool) -> None:
    """Remove specific daemon(s)."""
    from ceph_orch_cli.orchestrator.errors import OrchestratorError
    for name in names:
        _check_name(name)
        if not force and name.split('.')[0] in _PRECIOUS:
            raise OrchestratorError('must pass --force to REMOVE daemon with potentially '
                                    f'PRECIOUS DATA for {name}')
    orch = orch_of(ctx)
    with progress(ctx):
        emit(result_str(call(orch.remove_daemons(list(names)))))
