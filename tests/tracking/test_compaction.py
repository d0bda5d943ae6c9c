"""Compaction: single rows of past hours become one encrypted block per device and hour."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from trackguard.cli import app
from trackguard.clock import fixed_clock
from trackguard.errors import CiphertextError
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import Customer, Device, Position
from trackguard.tracking.compaction import CompactionReport, compact_positions, compaction_job
from trackguard.tracking.devices import resolve_devices
from trackguard.tracking.positions import (
    PartitionKeeper,
    PositionFix,
    StoredPosition,
    encrypt_position,
    insert_positions,
    latest_positions,
    read_positions,
)

NOW = datetime(2026, 3, 1, 12, 20, tzinfo=UTC)
IMEI = "356938035643809"


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings) as opened:
        PartitionKeeper(opened.db.engine).ensure([NOW - timedelta(days=40)], now=NOW)
        yield opened


def _customer(runtime: Runtime) -> str:
    with runtime.db.session() as session:
        customer = Customer(created_at=NOW)
        session.add(customer)
        session.flush()
        return customer.id


def _device(runtime: Runtime, customer_id: str | None) -> str:
    with runtime.db.session() as session:
        device_id = resolve_devices(session, runtime.vault, {IMEI: "gt06"}, now=NOW)[IMEI].id
        device = session.get(Device, device_id)
        assert device is not None
        device.customer_id = customer_id
        return device_id


def _store(runtime: Runtime, device_id: str, owner: str | None, times: list[datetime]) -> None:
    with runtime.db.session() as session:
        rows = [
            encrypt_position(
                session,
                runtime.vault,
                device_id=device_id,
                customer_id=owner,
                fix_time=t,
                received_at=t + timedelta(seconds=2),
                fix=PositionFix(
                    52.2 + n / 1e4, 5.4, float(n % 50), 90.0, 1.5, 7, True, 80, protocol="gt06"
                ),
            )
            for n, t in enumerate(times)
        ]
        insert_positions(session, rows)


def _every_10s(start: datetime, count: int) -> list[datetime]:
    return [start + timedelta(seconds=10 * n) for n in range(count)]


def _read(runtime: Runtime, device_id: str, **window: datetime) -> list[StoredPosition]:
    with runtime.db.session() as session:
        return read_positions(session, runtime.vault, device_id, **window)


def _rows(runtime: Runtime, device_id: str) -> list[tuple[datetime, int | None]]:
    with runtime.db.session() as session:
        return [
            (t if t.tzinfo else t.replace(tzinfo=UTC), n)
            for t, n in session.execute(
                select(Position.fix_time, Position.fixes)
                .where(Position.device_id == device_id)
                .order_by(Position.fix_time)
            )
        ]


def _compact(runtime: Runtime, now: datetime = NOW, **options: object) -> CompactionReport:
    return compact_positions(runtime.db, runtime.vault, now=now, **options)  # type: ignore[arg-type]


def test_past_hours_become_one_block_each_and_read_back_the_same(runtime: Runtime) -> None:
    owner = _customer(runtime)
    device = _device(runtime, owner)
    # 09:30 .. 12:06:50 every 10 s: hours 09, 10 and 11 are past, 12 is the current one.
    times = _every_10s(datetime(2026, 3, 1, 9, 30, tzinfo=UTC), 940)
    _store(runtime, device, owner, times)
    before = [p.to_json() for p in _read(runtime, device)]

    report = _compact(runtime)

    assert (report.blocks, report.fixes, report.rows) == (3, 180 + 360 + 360, 900)
    rows = _rows(runtime, device)
    blocks = [(t, n) for t, n in rows if n is not None]
    assert blocks == [
        (datetime(2026, 3, 1, 9, 30, tzinfo=UTC), 180),
        (datetime(2026, 3, 1, 10, 0, tzinfo=UTC), 360),
        (datetime(2026, 3, 1, 11, 0, tzinfo=UTC), 360),
    ]
    assert len(rows) == 3 + 40  # the current hour's fixes stay single
    assert [p.to_json() for p in _read(runtime, device)] == before
    window = _read(
        runtime,
        device,
        start=datetime(2026, 3, 1, 10, 59, 45, tzinfo=UTC),
        end=datetime(2026, 3, 1, 11, 0, 25, tzinfo=UTC),
    )
    # The window straddles two blocks: the last fix of one, the first two of the next.
    assert [p.time.strftime("%H:%M:%S") for p in window] == [
        "10:59:50",
        "11:00:00",
        "11:00:10",
        "11:00:20",
    ]
    assert _compact(runtime) == CompactionReport()  # nothing left to fold


def test_a_window_inside_a_block_reads_only_its_fixes(runtime: Runtime) -> None:
    owner = _customer(runtime)
    device = _device(runtime, owner)
    _store(runtime, device, owner, _every_10s(datetime(2026, 3, 1, 10, 0, tzinfo=UTC), 360))
    _compact(runtime)
    window = _read(
        runtime,
        device,
        start=datetime(2026, 3, 1, 10, 30, 5, tzinfo=UTC),
        end=datetime(2026, 3, 1, 10, 30, 30, tzinfo=UTC),
    )
    assert [p.time.strftime("%H:%M:%S") for p in window] == ["10:30:10", "10:30:20"]
    assert [p.time for p in _read(runtime, device)][:1] == [datetime(2026, 3, 1, 10, tzinfo=UTC)]


def test_late_and_resent_fixes_are_merged_into_the_hours_block(runtime: Runtime) -> None:
    owner = _customer(runtime)
    device = _device(runtime, owner)
    hour = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    _store(runtime, device, owner, _every_10s(hour, 360))
    _compact(runtime)
    late = hour + timedelta(minutes=30, seconds=5)  # between two stored fixes
    resent = hour + timedelta(minutes=30)  # a copy of a fix inside the block
    _store(runtime, device, owner, [late, resent])

    times = [p.time for p in _read(runtime, device)]
    assert len(times) == 361 and times == sorted(set(times)) and late in times

    report = _compact(runtime)
    assert (report.blocks, report.fixes, report.rows) == (1, 361, 3)
    assert _rows(runtime, device) == [(hour, 361)]
    assert [p.time for p in _read(runtime, device)] == times


def test_the_latest_position_is_the_last_fix_of_the_newest_block(runtime: Runtime) -> None:
    owner = _customer(runtime)
    device = _device(runtime, owner)
    _store(runtime, device, owner, _every_10s(datetime(2026, 3, 1, 10, 0, tzinfo=UTC), 100))
    _compact(runtime)
    with runtime.db.session() as session:
        latest = latest_positions(session, runtime.vault, [device, "no-such-device"])
    assert list(latest) == [device]
    assert latest[device].time == datetime(2026, 3, 1, 10, 16, 30, tzinfo=UTC)
    assert latest[device].fix.speed == 49.0


def test_positions_of_devices_nobody_activated_stay_single(runtime: Runtime) -> None:
    device = _device(runtime, None)
    _store(runtime, device, None, _every_10s(datetime(2026, 3, 1, 10, 0, tzinfo=UTC), 30))
    assert _compact(runtime) == CompactionReport()
    assert {n for _, n in _rows(runtime, device)} == {None}


def test_an_erased_customers_unreadable_rows_are_left_for_retention(runtime: Runtime) -> None:
    owner = _customer(runtime)
    device = _device(runtime, owner)
    _store(runtime, device, owner, _every_10s(datetime(2026, 3, 1, 10, 0, tzinfo=UTC), 30))
    with runtime.db.session() as session:
        runtime.vault.destroy_keys(session, owner, ["location"])
    report = _compact(runtime)
    assert (report.blocks, report.skipped_devices) == (0, 1)
    assert len(_rows(runtime, device)) == 30


def test_a_block_copied_onto_another_row_does_not_decrypt(runtime: Runtime) -> None:
    owner = _customer(runtime)
    device = _device(runtime, owner)
    _store(runtime, device, owner, _every_10s(datetime(2026, 3, 1, 10, 0, tzinfo=UTC), 20))
    _store(runtime, device, owner, _every_10s(datetime(2026, 3, 1, 11, 0, tzinfo=UTC), 20))
    _compact(runtime)
    with runtime.db.session() as session:
        first, second = session.scalars(select(Position).order_by(Position.fix_time)).all()
        second.payload = first.payload
    with pytest.raises(CiphertextError):
        _read(runtime, device)


def test_stopping_midway_loses_nothing_and_the_next_run_finishes(runtime: Runtime) -> None:
    owner = _customer(runtime)
    device = _device(runtime, owner)
    _store(runtime, device, owner, _every_10s(datetime(2026, 3, 1, 6, 0, tzinfo=UTC), 360 * 5))
    before = [p.to_json() for p in _read(runtime, device)]

    class Stop(Exception):
        pass

    def stop_after_first_transaction(report: CompactionReport) -> None:
        raise Stop

    with pytest.raises(Stop):
        _compact(runtime, fixes_per_transaction=700, progress=stop_after_first_transaction)
    assert [n for _, n in _rows(runtime, device) if n is not None] == [360, 360]
    assert [p.to_json() for p in _read(runtime, device)] == before

    assert _compact(runtime).blocks == 3
    assert [p.to_json() for p in _read(runtime, device)] == before
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Position)) == 5


def test_the_command_line_compacts_and_reports(runtime: Runtime, settings: Settings) -> None:
    owner = _customer(runtime)
    device = _device(runtime, owner)
    _store(runtime, device, owner, _every_10s(datetime(2026, 3, 1, 10, 0, tzinfo=UTC), 400))
    env = {
        "TRACKGUARD_DATA_DIR": str(settings.data_dir),
        "TRACKGUARD_DATABASE_URL": settings.resolved_database_url,
    }
    done = CliRunner().invoke(app, ["db", "compact", "--json"], env=env)
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout.splitlines()[-1])
    assert report == {"blocks": 2, "fixes": 400, "rows": 400, "skipped_devices": 0}
    assert [n for _, n in _rows(runtime, device)] == [360, 40]


def test_serve_compacts_in_the_background_and_can_be_switched_off(
    settings: Settings,
) -> None:
    at = datetime(2026, 3, 1, 12, 20, tzinfo=UTC)
    with Runtime.open(settings, clock=fixed_clock(at)) as runtime:
        owner = _customer(runtime)
        device = _device(runtime, owner)
        _store(runtime, device, owner, _every_10s(datetime(2026, 3, 1, 10, 0, tzinfo=UTC), 30))
        job = compaction_job(runtime)
        assert job.enabled and job.interval == 600
        job.run_once()
        assert [n for _, n in _rows(runtime, device)] == [30]
    off = settings.model_copy(update={"compaction_interval_minutes": 0})
    with Runtime.open(off) as runtime:
        assert not compaction_job(runtime).enabled
