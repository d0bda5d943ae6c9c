"""Trips, stops and summaries from a device's fixes (pure; Traccar-like rules).

Input is one device's fixes in time order. Invalid fixes are ignored. A fix is
*moving* when its speed exceeds `speed_threshold_kmh` (or, with `use_ignition`,
when the ignition is on). Moving runs separated by less than `min_stop_duration`
of standing still merge into one candidate trip; a silence longer than `max_gap`
ends a trip at the last fix before it (trackers sleep when parked). A candidate
is a trip when it covers `min_trip_distance_m` or lasts `min_trip_duration`
(either, as in Traccar); otherwise its time counts as standing still.

* A trip runs from its first moving fix to the first fix standing still after its
  last moving fix (the arrival), or that last moving fix when none follows within
  `max_gap`. Its distance is the path length over its fixes.
* A stop is the time between two trips, or before the first / after the last,
  lasting at least `min_stop_duration`; it is placed where the trip before it
  ended (or the first fix, for a stop that opens the sequence).

Trips and stops never overlap and lie within the first and last fix. Times are
UTC, distances metres, speeds km/h; `to_traccar` gives Traccar's report fields
(durations in ms, speeds in knots).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import Any

from trackguard.clock import as_utc
from trackguard.protocols.base import PositionReport
from trackguard.tracking.geo import haversine_m, kmh_to_knots, valid_coordinates


@dataclass(frozen=True, slots=True)
class Fix:
    """One position as trip detection needs it."""

    time: datetime
    lat: float
    lon: float
    speed_kmh: float = 0.0
    valid: bool = True
    ignition: bool | None = None
    motion: bool | None = None

    @classmethod
    def from_report(cls, report: PositionReport) -> Fix:
        return cls(
            time=as_utc(report.time),
            lat=report.latitude,
            lon=report.longitude,
            speed_kmh=report.speed,
            valid=report.valid,
            ignition=report.ignition,
            motion=report.motion,
        )


@dataclass(frozen=True, slots=True)
class TripConfig:
    """Tracking parameters of trip detection (Traccar's defaults where it has one)."""

    speed_threshold_kmh: float = 2.0
    min_trip_distance_m: float = 500.0
    min_trip_duration: timedelta = timedelta(minutes=5)
    min_stop_duration: timedelta = timedelta(minutes=5)
    max_gap: timedelta = timedelta(hours=1)
    use_ignition: bool = False

    def moving(self, fix: Fix) -> bool:
        if self.use_ignition and fix.ignition is not None:
            return fix.ignition
        return fix.speed_kmh > self.speed_threshold_kmh


@dataclass(frozen=True, slots=True)
class Trip:
    start_time: datetime
    end_time: datetime
    start_lat: float
    start_lon: float
    end_lat: float
    end_lon: float
    distance_m: float
    max_speed_kmh: float
    fix_count: int

    @property
    def duration(self) -> timedelta:
        return self.end_time - self.start_time

    @property
    def average_speed_kmh(self) -> float:
        seconds = self.duration.total_seconds()
        return self.distance_m / seconds * 3.6 if seconds > 0 else 0.0

    def to_traccar(self, device_id: Any) -> dict[str, Any]:
        """Traccar's `/api/reports/trips` item."""
        return {
            "deviceId": device_id,
            "startTime": _iso(self.start_time),
            "endTime": _iso(self.end_time),
            "startLat": self.start_lat,
            "startLon": self.start_lon,
            "endLat": self.end_lat,
            "endLon": self.end_lon,
            "distance": self.distance_m,
            "duration": _ms(self.duration),
            "maxSpeed": kmh_to_knots(self.max_speed_kmh),
            "averageSpeed": kmh_to_knots(self.average_speed_kmh),
        }


@dataclass(frozen=True, slots=True)
class Stop:
    start_time: datetime
    end_time: datetime
    lat: float
    lon: float

    @property
    def duration(self) -> timedelta:
        return self.end_time - self.start_time

    def to_traccar(self, device_id: Any) -> dict[str, Any]:
        """Traccar's `/api/reports/stops` item."""
        return {
            "deviceId": device_id,
            "startTime": _iso(self.start_time),
            "endTime": _iso(self.end_time),
            "duration": _ms(self.duration),
            "latitude": self.lat,
            "longitude": self.lon,
        }


@dataclass(frozen=True, slots=True)
class Summary:
    """One device over one period. Distance counts trips only, so GPS drift while
    parked adds nothing; engine hours are known only from ignition reports."""

    start_time: datetime
    end_time: datetime
    distance_m: float
    moving_duration: timedelta
    max_speed_kmh: float
    trip_count: int
    stop_count: int
    engine_hours: timedelta | None = None

    @property
    def average_speed_kmh(self) -> float:
        seconds = self.moving_duration.total_seconds()
        return self.distance_m / seconds * 3.6 if seconds > 0 else 0.0

    def to_traccar(self, device_id: Any) -> dict[str, Any]:
        """Traccar's `/api/reports/summary` item."""
        item: dict[str, Any] = {
            "deviceId": device_id,
            "startTime": _iso(self.start_time),
            "endTime": _iso(self.end_time),
            "distance": self.distance_m,
            "averageSpeed": kmh_to_knots(self.average_speed_kmh),
            "maxSpeed": kmh_to_knots(self.max_speed_kmh),
        }
        if self.engine_hours is not None:
            item["engineHours"] = _ms(self.engine_hours)
        return item


@dataclass(frozen=True, slots=True)
class TripsAndStops:
    trips: tuple[Trip, ...]
    stops: tuple[Stop, ...]


def usable_fixes(fixes: Iterable[Fix]) -> list[Fix]:
    """Valid fixes with real coordinates, in time order (stable for equal times)."""
    kept = [
        f
        for f in fixes
        if f.valid
        and valid_coordinates(f.lat, f.lon)
        and not (f.lat == 0 and f.lon == 0)
        and f.speed_kmh == f.speed_kmh  # not NaN
    ]
    kept.sort(key=lambda f: f.time)
    return kept


def path_length_m(fixes: Sequence[Fix]) -> float:
    """Sum of the distances between consecutive fixes."""
    return sum(haversine_m(a.lat, a.lon, b.lat, b.lon) for a, b in pairwise(fixes))


def detect(fixes: Iterable[Fix], config: TripConfig | None = None) -> TripsAndStops:
    """Trips and stops of one device's fixes (see the module docstring for the rules)."""
    config = config or TripConfig()
    points = usable_fixes(fixes)
    trips = [
        _trip(points, first, last, config)
        for first, last in _candidates(points, config)
        if _is_trip(points, first, last, config)
    ]
    return TripsAndStops(tuple(trips), tuple(_stops(points, trips, config)))


def summarize(
    fixes: Iterable[Fix],
    start: datetime,
    end: datetime,
    config: TripConfig | None = None,
) -> Summary:
    """Summary of the fixes in [start, end): trips are cut at the period's edges."""
    config = config or TripConfig()
    start, end = as_utc(start), as_utc(end)
    inside = [f for f in usable_fixes(fixes) if start <= f.time < end]
    found = detect(inside, config)
    return Summary(
        start_time=start,
        end_time=end,
        distance_m=sum(t.distance_m for t in found.trips),
        moving_duration=sum((t.duration for t in found.trips), timedelta()),
        max_speed_kmh=max((t.max_speed_kmh for t in found.trips), default=0.0),
        trip_count=len(found.trips),
        stop_count=len(found.stops),
        engine_hours=_engine_hours(inside, config),
    )


def day_periods(start: date, end: date, zone: tzinfo) -> Iterator[tuple[datetime, datetime]]:
    """[midnight, next midnight) in `zone` for each day from `start` up to `end` (inclusive),
    as UTC; days are 23 or 25 hours long across daylight-saving changes."""
    day = start
    while day <= end:
        following = day + timedelta(days=1)
        yield (
            as_utc(datetime.combine(day, time(), tzinfo=zone)),
            as_utc(datetime.combine(following, time(), tzinfo=zone)),
        )
        day = following


def daily_summaries(
    fixes: Iterable[Fix], start: date, end: date, zone: tzinfo, config: TripConfig | None = None
) -> list[Summary]:
    """One summary per local day from `start` to `end` (inclusive)."""
    points = usable_fixes(fixes)
    return [summarize(points, a, b, config) for a, b in day_periods(start, end, zone)]


# -- internals ------------------------------------------------------------------------------


def _candidates(points: Sequence[Fix], config: TripConfig) -> Iterator[tuple[int, int]]:
    """(first moving index, last index) of each run of motion, merged over short halts.

    The last index is the arrival fix when one follows within `max_gap`.
    """
    first: int | None = None
    last_moving: int | None = None
    for i, fix in enumerate(points):
        if first is not None and last_moving is not None:
            gap = fix.time - points[i - 1].time
            halted = fix.time - points[last_moving].time
            if gap > config.max_gap:
                # Silence: the trip ends where the data did (or at its arrival before it).
                yield first, _arrival(points, last_moving, config)
                first = last_moving = None
            elif not config.moving(fix) and halted >= config.min_stop_duration:
                yield first, _arrival(points, last_moving, config)
                first = last_moving = None
        if config.moving(fix):
            if first is None:
                first = i
            last_moving = i
    if first is not None and last_moving is not None:
        yield first, _arrival(points, last_moving, config)


def _arrival(points: Sequence[Fix], last_moving: int, config: TripConfig) -> int:
    following = last_moving + 1
    if following < len(points) and points[following].time - points[last_moving].time <= (
        config.max_gap
    ):
        return following
    return last_moving


def _is_trip(points: Sequence[Fix], first: int, last: int, config: TripConfig) -> bool:
    if last <= first:
        return False
    duration = points[last].time - points[first].time
    distance = path_length_m(points[first : last + 1])
    return distance >= config.min_trip_distance_m or duration >= config.min_trip_duration


def _trip(points: Sequence[Fix], first: int, last: int, config: TripConfig) -> Trip:
    run = points[first : last + 1]
    a, b = run[0], run[-1]
    return Trip(
        start_time=a.time,
        end_time=b.time,
        start_lat=a.lat,
        start_lon=a.lon,
        end_lat=b.lat,
        end_lon=b.lon,
        distance_m=path_length_m(run),
        max_speed_kmh=max(f.speed_kmh for f in run),
        fix_count=len(run),
    )


def _stops(points: Sequence[Fix], trips: Sequence[Trip], config: TripConfig) -> Iterator[Stop]:
    if not points:
        return
    edges: list[tuple[datetime, float, float]] = [(points[0].time, points[0].lat, points[0].lon)]
    edges += [(t.end_time, t.end_lat, t.end_lon) for t in trips]
    starts = [t.start_time for t in trips] + [points[-1].time]
    for (begin, lat, lon), finish in zip(edges, starts, strict=True):
        if finish > begin and finish - begin >= config.min_stop_duration:
            yield Stop(begin, finish, lat, lon)


def _engine_hours(points: Sequence[Fix], config: TripConfig) -> timedelta | None:
    """Time with the ignition on, counting each interval by the state at its start."""
    if not any(f.ignition is not None for f in points):
        return None
    total = timedelta()
    for a, b in pairwise(points):
        if a.ignition and b.time - a.time <= config.max_gap:
            total += b.time - a.time
    return total


def _iso(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ms(span: timedelta) -> int:
    return round(span.total_seconds() * 1000)
