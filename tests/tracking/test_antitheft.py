"""Anti-theft rules on plain values: movement while armed, geofence crossings, alarms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from trackguard.protocols.base import Alarm, PositionReport
from trackguard.tracking.antitheft import (
    AntiTheftConfig,
    DeviceWatch,
    EventType,
    RaisedEvent,
    WatchedGeofence,
    evaluate,
)
from trackguard.tracking.geo import destination
from trackguard.tracking.geofence import CircleArea, parse_area

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
SHED = (52.1561, 5.3878)
HOME = WatchedGeofence("home", CircleArea(*SHED, 100.0))
CONFIG = AntiTheftConfig()


def report(
    seconds: float,
    metres: float = 0.0,
    *,
    bearing: float = 90.0,
    **kw: object,
) -> PositionReport:
    lat, lon = destination(*SHED, bearing, metres)
    values: dict[str, object] = {
        "protocol": "gt06",
        "device_key": "359339075123456",
        "time": T0 + timedelta(seconds=seconds),
        "valid": True,
        "latitude": lat,
        "longitude": lon,
    }
    values.update(kw)
    return PositionReport(**values)  # type: ignore[arg-type]


def run(
    watch: DeviceWatch,
    reports: Sequence[PositionReport],
    fences: Sequence[WatchedGeofence] = (),
    config: AntiTheftConfig = CONFIG,
) -> tuple[DeviceWatch, list[RaisedEvent]]:
    raised: list[RaisedEvent] = []
    for r in reports:
        watch, events = evaluate(watch, fences, r, config)
        raised.extend(events)
    return watch, raised


def types(events: Sequence[RaisedEvent]) -> list[str]:
    return [e.type.value for e in events]


def parked_then_armed() -> DeviceWatch:
    watch, _ = run(DeviceWatch(), [report(0), report(30, 4)])
    return watch.arm()


def test_arming_anchors_where_the_device_was_last_seen() -> None:
    watch = parked_then_armed()
    assert watch.armed and watch.anchor == destination(*SHED, 90, 4)


def test_jitter_while_armed_raises_nothing() -> None:
    _, events = run(parked_then_armed(), [report(60 * i, (i * 7) % 25) for i in range(1, 30)])
    assert events == []


def test_carried_away_while_armed_raises_device_moving_once_per_repeat() -> None:
    reports = [report(60 + 30 * i, 30.0 * i, bearing=10) for i in range(1, 20)]
    _, events = run(parked_then_armed(), reports)
    assert types(events) == ["deviceMoving"]
    assert events[0].alert and events[0].attributes == {"cause": "distance"}
    assert events[0].time == reports[1].time  # the first fix more than 50 m away
    later = [report(60 + 30 * i, 30.0 * i, bearing=10) for i in range(20, 50)]
    _, more = run(parked_then_armed(), reports + later)
    assert types(more) == ["deviceMoving", "deviceMoving"]  # 15 minutes apart
    assert more[1].time - more[0].time >= CONFIG.moving_repeat


def test_motion_flags_need_two_reports_in_a_row() -> None:
    bump = [report(60, motion=True), report(120), report(180, motion=True), report(240)]
    assert run(parked_then_armed(), bump)[1] == []
    pushed = [report(60, valid=False, motion=True), report(90, valid=False, ignition=True)]
    _, events = run(parked_then_armed(), pushed)
    assert types(events) == ["deviceMoving"] and events[0].attributes == {"cause": "motion"}


def test_movement_while_disarmed_raises_nothing() -> None:
    watch, _ = run(DeviceWatch(), [report(0)])
    _, events = run(watch, [report(60 * i, 200.0 * i, motion=True) for i in range(1, 10)])
    assert events == []


def test_disarming_forgets_the_anchor() -> None:
    watch = parked_then_armed().disarm()
    assert not watch.armed and watch.anchor is None
    _, events = run(watch.arm(), [report(60, 4.0)])
    assert events == []  # re-armed where it now stands


def test_without_a_known_position_the_first_fix_after_arming_is_the_anchor() -> None:
    watch, events = run(DeviceWatch().arm(), [report(0, 500.0), report(60, 510.0)])
    assert events == [] and watch.anchor is not None


def test_leaving_and_entering_a_geofence() -> None:
    inside, outside = report(0, 20), report(60, 180)
    watch, events = run(DeviceWatch(), [inside], [HOME])
    assert events == []  # first sight: learnt, not raised
    watch, events = run(watch, [outside], [HOME])
    assert types(events) == ["geofenceExit"] and events[0].geofence_id == "home"
    assert not events[0].alert  # disarmed: recorded, not mailed
    watch, events = run(watch, [report(120, 30)], [HOME])
    assert types(events) == ["geofenceEnter"]
    watch, events = run(watch.arm(), [report(180, 300, bearing=0)], [HOME])
    assert "geofenceExit" in types(events)
    assert all(e.alert for e in events)


def test_jitter_on_the_edge_does_not_flap() -> None:
    edge = [report(60 * i, 100 + (5 if i % 2 else -5)) for i in range(10)]
    _, events = run(DeviceWatch(), [report(0, 10), *edge], [HOME])
    assert events == []  # 5 m outside is within the 10 m margin


def test_polygon_geofence() -> None:
    field = WatchedGeofence(
        "field",
        parse_area("POLYGON ((52.150 5.380, 52.160 5.380, 52.160 5.395, 52.150 5.395))"),
    )
    _, events = run(DeviceWatch(), [report(0), report(60, 2_000, bearing=0)], [field])
    assert types(events) == ["geofenceExit"]


def test_a_newly_linked_geofence_is_learnt_silently() -> None:
    watch, _ = run(DeviceWatch(), [report(0, 500)], [])
    _, events = run(watch, [report(60, 10)], [HOME])
    assert events == []


def test_invalid_or_old_fixes_cross_no_geofence() -> None:
    watch, _ = run(DeviceWatch(), [report(0, 10), report(60, 10)], [HOME])
    _, events = run(watch, [report(120, 900, valid=False), report(30, 900)], [HOME])
    assert events == []


def test_alarms_raise_alarm_events_with_traccar_names() -> None:
    expected = {
        Alarm.SOS: "sos",
        Alarm.POWER_CUT: "powerCut",
        Alarm.LOW_BATTERY: "lowBattery",
    }
    for alarm, name in expected.items():
        _, events = run(DeviceWatch(), [report(0, alarm=alarm)])
        assert types(events) == ["alarm"]
        assert events[0].attributes == {"alarm": name} and events[0].alert


def test_vibration_alarms_only_while_armed() -> None:
    assert run(DeviceWatch(), [report(0, alarm=Alarm.VIBRATION)])[1] == []
    _, events = run(parked_then_armed(), [report(60, alarm=Alarm.VIBRATION)])
    assert types(events) == ["alarm"] and events[0].attributes == {"alarm": "vibration"}


def test_alarms_outside_the_configured_set_are_ignored() -> None:
    assert run(parked_then_armed(), [report(60, alarm=Alarm.OVERSPEED)])[1] == []


def test_a_repeated_alarm_is_raised_once() -> None:
    repeats = [report(10 * i, alarm=Alarm.SOS, valid=False) for i in range(6)]
    _, events = run(DeviceWatch(), repeats)
    assert types(events) == ["alarm"]
    _, later = run(DeviceWatch(), [*repeats, report(600, alarm=Alarm.SOS)])
    assert types(later) == ["alarm", "alarm"]


def test_everything_at_once_in_a_stable_order() -> None:
    watch = parked_then_armed()
    watch, _ = run(watch, [report(45, 10)], [HOME])
    _, events = run(watch, [report(60, 400, alarm=Alarm.POWER_CUT)], [HOME])
    assert types(events) == ["alarm", "deviceMoving", "geofenceExit"]
    assert all(isinstance(e.type, EventType) for e in events)
