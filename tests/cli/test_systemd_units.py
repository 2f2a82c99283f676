"""`orch cephadm systemd-unit ls [HOST [TYPE [ID]]]`: each host's cluster target and its
daemons' units (``ceph-<fsid>@<daemon>.service``) with their state, from the daemon cache."""
from __future__ import annotations

import json

import yaml
from cli_helpers import Orch, assert_clean_failure


def _fsid(orch: Orch) -> str:
    unit = json.loads(orch('ps', '--format', 'json').stdout)[0]['systemd_unit']
    return str(unit.split('@')[0][len('ceph-'):])


def test_units_of_a_host_as_json_by_default(orch: Orch, demo: object) -> None:
    fsid = _fsid(orch)
    data = json.loads(orch('cephadm', 'systemd-unit', 'ls', 'host6').stdout)
    assert list(data) == ['host6']
    assert data['host6']['target'] == f'ceph-{fsid}.target'
    assert data['host6']['units']['grafana.host6'] == {
        'unit': f'ceph-{fsid}@grafana.host6.service', 'state': 'active'}
    daemons = {d['daemon_name'] for d in json.loads(orch('ps', 'host6', '--format',
                                                         'json').stdout)}
    assert set(data['host6']['units']) == daemons


def test_filters_by_type_and_id_and_a_stopped_daemon_is_inactive(orch: Orch,
                                                                 demo: object) -> None:
    assert orch('daemon', 'stop', 'grafana.host6').exit_code == 0
    data = json.loads(orch('cephadm', 'systemd-unit', 'ls', 'host6', 'grafana', 'host6',
                           '--format', 'json').stdout)
    assert list(data['host6']['units']) == ['grafana.host6']
    assert data['host6']['units']['grafana.host6']['state'] == 'inactive'
    mons = json.loads(orch('cephadm', 'systemd-unit', 'ls', '--daemon-type', 'mon',
                           '--format', 'json').stdout)
    assert all(list(h['units']) == [f'mon.{name}'] for name, h in mons.items()) and mons
    assert yaml.safe_load(orch('cephadm', 'systemd-unit', 'ls', '--format',
                               'yaml').stdout) == json.loads(
        orch('cephadm', 'systemd-unit', 'ls', '--format', 'json').stdout)


def test_plain_table_lists_the_target_then_the_units(orch: Orch, demo: object) -> None:
    fsid = _fsid(orch)
    lines = orch('cephadm', 'systemd-unit', 'ls', 'host6', '--format', 'plain').stdout.splitlines()
    assert lines[0].split() == ['HOST', 'UNIT', 'DAEMON', 'STATE']
    assert lines[1].split() == ['host6', f'ceph-{fsid}.target', '-', 'active']
    assert lines[2].split() == ['host6', f'ceph-{fsid}@alertmanager.host6.service',
                                'alertmanager.host6', 'active']


def test_an_unknown_host_is_enoent(orch: Orch, demo: object) -> None:
    assert_clean_failure(orch('cephadm', 'systemd-unit', 'ls', 'host99'), 2,
                         "Error ENOENT: Host 'host99' is not managed")


def test_no_daemons_no_units(orch: Orch) -> None:
    assert orch('cephadm', 'systemd-unit', 'ls').stdout == '{}\n'
