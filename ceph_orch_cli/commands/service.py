"""Service-level commands: `orch ls`, `orch ps`, `orch rm`, `orch <action> <service>`,
`orch set-managed` and `orch set-unmanaged`."""
from __future__ import annotations

from typing import Any, List, Optional

import click

from ceph_orch_cli.commands._common import (CephCommand, call, complete_hosts, complete_services,
                                            emit, flag, format_option, option, orch_of, progress,
                                            result_str)
from ceph_orch_cli.commands._common import (HelpSection, complete_daemon_types, complete_service_types,
                                            help_sections)


def _ukn(s: Optional[str]) -> str:
    return '<unknown>' if s is None else s


@click.command('ls', cls=CephCommand)
@click.argument('service_type', required=False, shell_complete=complete_service_types)
@click.argument('service_name', required=False, shell_complete=complete_services)
@flag('--export', help='Print the specs as YAML that `orch apply -i` takes back')
@format_option
@flag('--refresh', help='Read the state afresh from the hosts')
@click.pass_context
def ls(ctx: click.Context, service_type: Optional[str], service_name: Optional[str],
       export: bool, fmt: str, refresh: bool) -> None:
    """List services known to orchestrator."""
    from ceph_orch_cli import output

    if export and fmt == 'plain':
        fmt = 'yaml'
    services = call(orch_of(ctx).describe_service(service_type, service_name, refresh=refresh))
    services.sort(key=lambda s: _ukn(s.spec.service_name()))
    if not services:
        # Ceph prints this text in every format; scripts asking for a format get an empty
        # result instead, so `--format json` always parses: `[]`, and in YAML (a list is
        # one document per item) an empty stream, as `orch ps` and `orch host ls` print
        if fmt == 'plain':
            emit('No services reported')
        else:
            emit(output.to_format([], fmt, many=True).rstrip('\n'))
        return
    if fmt != 'plain':
        from ceph_orch_cli.deployment.service_spec import service_spec_allow_invalid_from_json
        with service_spec_allow_invalid_from_json():
            if export:
                specs = [s.spec for s in services if s.deleted is None]
                if fmt == 'yaml':
                    from ceph_orch_cli.deployment.loader import dump_specs
                    emit(dump_specs(specs).rstrip('\n'))
                else:
                    emit(output.to_format(specs, fmt, many=True).rstrip('\n'))
            else:
                emit(output.to_format(services, fmt, many=True).rstrip('\n'))
        return

    now = output.datetime_now()
    table = output.Table(['NAME', 'PORTS', 'RUNNING', 'REFRESHED', 'AGE', 'PLACEMENT'],
                         align={'RUNNING': 'r'})
    for s in services:
        if not s.spec:
            placement = '<no spec>'
        elif s.spec.unmanaged:
            placement = '<unmanaged>'
        else:
            placement = s.spec.placement.pretty_str()
        refreshed = '<deleting>' if s.deleted else output.nice_delta(now, s.last_refresh, ' ago')
        running = str(s.running) if s.spec.service_type == 'osd' else f'{s.running}/{s.size}'
        table.add_row((s.spec.service_name(), s.get_port_summary(), running, refreshed,
                       output.nice_delta(now, s.created), placement))
    emit(table.get_string())


#: the daemon fields `orch ps --sort-by` orders by (DaemonDescription.to_json's names)
PS_SORT_KEYS = ('name', 'hostname', 'daemon_type', 'daemon_id', 'service_name', 'status',
                'status_desc', 'version', 'container_image_name', 'container_image_id',
                'container_id', 'created', 'started', 'last_refresh', 'memory_usage',
                'memory_request', 'cpu_percentage', 'ports', 'ip')


def _ps_sort_key(sort_by: str) -> Any:
    """How `orch ps --sort-by FIELD` orders the daemons (a missing value sorts first)."""
    from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError
    field = sort_by.replace('-', '_')
    if field not in PS_SORT_KEYS:
        raise OrchestratorValidationError(
            f"Invalid sort key {sort_by!r}: choose one of {', '.join(PS_SORT_KEYS)}")
    if field == 'name':
        return lambda d: d.name()

    def key(d: Any) -> Any:
        value = getattr(d, field, None)
        if field == 'status' and value is not None:
            value = int(value)
        return '' if value is None else str(value)
    return key


def _ps_help() -> List[HelpSection]:
    from ceph_orch_cli.commands._common import daemon_type_names
    return [
        ('Daemon types (--daemon-type)', ', '.join(daemon_type_names())),
        ('Examples', (('orch ps', 'every daemon, from the cache'),
                      ('orch ps host1 --refresh', "host1's daemons, asked afresh"),
                      ('orch ps --daemon-type osd --sort-by status', 'OSDs, failed ones together'),
                      ('orch ps --service-name rgw.foo --format json', 'one service, for scripts'))),
    ]


@help_sections(_ps_help)
@click.command('ps', cls=CephCommand)
@click.argument('hostname', required=False, shell_complete=complete_hosts)
@option('--service-name', 'service_name', default=None, shell_complete=complete_services,
        help='Only daemons of this service')
