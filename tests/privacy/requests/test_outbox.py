"""The mail outbox on SQLite and PostgreSQL: a notice goes out only after its step commits,
the database is free while the relay talks, nothing is lost or sent twice, a failure is
visible (without content) and retried, and erasure takes the mail still waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from request_helpers import EMAIL, AddCustomer, Inbox, MovableClock, free_port
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from trackguard.privacy import requests as rights
from trackguard.privacy.audit import list_entries
from trackguard.privacy.requests.outbox import (
    DrainReport,
    Outbox,
    OutboxJob,
    retry_delay,
    waiting,
)
from trackguard.runtime import Runtime
from trackguard.store.models import AuditEntry, OutboxMessage

NOTICE = "rights_request.notice_emailed"


class Boom(Exception):
    """Makes a step fail after it queued its message."""


def relay_at(runtime: Runtime, port: int) -> Runtime:
    settings = runtime.settings.model_copy(update={"smtp_port": port})
    return Runtime(settings, runtime.db, runtime.policy, runtime.vault, runtime.clock)


def broken(runtime: Runtime) -> Runtime:
    return relay_at(runtime, 1)  # nothing listens on port 1: connection refused


def queue(runtime: Runtime, customer: str | None, body: str = "Hello") -> str:
    with runtime.db.session() as session:
        return Outbox(runtime).queue(
            session,
            customer_id=customer,
            to=EMAIL,
            subject="A notice",
            body=body,
            purpose="privacy_rights",
            audit_action=NOTICE,
        )


def notices_audited(runtime: Runtime) -> list[AuditEntry]:
    with runtime.db.session() as session:
        return [e for e in list_entries(session) if e.action == NOTICE]


def test_retry_waits_double_each_time_up_to_an_hour() -> None:
    minutes = [retry_delay(n) / timedelta(minutes=1) for n in range(1, 9)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_step_that_rolls_back_sends_nothing(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox
) -> None:
    customer = add_customer()
    with pytest.raises(Boom), runtime.db.session() as session:
        Outbox(runtime).queue(
            session,
            customer_id=customer,
            to=EMAIL,
            subject="never",
            body="never",
            purpose="privacy_rights",
            audit_action=NOTICE,
        )
        raise Boom
    assert waiting(runtime) == []
    assert Outbox(runtime).drain() == DrainReport()
    assert not mails.messages


class WritingInbox(Inbox):
    """A relay that, while it receives a message, tries to write to the database."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
        self.wrote: list[bool] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.wrote.append(await asyncio.to_thread(self._write))
        return await super().handle_DATA(server, session, envelope)

    def _write(self) -> bool:
        """Whether a write gets through at once (no waiting for a lock somebody holds)."""
        db = self.runtime.db
        try:
            with db.engine.connect() as connection:
                if db.dialect == "sqlite":
                    before = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
                    connection.exec_driver_sql("PRAGMA busy_timeout = 0")
                else:
                    connection.exec_driver_sql("SET LOCAL lock_timeout = '1s'")
                try:
                    # Every outbox row, the one being sent too.
                    connection.execute(
                        update(OutboxMessage).values(attempts=OutboxMessage.attempts)
                    )
                    connection.commit()
                finally:
                    if db.dialect == "sqlite":
                        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(before or 0)}")
        except OperationalError:
            return False
        return True


@pytest.fixture
def writing_relay(runtime: Runtime) -> Iterator[tuple[WritingInbox, int]]:
    box, port = WritingInbox(runtime), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def test_the_database_is_free_while_the_relay_takes_a_notice(
    runtime: Runtime, add_customer: AddCustomer, writing_relay: tuple[WritingInbox, int]
) -> None:
    box, port = writing_relay
    request = rights.submit_request(runtime, customer_id=add_customer(), type="access").request
    told = rights.refuse(relay_at(runtime, port), request.id, "Not substantiated.")
    assert told.emailed and box.wrote == [True]
    assert [to for to, _ in box.messages] == [[EMAIL]]


def test_a_message_is_sent_once_though_two_senders_try(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox
) -> None:
    message = queue(runtime, add_customer())
    # Until its lease runs out the message belongs to the step that queued it.
    assert Outbox(runtime).drain() == DrainReport()
    assert Outbox(runtime).deliver([message]) == {message}
    assert Outbox(runtime).drain() == DrainReport()
    assert Outbox(runtime).deliver([message]) == set()
    assert len(mails.messages) == 1 and waiting(runtime) == []


def test_a_step_that_died_before_delivering_is_covered_by_the_drain(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox, clock: MovableClock
) -> None:
    queue(runtime, add_customer())  # and never delivered by its step
    clock.advance(minutes=5)
    assert Outbox(runtime).drain() == DrainReport(delivered=1)
    assert len(mails.messages) == 1


def test_a_failure_is_visible_without_content_and_retried_later(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox, clock: MovableClock
) -> None:
    message = queue(runtime, add_customer(), body="Your secret answer")
    assert Outbox(broken(runtime)).deliver([message]) == set()
    [shown] = waiting(runtime)
    assert (shown.id, shown.purpose, shown.attempts) == (message, "privacy_rights", 1)
    assert shown.last_error == "ConnectionRefusedError"
    assert EMAIL not in repr(shown) and "secret" not in repr(shown)
    assert notices_audited(runtime) == []  # not sent, so not audited as sent

    assert Outbox(runtime).drain() == DrainReport()  # backing off: not due yet
    clock.advance(minutes=1)
    assert Outbox(broken(runtime)).drain() == DrainReport(failed=1)
    assert waiting(runtime)[0].next_attempt_at == clock.at + timedelta(minutes=2)
    clock.advance(minutes=2)
    assert Outbox(runtime).drain() == DrainReport(delivered=1)
    assert "Your secret answer" in mails.bodies()[0] and waiting(runtime) == []
    [audited] = notices_audited(runtime)
    assert audited.actor == "mail" and audited.subject_id is not None


def test_serve_retries_what_waits(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox, clock: MovableClock
) -> None:
    message = queue(runtime, add_customer())
    Outbox(broken(runtime)).deliver([message])
    clock.advance(minutes=1)
    job = OutboxJob(runtime)
    job.run_once()
    assert job.runs == 1 and len(mails.messages) == 1 and waiting(runtime) == []


def test_erasure_takes_the_waiting_mail_and_its_own_notice_belongs_to_nobody(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox, clock: MovableClock
) -> None:
    customer = add_customer()
    access = rights.submit_request(runtime, customer_id=customer, type="access").request
    assert rights.refuse(broken(runtime), access.id, "Not substantiated.").queued
    erasure = rights.submit_request(runtime, customer_id=customer, type="erasure").request
    rights.verify_by_session(runtime, erasure.id, customer_id=customer)
    done = rights.complete_request(broken(runtime), erasure.id)
    assert done.request.status == "completed" and done.queued and not done.emailed
    with runtime.db.session() as session:
        left = session.scalars(select(OutboxMessage)).all()
        # The refusal went with the subject; the notice of erasure waits, owned by nobody.
        assert [m.customer_id for m in left] == [None]
    clock.advance(minutes=1)
    assert Outbox(runtime).drain() == DrainReport(delivered=1)
    assert [to for to, _ in mails.messages] == [[EMAIL]]
    assert [e.subject_id for e in notices_audited(runtime)] == [None]
