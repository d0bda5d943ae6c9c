"""positions.csv rows formatted column-wise are the rows csv.writer writes one by one."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from trackguard.privacy.export.fix_arrays import TRUE, UNKNOWN, FixArrays, iso_micros, iso_text
from trackguard.privacy.export.positions_out import CSV_COLUMNS, ExportDevice, csv_rows
from trackguard.privacy.export.trip_stream import moving_flags
from trackguard.tracking.position_blocks import FIELDS, FixColumns, iso_utc_text
from trackguard.tracking.trips import Fix, TripConfig, usable_fixes

START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
DEVICE = ExportDevice("d" * 32, "Fiets", "gt06")
_FLAG = {None: "", True: "true", False: "false"}


def reference_rows(device: ExportDevice, fixes: FixColumns) -> str:
    """The rows as csv.writer writes them from Python values, one position at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for (
        t,
        r,
        lat,
        lon,
        speed,
        course,
        alt,
        sats,
        valid,
        bat,
        ign,
        mot,
        alarm,
        proto,
        attrs,
    ) in fixes.rows():
        writer.writerow(
            (
                device.id,
                t + "Z",
                lat,
                lon,
                speed,
                course,
                alt,
                sats,
                _FLAG[valid],
                bat,
                _FLAG[ign],
                _FLAG[mot],
                alarm,
                proto or device.protocol,
                json.dumps(attrs, sort_keys=True, separators=(",", ":")) if attrs else "",
                r + "Z",
            )
        )
    return out.getvalue()


def decimal(places: int, low: float, high: float) -> st.SearchStrategy[float]:
    """Numbers as blocks store them: rounded to `places`, never in repr's exponent form."""
    return st.floats(low, high).map(lambda v: round(v, places)).filter(lambda v: abs(v) >= 1e-4)


def optional(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | values


text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\0\r"), max_size=8)
fix = st.fixed_dictionaries(
    {
        "lat": decimal(6, -90, 90) | st.just(0.0),
        "lon": decimal(6, -180, 180),
        "speed": decimal(1, 0, 400),
        "course": optional(decimal(1, 0, 359.9)),
        "altitude": optional(decimal(1, -500, 9000)),
        "satellites": optional(st.integers(0, 40)),
        "valid": st.booleans(),
        "battery": optional(decimal(2, 0, 100) | st.integers(0, 100).map(float)),
        "ignition": optional(st.booleans()),
        "motion": optional(st.booleans()),
        "alarm": optional(st.sampled_from(["sos", "power,cut", 'say "hi"', "line\nbreak"])),
        "protocol": optional(st.sampled_from(["gt06", "osmand", ""]) | text),
        "attributes": optional(st.dictionaries(text, st.integers() | text, max_size=3)),
    }
)


def columns_of(values: list[dict[str, Any]], seconds: list[int]) -> FixColumns:
    times = [iso_utc_text(START + timedelta(seconds=s, microseconds=s * 7)) for s in seconds]
    received = [iso_utc_text(START + timedelta(seconds=s + 2)) for s in seconds]
    return FixColumns(times, received, {name: [v[name] for v in values] for name in FIELDS})


@settings(max_examples=150, deadline=None)
@given(st.lists(fix, min_size=1, max_size=40))
def test_rows_are_what_csv_writer_writes(values: list[dict[str, Any]]) -> None:
    fixes = columns_of(values, list(range(len(values))))
    written = csv_rows(DEVICE, FixArrays.of(fixes)).decode()
    assert written == reference_rows(DEVICE, fixes)
    parsed = list(csv.reader(io.StringIO(written)))
    assert len(parsed) == len(values) and {len(row) for row in parsed} == {len(CSV_COLUMNS)}


def test_a_carriage_return_is_quoted_too() -> None:
    """csv.writer leaves a CR bare when rows end in LF; RFC 4180 wants it quoted."""
    values = [dict.fromkeys(FIELDS) | {"lat": 1.0, "lon": 2.0, "speed": 0.0, "alarm": "a\rb"}]
    written = csv_rows(DEVICE, FixArrays.of(columns_of(values, [0]))).decode()
    assert ',"a\rb",' in written
    assert next(csv.reader(io.StringIO(written, newline="")))[12] == "a\rb"


def test_numbers_beyond_six_decimals_are_written_as_repr_and_tiny_ones_as_decimals() -> None:
    values = [dict.fromkeys(FIELDS) for _ in range(3)]
    for v, lat, battery in zip(
        values, (52.1, 0.00001, -0.00002), (3.14159265, 80.0, None), strict=True
    ):
        v.update(lat=lat, lon=5.0, speed=0.0, valid=True, battery=battery)
    rows = list(
        csv.reader(
            io.StringIO(csv_rows(DEVICE, FixArrays.of(columns_of(values, [0, 1, 2]))).decode())
        )
    )
    assert [(row[2], row[9]) for row in rows] == [
        ("52.1", "3.14159265"),
        ("0.00001", "80.0"),
        ("-0.00002", ""),
    ]


@given(st.lists(st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31)), min_size=1))
def test_times_are_read_to_the_microsecond(moments: list[datetime]) -> None:
    text = iso_text([m.isoformat(timespec="microseconds") for m in moments])
    expected = [(m - datetime(1970, 1, 1)) // timedelta(microseconds=1) for m in moments]
    assert iso_micros(text).tolist() == expected


@given(st.lists(fix, min_size=1, max_size=30), st.booleans())
def test_usable_and_moving_follow_the_trip_rules(
    values: list[dict[str, Any]], ignition: bool
) -> None:
    fixes = columns_of(values, list(range(len(values))))
    arrays = FixArrays.of(fixes)
    config = TripConfig(use_ignition=ignition)
    as_fixes = [
        Fix(START + timedelta(seconds=n), v["lat"], v["lon"], v["speed"], v["valid"], v["ignition"])
        for n, v in enumerate(values)
    ]
    usable = {f.time for f in usable_fixes(as_fixes)}
    assert arrays.usable().tolist() == [f.time in usable for f in as_fixes]
    moving = moving_flags(config, arrays.speed, arrays.ignition, true=TRUE, unknown=UNKNOWN)
    assert moving.tolist() == [config.moving(f) for f in as_fixes]
    assert np.array_equal(
        arrays.time_us[1:] - arrays.time_us[:-1], np.full(len(values) - 1, 1_000_007)
    )
