"""Side by side with Ceph's own code: the same cases through ``orch`` and through a copy of
Ceph's python-common and cephadm's ``schedule.py``, in one process, timed alternately.

``ORCH_BENCH_CEPH=<dir>`` names the copy (how to make it: benchmarks/README.md)::

    <dir>/ceph/...                 Ceph's src/python-common/ceph (service_spec, hostspec, utils)
    <dir>/cephadm/schedule.py      Ceph's src/pybind/mgr/cephadm/schedule.py

``schedule.py`` imports the mgr's ``orchestrator`` package and ``cephadm.utils``; the loader
below puts minimal stand-ins for exactly the names it uses into ``sys.modules`` (never in the
product): ``orchestrator.HostSpec`` (python-common's own), ``OrchestratorValidationError``,
``DaemonDescription`` (a plain attribute holder, as the mgr's is for what the scheduler
reads) and ``cephadm.utils.RESCHEDULE_FROM_OFFLINE_HOSTS_TYPES``. Ceph's own modules are
imported from the copy under their own names (``ceph.*``, ``cephadm.schedule``).

Every case checks that both give the same answer before a figure is reported.
"""
from __future__ import annotations

import importlib
import os
import statistics
import sys
import time
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

ENV = "ORCH_BENCH_CEPH"


@dataclass
class Impl:
    """The four entry points a case uses, from one implementation."""

    name: str
    ServiceSpec: Any
    PlacementSpec: Any
    HostSpec: Any
    HostAssignment: Any
    DaemonDescription: Any


def orch_impl() -> Impl:
    from ceph_orch_cli.cluster.scheduling import HostAssignment
    from ceph_orch_cli.deployment.hostspec import HostSpec
    from ceph_orch_cli.deployment.service_spec import PlacementSpec, ServiceSpec
    from ceph_orch_cli.orchestrator import DaemonDescription
    return Impl("orch", ServiceSpec, PlacementSpec, HostSpec, HostAssignment, DaemonDescription)


def ceph_dir() -> Optional[Path]:
    value = os.environ.get(ENV, "").strip()
    return Path(value) if value else None


def check_copy(path: Path) -> Optional[str]:
    """Why ``path`` is not a usable copy, or None."""
    for rel in ("ceph/deployment/service_spec.py", "ceph/deployment/hostspec.py",
                "ceph/utils.py", "cephadm/schedule.py"):
        if not (path / rel).is_file():
            return f"{ENV}={path}: {rel} missing (see benchmarks/README.md)"
    return None


class _StubDaemonDescription:
    """What cephadm's scheduler reads of the mgr's ``DaemonDescription``: plain attributes."""

    def __init__(self, daemon_type: Optional[str] = None, daemon_id: Optional[str] = None,
                 hostname: Optional[str] = None, ports: Optional[List[int]] = None,
                 ip: Optional[str] = None, rank: Optional[int] = None,
                 rank_generation: Optional[int] = None, is_active: bool = False,
                 **_ignored: Any) -> None:
        self.daemon_type = daemon_type
        self.daemon_id = daemon_id
        self.hostname = hostname
        self.ports = ports
        self.ip = ip
        self.rank = rank
        self.rank_generation = rank_generation
        self.is_active = is_active

    def name(self) -> str:
        return f"{self.daemon_type}.{self.daemon_id}"


def ceph_impl(path: Path) -> Impl:
    """Import Ceph's code from ``path`` behind minimal stand-ins for the mgr's modules."""
    problem = check_copy(path)
    if problem:
        raise RuntimeError(problem)
    for name in [m for m in sys.modules if m == "ceph" or m.startswith("ceph.")
                 or m in ("cephadm", "cephadm.schedule", "cephadm.utils", "orchestrator",
                          "orchestrator._interface")]:
        del sys.modules[name]
    sys.path.insert(0, str(path))
    try:
        hostspec = importlib.import_module("ceph.deployment.hostspec")
        service_spec = importlib.import_module("ceph.deployment.service_spec")

        class OrchestratorValidationError(Exception):
            pass

        orch_mod = types.ModuleType("orchestrator")
        orch_mod.__path__ = []  # a package, for ``orchestrator._interface``
        orch_mod.HostSpec = hostspec.HostSpec  # type: ignore[attr-defined]
        orch_mod.DaemonDescription = _StubDaemonDescription  # type: ignore[attr-defined]
        orch_mod.OrchestratorValidationError = OrchestratorValidationError  # type: ignore
        iface = types.ModuleType("orchestrator._interface")
        iface.DaemonDescription = _StubDaemonDescription  # type: ignore[attr-defined]
        pkg = types.ModuleType("cephadm")
        pkg.__path__ = [str(path / "cephadm")]  # schedule.py only, not cephadm's __init__
        utils = types.ModuleType("cephadm.utils")
        # cephadm/utils.py, upstream main
        utils.RESCHEDULE_FROM_OFFLINE_HOSTS_TYPES = ['haproxy', 'nfs']  # type: ignore
        sys.modules.update({"orchestrator": orch_mod, "orchestrator._interface": iface,
                            "cephadm": pkg, "cephadm.utils": utils})
        schedule = importlib.import_module("cephadm.schedule")
    finally:
        sys.path.remove(str(path))
    spec_cls = service_spec.ServiceSpec
    if not hasattr(spec_cls, "ip_addrs"):
        # python-common older than the scheduler (reef's 18.2 with main's schedule.py):
        # the one field the newer scheduler reads that the older spec lacks, at its default
        spec_cls.ip_addrs = None
    return Impl("ceph", spec_cls, service_spec.PlacementSpec, hostspec.HostSpec,
                schedule.HostAssignment, _StubDaemonDescription)


