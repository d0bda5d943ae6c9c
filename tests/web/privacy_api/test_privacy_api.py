"""The privacy API: data summary, consents and receipt, rights requests with verification,
exports, complaints, a compromised account; problems for bad input; the OpenAPI document."""

from __future__ import annotations

import base64
import io
import re
from zipfile import ZipFile

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from tests.web.privacy_centre.conftest import Inbox, MovableClock, World

from trackguard.demo.generate import DEMO_EMAIL, DEMO_PASSWORD
from trackguard.privacy.export import write_export
from trackguard.privacy.gate import can
from trackguard.privacy.requests import REQUEST_TYPES, submit_request
from trackguard.runtime import Runtime
from trackguard.store.models import AuditEntry, Complaint, Customer, RightsRequest
from trackguard.web.privacy_centre.exports import export_now

pytestmark = pytest.mark.anyio
API = "/api/privacy"
PROBLEM = "application/problem+json"


def _body_for(kind: str, runtime: Runtime) -> dict[str, object]:
    policy = runtime.policy
    extra: dict[str, object] = {
        "rectification": {"corrections": {"last_name": "van den Bergh"}},
        "restriction": {"ground": policy.rights.restriction_grounds[-1].key},
        "objection": {"purpose": "direct_marketing"},
        "withdrawal": {"purpose": policy.consent_purposes()[-1].key},
    }.get(kind, {})
    return {"type": kind, **extra}


async def test_the_openapi_document_lists_every_privacy_operation_with_schemas(
    app: FastAPI,
) -> None:
    document = app.openapi()
    paths = document["paths"]
    expected = {
        ("get", f"{API}/data"): "DataSummary",
        ("get", f"{API}/consents"): "Consents",
        ("put", f"{API}/consents"): "Consents",
        ("get", f"{API}/consents/receipt"): "ConsentReceipt",
        ("post", f"{API}/requests"): "FiledRequest",
        ("get", f"{API}/requests/{{request_id}}"): "RequestHistory",
        ("post", f"{API}/requests/{{request_id}}/verify"): "Verified",
        ("post", f"{API}/complaints"): "FiledComplaint",
        ("post", f"{API}/compromised"): "Locked",
    }
    for (method, path), schema in expected.items():
        operation = paths[path][method]
        responses = operation["responses"]
        success = next(v for k, v in responses.items() if k.startswith("2"))
        ref = success["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith(f"/{schema}"), (method, path)
        assert responses["4XX"]["content"][PROBLEM]
        if method in ("post", "put"):
            assert "$ref" in operation["requestBody"]["content"]["application/json"]["schema"]
    listing = paths[f"{API}/requests"]["get"]["responses"]["200"]["content"]
    assert listing["application/json"]["schema"]["items"]["$ref"].endswith("/RightsRequest")
    download = paths[f"{API}/exports/{{export_id}}"]["get"]["responses"]["200"]["content"]
    assert "application/zip" in download
    for name in ("DataSummary", "RequestIn", "ConsentUpdate", "ComplaintIn", "CompromisedIn"):
        assert name in document["components"]["schemas"]


async def test_the_data_summary_is_the_callers_own_and_audited(
    api: httpx.AsyncClient, runtime: Runtime, world: World
) -> None:
    response = await api.get(f"{API}/data", params={"lang": "en"})
    assert response.status_code == 200
    body = response.json()
    assert {"field": "email", "category": "user.contact.email", "value": DEMO_EMAIL} in body[
        "profile"
    ]
    location = next(c for c in body["categories"] if c["key"] == "user.location.precise")
    assert any(r["table"] == "positions" and r["rows"] > 0 for r in location["records"])
    assert location["retention"] and location["purposes"]
    with runtime.db.session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "privacy_api.data.read")
        ).one()
    assert entry.purpose == "privacy_rights"


