"""Hypothesis strategies for position blocks: fixes with any values a column may hold."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from trackguard.tracking.position_blocks import FixColumns, iso_utc_text

START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)

_json_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8)
_json_values = _json_scalars | st.floats(allow_nan=False, allow_infinity=False)
_attributes = st.dictionaries(
    st.text(max_size=6), _json_values | st.lists(_json_values, max_size=3), max_size=4
)
_LARGE_ATTRIBUTES = {"blob": "x" * 5000, "io": list(range(200)), "nested": {"a": [{"b": None}]}}
_coordinates = st.floats(-180.0, 180.0) | st.sampled_from([-180.0, 180.0, -90.0, 90.0, -0.0])
_numbers = (
    st.none()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(-1e6, 1e6).map(lambda v: round(v, 1))
)
_flags = st.none() | st.booleans()


@st.composite
def fix_columns(draw: st.DrawFn) -> FixColumns:
    """Fixes of one hour with any values a column may hold, mixed types included."""
    seconds = sorted(draw(st.sets(st.integers(0, 3_599_999_999), min_size=1, max_size=12)))
    count = len(seconds)
    times = [iso_utc_text(START + timedelta(microseconds=s)) for s in seconds]

    def column(values: st.SearchStrategy[Any]) -> list[Any]:
        return draw(st.lists(values, min_size=count, max_size=count))

    columns = {
        "lat": column(_coordinates.map(lambda v: round(v, 6)) | _coordinates | st.none()),
        "lon": column(_coordinates),
        "speed": column(_numbers),
        "course": column(_numbers),
        # Integers beyond 64 bits come back as floats, in either format (orjson reads them).
        "altitude": column(_numbers | st.integers(-(2**63), 2**63 - 1)),
        "satellites": column(st.none() | st.integers(-(2**63), 2**63 - 1)),
        "valid": column(_flags),
        "battery": column(_numbers | st.integers(0, 100)),
        "ignition": column(_flags),
        "motion": column(_flags | st.integers(0, 1)),
        "alarm": column(st.none() | st.sampled_from(["sos", "overspeed", "", 'ä,"\n'])),
        "protocol": column(st.none() | st.text(max_size=12)),
        "attributes": column(st.none() | _attributes | st.just(_LARGE_ATTRIBUTES)),
    }
    received = draw(
        st.one_of(st.just(times), st.lists(st.sampled_from(times), min_size=count, max_size=count))
    )
    return FixColumns(times, list(received), columns)


def same_values(found: list[Any], expected: list[Any]) -> bool:
    """Equal, value by value of the same type (1 is not True, 1.0 is not 1, -0.0 is not 0.0)."""
    return len(found) == len(expected) and all(
        type(a) is type(b)
        and (
            a == b
            if not isinstance(a, float)
            else math.copysign(1, a) == math.copysign(1, b) and a == b
        )
        for a, b in zip(found, expected, strict=True)
    )
