"""`orch daemon ...` on the demo cluster."""
from __future__ import annotations

import json

import pytest
from cli_helpers import Orch, assert_clean_failure

from ceph_orch_cli.commands.daemon import parse_osd_arg


def test_daemon_actions(orch: Orch, demo: object) -> None:
    for action in ('start', 'stop', 'restart', 'reconfig', 'rotate-key'):
        result = orch('daemon', action, 'mon.host1')
        assert result.stdout == f"Scheduled to {action} mon.host1 on host 'host1'\n", action
    assert orch('daemon', 'redeploy', 'mon.host1', 'quay.io/ceph/ceph:v18.2.5').stdout == \
        "Scheduled to redeploy mon.host1 on host 'host1'\n"
    assert_clean_failure(orch('daemon', 'restart', 'monhost1'), 22,
                         'Error EINVAL: monhost1 is not a valid daemon name')
    assert_clean_failure(orch('daemon', 'redeploy', 'nodot'), 22,
                         'nodot is not a valid daemon name')
    assert_clean_failure(orch('daemon', 'restart', 'mgr.nosuch'), 22,
                         'Unable to find mgr.nosuch daemon(s)')


def test_daemon_rm_needs_force_for_precious_daemons(orch: Orch, demo: object) -> None:
    for name in ('osd.0', 'mon.host1', 'prometheus.host6'):
        assert_clean_failure(orch('daemon', 'rm', name), 22,
                             'Error EINVAL: must pass --force to REMOVE daemon with potentially '
                             f'PRECIOUS DATA for {name}')
    assert orch('daemon', 'rm', 'crash.host6').stdout == "Removed crash.host6 from host 'host6'\n"
    assert 'crash.host6' not in orch('ps').stdout
    assert orch('daemon', 'rm', 'mon.host1', '--force').exit_code == 0


def test_daemon_add_by_type_and_placement(orch: Orch, demo: object) -> None:
    assert orch('daemon', 'rm', 'crash.host6').exit_code == 0
    result = orch('daemon', 'add', 'crash', 'host6')
    assert result.exit_code == 0, result.stderr
    assert 'crash.host6' in orch('ps', 'host6').stdout
    assert orch('daemon', 'add', 'mds', 'cephfs', 'host5').stdout.startswith('Deployed mds.cephfs.')
    assert orch('daemon', 'add', 'rgw', 'myrgw', 'host6', '--port', '8090').exit_code == 0
    assert orch('daemon', 'add', 'nfs', 'mynfs', 'host6').exit_code == 0


def test_daemon_add_from_a_spec_file(orch: Orch, demo: object) -> None:
    assert orch('daemon', 'rm', 'crash.host5').exit_code == 0
    result = orch('daemon', 'add', '-i', '-',
                  input='{"service_type": "crash", "placement": {"hosts": ["host5"]}}')
    assert result.exit_code == 0, result.stderr
    assert 'crash.host5' in orch('ps', 'host5').stdout


def test_daemon_add_usage(orch: Orch) -> None:
    assert_clean_failure(orch('daemon', 'add'), 22,
                         'Error EINVAL: Usage:\n    orch daemon add -i <json_file>\n'
                         '    orch daemon add <daemon_type> <placement>')
    assert_clean_failure(orch('daemon', 'add', 'crash'), 22, 'orch daemon add crash <placement>')
    assert_clean_failure(orch('daemon', 'add', 'nosuch', 'host1'), 22, 'Invalid command: nosuch')
    assert_clean_failure(orch('daemon', 'add', 'osd'), 22,
                         'Usage:\n  orch daemon add osd host:device1,device2,...')
    assert_clean_failure(orch('daemon', 'add', 'osd', 'host1'), 22,
                         "Error EINVAL: Invalid 'host:device' spec: 'host1': ")


def test_daemon_add_osd_on_named_devices(orch: Orch) -> None:
    assert orch('host', 'add', 'host1', '10.0.0.11').exit_code == 0
    result = orch('daemon', 'add', 'osd', 'host1:/dev/sdb,/dev/sdc')
    assert result.exit_code == 0, result.stderr
    osds = json.loads(orch('ps', '--daemon-type', 'osd', '--format', 'json').stdout)
    assert len(osds) == 2 and {d['hostname'] for d in osds} == {'host1'}
    # the device now holds an OSD: the inventory's validation refuses it (cephadm's
    # validate_device), unless told to skip it
    again = orch('daemon', 'add', 'osd', 'host1:/dev/sdb')
    assert_clean_failure(again, 22, "Error EINVAL: Device '/dev/sdb' on host 'host1' is not "
                                    "available for an OSD: Has a FileSystem")


@pytest.mark.parametrize('arg, host, fields', [
    ('host1:/dev/sdb,/dev/sdc', 'host1', {'data_devices': ['/dev/sdb', '/dev/sdc']}),
    ('h:data_devices=/dev/sdb,/dev/sdc,db_devices=/dev/nvme0n1,osds_per_device=2', 'h',
     {'data_devices': ['/dev/sdb', '/dev/sdc'], 'db_devices': ['/dev/nvme0n1'],
      'osds_per_device': 2}),
    ('h:/dev/disk/by-path/pci-0000:00:1f.2-ata-1', 'h',
     {'data_devices': ['/dev/disk/by-path/pci-0000:00:1f.2-ata-1']}),
    ('h:data_devices=/dev/sdb,encrypted=true', 'h',
     {'data_devices': ['/dev/sdb'], 'encrypted': True}),
])
def test_osd_argument_forms(arg: str, host: str, fields: dict) -> None:
    assert parse_osd_arg(arg) == (host, fields)


@pytest.mark.parametrize('arg', ['host1', ':/dev/sdb', 'h:', 'h:osds_per_device=2,/dev/sdb'])
def test_osd_argument_errors(arg: str) -> None:
    with pytest.raises(ValueError):
        parse_osd_arg(arg)
