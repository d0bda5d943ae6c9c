"""The demo data (with its staff accounts, one per role) on a fresh runtime per backend,
a local SMTP inbox, an access request waiting with an ID copy, and clients signed in
through the back office's own form as each role, as a customer, or not at all."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

# Shared with the other web areas; named here so pytest and this area's tests find them.
# (`anyio_backend` comes from tests/web/conftest.py.)
from tests.database_templates import Template
from tests.web.helpers import DEMO_CUSTOMERS
from tests.web.helpers import Inbox as Inbox
from tests.web.helpers import app as app
from tests.web.helpers import clock as clock
from tests.web.helpers import demo_world as demo_world
from tests.web.helpers import inbox as inbox
from tests.web.helpers import mails as mails
from tests.web.helpers import post_form as post_form
from tests.web.helpers import runtime as runtime
from tests.web.helpers import sign_in as portal_sign_in
from tests.web.helpers import token_in as token_in
from tests.worlds import demo_data

from trackguard.demo.staff import DEMO_STAFF, DEMO_STAFF_PASSWORD
from trackguard.privacy import requests as rights
from trackguard.runtime import Runtime
from trackguard.store.models import Complaint, Customer, Payment

# Not a real image: the review page only needs bytes of an accepted type.
ID_COPY_BYTES = b"\x89PNG\r\n\x1a\n" + b"fake passport scan " * 20
ROLES = tuple(DEMO_STAFF)


@dataclass(frozen=True)
class World:
    demo_id: str
    other_id: str
    id_copy_request: str  # an access request of the demo customer, its ID copy pending
    complaint_id: str
    secrets: dict[str, str]  # field -> the demo customer's value in full


def _secrets(runtime: Runtime, customer_id: str) -> dict[str, str]:
    """The demo customer's values that some role must never see in full."""
    found: dict[str, str] = {}
    with runtime.db.session() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        for column in ("first_name", "last_name", "email", "phone", "birth_date",
                       "billing_address", "postal_address"):  # fmt: skip
            value = runtime.vault.unseal(session, customer, column)
            if value:
                found[column] = value
        payment = session.scalar(
            select(Payment).where(Payment.customer_id == customer_id, Payment.iban.is_not(None))
        )
        if payment is not None:
            found["iban"] = runtime.vault.unseal(session, payment, "iban") or ""
    return found


@pytest.fixture
def world(runtime: Runtime, database_template: Template) -> World:
    report = demo_data(runtime, database_template, customers=DEMO_CUSTOMERS)
    assert report.demo_customer_id is not None
    demo_id = report.demo_customer_id
    with runtime.db.session() as session:
        other = session.scalar(select(Customer.id).where(Customer.id != demo_id).limit(1))
        complaint = session.scalar(select(Complaint.id).order_by(Complaint.filed_at).limit(1))
    assert other is not None and complaint is not None
    submitted = rights.submit_request(runtime, customer_id=demo_id, type="access")
    assert submitted.created, "the demo customer has no open access request of their own"
    request_id = submitted.request.id
    rights.receive_id_copy(
        runtime,
        request_id,
        content=ID_COPY_BYTES,
        content_type="image/png",
        reason="no access to the e-mail address any more",
    )
    return World(demo_id, other, request_id, complaint, _secrets(runtime, demo_id))


Client = Callable[[str | None], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def client_as(app: FastAPI) -> AsyncIterator[Client]:
    """`await client_as("privacy_officer")`: a client signed in with that role ("customer":
    the demo customer through the portal; None: nobody)."""
    opened: list[httpx.AsyncClient] = []

    async def make(who: str | None) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app)
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        opened.append(client)
        if who == "customer":
            response = await portal_sign_in(client)
            assert response.status_code == 303, response.text
        elif who is not None:
            await sign_in(client, DEMO_STAFF[who])  # type: ignore[index]
        return client

    yield make
    for client in opened:
        await client.aclose()


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = DEMO_STAFF_PASSWORD
) -> httpx.Response:
    page = await client.get("/backoffice/sign-in")
    response = await client.post(
        "/backoffice/sign-in",
        data={"email": email, "password": password, "csrf_token": token_in(page.text)},
    )
    assert response.status_code == 303, response.text
    return response
