"""The demo data on a fresh runtime (each backend) with a local SMTP inbox, an app around
it, and a browser-like client signed in through the portal's own form. The privacy API
tests use the same fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

# Shared with the other web areas; named here so pytest and this area's tests find them.
from tests.database_templates import Template
from tests.web.helpers import DEMO_CUSTOMERS
from tests.web.helpers import Inbox as Inbox
from tests.web.helpers import MovableClock as MovableClock
from tests.web.helpers import app as app
from tests.web.helpers import clock as clock
from tests.web.helpers import demo_world as demo_world
from tests.web.helpers import inbox as inbox
from tests.web.helpers import mails as mails
from tests.web.helpers import post_form as post_form
from tests.web.helpers import runtime as runtime
from tests.web.helpers import sign_in as sign_in
from tests.web.helpers import signed_in as signed_in
from tests.worlds import demo_data

from trackguard.runtime import Runtime
from trackguard.store.models import Customer


@dataclass(frozen=True)
class World:
    demo_id: str
    other_id: str


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def world(runtime: Runtime, database_template: Template) -> World:
    report = demo_data(runtime, database_template, customers=DEMO_CUSTOMERS)
    assert report.demo_customer_id is not None
    with runtime.db.session() as session:
        other = session.scalar(
            select(Customer.id).where(Customer.id != report.demo_customer_id).limit(1)
        )
    assert other is not None
    return World(report.demo_customer_id, other)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
