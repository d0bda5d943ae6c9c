"""Decoded fixes as numpy arrays for the export.

A batch arrives in parts: binary blocks (`position_blocks.BlockArrays`), whose
arrays are taken as they are, and JSON blocks or single rows (`FixColumns`,
lists), converted here. Numbers become float64 with NaN where a fix lacks the
value (stored values are never NaN: payloads and blocks refuse it); flags become
small codes; text columns become distinct values and a code per fix; times stay
text (`iso_utc_text`, 26 characters) and are also read into microseconds since
the epoch, digit by digit, for trip detection and ordering. The parts are joined
column by column, then sorted by time with one fix per time, as
`FixColumns.in_time_order` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from trackguard.privacy.export.text_columns import Floats, TextMatrix, fixed_width
from trackguard.tracking.block_arrays import (
    FALSE_CODE,
    NONE_CODE,
    TRUE_CODE,
    CodedColumn,
    Column,
    FlagColumn,
    NoneColumn,
    NumberColumn,
    TextColumn,
)
from trackguard.tracking.block_runs import joined_codes
from trackguard.tracking.position_blocks import BlockArrays, FixColumns, iso_utc_text

ISO_WIDTH = 26  # "2026-03-01T10:00:00.000000"
# Flag codes: index into a table of texts (`positions_out`).
FALSE, TRUE, UNKNOWN = FALSE_CODE, TRUE_CODE, NONE_CODE  # as binary blocks store them
Codes = npt.NDArray[np.intp]
Micros = npt.NDArray[np.int64]
Part = BlockArrays | FixColumns

_FLAG_CODE: dict[Any, int] = {False: FALSE, True: TRUE, None: UNKNOWN}
_NUMBERS = ("lat", "lon", "speed", "course", "altitude", "satellites", "battery")
_FLAGS = ("valid", "ignition", "motion")
_TEXTS = ("alarm", "protocol", "attributes")


@dataclass(frozen=True)
class Coded:
    """A column of few distinct values: `values[codes[i]]` is fix i's."""

    values: list[Any]
    codes: Codes

    def __len__(self) -> int:
        return len(self.codes)

    @classmethod
    def of(cls, values: Sequence[Any]) -> Coded:
        try:
            distinct = list(dict.fromkeys(values))
        except TypeError:  # unhashable (attributes): every value its own
            return cls(list(values), np.arange(len(values), dtype=np.intp))
        index = {value: n for n, value in enumerate(distinct)}
        return cls(distinct, np.fromiter(map(index.__getitem__, values), np.intp, len(values)))

    @classmethod
    def joined(cls, parts: Sequence[Coded]) -> Coded:
        """The parts one after the other; equal values (of one type) share a code."""
        if len(parts) == 1:
            return parts[0]
        return cls(*joined_codes([(part.values, part.codes) for part in parts]))

    def take(self, keep: npt.NDArray[np.intp]) -> Coded:
        return Coded(self.values, self.codes[keep])


@dataclass(frozen=True)
class FixArrays:
    """One device's fixes, in time order, column by column."""

    time_text: TextMatrix  # (n, 26) ISO 8601 UTC, no offset
    received_text: TextMatrix
    time_us: Micros
    lat: Floats
    lon: Floats
    speed: Floats
    course: Floats
    altitude: Floats
    satellites: Floats
    battery: Floats
    valid: Codes
    ignition: Codes
    motion: Codes
    alarm: Coded
    protocol: Coded
    attributes: Coded

    def __len__(self) -> int:
        return len(self.time_us)

    @classmethod
    def of(cls, fixes: FixColumns) -> FixArrays:
        return cls.of_parts([fixes])

    @classmethod
    def of_parts(cls, parts: Sequence[Part]) -> FixArrays:
        """The fixes of `parts` (one device's rows) in time order, one fix per time."""
        time_text = _joined([_times(p, received=False) for p in parts])
        arrays: dict[str, Any] = {}
        for name in _NUMBERS:
            arrays[name] = _joined([_floats_of(p.columns[name]) for p in parts])
        for name in _FLAGS:
            arrays[name] = _joined([_flags_of(p.columns[name]) for p in parts])
        for name in _TEXTS:
            arrays[name] = Coded.joined([_coded_of(p.columns[name]) for p in parts])
        found = cls(
            time_text=time_text,
            received_text=_joined([_times(p, received=True) for p in parts]),
            time_us=iso_micros(time_text),
            **arrays,
        )
        return found.in_time_order()

    def in_time_order(self) -> FixArrays:
        """Sorted by time (stable) with the first of equal times kept: a late single inside
        a block's hour, or a copy resent after a lost ack."""
        times = self.time_us
        if bool(np.all(times[1:] > times[:-1])):
            return self
        order = np.argsort(times, kind="stable")
        ordered = times[order]
        keep = order[np.concatenate([[True], ordered[1:] != ordered[:-1]])]
        kept: dict[str, Any] = {}
        for name in (f.name for f in fields(self)):
            value = getattr(self, name)
            kept[name] = value.take(keep) if isinstance(value, Coded) else value[keep]
        return replace(self, **kept)

    def usable(self) -> npt.NDArray[np.bool_]:
        """`trips.usable_fixes`' rule: valid, real coordinates (not 0/0), a speed."""
        lat, lon = self.lat, self.lon
        with np.errstate(invalid="ignore"):
            inside = (np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0)  # False for NaN
        return (self.valid == TRUE) & inside & ~((lat == 0) & (lon == 0)) & ~np.isnan(self.speed)


