"""`orch osd rm ...`: queue OSDs for removal, stop that, and follow the queue."""
from __future__ import annotations

import time
from typing import Any, Callable, List, Optional, Sequence, Tuple

import click

from ceph_orch_cli.commands._common import (ceph_commands, call, complete_osd_ids,
                                            complete_services, emit, flag, format_option,
                                            orch_of, progress, result_str)
from ceph_orch_cli.commands.context import DefaultGroup

#: seconds between reconcile passes while `--wait` follows a removal
WAIT_INTERVAL = 0.2


@click.group()
def osd() -> None:
    """Remove OSDs and follow their removal."""


ceph_commands(osd)


@osd.group('rm', cls=DefaultGroup, default_command='start')
def rm() -> None:
    """Remove OSD daemons (or `stop` a removal, or show its `status`)."""


ceph_commands(rm)


def _field(entry: Any, name: str) -> Any:
    """Queue entries are backend objects (Ceph's OSD) or their to_json dicts."""
    if isinstance(entry, dict):
        return entry.get(name)
    return getattr(entry, name, None)


def _state(entry: Any) -> str:
    if not isinstance(entry, dict) and hasattr(entry, 'drain_status_human'):
        return entry.drain_status_human()
    if _field(entry, 'drain_done_at'):
        return 'done, waiting for purge'
    if _field(entry, 'draining'):
        return 'draining'
    if _field(entry, 'started'):
        return 'started'
    return 'not started'


def _pg_count(entry: Any) -> Any:
    if not isinstance(entry, dict) and hasattr(entry, 'get_pg_count'):
        return entry.get_pg_count()
    value = _field(entry, 'pg_count')
    return -1 if value is None else value


def _queued_ids(orch: Any) -> List[int]:
    report = call(orch.remove_osds_status()) or []
    return [int(_field(e, 'osd_id')) for e in report]


def wait_for_removal(orch: Any, osd_ids: Sequence[str],
                     report: Callable[[str, int, int], None]) -> None:
    """Run reconcile passes in the foreground until none of ``osd_ids`` is queued any more."""
    from ceph_orch_cli.orchestrator.engine_extras import engine_extras
    wanted = {int(i) for i in osd_ids if str(i).isdigit()}
    total = len(wanted)
    while True:
        left = wanted & set(_queued_ids(orch))
        report('Removing OSDs', total - len(left), total)
        if not left:
            return
        engine_extras(orch).reconcile_pass()
        time.sleep(WAIT_INTERVAL)


@rm.command('start', hidden=True)
@click.argument('osd_id', nargs=-1, required=True, shell_complete=complete_osd_ids)
@flag('--replace', help='Keep the OSD id for a replacement (mark destroyed)')
@flag('--force', help='Remove without waiting for the OSD to be safe to destroy')
@flag('--zap', help='Zap the OSD devices afterwards')
@flag('--no-destroy', help='With --replace: do not mark the OSD destroyed')
@flag('--wait', help='Run reconcile passes until the removal is done')
@click.pass_context
def rm_start(ctx: click.Context, osd_id: Tuple[str, ...], replace: bool, force: bool,
             zap: bool, no_destroy: bool, wait: bool) -> None:
    """Remove OSD daemons."""
    orch = orch_of(ctx)
    emit(result_str(call(orch.remove_osds(list(osd_id), replace=replace, force=force, zap=zap,
                                          no_destroy=no_destroy))))
    if wait:
        with progress(ctx) as report:
            wait_for_removal(orch, osd_id, report)


@rm.command('stop')
@click.argument('osd_id', nargs=-1, required=True)
@click.pass_context
def rm_stop(ctx: click.Context, osd_id: Tuple[str, ...]) -> None:
    """Cancel ongoing OSD removal operation."""
    emit(result_str(call(orch_of(ctx).stop_remove_osds(list(osd_id)))))


@rm.command('status')
@format_option
@click.pass_context
def rm_status(ctx: click.Context, fmt: str) -> None:
    """Status of OSD removal operation."""
    from ceph_orch_cli import output
    report: Optional[List[Any]] = call(orch_of(ctx).remove_osds_status())
    if not report:
        # Ceph prints this text in every format; scripts asking for a format get an empty
        # document instead, so `--format json` always parses
        emit('No OSD remove/replace operations reported' if fmt == 'plain'
             else output.to_format([], fmt, many=False).rstrip('\n'))
        return
    if fmt != 'plain':
        emit(output.to_format(report, fmt, many=True).rstrip('\n'))
        return
    table = output.Table(['OSD', 'HOST', 'STATE', 'PGS', 'REPLACE', 'FORCE', 'ZAP',
                          'DRAIN STARTED AT'], align={'PGS': 'r'})
    for e in sorted(report, key=lambda e: int(_field(e, 'osd_id'))):
        started = _field(e, 'drain_started_at')
        table.add_row([_field(e, 'osd_id'), _field(e, 'hostname'), _state(e), _pg_count(e),
                       bool(_field(e, 'replace')), bool(_field(e, 'force')),
                       bool(_field(e, 'zap')), _drain_started(started)])
    emit(table.get_string())


def _drain_started(value: Any) -> str:
    """``str()`` of a naive UTC datetime, as Ceph shows it; '' when not started."""
    if not value:
        return ''
    from ceph_orch_cli.output import as_utc
    at = as_utc(value)
    return str(at.replace(tzinfo=None)) if at else ''



@osd.command('set-spec-affinity')
@click.argument('service_name', shell_complete=complete_services)
@click.argument('osd_id', nargs=-1, required=True, shell_complete=complete_osd_ids)
@click.pass_context
def set_spec_affinity(ctx: click.Context, service_name: str, osd_id: Tuple[str, ...]) -> None:
    """Set the service (OSD spec) that existing OSDs belong to."""
    emit(result_str(call(orch_of(ctx).set_osd_spec(service_name, list(osd_id)))))
