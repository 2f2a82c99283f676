"""`orch device ...`: list and zap storage devices, and drive their ident/fault lights."""
from __future__ import annotations

import errno
import json
from typing import Any, Dict, List, Optional, Set, Tuple

import click

from ceph_orch_cli.commands._common import (ceph_commands, call, complete_hosts, emit, flag,
                                            format_option, orch_of, progress, result_str)
from ceph_orch_cli.commands._common import complete_device_paths

#: where the lit lights are remembered (Ceph keeps them in the module store under this key)
LIGHTS_SETTING = 'active_devices'

_DISPLAY = {'Unsupported': 'N/A', 'N/A': 'N/A', 'On': 'On', 'Off': 'Off', True: 'Yes',
            False: 'No'}


@click.group()
def device() -> None:
    """List, zap and light storage devices."""


ceph_commands(device)


@device.command('ls')
@click.argument('hostname', nargs=-1, shell_complete=complete_hosts)
@format_option
@flag('--refresh', help='Read the inventory afresh from the hosts')
@flag('--wide', help='Show transport, rpm, health and lights too')
@flag('--summary', help='One row per host and device type: counts and capacity')
@click.pass_context
def ls(ctx: click.Context, hostname: Tuple[str, ...], fmt: str, refresh: bool,
       wide: bool, summary: bool) -> None:
    """List devices on a host."""
    from ceph_orch_cli import output
    from ceph_orch_cli.orchestrator import InventoryFilter

    nf = InventoryFilter(hosts=list(hostname)) if hostname else None
    inv_hosts = call(orch_of(ctx).get_inventory(host_filter=nf, refresh=refresh))
    if summary:
        _summary(inv_hosts, fmt)
        return
    if fmt != 'plain':
        emit(output.to_format(inv_hosts, fmt, many=True).rstrip('\n'))
        return
    if wide:
        columns = ['HOST', 'PATH', 'TYPE', 'TRANSPORT', 'RPM', 'DEVICE ID', 'SIZE', 'HEALTH',
                   'IDENT', 'FAULT', 'AVAILABLE', 'REFRESHED', 'REJECT REASONS']
    else:
        columns = ['HOST', 'PATH', 'TYPE', 'DEVICE ID', 'SIZE', 'AVAILABLE', 'REFRESHED',
                   'REJECT REASONS']
    table = output.Table(columns, align={'SIZE': 'r'})
    now = output.datetime_now()
    for h in output.natsorted(inv_hosts, key=lambda h: h.name):
        for d in sorted(h.devices.devices, key=lambda d: d.path):
            lsm = d.lsm_data or {}
            led_ident, led_fail = 'N/A', 'N/A'
            if lsm.get('ledSupport'):
                led_ident = lsm['ledSupport'].get('IDENTstatus', 'N/A')
                led_fail = lsm['ledSupport'].get('FAILstatus', 'N/A')
            size = output.format_bytes(int((d.sys_api or {}).get('size', 0) or 0), 5)
            common_tail = [_DISPLAY.get(d.available, str(d.available)),
                           output.nice_delta(now, d.created, ' ago'),
                           ', '.join(d.rejected_reasons or [])]
            if wide:
                row = [h.name, d.path, d.human_readable_type, lsm.get('transport', ''),
                       lsm.get('rpm', ''), d.device_id, size, lsm.get('health', ''),
                       _DISPLAY.get(led_ident, 'N/A'), _DISPLAY.get(led_fail, 'N/A')]
            else:
                row = [h.name, d.path, d.human_readable_type, d.device_id, size]
            table.add_row(row + common_tail)
    emit(table.get_string())


def _summary(inv_hosts: List[Any], fmt: str) -> None:
    """`orch device ls --summary`: per host and device type, how many devices, how many are
    available, and their total and available capacity."""
    from ceph_orch_cli import output
    rows: List[Dict[str, Any]] = []
    for h in output.natsorted(inv_hosts, key=lambda h: h.name):
        by_type: Dict[str, Dict[str, Any]] = {}
        for d in h.devices.devices:
            size = int((d.sys_api or {}).get('size', 0) or 0)
            row = by_type.setdefault(d.human_readable_type, {
                'hostname': h.name, 'type': d.human_readable_type, 'devices': 0,
                'available': 0, 'size': 0, 'available_size': 0})
            row['devices'] += 1
            row['size'] += size
            if d.available:
                row['available'] += 1
                row['available_size'] += size
        rows.extend(by_type[t] for t in sorted(by_type))
    if fmt != 'plain':
        emit(output.to_format(rows, fmt, many=True).rstrip('\n'))
        return
    table = output.Table(['HOST', 'TYPE', 'DEVICES', 'AVAILABLE', 'SIZE', 'AVAILABLE SIZE'],
                         align={'DEVICES': 'r', 'AVAILABLE': 'r', 'SIZE': 'r',
                                'AVAILABLE SIZE': 'r'})
    for r in rows:
        table.add_row((r['hostname'], r['type'], str(r['devices']), str(r['available']),
                       output.format_bytes(r['size'], 5),
                       output.format_bytes(r['available_size'], 5)))
    emit(table.get_string())


