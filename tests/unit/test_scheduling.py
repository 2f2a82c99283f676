"""Daemon placement must land exactly where cephadm would put it.

The expectations are cephadm's own scheduling test cases (explicit hosts, count, labels, host
patterns, count_per_host, colocation, networks, nfs ranks, offline/maintenance/draining hosts,
the pinned shuffle orders, ingress keepalived), so a cluster moved between `ceph orch` and
`orch` keeps its daemons where they are.
"""
from __future__ import annotations

from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Union

import pytest

from ceph_orch_cli.cluster.scheduling import DaemonPlacement, HostAssignment, shuffle_seed
from ceph_orch_cli.deployment.hostspec import HostSpec, SpecValidationError
from ceph_orch_cli.deployment.service_spec import (
    HostPattern,
    IngressSpec,
    PatternType,
    PlacementSpec,
    ServiceSpec,
)
from ceph_orch_cli.orchestrator import DaemonDescription
from ceph_orch_cli.orchestrator.errors import OrchestratorError, OrchestratorValidationError

Outcome = Union[List[str], Exception]
Check = Callable[[Outcome], None]


# -- outcome checks for the placement matrices -----------------------------------------------

def exactly(*hosts: str) -> Check:
    def check(got: Outcome) -> None:
        assert got == list(hosts), got
    return check


def one_of(*hosts: str) -> Check:
    def check(got: Outcome) -> None:
        assert isinstance(got, list) and len(got) == 1 and got[0] in hosts, got
    return check


def two_of(*hosts: str) -> Check:
    def check(got: Outcome) -> None:
        assert isinstance(got, list) and len(got) == 2, got
        assert sum(h in got for h in hosts) == 2, got
    return check


def either(*checks: Check) -> Check:
    def check(got: Outcome) -> None:
        failures = []
        for c in checks:
            try:
                c(got)
                return
            except AssertionError as e:
                failures.append(e)
        raise AssertionError(f'no alternative matched {got}: {failures}')
    return check


def fails(kind: type, message: str) -> Check:
    def check(got: Outcome) -> None:
        assert isinstance(got, kind), got
        assert str(got) == message
    return check


def first_match(key: Sequence[str], table: List[tuple]) -> Check:
    """The first row whose pattern matches the key; `*` matches anything."""
    for pattern, check in table:
        if all(p in ('*', k) for p, k in zip(pattern.split(), key)):
            return check
    raise AssertionError(f'no expectation for {key}')


def key_of(*elems: object) -> List[str]:
    return ['N' if e is None else str(e) for e in elems]


def mgr_spec_maker(section: str, explicit_key: str, explicit: List[str],
                   count: Optional[int]) -> Callable[[], ServiceSpec]:
    if section == 'hosts':
        return lambda: ServiceSpec('mgr', placement=PlacementSpec(hosts=explicit, count=count))
    if section == 'label':
        return lambda: ServiceSpec('mgr', placement=PlacementSpec(label='mylabel', count=count))
    pattern = {'e': 'notfound', '1': '1', '12': '[1-2]', '123': '*'}[explicit_key]
    return lambda: ServiceSpec('mgr', placement=PlacementSpec(host_pattern=pattern, count=count))


def placed_hostnames(make_spec: Callable[[], ServiceSpec], hosts: List[HostSpec],
                     daemons: List[DaemonDescription]) -> Outcome:
    try:
        all_slots, _, _ = HostAssignment(
            spec=make_spec(), hosts=hosts, unreachable_hosts=[], draining_hosts=[],
            daemons=daemons).place()
    except (OrchestratorError, SpecValidationError) as e:
        return e
    return sorted(dp.hostname for dp in all_slots)


def labelled(hosts: List[str], explicit: List[str]) -> List[HostSpec]:
    return [HostSpec(h, labels=['mylabel']) if h in explicit else HostSpec(h) for h in hosts]


SECTIONS = [('h', 'hosts'), ('l', 'label'), ('p', 'host_pattern')]
HOST_SETS = [('1', ['1']), ('12', ['1', '2']), ('123', ['1', '2', '3'])]
MGR = '<ServiceSpec for service_name=mgr>'

# known hosts | explicit hosts (or labelled / pattern) | count | section -> expectation
EXPLICIT_RESULTS = [
    ('*   *   0 *', fails(SpecValidationError, 'num/count must be >= 1')),
    ('*   e   N l', fails(OrchestratorValidationError,
                          f'Cannot place {MGR}: No matching hosts for label mylabel')),
    ('*   e   N p', fails(OrchestratorValidationError, f'Cannot place {MGR}: No matching hosts')),
    ('*   e   N h', fails(OrchestratorValidationError,
                          'placement spec is empty: no hosts, no label, no pattern, no count')),
    # cephadm's own table has a no-op check here; these rows are what its code does: a count
    # with an empty host list picks among all hosts, an unmatched label/pattern still fails
    ('1   e   * h', exactly('1')),
    ('12  e   1 h', one_of('1', '2')),
    ('12  e   * h', exactly('1', '2')),
    ('123 e   1 h', one_of('1', '2', '3')),
    ('123 e   2 h', two_of('1', '2', '3')),
    ('123 e   * h', exactly('1', '2', '3')),
    ('*   e   * l', fails(OrchestratorValidationError,
                          f'Cannot place {MGR}: No matching hosts for label mylabel')),
    ('*   e   * p', fails(OrchestratorValidationError, f'Cannot place {MGR}: No matching hosts')),
    ('1   12  * h', fails(OrchestratorValidationError, f'Cannot place {MGR} on 2: Unknown hosts')),
    ('1   123 * h', fails(OrchestratorValidationError,
                          f'Cannot place {MGR} on 2, 3: Unknown hosts')),
    ('1   *   * *', exactly('1')),
    ('12  1   * *', exactly('1')),
    ('12  12  1 *', one_of('1', '2')),
    ('12  12  * *', exactly('1', '2')),
    ('12  123 * h', fails(OrchestratorValidationError, f'Cannot place {MGR} on 3: Unknown hosts')),
    ('12  123 1 *', one_of('1', '2', '3')),
    ('12  123 * *', two_of('1', '2', '3')),
    ('123 1   * *', exactly('1')),
    ('123 12  1 *', one_of('1', '2')),
    ('123 12  * *', exactly('1', '2')),
    ('123 123 1 *', one_of('1', '2', '3')),
    ('123 123 2 *', two_of('1', '2', '3')),
    ('123 123 * *', exactly('1', '2', '3')),
]


@pytest.mark.parametrize('section_key,section', SECTIONS)
@pytest.mark.parametrize('count', [None, 0, 1, 2, 3])
@pytest.mark.parametrize('explicit_key,explicit',
                         [('e', []), ('1', ['1']), ('12', ['1', '2']), ('123', ['1', '2', '3'])])
@pytest.mark.parametrize('host_key,hosts', HOST_SETS)
def test_placement_without_daemons_matches_cephadm(host_key, hosts, explicit_key, explicit,
                                                   count, section_key, section):
    check = first_match(key_of(host_key, explicit_key, count, section_key), EXPLICIT_RESULTS)
    make_spec = mgr_spec_maker(section, explicit_key, explicit, count)
    check(placed_hostnames(make_spec, labelled(hosts, explicit), []))