# -- the cases ---------------------------------------------------------------------------

#: the documents of the spec row: the common shapes of a cluster's specs
SPEC_DOCS: List[Dict[str, Any]] = [
    {"service_type": "mon", "placement": {"count": 5}},
    {"service_type": "mgr", "placement": {"count": 2, "label": "mgr"}},
    {"service_type": "crash", "placement": {"host_pattern": "*"}},
    {"service_type": "node-exporter", "placement": {"host_pattern": "node*"}},
    {"service_type": "rgw", "service_id": "realm.zone",
     "placement": {"count": 4, "label": "rgw"},
     "spec": {"rgw_realm": "realm", "rgw_zone": "zone", "rgw_frontend_port": 8080}},
    {"service_type": "mds", "service_id": "cephfs", "placement": {"count": 3}},
    {"service_type": "prometheus", "placement": {"count": 1}},
    {"service_type": "rbd-mirror", "placement": {"hosts": ["node00001", "node00002"]}},
    {"service_type": "mon", "placement": {"hosts": ["node00001:10.0.0.1=a", "node00002"]}},
    {"service_type": "grafana", "placement": {"count": 1},
     "networks": ["10.0.0.0/16"]},
]

#: the strings of the --placement row
PLACEMENT_STRINGS: List[str] = [
    "3", "host1 host2", "2 host1 host2", "label:mon", "3 label:mon", "data[1-3]",
    "host1:10.0.0.1=a;host2:10.0.0.0/24=b", "count:4", "count-per-host:2 label:osd",
    "*", "host1,host2,host3",
]


@dataclass
class Case:
    key: str
    what: str
    size: str
    #: impl -> (prepared input, body(input) -> result); setup is not timed
    prepare: Callable[[Impl], Tuple[Any, Callable[[Any], Any]]]
    #: a result -> what must be equal across implementations
    answer: Callable[[Any], Any]
    #: (orch's answer, Ceph's answer, Ceph's Impl) -> the difference, "" if none
    differ: Optional[Callable[[Any, Any, Impl], str]] = None


def _spec_case(n: int) -> Case:
    def prepare(impl: Impl) -> Tuple[Any, Callable[[Any], Any]]:
        docs = [SPEC_DOCS[i % len(SPEC_DOCS)] for i in range(n)]
        from_json = impl.ServiceSpec.from_json

        def body(docs: List[Dict[str, Any]]) -> List[Any]:
            return [from_json(d).to_json() for d in docs]
        return docs, body
    return Case("ceph-spec", f"`ServiceSpec.from_json` + `to_json` x{n:,}",
                f"{len(SPEC_DOCS)} kinds of spec", prepare,
                lambda out: [dict(o) for o in out[:len(SPEC_DOCS)]] + [len(out)],
                _spec_differ)


def _spec_differ(ours: List[Any], theirs: List[Any], ceph: Impl) -> str:
    """Differences between the documents, on the fields the copy's version knows: orch
    follows Ceph's main branch, whose newer fields (``rgw_exit_timeout_secs``, the TLS block
    of the monitoring types) an older python-common has no attribute for."""
    if ours[-1] != theirs[-1]:
        return f"{ours[-1]} documents vs {theirs[-1]}"
    out = []
    for doc, a, b in zip(SPEC_DOCS, ours, theirs):
        known = vars(ceph.ServiceSpec.from_json(doc))
        a = dict(a, spec={k: v for k, v in a.get("spec", {}).items() if k in known})
        b = dict(b, spec=b.get("spec", {}))
        if a != b:
            out.append(f"{a!r} vs {b!r}")
    return "; ".join(out)


