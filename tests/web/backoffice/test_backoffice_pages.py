"""The back office's pages and workflows, as the roles that use them."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select, update
from tests.web.backoffice.conftest import (
    ID_COPY_BYTES,
    Client,
    Inbox,
    World,
    post_form,
    sign_in,
)

from trackguard.demo.staff import DEMO_STAFF
from trackguard.privacy import requests as rights
from trackguard.runtime import Runtime
from trackguard.store.models import AuditEntry, IdentityDocument, StaffUser
from trackguard.web.backoffice.masking import email as masked_email

pytestmark = pytest.mark.anyio


def _entries(runtime: Runtime, action: str) -> list[AuditEntry]:
    with runtime.db.session() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        ).all()
        session.expunge_all()
        return list(rows)


async def test_staff_sign_in_refuses_a_wrong_password_and_says_not_which(
    client_as: Client,
) -> None:
    client = await client_as(None)
    page = await client.get("/backoffice/sign-in")
    assert page.status_code == 200
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    wrong = await client.post(
        "/backoffice/sign-in",
        data={"email": DEMO_STAFF["admin"], "password": "nope", "csrf_token": token},
    )
    unknown = await client.post(
        "/backoffice/sign-in",
        data={"email": "nobody@trackguard.example", "password": "nope", "csrf_token": token},
    )
    assert wrong.status_code == unknown.status_code == 400
    assert "JSESSIONID" not in wrong.cookies


async def test_a_customer_session_finds_no_back_office(client_as: Client) -> None:
    customer = await client_as("customer")
    assert (await customer.get("/backoffice")).status_code == 404
    anonymous = await client_as(None)
    response = await anonymous.get("/backoffice/requests")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/backoffice/sign-in?next=")


async def test_a_disabled_staff_account_is_signed_out_at_once(
    client_as: Client, runtime: Runtime
) -> None:
    support = await client_as("support")
    assert (await support.get("/backoffice")).status_code == 200
    admin = await client_as("admin")
    index = runtime.vault.blind_index("email", DEMO_STAFF["support"])
    with runtime.db.session() as session:
        staff_id = session.scalar(select(StaffUser.id).where(StaffUser.email_index == index))
    response = await post_form(admin, "/backoffice/staff", f"/backoffice/staff/{staff_id}/disable")
    assert response.status_code == 303
    assert (await support.get("/backoffice")).status_code == 303


async def test_the_queue_sorts_by_due_date_and_flags_overdue_requests(
    client_as: Client, runtime: Runtime, clock: object, world: World
) -> None:
    clock.advance(days=40)  # type: ignore[attr-defined]
    officer = await client_as("privacy_officer")
    page = await officer.get("/backoffice/requests")
    assert page.status_code == 200
    assert "OVERDUE" in page.text or "TE LAAT" in page.text
    due = [r.due for r in rights.list_requests(runtime)]
    assert due == sorted(due)
    positions = [page.text.index(r.id) for r in rights.list_requests(runtime)]
    assert positions == sorted(positions)
    # The subject appears masked in the queue, never in full.
    assert world.secrets["email"] not in html.unescape(page.text)
    assert masked_email(world.secrets["email"]) in html.unescape(page.text)


async def test_the_officer_reviews_an_id_copy_inline_and_it_is_deleted(
    client_as: Client, runtime: Runtime, world: World
) -> None:
    officer = await client_as("privacy_officer")
    base = f"/backoffice/requests/{world.id_copy_request}"
    review = await officer.get(base + "/id-copy")
    assert review.status_code == 200
    for item in runtime.policy.rights.id_copy.blackout:
        assert f'name="covered_{item.key}"' in review.text
    content = await officer.get(base + "/id-copy/content")
    assert content.status_code == 200 and content.content == ID_COPY_BYTES
    assert content.headers["content-type"] == "image/png"
    assert content.headers["cache-control"] == "no-store"
    assert "sandbox" in content.headers["content-security-policy"]
    [read] = _entries(runtime, "backoffice.id_copy.read")
    assert read.purpose == "privacy_rights" and read.subject_id == world.demo_id
    assert read.categories == ["user.government_id"]

    covered = {f"covered_{b.key}": "on" for b in runtime.policy.rights.id_copy.blackout}
    decided = await post_form(officer, base + "/id-copy", base + "/id-copy",
                              {**covered, "identity_matches": "on"})  # fmt: skip
    assert decided.status_code == 303 and "id_copy_accepted" in decided.headers["location"]
    request, _ = rights.get_request(runtime, world.id_copy_request)
    assert request.status == "verified" and request.verification_method == "id_copy"
    with runtime.db.session() as session:
        left = session.scalars(
            select(IdentityDocument).where(IdentityDocument.request_id == request.id)
        ).all()
    assert left == []
    assert (await officer.get(base + "/id-copy/content")).status_code == 404


async def test_a_copy_missing_a_blackout_item_is_rejected_and_the_subject_told(
    client_as: Client, runtime: Runtime, world: World, mails: Inbox
) -> None:
    officer = await client_as("privacy_officer")
    base = f"/backoffice/requests/{world.id_copy_request}"
    first = runtime.policy.rights.id_copy.blackout[0].key
    decided = await post_form(
        officer, base + "/id-copy", base + "/id-copy", {f"covered_{first}": "on"}
    )
    assert "id_copy_rejected" in decided.headers["location"]
    request, _ = rights.get_request(runtime, world.id_copy_request)
    assert request.status == "received"
    assert mails.messages and mails.messages[-1]["To"] == world.secrets["email"]


async def test_the_admin_can_neither_read_nor_review_id_copies(
    client_as: Client, world: World
) -> None:
    admin = await client_as("admin")
    base = f"/backoffice/requests/{world.id_copy_request}"
    detail = await admin.get(base)
    assert detail.status_code == 200
    assert base + "/id-copy" not in detail.text
    assert (await admin.get(base + "/id-copy")).status_code == 403
    assert (await admin.get(base + "/id-copy/content")).status_code == 403


async def test_a_request_goes_from_token_to_completion_through_the_back_office(
    client_as: Client, runtime: Runtime, mails: Inbox, world: World
) -> None:
    # An objection: completed in the workflow's own transaction, no export to write.
    purpose = next(p.key for p in runtime.policy.purposes if p.legal_basis == "legitimate_interest")
    request = rights.submit_request(
        runtime, customer_id=world.demo_id, type="objection", purpose=purpose
    ).request
    officer = await client_as("privacy_officer")
    base = f"/backoffice/requests/{request.id}"
    sent = await post_form(officer, base, base + "/send-token")
    assert sent.status_code == 303
    body = mails.bodies()[-1]
    token = next(
        line.split()[-1]
        for line in body.splitlines()
        if len(line.split()[-1:][0] if line.split() else "") >= 40
    )
    rights.confirm_token(runtime, request.id, token)
    extended = await post_form(officer, base, base + "/extend",
                               {"reason": "Many requests this month", "months": "1"})  # fmt: skip
    assert extended.status_code == 303
    done = await post_form(officer, base, base + "/complete")
    assert done.status_code == 303, done.text
    finished, events = rights.get_request(runtime, request.id)
    assert finished.status == "completed" and finished.extended is not None
    with runtime.db.session() as session:
        officer_id = session.scalar(select(StaffUser.id).where(StaffUser.role == "privacy_officer"))
    assert {e.actor for e in events if e.status in ("extended", "completed")} == {
        f"staff:{officer_id}"
    }


async def test_a_refusal_without_a_reason_is_refused_and_changes_nothing(
    client_as: Client, runtime: Runtime, world: World
) -> None:
    officer = await client_as("privacy_officer")
    base = f"/backoffice/requests/{world.id_copy_request}"
    response = await post_form(officer, base, base + "/refuse", {"reason": "  "})
    assert response.status_code == 400
    assert "reason" in response.text
    request, _ = rights.get_request(runtime, world.id_copy_request)
    assert request.status == "received"


async def test_each_customer_page_view_writes_one_entry_with_the_roles_purpose(
    client_as: Client, runtime: Runtime, world: World
) -> None:
    expected = {
        "support": "customer_service",
        "finance": "legal_compliance",  # masked identity and card data: the bookkeeping duty
        "privacy_officer": "privacy_rights",
        "admin": "privacy_rights",  # names and e-mail: security covers neither
    }
    for role, purpose in expected.items():
        client = await client_as(role)
        before = len(_entries(runtime, "backoffice.customer.read"))
        page = await client.get(f"/backoffice/customers/{world.demo_id}")
        assert page.status_code == 200, (role, page.text)
        after = _entries(runtime, "backoffice.customer.read")
        assert len(after) == before + 1
        entry = after[-1]
        assert (entry.purpose, entry.role, entry.subject_id) == (purpose, role, world.demo_id)
        assert entry.categories


async def test_support_sees_initials_and_a_masked_address_never_the_values(
    client_as: Client, world: World
) -> None:
    support = await client_as("support")
    text = html.unescape((await support.get(f"/backoffice/customers/{world.demo_id}")).text)
    assert masked_email(world.secrets["email"]) in text
    assert f"{world.secrets['first_name'][0].upper()}." in text
    for field in ("email", "last_name", "billing_address", "birth_date", "iban"):
        if field in world.secrets:
            assert world.secrets[field] not in text, field


async def test_the_officer_sees_name_and_email_in_full_only_with_an_open_request(
    client_as: Client, world: World, runtime: Runtime
) -> None:
    officer = await client_as("privacy_officer")
    with_request = html.unescape((await officer.get(f"/backoffice/customers/{world.demo_id}")).text)
    assert world.secrets["email"] in with_request
    assert world.secrets["last_name"] in with_request
    rights.refuse(runtime, world.id_copy_request, "Test: closing the only open request.")
    without = html.unescape((await officer.get(f"/backoffice/customers/{world.demo_id}")).text)
    assert world.secrets["email"] not in without
    assert masked_email(world.secrets["email"]) in without


async def test_customer_search_goes_by_blind_index_and_keeps_the_address_out_of_urls(
    client_as: Client, world: World
) -> None:
    support = await client_as("support")
    found = await post_form(support, "/backoffice/customers", "/backoffice/customers",
                            {"email": world.secrets["email"].upper()})  # fmt: skip
    assert found.status_code == 303
    assert found.headers["location"] == f"/backoffice/customers/{world.demo_id}"
    missing = await post_form(support, "/backoffice/customers", "/backoffice/customers",
                              {"email": "nobody@example.nl"})  # fmt: skip
    assert missing.status_code == 404


async def test_support_reads_a_complaint_with_its_text_and_a_masked_customer(
    client_as: Client, runtime: Runtime, world: World
) -> None:
    support = await client_as("support")
    listing = await support.get("/backoffice/complaints")
    assert world.complaint_id in listing.text
    detail = await support.get(f"/backoffice/complaints/{world.complaint_id}")
    assert detail.status_code == 200
    [entry] = _entries(runtime, "backoffice.complaint.read")
    assert entry.purpose == "customer_service"
    assert "user.content.private.complaint" in entry.categories


async def test_plan_now_keeps_a_dry_run_report_and_shows_it(
    client_as: Client, runtime: Runtime
) -> None:
    officer = await client_as("privacy_officer")
    planned = await post_form(officer, "/backoffice/retention", "/backoffice/retention/plan")
    assert planned.status_code == 303
    report = await officer.get(planned.headers["location"])
    assert report.status_code == 200
    for rule in runtime.policy.retention.rules:
        assert html.escape(rule.name.get("nl")) in report.text
    listing = await officer.get("/backoffice/retention?lang=en")
    assert "dry run" in listing.text


async def test_the_audit_page_shows_the_verify_result_and_the_first_broken_entry(
    client_as: Client, runtime: Runtime
) -> None:
    officer = await client_as("privacy_officer")
    ok = await officer.get("/backoffice/audit?lang=en")
    assert "The chain verifies" in ok.text
    with runtime.db.session() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(action="tampered"))
    broken = await officer.get("/backoffice/audit?lang=en")
    assert "The chain is broken at entry 2" in broken.text
    filtered = await officer.get("/backoffice/audit?action=tampered")
    assert filtered.text.count("<tr") == 2  # the header and the one entry


async def test_the_roles_page_shows_what_the_policy_withholds(client_as: Client) -> None:
    support = await client_as("support")
    page = await support.get("/backoffice/roles?lang=en")
    assert page.status_code == 200
    assert "withheld (not covered by the purposes)" in page.text
    assert "Customer service" in page.text


async def test_the_admin_adds_a_staff_account_who_can_then_sign_in(
    client_as: Client, runtime: Runtime
) -> None:
    admin = await client_as("admin")
    added = await post_form(admin, "/backoffice/staff", "/backoffice/staff",
                            {"email": "new.officer@example.nl", "role": "privacy_officer",
                             "password": "a long passphrase"})  # fmt: skip
    assert added.status_code == 303
    newcomer = await client_as(None)
    await sign_in(newcomer, "new.officer@example.nl", "a long passphrase")
    assert (await newcomer.get("/backoffice/requests")).status_code == 200
    short = await post_form(
        admin,
        "/backoffice/staff",
        "/backoffice/staff",
        {"email": "x@example.nl", "role": "support", "password": "short"},
    )
    assert short.status_code == 400
    [created] = _entries(runtime, "staff.created")
    assert created.purpose == "security" and created.subject_id is None
