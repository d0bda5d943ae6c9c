"""A day of positions: plausible trips at local times, and a payload that round-trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from random import Random

import pytest

from trackguard.demo.position_payload import (
    PositionFix,
    decode_position_payload,
    encode_position_payload,
    position_row_binding,
)
from trackguard.demo.tracks import BIKE_DAY, CAR_DAY, LOCAL, DeviceDay, TrackPoint, day_of_positions

# Bunschoten-Spakenburg, the Arkemheen polder and Amersfoort, with a little margin.
AREA = ((52.14, 52.27), (5.33, 5.44))


def _moving(track: list[TrackPoint]) -> list[TrackPoint]:
    return [p for p in track if p.fix.valid and p.fix.speed > 0]


@pytest.mark.parametrize(("day", "top_speed"), [(BIKE_DAY, 32), (CAR_DAY, 95)])
def test_a_day_stays_in_the_area_and_before_now(
    day: DeviceDay, top_speed: float, now: datetime
) -> None:
    track = day_of_positions(Random(1), day, now)
    assert len(track) > 100
    assert all(now - timedelta(days=1, hours=1) < p.fix_time < now for p in track)
    assert all(p.fix_time < p.received_at <= now for p in track)
    assert [p.fix_time for p in track] == sorted(p.fix_time for p in track)
    for p in track:
        assert AREA[0][0] < p.fix.lat < AREA[0][1] and AREA[1][0] < p.fix.lon < AREA[1][1]
        assert 0 <= p.fix.speed <= top_speed and 0 <= p.fix.course < 360
        assert 0 <= p.fix.battery <= 100


def test_moving_trackers_report_every_ten_to_thirty_seconds(now: datetime) -> None:
    track = day_of_positions(Random(2), CAR_DAY, now)
    gaps = [(b.fix_time - a.fix_time).total_seconds() for a, b in pairwise(_moving(track))]
    assert sum(10 <= g <= 30 for g in gaps) > 0.8 * len(gaps)


def test_parked_trackers_send_heartbeats(now: datetime) -> None:
    track = day_of_positions(Random(3), BIKE_DAY, now)
    parked = [p for p in track if p.fix.speed == 0]
    assert len(parked) >= 10


def test_the_car_commutes_at_local_rush_hour(now: datetime) -> None:
    track = day_of_positions(Random(4), CAR_DAY, now)
    starts = {p.fix_time.astimezone(LOCAL).hour for p in _moving(track)}
    assert starts <= {7, 8, 17, 18}


def test_the_same_draws_make_the_same_day(now: datetime) -> None:
    assert day_of_positions(Random(5), BIKE_DAY, now) == day_of_positions(Random(5), BIKE_DAY, now)
    later = day_of_positions(Random(5), BIKE_DAY, now + timedelta(hours=7))
    moving = [p.fix for p in _moving(day_of_positions(Random(5), BIKE_DAY, now))]
    assert len([p.fix for p in _moving(later)]) == len(moving)


def test_some_fixes_are_marked_invalid_by_the_receiver(now: datetime) -> None:
    fixes = [p.fix for seed in range(6) for p in day_of_positions(Random(seed), CAR_DAY, now)]
    invalid = [f for f in fixes if not f.valid]
    assert invalid and all(f.satellites < 4 for f in invalid)


def test_payload_round_trips_rounded() -> None:
    fix = PositionFix(52.2518123456, 5.36681234, 18.456, 359.97, -0.44, 9, True, 86)
    decoded = decode_position_payload(encode_position_payload(fix))
    assert decoded == PositionFix(52.251812, 5.366812, 18.5, 0.0, -0.4, 9, True, 86)


def test_row_binding_is_the_same_for_naive_and_aware_fix_times() -> None:
    aware = datetime(2026, 3, 1, 7, 45, 12, tzinfo=UTC)
    expected = "d1|2026-03-01T07:45:12.000000+00:00"
    assert position_row_binding("d1", aware) == expected
    assert position_row_binding("d1", aware.replace(tzinfo=None)) == expected
