"""Issue 16: a refused command never changes `orch ls --export` or `orch host ls`."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Tuple

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ceph_orch_cli.cli import orch as orch_group

REPO = Path(__file__).resolve().parents[2]
DEMO_CLUSTER = REPO / 'specs' / 'demo' / 'cluster.yaml'
DEMO_FLEET = REPO / 'specs' / 'demo' / 'fleet.yaml'

PROFILE = settings(max_examples=int(os.environ.get('ORCH_FUZZ_EXAMPLES', '30')), deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow])

words = st.text(st.characters(blacklist_categories=('Cs',)), max_size=12)
hosts = st.sampled_from(['host1', 'host2', 'nohost', 'bad host', ''])
networks = st.sampled_from(['0', '1.2.3.999', '10.0.0.0/33', 'x', '::g', '1.1.1.1/24'])

#: commands built to be refused: a bad placement, label, address, URL, option, document
bad_commands = st.one_of(
    st.builds(lambda h, n: ('apply', 'mon', f'{h}:{n}'), hosts, networks),
    st.builds(lambda h, n: ('apply', 'crash', f'{h}:{n}', '--format', 'xml'), hosts, networks),
    st.builds(lambda h, w: ('host', 'label', 'add', h, f'{w} {w}'), hosts, words),
    st.builds(lambda h: ('host', 'label', 'add', h, ''), hosts),
    st.builds(lambda h, w: ('host', 'set-addr', h, f'{w} bad'), hosts, words),
    st.builds(lambda w: ('prometheus', 'set-target', f'{w} not a url'), words),
    st.builds(lambda w: ('tuned-profile', 'apply', f'bad {w}'), words),
    st.builds(lambda w: ('apply', 'rgw', 'x', '--format', 'xml'), words),
    # the simulated cluster's refusals: the active mgr's host, PGs that still peer
    st.builds(lambda h: ('host', 'maintenance', 'enter', h), hosts),
    st.builds(lambda h: ('host', 'ok-to-stop', h), hosts),
)

documents = st.sampled_from([
    'service_type: mds\nservice_id: x\n---\nservice_type: host\nhostname: nohost\n',
    'service_type: rgw\nservice_id: q\nconfig:\n  not_an_option_{w}: 1\n',
    'service_type: mon\nplacement:\n  hosts: ["host1:{w}0"]\n',
    'service_type: ingress\nservice_id: q\nspec:\n  backend_service: rgw.none{w}\n'
    '  virtual_ip: 10.0.0.5/24\n  frontend_port: 1\n  monitor_port: 2\n',
    'service_type: rgw\nservice_id: q\nspec:\n  ssl_certificate: {w}\n',
    'service_type: mds\nservice_id: ok\n---\nservice_type: mon\nplacement:\n  label: "a {w}"\n',
])


def _run(runner: CliRunner, env: dict, *args: str) -> Tuple[int, str, str]:
    r = runner.invoke(orch_group, list(args), prog_name='orch', env=env)
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture(scope='module')
def cluster(tmp_path_factory: pytest.TempPathFactory) -> dict:
    state = tmp_path_factory.mktemp('refused') / 'state'
    env = {'ORCH_STATE_DIR': str(state), 'ORCH_FLEET': str(DEMO_FLEET), 'ORCH_BACKEND': None,
           'ORCH_DEBUG': None, 'NO_COLOR': '1', 'COLUMNS': '200'}
    code, _, err = _run(CliRunner(), env, 'apply', '-i', str(DEMO_CLUSTER))
    assert code == 0, err
    return {'env': env, 'dir': state.parent}


def _views(runner: CliRunner, env: dict) -> Tuple[str, str]:
    a = _run(runner, env, 'ls', '--export')
    b = _run(runner, env, 'host', 'ls', '--format', 'json')
    assert a[0] == 0 and b[0] == 0, (a, b)
    return a[1], b[1]


@PROFILE
@given(command=bad_commands)
def test_a_refused_command_changes_nothing(cluster: dict, command: Tuple[str, ...]) -> None:
    runner = CliRunner()
    before = _views(runner, cluster['env'])
    code, out, err = _run(runner, cluster['env'], *command)
    assert 'Traceback' not in err and 'EIO' not in err, (command, err)
    if code != 0:
        assert _views(runner, cluster['env']) == before, (command, err)


@PROFILE
@given(document=documents, word=st.text(st.sampled_from('abc019-_'), max_size=6))
def test_a_refused_document_changes_nothing(cluster: dict, document: str, word: str) -> None:
    runner = CliRunner()
    path = Path(cluster['dir']) / 'doc.yaml'
    path.write_text(document.replace('{w}', word))
    before = _views(runner, cluster['env'])
    code, _, err = _run(runner, cluster['env'], 'apply', '-i', str(path))
    assert code != 0, (document, word)
    assert 'Traceback' not in err and 'EIO' not in err, err
    assert _views(runner, cluster['env']) == before, (document, word, err)
