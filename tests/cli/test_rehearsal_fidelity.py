"""Issue 16, the simulated cluster's fidelity: what `orch` shows on the local backend is what
a real cephadm cluster would show (offline and maintenance hosts, the active mgr, ports,
Ceph's own answers), each point through the command line."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest
from cli_helpers import DEMO_FLEET, Orch, assert_clean_failure


def ps(orch: Orch, *args: str) -> List[Dict[str, Any]]:
    result = orch('ps', '--format', 'json', *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def ls_table(orch: Orch) -> Dict[str, str]:
    """`orch ls` as service name -> RUNNING column."""
    result = orch('ls')
    assert result.exit_code == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[1:] if line.strip()]
    return {row[0]: next(c for c in row[1:] if re.fullmatch(r'\d+(/\d+)?', c)) for row in rows}


def host6_offline(tmp_path: Path) -> str:
    """The demo fleet with host6 switched off."""
    text = DEMO_FLEET.read_text().replace('hostname: host6\n', 'hostname: host6\nstatus: offline\n')
    path = tmp_path / 'fleet-offline.yaml'
    path.write_text(text)
    return str(path)


# ------------------------------------------------------------------ 1. offline and maintenance hosts

def test_an_offline_hosts_daemons_are_errors_and_count_out(orch: Orch, demo, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('ORCH_FLEET', host6_offline(tmp_path))
    assert orch('serve', '--once').exit_code == 0
    crash = {d['hostname']: d for d in ps(orch, '--daemon-type', 'crash')}
    assert (crash['host6']['status'], crash['host6']['status_desc']) == (-1, 'host is offline')
    assert all(d['status_desc'] == 'running' for h, d in crash.items() if h != 'host6')
    plain = orch('ps', 'host6').stdout
    assert 'host is offline' in plain and 'running' not in plain
    running = ls_table(orch)
    assert running['crash'] == '5/6' and running['node-exporter'] == '5/6'
    assert running['osd.default_drive_group'] == '10'  # host6's two OSDs are out


def test_a_maintenance_hosts_daemons_are_stopped(orch: Orch, demo) -> None:
    assert orch('serve', '--once').exit_code == 0  # the new OSDs' PGs have peered
    assert orch('host', 'maintenance', 'enter', 'host5', '--force').exit_code == 0
    assert {d['status_desc'] for d in ps(orch, 'host5')} == {'stopped'}
    assert ls_table(orch)['crash'] == '5/6'


def test_a_host_added_in_maintenance_runs_nothing(orch: Orch) -> None:
    for n in (1, 2):
        assert orch('host', 'add', f'host{n}', f'10.0.0.1{n}').exit_code == 0
    assert orch('host', 'add', 'host3', '10.0.0.13', '--maintenance').exit_code == 0
    assert orch('apply', 'crash').exit_code == 0
    assert {d['hostname'] for d in ps(orch, '--daemon-type', 'crash')} == {'host1', 'host2'}
    assert ls_table(orch)['crash'] == '2/3'


# ------------------------------------------------------------------ 2. one active mgr

def active_mgr(orch: Orch) -> Dict[str, Any]:
    mgrs = ps(orch, '--daemon-type', 'mgr')
    assert len(mgrs) == 2 and [m['is_active'] for m in mgrs].count(True) == 1
    return next(m for m in mgrs if m['is_active'])


def test_exactly_one_mgr_is_active(orch: Orch, demo) -> None:
    active = active_mgr(orch)
    listed = json.loads(orch('ps', '--daemon-type', 'mgr', '--format', 'json', '--refresh').stdout)
    assert [m['daemon_name'] for m in listed if m['is_active']] == [active['daemon_name']]


@pytest.mark.parametrize('args', [('host', 'ok-to-stop'), ('host', 'maintenance', 'enter'),
                                  ('host', 'maintenance', 'enter', '--force')])
def test_the_active_mgrs_host_is_not_ok_to_stop(orch: Orch, demo, args) -> None:
    active = active_mgr(orch)
    hosts = orch('host', 'ls', '--format', 'json').stdout
    result = orch(*args[:1], *args[1:], active['hostname'])
    assert result.exit_code != 0 and 'Traceback' not in result.stderr
    assert ("ALERT: Cannot stop active Mgr daemon, Please switch active Mgrs with "
            f"'ceph mgr fail {active['daemon_id']}'") in result.stderr
    assert orch('host', 'ls', '--format', 'json').stdout == hosts


def test_stopping_the_active_mgr_promotes_a_standby(orch: Orch, demo) -> None:
    old = active_mgr(orch)
    assert orch('daemon', 'stop', old['daemon_name']).exit_code == 0
    new = active_mgr(orch)
    assert new['daemon_name'] != old['daemon_name'] and new['status_desc'] == 'running'
    assert orch('serve', '--once').exit_code == 0
    assert orch('daemon', 'start', old['daemon_name']).exit_code == 0
    assert active_mgr(orch)['daemon_name'] == new['daemon_name']  # no flip back
    # with the standby stopped, the last mgr has nobody to hand its role to
    assert orch('daemon', 'stop', old['daemon_name'], '--force').exit_code == 0
    result = orch('daemon', 'stop', new['daemon_name'])
    assert_clean_failure(result, 16, 'no standby mgr would remain')
    assert active_mgr(orch)['daemon_name'] == new['daemon_name']


# ------------------------------------------------------------------ 3. ports are real

def test_two_rgws_on_one_port_and_host_cannot_both_run(orch: Orch, demo) -> None:
    assert orch('apply', 'rgw', 'other', '--placement=host4', '--port', '8080').exit_code == 0
    assert ls_table(orch)['rgw.other'] == '0/1'
    assert ps(orch, '--service-name', 'rgw.other') == []
    events = orch('ls', '--service-name', 'rgw.other', '--format', 'json').stdout
    assert "TCP Port(s) '8080' required for rgw already in use" in events
    # on another port it runs beside the first
    assert orch('apply', 'rgw', 'other', '--placement=host4', '--port', '8081').exit_code == 0
    assert ls_table(orch)['rgw.other'] == '1/1'


def test_two_ingresses_on_one_vip_and_port_cannot_both_run(orch: Orch, demo,
                                                          tmp_path: Path) -> None:
    spec = tmp_path / 'ingress.yaml'
    spec.write_text('service_type: ingress\nservice_id: rgw.second\nplacement:\n'
                    '  count: 2\n  label: rgw\nspec:\n  backend_service: rgw.myrgw\n'
                    '  virtual_ip: 10.0.0.100/24\n  frontend_port: 8000\n  monitor_port: 8999\n')
    assert orch('apply', '-i', str(spec)).exit_code == 0
    assert ls_table(orch)['ingress.rgw.second'] == '2/4'  # keepalived runs, haproxy cannot
    types = {d['daemon_type'] for d in ps(orch, '--service-name', 'ingress.rgw.second')}
    assert types == {'keepalived'}
    events = orch('ls', '--service-name', 'ingress.rgw.second', '--format', 'json').stdout
    assert "TCP Port(s) '8000,8999' required for haproxy already in use" in events


# ------------------------------------------------------------------ 4. Reef's option names

def test_a_reef_only_config_option_is_accepted(orch: Orch, demo, tmp_path: Path) -> None:
    spec = tmp_path / 'osd.yaml'
    spec.write_text('service_type: rgw\nservice_id: q\nconfig:\n'
                    '  bluestore_allocation_from_file: true\n')
    assert orch('apply', '-i', str(spec)).exit_code == 0
    assert 'bluestore_allocation_from_file' in orch('ls', '--export').stdout


# ------------------------------------------------------------------ 5. Ceph's own answers

def test_osd_ok_to_stop_refuses_while_pgs_peer(orch: Orch, demo) -> None:
    result = orch('host', 'ok-to-stop', 'host6')
    assert_clean_failure(result, 16, 'unsafe to stop osd(s) at this time (')
    assert 'PGs are or would become offline' in result.stderr
    assert orch('serve', '--once').exit_code == 0  # a pass later the PGs are active
    assert orch('host', 'ok-to-stop', 'host6').exit_code == 0


def test_mon_quorum_is_counted_against_the_monmap(orch: Orch, demo) -> None:
    assert orch('serve', '--once').exit_code == 0
    mons = sorted(ps(orch, '--daemon-type', 'mon'), key=lambda d: d['hostname'])
    assert len(mons) == 3
    # one of three stopped: the two left are a majority of the map, not of the living
    assert orch('daemon', 'stop', mons[0]['daemon_name']).exit_code == 0
    result = orch('daemon', 'stop', mons[1]['daemon_name'])
    assert_clean_failure(result, 16, 'not enough monitors would be available ('
                                     f"{mons[2]['daemon_id']}) after stopping mons "
                                     f"[{mons[1]['daemon_id']}]")


# ------------------------------------------------------------------ 8. README's contract

@pytest.mark.parametrize('args,plain', [(('ls',), 'No services reported'),
                                        (('ps',), 'No daemons reported'),
                                        (('host', 'ls'), '0 hosts in cluster')])
def test_empty_results_per_format(orch: Orch, args, plain: str) -> None:
    assert plain in orch(*args).stdout
    assert json.loads(orch(*args, '--format', 'json').stdout) == []
    result = orch(*args, '--format', 'yaml')
    assert result.exit_code == 0 and result.stdout.strip() == ''


def test_yaml_lists_are_multi_document(orch: Orch, demo) -> None:
    import yaml
    docs = list(yaml.safe_load_all(orch('ps', '--daemon-type', 'mon', '--format', 'yaml').stdout))
    assert [d['daemon_type'] for d in docs] == ['mon', 'mon', 'mon']
    exported = list(yaml.safe_load_all(orch('ls', '--export').stdout))
    assert {d['service_name'] for d in exported} >= {'mon', 'mgr', 'crash'}


@pytest.mark.parametrize('args,message', [
    (('daemon', 'add', 'osd', 'nohost:/dev/sdb'), "Invalid 'host:device' spec: host not found"),
    (('stop', 'mgr'), 'Stopping entire mgr service is prohibited.'),
    (('host', 'label', 'rm', 'host1', 'nolabel'), "Host host1 does not have label 'nolabel'"),
])
def test_names_that_exit_0_as_ceph_does(orch: Orch, demo, args, message: str) -> None:
    before = orch('ls', '--export').stdout
    result = orch(*args)
    assert result.exit_code == 0 and message in result.stdout
    assert orch('ls', '--export').stdout == before


def test_cephs_several_line_errors_stay_several_lines(orch: Orch, demo) -> None:
    result = orch('host', 'rm', 'host6')
    assert result.exit_code == 22 and len(result.stderr.splitlines()) > 3
    assert result.stderr.startswith('Error EINVAL: Not allowed to remove host6 from cluster.')
    usage = orch('apply')
    assert usage.exit_code == 22 and usage.stderr.splitlines()[1].strip().startswith('orch apply -i')
