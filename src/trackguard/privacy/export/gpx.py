"""A GPX 1.1 document written as it goes: one `<trk>` per trip, one `<trkpt>` per fix.

gpxpy and ElementTree build the whole tree in memory; ten million points do not
fit, so the elements are written as text with every value escaped. Track points
are formatted a batch at a time (`trkpt_lines`, numpy: no Python per point) and
written as slices of that text, gathered into chunks of about `CHUNK_BYTES` for
the byte stream (a thread's queue, as a rule). Element order follows the GPX 1.1 schema
(trkpt: ele, time, sat; trk: name, number, trkseg).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from trackguard.privacy.export.background_write import ByteSink
from trackguard.privacy.export.text_columns import (
    Floats,
    TextMatrix,
    constant,
    decimals,
    join_rows,
    present_only,
)
from trackguard.privacy.export.trip_stream import PointText

GPX_NAMESPACE = "http://www.topografix.com/GPX/1/1"
GPX_SCHEMA = "http://www.topografix.com/GPX/1/1/gpx.xsd"
# Characters XML 1.0 does not allow at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Writes handed on at once: few enough that a queue's cost per write vanishes.
CHUNK_BYTES = 1 << 20


def xml_text(value: str) -> str:
    """`value` as XML character data: escaped, characters XML cannot carry dropped."""
    return escape(_NOT_XML.sub("", value))


@dataclass(frozen=True)
class TrackPoints:
    """What `<trkpt>` elements show of fixes, column by column (NaN: not known)."""

    lat: Floats
    lon: Floats
    time_text: TextMatrix  # ISO 8601 UTC without the "Z" (`iso_utc_text`)
    altitude: Floats
    satellites: Floats


def trkpt_lines(points: TrackPoints) -> PointText:
    """One `<trkpt>` line per point: lat/lon to 6 decimals, ele to 1, sat when >= 0."""
    count = len(points.lat)
    if not count:
        return PointText(b"", np.zeros(0, np.int64))
    has_ele = ~np.isnan(points.altitude)
    sats = points.satellites
    with np.errstate(invalid="ignore"):
        has_sat = sats >= 0  # False for NaN
    fields = [
        constant(count, b'<trkpt lat="'),
        decimals(points.lat, 6, shortest=False),
        constant(count, b'" lon="'),
        decimals(points.lon, 6, shortest=False),
        constant(count, b'">'),
        present_only(constant(count, b"<ele>"), has_ele),
        decimals(points.altitude, 1, shortest=False),
        present_only(constant(count, b"</ele>"), has_ele),
        constant(count, b"<time>"),
        points.time_text,
        constant(count, b"Z</time>"),
        present_only(constant(count, b"<sat>"), has_sat),
        decimals(np.where(has_sat, np.trunc(sats), np.nan), 0, shortest=False),
        present_only(constant(count, b"</sat>"), has_sat),
        constant(count, b"</trkpt>\n"),
    ]
    text = join_rows(fields)
    ends = np.flatnonzero(np.frombuffer(text, np.uint8) == ord("\n")).astype(np.int64) + 1
    return PointText(text, ends)


class GpxWriter:
    """Writes `tracks.gpx` to `out` in chunks: `open`, then trips (`start`/`write_points`/
    `end`), `close` (which hands on the last chunk)."""

    def __init__(self, out: ByteSink, *, creator: str) -> None:
        self.out = out
        self.creator = creator
        self.track_name = ""
        self.tracks = 0
        self.points = 0
        self._chunk: list[bytes] = []
        self._chunk_bytes = 0

    def open(self, *, name: str, time: str) -> None:
        self._text(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<gpx version="1.1" creator={quoteattr(self.creator)} xmlns="{GPX_NAMESPACE}" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:schemaLocation="{GPX_NAMESPACE} {GPX_SCHEMA}">\n'
            f"<metadata><name>{xml_text(name)}</name><time>{xml_text(time)}</time></metadata>\n"
        )

    def start(self) -> None:
        self.tracks += 1
        self._text(
            f"<trk><name>{xml_text(self.track_name)}</name><number>{self.tracks}</number><trkseg>\n"
        )

    def write_points(self, lines: PointText, lo: int, hi: int) -> None:
        """Lines `lo` to `hi` of `lines` (`trkpt_lines`) as points of the open track."""
        self.points += hi - lo
        self._put(lines.lines(lo, hi))

    def end(self) -> None:
        self._text("</trkseg></trk>\n")

    def close(self) -> None:
        self._text("</gpx>\n")
        self._hand_on()

    def _text(self, text: str) -> None:
        self._put(text.encode())

    def _put(self, data: bytes) -> None:
        self._chunk.append(data)
        self._chunk_bytes += len(data)
        if self._chunk_bytes >= CHUNK_BYTES:
            self._hand_on()

    def _hand_on(self) -> None:
        if self._chunk:
            self.out.write(b"".join(self._chunk))
            self._chunk, self._chunk_bytes = [], 0
