"""`orch cephadm ...`: settings of the host-based (cephadm-like) backend.

The daemon runtime: `container` runs what cephadm's ``podman run`` runs; `package`
runs the distribution's Ceph binaries as supervised processes. The cluster's own state
(`attach`, `export-state`, `import-state`): see ``backends/ssh/shared_state.py``.
"""
from __future__ import annotations

from typing import Optional

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


# -- the cluster's own state: attach, export-state, import-state --------------------------------
def _state_backend(ctx: click.Context, method: str):
    orch = orch_of(ctx)
    if not hasattr(orch, method):
        from ceph_orch_cli.orchestrator.errors import OrchestratorError
        raise OrchestratorError(
            f"the {app_of(ctx).backend_name()} backend keeps its state in its state dir, not in "
            "a cluster (use --backend ssh)", errno=-95)
    return getattr(orch, method)


@cephadm.command('attach', cls=CephCommand)
@click.argument('hostname')
@click.argument('addr', required=False)
@click.pass_context
def attach(ctx: click.Context, hostname: str, addr: Optional[str]) -> None:
    """Cache the state of the cluster reached through HOST (an _admin host) in this state dir."""
    emit(_state_backend(ctx, 'attach_cluster')(hostname, addr))


@cephadm.command('export-state', cls=CephCommand)
@click.option('-o', '--output', 'output', default=None, help='Write to FILE (mode 0600)')
@click.pass_context
def export_state(ctx: click.Context, output: Optional[str]) -> None:
    """Print (or write) the whole orch state of the cluster as JSON, for backup."""
    import os
    text = _state_backend(ctx, 'export_state')()
    if output is None:
        emit(text)
        return
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(text + '\n')
    emit(f"Wrote the state to {output}")


@cephadm.command('import-state', cls=CephCommand)
@click.option('-i', '--in-file', 'in_file', required=True, help='An export-state file (- for stdin)')
@click.pass_context
def import_state(ctx: click.Context, in_file: str) -> None:
    """Replace the orch state with an export-state file."""
    from ceph_orch_cli.commands._common import read_inbuf
    emit(_state_backend(ctx, 'import_state')(read_inbuf(in_file) or ''))
