"""Golden tables: `orch ls`, `ps`, `host ls`, `device ls` and the dry-run preview, cell for cell.

A fixed in-memory cluster (fake_backend.FakeCluster) and a frozen clock make every age exact.
Borderless tables pad every cell, the last one included, so every line of a table has the
header's length; the expected text below is written without the trailing spaces.
"""
from __future__ import annotations

import json
from typing import Any, List

import fake_backend
import pytest
import yaml
from cli_helpers import Orch

from ceph_orch_cli import output


@pytest.fixture(autouse=True)
def fake_cluster(monkeypatch: pytest.MonkeyPatch) -> fake_backend.FakeCluster:
    cluster = fake_backend.FakeCluster()
    monkeypatch.setattr('ceph_orch_cli.backends.load_backend', lambda name, state: cluster)
    monkeypatch.setattr(output, 'datetime_now', lambda: fake_backend.NOW)
    return cluster


def table_lines(text: str, rows: int) -> List[str]:
    """The first ``1 + rows`` lines, checked to be one padded block, then right-stripped."""
    lines = text.split('\n')[:1 + rows]
    assert len({len(line) for line in lines}) == 1, lines
    assert all(line.endswith('  ') for line in lines)
    return [line.rstrip() for line in lines]


def test_orch_ls(orch: Orch) -> None:
    result = orch('ls')
    assert result.exit_code == 0
    assert table_lines(result.stdout, 5) == [
        'NAME          PORTS        RUNNING  REFRESHED   AGE  PLACEMENT',
        'alertmanager  ?:9093,9094      1/1  3m ago      5h   count:1',
        'crash                          3/3  <deleting>  -    <unmanaged>',
        'mon                            3/3  30s ago     7M   count:3;label:mon',
        'osd.default                     12  60s ago     3d   label:osd',
        'rgw.myrgw     ?:8080           1/2  5m ago      3w   count:2;label:rgw',
    ]
    assert result.stdout.count('\n') == 6


def test_orch_ps_drops_container_id_when_all_unknown(orch: Orch) -> None:
    result = orch('ps')
    assert result.exit_code == 0
    assert table_lines(result.stdout, 5) == [
        'NAME                    HOST   PORTS           STATUS        REFRESHED  AGE  MEM USE'
        '  MEM LIM  VERSION    IMAGE ID',
        'alertmanager.host1      host1  *:9093,9094     running (3m)     3m ago   5h        -'
        '        -  <unknown>  <unknown>',
        'mon.host1               host1                  running (3d)    40s ago  10M    1536M'
        '    2048M  18.2.1     0123456789ab',
        'osd.9                   host1                  stopped          5m ago   5w        -'
        '        -  18.2.1     0123456789ab',
        'osd.10                  host2                  running (2h)     5m ago   5w     423M'
        '    4096M  18.2.1     0123456789ab',
        'rgw.myrgw.host2.abcdef  host2  10.0.0.12:8080  error                 -    -        -'
        '        -  <unknown>  <unknown>',
    ]


def test_orch_ps_filters_and_empty_result(orch: Orch) -> None:
    result = orch('ps', 'host2', '--daemon_type', 'osd')
    assert [line.split()[0] for line in result.stdout.splitlines()] == ['NAME', 'osd.10']
    assert orch('ps', '--daemon-type', 'nosuch').stdout == 'No daemons reported\n'
    assert orch('ps', '--daemon-type', 'nosuch', '--format', 'json').stdout == '[]\n'


def test_orch_host_ls_with_footer(orch: Orch) -> None:
    result = orch('host', 'ls')
    assert table_lines(result.stdout, 3) == [
        'HOST    ADDR       LABELS      STATUS',
        'host1   10.0.0.11  _admin,mon',
        'host2   10.0.0.12  mon         Maintenance',
        'host10  host10                 Offline',
    ]
    assert result.stdout.endswith('\n3 hosts in cluster\n')


def test_orch_host_ls_filters_name_themselves_in_the_footer(orch: Orch) -> None:
    result = orch('host', 'ls', '--label', 'mon', '--host_pattern', 'host*',
                  '--host-status', 'maintenance')
    assert [line.split()[0] for line in result.stdout.splitlines()[:-1]] == ['HOST', 'host2']
    assert result.stdout.splitlines()[-1] == (
        '1 hosts in cluster who had label mon whose hostname matched host* '
        'with status maintenance')


def test_orch_host_ls_detail(orch: Orch) -> None:
    result = orch('host', 'ls', '--detail')
    assert table_lines(result.stdout, 3) == [
        'HOST    ADDR       LABELS      STATUS       VENDOR/MODEL  CPU      RAM     HDD      SSD'
        '  NIC',
        'host1   10.0.0.11  _admin,mon               Dell R740     16C/32T  62 GiB  2/8.0TB  -  '
        '  4',
        'host2   10.0.0.12  mon         Maintenance  N/A           N/A      N/A     N/A      N/A'
        '  N/A',
        'host10  host10                 Offline      N/A           N/A      N/A     N/A      N/A'
        '  N/A',
    ]


