"""What the portal's pages show, from plain values (pure: no database, no HTTP).

Times are shown in the portal's zone (the Netherlands, where the service is
offered); days for history and trips are that zone's calendar days.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from trackguard.clock import as_utc
from trackguard.tracking.geo import haversine_m
from trackguard.tracking.geofence import Area, CircleArea
from trackguard.tracking.stored_fixes import fixes_of as fixes_of  # device_routes' name
from trackguard.tracking.trips import (
    Fix,
    Summary,
    Trip,
    day_periods,
    detect,
    summarize,
    usable_fixes,
)

PORTAL_ZONE = ZoneInfo("Europe/Amsterdam")
MAX_TRIP_DAYS = 31


# -- formatting -------------------------------------------------------------------------------


def local(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(PORTAL_ZONE)


def today(now: datetime) -> date:
    return local(now).date()


def show_time(moment: datetime | None, lang: str, *, seconds: bool = False) -> str:
    if moment is None:
        return ""
    pattern = "%d-%m-%Y %H:%M" if lang == "nl" else "%Y-%m-%d %H:%M"
    return local(moment).strftime(pattern + (":%S" if seconds else ""))


def show_clock(moment: datetime) -> str:
    return local(moment).strftime("%H:%M:%S")


def show_number(value: float, places: int, lang: str) -> str:
    text = f"{value:,.{places}f}"
    if lang == "nl":  # 1.234,5 in Dutch
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def show_place(lat: float, lon: float) -> str:
    """Coordinates as maps and GPS apps write them (decimal points in every language)."""
    return f"{lat:.5f}, {lon:.5f}"


def show_duration(span: timedelta, lang: str) -> str:
    minutes = round(span.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    hour = "u" if lang == "nl" else "h"
    return f"{hours} {hour} {minutes:02d} min" if hours else f"{minutes} min"


def describe_area(area: Area) -> dict[str, str | int]:
    """The values a geofence's description needs (the words are the template's)."""
    if isinstance(area, CircleArea):
        return {
            "kind": "circle",
            "lat": f"{area.lat:.5f}",
            "lon": f"{area.lon:.5f}",
            "radius": f"{area.radius_m:.0f}",
        }
    return {"kind": "polygon", "corners": len(area.points)}


# -- positions and tracks ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrackPoint:
    time: datetime
    lat: float
    lon: float
    speed_kmh: float
    step_m: float  # from the previous point
    covered_m: float  # from the first point of the track


def track(fixes: Sequence[Fix]) -> list[TrackPoint]:
    """The usable fixes in time order, with the distance step by step."""
    points: list[TrackPoint] = []
    covered = 0.0
    previous: Fix | None = None
    for fix in usable_fixes(fixes):
        step = (
            0.0 if previous is None else haversine_m(previous.lat, previous.lon, fix.lat, fix.lon)
        )
        covered += step
        points.append(TrackPoint(fix.time, fix.lat, fix.lon, fix.speed_kmh, step, covered))
        previous = fix
    return points


def map_points(points: Sequence[TrackPoint]) -> str:
    """JSON for the map script: [[lat, lon, km/h, ISO time], ...] (rounded to ~1 m)."""
    return json.dumps(
        [
            [round(p.lat, 6), round(p.lon, 6), round(p.speed_kmh, 1), as_utc(p.time).isoformat()]
            for p in points
        ],
        separators=(",", ":"),
    )


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) as UTC."""
    return next(day_periods(day, day, PORTAL_ZONE))


def range_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return day_bounds(first)[0], day_bounds(last)[1]


def day_summary(fixes: Sequence[Fix], day: date) -> Summary:
    start, end = day_bounds(day)
    return summarize(fixes, start, end)


def trips_of(fixes: Sequence[Fix]) -> list[Trip]:
    return list(detect(fixes).trips)


def parse_day(text: str | None, default: date) -> date | None:
    """A `YYYY-MM-DD` from a form; the default when empty; None when it is not a date."""
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
