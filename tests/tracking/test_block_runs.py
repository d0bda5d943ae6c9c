"""Consecutive position blocks read as one: the same fixes as block by block."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.tracking.block_strategies import fix_columns, same_values

from trackguard.errors import CiphertextError
from trackguard.privacy.export.fix_arrays import FixArrays
from trackguard.tracking.block_arrays import DEFLATED, JSON, MAGIC, STORED, NumberColumn
from trackguard.tracking.position_blocks import (
    FIELDS,
    BlockArrays,
    FixColumns,
    decode_block,
    decode_block_arrays,
    decode_blocks,
    encode_binary_block,
    encode_block,
)


def _listed(parts: list[BlockArrays | FixColumns]) -> FixColumns:
    """The parts' fixes one after the other, as lists."""
    lists = [p if isinstance(p, FixColumns) else p.fix_columns() for p in parts]
    return FixColumns(
        [t for p in lists for t in p.time],
        [r for p in lists for r in p.received],
        {name: [v for p in lists for v in p.columns[name]] for name in FIELDS},
    )


def _same_fixes(found: FixColumns, expected: FixColumns) -> None:
    assert found.time == expected.time and found.received == expected.received
    for name in FIELDS:
        assert same_values(found.columns[name], expected.columns[name]), name


def _hours(count: int, **columns: list[object]) -> list[FixColumns]:
    """`count` blocks of two fixes each, an hour apart, every field None unless given
    (`columns[name]` holds two values per block)."""
    blocks = []
    for hour in range(count):
        times = [f"2026-03-01T{hour:02d}:00:00.000000", f"2026-03-01T{hour:02d}:30:00.000000"]
        values = {name: [None, None] for name in FIELDS}
        for name, given_values in columns.items():
            values[name] = list(given_values[2 * hour : 2 * hour + 2])
        blocks.append(FixColumns(times, times, values))
    return blocks


@settings(deadline=None)  # a shared machine's pauses are no failure
@given(st.lists(fix_columns(), min_size=1, max_size=5), st.data())
def test_blocks_read_as_a_run_hold_what_they_hold_one_by_one(
    blocks: list[FixColumns], data: st.DataObject
) -> None:
    # Some blocks in the JSON format (format 1) among them: a run ends there.
    plains = [
        encode_block(b) if data.draw(st.integers(0, 4)) == 0 else encode_binary_block(b)
        for b in blocks
    ]
    counts = [len(b) for b in blocks]
    joined = decode_blocks(zip(plains, counts, strict=True))
    one_by_one = [decode_block_arrays(p, n) for p, n in zip(plains, counts, strict=True)]
    assert len(joined) <= len(one_by_one)
    _same_fixes(_listed(joined), _listed(one_by_one))
    as_lists = [decode_block(p, n) for p, n in zip(plains, counts, strict=True)]
    _same_fixes(_listed(joined), _listed(as_lists))


def test_hours_stored_alike_or_with_gaps_come_back_as_one_part() -> None:
    # Headings of other integer types, hours without a course, alarms in one hour only,
    # another protocol in one: still one part, the same arrays the export reads.
    blocks = _hours(
        4,
        lat=[52.1, 52.2, 52.3, 52.4, 52.5, 52.6, 52.7, 52.8],
        lon=[5.1] * 8,
        speed=[36.0, 0.0, 12.5, 0.0, 36.0, 36.0, 0.0, 0.0],
        course=[45.0, 90.0, 300.0, 310.0, None, None, 12.0, None],
        satellites=[9, 9, 300, 8, None, None, 7, 7],
        valid=[True] * 8,
        alarm=[None, None, "sos", None, None, None, None, None],
        protocol=["gt06", "gt06", "gt06", "gt06", "h02", "gt06", "gt06", "gt06"],
    )
    plains = [(encode_binary_block(b), len(b)) for b in blocks]
    joined = decode_blocks(plains)
    assert len(joined) == 1 and isinstance(joined[0], BlockArrays)
    one_by_one = [decode_block_arrays(p, n) for p, n in plains]
    _same_fixes(_listed(joined), _listed(one_by_one))
    satellites = joined[0].columns["satellites"]
    assert isinstance(satellites, NumberColumn) and satellites.to_list()[4:6] == [None, None]
    ours, theirs = FixArrays.of_parts(joined), FixArrays.of_parts(one_by_one)
    for name in ("lat", "speed", "course", "satellites"):
        assert np.array_equal(getattr(ours, name), getattr(theirs, name), equal_nan=True)
    assert ours.protocol.values == theirs.protocol.values
    assert np.array_equal(ours.protocol.codes, theirs.protocol.codes)