async def test_put_consents_changes_the_gate_and_the_receipt(
    api: httpx.AsyncClient, runtime: Runtime, world: World, clock: MovableClock
) -> None:
    purpose = runtime.policy.consent_purposes()[0]
    for given in (False, True, False):
        clock.advance(seconds=5)
        response = await api.put(
            f"{API}/consents",
            json={"language": "en", "consents": [{"purpose": purpose.key, "given": given}]},
        )
        assert response.status_code == 200
        state = next(c for c in response.json()["consents"] if c["purpose"] == purpose.key)
        assert state["status"] == ("given" if given else "withdrawn")
        with runtime.db.session() as session:
            assert bool(can(session, runtime.policy, world.demo_id, purpose.key)) is given
        receipt = (await api.get(f"{API}/consents/receipt", params={"lang": "en"})).json()
        services = {s["service"] for s in receipt["services"]}
        assert (purpose.name.get("en") in services) is given
    for wrong in ("service_delivery", "no_such_purpose"):
        refused = await api.put(
            f"{API}/consents", json={"consents": [{"purpose": wrong, "given": True}]}
        )
        assert refused.status_code == 400
        assert refused.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("kind", sorted(REQUEST_TYPES))
async def test_each_request_type_is_filed_verified_and_followed(
    api: httpx.AsyncClient, runtime: Runtime, world: World, kind: str
) -> None:
    body = _body_for(kind, runtime)
    filed = await api.post(f"{API}/requests", json=body)
    assert filed.status_code == 201, filed.text
    request = filed.json()
    assert request["created"] is True and request["status"] == "received"
    assert "customer_id" not in request
    again = await api.post(f"{API}/requests", json=body)
    assert again.status_code == 200
    assert again.json()["id"] == request["id"] and again.json()["created"] is False
    verified = await api.post(f"{API}/requests/{request['id']}/verify", json={"method": "session"})
    assert verified.status_code == 200
    assert verified.json()["request"]["verification_method"] == "session"
    detail = (await api.get(f"{API}/requests/{request['id']}")).json()
    assert [e["status"] for e in detail["history"]] == ["received", "verified"]
    assert detail["due"] > detail["received"]
    listed = (await api.get(f"{API}/requests")).json()
    assert request["id"] in {r["id"] for r in listed}


async def test_a_request_is_verified_by_a_code_sent_to_the_address_on_file(
    api: httpx.AsyncClient, mails: Inbox
) -> None:
    request = (await api.post(f"{API}/requests", json={"type": "access"})).json()
    verify = f"{API}/requests/{request['id']}/verify"
    sent = await api.post(verify, json={"method": "email"})
    assert sent.status_code == 200 and sent.json()["token_sent"] is True
    assert mails.messages and mails.messages[-1]["To"] == DEMO_EMAIL
    code = max(re.findall(r"[A-Za-z0-9_-]{40,}", mails.bodies()[-1]), key=len)
    wrong = await api.post(verify, json={"method": "email", "token": "x" * 43})
    assert wrong.status_code == 400 and wrong.headers["content-type"] == PROBLEM
    right = await api.post(verify, json={"method": "email", "token": code})
    assert right.status_code == 200
    assert right.json()["request"]["verification_method"] == "email"


async def test_another_customers_request_and_export_are_not_found(
    api: httpx.AsyncClient, runtime: Runtime, world: World
) -> None:
    theirs = submit_request(runtime, customer_id=world.other_id, type="access").request
    assert (await api.get(f"{API}/requests/{theirs.id}")).status_code == 404
    verify = await api.post(f"{API}/requests/{theirs.id}/verify", json={"method": "session"})
    assert verify.status_code == 404
    assert theirs.id not in verify.text or verify.json()["detail"] == "no such rights request"
    export = write_export(runtime, world.other_id)
    response = await api.get(f"{API}/exports/{export.export_id}")
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM


