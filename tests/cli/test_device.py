"""`orch device ...` on the demo fleet."""
from __future__ import annotations

import json

from cli_helpers import Orch, assert_clean_failure


def test_device_ls_lists_every_fleet_device(orch: Orch, demo: object) -> None:
    lines = orch('device', 'ls').stdout.splitlines()
    assert lines[0].split() == ['HOST', 'PATH', 'TYPE', 'DEVICE', 'ID', 'SIZE', 'AVAILABLE',
                                'REFRESHED', 'REJECT', 'REASONS']
    assert len({len(line) for line in lines}) == 1
    first = lines[1].split()
    assert first[:3] == ['host1', '/dev/nvme0n1', 'ssd']
    # SIZE is right-aligned under its header
    end = lines[0].index('SIZE') + len('SIZE')
    assert all(line[end - 1] != ' ' for line in lines)
    hosts = [line.split()[0] for line in lines[1:]]
    assert hosts == sorted(hosts)


def test_device_ls_for_some_hosts_wide(orch: Orch, demo: object) -> None:
    lines = orch('device', 'ls', 'host6', '--wide').stdout.splitlines()
    assert lines[0].split()[:6] == ['HOST', 'PATH', 'TYPE', 'TRANSPORT', 'RPM', 'DEVICE']
    assert {line.split()[0] for line in lines[1:]} == {'host6'}


def test_device_ls_json_is_inventory_hosts(orch: Orch, demo: object) -> None:
    hosts = json.loads(orch('device', 'ls', 'host1', '--format', 'json', '--refresh').stdout)
    assert [h['name'] for h in hosts] == ['host1']
    assert set(hosts[0]) == {'name', 'addr', 'devices', 'labels'}
    assert {'path', 'sys_api', 'available', 'rejected_reasons', 'device_id'} <= \
        set(hosts[0]['devices'][0])


def test_device_zap_needs_force(orch: Orch, demo: object) -> None:
    assert_clean_failure(orch('device', 'zap', 'host1', '/dev/sdd'), 22,
                         'Error EINVAL: must pass --force to PERMANENTLY ERASE DEVICE DATA')
    assert orch('device', 'zap', 'host1', '/dev/sdd', '--force').stdout == \
        'zap successful for /dev/sdd on host1\n'
    assert_clean_failure(orch('device', 'zap', 'host1', '/dev/nope', '--force'), 22,
                         "Device path '/dev/nope' not found on host 'host1'")


def test_device_lights_are_remembered(orch: Orch, demo: object) -> None:
    on = orch('device', 'light', 'on', 'ST4000NM0035-1V4_ZC1010B1')
    assert on.stdout == "['Set ident light for host1:/dev/sdb on']\n"
    assert orch('device', 'light', 'on', 'host1:/dev/sdc', 'fault').exit_code == 0
    assert json.loads(orch('device', 'ls-lights').stdout) == {
        'fault': ['host1:/dev/sdc'], 'ident': ['ST4000NM0035-1V4_ZC1010B1']}
    assert orch('device', 'light', 'off', 'ST4000NM0035-1V4_ZC1010B1').exit_code == 0
    assert json.loads(orch('device', 'ls-lights').stdout)['ident'] == []
    assert_clean_failure(orch('device', 'light', 'on', 'nosuchdev'), 2,
                         'Error ENOENT: device nosuchdev not found')
