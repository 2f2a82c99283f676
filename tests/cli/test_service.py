"""`orch ls`, `orch ps`, `orch rm` and the service actions on the demo cluster."""
from __future__ import annotations

import json

import yaml
from cli_helpers import DEMO_CLUSTER, Orch, assert_clean_failure


def test_ls_lists_every_demo_service_with_cephs_columns(orch: Orch, demo: object) -> None:
    lines = orch('ls').stdout.splitlines()
    assert lines[0].split() == ['NAME', 'PORTS', 'RUNNING', 'REFRESHED', 'AGE', 'PLACEMENT']
    assert len({len(line) for line in lines}) == 1
    rows = {line.split()[0]: line for line in lines[1:]}
    assert sorted(rows) == ['alertmanager', 'crash', 'grafana', 'ingress.rgw.myrgw',
                            'mds.cephfs', 'mgr', 'mon', 'nfs.mynfs', 'node-exporter',
                            'osd.default_drive_group', 'prometheus', 'rgw.myrgw']
    assert rows['mon'].split()[1:] == ['3/3', '0s', 'ago', '0s', 'count:3;label:mon']
    assert rows['ingress.rgw.myrgw'].split()[1] == '10.0.0.100:8000,8999'
    assert rows['crash'].split()[-1] == '*'
    # RUNNING is right-aligned: the column ends at the same place on every line
    end = lines[0].index('RUNNING') + len('RUNNING')
    assert all(line[end - 1] != ' ' for line in lines)


def test_ls_filters_and_empty_result(orch: Orch, demo: object) -> None:
    assert [line.split()[0] for line in orch('ls', 'rgw').stdout.splitlines()] == \
        ['NAME', 'rgw.myrgw']
    assert [line.split()[0] for line in orch('ls', 'mds', 'mds.cephfs').stdout.splitlines()] == \
        ['NAME', 'mds.cephfs']
    assert orch('ls', 'smb').stdout == 'No services reported\n'
    # Ceph prints the sentence in every format; a script asking for JSON gets JSON
    assert json.loads(orch('ls', 'smb', '--format', 'json').stdout) == []


def test_ls_json_is_one_document_with_status(orch: Orch, demo: object) -> None:
    result = orch('ls', '--format', 'json')
    assert result.stdout.count('\n') == 1 and result.stderr == ''
    services = {s['service_name']: s for s in json.loads(result.stdout)}
    assert services['mon']['status']['running'] == 3
    assert services['mon']['status']['size'] == 3
    assert services['rgw.myrgw']['spec']['rgw_frontend_port'] == 8080


def test_ls_export_round_trips_through_apply(orch: Orch, demo: object) -> None:
    export = orch('ls', '--export').stdout
    docs = list(yaml.safe_load_all(export))
    assert [d['service_name'] for d in docs] == sorted(d['service_name'] for d in docs)
    assert list(docs[0])[:3] == ['service_type', 'service_name', 'placement']
    again = orch('apply', '-i', '-', input=export)
    assert again.exit_code == 0, again.stderr
    assert orch('ls', '--export').stdout == export


def test_ps_lists_daemons_and_filters(orch: Orch, demo: object) -> None:
    lines = orch('ps').stdout.splitlines()
    assert lines[0].split() == ['NAME', 'HOST', 'PORTS', 'STATUS', 'REFRESHED', 'AGE', 'MEM',
                                'USE', 'MEM', 'LIM', 'VERSION', 'IMAGE', 'ID', 'CONTAINER',
                                'ID']
    assert len({len(line) for line in lines}) == 1
    names = [line.split()[0] for line in lines[1:]]
    assert 'mon.host1' in names and 'osd.0' in names
    # natural order: osd.2 before osd.10
    osds = [n for n in names if n.startswith('osd.')]
    assert osds == sorted(osds, key=lambda n: int(n.split('.')[1]))
    mons = orch('ps', '--service_name', 'mon').stdout.splitlines()[1:]
    assert [line.split()[0] for line in mons] == ['mon.host1', 'mon.host2', 'mon.host3']
    assert all('running (' in line for line in mons)
    on_host6 = orch('ps', 'host6', '--daemon-type', 'crash').stdout.splitlines()[1:]
    assert [line.split()[0] for line in on_host6] == ['crash.host6']
    assert orch('ps', '--daemon_id', 'nosuch').stdout == 'No daemons reported\n'


