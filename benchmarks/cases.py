"""The benchmark rows: what each one runs, at which size, against which target.

Every CLI row runs the real ``orch`` console script in a fresh interpreter on the local
backend, over fleets and state directories built in a temporary directory by running
``orch apply -i`` itself (the real path, not a seeded store).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import fleets
from measure import BenchmarkFailed, Figure, repeat_command, repeat_inprocess, run_command


@dataclass(frozen=True)
class Scale:
    """How big each row's cluster is; ``full`` is issue #7's size."""

    name: str
    ls_hosts: int
    ls_services: int
    ps_hosts: int
    ps_devices: int          # daemons = hosts * (devices + crash + node-exporter)
    apply_hosts: int
    apply_devices: int
    apply_flash: int
    sched_hosts: int
    sched_existing: int
    sched_count: int
    ds_hosts: int
    ds_devices: int
    ssh_hosts: int           # 0: the SSH row is skipped
    ssh_latency_hosts: int = 0   # the SSH rows behind the latency proxy (issue 13)

    @property
    def ps_daemons(self) -> int:
        return self.ps_hosts * (self.ps_devices + 2)


SCALES: Dict[str, Scale] = {
    # the sizes of issue #7
    "full": Scale("full", 1000, 1000, 5000, 18, 5000, 24, 4, 10_000, 5000, 1000, 1000, 24, 16, 32),
    # a tenth: minutes instead of tens of minutes, same shapes
    "small": Scale("small", 100, 100, 500, 18, 500, 24, 4, 1000, 500, 100, 100, 24, 4, 8),
    # for the smoke test: proves every row works, says nothing about speed
    "tiny": Scale("tiny", 6, 5, 5, 3, 5, 4, 1, 50, 20, 5, 5, 24, 0),
}


@dataclass
class Row:
    """One line of the table: what was measured, against which target, and how it went
    (a figure, or why it was skipped, or the error that makes its figure meaningless)."""

    key: str
    what: str
    size: str
    target: str
    figure: Optional[Figure] = None
    ratio: Optional[float] = None        # rows that compare two things
    skipped: Optional[str] = None
    error: Optional[str] = None
    target_s: Optional[float] = None
    target_mib: Optional[float] = None
    target_ratio: Optional[float] = None
    target_min_ratio: Optional[float] = None   # rows that must be this many times faster
    note: str = ""
    runs_shown: Optional[int] = None     # when the figure is a median computed elsewhere

    def verdict(self) -> str:
        if self.skipped or self.error:
            return "-"
        if self.target_ratio is not None:
            return "ok" if self.ratio is not None and self.ratio <= self.target_ratio else "OVER"
        if self.target_min_ratio is not None:
            if self.ratio is None:
                return "-"
            return "ok" if self.ratio >= self.target_min_ratio else "SLOWER"
        fig = self.figure
        if fig is None or self.target_s is None:
            return "-"
        over = fig.median_s > self.target_s
        if self.target_mib is not None and fig.median_mib is not None:
            over = over or fig.median_mib > self.target_mib
        return "OVER" if over else "ok"


def orch_command() -> List[str]:
    """The console script an operator runs (``pip install`` puts it beside the interpreter);
    ``python -m ceph_orch_cli`` when there is none."""
    script = Path(sys.executable).parent / "orch"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "ceph_orch_cli"]


@dataclass
class Context:
    scale: Scale
    runs: int
    workdir: Path
    orch: List[str] = field(default_factory=orch_command)
    timeout: float = 1800.0
    log: Callable[[str], None] = print
    setup_notes: List[str] = field(default_factory=list)

    @property
    def fast_runs(self) -> int:
        """Sub-second rows are cheap and noisy (a shared 2-core machine): thrice the runs."""
        return 3 * self.runs

    def base_env(self) -> Dict[str, str]:
        """The operator's environment, with bytecode caching on: an installed orch has its
        .pyc files, so compiling the sources on every start (PYTHONDONTWRITEBYTECODE, as
        some CI images set) is not what is measured. The cache goes to the temporary
        directory (PYTHONPYCACHEPREFIX), never into the source tree."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("ORCH_BACKEND", "ORCH_FLEET", "ORCH_STATE_DIR", "ORCH_DEBUG",
                            "PYTHONDONTWRITEBYTECODE")}
        env["PYTHONPYCACHEPREFIX"] = str(self.workdir / "pycache")
        return env

    def env(self, state_dir: Path, fleet: Optional[Path]) -> Dict[str, str]:
        env = self.base_env()
        env["ORCH_STATE_DIR"] = str(state_dir)
        if fleet is not None:
            env["ORCH_FLEET"] = str(fleet)
        return env

    def orch_run(self, args: List[str], state_dir: Path, fleet: Optional[Path],
                 stdout: Optional[Path] = None, stdin: Optional[Path] = None) -> Dict[str, Any]:
        return dict(argv=self.orch + args, env=self.env(state_dir, fleet), stdout_path=stdout,
                    stdin_path=stdin, timeout=self.timeout)

    def build_cluster(self, name: str, fleet: Path, specs: str) -> Path:
        """A state dir converged on ``specs`` by the real ``orch apply -i``."""
        state = self.workdir / name
        spec_file = self.workdir / f"{name}.yaml"
        spec_file.write_text(specs)
        t0 = time.perf_counter()
        run_command(**self.orch_run(["apply", "-i", str(spec_file)], state, fleet))
        took = time.perf_counter() - t0
        self.setup_notes.append(f"{name}: built by `orch apply -i` in {took:.1f} s")
        self.log(f"  setup {name}: {took:.1f} s")
        return state


