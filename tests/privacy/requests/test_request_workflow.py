"""The request workflow on SQLite and PostgreSQL: receipt, duplicates, bad input, refusal,
extension, overdue; every step leaves an event and an audit entry, a refused step nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from request_helpers import EMAIL, AddCustomer, Counts, Inbox, MovableClock
from sqlalchemy import select

from trackguard.errors import NotFound, TrackguardError
from trackguard.privacy import requests as rights
from trackguard.privacy.audit import list_entries, verify
from trackguard.privacy.requests.outbox import Outbox
from trackguard.runtime import Runtime
from trackguard.store.models import Customer, RequestEvent


def test_new_request_is_received_and_due_four_weeks_later(
    runtime: Runtime, add_customer: AddCustomer, clock: MovableClock
) -> None:
    customer = add_customer()
    done = rights.submit_request(runtime, customer_id=customer, type="access")
    assert done.created
    data = done.request.to_json()
    assert data["type"] == "access"
    assert data["status"] == "received"
    assert data["received"] == clock.at.isoformat()
    assert data["due"] == (clock.at + timedelta(weeks=4)).isoformat()
    assert data["overdue"] is False
    _, events = rights.get_request(runtime, done.request.id)
    assert [e.status for e in events] == ["received"]
    with runtime.db.session() as session:
        [entry] = list_entries(session, subject_id=customer)
        assert entry.action == "rights_request.received"
        assert entry.purpose == "privacy_rights"


def test_same_open_request_twice_answers_with_the_first_and_changes_nothing(
    runtime: Runtime, add_customer: AddCustomer, row_counts: Callable[[], Counts]
) -> None:
    customer = add_customer()
    first = rights.submit_request(
        runtime, customer_id=customer, type="restriction", ground="accuracy_contested"
    )
    before = row_counts()
    again = rights.submit_request(
        runtime, customer_id=customer, type="restriction", ground="accuracy_contested"
    )
    assert not again.created
    assert again.request.id == first.request.id
    assert row_counts() == before


def test_a_different_ground_or_a_closed_request_makes_a_new_one(
    runtime: Runtime, add_customer: AddCustomer
) -> None:
    customer = add_customer()
    first = rights.submit_request(
        runtime, customer_id=customer, type="restriction", ground="accuracy_contested"
    )
    other = rights.submit_request(
        runtime, customer_id=customer, type="restriction", ground="legal_claims"
    )
    assert other.created and other.request.id != first.request.id
    rights.refuse(runtime, first.request.id, "Not substantiated.")
    renewed = rights.submit_request(
        runtime, customer_id=customer, type="restriction", ground="accuracy_contested"
    )
    assert renewed.created and renewed.request.id != first.request.id


def test_same_corrections_twice_are_one_request_other_corrections_another(
    runtime: Runtime, add_customer: AddCustomer, row_counts: Callable[[], Counts]
) -> None:
    customer = add_customer()
    first = rights.submit_request(
        runtime, customer_id=customer, type="rectification", corrections={"last_name": "Vries"}
    )
    before = row_counts()
    again = rights.submit_request(
        runtime, customer_id=customer, type="rectification", corrections={"last_name": "Vries"}
    )
    assert (again.created, again.request.id) == (False, first.request.id)
    assert row_counts() == before
    other = rights.submit_request(
        runtime, customer_id=customer, type="rectification", corrections={"last_name": "Fries"}
    )
    assert other.created


def test_corrections_are_stored_sealed_not_in_plain_text(
    runtime: Runtime, add_customer: AddCustomer
) -> None:
    customer = add_customer()
    done = rights.submit_request(
        runtime,
        customer_id=customer,
        type="rectification",
        corrections={"phone": "+31 6 99887766"},
    )
    assert done.request.details == {"fields": ["phone"]}
    with runtime.db.engine.connect() as connection:
        raw = connection.exec_driver_sql("SELECT details FROM rights_requests").scalar_one()
    assert "99887766" not in str(raw)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": "deletion"}, "unknown request type 'deletion'"),
        ({"type": "withdraw_consent"}, "unknown request type"),
        ({"type": "restriction"}, "restriction needs a ground"),
        ({"type": "restriction", "ground": "because"}, "restriction needs a ground"),
        ({"type": "objection"}, "objection request needs a purpose"),
        ({"type": "objection", "purpose": "legal_compliance"}, "not a purpose"),
        ({"type": "objection", "purpose": "no_such_purpose"}, "not a purpose"),
        ({"type": "withdrawal", "purpose": "service_delivery"}, "not a purpose"),
        ({"type": "access", "ground": "legal_claims"}, "takes no --ground"),
        ({"type": "erasure", "purpose": "newsletter"}, "takes no --purpose"),
        ({"type": "rectification"}, "at least one correction"),
        ({"type": "rectification", "corrections": {"password_hash": "x"}}, "cannot be rectified"),
        ({"type": "rectification", "corrections": {"birth_date": "2000-01-01"}}, "cannot be"),
        ({"type": "rectification", "corrections": {"phone": "  "}}, "is empty"),
        ({"type": "rectification", "corrections": {"email": "not-an-address"}}, "not a valid"),
        ({"type": "access", "corrections": {"phone": "1"}}, "takes no corrections"),
    ],
)
def test_bad_requests_are_refused_and_change_nothing(
    runtime: Runtime,
    add_customer: AddCustomer,
    row_counts: Callable[[], Counts],
    kwargs: dict[str, object],
    message: str,
) -> None:
    customer = add_customer()
    before = row_counts()
    with pytest.raises(rights.RequestError, match=message):
        rights.submit_request(runtime, customer_id=customer, **kwargs)  # type: ignore[arg-type]
    assert row_counts() == before


def test_a_new_e_mail_address_another_account_uses_is_refused(
    runtime: Runtime, add_customer: AddCustomer, row_counts: Callable[[], Counts]
) -> None:
    customer = add_customer()
    add_customer("els.bakker@example.nl")
    before = row_counts()
    with pytest.raises(rights.RequestError, match="another account"):
        rights.submit_request(
            runtime,
            customer_id=customer,
            type="rectification",
            corrections={"email": "ELS.BAKKER@example.nl"},
        )
    assert row_counts() == before


def test_requests_against_an_erased_subject_are_refused(
    runtime: Runtime, add_customer: AddCustomer, row_counts: Callable[[], Counts]
) -> None:
    customer = add_customer()
    with runtime.db.session() as session:
        row = session.get(Customer, customer)
        assert row is not None
        row.status, row.anonymised_at = "erased", runtime.clock()
    before = row_counts()
    with pytest.raises(rights.RequestError, match="erased"):
        rights.submit_request(runtime, customer_id=customer, type="access")
    with pytest.raises(rights.RequestError, match="erased"):
        rights.customer_id_for_email(runtime, "jan.de.vries@example.nl")
    assert row_counts() == before


def test_unknown_subject_or_request_is_not_found(runtime: Runtime) -> None:
    with pytest.raises(NotFound):
        rights.customer_id_for_email(runtime, "nobody@example.nl")
    with pytest.raises(NotFound):
        rights.submit_request(runtime, customer_id="0" * 32, type="access")
    with pytest.raises(NotFound):
        rights.get_request(runtime, "0" * 32)


def test_refusal_needs_a_reason_and_tells_the_subject_by_e_mail(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox, row_counts: Callable[[], Counts]
) -> None:
    customer = add_customer(language="en")
    request = rights.submit_request(runtime, customer_id=customer, type="erasure").request
    before = row_counts()
    with pytest.raises(rights.RequestError, match="needs a reason"):
        rights.refuse(runtime, request.id, "   ")
    assert row_counts() == before and not mails.messages
    told = rights.refuse(runtime, request.id, "We must keep your invoices for the tax office.")
    assert told.emailed
    assert told.request.status == "refused"
    assert told.request.outcome == "We must keep your invoices for the tax office."
    [(to, message)] = mails.messages
    assert to == ["jan.de.vries@example.nl"]
    assert message["Reply-To"] == runtime.policy.controller.privacy_contact.email
    assert "We must keep your invoices for the tax office." in mails.bodies()[0]
    _, events = rights.get_request(runtime, request.id)
    assert events[-1].status == "refused"
    assert events[-1].notice is not None and "tax office" in events[-1].notice
    with pytest.raises(rights.RequestError, match="already refused"):
        rights.refuse(runtime, request.id, "Again.")


def test_a_refusal_stands_when_the_relay_is_down_and_its_notice_follows(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox, clock: MovableClock
) -> None:
    customer = add_customer()
    request = rights.submit_request(runtime, customer_id=customer, type="access").request
    unreachable = runtime.settings.model_copy(update={"smtp_port": 1})
    broken = Runtime(unreachable, runtime.db, runtime.policy, runtime.vault, runtime.clock)
    told = rights.refuse(broken, request.id, "No.")
    assert told.request.status == "refused" and told.queued and not told.emailed
    assert rights.get_request(runtime, request.id)[0].status == "refused"
    assert not mails.messages
    clock.advance(minutes=1)
    assert Outbox(runtime).drain().delivered == 1
    assert [to for to, _ in mails.messages] == [[EMAIL]] and "No." in mails.bodies()[0]


def test_extension_needs_a_reason_is_told_and_moves_the_due_date(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox, clock: MovableClock
) -> None:
    customer = add_customer()
    received = clock.at
    request = rights.submit_request(runtime, customer_id=customer, type="access").request
    with pytest.raises(rights.RequestError, match="needs a reason"):
        rights.extend(runtime, request.id, "", 1)
    with pytest.raises(rights.RequestError, match="at most 2 months"):
        rights.extend(runtime, request.id, "Complex request.", 3)
    clock.advance(days=10)
    told = rights.extend(runtime, request.id, "Veel verzoeken deze maand.", 2)
    assert told.emailed
    first_due = received + timedelta(weeks=4)
    assert told.request.due == first_due.replace(month=first_due.month + 2)
    assert told.request.extension_reason == "Veel verzoeken deze maand."
    assert told.request.extended == clock.at
    body = mails.bodies()[0]
    assert "Veel verzoeken deze maand." in body
    assert runtime.policy.rights.extension.text.nl.split(",")[0] in body
    _, events = rights.get_request(runtime, request.id)
    assert [e.status for e in events] == ["received", "extended"]
    with pytest.raises(rights.RequestError, match="already due"):
        rights.extend(runtime, request.id, "Still more.", 1)


def test_extension_after_the_first_deadline_is_refused(
    runtime: Runtime, add_customer: AddCustomer, clock: MovableClock, mails: Inbox
) -> None:
    customer = add_customer()
    request = rights.submit_request(runtime, customer_id=customer, type="access").request
    clock.advance(weeks=4, seconds=1)
    with pytest.raises(rights.RequestError, match="first deadline has passed"):
        rights.extend(runtime, request.id, "Too late.", 1)
    assert not mails.messages


def test_overdue_requests_are_listed_and_flagged(
    runtime: Runtime, add_customer: AddCustomer, clock: MovableClock
) -> None:
    customer = add_customer()
    late = rights.submit_request(runtime, customer_id=customer, type="access").request
    done = rights.submit_request(runtime, customer_id=customer, type="erasure").request
    rights.refuse(runtime, done.id, "Legal hold.")
    clock.advance(days=10)
    fresh = rights.submit_request(runtime, customer_id=customer, type="portability").request
    assert rights.list_requests(runtime, overdue=True) == []
    clock.at = late.due + timedelta(seconds=1)
    overdue = rights.list_requests(runtime, overdue=True)
    assert [r.id for r in overdue] == [late.id]
    assert overdue[0].overdue
    everything = {r.id: r.overdue for r in rights.list_requests(runtime)}
    assert everything == {late.id: True, done.id: False, fresh.id: False}
    assert [r.id for r in rights.overdue_requests(runtime)] == [late.id]
    assert [r.id for r in rights.list_requests(runtime, status="refused")] == [done.id]
    with pytest.raises(rights.RequestError, match="unknown status"):
        rights.list_requests(runtime, status="lost")


def test_steps_out_of_order_are_refused(runtime: Runtime, add_customer: AddCustomer) -> None:
    customer = add_customer()
    request = rights.submit_request(runtime, customer_id=customer, type="access").request
    with pytest.raises(rights.RequestError, match="cannot become in_progress"):
        rights.start(runtime, request.id)
    with pytest.raises(rights.RequestError, match="not verified"):
        rights.complete_request(runtime, request.id)


def test_every_step_writes_an_event_and_an_audit_entry_and_the_chain_verifies(
    runtime: Runtime, add_customer: AddCustomer
) -> None:
    customer = add_customer()
    request = rights.submit_request(runtime, customer_id=customer, type="objection",
                                    purpose="direct_marketing").request  # fmt: skip
    rights.verify_by_session(runtime, request.id, customer_id=customer)
    rights.start(runtime, request.id)
    rights.refuse(runtime, request.id, "Withdrawn by the subject.")
    with runtime.db.session() as session:
        statuses = session.scalars(
            select(RequestEvent.status)
            .where(RequestEvent.request_id == request.id)
            .order_by(RequestEvent.at)
        ).all()
        actions = [e.action for e in list_entries(session, subject_id=customer)]
    assert statuses == ["received", "verified", "in_progress", "refused"]
    assert actions == [
        "rights_request.received",
        "rights_request.verified",
        "rights_request.in_progress",
        "rights_request.refused",
        "rights_request.notice_emailed",
    ]
    assert verify(runtime.db).ok


def test_errors_never_name_the_subject(runtime: Runtime, add_customer: AddCustomer) -> None:
    add_customer()
    with pytest.raises(TrackguardError) as caught:
        rights.customer_id_for_email(runtime, "jan.de.vries@example.com")
    assert "jan" not in str(caught.value)