def test_a_run_ends_where_whole_numbers_turn_into_decimals() -> None:
    # One joined column never mixes ints and floats: 9 stays an int, 9.5 a float.
    blocks = _hours(3, satellites=[9, 10, 9.5, 8.5, 7, None], lat=[52.0] * 6, lon=[5.0] * 6)
    joined = decode_blocks((encode_binary_block(b), len(b)) for b in blocks)
    assert len(joined) == 3
    assert _listed(joined).columns["satellites"] == [9, 10, 9.5, 8.5, 7, None]
    assert [type(v) for v in _listed(joined).columns["satellites"][:4]] == [int, int, float, float]


@settings(deadline=None)
@given(st.lists(fix_columns(), min_size=2, max_size=4), st.data())
def test_a_corrupt_block_in_a_run_is_refused_as_a_ciphertext_error(
    blocks: list[FixColumns], data: st.DataObject
) -> None:
    plains = [encode_binary_block(b) for b in blocks]
    target = data.draw(st.integers(0, len(plains) - 1))
    body = plains[target][len(MAGIC) + 1 :]
    if plains[target][len(MAGIC)] == DEFLATED:
        body = zlib.decompress(body)
    corrupt = bytearray(body)
    for _ in range(data.draw(st.integers(1, 4))):
        corrupt[data.draw(st.integers(0, len(corrupt) - 1))] = data.draw(st.integers(0, 255))
    plains[target] = MAGIC + bytes([STORED]) + bytes(corrupt[: data.draw(st.integers(0, 9999))])
    counts = [len(b) for b in blocks]
    try:
        joined = decode_blocks(zip(plains, counts, strict=True))
    except CiphertextError:
        return
    assert len(_listed(joined).time) == sum(counts)  # still the blocks' fixes, all of them


def _with_head(plain: bytes, column: int, kind: int, dtype: int) -> bytes:
    """`plain` stored (not deflated), column number `column` given another kind and dtype."""
    body = bytearray(plain[len(MAGIC) + 1 :])
    if plain[len(MAGIC)] == DEFLATED:
        body = bytearray(zlib.decompress(body))
    offset = 4
    for _ in range(column):
        offset += 8 + struct.unpack_from("<I", body, offset + 4)[0]
    body[offset], body[offset + 1] = kind, dtype
    return MAGIC + bytes([STORED]) + bytes(body)


@pytest.mark.parametrize(("kind", "dtype"), [(JSON, 5), (9, 0), (9, 1)])
def test_a_column_of_a_kind_no_block_has_is_refused_in_a_run_as_alone(
    kind: int, dtype: int
) -> None:
    blocks = _hours(2, lat=[1.0, 2.0, 3.0, 4.0], attributes=[{"a": 1}, None, None, {"b": [2]}])
    attributes = 2 + FIELDS.index("attributes")
    plains = [encode_binary_block(b) for b in blocks]
    # The first block keeps its JSON column: the run's column is JSON, the second's is not.
    plains[1] = _with_head(plains[1], attributes, kind, dtype)
    with pytest.raises(CiphertextError):
        decode_block_arrays(plains[1], 2)
    with pytest.raises(CiphertextError):
        decode_blocks([(plains[0], 2), (plains[1], 2)])


def test_a_block_that_is_no_block_is_refused() -> None:
    good = _hours(1, lat=[1.0, 2.0])[0]
    with pytest.raises(CiphertextError):
        decode_blocks([(encode_binary_block(good), 2), (MAGIC + b"\x07", 2)])
