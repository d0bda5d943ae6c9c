"""The ID copy: only with a reason, only for the rights the policy names, stored encrypted,
reviewed against the policy's blackout items, and deleted as soon as verification ends."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from request_helpers import AddCustomer, Counts, Inbox
from sqlalchemy import select

from trackguard.privacy import requests as rights
from trackguard.runtime import Runtime
from trackguard.store.models import IdentityDocument

# A stand-in for a scanned document, with a marker that must never be stored in the clear.
SCAN = b"\x89PNG\r\n\x1a\n" + b"PASSPORT-NLD-CANARY-7Q2X" * 50
REASON = "No e-mail address on file; the subject wrote by letter."


def blackout(runtime: Runtime) -> list[str]:
    return [b.key for b in runtime.policy.rights.id_copy.blackout]


def documents(runtime: Runtime) -> list[IdentityDocument]:
    with runtime.db.session() as session:
        return list(session.scalars(select(IdentityDocument)))


def access_with_copy(runtime: Runtime, customer: str) -> str:
    request = rights.submit_request(runtime, customer_id=customer, type="access").request.id
    rights.receive_id_copy(runtime, request, content=SCAN, content_type="image/png", reason=REASON)
    return request


def test_the_policy_names_the_statements_blackout_items(runtime: Runtime) -> None:
    assert blackout(runtime) == ["photo", "mrz", "document_number", "bsn"]


def test_the_copy_is_stored_encrypted_and_the_reason_is_recorded(
    runtime: Runtime, add_customer: AddCustomer
) -> None:
    request = access_with_copy(runtime, add_customer(None))
    [document] = documents(runtime)
    assert document.request_id == request
    with runtime.db.engine.connect() as connection:
        raw = connection.exec_driver_sql("SELECT content FROM identity_documents").scalar_one()
    assert b"CANARY" not in bytes(raw)
    with runtime.db.session() as session:
        row = session.get(IdentityDocument, document.id)
        assert runtime.vault.unseal_bytes(session, row, "content") == SCAN
    _, events = rights.get_request(runtime, request)
    assert events[-1].status == "id_copy_received"
    assert events[-1].notice is not None and REASON in events[-1].notice


def test_a_fully_blacked_out_copy_verifies_and_is_deleted(
    runtime: Runtime, add_customer: AddCustomer
) -> None:
    request = access_with_copy(runtime, add_customer(None))
    review = rights.review_id_copy(
        runtime, request, covered={k: True for k in blackout(runtime)}, identity_matches=True
    )
    assert review.accepted and review.missing == ()
    assert (review.request.status, review.request.verification_method) == ("verified", "id_copy")
    assert documents(runtime) == []


def test_a_copy_missing_a_blackout_is_rejected_told_and_deleted(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox
) -> None:
    request = access_with_copy(runtime, add_customer(language="en"))
    covered = {k: True for k in blackout(runtime)} | {"bsn": False}
    review = rights.review_id_copy(runtime, request, covered=covered, identity_matches=True)
    assert not review.accepted
    assert review.missing == ("bsn",)
    assert review.request.status == "received"
    assert documents(runtime) == []
    assert review.emailed
    assert "your citizen service number (BSN)" in mails.bodies()[-1]
    _, events = rights.get_request(runtime, request)
    assert events[-1].status == "id_copy_rejected"


def test_an_item_not_answered_counts_as_not_covered(
    runtime: Runtime, add_customer: AddCustomer
) -> None:
    request = access_with_copy(runtime, add_customer(None))
    review = rights.review_id_copy(runtime, request, covered={"photo": True}, identity_matches=True)
    assert review.missing == ("mrz", "document_number", "bsn")
    assert not review.emailed  # no address on file: the operator tells them another way


def test_a_copy_of_someone_else_is_rejected(runtime: Runtime, add_customer: AddCustomer) -> None:
    request = access_with_copy(runtime, add_customer(None))
    review = rights.review_id_copy(
        runtime, request, covered={k: True for k in blackout(runtime)}, identity_matches=False
    )
    assert not review.accepted and review.request.status == "received"
    assert documents(runtime) == []


def test_verifying_another_way_deletes_a_pending_copy(
    runtime: Runtime, add_customer: AddCustomer
) -> None:
    customer = add_customer()
    request = access_with_copy(runtime, customer)
    rights.verify_by_session(runtime, request, customer_id=customer)
    assert documents(runtime) == []


def test_refusing_the_request_deletes_a_pending_copy(
    runtime: Runtime, add_customer: AddCustomer
) -> None:
    request = access_with_copy(runtime, add_customer())
    rights.refuse(runtime, request, "Identity could not be established.")
    assert documents(runtime) == []


@pytest.mark.parametrize(
    ("kind", "reason", "content_type", "content", "message"),
    [
        ("erasure", REASON, "image/png", SCAN, "only for access"),
        ("access", "", "image/png", SCAN, "give the reason"),
        ("access", REASON, "text/plain", SCAN, "JPEG, PNG or PDF"),
        ("access", REASON, "image/png", b"", "empty"),
    ],
)
def test_copies_the_policy_does_not_ask_for_are_refused(
    runtime: Runtime,
    add_customer: AddCustomer,
    row_counts: Callable[[], Counts],
    kind: str,
    reason: str,
    content_type: str,
    content: bytes,
    message: str,
) -> None:
    request = rights.submit_request(runtime, customer_id=add_customer(), type=kind).request.id
    before = row_counts()
    with pytest.raises(rights.RequestError, match=message):
        rights.receive_id_copy(
            runtime, request, content=content, content_type=content_type, reason=reason
        )
    assert row_counts() == before
    assert documents(runtime) == []


def test_unknown_blackout_items_are_refused(runtime: Runtime, add_customer: AddCustomer) -> None:
    request = access_with_copy(runtime, add_customer(None))
    with pytest.raises(rights.RequestError, match="unknown blackout item"):
        rights.review_id_copy(
            runtime, request, covered={"fingerprint": True}, identity_matches=True
        )
    assert len(documents(runtime)) == 1


def test_a_second_copy_while_one_waits_is_refused(
    runtime: Runtime, add_customer: AddCustomer
) -> None:
    request = access_with_copy(runtime, add_customer(None))
    with pytest.raises(rights.RequestError, match="already waiting"):
        rights.receive_id_copy(
            runtime, request, content=SCAN, content_type="image/png", reason=REASON
        )
