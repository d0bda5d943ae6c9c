"""tracks.gpx is written as text: it must still be well-formed, escaped GPX 1.1."""

from __future__ import annotations

import io
from collections.abc import Callable
from xml.etree.ElementTree import Element

import gpxpy

from trackguard.privacy.export.gpx import GpxWriter, TrackPoint, xml_text


def test_text_is_escaped_and_characters_xml_cannot_carry_are_dropped() -> None:
    assert xml_text('Fiets <"oma"> & co') == 'Fiets &lt;"oma"&gt; &amp; co'
    assert xml_text("bell\x07 nul\x00 ok\ttab") == "bell nul ok\ttab"


def test_a_written_track_parses_with_gpxpy_and_keeps_its_values(
    gpx11: Callable[[bytes], Element],
) -> None:
    out = io.StringIO()
    writer = GpxWriter(out, creator='trackguard "test"')
    writer.open(name="Conneqtech & co", time="2026-03-02T12:00:00Z")
    writer.track_name = "<script>alert(1)</script> & \x01fiets"
    writer.start(TrackPoint(52.1, 5.2, "2026-03-01T10:00:00Z", 3.25, 7))
    writer.point(TrackPoint(0.00001, -179.5, "2026-03-01T10:00:05.5Z", None, None))
    writer.end()
    writer.track_name = "second"
    writer.start(TrackPoint(-33.9, 18.4, "2026-03-01T11:00:00Z", -2.0, 0))
    writer.end()
    writer.close()
    document = out.getvalue().encode()
    gpx11(document)
    parsed = gpxpy.parse(out.getvalue())
    assert [t.name for t in parsed.tracks] == ["<script>alert(1)</script> & fiets", "second"]
    first, second = parsed.tracks[0].segments[0].points, parsed.tracks[1].segments[0].points
    assert (first[0].latitude, first[0].longitude, first[0].elevation) == (52.1, 5.2, 3.2)
    # Tiny coordinates are written as decimals, never in exponent notation.
    assert (first[1].latitude, first[1].longitude, first[1].elevation) == (0.00001, -179.5, None)
    assert first[1].time is not None and first[1].time.microsecond == 500_000
    assert len(second) == 1 and second[0].satellites == 0
    assert writer.tracks == 2 and writer.points == 3
