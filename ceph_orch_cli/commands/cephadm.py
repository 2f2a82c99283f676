"""`orch cephadm ...`: settings of the host-based (cephadm-like) backend.

So far the daemon runtime: `container` runs what cephadm's ``podman run`` runs; `package`
runs the distribution's Ceph binaries as supervised processes.
"""
from __future__ import annotations

import click

from ceph_orch_cli.commands._common import CephCommand, app_of, ceph_commands, emit, orch_of


def _backend(ctx: click.Context, method: str):
    orch = orch_of(ctx)
    if not hasattr(orch, method):
        from ceph_orch_cli.orchestrator.errors import OrchestratorError
        raise OrchestratorError(
            f"the {app_of(ctx).backend_name()} backend has no daemon runtime to set "
            "(use --backend ssh)", errno=-95)
    return getattr(orch, method)


@click.group('cephadm')
def cephadm() -> None:
    """Settings of the cephadm-like backend (runtime)."""


ceph_commands(cephadm)


@cephadm.command('set-runtime', cls=CephCommand)
@click.argument('runtime', type=click.Choice(['container', 'package']))
@click.pass_context
def set_runtime(ctx: click.Context, runtime: str) -> None:
    """How hosts run daemons: container (podman/docker) or package (Ceph's packages)."""
    emit(_backend(ctx, 'set_runtime')(runtime))


@cephadm.command('get-runtime', cls=CephCommand)
@click.pass_context
def get_runtime(ctx: click.Context) -> None:
    """Show the daemon runtime."""
    emit(_backend(ctx, 'runtime')())
