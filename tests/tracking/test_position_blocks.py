"""Position blocks as values: encoding, decoding, ordering and windows (no database)."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackguard.errors import CiphertextError
from trackguard.tracking.position_blocks import (
    FIELDS,
    FixColumns,
    concat_columns,
    decode_block,
    encode_block,
    hour_of,
    iso_utc_text,
)

START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def _fixes(seconds: list[int], *, lat: float = 52.2) -> FixColumns:
    times = [iso_utc_text(START + timedelta(seconds=s)) for s in seconds]
    columns: dict[str, list[object]] = {name: [None] * len(times) for name in FIELDS}
    columns["lat"] = [lat + s / 1e5 for s in seconds]
    columns["lon"] = [5.4] * len(times)
    columns["speed"] = [float(s % 40) for s in seconds]
    columns["valid"] = [True] * len(times)
    columns["attributes"] = [{"io239": s % 2} for s in seconds]
    return FixColumns(times, list(times), columns)  # type: ignore[arg-type]


def test_hours_and_times_are_utc() -> None:
    amsterdam = timezone(timedelta(hours=1))
    assert hour_of(datetime(2026, 3, 1, 11, 59, 59, tzinfo=amsterdam)) == START
    assert hour_of(datetime(2026, 3, 1, 10, 30)) == START  # naive: UTC
    assert (
        iso_utc_text(datetime(2026, 3, 1, 11, 0, tzinfo=amsterdam)) == "2026-03-01T10:00:00.000000"
    )


@given(st.lists(st.integers(0, 3599), min_size=1, max_size=200, unique=True))
def test_a_block_decodes_to_what_was_encoded(seconds: list[int]) -> None:
    fixes = _fixes(sorted(seconds))
    decoded = decode_block(encode_block(fixes), len(seconds))
    assert decoded == fixes
    assert next(decoded.rows())[:4] == (
        fixes.time[0],
        fixes.received[0],
        *[fixes.columns[f][0] for f in ("lat", "lon")],
    )


def test_a_block_that_is_not_one_or_of_another_size_is_refused() -> None:
    block = encode_block(_fixes([0, 10, 20]))
    with pytest.raises(CiphertextError):
        decode_block(block, 2)
    with pytest.raises(CiphertextError):
        decode_block(b"not zlib", 1)
    with pytest.raises(CiphertextError):
        decode_block(zlib.compress(b'{"v": 99, "t": []}'), 0)
    with pytest.raises(ValueError):
        encode_block(_fixes([]))


@given(st.lists(st.integers(0, 3599), min_size=1, max_size=100))
def test_merged_rows_come_out_sorted_with_one_fix_per_time(seconds: list[int]) -> None:
    parts = [_fixes([s], lat=50.0 + n) for n, s in enumerate(seconds)]
    merged = concat_columns(parts).in_time_order()
    assert merged.time == sorted(set(merged.time))
    assert len(merged) == len(set(seconds))
    # Of two copies of one fix, the one handed in first is kept.
    first_lat: dict[str, float] = {}
    for n, s in enumerate(seconds):
        first_lat.setdefault(iso_utc_text(START + timedelta(seconds=s)), 50.0 + n + s / 1e5)
    assert dict(zip(merged.time, merged.columns["lat"], strict=True)) == first_lat


def test_a_window_is_start_inclusive_and_end_exclusive() -> None:
    fixes = _fixes([0, 10, 20, 30])
    window = fixes.between(fixes.time[1], fixes.time[3])
    assert window.time == fixes.time[1:3]
    assert window.columns["speed"] == [10.0, 20.0]
    assert fixes.between(None, None) is fixes
    assert fixes.values(0) == {
        "lat": 52.2,
        "lon": 5.4,
        "speed": 0.0,
        "course": None,
        "altitude": None,
        "satellites": None,
        "valid": True,
        "battery": None,
        "attributes": {"io239": 0},
    }
