"""The `orch` root command: global options, lazy command loading and the one error boundary.

`orch --help` must stay fast, so this module imports only click, the stdlib and
`commands/context.py` (the plumbing commands share: `OrchContext`, `dual`, `DefaultGroup`);
each command group lives in `commands/<module>.py` and is imported when it is invoked (or when
help lists it).
Every error that reaches a user is printed the way the `ceph` CLI prints it,
``Error <ENAME>: <message>``, and the exit code is the errno.
"""
from __future__ import annotations

import errno
import gc
import importlib
import importlib.util
import os
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import click

from ceph_orch_cli import __version__
from ceph_orch_cli.commands.context import DefaultGroup, OrchContext, default_state_dir, dual

# name -> "module:attribute" under ceph_orch_cli.commands; imported on first use.
ROOT_COMMANDS: Dict[str, str] = {
    'host': 'host:host',
    'device': 'device:device',
    'apply': 'apply:apply',
    'daemon': 'daemon:daemon',
    'osd': 'osd:osd',
    'upgrade': 'upgrade:upgrade',
    'ls': 'service:ls',
    'ps': 'service:ps',
    'rm': 'service:rm',
    'start': 'service:start',
    'stop': 'service:stop',
    'restart': 'service:restart',
    'redeploy': 'service:redeploy',
    'reconfig': 'service:reconfig',
    'rotate-key': 'service:rotate_key',
    'set-managed': 'service:set_managed',
    'set-unmanaged': 'service:set_unmanaged',
    'status': 'status:status',
    'set': 'status:set_group',
    'pause': 'status:pause',
    'resume': 'status:resume',
    'unpause': 'status:unpause',
    'get-security-config': 'status:get_security_config',
    'update': 'update:update',
    'client-keyring': 'client_keyring:client_keyring',
    'certmgr': 'certmgr:certmgr',
    'cert-store': 'certmgr:cert_store',
    'cancel': 'status:cancel',
    'serve': 'status:serve',
    'tuned-profile': 'tuned_profile:tuned_profile',
    'ssh': 'ssh:ssh',
    'prometheus': 'monitoring:prometheus',
    'alertmanager': 'monitoring:alertmanager',
    'hardware': 'hardware:hardware',
    'sd': 'sd:sd',
    'bootstrap': 'bootstrap:bootstrap',
    'cephadm': 'cephadm:cephadm',
}

