"""State-changing forms: anti-theft on and off, geofences added and linked; each audited."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from tests.web.portal.conftest import World, token_in

from trackguard.runtime import Runtime
from trackguard.store.models import AuditEntry
from trackguard.store.models.tracking import Device
from trackguard.tracking.events import list_geofences
from trackguard.web.portal.texts import texts

pytestmark = pytest.mark.anyio


def armed(runtime: Runtime, device_id: str) -> bool:
    with runtime.db.session() as session:
        return bool(session.get(Device, device_id).armed)


async def test_the_form_switches_anti_theft_on_and_off_and_audits_it(
    signed_in: httpx.AsyncClient, world: World, runtime: Runtime
) -> None:
    device = world.demo_devices[0]
    page = f"/portal/devices/{device}"
    for wanted, expected in (("on", True), ("off", False), ("on", True)):
        token = token_in((await signed_in.get(page, params={"lang": "en"})).text)
        response = await signed_in.post(
            f"{page}/antitheft", data={"armed": wanted, "next": page, "csrf_token": token}
        )
        assert response.status_code == 303
        assert response.headers["location"] == page
        assert armed(runtime, device) is expected
        shown = (await signed_in.get(page, params={"lang": "en"})).text
        assert texts("en")["armed_now" if expected else "disarmed_now"] in shown
    with runtime.db.session() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("antitheft.%"))
        ).all()
    assert actions[-3:] == ["antitheft.arm", "antitheft.disarm", "antitheft.arm"]


async def test_a_foreign_return_address_is_not_followed(
    signed_in: httpx.AsyncClient, world: World
) -> None:
    device = world.demo_devices[0]
    token = token_in((await signed_in.get("/portal")).text)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = await signed_in.post(
            f"/portal/devices/{device}/antitheft",
            data={"armed": "off", "next": target, "csrf_token": token},
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"/portal/devices/{device}"


async def test_a_circle_is_added_linked_and_unlinked(
    signed_in: httpx.AsyncClient, world: World, runtime: Runtime
) -> None:
    device = world.demo_devices[0]
    token = token_in((await signed_in.get("/portal/geofences")).text)
    response = await signed_in.post(
        "/portal/geofences",
        data={
            "name": "Werk",
            "lat": "52,0907",  # a Dutch decimal comma is understood
            "lon": "5.1214",
            "radius": "250",
            "device": device,
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    with runtime.db.session() as session:
        fence = next(
            f for f in list_geofences(session, runtime.vault, world.demo_id) if f.name == "Werk"
        )
    assert fence.area.to_wkt() == "CIRCLE (52.0907 5.1214, 250)"
    assert fence.device_ids == (device,)
    page = (await signed_in.get("/portal/geofences", params={"lang": "en"})).text
    assert "circle around 52.09070, 5.12140 with radius 250 m" in page

    response = await signed_in.post(
        f"/portal/geofences/{fence.id}/unlink", data={"device": device, "csrf_token": token}
    )
    assert response.status_code == 303
    response = await signed_in.post(
        f"/portal/geofences/{fence.id}/link",
        data={"device": world.demo_devices[-1], "csrf_token": token},
    )
    assert response.status_code == 303
    with runtime.db.session() as session:
        again = next(
            f for f in list_geofences(session, runtime.vault, world.demo_id) if f.id == fence.id
        )
    assert again.device_ids == (world.demo_devices[-1],)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "X", "lat": "north", "lon": "5", "radius": "10"}, "Fill in numbers"),
        ({"name": "X", "lat": "52", "lon": "5", "radius": "0"}, "circle radius must be"),
        ({"name": "X", "lat": "95", "lon": "5", "radius": "10"}, "not a WGS84 coordinate"),
        ({"name": " ", "lat": "52", "lon": "5", "radius": "10"}, "geofence name is 1 to 200"),
    ],
)
async def test_a_wrong_circle_gets_the_form_back_with_the_reason(
    signed_in: httpx.AsyncClient, world: World, fields: dict[str, str], message: str
) -> None:
    token = token_in((await signed_in.get("/portal/geofences")).text)
    response = await signed_in.post(
        "/portal/geofences", params={"lang": "en"}, data={**fields, "csrf_token": token}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert message in response.text
    assert f'value="{fields["lat"]}"' in response.text  # what was typed is kept
