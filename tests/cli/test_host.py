"""`orch host ...` on the local backend with the demo fleet."""
from __future__ import annotations

import json

from cli_helpers import Orch, assert_clean_failure


def test_host_add_with_labels_and_list_them(orch: Orch) -> None:
    result = orch('host', 'add', 'host1', '10.0.0.11', '_admin', 'mon')
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Added host 'host1' with addr '10.0.0.11'\n"
    assert orch('host', 'add', 'host2', '--labels', 'mon,osd').exit_code == 0
    hosts = {h['hostname']: h for h in json.loads(orch('host', 'ls', '--format', 'json').stdout)}
    assert hosts['host1']['labels'] == ['_admin', 'mon']
    assert hosts['host2']['labels'] == ['mon', 'osd']
    assert hosts['host2']['addr'] == 'host2'


def test_host_add_in_maintenance(orch: Orch) -> None:
    assert orch('host', 'add', 'host3', '--maintenance').exit_code == 0
    lines = orch('host', 'ls').stdout.splitlines()
    assert lines[1].split() == ['host3', 'host3', 'Maintenance']


def test_host_add_of_a_host_outside_the_fleet_fails_like_an_unreachable_host(orch: Orch) -> None:
    result = orch('host', 'add', 'host99')
    assert result.exit_code == 22
    assert result.stderr.startswith('Error EINVAL: Failed to connect to host99')
    assert 'Traceback' not in result.stderr


def test_host_ls_table_and_footer(orch: Orch, demo: object) -> None:
    lines = orch('host', 'ls').stdout.splitlines()
    assert lines[0].rstrip() == 'HOST   ADDR       LABELS              STATUS'
    assert lines[1].rstrip() == 'host1  10.0.0.11  _admin,mon,mgr,osd'
    assert len({len(line) for line in lines[:-1]}) == 1
    assert lines[-1] == '6 hosts in cluster'
    filtered = orch('host', 'ls', '--label', 'rgw').stdout.splitlines()
    assert [line.split()[0] for line in filtered[1:-1]] == ['host4', 'host5']
    assert filtered[-1] == '2 hosts in cluster who had label rgw'


def test_host_ls_detail_reads_facts(orch: Orch, demo: object) -> None:
    lines = orch('host', 'ls', '--detail').stdout.splitlines()
    assert lines[0].split() == ['HOST', 'ADDR', 'LABELS', 'STATUS', 'VENDOR/MODEL', 'CPU', 'RAM',
                                'HDD', 'SSD', 'NIC']
    assert 'GiB' in lines[1]
    data = json.loads(orch('host', 'ls', '--detail', '--format', 'json').stdout)
    assert data[0]['hostname'] == 'host1'  # flat, as Ceph's HostDetails.to_json
    assert {'cpu_summary', 'ram', 'hdd_summary', 'ssd_summary', 'nic_count'} <= set(data[0])


def test_host_labels(orch: Orch, demo: object) -> None:
    assert orch('host', 'label', 'add', 'host6', 'foo').stdout == 'Added label foo to host host6\n'
    assert orch('host', 'label', 'rm', 'host6', 'foo').stdout == \
        'Removed label foo from host host6\n'
    assert_clean_failure(orch('host', 'label', 'add', 'nohost', 'foo'), 2, 'nohost')


def test_host_rm_refuses_a_host_with_daemons_then_force(orch: Orch, demo: object) -> None:
    result = orch('host', 'rm', 'host6')
    assert result.exit_code == 22
    assert 'Not allowed to remove host6 from cluster' in result.stderr
    assert orch('host', 'rm', 'host6', '--force').exit_code == 0
    assert '5 hosts in cluster' in orch('host', 'ls').stdout


def test_host_ok_to_stop_and_rescan(orch: Orch, demo: object) -> None:
    assert orch('serve', '--once').exit_code == 0  # the new OSDs' PGs have peered
    assert orch('host', 'ok-to-stop', 'host6').stdout.startswith(
        'It is presumed safe to stop host host6')
    brief = orch('host', 'rescan', 'host1').stdout
    assert '.' not in brief
    assert orch('host', 'rescan', 'host1', '--with-summary').stdout.startswith(brief.rstrip())


def test_host_set_addr_to_an_unreachable_address_fails(orch: Orch, demo: object) -> None:
    result = orch('host', 'set-addr', 'host6', '10.9.9.9')
    assert result.exit_code == 22 and result.stderr.startswith('Error EINVAL: ')


def test_host_maintenance_enter_and_exit(orch: Orch, demo: object) -> None:
    assert orch('serve', '--once').exit_code == 0  # the new OSDs' PGs have peered
    enter = orch('host', 'maintenance', 'enter', 'host6')
    assert enter.exit_code == 0, enter.stderr
    assert orch('host', 'ls').stdout.splitlines()[6].split()[-1] == 'Maintenance'
    assert_clean_failure(orch('host', 'maintenance', 'enter', 'host6'), 22,
                         'Host host6 is already in maintenance')
    assert orch('host', 'maintenance', 'exit', 'host6').exit_code == 0
    assert 'Maintenance' not in orch('host', 'ls').stdout
    assert_clean_failure(orch('host', 'maintenance', 'exit', 'host6'), 22,
                         'Host host6 is not in maintenance mode')
    forced = orch('host', 'maintenance', 'enter', 'host6', '--force', '--yes-i-really-mean-it')
    assert forced.exit_code == 0, forced.stderr
    assert orch('host', 'maintenance', 'exit', 'host6', '--force').exit_code == 0


def test_host_drain_schedules_every_daemon_away(orch: Orch, demo: object) -> None:
    result = orch('host', 'drain', 'host6')
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Scheduled to remove the following daemons from host 'host6'")
    labels = orch('host', 'ls', '--format', 'json').stdout
    assert '_no_schedule' in [h for h in json.loads(labels) if h['hostname'] == 'host6'][0][
        'labels']


def test_host_ls_detail_json_is_flat_like_cephs_host_details(orch: Orch, demo: object) -> None:
    hosts = json.loads(orch('host', 'ls', '--detail', '--format', 'json').stdout)
    host1 = hosts[0]
    assert host1['hostname'] == 'host1' and host1['addr'] == '10.0.0.11'
    assert host1['cpu_summary'] == '8C/16T' and host1['ram'].endswith(' GiB')
    assert {'hdd_summary', 'ssd_summary', 'server', 'os', 'nic_count', 'labels',
            'status'} <= set(host1)
    assert 'host' not in host1
    yaml_keys = [line.split(':')[0] for line in
                 orch('host', 'ls', '--detail', '--format', 'yaml').stdout.splitlines()[:8]]
    assert yaml_keys == ['hdd_summary', 'ram', 'cpu_summary', 'server', 'os', 'ssd_summary',
                         'nic_count', 'service_type']
