"""The operator's command lines for `orch prometheus|alertmanager ...`, `orch sd dump cert`,
`orch hardware ...` (BMC simulated by the local backend), `orch device replace` and
`orch osd set-spec-affinity`: outputs, exit codes, JSON, and secrets kept out of events and
errors."""
from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import Orch, assert_clean_failure


def events_text(orch: Orch) -> str:
    daemons = json.loads(orch('ps', '--format', 'json').stdout)
    services = json.loads(orch('ls', '--format', 'json').stdout)
    return json.dumps([d.get('events') for d in daemons] + [s.get('events') for s in services])


# ------------------------------------------------------------------ prometheus / alertmanager

def test_get_credentials_is_one_json_document(orch: Orch, demo: object) -> None:
    result = orch('prometheus', 'get-credentials')
    assert result.exit_code == 0, result.stderr
    info = json.loads(result.stdout)
    assert set(info) == {'user', 'password', 'certificate'}
    assert info['user'] == 'admin' and info['password']
    assert info['certificate'].startswith('-----BEGIN CERTIFICATE-----')
    assert json.loads(orch('prometheus', 'get-credentials', '--format', 'json').stdout) == info


def test_set_credentials_from_arguments_or_a_json_file(orch: Orch, demo: object,
                                                       tmp_path: Path) -> None:
    result = orch('prometheus', 'set-credentials', 'prom', 'Pa55-word-1')
    assert (result.exit_code, result.stdout) == (0, '"prometheus credentials updated correctly"\n')
    creds = tmp_path / 'creds.json'
    creds.write_text(json.dumps({'username': 'am', 'password': 'Pa55-word-2'}))
    result = orch('alertmanager', 'set-credentials', '-i', str(creds))
    assert (result.exit_code, result.stdout) == (0,
                                                 '"alertmanager credentials updated correctly"\n')
    am = json.loads(orch('alertmanager', 'get-credentials').stdout)
    assert (am['user'], am['password']) == ('am', 'Pa55-word-2')
    text = events_text(orch)
    assert 'Pa55-word-1' not in text and 'Pa55-word-2' not in text


def test_set_credentials_without_both_values_is_einval(orch: Orch, demo: object,
                                                       tmp_path: Path) -> None:
    assert_clean_failure(orch('prometheus', 'set-credentials', 'only-user'), 22,
                         'Error EINVAL: Invalid arguments. Please provide arguments <username> '
                         '<password> or -i <credentials_json_file>')
    bad = tmp_path / 'bad.json'
    bad.write_text('{"username": "x", "password": "leaky-secret"')  # truncated JSON
    result = orch('prometheus', 'set-credentials', '-i', str(bad))
    assert_clean_failure(result, 22, 'json provided for credentials did not include all '
                                     'necessary fields')
    assert 'leaky-secret' not in result.stderr


def test_targets_are_added_and_removed_with_json_answers(orch: Orch, demo: object) -> None:
    result = orch('prometheus', 'set-target', '10.9.0.1:9095')
    assert (result.exit_code, result.stdout) == (0, '"prometheus multi-cluster targets updated"\n')
    assert json.loads(orch('prometheus', 'set-target', '10.9.0.1:9095').stdout) == \
        "Target '10.9.0.1:9095' already exists.\n"
    export = orch('ls', 'prometheus', '--export', '--format', 'json').stdout
    assert json.loads(export)[0]['spec']['targets'] == ['10.9.0.1:9095']
    assert json.loads(orch('prometheus', 'remove-target', '10.9.0.1:9095').stdout) == \
        'prometheus multi-cluster targets updated'
    assert json.loads(orch('prometheus', 'remove-target', '10.9.0.1:9095').stdout) == \
        "Target '10.9.0.1:9095' does not exist.\n"


def test_targets_without_a_prometheus_service_are_enoent(orch: Orch) -> None:
    assert_clean_failure(orch('prometheus', 'set-target', '10.9.0.1:9095'), 2,
                         'Error ENOENT: Service prometheus not found')


def test_custom_alerts_need_valid_yaml(orch: Orch, demo: object, tmp_path: Path) -> None:
    alerts = tmp_path / 'alerts.yml'
    alerts.write_text('groups:\n- name: custom\n  rules: []\n')
    result = orch('prometheus', 'set-custom-alerts', '-i', str(alerts))
    assert (result.exit_code, json.loads(result.stdout)) == (
        0, 'Updated alerts file and scheduled reconfig of prometheus daemons')
    alerts.write_text('groups: [unclosed\n')
    assert_clean_failure(orch('prometheus', 'set-custom-alerts', '-i', str(alerts)), 22,
                         'Error EINVAL: Invalid YAML received:')
    assert_clean_failure(orch('prometheus', 'set-custom-alerts'), 22,
                         'Error EINVAL: No alerts file given')


def test_sd_dump_cert_prints_the_root_certificate(orch: Orch, demo: object) -> None:
    result = orch('sd', 'dump', 'cert')
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith('-----BEGIN CERTIFICATE-----')
    assert result.stdout.strip() == \
        json.loads(orch('prometheus', 'get-credentials').stdout)['certificate'].strip()


# ------------------------------------------------------------------ hardware

def test_hardware_status_summary_table_and_json(orch: Orch, demo: object) -> None:
    result = orch('hardware', 'status')
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith('+') and lines[1].split('|')[1:-1] == [
        '  HOST ', ' STORAGE ', ' CPU ', ' NET ', ' MEMORY ', ' POWER ', ' FANS ']
    assert len([ln for ln in lines if ln.startswith('|')]) == 1 + 6  # heading + six hosts
    data = json.loads(orch('hardware', 'status', '--format', 'json').stdout)
    assert set(data['host1']['status']) == {'storage', 'processors', 'network', 'memory',
                                            'power', 'fans'}


