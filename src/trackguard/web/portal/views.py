"""What the portal's pages show, from plain values (pure: no database, no HTTP).

Times are shown in the portal's zone (`Settings.portal_timezone`: by default the
Netherlands, where the service is offered); days for history and trips are that
zone's calendar days. Each function takes the zone; its default is the setting's
default, for callers without settings at hand.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from trackguard.clock import as_utc
from trackguard.settings import Settings
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

DEFAULT_ZONE: tzinfo = Settings.model_fields["portal_timezone"].default
MAX_TRIP_DAYS = 31


# -- formatting -------------------------------------------------------------------------------


def local(moment: datetime, zone: tzinfo = DEFAULT_ZONE) -> datetime:
    return as_utc(moment).astimezone(zone)


def today(now: datetime, zone: tzinfo = DEFAULT_ZONE) -> date:
    return local(now, zone).date()


def show_time(
    moment: datetime | None, lang: str, *, seconds: bool = False, zone: tzinfo = DEFAULT_ZONE
) -> str:
    if moment is None:
        return ""
    pattern = "%d-%m-%Y %H:%M" if lang == "nl" else "%Y-%m-%d %H:%M"
    return local(moment, zone).strftime(pattern + (":%S" if seconds else ""))


def show_clock(moment: datetime, zone: tzinfo = DEFAULT_ZONE) -> str:
    return local(moment, zone).strftime("%H:%M:%S")


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


def day_bounds(day: date, zone: tzinfo = DEFAULT_ZONE) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) as UTC."""
    return next(day_periods(day, day, zone))


def range_bounds(first: date, last: date, zone: tzinfo = DEFAULT_ZONE) -> tuple[datetime, datetime]:
    return day_bounds(first, zone)[0], day_bounds(last, zone)[1]


def day_summary(fixes: Sequence[Fix], day: date, zone: tzinfo = DEFAULT_ZONE) -> Summary:
    start, end = day_bounds(day, zone)
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
