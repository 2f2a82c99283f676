"""The `ceph orch` options and commands of issue 12: `ps --sort-by`, `device ls --summary`,
`apply rgw --networks`, `daemon <action> --force`, `daemon add osd --skip-validation`,
`upgrade status --format`, `hardware light drive`, `get-security-config`, `tuned-profile
add-settings|rm-settings`, `unpause`, `update service` and `client-keyring ls|set|rm`."""
from __future__ import annotations

import json

from cli_helpers import Orch, assert_clean_failure


# --------------------------------------------------------------------------- missing options

def test_ps_sort_by_hostname_and_a_bad_key(orch: Orch, demo: object) -> None:
    names = [ln.split()[1] for ln in orch('ps', '--sort-by', 'hostname').stdout.splitlines()[1:]]
    assert names == sorted(names, key=lambda h: int(h[4:]))
    daemons = json.loads(orch('ps', '--sort_by', 'daemon_type', '--format', 'json').stdout)
    types = [d['daemon_type'] for d in daemons]
    assert types == sorted(types)
    assert_clean_failure(orch('ps', '--sort-by', 'colour'), 22,
                         "Error EINVAL: Invalid sort key 'colour': choose one of name, hostname")


def test_device_ls_summary_counts_devices_per_host_and_type(orch: Orch, demo: object) -> None:
    lines = orch('device', 'ls', '--summary').stdout.splitlines()
    assert lines[0].split() == ['HOST', 'TYPE', 'DEVICES', 'AVAILABLE', 'SIZE', 'AVAILABLE',
                                'SIZE']
    assert lines[1].split()[:3] == ['host1', 'hdd', '3']
    rows = json.loads(orch('device', 'ls', 'host5', '--summary', '--format', 'json').stdout)
    assert [(r['hostname'], r['type'], r['devices']) for r in rows] == [('host5', 'hdd', 3)]


def test_apply_rgw_networks_are_stored_in_the_spec(orch: Orch, demo: object) -> None:
    assert orch('apply', 'rgw', 'east', '--networks', '10.0.0.0/8,192.168.0.0/16').exit_code == 0
    assert 'networks:\n- 10.0.0.0/8\n- 192.168.0.0/16\n' in orch('ls', 'rgw', 'rgw.east',
                                                                 '--export').stdout


def test_daemon_stop_force_skips_the_ok_to_stop_check(orch: Orch, demo: object) -> None:
    mons = [d['daemon_name'] for d in json.loads(orch('ps', '--daemon-type', 'mon',
                                                      '--format', 'json').stdout)]
    for name in mons[:-1]:
        assert orch('daemon', 'stop', name, '--force').exit_code == 0
    last = mons[-1]
    refused = orch('daemon', 'stop', last)
    assert refused.exit_code != 0 and 'Traceback' not in refused.stderr
    result = orch('daemon', 'stop', last, '--force')
    assert result.stdout == f"Scheduled to stop {last} on host '{result.stdout.split()[-1][1:-1]}'\n"


def test_daemon_add_osd_skip_validation_is_accepted(orch: Orch, demo: object) -> None:
    assert '--skip-validation' in orch('daemon', 'add', 'osd', '--help').stdout
    # the flag reaches the engine; a device the host does not have is still refused
    assert_clean_failure(orch('daemon', 'add', 'osd', 'host5:/dev/sdb', '--skip-validation'),
                         22, "Error EINVAL: Device path '/dev/sdb' not found on host 'host5'")


def test_daemon_add_osd_validates_the_device_unless_told_to_skip(orch: Orch,
                                                                 demo: object) -> None:
    # host1's /dev/sdd is 4 GB: the inventory rejects it
    before = {d['daemon_name'] for d in json.loads(
        orch('ps', 'host1', '--daemon-type', 'osd', '--format', 'json').stdout)}
    assert_clean_failure(orch('daemon', 'add', 'osd', 'host1:/dev/sdd'), 22,
                         "Error EINVAL: Device '/dev/sdd' on host 'host1' is not available "
                         "for an OSD: Insufficient space (<5GB)")
    assert_clean_failure(orch('daemon', 'add', 'osd', 'host1:/dev/sdx'), 22,
                         "Error EINVAL: Device path '/dev/sdx' not found on host 'host1'")
    result = orch('daemon', 'add', 'osd', 'host1:/dev/sdd', '--skip-validation')
    assert result.exit_code == 0 and result.stdout.startswith('Created osd(s) '), result.stderr
    after = json.loads(orch('ps', 'host1', '--daemon-type', 'osd', '--format', 'json').stdout)
    assert len({d['daemon_name'] for d in after} - before) == 1


def test_upgrade_status_formats(orch: Orch, demo: object) -> None:
    default = orch('upgrade', 'status').stdout
    assert default.startswith('{\n    "target_image": null,')
    assert json.loads(orch('upgrade', 'status', '--format', 'json').stdout) == json.loads(default)
    assert orch('upgrade', 'status', '--format', 'yaml').stdout.startswith('in_progress: false')


def test_hardware_light_takes_drive_and_keeps_device(orch: Orch, demo: object) -> None:
    storage = json.loads(orch('hardware', 'status', 'host2', '--category', 'storage',
                              '--format', 'json').stdout)
    drive = next(iter(storage['host2']))
    assert orch('hardware', 'light', 'drive', 'on', 'host2', drive).exit_code == 0
    assert orch('hardware', 'light', 'drive', 'get', 'host2', drive).stdout == \
        f'ident LED for {drive} on host2 is: on\n'
    assert orch('hardware', 'light', 'device', 'off', 'host2', drive).exit_code == 0
    assert_clean_failure(orch('hardware', 'light', 'drive', 'on', 'host2'), 2,
                         'Error ENOENT: you must pass a device ID.')