# known hosts | explicit | count | existing daemons | section -> expectation
DAEMON_RESULTS = [
    ('*   1   * *   *', exactly('1')),
    ('1   123 * *   h', fails(OrchestratorValidationError,
                              f'Cannot place {MGR} on 2, 3: Unknown hosts')),
    ('1   123 * *   *', exactly('1')),
    ('12  123 * *   h', fails(OrchestratorValidationError,
                              f'Cannot place {MGR} on 3: Unknown hosts')),
    ('12  123 N *   *', exactly('1', '2')),
    ('12  123 1 *   *', one_of('1', '2')),
    ('12  123 2 *   *', exactly('1', '2')),
    ('12  123 3 *   *', exactly('1', '2')),
    ('123 123 N *   *', exactly('1', '2', '3')),
    ('123 123 1 e   *', one_of('1', '2', '3')),
    ('123 123 1 1   *', exactly('1')),
    ('123 123 1 3   *', exactly('3')),
    ('123 123 1 12  *', one_of('1', '2')),
    ('123 123 1 112 *', one_of('1', '2')),
    ('123 123 1 23  *', one_of('2', '3')),
    ('123 123 1 123 *', one_of('1', '2', '3')),
    ('123 123 2 e   *', two_of('1', '2', '3')),
    ('123 123 2 1   *', either(exactly('1', '2'), exactly('1', '3'))),
    ('123 123 2 3   *', either(exactly('1', '3'), exactly('2', '3'))),
    ('123 123 2 12  *', exactly('1', '2')),
    ('123 123 2 112 *', exactly('1', '2')),
    ('123 123 2 23  *', exactly('2', '3')),
    ('123 123 2 123 *', two_of('1', '2', '3')),
    ('123 123 3 *   *', exactly('1', '2', '3')),
]


@pytest.mark.parametrize('section_key,section', SECTIONS)
@pytest.mark.parametrize('daemons_key,daemon_hosts', [
    ('e', []), ('1', ['1']), ('3', ['3']), ('12', ['1', '2']),
    ('112', ['1', '1', '2']),  # two colocated mgrs: one must go
    ('23', ['2', '3']), ('123', ['1', '2', '3']),
])
@pytest.mark.parametrize('count', [None, 1, 2, 3])
@pytest.mark.parametrize('explicit_key,explicit', [('1', ['1']), ('123', ['1', '2', '3'])])
@pytest.mark.parametrize('host_key,hosts', HOST_SETS)
def test_placement_with_daemons_matches_cephadm(host_key, hosts, explicit_key, explicit, count,
                                                daemons_key, daemon_hosts, section_key, section):
    check = first_match(key_of(host_key, explicit_key, count, daemons_key, section_key),
                        DAEMON_RESULTS)
    daemons = [DaemonDescription('mgr', h, h) for h in daemon_hosts]
    make_spec = mgr_spec_maker(section, explicit_key, explicit, count)
    check(placed_hostnames(make_spec, labelled(hosts, explicit), daemons))


# -- DaemonPlacement -------------------------------------------------------------------------

@pytest.mark.parametrize('dp,n,result', [
    (DaemonPlacement(daemon_type='mgr', hostname='host1', ports=[80]), 0,
     DaemonPlacement(daemon_type='mgr', hostname='host1', ports=[80])),
    (DaemonPlacement(daemon_type='mgr', hostname='host1', ports=[80]), 2,
     DaemonPlacement(daemon_type='mgr', hostname='host1', ports=[82])),
    (DaemonPlacement(daemon_type='mgr', hostname='host1', ports=[80, 90]), 2,
     DaemonPlacement(daemon_type='mgr', hostname='host1', ports=[82, 92])),
])
def test_colocated_copy_shifts_every_port(dp, n, result):
    assert dp.renumber_ports(n) == result


@pytest.mark.parametrize('dp,dd,result', [
    (DaemonPlacement(daemon_type='mgr', hostname='host1'),
     DaemonDescription('mgr', 'a', 'host1'), True),
    (DaemonPlacement(daemon_type='mgr', hostname='host1', name='a'),
     DaemonDescription('mgr', 'a', 'host1'), True),
    (DaemonPlacement(daemon_type='mon', hostname='host1', name='a'),
     DaemonDescription('mgr', 'a', 'host1'), False),
    (DaemonPlacement(daemon_type='mgr', hostname='host1', name='a'),
     DaemonDescription('mgr', 'b', 'host1'), False),
])
def test_slot_matches_daemon_of_same_type_host_and_name(dp, dd, result):
    assert dp.matches_daemon(dd) == result


def test_slot_with_other_ports_or_ip_does_not_match_unless_upgrading():
    dp = DaemonPlacement(daemon_type='rgw', hostname='host1', ip='10.0.0.1', ports=[80])
    assert dp.matches_daemon(DaemonDescription('rgw', 'a', 'host1', ports=[80], ip='10.0.0.1'))
    assert not dp.matches_daemon(DaemonDescription('rgw', 'a', 'host1', ports=[81]))
    assert not dp.matches_daemon(DaemonDescription('rgw', 'a', 'host1', ip='10.0.0.2'))
    assert dp.matches_daemon(DaemonDescription('rgw', 'a', 'host1', ports=[81]),
                             upgrade_in_progress=True)
    # a daemon that reports no ports or IP is not held against the slot
    assert dp.matches_daemon(DaemonDescription('rgw', 'a', 'host1'))


@pytest.mark.parametrize('dp,text', [
    (DaemonPlacement('mgr', 'host1'), 'mgr:host1'),
    (DaemonPlacement('rgw', 'host1', ports=[80]), 'rgw:host1(*:80)'),
    (DaemonPlacement('haproxy', 'host1', ip='10.0.0.1', ports=[443, 8888]),
     'haproxy:host1(10.0.0.1:443,8888)'),
    (DaemonPlacement('nfs', 'host3', rank=1, rank_generation=4), 'nfs:host3(rank=1.4)'),
    (DaemonPlacement('mon', 'host1', network='10.0.0.0/8', name='a'),
     'mon:host1(network=10.0.0.0/8 name=a)'),
])
def test_slot_renders_like_cephadm(dp, text):
    assert str(dp) == text


# -- whole assignments -----------------------------------------------------------------------

class Assignment(NamedTuple):
    service_type: str
    placement: PlacementSpec
    hosts: List[str]
    daemons: List[DaemonDescription]
    rank_map: Optional[Dict[int, Dict[int, Optional[str]]]]
    post_rank_map: Optional[Dict[int, Dict[int, Optional[str]]]]
    expected: List[str]
    expected_add: List[str]
    expected_remove: List[str]


def dd(daemon_type: str, daemon_id: str, host: str, **kw) -> DaemonDescription:
    return DaemonDescription(daemon_type, daemon_id, host, **kw)


def h3() -> List[str]:
    return 'host1 host2 host3'.split()


