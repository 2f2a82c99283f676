"""Rendering for `orch`: Ceph's output formats, table style and number/age helpers.

Everything a user sees on stdout is shaped here so that `orch` prints what `ceph orch` prints:
the same `--format` choices, the same JSON (sorted keys, one line), the same YAML key order and
the same borderless PrettyTable look (left padding 0, right padding 2, trailing spaces kept).
The table formatter is our own (no PrettyTable dependency); rich is imported only to draw a
progress bar on a terminal.
"""
from __future__ import annotations

import contextlib
import datetime
import json
import re
import sys
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence

# --------------------------------------------------------------------------- ages and sizes

def to_pretty_timedelta(n: datetime.timedelta) -> str:
    """Ceph's compact age (``45s``, ``5m``, ``3h``, ``2d``, ``3w``, ``7M``, ``2y``)."""
    secs = int(n.total_seconds())
    if n < datetime.timedelta(seconds=120):
        return f'{secs}s'
    if n < datetime.timedelta(minutes=120):
        return f'{secs // 60}m'
    if n < datetime.timedelta(hours=48):
        return f'{secs // 3600}h'
    if n < datetime.timedelta(days=14):
        return f'{secs // (3600 * 24)}d'
    if n < datetime.timedelta(days=7 * 12):
        return f'{secs // (3600 * 24 * 7)}w'
    if n < datetime.timedelta(days=365 * 2):
        return f'{secs // (3600 * 24 * 30)}M'
    return f'{secs // (3600 * 24 * 365)}y'


def datetime_now() -> datetime.datetime:
    """Timezone-aware UTC now, the reference point for every age column."""
    return datetime.datetime.now(datetime.timezone.utc)


def as_utc(t: Any) -> Optional[datetime.datetime]:
    """Accept datetimes (naive ones are UTC, as Ceph stores them) or Ceph's ISO strings."""
    if t is None or t == '':
        return None
    if isinstance(t, str):
        t = datetime.datetime.fromisoformat(t.rstrip('Z').replace(' ', 'T'))
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return t


def nice_delta(now: datetime.datetime, t: Any, suffix: str = '') -> str:
    """Age of ``t`` as Ceph's REFRESHED/AGE cells show it; ``-`` when unknown."""
    at = as_utc(t)
    if not at:
        return '-'
    return to_pretty_timedelta(as_utc(now) - at) + suffix  # type: ignore[operator]


