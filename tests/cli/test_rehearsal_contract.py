"""Issue 16: the contract under bad input, the rehearsal's fidelity and offline planning,
each point through the command line."""
from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from cli_helpers import DEMO_CLUSTER, DEMO_FLEET, Orch, assert_clean_failure, run_subprocess


def export(orch: Orch) -> str:
    result = orch('ls', '--export')
    assert result.exit_code == 0, result.stderr
    return result.stdout


def write(tmp_path: Path, text: str, name: str = 'spec.yaml') -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# ------------------------------------------------------------------ a refused command changes nothing

def test_a_bad_placement_is_refused_and_never_stored(orch: Orch, demo) -> None:
    before = export(orch)
    result = orch('apply', 'mon', 'host1:0')
    assert_clean_failure(result, 22, "Invalid network '0' for host 'host1'")
    assert export(orch) == before
    assert orch('ls').exit_code == 0 and orch('serve', '--once').exit_code == 0


def test_the_yaml_path_and_dry_run_refuse_the_same_placement(orch: Orch, demo,
                                                            tmp_path: Path) -> None:
    spec = write(tmp_path, 'service_type: mon\nplacement:\n  hosts: ["host1:0"]\n')
    for args in (('apply', '-i', spec), ('apply', '-i', spec, '--dry-run'),
                 ('apply', 'mon', 'host1:0', '--dry-run')):
        result = orch(*args)
        assert result.exit_code == 22, (args, result.stderr)
        assert 'Invalid network' in result.stderr and 'EIO' not in result.stderr


def test_a_failing_host_document_stores_none_of_the_file(orch: Orch, demo,
                                                       tmp_path: Path) -> None:
    before = export(orch)
    hosts = orch('host', 'ls', '--format', 'json').stdout
    spec = write(tmp_path, 'service_type: mds\nservice_id: x\n---\n'
                           'service_type: host\nhostname: nohost\n')
    result = orch('apply', '-i', spec)
    assert result.exit_code != 0 and 'nohost' in result.stderr
    assert export(orch) == before
    assert orch('host', 'ls', '--format', 'json').stdout == hosts


def test_an_unprintable_format_is_refused_before_storing(orch: Orch, demo) -> None:
    before = export(orch)
    result = orch('apply', 'mds', 'newfs', '--format', 'xml')
    assert result.exit_code == 22 and 'xml' in result.stderr
    assert export(orch) == before


# ------------------------------------------------------------------ no internal error from user input

@pytest.mark.parametrize('text,needle', [
    ('service_type: mon\nplacement:\n  hosts: ["h:1.2.3.999"]\n', 'Invalid network'),
    ('service_type: rgw\nservice_id: q\nspec:\n  rgw_frontend_port: abc\n', 'rgw_frontend_port'),
    ('service_type: !!python/name:os.system x\n', 'invalid YAML'),
    ('service_type: rgw\nservice_id: q\nspec:\n  ssl_certificate: abc\n', "'ssl_cert'"),
    ('service_type: rgw\nservice_id: q\nspec:\n  no_such_field: 1\n', "unknown field 'no_such_field'"),
])
def test_bad_documents_are_one_line_einval(orch: Orch, tmp_path: Path, text: str,
                                           needle: str) -> None:
    result = orch('apply', '-i', write(tmp_path, text))
    assert_clean_failure(result, 22, needle)
    assert 'TypeError' not in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_damaged_state_row_names_the_row_and_the_repair(orch: Orch, demo,
                                                         state_dir: Path) -> None:
    orch('ls')  # the store is closed between invocations
    with sqlite3.connect(state_dir / 'orch.db') as db:
        db.execute("UPDATE specs SET spec = '{not json' WHERE service_name = 'crash'")
    result = orch('ls')
    assert result.exit_code == 5
    assert "service_name='crash'" in result.stderr and 'repair' in result.stderr
    assert 'JSONDecodeError' not in result.stderr


# ------------------------------------------------------------------ stored; converging failed

def test_a_failed_converge_after_storing_says_so(orch: Orch, demo, state_dir: Path) -> None:
    lock = state_dir / 'converge.lock'
    if lock.exists():
        lock.unlink()
    target = state_dir.parent / 'planted-target'
    lock.symlink_to(target)
    result = orch('apply', 'mds', 'newfs')
    assert result.exit_code == 11, result.stderr
    assert result.stderr.startswith('Error EAGAIN: stored; converging failed: ')
    assert not target.exists()  # the planted link was not followed
    lock.unlink()
    assert 'mds.newfs' in export(orch)


# ------------------------------------------------------------------ bounded errors, prefixes