ASSIGNMENTS = [
    pytest.param(Assignment(
        'mgr', PlacementSpec(hosts=['smithi060']), ['smithi060'], [], None, None,
        ['mgr:smithi060'], ['mgr:smithi060'], []), id='just-hosts'),
    pytest.param(Assignment(
        'mgr', PlacementSpec(host_pattern='*'), h3(),
        [dd('mgr', 'a', 'host1'), dd('mgr', 'b', 'host2')], None, None,
        ['mgr:host1', 'mgr:host2', 'mgr:host3'], ['mgr:host3'], []), id='all-hosts'),
    pytest.param(Assignment(
        'mds', PlacementSpec(host_pattern='*', count_per_host=2), h3(),
        [dd('mds', 'a', 'host1'), dd('mds', 'b', 'host2')], None, None,
        ['mds:host1', 'mds:host2', 'mds:host3', 'mds:host1', 'mds:host2', 'mds:host3'],
        ['mds:host3', 'mds:host1', 'mds:host2', 'mds:host3'], []),
        id='all-hosts-count-per-host'),
    pytest.param(Assignment(
        'mgr', PlacementSpec(count=4), h3(), [], None, None,
        ['mgr:host1', 'mgr:host2', 'mgr:host3'], ['mgr:host1', 'mgr:host2', 'mgr:host3'], []),
        id='count-above-hosts-capped-without-colo'),
    pytest.param(Assignment(
        'mds', PlacementSpec(count=6), h3(), [], None, None,
        ['mds:host1', 'mds:host2', 'mds:host3'] * 2, ['mds:host1', 'mds:host2', 'mds:host3'] * 2,
        []), id='count-above-hosts-wraps-with-colo'),
    pytest.param(Assignment(
        'mgr', PlacementSpec(count=3, hosts=['host3']), h3(),
        [dd('mgr', 'a', 'host1'), dd('mgr', 'b', 'host2')], None, None,
        ['mgr:host3'], ['mgr:host3'], ['mgr.a', 'mgr.b']), id='count-partial-hosts'),
    pytest.param(Assignment(
        'mds', PlacementSpec(count=3, hosts=['host3']), h3(),
        [dd('mds', 'a', 'host1'), dd('mds', 'b', 'host2')], None, None,
        ['mds:host3'] * 3, ['mds:host3'] * 3, ['mds.a', 'mds.b']),
        id='count-partial-hosts-colo'),
    pytest.param(Assignment(
        'mgr', PlacementSpec(count=1, hosts=['host3']), h3(),
        [dd('mgr', 'a', 'host1'), dd('mgr', 'b', 'host2')], None, None,
        ['mgr:host3'], ['mgr:host3'], ['mgr.a', 'mgr.b']), id='count1-partial-hosts'),
    pytest.param(Assignment(
        'mgr', PlacementSpec(count=2, hosts=['host3']), h3(), [dd('mgr', 'a', 'host1')],
        None, None, ['mgr:host3'], ['mgr:host3'], ['mgr.a']),
        id='count-partial-hosts-existing'),
    pytest.param(Assignment(
        'mgr', PlacementSpec(count=2, hosts=['host1']), 'host1 host2'.split(),
        [dd('mgr', 'a', 'host1')], None, None, ['mgr:host1'], [], []),
        id='count-partial-hosts-existing-kept'),
    pytest.param(Assignment(
        'mgr', PlacementSpec(count=2, hosts=['host1']), 'host1 host2'.split(),
        [dd('mgr', 'a', 'host2')], None, None, ['mgr:host1'], ['mgr:host1'], ['mgr.a']),
        id='count-partial-hosts-existing-moved'),
    pytest.param(Assignment(
        'mgr', PlacementSpec(label='foo'), h3(), [], None, None,
        ['mgr:host1', 'mgr:host2', 'mgr:host3'], ['mgr:host1', 'mgr:host2', 'mgr:host3'], []),
        id='label'),
    pytest.param(Assignment(
        'mgr', PlacementSpec(count=4, label='foo'), h3(), [], None, None,
        ['mgr:host1', 'mgr:host2', 'mgr:host3'], ['mgr:host1', 'mgr:host2', 'mgr:host3'], []),
        id='label-count-capped'),
    pytest.param(Assignment(
        'mds', PlacementSpec(count=6, label='foo'), h3(), [], None, None,
        ['mds:host1', 'mds:host2', 'mds:host3'] * 2, ['mds:host1', 'mds:host2', 'mds:host3'] * 2,
        []), id='label-count-colo'),
    pytest.param(Assignment(
        'mds', PlacementSpec(label='foo', count_per_host=3), h3(), [], None, None,
        ['mds:host1', 'mds:host2', 'mds:host3'] * 3, ['mds:host1', 'mds:host2', 'mds:host3'] * 3,
        []), id='label-count-per-host'),
    pytest.param(Assignment(
        'mgr', PlacementSpec(host_pattern='mgr*'), 'mgrhost1 mgrhost2 datahost'.split(), [],
        None, None, ['mgr:mgrhost1', 'mgr:mgrhost2'], ['mgr:mgrhost1', 'mgr:mgrhost2'], []),
        id='host-pattern'),
    pytest.param(Assignment(
        'mds', PlacementSpec(host_pattern='mds*', count_per_host=3),
        'mdshost1 mdshost2 datahost'.split(), [], None, None,
        ['mds:mdshost1', 'mds:mdshost2'] * 3, ['mds:mdshost1', 'mds:mdshost2'] * 3, []),
        id='host-pattern-count-per-host'),
    pytest.param(Assignment(
        'rgw', PlacementSpec(count=6, label='foo'), h3(), [], None, None,
        ['rgw:host1(*:80)', 'rgw:host2(*:80)', 'rgw:host3(*:80)',
         'rgw:host1(*:81)', 'rgw:host2(*:81)', 'rgw:host3(*:81)'],
        ['rgw:host1(*:80)', 'rgw:host2(*:80)', 'rgw:host3(*:80)',
         'rgw:host1(*:81)', 'rgw:host2(*:81)', 'rgw:host3(*:81)'], []),
        id='label-colo-ports'),
    pytest.param(Assignment(
        'rgw', PlacementSpec(count=6, label='foo'), h3(),
        [dd('rgw', 'a', 'host1', ports=[81]), dd('rgw', 'b', 'host2', ports=[80]),
         dd('rgw', 'c', 'host1', ports=[82])], None, None,
        ['rgw:host1(*:80)', 'rgw:host2(*:80)', 'rgw:host3(*:80)',
         'rgw:host1(*:81)', 'rgw:host2(*:81)', 'rgw:host3(*:81)'],
        ['rgw:host1(*:80)', 'rgw:host3(*:80)', 'rgw:host2(*:81)', 'rgw:host3(*:81)'],
        ['rgw.c']), id='label-colo-ports-existing'),
    pytest.param(Assignment(
        'mgr', PlacementSpec(label='foo', host_pattern='mgr*'), 'mgr1 mgr2 osd1'.split(), [],
        None, None, ['mgr:mgr1', 'mgr:mgr2'], ['mgr:mgr1', 'mgr:mgr2'], []),
        id='label-and-host-pattern'),
    pytest.param(Assignment(
        'mgr', PlacementSpec(count=3, hosts=['host1=y', 'host2=x']), 'host1 host2'.split(),
        [dd('mgr', 'y', 'host1'), dd('mgr', 'x', 'host2')], None, None,
        ['mgr:host1(name=y)', 'mgr:host2(name=x)'], [], []), id='named-hosts'),
    # nfs.mynfs shuffles host1..3 to host3, host2, host1: that is where the ranks land
    pytest.param(Assignment(
        'nfs', PlacementSpec(count=3), h3(), [], {},
        {0: {0: None}, 1: {0: None}, 2: {0: None}},
        ['nfs:host3(rank=0.0)', 'nfs:host2(rank=1.0)', 'nfs:host1(rank=2.0)'],
        ['nfs:host3(rank=0.0)', 'nfs:host2(rank=1.0)', 'nfs:host1(rank=2.0)'], []),
        id='ranked-fresh'),
    pytest.param(Assignment(
        'nfs', PlacementSpec(count=3), h3(),
        [dd('nfs', '0.1', 'host1', rank=0, rank_generation=1)],
        {0: {1: '0.1'}}, {0: {1: '0.1'}, 1: {0: None}, 2: {0: None}},
        ['nfs:host1(rank=0.1)', 'nfs:host3(rank=1.0)', 'nfs:host2(rank=2.0)'],
        ['nfs:host3(rank=1.0)', 'nfs:host2(rank=2.0)'], []), id='ranked-exist'),
    pytest.param(Assignment(
        'nfs', PlacementSpec(count=3), h3(),
        [dd('nfs', '0.1', 'host1', rank=0, rank_generation=1),
         dd('nfs', '1.1', 'host2', rank=1, rank_generation=1)],
        {0: {1: '0.1'}, 1: {1: '1.1'}}, {0: {1: '0.1'}, 1: {1: '1.1'}, 2: {0: None}},
        ['nfs:host1(rank=0.1)', 'nfs:host2(rank=1.1)', 'nfs:host3(rank=2.0)'],
        ['nfs:host3(rank=2.0)'], []), id='ranked-exist-different-ranks'),
    pytest.param(Assignment(
        'nfs', PlacementSpec(count=3), h3(),
        [dd('nfs', '0.1', 'host1', rank=0, rank_generation=1),
         dd('nfs', '1.1', 'host3', rank=1, rank_generation=1)],
        {0: {1: '0.1'}, 1: {1: '1.1'}}, {0: {1: '0.1'}, 1: {1: '1.1'}, 2: {0: None}},
        ['nfs:host1(rank=0.1)', 'nfs:host3(rank=1.1)', 'nfs:host2(rank=2.0)'],
        ['nfs:host2(rank=2.0)'], []), id='ranked-exist-different-ranks-2'),
    pytest.param(Assignment(
        'nfs', PlacementSpec(count=3), h3(),
        [dd('nfs', '0.5', 'host1', rank=0, rank_generation=5),
         dd('nfs', '1.5', 'host2', rank=1, rank_generation=5),
         dd('nfs', '4.5', 'host2', rank=4, rank_generation=5)],
        {0: {5: '0.5'}, 1: {5: '1.5'}}, {0: {5: '0.5'}, 1: {5: '1.5'}, 2: {0: None}},
        ['nfs:host1(rank=0.5)', 'nfs:host2(rank=1.5)', 'nfs:host3(rank=2.0)'],
        ['nfs:host3(rank=2.0)'], ['nfs.4.5']), id='ranked-extra-rank-removed'),
    pytest.param(Assignment(
        'nfs', PlacementSpec(count=2), 'host3 host2 host1'.split(),
        [dd('nfs', '0.5', 'host1', rank=0, rank_generation=5),
         dd('nfs', '1.5', 'host2', rank=1, rank_generation=5),
         dd('nfs', '2.5', 'host3', rank=2, rank_generation=5)],
        {0: {5: '0.5'}, 1: {5: '1.5'}, 2: {5: '2.5'}},
        {0: {5: '0.5'}, 1: {5: '1.5'}, 2: {5: '2.5'}},
        ['nfs:host1(rank=0.5)', 'nfs:host2(rank=1.5)'], [], ['nfs.2.5']),
        id='ranked-scale-down-kills-high-rank'),
    pytest.param(Assignment(
        'nfs', PlacementSpec(count=2), 'host1 host3'.split(),
        [dd('nfs', '0.5', 'host1', rank=0, rank_generation=5),
         dd('nfs', '1.5', 'host2', rank=1, rank_generation=5),
         dd('nfs', '2.5', 'host3', rank=4, rank_generation=5)],
        {0: {5: '0.5'}, 1: {5: '1.5'}, 2: {5: '2.5'}},
        {0: {5: '0.5'}, 1: {5: '1.5', 6: None}, 2: {5: '2.5'}},
        ['nfs:host1(rank=0.5)', 'nfs:host3(rank=1.6)'], ['nfs:host3(rank=1.6)'],
        ['nfs.2.5', 'nfs.1.5']), id='ranked-scale-down-hosts'),
    pytest.param(Assignment(
        'nfs', PlacementSpec(count=3), h3(),
        [dd('nfs', '0.0', 'host1', rank=0, rank_generation=0),
         dd('nfs', '1.1', 'host2', rank=1, rank_generation=1),
         dd('nfs', '1.2', 'host3', rank=1, rank_generation=2)],
        {0: {0: '0.0'}, 1: {2: '1.2'}}, {0: {0: '0.0'}, 1: {2: '1.2'}, 2: {0: None}},
        ['nfs:host1(rank=0.0)', 'nfs:host3(rank=1.2)', 'nfs:host2(rank=2.0)'],
        ['nfs:host2(rank=2.0)'], ['nfs.1.1']), id='ranked-duplicate-rank'),
    pytest.param(Assignment(
        'nfs', PlacementSpec(count=2), h3(),
        [dd('nfs', '0.2', 'host1', rank=0, rank_generation=2),
         dd('nfs', '1.2', 'host2', rank=1, rank_generation=2)],
        {0: {2: '0.2'}, 1: {2: '1.2', 3: '1.3'}},
        {0: {2: '0.2'}, 1: {2: '1.2', 3: '1.3', 4: None}},
        ['nfs:host1(rank=0.2)', 'nfs:host3(rank=1.4)'], ['nfs:host3(rank=1.4)'], ['nfs.1.2']),
        id='ranked-all-generations-stale'),
    pytest.param(Assignment(
        'nfs', PlacementSpec(count=4), h3(),
        [dd('nfs', '0.2', 'host1', rank=0, rank_generation=2),
         dd('nfs', '1.2', 'host2', rank=1, rank_generation=2)],
        {0: {2: '0.2'}, 1: {2: '1.2'}}, {0: {2: '0.2'}, 1: {2: '1.2'}, 2: {0: None}},
        ['nfs:host1(rank=0.2)', 'nfs:host2(rank=1.2)', 'nfs:host3(rank=2.0)'],
        ['nfs:host3(rank=2.0)'], []), id='ranked-not-enough-hosts'),
    pytest.param(Assignment(
        'nfs', PlacementSpec(hosts=['host2']), 'host1 host2'.split(),
        [dd('nfs', '0.2', 'host1', rank=0, rank_generation=2),
         dd('nfs', '1.2', 'host2', rank=1, rank_generation=2),
         dd('nfs', '2.2', 'host3', rank=2, rank_generation=2)],
        {0: {2: '0.2'}, 1: {2: '1.2'}, 2: {2: '2.2'}},
        {0: {2: '0.2', 3: None}, 1: {2: '1.2'}, 2: {2: '2.2'}},
        ['nfs:host2(rank=0.3)'], ['nfs:host2(rank=0.3)'], ['nfs.0.2', 'nfs.1.2', 'nfs.2.2']),
        id='ranked-scale-down-to-one-host'),
]


