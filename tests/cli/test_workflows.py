"""The long workflows through the real command line (`python -m ceph_orch_cli`): OSD removal
and replacement, a limited then continued upgrade, a drain, maintenance of a host that went
offline, and a `kill -9` between two steps that the next `orch serve --once` recovers from."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from workflow_cluster import CLUSTER, write_fleet

NEW = "quay.io/ceph/ceph:v18.2.5"


class Cli:
    """`orch --state-dir <dir> ...` as a separate process, with our small fleet."""

    def __init__(self, tmp: Path) -> None:
        self.state = tmp / "state"
        self.fleet = tmp / "fleet.json"
        write_fleet(self.fleet)

    def __call__(self, *args: str, env: Optional[Dict[str, str]] = None,
                 stdin: Optional[str] = None) -> subprocess.CompletedProcess:
        full = dict(os.environ, ORCH_FLEET=str(self.fleet), NO_COLOR="1")
        for k in ("ORCH_BACKEND", "ORCH_TEST_CRASH_AFTER", "ORCH_STATE_DIR"):
            full.pop(k, None)
        full.update(env or {})
        return subprocess.run([sys.executable, "-m", "ceph_orch_cli", "--state-dir",
                               str(self.state), *args], input=stdin, capture_output=True,
                              text=True, env=full, timeout=120)

    def ok(self, *args: str, **kw: object) -> str:
        r = self(*args, **kw)  # type: ignore[arg-type]
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        return r.stdout

    def json(self, *args: str) -> object:
        return json.loads(self.ok(*args))

    def daemons(self) -> Dict[str, dict]:
        listed: List[dict] = self.json("ps", "--format", "json")  # type: ignore[assignment]
        return {d["daemon_name"]: d for d in listed}

    def serve_until(self, done, limit: int = 25) -> None:
        for _ in range(limit):
            if done():
                return
            self.ok("serve", "--once")
        assert done(), "workflow did not finish"


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    c = Cli(tmp_path)
    c.ok("apply", "-i", "-", stdin=CLUSTER)
    return c


def removal_queue(cli: Cli) -> List[dict]:
    out = cli.ok("osd", "rm", "status", "--format", "json").strip()
    return json.loads(out)


def test_osd_replace_keeps_the_id_and_the_new_disk_gets_it(cli: Cli) -> None:
    host = cli.daemons()["osd.0"]["hostname"]
    assert cli.ok("osd", "rm", "0", "--replace", "--zap") == "Scheduled OSD(s) for removal.\n"
    entry = removal_queue(cli)[0]
    assert sorted(entry) == sorted(["osd_id", "started", "draining", "stopped", "replace",
                                    "force", "zap", "hostname", "original_weight",
                                    "drain_started_at", "drain_stopped_at", "drain_done_at",
                                    "process_started_at"])
    cli.ok("serve", "--once")
    table = cli.ok("osd", "rm", "status")
    assert "draining" in table and host in table
    assert "Draining osd.0" in cli.ok("ps", "--format", "yaml")
    cli.serve_until(lambda: not removal_queue(cli))
    assert cli.ok("osd", "rm", "status") == "No OSD remove/replace operations reported\n"
    cli.ok("serve", "--once")
    assert cli.daemons()["osd.0"]["hostname"] == host
    assert "Destroyed osd.0" in cli.ok("ls", "--format", "yaml")


def test_osd_rm_stop_and_unknown_ids(cli: Cli) -> None:
    assert cli.ok("osd", "rm", "9") == "Unable to find OSDs: ['9']\n"
    cli.ok("osd", "rm", "2")
    cli.ok("serve", "--once")
    assert cli.ok("osd", "rm", "stop", "2") == "Stopped OSD(s) removal\n"
    assert cli.ok("osd", "rm", "stop", "2") == "Unable to find OSD in the queue: 2\n"
    assert removal_queue(cli) == []


def test_osd_rm_wait_runs_the_passes_in_the_foreground(cli: Cli) -> None:
    cli.ok("osd", "rm", "5", "--wait")
    assert removal_queue(cli) == [] and "osd.5" not in cli.daemons()


def test_kill_between_steps_then_serve_once_resumes(cli: Cli) -> None:
    cli.ok("osd", "rm", "3", "--force")
    killed = cli("serve", "--once", env={"ORCH_TEST_CRASH_AFTER": "2"})
    assert killed.returncode == 137
    cli.serve_until(lambda: not removal_queue(cli))
    assert "osd.3" not in cli.daemons()


def upgrade_status(cli: Cli) -> dict:
    return cli.json("upgrade", "status")  # type: ignore[return-value]


def test_upgrade_limited_to_3_daemons_then_continued(cli: Cli) -> None:
    assert cli.ok("upgrade", "start", "--ceph-version", "18.2.5", "--limit", "3") == \
        f"Initiating upgrade to {NEW}\n"
    st = upgrade_status(cli)
    assert list(st) == ["target_image", "in_progress", "which", "services_complete", "progress",
                        "message", "is_paused"]
    assert st["which"] == ("Upgrading all daemon types on all hosts. Upgrade limited to 3 "
                           "daemons (3 remaining).")
    cli.serve_until(lambda: not upgrade_status(cli)["in_progress"])
    upgraded = [n for n, d in cli.daemons().items() if d["container_image_name"] == NEW]
    assert len(upgraded) == 3 and sum(n.startswith("mgr.") for n in upgraded) == 2
    cli.ok("upgrade", "start", NEW, "--wait")
    assert {d["container_image_name"] for d in cli.daemons().values()} == {NEW}
    assert upgrade_status(cli)["target_image"] is None


def test_upgrade_pause_resume_stop(cli: Cli) -> None:
    cli.ok("upgrade", "start", NEW)
    cli.ok("serve", "--once")
    assert cli.ok("upgrade", "pause") == f"Paused upgrade to {NEW}\n"
    assert upgrade_status(cli)["message"] == "Upgrade paused"
    assert cli.ok("upgrade", "resume") == f"Resumed upgrade to {NEW}\n"
    killed = cli("serve", "--once", env={"ORCH_TEST_CRASH_AFTER": "1"})
    assert killed.returncode == 137
    assert upgrade_status(cli)["in_progress"]
    assert cli.ok("upgrade", "stop") == f"Stopped upgrade to {NEW}\n"
    assert cli.ok("upgrade", "stop") == "No upgrade in progress\n"
    again = cli("upgrade", "start", "quay.io/ceph/ceph:v19.2.0")
    assert again.returncode == 0 and "already in progress" not in again.stdout + again.stderr


def test_drain_a_host_with_osds_then_remove_it(cli: Cli) -> None:
    out = cli.ok("host", "drain", "host4", "--zap-osd-devices")
    assert out.startswith("Scheduled to remove the following daemons from host 'host4'\n")
    refused = cli("host", "rm", "host4")
    assert refused.returncode == 22 and "Not allowed to remove host4 from cluster" in refused.stderr
    killed = cli("serve", "--once", env={"ORCH_TEST_CRASH_AFTER": "2"})
    assert killed.returncode == 137
    cli.serve_until(lambda: not any(d["hostname"] == "host4" for d in cli.daemons().values()))
    assert cli.ok("host", "rm", "host4") == "Removed  host 'host4'\n"


def test_maintenance_of_a_host_that_went_offline(cli: Cli) -> None:
    cli.ok("serve", "--once")  # the new OSDs' PGs have peered
    active = [d for d in cli.daemons().values() if d.get("is_active")]
    if active[0]["hostname"] == "host2":  # cephadm refuses to stop the active mgr's host:
        cli.ok("daemon", "restart", active[0]["daemon_name"])  # a restart fails it over
    assert "moved to maintenance mode" in cli.ok("host", "maintenance", "enter", "host2")
    write_fleet(cli.fleet, offline=["host2"])
    refused = cli("host", "maintenance", "exit", "host2")
    assert refused.returncode == 22
    assert "host2 is offline, please use --offline and --force" in refused.stderr
    assert "Traceback" not in refused.stderr
    out = cli.ok("host", "maintenance", "exit", "host2", "--force", "--offline")
    assert "has exited maintenance mode" in out
    listed: List[dict] = cli.json("host", "ls", "--format", "json")  # type: ignore[assignment]
    hosts = {h["hostname"]: h for h in listed}
    assert hosts["host2"]["status"].lower() == "offline"


def test_drain_stop_puts_the_host_back_in_service(cli: Cli) -> None:
    cli.ok("host", "drain", "host3")
    cli.ok("serve", "--once")
    assert cli.ok("host", "drain", "stop", "host3") == "Stopped host drain for host3\n"
    assert removal_queue(cli) == []
    listed: List[dict] = cli.json("host", "ls", "--format", "json")  # type: ignore[assignment]
    labels = {h["hostname"]: h["labels"] for h in listed}
    assert "_no_schedule" not in labels["host3"]
    again = cli("host", "drain", "stop", "host3")
    assert again.returncode == 22
    assert "Host host3 is not currently being drained" in again.stderr
