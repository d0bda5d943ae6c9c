"""Completing each type of request does what its right asks, at once, and tells the subject."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import timedelta

import pytest
from request_helpers import AddCustomer, Counts, Inbox, MovableClock
from sqlalchemy import select

from trackguard.privacy import requests as rights
from trackguard.privacy.audit import list_entries, verify
from trackguard.privacy.gate import can
from trackguard.runtime import Runtime
from trackguard.store.models import Customer, ExportFile


def verified(runtime: Runtime, customer: str, kind: str, **details: object) -> str:
    request = rights.submit_request(runtime, customer_id=customer, type=kind, **details)  # type: ignore[arg-type]
    rights.verify_by_session(runtime, request.request.id, customer_id=customer)
    return request.request.id


def profile(runtime: Runtime, customer: str, column: str) -> str | None:
    with runtime.db.session() as session:
        row = session.get(Customer, customer)
        return runtime.vault.unseal(session, row, column)


def find(runtime: Runtime, email: str) -> str | None:
    with runtime.db.session() as session:
        found = session.scalar(
            select(Customer.id).where(
                Customer.email_index == runtime.vault.blind_index("email", email)
            )
        )
        return found


def allowed(runtime: Runtime, customer: str, purpose: str) -> bool:
    with runtime.db.session() as session:
        return bool(can(session, runtime.policy, customer, purpose, at=runtime.clock()))


def test_rectification_writes_the_corrections_through_the_vault(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox
) -> None:
    customer = add_customer()
    request = verified(
        runtime,
        customer,
        "rectification",
        corrections={"last_name": "van Vries", "email": "jan@nieuw.example.nl"},
    )
    done = rights.complete_request(runtime, request)
    assert done.request.status == "completed"
    assert profile(runtime, customer, "last_name") == "van Vries"
    assert profile(runtime, customer, "email") == "jan@nieuw.example.nl"
    assert find(runtime, "JAN@nieuw.example.nl") == customer  # the blind index moved too
    assert find(runtime, "jan.de.vries@example.nl") is None
    assert mails.messages[-1][0] == ["jan@nieuw.example.nl"]  # told at the corrected address
    with runtime.db.session() as session:
        entry = list_entries(session, subject_id=customer)[-2]
    assert entry.action == "rights_request.completed"
    assert {"user.name.last", "user.contact.email"} <= set(entry.categories)


def test_rectification_to_an_address_taken_meanwhile_is_refused(
    runtime: Runtime, add_customer: AddCustomer, row_counts: Callable[[], Counts]
) -> None:
    customer = add_customer()
    request = verified(runtime, customer, "rectification", corrections={"email": "els@example.nl"})
    add_customer("els@example.nl")
    before = row_counts()
    with pytest.raises(rights.RequestError, match="another account"):
        rights.complete_request(runtime, request)
    assert row_counts() == before
    assert profile(runtime, customer, "email") == "jan.de.vries@example.nl"


def test_restriction_stops_what_the_gate_allows_at_once(
    runtime: Runtime, add_customer: AddCustomer
) -> None:
    customer = add_customer()
    assert allowed(runtime, customer, "customer_service")
    request = verified(runtime, customer, "restriction", ground="accuracy_contested")
    done = rights.complete_request(runtime, request)
    assert done.request.status == "completed"
    assert not allowed(runtime, customer, "customer_service")
    assert runtime.policy.rights.restriction_effect.nl in (done.request.outcome or "")


def test_objection_stops_direct_marketing_at_once(
    runtime: Runtime, add_customer: AddCustomer
) -> None:
    customer = add_customer()
    assert allowed(runtime, customer, "direct_marketing")
    request = verified(runtime, customer, "objection", purpose="direct_marketing")
    rights.complete_request(runtime, request)
    assert not allowed(runtime, customer, "direct_marketing")
    assert allowed(runtime, customer, "service_delivery")


def test_withdrawal_records_it_in_the_consent_ledger(
    runtime: Runtime, add_customer: AddCustomer, clock: MovableClock
) -> None:
    from trackguard.privacy.consent import consent_state, record_consent

    customer = add_customer()
    with runtime.db.session() as session:
        record_consent(
            session,
            customer_id=customer,
            purpose="newsletter",
            given=True,
            channel="portal",
            proof="Yes, send me the newsletter.",
            policy_version=runtime.policy.version_id,
            at=clock.at - timedelta(days=30),
            policy=runtime.policy,
        )
    assert allowed(runtime, customer, "newsletter")
    request = verified(runtime, customer, "withdrawal", purpose="newsletter")
    rights.complete_request(runtime, request)
    assert not allowed(runtime, customer, "newsletter")
    with runtime.db.session() as session:
        state = consent_state(session, customer, policy=runtime.policy)["newsletter"]
    assert state.status == "withdrawn"
    assert state.channel == "rights_request"


@pytest.mark.parametrize("kind", ["access", "portability"])
def test_access_and_portability_write_a_zip_under_exports(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox, kind: str
) -> None:
    customer = add_customer()
    request = verified(runtime, customer, kind)
    done = rights.complete_request(runtime, request)
    assert done.export_path is not None
    path = done.export_path
    assert path.parent.resolve() == runtime.settings.exports_dir.resolve()
    assert zipfile.is_zipfile(path)
    assert done.request.status == "completed"
    assert path.name in (done.request.outcome or "")
    with runtime.db.session() as session:
        row = session.scalars(select(ExportFile).where(ExportFile.request_id == request)).one()
    assert row.file_name == path.name
    assert mails.messages and path.name in mails.bodies()[-1]


def test_erasure_erases_the_subject_completes_and_tells_them(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox
) -> None:
    customer = add_customer()
    request = verified(runtime, customer, "erasure")
    done = rights.complete_request(runtime, request)
    assert done.request.status == "completed"
    assert done.emailed
    assert mails.messages[-1][0] == ["jan.de.vries@example.nl"]
    view, events = rights.get_request(runtime, request)
    assert view.status == "completed" and events[-1].status == "completed"
    assert "Wij hebben uw persoonsgegevens verwijderd" in mails.bodies()[-1]
    assert find(runtime, "jan.de.vries@example.nl") is None
    with runtime.db.session() as session:
        assert list_entries(session, subject_id=customer) == []  # shredded, and none added
    assert verify(runtime.db).ok
    with pytest.raises(rights.RequestError, match="erased"):
        rights.submit_request(runtime, customer_id=customer, type="access")


def test_an_open_request_of_an_erased_subject_cannot_be_completed(
    runtime: Runtime, add_customer: AddCustomer
) -> None:
    customer = add_customer()
    access = verified(runtime, customer, "access")
    rights.complete_request(runtime, verified(runtime, customer, "erasure"))
    with pytest.raises(rights.RequestError, match="erased"):
        rights.complete_request(runtime, access)


def test_completed_requests_stay_completed(runtime: Runtime, add_customer: AddCustomer) -> None:
    customer = add_customer()
    request = verified(runtime, customer, "objection", purpose="direct_marketing")
    rights.complete_request(runtime, request)
    with pytest.raises(rights.RequestError, match="already completed"):
        rights.complete_request(runtime, request)
