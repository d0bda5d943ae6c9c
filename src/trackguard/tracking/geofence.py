"""Geofences: circles and polygons on WGS84, and Traccar's area strings (pure).

Traccar stores an area as WKT-like text with *latitude first*:

    CIRCLE (52.3731 4.8922, 150)                      centre and radius in metres
    POLYGON ((52.37 4.89, 52.38 4.89, 52.38 4.90))     the ring; closing it is optional

`parse_area` reads both (Traccar's LINESTRING corridors are not supported) and
`format_area` writes them back, closing polygon rings. A circle's radius is true
metres on the ground (haversine); a polygon is measured in a local metric plane
around it (`geo.LocalPlane`), so `distance_outside_m` is metres there too. Points
on the boundary count as inside.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import shapely
from shapely.geometry import Point, Polygon
from shapely.prepared import PreparedGeometry, prep

from trackguard.errors import TrackguardError
from trackguard.tracking.geo import LocalPlane, haversine_m, valid_coordinates

MAX_RADIUS_M = 100_000.0  # a theft alarm area, not a country
MAX_POLYGON_POINTS = 1_000
MAX_AREA_TEXT = 65_536


class AreaError(TrackguardError, ValueError):
    """An area string or shape trackguard cannot use (the message never repeats it)."""


@dataclass(frozen=True, slots=True)
class CircleArea:
    lat: float
    lon: float
    radius_m: float

    def __post_init__(self) -> None:
        if not valid_coordinates(self.lat, self.lon):
            raise AreaError("circle centre is not a WGS84 coordinate")
        if not (math.isfinite(self.radius_m) and 0 < self.radius_m <= MAX_RADIUS_M):
            raise AreaError(f"circle radius must be more than 0 and at most {MAX_RADIUS_M:g} m")

    def distance_outside_m(self, lat: float, lon: float) -> float:
        """0 inside or on the edge, else metres from the edge."""
        return max(0.0, haversine_m(self.lat, self.lon, lat, lon) - self.radius_m)

    def contains(self, lat: float, lon: float) -> bool:
        return self.distance_outside_m(lat, lon) == 0.0

    def to_wkt(self) -> str:
        return f"CIRCLE ({_num(self.lat)} {_num(self.lon)}, {_num(self.radius_m, 2)})"


@dataclass(frozen=True, slots=True)
class PolygonArea:
    """A simple polygon; `points` are (lat, lon) pairs of the ring, not repeated at the end."""

    points: tuple[tuple[float, float], ...]
    _plane: LocalPlane = field(init=False, repr=False, compare=False)
    _shape: Polygon = field(init=False, repr=False, compare=False)
    _prepared: PreparedGeometry = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        points = tuple((float(lat), float(lon)) for lat, lon in self.points)
        if len(points) > 1 and points[0] == points[-1]:
            points = points[:-1]
        if not 3 <= len(points) <= MAX_POLYGON_POINTS:
            raise AreaError(f"a polygon needs 3 to {MAX_POLYGON_POINTS} distinct corners")
        if not all(valid_coordinates(lat, lon) for lat, lon in points):
            raise AreaError("a polygon corner is not a WGS84 coordinate")
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        if max(lons) - min(lons) > 180:
            raise AreaError("polygons across the antimeridian are not supported")
        plane = LocalPlane((min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2)
        shape = Polygon([plane.to_xy(lat, lon) for lat, lon in points])
        if not shape.is_valid or shape.area <= 0:
            raise AreaError("the polygon crosses itself or encloses no area")
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "_plane", plane)
        object.__setattr__(self, "_shape", shape)
        object.__setattr__(self, "_prepared", prep(shape))

    def distance_outside_m(self, lat: float, lon: float) -> float:
        point = Point(self._plane.to_xy(lat, lon))
        if self._prepared.covers(point):
            return 0.0
        return float(shapely.distance(self._shape, point))

    def contains(self, lat: float, lon: float) -> bool:
        return self._prepared.covers(Point(self._plane.to_xy(lat, lon)))

    def to_wkt(self) -> str:
        ring = (*self.points, self.points[0])
        return "POLYGON ((" + ", ".join(f"{_num(a)} {_num(b)}" for a, b in ring) + "))"


Area = CircleArea | PolygonArea

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_PAIR = rf"\s*({_NUMBER})\s+({_NUMBER})\s*"
_CIRCLE = re.compile(rf"^\s*CIRCLE\s*\({_PAIR},\s*({_NUMBER})\s*\)\s*$", re.IGNORECASE)
_POLYGON = re.compile(r"^\s*POLYGON\s*\(\s*\((.*)\)\s*\)\s*$", re.IGNORECASE | re.DOTALL)
_PAIR_ONLY = re.compile(rf"^{_PAIR}$")


def parse_area(text: str) -> Area:
    """A circle or polygon from Traccar's area text; AreaError when it is not one."""
    if not isinstance(text, str) or len(text) > MAX_AREA_TEXT:
        raise AreaError("an area is a CIRCLE or POLYGON string of reasonable length")
    if match := _CIRCLE.match(text):
        lat, lon, radius = (float(g) for g in match.groups())
        return CircleArea(lat, lon, radius)
    if match := _POLYGON.match(text):
        parts = match.group(1).split(",")
        if len(parts) > MAX_POLYGON_POINTS + 1:
            raise AreaError(f"a polygon needs 3 to {MAX_POLYGON_POINTS} distinct corners")
        points = []
        for part in parts:
            pair = _PAIR_ONLY.match(part)
            if pair is None:
                raise AreaError("a polygon corner is not a 'latitude longitude' pair")
            points.append((float(pair.group(1)), float(pair.group(2))))
        return PolygonArea(tuple(points))
    raise AreaError("an area is 'CIRCLE (lat lon, radius)' or 'POLYGON ((lat lon, ...))'")


def format_area(area: Area) -> str:
    return area.to_wkt()


def circle_from_text(text: str) -> CircleArea:
    """`"lat,lon,radius"` (the command line's short form)."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 3:
        raise AreaError("a circle is 'latitude,longitude,radius in metres'")
    try:
        lat, lon, radius = (float(p) for p in parts)
    except ValueError:
        raise AreaError("a circle is 'latitude,longitude,radius in metres'") from None
    return CircleArea(lat, lon, radius)


def polygon_from_text(text: str) -> PolygonArea:
    """`"lat lon, lat lon, ..."` (the command line's short form)."""
    area = parse_area(f"POLYGON (({text}))")
    if not isinstance(area, PolygonArea):
        raise AreaError("a polygon is 'lat lon, lat lon, ...'")
    return area


def _num(value: float, places: int = 7) -> str:
    """Fixed-point, trailing zeros trimmed (Traccar never writes exponents)."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
