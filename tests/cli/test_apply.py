"""`orch apply` in all its forms, on the local backend."""
from __future__ import annotations

import json
from pathlib import Path

import yaml
from cli_helpers import Orch, assert_clean_failure


def _hosts(orch: Orch) -> None:
    spec = '\n---\n'.join(f'service_type: host\nhostname: host{i}\naddr: 10.0.0.1{i}\n'
                          f'labels: [mon, osd{", rgw" if i > 3 else ""}]' for i in range(1, 7))
    assert orch('apply', '-i', '-', input=spec).exit_code == 0


def test_apply_from_stdin_skips_empty_documents(orch: Orch) -> None:
    _hosts(orch)
    result = orch('apply', '-i', '-', input='---\nservice_type: crash\nplacement:\n'
                                           '  host_pattern: "*"\n---\n---\n')
    assert result.exit_code == 0, result.stderr
    assert result.stdout == 'Scheduled crash update...\n'
    assert len(orch('ps', '--daemon_type', 'crash').stdout.splitlines()) == 7


def test_apply_service_type_with_placement(orch: Orch) -> None:
    _hosts(orch)
    assert orch('apply', 'mon', '3').stdout == 'Scheduled mon update...\n'
    assert orch('apply', 'mgr', '--placement', 'host1 host2').exit_code == 0
    assert orch('apply', 'node-exporter', '*', '--unmanaged').exit_code == 0
    rows = {line.split()[0]: line.split() for line in orch('ls').stdout.splitlines()[1:]}
    assert rows['mon'][1] == '3/3' and rows['mon'][-1] == 'count:3'
    assert rows['mgr'][-1] == 'host1;host2'
    assert rows['node-exporter'][-1] == '<unmanaged>'


def test_apply_per_type_forms(orch: Orch, tmp_path: Path) -> None:
    _hosts(orch)
    assert orch('apply', 'rgw', 'foo', 'label:rgw', '--port', '8081').stdout == \
        'Scheduled rgw.foo update...\n'
    assert orch('apply', 'rgw', 'bar', '--realm', 'r1', '--zone', 'z1', '--port', '8082',
                '--ssl').exit_code == 0
    assert orch('apply', 'nfs', 'nfs1', '1', '--port', '2050').exit_code == 0
    assert orch('apply', 'mds', 'fs1', 'count:2').exit_code == 0
    assert orch('apply', 'iscsi', 'pool1', 'admin', 'secret', '10.0.0.1,10.0.0.2',
                'count:1').exit_code == 0
    assert orch('apply', 'nvmeof', 'rbd', 'grp1', 'count:1').exit_code == 0
    creds = tmp_path / 'creds.yaml'
    creds.write_text('snmp_community: public\n')
    assert orch('apply', 'snmp-gateway', 'V2c', '10.0.0.1:162', '-i', str(creds)).exit_code == 0
    specs = {s['service_name']: s for s in yaml.safe_load_all(orch('ls', '--export').stdout)}
    assert specs['rgw.foo']['spec']['rgw_frontend_port'] == 8081
    assert specs['rgw.bar']['spec']['rgw_realm'] == 'r1'
    assert specs['rgw.bar']['spec']['ssl'] is True
    assert specs['nfs.nfs1']['spec']['port'] == 2050
    assert specs['iscsi.pool1']['spec']['pool'] == 'pool1'
    assert specs['nvmeof.rbd.grp1']['spec']['group'] == 'grp1'
    assert specs['snmp-gateway']['spec']['credentials'] == {'snmp_community': 'public'}


def test_apply_osd_all_available_devices(orch: Orch) -> None:
    _hosts(orch)
    result = orch('apply', 'osd', '--all-available-devices', '--method', 'raw')
    assert result.stdout == 'Scheduled osd.all-available-devices update...\n'
    exported = list(yaml.safe_load_all(orch('ls', 'osd', '--export').stdout))
    assert exported[0]['placement'] == {'host_pattern': '*'}
    assert exported[0]['spec']['data_devices'] == {'all': True}
    assert exported[0]['spec']['method'] == 'raw'
    assert 'osd.0' in orch('ps', '--daemon_type', 'osd').stdout


