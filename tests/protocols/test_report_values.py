"""The decoders' value types keep their dataclass behaviour with the faster `__init__`."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from trackguard.protocols.base import EMPTY, Alarm, Decoded, PositionReport

TIME = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)


def test_a_report_gets_the_declared_defaults_by_position_or_keyword() -> None:
    by_position = PositionReport("gt06", "356938035643809", TIME, True, 52.2, 5.4)
    by_keyword = PositionReport(
        protocol="gt06",
        device_key="356938035643809",
        time=TIME,
        valid=True,
        latitude=52.2,
        longitude=5.4,
    )
    assert by_position == by_keyword
    assert (by_position.speed, by_position.course, by_position.alarm) == (0.0, None, None)
    assert by_position.attributes is EMPTY
    full = PositionReport(
        "gt06", "1", TIME, False, 1.0, 2.0, 3.0, 4.0, 5.0, 6, 7.0, True, False, Alarm.SOS, {"a": 1}
    )
    assert [getattr(full, f.name) for f in dataclasses.fields(full)] == [
        "gt06", "1", TIME, False, 1.0, 2.0, 3.0, 4.0, 5.0, 6, 7.0, True, False, Alarm.SOS, {"a": 1}
    ]  # fmt: skip


def test_a_report_stays_frozen_and_replace_still_works() -> None:
    report = PositionReport("gt06", "1", TIME, True, 1.0, 2.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.speed = 9.0  # type: ignore[misc]
    assert dataclasses.replace(report, speed=9.0).speed == 9.0
    assert report.speed == 0.0


def test_a_report_refuses_missing_and_unknown_fields() -> None:
    with pytest.raises(TypeError):
        PositionReport("gt06", "1", TIME)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        PositionReport("gt06", "1", TIME, True, 1.0, 2.0, colour="red")  # type: ignore[call-arg]


def test_a_decoded_frame_gets_its_defaults() -> None:
    decoded = Decoded(kind="login")
    assert (decoded.device_key, decoded.positions, decoded.ack, decoded.close) == (
        None,
        (),
        None,
        False,
    )
    assert decoded.attributes is EMPTY
