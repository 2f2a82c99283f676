"""What every command module shares: option spellings, --format, the backend, -i input,
printing and shell completion from the store.

Kept import-light (click and the stdlib) because every command module imports it.
"""
from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Any, Callable, List, Optional, TypeVar

import click

from ceph_orch_cli.cli import FORMAT_CHOICES, OrchContext, dual

F = TypeVar('F', bound=Callable[..., Any])

#: the settings key `orch set backend` writes (Ceph's module option is named the same)
BACKEND_SETTING = 'orchestrator'


def option(name: str, *more: str, **kwargs: Any) -> Callable[[F], F]:
    """A click option that also answers to Ceph's underscore spelling."""
    return click.option(*dual(name), *more, **kwargs)


def flag(name: str, help: str = '') -> Callable[[F], F]:
    return click.option(*dual(name), is_flag=True, default=False, help=help)


def format_option(func: F) -> F:
    return click.option('--format', 'fmt', type=click.Choice(FORMAT_CHOICES),
                        default='plain', show_default=True, help='Output format')(func)


def orch_of(ctx: click.Context) -> Any:
    """The backend (an Orchestrator), built on first use."""
    obj: OrchContext = ctx.find_object(OrchContext)
    return obj.orch


def app_of(ctx: click.Context) -> OrchContext:
    return ctx.find_object(OrchContext)


def call(result: Any) -> Any:
    """`raise_if_exception` for one backend call, tolerating methods that return plain values."""
    from ceph_orch_cli.orchestrator import OrchResult, raise_if_exception
    if isinstance(result, OrchResult):
        return raise_if_exception(result)
    return result


def result_str(value: Any) -> str:
    """Ceph's ``OrchResult.result_str``: a list one item a line, None as nothing."""
    if value is None:
        return ''
    if isinstance(value, (list, tuple)):
        return '\n'.join(str(x) for x in value)
    return str(value)


def emit(text: str) -> None:
    """Print a command's stdout; an empty answer prints nothing (as `ceph` does)."""
    if text:
        click.echo(text)


def read_inbuf(path: Optional[str]) -> Optional[str]:
    """The text of ``-i FILE`` (``-i -`` reads stdin)."""
    if path is None:
        return None
    if path == '-':
        return sys.stdin.read()
    try:
        return Path(path).read_text()
    except OSError as e:
        from ceph_orch_cli.orchestrator.errors import OrchestratorError
        import errno
        raise OrchestratorError(f"can't open input file {path}: {e.strerror}",
                                errno=-(e.errno or errno.EIO))


def progress(ctx: click.Context, fmt: str = 'plain') -> Any:
    """A progress bar context for a converging command (terminal only)."""
    from ceph_orch_cli import output
    return output.progress(orch_of(ctx), fmt)


# --------------------------------------------------------------------------- saved backend

def _db_path(state_dir: Path) -> Path:
    return Path(state_dir) / 'orch.db'


def read_saved_backend(state_dir: Path) -> Optional[str]:
    """The name saved by `orch set backend`; None when nothing was saved.

    Opened only when the database exists, so a fresh state dir is not created by reading.
    """
    if not _db_path(state_dir).exists():
        return None
    from ceph_orch_cli.cluster.store import Store
    store = Store(Path(state_dir))
    try:
        value = store.get_setting(BACKEND_SETTING)
    finally:
        store.close()
    return None if value is None else str(value)


def write_saved_backend(state_dir: Path, name: str) -> None:
    from ceph_orch_cli.cluster.store import Store
    store = Store(Path(state_dir))
    try:
        store.set_setting(BACKEND_SETTING, name)
    finally:
        store.close()


# --------------------------------------------------------------------------- completion

def _state_dir_for_completion(ctx: click.Context) -> Path:
    import os
    from ceph_orch_cli.cli import default_state_dir
    root = ctx.find_root()
    given = root.params.get('state_dir') if root is not None else None
    return Path(given or os.environ.get('ORCH_STATE_DIR') or default_state_dir())


def _complete_from(sql: str) -> Callable[[click.Context, click.Parameter, str], List[Any]]:
    """Completion that reads names straight from the store, read-only; any failure gives []."""

    def complete(ctx: click.Context, _param: click.Parameter, incomplete: str) -> List[Any]:
        path = _db_path(_state_dir_for_completion(ctx))
        if not path.exists():
            return []
        try:
            conn = sqlite3.connect(f'file:{path}?mode=ro', uri=True, timeout=0.5)
            try:
                rows = conn.execute(sql).fetchall()
            finally:
                conn.close()
        except sqlite3.Error:
            # completion must never fail a shell: a locked or missing table offers nothing
            return []
        names = sorted({str(r[0]) for r in rows})
        return [n for n in names if n.startswith(incomplete)]

    return complete


complete_hosts = _complete_from('SELECT hostname FROM hosts')
complete_services = _complete_from('SELECT service_name FROM specs WHERE deleted IS NULL')
complete_daemons = _complete_from('SELECT daemon_name FROM daemons')
complete_osd_ids = _complete_from("SELECT daemon_id FROM daemons WHERE daemon_type = 'osd'")