def test_apply_usage_and_validation_errors(orch: Orch, tmp_path: Path) -> None:
    spec = tmp_path / 'mon.yaml'
    spec.write_text('service_type: mon\nplacement:\n  count: 1\n')
    usage = 'Error EINVAL: Usage:\n  orch apply -i <yaml spec> [--dry-run]\n'
    assert_clean_failure(orch('apply'), 22, usage)
    assert_clean_failure(orch('apply', '-i', str(spec), 'mon'), 22, usage)
    assert_clean_failure(orch('apply', '-i', str(spec), '--unmanaged'), 22, usage)
    assert_clean_failure(orch('apply', 'nosuch', '1'), 22, 'Error EINVAL: Invalid command: nosuch')
    assert_clean_failure(orch('apply', 'mon', 'count:0'), 22, 'num/count must be >= 1')
    assert_clean_failure(orch('apply', 'mds'), 22, "Missing argument 'FS_NAME'")
    assert_clean_failure(orch('apply', 'rgw', 'x', '--realm', 'r'), 22,
                         'Cannot add RGW: Realm specified but no zone specified')
    assert_clean_failure(orch('apply', 'rgw', 'x', '--zone', 'z'), 22,
                         'Cannot add RGW: Zone specified but no realm specified')
    assert_clean_failure(orch('apply', 'osd'), 22,
                         'Error EINVAL: --all-available-devices is required')
    assert_clean_failure(orch('apply', 'osd', '--all-available-devices', '-i', str(spec)), 22,
                         '-i infile and --all-available-devices are mutually exclusive')
    assert_clean_failure(orch('apply', 'osd', '-i', str(spec), '--unmanaged'), 22,
                         '-i infile and --unmanaged are mutually exclusive')
    assert_clean_failure(orch('apply', 'snmp-gateway', 'V2c', 'h:162'), 22,
                         'missing credential configuration file. Retry with -i <filename>')
    assert_clean_failure(orch('apply', '-i', str(tmp_path / 'missing.yaml')), 2,
                         "Error ENOENT: can't open input file")
    bad = orch('apply', '-i', '-', input='service_type: [unclosed\n')
    assert bad.exit_code == 22 and bad.stderr.startswith('Error EINVAL: ')
    assert_clean_failure(orch('apply', '-i', '-', input='placement: {count: 1}\n'), 22,
                         'service_type')


def test_apply_no_overwrite_keeps_the_stored_spec(orch: Orch) -> None:
    _hosts(orch)
    assert orch('apply', 'mon', '3').exit_code == 0
    result = orch('apply', 'mon', '1', '--no-overwrite')
    assert result.exit_code == 0
    assert 'Skipped mon service spec' in result.stdout
    assert orch('ls', 'mon').stdout.splitlines()[1].split()[-1] == 'count:3'


def test_apply_continue_on_error_applies_the_rest(orch: Orch) -> None:
    _hosts(orch)
    docs = ('service_type: mon\nplacement:\n  hosts: [nosuchhost]\n---\n'
            'service_type: crash\nplacement:\n  host_pattern: "*"\n')
    result = orch('apply', '-i', '-', '--continue-on-error', input=docs)
    assert 'crash' in orch('ls').stdout, (result.stdout, result.stderr)


