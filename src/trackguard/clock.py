"""Time is passed in, never read deep inside, so tests can move years ahead."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, always timezone-aware UTC."""
    return datetime.now(UTC)


def fixed_clock(at: datetime) -> Clock:
    """A clock stuck at `at` (made UTC-aware if naive)."""
    moment = at if at.tzinfo else at.replace(tzinfo=UTC)
    return lambda: moment


def as_utc(value: datetime) -> datetime:
    """Databases (SQLite) may hand back naive datetimes: they are UTC by convention."""
    tz = value.tzinfo
    if tz is UTC:  # the common case, several times per stored position: skip the conversion
        return value
    return value.replace(tzinfo=UTC) if tz is None else value.astimezone(UTC)
