"""Staff sessions end sooner than customers': at most `TRACKGUARD_STAFF_SESSION_HOURS` after
sign-in and after `TRACKGUARD_STAFF_IDLE_MINUTES` unused, also when opened under longer terms."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from tests.web.helpers import MovableClock, token_in

from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import WebSession
from trackguard.web.app import create_app
from trackguard.web.auth import Passwords, create_staff_user
from trackguard.web.auth.principal import staff_terms_from
from trackguard.web.auth.sessions import DEFAULT_TERMS, staff_terms, within_terms

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EMAIL, PASSWORD = "officer@trackguard.example", "a long passphrase"
FAST = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
# Short terms for the HTTP test: the settings, not the defaults, decide.
HOURS, IDLE_MINUTES = 1.0, 10.0


def _cookie_session(opened: datetime, last_used: datetime) -> WebSession:
    return WebSession(kind="cookie", created_at=opened, last_seen_at=last_used, expires_at=NOW)


def test_staff_terms_default_to_eight_hours_and_thirty_idle_minutes() -> None:
    terms = staff_terms_from(Settings())
    assert (terms.absolute, terms.idle) == (timedelta(hours=8), timedelta(minutes=30))
    assert terms.max_token == terms.absolute  # no staff token outlives a sign-in
    # Customers keep their own, longer terms.
    assert DEFAULT_TERMS.idle > terms.idle and DEFAULT_TERMS.absolute > terms.absolute


def test_the_terms_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKGUARD_STAFF_SESSION_HOURS", "4")
    monkeypatch.setenv("TRACKGUARD_STAFF_IDLE_MINUTES", "15")
    terms = staff_terms_from(Settings())
    assert (terms.absolute, terms.idle) == (timedelta(hours=4), timedelta(minutes=15))


def test_a_session_is_held_to_its_terms_whatever_it_was_opened_under() -> None:
    staff = staff_terms(hours=8, idle_minutes=30)
    idle = _cookie_session(NOW, NOW)
    assert within_terms(idle, now=NOW + timedelta(minutes=29), terms=staff)
    assert not within_terms(idle, now=NOW + timedelta(minutes=30), terms=staff)
    assert within_terms(idle, now=NOW + timedelta(days=6), terms=DEFAULT_TERMS)
    busy = _cookie_session(NOW, NOW + timedelta(hours=7, minutes=50))
    assert within_terms(busy, now=NOW + timedelta(hours=7, minutes=59), terms=staff)
    assert not within_terms(busy, now=NOW + timedelta(hours=8), terms=staff)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
def runtime(settings: Settings, clock: MovableClock) -> Iterator[Runtime]:
    short = {"staff_session_hours": HOURS, "staff_idle_minutes": IDLE_MINUTES}
    with Runtime.open(settings.model_copy(update=short), clock=clock) as opened:
        with opened.db.session() as session:
            create_staff_user(session, opened.vault, FAST, EMAIL, PASSWORD, "admin", now=NOW)
        yield opened


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def _sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/backoffice/sign-in")
    form = {"email": EMAIL, "password": PASSWORD, "csrf_token": token_in(page.text)}
    assert (await client.post("/backoffice/sign-in", data=form)).status_code == 303


async def _signed_in(client: httpx.AsyncClient) -> bool:
    status = (await client.get("/backoffice")).status_code
    assert status in (200, 303)
    return status == 200


@pytest.mark.anyio
async def test_a_staff_session_ends_when_idle_and_at_the_latest_after_its_hours(
    client: httpx.AsyncClient, clock: MovableClock
) -> None:
    await _sign_in(client)
    for _ in range(6):  # used every 9 minutes: 54 minutes in, still signed in
        clock.advance(minutes=IDLE_MINUTES - 1)
        assert await _signed_in(client)
    clock.advance(minutes=HOURS * 60 - 54)  # the hour since sign-in is up
    assert not await _signed_in(client)

    await _sign_in(client)
    clock.advance(minutes=IDLE_MINUTES - 1)
    assert await _signed_in(client)
    clock.advance(minutes=IDLE_MINUTES + 1)
    assert not await _signed_in(client)
