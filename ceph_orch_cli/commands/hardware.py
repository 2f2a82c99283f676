"""`orch hardware status|light|powercycle|shutdown`: node-proxy's view of the hosts' hardware.

The tables are Ceph's (bordered, centred, one row per host or per component member); `--format
json` prints the report the table is made from as one JSON document. On the local backend the
BMC behind node-proxy is simulated from the fleet file (see `cluster/hardware.py`).
"""
from __future__ import annotations

import errno
import json
from typing import Any, Dict, List, Optional, Sequence

import click

from ceph_orch_cli.commands._common import (call, ceph_commands, complete_hosts, emit, flag,
                                            format_option, option, orch_of, result_str)
from ceph_orch_cli.commands._common import complete_device_paths

CATEGORIES = ('summary', 'fullreport', 'firmwares', 'criticals', 'memory', 'storage',
              'processors', 'network', 'power', 'fans')

#: column headings per category (Ceph's)
HEADINGS: Dict[str, List[str]] = {
    'summary': ['HOST', 'STORAGE', 'CPU', 'NET', 'MEMORY', 'POWER', 'FANS'],
    'firmwares': ['HOST', 'COMPONENT', 'NAME', 'DATE', 'VERSION', 'STATUS'],
    'criticals': ['HOST', 'COMPONENT', 'NAME', 'STATUS', 'STATE'],
    'memory': ['HOST', 'NAME', 'STATUS', 'STATE'],
    'storage': ['HOST', 'NAME', 'MODEL', 'SIZE', 'PROTOCOL', 'SN', 'STATUS', 'STATE'],
    'processors': ['HOST', 'NAME', 'MODEL', 'CORES', 'THREADS', 'STATUS', 'STATE'],
    'network': ['HOST', 'NAME', 'SPEED', 'STATUS', 'STATE'],
    'power': ['HOST', 'ID', 'NAME', 'MODEL', 'MANUFACTURER', 'STATUS', 'STATE'],
    'fans': ['HOST', 'ID', 'NAME', 'STATUS', 'STATE'],
}
#: the member fields each component table shows after HOST (and ID where it has one)
_FIELDS: Dict[str, Sequence[str]] = {
    'memory': ('description', 'health', 'state'),
    'storage': ('description', 'model', 'capacity_bytes', 'protocol', 'serial_number',
                'health', 'state'),
    'processors': ('model', 'total_cores', 'total_threads', 'health', 'state'),
    'network': ('name', 'speed_mbps', 'health', 'state'),
    'power': ('name', 'model', 'manufacturer', 'health', 'state'),
    'fans': ('name', 'health', 'state'),
}
#: component tables whose second column is the member's id
_WITH_ID = ('power', 'fans', 'processors')


@click.group()
def hardware() -> None:
    """Hardware health and out-of-band actions (node-proxy)."""


ceph_commands(hardware)


def _table(category: str) -> Any:
    from ceph_orch_cli import output
    columns = HEADINGS[category]
    return output.Table(columns, align={c: 'c' for c in columns}, border=True,
                        left_padding=1, right_padding=1)


def _status(member: Dict[str, Any], key: str) -> Any:
    return (member.get('status') or {}).get(key, '')


def render(category: str, data: Dict[str, Any]) -> str:
    """The plain table of one category's report."""
    table = _table(category)
    if category == 'summary':
        for host, s in data.items():
            st = s.get('status') or {}
            table.add_row([host] + [st.get(c, '') for c in
                                    ('storage', 'processors', 'network', 'memory', 'power',
                                     'fans')])
    elif category == 'firmwares':
        for host, firmwares in data.items():
            for key, fw in (firmwares or {}).items():
                table.add_row([host, key, fw.get('name', ''), fw.get('release_date', ''),
                               fw.get('version', ''), _status(fw, 'health')])
    elif category == 'criticals':
        for host, components in data.items():
            for component, members in (components or {}).items():
                for key, m in (members or {}).items():
                    table.add_row([host, component, m.get('name') or m.get('description') or key,
                                   str(_status(m, 'health')).lower(), _status(m, 'state')])
    else:
        for host, members in data.items():
            for key, m in (members or {}).items():
                cells = [_status(m, f) if f in ('health', 'state') else m.get(f, '')
                         for f in _FIELDS[category]]
                table.add_row([host] + ([key] if category in _WITH_ID else []) + cells)
    return table.get_string()


@hardware.command('status')
@click.argument('hostname', required=False, shell_complete=complete_hosts)
@option('--category', default='summary', show_default=True,
        help='summary, fullreport, firmwares, criticals, memory, storage, processors, '
             'network, power or fans')
@format_option
@click.pass_context
def status(ctx: click.Context, hostname: Optional[str], category: str, fmt: str) -> None:
    """Display hardware status (one host, or all)."""
    from ceph_orch_cli import output
    if category not in CATEGORIES:
        from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError
        raise OrchestratorValidationError(f"'{category}' is not a valid category.",
                                          errno=-errno.EINVAL)
    data: Dict[str, Any] = json.loads(call(orch_of(ctx).hardware_status(hostname, category)))
    if fmt == 'json':
        emit(json.dumps(data))
    elif fmt != 'plain':
        emit(output.to_format(data, fmt, many=False).rstrip('\n'))
    elif category == 'fullreport':
        emit(json.dumps(data))  # no table for the full report (as Ceph)
    else:
        emit(render(category, data))


@hardware.command('light')
@click.argument('light_type', type=click.Choice(['chassis', 'drive', 'device']))
@click.argument('action', type=click.Choice(['on', 'off', 'get']))
@click.argument('hostname', shell_complete=complete_hosts)
@click.argument('device', required=False, shell_complete=complete_device_paths)
@click.pass_context
def light(ctx: click.Context, light_type: str, action: str, hostname: str,
          device: Optional[str]) -> None:
    """Enable or disable (or get) a chassis or drive identification LED."""
    if light_type == 'drive':
        light_type = 'device'  # `device` is the older word for it, kept as an alias
    if light_type == 'device' and not device:
        from ceph_orch_cli.orchestrator.errors import OrchestratorError
        raise OrchestratorError('you must pass a device ID.', errno=-errno.ENOENT)
    data = call(orch_of(ctx).hardware_light(light_type, action, hostname, device))
    if action == 'get':
        state = 'on' if data.get('LocationIndicatorActive') else 'off'
        if light_type == 'device':
            emit(f'ident LED for {device} on {hostname} is: {state}')
        else:
            emit(f'ident chassis LED for {hostname} is: {state}')


@hardware.command('powercycle')
@click.argument('hostname', shell_complete=complete_hosts)
@flag('--yes-i-really-mean-it', help='Confirm the reboot')
@click.pass_context
def powercycle(ctx: click.Context, hostname: str, yes_i_really_mean_it: bool) -> None:
    """Reboot a host through its BMC."""
    emit(result_str(call(orch_of(ctx).hardware_powercycle(
        hostname, yes_i_really_mean_it=yes_i_really_mean_it))))


@hardware.command('shutdown')
@click.argument('hostname', shell_complete=complete_hosts)
@flag('--force', help='Power off at once instead of a graceful shutdown')
@flag('--yes-i-really-mean-it', help='Confirm the shutdown')
@click.pass_context
def shutdown(ctx: click.Context, hostname: str, force: bool, yes_i_really_mean_it: bool) -> None:
    """Shut a host down through its BMC."""
    emit(result_str(call(orch_of(ctx).hardware_shutdown(
        hostname, force=force, yes_i_really_mean_it=yes_i_really_mean_it))))
