"""A compromised account is locked everywhere; a complaint is stored encrypted."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from tests.web.privacy_centre.conftest import World, post_form, sign_in

from trackguard.demo.generate import DEMO_EMAIL, DEMO_PASSWORD
from trackguard.runtime import Runtime
from trackguard.store.models import AuditEntry, Complaint, Customer
from trackguard.web.privacy_centre.texts import texts

pytestmark = pytest.mark.anyio
COMPROMISED = "/portal/privacy/compromised"
COMPLAINT = "/portal/privacy/complaint"


async def test_a_compromised_account_ends_every_session_and_needs_a_new_password(
    signed_in: httpx.AsyncClient, runtime: Runtime, world: World, app: object
) -> None:
    old_cookie = signed_in.cookies.get("JSESSIONID")
    assert old_cookie
    # A second sign-in elsewhere: a bearer token, as an app holds it.
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        form = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        assert (await other.post("/api/session", data=form)).status_code == 200
        token = (await other.post("/api/session/token")).text
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await signed_in.get("/api/privacy/data", headers=bearer)).status_code == 200

    wrong = await post_form(signed_in, COMPROMISED, COMPROMISED, {"password": "not it"})
    assert wrong.status_code == 400  # nothing changed: still signed in
    assert (await signed_in.get(COMPROMISED)).status_code == 200

    locked = await post_form(
        signed_in, COMPROMISED + "?lang=en", COMPROMISED + "?lang=en", {"password": DEMO_PASSWORD}
    )
    assert locked.status_code == 200
    assert texts("en")["locked_title"] in locked.text
    signed_in.cookies.clear()
    signed_in.cookies.set("JSESSIONID", old_cookie)  # the old cookie, kept by someone
    page = await signed_in.get("/portal/privacy")
    assert page.status_code == 303 and page.headers["location"].startswith("/portal/sign-in")
    assert (await signed_in.get("/api/privacy/data")).status_code == 401
    assert (await signed_in.get("/api/privacy/data", headers=bearer)).status_code == 401
    signed_in.cookies.clear()
    assert (await sign_in(signed_in)).status_code == 400  # the old password opens nothing
    with runtime.db.session() as session:
        assert session.get(Customer, world.demo_id).password_hash is None
        audited = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "account.locked_compromised")
        ).one()
    assert audited.purpose == "security"


async def test_a_complaint_is_stored_encrypted_with_the_authority_shown(
    signed_in: httpx.AsyncClient, runtime: Runtime, world: World
) -> None:
    authority = runtime.policy.controller.supervisory_authority
    page = (await signed_in.get(COMPLAINT, params={"lang": "en"})).text
    assert str(authority.complaint_url) in page
    assert runtime.policy.complaints.authority.get("en") in page
    canary = "Canary-7f3e: my location was shared without asking."
    response = await post_form(signed_in, COMPLAINT, COMPLAINT, {"body": canary})
    assert response.status_code == 303
    with runtime.db.session() as session:
        complaint = session.scalars(
            select(Complaint)
            .where(Complaint.customer_id == world.demo_id, Complaint.channel == "portal")
            .order_by(Complaint.filed_at.desc())
        ).first()
        assert complaint is not None
        assert b"Canary-7f3e" not in complaint.body
        assert runtime.vault.unseal(session, complaint, "body") == canary
    assert complaint.status == "open" and complaint.topic == "privacy"
    empty = await post_form(signed_in, COMPLAINT, COMPLAINT + "?lang=en", {"body": "  "})
    assert empty.status_code == 400
    assert texts("en")["complaint_empty"] in empty.text
