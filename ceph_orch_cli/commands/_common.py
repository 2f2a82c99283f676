"""What every command module shares: option spellings, --format, the backend, -i input,
printing and shell completion from the store.

Kept import-light (click, the stdlib and `cluster.store_names`, itself stdlib-only) because
every command module imports it.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar, Union

import click

from ceph_orch_cli.cluster import store_names
from ceph_orch_cli.commands.context import FORMAT_CHOICES, OrchContext, default_state_dir, dual

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.orchestrator import Orchestrator

F = TypeVar('F', bound=Callable[..., Any])


def option(name: str, *more: str, **kwargs: Any) -> Callable[[F], F]:
    """A click option that also answers to Ceph's underscore spelling."""
    return click.option(*dual(name), *more, **kwargs)


def flag(name: str, help: str = '') -> Callable[[F], F]:
    return click.option(*dual(name), is_flag=True, default=False, help=help)


class CephCommand(click.Command):
    """A command that parses words the way Ceph's argparse does.

    Positionals may also be named: `orch ls --service_type mon`, `orch ps --hostname host1`
    and `orch host add h --addr 10.0.0.1` mean the same as their positional forms (a name
    that is already an option of the command, like `--placement` or `--labels`, keeps its
    option). Flags take an explicit CephBool value: `--force=true`, `--dry-run=false`.
    `-i FILE` given to a command that reads no input is refused with Ceph's message.
    """

    _SKIP = 'orch.named_positionals'
    #: what Ceph answers when `-i FILE` goes to a command that reads no input
    inbuf_refusal = 'Invalid command: Input file data (-i) not supported'

    def _named_positionals(self) -> Dict[str, click.Argument]:
        taken = {o for p in self.params if isinstance(p, click.Option)
                 for o in p.opts + p.secondary_opts}
        named: Dict[str, click.Argument] = {}
        for p in self.params:
            if isinstance(p, click.Argument) and p.name:
                spellings = dual('--' + p.name)
                if not taken.intersection(spellings):
                    for s in spellings:
                        named[s] = p
        return named

    def _refuse_inbuf(self, args: List[str]) -> None:
        takes_file = any('-i' in p.opts for p in self.params if isinstance(p, click.Option))
        words = args[:args.index('--')] if '--' in args else args
        if not takes_file and any(w == '-i' or (w.startswith('-i') and w[2:3] != '-')
                                  for w in words):
            from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError
            raise OrchestratorValidationError(self.inbuf_refusal)

    def _flags(self) -> Dict[str, click.Option]:
        return {o: p for p in self.params
                if isinstance(p, click.Option) and p.is_flag and not p.count
                for o in p.opts + p.secondary_opts if o.startswith('--')}

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        if not ctx.resilient_parsing:
            self._refuse_inbuf(args)
        named, flags = self._named_positionals(), self._flags()
        given: Dict[str, List[str]] = {}
        switches: Dict[str, bool] = {}
        rest: List[str] = []
        words = list(args)
        i = 0
        while i < len(words):
            word = words[i]
            if word == '--':
                rest.extend(words[i:])
                break
            key, eq, value = word.partition('=')
            param = named.get(key)
            flag_param = flags.get(key) if eq else None
            if flag_param is not None and flag_param.name:
                # CephBool: `--force=true` / `--force=false`
                if value.lower() in ('true', 'false'):
                    switches[flag_param.name] = value.lower() == 'true'
                elif not ctx.resilient_parsing:
                    raise click.BadOptionUsage(key, f'{value} not true or false', ctx)
            elif param is None or param.name is None:
                rest.append(word)
            elif eq:
                given.setdefault(param.name, []).append(value)
            elif i + 1 < len(words):
                i += 1
                given.setdefault(param.name, []).append(words[i])
            elif not ctx.resilient_parsing:  # shell completion may stop mid-option
                raise click.BadOptionUsage(key, f'Option {key!r} requires an argument.', ctx)
            i += 1
        if not given and not switches:
            return super().parse_args(ctx, args)
        ctx.meta[self._SKIP] = set(given)
        try:
            remaining = super().parse_args(ctx, rest)
        finally:
            ctx.meta.pop(self._SKIP, None)
        by_name = {p.name: p for p in self.params if isinstance(p, click.Argument)}
        for name, values in given.items():
            param = by_name[name]
            if param.nargs == 1 and len(values) > 1:
                raise click.BadParameter(f'given more than once: {values}', ctx, param)
            raw: Any = values[0] if param.nargs == 1 else tuple(values)
            ctx.params[name] = param.type_cast_value(ctx, raw)
        ctx.params.update(switches)
        return remaining

    def get_params(self, ctx: click.Context) -> List[click.Parameter]:
        params = super().get_params(ctx)
        skip = ctx.meta.get(self._SKIP)
        if skip:
            params = [p for p in params if not (isinstance(p, click.Argument) and p.name in skip)]
        return params


