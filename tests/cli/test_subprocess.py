"""`orch` as real processes: the entry point, exit codes, lazy imports and shell completion."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cli_helpers import DEMO_CLUSTER, run_subprocess


def test_demo_cluster_end_to_end(state_dir: Path) -> None:
    applied = run_subprocess(['apply', '-i', str(DEMO_CLUSTER)], state_dir)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.splitlines()[0] == "Added host 'host1' with addr '10.0.0.11'"
    assert '\x1b[' not in applied.stdout + applied.stderr  # piped: no colour, no progress bar
    services = json.loads(run_subprocess(['ls', '--format', 'json'], state_dir).stdout)
    assert len(services) == 12
    daemons = json.loads(run_subprocess(['ps', '--format', 'json'], state_dir).stdout)
    assert {d['daemon_type'] for d in daemons} >= {'mon', 'mgr', 'osd', 'crash', 'rgw'}


def test_exit_codes_are_errnos(state_dir: Path) -> None:
    usage = run_subprocess(['host', 'add'], state_dir)
    assert usage.returncode == 22 and 'Usage: orch host add' in usage.stderr
    unknown = run_subprocess(['--backend', 'nosuch', 'ls'], state_dir)
    assert (unknown.returncode, unknown.stderr) == (22, "Error EINVAL: Module 'nosuch' not found\n")
    missing = run_subprocess(['host', 'label', 'add', 'nohost', 'x'], state_dir)
    assert missing.returncode in (2, 22) and missing.stderr.startswith('Error E')
    stdin = run_subprocess(['apply', '-i', '-'], state_dir,
                           stdin='service_type: rgw\nplacement:\n  count: 1\n')
    assert stdin.returncode == 22
    assert 'Traceback' not in usage.stderr + unknown.stderr + missing.stderr + stdin.stderr


def test_help_imports_no_heavy_module() -> None:
    probe = ('import sys\n'
             'from ceph_orch_cli.cli import orch\n'
             'try:\n'
             '    orch.main(["--help"], prog_name="orch")\n'
             'except SystemExit:\n'
             '    pass\n'
             'heavy = [m for m in ("rich", "yaml", "paramiko", "sqlite3") if m in sys.modules]\n'
             'sys.stderr.write(",".join(heavy))\n')
    result = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0
    assert result.stderr == ''


def test_shell_completion_script_and_host_names(state_dir: Path) -> None:
    script = run_subprocess([], state_dir, env={'_ORCH_COMPLETE': 'bash_source'})
    assert '_orch_completion' in script.stdout
    assert run_subprocess(['apply', '-i', str(DEMO_CLUSTER)], state_dir).returncode == 0

    def complete(words: str) -> list:
        cword = len(words.split()) - (0 if words.endswith(' ') else 1)
        out = run_subprocess([], state_dir, env={'_ORCH_COMPLETE': 'bash_complete',
                                                 'COMP_WORDS': words, 'COMP_CWORD': str(cword)})
        assert out.returncode == 0, out.stderr
        return [line.split(',', 1)[1] for line in out.stdout.splitlines()]

    assert complete('orch host drain host') == [f'host{i}' for i in range(1, 7)]
    assert complete('orch rm rgw') == ['rgw.myrgw']
    assert complete('orch daemon restart mon.') == ['mon.host1', 'mon.host2', 'mon.host3']
    assert 'host' in complete('orch ho')
    assert complete('orch osd rm 1') == ['1', '10', '11']


def test_completion_of_labels_types_devices_backends_and_profiles(state_dir: Path) -> None:
    assert run_subprocess(['apply', '-i', str(DEMO_CLUSTER)], state_dir).returncode == 0
    added = run_subprocess(['tuned-profile', 'apply', 'low-latency', 'host1',
                            'vm.swappiness=10'], state_dir)
    assert added.returncode == 0, added.stderr

    def complete(words: str) -> list:
        cword = len(words.split()) - (0 if words.endswith(' ') else 1)
        out = run_subprocess([], state_dir, env={'_ORCH_COMPLETE': 'bash_complete',
                                                 'COMP_WORDS': words, 'COMP_CWORD': str(cword)})
        assert out.returncode == 0 and out.stderr == '', out.stderr
        return [line.split(',', 1)[1] for line in out.stdout.splitlines()]

    assert complete('orch host label rm host1 m') == ['mds', 'mgr', 'mon', 'monitoring']
    assert complete('orch host add host9 10.0.0.19 r') == ['rgw']
    assert complete('orch device zap host1 /dev/sd') == ['/dev/sdb', '/dev/sdc', '/dev/sdd']
    assert complete('orch daemon add osd host1:/dev/sd') == [
        'host1:/dev/sdb', 'host1:/dev/sdc', 'host1:/dev/sdd']
    assert complete('orch daemon add osd host1:/dev/sdb,/dev/sdc') == [
        'host1:/dev/sdb,/dev/sdc']
    assert 'host6:' in complete('orch daemon add osd ho')
    assert complete('orch ps --daemon-type hap') == ['haproxy']
    assert complete('orch ls node-') == ['node-exporter', 'node-proxy']
    assert complete('orch apply rbd') == ['rbd-mirror']
    assert complete('orch upgrade start --daemon-types mgr,mo') == ['mgr,mon']
    assert complete('orch --backend ') == ['local', 'ssh']
    assert complete('orch set backend s') == ['ssh']
    assert complete('orch tuned-profile rm low') == ['low-latency']


def test_apply_and_ps_help_list_the_types_and_the_placement_syntax(state_dir: Path) -> None:
    apply_help = run_subprocess(['apply', '--help'], state_dir)
    assert apply_help.returncode == 0 and apply_help.stderr == ''
    text = apply_help.stdout
    for word in ('Service types:', 'node-exporter', 'jaeger-tracing', 'Placement',
                 "'3 label:mon'", "'count-per-host:2 label:rgw'", 'orch apply mon 3'):
        assert word in text, word
    ps_help = run_subprocess(['ps', '--help'], state_dir)
    assert ps_help.returncode == 0
    for word in ('Daemon types (--daemon-type):', 'haproxy', 'keepalived', 'orch ps host1'):
        assert word in ps_help.stdout, word
    # the sections are text, not state: help never created the state dir
    assert not (state_dir / 'orch.db').exists()


def test_completion_without_a_store_offers_nothing(tmp_path: Path) -> None:
    out = run_subprocess([], tmp_path / 'none', env={
        '_ORCH_COMPLETE': 'bash_complete', 'COMP_WORDS': 'orch ps ', 'COMP_CWORD': '2'})
    assert out.returncode == 0 and out.stderr == ''
    assert not (tmp_path / 'none').exists()


def test_progress_bar_is_drawn_on_a_terminal_only(state_dir: Path) -> None:
    import os
    import pty
    env = dict(os.environ, ORCH_STATE_DIR=str(state_dir))
    pid, fd = pty.fork()
    if pid == 0:  # the child: `orch apply` with a terminal for stdout and stderr
        os.execvpe(sys.executable, [sys.executable, '-m', 'ceph_orch_cli', 'apply', '-i',
                                    str(DEMO_CLUSTER)], env)
    seen = b''
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert b'Converging' in seen and b"Added host 'host1'" in seen
    piped = run_subprocess(['apply', '-i', str(DEMO_CLUSTER)], state_dir)
    assert 'Converging' not in piped.stdout + piped.stderr