def test_ps_json_has_cephs_daemon_keys(orch: Orch, demo: object) -> None:
    daemons = json.loads(orch('ps', '--daemon-type', 'mon', '--format', 'json').stdout)
    assert {d['daemon_name'] for d in daemons} == {'mon.host1', 'mon.host2', 'mon.host3'}
    assert {'daemon_type', 'daemon_id', 'hostname', 'status', 'status_desc',
            'last_refresh'} <= set(daemons[0])
    yaml_docs = list(yaml.safe_load_all(orch('ps', '--daemon-type', 'mon',
                                             '--format', 'yaml').stdout))
    assert len(yaml_docs) == 3 and list(yaml_docs[0])[0] == 'daemon_type'


def test_service_actions_report_each_daemon(orch: Orch, demo: object) -> None:
    result = orch('restart', 'mon')
    assert sorted(result.stdout.splitlines()) == [
        f"Scheduled to restart mon.host{i} on host 'host{i}'" for i in (1, 2, 3)]
    for action in ('start', 'stop', 'redeploy', 'reconfig', 'rotate-key'):
        assert orch(action, 'crash').exit_code == 0, action
    assert orch('stop', 'mgr').stdout == 'Stopping entire mgr service is prohibited.\n'
    assert_clean_failure(orch('reconfig', 'nosuch'), 22, 'Invalid service name "nosuch"')


def test_rm_service(orch: Orch, demo: object) -> None:
    assert_clean_failure(orch('rm', 'mon'), 22,
                         'Error EINVAL: The mon and mgr services cannot be removed')
    assert orch('rm', 'nfs.mynfs').stdout == 'Removed service nfs.mynfs\n'
    assert 'nfs.mynfs' not in orch('ls').stdout
    assert orch('rm', 'nosuch').stdout.startswith("Invalid service 'nosuch'.")


def test_set_unmanaged_and_managed(orch: Orch, demo: object) -> None:
    assert orch('set-unmanaged', 'crash').exit_code == 0
    crash = [line for line in orch('ls').stdout.splitlines() if line.startswith('crash')][0]
    assert crash.split()[-1] == '<unmanaged>'
    assert orch('set-managed', 'crash').exit_code == 0
    crash = [line for line in orch('ls').stdout.splitlines() if line.startswith('crash')][0]
    assert crash.split()[-1] == '*'


def test_demo_cluster_reapplies_idempotently(orch: Orch, demo: object) -> None:
    before = orch('ps', '--format', 'json').stdout
    again = orch('apply', '-i', str(DEMO_CLUSTER))
    assert again.exit_code == 0
    names = lambda text: sorted(d['daemon_name'] for d in json.loads(text))  # noqa: E731
    assert names(orch('ps', '--format', 'json').stdout) == names(before)


def test_reapplying_the_export_redeploys_nothing(orch: Orch, demo: object) -> None:
    assert orch('serve', '--once').exit_code == 0

    def containers() -> list:
        daemons = json.loads(orch('ps', '--format', 'json').stdout)
        return sorted((d['daemon_name'], d.get('container_id')) for d in daemons)

    before = containers()
    assert orch('apply', '-i', '-', input=orch('ls', '--export').stdout).exit_code == 0
    assert orch('serve', '--once').exit_code == 0
    assert containers() == before


def test_ls_and_ps_yaml_show_events(orch: Orch, demo: object) -> None:
    service = yaml.safe_load(orch('ls', 'mon', '--format', 'yaml').stdout)
    assert list(service)[:3] == ['service_type', 'service_name', 'placement']
    assert service['status']['size'] == 3
    assert any('service:mon [INFO]' in e for e in service['events'])
    daemons = list(yaml.safe_load_all(orch('ps', '--daemon_type', 'mon', '--format', 'yaml').stdout))
    assert list(daemons[0])[:3] == ['daemon_type', 'daemon_id', 'service_name']
    assert any(f"daemon:{daemons[0]['daemon_name']} [INFO]" in e for e in daemons[0]['events'])