def test_generic_types_include_elasticsearch_and_jaeger(orch: Orch, demo: object) -> None:
    result = orch('apply', 'ingress')
    assert 'snmp-gateway|elasticsearch|jaeger-agent|jaeger-collector|jaeger-query' in \
        result.stderr
    assert orch('apply', 'jaeger-query', 'host1').exit_code == 0
    assert 'jaeger-query' in orch('ls', 'jaeger-query').stdout


# --------------------------------------------------------------------------- new commands

def test_get_security_config(orch: Orch, demo: object) -> None:
    assert json.loads(orch('get-security-config').stdout) == {
        'security_enabled': False, 'mgmt_gateway_enabled': False, 'oauth2_proxy_enabled': False}


def test_tuned_profile_add_and_rm_settings(orch: Orch, demo: object) -> None:
    assert orch('tuned-profile', 'apply', 'p1', '*', 'a=1').exit_code == 0
    assert orch('tuned-profile', 'add-settings', 'p1', 'b=2, c=3').stdout == \
        'Added settings b, c to tuned profile p1\n'
    assert orch('tuned-profile', 'rm-settings', 'p1', 'a,b').stdout == \
        'Removed settings a, b from tuned profile p1\n'
    profiles = json.loads(orch('tuned-profile', 'ls', '--format', 'json').stdout)
    assert profiles[0]['settings'] == {'c': '3'}
    assert_clean_failure(orch('tuned-profile', 'add-settings', 'p1', 'novalue'), 22,
                         'Error EINVAL: settings must be a comma-separated list of option=value')
    assert_clean_failure(orch('tuned-profile', 'rm-settings', 'p1', ' , '), 22,
                         'Error EINVAL: settings must be a comma-separated list of option names')


def test_unpause_is_resume(orch: Orch, demo: object) -> None:
    assert orch('pause').exit_code == 0
    assert 'Paused: Yes' in orch('status').stdout
    assert orch('unpause').stdout == ''
    assert 'Paused: No' in orch('status').stdout


def test_update_service_redeploys_a_non_ceph_service_with_the_image(orch: Orch,
                                                                    demo: object) -> None:
    image = 'quay.io/prometheus/prometheus:v2.55.1'
    result = orch('update', 'service', 'prometheus', image)
    assert result.exit_code == 0 and result.stdout.startswith('Scheduled to redeploy prometheus.')
    daemons = json.loads(orch('ps', '--daemon-type', 'prometheus', '--format', 'json').stdout)
    assert {d['container_image_name'] for d in daemons} == {image}
    assert orch('serve', '--once').exit_code == 0
    daemons = json.loads(orch('ps', '--daemon-type', 'prometheus', '--format', 'json').stdout)
    assert {d['container_image_name'] for d in daemons} == {image}
    # a new daemon of the service gets the updated image too, not the type's default
    assert orch('apply', 'prometheus', '--placement', '2').exit_code == 0
    daemons = json.loads(orch('ps', '--daemon-type', 'prometheus', '--format', 'json').stdout)
    assert len(daemons) == 2 and {d['container_image_name'] for d in daemons} == {image}
    assert_clean_failure(orch('update', 'service', 'mon', image), 22,
                         'Error EINVAL: mon daemons run the Ceph image: use `orch upgrade start')
    assert_clean_failure(orch('update', 'service', 'loki', image), 2,
                         'Error ENOENT: No daemons of service type loki found')


def test_client_keyring_set_ls_rm(orch: Orch, demo: object) -> None:
    assert orch('client-keyring', 'set', 'client.foo', 'label:mon', '1000:1000', '640').stdout == ''
    assert orch('client-keyring', 'set', 'client.bar', 'host1', '--no-ceph-conf').exit_code == 0
    assert orch('client-keyring', 'ls').stdout == (
        'ENTITY      PLACEMENT  MODE       OWNER      PATH                               \n'
        'client.bar  host1      rw-------  0:0        /etc/ceph/ceph.client.bar.keyring  \n'
        'client.foo  label:mon  rw-r-----  1000:1000  /etc/ceph/ceph.client.foo.keyring  \n')
    assert json.loads(orch('client-keyring', 'ls', '--format', 'json').stdout) == [
        {'entity': 'client.bar', 'placement': {'hosts': ['host1']}, 'mode': 0o600, 'uid': 0,
         'gid': 0, 'include_ceph_conf': False},
        {'entity': 'client.foo', 'placement': {'label': 'mon'}, 'mode': 0o640, 'uid': 1000,
         'gid': 1000, 'include_ceph_conf': True}]
    assert orch('client-keyring', 'rm', 'client.foo').stdout == ''
    assert orch('client-keyring', 'rm', 'client.never').exit_code == 0
    assert [k['entity'] for k in json.loads(
        orch('client-keyring', 'ls', '--format', 'json').stdout)] == ['client.bar']


def test_client_keyring_errors(orch: Orch, demo: object) -> None:
    assert_clean_failure(orch('client-keyring', 'set', 'osd.1', '*'), 22,
                         "Error EINVAL: invalid entity 'osd.1': client keyrings are for client.*")
    assert_clean_failure(orch('client-keyring', 'set', 'client.x', '*', 'root'), 22,
                         "Error EINVAL: invalid owner 'root': give it as <uid>:<gid>, e.g. 0:0")
    assert_clean_failure(orch('client-keyring', 'set', 'client.x', '*', '0:0', '0o9'), 22,
                         "Error EINVAL: invalid mode '0o9': give it in octal, e.g. 600")