def assert_same_slots(slots: List[DaemonPlacement], expected: List[str]) -> None:
    assert sorted(str(s) for s in slots) == sorted(expected)


def with_spec_ports(expected: List[str], spec: ServiceSpec) -> List[str]:
    """nfs slots carry the spec's default ports in newer Ceph; cephadm's cases predate them."""
    ports = spec.get_port_start() if spec.service_type == 'nfs' else []
    if not ports:
        return expected
    suffix = '*:' + ','.join(str(p) for p in ports)
    return [e[:-1] + f' {suffix})' if e.endswith(')') else f'{e}({suffix})' for e in expected]


@pytest.mark.parametrize('case', ASSIGNMENTS)
def test_assignment_keeps_adds_and_removes_like_cephadm(case: Assignment):
    service_id = {'rgw': 'realm.zone', 'mds': 'myfs', 'nfs': 'mynfs'}.get(case.service_type)
    spec = ServiceSpec(service_type=case.service_type, service_id=service_id,
                       placement=case.placement)
    rank_map = case.rank_map
    all_slots, to_add, to_remove = HostAssignment(
        spec=spec,
        hosts=[HostSpec(h, labels=['foo']) for h in case.hosts],
        unreachable_hosts=[], draining_hosts=[], daemons=case.daemons,
        allow_colo=case.service_type in ('rgw', 'mds'), rank_map=rank_map,
    ).place()
    assert rank_map == case.post_rank_map
    assert_same_slots(all_slots, with_spec_ports(case.expected, spec))
    assert_same_slots(to_add, with_spec_ports(case.expected_add, spec))
    assert sorted(d.name() for d in to_remove) == sorted(case.expected_remove)


