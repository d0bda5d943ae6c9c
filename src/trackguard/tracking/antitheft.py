"""Anti-theft rules: which events one new position raises (pure, no I/O).

`evaluate(watch, geofences, report, config)` takes what is known about a device
(`DeviceWatch`: armed or not, where it was when armed, which geofences it was
inside, what it raised lately) and one committed report, and returns the new
watch and the events. The caller (`events.AntiTheftMonitor`) keeps the watch
between reports, stores the events and delivers the alerts.

Events use Traccar's type names:

* ``deviceMoving``  armed, and the device moved: a valid fix more than
  `movement_threshold_m` from where it stood when armed (the *anchor*), or
  `motion_reports` reports in a row flagging motion / ignition / speed above
  `motion_speed_kmh` (one flag alone is often a bump). The anchor then moves to
  where it was seen, and the event is raised again at most every `moving_repeat`
  while it keeps moving.
* ``geofenceExit`` / ``geofenceEnter``  a valid fix crosses a linked geofence. A
  device leaves only when it is more than `geofence_margin_m` outside, so GPS
  jitter on the edge does not flap. Geofences seen for the first time (after a
  restart, just linked, or redrawn: a new `version`) are learnt silently.
* ``alarm``  the tracker reports an alarm in `alarms` (armed or not) or in
  `armed_alarms` (only while armed: vibration is normal on a ride); the same alarm
  again within `alarm_repeat` is the tracker repeating itself and raises nothing.

`RaisedEvent.alert` says whether to notify the customer by e-mail and webhook:
every anti-theft event is an alert, except geofence crossings while disarmed
(stored and shown live, like in Traccar's reports, but not mailed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from trackguard.clock import as_utc
from trackguard.protocols.base import Alarm, PositionReport
from trackguard.tracking.geo import haversine_m, valid_coordinates
from trackguard.tracking.geofence import Area


class EventType(StrEnum):
    DEVICE_MOVING = "deviceMoving"
    GEOFENCE_EXIT = "geofenceExit"
    GEOFENCE_ENTER = "geofenceEnter"
    ALARM = "alarm"


@dataclass(frozen=True, slots=True)
class AntiTheftConfig:
    """Tracking parameters of the anti-theft rules."""

    movement_threshold_m: float = 50.0
    motion_reports: int = 2
    motion_speed_kmh: float = 5.0
    moving_repeat: timedelta = timedelta(minutes=15)
    geofence_margin_m: float = 10.0
    alarm_repeat: timedelta = timedelta(minutes=5)
    alarms: frozenset[Alarm] = frozenset({Alarm.SOS, Alarm.POWER_CUT, Alarm.LOW_BATTERY})
    armed_alarms: frozenset[Alarm] = frozenset({Alarm.VIBRATION})

    def raises(self, alarm: Alarm | None, armed: bool) -> bool:
        if alarm is None:
            return False
        return alarm in self.alarms or (armed and alarm in self.armed_alarms)


@dataclass(frozen=True, slots=True)
class WatchedGeofence:
    """A geofence a device watches; a new `version` (e.g. its change time) is a new shape."""

    id: str
    area: Area
    version: str = ""


@dataclass(frozen=True, slots=True)
class RaisedEvent:
    type: EventType
    time: datetime
    alert: bool
    geofence_id: str | None = None
    attributes: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeviceWatch:
    """What the rules remember about one device between reports."""

    armed: bool = False
    anchor: tuple[float, float] | None = None  # (lat, lon) where it stood when armed
    motion_count: int = 0
    last_moving_event: datetime | None = None
    known_geofences: frozenset[tuple[str, str]] = frozenset()  # (id, version)
    inside: frozenset[str] = frozenset()
    last_fix: tuple[datetime, float, float] | None = None  # newest valid fix seen
    last_alarms: Mapping[str, datetime] = field(default_factory=dict)

    def arm(self) -> DeviceWatch:
        """Armed now: it is expected to stay where it was last seen."""
        if self.armed:
            return self
        anchor = (self.last_fix[1], self.last_fix[2]) if self.last_fix else None
        return replace(self, armed=True, anchor=anchor, motion_count=0, last_moving_event=None)

    def disarm(self) -> DeviceWatch:
        if not self.armed:
            return self
        return replace(self, armed=False, anchor=None, motion_count=0, last_moving_event=None)


def evaluate(
    watch: DeviceWatch,
    geofences: Sequence[WatchedGeofence],
    report: PositionReport,
    config: AntiTheftConfig | None = None,
) -> tuple[DeviceWatch, list[RaisedEvent]]:
    """The device's new watch and the events `report` raises, in that order of kinds:
    alarm, movement, geofence crossings."""
    config = config or AntiTheftConfig()
    time = as_utc(report.time)
    events: list[RaisedEvent] = []
    watch, alarm = _alarm(watch, report, time, config)
    if alarm is not None:
        events.append(alarm)
    usable = (
        report.valid
        and valid_coordinates(report.latitude, report.longitude)
        and not (report.latitude == 0 and report.longitude == 0)
    )
    # A fix older than the newest one seen (a device emptying its buffer) says
    # nothing about where the device is now.
    current = watch.last_fix is None or time > watch.last_fix[0]
    if watch.armed and current:
        watch, moving = _movement(watch, report, time, usable, config)
        if moving is not None:
            events.append(moving)
    if usable and current:
        watch, crossings = _geofences(watch, geofences, report, time, config)
        events.extend(crossings)
        watch = replace(watch, last_fix=(time, report.latitude, report.longitude))
        if watch.armed and watch.anchor is None:
            watch = replace(watch, anchor=(report.latitude, report.longitude))
    return watch, events


def _alarm(
    watch: DeviceWatch, report: PositionReport, time: datetime, config: AntiTheftConfig
) -> tuple[DeviceWatch, RaisedEvent | None]:
    alarm = report.alarm
    if alarm is None or not config.raises(alarm, watch.armed):
        return watch, None
    previous = watch.last_alarms.get(alarm.value)
    if previous is not None and abs(time - previous) < config.alarm_repeat:
        return watch, None
    remembered = MappingProxyType({**watch.last_alarms, alarm.value: time})
    event = RaisedEvent(EventType.ALARM, time, True, attributes={"alarm": alarm.value})
    return replace(watch, last_alarms=remembered), event


def _movement(
    watch: DeviceWatch,
    report: PositionReport,
    time: datetime,
    usable: bool,
    config: AntiTheftConfig,
) -> tuple[DeviceWatch, RaisedEvent | None]:
    flagged = bool(report.motion) or bool(report.ignition)
    if usable and report.speed > config.motion_speed_kmh:
        flagged = True
    count = watch.motion_count + 1 if flagged else 0
    watch = replace(watch, motion_count=count)
    cause: str | None = None
    if usable and watch.anchor is not None:
        moved = haversine_m(*watch.anchor, report.latitude, report.longitude)
        if moved > config.movement_threshold_m:
            cause = "distance"
    if cause is None and count >= max(1, config.motion_reports):
        cause = "motion"
    if cause is None:
        return watch, None
    last = watch.last_moving_event
    if last is not None and time - last < config.moving_repeat:
        return watch, None
    event = RaisedEvent(EventType.DEVICE_MOVING, time, True, attributes={"cause": cause})
    # Re-anchor where it was seen moving: the next alert says it moved on, not that it
    # is still away from home.
    anchor = (report.latitude, report.longitude) if usable else watch.anchor
    return replace(watch, last_moving_event=time, anchor=anchor), event


def _geofences(
    watch: DeviceWatch,
    geofences: Sequence[WatchedGeofence],
    report: PositionReport,
    time: datetime,
    config: AntiTheftConfig,
) -> tuple[DeviceWatch, list[RaisedEvent]]:
    lat, lon = report.latitude, report.longitude
    inside: set[str] = set()
    events: list[RaisedEvent] = []
    for fence in geofences:
        outside_by = fence.area.distance_outside_m(lat, lon)
        was_inside = fence.id in watch.inside
        now_inside = outside_by <= config.geofence_margin_m if was_inside else outside_by == 0.0
        if now_inside:
            inside.add(fence.id)
        if (fence.id, fence.version) not in watch.known_geofences or now_inside == was_inside:
            continue
        kind = EventType.GEOFENCE_ENTER if now_inside else EventType.GEOFENCE_EXIT
        events.append(RaisedEvent(kind, time, watch.armed, geofence_id=fence.id))
    known = frozenset((f.id, f.version) for f in geofences)
    return replace(watch, known_geofences=known, inside=frozenset(inside)), events