# -- CLI rows ----------------------------------------------------------------------------

def bench_baseline(ctx: Context) -> Row:
    row = Row("baseline", "`python3 -c pass` (interpreter baseline)", "-", "(~20 ms)")
    row.figure = repeat_command(ctx.fast_runs, lambda i: dict(argv=[sys.executable, "-c", "pass"],
                                                         env=ctx.base_env()))
    return row


def bench_help(ctx: Context) -> Row:
    row = Row("help", "`orch --help`, cold", "-", "100 ms", target_s=0.100)
    state = ctx.workdir / "help-state"
    row.figure = repeat_command(ctx.fast_runs, lambda i: ctx.orch_run(["--help"], state, None))
    return row


def _listing_cluster(ctx: Context) -> Path:
    s = ctx.scale
    fleet = fleets.write_fleet(ctx.workdir / "ls-fleet.json", s.ls_hosts, 2)
    state = ctx.build_cluster("ls", fleet, fleets.many_services_specs(s.ls_hosts, s.ls_services))
    return state


def bench_listing(ctx: Context) -> List[Row]:
    s = ctx.scale
    fleet = ctx.workdir / "ls-fleet.json"
    rows = []
    try:
        state = _listing_cluster(ctx)
    except BenchmarkFailed as e:
        for key, what in (("host-ls", "`orch host ls`"), ("ls", "`orch ls`")):
            rows.append(Row(key, what, "", "150 ms", error=f"setup failed: {e}"))
        return rows
    out = ctx.workdir / "ls.out"
    for key, what, args, size in (
            ("host-ls", "`orch host ls`, from the store", ["host", "ls"], f"{s.ls_hosts:,} hosts"),
            ("ls", "`orch ls`, from the store", ["ls"], f"{s.ls_services:,} services")):
        row = Row(key, what, size, "150 ms", target_s=0.150)
        try:
            row.figure = repeat_command(ctx.fast_runs,
                                        lambda i: ctx.orch_run(args, state, fleet, stdout=out))
            lines = out.read_text().splitlines()
            expected = (s.ls_hosts if key == "host-ls" else s.ls_services)
            if len(lines) < expected:
                raise BenchmarkFailed(f"printed {len(lines)} lines, expected at least {expected}")
        except BenchmarkFailed as e:
            row.error = str(e)
        rows.append(row)
    return rows


