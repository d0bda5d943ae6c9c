"""Consecutive format 2 position blocks read as one (pure, no I/O).

A reader of many hours (the export takes a few dozen hourly blocks at a time)
pays per column and per block for turning stored bytes into arrays: a dozen
small numpy calls per block cost more than its values. A `BlockRun` gathers
blocks whose columns hold the same kind of values and reads each column once:

* stored alike (same kind, integer type and scale, or text of one width): the
  blocks' bytes are joined and read as one column;
* otherwise each block's column is read and the values joined: whole numbers
  of any integer type as int64, decimals (scaled or float) as float64, flags,
  coded text and JSON as values; a column that is all None in a block (NONE)
  joins any of these as missing values.

A run ends where a column changes between whole numbers and decimals, or between
text widths: one joined column never mixes Python types that its blocks would
not (an int stays an int). Each block's sizes were checked when it was split
(`block_arrays.raw_columns`), and every value check `read_column` makes is made
on the joined bytes or per block, so corrupt input raises CiphertextError as it
would block by block.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from trackguard.errors import CiphertextError
from trackguard.tracking.block_arrays import (
    CODED,
    FLAG,
    FLOAT,
    INT,
    JSON,
    NONE,
    NONE_CODE,
    SCALED,
    TEXT,
    CodedColumn,
    Column,
    FlagColumn,
    ListColumn,
    NoneColumn,
    NumberColumn,
    RawColumn,
    coded_parts,
    coded_split,
    json_values,
    read_column,
    refused_as_ciphertext,
)

Block = Sequence[RawColumn]  # one block's columns, as `raw_columns` splits them
Family = tuple[int, ...]

_ANY: Family = ()  # a column that has been NONE in every block so far
_WHOLE, _DECIMAL = (INT,), (FLOAT,)


class BlockRun:
    """`run.takes(block)`, then `run.add(block)`; `run.columns()` reads them all."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._families: tuple[Family, ...] = ()

    def __len__(self) -> int:
        return len(self.blocks)

    def takes(self, block: Block) -> bool:
        """Whether `block`'s columns can join the run's without mixing kinds of values."""
        families = tuple(map(_family, block))
        if not self.blocks or families == self._families:
            return True
        return len(families) == len(self._families) and all(
            _compatible(a, b) for a, b in zip(families, self._families, strict=True)
        )

    def add(self, block: Block) -> None:
        families = tuple(map(_family, block))
        if self.blocks and families != self._families:
            families = tuple(
                family if family != _ANY else ours
                for family, ours in zip(families, self._families, strict=True)
            )
        self._families = families
        self.blocks.append(block)

    def columns(self) -> list[Column]:
        """Each column over the run's blocks, each block's fixes after the previous'."""
        if len(self.blocks) == 1:
            return [read_column(raw) for raw in self.blocks[0]]
        with refused_as_ciphertext():
            return [
                _joined([block[n] for block in self.blocks], family)
                for n, family in enumerate(self._families)
            ]


def _family(raw: RawColumn) -> Family:
    """What kind of values a column holds, as far as joining goes."""
    if raw.kind == NONE:
        return _ANY
    if raw.kind == INT:
        return _WHOLE
    if raw.kind in (SCALED, FLOAT):
        return _DECIMAL
    if raw.kind == TEXT:
        return TEXT, raw.scale  # the width
    return (raw.kind,)


def _compatible(a: Family, b: Family) -> bool:
    """Text (times) has no missing values: a NONE column joins anything else."""
    if _ANY in (a, b):
        return (a or b)[:1] != (TEXT,)
    return a == b


