"""The daemon cache's stored listing text (cluster/daemon_listing.py): whatever the row holds,
the text with its events spliced in is exactly ``json.dumps(row, sort_keys=True)`` of the row
as ``DaemonDescription.to_json()`` shows it, and ``decode`` gives the row back."""
from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from ceph_orch_cli.cluster import daemon_listing

_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8) | \
    st.floats(allow_nan=False, allow_infinity=False)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)
# keys around "events" on both sides, the fields kept for redeploys, and any text at all
_keys = st.sampled_from(["daemon_type", "hostname", "a", "z", "event", "eventsx", "events",
                         "extra_container_args", "extra_entrypoint_args", "", "\u00e9v"]) \
    | st.text(max_size=10)
_rows = st.dictionaries(_keys, _values, max_size=8)
_lines = st.lists(st.text(max_size=20), max_size=4)


def _shown(row, lines):
    shown = {k: v for k, v in row.items() if k not in daemon_listing.EXTRA_FIELDS and k != "events"}
    if lines:
        shown["events"] = lines
    return json.dumps(shown, sort_keys=True)


@given(_rows, _lines)
def test_the_stored_text_with_events_is_what_json_dumps_prints(row, lines):
    text, _extra, at = daemon_listing.encode(row)
    assert daemon_listing.with_events(text, at, lines) == _shown(row, lines)


@given(_rows)
def test_decode_gives_the_row_back_without_events(row):
    text, extra, _at = daemon_listing.encode(row)
    expected = {k: v for k, v in row.items() if k != "events"}
    assert daemon_listing.decode(text, extra) == json.loads(json.dumps(expected))


@given(_rows, _lines)
def test_rows_stored_before_the_listing_encoding_list_the_same(row, lines):
    legacy = json.dumps(row, separators=(",", ":"))  # schema version 1: compact, extras inline
    assert daemon_listing.reencode(legacy, lines) == _shown(row, lines)
