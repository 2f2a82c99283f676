"""`orch cephadm ...` (Ceph's `ceph cephadm` commands) on the local backend, and `orch ssh`
as the older names of the same SSH identity commands."""
from __future__ import annotations

import json

from cli_helpers import Orch, assert_clean_failure

CHECK_NAMES = ['kernel_security', 'os_subscription', 'public_network', 'osd_mtu_size',
               'osd_linkspeed', 'network_missing', 'ceph_release', 'kernel_version']


def test_check_host_and_prepare_host(orch: Orch, demo: object) -> None:
    assert orch('cephadm', 'check-host', 'host1').stdout == 'host1 (None) ok\n'
    assert orch('cephadm', 'prepare-host', 'host2').stdout == 'host2 (None) ok\n'
    assert_clean_failure(orch('cephadm', 'check-host', 'host1', '10.9.9.9'), 1,
                         'Error EPERM: check-host failed:\nFailed to connect to host1 at '
                         'address (10.9.9.9): Connection refused by 10.9.9.9')
    assert_clean_failure(orch('cephadm', 'check-host', 'nohost'), 2,
                         "Error ENOENT: Host 'nohost' is not managed")


def test_registry_login_from_arguments_or_json(orch: Orch, demo: object) -> None:
    assert orch('cephadm', 'registry-login', 'quay.io', 'me', 'secret').stdout == \
        'registry login scheduled\n'
    login = json.dumps({'url': 'r.example', 'username': 'u', 'password': 'p'})
    assert orch('cephadm', 'registry-login', '-i', '-', input=login).exit_code == 0
    assert_clean_failure(orch('cephadm', 'registry-login', 'quay.io'), 22,
                         'Error EINVAL: Invalid arguments. Give <url> <username> <password>')
    assert_clean_failure(orch('cephadm', 'registry-login', '-i', '-', input='{"url": "x"}'),
                         22, 'Error EINVAL: the registry login JSON needs "url", "username"')


def test_extra_ceph_conf_round_trip_and_a_bad_file(orch: Orch, demo: object) -> None:
    assert orch('cephadm', 'get-extra-ceph-conf').stdout == ''
    conf = '[global]\nmon_max_pg_per_osd = 400\n'
    assert orch('cephadm', 'set-extra-ceph-conf', '-i', '-', input=conf).stdout == ''
    assert orch('cephadm', 'get-extra-ceph-conf').stdout == conf
    assert_clean_failure(orch('cephadm', 'set-extra-ceph-conf', '-i', '-', input='no section'),
                         22, 'Error EINVAL: File contains no section headers.')


def test_set_extra_ceph_conf_reconfigures_every_ceph_daemon(orch: Orch, demo: object) -> None:
    def configured() -> dict:
        return {d['daemon_name']: (d['daemon_type'], d['last_configured'], d['last_deployed'])
                for d in json.loads(orch('ps', '--format', 'json').stdout)}
    before = configured()
    conf = '[osd]\nosd_max_backfills = 3\n'
    assert orch('cephadm', 'set-extra-ceph-conf', '-i', '-', input=conf).exit_code == 0
    after = configured()
    assert set(after) == set(before)  # nothing redeployed or moved
    ceph_types = {'mon', 'mgr', 'osd', 'crash', 'mds', 'rgw', 'nfs'}
    for name, (dtype, last_configured, last_deployed) in after.items():
        assert last_deployed == before[name][2]
        if dtype in ceph_types:
            assert last_configured > before[name][1], name
        else:  # prometheus, grafana, haproxy, ...: their configs do not hold ceph.conf
            assert last_configured == before[name][1], name
    assert {t for t, _, _ in after.values()} >= {'osd', 'mon', 'prometheus'}
    # the reconfig is done: the next pass has nothing left to reconfigure
    summary = orch('serve', '--once')
    assert summary.exit_code == 0 and configured() == after


def test_config_check_ls_status_enable_disable(orch: Orch, demo: object) -> None:
    lines = orch('cephadm', 'config-check', 'ls').stdout.splitlines()
    assert lines[0].split() == ['NAME', 'HEALTHCHECK', 'STATUS', 'DESCRIPTION']
    assert [ln.split()[0] for ln in lines[1:]] == CHECK_NAMES
    assert lines[1].split()[1:3] == ['CEPHADM_CHECK_KERNEL_LSM', 'enabled']
    assert orch('cephadm', 'config-check', 'status').stdout == 'Disabled\n'
    assert orch('cephadm', 'config-check', 'disable', 'kernel_version').stdout == 'ok\n'
    checks = json.loads(orch('cephadm', 'config-check', 'ls', '--format', 'json').stdout)
    assert checks[-1] == {'name': 'kernel_version', 'healthcheck_name':
                          'CEPHADM_CHECK_KERNEL_VERSION', 'description': 'checks that the '
                          'MAJ.MIN of the kernel on Ceph hosts is consistent',
                          'status': 'disabled', 'valid': True}
    assert orch('cephadm', 'config-check', 'enable', 'kernel_version').stdout == 'ok\n'
    assert_clean_failure(orch('cephadm', 'config-check', 'enable', 'bogus'), 1,
                         'Error EPERM: Invalid check name')
    assert_clean_failure(orch('cephadm', 'config-check', 'ls', '--format', 'yaml'), 1,
                         'Error EPERM: Requested format is not supported')


