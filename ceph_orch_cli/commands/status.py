"""Orchestrator utilities: `orch status`, `orch set backend`, `orch pause|resume|cancel` and
`orch serve`, the reconcile loop."""
from __future__ import annotations

import gc
import json
import time
from typing import Any, Dict, Optional

import click

from ceph_orch_cli.commands._common import (CephCommand, ceph_commands, app_of, call, emit, flag,
                                            format_option, orch_of)
from ceph_orch_cli.commands._common import complete_backends


@click.command('status', cls=CephCommand)
@flag('--detail', help='Also show the host parallelism')
@format_option
@click.pass_context
def status(ctx: click.Context, detail: bool, fmt: str) -> None:
    """Report configured backend and its status."""
    from ceph_orch_cli import output

    name = app_of(ctx).backend_name()
    avail, why, details = orch_of(ctx).available()
    result: Dict[str, Any] = {'available': avail, 'backend': name}
    if avail:
        result.update(details or {})
    else:
        result['reason'] = why
    if fmt != 'plain':
        emit(output.to_format(result, fmt, many=False).rstrip('\n'))
        return
    text = f"Backend: {result['backend']}"
    text += f"\nAvailable: {'Yes' if result['available'] else 'No'}"
    if 'reason' in result:
        text += f" ({result['reason']})"
    if 'runtime' in result:
        text += f"\nRuntime: {result['runtime']}"
    if 'fsid' in result:
        text += f"\nCluster fsid: {result['fsid']}"
    if 'paused' in result:
        text += f"\nPaused: {'Yes' if result['paused'] else 'No'}"
    if 'workers' in result and detail:
        text += f"\nHost Parallelism: {result['workers']}"
    if result.get('health_checks'):
        checks = result['health_checks']
        worst = 'ERR' if any(c.get('severity') == 'error' for c in checks.values()) else 'WARN'
        text += f"\nHealth: HEALTH_{worst}\n" + health_lines(checks)
    emit(text)


def health_lines(checks: Dict[str, Any]) -> str:
    """Raised health checks as `ceph health detail` shows them."""
    lines = []
    for name, check in sorted(checks.items()):
        level = 'ERR' if check.get('severity') == 'error' else 'WRN'
        lines.append(f"[{level}] {name}: {check['summary']}")
        lines.extend(f"    {d}" for d in check.get('detail') or [])
    return "\n".join(lines)


@click.group('set')
def set_group() -> None:
    """Select orchestrator backend."""


ceph_commands(set_group)


@set_group.command('backend')
@click.argument('module_name', required=False, default='', shell_complete=complete_backends)
@click.pass_context
def set_backend(ctx: click.Context, module_name: str) -> None:
    """Select orchestrator module backend ('' unsets it)."""
    from ceph_orch_cli.backends import KNOWN_BACKENDS, save_backend
    from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError
    app = app_of(ctx)
    if module_name and module_name not in KNOWN_BACKENDS:
        raise OrchestratorValidationError(f"Module '{module_name}' not found")
    from ceph_orch_cli.cluster.state_dir import prepare
    prepare(app.state_dir)
    save_backend(app.state_dir, module_name)


@click.command('pause', cls=CephCommand)
@click.pass_context
def pause(ctx: click.Context) -> None:
    """Pause orchestrator background work."""
    orch_of(ctx).pause()


@click.command('resume', cls=CephCommand)
@click.pass_context
def resume(ctx: click.Context) -> None:
    """Resume orchestrator background work (if paused)."""
    orch_of(ctx).resume()


@click.command('unpause', cls=CephCommand)
@click.pass_context
def unpause(ctx: click.Context) -> None:
    """Alias to orch resume."""
    orch_of(ctx).resume()


@click.command('get-security-config', cls=CephCommand)
@click.pass_context
def get_security_config(ctx: click.Context) -> None:
    """Show whether the monitoring stack is secured (TLS and auth, mgmt-gateway, oauth2-proxy)."""
    emit(json.dumps(call(orch_of(ctx).get_security_config())))


@click.command('cancel', cls=CephCommand)
@click.pass_context
def cancel(ctx: click.Context) -> None:
    """Cancel ongoing background operations."""
    orch_of(ctx).cancel_completions()


def _print_pass(summary: Optional[Dict[str, Any]]) -> None:
    if summary:
        emit(json.dumps(summary, sort_keys=True, default=str))


@click.command('serve', cls=CephCommand)
@flag('--once', help='Run one reconcile pass and exit')
@click.option('--interval', type=click.FloatRange(min=0), default=60.0, show_default=True,
              help='Seconds between passes')
@click.pass_context
def serve(ctx: click.Context, once: bool, interval: float) -> None:
    """Run the reconcile loop: refresh, converge specs, OSD removal and upgrade steps.

    Each pass that did something prints one JSON line. Ctrl-C stops the loop cleanly.
    """
    from ceph_orch_cli.orchestrator.engine_extras import engine_extras
    engine = engine_extras(orch_of(ctx))
    if once:
        _print_pass(engine.reconcile_pass())
        return
    gc.enable()  # cli.main turns it off for short-lived commands; this one lives on
    try:
        while True:
            _print_pass(engine.reconcile_pass())
            time.sleep(interval)
    except KeyboardInterrupt:
        return