def _joined(raws: list[RawColumn], family: Family) -> Column:
    first = raws[0]
    count = sum(raw.fixes for raw in raws)
    alike = all((r.kind, r.dtype, r.scale) == (first.kind, first.dtype, first.scale) for r in raws)
    if family[:1] == (TEXT,) or (alike and first.kind not in (CODED, JSON, NONE)):
        # The bytes, joined and read once (text of one width is stored alike).
        mask = None
        if any(raw.mask is not None for raw in raws):
            mask = b"".join(bytes(r.fixes) if r.mask is None else r.mask for r in raws)
        data = b"".join(raw.data for raw in raws)
        return read_column(RawColumn(first.kind, first.dtype, first.scale, mask, data, count))
    for raw in raws:
        if raw.kind == NONE and raw.data:
            read_column(raw)  # refuses a NONE column that holds bytes
    if family == _ANY:
        return NoneColumn(count)
    if alike and first.kind == CODED:
        joined = _joined_same_codes(raws, count)
        if joined is not None:
            return joined
    if family in (_WHOLE, _DECIMAL):
        return _joined_numbers(raws, np.int64 if family == _WHOLE else np.float64)
    if family == (FLAG,):
        return FlagColumn(b"".join(_flag_codes(raw) for raw in raws))
    if family == (CODED,):
        return _joined_codes(raws)
    if family == (JSON,):
        values: list[Any] = []
        for raw in raws:
            values += [None] * raw.fixes if raw.kind == NONE else json_values(raw)
        return ListColumn(values)
    for raw in raws:
        read_column(raw)  # a kind no block holds: refused as it would be alone
    raise CiphertextError("a position block has a column of an unknown kind")


def _joined_same_codes(raws: list[RawColumn], count: int) -> Column | None:
    """Coded text whose blocks list the same distinct values (in the same JSON): the codes
    joined and read once; None when the lists differ."""
    starts = [coded_split(raw) for raw in raws]
    listed = raws[0].data[: starts[0]]
    if any(raw.data[:start] != listed for raw, start in zip(raws, starts, strict=True)):
        return None
    codes = b"".join(raw.data[start:] for raw, start in zip(raws, starts, strict=True))
    data = bytes(listed) + codes
    return read_column(RawColumn(CODED, raws[0].dtype, raws[0].scale, None, data, count))


def _joined_numbers(raws: list[RawColumn], dtype: type[np.generic]) -> NumberColumn:
    values, missing = [], []
    for raw in raws:
        if raw.kind == NONE:
            values.append(np.zeros(raw.fixes, dtype))
            missing.append(np.ones(raw.fixes, np.bool_))
            continue
        column = read_column(raw)
        assert isinstance(column, NumberColumn)  # INT, SCALED and FLOAT read as numbers
        values.append(column.values.astype(dtype))
        missing.append(np.zeros(raw.fixes, np.bool_) if column.missing is None else column.missing)
    joined_missing = np.concatenate(missing)
    return NumberColumn(np.concatenate(values), joined_missing if joined_missing.any() else None)


def _flag_codes(raw: RawColumn) -> bytes:
    if raw.kind == NONE:
        return bytes([NONE_CODE]) * raw.fixes
    column = read_column(raw)
    assert isinstance(column, FlagColumn)
    return column.codes


def _joined_codes(raws: list[RawColumn]) -> CodedColumn:
    """Coded text over blocks: one list of distinct values, the codes mapped into it."""
    parts = [
        ([None], np.zeros(raw.fixes, np.intp)) if raw.kind == NONE else coded_parts(raw)
        for raw in raws
    ]
    return CodedColumn(*joined_codes(parts))


def joined_codes(
    parts: Sequence[tuple[list[Any], npt.NDArray[Any]]],
) -> tuple[list[Any], npt.NDArray[np.intp]]:
    """Columns of (distinct values, a code per fix) one after the other, as one: equal
    values (of one type) share a code; an unhashable value keeps a code of its own."""
    distinct = parts[0][0]
    if all(_same_values(values, distinct) for values, _ in parts):  # one protocol throughout
        return distinct, np.concatenate([c for _, c in parts]).astype(np.intp)
    index: dict[tuple[type, Any], int] = {}
    listed: list[Any] = []
    mapped = []
    for values, codes in parts:
        remap = np.empty(len(values), np.intp)
        for n, value in enumerate(values):
            try:
                code = index.setdefault((type(value), value), len(listed))
            except TypeError:
                code = len(listed)
            if code == len(listed):
                listed.append(value)
            remap[n] = code
        mapped.append(remap[codes])
    return listed, np.concatenate(mapped)


def _same_values(a: list[Any], b: list[Any]) -> bool:
    """Equal lists, value by value of one type (1 is not True)."""
    return len(a) == len(b) and all(
        type(x) is type(y) and x == y for x, y in zip(a, b, strict=True)
    )
