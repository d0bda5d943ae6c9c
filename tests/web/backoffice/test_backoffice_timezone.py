"""The back office shows times in the portal's zone (`TRACKGUARD_PORTAL_TIMEZONE`), as the
portal and the privacy centre do, on every page that shows one."""

from __future__ import annotations

import dataclasses
import html
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from tests.web.backoffice.conftest import Client, World, post_form
from tests.web.helpers import NOW

from trackguard.clock import as_utc
from trackguard.runtime import Runtime
from trackguard.store.models import Complaint, Order, Payment
from trackguard.web.app import create_app
from trackguard.web.portal import views

pytestmark = pytest.mark.anyio

# NOW (15:00 UTC on 1 March 2026) is 10:00 in New York and 16:00 in Amsterdam, the default.
NEW_YORK = ZoneInfo("America/New_York")
NOW_THERE = "2026-03-01 10:00"
NOW_AT_HOME = "2026-03-01 16:00"


@pytest.fixture
def app(runtime: Runtime, world: World) -> FastAPI:
    """The app on the same database, its portal zone New York (overrides the area's app)."""
    settings = runtime.settings.model_copy(update={"portal_timezone": NEW_YORK})
    return create_app(dataclasses.replace(runtime, settings=settings))


def _in_new_york(moment: datetime | None) -> str:
    return views.show_time(moment, "en", zone=NEW_YORK)


def _at_home(moment: datetime | None) -> str:
    return views.show_time(moment, "en")


def _shows_new_york_time(text: str, *moments: datetime) -> None:
    for moment in moments:
        assert _in_new_york(moment) in text
        assert _at_home(moment) not in text


async def test_queue_request_audit_and_retention_times_are_the_zones(
    client_as: Client, world: World
) -> None:
    officer = await client_as("privacy_officer")
    queue = await officer.get("/backoffice/requests", params={"lang": "en"})
    detail = await officer.get(f"/backoffice/requests/{world.id_copy_request}?lang=en")
    audit = await officer.get("/backoffice/audit", params={"lang": "en"})
    planned = await post_form(officer, "/backoffice/retention", "/backoffice/retention/plan")
    assert planned.status_code == 303
    report = await officer.get(planned.headers["location"], params={"lang": "en"})
    reports = await officer.get("/backoffice/retention", params={"lang": "en"})
    for page in (queue, detail, audit, report, reports):
        assert page.status_code == 200, page.url
        # Received, history steps, audit entries, the dry run: all happened at NOW.
        assert NOW_THERE in page.text, page.url
        assert NOW_AT_HOME not in page.text, page.url
    _shows_new_york_time(detail.text, NOW)


async def test_dutch_pages_use_the_zone_too(client_as: Client, world: World) -> None:
    officer = await client_as("privacy_officer")
    detail = await officer.get(f"/backoffice/requests/{world.id_copy_request}?lang=nl")
    assert "01-03-2026 10:00" in detail.text
    assert "01-03-2026 16:00" not in detail.text


async def test_staff_accounts_show_their_sign_in_in_the_zone(client_as: Client) -> None:
    admin = await client_as("admin")  # signs in at NOW: its own last sign-in
    page = await admin.get("/backoffice/staff", params={"lang": "en"})
    assert page.status_code == 200
    assert NOW_THERE in page.text
    assert NOW_AT_HOME not in page.text


async def test_complaints_show_when_they_were_filed_in_the_zone(
    client_as: Client, runtime: Runtime, world: World
) -> None:
    with runtime.db.session() as session:
        filed = session.scalar(select(Complaint.filed_at).where(Complaint.id == world.complaint_id))
    assert filed is not None
    support = await client_as("support")
    listing = await support.get("/backoffice/complaints", params={"lang": "en"})
    complaint = await support.get(f"/backoffice/complaints/{world.complaint_id}?lang=en")
    for page in (listing, complaint):
        assert page.status_code == 200
        _shows_new_york_time(page.text, as_utc(filed))


async def test_a_customers_orders_and_payments_show_their_times_in_the_zone(
    client_as: Client, runtime: Runtime, world: World
) -> None:
    with runtime.db.session() as session:
        placed = session.scalars(
            select(Order.placed_at).where(Order.customer_id == world.demo_id)
        ).all()
        paid = session.scalars(
            select(Payment.paid_at).where(Payment.customer_id == world.demo_id)
        ).all()
    assert placed and paid, "the demo customer has orders and payments"
    finance = await client_as("finance")
    page = await finance.get(f"/backoffice/customers/{world.demo_id}?lang=en")
    assert page.status_code == 200
    _shows_new_york_time(html.unescape(page.text), *(as_utc(t) for t in [*placed, *paid]))
