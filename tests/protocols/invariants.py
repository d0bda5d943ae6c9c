"""What every decoded position must satisfy, whatever the protocol."""

from __future__ import annotations

import math
from datetime import timedelta

from trackguard.protocols.base import Decoded, PositionReport


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
