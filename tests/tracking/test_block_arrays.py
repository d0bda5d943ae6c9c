"""Binary position blocks (format 2): any fixes round-trip, corrupt input is refused."""

from __future__ import annotations

import math
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.tracking.block_strategies import fix_columns, same_values

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
)


@settings(deadline=None)  # a shared machine's pauses are no failure
@given(fix_columns())
def test_any_fixes_decode_to_what_was_encoded(fixes: FixColumns) -> None:
    decoded = decode_block(encode_binary_block(fixes), len(fixes))
    assert decoded.time == fixes.time and decoded.received == fixes.received
    for name in FIELDS:
        assert same_values(decoded.columns[name], fixes.columns[name]), name
    # The JSON format holds them alike (apart from -0.0 versus 0.0, which JSON keeps too).
    assert decode_block(encode_block(fixes), len(fixes)) == decoded


@settings(deadline=None)
@given(fix_columns(), st.data())
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
