"""A GPX 1.1 document written as it goes: one `<trk>` per trip, one `<trkpt>` per fix.

gpxpy and ElementTree build the whole tree in memory; ten million points do not
fit, so the elements are written as text with every value escaped. Element order
follows the GPX 1.1 schema (trkpt: ele, time, sat; trk: name, number, trkseg).
"""

from __future__ import annotations

import re
from typing import NamedTuple, TextIO
from xml.sax.saxutils import escape, quoteattr

GPX_NAMESPACE = "http://www.topografix.com/GPX/1/1"
GPX_SCHEMA = "http://www.topografix.com/GPX/1/1/gpx.xsd"
# Characters XML 1.0 does not allow at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """`value` as XML character data: escaped, characters XML cannot carry dropped."""
    return escape(_NOT_XML.sub("", value))


class TrackPoint(NamedTuple):
    """What a `<trkpt>` shows of a fix; `time` is ISO 8601 UTC text. A named tuple: one is
    made per position, and a tuple is the cheapest thing to make."""

    lat: float
    lon: float
    time: str
    altitude: float | None
    satellites: int | None


class GpxWriter:
    """Writes `tracks.gpx` to `out`: `open`, then trips (`start`/`point`/`end`), `close`."""

    def __init__(self, out: TextIO, *, creator: str) -> None:
        self.out = out
        self.creator = creator
        self.track_name = ""
        self.tracks = 0
        self.points = 0

    def open(self, *, name: str, time: str) -> None:
        self.out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<gpx version="1.1" creator={quoteattr(self.creator)} xmlns="{GPX_NAMESPACE}" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:schemaLocation="{GPX_NAMESPACE} {GPX_SCHEMA}">\n'
            f"<metadata><name>{xml_text(name)}</name><time>{xml_text(time)}</time></metadata>\n"
        )

    def start(self, first: TrackPoint) -> None:
        self.tracks += 1
        self.out.write(
            f"<trk><name>{xml_text(self.track_name)}</name><number>{self.tracks}</number><trkseg>\n"
        )
        self.point(first)

    def point(self, item: TrackPoint) -> None:
        self.points += 1
        ele = "" if item.altitude is None else f"<ele>{item.altitude:.1f}</ele>"
        sats = item.satellites
        sat = "" if sats is None or sats < 0 else f"<sat>{int(sats)}</sat>"
        self.out.write(
            f'<trkpt lat="{item.lat:.6f}" lon="{item.lon:.6f}">{ele}'
            f"<time>{item.time}</time>{sat}</trkpt>\n"
        )

    def end(self) -> None:
        self.out.write("</trkseg></trk>\n")

    def close(self) -> None:
        self.out.write("</gpx>\n")