@device.command('zap')
@click.argument('hostname', shell_complete=complete_hosts)
@click.argument('path', shell_complete=complete_device_paths)
@flag('--force', help='Really erase the device')
@click.pass_context
def zap(ctx: click.Context, hostname: str, path: str, force: bool) -> None:
    """Zap (erase!) a device so it can be re-used."""
    from ceph_orch_cli.orchestrator.errors import OrchestratorError
    if not force:
        raise OrchestratorError('must pass --force to PERMANENTLY ERASE DEVICE DATA')
    orch = orch_of(ctx)
    with progress(ctx):
        emit(result_str(call(orch.zap_device(hostname, path))))


# --------------------------------------------------------------------------- lights

def _load_lights(orch: Any) -> Dict[str, Set[str]]:
    raw = orch.get_backend_setting(LIGHTS_SETTING)
    decoded = json.loads(raw) if isinstance(raw, str) else (raw or {})
    return {'ident': set(decoded.get('ident', [])), 'fault': set(decoded.get('fault', []))}


def _save_lights(orch: Any, lights: Dict[str, Set[str]]) -> None:
    orch.set_backend_setting(LIGHTS_SETTING, {k: sorted(v) for k, v in lights.items()})


def _locations(orch: Any, devid: str) -> List[Any]:
    """Where a device id lives, from the inventory (``host:path`` is accepted as well)."""
    from ceph_orch_cli.orchestrator import DeviceLightLoc
    want_host: Optional[str] = None
    want_path: Optional[str] = None
    if ':' in devid:
        want_host, want_path = devid.split(':', 1)
    locs = []
    for h in call(orch.get_inventory()):
        for d in h.devices.devices:
            if d.device_id == devid or (h.name == want_host and d.path == want_path):
                dev = d.path.rsplit('/', 1)[-1]
                locs.append(DeviceLightLoc(h.name, dev, d.path))
    return locs


@device.command('light')
@click.argument('enable', type=click.Choice(['on', 'off']))
@click.argument('devid')
@click.argument('light_type', type=click.Choice(['ident', 'fault']), default='ident',
                required=False)
@flag('--force', help='Forget the light even if switching it off fails')
@click.pass_context
def light(ctx: click.Context, enable: str, devid: str, light_type: str, force: bool) -> None:
    """Enable or disable the device light. Default type is `ident`."""
    from ceph_orch_cli.orchestrator.errors import OrchestratorError
    orch = orch_of(ctx)
    locs = _locations(orch, devid)
    if not locs:
        raise OrchestratorError(f'device {devid} not found', errno=-errno.ENOENT)
    lights = _load_lights(orch)
    if enable == 'on':
        lights[light_type].add(devid)
        _save_lights(orch, lights)
        emit(str(call(orch.blink_device_light(light_type, True, locs))))
        return
    try:
        result = call(orch.blink_device_light(light_type, False, locs))
    except OrchestratorError:
        if force and devid in lights[light_type]:
            lights[light_type].discard(devid)
            _save_lights(orch, lights)
        raise
    if devid in lights[light_type]:
        lights[light_type].discard(devid)
        _save_lights(orch, lights)
    emit(str(result))


@device.command('ls-lights')
@click.pass_context
def ls_lights(ctx: click.Context) -> None:
    """List currently active device indicator lights."""
    lights = _load_lights(orch_of(ctx))
    emit(json.dumps({k: sorted(v) for k, v in lights.items()}, indent=4, sort_keys=True))



@device.command('replace')
@click.argument('hostname', shell_complete=complete_hosts)
@click.argument('device_path', metavar='DEVICE', shell_complete=complete_device_paths)
@flag('--clear', help='Clear the "being replaced" mark once the new disk is in')
@flag('--yes-i-really-mean-it', help='Replace a device shared by several OSDs')
@click.pass_context
def replace(ctx: click.Context, hostname: str, device_path: str, clear: bool,
            yes_i_really_mean_it: bool) -> None:
    """Perform the replacement of a device: destroy its OSDs (keeping their ids) and mark
    it as being replaced."""
    emit(result_str(call(orch_of(ctx).replace_device(
        hostname, device_path, clear=clear, yes_i_really_mean_it=yes_i_really_mean_it))))
