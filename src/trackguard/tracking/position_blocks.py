"""Position blocks: the fixes of one device and hour, in one ciphertext.

The gateways store each fix as its own row (`positions.fixes` NULL): a device is
acknowledged per report, so that is what one batch has. Reading a day back that
way costs an AES-GCM opening and a JSON decoding per fix, so the compactor
(`tracking.compaction`) folds the single rows of every hour that has passed into
one block row: `fixes` = how many (one or more), `fix_time` = the first fix's time, the payload
the AES-GCM ciphertext of the block encoded here. A block never spans two hours,
so it lies in one month partition and every age rule on `fix_time` removes it at
most an hour early, never late.

Block encoding (pure, no I/O), two formats, both read:

* format 1 (`encode_block`): zlib-compressed JSON with one array per field
  (columns), the arrays in fix time order; the gateways still write it.

      {"v": 1, "t": [...], "r": [...], "lat": [...], "lon": [...], ...}

* format 2 (`encode_binary_block`, what compaction writes): the same columns,
  numbers and flags as binary arrays, text as JSON (`tracking.block_arrays`);
  `decode_blocks` hands their arrays to readers that want them (the export),
  consecutive blocks whose columns hold the same kinds of values joined into one
  part (`tracking.block_runs`); `decode_block_arrays` does so for one block, and
  `decode_block` gives lists either way.

`t` (fix time) and `r` (received) are ISO 8601 UTC text with microseconds and no
offset, the form every reader slices its own formats from; the other keys are
the single payload's fields (`positions.encode_position_payload`), null where a
fix lacks one. Columns decode several times faster than one object per fix and
compress well (a fix is repeated structure).
"""

from __future__ import annotations

import json
import operator
import zlib
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import orjson

from trackguard.errors import CiphertextError
from trackguard.tracking.block_arrays import (
    Column,
    ListColumn,
    TextColumn,
    decode_columns,
    encode_columns,
    is_array_block,
    raw_columns,
)
from trackguard.tracking.block_runs import BlockRun

BLOCK_FORMAT = 1  # the JSON format's "v"; binary blocks are told apart by their magic
BLOCK_SPAN = timedelta(hours=1)
# Every field of a single payload, in the order rows are handed out.
FIELDS = (
    "lat",
    "lon",
    "speed",
    "course",
    "altitude",
    "satellites",
    "valid",
    "battery",
    "ignition",
    "motion",
    "alarm",
    "protocol",
    "attributes",
)
_ZLIB_LEVEL = 6
# Format 2's body is deflated at ISA-L level 1 (None would store it as it is).
# Measured (bench/blocks.py, a day of 8,640 fixes): stored, a fix takes ~73 bytes
# (the times' text is most of it) against ~9 deflated, 7x the disk for every
# compacted hour, for a decoding about a quarter faster. Positions are the bulk of
# the database, so the disk wins.
_BINARY_ZLIB_LEVEL: int | None = 1
TIME_WIDTH = 26  # len(iso_utc_text(...))
_encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
# orjson reads JSON several times faster than the standard library (it is the cost
# of a day's history); integers beyond 64 bits come back as floats, which no
# tracker attribute reaches.
_decode = orjson.loads


def hour_of(moment: datetime) -> datetime:
    """The start of the UTC hour holding `moment` (naive times are taken as UTC)."""
    utc = moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)
    return utc.replace(minute=0, second=0, microsecond=0, tzinfo=UTC)


def iso_utc_text(moment: datetime) -> str:
    """`2026-03-01T10:00:00.000000`: the time text blocks store (UTC, no offset)."""
    utc = moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class FixColumns:
    """The fixes of one block (or of several, concatenated), column by column."""

    time: list[str]
    received: list[str]
    columns: dict[str, list[Any]]

    def __len__(self) -> int:
        return len(self.time)

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """(time, received, lat, lon, ... attributes) per fix, in `FIELDS` order."""
        return zip(self.time, self.received, *(self.columns[f] for f in FIELDS), strict=True)

    def in_time_order(self) -> FixColumns:
        """Sorted by time with one fix per time. Rows come ordered by their first fix, so
        only a late single inside a block's hour (or a resent copy) needs the sort."""
        times = self.time
        if all(map(operator.lt, times, islice(times, 1, None))):  # in C: no frame per pair
            return self
        order = sorted(range(len(times)), key=times.__getitem__)
        keep = [i for n, i in enumerate(order) if n == 0 or times[order[n - 1]] != times[i]]
        return FixColumns(
            [times[i] for i in keep],
            [self.received[i] for i in keep],
            {name: [column[i] for i in keep] for name, column in self.columns.items()},
        )

    def between(self, start: str | None, end: str | None) -> FixColumns:
        """The fixes with `start <= time < end` (times as `iso_utc_text`; sorted columns)."""
        low = 0 if start is None else bisect_left(self.time, start)
        high = len(self.time) if end is None else bisect_left(self.time, end)
        if low == 0 and high == len(self.time):
            return self
        return FixColumns(
            self.time[low:high],
            self.received[low:high],
            {name: column[low:high] for name, column in self.columns.items()},
        )

    def values(self, index: int) -> dict[str, Any]:
        """The single-payload fields of one fix (absent optional ones left out)."""
        found = {f: self.columns[f][index] for f in FIELDS}
        for optional in ("ignition", "motion", "alarm", "protocol", "attributes"):
            if found[optional] is None:
                del found[optional]
        return found


