"""Customer A (the demo login) reaches none of customer B's trackers or geofences: every
page and form answers 404, exactly as for an id that does not exist, and changes nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from tests.web.portal.conftest import World, token_in

from trackguard.runtime import Runtime
from trackguard.store.models.antitheft import DeviceGeofence
from trackguard.store.models.tracking import Device

pytestmark = pytest.mark.anyio


async def test_another_customers_device_pages_are_not_found(
    signed_in: httpx.AsyncClient, world: World
) -> None:
    for device in (world.other_device, "0" * 32):
        for suffix in ("", "/history", "/trips"):
            response = await signed_in.get(f"/portal/devices/{device}{suffix}")
            assert response.status_code == 404, suffix
            assert response.headers["content-type"].startswith("application/problem+json")


async def test_another_customers_device_cannot_be_armed(
    signed_in: httpx.AsyncClient, world: World, runtime: Runtime
) -> None:
    token = token_in((await signed_in.get("/portal")).text)
    response = await signed_in.post(
        f"/portal/devices/{world.other_device}/antitheft",
        data={"armed": "on", "csrf_token": token},
    )
    assert response.status_code == 404
    with runtime.db.session() as session:
        assert session.get(Device, world.other_device).armed is False


async def test_another_customers_geofence_cannot_be_linked_or_unlinked(
    signed_in: httpx.AsyncClient, world: World, runtime: Runtime
) -> None:
    token = token_in((await signed_in.get("/portal/geofences")).text)
    mine, theirs = world.demo_devices[0], world.other_device
    attempts = [
        (f"/portal/geofences/{world.other_geofence}/link", mine),  # my device, their fence
        (f"/portal/geofences/{world.demo_geofences[0]}/link", theirs),  # their device, my fence
        (f"/portal/geofences/{world.other_geofence}/unlink", mine),
        (f"/portal/geofences/{world.demo_geofences[0]}/unlink", theirs),
    ]
    for path, device in attempts:
        response = await signed_in.post(path, data={"device": device, "csrf_token": token})
        assert response.status_code == 404, path
    with runtime.db.session() as session:
        links = session.scalars(
            select(DeviceGeofence).where(
                (DeviceGeofence.geofence_id == world.other_geofence)
                | (DeviceGeofence.device_id == theirs)
            )
        ).all()
        assert links == []


async def test_a_geofence_cannot_be_added_for_another_customers_device(
    signed_in: httpx.AsyncClient, world: World
) -> None:
    token = token_in((await signed_in.get("/portal/geofences")).text)
    response = await signed_in.post(
        "/portal/geofences",
        data={
            "name": "Sneaky",
            "lat": "52.1",
            "lon": "5.1",
            "radius": "100",
            "device": world.other_device,
            "csrf_token": token,
        },
    )
    assert response.status_code == 404
    page = (await signed_in.get("/portal/geofences")).text
    assert "Sneaky" not in page  # the whole form failed: nothing half-stored


async def test_lists_show_only_the_customers_own_records(
    signed_in: httpx.AsyncClient, world: World
) -> None:
    for path in ("/portal", "/portal/geofences", "/portal/events"):
        page = (await signed_in.get(path)).text
        assert world.other_device not in page
        assert world.other_geofence not in page
        assert "Other bike" not in page and "Other home" not in page
