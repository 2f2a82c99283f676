"""How a command gets its backend, and the Click plumbing every command group shares.

`OrchContext` (the object behind ``ctx.obj``: state dir, backend name, the backend built on
first use), the ``--format`` choices, Ceph's two option spellings (`dual`) and `DefaultGroup`.
They live here, below the root group in `cli.py`, so that command modules import downwards
only: `cli` imports this module, never the other way round.

Import-light (click and the stdlib): `orch --help` loads it with the root group.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Optional, Tuple

import click

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.orchestrator import Orchestrator

FORMAT_CHOICES = ('plain', 'json', 'json-pretty', 'yaml', 'xml', 'xml-pretty')


def dual(name: str) -> Tuple[str, ...]:
    """Both spellings Ceph accepts for an option: ``--service-name`` and ``--service_name``."""
    body = name.lstrip('-')
    prefix = name[:len(name) - len(body)]
    dashed = prefix + body.replace('_', '-')
    under = prefix + body.replace('-', '_')
    if dashed == under:
        return (dashed,)
    return (dashed, under)


class DefaultGroup(click.Group):
    """A group that runs ``default_command`` when the first word is not one of its subcommands.

    Ceph has both `orch apply <service_type> ...` and `orch apply osd ...`, and both
    `orch osd rm <ids>` and `orch osd rm status`; this lets one word do both jobs.
    """

    def __init__(self, *args: Any, default_command: str = '', **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_command = default_command

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        if not args or args[0] not in self.commands:
            if not (args and args[0] in ('--help', '-h') and len(args) == 1):
                args = [self.default_command] + list(args)
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        default = self.commands.get(self.default_command)
        if default is not None:
            pieces = default.collect_usage_pieces(ctx)
            formatter.write_usage(ctx.command_path, ' '.join(pieces))
            names = [n for n in self.commands if n != self.default_command]
            formatter.write_usage(ctx.command_path, f"{'|'.join(names)} ...", prefix='   or: ')
        else:
            super().format_usage(ctx, formatter)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        default = self.commands.get(self.default_command)
        if default is not None:
            default.format_options(ctx, formatter)
        self.format_commands(ctx, formatter)


# --------------------------------------------------------------------------- the state and backend

def default_state_dir() -> Path:
    """Where the state lives when neither --state-dir nor ORCH_STATE_DIR says."""
    xdg = os.environ.get('XDG_STATE_HOME') or os.path.join(os.path.expanduser('~'), '.local',
                                                           'state')
    return Path(xdg) / 'ceph-orch'


class OrchContext:
    """What every command needs: where the state lives and which backend to talk to.

    The backend is built on first use, so `--help`, usage errors and `set backend` never open
    the store.
    """

    def __init__(self, state_dir: Optional[Path], backend_option: Optional[str], debug: bool,
                 state_dir_problem: str = '') -> None:
        self._state_dir = state_dir
        self._state_dir_problem = state_dir_problem
        self.backend_option = backend_option
        self.debug = debug
        self._orch: Optional['Orchestrator'] = None

    @property
    def state_dir(self) -> Path:
        """Checked on use, so `--help` works whatever the environment says."""
        if self._state_dir is None:
            raise click.ClickException(self._state_dir_problem)
        return self._state_dir

    def backend_name(self) -> str:
        """--backend, else ORCH_BACKEND, else the one saved by `orch set backend`, else local.

        A saved empty name means "unset": NoOrchestrator.
        """
        if self.backend_option is not None:
            name = self.backend_option
        elif os.environ.get('ORCH_BACKEND') is not None:
            name = os.environ['ORCH_BACKEND']
        else:
            from ceph_orch_cli.backends import saved_backend
            saved = saved_backend(self.state_dir)
            name = 'local' if saved is None else saved
        if not name:
            from ceph_orch_cli.orchestrator.errors import NoOrchestrator
            raise NoOrchestrator()
        return name

    @property
    def orch(self) -> 'Orchestrator':
        """The backend, built on first use (the one place a command's backend is loaded)."""
        if self._orch is None:
            from ceph_orch_cli.backends import load_backend
            _ensure_state_dir(self.state_dir)
            self._orch = load_backend(self.backend_name(), self.state_dir)
        return self._orch


def _ensure_state_dir(path: Path) -> None:
    """Create the state directory (0700), or say plainly why it cannot be used."""
    from ceph_orch_cli.cluster.state_dir import prepare
    prepare(path)
