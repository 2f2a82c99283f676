"""Bad input of any kind gets one clear error line, a non-zero exit and loses no state.

The operator's promise: whatever is typed or fed to `orch` (argv words, placement strings,
host names, spec files, fleet files, ssh keys and configs, environment variables), a failure
prints ``Error E<NAME>: <what is wrong>`` on stderr (after Click's usage text for usage
errors), nothing on stdout, never a Python traceback, and leaves the cluster's state exactly
as it was.  Most runs go through Click's CliRunner for speed; a few real processes prove that
no traceback reaches a terminal.
"""
from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ceph_orch_cli.cli import orch as orch_group

REPO = Path(__file__).resolve().parents[2]
DEMO_CLUSTER = REPO / 'specs' / 'demo' / 'cluster.yaml'
DEMO_FLEET = REPO / 'specs' / 'demo' / 'fleet.yaml'
EXAMPLE_SPECS = sorted((REPO / 'specs').glob('*.yaml'))

ERROR_LINE = re.compile(r'^Error E[A-Z0-9]+: ')

#: Ceph's own multi-line messages, kept word for word: the usage texts of `orch apply`,
#: `orch daemon add`, ..., and cephadm's advice that follows a first line of error
CEPH_MULTILINE = re.compile(
    r'^Error E[A-Z]+: (Usage:|Unable to add a Daemon without Service\.'
    r'|Upgrade aborted - Got unexpected daemon type|Upgrade aborted - Got unknown service name'
    r'|Not allowed to remove .* from cluster|Host .* is the last host with the'
    r"|It is NOT safe to|If .* is removed then the following OSDs|Error: unable to pull image"
    r"|Unable to remove .* service\.|Invalid 'host:device' spec)")

#: texts Ceph prints instead of JSON when there is nothing to list (documented in
#: reference/ceph-orch-cli.md, "Empty-result texts")
EMPTY_TEXTS = ('No services reported', 'No daemons reported',
               'No OSD remove/replace operations reported')

#: ORCH_FUZZ_EXAMPLES=500 for a long hunt; the default keeps this file well under a minute
PROFILE = settings(max_examples=int(os.environ.get('ORCH_FUZZ_EXAMPLES', '25')), deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow])


# ----------------------------------------------------------------------------- harness

class Orch:
    """`orch` run in-process against one state directory and fleet."""

    def __init__(self, state: Path, fleet: Path = DEMO_FLEET) -> None:
        self.state = state
        self.env: Dict[str, Optional[str]] = {
            'ORCH_STATE_DIR': str(state), 'ORCH_FLEET': str(fleet), 'ORCH_BACKEND': None,
            'ORCH_DEBUG': None, 'NO_COLOR': '1', 'COLUMNS': '200'}
        self.runner = CliRunner()

    def __call__(self, *args: str, input: Any = None,
                 env: Optional[Dict[str, Optional[str]]] = None) -> Result:
        return self.runner.invoke(orch_group, list(args), input=input, prog_name='orch',
                                  env={**self.env, **(env or {})})

    def snapshot(self) -> Tuple[str, str, str]:
        """What an operator would compare: the specs, the hosts and the daemons."""
        views = (('ls', '--export'), ('host', 'ls', '--format', 'json'),
                 ('ps', '--format', 'json'))
        out = []
        for view in views:
            result = self(*view)
            assert result.exit_code == 0, (view, result.stderr)
            out.append(result.stdout)
        return out[0], out[1], out[2]


def assert_clean_failure(result: Result, *, named: str = '') -> str:
    """Non-zero exit; stderr is one ``Error E...`` line (after Click usage text for usage
    errors, or one of Ceph's own multi-line texts); stdout empty; no traceback."""
    assert result.exit_code != 0, (result.stdout, result.stderr)
    assert 'Traceback' not in result.stderr + result.stdout
    assert result.stdout == '', result.stdout
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    lines = result.stderr.splitlines()
    assert lines, 'nothing on stderr'
    errors = [line for line in lines if ERROR_LINE.match(line)]
    if CEPH_MULTILINE.match(lines[0]):
        assert len(errors) == 1, result.stderr
    elif lines[0].startswith('Usage:'):
        # Click's usage text (or a group's help), then exactly one error line, last
        assert lines[-1].startswith('Error EINVAL: '), result.stderr
        assert len(errors) == 1, result.stderr
    else:
        assert len(lines) == 1 and ERROR_LINE.match(lines[0]), result.stderr
    if named:
        assert named in result.stderr, (named, result.stderr)
    return errors[0]


