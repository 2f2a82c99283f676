"""`orch update service <service_type> <image>`: the image of a non-Ceph service."""
from __future__ import annotations

import click

from ceph_orch_cli.commands._common import (ceph_commands, call, emit, orch_of, progress,
                                            result_str)
from ceph_orch_cli.commands._common import complete_apply_types


@click.group('update')
def update() -> None:
    """Update the image of a non-Ceph service."""


ceph_commands(update)


@update.command('service')
@click.argument('service_type', shell_complete=complete_apply_types)
@click.argument('image')
@click.pass_context
def service(ctx: click.Context, service_type: str, image: str) -> None:
    """Update image for non-ceph image daemon (prometheus, grafana, ...)."""
    orch = orch_of(ctx)
    method = getattr(orch, 'update_service', None)
    if method is None:
        raise NotImplementedError('update_service')
    with progress(ctx):
        emit(result_str(call(method(service_type, image))))