def test_hardware_status_categories(orch: Orch, demo: object) -> None:
    storage = orch('hardware', 'status', 'host1', '--category', 'storage').stdout.splitlines()
    assert [c.strip() for c in storage[1].split('|')[1:-1]] == [
        'HOST', 'NAME', 'MODEL', 'SIZE', 'PROTOCOL', 'SN', 'STATUS', 'STATE']
    assert all('host1' in ln for ln in storage[3:-1])
    crit = orch('hardware', 'status', '--category', 'criticals').stdout.splitlines()
    assert [c.strip() for c in crit[1].split('|')[1:-1]] == [
        'HOST', 'COMPONENT', 'NAME', 'STATUS', 'STATE']
    assert json.loads(orch('hardware', 'status', 'host1', '--category', 'fullreport').stdout)[
        'host1']['host'] == 'host1'
    assert_clean_failure(orch('hardware', 'status', '--category', 'gpus'), 22,
                         "Error EINVAL: 'gpus' is not a valid category.")
    assert_clean_failure(orch('hardware', 'status', 'nohost'), 2, 'Error ENOENT: ')


def test_hardware_light_on_then_get(orch: Orch, demo: object) -> None:
    assert orch('hardware', 'light', 'chassis', 'on', 'host2').stdout == ''
    assert orch('hardware', 'light', 'chassis', 'get', 'host2').stdout == \
        'ident chassis LED for host2 is: on\n'
    assert_clean_failure(orch('hardware', 'light', 'device', 'on', 'host2'), 2,
                         'Error ENOENT: you must pass a device ID.')


def test_powercycle_needs_confirmation_and_the_host_comes_back(orch: Orch, demo: object) -> None:
    assert_clean_failure(orch('hardware', 'powercycle', 'host2'), 22,
                         'Error EINVAL: you must pass --yes-i-really-mean-it')
    result = orch('hardware', 'powercycle', 'host2', '--yes-i-really-mean-it')
    assert result.exit_code == 0 and result.stdout.startswith('Powercycle requested for host2')
    hosts = {h['hostname']: h['status'] for h in
             json.loads(orch('host', 'ls', '--format', 'json').stdout)}
    assert hosts['host2'].lower() == 'offline'
    assert orch('serve', '--once').exit_code == 0
    hosts = {h['hostname']: h['status'] for h in
             json.loads(orch('host', 'ls', '--format', 'json').stdout)}
    assert hosts['host2'] == ''


def test_shutdown_until_maintenance_exit(orch: Orch, demo: object) -> None:
    result = orch('hardware', 'shutdown', 'host6', '--force', '--yes-i-really-mean-it')
    assert result.exit_code == 0, result.stderr
    assert 'forced power-off' in result.stdout
    hosts = {h['hostname']: h['status'] for h in
             json.loads(orch('host', 'ls', '--format', 'json').stdout)}
    assert hosts['host6'].lower() == 'maintenance'
    assert orch('host', 'maintenance', 'exit', 'host6').exit_code == 0
    hosts = {h['hostname']: h['status'] for h in
             json.loads(orch('host', 'ls', '--format', 'json').stdout)}
    assert hosts['host6'] == ''


# ------------------------------------------------------------------ device replace / set-spec-affinity

def _osd_device(orch: Orch) -> tuple:
    for host in json.loads(orch('device', 'ls', '--format', 'json').stdout):
        for dev in host['devices']:
            ids = sorted({str(lv['osd_id']) for lv in dev.get('lvs') or []})
            if len(ids) == 1:
                return host['name'], dev['path'], ids[0]
    raise AssertionError('no OSD device in the demo cluster')


def test_device_replace_and_clear(orch: Orch, demo: object) -> None:
    host, path, osd_id = _osd_device(orch)
    result = orch('device', 'replace', host, path)
    assert (result.exit_code, result.stdout) == (
        0, f"Scheduled to destroy osds: ['{osd_id}'] and mark {path} as being replaced.\n")
    status = orch('osd', 'rm', 'status', '--format', 'json')
    assert [e['osd_id'] for e in json.loads(status.stdout)] == [int(osd_id)]
    assert orch('device', 'replace', host, path, '--clear').stdout == \
        f'Replacement header cleared on {path}\n'
    assert_clean_failure(orch('device', 'replace', host, '/dev/nope'), 22,
                         f"Error EINVAL: /dev/nope doesn't appear to be used for an OSD, not a "
                         f"valid device in {host}.")


def test_osd_set_spec_affinity(orch: Orch, demo: object, tmp_path: Path) -> None:
    spec = tmp_path / 'fast.yaml'
    spec.write_text('service_type: osd\nservice_id: fast\nunmanaged: true\n'
                    'placement: {host_pattern: "*"}\nspec: {data_devices: {rotational: 0}}\n')
    assert orch('apply', '-i', str(spec)).exit_code == 0
    result = orch('osd', 'set-spec-affinity', 'osd.fast', '0')
    assert (result.exit_code, result.stdout) == (0, 'Updated service for osd 0\n')
    osd0 = [d for d in json.loads(orch('ps', '--daemon-type', 'osd', '--format', 'json').stdout)
            if d['daemon_id'] == '0']
    assert osd0[0]['service_name'] == 'osd.fast'
    assert_clean_failure(orch('osd', 'set-spec-affinity', 'osd.nope', '0'), 22,
                         "Error EINVAL: Cannot find service 'osd.nope' in the inventory.")