def refuse_inbuf(*commands: click.Command) -> None:
    """Ceph's answer for the scaling forms of apply/daemon add, which take no spec file."""
    for command in commands:
        setattr(command, 'inbuf_refusal', 'unrecognized command -i; -h or --help for usage')


def ceph_commands(group: click.Group) -> click.Group:
    """Make every command later added to `group` a CephCommand (see there)."""
    group.command_class = CephCommand
    return group


def format_option(func: F) -> F:
    return click.option('--format', 'fmt', type=click.Choice(FORMAT_CHOICES),
                        default='plain', show_default=True, help='Output format')(func)


def orch_of(ctx: click.Context) -> 'Orchestrator':
    """The backend, built on first use. Its non-Ceph methods (the reconcile loop, progress,
    stored listing text) are reached through ``orchestrator.engine_extras``."""
    return app_of(ctx).orch


def app_of(ctx: click.Context) -> OrchContext:
    obj = ctx.find_object(OrchContext)
    if obj is None:  # a command invoked without the root group: a programming error
        raise RuntimeError('orch command invoked outside the orch root group')
    return obj


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
    """The text of ``-i FILE`` (``-i -`` reads stdin), bounded in size and checked to be UTF-8,
    so `-i /dev/zero` or a binary file is one clear error naming the file."""
    if path is None:
        return None
    import errno
    from ceph_orch_cli.deployment.hostspec import SpecValidationError
    from ceph_orch_cli.deployment.loader import MAX_SPEC_BYTES, check_size
    from ceph_orch_cli.orchestrator.errors import OrchestratorError
    source = '<stdin>' if path == '-' else path
    try:
        if path == '-':
            data = sys.stdin.buffer.read(MAX_SPEC_BYTES + 1)
        else:
            with open(path, 'rb') as f:
                data = f.read(MAX_SPEC_BYTES + 1)
    except OSError as e:
        raise OrchestratorError(f"can't open input file {path}: {e.strerror}",
                                errno=-(e.errno or errno.EIO))
    check_size(data, source)
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as e:
        raise SpecValidationError(f'{source}: not UTF-8 text (byte {e.start})') from None


def progress(ctx: click.Context, fmt: str = 'plain') -> Any:
    """A progress bar context for a converging command (terminal only)."""
    from ceph_orch_cli import output
    return output.progress(orch_of(ctx), fmt)


# --------------------------------------------------------------------------- help sections

#: one section of ``--help``: a title and either a paragraph or (term, meaning) rows
HelpSection = Tuple[str, Union[str, Sequence[Tuple[str, str]]]]
C = TypeVar('C', bound=click.Command)

PLACEMENT_SYNTAX: Sequence[Tuple[str, str]] = (
    ('3', 'three daemons; the scheduler picks the hosts'),
    ("'host1 host2'", 'one daemon on each of these hosts'),
    ("'2 host1 host2 host3'", 'two daemons, on two of these hosts'),
    ('label:mon', 'one daemon on every host labelled mon'),
    ("'3 label:mon'", 'three daemons on hosts labelled mon'),
    ("'*'", 'every host (also an fnmatch pattern: host[1-3])'),
    ("'regex:data[0-9]+'", 'hosts whose name matches the regex'),
    ("'count-per-host:2 label:rgw'", 'two daemons on each host labelled rgw'),
    ("'host1:10.0.0.0/24=a'", 'a host with the network (or IP) and name of its daemon'),
)


def help_sections(sections: Callable[[], Sequence[HelpSection]]) -> Callable[[C], C]:
    """Add sections after a command's options in ``--help``. They are computed when help is
    shown, so listing every known type costs nothing to a command that runs."""

    def decorate(command: C) -> C:
        plain_epilog = command.format_epilog

        def format_epilog(ctx: click.Context, formatter: click.HelpFormatter) -> None:
            for title, body in sections():
                with formatter.section(title):
                    if isinstance(body, str):
                        _write_unbroken(formatter, body)
                    else:
                        formatter.write_dl(list(body))
            plain_epilog(ctx, formatter)

        command.format_epilog = format_epilog  # type: ignore[method-assign]
        return command

    return decorate


