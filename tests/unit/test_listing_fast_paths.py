"""`orch ps --format json` and `orch ls` read the store in bulk (SQLite sorts the daemons and
counts them per service) so that 100,000 daemons list in seconds and little memory; what
they print must be exactly what the object path (DaemonDescription / a scan of every
cached daemon) prints."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ceph_orch_cli import output
from ceph_orch_cli.backends import load_backend
from ceph_orch_cli.cli import orch as orch_cli
from ceph_orch_cli.deployment.loader import load_specs
from ceph_orch_cli.orchestrator import raise_if_exception

REPO = Path(__file__).resolve().parents[2]
DEMO = (REPO / "specs" / "demo" / "cluster.yaml").read_text()


def _ukn(s):
    return '<unknown>' if s is None else s


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.delenv("ORCH_FLEET", raising=False)
    monkeypatch.delenv("ORCH_BACKEND", raising=False)
    monkeypatch.delenv("ORCH_TEST_CRASH_AFTER", raising=False)
    state_dir = tmp_path / "state"
    orch = load_backend("local", state_dir)
    raise_if_exception(orch.apply(load_specs(DEMO)))
    # a stopped daemon, so that not every daemon counts as running
    crash = raise_if_exception(orch.list_daemons(daemon_type="crash"))[0]
    raise_if_exception(orch.daemon_action("stop", crash.name()))
    return state_dir


def ps_json_the_object_way(orch, **filters):
    daemons = raise_if_exception(orch.list_daemons(
        filters.get("service_name"), filters.get("daemon_type"),
        daemon_id=filters.get("daemon_id"), host=filters.get("host")))
    daemons.sort(key=lambda d: (_ukn(d.daemon_type), _ukn(d.hostname), _ukn(d.daemon_id)))
    return output.to_format(daemons, "json", many=True)


@pytest.mark.parametrize("args, filters", [
    ([], {}),
    (["host2"], {"host": "host2"}),
    (["--service-name", "crash"], {"service_name": "crash"}),
    (["--daemon-type", "osd"], {"daemon_type": "osd"}),
    (["--daemon-type", "mon", "--daemon-id", "host1"], {"daemon_type": "mon", "daemon_id": "host1"}),
    (["--daemon-type", "nothing-like-this"], {"daemon_type": "nothing-like-this"}),
])
def test_ps_json_prints_what_the_daemon_descriptions_print(state, args, filters):
    result = CliRunner().invoke(orch_cli, ["--state-dir", str(state), "ps", "--format", "json",
                                           *args])
    assert result.exit_code == 0, result.output
    expected = ps_json_the_object_way(load_backend("local", state), **filters)
    assert result.output == expected + "\n"
    if not filters:
        listed = json.loads(result.output)
        assert len(listed) > 20 and any("events" in d for d in listed)


def test_ps_json_batches_join_into_one_document(state):
    orch = load_backend("local", state)
    batches = list(orch.store.daemons_listing_text(batch=3))
    assert len(batches) > 2 and all(len(b) <= 3 for b in batches)
    runner = CliRunner()
    items = [{"b": 1}, {"a": [2, 3]}, {"c": None}]
    with runner.isolation() as (out, _err, *_):
        output.echo_json_texts([[json.dumps(items[0])], [], [json.dumps(i) for i in items[1:]]])
        printed = out.getvalue().decode()
    assert printed == json.dumps(items, sort_keys=True) + "\n"


def test_ls_counts_what_a_scan_of_every_daemon_counts(state):
    orch = load_backend("local", state)
    scanned = {}
    for d in orch.store.get_daemons():
        scanned.setdefault(d.get("service_name") or "", []).append(d)
    summary = orch.store.daemon_summary()
    assert summary.keys() == scanned.keys()
    for name, dds in scanned.items():
        refreshes = [d["last_refresh"] for d in dds if d.get("last_refresh")]
        assert summary[name]["count"] == len(dds)
        assert summary[name]["running"] == sum(1 for d in dds if d.get("status") == 1)
        assert summary[name]["last_refresh"] == (min(refreshes) if refreshes else None)
        assert summary[name]["container_image_id"] == dds[0].get("container_image_id")
        assert summary[name]["container_image_name"] == dds[0].get("container_image_name")
    assert summary["crash"]["running"] == summary["crash"]["count"] - 1
