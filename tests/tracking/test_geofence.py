"""Geofences: Traccar's area strings (lat first) both ways, and metric containment."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackguard.tracking.geo import destination, haversine_m, initial_bearing_deg
from trackguard.tracking.geofence import (
    AreaError,
    CircleArea,
    PolygonArea,
    circle_from_text,
    format_area,
    parse_area,
    polygon_from_text,
)

HOME = (52.1561, 5.3878)  # Amersfoort


def test_haversine_matches_a_known_distance() -> None:
    amsterdam, utrecht = (52.3731, 4.8922), (52.0907, 5.1214)
    assert haversine_m(*amsterdam, *utrecht) == pytest.approx(34_800, rel=0.01)
    assert haversine_m(*HOME, *HOME) == 0.0


@given(
    st.floats(-80, 80),
    st.floats(-179, 179),
    st.floats(0, 359.9),
    st.floats(1, 20_000),
)
def test_destination_and_back(lat: float, lon: float, bearing: float, metres: float) -> None:
    end = destination(lat, lon, bearing, metres)
    assert haversine_m(lat, lon, *end) == pytest.approx(metres, rel=1e-6, abs=1e-3)
    turn = (initial_bearing_deg(lat, lon, *end) - bearing + 180) % 360 - 180
    assert abs(turn) < 1e-3


def test_circle_parses_latitude_first_like_traccar() -> None:
    area = parse_area("CIRCLE (52.1561 5.3878, 150)")
    assert area == CircleArea(52.1561, 5.3878, 150.0)
    assert format_area(area) == "CIRCLE (52.1561 5.3878, 150)"
    assert parse_area("circle(52.1561   5.3878,150.5)") == CircleArea(52.1561, 5.3878, 150.5)


def test_circle_radius_is_true_metres() -> None:
    area = CircleArea(*HOME, 150.0)
    for bearing in (0, 45, 90, 180, 270):
        assert area.contains(*destination(*HOME, bearing, 149.0))
        assert not area.contains(*destination(*HOME, bearing, 151.0))
    assert area.distance_outside_m(*destination(*HOME, 90, 250.0)) == pytest.approx(100, abs=0.01)


def test_polygon_parses_latitude_first_and_closes_the_ring() -> None:
    text = "POLYGON ((52.15 5.38, 52.16 5.38, 52.16 5.40, 52.15 5.40))"
    area = parse_area(text)
    assert isinstance(area, PolygonArea)
    assert area.points[0] == (52.15, 5.38) and len(area.points) == 4
    assert format_area(area) == (
        "POLYGON ((52.15 5.38, 52.16 5.38, 52.16 5.4, 52.15 5.4, 52.15 5.38))"
    )
    assert parse_area(format_area(area)) == area
    assert area.contains(52.155, 5.39)
    assert not area.contains(5.39, 52.155)  # lon/lat swapped is elsewhere entirely


def test_polygon_distance_outside_is_in_metres() -> None:
    area = polygon_from_text("52.15 5.38, 52.16 5.38, 52.16 5.40, 52.15 5.40")
    south = destination(52.15, 5.39, 180, 40.0)
    assert area.distance_outside_m(*south) == pytest.approx(40.0, abs=0.5)
    assert area.distance_outside_m(52.15, 5.39) == 0.0  # the edge counts as inside


@pytest.mark.parametrize(
    "text",
    [
        "",
        "POINT (52 5)",
        "LINESTRING (52 5, 53 6)",
        "CIRCLE (52.1 5.3)",
        "CIRCLE (52.1 5.3, -10)",
        "CIRCLE (52.1 5.3, 1e9)",
        "CIRCLE (95 5.3, 10)",
        "POLYGON ((52 5, 53 6))",
        "POLYGON ((52 5, 53 5, 52 6, 53 6))",  # a bow tie crosses itself
        "POLYGON ((52 5, 53 five, 52 6))",
        "POLYGON ((52 5, 53 5, 53 5))",
    ],
)
def test_unusable_areas_are_refused_without_quoting_them(text: str) -> None:
    with pytest.raises(AreaError) as caught:
        parse_area(text)
    assert text not in str(caught.value) or not text


def test_command_line_short_forms() -> None:
    assert circle_from_text("52.1561, 5.3878, 150") == CircleArea(52.1561, 5.3878, 150)
    with pytest.raises(AreaError):
        circle_from_text("52.1561 5.3878 150")
    assert len(polygon_from_text("52.15 5.38, 52.16 5.38, 52.16 5.40").points) == 3


coordinate = st.tuples(st.floats(50, 54, allow_nan=False), st.floats(3, 7, allow_nan=False))


@given(coordinate, st.floats(1, 10_000))
def test_circle_text_round_trips(centre: tuple[float, float], radius: float) -> None:
    area = CircleArea(centre[0], centre[1], radius)
    again = parse_area(format_area(area))
    assert isinstance(again, CircleArea)
    assert haversine_m(area.lat, area.lon, again.lat, again.lon) < 0.1
    assert again.radius_m == pytest.approx(radius, abs=0.01)
