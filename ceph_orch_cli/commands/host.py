"""`orch host ...`: add, remove, list, label, drain and maintain hosts."""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Tuple

import click

from ceph_orch_cli.commands._common import (ceph_commands, call, complete_hosts, emit, flag,
                                            format_option, option, orch_of, progress, result_str)
from ceph_orch_cli.commands._common import complete_labels
from ceph_orch_cli.commands.context import DefaultGroup


@click.group()
def host() -> None:
    """Add, remove, label, drain and list hosts."""


ceph_commands(host)


def _unwrap_ipv6(addr: str) -> str:
    if addr.startswith('[') and addr.endswith(']'):
        return addr[1:-1]
    return addr


@host.command('add')
@click.argument('hostname', shell_complete=complete_hosts)
@click.argument('addr', required=False)
@click.argument('labels', nargs=-1, shell_complete=complete_labels)
@option('--labels', 'labels_opt', multiple=True, help='Labels, comma separated')
@flag('--maintenance', help='Add the host in maintenance mode')
@click.pass_context
def add(ctx: click.Context, hostname: str, addr: Optional[str], labels: Tuple[str, ...],
        labels_opt: Tuple[str, ...], maintenance: bool) -> None:
    """Add a host."""
    from ceph_orch_cli.deployment.hostspec import HostSpec
    all_labels: List[str] = list(labels) + list(labels_opt)
    # one word may carry several labels: --labels=a,b
    if len(all_labels) == 1:
        all_labels = [x for x in all_labels[0].split(',') if x]
    spec = HostSpec(hostname=hostname, addr=_unwrap_ipv6(addr) if addr else None,
                    labels=all_labels or None, status='maintenance' if maintenance else '')
    orch = orch_of(ctx)
    with progress(ctx):
        emit(result_str(call(orch.apply([spec], no_overwrite=False))))


@host.command('rm')
@click.argument('hostname', shell_complete=complete_hosts)
@flag('--force', help='Remove even if daemons remain')
@flag('--offline', help='Remove a host that is offline')
@flag('--rm-crush-entry', help='Also remove the host from the CRUSH map')
@click.pass_context
def rm(ctx: click.Context, hostname: str, force: bool, offline: bool,
       rm_crush_entry: bool) -> None:
    """Remove a host."""
    orch = orch_of(ctx)
    with progress(ctx):
        emit(result_str(call(orch.remove_host(hostname, force=force, offline=offline,
                                              rm_crush_entry=rm_crush_entry))))


@host.group('drain', cls=DefaultGroup, default_command='start')
def drain() -> None:
    """Drain all daemons from a host (or `stop` draining it)."""


ceph_commands(drain)


@drain.command('start', hidden=True)
@click.argument('hostname', shell_complete=complete_hosts)
@flag('--force', help='Drain even if it leaves services below their count')
@flag('--keep-conf-keyring', help='Keep ceph.conf and the keyring on the host')
@flag('--zap-osd-devices', help='Zap the OSD devices once their OSDs are removed')
@click.pass_context
def drain_start(ctx: click.Context, hostname: str, force: bool, keep_conf_keyring: bool,
                zap_osd_devices: bool) -> None:
    """Drain all daemons from a host."""
    orch = orch_of(ctx)
    with progress(ctx):
        emit(result_str(call(orch.drain_host(hostname, force=force,
                                             keep_conf_keyring=keep_conf_keyring,
                                             zap_osd_devices=zap_osd_devices))))


@drain.command('stop')
@click.argument('hostname', shell_complete=complete_hosts)
@click.pass_context
def drain_stop(ctx: click.Context, hostname: str) -> None:
    """Stop draining a host: its labels go and its queued OSD removals are cancelled."""
    emit(result_str(call(orch_of(ctx).stop_drain_host(hostname))))


@host.command('set-addr')
@click.argument('hostname', shell_complete=complete_hosts)
@click.argument('addr')
@click.pass_context
def set_addr(ctx: click.Context, hostname: str, addr: str) -> None:
    """Update a host address."""
    emit(result_str(call(orch_of(ctx).update_host_addr(hostname, _unwrap_ipv6(addr)))))


