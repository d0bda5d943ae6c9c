"""On PostgreSQL aged month partitions of positions are dropped whole; what straddles a
cut-off or holds a held row goes row by row. SQLite gets the same result row by row."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime

from sqlalchemy import func, select, text
from tests.privacy.retention.conftest import NOW
from tests.privacy.retention.factories import World, make

from trackguard.privacy.retention import place_hold, plan, run
from trackguard.runtime import Runtime
from trackguard.store.models import Position
from trackguard.tracking.positions import PARTITION_SCHEMA, ensure_partition, partition_name

WorldFactory = Callable[[], AbstractContextManager[World]]
OLD_MONTH, HELD_MONTH, BOUNDARY_MONTH = date(2024, 1, 1), date(2024, 2, 1), date(2025, 3, 1)


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _partition_exists(runtime: Runtime, month: date) -> bool:
    with runtime.db.engine.connect() as connection:
        name = f"{PARTITION_SCHEMA}.{partition_name(month)}"
        return connection.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is not None


def _positions(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Position)) or 0)


def test_aged_partitions_are_dropped_and_the_rest_swept_row_wise(
    runtime: Runtime, world: WorldFactory
) -> None:
    postgres = runtime.db.dialect == "postgresql"
    if postgres:
        with runtime.db.engine.connect() as connection:
            for month in (OLD_MONTH, HELD_MONTH, BOUNDARY_MONTH, date(2026, 2, 1)):
                ensure_partition(connection, month)
    with world() as w:
        held_customer = make(w, "customers")[0]
        owned = make(w, "devices")[0]
        held_device = make(w, "devices", customer_id=held_customer)[0]
        stock = make(w, "devices", linked=False)[0]
        for day in (3, 4, 5):  # a whole old month: due under location_history
            make(w, "positions", device_id=owned, fix_time=_at(date(2024, 1, day)))
        for day in (6, 7):  # nobody's tracker in the same month: unlinked_positions
            make(w, "positions", device_id=stock, fix_time=_at(date(2024, 1, day)))
        make(w, "positions", device_id=held_device, fix_time=_at(date(2024, 2, 1)))
        for day in (2, 3):
            make(w, "positions", device_id=owned, fix_time=_at(date(2024, 2, day)))
        make(w, "positions", device_id=owned, fix_time=_at(date(2025, 3, 1), 0))  # due
        make(w, "positions", device_id=owned, fix_time=_at(date(2025, 3, 20)))  # a year old
        make(w, "positions", device_id=stock, fix_time=_at(date(2026, 2, 10)))  # due
        make(w, "positions", device_id=stock, fix_time=_at(date(2026, 2, 28)))  # a day old
        place_hold(
            w.session,
            customer_id=held_customer,
            reason="theft investigation",
            placed_by="privacy-officer",
            clock=lambda: NOW,
        )

    planned = plan(runtime, as_of=NOW)
    done = run(runtime, as_of=NOW, batch_size=2)

    for report in (planned, done):
        assert report.row("location_history", "positions").count == 3 + 2 + 1
        assert report.row("location_history", "positions").held == 1
        assert report.row("unlinked_positions", "positions").count == 2 + 1
    assert _positions(runtime) == 1 + 1 + 1  # held, a year old, a day old
    if postgres:
        assert done.partitions_dropped == [f"{PARTITION_SCHEMA}.{partition_name(OLD_MONTH)}"]
        assert not _partition_exists(runtime, OLD_MONTH)
        assert _partition_exists(runtime, HELD_MONTH)  # it holds a held row
        assert _partition_exists(runtime, BOUNDARY_MONTH)  # straddles the cut-off
    else:
        assert done.partitions_dropped == []
    assert run(runtime, as_of=NOW).total == 0


def test_reports_count_the_fixes_a_position_block_holds(
    runtime: Runtime, world: WorldFactory
) -> None:
    """A block row (positions.fixes = n) is n records to the report, whether its month
    partition is dropped whole (PostgreSQL), swept row by row, or held."""
    if runtime.db.dialect == "postgresql":
        with runtime.db.engine.connect() as connection:
            for month in (OLD_MONTH, HELD_MONTH, BOUNDARY_MONTH):
                ensure_partition(connection, month)
    with world() as w:
        held_customer = make(w, "customers")[0]
        owned = make(w, "devices")[0]
        held_device = make(w, "devices", customer_id=held_customer)[0]
        make(w, "positions", device_id=owned, fix_time=_at(date(2024, 1, 3)), fixes=60)
        make(w, "positions", device_id=owned, fix_time=_at(date(2024, 1, 4)))  # a single fix
        make(w, "positions", device_id=owned, fix_time=_at(date(2025, 3, 1), 0), fixes=30)
        make(w, "positions", device_id=held_device, fix_time=_at(date(2024, 2, 1)), fixes=12)
        place_hold(
            w.session,
            customer_id=held_customer,
            reason="theft investigation",
            placed_by="privacy-officer",
            clock=lambda: NOW,
        )

    planned = plan(runtime, as_of=NOW)
    done = run(runtime, as_of=NOW, batch_size=1)

    for report in (planned, done):
        row = report.row("location_history", "positions")
        assert (row.count, row.held) == (60 + 1 + 30, 12)
    assert _positions(runtime) == 1  # the held block row
