"""The README is a promise to a new user: its quickstart runs as written and its tour shows
the output they will really see (ages and container ids aside)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / 'README.md'


def quickstart_commands() -> List[str]:
    """The indented command lines that open the README."""
    head = README.read_text().splitlines()[:6]
    return [line.strip() for line in head if line.startswith('    ')]


def tour() -> List[Tuple[str, str]]:
    """(command, expected output) pairs from the README's `$ orch ...` block."""
    text = README.read_text()
    block = text.split('## A tour', 1)[1].split('```', 2)[1]
    pairs: List[Tuple[str, str]] = []
    for chunk in re.split(r'^\$ ', block, flags=re.M)[1:]:
        command, _, output = chunk.partition('\n')
        pairs.append((command.strip(), output.strip('\n')))
    return pairs


def normalised(table: str) -> List[str]:
    """Table lines with ages, times and container ids masked and runs of spaces collapsed."""
    table = re.sub(r'\b[0-9a-f]{12}\b', '<id>', table)
    table = re.sub(r'\b\d+[smhdwMy]\b', '<age>', table)
    return [re.sub(r' +', ' ', line.rstrip()) for line in table.strip('\n').splitlines()]


def user_env(state_dir: Path) -> Dict[str, str]:
    env = dict(os.environ, ORCH_STATE_DIR=str(state_dir))
    for name in ('ORCH_FLEET', 'ORCH_BACKEND', 'ORCH_DEBUG'):
        env.pop(name, None)
    bindir = os.path.dirname(sys.executable)
    env['PATH'] = bindir + os.pathsep + env.get('PATH', '')
    return env


def test_the_readme_opens_with_the_install_and_the_test_command() -> None:
    install, test = quickstart_commands()[:2]
    assert 'pip install .' in install
    assert 'orch apply -i specs/demo/cluster.yaml' in install
    assert test.endswith('python -m pytest -q')


def test_the_quickstart_main_job_runs_as_written(tmp_path: Path) -> None:
    if not (shutil.which('orch', path=user_env(tmp_path)['PATH'])):
        pytest.skip('the orch console script is not installed on PATH')
    install = quickstart_commands()[0]
    main_job = install.split('pip install . && ', 1)[1]   # the part after installing
    done = subprocess.run(main_job, shell=True, cwd=ROOT, env=user_env(tmp_path / 'state'),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ''
    assert re.search(r'^mon\.host1 +host1 .*running', done.stdout, flags=re.M)
    assert re.search(r'^osd\.0 ', done.stdout, flags=re.M)


def test_the_tour_shows_real_output(tmp_path: Path) -> None:
    env = user_env(tmp_path / 'state')
    deploy = subprocess.run([sys.executable, '-m', 'ceph_orch_cli', 'apply', '-i',
                             'specs/demo/cluster.yaml'], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert deploy.returncode == 0, deploy.stderr
    pairs = tour()
    assert [command for command, _ in pairs] == [
        'orch host ls', 'orch ls', 'orch ps --service_name mon', 'orch device ls host1']
    for command, expected in pairs:
        shown = subprocess.run([sys.executable, '-m', 'ceph_orch_cli', *command.split()[1:]],
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert shown.returncode == 0, shown.stderr
        assert normalised(shown.stdout) == normalised(expected), command
