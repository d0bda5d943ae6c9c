"""Distances and bearings on the WGS84 sphere: the one place trackguard does this maths.

Haversine on a sphere of the mean Earth radius is within 0.5 % of the ellipsoid,
far below GPS noise at the distances a tracker moves between fixes. For areas a
few kilometres across, `LocalPlane` maps degrees to metres around a centre so
planar geometry (shapely) measures in metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius
KNOTS_PER_KMH = 1 / 1.852


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points (degrees)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def initial_bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Bearing from the first point towards the second, degrees clockwise from north, 0..360."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlambda = math.radians(lon2 - lon1)
    y = math.sin(dlambda) * math.cos(phi2)
    x = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dlambda)
    return math.degrees(math.atan2(y, x)) % 360.0


def destination(
    lat: float, lon: float, bearing_deg: float, distance_m: float
) -> tuple[float, float]:
    """The point `distance_m` from (lat, lon) along `bearing_deg`; longitude in -180..180."""
    delta = distance_m / EARTH_RADIUS_M
    theta = math.radians(bearing_deg)
    phi1, lambda1 = math.radians(lat), math.radians(lon)
    sin_phi2 = math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
    phi2 = math.asin(max(-1.0, min(1.0, sin_phi2)))
    y = math.sin(theta) * math.sin(delta) * math.cos(phi1)
    x = math.cos(delta) - math.sin(phi1) * sin_phi2
    lambda2 = lambda1 + math.atan2(y, x)
    lon2 = (math.degrees(lambda2) + 540.0) % 360.0 - 180.0
    return math.degrees(phi2), lon2


def implied_speed_kmh(distance_m: float, seconds: float) -> float:
    """Speed needed to cover `distance_m` in `seconds` (infinite for a jump in no time)."""
    if seconds <= 0:
        return 0.0 if distance_m == 0 else math.inf
    return distance_m / seconds * 3.6


def kmh_to_knots(kmh: float) -> float:
    """Traccar's API speaks knots; trackguard keeps km/h until that edge."""
    return kmh * KNOTS_PER_KMH


@dataclass(frozen=True)
class LocalPlane:
    """Equirectangular metres around a centre: x east, y north.

    Good to well under a metre across the few kilometres a geofence spans; it is
    not meant for areas near the poles or across the antimeridian.
    """

    lat0: float
    lon0: float

    @property
    def _kx(self) -> float:
        return math.radians(1) * EARTH_RADIUS_M * math.cos(math.radians(self.lat0))

    def to_xy(self, lat: float, lon: float) -> tuple[float, float]:
        ky = math.radians(1) * EARTH_RADIUS_M
        return (lon - self.lon0) * self._kx, (lat - self.lat0) * ky

    def to_latlon(self, x: float, y: float) -> tuple[float, float]:
        ky = math.radians(1) * EARTH_RADIUS_M
        return self.lat0 + y / ky, self.lon0 + x / self._kx


def valid_coordinates(lat: float, lon: float) -> bool:
    """Finite and inside -90..90 / -180..180."""
    return (
        math.isfinite(lat)
        and math.isfinite(lon)
        and -90.0 <= lat <= 90.0
        and -180.0 <= lon <= 180.0
    )
