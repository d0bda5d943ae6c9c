"""A day of realistic tracker positions around Bunschoten-Spakenburg: pure, seeded.

Each device follows a daily schedule of trips along hand-traced routes (an e-bike
loop into the Arkemheen polder and an errand to the shops; a car commute to
Amersfoort and back). While moving a tracker reports every 10-30 s with GPS noise,
stops at junctions and the odd invalid fix; while parked it sends a heartbeat.
The schedule is in Dutch local time and placed in the 24 hours before `now`, so
the demo always shows yesterday evening's ride and this morning's commute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from zoneinfo import ZoneInfo

from trackguard.demo.position_payload import PositionFix

LOCAL = ZoneInfo("Europe/Amsterdam")
EARTH_RADIUS_M = 6_371_000.0
GPS_NOISE_M = 3.0


@dataclass(frozen=True)
class Route:
    """Waypoints (lat, lon, km/h on the leg that starts there) along real roads."""

    name: str
    waypoints: tuple[tuple[float, float, float], ...]
    altitude_from: float
    altitude_to: float

    def reversed(self, name: str) -> Route:
        points = list(reversed(self.waypoints))
        # The speed belongs to the leg after a point: shift by one when reversing.
        speeds = [*(p[2] for p in reversed(self.waypoints[:-1])), 0.0]
        legs = tuple((lat, lon, v) for (lat, lon, _), v in zip(points, speeds, strict=True))
        return Route(name, legs, self.altitude_to, self.altitude_from)


HOME = (52.2518, 5.3668)  # Oude Schans, Spakenburg
WAREHOUSE = (52.2388, 5.3812)  # Einsteinweg, Bunschoten: where unsold trackers are tested

CAR_TO_AMERSFOORT = Route("commute to Amersfoort", (
    (*HOME, 30), (52.2490, 5.3700, 50), (52.2440, 5.3720, 50), (52.2380, 5.3735, 50),
    (52.2300, 5.3745, 80), (52.2150, 5.3760, 80), (52.2000, 5.3770, 60),
    (52.1900, 5.3785, 50), (52.1800, 5.3820, 50), (52.1700, 5.3870, 50),
    (52.1620, 5.3850, 50), (52.1570, 5.3800, 30), (52.1545, 5.3765, 0),
), 0.0, 4.0)  # fmt: skip
CAR_HOME = CAR_TO_AMERSFOORT.reversed("home from Amersfoort")

BIKE_LOOP = Route("evening ride through Arkemheen", (
    (*HOME, 18), (52.2500, 5.3740, 22), (52.2478, 5.3830, 22), (52.2465, 5.3950, 24),
    (52.2450, 5.4080, 24), (52.2400, 5.4150, 24), (52.2330, 5.4120, 22),
    (52.2290, 5.4000, 22), (52.2320, 5.3870, 20), (52.2380, 5.3780, 20),
    (52.2450, 5.3720, 18), (*HOME, 0),
), -0.5, -0.5)  # fmt: skip
BIKE_TO_SHOP = Route("to the shops", (
    (*HOME, 16), (52.2480, 5.3690, 18), (52.2440, 5.3705, 0),
), -0.5, 0.0)  # fmt: skip
BIKE_HOME = BIKE_TO_SHOP.reversed("home from the shops")


@dataclass(frozen=True)
class DeviceDay:
    """What one tracker does on a day: trips at local times, heartbeats in between."""

    trips: tuple[tuple[int, int, Route], ...]  # (hour, minute, route), in day order
    heartbeat: timedelta
    stop_chance: float  # chance a moving report finds the vehicle waiting at a junction
    battery_start: int
    battery_powered: bool  # wired to the vehicle's 12 V: always 100 %


CAR_DAY = DeviceDay(
    ((7, 45, CAR_TO_AMERSFOORT), (17, 15, CAR_HOME)), timedelta(minutes=30), 0.08, 100, True
)
BIKE_DAY = DeviceDay(
    ((10, 30, BIKE_TO_SHOP), (10, 55, BIKE_HOME), (19, 30, BIKE_LOOP)),
    timedelta(hours=1),
    0.03,
    87,
    False,
)


@dataclass(frozen=True)
class TrackPoint:
    fix_time: datetime
    received_at: datetime
    fix: PositionFix


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def _bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    y = math.sin(lon2 - lon1) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(lon2 - lon1)
    return math.degrees(math.atan2(y, x)) % 360


def _jitter(rng: Random, lat: float, lon: float) -> tuple[float, float]:
    dlat = rng.gauss(0, GPS_NOISE_M) / 111_320
    dlon = rng.gauss(0, GPS_NOISE_M) / (111_320 * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


@dataclass(frozen=True)
class _Sample:
    """One report of a trip, relative to the trip's start."""

    offset_s: int
    lat: float
    lon: float
    speed: float
    course: float
    altitude: float
    satellites: int
    valid: bool