# -- the pinned shuffle ----------------------------------------------------------------------

@pytest.mark.parametrize('service_type,order', [
    ('alertmanager', '3 1 4 2'),
    ('prometheus', '3 2 4 1'),
    ('grafana', '1 2 4 3'),
    ('mgr', '4 2 1 3'),
    ('mon', '1 3 4 2'),
    ('rgw', '1 3 2 4'),
    ('cephfs-mirror', '4 3 1 2'),
])
def test_candidates_are_shuffled_by_service_name(service_type, order):
    hosts = 'host1 host2 host3 host4'.split()
    spec = ServiceSpec(service_type=service_type, service_id=None,
                       placement=PlacementSpec(hosts=hosts))
    candidates = HostAssignment(
        spec=spec, hosts=[HostSpec(h, labels=['foo']) for h in hosts],
        unreachable_hosts=[], draining_hosts=[], daemons=[]).get_candidates()
    assert [c.hostname for c in candidates] == [f'host{n}' for n in order.split()]


def test_shuffle_ignores_the_order_hosts_are_listed_in():
    def order(hosts: List[str]) -> List[str]:
        spec = ServiceSpec(service_type='nfs', service_id='mynfs',
                           placement=PlacementSpec(count=3))
        return [c.hostname for c in HostAssignment(
            spec=spec, hosts=[HostSpec(h) for h in hosts], unreachable_hosts=[],
            draining_hosts=[], daemons=[]).get_candidates()]
    assert order(['host1', 'host2', 'host3']) == ['host3', 'host2', 'host1']
    assert order(['host2', 'host3', 'host1']) == ['host3', 'host2', 'host1']


def test_shuffle_seed_is_sha1_of_service_name_truncated_to_32_bits():
    import hashlib
    name = 'rgw.realm.zone'
    assert shuffle_seed(name) == int(hashlib.sha1(name.encode()).hexdigest(), 16) & 0xFFFFFFFF
    assert 0 <= shuffle_seed('mgr') < 2 ** 32


# -- counts and subsets ----------------------------------------------------------------------

@pytest.mark.parametrize('placement,hosts,daemons,expected_len,in_set', [
    (PlacementSpec(count=1), h3(), [], 1, h3()),
    (PlacementSpec(count=1, hosts='host1 host2'.split()), 'host1 host2'.split(), [], 1,
     ['host1', 'host2']),
    (PlacementSpec(count=1, hosts=h3()), h3(), [dd('mgr', 'mgr.a', 'host1')], 1, h3()),
    (PlacementSpec(count=1, hosts=h3()), h3(),
     [dd('mgr', 'a', 'host1'), dd('mgr', 'b', 'host2')], 1, ['host1', 'host2']),
    (PlacementSpec(count=2, hosts=['host3']), h3(), [], 1, h3()),
    (PlacementSpec(count=1, label='foo'), h3(), [], 1, h3()),
])
def test_count_picks_that_many_from_the_allowed_hosts(placement, hosts, daemons,
                                                      expected_len, in_set):
    slots, _, _ = HostAssignment(
        spec=ServiceSpec('mgr', placement=placement),
        hosts=[HostSpec(h, labels=['foo']) for h in hosts],
        unreachable_hosts=[], draining_hosts=[], daemons=daemons).place()
    assert len(slots) == expected_len
    assert all(s.hostname in in_set for s in slots)


@pytest.mark.parametrize('placement', [
    PlacementSpec(count=3, hosts=['host3']),
    PlacementSpec(count=2, hosts=['host3']),
])
def test_count_never_leaves_the_explicit_hosts(placement):
    slots, _, _ = HostAssignment(
        spec=ServiceSpec('mgr', placement=placement), hosts=[HostSpec(h) for h in h3()],
        unreachable_hosts=[], draining_hosts=[], daemons=[]).place()
    assert [s.hostname for s in slots] == ['host3']


# -- networks and ingress --------------------------------------------------------------------

NETWORKS = {
    'host1': {'10.0.0.0/8': {'eth0': ['10.0.0.1']}},
    'host2': {'10.0.0.0/8': {'eth1': ['10.0.0.2']}},
    'host3': {'192.168.0.0/16': {'eth2': ['192.168.0.1']}},
}


def ingress_spec(**kw) -> IngressSpec:
    return IngressSpec(service_type='ingress', service_id='rgw.foo', frontend_port=443,
                       monitor_port=8888, virtual_ip='10.0.0.20/8', backend_service='rgw.foo',
                       **kw)