def encode_block(fixes: FixColumns) -> bytes:
    """The plaintext of a block of `fixes` (already `in_time_order`)."""
    if not len(fixes):
        raise ValueError("a block holds at least one fix")
    document: dict[str, Any] = {"v": BLOCK_FORMAT, "t": fixes.time, "r": fixes.received}
    document.update(fixes.columns)
    return zlib.compress(_encode(document).encode(), _ZLIB_LEVEL)


def encode_binary_block(fixes: FixColumns) -> bytes:
    """The plaintext of a format 2 block of `fixes` (already `in_time_order`)."""
    if not len(fixes):
        raise ValueError("a block holds at least one fix")
    return encode_columns(
        [fixes.time, fixes.received, *(fixes.columns[name] for name in FIELDS)],
        text_widths=[TIME_WIDTH, TIME_WIDTH, *(None for _ in FIELDS)],
        level=_BINARY_ZLIB_LEVEL,
    )


@dataclass(frozen=True, slots=True)
class BlockArrays:
    """A format 2 block's fixes, column by column, as decoded (arrays where stored so)."""

    time: TextColumn | ListColumn
    received: TextColumn | ListColumn
    columns: dict[str, Column]

    def __len__(self) -> int:
        return _count(self.time)

    def fix_columns(self) -> FixColumns:
        return FixColumns(
            self.time.to_list(),
            self.received.to_list(),
            {name: column.to_list() for name, column in self.columns.items()},
        )


def _count(column: TextColumn | ListColumn) -> int:
    return len(column.matrix) if isinstance(column, TextColumn) else len(column.values)


def decode_block_arrays(plain: bytes, expected_fixes: int) -> BlockArrays | FixColumns:
    """A block's plaintext as arrays (format 2) or lists (format 1); CiphertextError when
    it is not a block of that size."""
    if is_array_block(plain):
        return _binary_block(plain, expected_fixes)
    return decode_block(plain, expected_fixes)


def decode_blocks(blocks: Iterable[tuple[bytes, int]]) -> list[BlockArrays | FixColumns]:
    """Blocks' plaintexts (each with its fix count) in row order, decoded as
    `decode_block_arrays` decodes them, except that consecutive format 2 blocks whose
    columns hold the same kinds of values come back joined, as one part (`block_runs`)."""
    parts: list[BlockArrays | FixColumns] = []
    run = BlockRun()
    for plain, fixes in blocks:
        if not is_array_block(plain):
            run = _end_run(run, parts)
            parts.append(decode_block(plain, fixes))
            continue
        block = raw_columns(plain, fixes, 2 + len(FIELDS))
        if not run.takes(block):
            run = _end_run(run, parts)
        run.add(block)
    _end_run(run, parts)
    return parts


def _end_run(run: BlockRun, parts: list[BlockArrays | FixColumns]) -> BlockRun:
    """Hands the run's blocks on as one part; a new run to gather the next."""
    if len(run):
        parts.append(_arrays_block(run.columns()))
    return BlockRun()


def _binary_block(plain: bytes, expected_fixes: int) -> BlockArrays:
    return _arrays_block(decode_columns(plain, expected_fixes, 2 + len(FIELDS)))


def _arrays_block(decoded: list[Column]) -> BlockArrays:
    time, received, *columns = decoded
    if not isinstance(time, TextColumn | ListColumn) or not isinstance(
        received, TextColumn | ListColumn
    ):
        raise CiphertextError("a position block's times are not text")
    return BlockArrays(time, received, dict(zip(FIELDS, columns, strict=True)))


def decode_block(plain: bytes, expected_fixes: int) -> FixColumns:
    """The columns of a block's plaintext; CiphertextError when it is not a block of that size."""
    if is_array_block(plain):
        return _binary_block(plain, expected_fixes).fix_columns()
    try:
        document = _decode(zlib.decompress(plain))
    except (zlib.error, ValueError) as exc:
        raise CiphertextError("a position block does not decode") from exc
    if not isinstance(document, dict) or document.get("v") != BLOCK_FORMAT:
        raise CiphertextError("a position block has an unknown format")
    times, received = document.get("t"), document.get("r")
    columns = {name: document.get(name) for name in FIELDS}
    lengths = {len(c) if isinstance(c, list) else -1 for c in (times, received, *columns.values())}
    if lengths != {expected_fixes}:
        raise CiphertextError("a position block's columns do not match its fix count")
    assert isinstance(times, list) and isinstance(received, list)
    return FixColumns(times, received, columns)  # type: ignore[arg-type]


def concat_columns(parts: Sequence[FixColumns]) -> FixColumns:
    """Several rows' fixes as one, in the order given (`in_time_order` sorts them)."""
    if len(parts) == 1:
        return parts[0]
    times: list[str] = []
    received: list[str] = []
    columns: dict[str, list[Any]] = {name: [] for name in FIELDS}
    for part in parts:
        times += part.time
        received += part.received
        for name in FIELDS:
            columns[name] += part.columns[name]
    return FixColumns(times, received, columns)
