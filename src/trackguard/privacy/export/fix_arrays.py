"""Decoded fixes (`position_blocks.FixColumns`, lists) as numpy arrays for the export.

Numbers become float64 with NaN where a fix lacks the value (stored values are
never NaN: payloads and blocks are written with `allow_nan=False`); flags become
small codes; times stay text (`iso_utc_text`, 26 characters) and are also read
into microseconds since the epoch, digit by digit, for trip detection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from trackguard.privacy.export.text_columns import Floats, TextMatrix, fixed_width
from trackguard.tracking.position_blocks import FixColumns, iso_utc_text

ISO_WIDTH = 26  # "2026-03-01T10:00:00.000000"
# Flag codes: index into a table of texts (`positions_out`).
FALSE, TRUE, UNKNOWN = 0, 1, 2
Codes = npt.NDArray[np.intp]
Micros = npt.NDArray[np.int64]

_FLAG_CODE: dict[Any, int] = {False: FALSE, True: TRUE, None: UNKNOWN}


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
    alarm: list[Any]
    protocol: list[Any]
    attributes: list[Any]

    def __len__(self) -> int:
        return len(self.time_us)

    @classmethod
    def of(cls, fixes: FixColumns) -> FixArrays:
        columns = fixes.columns
        time_text = iso_text(fixes.time)
        return cls(
            time_text=time_text,
            received_text=iso_text(fixes.received),
            time_us=iso_micros(time_text),
            lat=floats(columns["lat"]),
            lon=floats(columns["lon"]),
            speed=floats(columns["speed"]),
            course=floats(columns["course"]),
            altitude=floats(columns["altitude"]),
            satellites=floats(columns["satellites"]),
            battery=floats(columns["battery"]),
            valid=flags(columns["valid"]),
            ignition=flags(columns["ignition"]),
            motion=flags(columns["motion"]),
            alarm=columns["alarm"],
            protocol=columns["protocol"],
            attributes=columns["attributes"],
        )

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