def floats(values: Sequence[Any]) -> Floats:
    """Numbers (None as NaN) as float64."""
    try:
        # Asking `None in values` first costs as much as the conversion: a float never
        # equals None, but each says so only after a rich comparison.
        return np.fromiter(values, np.float64, len(values))
    except TypeError:  # a None among them
        return np.array(values, dtype=np.float64)  # None becomes NaN


def flags(values: Sequence[bool | None]) -> Codes:
    """True / False / None as TRUE / FALSE / UNKNOWN."""
    count = len(values)
    seen = set(values)  # hashing: cheaper than comparing each value with None
    if seen == {None}:
        return np.full(count, UNKNOWN, np.intp)
    if None not in seen:
        return np.fromiter(values, np.bool_, count).astype(np.intp)
    return np.fromiter(map(_FLAG_CODE.__getitem__, values), np.intp, count)


def iso_text(times: Sequence[str]) -> TextMatrix:
    """`iso_utc_text` times as a (n, 26) matrix; odd forms are normalised first."""
    text = fixed_width(times, ISO_WIDTH)
    if text is None:
        text = fixed_width([iso_utc_text(datetime.fromisoformat(t)) for t in times], ISO_WIDTH)
        assert text is not None
    return text


def iso_micros(text: TextMatrix) -> Micros:
    """Microseconds since 1970-01-01 of (n, 26) ISO 8601 UTC times (proleptic Gregorian)."""

    def number(start: int, stop: int) -> Micros:
        value = text[:, start].astype(np.int64) - ord("0")
        for column in range(start + 1, stop):
            value = value * 10 + text[:, column] - ord("0")
        return value

    year, month, day = number(0, 4), number(5, 7), number(8, 10)
    # Days from the civil date (H. Hinnant's algorithm), vectorised.
    year = year - (month <= 2)
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * 146_097 + day_of_era - 719_468
    seconds = ((days * 24 + number(11, 13)) * 60 + number(14, 16)) * 60 + number(17, 19)
    return seconds * 1_000_000 + number(20, 26)


def _joined(arrays: list[Any]) -> Any:
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def _times(part: Part, *, received: bool) -> TextMatrix:
    if isinstance(part, FixColumns):
        return iso_text(part.received if received else part.time)
    column = part.received if received else part.time
    if isinstance(column, TextColumn) and column.width == ISO_WIDTH:
        return column.matrix
    return iso_text(column.to_list())


def _floats_of(column: Column | list[Any]) -> Floats:
    if isinstance(column, NumberColumn):
        return column.floats()
    if isinstance(column, NoneColumn):
        return np.full(column.count, np.nan)
    return floats(column if isinstance(column, list) else column.to_list())


def _flags_of(column: Column | list[Any]) -> Codes:
    if isinstance(column, FlagColumn):
        return column.array()
    if isinstance(column, NoneColumn):
        return np.full(column.count, UNKNOWN, np.intp)
    return flags(column if isinstance(column, list) else column.to_list())


def _coded_of(column: Column | list[Any]) -> Coded:
    if isinstance(column, CodedColumn):
        return Coded(column.distinct, column.codes)
    if isinstance(column, NoneColumn):
        return Coded([None], np.zeros(column.count, np.intp))
    return Coded.of(column if isinstance(column, list) else column.to_list())
