"""Trips of one device's fixes, found while the fixes stream past (for tracks.gpx).

`tracking.trips.detect` needs every fix of a device in a list; a subject with ten
million positions does not fit. This splitter applies the same rules to batches
of fixes held as arrays, and hands each trip's points to a sink as soon as they
are certain to belong to a trip, so it holds only the fixes still undecided: a
candidate trip until it qualifies (at most `min_trip_duration` or
`min_trip_distance_m` of fixes) and the fixes standing still after the last
movement (at most `min_stop_duration`). Its trips are those `detect` finds (tests
compare both on random tracks).

The rules, column-wise: a fix *breaks* the candidate open at it when it comes
more than `max_gap` after the fix before, or stands still `min_stop_duration`
after the last moving fix. Two moving fixes in a row (nothing but standing fixes
between) belong to one candidate unless a fix after the first, up to the second,
breaks; so candidates are runs of moving fixes without a break between them,
found with cumulative sums, and Python visits candidates, not fixes. A
candidate's path length comes from a cumulative haversine sum; where that lands
within a millimetre of `min_trip_distance_m` it is summed again fix by fix as
`detect` does, so rounding never decides differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import numpy as np
import numpy.typing as npt

from trackguard.tracking.geo import EARTH_RADIUS_M
from trackguard.tracking.trips import Fix, TripConfig, path_length_m

Micros = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Flags = npt.NDArray[np.bool_]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RECHECK_M = 1e-3  # cumulative sums closer than this to the threshold are summed again


class TripSink(Protocol):
    """Receives trips: `start`, then `write_points` (lines `lo` to `hi` of `lines`) as
    often as needed, then `end`."""

    def start(self) -> None: ...
    def write_points(self, lines: PointText, lo: int, hi: int) -> None: ...
    def end(self) -> None: ...


@dataclass(frozen=True)
class PointText:
    """What a trip writes of each fix: one line each, line i is `text[ends[i-1]:ends[i]]`."""

    text: bytes
    ends: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.ends)

    def lines(self, lo: int, hi: int) -> bytes:
        start = int(self.ends[lo - 1]) if lo else 0
        return self.text[start : int(self.ends[hi - 1])] if hi > lo else b""

    def tail(self, lo: int) -> PointText:
        start = int(self.ends[lo - 1]) if lo else 0
        return PointText(self.text[start:], self.ends[lo:] - start)

    def then(self, other: PointText) -> PointText:
        if not len(self):
            return other
        return PointText(
            self.text + other.text, np.concatenate([self.ends, other.ends + len(self.text)])
        )


@dataclass(frozen=True)
class TripFixes:
    """Usable fixes (`trips.usable_fixes`) of one device in time order, as columns."""

    time_us: Micros  # microseconds since the epoch
    lat: Floats
    lon: Floats
    moving: Flags  # `TripConfig.moving`
    points: PointText

    def __len__(self) -> int:
        return len(self.time_us)

    def tail(self, lo: int) -> TripFixes:
        return TripFixes(
            self.time_us[lo:], self.lat[lo:], self.lon[lo:], self.moving[lo:], self.points.tail(lo)
        )

    def then(self, other: TripFixes) -> TripFixes:
        if not len(self):
            return other
        return TripFixes(
            np.concatenate([self.time_us, other.time_us]),
            np.concatenate([self.lat, other.lat]),
            np.concatenate([self.lon, other.lon]),
            np.concatenate([self.moving, other.moving]),
            self.points.then(other.points),
        )


def moving_flags(
    config: TripConfig, speed: Floats, ignition: npt.NDArray[np.intp], *, true: int, unknown: int
) -> Flags:
    """`config.moving` of each fix; `ignition` holds codes (`true`, or `unknown` for None)."""
    by_speed = speed > config.speed_threshold_kmh
    if not config.use_ignition:
        return by_speed
    return np.where(ignition == unknown, by_speed, ignition == true)


class TripSplitter:
    """Feed one device's usable fixes in time order with `add`, then `close` (module doc)."""

    def __init__(self, sink: TripSink, config: TripConfig | None = None) -> None:
        self.sink = sink
        self.config = config or TripConfig()
        self.trips = 0
        # Undecided fixes: from the open candidate's first fix, or, once it is a trip,
        # from its last moving fix (already written, so `_written` is 1).
        self._held: TripFixes | None = None
        self._written = 0

    @property
    def held(self) -> int:
        """How many fixes the splitter holds undecided."""
        return 0 if self._held is None else len(self._held)

    def add(self, fixes: TripFixes) -> None:
        """The next usable fixes, not earlier than those before."""
        if len(fixes):
            window = fixes if self._held is None else self._held.then(fixes)
            self._split(window, final=False)

    def close(self) -> None:
        """The device's fixes are done: end a trip still open."""
        if self._held is not None:
            self._split(self._held, final=True)
        self._held, self._written = None, 0

    # -- internals ------------------------------------------------------------------------

    def _split(self, window: TripFixes, *, final: bool) -> None:
        config = self.config
        times, moving = window.time_us, window.moving
        count = len(window)
        moving_at = np.flatnonzero(moving)
        inherited = self._held is not None  # window[0] opens (or continues) a candidate
        self._held, emitting, self._written = None, inherited and self._written > 0, 0
        if not len(moving_at):
            return
        max_gap, min_stop = _micros(config.max_gap), _micros(config.min_stop_duration)
        # The last moving fix before each fix (-1: none yet).
        last_moving = np.maximum.accumulate(np.where(moving, np.arange(count), -1))
        before = np.concatenate([[-1], last_moving[:-1]])
        gap = np.diff(times, prepend=times[0])
        halted = times - times[np.maximum(before, 0)]
        breaks = (before >= 0) & ((gap > max_gap) | (~moving & (halted >= min_stop)))
        broken = np.cumsum(breaks)
        # Runs of moving fixes with no break between them are the candidates.
        linked = broken[moving_at[1:]] == broken[moving_at[:-1]]
        firsts = moving_at[np.concatenate([[True], ~linked])]
        lasts = moving_at[np.concatenate([~linked, [True]])]
        closed_last = final or broken[-1] > broken[lasts[-1]]
        steps = _steps_m(window)
        for n, (first, last) in enumerate(zip(firsts.tolist(), lasts.tolist(), strict=True)):
            continues = emitting and n == 0  # a trip already started in an earlier batch
            if n < len(firsts) - 1 or closed_last:
                arrival = last
                if last + 1 < count and times[last + 1] - times[last] <= max_gap:
                    arrival = last + 1
                if continues or self._qualifies(window, steps, first, arrival):
                    self._write(window.points, 1 if continues else first, arrival + 1, continues)
                    self.sink.end()
                continue
            # Still open: write what is certain, hold the rest for the next batch.
            if continues or self._qualifies(window, steps, first, last):
                self._write(window.points, 1 if continues else first, last + 1, continues)
                self._held, self._written = window.tail(last), 1
            else:
                self._held = window.tail(first)

    def _write(self, points: PointText, lo: int, hi: int, continues: bool) -> None:
        if not continues:
            self.trips += 1
            self.sink.start()
        if hi > lo:
            self.sink.write_points(points, lo, hi)

    def _qualifies(self, window: TripFixes, steps: Floats, first: int, last: int) -> bool:
        """`detect`'s test of a candidate from `first` to `last` (its arrival, or so far)."""
        if last <= first:
            return False
        config = self.config
        if window.time_us[last] - window.time_us[first] >= _micros(config.min_trip_duration):
            return True
        distance = float(steps[first + 1 : last + 1].sum())
        if abs(distance - config.min_trip_distance_m) <= _RECHECK_M:
            distance = path_length_m(_fixes(window, first, last + 1))
        return distance >= config.min_trip_distance_m


def _steps_m(window: TripFixes) -> Floats:
    """Haversine metres from each fix to the one before (0 for the first), as `geo`."""
    phi = np.radians(window.lat)
    dphi = np.diff(phi, prepend=phi[:1])
    dlambda = np.radians(np.diff(window.lon, prepend=window.lon[:1]))
    cos_phi = np.cos(phi)
    before = np.concatenate([cos_phi[:1], cos_phi[:-1]])
    a = np.sin(dphi / 2) ** 2 + before * cos_phi * np.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def _fixes(window: TripFixes, lo: int, hi: int) -> list[Fix]:
    return [
        Fix(_EPOCH + timedelta(microseconds=t), lat, lon)
        for t, lat, lon in zip(
            window.time_us[lo:hi].tolist(),
            window.lat[lo:hi].tolist(),
            window.lon[lo:hi].tolist(),
            strict=True,
        )
    ]


def _micros(span: timedelta) -> int:
    return span // timedelta(microseconds=1)