def test_an_error_quotes_long_input_only_up_to_a_bound(orch: Orch, demo) -> None:
    result = orch('host', 'label', 'add', 'nosuchhost', 'x' * 100_000)
    assert result.exit_code != 0
    assert len(result.stderr) < 5000


def test_no_doubled_error_prefix() -> None:
    from ceph_orch_cli import cli
    from click.testing import CliRunner
    runner = CliRunner()
    with runner.isolation() as (_out, err, *_rest):
        cli._report('Error EBUSY: unsafe to stop osd.1', -16)
        text = err.getvalue().decode()
    assert text == 'Error EBUSY: unsafe to stop osd.1\n'


# ------------------------------------------------------------------ validated input

@pytest.mark.parametrize('args,needle', [
    (('host', 'label', 'add', 'host1', 'a b'), 'Invalid label'),
    (('host', 'label', 'add', 'host1', ''), 'must not be empty'),
    (('host', 'set-addr', 'host1', 'not an addr'), 'Invalid addr'),
    (('prometheus', 'set-target', 'not a url'), 'Invalid target URL'),
    (('tuned-profile', 'apply', 'bad name'), 'Invalid profile_name'),
    (('apply', 'mon', 'label:'), 'must not be empty'),
])
def test_input_a_real_deploy_would_choke_on_is_refused(orch: Orch, demo, args,
                                                       needle: str) -> None:
    before = export(orch), orch('host', 'ls', '--format', 'json').stdout
    assert_clean_failure(orch(*args), 22, needle)
    assert (export(orch), orch('host', 'ls', '--format', 'json').stdout) == before


def test_host_documents_validate_labels_and_addresses(orch: Orch, tmp_path: Path) -> None:
    spec = write(tmp_path, 'service_type: host\nhostname: host1\naddr: "10.0.0.300"\n')
    assert_clean_failure(orch('apply', '-i', spec), 22, 'Invalid addr')
    spec = write(tmp_path, 'service_type: host\nhostname: host1\nlabels: ["a b"]\n')
    assert_clean_failure(orch('apply', '-i', spec), 22, 'Invalid label')


# ------------------------------------------------------------------ the state directory

def test_a_new_state_dir_is_private_whatever_the_umask(tmp_path: Path) -> None:
    state = tmp_path / 'new-state'
    old = os.umask(0)
    try:
        proc = run_subprocess(['host', 'ls'], state)
    finally:
        os.umask(old)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / 'orch.db').stat().st_mode) == 0o600


def test_an_existing_database_is_tightened(orch: Orch, demo, state_dir: Path) -> None:
    (state_dir / 'orch.db').chmod(0o644)
    assert orch('ls').exit_code == 0
    assert stat.S_IMODE((state_dir / 'orch.db').stat().st_mode) == 0o600


def test_a_world_writable_state_dir_is_refused(orch: Orch, demo, state_dir: Path) -> None:
    state_dir.chmod(0o777)
    try:
        result = orch('ls')
        assert result.exit_code == 1 and 'world-writable' in result.stderr
        result = orch('--state-dir', str(state_dir), 'ls')
        assert result.exit_code == 1 and 'world-writable' in result.stderr
    finally:
        state_dir.chmod(0o700)


