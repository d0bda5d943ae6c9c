"""Every portal page renders for the demo customer in Dutch and English, shows her data,
and writes one audit entry naming why it read it."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from tests.web.portal.conftest import World

from trackguard.runtime import Runtime
from trackguard.store.models import AuditEntry
from trackguard.web.portal.texts import texts

pytestmark = pytest.mark.anyio


def pages(world: World) -> dict[str, tuple[str, str]]:
    """path -> (audit action, a text key the page shows)."""
    device = world.demo_devices[0]
    return {
        "/portal": ("portal.devices.read", "devices_intro"),
        f"/portal/devices/{device}": ("portal.device.read", "antitheft"),
        f"/portal/devices/{device}/history": ("portal.history.read", "history"),
        f"/portal/devices/{device}/trips": ("portal.trips.read", "trips"),
        "/portal/geofences": ("portal.geofences.read", "geofences_intro"),
        "/portal/events": ("portal.events.read", "events_intro"),
    }


def audit_count(runtime: Runtime, action: str) -> int:
    with runtime.db.session() as session:
        return (
            session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
            )
            or 0
        )


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_each_page_renders_in_the_asked_language_and_is_audited(
    signed_in: httpx.AsyncClient, world: World, runtime: Runtime, lang: str
) -> None:
    words = texts(lang)
    other = texts("en" if lang == "nl" else "nl")
    for path, (action, key) in pages(world).items():
        before = audit_count(runtime, action)
        response = await signed_in.get(path, params={"lang": lang})
        assert response.status_code == 200, path
        assert response.headers["content-language"] == lang
        assert response.headers["cache-control"] == "no-store"
        assert f'<html lang="{lang}">' in response.text
        assert words[key] in response.text, path
        assert other[key] not in response.text or words[key] == other[key], path
        # Links keep the chosen language.
        assert f'href="/portal/geofences?lang={lang}"' in response.text
        assert audit_count(runtime, action) == before + 1, path


async def test_the_audit_entry_names_the_purpose_and_the_customer(
    signed_in: httpx.AsyncClient, world: World, runtime: Runtime
) -> None:
    response = await signed_in.get(f"/portal/devices/{world.demo_devices[0]}/history")
    assert response.status_code == 200
    with runtime.db.session() as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "portal.history.read")
            .order_by(AuditEntry.seq.desc())
        ).first()
        assert entry is not None
        assert entry.purpose == "service_delivery"
        assert entry.actor == "subject"
        assert "user.location.precise" in entry.categories


async def test_the_language_follows_the_browser_without_a_choice(
    signed_in: httpx.AsyncClient,
) -> None:
    english = await signed_in.get("/portal", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert texts("en")["devices_intro"] in english.text
    dutch = await signed_in.get("/portal", headers={"Accept-Language": "fr"})
    assert texts("nl")["devices_intro"] in dutch.text


async def test_the_overview_lists_the_demo_devices_with_state_and_position(
    signed_in: httpx.AsyncClient, world: World
) -> None:
    page = (await signed_in.get("/portal", params={"lang": "en"})).text
    for device in world.demo_devices:
        assert f'href="/portal/devices/{device}?lang=en"' in page
    assert world.other_device not in page
    assert "km/h" in page
    assert texts("en")["arm"] in page or texts("en")["disarm"] in page


async def test_history_shows_the_day_with_speed_and_distance(
    signed_in: httpx.AsyncClient, world: World
) -> None:
    # The demo's trackers moved "today" (the fixed clock's day).
    found = []
    for device in world.demo_devices:
        page = await signed_in.get(
            f"/portal/devices/{device}/history", params={"lang": "en", "day": "2026-03-01"}
        )
        assert page.status_code == 200
        if texts("en")["day_distance"] in page.text:
            found.append(page.text)
    assert found, "no demo device has history today"
    page = found[0]
    assert 'class="positions"' in page and "data-points=" in page
    assert "km/h" in page and " km</dd>" in page


async def test_a_day_in_the_future_or_no_date_is_refused_kindly(
    signed_in: httpx.AsyncClient, world: World
) -> None:
    path = f"/portal/devices/{world.demo_devices[0]}/history"
    for day in ("2099-01-01", "yesterday"):
        response = await signed_in.get(path, params={"lang": "en", "day": day})
        assert response.status_code == 400
        assert texts("en")["bad_day"] in response.text


async def test_trips_list_distance_duration_and_speeds(
    signed_in: httpx.AsyncClient, world: World
) -> None:
    pages_with_trips = []
    for device in world.demo_devices:
        page = await signed_in.get(f"/portal/devices/{device}/trips", params={"lang": "en"})
        assert page.status_code == 200
        if texts("en")["no_trips"] not in page.text:
            pages_with_trips.append(page.text)
    assert pages_with_trips, "the demo day has trips"
    assert " km</td>" in pages_with_trips[0] and " km/h</td>" in pages_with_trips[0]


async def test_a_period_longer_than_allowed_is_refused(
    signed_in: httpx.AsyncClient, world: World
) -> None:
    response = await signed_in.get(
        f"/portal/devices/{world.demo_devices[0]}/trips",
        params={"lang": "en", "from": "2025-01-01", "to": "2026-03-01"},
    )
    assert response.status_code == 400
    assert "at most 31 days" in response.text


async def test_events_show_the_demo_alarms(signed_in: httpx.AsyncClient) -> None:
    page = await signed_in.get(
        "/portal/events", params={"lang": "en", "from": "2026-02-23", "to": "2026-03-01"}
    )
    assert page.status_code == 200
    labels = [texts("en")[k] for k in texts("en") if k.startswith("event_")]
    assert any(f"<td>{label}</td>" in page.text for label in labels)


async def test_without_a_session_every_page_sends_to_the_sign_in_form(
    client: httpx.AsyncClient, world: World
) -> None:
    for path in pages(world):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/portal/sign-in?next=")