def _placement_case(n: int) -> Case:
    def prepare(impl: Impl) -> Tuple[Any, Callable[[Any], Any]]:
        strings = [PLACEMENT_STRINGS[i % len(PLACEMENT_STRINGS)] for i in range(n)]
        from_string = impl.PlacementSpec.from_string

        def body(strings: List[str]) -> List[Any]:
            return [from_string(s) for s in strings]
        return strings, body
    return Case("ceph-placement", f"`PlacementSpec.from_string` x{n:,}",
                f"{len(PLACEMENT_STRINGS)} kinds of string", prepare,
                lambda out: [(p.to_json(), p.pretty_str()) for p in out[:len(PLACEMENT_STRINGS)]]
                + [len(out)])


def _hostname(i: int) -> str:
    return f"node{i:05d}"


def _place_case(key: str, what: str, size: str, n_hosts: int, doc: Dict[str, Any],
                label_every: int = 0, label: str = "") -> Case:
    def prepare(impl: Impl) -> Tuple[Any, Callable[[Any], Any]]:
        hosts = [impl.HostSpec(_hostname(i), f"10.{i >> 8 & 255}.{i & 255}.1",
                               labels=[label] if label_every and i % label_every == 0 else [])
                 for i in range(n_hosts)]
        spec = impl.ServiceSpec.from_json(doc)
        HostAssignment = impl.HostAssignment

        def body(_: Any) -> Any:
            return HostAssignment(spec=spec, hosts=hosts, unreachable_hosts=[],
                                  draining_hosts=[], daemons=[]).place()
        return None, body

    def answer(result: Any) -> Any:
        slots, to_add, to_remove = result
        return ([str(s) for s in slots], [str(s) for s in to_add],
                [d.name() for d in to_remove])
    return Case(key, what, size, prepare, answer)


def cases(scale_hosts: int, reps: int) -> List[Case]:
    """The four rows of issue 13 (``reps`` specs/strings; ``scale_hosts`` hosts)."""
    mgr_count = max(1, scale_hosts // 10)
    rgw_count = max(1, scale_hosts // 20)
    return [
        _spec_case(reps),
        _placement_case(reps),
        _place_case("ceph-place-mgr", f"`HostAssignment` mgr count {mgr_count:,}",
                    f"{scale_hosts:,} hosts", scale_hosts,
                    {"service_type": "mgr", "placement": {"count": mgr_count}}),
        _place_case("ceph-place-rgw", f"`HostAssignment` rgw count {rgw_count:,} by label",
                    f"{scale_hosts:,} hosts, every 2nd labelled", scale_hosts,
                    {"service_type": "rgw", "service_id": "bench",
                     "placement": {"count": rgw_count, "label": "rgw"}},
                    label_every=2, label="rgw"),
    ]


@dataclass
class SideBySide:
    orch_s: List[float]
    ceph_s: List[float]

    @property
    def ratio(self) -> float:
        """Ceph's median time over orch's: above 1, orch is faster."""
        return statistics.median(self.ceph_s) / statistics.median(self.orch_s)


def measure(case: Case, impls: List[Impl], runs: int) -> Dict[str, List[float]]:
    """``runs`` timed calls per implementation, alternating (one load for both), after one
    untimed call each whose answers must agree."""
    prepared = {impl.name: case.prepare(impl) for impl in impls}
    answers = {}
    for impl in impls:
        arg, body = prepared[impl.name]
        answers[impl.name] = case.answer(body(arg))
    if len(impls) > 1:
        first = answers[impls[0].name]
        for impl in impls[1:]:
            if case.differ is not None:
                problem = case.differ(first, answers[impl.name], impl)
            else:
                problem = "" if answers[impl.name] == first else "different answers"
            if problem:
                raise AssertionError(f"{case.key}: {impl.name} answers differently from "
                                     f"{impls[0].name}: {problem:.300}:\n"
                                     f"{answers[impl.name]!r:.600}\nvs\n{first!r:.600}")
    times: Dict[str, List[float]] = {impl.name: [] for impl in impls}
    for _ in range(runs):
        for impl in impls:
            arg, body = prepared[impl.name]
            start = time.perf_counter()
            body(arg)
            times[impl.name].append(time.perf_counter() - start)
    return times


def main() -> int:
    """``python benchmarks/ceph_side.py [runs]``: the four rows on their own."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    impls = [orch_impl()]
    path = ceph_dir()
    if path:
        impls.append(ceph_impl(path))
    for case in cases(10_000, 10_000):
        t = measure(case, impls, runs)
        o = statistics.median(t["orch"])
        line = f"{case.what:<50} orch {o * 1000:7.1f} ms"
        if "ceph" in t:
            c = statistics.median(t["ceph"])
            line += f"  ceph {c * 1000:7.1f} ms  x{c / o:.2f}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
