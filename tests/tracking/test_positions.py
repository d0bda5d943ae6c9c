"""Position payloads, row binding, batch inserts and month partitions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select, text

from trackguard.errors import CiphertextError, VaultError
from trackguard.protocols.base import Alarm, PositionReport
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import Position
from trackguard.tracking.devices import resolve_devices
from trackguard.tracking.positions import (
    PARTITION_SCHEMA,
    PartitionKeeper,
    PositionFix,
    decode_position_payload,
    encode_position_payload,
    encrypt_position,
    fix_of,
    insert_positions,
    month_of,
    next_month,
    partition_name,
    position_key_ref,
    position_row_binding,
    read_positions,
    subject_of_key_ref,
)
from trackguard.vault import FLEET_SUBJECT

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings) as opened:
        yield opened


def test_a_report_round_trips_through_the_payload() -> None:
    report = PositionReport(
        protocol="teltonika",
        device_key="352093081234567",
        time=NOW,
        valid=False,
        latitude=52.2518123456,
        longitude=5.36681234,
        speed=18.456,
        course=None,
        altitude=None,
        satellites=None,
        battery=87.5,
        ignition=True,
        motion=False,
        alarm=Alarm.POWER_CUT,
        attributes={"io239": 1, "raw": b"\x01\x02", "cells": (1, 2), "nan": float("nan")},
    )
    fix = decode_position_payload(encode_position_payload(fix_of(report)))
    assert (fix.lat, fix.lon, fix.speed) == (52.251812, 5.366812, 18.5)
    assert fix.course is None and fix.altitude is None and fix.satellites is None
    assert (fix.valid, fix.battery, fix.ignition, fix.motion) == (False, 87.5, True, False)
    assert (fix.alarm, fix.protocol) == ("powerCut", "teltonika")
    assert fix.attributes == {"io239": 1, "raw": "0102", "cells": [1, 2], "nan": None}


def test_payloads_written_by_the_demo_still_decode() -> None:
    fix = PositionFix(52.2518123456, 5.36681234, 18.456, 359.97, -0.44, 9, True, 86)
    payload = encode_position_payload(fix)
    assert b"protocol" not in payload and b"attributes" not in payload
    assert decode_position_payload(payload) == PositionFix(
        52.251812, 5.366812, 18.5, 0.0, -0.4, 9, True, 86
    )


def test_key_refs_name_the_subject_whose_key_encrypted_the_row() -> None:
    assert subject_of_key_ref(position_key_ref(None, 3)) == FLEET_SUBJECT
    assert subject_of_key_ref(position_key_ref("c1", 2)) == "c1"
    with pytest.raises(VaultError):
        subject_of_key_ref("something:else")


def test_row_binding_is_device_and_fix_time() -> None:
    assert position_row_binding("d1", NOW) == "d1|2026-03-01T08:00:00.000000+00:00"
    assert position_row_binding("d1", NOW.replace(tzinfo=None)) == position_row_binding("d1", NOW)


def test_months_and_partition_names() -> None:
    assert month_of(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == date(2026, 12, 1)
    assert next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert partition_name(date(2026, 3, 1)) == "positions_y2026m03"


def _store(runtime: Runtime, times: list[datetime], customer_id: str | None = None) -> str:
    with runtime.db.session() as session:
        ref = resolve_devices(session, runtime.vault, {"356938035643809": "gt06"}, now=NOW)
        device_id = ref["356938035643809"].id
        rows = [
            encrypt_position(
                session,
                runtime.vault,
                device_id=device_id,
                customer_id=customer_id,
                fix_time=t,
                received_at=NOW,
                fix=PositionFix(52.2, 5.4, 1.0, 0.0, 0.0, 5, True, 50, protocol="gt06"),
            )
            for t in times
        ]
        insert_positions(session, rows)
    return device_id


def test_inserting_a_stored_fix_again_is_skipped(runtime: Runtime) -> None:
    PartitionKeeper(runtime.db.engine).ensure([NOW], now=NOW)
    times = [NOW + timedelta(seconds=n) for n in range(3)]
    device_id = _store(runtime, times)
    _store(runtime, [*times, NOW + timedelta(seconds=3)])
    with runtime.db.session() as session:
        stored = read_positions(session, runtime.vault, device_id)
        window = read_positions(
            session,
            runtime.vault,
            device_id,
            start=NOW + timedelta(seconds=1),
            end=NOW + timedelta(seconds=3),
        )
        assert [p.time for p in read_positions(session, runtime.vault, device_id, limit=1)] == [NOW]
    assert [p.time for p in stored] == [NOW + timedelta(seconds=n) for n in range(4)]
    assert [p.time for p in window] == [NOW + timedelta(seconds=n) for n in (1, 2)]
    assert stored[0].to_json()["protocol"] == "gt06"


def test_a_payload_moved_to_another_row_does_not_decrypt(runtime: Runtime) -> None:
    device_id = _store(runtime, [NOW, NOW + timedelta(seconds=1)])
    with runtime.db.session() as session:
        first, second = session.scalars(select(Position).order_by(Position.fix_time)).all()
        second.payload = first.payload
    with runtime.db.session() as session, pytest.raises(CiphertextError):
        read_positions(session, runtime.vault, device_id)


def test_partitions_are_only_made_on_postgres_and_near_now(runtime: Runtime) -> None:
    keeper = PartitionKeeper(runtime.db.engine)
    far = [datetime(2001, 1, 1, tzinfo=UTC), datetime(2099, 1, 1, tzinfo=UTC)]
    months = keeper.months_to_make([NOW, *far], NOW)
    if runtime.db.dialect != "postgresql":
        assert months == []
        return
    assert months == [date(2026, 3, 1), date(2026, 4, 1)]  # this month and the next


@pytest.mark.postgres
def test_two_processes_making_the_same_partition_both_succeed(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    try:
        month = date(2031, 7, 1)
        for keeper in (PartitionKeeper(engine), PartitionKeeper(engine)):
            keeper.ensure([datetime(2031, 7, 9, tzinfo=UTC)], now=datetime(2031, 7, 9, tzinfo=UTC))
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT to_regclass(:n)"),
                {"n": f"{PARTITION_SCHEMA}.{partition_name(month)}"},
            ).scalar()
        assert found is not None
    finally:
        engine.dispose()