# One-line help for `orch --help`, so listing commands does not import them.
ROOT_HELP: Dict[str, str] = {
    'host': 'Add, remove, label, drain and list hosts',
    'device': 'List, zap and light storage devices',
    'apply': 'Update the size or placement for a service or apply a yaml spec',
    'daemon': 'Add, remove and act on single daemons',
    'osd': 'Remove OSDs and follow their removal',
    'upgrade': 'Check, start and follow an upgrade',
    'ls': 'List services known to orchestrator',
    'ps': 'List daemons known to orchestrator',
    'rm': 'Remove a service',
    'start': 'Start an entire service (i.e. all daemons)',
    'stop': 'Stop an entire service (i.e. all daemons)',
    'restart': 'Restart an entire service (i.e. all daemons)',
    'redeploy': 'Redeploy an entire service (i.e. all daemons)',
    'reconfig': 'Reconfig an entire service (i.e. all daemons)',
    'rotate-key': 'Rotate the keys of an entire service (i.e. all daemons)',
    'set-managed': 'Set the service to managed',
    'set-unmanaged': 'Set the service to unmanaged',
    'status': 'Report configured backend and its status',
    'set': 'Select orchestrator backend',
    'pause': 'Pause orchestrator background work',
    'resume': 'Resume orchestrator background work (if paused)',
    'unpause': 'Alias to orch resume',
    'get-security-config': 'Show whether the monitoring stack is secured',
    'update': 'Update the image of a non-Ceph service',
    'client-keyring': 'Client keyrings kept on the hosts of a placement',
    'certmgr': "Certificates and keys of cephadm's services",
    'cert-store': "Squid's certificate store (certmgr in Tentacle)",
    'cancel': 'Cancel ongoing background operations',
    'serve': 'Run the reconcile loop (--once for a single pass)',
    'tuned-profile': 'Add, list and remove tuned profiles',
    'ssh': 'Configure the ssh backend',
    'prometheus': 'Prometheus credentials, scrape targets and custom alerts',
    'alertmanager': 'Alertmanager credentials',
    'hardware': 'Hardware status, LEDs and power through node-proxy',
    'sd': 'Service discovery (dump cert)',
    'bootstrap': 'Bootstrap a cluster on its first host',
    'cephadm': 'The cephadm backend: hosts, SSH identity, registry, config checks',
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when they are used."""

    def __init__(self, *args: Any, lazy_commands: Optional[Dict[str, str]] = None,
                 lazy_help: Optional[Dict[str, str]] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})
        self.lazy_help = dict(lazy_help or {})

    def _available(self, name: str) -> bool:
        module = self.lazy_commands[name].split(':')[0]
        return importlib.util.find_spec(f'ceph_orch_cli.commands.{module}') is not None

    def list_commands(self, ctx: click.Context) -> List[str]:
        lazy = [n for n in self.lazy_commands if self._available(n)]
        return sorted(set(super().list_commands(ctx)) | set(lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> Optional[click.Command]:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        target = self.lazy_commands.get(cmd_name)
        if target is None or not self._available(cmd_name):
            return None
        module_name, attr = target.split(':')
        module = importlib.import_module(f'ceph_orch_cli.commands.{module_name}')
        command: click.Command = getattr(module, attr)
        self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List commands from the help table, so `orch --help` imports no command module."""
        rows = []
        for name in self.list_commands(ctx):
            if name in self.commands:
                cmd = self.commands[name]
                if cmd.hidden:
                    continue
                rows.append((name, cmd.get_short_help_str(formatter.width)))
            else:
                rows.append((name, self.lazy_help.get(name, '')))
        if rows:
            with formatter.section('Commands'):
                formatter.write_dl(rows)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(f'orch {__version__}')
    ctx.exit(0)


# --------------------------------------------------------------------------- error boundary

#: where Linux has two names for one errno, the one Ceph users see
_PREFERRED_NAMES = {errno.EOPNOTSUPP: 'EOPNOTSUPP'}


def _ename(code: int) -> str:
    return _PREFERRED_NAMES.get(abs(code)) or errno.errorcode.get(abs(code), 'EIO')


def _command_words(args: List[str]) -> str:
    """The command prefix (`orch host add`) for the NotImplementedError message."""
    words = ['orch']
    cmd: Any = orch
    ctx = click.Context(orch, info_name='orch', resilient_parsing=True)
    rest = list(args)
    while isinstance(cmd, click.Group) and rest:
        word = rest[0]
        if word.startswith('-'):
            # skip a global option and its value
            rest.pop(0)
            if word in ('--state-dir', '--backend') and rest:
                rest.pop(0)
            continue
        sub = cmd.get_command(ctx, word)
        if sub is None:
            break
        words.append(word)
        rest.pop(0)
        cmd = sub
    return ' '.join(words)


def _visible_path(ctx: click.Context) -> str:
    """The words a user typed: a DefaultGroup's hidden default command has no word of its own."""
    parent = ctx.parent
    if parent is not None and isinstance(parent.command, DefaultGroup) and \
            ctx.info_name == parent.command.default_command:
        return parent.command_path
    return ctx.command_path


#: control characters that would break or rewrite the error line on a terminal
_CONTROL = {c: f'\\x{c:02x}' if c < 0x100 else f'\\u{c:04x}'
            for c in (*range(0x00, 0x09), *range(0x0b, 0x20), *range(0x7f, 0xa0),
                      0x2028, 0x2029)}

#: the words of the command being run, so an error can escape what the user typed
_ARGV: List[str] = []


def _escape_input(message: str) -> str:
    """Echo user-typed words with their newlines and other control characters escaped.

    Messages quote names the user gave (``host a\\nb does not exist``); unescaped, a
    newline would split the error line and a carriage return would overwrite it. Ceph's
    own multi-line messages (usage texts) keep their newlines.
    """
    for word in sorted(set(_ARGV), key=len, reverse=True):
        if word and (word.splitlines() != [word] or word.translate(_CONTROL) != word) \
                and word in message:
            message = message.replace(word, word.encode('unicode_escape').decode('ascii'))
    return message.translate(_CONTROL)


#: the longest user-given word an error line quotes whole, and the longest error text
QUOTE_LIMIT = 200
MESSAGE_LIMIT = 4000

_PREFIX = re.compile(r'^(?:Error E[A-Z0-9]+: ?)+')


def _bound(message: str) -> str:
    """Cut each long word the user typed, then the whole text: a 4 MB label must not
    give a 4 MB error line."""
    for word in sorted(set(_ARGV), key=len, reverse=True):
        if len(word) > QUOTE_LIMIT and word in message:
            message = message.replace(word, f'{word[:QUOTE_LIMIT]}... ({len(word)} chars)')
    if len(message) > MESSAGE_LIMIT:
        message = f'{message[:MESSAGE_LIMIT]}... ({len(message)} chars)'
    return message


def _report(message: str, code: int) -> int:
    # a message that already carries Ceph's prefix (the `ceph` CLI's own error) is not
    # prefixed twice
    message = _PREFIX.sub('', _bound(message))
    click.echo(f'Error {_ename(code)}: {_escape_input(message)}', err=True)
    return abs(code) or errno.EIO


_INTERRUPTED = 'Interrupted: the intent is stored; `orch serve --once` finishes the work'


def run(args: List[str], debug_requested: bool) -> int:
    """Run the root group without Click's own exit handling and map every failure."""
    _ARGV[:] = [a for a in args if isinstance(a, str)]
    try:
        orch.main(args=args, prog_name='orch', standalone_mode=False)
        return 0
    except click.exceptions.Exit as e:
        return e.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo(_INTERRUPTED, err=True)
        return 130
    except click.UsageError as e:
        return _usage_failure(e)
    except click.ClickException as e:
        return _report(e.format_message(), -errno.EINVAL)
    except BrokenPipeError:
        # the reader went away (`orch ps | head`); nothing left to tell anyone
        _silence_stdout()
        return 0
    except Exception as e:  # noqa: BLE001 - the one boundary: no traceback ever reaches a user
        message, code, traceback_helps = _describe_failure(e, args)
        if debug_requested and traceback_helps:
            _print_traceback()
        return _report(message, code)


def _usage_failure(e: click.UsageError) -> int:
    no_args = getattr(click.exceptions, 'NoArgsIsHelpError', None)
    if no_args is not None and isinstance(e, no_args):
        # a bare group (`orch`, `orch host`): its help, then why it is not a command
        click.echo(e.format_message(), err=True)
        return _report('missing command', -errno.EINVAL)
    if e.ctx is not None:
        path = _visible_path(e.ctx)
        formatter = e.ctx.make_formatter()
        formatter.write_usage(path, ' '.join(e.ctx.command.collect_usage_pieces(e.ctx)))
        click.echo(formatter.getvalue().rstrip('\n'), err=True)
        click.echo(f"Try '{path} --help' for help.", err=True)
    # Click lists a Choice's values one per line; the error itself stays one line
    return _report(' '.join(e.format_message().split()), -errno.EINVAL)


def _describe_failure(e: Exception, args: List[str]) -> Tuple[str, int, bool]:
    """The one-line message, the negative errno, and whether ``--debug`` should add the
    traceback (not for an unknown output format: that is the user's choice, not a bug)."""
    if isinstance(e, NotImplementedError):
        return (f'This Orchestrator does not support `{_command_words(args)}`',
                -errno.EOPNOTSUPP, True)
    if isinstance(e, UnicodeDecodeError):
        # an input file (`-i`, a stored config) that is not text
        return f'input is not UTF-8 text (byte {e.start}: {e.reason})', -errno.EINVAL, True
    if isinstance(e, MemoryError):
        # the last guard for input too big to process; the store is untouched (the
        # transaction that was open rolled back)
        return 'out of memory: the input is too large', -errno.ENOMEM, True
    if isinstance(e, RecursionError):
        return 'the input is nested too deeply', -errno.EINVAL, True
    if isinstance(e, OSError):
        # e.g. a state dir that cannot be created: the errno is the answer
        where = f': {e.filename}' if e.filename else ''
        return f'{e.strerror or e}{where}', -(e.errno or errno.EIO), True
    if _is_orchestrator_error(e) or _is_spec_error(e):
        return str(e), getattr(e, 'errno', -errno.EINVAL) or -errno.EINVAL, True
    if _is_format_error(e):
        return str(e), -errno.EINVAL, False
    first = str(e).splitlines()[0] if str(e) else ''
    return f'{type(e).__name__}: {first}', -errno.EIO, True


def _show_debug_log() -> None:
    """``--debug``/``ORCH_DEBUG``: orch's own debug log on stderr (not the libraries')."""
    import logging
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter('orch: %(message)s'))
    log = logging.getLogger('ceph_orch_cli')
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)