def test_dry_run_changes_nothing_and_previews(orch: Orch) -> None:
    _hosts(orch)
    result = orch('apply', 'mon', '3', '--dry-run')
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == '' and lines[1].startswith('WARNING! Dry-Runs')
    assert 'SERVICESPEC PREVIEWS' in lines and 'OSDSPEC PREVIEWS' in lines
    row = [line for line in lines if line.startswith('|mon ')][0]
    service, name, add_to, remove_from = [c.strip() for c in row.strip('|').split('|')]
    assert (service, name, remove_from) == ('mon', 'mon', '')
    assert len(add_to.split()) == 3
    assert orch('ls').stdout == 'No services reported\n'
    plan = json.loads(orch('apply', 'mon', '3', '--dry-run', '--format', 'json').stdout)
    assert plan[1]['add'] == add_to.split()


def test_dry_run_of_host_specs_plans_the_hosts(orch: Orch) -> None:
    """Ceph refuses previews with host specs; orch plans them and stores nothing (issue 16)."""
    result = orch('apply', '-i', '-', '--dry-run', '--format', 'json',
                  input='service_type: host\nhostname: host1\naddr: 10.0.0.11\n')
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan[0] == {'action': 'add', 'addr': '10.0.0.11', 'host': 'host1', 'labels': []}
    assert orch('host', 'ls', '--format', 'json').stdout.strip() == '[]'


def test_dry_run_osd_preview_lists_devices_per_host(orch: Orch) -> None:
    _hosts(orch)
    result = orch('apply', 'osd', '--all-available-devices', '--dry-run')
    rows = [line for line in result.stdout.splitlines() if line.startswith('|osd ')]
    assert rows, result.stdout
    cells = [c.strip() for c in rows[0].strip('|').split('|')]
    assert cells[0:2] == ['osd', 'all-available-devices'] and cells[3].startswith('/dev/')
    assert orch('ps').stdout == 'No daemons reported\n'


def test_json_format_prints_exactly_one_document(orch: Orch) -> None:
    _hosts(orch)
    result = orch('apply', 'crash', '*', '--format', 'json')
    assert json.loads(result.stdout) == ['Scheduled crash update...']
    assert result.stderr == ''


def test_apply_service_type_takes_only_cephs_service_type_choices(orch: Orch, demo: object) -> None:
    # ingress needs a spec file (`orch apply -i`); the bare word is not one of Ceph's choices
    result = orch('apply', 'ingress', 'count:2')
    assert_clean_failure(result, 22, 'Error EINVAL: Invalid command: ingress not in mon|mgr|')
    assert result.stderr.rstrip().endswith(
        '|iscsi|snmp-gateway|elasticsearch|jaeger-agent|jaeger-collector|jaeger-query')


def test_dry_run_osd_preview_shows_db_devices_per_host(orch: Orch) -> None:
    _hosts(orch)
    spec = ('service_type: osd\nservice_id: hybrid\nplacement:\n  host_pattern: "*"\n'
            'spec:\n  data_devices:\n    rotational: 1\n  db_devices:\n    rotational: 0\n')
    result = orch('apply', '-i', '-', '--dry-run', input=spec)
    assert result.exit_code == 0, result.stderr
    header = [line for line in result.stdout.splitlines() if line.startswith('|SERVICE  |NAME')]
    assert [c.strip() for c in header[-1].strip('|').split('|')] == \
        ['SERVICE', 'NAME', 'HOST', 'DATA', 'DB', 'WAL']
    rows = [[c.strip() for c in line.strip('|').split('|')]
            for line in result.stdout.splitlines() if line.startswith('|osd ')]
    host1 = [r for r in rows if r[2] == 'host1']
    assert host1 == [['osd', 'hybrid', 'host1', '/dev/sdb', '/dev/nvme0n1', '-'],
                     ['osd', 'hybrid', 'host1', '/dev/sdc', '/dev/nvme0n1', '-']]
    assert orch('ls').stdout == 'No services reported\n'


def test_apply_osd_from_a_file_words_bad_yaml_like_ceph(orch: Orch) -> None:
    result = orch('apply', 'osd', '-i', '-', input='service_type: [\n')
    assert_clean_failure(result, 22, 'Error EINVAL: Invalid YAML received : ')
