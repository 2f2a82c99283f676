"""Rendering helpers: ages, sizes, natural sort, Ceph's table look, formats, dry-run preview."""
from __future__ import annotations

import datetime
import json

import pytest

from ceph_orch_cli import output
from ceph_orch_cli.output import (FormatNotImplemented, Table, format_bytes, format_dimless,
                                  natsorted, nice_bytes, nice_delta, preview_tables,
                                  to_format, to_pretty_timedelta)

td = datetime.timedelta


@pytest.mark.parametrize('delta, out', [
    # the cases of Ceph's own mgr_util test
    (td(minutes=90), '90m'),
    (td(minutes=190), '3h'),
    (td(days=3), '3d'),
    (td(hours=3), '3h'),
    (td(days=365 * 3.1), '3y'),
    # every unit boundary
    (td(seconds=0), '0s'),
    (td(seconds=119), '119s'),
    (td(seconds=120), '2m'),
    (td(minutes=119), '119m'),
    (td(hours=47), '47h'),
    (td(hours=48), '2d'),
    (td(days=13), '13d'),
    (td(days=14), '2w'),
    (td(days=83), '11w'),
    (td(days=84), '2M'),
    (td(days=729), '24M'),
    (td(days=730), '2y'),
])
def test_pretty_timedelta_matches_ceph(delta: datetime.timedelta, out: str) -> None:
    assert to_pretty_timedelta(delta) == out


def test_nice_delta_reads_datetimes_and_ceph_strings() -> None:
    now = datetime.datetime(2024, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)
    assert nice_delta(now, None, ' ago') == '-'
    assert nice_delta(now, now - td(minutes=5), ' ago') == '5m ago'
    assert nice_delta(now, '2024-01-01T11:00:00.000000Z') == '60m'
    # naive datetimes are UTC, as Ceph stores them
    assert nice_delta(now, datetime.datetime(2023, 12, 25, 12, 0)) == '7d'


@pytest.mark.parametrize('n, out', [
    (423 * 1024 ** 2, ' 423M'),
    (10 * 1024 ** 3, '10.0G'),
    # Ceph keeps a unit while the integer part fits 4 digits: 1.5 GiB prints as 1536M
    (int(1.5 * 1024 ** 3), '1536M'),
    (int(15.5 * 1024 ** 3), '15.5G'),
    (1023, '1023 '),
    (9999, '9999 '),
    (10000, '9.76k'),
    (0, '   0 '),
    (1024 ** 4, '1024G'),
    (10 * 1024 ** 4, '10.0T'),
])
def test_format_bytes_fits_five_characters(n: int, out: str) -> None:
    assert format_bytes(n, 5) == out


@pytest.mark.parametrize('n, out', [
    (1000, '1000 '),
    (10000, '10.0k'),
    (123456789, ' 123M'),
    (2 * 10 ** 12, '2000G'),
])
def test_format_dimless_is_base_1000(n: int, out: str) -> None:
    assert format_dimless(n, 5) == out


def test_nice_bytes_dashes_unknown_and_zero() -> None:
    assert nice_bytes(None) == '-'
    assert nice_bytes(0) == '-'
    assert nice_bytes(423 * 1024 ** 2) == ' 423M'


def test_natsorted_orders_numbers_inside_names() -> None:
    assert natsorted(['host10', 'host2', 'host1', 'a']) == ['a', 'host1', 'host2', 'host10']
    assert natsorted(['osd.10', 'osd.9', 'mon.a']) == ['mon.a', 'osd.9', 'osd.10']


def test_borderless_table_pads_every_cell_by_two_and_keeps_trailing_spaces() -> None:
    t = Table(['NAME', 'RUNNING', 'AGE'], align={'RUNNING': 'r'})
    t.add_row(['mon', '3/3', '5m'])
    t.add_row(['crash', '10/10', '-'])
    assert t.get_string().split('\n') == [
        'NAME   RUNNING  AGE  ',
        'mon        3/3  5m   ',
        'crash    10/10  -    ',
    ]


def test_table_column_can_be_removed() -> None:
    t = Table(['A', 'CONTAINER ID'])
    t.add_row(['x', '<unknown>'])
    assert t.column('CONTAINER ID') == ['<unknown>']
    t.del_column('CONTAINER ID')
    assert t.get_string() == 'A  \nx  '


def test_table_prints_booleans_as_python_does() -> None:
    t = Table(['REPLACE'])
    t.add_row([False])
    assert t.get_string().split('\n')[1] == 'False    '


