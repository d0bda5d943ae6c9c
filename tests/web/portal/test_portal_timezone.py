"""The portal's time zone is a setting (`TRACKGUARD_PORTAL_TIMEZONE`): the portal, the privacy
centre and the live map show times, and count calendar days, in the zone it names."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import ValidationError
from tests.web.portal.conftest import NOW, World, sign_in

from trackguard.privacy.requests import submit_request
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.tracking.events import list_events
from trackguard.web.app import create_app
from trackguard.web.portal import views
from trackguard.web.traccar.access import CustomerData

# NOW is 15:00 UTC on 1 March 2026: 16:00 in Amsterdam, 10:00 in New York, and already
# 2 March at Kiritimati (UTC+14), so each zone says a different time or day.
NEW_YORK = ZoneInfo("America/New_York")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")


@pytest.fixture
async def zoned(runtime: Runtime, world: World, zone: ZoneInfo) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in to an app whose portal time zone is `zone` (same database)."""
    settings = runtime.settings.model_copy(update={"portal_timezone": zone})
    app = create_app(dataclasses.replace(runtime, settings=settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await sign_in(client)).status_code == 303
        yield client


def test_the_default_zone_is_amsterdam_and_the_environment_can_name_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TRACKGUARD_PORTAL_TIMEZONE", raising=False)
    assert Settings().portal_timezone == ZoneInfo("Europe/Amsterdam")
    assert Settings().portal_timezone == views.DEFAULT_ZONE  # the views default to it
    monkeypatch.setenv("TRACKGUARD_PORTAL_TIMEZONE", "Europe/Brussels")
    assert Settings().portal_timezone == ZoneInfo("Europe/Brussels")


@pytest.mark.parametrize("bad", ["Mars/Olympus", "Europe/amsterdam", "../../etc/passwd", ""])
def test_a_name_that_is_no_iana_zone_is_refused_naming_the_setting(bad: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(portal_timezone=bad)
    message = str(refused.value)
    assert "portal_timezone" in message
    assert "invalid timezone" in message


def test_days_and_times_follow_the_zone_they_are_given() -> None:
    # 8 March 2026: New York's clocks go forward, so that day is 23 hours long there.
    start, end = views.day_bounds(date(2026, 3, 8), NEW_YORK)
    assert start == datetime(2026, 3, 8, 5, tzinfo=UTC)
    assert end - start == timedelta(hours=23)
    assert views.today(NOW, KIRITIMATI) == date(2026, 3, 2)
    assert views.today(NOW) == date(2026, 3, 1)
    assert views.show_time(NOW, "en", zone=NEW_YORK) == "2026-03-01 10:00"
    assert views.show_time(NOW, "nl", seconds=True, zone=KIRITIMATI) == "02-03-2026 05:00:00"
    assert views.show_clock(NOW, NEW_YORK) == "10:00:00"
    assert views.range_bounds(date(2026, 3, 1), date(2026, 3, 2), KIRITIMATI) == (
        datetime(2026, 2, 28, 10, tzinfo=UTC),
        datetime(2026, 3, 2, 10, tzinfo=UTC),
    )


@pytest.mark.anyio
@pytest.mark.parametrize("zone", [NEW_YORK])
async def test_portal_pages_show_times_in_the_configured_zone(
    zoned: httpx.AsyncClient, runtime: Runtime, world: World, zone: ZoneInfo
) -> None:
    with runtime.db.session() as session:
        data = CustomerData(session, runtime.vault, world.demo_id)
        own = data.devices()
        latest = data.latest_positions(own)
        events = list_events(
            session,
            customer_id=world.demo_id,
            device_ids=[d.id for d in own],
            since=NOW - timedelta(days=6),
            until=NOW + timedelta(days=1),
            limit=1_000,
        )
    device = next(d for d in own if d.id in latest)
    fixed = latest[device.id].time
    page = await zoned.get(f"/portal/devices/{device.id}", params={"lang": "en"})
    assert page.status_code == 200
    shown = views.show_time(fixed, "en", seconds=True, zone=zone)
    assert f'<dd id="live-time">{shown}</dd>' in page.text
    assert shown != views.show_time(fixed, "en", seconds=True)  # not Amsterdam's
    assert 'data-timezone="America/New_York"' in page.text  # what the live map formats in

    assert events, "the demo week has events"
    # The alerts page defaults to the zone's last seven days; ask for the whole demo week.
    alerts = await zoned.get(
        "/portal/events", params={"lang": "en", "from": "2026-02-22", "to": "2026-03-01"}
    )
    assert alerts.status_code == 200
    newest = max(events, key=lambda e: e.time)
    assert f"<td>{views.show_time(newest.time, 'en', seconds=True, zone=zone)}</td>" in alerts.text


@pytest.mark.anyio
@pytest.mark.parametrize("zone", [KIRITIMATI])
async def test_calendar_days_are_the_configured_zones_days(
    zoned: httpx.AsyncClient, world: World
) -> None:
    # Already 2 March there: that is "today", so it is neither refused nor in the future.
    history = await zoned.get(f"/portal/devices/{world.demo_devices[0]}/history")
    assert history.status_code == 200
    assert 'value="2026-03-02" max="2026-03-02"' in history.text
    asked = await zoned.get(
        f"/portal/devices/{world.demo_devices[0]}/history", params={"day": "2026-03-02"}
    )
    assert asked.status_code == 200
    trips = await zoned.get(f"/portal/devices/{world.demo_devices[0]}/trips")
    assert 'value="2026-03-02" max="2026-03-02"' in trips.text


@pytest.mark.anyio
@pytest.mark.parametrize("zone", [NEW_YORK])
async def test_the_privacy_centre_shows_times_in_the_configured_zone(
    zoned: httpx.AsyncClient, runtime: Runtime, world: World
) -> None:
    filed = submit_request(runtime, customer_id=world.demo_id, type="erasure").request
    listing = await zoned.get("/portal/privacy/requests", params={"lang": "en"})
    assert listing.status_code == 200
    assert "2026-03-01 10:00" in listing.text  # NOW, received, in New York
    assert "2026-03-01 16:00" not in listing.text  # ... not in Amsterdam
    detail = await zoned.get(f"/portal/privacy/requests/{filed.id}", params={"lang": "en"})
    assert re.search(r"<dd>2026-03-01 10:00</dd>", detail.text)