# --------------------------------------------------------------------------- host ls

def _detail_row(facts: Dict[str, Any]) -> Dict[str, Any]:
    """The VENDOR/MODEL, CPU, RAM, HDD, SSD and NIC cells Ceph's HostDetails derives."""
    row: Dict[str, Any] = {'server': 'N/A', 'cpu_summary': 'N/A', 'ram': 'N/A',
                           'hdd_summary': 'N/A', 'ssd_summary': 'N/A', 'nic_count': 'N/A',
                           'os': 'N/A'}
    if not facts:
        return row
    vendor, model = facts.get('vendor'), facts.get('model')
    if vendor is not None or model is not None:
        row['server'] = f"{vendor or ''} {model or ''}".strip() or 'N/A'
    cores, count, threads = facts.get('cpu_cores'), facts.get('cpu_count'), facts.get('cpu_threads')
    if cores is not None and count is not None and threads is not None:
        total = int(cores) * int(count)
        row['cpu_summary'] = f'{total}C/{int(threads) * total}T'
    mem_kb = facts.get('memory_total_kb')
    if mem_kb is not None:
        mem = int(mem_kb) * 1024
        gib = 1024 ** 3
        if mem > gib:
            row['ram'] = f'{math.ceil(mem / gib)} GiB'
        else:
            row['ram'] = f'{math.ceil(mem / 1024 ** 2)} MiB'
    for key, prefix in (('hdd_summary', 'hdd'), ('ssd_summary', 'flash')):
        n = facts.get(f'{prefix}_count')
        if n is not None:
            row[key] = '-' if int(n) == 0 else f"{n}/{facts.get(f'{prefix}_capacity', 'N/A')}"
    if facts.get('nic_count') is not None:
        row['nic_count'] = facts['nic_count']
    if facts.get('operating_system') is not None:
        row['os'] = facts['operating_system']
    return row


