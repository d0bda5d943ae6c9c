"""ISO 8601 periods (`P14D`, `P3M`, `P10Y`, `P4W`) with calendar arithmetic.

Retention and deadlines count in calendar units: ten years after 29 February is
28 February, a month after 31 January is the last day of February. Only positive
periods exist here: a zero or negative retention is a promise nobody can keep.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_PATTERN = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
UNITS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")


@dataclass(frozen=True)
class Period:
    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse an ISO 8601 duration; raise ValueError unless it is positive."""
        match = _PATTERN.match(text.strip()) if isinstance(text, str) else None
        if match is None or text.strip() in ("P", "PT") or text.strip().endswith("T"):
            raise ValueError(f"'{text}' is not an ISO 8601 period such as P14D, P3M or P10Y")
        period = cls(**{unit: int(value or 0) for unit, value in match.groupdict().items()})
        if not any(getattr(period, unit) for unit in UNITS):
            raise ValueError(f"period '{text}' is zero: a retention must last some time")
        return period

    @property
    def iso(self) -> str:
        date = "".join(
            f"{getattr(self, u)}{s}"
            for u, s in (("years", "Y"), ("months", "M"), ("weeks", "W"), ("days", "D"))
            if getattr(self, u)
        )
        time = "".join(
            f"{getattr(self, u)}{s}"
            for u, s in (("hours", "H"), ("minutes", "M"), ("seconds", "S"))
            if getattr(self, u)
        )
        return "P" + date + (f"T{time}" if time else "")

    def parts(self) -> list[tuple[str, int]]:
        """The non-zero units, largest first: [("years", 10)]."""
        return [(u, getattr(self, u)) for u in UNITS if getattr(self, u)]

    def after(self, moment: datetime) -> datetime:
        """`moment` plus this period."""
        return _shift(moment, self, +1)

    def before(self, moment: datetime) -> datetime:
        """`moment` minus this period: the cut-off for "older than this period"."""
        return _shift(moment, self, -1)

    def approx_days(self) -> float:
        """For ordering and display only; arithmetic uses `after`/`before`."""
        return (
            self.years * 365.25
            + self.months * 30.44
            + self.weeks * 7
            + self.days
            + (self.hours * 3600 + self.minutes * 60 + self.seconds) / 86400
        )

    def __str__(self) -> str:
        return self.iso


def _shift(moment: datetime, period: Period, sign: int) -> datetime:
    month_index = moment.year * 12 + moment.month - 1 + sign * (period.years * 12 + period.months)
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    shifted = moment.replace(year=year, month=month + 1, day=day)
    return shifted + sign * timedelta(
        weeks=period.weeks,
        days=period.days,
        hours=period.hours,
        minutes=period.minutes,
        seconds=period.seconds,
    )