def test_a_foreign_owned_state_dir_is_refused(orch: Orch, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip('changing a directory owner needs root')
    state = tmp_path / 'foreign'
    state.mkdir(mode=0o700)
    os.chown(state, 65534, 65534)
    result = orch('--state-dir', str(state), 'host', 'ls')
    assert result.exit_code == 1 and 'owned by uid 65534' in result.stderr
    assert not (state / 'orch.db').exists()


def test_a_foreign_owned_ssh_dir_is_refused(orch: Orch, demo, state_dir: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip('changing a directory owner needs root')
    ssh = state_dir / 'ssh'
    ssh.mkdir(mode=0o700)
    os.chown(ssh, 65534, 65534)
    result = orch('--backend', 'ssh', 'ssh', 'generate-key')
    assert result.exit_code != 0 and 'refusing to write into' in result.stderr
    assert list(ssh.iterdir()) == []


def test_a_read_only_state_dir_serves_reads(tmp_path: Path) -> None:
    """On a read-only mount (a private mount namespace): reads work, writes name the dir."""
    import shlex
    import shutil
    import subprocess
    import sys
    if os.geteuid() != 0 or not shutil.which('unshare'):
        pytest.skip('a read-only bind mount needs root and unshare')
    src, mnt = tmp_path / 'state', tmp_path / 'ro'
    mnt.mkdir()
    assert run_subprocess(['apply', '-i', str(DEMO_CLUSTER)], src).returncode == 0
    env = dict(os.environ, ORCH_STATE_DIR=str(mnt), ORCH_FLEET=str(DEMO_FLEET))
    env.pop('ORCH_BACKEND', None)

    def run(*args: str) -> subprocess.CompletedProcess:
        orch_words = ' '.join(shlex.quote(a) for a in [sys.executable, '-m', 'ceph_orch_cli',
                                                       *args])
        script = (f'mount --bind {shlex.quote(str(src))} {shlex.quote(str(mnt))} && '
                  f'mount -o remount,bind,ro {shlex.quote(str(mnt))} && exec {orch_words}')
        return subprocess.run(['unshare', '--mount', 'sh', '-c', script], env=env,
                              capture_output=True, text=True, timeout=120)
    probe = run('--version')
    if probe.returncode != 0:
        pytest.skip(f'no read-only bind mount here: {probe.stderr[-200:]}')
    ls = run('ls', '--export')
    assert ls.returncode == 0, ls.stderr
    assert 'service_type: mon' in ls.stdout
    assert run('host', 'ls').returncode == 0
    assert run('ps').returncode == 0
    change = run('host', 'label', 'add', 'host1', 'x')
    assert change.returncode == 30, change.stderr
    assert change.stderr.startswith(f'Error EROFS: the state directory {mnt} is not writable')


# ------------------------------------------------------------------ fidelity: refused as a deploy would

def test_an_unknown_config_option_is_refused(orch: Orch, demo, tmp_path: Path) -> None:
    spec = write(tmp_path, 'service_type: rgw\nservice_id: q\nconfig:\n  no_such_opt: 1\n')
    assert_clean_failure(orch('apply', '-i', spec), 22,
                         'Invalid config option no_such_opt in spec')
    spec = write(tmp_path, 'service_type: rgw\nservice_id: q\nconfig:\n'
                           '  rgw-frontends: beast\n  osd_memory_target: 1\n'
                           '  mgr/cephadm/foo: 1\n')
    assert orch('apply', '-i', spec).exit_code == 0


def test_an_impossible_image_is_refused(orch: Orch, demo) -> None:
    mgr = json.loads(orch('ps', '--daemon-type', 'mgr', '--format', 'json').stdout)[0]
    result = orch('daemon', 'redeploy', mgr['daemon_name'], 'notanimage!!')
    assert_clean_failure(result, 22, 'is not a valid image reference')


def test_an_ingress_without_its_backend_is_refused(orch: Orch, demo, tmp_path: Path) -> None:
    spec = write(tmp_path, 'service_type: ingress\nservice_id: q\nspec:\n'
                           '  backend_service: rgw.none\n  virtual_ip: 10.0.0.5/24\n'
                           '  frontend_port: 8081\n  monitor_port: 8998\n')
    assert_clean_failure(orch('apply', '-i', spec), 2, "backend_service 'rgw.none'")


def test_jaeger_tracing_expands_into_its_services(orch: Orch, demo, tmp_path: Path) -> None:
    spec = write(tmp_path, 'service_type: jaeger-tracing\nplacement:\n  count: 1\n')
    result = orch('apply', '-i', spec)
    assert result.exit_code == 0, result.stderr
    names = {s['service_name'] for s in json.loads(orch('ls', '--format', 'json').stdout)}
    assert {'elasticsearch', 'jaeger-collector', 'jaeger-query', 'jaeger-agent'} <= names


# ------------------------------------------------------------------ offline planning for CI

def test_a_whole_cluster_is_planned_on_an_empty_state_dir(orch: Orch, state_dir: Path) -> None:
    result = orch('apply', '-i', str(DEMO_CLUSTER), '--dry-run')
    assert result.exit_code == 0, result.stderr
    assert 'HOST PREVIEWS' in result.stdout and 'add    host6' in result.stdout
    assert '/dev/sdb' in result.stdout  # OSDs per host and device
    plan = json.loads(orch('apply', '-i', str(DEMO_CLUSTER), '--dry-run',
                           '--format', 'json').stdout)
    assert {e['host'] for e in plan if 'host' in e} == {f'host{i}' for i in range(1, 7)}
    assert any(e.get('service_name') == 'crash' and len(e['add']) == 6 for e in plan)
    assert orch('host', 'ls', '--format', 'json').stdout.strip() == '[]'
    assert export(orch).strip() in ('', '[]', 'No services reported')


def test_a_plan_with_a_spec_that_cannot_be_placed_fails(orch: Orch, tmp_path: Path) -> None:
    spec = write(tmp_path, 'service_type: host\nhostname: host1\naddr: 10.0.0.11\n---\n'
                           'service_type: mon\nplacement:\n  label: nolabel\n')
    result = orch('apply', '-i', spec, '--dry-run', '--format', 'json')
    assert result.exit_code == 22 and 'nolabel' in result.stderr
    assert orch('host', 'ls', '--format', 'json').stdout.strip() == '[]'
