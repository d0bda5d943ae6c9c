"""`GET /api/positions` from rendered rows: the same bytes as rendering afresh, on both
backends, and never a fix the vault would no longer decrypt."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from tests.web.traccar.world import DAY_START, NOW, Account

from trackguard.errors import KeyDestroyed
from trackguard.runtime import Runtime
from trackguard.store.models.tracking import Position
from trackguard.tracking.compaction import compact_positions
from trackguard.tracking.positions import (
    POSITION_KEY_CLASS,
    PositionFix,
    encrypt_position,
    insert_positions,
)
from trackguard.web.traccar.access import CustomerData
from trackguard.web.traccar.ids import CommittedNumbers, numbers_for
from trackguard.web.traccar.rendered import rendered_rows_of
from trackguard.web.traccar.resources import positions_json
from trackguard.web.traccar.responses import json_bytes
from trackguard.web.traccar.serialize import column_positions_json

DAY_END = DAY_START + timedelta(hours=2)


def latest_answer(runtime: Runtime, account: Account) -> bytes:
    with runtime.db.session() as session:
        return CustomerData(session, runtime.vault, account.customer_id).latest_items()


def fresh_latest_answer(runtime: Runtime, account: Account) -> bytes:
    """What the answer was before rows were cached: every row opened and rendered now."""
    with runtime.db.session() as session:
        data = CustomerData(session, runtime.vault, account.customer_id)
        devices = data.devices()
        latest = data.latest_positions(devices)
        return json_bytes(positions_json([(d, latest[d.id]) for d in devices if d.id in latest]))


def history_answer(
    runtime: Runtime, account: Account, start: datetime = DAY_START, end: datetime = DAY_END
) -> bytes:
    with runtime.db.session() as session:
        data = CustomerData(session, runtime.vault, account.customer_id)
        device = data.device_by_id(account.device_ids[0])
        assert device is not None
        return data.history_items(device, start, end)


def fresh_history_answer(
    runtime: Runtime, account: Account, start: datetime = DAY_START, end: datetime = DAY_END
) -> bytes:
    with runtime.db.session() as session:
        data = CustomerData(session, runtime.vault, account.customer_id)
        device = data.device_by_id(account.device_ids[0])
        assert device is not None
        found = data.history_columns(device, start, end)
        return json_bytes(column_positions_json(device.number, device.protocol, found))


def add_fix(runtime: Runtime, account: Account, at: datetime, lat: float) -> None:
    fix = PositionFix(lat, 5.0, 12.0, 90.0, 1.0, 7, True, 55.0, protocol="gt06")
    with runtime.db.session() as session:
        row = encrypt_position(
            session,
            runtime.vault,
            device_id=account.device_ids[0],
            customer_id=account.customer_id,
            fix_time=at,
            received_at=at + timedelta(seconds=1),
            fix=fix,
        )
        insert_positions(session, [row])


def destroy_location_key(runtime: Runtime, account: Account) -> None:
    with runtime.db.session() as session:
        runtime.vault.destroy_keys(session, account.customer_id, [POSITION_KEY_CLASS])


def test_cached_answers_are_the_freshly_rendered_ones(runtime: Runtime, alice: Account) -> None:
    expected_latest = fresh_latest_answer(runtime, alice)
    expected_history = fresh_history_answer(runtime, alice)
    assert latest_answer(runtime, alice) == expected_latest  # rendered, then cached
    assert latest_answer(runtime, alice) == expected_latest  # from the cache
    assert history_answer(runtime, alice) == expected_history
    assert history_answer(runtime, alice) == expected_history
    assert len(rendered_rows_of(runtime.vault)) > 0


def test_compacted_hours_answer_the_same(runtime: Runtime, alice: Account) -> None:
    before = fresh_history_answer(runtime, alice)
    latest_before = fresh_latest_answer(runtime, alice)
    history_answer(runtime, alice)  # single rows cached
    compact_positions(runtime.db, runtime.vault, now=NOW)
    assert history_answer(runtime, alice) == before
    assert history_answer(runtime, alice) == before
    assert latest_answer(runtime, alice) == latest_before  # the newest fix, now in a block
    # A period that starts and ends inside blocks is cut within them.
    start, end = DAY_START + timedelta(minutes=10, seconds=30), DAY_START + timedelta(minutes=20)
    cut = history_answer(runtime, alice, start, end)
    assert cut == fresh_history_answer(runtime, alice, start, end)
    assert cut.count(b'"fixTime"') == 9  # 08:11 to 08:19


def test_a_late_fix_inside_a_compacted_hour_keeps_time_order(
    runtime: Runtime, alice: Account
) -> None:
    compact_positions(runtime.db, runtime.vault, now=NOW)
    history_answer(runtime, alice)
    add_fix(runtime, alice, DAY_START + timedelta(minutes=30, seconds=30), lat=53.0)
    add_fix(runtime, alice, DAY_START + timedelta(minutes=40), lat=53.1)  # a resent second
    answer = history_answer(runtime, alice)
    assert answer == fresh_history_answer(runtime, alice)
    assert answer.count(b'"fixTime"') == 62  # the late fix in; the resent one once


def test_a_newer_fix_replaces_the_cached_latest(runtime: Runtime, alice: Account) -> None:
    latest_answer(runtime, alice)
    add_fix(runtime, alice, DAY_START + timedelta(hours=1, minutes=5), lat=53.2)
    answer = latest_answer(runtime, alice)
    assert answer == fresh_latest_answer(runtime, alice)
    assert b'"fixTime":"2026-03-02T09:05:00.000Z"' in answer


def test_a_destroyed_key_is_never_served_from_the_cache(
    runtime: Runtime, alice: Account, bob: Account
) -> None:
    latest_answer(runtime, alice)
    history_answer(runtime, alice)
    bobs = latest_answer(runtime, bob)
    cache = rendered_rows_of(runtime.vault)
    destroy_location_key(runtime, alice)
    with pytest.raises(KeyDestroyed):
        latest_answer(runtime, alice)
    with pytest.raises(KeyDestroyed):
        history_answer(runtime, alice)
    assert cache.bytes > 0  # Bob's rows stay
    assert latest_answer(runtime, bob) == bobs


def test_a_key_destroyed_by_another_process_is_refused_once_the_vault_knows(
    runtime: Runtime, alice: Account
) -> None:
    latest_answer(runtime, alice)
    with Runtime.open(runtime.settings) as elsewhere:  # e.g. `trackguard requests complete`
        destroy_location_key(elsewhere, alice)
    # This process's vault keeps unwrapped keys up to its TTL; once it looks again,
    # the cache must not outlive the key.
    runtime.vault.forget_cached_keys()
    with pytest.raises(KeyDestroyed):
        latest_answer(runtime, alice)
    assert len(rendered_rows_of(runtime.vault)) == 0


def test_a_cached_answer_still_opens_one_ciphertext_per_key(
    runtime: Runtime, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    compact_positions(runtime.db, runtime.vault, now=NOW)
    latest_answer(runtime, alice)
    history_answer(runtime, alice)
    opened: list[str] = []
    decrypt = runtime.vault.decrypt

    def counting(*args: Any, **kwargs: Any) -> bytes:
        opened.append(kwargs["subject"])
        return decrypt(*args, **kwargs)

    monkeypatch.setattr(runtime.vault, "decrypt", counting)
    latest_answer(runtime, alice)
    assert opened == [alice.customer_id]  # two devices' rows, one key: opened once
    history_answer(runtime, alice)
    assert opened == [alice.customer_id] * 2


def test_a_rectified_row_is_not_answered_from_the_kept_answer(
    runtime: Runtime, alice: Account
) -> None:
    at = DAY_START + timedelta(hours=1, minutes=5)
    add_fix(runtime, alice, at, lat=53.2)
    assert b'"latitude":53.2' in latest_answer(runtime, alice)
    latest_answer(runtime, alice)  # now kept as a whole
    corrected = PositionFix(53.3, 5.0, 12.0, 90.0, 1.0, 7, True, 55.0, protocol="gt06")
    with runtime.db.session() as session:
        row = encrypt_position(
            session,
            runtime.vault,
            device_id=alice.device_ids[0],
            customer_id=alice.customer_id,
            fix_time=at,
            received_at=at + timedelta(seconds=1),
            fix=corrected,
        )
        session.execute(
            update(Position)
            .where(Position.device_id == row.device_id, Position.fix_time == at)
            .values(payload=row.payload)
        )
    answer = latest_answer(runtime, alice)
    assert answer == fresh_latest_answer(runtime, alice)
    assert b'"latitude":53.3' in answer


def test_device_numbers_are_kept_only_once_their_transaction_commits(
    runtime: Runtime, alice: Account
) -> None:
    numbers = CommittedNumbers()
    with pytest.raises(RuntimeError), runtime.db.session() as session:
        given, committed = numbers.of(session, alice.device_ids)
        assert not committed and sorted(given) == sorted(alice.device_ids)
        raise RuntimeError("the request failed: its numbers roll back")
    with runtime.db.session() as session:
        again, committed = numbers.of(session, alice.device_ids)
        assert not committed  # handed out again, not taken from the rolled-back request
    with runtime.db.session() as session:
        kept, committed = numbers.of(session, alice.device_ids)
        assert committed and kept == again
        assert numbers_for(session, "device", alice.device_ids) == kept
