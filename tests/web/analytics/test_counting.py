"""Counting page views through the app, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from tests.web.analytics.analytics_helpers import (
    FIREFOX,
    GOOGLEBOT,
    IPHONE,
    START,
    MovableClock,
    counts,
    everything_stored,
    visit,
)

from trackguard.privacy.retention import engine
from trackguard.runtime import Runtime
from trackguard.store.models import AnalyticsDailyCount, AnalyticsSalt, AnalyticsVisitorMark
from trackguard.web.analytics.salts import MAX_SITES_PER_DAY
from trackguard.web.analytics.sweeper import sweep

pytestmark = pytest.mark.anyio
DAY_ONE = datetime(2026, 3, 2, tzinfo=UTC)
DAY_TWO = DAY_ONE + timedelta(days=1)
PLANTED_ADDRESS = "203.0.113.77"
PLANTED_AGENT = FIREFOX + " PlantedAgent/7.7"


def _salts(runtime: Runtime) -> list[AnalyticsSalt]:
    with runtime.db.session() as session:
        return list(session.scalars(select(AnalyticsSalt).order_by(AnalyticsSalt.created_at)))


def _marks_of(runtime: Runtime, salt_id: str) -> set[str]:
    with runtime.db.session() as session:
        query = select(AnalyticsVisitorMark.mark).where(AnalyticsVisitorMark.salt_id == salt_id)
        return set(session.scalars(query))


def _rows(runtime: Runtime, model: type) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_same_visitor_counts_once_a_day_and_again_the_next_day(
    app: FastAPI, runtime: Runtime, clock: MovableClock
) -> None:
    for path in ("/", "/", "/privacy"):
        assert (await visit(app, path, address="198.51.100.10")).status_code == 200
    day_one = counts(runtime, DAY_ONE)
    assert day_one[("total", "")] == (1, 3)
    assert day_one[("page", "/")] == (1, 2)
    assert day_one[("page", "/privacy")] == (1, 1)

    # Same address, another browser: another visitor. Another address too.
    await visit(app, "/", address="198.51.100.10", agent=IPHONE)
    await visit(app, "/", address="198.51.100.11")
    day_one = counts(runtime, DAY_ONE)
    assert day_one[("total", "")] == (3, 5)
    assert day_one[("device", "desktop")] == (2, 4)
    assert day_one[("device", "mobile")] == (1, 1)

    clock.advance(days=1)
    await visit(app, "/", address="198.51.100.10")
    assert counts(runtime, DAY_TWO)[("total", "")] == (1, 1)
    assert counts(runtime, DAY_ONE)[("total", "")] == (3, 5)


async def test_days_share_nothing_that_links_a_visitor(
    app: FastAPI, runtime: Runtime, clock: MovableClock
) -> None:
    await visit(app, "/", address="198.51.100.20")
    clock.advance(days=1)
    await visit(app, "/", address="198.51.100.20")
    first, second = _salts(runtime)
    assert (first.day, second.day) == (DAY_ONE, DAY_TWO)
    assert first.salt != second.salt and len(first.salt) == 32
    marks_one, marks_two = _marks_of(runtime, first.id), _marks_of(runtime, second.id)
    assert len(marks_one) == len(marks_two) == 7  # total and six dimensions
    assert not marks_one & marks_two


async def test_concurrent_views_of_one_visitor_count_once(app: FastAPI, runtime: Runtime) -> None:
    responses = await asyncio.gather(*(visit(app, "/", address="198.51.100.30") for _ in range(5)))
    assert all(r.status_code == 200 for r in responses)
    assert counts(runtime)[("total", "")] == (1, 5)
    assert len(_salts(runtime)) == 1


async def test_salt_and_marks_are_destroyed_48_hours_after_the_salt_was_made(
    app: FastAPI, runtime: Runtime, clock: MovableClock
) -> None:
    await visit(app, "/")
    (salt,) = _salts(runtime)
    assert salt.created_at == START and _marks_of(runtime, salt.id)

    clock.now = START + timedelta(hours=48) - timedelta(seconds=1)
    assert sweep(runtime) == 0
    assert [s.id for s in _salts(runtime)] == [salt.id]

    clock.now = START + timedelta(hours=48)
    assert sweep(runtime) == 1
    assert _salts(runtime) == [] and _rows(runtime, AnalyticsVisitorMark) == 0
    assert counts(runtime, DAY_ONE)[("total", "")] == (1, 1)  # the statistics stay


async def test_a_new_days_first_view_destroys_expired_salts_too(
    app: FastAPI, runtime: Runtime, clock: MovableClock
) -> None:
    await visit(app, "/")
    (old,) = _salts(runtime)
    clock.advance(hours=48)
    await visit(app, "/")
    assert [s.day for s in _salts(runtime)] == [DAY_ONE + timedelta(days=2)]
    assert _marks_of(runtime, old.id) == set()


async def test_the_retention_engine_applies_the_policy_rule_to_salts_and_marks(
    app: FastAPI, runtime: Runtime, clock: MovableClock
) -> None:
    await visit(app, "/")
    clock.advance(hours=48)
    engine.run(runtime)
    assert _rows(runtime, AnalyticsSalt) == 0 and _rows(runtime, AnalyticsVisitorMark) == 0
    assert _rows(runtime, AnalyticsDailyCount) > 0


async def test_no_address_or_user_agent_is_stored_or_logged(
    app: FastAPI, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    headers = {
        "referer": "https://news.example.org/story?id=5",
        "accept-language": "nl-NL,nl;q=0.9",
    }
    for path in ("/", "/privacy", "/privacy?lang=en"):
        response = await visit(
            app, path, address=PLANTED_ADDRESS, agent=PLANTED_AGENT, headers=headers
        )
        assert response.status_code == 200
    assert counts(runtime)[("total", "")] == (1, 3)
    stored = everything_stored(runtime)
    packed = socket.inet_aton(PLANTED_ADDRESS)
    for secret in (PLANTED_ADDRESS, PLANTED_AGENT, "PlantedAgent", packed.decode("latin-1")):
        assert secret not in stored
        assert secret not in caplog.text
    assert packed.hex() not in stored


async def test_do_not_track_and_global_privacy_control_are_respected(
    app: FastAPI, runtime: Runtime
) -> None:
    assert (await visit(app, "/", headers={"DNT": "1"})).status_code == 200
    assert (await visit(app, "/", headers={"Sec-GPC": "1"})).status_code == 200
    assert counts(runtime) == {}
    assert _salts(runtime) == []  # nothing at all is kept of them
    await visit(app, "/", headers={"DNT": "0"})
    assert counts(runtime)[("total", "")] == (1, 1)


async def test_bots_are_not_counted(app: FastAPI, runtime: Runtime) -> None:
    for agent in (GOOGLEBOT, "curl/8.5.0", ""):
        assert (await visit(app, "/", agent=agent)).status_code == 200
    assert counts(runtime) == {}


async def test_static_files_api_errors_and_query_strings_are_not_stored(
    app: FastAPI, runtime: Runtime
) -> None:
    for prefix in ("/api", "/backoffice"):  # HTML there would count, were it not excluded
        app.add_api_route(f"{prefix}/an-html-page", lambda: HTMLResponse("<p>hi</p>"))
        assert (await visit(app, f"{prefix}/an-html-page")).status_code == 200
    for path in ("/static/site.css", "/health", "/api/server", "/privacy.md", "/no-such-page"):
        await visit(app, path)
    assert counts(runtime) == {}
    await visit(app, "/privacy?lang=en&email=someone%40example.org")
    pages = {value for (dimension, value) in counts(runtime) if dimension == "page"}
    assert pages == {"/privacy"}
    stored = everything_stored(runtime)
    assert "someone" not in stored and "lang=" not in stored


async def test_path_parameters_are_stored_by_name_and_referrers_by_host(
    app: FastAPI, runtime: Runtime
) -> None:
    @app.get("/things/{thing_id}", response_class=HTMLResponse)
    def thing(thing_id: str) -> HTMLResponse:
        return HTMLResponse("<p>a thing</p>")

    thing_id = "5d41402abc4b2a76b9719d911017c592"
    referer = "https://www.news.example.org/story/42?mail=someone%40example.org"
    await visit(app, f"/things/{thing_id}", headers={"referer": referer})
    found = counts(runtime)
    assert found[("page", "/things/{thing_id}")] == (1, 1)
    assert found[("referrer", "news.example.org")] == (1, 1)
    stored = everything_stored(runtime)
    assert thing_id not in stored and "story" not in stored and "someone" not in stored


async def test_country_device_browser_and_hour_are_counted(app: FastAPI, runtime: Runtime) -> None:
    await visit(app, "/", agent=IPHONE, headers={"CF-IPCountry": "BE"})
    await visit(app, "/", address="198.51.100.2", headers={"Accept-Language": "de-DE"})
    found = counts(runtime)
    assert found[("country", "BE")] == (1, 1) and found[("country", "DE")] == (1, 1)
    assert found[("browser", "Safari")] == (1, 1) and found[("browser", "Firefox")] == (1, 1)
    assert found[("hour", f"{START.hour:02d}")] == (2, 2)


async def test_a_flood_of_made_up_host_names_gets_a_bounded_number_of_salts(
    app: FastAPI, runtime: Runtime
) -> None:
    for n in range(MAX_SITES_PER_DAY + 3):
        await visit(app, "/", site=f"site{n}.example.test")
    assert len(_salts(runtime)) == MAX_SITES_PER_DAY