@option('--daemon-type', 'daemon_type', default=None, shell_complete=complete_daemon_types,
        help='Only daemons of this type')
@option('--daemon-id', 'daemon_id', default=None, help='Only daemons with this id')
@option('--sort-by', 'sort_by', default='name', show_default=True,
        help='Sort the table by a daemon field: ' + ', '.join(PS_SORT_KEYS))
@format_option
@flag('--refresh', help='Read the state afresh from the hosts')
@click.pass_context
def ps(ctx: click.Context, hostname: Optional[str], service_name: Optional[str],
       daemon_type: Optional[str], daemon_id: Optional[str], sort_by: str, fmt: str,
       refresh: bool) -> None:
    """List daemons known to orchestrator."""
    from ceph_orch_cli import output
    from ceph_orch_cli.orchestrator import DaemonDescriptionStatus
    from ceph_orch_cli.orchestrator.engine_extras import EngineExtras

    sort_key = _ps_sort_key(sort_by)
    orch = orch_of(ctx)
    if fmt == 'json' and not refresh and sort_by == 'name' and isinstance(orch, EngineExtras):
        # the engine stores each daemon as the text printed here, in an index in this order:
        # 100,000 daemons without an object or a JSON parse each, a batch at a time
        output.echo_json_texts(orch.daemons_json_text(
            service_name, daemon_type, daemon_id=daemon_id, host=hostname))
        return
    daemons = call(orch.list_daemons(service_name, daemon_type, daemon_id=daemon_id,
                                     host=hostname, refresh=refresh))
    daemons.sort(key=lambda d: (_ukn(d.daemon_type), _ukn(d.hostname), _ukn(d.daemon_id)))
    if sort_by != 'name':
        daemons = output.natsorted(daemons, key=sort_key)
    if fmt != 'plain':
        emit(output.to_format(daemons, fmt, many=True).rstrip('\n'))
        return
    if not daemons:
        emit('No daemons reported')
        return

    now = output.datetime_now()
    table = output.Table(['NAME', 'HOST', 'PORTS', 'STATUS', 'REFRESHED', 'AGE', 'MEM USE',
                          'MEM LIM', 'VERSION', 'IMAGE ID', 'CONTAINER ID'],
                         align={'REFRESHED': 'r', 'AGE': 'r', 'MEM USE': 'r', 'MEM LIM': 'r'})
    for d in output.natsorted(daemons, key=sort_key):
        status = d.status_desc or DaemonDescriptionStatus.to_str(d.status)
        running = d.status == DaemonDescriptionStatus.running
        started = output.as_utc(d.started) if running and d.started else None
        if started:
            status += ' (%s)' % output.to_pretty_timedelta(now - started)
        table.add_row((d.name(), _ukn(d.hostname), d.get_port_summary(), status,
                       output.nice_delta(now, d.last_refresh, ' ago'),
                       output.nice_delta(now, d.created), output.nice_bytes(d.memory_usage),
                       output.nice_bytes(d.memory_request), _ukn(d.version),
                       _ukn(d.container_image_id)[0:12], _ukn(d.container_id)))
    if all(c == '<unknown>' for c in table.column('CONTAINER ID')):
        table.del_column('CONTAINER ID')
    emit(table.get_string())


@click.command('rm', cls=CephCommand)
@click.argument('service_name', shell_complete=complete_services)
@flag('--force', help='Remove even mon/mgr, or an OSD service with OSDs left')
@click.pass_context
def rm(ctx: click.Context, service_name: str, force: bool) -> None:
    """Remove a service."""
    from ceph_orch_cli.orchestrator.errors import OrchestratorError
    if service_name in ('mon', 'mgr') and not force:
        raise OrchestratorError('The mon and mgr services cannot be removed')
    orch = orch_of(ctx)
    with progress(ctx):
        emit(result_str(call(orch.remove_service(service_name, force=force))))


def _service_action(action: str) -> click.Command:
    @click.command(action, help=f'{action.capitalize()} an entire service (i.e. all daemons).',
                   cls=CephCommand)
    @click.argument('service_name', shell_complete=complete_services)
    @click.pass_context
    def command(ctx: click.Context, service_name: str) -> None:
        orch = orch_of(ctx)
        with progress(ctx):
            emit(result_str(call(orch.service_action(action, service_name))))
    return command


start = _service_action('start')
stop = _service_action('stop')
restart = _service_action('restart')
redeploy = _service_action('redeploy')
reconfig = _service_action('reconfig')
rotate_key = _service_action('rotate-key')


def _set_unmanaged(name: str, value: bool, doc: str) -> click.Command:
    @click.command(name, help=doc, cls=CephCommand)
    @click.argument('service_name', shell_complete=complete_services)
    @click.pass_context
    def command(ctx: click.Context, service_name: str) -> None:
        emit(result_str(call(orch_of(ctx).set_unmanaged(service_name, value))))
    return command


set_managed = _set_unmanaged('set-managed', False, 'Set the service to managed.')
set_unmanaged = _set_unmanaged('set-unmanaged', True, 'Set the service to unmanaged.')