def _print_traceback() -> None:
    """``--debug``/``ORCH_DEBUG``: the traceback (``traceback`` is imported only here: with
    linecache and tokenize it is ~2 ms of every command's start-up)."""
    import traceback
    traceback.print_exc()


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        # stdout is not a real file (a test runner's buffer): nothing to silence
        return


def _is_orchestrator_error(e: Exception) -> bool:
    """OrchestratorError (and NoOrchestrator...) can only be raised once its module is loaded;
    looking it up lazily keeps the orchestrator package out of `orch --help`."""
    mod = sys.modules.get('ceph_orch_cli.orchestrator.errors')
    return mod is not None and isinstance(e, mod.OrchestratorError)


def _is_spec_error(e: Exception) -> bool:
    """SpecValidationError lives in deployment/, which is imported only when a spec is parsed."""
    mod = sys.modules.get('ceph_orch_cli.deployment.hostspec')
    cls = getattr(mod, 'SpecValidationError', None) if mod else None
    return cls is not None and isinstance(e, cls)


def _is_format_error(e: Exception) -> bool:
    mod = sys.modules.get('ceph_orch_cli.output')
    return mod is not None and isinstance(e, mod.FormatNotImplemented)


class OrchRootGroup(LazyGroup):
    """The root group; `main` is the single error boundary (CliRunner goes through it too)."""

    def main(self, args: Optional[Sequence[str]] = None, prog_name: Optional[str] = None,
             complete_var: Optional[str] = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args=args, prog_name=prog_name or 'orch',
                                complete_var=complete_var, standalone_mode=False, **extra)
        if args is None:
            args = sys.argv[1:]
        args = list(args)
        # shell completion must go through Click's own entry point
        if os.environ.get(complete_var or '_ORCH_COMPLETE'):
            return super().main(args=args, prog_name='orch', complete_var=complete_var,
                                standalone_mode=True, **extra)
        debug = '--debug' in args or os.environ.get('ORCH_DEBUG') == '1'
        if debug:
            _show_debug_log()
        code = run(args, debug)
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
        sys.exit(code)


