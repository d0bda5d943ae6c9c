"""The streaming trip splitter finds exactly the trips `tracking.trips.detect` finds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from trackguard.privacy.export.trip_stream import TripSplitter
from trackguard.tracking.trips import Fix, TripConfig, detect, usable_fixes

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Collect:
    """A sink keeping each trip's points (the fixes' times)."""

    def __init__(self) -> None:
        self.trips: list[list[datetime]] = []
        self.open = False

    def start(self, first: datetime) -> None:
        assert not self.open
        self.open = True
        self.trips.append([first])

    def point(self, item: datetime) -> None:
        assert self.open
        self.trips[-1].append(item)

    def end(self) -> None:
        assert self.open
        self.open = False


def streamed(fixes: list[Fix], config: TripConfig, batch: int) -> list[list[datetime]]:
    sink = Collect()
    splitter: TripSplitter[datetime] = TripSplitter(sink, config)
    for i in range(0, len(fixes), batch):
        splitter.add_batch((f, f.time) for f in fixes[i : i + batch])
    splitter.close()
    assert not sink.open
    assert splitter.trips == len(sink.trips)
    return sink.trips


def expected(fixes: list[Fix], config: TripConfig) -> list[list[datetime]]:
    points = usable_fixes(fixes)
    return [
        [f.time for f in points if trip.start_time <= f.time <= trip.end_time]
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
    held: list[int] = []

    class Watch(Collect):
        def point(self, item: datetime) -> None:
            super().point(item)
            held.append(len(splitter._run) + len(splitter._pending))

    sink = Watch()
    splitter: TripSplitter[datetime] = TripSplitter(sink, TripConfig())
    moment = START
    for i in range(20_000):
        moment += timedelta(seconds=2)
        fix = Fix(moment, 52.0 + i * 0.0002, 5.0, 50.0)
        splitter.add(fix, fix.time)
    splitter.close()
    assert len(sink.trips) == 1 and len(sink.trips[0]) == 20_000
    assert max(held) < 200


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