def _write_unbroken(formatter: click.HelpFormatter, text: str) -> None:
    """A paragraph wrapped at spaces only: type names like node-exporter stay whole."""
    import textwrap
    width = max(formatter.width - formatter.current_indent, 20)
    for line in textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False):
        formatter.write(f"{'':>{formatter.current_indent}}{line}\n")


# --------------------------------------------------------------------------- completion

def _state_dir_for_completion(ctx: click.Context) -> Path:
    import os
    root = ctx.find_root()
    given = root.params.get('state_dir') if root is not None else None
    return Path(given or os.environ.get('ORCH_STATE_DIR') or default_state_dir())


def _complete_from(lookup: Callable[[Path], List[str]]
                   ) -> Callable[[click.Context, click.Parameter, str], List[Any]]:
    """Completion from one of the store's name lookups (read-only; any failure gives [])."""

    def complete(ctx: click.Context, _param: click.Parameter, incomplete: str) -> List[Any]:
        return [n for n in lookup(_state_dir_for_completion(ctx)) if n.startswith(incomplete)]

    return complete


complete_hosts = _complete_from(store_names.hostnames)
complete_labels = _complete_from(store_names.labels)
complete_services = _complete_from(store_names.service_names)
complete_daemons = _complete_from(store_names.daemon_names)
complete_osd_ids = _complete_from(store_names.osd_ids)
complete_tuned_profiles = _complete_from(store_names.tuned_profiles)


def _complete_words(words: Callable[[], List[str]]
                    ) -> Callable[[click.Context, click.Parameter, str], List[Any]]:
    """Completion from a fixed vocabulary (type names), computed only when TAB asks."""

    def complete(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> List[Any]:
        return [w for w in words() if w.startswith(incomplete)]

    return complete


def service_type_names() -> List[str]:
    """Every service type a spec may name (`orch ls <type>`, `apply -i`)."""
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    return sorted(ServiceSpec.KNOWN_SERVICE_TYPES)


def daemon_type_names() -> List[str]:
    """Every daemon type (`orch ps --daemon-type`, `upgrade start --daemon-types`)."""
    from ceph_orch_cli.orchestrator.daemon_types import known_daemon_types
    return sorted(set(known_daemon_types()))


def _apply_type_names() -> List[str]:
    from ceph_orch_cli.commands.daemon import DAEMON_ADD_TYPES
    return sorted(DAEMON_ADD_TYPES)


def backend_names() -> List[str]:
    """The backends `orch set backend` and ``--backend`` take."""
    from ceph_orch_cli.backends import KNOWN_BACKENDS
    return list(KNOWN_BACKENDS)


def complete_daemon_type_list(_ctx: click.Context, _param: click.Parameter,
                              incomplete: str) -> List[Any]:
    """A comma-separated list of daemon types (`orch upgrade start --daemon-types`)."""
    done, _, last = incomplete.rpartition(',')
    head = f'{done},' if done else ''
    return [head + t for t in daemon_type_names() if t.startswith(last)]


complete_backends = _complete_words(backend_names)
complete_service_types = _complete_words(service_type_names)
complete_daemon_types = _complete_words(daemon_type_names)
complete_apply_types = _complete_words(_apply_type_names)


def complete_device_paths(ctx: click.Context, _param: click.Parameter,
                          incomplete: str) -> List[Any]:
    """Device paths of the host named earlier on the line (`orch device zap HOST <TAB>`)."""
    host = str(ctx.params.get('hostname') or '')
    return [p for p in store_names.device_paths(_state_dir_for_completion(ctx), host)
            if p.startswith(incomplete)]


def complete_host_devices(ctx: click.Context, _param: click.Parameter,
                          incomplete: str) -> List[Any]:
    """``HOST:DEVICE`` (`orch daemon add osd`): hosts first, then that host's device paths."""
    state_dir = _state_dir_for_completion(ctx)
    if ':' not in incomplete:
        return [f'{h}:' for h in store_names.hostnames(state_dir) if h.startswith(incomplete)]
    host, _, rest = incomplete.partition(':')
    done, _, last = rest.rpartition(',')
    head = f'{host}:{done},' if done else f'{host}:'
    return [head + p for p in store_names.device_paths(state_dir, host) if p.startswith(last)]
