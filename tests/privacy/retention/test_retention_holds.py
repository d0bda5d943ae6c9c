"""Legal holds: what is held is never removed, the report says how much was held back,
and a released hold lets the next run act."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from tests.privacy.retention.conftest import NOW
from tests.privacy.retention.factories import World, make

from trackguard.clock import fixed_clock
from trackguard.errors import NotFound
from trackguard.privacy.retention import HoldError, list_holds, place_hold, release_hold, run
from trackguard.runtime import Runtime
from trackguard.store.models import (
    AuditEntry,
    ChatMessage,
    Customer,
    Order,
    RequestEvent,
    ReturnRequest,
    SubjectKey,
)

WorldFactory = Callable[[], AbstractContextManager[World]]
LONG_AGO = NOW - timedelta(days=12 * 366)  # past every period in the policy
CLOCK = fixed_clock(NOW)


def _count(runtime: Runtime, model: type, *where: object) -> int:
    with runtime.db.session() as session:
        query = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
        return int(session.scalar(query) or 0)


def _hold(runtime: Runtime, customer: str, record: tuple[str, str] | None = None) -> str:
    table, key = record if record else (None, None)
    with runtime.db.session() as session:
        hold = place_hold(
            session,
            customer_id=customer,
            record_table=table,
            record_id=key,
            reason="court order 2026/17",
            placed_by="privacy-officer",
            clock=CLOCK,
        )
    return hold.id


def test_a_held_subject_keeps_everything(runtime: Runtime, world: WorldFactory) -> None:
    with world() as w:
        held, free = w.customer_id, make(w, "customers")[0]
        for owner in (held, free):
            make(w, "chat_messages", customer_id=owner, sent_at=LONG_AGO)
            make(w, "orders", customer_id=owner, placed_at=LONG_AGO)
    _hold(runtime, held)
    report = run(runtime, as_of=NOW)
    assert _count(runtime, ChatMessage, ChatMessage.customer_id == held) == 1
    assert _count(runtime, Order, Order.customer_id == held) == 1
    assert _count(runtime, ChatMessage, ChatMessage.customer_id == free) == 0
    assert report.row("chat_contact", "chat_messages").held == 1
    assert report.row("chat_contact", "chat_messages").count == 1
    assert report.row("financial_records", "orders").held == 1


def test_a_held_account_is_not_anonymised_nor_its_keys_destroyed(
    runtime: Runtime, world: WorldFactory
) -> None:
    idle = {"created_at": LONG_AGO, "last_login_at": LONG_AGO, "last_app_use_at": LONG_AGO}
    with world() as w:
        held = make(w, "customers", **idle)[0]
        runtime.vault.encrypt(
            w.session, "x", subject=held, key_class="profile", table="t", column="c", row="r"
        )
    _hold(runtime, held, ("customers", held))
    report = run(runtime, as_of=NOW)
    assert report.row("account_inactivity", "customers").held == 1
    assert report.row("account_inactivity", "customers").count == 0
    assert _count(runtime, Customer, Customer.id == held, Customer.anonymised_at.is_(None)) == 1
    assert (
        _count(
            runtime, SubjectKey, SubjectKey.subject_id == held, SubjectKey.wrapped_key.is_not(None)
        )
        == 1
    )


def test_a_record_hold_spares_that_record_only(runtime: Runtime, world: WorldFactory) -> None:
    with world() as w:
        kept = make(w, "chat_messages", sent_at=LONG_AGO)[0]
        make(w, "chat_messages", sent_at=LONG_AGO)
        customer = w.customer_id
    _hold(runtime, customer, ("chat_messages", kept))
    report = run(runtime, as_of=NOW)
    assert _count(runtime, ChatMessage) == 1
    assert _count(runtime, ChatMessage, ChatMessage.id == kept) == 1
    assert (
        report.row("chat_contact", "chat_messages").count,
        report.row("chat_contact", "chat_messages").held,
    ) == (1, 1)


def test_a_held_record_keeps_the_row_whose_deletion_would_cascade_to_it(
    runtime: Runtime, world: WorldFactory
) -> None:
    with world() as w:
        order = make(w, "orders", placed_at=LONG_AGO)[0]
        returned = make(w, "returns", order_id=order, requested_at=LONG_AGO)[0]
        customer = w.customer_id
    _hold(runtime, customer, ("returns", returned))
    report = run(runtime, as_of=NOW)
    assert _count(runtime, ReturnRequest) == 1
    assert _count(runtime, Order) == 1  # deleting it would have deleted the held return
    assert report.row("financial_records", "orders").held == 1


def test_records_without_a_subject_are_held_with_what_they_belong_to(
    runtime: Runtime, world: WorldFactory
) -> None:
    with world() as w:
        request = make(w, "rights_requests", completed_at=NOW)[0]
        make(w, "request_events", request_id=request, at=LONG_AGO)
        customer = w.customer_id
    _hold(runtime, customer)
    report = run(runtime, as_of=NOW)
    assert _count(runtime, RequestEvent) == 1
    assert report.row("rights_requests_history", "request_events").held == 1


def test_after_release_the_next_run_acts(runtime: Runtime, world: WorldFactory) -> None:
    with world() as w:
        make(w, "chat_messages", sent_at=LONG_AGO)
        customer = w.customer_id
    hold = _hold(runtime, customer)
    assert run(runtime, as_of=NOW).row("chat_contact", "chat_messages").count == 0
    with runtime.db.session() as session:
        released = release_hold(session, hold, released_by="privacy-officer", clock=CLOCK)
        assert not released.active
        assert [h.id for h in list_holds(session, active_only=True)] == []
        assert [h.id for h in list_holds(session)] == [hold]
    assert run(runtime, as_of=NOW).row("chat_contact", "chat_messages").count == 1


def test_placing_and_releasing_are_audited(runtime: Runtime, world: WorldFactory) -> None:
    with world() as w:
        customer = w.customer_id
    hold = _hold(runtime, customer)
    with runtime.db.session() as session:
        release_hold(session, hold, released_by="privacy-officer", clock=CLOCK)
    actions = [(e.action, e.subject_id) for e in _entries(runtime) if e.action.startswith("holds.")]
    assert actions == [("holds.place", customer), ("holds.release", customer)]


def _entries(runtime: Runtime) -> list[AuditEntry]:
    with runtime.db.session() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_bad_holds_are_refused(runtime: Runtime, world: WorldFactory) -> None:
    with world() as w:
        customer, other = w.customer_id, make(w, "customers")[0]
        theirs = make(w, "chat_messages", customer_id=other)[0]
    with runtime.db.session() as session:
        with pytest.raises(HoldError):
            place_hold(session, customer_id=customer, reason=" ", placed_by="po", clock=CLOCK)
        with pytest.raises(NotFound):
            place_hold(session, customer_id="nobody", reason="r", placed_by="po", clock=CLOCK)
        with pytest.raises(HoldError, match="no record"):
            place_hold(
                session, customer_id=customer, record_table="nope", record_id="1", reason="r",
                placed_by="po", clock=CLOCK,
            )  # fmt: skip
        with pytest.raises(NotFound):
            place_hold(
                session, customer_id=customer, record_table="chat_messages", record_id="x",
                reason="r", placed_by="po", clock=CLOCK,
            )  # fmt: skip
        with pytest.raises(HoldError, match="another subject"):
            place_hold(
                session, customer_id=customer, record_table="chat_messages", record_id=theirs,
                reason="r", placed_by="po", clock=CLOCK,
            )  # fmt: skip
        with pytest.raises(NotFound):
            release_hold(session, "nohold", released_by="po", clock=CLOCK)
    hold = _hold(runtime, customer)
    with runtime.db.session() as session:
        release_hold(session, hold, released_by="po", clock=CLOCK)
    with runtime.db.session() as session, pytest.raises(HoldError, match="already released"):
        release_hold(session, hold, released_by="po", clock=CLOCK)
