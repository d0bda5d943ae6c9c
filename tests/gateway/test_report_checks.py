"""The gateways' check of decoded positions: the quick path never lets through what the
full check refuses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackguard.gateway.tcp import _check_report, _plainly_sound, check_report
from trackguard.protocols.base import PositionReport, ProtocolError

NUMBERS = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-1000, 1000)
OPTIONAL = st.none() | NUMBERS
# `datetime.UTC` itself, an equal zone that is another object, and one that is not UTC.
ZONES = st.sampled_from([UTC, timezone(timedelta(0)), timezone(timedelta(hours=2))])


@st.composite
def reports(draw: st.DrawFn) -> PositionReport:
    return PositionReport(
        protocol=draw(st.sampled_from(["gt06", "teltonika", ""])),
        device_key=draw(st.sampled_from(["356938035643809", "", "x" * 65, "bad\nkey"])),
        time=datetime(2026, 3, 1, 7, 0, tzinfo=draw(ZONES)),
        valid=True,
        latitude=draw(NUMBERS),
        longitude=draw(NUMBERS),
        speed=draw(NUMBERS),
        course=draw(OPTIONAL),
        altitude=draw(OPTIONAL),
        battery=draw(OPTIONAL),
    )


def _passes(check: Callable[[PositionReport], None], report: PositionReport) -> bool:
    try:
        check(report)
    except ProtocolError:
        return False
    return True


@given(reports())
def test_the_quick_path_agrees_with_the_full_check(report: PositionReport) -> None:
    if _plainly_sound(report):
        assert _passes(_check_report, report)
    assert _passes(_check_report, report) == _passes(check_report, report)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("latitude", float("nan"), "finite"),
        ("speed", float("inf"), "finite"),
        ("altitude", float("-inf"), "finite"),
        ("longitude", 180.5, "globe"),
        ("speed", -1.0, "negative"),
        ("device_key", "", "identifier"),
    ],
)
def test_a_refused_report_is_named_by_the_full_check(
    field: str, value: object, message: str
) -> None:
    fields = {
        "protocol": "gt06",
        "device_key": "356938035643809",
        "time": datetime(2026, 3, 1, 7, 0, tzinfo=UTC),
        "valid": True,
        "latitude": 52.0,
        "longitude": 13.0,
        field: value,
    }
    with pytest.raises(ProtocolError, match=message):
        check_report(PositionReport(**fields))  # type: ignore[arg-type]
