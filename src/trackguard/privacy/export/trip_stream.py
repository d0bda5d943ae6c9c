"""Trips of one device's fixes, found while the fixes stream past (for tracks.gpx).

`tracking.trips.detect` needs every fix of a device in a list; a subject with ten
million positions does not fit. This splitter applies the same rules to one fix
at a time and hands each trip's points to a sink as soon as they are certain to
belong to a trip, so it holds only the fixes still undecided: a candidate trip
until it qualifies (at most `min_trip_duration` or `min_trip_distance_m` of fixes)
and the fixes standing still after the last movement (at most `min_stop_duration`).
Its trips are those `detect` finds (tests compare both on random tracks).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, Protocol, TypeVar

from trackguard.tracking.geo import haversine_m
from trackguard.tracking.trips import Fix, TripConfig, usable_fixes

P = TypeVar("P")
P_contra = TypeVar("P_contra", contravariant=True)


class TripSink(Protocol[P_contra]):
    """Receives trips: `start` with the first point, `point` for each further point, `end`."""

    def start(self, first: P_contra) -> None: ...
    def point(self, item: P_contra) -> None: ...
    def end(self) -> None: ...


class TripSplitter(Generic[P]):
    """Feed one device's fixes in time order with `add`, then `close` (see module doc)."""

    def __init__(self, sink: TripSink[P], config: TripConfig | None = None) -> None:
        self.sink = sink
        self.config = config or TripConfig()
        self.trips = 0
        self._prev: Fix | None = None
        self._open = False
        self._emitting = False
        self._run: list[tuple[Fix, P]] = []  # first .. last moving, while undecided
        self._pending: list[tuple[Fix, P]] = []  # standing still after the last moving fix
        self._first: Fix | None = None
        self._last_moving: Fix | None = None
        self._distance = 0.0  # path length from the first to the last moving fix

    def add_batch(self, batch: Iterable[tuple[Fix, P]]) -> None:
        """Add fixes in time order; invalid ones are dropped by `trips.usable_fixes`' rule."""
        pairs = list(batch)
        usable = {id(f) for f in usable_fixes(f for f, _ in pairs)}
        for fix, item in pairs:
            if id(fix) in usable:
                self.add(fix, item)

    def add(self, fix: Fix, item: P) -> None:
        """One usable fix (valid, real coordinates), not earlier than the one before."""
        config = self.config
        moving = config.moving(fix)
        if self._open:
            assert self._prev is not None and self._last_moving is not None
            gap = fix.time - self._prev.time
            halted = fix.time - self._last_moving.time
            if gap > config.max_gap or (not moving and halted >= config.min_stop_duration):
                self._end((fix, item))
        if moving:
            if self._open:
                self._extend(fix, item)
            else:
                self._begin(fix, item)
        elif self._open:
            self._pending.append((fix, item))
        self._prev = fix

    def close(self) -> None:
        """The device's fixes are done: end a trip still open."""
        if self._open:
            self._end(None)
        self._prev = None

    # -- internals ------------------------------------------------------------------------

    def _begin(self, fix: Fix, item: P) -> None:
        self._open, self._emitting = True, False
        self._run = [(fix, item)]
        self._pending = []
        self._first = self._last_moving = fix
        self._distance = 0.0

    def _extend(self, fix: Fix, item: P) -> None:
        """A moving fix: the fixes standing still before it are part of the trip after all."""
        if not self._emitting:  # once a trip, its length no longer decides anything
            last = self._last_moving
            assert last is not None
            for f, _ in self._pending:
                self._distance += haversine_m(last.lat, last.lon, f.lat, f.lon)
                last = f
            self._distance += haversine_m(last.lat, last.lon, fix.lat, fix.lon)
        if self._emitting:
            for _, pending_item in self._pending:
                self.sink.point(pending_item)
            self.sink.point(item)
        else:
            self._run.extend(self._pending)
            self._run.append((fix, item))
        self._pending = []
        self._last_moving = fix
        if not self._emitting and self._qualifies(fix, self._distance):
            self._emit_run()

    def _qualifies(self, last: Fix, distance: float) -> bool:
        assert self._first is not None
        config = self.config
        return last is not self._first and (
            distance >= config.min_trip_distance_m
            or last.time - self._first.time >= config.min_trip_duration
        )

    def _emit_run(self) -> None:
        self._emitting = True
        self.trips += 1
        (_, first), *rest = self._run
        self.sink.start(first)
        for _, item in rest:
            self.sink.point(item)
        self._run = []

    def _end(self, following: tuple[Fix, P] | None) -> None:
        """The candidate ends; its arrival is the next fix, if it came within `max_gap`."""
        last = self._last_moving
        assert last is not None
        after = self._pending[0] if self._pending else following
        arrival = None
        if after is not None and after[0].time - last.time <= self.config.max_gap:
            arrival = after
        if not self._emitting and arrival is not None:
            distance = self._distance + haversine_m(
                last.lat, last.lon, arrival[0].lat, arrival[0].lon
            )
            if self._qualifies(arrival[0], distance):
                self._run.append(arrival)
                arrival = None
                self._emit_run()
        if self._emitting:
            if arrival is not None:
                self.sink.point(arrival[1])
            self.sink.end()
        self._open, self._emitting = False, False
        self._run, self._pending = [], []
        self._first = self._last_moving = None
