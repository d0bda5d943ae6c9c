"""What every decoded position must satisfy, whatever the protocol."""

from __future__ import annotations

import math
from datetime import timedelta

from trackguard.protocols.base import Decoded, PositionReport, ProtocolError, ProtocolSpec, Session


def check_position(report: PositionReport) -> None:
    assert report.protocol
    assert report.device_key
    assert report.time.tzinfo is not None and report.time.utcoffset() == timedelta(0)
    assert -90.0 <= report.latitude <= 90.0
    assert -180.0 <= report.longitude <= 180.0
    assert math.isfinite(report.speed) and report.speed >= 0.0
    if report.course is not None:
        assert 0.0 <= report.course <= 360.0
    if report.altitude is not None:
        assert math.isfinite(report.altitude)
    if report.satellites is not None:
        assert report.satellites >= 0
    if report.battery is not None:
        assert 0.0 <= report.battery <= 100.0


def check_decoded(decoded: Decoded) -> None:
    for report in decoded.positions:
        check_position(report)


def split_frames(spec: ProtocolSpec, buffer: bytes) -> tuple[list[bytes], bytes]:
    """Every complete frame the protocol's framer finds in `buffer`, and what is left.

    Checks the framer's contract on the way: it never consumes more than it was
    given and never returns a frame above the protocol's limit.
    """
    assert spec.frame is not None
    frames = []
    while True:
        frame, used = spec.frame(buffer)
        assert 0 <= used <= len(buffer)
        assert frame is None or len(frame) <= spec.max_frame
        buffer = buffer[used:]
        if frame is not None:
            frames.append(frame)
        elif used == 0:
            return frames, buffer


def run_stream(spec: ProtocolSpec, data: bytes, session: Session) -> list[Decoded]:
    """Feed `data` through framer and decoder as the gateway would, until an error.

    Every decoded frame is checked with `check_decoded`; a ProtocolError ends the
    stream (the gateway closes the connection), any other exception fails the test.
    """
    assert spec.frame is not None
    results: list[Decoded] = []
    buffer = data
    try:
        while buffer:
            frame, used = spec.frame(buffer)
            assert 0 <= used <= len(buffer)
            if frame is None:
                if used == 0:
                    break
                buffer = buffer[used:]
                continue
            assert used > 0 and len(frame) <= spec.max_frame
            buffer = buffer[used:]
            decoded = spec.decode(frame, session)
            assert isinstance(decoded, Decoded)
            check_decoded(decoded)
            results.append(decoded)
    except ProtocolError:
        pass
    return results