class HostDetails:
    """A host with its hardware summary, serialized flat as Ceph's HostDetails is."""

    #: the summary keys, in the order Ceph's HostDetails sets them
    SUMMARY_KEYS = ('hdd_summary', 'ram', 'cpu_summary', 'server', 'os', 'ssd_summary',
                    'nic_count')

    def __init__(self, host: Any, summary: Dict[str, Any]) -> None:
        self.host = host
        self.summary = summary

    def to_json(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {k: self.summary.get(k, 'N/A') for k in self.SUMMARY_KEYS}
        out['service_type'] = 'host'
        out.update(self.host.to_json())
        return out


@host.command('ls')
@format_option
@option('--host-pattern', 'host_pattern', default='', help='Only hosts matching this glob')
@option('--label', default='', help='Only hosts with this label')
@option('--host-status', 'host_status', default='', help='Only hosts with this status')
@flag('--detail', help='Show hardware details')
@click.pass_context
def ls(ctx: click.Context, fmt: str, host_pattern: str, label: str, host_status: str,
       detail: bool) -> None:
    """List hosts."""
    from ceph_orch_cli import output
    from ceph_orch_cli.deployment.service_spec import PlacementSpec

    orch = orch_of(ctx)
    hosts = call(orch.get_hosts())
    matching = PlacementSpec(host_pattern=host_pattern or None,
                             label=label or None).filter_matching_hostspecs(hosts)
    hosts = [h for h in hosts if h.hostname in matching]
    if host_status:
        hosts = [h for h in hosts if (h.status or '').lower() == host_status]

    details: Dict[str, Dict[str, Any]] = {}
    if detail:
        for h in hosts:
            facts_list = call(orch.get_facts(h.hostname))
            details[h.hostname] = _detail_row(facts_list[0] if facts_list else {})

    if fmt != 'plain':
        if detail:
            data = [HostDetails(h, details[h.hostname]) for h in hosts]
            emit(output.to_format(data, fmt, many=True))
        else:
            emit(output.to_format(hosts, fmt, many=True))
        return

    columns = ['HOST', 'ADDR', 'LABELS', 'STATUS']
    if detail:
        columns += ['VENDOR/MODEL', 'CPU', 'RAM', 'HDD', 'SSD', 'NIC']
    table = output.Table(columns)
    for h in output.natsorted(hosts, key=lambda h: h.hostname):
        row = [h.hostname, h.addr or h.hostname, ','.join(h.labels), (h.status or '').capitalize()]
        if detail:
            d = details[h.hostname]
            row += [d['server'], d['cpu_summary'], d['ram'], d['hdd_summary'], d['ssd_summary'],
                    d['nic_count']]
        table.add_row(row)
    text = table.get_string() + f'\n{len(hosts)} hosts in cluster'
    if label:
        text += f' who had label {label}'
    if host_pattern:
        text += f' whose hostname matched {host_pattern}'
    if host_status:
        text += f' with status {host_status}'
    emit(text)


# --------------------------------------------------------------------------- labels

@host.group('label')
def label() -> None:
    """Add or remove host labels."""


ceph_commands(label)


@label.command('add')
@click.argument('hostname', shell_complete=complete_hosts)
@click.argument('label', shell_complete=complete_labels)
@click.pass_context
def label_add(ctx: click.Context, hostname: str, label: str) -> None:
    """Add a host label."""
    emit(result_str(call(orch_of(ctx).add_host_label(hostname, label))))


@label.command('rm')
@click.argument('hostname', shell_complete=complete_hosts)
@click.argument('label', shell_complete=complete_labels)
@flag('--force', help="Remove even the last host's _admin label")
@click.pass_context
def label_rm(ctx: click.Context, hostname: str, label: str, force: bool) -> None:
    """Remove a host label."""
    emit(result_str(call(orch_of(ctx).remove_host_label(hostname, label, force))))


@host.command('ok-to-stop')
@click.argument('hostname', shell_complete=complete_hosts)
@click.pass_context
def ok_to_stop(ctx: click.Context, hostname: str) -> None:
    """Check if the specified host can be safely stopped without reducing availability."""
    emit(result_str(call(orch_of(ctx).host_ok_to_stop(hostname))))


# --------------------------------------------------------------------------- maintenance

@host.group('maintenance')
def maintenance() -> None:
    """Move hosts in and out of maintenance mode."""


ceph_commands(maintenance)


@maintenance.command('enter')
@click.argument('hostname', shell_complete=complete_hosts)
@flag('--force', help='Enter even if it is not safe to stop the daemons')
@flag('--yes-i-really-mean-it', help='Confirm --force')
@click.pass_context
def maintenance_enter(ctx: click.Context, hostname: str, force: bool,
                      yes_i_really_mean_it: bool) -> None:
    """Prepare a host for maintenance by shutting down and disabling all Ceph daemons."""
    orch = orch_of(ctx)
    with progress(ctx):
        emit(result_str(call(orch.enter_host_maintenance(
            hostname, force=force, yes_i_really_mean_it=yes_i_really_mean_it))))


@maintenance.command('exit')
@click.argument('hostname', shell_complete=complete_hosts)
@flag('--force', help='Exit even if the host cannot be checked')
@flag('--offline', help='The host is offline: only clear the maintenance flag')
@click.pass_context
def maintenance_exit(ctx: click.Context, hostname: str, force: bool, offline: bool) -> None:
    """Return a host from maintenance, restarting all Ceph daemons."""
    orch = orch_of(ctx)
    kwargs: Dict[str, bool] = {}
    if force:
        kwargs['force'] = True
    if offline:
        kwargs['offline'] = True
    with progress(ctx):
        emit(result_str(call(orch.exit_host_maintenance(hostname, **kwargs))))


@host.command('rescan')
@click.argument('hostname', shell_complete=complete_hosts)
@flag('--with-summary', help='Show the whole rescan summary')
@click.pass_context
def rescan(ctx: click.Context, hostname: str, with_summary: bool) -> None:
    """Perform a disk rescan on a host."""
    text = result_str(call(orch_of(ctx).rescan_host(hostname)))
    emit(text if with_summary else text.split('.')[0])