def bench_ps(ctx: Context) -> Row:
    s = ctx.scale
    row = Row("ps", "`orch ps --format json`", f"{s.ps_daemons:,} daemons on {s.ps_hosts:,} hosts",
              "1.5 s, 300 MB", target_s=1.5, target_mib=300)
    try:
        fleet = fleets.write_fleet(ctx.workdir / "ps-fleet.json", s.ps_hosts, s.ps_devices)
        state = ctx.build_cluster("ps", fleet, fleets.cluster_specs(s.ps_hosts))
        out = ctx.workdir / "ps.json"
        row.figure = repeat_command(
            ctx.runs, lambda i: ctx.orch_run(["ps", "--format", "json"], state, fleet, stdout=out))
        daemons = json.loads(out.read_text())
        # mon + mgr come on top of crash, node-exporter and one OSD per disk
        if len(daemons) < s.ps_daemons:
            raise BenchmarkFailed(f"listed {len(daemons)} daemons, expected {s.ps_daemons}")
        row.note = f"{len(daemons):,} daemons listed"
        out.unlink()
    except BenchmarkFailed as e:
        row.error = str(e)
    return row


def bench_apply(ctx: Context) -> Row:
    s = ctx.scale
    row = Row("apply", "`orch apply -i` whole cluster, converged",
              f"{s.apply_hosts:,} hosts x {s.apply_devices} devices",
              "10 s, 500 MB", target_s=10.0, target_mib=500)
    fleet = fleets.write_fleet(ctx.workdir / "apply-fleet.json", s.apply_hosts, s.apply_devices,
                               s.apply_flash)
    spec_file = ctx.workdir / "apply.yaml"
    spec_file.write_text(fleets.cluster_specs(s.apply_hosts))
    states: List[Path] = []

    def fresh(i: int) -> Dict[str, Any]:
        state = ctx.workdir / f"apply-{i + 1}"
        if state.exists():
            shutil.rmtree(state)
        states.append(state)
        return ctx.orch_run(["apply", "-i", str(spec_file)], state, fleet)

    try:
        # no warm-up: every run starts from an empty state dir, which is the case measured
        fig = Figure()
        for i in range(ctx.runs):
            sample = run_command(**fresh(i))
            fig.seconds.append(sample.seconds)
            fig.peak_kib.append(sample.peak_kib)
            ctx.log(f"  apply run {i + 1}: {sample.seconds:.1f} s, "
                    f"{sample.peak_kib / 1024:.0f} MiB")
            if i == 0:
                _check_converged(ctx, states[0], s)
            shutil.rmtree(states[-1])
        row.figure = fig
        expected = s.apply_hosts * (s.apply_devices - s.apply_flash + 2)
        row.note = f"{expected:,}+ daemons deployed"
    except BenchmarkFailed as e:
        row.error = str(e)
    return row


def _check_converged(ctx: Context, state: Path, s: Scale) -> None:
    """Every daemon the specs ask for is there (read through the store's public API)."""
    from ceph_orch_cli.cluster.store import Store
    store = Store(state)
    try:
        counts = store.daemon_counts()
    finally:
        store.close()
    want = {"mon": min(5, s.apply_hosts), "mgr": min(2, s.apply_hosts),
            "crash": s.apply_hosts, "node-exporter": s.apply_hosts,
            "osd.all_hdd": s.apply_hosts * (s.apply_devices - s.apply_flash)}
    missing = {k: (counts.get(k, 0), v) for k, v in want.items() if counts.get(k, 0) != v}
    if missing:
        raise BenchmarkFailed(f"not converged: (have, want) {missing}")


# -- in-process rows -----------------------------------------------------------------------