def test_orch_device_ls(orch: Orch) -> None:
    result = orch('device', 'ls')
    assert table_lines(result.stdout, 3) == [
        'HOST   PATH          TYPE  DEVICE ID   SIZE  AVAILABLE  REFRESHED  REJECT REASONS',
        'host1  /dev/sdb      hdd   IDSDB       423M  Yes        7m ago',
        'host2  /dev/nvme0n1  ssd   ID0N1       745G  No         7m ago     '
        'Insufficient space (<10 extents) on vgs, LVM detected',
        'host2  /dev/sdc      hdd   IDSDC      4096G  Yes        7m ago',
    ]
    assert result.stdout.count('\n') == 4  # no footer


def test_orch_device_ls_wide_shows_lsm_data_and_lights(orch: Orch) -> None:
    result = orch('device', 'ls', '--wide', 'host2')
    assert table_lines(result.stdout, 2) == [
        'HOST   PATH          TYPE  TRANSPORT  RPM  DEVICE ID   SIZE  HEALTH  IDENT  FAULT  '
        'AVAILABLE  REFRESHED  REJECT REASONS',
        'host2  /dev/nvme0n1  ssd   NVMe       N/A  ID0N1       745G  Good    Off    N/A    '
        'No         7m ago     Insufficient space (<10 extents) on vgs, LVM detected',
        'host2  /dev/sdc      hdd                   IDSDC      4096G          N/A    N/A    '
        'Yes        7m ago',
    ]


def test_orch_osd_rm_status(orch: Orch) -> None:
    result = orch('osd', 'rm', 'status')
    assert table_lines(result.stdout, 2) == [
        'OSD  HOST    STATE        PGS  REPLACE  FORCE  ZAP    DRAIN STARTED AT',
        '3    host10  not started   -1  False    False  False',
        '12   host2   draining      57  True     False  True   2024-05-01 11:58:00.123456',
    ]


PREVIEW = '''
WARNING! Dry-Runs are snapshots of a certain point in time and are bound 
to the current inventory setup.

####################
SERVICESPEC PREVIEWS
####################
+--------------------------------------------+
|           SERVICESPEC PREVIEW              |
+---------+------+-------------+-------------+
|SERVICE  |NAME  |ADD_TO       |REMOVE_FROM  |
+---------+------+-------------+-------------+
|mon      |mon   |host1 host2  |mon.host10   |
+---------+------+-------------+-------------+

################
OSDSPEC PREVIEWS
################
+-----------------------------------------+
|            OSDSPEC PREVIEWS             |
+---------+------+------+------+----+-----+
|SERVICE  |NAME  |HOST  |DATA  |DB  |WAL  |
+---------+------+------+------+----+-----+
+---------+------+------+------+----+-----+

'''


def test_dry_run_preview_tables(orch: Orch, fake_cluster: Any) -> None:
    result = orch('apply', 'mon', '3', '--dry-run')
    assert result.exit_code == 0
    assert result.stdout == PREVIEW
    assert fake_cluster.applied[0].preview_only is True


def test_dry_run_osd_preview_lists_each_device(orch: Orch) -> None:
    result = orch('apply', 'osd', '--all-available-devices', '--dry-run')
    lines = result.stdout.splitlines()
    assert lines[-7:] == [
        '|                            OSDSPEC PREVIEWS                             |',
        '+---------+-----------------------+-------+----------+--------------+-----+',
        '|SERVICE  |NAME                   |HOST   |DATA      |DB            |WAL  |',
        '+---------+-----------------------+-------+----------+--------------+-----+',
        '|osd      |all-available-devices  |host1  |/dev/sdb  |/dev/nvme0n1  |-    |',
        '+---------+-----------------------+-------+----------+--------------+-----+',
        '',
    ]


def test_dry_run_json_is_the_raw_plan(orch: Orch) -> None:
    plan = json.loads(orch('apply', 'mon', '3', '--dry-run', '--format', 'json').stdout)
    assert plan[0]['warning'].startswith('WARNING! Dry-Runs')
    assert plan[1] == {'add': ['host1', 'host2'], 'remove': ['mon.host10'],
                       'service_name': 'mon', 'service_type': 'mon'}


def test_ls_export_is_multi_document_yaml_in_to_json_order(orch: Orch) -> None:
    text = orch('ls', '--export').stdout
    docs = list(yaml.safe_load_all(text))
    # the service being deleted is not exported
    assert [d['service_name'] for d in docs] == ['alertmanager', 'mon', 'osd.default',
                                                 'rgw.myrgw']
    assert text.startswith('service_type: alertmanager\nservice_name: alertmanager\n')
    assert '\n---\nservice_type: mon\nservice_name: mon\nplacement:\n  count: 3\n  label: mon\n' \
        in text


def test_ls_yaml_keeps_spec_order_and_json_sorts(orch: Orch) -> None:
    text = orch('ls', 'mon', '--format', 'yaml').stdout
    assert text.startswith('service_type: mon\nservice_name: mon\nplacement:\n')
    line = orch('ls', 'mon', '--format', 'json').stdout
    assert line.count('\n') == 1
    assert line.startswith('[{"placement": {"count": 3, "label": "mon"}, "service_name": "mon"')
