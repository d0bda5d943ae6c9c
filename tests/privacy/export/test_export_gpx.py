"""tracks.gpx is written as text: it must still be well-formed, escaped GPX 1.1."""

from __future__ import annotations

import io
from collections.abc import Callable
from xml.etree.ElementTree import Element

import gpxpy
import numpy as np

from trackguard.privacy.export.fix_arrays import iso_text
from trackguard.privacy.export.gpx import GpxWriter, TrackPoints, trkpt_lines, xml_text


def test_text_is_escaped_and_characters_xml_cannot_carry_are_dropped() -> None:
    assert xml_text('Fiets <"oma"> & co') == 'Fiets &lt;"oma"&gt; &amp; co'
    assert xml_text("bell\x07 nul\x00 ok\ttab") == "bell nul ok\ttab"


def _points(*rows: tuple[float, float, str, float | None, int | None]) -> TrackPoints:
    lat, lon, times, altitude, satellites = zip(*rows, strict=True)
    return TrackPoints(
        np.array(lat, np.float64),
        np.array(lon, np.float64),
        iso_text(list(times)),
        np.array(altitude, np.float64),  # None becomes NaN: not known
        np.array(satellites, np.float64),
    )


def test_a_written_track_parses_with_gpxpy_and_keeps_its_values(
    gpx11: Callable[[bytes], Element],
) -> None:
    out = io.BytesIO()
    writer = GpxWriter(out, creator='trackguard "test"')
    writer.open(name="Conneqtech & co", time="2026-03-02T12:00:00Z")
    lines = trkpt_lines(
        _points(
            (52.1, 5.2, "2026-03-01T10:00:00.000000", 3.25, 7),
            (0.00001, -179.5, "2026-03-01T10:00:05.500000", None, None),
            (-33.9, 18.4, "2026-03-01T11:00:00.000000", -2.0, 0),
            (-0.0000004, 179.9999996, "2026-03-01T11:00:01.000000", 0.04, -1),
        )
    )
    writer.track_name = "<script>alert(1)</script> & \x01fiets"
    writer.start()
    writer.write_points(lines, 0, 2)
    writer.end()
    writer.track_name = "second"
    writer.start()
    writer.write_points(lines, 2, 4)
    writer.end()
    writer.close()
    document = out.getvalue()
    gpx11(document)
    parsed = gpxpy.parse(document.decode())
    assert [t.name for t in parsed.tracks] == ["<script>alert(1)</script> & fiets", "second"]
    first, second = parsed.tracks[0].segments[0].points, parsed.tracks[1].segments[0].points
    assert (first[0].latitude, first[0].longitude, first[0].elevation) == (52.1, 5.2, 3.2)
    assert first[0].satellites == 7
    # Tiny coordinates are written as decimals, never in exponent notation.
    assert (first[1].latitude, first[1].longitude, first[1].elevation) == (0.00001, -179.5, None)
    assert first[1].time is not None and first[1].time.microsecond == 500_000
    assert first[1].satellites is None
    assert len(second) == 2 and second[0].satellites == 0
    assert (second[0].elevation, second[1].elevation, second[1].satellites) == (-2.0, 0.0, None)
    assert (second[1].latitude, second[1].longitude) == (-0.0, 180.0)  # rounded as %.6f does
    assert writer.tracks == 2 and writer.points == 4


def test_points_are_formatted_as_printf_would() -> None:
    rng = np.random.default_rng(7)
    count = 500
    places = rng.integers(0, 9, count)
    lat = np.array(
        [round(v, int(p)) for v, p in zip(rng.uniform(-90, 90, count), places, strict=True)]
    )
    lon = rng.uniform(-180, 180, count)
    altitude = np.where(rng.random(count) < 0.2, np.nan, np.round(rng.normal(0, 300, count), 2))
    satellites = np.where(rng.random(count) < 0.2, np.nan, rng.integers(-1, 30, count))
    times = [f"2026-03-01T10:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}" for n in range(count)]
    lines = trkpt_lines(TrackPoints(lat, lon, iso_text(times), altitude, satellites))
    assert len(lines) == count
    for n in range(count):
        ele = "" if np.isnan(altitude[n]) else f"<ele>{altitude[n]:.1f}</ele>"
        sat = "" if not satellites[n] >= 0 else f"<sat>{int(satellites[n])}</sat>"
        assert lines.lines(n, n + 1).decode() == (
            f'<trkpt lat="{lat[n]:.6f}" lon="{lon[n]:.6f}">{ele}'
            f"<time>{times[n]}Z</time>{sat}</trkpt>\n"
        )
