"""Binary position blocks (format 2): any fixes round-trip, corrupt input is refused."""

from __future__ import annotations

import math
import struct
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackguard.errors import CiphertextError
from trackguard.tracking import position_blocks
from trackguard.tracking.block_arrays import (
    CODED,
    DEFLATED,
    FLAG,
    FLOAT,
    INT,
    JSON,
    MAGIC,
    NONE,
    SCALED,
    STORED,
    TEXT,
    CodedColumn,
    FlagColumn,
    NumberColumn,
    TextColumn,
    decode_columns,
    encode_columns,
)
from trackguard.tracking.position_blocks import (
    FIELDS,
    BlockArrays,
    FixColumns,
    decode_block,
    decode_block_arrays,
    encode_binary_block,
    encode_block,
    iso_utc_text,
)

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
def _fix_columns(draw: st.DrawFn) -> FixColumns:
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


def _same(found: list[Any], expected: list[Any]) -> bool:
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


@settings(deadline=None)  # a shared machine's pauses are no failure
@given(_fix_columns())
def test_any_fixes_decode_to_what_was_encoded(fixes: FixColumns) -> None:
    decoded = decode_block(encode_binary_block(fixes), len(fixes))
    assert decoded.time == fixes.time and decoded.received == fixes.received
    for name in FIELDS:
        assert _same(decoded.columns[name], fixes.columns[name]), name
    # The JSON format holds them alike (apart from -0.0 versus 0.0, which JSON keeps too).
    assert decode_block(encode_block(fixes), len(fixes)) == decoded


@settings(deadline=None)
@given(_fix_columns(), st.data())
def test_corrupt_binary_blocks_are_refused_as_ciphertext_errors(
    fixes: FixColumns, data: st.DataObject
) -> None:
    plain = encode_binary_block(fixes)
    body = plain[len(MAGIC) + 1 :]
    if plain[len(MAGIC)] == DEFLATED:
        body = zlib.decompress(body)
    stored = bytearray(MAGIC + bytes([STORED]) + body)
    deflated = bytearray(MAGIC + bytes([DEFLATED]) + zlib.compress(body))
    target = data.draw(st.sampled_from([stored, deflated]))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(target) - 1))
        target[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(target)))
    corrupt = bytes(target[:cut])
    try:
        decoded = decode_block(corrupt, len(fixes))
    except CiphertextError:
        return
    assert len(decoded) == len(fixes)  # a change that still decodes stays a block of its size


def test_numbers_and_flags_are_stored_as_arrays_text_as_json() -> None:
    fixes = FixColumns(
        ["2026-03-01T10:00:00.000000", "2026-03-01T10:00:05.000000"],
        ["2026-03-01T10:00:01.000000", "2026-03-01T10:00:06.000000"],
        {
            "lat": [52.090312, -89.999999],
            "lon": [5.12, 179.999999],
            "speed": [36.0, 0.0],
            "course": [45.5, None],
            "altitude": [0.1 + 0.2, -0.0],  # no decimal form: float64
            "satellites": [9, 12],
            "valid": [True, False],
            "battery": [None, None],
            "ignition": [True, None],
            "motion": [None, None],
            "alarm": [None, "sos"],
            "protocol": ["gt06", "gt06"],
            "attributes": [None, {"io239": 1}],
        },
    )
    plain = encode_binary_block(fixes)
    kinds = [kind for kind, *_ in _heads(plain)]
    assert kinds == [
        TEXT,
        TEXT,
        SCALED,
        SCALED,
        SCALED,
        SCALED,
        FLOAT,
        INT,
        FLAG,
        NONE,
        FLAG,
        NONE,
        CODED,
        CODED,
        JSON,
    ]
    block = decode_block_arrays(plain, 2)
    assert isinstance(block, BlockArrays)
    lat = block.columns["lat"]
    assert isinstance(lat, NumberColumn) and lat.floats().tolist() == [52.090312, -89.999999]
    course = block.columns["course"]
    assert isinstance(course, NumberColumn) and np.isnan(course.floats()[1])
    valid = block.columns["valid"]
    assert isinstance(valid, FlagColumn) and valid.array().tolist() == [1, 0]
    assert isinstance(block.columns["protocol"], CodedColumn)
    assert isinstance(block.time, TextColumn)
    assert block.time.matrix.tobytes() == "".join(fixes.time).encode()
    assert decode_block(plain, 2) == fixes


def _heads(plain: bytes) -> list[tuple[int, int, int, int, int]]:
    body = plain[len(MAGIC) + 1 :]
    if plain[len(MAGIC)] == DEFLATED:
        body = zlib.decompress(body)
    heads, offset = [], 4
    while offset < len(body):
        head = struct.unpack_from("<BBBBI", body, offset)
        heads.append(head)
        offset += 8 + head[4]
    return heads


def test_both_formats_decode_and_neither_takes_the_other_for_itself() -> None:
    fixes = FixColumns(
        ["2026-03-01T10:00:00.000000"],
        ["2026-03-01T10:00:00.000000"],
        {name: [None] for name in FIELDS} | {"lat": [1.5], "lon": [2.5], "valid": [True]},
    )
    json_block, binary_block = encode_block(fixes), encode_binary_block(fixes)
    assert decode_block(json_block, 1) == decode_block(binary_block, 1) == fixes
    assert isinstance(decode_block_arrays(json_block, 1), FixColumns)
    assert not binary_block.startswith(json_block[:2]) and json_block[0] & 0x0F == 8  # zlib
    with pytest.raises(CiphertextError):
        decode_block(binary_block, 2)
    with pytest.raises(ValueError):
        encode_binary_block(FixColumns([], [], {name: [] for name in FIELDS}))


def test_a_stored_body_reads_like_a_compressed_one(monkeypatch: pytest.MonkeyPatch) -> None:
    fixes = FixColumns(
        ["2026-03-01T10:00:00.000000", "2026-03-01T10:00:01.000000"],
        ["2026-03-01T10:00:00.000000", "2026-03-01T10:00:01.000000"],
        {name: [None, None] for name in FIELDS} | {"lat": [1.5, 1.25], "speed": [3, None]},
    )
    monkeypatch.setattr(position_blocks, "_BINARY_ZLIB_LEVEL", 1)
    compressed = encode_binary_block(fixes)
    monkeypatch.setattr(position_blocks, "_BINARY_ZLIB_LEVEL", None)
    stored = encode_binary_block(fixes)
    assert stored[len(MAGIC)] == STORED and compressed[len(MAGIC)] == DEFLATED
    assert decode_block(stored, 2) == decode_block(compressed, 2) == fixes


def test_numbers_that_are_not_finite_are_refused_as_json_refuses_them() -> None:
    with pytest.raises(ValueError):
        encode_columns([[math.nan]], text_widths=[None], level=None)
    with pytest.raises(ValueError):
        encode_columns([[1.0, math.inf]], text_widths=[None], level=1)
    assert decode_columns(encode_columns([[1.0]], text_widths=[None], level=None), 1, 1)
