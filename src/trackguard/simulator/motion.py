"""Pure motion: a vehicle following real routes around Bunschoten-Spakenburg and Amersfoort.

Each simulated tracker drives its route out and back forever. A report is made
for every step of virtual time; the position advances at the route's speed
limits (with a little variation and GPS noise), so consecutive reports never
imply an impossible jump whatever rate they are sent at.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random

from trackguard.demo.nl_identity import imei
from trackguard.demo.tracks import BIKE_LOOP, CAR_TO_AMERSFOORT, Route
from trackguard.protocols.base import PositionReport
from trackguard.tracking.geo import destination, haversine_m, initial_bearing_deg

GPS_NOISE_M = 3.0
# Type allocation codes of the kind of tracker each vehicle carries (first 8 IMEI digits).
BIKE_TAC, CAR_TAC = "35209900", "86292003"


@dataclass(frozen=True)
class SimulatedDevice:
    imei: str
    vehicle: str  # "bike" or "car"
    route: Route


def simulated_devices(count: int, seed: int = 1) -> list[SimulatedDevice]:
    """`count` trackers, alternately on a bike and in a car; same seed, same IMEIs."""
    rng = Random(seed)
    devices = []
    for index in range(count):
        bike = index % 2 == 0
        tac = BIKE_TAC if bike else CAR_TAC
        route = BIKE_LOOP if bike else CAR_TO_AMERSFOORT
        devices.append(SimulatedDevice(imei(rng, tac), "bike" if bike else "car", route))
    return devices


class RouteWalker:
    """Position along a route, advanced by virtual seconds; turns round at each end."""

    def __init__(self, route: Route, rng: Random, start_fraction: float = 0.0) -> None:
        self._points = [(lat, lon) for lat, lon, _ in route.waypoints]
        self._limits = [max(speed, 5.0) for _, _, speed in route.waypoints]
        self._legs = [
            haversine_m(*self._points[i], *self._points[i + 1])
            for i in range(len(self._points) - 1)
        ]
        self._total = sum(self._legs)
        self._rng = rng
        self._distance = self._total * start_fraction
        self._forward = True

    def _locate(self) -> tuple[float, float, float, float]:
        """(lat, lon, course, speed limit km/h) at the current distance along the route."""
        remaining = self._distance
        for i, leg in enumerate(self._legs):
            if remaining <= leg or i == len(self._legs) - 1:
                a, b = self._points[i], self._points[i + 1]
                course = initial_bearing_deg(*a, *b)
                if not self._forward:
                    course = (course + 180.0) % 360.0
                lat, lon = destination(*a, initial_bearing_deg(*a, *b), min(remaining, leg))
                return lat, lon, course, self._limits[i]
            remaining -= leg
        raise AssertionError("a route has at least one leg")

    def advance(self, seconds: float) -> tuple[float, float, float, float]:
        """Move on for `seconds`; returns (lat, lon, course, speed km/h) after the move."""
        _, _, _, limit = self._locate()
        speed = limit * self._rng.uniform(0.75, 1.0)
        step = speed / 3.6 * seconds
        self._distance += step if self._forward else -step
        if self._distance >= self._total:
            self._distance, self._forward = self._total, False
        elif self._distance <= 0:
            self._distance, self._forward = 0.0, True
        lat, lon, course, _ = self._locate()
        noise_bearing = self._rng.uniform(0, 360)
        lat, lon = destination(lat, lon, noise_bearing, abs(self._rng.gauss(0, GPS_NOISE_M)))
        return lat, lon, course, speed


def reports(
    device: SimulatedDevice,
    protocol: str,
    start: datetime,
    step: timedelta,
    seed: int = 1,
) -> Iterator[PositionReport]:
    """Endless reports of one device: fix times `start`, `start + step`, ..."""
    rng = Random(f"{seed}:{device.imei}")
    walker = RouteWalker(device.route, rng, start_fraction=rng.random())
    battery = 100.0 if device.vehicle == "car" else float(rng.randint(60, 100))
    at = start
    while True:
        lat, lon, course, speed = walker.advance(step.total_seconds())
        if device.vehicle == "bike":
            battery = max(5.0, battery - 0.01)
        yield PositionReport(
            protocol=protocol,
            device_key=device.imei,
            time=at,
            valid=True,
            latitude=round(lat, 6),
            longitude=round(lon, 6),
            speed=round(speed, 1),
            course=round(course, 1),
            altitude=round(rng.gauss(1.0, 1.5), 1),
            satellites=rng.randint(7, 12),
            battery=round(battery),
            ignition=device.vehicle == "car",
            motion=True,
        )
        at += step
