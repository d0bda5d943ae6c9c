"""Simulated tracks look like real bikes and cars around Spakenburg and Amersfoort."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from tests.protocols.invariants import check_position

from trackguard.demo.nl_identity import luhn_check_digit
from trackguard.simulator.motion import reports, simulated_devices
from trackguard.simulator.run import first_fix_time, fix_time_step
from trackguard.tracking.geo import haversine_m, implied_speed_kmh

START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def test_devices_are_deterministic_with_valid_imeis() -> None:
    devices = simulated_devices(6, seed=7)
    assert devices == simulated_devices(6, seed=7)
    assert devices != simulated_devices(6, seed=8)
    assert [d.vehicle for d in devices] == ["bike", "car"] * 3
    for device in devices:
        assert len(device.imei) == 15 and device.imei.isdigit()
        assert luhn_check_digit(device.imei[:14]) == device.imei[14]
    assert len({d.imei for d in devices}) == 6


def test_reports_stay_in_the_area_and_never_jump() -> None:
    for device in simulated_devices(4):
        stream = list(itertools.islice(reports(device, "gt06", START, timedelta(seconds=1)), 2000))
        for report in stream:
            check_position(report)
            assert 52.10 < report.latitude < 52.30
            assert 5.30 < report.longitude < 5.45
        for earlier, later in itertools.pairwise(stream):
            assert later.time - earlier.time == timedelta(seconds=1)
            metres = haversine_m(
                earlier.latitude, earlier.longitude, later.latitude, later.longitude
            )
            limit = 40 if device.vehicle == "bike" else 110
            assert implied_speed_kmh(metres, 1.0) < limit + 40  # GPS noise on top of speed


def test_counted_fast_runs_end_now_and_step_whole_seconds() -> None:
    step = fix_time_step(rate=500)
    assert step == timedelta(seconds=1)
    assert fix_time_step(rate=0.1) == timedelta(seconds=10)
    first = first_fix_time(START, step, count=100)
    assert first + step * 99 == START
    assert first_fix_time(START, step, count=None) == START
