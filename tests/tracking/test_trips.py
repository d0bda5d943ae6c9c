"""Trips, stops and summaries: Traccar-like detection on plain values, plus properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackguard.protocols.base import PositionReport
from trackguard.tracking.geo import destination
from trackguard.tracking.trips import (
    Fix,
    TripConfig,
    daily_summaries,
    day_periods,
    detect,
    path_length_m,
    summarize,
    usable_fixes,
)

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
HOME = (52.1561, 5.3878)


class Track:
    """Builds a fix every `step` seconds: parking with jitter, riding along a bearing."""

    def __init__(self, start: datetime = T0, at: tuple[float, float] = HOME, step: int = 10):
        self.time, self.at, self.step = start, at, step
        self.fixes: list[Fix] = []

    def park(self, minutes: float, *, ignition: bool | None = None) -> Track:
        for i in range(int(minutes * 60 / self.step)):
            jitter = destination(*self.at, (i * 77) % 360, 3.0)  # GPS noise, 3 m
            self._add(jitter, 0.4, ignition=ignition)
        return self

    def ride(
        self, metres: float, kmh: float, bearing: float = 45.0, *, ignition: bool | None = None
    ) -> Track:
        per_step = kmh / 3.6 * self.step
        for _ in range(int(metres / per_step)):
            self.at = destination(*self.at, bearing, per_step)
            self._add(self.at, kmh, ignition=ignition)
        return self

    def silence(self, minutes: float) -> Track:
        self.time += timedelta(minutes=minutes)
        return self

    def _add(self, at: tuple[float, float], kmh: float, *, ignition: bool | None) -> None:
        self.fixes.append(Fix(self.time, at[0], at[1], kmh, True, ignition))
        self.time += timedelta(seconds=self.step)


def test_commute_has_two_trips_and_three_stops() -> None:
    track = Track().park(10).ride(3_000, 18).park(20).ride(1_200, 15, bearing=200).park(30)
    found = detect(track.fixes)
    assert len(found.trips) == 2
    first, second = found.trips
    assert first.distance_m == pytest.approx(3_000, rel=0.02)
    assert first.duration == pytest.approx(timedelta(minutes=10), abs=timedelta(seconds=30))
    assert first.max_speed_kmh == 18
    assert first.average_speed_kmh == pytest.approx(18, rel=0.05)
    # Like Traccar, a trip starts at its first moving fix: the step before it is not counted.
    assert second.distance_m == pytest.approx(1_200 - 15 / 3.6 * 10, rel=0.03)
    assert [round(s.duration.total_seconds() / 60) for s in found.stops] == [10, 20, 30]
    assert found.stops[1].start_time == first.end_time
    assert found.stops[1].end_time == second.start_time
    assert (found.stops[1].lat, found.stops[1].lon) == (first.end_lat, first.end_lon)


def test_a_short_halt_does_not_split_a_trip() -> None:
    track = Track().park(10).ride(2_000, 20).park(2).ride(2_000, 20).park(10)
    found = detect(track.fixes)
    assert len(found.trips) == 1
    assert found.trips[0].distance_m == pytest.approx(4_000, rel=0.03)


def test_drift_while_parked_is_no_trip_and_no_distance() -> None:
    track = Track().park(120)
    found = detect(track.fixes)
    assert found.trips == ()
    assert len(found.stops) == 1
    summary = summarize(track.fixes, T0, T0 + timedelta(hours=3))
    assert summary.distance_m == 0 and summary.trip_count == 0


def test_a_short_shuffle_is_not_a_trip() -> None:
    track = Track().park(10).ride(100, 6).park(10)  # 100 m in a minute: moving the bike
    assert detect(track.fixes).trips == ()


def test_silence_ends_a_trip_where_the_data_did() -> None:
    track = Track().park(5).ride(2_000, 20).silence(90).ride(2_000, 20).park(10)
    found = detect(track.fixes)
    assert len(found.trips) == 2
    assert found.trips[1].start_time - found.trips[0].end_time > timedelta(hours=1)


def test_ignition_decides_motion_when_asked() -> None:
    track = Track().park(10, ignition=False).ride(2_000, 30, ignition=True)
    track.park(10, ignition=True).park(10, ignition=False)  # idling counts as driving
    found = detect(track.fixes, TripConfig(use_ignition=True))
    assert len(found.trips) == 1
    assert found.trips[0].duration >= timedelta(minutes=13)
    summary = summarize(track.fixes, T0, T0 + timedelta(hours=1))
    assert summary.engine_hours is not None
    assert abs(summary.engine_hours - timedelta(minutes=14)) <= timedelta(seconds=20)


def test_invalid_and_null_fixes_are_ignored() -> None:
    track = Track().park(10).ride(3_000, 18).park(10)
    noisy = list(track.fixes)
    noisy.insert(40, Fix(noisy[40].time, 0.0, 0.0, 18.0))
    noisy.insert(50, Fix(noisy[50].time, 10.0, 10.0, 18.0, valid=False))
    assert detect(noisy) == detect(track.fixes)


def test_summary_counts_trips_only_and_cuts_at_the_period() -> None:
    track = Track().park(10).ride(3_000, 18).park(20).ride(1_200, 15).park(30)
    whole = summarize(track.fixes, T0, T0 + timedelta(hours=2))
    assert whole.trip_count == 2
    assert whole.distance_m == pytest.approx(4_200, rel=0.03)
    assert whole.max_speed_kmh == 18
    moving = whole.moving_duration.total_seconds()
    assert whole.average_speed_kmh == pytest.approx(whole.distance_m / moving * 3.6)
    assert whole.engine_hours is None
    cut = summarize(track.fixes, T0, T0 + timedelta(minutes=15))
    assert cut.distance_m < 3_000 and cut.end_time == T0 + timedelta(minutes=15)


def test_daily_summaries_follow_local_midnight_across_dst() -> None:
    amsterdam = ZoneInfo("Europe/Amsterdam")
    days = list(day_periods(date(2026, 3, 28), date(2026, 3, 30), amsterdam))
    assert [(b - a) for a, b in days] == [
        timedelta(hours=24),
        timedelta(hours=23),
        timedelta(hours=24),
    ]
    track = Track(start=datetime(2026, 3, 28, 8, tzinfo=UTC)).park(10).ride(3_000, 18).park(10)
    summaries = daily_summaries(track.fixes, date(2026, 3, 28), date(2026, 3, 29), amsterdam)
    assert [s.trip_count for s in summaries] == [1, 0]


def test_traccar_fields() -> None:
    track = Track().park(10).ride(3_000, 18).park(10)
    found = detect(track.fixes)
    trip = found.trips[0].to_traccar(7)
    assert set(trip) >= {
        "deviceId", "startTime", "endTime", "startLat", "startLon", "endLat", "endLon",
        "distance", "duration", "maxSpeed", "averageSpeed",
    }  # fmt: skip
    assert trip["maxSpeed"] == pytest.approx(18 / 1.852)  # knots, like Traccar
    assert trip["duration"] == round(found.trips[0].duration.total_seconds() * 1000)
    assert trip["startTime"].endswith("Z")
    stop = found.stops[0].to_traccar(7)
    assert set(stop) >= {"startTime", "endTime", "duration", "latitude", "longitude"}
    summary = summarize(track.fixes, T0, T0 + timedelta(hours=1)).to_traccar(7)
    assert set(summary) >= {"distance", "averageSpeed", "maxSpeed"} and "engineHours" not in summary


def test_fix_from_report() -> None:
    report = PositionReport("osmand", "1", T0, True, 52.1, 5.3, speed=12.5, ignition=True)
    assert Fix.from_report(report) == Fix(T0, 52.1, 5.3, 12.5, True, True, None)


# -- properties -------------------------------------------------------------------------------


@st.composite
def tracks(draw: st.DrawFn) -> list[Fix]:
    """Random walks: random steps, speeds, halts, silences, invalid fixes."""
    time, at = T0, HOME
    fixes: list[Fix] = []
    for _ in range(draw(st.integers(0, 60))):
        time += timedelta(seconds=draw(st.sampled_from([1, 5, 10, 30, 60, 600, 5400])))
        speed = draw(st.sampled_from([0.0, 0.5, 3.0, 15.0, 40.0]))
        if speed:
            at = destination(*at, draw(st.floats(0, 359)), draw(st.floats(0, 400)))
        fixes.append(Fix(time, at[0], at[1], speed, draw(st.booleans()) or speed > 0))
    return fixes


configs = st.builds(
    TripConfig,
    speed_threshold_kmh=st.sampled_from([1.0, 2.0, 10.0]),
    min_trip_distance_m=st.sampled_from([0.0, 200.0, 500.0]),
    min_trip_duration=st.sampled_from([timedelta(0), timedelta(minutes=5)]),
    min_stop_duration=st.sampled_from([timedelta(0), timedelta(minutes=1), timedelta(minutes=5)]),
    max_gap=st.sampled_from([timedelta(minutes=30), timedelta(hours=1)]),
)


@settings(max_examples=100, deadline=None)
@given(tracks(), configs)
def test_trips_and_stops_never_overlap_and_stay_in_the_period(
    fixes: list[Fix], config: TripConfig
) -> None:
    found = detect(fixes, config)
    points = usable_fixes(fixes)
    spans = sorted(
        [(t.start_time, t.end_time) for t in found.trips]
        + [(s.start_time, s.end_time) for s in found.stops]
    )
    for (_, end), (start, _) in pairwise(spans):
        assert end <= start
    if points:
        first, last = points[0].time, points[-1].time
        assert all(first <= a <= b <= last for a, b in spans)
        total = sum((b - a for a, b in spans), timedelta())
        assert total <= last - first
    else:
        assert spans == []


@settings(max_examples=100, deadline=None)
@given(tracks(), configs)
def test_trip_distance_never_exceeds_the_path(fixes: list[Fix], config: TripConfig) -> None:
    found = detect(fixes, config)
    path = path_length_m(usable_fixes(fixes))
    assert sum(t.distance_m for t in found.trips) <= path + 1e-6
    for trip in found.trips:
        assert trip.distance_m >= 0 and trip.duration >= timedelta(0)
        assert (
            trip.distance_m >= config.min_trip_distance_m
            or trip.duration >= config.min_trip_duration
        )
    for stop in found.stops:
        assert stop.duration >= config.min_stop_duration


@settings(max_examples=100, deadline=None)
@given(tracks())
def test_summary_agrees_with_its_trips(fixes: list[Fix]) -> None:
    start, end = T0, T0 + timedelta(days=2)
    summary = summarize(fixes, start, end)
    trips = detect([f for f in fixes if start <= f.time < end]).trips
    assert summary.trip_count == len(trips)
    assert summary.distance_m == pytest.approx(sum(t.distance_m for t in trips))
    assert summary.moving_duration <= end - start
