"""`orch bootstrap`: create a Ceph cluster on its first host (``cephadm bootstrap``).

Thin: the SSH backend's ``bootstrap`` does the work; this parses the options and prints what
cephadm prints at the end (the fsid, where the admin config went, the next steps).
"""
from __future__ import annotations

from typing import Optional

import click

from ceph_orch_cli.commands._common import (CephCommand, app_of, emit, flag, format_option,
                                            option, orch_of, read_inbuf)


def _bootstrapper(ctx: click.Context):
    orch = orch_of(ctx)
    if not hasattr(orch, 'bootstrap'):
        from ceph_orch_cli.orchestrator.errors import OrchestratorError
        raise OrchestratorError(
            f"the {app_of(ctx).backend_name()} backend cannot bootstrap a cluster "
            "(use --backend ssh)", errno=-95)
    return orch


@click.command('bootstrap', cls=CephCommand)
@click.argument('hostname')
@option('--mon-ip', 'mon_ip', required=True, help='The first monitor\'s IP address')
@option('--fsid', 'fsid', default=None, help='The cluster\'s fsid (default: a new UUID)')
@option('--image', 'image', default=None,
        help='Image (container runtime) or binary root (package runtime: deb:system)')
@click.option('--config', '-c', 'config', default=None,
              help='An initial ceph.conf, assimilated into the cluster\'s config database')
@flag('--skip-monitoring-stack', help='Do not deploy prometheus, grafana, alertmanager, node-exporter')
@flag('--single-host-defaults', help='Defaults for a single-host cluster (pool size 2, OSD failure domain)')
@format_option
@click.pass_context
def bootstrap(ctx: click.Context, hostname: str, mon_ip: str, fsid: Optional[str],
              image: Optional[str], config: Optional[str], skip_monitoring_stack: bool,
              single_host_defaults: bool, fmt: str) -> None:
    """Bootstrap a cluster on HOSTNAME: first mon and mgr, admin keyring, default services."""
    from ceph_orch_cli import output
    initial = read_inbuf(config) if config else ''
    result = _bootstrapper(ctx).bootstrap(
        hostname, mon_ip, fsid=fsid, image=image, initial_config=initial or '',
        skip_monitoring_stack=skip_monitoring_stack, single_host_defaults=single_host_defaults)
    if fmt != 'plain':
        emit(output.to_format(result, fmt, many=False).rstrip('\n'))
        return
    lines = [f"Cluster fsid: {result['fsid']}",
             f"Mon {result['mon']} and mgr {result['mgr']} are running on {result['host']} "
             f"({result['runtime']} runtime, image {result['image']}).",
             f"Wrote /etc/ceph/ceph.conf and /etc/ceph/ceph.client.admin.keyring on {result['host']}.",
             *result.get('notes', []),
             '',
             'You can access the Ceph CLI on that host with:',
             '',
             f"\tssh {result['host']} ceph -s",
             '',
             'Add the other hosts and storage with:',
             '',
             '\torch host add <host> [<addr>] [--labels _admin]',
             '\torch apply osd --all-available-devices',
             '',
             'Bootstrap complete.']
    emit('\n'.join(lines))