@pytest.mark.parametrize('make_spec,daemons,expected,expected_add,expected_remove', [
    pytest.param(
        lambda: ServiceSpec(service_type='rgw', service_id='foo',
                            placement=PlacementSpec(count=6, label='foo'),
                            networks=['10.0.0.0/8']),
        [],
        ['rgw:host1(10.0.0.1:80)', 'rgw:host2(10.0.0.2:80)', 'rgw:host1(10.0.0.1:81)',
         'rgw:host2(10.0.0.2:81)', 'rgw:host1(10.0.0.1:82)', 'rgw:host2(10.0.0.2:82)'],
        ['rgw:host1(10.0.0.1:80)', 'rgw:host2(10.0.0.2:80)', 'rgw:host1(10.0.0.1:81)',
         'rgw:host2(10.0.0.2:81)', 'rgw:host1(10.0.0.1:82)', 'rgw:host2(10.0.0.2:82)'],
        [], id='rgw-networks-colo'),
    pytest.param(
        lambda: ingress_spec(placement=PlacementSpec(label='foo'), networks=['10.0.0.0/8']),
        [],
        ['haproxy:host1(10.0.0.1:443,8888)', 'haproxy:host2(10.0.0.2:443,8888)',
         'keepalived:host1', 'keepalived:host2'],
        ['haproxy:host1(10.0.0.1:443,8888)', 'haproxy:host2(10.0.0.2:443,8888)',
         'keepalived:host1', 'keepalived:host2'],
        [], id='ingress-fresh'),
    pytest.param(
        lambda: ingress_spec(placement=PlacementSpec(label='foo'), networks=['10.0.0.0/8']),
        [dd('haproxy', 'a', 'host1', ip='10.0.0.1', ports=[443, 8888]),
         dd('keepalived', 'b', 'host2'), dd('keepalived', 'c', 'host3')],
        ['haproxy:host1(10.0.0.1:443,8888)', 'haproxy:host2(10.0.0.2:443,8888)',
         'keepalived:host1', 'keepalived:host2'],
        ['haproxy:host2(10.0.0.2:443,8888)', 'keepalived:host1'],
        ['keepalived.c'], id='ingress-existing'),
])
def test_networks_pick_an_ip_and_ingress_gets_keepalived_per_host(
        make_spec, daemons, expected, expected_add, expected_remove):
    spec = make_spec()
    is_ingress = spec.service_type == 'ingress'
    all_slots, to_add, to_remove = HostAssignment(
        spec=spec, hosts=[HostSpec(h, labels=['foo']) for h in NETWORKS],
        unreachable_hosts=[], draining_hosts=[], daemons=daemons, allow_colo=True,
        networks=NETWORKS,
        primary_daemon_type='haproxy' if is_ingress else spec.service_type,
        per_host_daemon_type='keepalived' if is_ingress else None,
    ).place()
    assert_same_slots(all_slots, expected)
    assert_same_slots(to_add, expected_add)
    assert sorted(d.name() for d in to_remove) == sorted(expected_remove)


def test_ip_is_the_lowest_in_the_first_network_that_has_one():
    networks = {'host1': {'10.0.0.0/8': {'eth0': ['10.9.0.1', '10.1.0.1']},
                          '192.168.0.0/16': {'eth1': ['192.168.0.1']}}}
    ha = HostAssignment(spec=ServiceSpec('mgr', placement=PlacementSpec(count=1)),
                        hosts=[HostSpec('host1')], unreachable_hosts=[], draining_hosts=[],
                        daemons=[], networks=networks)
    assert ha.find_ip_on_host('host1', ['172.16.0.0/12', '10.0.0.0/8']) == '10.1.0.1'
    assert ha.find_ip_on_host('host1', ['192.168.0.0/16', '10.0.0.0/8']) == '192.168.0.1'
    assert ha.find_ip_on_host('host1', ['127.0.0.0/8']) == '127.0.0.1'
    assert ha.find_ip_on_host('host1', ['::1/128']) == '::1'
    assert ha.find_ip_on_host('host1', ['172.16.0.0/12']) is None


def test_filter_new_host_drops_candidates():
    spec = ServiceSpec('mon', placement=PlacementSpec(count=3))
    slots, to_add, _ = HostAssignment(
        spec=spec, hosts=[HostSpec(h) for h in h3()], unreachable_hosts=[], draining_hosts=[],
        daemons=[], filter_new_host=lambda host, _spec: host != 'host2').place()
    assert sorted(s.hostname for s in slots) == ['host1', 'host3']


# -- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize('placement', [
    '1 *',
    '* label:foo',
    '* host1 host2',
    'hostname12hostname12hostname12hostname12hostname12hostname12hostname12',  # > 63 chars
])
def test_contradictory_placement_strings_are_rejected(placement):
    with pytest.raises(SpecValidationError):
        PlacementSpec.from_string(placement.split(' '))


@pytest.mark.parametrize('placement,hosts,expected', [
    (PlacementSpec(hosts=['unknownhost']), ['knownhost'],
     f'Cannot place {MGR} on unknownhost: Unknown hosts'),
    (PlacementSpec(host_pattern='unknownhost'), ['knownhost'],
     f'Cannot place {MGR}: No matching hosts'),
    (PlacementSpec(label='unknownlabel'), [],
     f'Cannot place {MGR}: No matching hosts for label unknownlabel'),
])
def test_unsatisfiable_placements_say_why(placement, hosts, expected):
    with pytest.raises(OrchestratorValidationError) as e:
        HostAssignment(spec=ServiceSpec('mgr', placement=placement),
                       hosts=[HostSpec(h) for h in hosts], unreachable_hosts=[],
                       draining_hosts=[], daemons=[]).place()
    assert str(e.value) == expected


def test_count_per_host_above_one_needs_colocation():
    spec = ServiceSpec('mgr', placement=PlacementSpec(host_pattern='*', count_per_host=2))
    with pytest.raises(OrchestratorValidationError) as e:
        HostAssignment(spec=spec, hosts=[HostSpec('host1')], unreachable_hosts=[],
                       draining_hosts=[], daemons=[]).place()
    assert str(e.value) == 'Cannot place more than one mgr per host'


def test_label_and_pattern_must_both_match():
    spec = ServiceSpec('mgr', placement=PlacementSpec(label='foo', host_pattern='mgr*'))
    with pytest.raises(OrchestratorValidationError) as e:
        HostAssignment(spec=spec, hosts=[HostSpec('mgr1'), HostSpec('osd1', labels=['foo'])],
                       unreachable_hosts=[], draining_hosts=[], daemons=[]).place()
    assert str(e.value) == f'Cannot place {MGR}: No matching hosts'


def test_explicit_host_that_is_draining_is_still_known():
    spec = ServiceSpec('crash', placement=PlacementSpec(hosts=['host1', 'host2']))
    slots, to_add, _ = HostAssignment(
        spec=spec, hosts=[HostSpec('host1')], unreachable_hosts=[],
        draining_hosts=[HostSpec('host2', labels=['_no_schedule'])], daemons=[]).place()
    assert [s.hostname for s in slots] == ['host1']


# -- active daemons --------------------------------------------------------------------------