def simulate_trip(rng: Random, route: Route, stop_chance: float) -> list[_Sample]:
    """Drive `route` once: reports every 10-30 s, ramps at both ends, junction waits."""
    points = [(lat, lon) for lat, lon, _ in route.waypoints]
    legs = [_distance_m(points[i], points[i + 1]) for i in range(len(points) - 1)]
    total = sum(legs)

    def locate(dist: float) -> tuple[float, float, float, float]:
        """(lat, lon, course, speed limit) at `dist` metres along the route."""
        for i, leg in enumerate(legs):
            if dist <= leg or i == len(legs) - 1:
                f = min(dist / leg, 1.0) if leg else 1.0
                a, b = points[i], points[i + 1]
                lat, lon = a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f
                return lat, lon, _bearing(a, b), route.waypoints[i][2]
            dist -= leg
        raise AssertionError("unreachable")

    def altitude(dist: float) -> float:
        share = dist / total if total else 1.0
        base = route.altitude_from + (route.altitude_to - route.altitude_from) * share
        return base + rng.gauss(0, 2.0)

    lat, lon, course, _ = locate(0)
    samples = [_Sample(0, *_jitter(rng, lat, lon), 0.0, course, altitude(0), 9, True)]
    t, dist = 0, 0.0
    while dist < total:
        dt = rng.randint(10, 30)
        t += dt
        lat, lon, course, limit = locate(dist)
        if rng.random() < stop_chance:
            speed = rng.uniform(0, 4)  # waiting at lights or a crossing
        else:
            ramp = max(0.3, min(1.0, dist / 150, (total - dist) / 150))
            speed = max(3.0, limit * ramp * rng.uniform(0.8, 1.08))
        dist = min(total, dist + speed / 3.6 * dt)
        lat, lon, course, _ = locate(dist)
        if rng.random() < 0.02:  # under a viaduct: the receiver says so itself
            last = samples[-1]
            samples.append(
                _Sample(
                    t, last.lat, last.lon, 0.0, last.course, last.altitude, rng.randint(2, 3), False
                )
            )
            continue
        at_end = dist >= total
        samples.append(
            _Sample(
                t,
                *_jitter(rng, lat, lon),
                0.0 if at_end else speed,
                course,
                altitude(dist),
                rng.randint(7, 12),
                True,
            )
        )
    return samples


def _occurrence(now: datetime, hour: int, minute: int, duration: timedelta) -> datetime:
    """The latest local `hour:minute` whose trip has finished by `now` (UTC)."""
    local_now = now.astimezone(LOCAL)
    start = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if start + duration > local_now:
        start = (start - timedelta(days=1)).replace(hour=hour, minute=minute)
    return start.astimezone(now.tzinfo)


def day_of_positions(rng: Random, day: DeviceDay, now: datetime) -> list[TrackPoint]:
    """The last 24 hours of one tracker, oldest first, all before `now`."""
    # Draw every trip before looking at the clock, so the same seed makes the same
    # trips whatever the time of seeding.
    trips = [(h, m, simulate_trip(rng, route, day.stop_chance)) for h, m, route in day.trips]
    placed = sorted(
        (_occurrence(now, h, m, timedelta(seconds=s[-1].offset_s)), s) for h, m, s in trips
    )
    start_of_day = now - timedelta(days=1)
    points: list[TrackPoint] = []
    moving_s = 0

    def battery(at: datetime) -> int:
        if day.battery_powered:
            return 100
        parked_h = (at - start_of_day).total_seconds() / 3600
        return max(5, round(day.battery_start - parked_h / 4 - moving_s / 2400))

    def report(at: datetime, s: _Sample) -> None:
        received = at + timedelta(seconds=rng.randint(1, 4))
        fix = PositionFix(
            s.lat, s.lon, s.speed, s.course, s.altitude, s.satellites, s.valid, battery(at)
        )
        points.append(TrackPoint(at, received, fix))

    def park(since: datetime, until: datetime, where: _Sample) -> None:
        at = since + day.heartbeat
        while at < until - timedelta(minutes=1):
            lat, lon = _jitter(rng, where.lat, where.lon)
            altitude = where.altitude + rng.gauss(0, 1.5)
            still = _Sample(0, lat, lon, 0.0, where.course, altitude, rng.randint(5, 11), True)
            report(at, still)
            at += day.heartbeat

    parked_at, parked_since = placed[0][1][0], start_of_day
    for start, samples in placed:
        park(parked_since, start, parked_at)
        for s in samples:
            report(start + timedelta(seconds=s.offset_s), s)
        moving_s += samples[-1].offset_s
        parked_at, parked_since = samples[-1], start + timedelta(seconds=samples[-1].offset_s)
    park(parked_since, now, parked_at)
    return [p for p in points if p.received_at <= now]


def heartbeats(
    rng: Random,
    where: tuple[float, float],
    until: datetime,
    count: int,
    every: timedelta,
    battery: tuple[int, int],
) -> list[TrackPoint]:
    """`count` parked reports ending at `until`, the battery running from one level to
    the other: a tracker lying still (on a shelf, or in a drawer until it went flat)."""
    start = until - every * (count - 1)
    points = []
    for i in range(count):
        at = start + every * i + timedelta(seconds=rng.randint(0, 59))
        lat, lon = _jitter(rng, *where)
        level = round(battery[0] + (battery[1] - battery[0]) * i / max(1, count - 1))
        fix = PositionFix(lat, lon, 0.0, 0.0, rng.gauss(0, 1.5), rng.randint(4, 9), True, level)
        points.append(TrackPoint(at, at + timedelta(seconds=rng.randint(1, 4)), fix))
    return points