def assert_sane(result: Result, args: List[str], wants_json: bool = False) -> None:
    """Whatever the words: success, or a clean failure; with --format json, one document."""
    if result.exit_code != 0:
        assert_clean_failure(result)
        return
    assert 'Traceback' not in result.stderr + result.stdout
    if wants_json and result.stdout.strip() and result.stdout.strip() not in EMPTY_TEXTS:
        json.loads(result.stdout)  # exactly one document: trailing text would fail here


@pytest.fixture(scope='module')
def demo_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo cluster, applied once; tests copy it."""
    state = tmp_path_factory.mktemp('demo') / 'state'
    result = Orch(state)('apply', '-i', str(DEMO_CLUSTER))
    assert result.exit_code == 0, result.stderr
    return state


class Clusters:
    """Fresh private copies of the demo cluster: one per hypothesis example, so what one
    example changes (`orch set backend ''`, `orch host rm`) cannot confuse the next."""

    def __init__(self, demo_state: Path, tmp_path: Path) -> None:
        self.demo_state = demo_state
        self.tmp_path = tmp_path
        self.made = 0

    def fresh(self) -> Orch:
        import shutil
        self.made += 1
        state = self.tmp_path / f'state{self.made}'
        shutil.copytree(self.demo_state, state)
        return Orch(state)


@pytest.fixture
def clusters(demo_state: Path, tmp_path: Path) -> Clusters:
    return Clusters(demo_state, tmp_path)


@pytest.fixture
def cluster(clusters: Clusters) -> Orch:
    """A private copy of the demo cluster."""
    return clusters.fresh()


# ----------------------------------------------------------------------------- argv

def _command_paths() -> List[Tuple[List[str], List[str]]]:
    import click

    from ceph_orch_cli.cli import DefaultGroup
    ctx = click.Context(orch_group)
    paths: List[Tuple[List[str], List[str]]] = []

    def walk(cmd: Any, prefix: List[str]) -> None:
        if isinstance(cmd, click.Group):
            for name in cmd.list_commands(ctx):
                # a DefaultGroup's default command is typed without its own word
                hidden = isinstance(cmd, DefaultGroup) and name == cmd.default_command
                walk(cmd.get_command(ctx, name), prefix + ([] if hidden else [name]))
            return
        options = [o for p in cmd.params if isinstance(p, click.Option) for o in p.opts]
        paths.append((prefix, options))

    walk(orch_group, [])
    # `serve` without --once runs forever by design
    return [(p, o) for p, o in paths if p[0] != 'serve']


COMMANDS = _command_paths()

odd_words = st.one_of(
    st.sampled_from(['', '-1', '0', '99999999999999999999999', '1e999', 'nan', '*', '--',
                     '-x', '--nope', 'host1', 'mon', 'osd.0', 'mon.host1', 'label:_admin',
                     'count:-3', '[', '..', '/', '1.2.3.4', '::1', 'é', 'a b', 'x' * 300,
                     '--format', 'json', '--force', '--hostname', '{}', '%s']),
    st.text(alphabet=st.characters(blacklist_categories=('Cs',), blacklist_characters='\x00'),
            max_size=12),
)


def test_every_command_is_reachable_for_the_fuzzer() -> None:
    names = {' '.join(p) for p, _ in COMMANDS}
    assert {'host add', 'apply', 'ps', 'ls', 'osd rm', 'ssh set-config'} <= names


@PROFILE
@given(data=st.data())
def test_random_words_to_any_command_fail_cleanly_and_change_nothing(clusters: Clusters,
                                                                     data: Any) -> None:
    cluster = clusters.fresh()
    prefix, options = data.draw(st.sampled_from(COMMANDS), label='command')
    words = data.draw(st.lists(st.one_of(odd_words, st.sampled_from(options or ['--help'])),
                               max_size=4), label='words')
    # --format json is only asked for when no earlier word can swallow it as a value
    wants_json = data.draw(st.booleans(), label='json') and '--' not in words and \
        not (words and words[-1].startswith('-'))
    if wants_json:
        words += ['--format', 'json']
    args = prefix + words
    assume('--help' not in args and '-h' not in args)
    before = cluster.snapshot()
    result = cluster(*args)
    assert_sane(result, args, wants_json)
    if result.exit_code != 0:
        assert cluster.snapshot() == before, args


@pytest.mark.parametrize('args', [
    ['host', 'add', ''], ['host', 'add', 'a b'], ['host', 'add', 'h\x01'],
    ['host', 'add', 'x' * 300], ['host', 'add', 'newhost', 'not-an-ip'],
    ['host', 'set-addr', 'nohost', '1.2.3.4'], ['host', 'label', 'add', 'nohost', 'x'],
    ['apply', 'mon', '--placement', 'count:-3'], ['apply', 'mon', '--placement', 'garbage:::'],
    ['apply', 'mon', '--placement', '99999999999999999999999'], ['apply', 'nonsense'],
    ['daemon', 'rm', ''], ['daemon', 'rm', 'a\nb'], ['restart', 'a\nb'],
    ['ps', '--format', 'nope'], ['upgrade', 'start', '--ceph-version', 'x.y.z'],
    ['tuned-profile', 'rm', '\r'], ['apply', 'snmp-gateway'], ['host'],
])
def test_known_bad_words_fail_with_one_line(cluster: Orch, args: List[str]) -> None:
    before = cluster.snapshot()
    error = assert_clean_failure(cluster(*args))
    assert '\r' not in error and '\x01' not in error
    assert cluster.snapshot() == before


def test_typed_control_characters_are_echoed_escaped(cluster: Orch) -> None:
    """A newline or carriage return in a name must not split or overwrite the error line."""
    error = assert_clean_failure(cluster('host', 'label', 'add', 'no\nhost', 'x'))
    assert 'no\\nhost' in error
    error = assert_clean_failure(cluster('daemon', 'rm', 'x\ry'))
    assert 'x\\ry' in error


# ----------------------------------------------------------------------------- placement

@PROFILE
@given(placement=st.one_of(
    st.text(alphabet='abch0123456789:;=,*-_ ./[]', max_size=30),
    st.text(alphabet=st.characters(blacklist_categories=('Cs',), blacklist_characters='\x00'),
            max_size=20),
    st.builds(lambda n: f'count:{n}', st.integers(-10**30, 10**30)),
    st.builds(lambda n, h: f'{n} {h}', st.integers(-5, 10**20), st.text(max_size=10))))
def test_any_placement_string_is_accepted_or_refused_cleanly(clusters: Clusters,
                                                             placement: str) -> None:
    cluster = clusters.fresh()
    assume('\x00' not in placement)
    before = cluster.snapshot()
    result = cluster('apply', 'crash', '--placement', placement, '--dry-run')
    assert_sane(result, [])
    if result.exit_code != 0:
        assert cluster.snapshot() == before


@PROFILE
@given(placement=st.text(max_size=40))
def test_placement_parser_raises_only_spec_errors(placement: str) -> None:
    from ceph_orch_cli.deployment.hostspec import SpecValidationError
    from ceph_orch_cli.deployment.service_spec import PlacementSpec
    try:
        PlacementSpec.from_string(placement).validate()
    except SpecValidationError:
        pass  # a refusal is the other allowed outcome; anything else fails the test


# ----------------------------------------------------------------------------- hosts

host_words = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=('Cs',), blacklist_characters='\x00'),
            max_size=70),
    st.sampled_from(['', '-', '.', 'a..b', '1.2.3.4', '::1', '256.1.1.1', 'fe80::1%eth0',
                     'h' * 254, 'UPPER', 'a_b', 'host1', 'é.example']))


@PROFILE
@given(name=host_words, addr=host_words, label=host_words)
def test_odd_host_names_addresses_and_labels(clusters: Clusters, name: str, addr: str,
                                             label: str) -> None:
    cluster = clusters.fresh()
    assume(not name.startswith('-') and not addr.startswith('-') and not label.startswith('-'))
    before = cluster.snapshot()
    for args in (['host', 'add', name, addr], ['host', 'set-addr', name, addr],
                 ['host', 'label', 'add', 'host1', label], ['host', 'label', 'rm', name, label]):
        result = cluster(*args)
        assert_sane(result, args)
        if result.exit_code != 0:
            assert cluster.snapshot() == before, args
        else:
            before = cluster.snapshot()


# ----------------------------------------------------------------------------- spec files

WRONG_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
    st.text(max_size=20), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sampled_from(['*', 'count:3', '1.2.3.4', 'a' * 500, [None], {'x': [{}]}, [[[]]]]))


def _example_documents() -> List[Tuple[str, Dict[str, Any]]]:
    docs = []
    for path in EXAMPLE_SPECS:
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict):
                docs.append((path.name, doc))
    return docs


EXAMPLES = _example_documents()


def _paths(doc: Any, prefix: Tuple[Any, ...] = ()) -> Iterator[Tuple[Any, ...]]:
    if isinstance(doc, dict):
        items = doc.items()
    elif isinstance(doc, list):
        items = enumerate(doc)
    else:
        return
    for key, value in items:
        yield prefix + (key,)
        yield from _paths(value, prefix + (key,))


@PROFILE
@given(data=st.data())
def test_example_specs_with_a_wrong_value_anywhere(clusters: Clusters, data: Any) -> None:
    """Every field of every example spec, given a value of the wrong type, or removed."""
    cluster = clusters.fresh()
    source, original = data.draw(st.sampled_from(EXAMPLES), label='example')
    doc = copy.deepcopy(original)
    path = data.draw(st.sampled_from(list(_paths(doc))), label='field')
    target = doc
    for key in path[:-1]:
        target = target[key]
    if data.draw(st.booleans(), label='drop the field instead'):
        del target[path[-1]]
    else:
        target[path[-1]] = data.draw(WRONG_VALUES, label='value')
    text = yaml.safe_dump(doc)
    before = cluster.snapshot()
    result = cluster('apply', '-i', '-', input=text)
    if result.exit_code != 0:
        assert_clean_failure(result)
        assert cluster.snapshot() == before, (source, path)
        return
    # accepted: everything that shows the spec later must still work
    for view in (['ls', '--export'], ['ls', '--format', 'json'], ['ps', '--format', 'json']):
        shown = cluster(*view)
        assert shown.exit_code == 0, (source, path, view, shown.stderr)
    yaml.safe_load_all(cluster('ls', '--export').stdout)


def _alias_bomb(levels: int = 10) -> str:
    lines = ['    a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f'    a{i}: &a{i} [' + ', '.join([f'*a{i - 1}'] * 9) + ']')
    return ('service_type: alertmanager\nunmanaged: true\nspec:\n  user_data:\n'
            + '\n'.join(lines) + '\n')


@pytest.mark.parametrize('name, content, message', [
    ('binary', os.urandom(64) + b'\xff\xfe', 'not UTF-8'),
    ('latin1', 'service_type: mon\nservice_id: caf\xe9\n'.encode('latin-1'), 'not UTF-8'),
    ('alias bomb', _alias_bomb().encode(), 'aliases are expanded'),
    ('recursive alias', b'service_type: mon\nplacement: &a\n  hosts: [*a]\n', 'recursive'),
    ('deep nesting', b'service_type: mon\nspec: ' + b'[' * 5000 + b']' * 5000, 'document 1'),
    ('bad yaml', b'service_type: [mon\n', 'invalid YAML'),
    ('scalar', b'42\n', 'document 1'),
    ('no type', b'placement: {count: 1}\n', 'service_type'),
], ids=lambda v: v if isinstance(v, str) and len(v) < 20 else '')
def test_spec_files_that_cannot_be_used(cluster: Orch, tmp_path: Path, name: str,
                                        content: bytes, message: str) -> None:
    spec = tmp_path / 'spec.yaml'
    spec.write_bytes(content)
    before = cluster.snapshot()
    assert_clean_failure(cluster('apply', '-i', str(spec)), named=message)
    assert cluster.snapshot() == before


trees = st.recursive(st.one_of(st.none(), st.integers(), st.text(max_size=3)),
                     lambda inner: st.one_of(st.lists(inner, max_size=4),
                                             st.dictionaries(st.text(max_size=3), inner,
                                                             max_size=4)),
                     max_leaves=30)


def _count(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(_count(k) + _count(v) for k, v in value.items())
    if isinstance(value, list):
        return 1 + sum(_count(v) for v in value)
    return 1


@settings(max_examples=50, deadline=None)
@given(tree=trees, copies=st.integers(1, 5))
def test_expanded_size_counts_every_alias_as_a_copy(tree: Any, copies: int) -> None:
    """A tree referenced n times (YAML aliases) weighs n trees."""
    from ceph_orch_cli.deployment.loader import expanded_size
    shared = [tree] * copies
    assert expanded_size(tree) == _count(tree)
    assert expanded_size(shared) == 1 + copies * _count(tree)


def test_alias_bombs_are_refused_whatever_the_file_kind() -> None:
    from ceph_orch_cli.deployment.hostspec import SpecValidationError
    from ceph_orch_cli.deployment.loader import load_yaml_documents
    with pytest.raises(SpecValidationError, match='fleet.yaml: document 1: too large'):
        load_yaml_documents(_alias_bomb(), 'fleet.yaml')
    # three documents of one bomb level each stay within the budget...
    small = '---\n'.join(_alias_bomb(3) for _ in range(3))
    assert len(load_yaml_documents(small, 'ok.yaml')) == 3
    # ...but the budget is for the whole file, not per document
    with pytest.raises(SpecValidationError, match='document 2'):
        load_yaml_documents('---\n'.join([_alias_bomb(6)] * 2), 'two.yaml', limit=1_000_000)


def test_a_huge_spec_file_is_refused_before_it_is_parsed(cluster: Orch, tmp_path: Path) -> None:
    from ceph_orch_cli.deployment import loader
    spec = tmp_path / 'huge.yaml'
    spec.write_text('# ' + 'x' * (loader.MAX_SPEC_BYTES + 10) + '\n')
    assert_clean_failure(cluster('apply', '-i', str(spec)), named='too large')


# ----------------------------------------------------------------------------- fleet file

FLEET_ENTRY = {'hostname': 'host1', 'addr': '10.0.0.11',
               'devices': [{'path': '/dev/sdb', 'available': True,
                            'sys_api': {'size': 4e12, 'rotational': '1'}}]}


@pytest.mark.parametrize('content, message', [
    ('{{{: [', 'invalid YAML'), ('[1, 2]', 'needs a hostname'), ('42', 'needs a hostname'),
    ('hostname: host1\n---\nhostname: host1\n', 'listed twice'),
    ('hostname: 5\n', 'hostname must be a string'),
    ('hostname: host1\naddr: [1]\n', 'addr must be a str'),
    ('hostname: host1\ndevices: 7\n', 'devices must be a list'),
    ('hostname: host1\ndevices: [5]\n', 'device 1 needs a path'),
    ('hostname: host1\ndevices: [{path: /dev/sdb, sys_api: {size: big}}]\n', 'sys_api.size'),
    ('hostname: host1\nfacts: x\n', 'facts must be a dict'),
    ('hostname: host1\nnetworks: {10.0.0.0/24: 5}\n', 'networks'),
    ('hostname: host1\nerror_daemon_types: 5\n', 'error_daemon_types'),
])
def test_fleet_files_that_cannot_be_used(tmp_path: Path, content: str, message: str) -> None:
    fleet = tmp_path / 'fleet.yaml'
    fleet.write_text(content)
    orch = Orch(tmp_path / 'state', fleet)
    assert_clean_failure(orch('host', 'add', 'host1'), named=message)
    assert str(fleet) in orch('host', 'add', 'host1').stderr


def test_a_fleet_file_that_is_not_text(tmp_path: Path) -> None:
    fleet = tmp_path / 'fleet.yaml'
    fleet.write_bytes(b'hostname: h\xff\xfe\n')
    assert_clean_failure(Orch(tmp_path / 'state', fleet)('host', 'add', 'h'),
                         named='not UTF-8')


def test_a_missing_fleet_file(tmp_path: Path) -> None:
    orch = Orch(tmp_path / 'state', tmp_path / 'nowhere.yaml')
    assert_clean_failure(orch('host', 'add', 'host1'), named='nowhere.yaml')


@PROFILE
@given(field=st.sampled_from(['hostname', 'addr', 'devices', 'facts', 'networks', 'status',
                              'error_daemon_types']),
       value=WRONG_VALUES)
def test_fleet_entries_with_a_wrong_value(tmp_path_factory: pytest.TempPathFactory,
                                          field: str, value: Any) -> None:
    work = tmp_path_factory.mktemp('fleet')
    entry = copy.deepcopy(FLEET_ENTRY)
    entry[field] = value
    fleet = work / 'fleet.yaml'
    fleet.write_text(yaml.safe_dump(entry))
    orch = Orch(work / 'state', fleet)
    name = str(entry['hostname']) if entry.get('hostname') else 'host1'
    assume(name and not name.startswith('-'))
    for args in (['host', 'add', name], ['device', 'ls', '--refresh', '--format', 'json'],
                 ['apply', 'crash'], ['host', 'ls', '--detail']):
        result = orch(*args)
        assert_sane(result, args, wants_json='json' in args)
        assert 'EIO' not in result.stderr, (args, result.stderr)


# ----------------------------------------------------------------------------- environment

def test_an_unknown_backend_is_named(cluster: Orch) -> None:
    assert_clean_failure(cluster('ls', env={'ORCH_BACKEND': 'nonsense'}), named='nonsense')


def test_an_empty_state_dir_variable_is_refused_not_defaulted(tmp_path: Path) -> None:
    """Falling back to ~/.local/state would act on another cluster."""
    orch = Orch(tmp_path / 'state')
    assert_clean_failure(orch('ls', env={'ORCH_STATE_DIR': ''}), named='ORCH_STATE_DIR')
    assert_clean_failure(orch('--state-dir', '', 'ls'), named='--state-dir')
    assert orch('host', '--help', env={'ORCH_STATE_DIR': ''}).exit_code == 0


@pytest.mark.parametrize('where', ['file', 'under a file'])
def test_a_state_dir_that_is_not_a_directory(tmp_path: Path, where: str) -> None:
    blocker = tmp_path / 'blocker'
    blocker.write_text('precious\n')
    state = blocker if where == 'file' else blocker / 'state'
    assert_clean_failure(Orch(state)('host', 'ls'), named=str(state))
    assert blocker.read_text() == 'precious\n'


# ----------------------------------------------------------------------------- ssh files

@pytest.fixture
def ssh_state(tmp_path: Path) -> Orch:
    return Orch(tmp_path / 'state')


@pytest.mark.parametrize('content, message', [
    (b'\xd2\xff binary', 'not UTF-8'),
    (b'Host *\n  ProxyCommand\n', 'invalid ssh config'),
    (b'', 'empty'),
])
def test_ssh_set_config_garbage(ssh_state: Orch, tmp_path: Path, content: bytes,
                                message: str) -> None:
    config = tmp_path / 'ssh_config'
    config.write_bytes(content)
    assert_clean_failure(ssh_state('ssh', 'set-config', '-i', str(config)), named=message)
    assert not (ssh_state.state / 'ssh' / 'ssh_config').exists()


def test_ssh_private_key_that_is_not_a_key(ssh_state: Orch, tmp_path: Path) -> None:
    bogus = tmp_path / 'id'
    bogus.write_text('-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n'
                     '-----END OPENSSH PRIVATE KEY-----\n')
    assert_clean_failure(ssh_state('ssh', 'set-priv-key', '-i', str(bogus)),
                         named='could not be read')


def test_ssh_private_key_with_a_passphrase_is_named_as_such(ssh_state: Orch,
                                                            tmp_path: Path) -> None:
    import paramiko
    key = paramiko.RSAKey.generate(1024)
    path = tmp_path / 'id'
    key.write_private_key_file(str(path), password='secret')
    assert_clean_failure(ssh_state('ssh', 'set-priv-key', '-i', str(path)), named='passphrase')
    assert not (ssh_state.state / 'ssh' / 'id').exists()


def test_damaged_ssh_files_behind_orchs_back(ssh_state: Orch) -> None:
    """Files edited by hand after `orch ssh set-*` are named when the ssh backend reads them."""
    assert ssh_state('ssh', 'generate-key').exit_code == 0
    ssh_dir = ssh_state.state / 'ssh'
    env = {'ORCH_BACKEND': 'ssh'}
    (ssh_dir / 'ssh_config').write_text('Host *\n  ProxyCommand\n')
    assert_clean_failure(ssh_state('host', 'add', 'h1', '127.0.0.1', env=env),
                         named=str(ssh_dir / 'ssh_config'))
    (ssh_dir / 'ssh_config').unlink()
    (ssh_dir / 'user').write_text('bad user\n')
    assert_clean_failure(ssh_state('host', 'add', 'h1', '127.0.0.1', env=env),
                         named=str(ssh_dir / 'user'))
    (ssh_dir / 'user').unlink()
    (ssh_dir / 'id').write_text('garbage\n')
    assert_clean_failure(ssh_state('host', 'add', 'h1', '127.0.0.1', env=env),
                         named=str(ssh_dir / 'id'))


# ----------------------------------------------------------------------------- real processes

def _run(args: List[str], state: Path, env: Optional[Dict[str, str]] = None,
         stdin: Optional[bytes] = None) -> subprocess.CompletedProcess:
    full = dict(os.environ, ORCH_STATE_DIR=str(state), ORCH_FLEET=str(DEMO_FLEET))
    full.pop('ORCH_BACKEND', None)
    full.pop('ORCH_DEBUG', None)
    full.update(env or {})
    return subprocess.run([sys.executable, '-m', 'ceph_orch_cli', *args], input=stdin,
                          capture_output=True, env=full, timeout=120)


def test_no_traceback_reaches_a_terminal(demo_state: Path, tmp_path: Path) -> None:
    import shutil
    state = tmp_path / 'state'
    shutil.copytree(demo_state, state)
    garbage_db = tmp_path / 'garbage'
    garbage_db.mkdir()
    (garbage_db / 'orch.db').write_bytes(os.urandom(8192))
    bad_fleet = tmp_path / 'fleet.yaml'
    bad_fleet.write_bytes(b'hostname: [\xff')
    deep_fleet = tmp_path / 'deep.json'
    deep_fleet.write_bytes(b'[' * 100000)
    cases = [
        (['apply', '-i', '-'], state, None, _alias_bomb().encode()),
        (['apply', '-i', '-'], state, None, os.urandom(200)),
        (['ls', '--format', 'json'], garbage_db, None, None),
        (['host', 'add', 'newhost'], state, {'ORCH_FLEET': str(bad_fleet)}, None),
        (['host', 'add', 'bad\nname'], state, None, None),
        (['ls'], state, {'ORCH_BACKEND': 'nonsense'}, None),
        (['ls'], state, {'ORCH_STATE_DIR': ''}, None),
        (['apply', 'snmp-gateway'], state, None, None),
        # deep enough to overflow libyaml's C stack: a segfault, were it not measured first
        (['apply', '-i', '-'], state, None,
         b'service_type: mon\nspec: ' + b'[' * 50000 + b']' * 50000 + b'\n'),
        (['apply', '-i', '-'], state, None, b'service_type: mon\nspec:\n  ' + b'- ' * 50000),
        (['host', 'add', 'newhost'], state, {'ORCH_FLEET': str(deep_fleet)}, None),
    ]
    for args, where, env, stdin in cases:
        done = _run(args, where, env, stdin)
        err = done.stderr.decode()
        assert done.returncode > 0, (args, done.returncode)  # negative: killed by a signal
        assert 'Traceback' not in err, (args, err)
        assert done.stdout == b'', (args, done.stdout)
        assert [line for line in err.splitlines() if ERROR_LINE.match(line)], (args, err)
        assert err.splitlines()[-1].startswith('Error E') or err.startswith('Error E'), err
    assert (garbage_db / 'orch.db').stat().st_size == 8192