@pytest.mark.parametrize('count,hosts,daemons,expected,expected_remove', [
    (2, None, [dd('mgr', 'a', 'host1', is_active=True), dd('mgr', 'b', 'host2'),
               dd('mgr', 'c', 'host3')],
     [['host1', 'host2'], ['host1', 'host3']], [['mgr.b'], ['mgr.c']]),
    (2, None, [dd('mgr', 'a', 'host1'), dd('mgr', 'b', 'host2'),
               dd('mgr', 'c', 'host3', is_active=True)],
     [['host1', 'host3'], ['host2', 'host3']], [['mgr.a'], ['mgr.b']]),
    (1, None, [dd('mgr', 'a', 'host1'), dd('mgr', 'b', 'host2', is_active=True),
               dd('mgr', 'c', 'host3')],
     [['host2']], [['mgr.a', 'mgr.c']]),
    (1, None, [dd('mgr', 'a', 'host1'), dd('mgr', 'b', 'host2'),
               dd('mgr', 'c', 'host3', is_active=True)],
     [['host3']], [['mgr.a', 'mgr.b']]),
    (1, None, [dd('mgr', 'a', 'host1', is_active=True), dd('mgr', 'b', 'host2'),
               dd('mgr', 'c', 'host3', is_active=True)],
     [['host1'], ['host3']], [['mgr.a', 'mgr.b'], ['mgr.b', 'mgr.c']]),
    (2, None, [dd('mgr', 'a', 'host1'), dd('mgr', 'b', 'host2', is_active=True),
               dd('mgr', 'c', 'host3', is_active=True)],
     [['host2', 'host3']], [['mgr.a']]),
    (1, None, [dd('mgr', 'a', 'host1', is_active=True), dd('mgr', 'b', 'host2', is_active=True),
               dd('mgr', 'c', 'host3', is_active=True)],
     [['host1'], ['host2'], ['host3']],
     [['mgr.a', 'mgr.b'], ['mgr.b', 'mgr.c'], ['mgr.a', 'mgr.c']]),
    (1, None, [dd('mgr', 'a', 'host1', is_active=True), dd('mgr', 'a2', 'host1'),
               dd('mgr', 'b', 'host2'), dd('mgr', 'c', 'host3')],
     [['host1']], [['mgr.a2', 'mgr.b', 'mgr.c']]),
    (1, None, [dd('mgr', 'a', 'host1', is_active=True), dd('mgr', 'a2', 'host1', is_active=True),
               dd('mgr', 'b', 'host2'), dd('mgr', 'c', 'host3')],
     [['host1']], [['mgr.a', 'mgr.b', 'mgr.c'], ['mgr.a2', 'mgr.b', 'mgr.c']]),
    (2, None, [dd('mgr', 'a', 'host1', is_active=True), dd('mgr', 'a2', 'host1'),
               dd('mgr', 'b', 'host2'), dd('mgr', 'c', 'host3', is_active=True)],
     [['host1', 'host3']], [['mgr.a2', 'mgr.b']]),
    # an explicit host list beats the preference for the active daemon
    (1, ['host1'], [dd('mgr', 'a', 'host1'), dd('mgr', 'b', 'host2'),
                    dd('mgr', 'c', 'host3', is_active=True)],
     [['host1']], [['mgr.b', 'mgr.c']]),
])
def test_active_daemons_are_kept_first(count, hosts, daemons, expected, expected_remove):
    spec = ServiceSpec('mgr', placement=PlacementSpec(count=count, hosts=hosts))
    slots, to_add, to_remove = HostAssignment(
        spec=spec, hosts=[HostSpec(h) for h in h3()], unreachable_hosts=[],
        draining_hosts=[], daemons=daemons).place()
    assert sorted(s.hostname for s in slots) in expected
    assert to_add == []
    assert sorted(d.name() for d in to_remove) in expected_remove


# -- unreachable, offline, maintenance and draining hosts ------------------------------------

@pytest.mark.parametrize('placement,hosts,unreachable,daemons,expected_add,expected_remove', [
    (PlacementSpec(count=3), h3(), ['host2'], [], ['host1', 'host3'], []),
    (PlacementSpec(hosts=['host3']), h3(), ['host1'],
     [dd('mgr', 'a', 'host1'), dd('mgr', 'b', 'host2'), dd('mgr', 'c', 'host3', is_active=True)],
     [], ['mgr.b']),
    (PlacementSpec(count=3), 'host1 host2 host3 host4'.split(), ['host1'],
     [dd('mgr', 'a', 'host1'), dd('mgr', 'b', 'host2'), dd('mgr', 'c', 'host3', is_active=True)],
     [], []),
    (PlacementSpec(count=1), 'host1 host2 host3 host4'.split(), ['host1', 'host3'],
     [dd('mgr', 'a', 'host1'), dd('mgr', 'b', 'host2'), dd('mgr', 'c', 'host3', is_active=True)],
     [], ['mgr.b']),
    (PlacementSpec(count=3), 'host1 host2 host3 host4'.split(), ['host2'], [],
     ['host1', 'host3', 'host4'], []),
    (PlacementSpec(count=3), 'host1 host2 host3 host4'.split(), ['host1', 'host4'], [],
     ['host2', 'host3'], []),
])
def test_unreachable_hosts_get_nothing_new_and_lose_nothing(placement, hosts, unreachable,
                                                            daemons, expected_add,
                                                            expected_remove):
    _, to_add, to_remove = HostAssignment(
        spec=ServiceSpec('mgr', placement=placement), hosts=[HostSpec(h) for h in hosts],
        unreachable_hosts=[HostSpec(h) for h in unreachable], draining_hosts=[],
        daemons=daemons).place()
    assert sorted(s.hostname for s in to_add) == expected_add
    assert sorted(d.name() for d in to_remove) == expected_remove


def host_specs_with_status(hosts: List[str], maintenance: List[str],
                           offline: List[str]) -> List[HostSpec]:
    specs = [HostSpec(h) for h in hosts]
    for h in specs:
        if h.hostname in offline:
            h.status = 'offline'
        if h.hostname in maintenance:
            h.status = 'maintenance'
    return specs


@pytest.mark.parametrize('service_type,placement,hosts,maintenance,offline,daemons,'
                         'expected_add,expected_remove', [
    pytest.param('nfs', PlacementSpec(count=2), h3(), [], ['host2'],
                 [dd('nfs', 'a', 'host1'), dd('nfs', 'b', 'host2')], ['host3'], [],
                 id='nfs-offline-replaced'),
    pytest.param('nfs', PlacementSpec(count=2), h3(), ['host2'], [],
                 [dd('nfs', 'a', 'host1'), dd('nfs', 'b', 'host2')], [], [],
                 id='nfs-maintenance-kept'),
    pytest.param('mon', PlacementSpec(count=2), h3(), [], ['host2'],
                 [dd('mon', 'a', 'host1'), dd('mon', 'b', 'host2')], [], [],
                 id='mon-offline-kept'),
    # passes no primary type, so "ingress" is primary and haproxy/keepalived are ignored
    pytest.param('ingress', PlacementSpec(count=1), 'host1 host2'.split(), [], ['host2'],
                 [dd('haproxy', 'b', 'host2'), dd('keepalived', 'b', 'host2')], ['host1'], [],
                 id='ingress-offline'),
])
def test_only_nfs_and_haproxy_move_off_offline_hosts(service_type, placement, hosts, maintenance,
                                                     offline, daemons, expected_add,
                                                     expected_remove):
    if service_type == 'ingress':
        spec = IngressSpec(service_type='ingress', service_id='nfs-ha.foo', frontend_port=443,
                           monitor_port=8888, virtual_ip='10.0.0.20/8',
                           backend_service='nfs-ha.foo', placement=placement)
    else:
        spec = ServiceSpec(service_type=service_type, service_id='test', placement=placement)
    specs = host_specs_with_status(hosts, maintenance, offline)
    _, to_add, to_remove = HostAssignment(
        spec=spec, hosts=specs, unreachable_hosts=[h for h in specs if h.status],
        draining_hosts=[], daemons=daemons).place()
    assert sorted(s.hostname for s in to_add) == expected_add
    assert sorted(d.name() for d in to_remove) == expected_remove


def test_haproxy_on_offline_host_is_replaced_and_its_removal_deferred():
    spec = ingress_spec(placement=PlacementSpec(count=1))
    specs = host_specs_with_status(['host1', 'host2'], [], ['host2'])
    slots, to_add, to_remove = HostAssignment(
        spec=spec, hosts=specs, unreachable_hosts=[specs[1]], draining_hosts=[],
        daemons=[dd('haproxy', 'b', 'host2'), dd('keepalived', 'b', 'host2')],
        primary_daemon_type='haproxy', per_host_daemon_type='keepalived').place()
    assert sorted(str(s) for s in to_add) == ['haproxy:host1(*:443,8888)', 'keepalived:host1']
    assert to_remove == []  # host2 is unreachable: its daemons go once it is back


