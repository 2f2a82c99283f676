"""The seed's PlacementSpec.from_string examples, run as doctests."""
import doctest

from ceph_orch_cli.deployment import service_spec
from ceph_orch_cli.deployment.service_spec import PlacementSpec


def test_from_string_docstring_examples_pass():
    finder = doctest.DocTestFinder()
    tests = [t for t in finder.find(service_spec) if t.examples]
    assert tests, 'from_string must carry the seed examples'
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 8
    assert result.failed == 0


SEED_EXAMPLES = [
    ('3', 'PlacementSpec(count=3)'),
    ('host1 host2', "PlacementSpec(hosts=[HostPlacementSpec(hostname='host1', network='', name=''), "
                    "HostPlacementSpec(hostname='host2', network='', name='')])"),
    ('2 host1 host2', "PlacementSpec(count=2, hosts=[HostPlacementSpec(hostname='host1', network='', "
                      "name=''), HostPlacementSpec(hostname='host2', network='', name='')])"),
    ('label:mon', "PlacementSpec(label='mon')"),
    ('3 label:mon', "PlacementSpec(count=3, label='mon')"),
    ('regex:Foo[0-9]|Bar[0-9]', "PlacementSpec(host_pattern=HostPattern(pattern='Foo[0-9]|Bar[0-9]', "
                                "pattern_type=PatternType.regex))"),
    ('data[1-3]', "PlacementSpec(host_pattern=HostPattern(pattern='data[1-3]', "
                  "pattern_type=PatternType.fnmatch))"),
    (None, 'PlacementSpec()'),
]


def test_seed_examples_repr_exactly():
    for arg, expected in SEED_EXAMPLES:
        assert repr(PlacementSpec.from_string(arg)) == expected


def test_seed_pretty_str_promise_holds_for_the_examples():
    for arg, _ in SEED_EXAMPLES:
        ps = PlacementSpec.from_string(arg)
        assert PlacementSpec.from_string(ps.pretty_str()) == ps
