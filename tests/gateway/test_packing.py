"""Which rows a batch becomes, and which fixes are left out as stored already (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.gateway.helpers import START, report

from trackguard.gateway.packing import drop_stored, newest_after, plan_rows
from trackguard.tracking.position_blocks import iso_utc_text

RECEIVED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def entries(numbers: list[int], device: str = "d1", start: datetime = START) -> list[tuple]:
    return [(device, None, report(n, start=start), RECEIVED) for n in numbers]


def times(numbers: list[int], start: datetime = START) -> tuple[str, ...]:
    return tuple(iso_utc_text(report(n, start=start).time) for n in numbers)


def test_a_devices_fixes_of_one_hour_become_one_row_in_time_order() -> None:
    planned = plan_rows(entries([2, 0, 1]) + entries([0], device="d2"))
    assert [(row.device_id, row.times) for row in planned] == [
        ("d1", times([0, 1, 2])),
        ("d2", times([0])),
    ]


def test_a_customers_fixes_stay_single_rows_for_compaction_to_fold() -> None:
    customer = [("d1", "c1", report(n), RECEIVED) for n in (1, 0, 0)]
    assert [row.times for row in plan_rows(customer)] == [times([1]), times([0])]
    assert [row.times for row in plan_rows(customer, customer_blocks=True)] == [times([0, 1])]


def test_a_time_sent_twice_in_one_batch_is_planned_once() -> None:
    (row,) = plan_rows(entries([0, 1, 1, 0]))
    assert row.times == times([0, 1])


def test_rows_are_cut_at_the_hour() -> None:
    start = START + timedelta(minutes=59, seconds=59)
    planned = plan_rows(entries([0, 1, 2], start=start))
    assert [row.times for row in planned] == [times([0], start), times([1, 2], start)]


def test_rows_newer_than_what_is_stored_need_no_look_up() -> None:
    planned = plan_rows(entries([5, 6]))
    asked: list[tuple[str, str, str]] = []

    def stored(device: str, first: str, last: str) -> set[str]:
        asked.append((device, first, last))
        return set()

    assert drop_stored(planned, {"d1": times([4])[0]}, stored) == planned
    assert drop_stored(planned, {}, stored) == planned
    assert asked == []


def test_stored_fixes_are_left_out_and_empty_rows_dropped() -> None:
    planned = plan_rows(entries([3, 4, 5, 6]) + entries([1], device="d2"))
    stored_by_device = {"d1": set(times([0, 1, 2, 3, 4])), "d2": set(times([1]))}
    newest = {"d1": times([4])[0], "d2": times([1])[0]}
    asked: list[tuple[str, str, str]] = []

    def stored(device: str, first: str, last: str) -> set[str]:
        asked.append((device, first, last))
        return stored_by_device[device]

    kept = drop_stored(planned, newest, stored)
    assert [(row.device_id, row.times) for row in kept] == [("d1", times([5, 6]))]
    assert [f[0].time for f in kept[0].fixes] == [report(5).time, report(6).time]
    assert asked == [("d1", *times([3, 6])), ("d2", *times([1, 1]))]


def test_the_newest_stored_time_moves_to_the_last_fix_written() -> None:
    planned = plan_rows(entries([3, 4]) + entries([1], device="d2"))
    assert newest_after(planned, {"d1": times([9])[0]}) == {"d2": times([1])[0]}
    assert newest_after(planned, {}) == {"d1": times([4])[0], "d2": times([1])[0]}