@pytest.mark.parametrize('placement,hosts,draining,daemons,expected_add,expected_remove', [
    (PlacementSpec(hosts=h3()), 'host1 host2 host3 host4'.split(), ['host3'],
     [dd('crash', 'host1', 'host1'), dd('crash', 'host2', 'host2'),
      dd('crash', 'host3', 'host3')], [], ['crash.host3']),
    (PlacementSpec(hosts='host1 host2 host3 host4'.split()), 'host1 host2 host3 host4'.split(),
     ['host1', 'host4'], [dd('crash', 'host1', 'host1'), dd('crash', 'host3', 'host3')],
     ['host2'], ['crash.host1']),
])
def test_draining_hosts_lose_their_daemons(placement, hosts, draining, daemons,
                                           expected_add, expected_remove):
    spec = ServiceSpec(service_type='crash', service_id='test', placement=placement)
    _, to_add, to_remove = HostAssignment(
        spec=spec, hosts=[HostSpec(h) for h in hosts], unreachable_hosts=[],
        draining_hosts=[HostSpec(h) for h in draining], daemons=daemons).place()
    assert sorted(s.hostname for s in to_add) == expected_add
    assert sorted(d.name() for d in to_remove) == expected_remove


@pytest.mark.parametrize('pattern,expected_add', [
    ('host1|host3', ['host1', 'host3']),
    ('host[2-4]', ['host2', 'host3', 'host4']),
])
def test_regex_host_pattern(pattern, expected_add):
    spec = ServiceSpec(service_type='crash', service_id='test', placement=PlacementSpec(
        host_pattern=HostPattern(pattern=pattern, pattern_type=PatternType.regex)))
    _, to_add, _ = HostAssignment(
        spec=spec, hosts=[HostSpec(f'host{n}') for n in range(1, 5)], unreachable_hosts=[],
        draining_hosts=[], daemons=[]).place()
    assert sorted(s.hostname for s in to_add) == expected_add


# -- cephadm's newer hooks -------------------------------------------------------------------

def test_related_service_hosts_are_preferred_for_new_daemons():
    hosts = [HostSpec(f'host{n}') for n in range(1, 6)]
    spec = ingress_spec(placement=PlacementSpec(count=2))
    related = [dd('rgw', 'foo.x', 'host5'), dd('rgw', 'foo.y', 'host2')]
    slots, to_add, _ = HostAssignment(
        spec=spec, hosts=hosts, unreachable_hosts=[], draining_hosts=[], daemons=[],
        primary_daemon_type='haproxy', related_service_daemons=related).place()
    assert sorted(s.hostname for s in to_add) == ['host2', 'host5']


def test_related_hosts_fill_first_then_others_without_reusing_them():
    hosts = [HostSpec(f'host{n}') for n in range(1, 6)]
    spec = ingress_spec(placement=PlacementSpec(count=3))
    related = [dd('rgw', 'foo.x', 'host4')]
    _, to_add, _ = HostAssignment(
        spec=spec, hosts=hosts, unreachable_hosts=[], draining_hosts=[], daemons=[],
        primary_daemon_type='haproxy', related_service_daemons=related).place()
    names = [s.hostname for s in to_add]
    assert names[0] == 'host4' and len(names) == 3 and len(set(names)) == 3


def test_blocking_hosts_get_nothing_and_lose_their_daemons():
    hosts = [HostSpec(h) for h in h3()]
    spec = ServiceSpec('mgr', placement=PlacementSpec(count=2))
    _, to_add, to_remove = HostAssignment(
        spec=spec, hosts=hosts, unreachable_hosts=[], draining_hosts=[],
        daemons=[dd('mgr', 'a', 'host1'), dd('mgr', 'b', 'host2')],
        blocking_daemon_hosts=[HostSpec('host1')]).place()
    assert [d.name() for d in to_remove] == ['mgr.a']
    assert [s.hostname for s in to_add] == ['host3']


def test_upgrade_keeps_daemons_whose_ports_changed():
    hosts = [HostSpec('host1', labels=['foo'])]
    spec = ServiceSpec(service_type='rgw', service_id='realm.zone',
                       placement=PlacementSpec(label='foo'))
    daemons = [dd('rgw', 'realm.zone.a', 'host1', ports=[8080])]
    _, to_add, to_remove = HostAssignment(
        spec=spec, hosts=hosts, unreachable_hosts=[], draining_hosts=[], daemons=daemons,
        upgrade_in_progress=True).place()
    assert (to_add, to_remove) == ([], [])
    _, to_add, to_remove = HostAssignment(
        spec=spec, hosts=hosts, unreachable_hosts=[], draining_hosts=[], daemons=daemons).place()
    assert [str(s) for s in to_add] == ['rgw:host1(*:80)']
    assert [d.name() for d in to_remove] == ['rgw.realm.zone.a']


def test_ip_addrs_pin_a_configured_ip_and_fall_back_to_networks():
    spec = ServiceSpec(service_type='nfs', service_id='foo',
                       placement=PlacementSpec(hosts=['host1', 'host2', 'host3']),
                       networks=['10.0.0.0/8'],
                       ip_addrs={'host1': '10.0.0.99', 'host2': '10.7.7.7'})
    networks = {'host1': {'10.0.0.0/8': {'eth0': ['10.0.0.1', '10.0.0.99']}},
                'host2': {'10.0.0.0/8': {'eth0': ['10.0.0.2']}},
                'host3': {'192.168.0.0/16': {'eth0': ['192.168.0.3']}}}
    slots, _, _ = HostAssignment(
        spec=spec, hosts=[HostSpec(h) for h in networks], unreachable_hosts=[],
        draining_hosts=[], daemons=[], networks=networks).place()
    # host2's pinned IP is not on the host, so its network IP is used; host3 has none
    assert sorted((s.hostname, s.ip) for s in slots) == [('host1', '10.0.0.99'),
                                                         ('host2', '10.0.0.2')]


def test_explicit_network_and_name_are_carried_onto_the_slot():
    spec = ServiceSpec('mon', placement=PlacementSpec(hosts=['host1:10.0.0.0/8=a', 'host2']))
    slots, to_add, _ = HostAssignment(
        spec=spec, hosts=[HostSpec('host1'), HostSpec('host2')], unreachable_hosts=[],
        draining_hosts=[], daemons=[dd('mon', 'a', 'host1')]).place()
    assert sorted(str(s) for s in slots) == ['mon:host1(network=10.0.0.0/8 name=a)', 'mon:host2']
    assert [str(s) for s in to_add] == ['mon:host2']


def test_keepalived_follows_haproxy_hosts_in_slot_order():
    spec = ingress_spec(placement=PlacementSpec(count=2))
    hosts = [HostSpec(f'host{n}') for n in range(1, 5)]
    slots, to_add, _ = HostAssignment(
        spec=spec, hosts=hosts, unreachable_hosts=[], draining_hosts=[], daemons=[],
        primary_daemon_type='haproxy', per_host_daemon_type='keepalived').place()
    haproxy_hosts = [s.hostname for s in slots if s.daemon_type == 'haproxy']
    keepalived_hosts = [s.hostname for s in slots if s.daemon_type == 'keepalived']
    assert len(haproxy_hosts) == 2 and keepalived_hosts == haproxy_hosts
    assert [s.hostname for s in to_add if s.daemon_type == 'keepalived'] == haproxy_hosts