async def test_the_owner_downloads_the_export(
    api: httpx.AsyncClient, runtime: Runtime, world: World
) -> None:
    made = export_now(runtime, world.demo_id, "portability")
    listed = (await api.get(f"{API}/exports")).json()
    assert made.id in {e["id"] for e in listed}
    detail = (await api.get(f"{API}/requests/{made.request_id}")).json()
    assert detail["status"] == "completed"
    href = next(e["href"] for e in detail["exports"] if e["id"] == made.id)
    response = await api.get(href)
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    with ZipFile(io.BytesIO(response.content)) as archive:
        assert "data.json" in archive.namelist()


async def test_a_complaint_is_stored_encrypted_and_points_to_the_authority(
    api: httpx.AsyncClient, runtime: Runtime, world: World
) -> None:
    canary = "Canary-api-91c2: nobody answered my access request."
    response = await api.post(f"{API}/complaints", json={"text": canary}, params={"lang": "en"})
    assert response.status_code == 201
    body = response.json()
    authority = runtime.policy.controller.supervisory_authority
    assert body["supervisory_authority"]["complaint_url"] == str(authority.complaint_url)
    with runtime.db.session() as session:
        stored = session.get(Complaint, body["id"])
        assert stored is not None and stored.customer_id == world.demo_id
        assert b"Canary-api" not in stored.body
        assert runtime.vault.unseal(session, stored, "body") == canary


async def test_a_compromised_account_is_locked_through_the_api(
    api: httpx.AsyncClient, runtime: Runtime, world: World
) -> None:
    wrong = await api.post(f"{API}/compromised", json={"password": "guess"})
    assert wrong.status_code == 403 and wrong.headers["content-type"] == PROBLEM
    assert (await api.get(f"{API}/data")).status_code == 200  # nothing changed
    locked = await api.post(f"{API}/compromised", json={"password": DEMO_PASSWORD})
    assert locked.status_code == 200 and locked.json()["sessions_ended"] >= 1
    assert (await api.get(f"{API}/data")).status_code == 401  # this very token is gone too
    basic = base64.b64encode(f"{DEMO_EMAIL}:{DEMO_PASSWORD}".encode()).decode()
    api.headers["Authorization"] = f"Basic {basic}"
    assert (await api.get(f"{API}/data")).status_code == 401
    with runtime.db.session() as session:
        assert session.get(Customer, world.demo_id).password_hash is None


async def test_bad_input_gets_a_problem_without_echo_and_changes_nothing(
    api: httpx.AsyncClient, runtime: Runtime
) -> None:
    with runtime.db.session() as session:
        before = session.scalar(select(func.count()).select_from(RightsRequest))
    secret = "jan.secret@example.nl"
    cases = [
        ({"type": "teleport"}, 422),
        ({"type": "restriction"}, 400),  # no ground
        ({"type": "restriction", "ground": "because"}, 400),
        ({"type": "rectification", "corrections": {"email": "not-an-address"}}, 400),
        ({"type": "rectification", "corrections": {"password_hash": secret}}, 422),
        ({"type": "access", "purpose": "newsletter"}, 400),
    ]
    for body, status in cases:
        response = await api.post(f"{API}/requests", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert secret not in response.text and "not-an-address" not in response.text
    assert (await api.get(f"{API}/requests/not-an-id")).status_code == 422
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(RightsRequest)) == before


async def test_a_cookie_write_from_another_site_is_refused(
    signed_in: httpx.AsyncClient, runtime: Runtime
) -> None:
    response = await signed_in.post(
        f"{API}/complaints",
        json={"text": "forged"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    with runtime.db.session() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Complaint).where(Complaint.channel == "api")
            )
            == 0
        )
    same_site = await signed_in.post(f"{API}/complaints", json={"text": "real"})
    assert same_site.status_code == 201


async def test_the_api_needs_a_signed_in_customer(client: httpx.AsyncClient) -> None:
    for path in ("/data", "/consents", "/requests", "/exports"):
        response = await client.get(API + path)
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM
