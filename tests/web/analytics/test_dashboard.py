"""The back-office dashboard: who may see it (as every back-office page decides), and that it
never shows a small group."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from tests.web.analytics.analytics_helpers import (
    FAST_PASSWORDS,
    IPHONE,
    SITE,
    START,
    MovableClock,
    visit,
)

from trackguard.policy import load_policy
from trackguard.runtime import Runtime
from trackguard.settings import PACKAGED_POLICY
from trackguard.store.base import new_id
from trackguard.store.models import AnalyticsSalt, Customer
from trackguard.web.analytics.report import MIN_GROUP_VISITORS
from trackguard.web.analytics.salts import salt_lifetime
from trackguard.web.auth import COOKIE_NAME, StaffRole, create_staff_user, open_session

pytestmark = pytest.mark.anyio
PAGES = ("/backoffice/analytics", "/backoffice/analytics.json")


def _staff_cookie(runtime: Runtime, role: StaffRole, *, disabled: bool = False) -> str:
    now = runtime.clock()  # staff sessions are short: opened when the test's clock says
    with runtime.db.session() as session:
        staff = create_staff_user(
            session, runtime.vault, FAST_PASSWORDS, f"{role}@example.test", "pw", role, now=now
        )
        if disabled:
            staff.disabled_at = now
        token, _ = open_session(session, kind="cookie", staff_user_id=staff.id, now=now)
    return token


def _customer_cookie(runtime: Runtime) -> str:
    with runtime.db.session() as session:
        customer = Customer(id=new_id(), created_at=START, status="active", language="nl")
        session.add(customer)
        session.flush()
        token, _ = open_session(session, kind="cookie", customer_id=customer.id, now=START)
    return token


async def _get(app: FastAPI, path: str, token: str | None = None, **params: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    cookies = {COOKIE_NAME: token} if token else {}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", cookies=cookies
    ) as client:
        return await client.get(path, params=params)


async def test_anonymous_visitors_and_disabled_staff_are_sent_to_sign_in(
    app: FastAPI, runtime: Runtime
) -> None:
    disabled = _staff_cookie(runtime, "admin", disabled=True)
    for token in (None, disabled):
        for path in PAGES:
            response = await _get(app, path, token)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/backoffice/sign-in?next=")


async def test_customers_find_nothing_and_staff_without_need_are_refused(
    app: FastAPI, runtime: Runtime
) -> None:
    customer = _customer_cookie(runtime)
    staff = [_staff_cookie(runtime, "support"), _staff_cookie(runtime, "finance")]
    for path in PAGES:
        assert (await _get(app, path, customer)).status_code == 404
        for token in staff:
            assert (await _get(app, path, token)).status_code == 403


@pytest.mark.parametrize("role", ["privacy_officer", "admin"])
async def test_privacy_officer_and_admin_see_the_statistics(
    app: FastAPI, runtime: Runtime, role: StaffRole
) -> None:
    token = _staff_cookie(runtime, role)
    page = await _get(app, "/backoffice/analytics", token)
    assert page.status_code == 200 and "Bezoekersstatistieken" in page.text
    english = await _get(app, "/backoffice/analytics", token, lang="en")
    assert "Visitor statistics" in english.text and '<html lang="en">' in english.text
    data = await _get(app, "/backoffice/analytics.json", token)
    assert data.status_code == 200 and data.json()["totals"] == {"visitors": 0, "pageviews": 0}


async def test_viewing_the_dashboard_is_not_counted_as_a_visit(
    app: FastAPI, runtime: Runtime
) -> None:
    token = _staff_cookie(runtime, "admin")
    await _get(app, "/backoffice/analytics", token)
    with runtime.db.session() as session:
        assert session.scalars(select(AnalyticsSalt)).all() == []


async def test_groups_of_fewer_than_ten_visitors_are_suppressed_totals_include_them(
    app: FastAPI, runtime: Runtime
) -> None:
    big = MIN_GROUP_VISITORS + 2
    for n in range(big):
        await visit(app, "/", address=f"198.51.100.{n + 1}")
    for n in range(3):  # a page, a device class and a country too small to show
        await visit(
            app,
            "/privacy",
            address=f"192.0.2.{n + 1}",
            agent=IPHONE,
            headers={"CF-IPCountry": "LU"},
        )
    token = _staff_cookie(runtime, "privacy_officer")
    data = (await _get(app, "/backoffice/analytics.json", token)).json()
    assert data["min_group_visitors"] == MIN_GROUP_VISITORS
    assert data["totals"] == {"visitors": big + 3, "pageviews": big + 3}
    assert data["sites"] == [SITE]
    assert data["days"][-1] == {
        "day": START.date().isoformat(),
        "visitors": big + 3,
        "pageviews": big + 3,
    }
    pages = data["breakdowns"]["page"]
    assert pages["shown"] == [{"value": "/", "visitors": big, "pageviews": big}]
    assert pages["other"] == {"groups": 1, "visitors": 3, "pageviews": 3}
    devices = data["breakdowns"]["device"]
    assert [g["value"] for g in devices["shown"]] == ["desktop"]
    assert devices["other"]["groups"] == 1
    everything = str(data)
    assert "/privacy" not in everything and "mobile" not in everything and "LU" not in everything

    page = (await _get(app, "/backoffice/analytics", token, lang="en")).text
    assert "/privacy" not in page and "Other: 1 groups of fewer than 10" in page
    assert f"<strong>{big + 3}</strong>" in page


async def test_the_page_admits_only_its_own_inline_style(app: FastAPI, runtime: Runtime) -> None:
    token = _staff_cookie(runtime, "admin")
    response = await _get(app, "/backoffice/analytics", token)
    csp = response.headers["content-security-policy"]
    assert re.search(r"style-src 'self' 'sha256-[A-Za-z0-9+/=]+'", csp)
    assert "unsafe-inline" not in csp and "<script" not in response.text


async def test_a_period_and_a_site_can_be_chosen(
    app: FastAPI, runtime: Runtime, clock: MovableClock
) -> None:
    await visit(app, "/")
    clock.advance(days=1)
    await visit(app, "/", site="shop.example.test")
    token = _staff_cookie(runtime, "admin")
    day_one, day_two = START.date().isoformat(), clock.now.date().isoformat()
    one_day = (
        await _get(app, "/backoffice/analytics.json", token, **{"from": day_one, "to": day_one})
    ).json()
    assert [d["day"] for d in one_day["days"]] == [day_one] and one_day["totals"]["visitors"] == 1
    shop = (await _get(app, "/backoffice/analytics.json", token, site="shop.example.test")).json()
    assert shop["totals"]["visitors"] == 1 and shop["days"][-1]["day"] == day_two
    assert len(shop["days"]) == 30
    backwards = await _get(
        app, "/backoffice/analytics.json", token, **{"from": day_two, "to": day_one}
    )
    assert backwards.status_code == 422
    too_long = await _get(
        app, "/backoffice/analytics.json", token, **{"from": "2020-01-01", "to": day_one}
    )
    assert too_long.status_code == 422
    assert (await _get(app, "/backoffice/analytics.json", token, to="soon")).status_code == 422


async def test_expired_salts_go_when_the_app_starts(
    app: FastAPI, runtime: Runtime, clock: MovableClock
) -> None:
    with runtime.db.session() as session:
        session.add(
            AnalyticsSalt(id=new_id(), site=SITE, day=START, salt=b"s" * 32, created_at=START)
        )
    clock.advance(hours=48)
    async with app.router.lifespan_context(app):  # as the server starts it: one sweep first
        with runtime.db.session() as session:
            assert session.scalars(select(AnalyticsSalt)).all() == []


def test_the_statement_promises_what_the_dashboard_and_salts_do() -> None:
    policy = load_policy(PACKAGED_POLICY)
    lifetime = salt_lifetime(policy)
    assert lifetime.parts() == [("hours", 48)]
    for language in ("nl", "en"):
        text = policy.website.analytics.get(language)
        assert f" {MIN_GROUP_VISITORS} " in text and f" {lifetime.hours} " in text