def test_bordered_table_with_title_matches_prettytable() -> None:
    t = Table(['SERVICE', 'NAME', 'ADD_TO', 'REMOVE_FROM'], border=True,
              title='SERVICESPEC PREVIEW')
    t.add_row(['mon', 'mon', 'host1 host2', ''])
    lines = t.get_string().split('\n')
    rule = '+---------+------+-------------+-------------+'
    assert lines[0] == '+' + '-' * 44 + '+'
    assert lines[1] == '|' + ' ' * 11 + 'SERVICESPEC PREVIEW' + ' ' * 14 + '|'
    assert lines[2:] == [rule, '|SERVICE  |NAME  |ADD_TO       |REMOVE_FROM  |', rule,
                         '|mon      |mon   |host1 host2  |             |', rule]


def test_center_alignment_puts_odd_space_like_prettytable() -> None:
    # odd-length text: the extra space goes right; even-length text: left
    assert output._justify('abc', 6, 'c') == ' abc  '
    assert output._justify('ab', 5, 'c') == '  ab '


class _Spec:
    """Stands for a spec: keys must come out in to_json order in YAML."""

    def to_json(self) -> dict:
        return {'service_type': 'mon', 'service_name': 'mon', 'placement': {'count': 3}}

    yaml_representer = None


def test_json_is_one_sorted_line_and_pretty_is_indented_two() -> None:
    assert to_format([{'b': 1, 'a': 2}], 'json', many=True) == '[{"a": 2, "b": 1}]'
    assert to_format({'b': 1, 'a': 2}, 'json-pretty', many=False) == \
        '{\n  "a": 2,\n  "b": 1\n}'


def test_yaml_keeps_to_json_order_for_specs_and_sorts_plain_dicts() -> None:
    assert to_format([_Spec(), _Spec()], 'yaml', many=True) == (
        'service_type: mon\nservice_name: mon\nplacement:\n  count: 3\n'
        '---\n'
        'service_type: mon\nservice_name: mon\nplacement:\n  count: 3\n')
    assert to_format({'b': 1, 'a': 2}, 'yaml', many=False) == 'a: 2\nb: 1\n'


@pytest.mark.parametrize('fmt, name', [('xml', 'xml'), ('xml-pretty', 'xml_pretty')])
def test_xml_is_refused_as_ceph_does(fmt: str, name: str) -> None:
    with pytest.raises(FormatNotImplemented, match=f"format '{name}' is not implemented."):
        to_format([], fmt, many=True)


WARNING = ('WARNING! Dry-Runs are snapshots of a certain point in time and are bound \n'
           'to the current inventory setup.')


def test_preview_renders_service_and_osd_tables_in_cephs_layout() -> None:
    plan = [
        {'warning': WARNING},
        {'service_name': 'mon', 'service_type': 'mon', 'add': ['host1', 'host2'],
         'remove': []},
        {'service_name': 'osd.default', 'service_type': 'osd', 'data': {
            'host1': [{'osdspec': 'default',
                       'data': [{'data': '/dev/sdb', 'block_db': '/dev/nvme0n1'},
                                {'data': '/dev/sdc'}]}]}},
    ]
    text = preview_tables(plan)
    lines = text.split('\n')
    assert lines[0] == ''
    assert '\n'.join(lines[1:3]) == WARNING
    assert lines[3:7] == ['', '####################', 'SERVICESPEC PREVIEWS',
                          '####################']
    assert '|mon      |mon   |host1 host2  |             |' in lines
    i = lines.index('OSDSPEC PREVIEWS', 10)
    assert lines[i - 1] == '################' and lines[i + 1] == '################'
    assert '|osd      |default  |host1  |/dev/sdb  |/dev/nvme0n1  |-    |' in lines
    assert '|osd      |default  |host1  |/dev/sdc  |-             |-    |' in lines
    assert text.endswith('+\n')


def test_preview_with_an_error_is_just_the_errors_as_json() -> None:
    plan = [{'error': 'Found <HostSpec>. Previews that include Host Specifications are not '
                      'supported, yet.'}]
    assert json.loads(preview_tables(plan)) == [plan[0]['error']]


def test_preview_osd_error_replaces_the_osd_table() -> None:
    plan = [{'warning': 'w'}, {'service_name': 'osd.x', 'service_type': 'osd', 'data': {
        'n/a': [{'error': True, 'message': 'No OSDSpec or matching hosts found.'}]}}]
    assert preview_tables(plan).endswith('################\nNo OSDSpec or matching hosts found.\n')
