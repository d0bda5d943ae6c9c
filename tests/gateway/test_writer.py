"""The batch writer: devices, keys, duplicates, backpressure, hooks, partitions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from tests.gateway.helpers import IMEI, START, GatedWriter, report

from trackguard.clock import fixed_clock
from trackguard.errors import KeyDestroyed
from trackguard.gateway.packing import PlannedRow
from trackguard.gateway.sealing import RowSealer
from trackguard.gateway.writer import CommittedPosition, PositionWriter, WriterClosed
from trackguard.runtime import Runtime
from trackguard.store.models import Customer, Device, Position
from trackguard.tracking.devices import activate_device, find_device, register_device
from trackguard.tracking.positions import (
    PARTITION_SCHEMA,
    partition_name,
    read_positions,
)
from trackguard.vault import FLEET_SUBJECT

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def rows(runtime: Runtime) -> list[Position]:
    with runtime.db.session() as session:
        return list(session.scalars(select(Position).order_by(Position.fix_time)))


def stored_fixes(runtime: Runtime) -> int:
    """Fixes held by all rows (a block row holds `fixes` of them), duplicates included."""
    return sum(row.fixes or 1 for row in rows(runtime))


def read_times(runtime: Runtime, imei: str = IMEI) -> list[datetime]:
    with runtime.db.session() as session:
        device = find_device(session, runtime.vault, imei)
        return [p.time for p in read_positions(session, runtime.vault, device.id)]


async def test_an_unknown_device_is_registered_pseudonymised(runtime: Runtime) -> None:
    async with PositionWriter.from_runtime(runtime) as writer:
        await writer.store([report(0), report(1)])
    with runtime.db.session() as session:
        device = session.scalars(select(Device)).one()
        assert device.customer_id is None
        assert device.imei is None  # only the keyed hash of the IMEI is kept
        assert device.imei_index == runtime.vault.blind_index("imei", IMEI)
        assert IMEI not in device.imei_index
        assert device.protocol == "gt06"
        assert device.activation_code_hash is None
        assert device.last_seen_at is not None
    stored = rows(runtime)
    # The device's fixes of one batch (one hour) are one block row.
    assert [(r.key_ref, r.fixes) for r in stored] == [("fleet:1", 2)]
    assert all(b"52.2" not in r.payload for r in stored)  # encrypted
    assert read_times(runtime) == [report(0).time, report(1).time]


async def test_a_resent_fix_is_stored_once(runtime: Runtime) -> None:
    async with PositionWriter.from_runtime(runtime) as writer:
        await writer.store([report(n) for n in range(5)])
    # A new process has no filter memory: the database itself skips what it has.
    async with PositionWriter.from_runtime(runtime) as writer:
        await writer.store([report(n) for n in range(3, 8)])
        assert writer.stats.filtered == 0
    assert read_times(runtime) == [report(n).time for n in range(8)]
    assert stored_fixes(runtime) == 8


async def test_positions_of_an_activated_device_are_under_the_owner_key(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        customer = Customer(created_at=NOW)
        session.add(customer)
        code = register_device(session, runtime.vault, IMEI, now=NOW).activation_code
        session.flush()
        customer_id = customer.id
    async with PositionWriter.from_runtime(runtime) as writer:
        await writer.store([report(0)])
        with runtime.db.session() as session:
            activate_device(session, runtime.vault, IMEI, code, customer_id=customer_id, now=NOW)
        await writer.store([report(1), report(2)])
    stored = rows(runtime)
    # The fix from before the activation (fleet key) is gone; the new ones are the owner's,
    # single rows that compaction folds into its hour's block.
    assert [(r.key_ref, r.fixes) for r in stored] == [
        (f"subject:{customer_id}:location:1", None)
    ] * 2
    with runtime.db.session() as session:
        device = find_device(session, runtime.vault, IMEI)
        assert [p.time for p in read_positions(session, runtime.vault, device.id)] == [
            report(1).time,
            report(2).time,
        ]
        runtime.vault.destroy_keys(session, customer_id, ["location"])
    with runtime.db.session() as session, pytest.raises(KeyDestroyed):
        read_positions(session, runtime.vault, device.id)


async def test_the_fleet_key_rotates_and_old_fixes_stay_readable(runtime: Runtime) -> None:
    start = runtime.clock()  # the vault dates its keys by the runtime's clock
    now = [start]
    writer = PositionWriter(runtime.db, runtime.vault, clock=lambda: now[0])
    async with writer:
        await writer.store([report(0, start=start - timedelta(minutes=1))])
        now[0] = start + timedelta(days=1, hours=1)
        await writer.store([report(0, start=now[0] - timedelta(minutes=1))])
        await writer.store([report(1, start=now[0] - timedelta(minutes=1))])
    assert [r.key_ref for r in rows(runtime)] == ["fleet:1", "fleet:2", "fleet:2"]
    with runtime.db.session() as session:
        device = find_device(session, runtime.vault, IMEI)
        assert len(read_positions(session, runtime.vault, device.id)) == 3
        assert runtime.vault.current_key_version(session, FLEET_SUBJECT, "location") == 2


async def test_a_full_queue_makes_producers_wait(runtime: Runtime) -> None:
    writer = GatedWriter(runtime.db, runtime.vault, queue_max_rows=3, batch_max_rows=2)
    await writer.start()
    try:
        first = await writer.submit([report(0), report(1)])  # taken by the (blocked) batch
        await asyncio.sleep(0.1)
        await writer.submit([report(2), report(3), report(4)])  # fills the queue
        blocked = asyncio.create_task(writer.submit([report(5)]))
        await asyncio.sleep(0.3)
        assert not blocked.done()  # backpressure: the producer waits
        writer.gate.set()
        await asyncio.wait_for(blocked, 10)
        await asyncio.wait_for(first, 10)
    finally:
        writer.gate.set()
        await writer.close()
    assert stored_fixes(runtime) == 6


async def test_a_full_queue_calls_a_paused_producer_back_once_there_is_room(
    runtime: Runtime,
) -> None:
    writer = GatedWriter(runtime.db, runtime.vault, queue_max_rows=3, batch_max_rows=2)
    await writer.start()
    resumed = asyncio.Event()
    try:
        first = writer.submit_nowait([report(0), report(1)])  # taken by the (blocked) batch
        await asyncio.sleep(0.1)
        second = writer.submit_nowait([report(2), report(3), report(4)])  # one future for three
        assert writer.full
        writer.call_when_room(resumed.set)
        await asyncio.sleep(0.3)
        assert not resumed.is_set()  # a callback-based gateway keeps its sockets paused
        writer.gate.set()
        await asyncio.wait_for(resumed.wait(), 10)
        await asyncio.wait_for(asyncio.gather(first, second), 10)
    finally:
        writer.gate.set()
        await writer.close()
    assert stored_fixes(runtime) == 5


async def test_close_writes_what_is_queued_and_refuses_more(runtime: Runtime) -> None:
    writer = PositionWriter(runtime.db, runtime.vault, batch_max_delay=5.0)
    await writer.start()
    futures = [await writer.submit([report(n)]) for n in range(10)]
    await writer.close()
    assert all(f.done() and f.exception() is None for f in futures)
    assert read_times(runtime) == [report(n).time for n in range(10)]
    with pytest.raises(WriterClosed):
        await writer.submit([report(11)])


async def test_hooks_get_committed_positions_with_their_owner(runtime: Runtime) -> None:
    seen: list[CommittedPosition] = []
    later: list[int] = []

    async def slow_hook(positions: list[CommittedPosition]) -> None:
        await asyncio.sleep(0.01)
        later.append(len(positions))

    def broken_hook(positions: list[CommittedPosition]) -> None:
        raise RuntimeError("a hook bug must not stop the writer")

    async with PositionWriter.from_runtime(runtime) as writer:
        writer.on_committed(broken_hook)
        writer.on_committed(seen.extend)
        writer.on_committed(slow_hook)
        await writer.store([report(0), report(1)])
        await writer.store([report(1)])  # a duplicate: filtered, no hook call
    assert [p.report.time for p in seen] == [report(0).time, report(1).time]
    assert {p.customer_id for p in seen} == {None}
    assert later == [2]
    with runtime.db.session() as session:
        assert seen[0].device_id == find_device(session, runtime.vault, IMEI).id


async def test_one_device_the_database_refuses_does_not_block_the_others(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = RowSealer._seal
    poisoned: set[str] = set()

    def seal(self: RowSealer, row: PlannedRow, plain: bytes) -> bytes:
        if row.device_id in poisoned:
            raise ValueError("cannot encode")
        return original(self, row, plain)

    monkeypatch.setattr(RowSealer, "_seal", seal)
    async with PositionWriter.from_runtime(runtime) as writer:
        await writer.store([report(0, imei="111111111111111")])
        with runtime.db.session() as session:
            poisoned.add(find_device(session, runtime.vault, "111111111111111").id)
        bad = await writer.submit([report(1, imei="111111111111111")])
        good = await writer.submit([report(1)])
        await asyncio.wait_for(good, 10)
        with pytest.raises(Exception, match="not stored"):
            await asyncio.wait_for(bad, 10)
        assert writer.stats.failed_positions == 1


@pytest.mark.postgres
async def test_postgres_writes_into_month_partitions(runtime: Runtime) -> None:
    if runtime.db.dialect != "postgresql":
        pytest.skip("partitions exist on PostgreSQL only")
    march, april = datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 4, 5, tzinfo=UTC)
    old = datetime(2019, 6, 1, tzinfo=UTC)  # outside the window: the default partition
    writer = PositionWriter(runtime.db, runtime.vault, clock=fixed_clock(march), filters=None)
    async with writer:
        await writer.store([report(0, start=march), report(0, start=april), report(0, start=old)])
    with runtime.db.engine.connect() as connection:
        placed = dict(
            connection.execute(
                text("SELECT fix_time, tableoid::regclass::text FROM positions")
            ).all()
        )
    assert placed[march] == f"{PARTITION_SCHEMA}.{partition_name(march.date())}"
    assert placed[april] == f"{PARTITION_SCHEMA}.{partition_name(april.date())}"
    assert placed[old] == f"{PARTITION_SCHEMA}.positions_default"

    # Later the window reaches 2019's fixes (say, an old replay): the partition is made
    # and the rows move out of the default partition.
    from trackguard.tracking.positions import PartitionKeeper

    PartitionKeeper(runtime.db.engine).ensure([old], now=old)
    with runtime.db.engine.connect() as connection:
        where = connection.execute(
            text("SELECT tableoid::regclass::text FROM positions WHERE fix_time = :t"), {"t": old}
        ).scalar()
    assert where == f"{PARTITION_SCHEMA}.{partition_name(old.date())}"
    with runtime.db.session() as session:
        device = find_device(session, runtime.vault, IMEI)
        assert len(read_positions(session, runtime.vault, device.id)) == 3


async def test_a_packet_resent_with_more_records_stores_each_record_once(
    runtime: Runtime,
) -> None:
    async with PositionWriter.from_runtime(runtime) as writer:
        await writer.store([report(n) for n in range(5)])  # committed, but the ack was lost
        await writer.store([report(n) for n in range(8)])  # the device sends it again, and more
    assert read_times(runtime) == [report(n).time for n in range(8)]
    assert stored_fixes(runtime) == 8
    assert [r.fixes for r in rows(runtime)] == [5, 3]


async def test_a_resend_after_a_restart_is_checked_against_the_stored_blocks(
    runtime: Runtime,
) -> None:
    async with PositionWriter.from_runtime(runtime) as writer:
        await writer.store([report(n) for n in range(2, 6)])
    # A new process remembers nothing: the database's blocks say what is stored.
    async with PositionWriter.from_runtime(runtime) as writer:
        await writer.store([report(n) for n in range(0, 9)])
        await writer.store([report(4)])  # a single inside a stored block
    assert read_times(runtime) == [report(n).time for n in range(9)]
    assert stored_fixes(runtime) == 9


async def test_a_resend_starting_inside_a_stored_block_adds_only_the_new_records(
    runtime: Runtime,
) -> None:
    async with PositionWriter.from_runtime(runtime) as writer:
        await writer.store([report(n) for n in range(5)])
        await writer.store([report(n) for n in range(3, 10)])
    assert read_times(runtime) == [report(n).time for n in range(10)]
    assert stored_fixes(runtime) == 10


async def test_a_block_never_spans_two_hours(runtime: Runtime) -> None:
    start = START + timedelta(minutes=59, seconds=58)
    async with PositionWriter.from_runtime(runtime) as writer:
        await writer.store([report(n, start=start) for n in range(4)])
    assert [(r.fix_time, r.fixes) for r in rows(runtime)] == [
        (report(0, start=start).time, 2),
        (report(2, start=start).time, 2),
    ]
    assert read_times(runtime) == [report(n, start=start).time for n in range(4)]


async def test_hooks_get_every_fix_of_a_block(runtime: Runtime) -> None:
    seen: list[CommittedPosition] = []
    async with PositionWriter.from_runtime(runtime) as writer:
        writer.on_committed(seen.extend)
        await writer.store([report(n) for n in range(3)])
    assert [p.report.time for p in seen] == [report(n).time for n in range(3)]
