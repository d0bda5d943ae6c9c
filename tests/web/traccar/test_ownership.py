"""Customer A never sees customer B's devices, positions, geofences or events: every
endpoint answers a foreign id exactly as a missing one (404), on both backends."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from tests.web.traccar.world import DAY_START, Account

pytestmark = pytest.mark.anyio

FROM = DAY_START.isoformat().replace("+00:00", "Z")
TO = (DAY_START + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
MISSING = 999_999


async def _ids(client: httpx.AsyncClient, owner: Account) -> dict[str, int]:
    auth = (owner.email, owner.password)
    device = (await client.get("/api/devices", auth=auth)).json()[0]
    fence = (await client.get("/api/geofences", auth=auth)).json()[0]
    return {"device": device["id"], "position": device["positionId"], "geofence": fence["id"]}


async def test_lists_hold_only_own_things(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    theirs = await _ids(client, alice)
    auth = (bob.email, bob.password)
    assert theirs["device"] not in [
        d["id"] for d in (await client.get("/api/devices", auth=auth)).json()
    ]
    assert theirs["position"] not in [
        p["id"] for p in (await client.get("/api/positions", auth=auth)).json()
    ]
    assert theirs["geofence"] not in [
        g["id"] for g in (await client.get("/api/geofences", auth=auth)).json()
    ]
    events = await client.get("/api/reports/events", auth=auth, params={"from": FROM, "to": TO})
    assert {e["deviceId"] for e in events.json()} <= {
        d["id"] for d in (await client.get("/api/devices", auth=auth)).json()
    }
    by_imei = await client.get("/api/devices", auth=auth, params={"uniqueId": alice.imeis[0]})
    assert by_imei.json() == []


@pytest.mark.parametrize("which", ["foreign", "missing"])
async def test_foreign_ids_answer_404_everywhere(
    client: httpx.AsyncClient, alice: Account, bob: Account, which: str
) -> None:
    theirs = await _ids(client, alice)
    if which == "missing":
        theirs = {k: MISSING for k in theirs}
    device, position, fence = theirs["device"], theirs["position"], theirs["geofence"]
    auth = (bob.email, bob.password)
    period = {"from": FROM, "to": TO}
    requests = [
        ("/api/devices", {"id": device}),
        (f"/api/devices/{device}", {}),
        ("/api/positions", {"id": position}),
        ("/api/positions", {"deviceId": device, **period}),
        ("/api/geofences", {"deviceId": device}),
        (f"/api/geofences/{fence}", {}),
        *[
            (f"/api/reports/{name}", {"deviceId": device, **period})
            for name in ("events", "route", "trips", "stops", "summary")
        ],
    ]
    for path, params in requests:
        response = await client.get(path, auth=auth, params=params)
        assert response.status_code == 404, (path, params, response.status_code)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "Alice" not in response.text and alice.imeis[0] not in response.text