def _sched_inputs(n_hosts: int, n_existing: int, placement: Dict[str, Any]) -> Any:
    from ceph_orch_cli.deployment.hostspec import HostSpec
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    from ceph_orch_cli.orchestrator import DaemonDescription

    hosts = [HostSpec(fleets.hostname(i), fleets.host_addr(i)) for i in range(n_hosts)]
    spec = ServiceSpec.from_json({"service_type": "crash", "placement": placement})
    step = max(1, n_hosts // max(1, n_existing))
    daemons = [DaemonDescription(daemon_type="crash", daemon_id=fleets.hostname(i),
                                 hostname=fleets.hostname(i), service_name="crash", status=1)
               for i in range(0, n_hosts, step)][:n_existing]
    return spec, hosts, daemons


def bench_place(ctx: Context, which: str) -> Row:
    from ceph_orch_cli.cluster.scheduling import HostAssignment

    s = ctx.scale
    if which == "star":
        placement: Dict[str, Any] = {"host_pattern": "*"}
        row = Row("place-star", "`HostAssignment.place()`, host_pattern `*`",
                  f"{s.sched_hosts:,} hosts, {s.sched_existing:,} existing", "100 ms",
                  target_s=0.100)
        want_slots = s.sched_hosts
    else:
        placement = {"count": s.sched_count}
        row = Row("place-count", f"`HostAssignment.place()`, count {s.sched_count:,}",
                  f"{s.sched_hosts:,} hosts, {s.sched_existing:,} existing", "100 ms",
                  target_s=0.100)
        want_slots = s.sched_count
    spec, hosts, daemons = _sched_inputs(s.sched_hosts, s.sched_existing, placement)

    def body(_: Any) -> Any:
        return HostAssignment(spec=spec, hosts=hosts, unreachable_hosts=[], draining_hosts=[],
                              daemons=daemons).place()

    def check(result: Any) -> None:
        if len(result[0]) != want_slots:
            raise BenchmarkFailed(f"placed {len(result[0])} slots, expected {want_slots}")

    try:
        row.figure = repeat_inprocess(ctx.runs, lambda: None, body, check)
    except BenchmarkFailed as e:
        row.error = str(e)
    return row


def bench_drive_selection(ctx: Context) -> Row:
    from ceph_orch_cli.deployment.drive_group import DriveGroupSpec
    from ceph_orch_cli.deployment.drive_selection import DriveSelection
    from ceph_orch_cli.deployment.inventory import Device

    s = ctx.scale
    flash = 4
    row = Row("drive-selection", "`DriveSelection`, data HDD + db SSD, every host",
              f"{s.ds_hosts:,} hosts x {s.ds_devices} devices", "200 ms", target_s=0.200)
    spec = DriveGroupSpec.from_json({
        "service_type": "osd", "service_id": "bench", "placement": {"host_pattern": "*"},
        "spec": {"data_devices": {"rotational": 1}, "db_devices": {"rotational": 0}}})
    inventories = [[Device.from_json(d) for d in fleets.host_devices(i, s.ds_devices, flash)]
                   for i in range(s.ds_hosts)]

    def body(_: Any) -> Any:
        return [DriveSelection(spec, disks) for disks in inventories]

    def check(result: Any) -> None:
        sel = result[0]
        if len(sel.data_devices()) != s.ds_devices - flash or len(sel.db_devices()) != flash:
            raise BenchmarkFailed(f"selected {len(sel.data_devices())} data and "
                                  f"{len(sel.db_devices())} db devices")

    try:
        row.figure = repeat_inprocess(ctx.runs, lambda: None, body, check)
    except BenchmarkFailed as e:
        row.error = str(e)
    return row


# -- side by side with Ceph's own code -------------------------------------------------------

def bench_ceph(ctx: Context) -> List[Row]:
    """Issue 13's four rows: the same cases through orch and through a copy of Ceph's
    python-common and cephadm's scheduler (``ORCH_BENCH_CEPH``), alternating in one process;
    the figure is Ceph's median time over orch's. Without the copy: orch's times alone."""
    import statistics

    import ceph_side  # benchmarks/ceph_side.py

    n = ctx.scale.sched_hosts
    impls = [ceph_side.orch_impl()]
    path = ceph_side.ceph_dir()
    missing = "" if path else f"set {ceph_side.ENV} for Ceph's side"
    if path:
        try:
            impls.append(ceph_side.ceph_impl(path))
        except (RuntimeError, ImportError) as e:
            missing = f"Ceph's copy unusable: {e}"
    rows = []
    for case in ceph_side.cases(n, n):
        row = Row(case.key, case.what, case.size, "Ceph / orch >= 2x", target_min_ratio=2.0)
        try:
            times = ceph_side.measure(case, impls, ctx.fast_runs)
        except AssertionError as e:
            row.error = str(e).splitlines()[0]
            rows.append(row)
            continue
        row.figure = Figure(seconds=times["orch"], memory_kind="n/a")
        orch_s = statistics.median(times["orch"])
        if "ceph" in times:
            ceph_s = statistics.median(times["ceph"])
            row.ratio = ceph_s / orch_s
            row.note = (f"orch {orch_s * 1000:.1f} ms, Ceph {ceph_s * 1000:.1f} ms (medians, "
                        f"same answers; {len(times['orch'])} alternating runs each)")
        else:
            row.note = f"orch {orch_s * 1000:.1f} ms alone ({missing})"
        rows.append(row)
    return rows


# -- SSH ---------------------------------------------------------------------------------

#: the latency the proxy adds each way in the latency rows (issue 13)
SSH_DELAY = 0.05


def bench_ssh(ctx: Context, delay: float = 0.0) -> List[Row]:
    """Two rows: the refresh an operator waits for (`orch ps --refresh`, a new process) and the
    steady state of `orch serve` (connections pooled, agents running). With ``delay``, every
    host sits behind the latency proxy (``delay`` seconds each way) and the target is 1.5x."""
    n = ctx.scale.ssh_latency_hosts if delay else ctx.scale.ssh_hosts
    target, limit = ("at most 1.5x", 1.5) if delay else ("at most 2x", 2.0)
    behind = f", {delay * 1000:.0f} ms each way" if delay else ""
    suffix = "-latency" if delay else ""
    rows = [Row("ssh" + suffix,
                f"SSH refresh, `orch ps --refresh` end to end{behind}: {n or 'N'} test hosts vs 1",
                f"{n} hosts", target, target_ratio=limit),
            Row("ssh-warm" + suffix,
                f"SSH refresh, pooled (`orch serve`){behind}: {n or 'N'} test hosts vs 1",
                f"{n} hosts", target, target_ratio=limit)]
    skipped = None
    if n == 0:
        skipped = f"skipped (not run at scale {ctx.scale.name})"
    elif os.geteuid() != 0:
        skipped = "skipped (needs root to start sshd test hosts)"
    elif not (shutil.which("sshd") or Path("/usr/sbin/sshd").exists()):
        skipped = "skipped (sshd not installed: Debian package openssh-server)"
    if skipped:
        for row in rows:
            row.skipped = skipped
        return rows
    import ssh_refresh  # benchmarks/ssh_refresh.py

    for row, mode in zip(rows, ("cli", "warm")):
        try:
            one = ssh_refresh.measure(1, runs=ctx.runs, mode=mode, delay=delay)
            many = ssh_refresh.measure(n, runs=ctx.runs, mode=mode, delay=delay)
        except (OSError, RuntimeError, ValueError, subprocess.CalledProcessError) as e:
            row.error = f"{type(e).__name__}: {e}"
            continue
        row.figure = Figure(seconds=[many.wall_s], memory_kind="n/a")
        row.runs_shown = ctx.runs
        row.ratio = many.wall_s / one.wall_s
        row.note = ssh_refresh.describe(one, many)
    return rows


BENCHMARKS = ("baseline", "help", "listing", "ps", "apply", "place", "drive-selection", "ceph",
              "ssh", "ssh-latency")


def run_all(ctx: Context, only: Optional[List[str]] = None,
            skip: Optional[List[str]] = None) -> List[Row]:
    wanted = [b for b in BENCHMARKS if (not only or b in only) and b not in (skip or [])]
    rows: List[Row] = []
    for name in wanted:
        ctx.log(f"running {name} ...")
        t0 = time.perf_counter()
        if name == "baseline":
            rows.append(bench_baseline(ctx))
        elif name == "help":
            rows.append(bench_help(ctx))
        elif name == "listing":
            rows.extend(bench_listing(ctx))
        elif name == "ps":
            rows.append(bench_ps(ctx))
        elif name == "apply":
            rows.append(bench_apply(ctx))
        elif name == "place":
            rows.append(bench_place(ctx, "star"))
            rows.append(bench_place(ctx, "count"))
        elif name == "drive-selection":
            rows.append(bench_drive_selection(ctx))
        elif name == "ceph":
            rows.extend(bench_ceph(ctx))
        elif name == "ssh":
            rows.extend(bench_ssh(ctx))
        elif name == "ssh-latency":
            rows.extend(bench_ssh(ctx, delay=SSH_DELAY))
        ctx.log(f"  {name} done in {time.perf_counter() - t0:.1f} s")
    return rows