def format_units(n: int, width: int, decimal: bool) -> str:
    """Fit ``n`` into ``width - 1`` characters plus a unit letter, as Ceph's mgr_util does."""
    factor = 1000 if decimal else 1024
    units = [' ', 'k', 'M', 'G', 'T', 'P', 'E']
    unit = 0
    while len('%s' % (int(n) // (factor ** unit))) > width - 1:
        unit += 1
    if unit > 0:
        truncated = ('%f' % (n / (float(factor) ** unit)))[0:width - 1]
        if truncated[-1] == '.':
            truncated = ' ' + truncated[0:-1]
    else:
        truncated = '%{wid}d'.format(wid=width - 1) % n
    return '%s%s' % (truncated, units[unit])


def format_bytes(n: int, width: int) -> str:
    """Base-1024 sizes (device SIZE, MEM USE)."""
    return format_units(n, width, decimal=False)


def format_dimless(n: int, width: int) -> str:
    """Base-1000 counts."""
    return format_units(n, width, decimal=True)


def nice_bytes(v: Optional[int]) -> str:
    """MEM USE / MEM LIM cells: ``-`` for unknown or zero."""
    if not v:
        return '-'
    return format_bytes(v, 5)


# --------------------------------------------------------------------------- natural sort

_DIGITS = re.compile(r'(\d+)')


def natural_key(s: str) -> List[Any]:
    """Sort key that orders ``host2`` before ``host10`` (Ceph uses natsort for these lists)."""
    return [(0, int(p), '') if p.isdigit() else (1, 0, p) for p in _DIGITS.split(s) if p != '']


def natsorted(items: Sequence[Any], key: Callable[[Any], str] = str) -> List[Any]:
    return sorted(items, key=lambda i: natural_key(key(i)))


# --------------------------------------------------------------------------- tables

def _justify(text: str, width: int, align: str) -> str:
    if align == 'r':
        return text.rjust(width)
    if align == 'c':
        excess = width - len(text)
        if excess % 2:
            # PrettyTable puts the odd space on the right for odd-length text, else on the left
            if len(text) % 2:
                return (excess // 2) * ' ' + text + (excess // 2 + 1) * ' '
            return (excess // 2 + 1) * ' ' + text + (excess // 2) * ' '
        return (excess // 2) * ' ' + text + (excess // 2) * ' '
    return text.ljust(width)


class Table:
    """A PrettyTable look-alike restricted to what `ceph orch` uses.

    ``border=False`` gives the listing tables (columns separated only by the right padding of two
    spaces, trailing spaces kept); ``border=True`` with a title gives the dry-run preview tables.
    Cells are ``str()`` of the value, so Python booleans print as ``True``/``False``.
    """

    def __init__(self, columns: Sequence[str], align: Optional[Dict[str, str]] = None,
                 border: bool = False, title: Optional[str] = None,
                 left_padding: int = 0, right_padding: int = 2) -> None:
        self.columns = list(columns)
        self.align = {c: (align or {}).get(c, 'l') for c in self.columns}
        self.border = border
        self.title = title
        self.lpad = left_padding
        self.rpad = right_padding
        self.rows: List[List[str]] = []

    def add_row(self, row: Sequence[Any]) -> None:
        if len(row) != len(self.columns):
            raise ValueError(f'row has {len(row)} cells, table has {len(self.columns)} columns')
        self.rows.append(['' if v is None else str(v) for v in row])

    def del_column(self, column: str) -> None:
        i = self.columns.index(column)
        del self.columns[i]
        for r in self.rows:
            del r[i]

    def column(self, column: str) -> List[str]:
        i = self.columns.index(column)
        return [r[i] for r in self.rows]

    def _widths(self) -> List[int]:
        widths = [len(c) for c in self.columns]
        for r in self.rows:
            for i, cell in enumerate(r):
                widths[i] = max(widths[i], max(len(x) for x in cell.split('\n')))
        if self.title and self.border:
            # widen columns proportionally when the title is wider than the table, as PrettyTable
            per_col = self.lpad + self.rpad
            min_width = len(self.title) + per_col + 2 - (per_col * len(widths) + len(widths) + 1)
            content = sum(widths) or 1
            if content < min_width:
                scale = min_width / content
                widths = [int(w * scale) for w in widths]
                if sum(widths) < min_width:
                    widths[-1] += min_width - sum(widths)
        return widths

    def _line(self, cells: Sequence[str], widths: Sequence[int]) -> str:
        parts = []
        for col, cell, w in zip(self.columns, cells, widths):
            parts.append(' ' * self.lpad + _justify(cell, w, self.align[col]) + ' ' * self.rpad)
        if self.border:
            return '|' + '|'.join(parts) + '|'
        return ''.join(parts)

    def _lines_for_row(self, cells: Sequence[str], widths: Sequence[int]) -> List[str]:
        split = [c.split('\n') for c in cells]
        height = max(len(s) for s in split) if split else 1
        return [self._line([s[i] if i < len(s) else '' for s in split], widths)
                for i in range(height)]

    def get_string(self) -> str:
        widths = self._widths()
        rule = '+' + '+'.join('-' * (w + self.lpad + self.rpad) for w in widths) + '+'
        lines: List[str] = []
        if self.border and self.title:
            lines.append('+' + '-' * (len(rule) - 2) + '+')
            title = ' ' * self.lpad + self.title + ' ' * self.rpad
            lines.append('|' + _justify(title, len(rule) - 2, 'c') + '|')
        if self.border:
            lines.append(rule)
        lines.append(self._line(self.columns, widths))
        if self.border:
            lines.append(rule)
        for r in self.rows:
            lines.extend(self._lines_for_row(r, widths))
        if self.border:
            lines.append(rule)
        return '\n'.join(lines)


# --------------------------------------------------------------------------- formats

class FormatNotImplemented(Exception):
    """Raised for ``xml``/``xml-pretty``; cli.py maps it like an OrchestratorError."""


def _to_json_1(obj: Any) -> Any:
    if hasattr(obj, 'to_json'):
        return obj.to_json()
    return obj


def _keeps_insertion_order(obj: Any) -> bool:
    """Ceph registers YAML representers (to_json order) for these types only."""
    if hasattr(obj, 'yaml_representer'):
        return True
    names = {c.__name__ for c in type(obj).__mro__}
    return bool(names & {'ServiceSpec', 'ServiceDescription', 'DaemonDescription', 'HostDetails'})


def _yaml_dump(docs: List[Any], many: bool) -> str:
    import yaml

    class _InOrder(dict):
        """A mapping PyYAML must write in insertion order (the to_json order)."""

    class _Dumper(yaml.SafeDumper):
        pass

    def _represent_in_order(dumper: yaml.SafeDumper, data: _InOrder) -> Any:
        return dumper.represent_mapping('tag:yaml.org,2002:map', list(data.items()))

    _Dumper.add_representer(_InOrder, _represent_in_order)

    def prepare(o: Any) -> Any:
        if _keeps_insertion_order(o):
            return _InOrder(o.to_json())
        return _to_json_1(o)

    if many:
        return yaml.dump_all([prepare(o) for o in docs], Dumper=_Dumper,
                             default_flow_style=False)
    return yaml.dump(prepare(docs[0]), Dumper=_Dumper, default_flow_style=False)


def to_format(what: Any, fmt: str, many: bool) -> str:
    """Ceph's ``to_format``: json (sorted, one line), json-pretty, yaml; xml is refused."""
    if fmt == 'json':
        return json.dumps(_json_of(what, many), sort_keys=True)
    if fmt == 'json-pretty':
        return json.dumps(_json_of(what, many), indent=2, sort_keys=True)
    if fmt == 'yaml':
        if many:
            return _yaml_dump(list(what), True)
        return _yaml_dump([what], False)
    if fmt in ('xml', 'xml-pretty'):
        raise FormatNotImplemented(f"format '{fmt.replace('-', '_')}' is not implemented.")
    raise FormatNotImplemented(f'unsupported format type: {fmt}')


def echo_json_texts(batches: Iterable[Sequence[str]]) -> None:
    """Print a JSON list of items already encoded (``json.dumps`` of each), a batch at a
    time: the text ``json.dumps`` of the whole list prints (items joined with ``', '``),
    without holding every item and the whole document at once (`orch ps --format json` on
    100,000 daemons is ~100 MB of text)."""
    import click

    first = True
    click.echo('[', nl=False)
    for batch in batches:
        if not batch:
            continue
        chunk = ', '.join(batch)
        click.echo(chunk if first else ', ' + chunk, nl=False)
        first = False
    click.echo(']')


def _json_of(what: Any, many: bool) -> Any:
    if many:
        return [_to_json_1(o) for o in what]
    return _to_json_1(what)


# --------------------------------------------------------------------------- dry-run preview

def _preview_table_services(data: List[Dict[str, Any]]) -> str:
    table = Table(['SERVICE', 'NAME', 'ADD_TO', 'REMOVE_FROM'], border=True,
                  title='SERVICESPEC PREVIEW')
    for item in data:
        if item.get('warning'):
            continue
        if item.get('service_type') != 'osd':
            table.add_row((item.get('service_type'), item.get('service_name'),
                           ' '.join(item.get('add') or []), ' '.join(item.get('remove') or [])))
    return table.get_string()


def _preview_table_osd(data: List[Dict[str, Any]]) -> str:
    table = Table(['SERVICE', 'NAME', 'HOST', 'DATA', 'DB', 'WAL'], border=True,
                  title='OSDSPEC PREVIEWS')
    notes = ''
    for item in data:
        if item.get('service_type') != 'osd':
            continue
        for host, reports in (item.get('data') or {}).items():
            for report in reports:
                if isinstance(report, str):
                    return report
                if report.get('error'):
                    return str(report.get('message'))
                if report.get('notes'):
                    notes += '\n'.join(report['notes']) + '\n'
                for osd in report.get('data', []):
                    if not osd.get('data'):
                        continue
                    table.add_row(('osd', report.get('osdspec'), host, osd['data'],
                                   osd.get('block_db', '-'), osd.get('block_wal', '-')))
    return notes + table.get_string()


def preview_tables(data: List[Dict[str, Any]]) -> str:
    """The text `ceph orch apply --dry-run` prints for a plan() result (reference §5)."""
    errors = [x.get('error') for x in data if x.get('error')]
    if errors:
        return json.dumps(errors)
    warning = ''.join(x['warning'] for x in data if x.get('warning'))
    hosts = [x for x in data if x.get('host')]
    host_part = ''
    if hosts:
        width = max(len(h['host']) for h in hosts)
        rows = [f"{h['action']:<6} {h['host']:<{width}}  {h.get('addr') or ''}"
                f"  {','.join(h.get('labels') or [])}".rstrip() for h in hosts]
        host_part = ('#############\nHOST PREVIEWS\n#############\n' + '\n'.join(rows) + '\n\n')
        data = [x for x in data if not x.get('host')]
    return (f'\n{warning}\n\n{host_part}'
            '####################\nSERVICESPEC PREVIEWS\n####################\n'
            f'{_preview_table_services(data)}\n\n'
            '################\nOSDSPEC PREVIEWS\n################\n'
            f'{_preview_table_osd(data)}\n')


# --------------------------------------------------------------------------- terminal helpers

def _no_report(description: str, completed: int, total: int) -> None:
    """Progress sink when nothing is drawn (piped output, machine formats)."""


@contextlib.contextmanager
def progress(orch: Any, fmt: str = 'plain') -> Iterator[Callable[[str, int, int], None]]:
    """Draw a rich progress bar while a mutating command converges, on a terminal only.

    A backend built on the engine (``EngineExtras``) reports through ``set_progress(
    callback(description, completed, total))``; the same callback is yielded so a command can
    report its own waiting (``--wait``). When stdout is piped or a machine format is asked
    for, nothing is drawn.
    """
    if fmt != 'plain' or not (sys.stdout.isatty() and sys.stderr.isatty()):
        yield _no_report
        return
    from rich.console import Console
    from rich.progress import Progress

    from ceph_orch_cli.orchestrator.engine_extras import EngineExtras

    setter = orch.set_progress if isinstance(orch, EngineExtras) else None
    with Progress(transient=True, console=Console(stderr=True)) as bar:
        tasks: Dict[str, Any] = {}

        def report(description: str, completed: int, total: int) -> None:
            if description not in tasks:
                tasks[description] = bar.add_task(description, total=total)
            bar.update(tasks[description], completed=completed, total=total)

        if setter is not None:
            setter(report)
        try:
            yield report
        finally:
            if setter is not None:
                setter(None)