def test_osd_activate_brings_back_an_osd_whose_daemon_was_removed(orch: Orch,
                                                                  demo: object) -> None:
    osd = json.loads(orch('ps', '--daemon-type', 'osd', '--format', 'json').stdout)[0]
    host, name = osd['hostname'], osd['daemon_name']
    assert orch('daemon', 'rm', name, '--force').exit_code == 0
    assert orch('cephadm', 'osd', 'activate', host).stdout == \
        f"Created osd(s) {name.split('.')[1]} on host '{host}'\n"
    assert name in orch('ps', host).stdout
    assert orch('cephadm', 'osd', 'activate', host).stdout == \
        f'Created no osd(s) on host {host}; already created?\n'
    assert_clean_failure(orch('cephadm', 'osd', 'activate', 'nohost'), 2,
                         'Error ENOENT: Host nohost is not managed')


def test_ssh_identity_user_and_config(orch: Orch) -> None:
    assert orch('cephadm', 'get-user').stdout == 'root\n'
    assert orch('cephadm', 'set-user', 'ceph').stdout == 'ssh user set to ceph. sudo will be used\n'
    assert orch('cephadm', 'set-user', 'ceph').stdout == 'value unchanged\n'
    assert orch('ssh', 'get-user').stdout == 'ceph\n'
    default = orch('cephadm', 'get-ssh-config').stdout
    assert default.startswith('Host *\n  User ceph\n  StrictHostKeyChecking yes\n')
    config = 'Host *\n  Port 2222\n'
    assert orch('cephadm', 'set-ssh-config', '-i', '-', input=config).stdout == ''
    assert orch('cephadm', 'set-ssh-config', '-i', '-', input=config).stdout == \
        'value unchanged\n'
    assert orch('ssh', 'get-config').stdout == config
    assert orch('cephadm', 'clear-ssh-config').stdout == ''
    assert orch('cephadm', 'get-ssh-config').stdout == default


def test_keys_generate_once_clear_and_empty_input(orch: Orch) -> None:
    assert_clean_failure(orch('cephadm', 'get-pub-key'), 2, 'Error ENOENT: No SSH public key')
    assert orch('cephadm', 'generate-key').stdout == ''
    first = orch('cephadm', 'get-pub-key').stdout
    assert first.startswith('ssh-')
    assert orch('ssh', 'generate-key').exit_code == 0  # present: kept, as cephadm does
    assert orch('ssh', 'get-pub-key').stdout == first
    assert orch('cephadm', 'set-pub-key', '-i', '-', input=first).stdout == 'value unchanged\n'
    assert_clean_failure(orch('cephadm', 'set-priv-key', '-i', '-', input=''), 22,
                         'Error EINVAL: the private key file is empty')
    assert orch('cephadm', 'clear-key').stdout == ''
    assert_clean_failure(orch('cephadm', 'get-pub-key'), 2, 'Error ENOENT: No SSH public key')


def _fleet_with_odd_host3(tmp_path, monkeypatch) -> None:
    """The demo fleet, but host3 runs an older kernel, jumbo frames and no AppArmor."""
    import yaml

    from cli_helpers import DEMO_FLEET
    hosts = list(yaml.safe_load_all(DEMO_FLEET.read_text()))
    for h in hosts:
        if h['hostname'] == 'host3':
            h['facts'] = {
                'hostname': 'host3', 'kernel': '5.10.0-28-amd64', 'subscribed': 'Unknown',
                'kernel_security': {'type': 'Unknown', 'description':
                                    'Linux Security Module framework is not active'},
                'interfaces': {'eth0': {'ipv4_address': '10.0.0.13/24', 'ipv6_address': '',
                                        'mtu': 9000, 'speed': 10000}}}
    fleet = tmp_path / 'fleet.yaml'
    fleet.write_text(yaml.safe_dump_all(hosts))
    monkeypatch.setenv('ORCH_FLEET', str(fleet))


def test_config_checks_run_over_the_hosts_facts_and_raise_health_warnings(
        orch: Orch, tmp_path, monkeypatch) -> None:
    _fleet_with_odd_host3(tmp_path, monkeypatch)
    from cli_helpers import DEMO_CLUSTER
    assert orch('apply', '-i', str(DEMO_CLUSTER)).exit_code == 0
    # off by default, as cephadm's config_checks_enabled: nothing is raised
    assert orch('cephadm', 'config-check', 'status').stdout == 'Disabled\n'
    assert 'Health' not in orch('status').stdout
    assert orch('cephadm', 'config-check', 'set-enabled', 'true').stdout == \
        'config checks enabled\n'
    status = orch('cephadm', 'config-check', 'status').stdout.splitlines()
    assert status[0] == 'Enabled'
    assert '[WRN] CEPHADM_CHECK_KERNEL_VERSION: 1 host(s) running different kernel versions' \
        in status
    assert '    host host3 running kernel 5.10, majority of hosts(5) running 6.1' in status
    assert '[WRN] CEPHADM_CHECK_KERNEL_LSM: Kernel Security Module (SELinux/AppArmor) is ' \
        'inconsistent for 1 host' in status
    assert 'Health: HEALTH_WARN' in orch('status').stdout
    health = json.loads(orch('status', '--format', 'json').stdout)['health_checks']
    assert sorted(health) == ['CEPHADM_CHECK_KERNEL_LSM', 'CEPHADM_CHECK_KERNEL_VERSION']
    assert health['CEPHADM_CHECK_KERNEL_VERSION']['count'] == 1
    # a disabled check is skipped
    assert orch('cephadm', 'config-check', 'disable', 'kernel_version').exit_code == 0
    status = orch('cephadm', 'config-check', 'status').stdout
    assert 'KERNEL_VERSION' not in status and 'CEPHADM_CHECK_KERNEL_LSM' in status
    assert orch('cephadm', 'config-check', 'set-enabled', 'false').exit_code == 0
    assert 'Health' not in orch('status').stdout
    refused = orch('cephadm', 'config-check', 'set-enabled', 'maybe')
    assert refused.exit_code == 22 and "'maybe' is not one of 'true', 'false'" in refused.stderr
