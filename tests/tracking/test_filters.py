"""Bad-fix filters: each rejects what it names, with the reason, and keeps the rest."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from trackguard.protocols.base import Alarm, PositionReport
from trackguard.settings import Settings
from trackguard.tracking.filters import (
    FilterConfig,
    Reason,
    filter_fixes,
    latest_by_device,
)
from trackguard.tracking.geo import destination

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
AMERSFOORT = (52.1561, 5.3878)
CONFIG = FilterConfig()


def fix(
    seconds: float = 0,
    *,
    at: tuple[float, float] = AMERSFOORT,
    key: str = "359339075123456",
    **kw: object,
) -> PositionReport:
    values: dict[str, object] = {
        "protocol": "osmand",
        "device_key": key,
        "time": NOW - timedelta(minutes=10) + timedelta(seconds=seconds),
        "valid": True,
        "latitude": at[0],
        "longitude": at[1],
        "speed": 15.0,
    }
    values.update(kw)
    return PositionReport(**values)  # type: ignore[arg-type]


def moved(metres: float, bearing: float = 90.0) -> tuple[float, float]:
    return destination(*AMERSFOORT, bearing, metres)


def reasons(result: object) -> list[Reason]:
    _, rejected = result  # type: ignore[misc]
    return [r.reason for r in rejected]


def test_good_fixes_pass_in_order() -> None:
    reports = [fix(0), fix(10, at=moved(40)), fix(20, at=moved(80))]
    kept, rejected = filter_fixes(reports, {}, CONFIG, NOW)
    assert kept == reports
    assert rejected == []


def test_invalid_fix_is_rejected_as_invalid() -> None:
    assert reasons(filter_fixes([fix(valid=False)], {}, CONFIG, NOW)) == [Reason.INVALID]


def test_out_of_range_coordinates_are_rejected_even_with_the_filter_off() -> None:
    off = replace(CONFIG, invalid=False)
    bad = [fix(at=(91.0, 5.0)), fix(1, at=(52.0, float("nan")))]
    assert reasons(filter_fixes(bad, {}, off, NOW)) == [Reason.INVALID, Reason.INVALID]


def test_null_island_is_rejected_as_zero() -> None:
    assert reasons(filter_fixes([fix(at=(0.0, 0.0))], {}, CONFIG, NOW)) == [Reason.ZERO]


def test_same_time_as_previous_is_a_duplicate_within_a_batch_and_across_batches() -> None:
    first = fix(0)
    kept, rejected = filter_fixes([first, fix(0, at=moved(5))], {}, CONFIG, NOW)
    assert kept == [first] and [r.reason for r in rejected] == [Reason.DUPLICATE]
    previous = {first.device_key: first}
    assert reasons(filter_fixes([fix(0)], previous, CONFIG, NOW)) == [Reason.DUPLICATE]


def test_fix_far_in_the_future_is_rejected() -> None:
    late = replace(fix(), time=NOW + timedelta(seconds=301))
    soon = replace(fix(), time=NOW + timedelta(seconds=299))
    kept, rejected = filter_fixes([late, soon], {}, CONFIG, NOW)
    assert kept == [soon] and [r.reason for r in rejected] == [Reason.FUTURE]


def test_impossible_jump_is_rejected_and_does_not_become_the_reference() -> None:
    start = fix(0)
    jump = fix(10, at=moved(5_000))  # 5 km in 10 s = 1800 km/h
    after = fix(20, at=moved(100))
    kept, rejected = filter_fixes([start, jump, after], {}, CONFIG, NOW)
    assert kept == [start, after]
    assert [(r.report, r.reason) for r in rejected] == [(jump, Reason.JUMP)]


def test_jump_is_measured_from_the_previous_batch() -> None:
    start = fix(0)
    result = filter_fixes([fix(10, at=moved(5_000))], {start.device_key: start}, CONFIG, NOW)
    assert reasons(result) == [Reason.JUMP]


def test_a_stale_reference_cannot_block_good_fixes_forever() -> None:
    bad_reference = fix(0, at=moved(50_000))
    much_later = fix(CONFIG.jump_window_seconds + 1)
    kept, _ = filter_fixes([much_later], {bad_reference.device_key: bad_reference}, CONFIG, NOW)
    assert kept == [much_later]


def test_devices_are_filtered_independently() -> None:
    a = fix(0, key="a")
    b = fix(0, key="b", at=moved(5_000))
    kept, rejected = filter_fixes([a, b], {}, CONFIG, NOW)
    assert kept == [a, b] and rejected == []


def test_alarms_are_kept_even_with_a_bad_fix() -> None:
    start = fix(0)
    sos_invalid = fix(5, valid=False, alarm=Alarm.SOS)
    power_cut_jump = fix(10, at=moved(9_000), alarm=Alarm.POWER_CUT)
    kept, rejected = filter_fixes([start, sos_invalid, power_cut_jump], {}, CONFIG, NOW)
    assert kept == [start, sos_invalid, power_cut_jump] and rejected == []
    repeated = fix(5, valid=False, alarm=Alarm.SOS)
    assert reasons(filter_fixes([sos_invalid, repeated], {}, CONFIG, NOW)) == [Reason.DUPLICATE]


def test_every_filter_can_be_switched_off() -> None:
    off = FilterConfig(
        invalid=False, zero=False, duplicate=False, future_seconds=0, max_speed_kmh=0
    )
    reports = [
        fix(0),
        fix(0, at=moved(10)),
        fix(5, valid=False),
        fix(6, at=(0.0, 0.0)),
        fix(7, at=moved(9_000)),
        replace(fix(), time=NOW + timedelta(days=2)),
    ]
    kept, rejected = filter_fixes(reports, {}, off, NOW)
    assert kept == reports and rejected == []


def test_config_comes_from_the_settings() -> None:
    settings = Settings(
        filter_invalid=False,
        filter_zero=True,
        filter_duplicate=False,
        filter_future_seconds=60,
        filter_max_speed_kmh=120,
    )
    config = FilterConfig.from_settings(settings)
    assert (config.invalid, config.zero, config.duplicate) == (False, True, False)
    assert (config.future_seconds, config.max_speed_kmh) == (60, 120)


def test_latest_by_device_gives_the_next_batch_its_references() -> None:
    a1, a2, b1 = fix(0, key="a"), fix(30, key="a"), fix(10, key="b")
    assert latest_by_device([a2, a1, b1]) == {"a": a2, "b": b1}