def _complete_backend(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> List[str]:
    from ceph_orch_cli.backends import KNOWN_BACKENDS
    return [b for b in KNOWN_BACKENDS if b.startswith(incomplete)]


@click.group(cls=OrchRootGroup, lazy_commands=ROOT_COMMANDS, lazy_help=ROOT_HELP,
             context_settings={'help_option_names': ['-h', '--help']})
@click.option(*dual('--state-dir'), 'state_dir', type=click.Path(file_okay=False),
              default=None, help='State directory (default: $ORCH_STATE_DIR, else '
                                 '$XDG_STATE_HOME/ceph-orch)')
@click.option('--backend', default=None, shell_complete=_complete_backend,
              help='Backend (default: $ORCH_BACKEND, else `orch set backend`, else local)')
@click.option('--debug', is_flag=True, help='Show tracebacks for errors')
@click.option('--version', is_flag=True, expose_value=False, is_eager=True,
              callback=_print_version, help='Show the version and exit')
@click.pass_context
def orch(ctx: click.Context, state_dir: Optional[str], backend: Optional[str],
         debug: bool) -> None:
    """orch: a standalone `ceph orch` with pluggable backends.

    Shell completion: eval "$(_ORCH_COMPLETE=bash_source orch)" (zsh_source, fish_source).
    """
    resolved, problem = _resolve_state_dir(state_dir)
    ctx.obj = OrchContext(resolved, backend, debug, problem)


def _resolve_state_dir(option: Optional[str]) -> Tuple[Optional[Path], str]:
    """--state-dir, else $ORCH_STATE_DIR, else the XDG default; (None, why) if unusable.

    An empty value is refused rather than read as "unset": silently falling back to the
    default would run the command against another cluster's state.
    """
    if option is not None:
        if not option:
            return None, '--state-dir is empty: name a state directory'
        return Path(option), ''
    env = os.environ.get('ORCH_STATE_DIR')
    if env is not None:
        if not env:
            return None, 'ORCH_STATE_DIR is set but empty: unset it or name a state directory'
        return Path(env), ''
    return default_state_dir(), ''


def main() -> None:
    """Console-script entry point.

    A command is a short-lived process that builds up to hundreds of thousands of objects
    and drops them all at exit; the cyclic garbage collector's repeated full scans cost a
    third of `orch ps` and `orch apply` at 100,000 daemons and find nothing to free. So it
    is off here; `orch serve`, the one long-lived command, turns it back on.
    """
    gc.disable()
    orch.main(prog_name='orch')
