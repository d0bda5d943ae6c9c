"""The streaming trip splitter finds exactly the trips `tracking.trips.detect` finds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from trackguard.privacy.export.trip_stream import PointText, TripFixes, TripSplitter
from trackguard.tracking.trips import Fix, TripConfig, detect, path_length_m, usable_fixes

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Collect:
    """A sink keeping each trip's points (the lines: one fix time each)."""

    def __init__(self) -> None:
        self.trips: list[list[str]] = []
        self.open = False

    def start(self) -> None:
        assert not self.open
        self.open = True
        self.trips.append([])

    def write_points(self, lines: PointText, lo: int, hi: int) -> None:
        assert self.open and 0 <= lo < hi <= len(lines)
        self.trips[-1] += lines.lines(lo, hi).decode().splitlines()

    def end(self) -> None:
        assert self.open and self.trips[-1]
        self.open = False


def trip_fixes(fixes: list[Fix], config: TripConfig) -> TripFixes:
    """Usable `fixes` as the splitter takes them; each point's line is its time."""
    usable = usable_fixes(fixes)
    text = "".join(f"{f.time.isoformat()}\n" for f in usable).encode()
    ends = np.flatnonzero(np.frombuffer(text, np.uint8) == ord("\n")) + 1
    return TripFixes(
        np.array([(f.time - EPOCH) // timedelta(microseconds=1) for f in usable], np.int64),
        np.array([f.lat for f in usable], np.float64),
        np.array([f.lon for f in usable], np.float64),
        np.array([config.moving(f) for f in usable], np.bool_),
        PointText(text, ends.astype(np.int64)),
    )


def streamed(fixes: list[Fix], config: TripConfig, batch: int) -> list[list[str]]:
    sink = Collect()
    splitter = TripSplitter(sink, config)
    for i in range(0, len(fixes), batch):
        splitter.add(trip_fixes(fixes[i : i + batch], config))
    splitter.close()
    assert not sink.open
    assert splitter.trips == len(sink.trips)
    return sink.trips


def expected(fixes: list[Fix], config: TripConfig) -> list[list[str]]:
    points = usable_fixes(fixes)
    return [
        [f.time.isoformat() for f in points if trip.start_time <= f.time <= trip.end_time]
        for trip in detect(fixes, config).trips
    ]


step = st.tuples(
    # Seconds since the fix before: often exactly on a threshold (3 min stop, 40 min gap).
    st.sampled_from([30, 60, 90, 150, 180, 2400, 2401]) | st.integers(1, 5400),
    st.sampled_from([0.0, 0.0, 1.0, 3.0, 15.0, 40.0, 90.0]),  # km/h
    st.floats(min_value=-0.01, max_value=0.01),  # degrees moved
    st.booleans() | st.just(True),  # valid (mostly)
)


@settings(max_examples=300, deadline=None)
@given(
    steps=st.lists(step, max_size=120),
    batch=st.integers(min_value=1, max_value=50),
    ignition=st.booleans(),
)
def test_streamed_trips_are_the_trips_detect_finds(
    steps: list[tuple[int, float, float, bool]], batch: int, ignition: bool
) -> None:
    config = TripConfig(
        min_trip_duration=timedelta(minutes=5),
        min_stop_duration=timedelta(minutes=3),
        max_gap=timedelta(minutes=40),
        use_ignition=ignition,
    )
    fixes, moment, lat = [], START, 52.0
    for seconds, speed, move, valid in steps:
        moment += timedelta(seconds=seconds)
        lat += move
        fixes.append(Fix(moment, lat, 5.0, speed, valid, ignition=speed > 0))
    assert streamed(fixes, config, batch) == expected(fixes, config)


def test_a_drive_a_stop_and_a_drive_are_two_trips() -> None:
    fixes = []
    moment = START
    for speed, count in ((40.0, 30), (0.0, 30), (40.0, 30)):
        for _ in range(count):
            moment += timedelta(seconds=30)
            fixes.append(Fix(moment, 52.0 + len(fixes) * 0.001, 5.0, speed))
    trips = streamed(fixes, TripConfig(), batch=7)
    assert len(trips) == 2
    assert [len(t) for t in trips] == [31, 30]  # the first ends at its arrival fix


def test_undecided_fixes_stay_few_on_a_long_drive() -> None:
    """A day of driving is written as it goes: the splitter never holds it all."""
    sink = Collect()
    splitter = TripSplitter(sink, TripConfig())
    moment, held = START, []
    for n in range(200):
        fixes = []
        for i in range(100):
            moment += timedelta(seconds=2)
            fixes.append(Fix(moment, 52.0 + (n * 100 + i) * 0.0002, 5.0, 50.0))
        splitter.add(trip_fixes(fixes, TripConfig()))
        held.append(splitter.held)
    splitter.close()
    assert len(sink.trips) == 1 and len(sink.trips[0]) == 20_000
    assert max(held) <= 1  # only the last moving fix, already written


def test_a_trip_as_long_as_the_minimum_distance_is_one_as_detect_finds() -> None:
    """On the threshold, the length is summed fix by fix as `detect` does: the rounding of
    a cumulative sum never decides."""
    fixes = [
        Fix(START + timedelta(seconds=10 * i), 52.0 + i * 0.000123456, 5.0 + i * 0.0000789, 30.0)
        for i in range(12)
    ]
    fixes.append(Fix(fixes[-1].time + timedelta(minutes=10), fixes[-1].lat, fixes[-1].lon, 0.0))
    length = path_length_m(fixes[:-1])  # the arrival stands where the last moving fix was
    for minimum in (length, float(np.nextafter(length, np.inf))):
        config = TripConfig(min_trip_distance_m=minimum, min_trip_duration=timedelta(hours=1))
        for batch in (1, 5, 13):
            assert streamed(fixes, config, batch) == expected(fixes, config), (minimum, batch)
    assert len(expected(fixes, TripConfig(min_trip_distance_m=length))) == 1


def test_a_halt_or_silence_exactly_at_the_threshold_splits_as_detect_does() -> None:
    config = TripConfig()  # stops from 5 minutes, gaps over 1 hour
    for pause in (
        config.min_stop_duration - timedelta(seconds=1),
        config.min_stop_duration,
        config.max_gap,
        config.max_gap + timedelta(seconds=1),
    ):
        fixes, moment = [], START
        for leg in range(2):
            for _ in range(20):
                moment += timedelta(seconds=30)
                fixes.append(Fix(moment, 52.0 + len(fixes) * 0.001, 5.0, 40.0))
            if leg == 0:
                moment += pause
                fixes.append(Fix(moment, 52.0 + len(fixes) * 0.001, 5.0, 0.0))
        assert streamed(fixes, config, batch=8) == expected(fixes, config), pause
