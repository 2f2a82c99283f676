"""The extra ceph.conf text merged into the cluster's minimal conf, as cephadm merges it
(``backends/ssh/cluster_files.combine_confs``): every deployed daemon's config is this."""
from __future__ import annotations

from ceph_orch_cli.backends.ssh.cluster_files import combine_confs

MINIMAL = ("# minimal ceph.conf for 5a1c9a40-1f6e-11ef-9d4a-525400a1b2c3\n[global]\n"
           "\tfsid = 5a1c9a40-1f6e-11ef-9d4a-525400a1b2c3\n"
           "\tmon_host = [v2:127.0.0.11:3300/0,v1:127.0.0.11:6789/0]\n")


def test_a_section_both_name_is_merged_and_new_sections_are_appended() -> None:
    merged = combine_confs(MINIMAL, "[global]\nmon max pg per osd = 400\n"
                                    "[osd]\nosd_max_backfills = 3\n")
    assert merged == ("[global]\n\tfsid = 5a1c9a40-1f6e-11ef-9d4a-525400a1b2c3\n"
                      "\tmon_host = [v2:127.0.0.11:3300/0,v1:127.0.0.11:6789/0]\n"
                      "\tmon_max_pg_per_osd = 400\n[osd]\n\tosd_max_backfills = 3\n")


def test_the_extra_text_wins_over_the_minimal_conf_for_one_option() -> None:
    merged = combine_confs(MINIMAL, "[global]\nmon host = [v2:10.0.0.1:3300/0]\n")
    assert "\tmon_host = [v2:10.0.0.1:3300/0]\n" in merged
    assert merged.count("mon_host") == 1


def test_no_extra_text_leaves_the_minimal_conf_as_it_is() -> None:
    assert combine_confs(MINIMAL, "") == MINIMAL
    assert combine_confs(MINIMAL, "\n  \n") == MINIMAL
