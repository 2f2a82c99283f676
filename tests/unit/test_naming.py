"""Daemon ids look like the ones cephadm makes."""
from __future__ import annotations

import random
import re

import pytest

from ceph_orch_cli.cluster.naming import (is_valid_daemon_name, name_to_config_section,
                                          unique_daemon_id)
from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError

RAND = "[a-z]{6}"


@pytest.mark.parametrize("dtype, kwargs, pattern", [
    ("mon", {}, r"host1"),
    ("crash", {}, r"host1"),
    ("node-exporter", {}, r"host1"),
    ("ceph-exporter", {}, r"host1"),
    ("prometheus", {}, r"host1"),
    ("mgr", {}, rf"host1\.{RAND}"),
    ("mds", {"prefix": "cephfs"}, rf"cephfs\.host1\.{RAND}"),
    ("rgw", {"prefix": "foo"}, rf"foo\.host1\.{RAND}"),
    ("nfs", {"prefix": "foo", "rank": 0, "rank_generation": 1}, rf"foo\.0\.1\.host1\.{RAND}"),
    ("haproxy", {"prefix": "rgw.foo"}, rf"rgw\.foo\.host1\.{RAND}"),
])
def test_ids_follow_cephadm(dtype, kwargs, pattern):
    assert re.fullmatch(pattern, unique_daemon_id(dtype, "host1.example.com", [], **kwargs))


def test_random_suffix_avoids_existing_ids():
    rng = random.Random(1)
    first = unique_daemon_id("mgr", "host1", [], rng=random.Random(1))
    again = unique_daemon_id("mgr", "host1", {first}, rng=rng)
    assert again != first and again.startswith("host1.")


def test_a_taken_fixed_name_is_refused():
    with pytest.raises(OrchestratorValidationError, match="name mon.host1 already in use"):
        unique_daemon_id("mon", "host1", ["host1"])
    with pytest.raises(OrchestratorValidationError, match="name mgr.x already in use"):
        unique_daemon_id("mgr", "host1", ["x"], forcename="x")
    assert unique_daemon_id("mgr", "host1", [], forcename="x") == "x"


def test_config_sections_and_name_checks():
    assert name_to_config_section("rgw.foo.host1.abcdef") == "client.rgw.foo.host1.abcdef"
    assert name_to_config_section("osd.3") == "osd.3"
    assert name_to_config_section("grafana.host1") == "mon"
    assert is_valid_daemon_name("osd.3") and not is_valid_daemon_name("osd")
