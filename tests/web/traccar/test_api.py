"""The Traccar API on both backends: sign-in methods, ownership, units, shapes, audit."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter
from sqlalchemy import select
from tests.web.traccar.world import DAY_START, Account, MovableClock

from trackguard.privacy.audit import verify
from trackguard.runtime import Runtime
from trackguard.store.models import AuditEntry, Customer
from trackguard.tracking.geo import kmh_to_knots
from trackguard.tracking.positions import read_positions
from trackguard.web.traccar import schemas

pytestmark = pytest.mark.anyio

FROM = DAY_START.isoformat().replace("+00:00", "Z")
TO = (DAY_START + timedelta(hours=2)).isoformat().replace("+00:00", "Z")


def basic(account: Account) -> tuple[str, str]:
    return (account.email, account.password)


def shaped(model: Any, body: Any) -> Any:
    """The body validates against the documented schema (no field missing or extra)."""
    return TypeAdapter(model).validate_python(body)


async def test_server_is_public_and_shaped(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/server")
    assert response.status_code == 200
    shaped(schemas.Server, response.json())


async def test_basic_auth_answers_only_the_callers_devices(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    response = await client.get("/api/devices", auth=basic(alice))
    assert response.status_code == 200
    devices = shaped(list[schemas.Device], response.json())
    assert sorted(d.uniqueId for d in devices) == sorted(alice.imeis)
    assert all(d.positionId > 0 for d in devices)
    assert response.headers["cache-control"] == "no-store"


async def test_no_credentials_is_401_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/devices")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "WWW-Authenticate" in response.headers


async def test_wrong_password_is_401_without_saying_why(
    client: httpx.AsyncClient, alice: Account
) -> None:
    wrong = await client.get("/api/devices", auth=(alice.email, "nope"))
    unknown = await client.get("/api/devices", auth=("nobody@example.nl", "nope"))
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert alice.email not in wrong.text


async def test_form_login_sets_httponly_cookie_that_authenticates(
    client: httpx.AsyncClient, alice: Account
) -> None:
    login = await client.post(
        "/api/session", data={"email": alice.email, "password": alice.password}
    )
    assert login.status_code == 200
    user = shaped(schemas.User, login.json())
    assert user.email == alice.email and user.name == "Alice Test"
    cookie = login.headers["set-cookie"]
    assert cookie.startswith("JSESSIONID=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert (await client.get("/api/session")).json()["id"] == user.id
    assert (await client.get("/api/devices")).status_code == 200

    assert (await client.delete("/api/session")).status_code == 204
    client.cookies.clear()
    assert (await client.get("/api/session")).status_code == 404


async def test_signed_out_cookie_no_longer_works(client: httpx.AsyncClient, alice: Account) -> None:
    login = await client.post(
        "/api/session", data={"email": alice.email, "password": alice.password}
    )
    token = login.cookies["JSESSIONID"]
    await client.delete("/api/session")
    client.cookies.clear()
    client.cookies.set("JSESSIONID", token)
    again = await client.get("/api/devices")
    assert again.status_code == 401


async def test_cookie_is_secure_over_https(runtime: Runtime, app: Any, alice: Account) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
        login = await c.post(
            "/api/session", data={"email": alice.email, "password": alice.password}
        )
    assert "Secure" in login.headers["set-cookie"]


async def test_bearer_token_authenticates_until_it_expires(
    client: httpx.AsyncClient, alice: Account, clock: MovableClock
) -> None:
    expiry = (clock() + timedelta(hours=1)).isoformat()
    issued = await client.post("/api/session/token", auth=basic(alice), data={"expiration": expiry})
    assert issued.status_code == 200
    token = issued.text
    headers = {"Authorization": f"Bearer {token}"}
    devices = await client.get("/api/devices", headers=headers)
    assert devices.status_code == 200 and len(devices.json()) == len(alice.device_ids)
    clock.advance(timedelta(hours=1, seconds=1))
    assert (await client.get("/api/devices", headers=headers)).status_code == 401


async def test_token_signs_in_to_a_cookie_session(
    client: httpx.AsyncClient, alice: Account
) -> None:
    token = (await client.post("/api/session/token", auth=basic(alice))).text
    response = await client.get("/api/session", params={"token": token})
    assert response.status_code == 200 and response.json()["email"] == alice.email
    assert "JSESSIONID" in response.cookies


async def test_bad_bearer_is_refused_not_ignored(client: httpx.AsyncClient, alice: Account) -> None:
    login = await client.post(
        "/api/session", data={"email": alice.email, "password": alice.password}
    )
    assert login.status_code == 200
    response = await client.get("/api/devices", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401


async def test_five_failures_lock_account_and_address_for_the_window(
    client: httpx.AsyncClient, alice: Account, bob: Account, clock: MovableClock
) -> None:
    for _ in range(5):
        assert (await client.get("/api/devices", auth=(alice.email, "wrong"))).status_code == 401
    locked = await client.get("/api/devices", auth=basic(alice))
    assert locked.status_code == 429
    assert locked.headers["content-type"].startswith("application/problem+json")
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    form = await client.post("/api/session", data={"email": alice.email, "password": "wrong"})
    assert form.status_code == 429
    # Another account from the same address is not affected.
    assert (await client.get("/api/devices", auth=basic(bob))).status_code == 200
    clock.advance(timedelta(minutes=15, seconds=1))
    assert (await client.get("/api/devices", auth=basic(alice))).status_code == 200


async def test_sign_in_rehashes_an_aged_password_hash(
    client: httpx.AsyncClient, runtime: Runtime, alice: Account
) -> None:
    with runtime.db.session() as session:
        before = session.get(Customer, alice.customer_id).password_hash  # type: ignore[union-attr]
    assert "m=1024" in before
    assert (await client.get("/api/devices", auth=basic(alice))).status_code == 200
    with runtime.db.session() as session:
        customer = session.get(Customer, alice.customer_id)
        assert customer is not None and customer.password_hash != before
        assert "m=1024" not in customer.password_hash
        assert customer.last_login_at is not None
    # The new hash still verifies (and the old cached check is not what lets us in).
    assert (await client.get("/api/session", auth=basic(alice))).status_code == 200


async def test_speed_is_knots_and_times_are_utc(
    client: httpx.AsyncClient, runtime: Runtime, alice: Account
) -> None:
    devices = (await client.get("/api/devices", auth=basic(alice))).json()
    number = devices[0]["id"]
    response = await client.get(
        "/api/positions", auth=basic(alice), params={"deviceId": number, "from": FROM, "to": TO}
    )
    positions = shaped(list[schemas.Position], response.json())
    assert len(positions) == 61
    with runtime.db.session() as session:
        stored = read_positions(session, runtime.vault, alice.device_ids[0])
    assert [p.fixTime for p in positions] == [
        s.time.isoformat(timespec="milliseconds").replace("+00:00", "Z") for s in stored
    ]
    assert positions[0].speed == pytest.approx(50.0)  # 92.6 km/h
    assert positions[0].speed == pytest.approx(kmh_to_knots(stored[0].fix.speed))
    assert positions[-1].speed == 0
    assert positions[0].attributes["batteryLevel"] == 80.0


async def test_latest_positions_one_per_device(client: httpx.AsyncClient, alice: Account) -> None:
    devices = (await client.get("/api/devices", auth=basic(alice))).json()
    latest = shaped(
        list[schemas.Position], (await client.get("/api/positions", auth=basic(alice))).json()
    )
    assert sorted(p.id for p in latest) == sorted(d["positionId"] for d in devices)
    assert {p.fixTime for p in latest} == {"2026-03-02T09:00:00.000Z"}
    by_id = await client.get(
        "/api/positions", auth=basic(alice), params=[("id", p.id) for p in latest]
    )
    assert sorted(p["id"] for p in by_id.json()) == sorted(p.id for p in latest)


async def test_ids_are_stable_integers(client: httpx.AsyncClient, alice: Account) -> None:
    first = (await client.get("/api/devices", auth=basic(alice))).json()
    second = (await client.get("/api/devices", auth=basic(alice))).json()
    assert [d["id"] for d in first] == [d["id"] for d in second]
    assert all(isinstance(d["id"], int) for d in first)
    one = await client.get(f"/api/devices/{first[0]['id']}", auth=basic(alice))
    assert one.json()["uniqueId"] == first[0]["uniqueId"]
    picked = await client.get(
        "/api/devices", auth=basic(alice), params={"uniqueId": alice.imeis[1]}
    )
    assert [d["uniqueId"] for d in picked.json()] == [alice.imeis[1]]


async def test_geofences_and_events(client: httpx.AsyncClient, alice: Account) -> None:
    fences = shaped(
        list[schemas.Geofence], (await client.get("/api/geofences", auth=basic(alice))).json()
    )
    assert [f.name for f in fences] == ["Thuis Alice"]
    assert fences[0].area.startswith("CIRCLE (52")
    events = await client.get(
        "/api/reports/events", auth=basic(alice), params={"from": FROM, "to": TO}
    )
    items = shaped(list[schemas.Event], events.json())
    assert [(e.type, e.geofenceId, e.eventTime) for e in items] == [
        ("geofenceExit", fences[0].id, "2026-03-02T08:05:00.000Z")
    ]
    position = await client.get(
        "/api/positions", auth=basic(alice), params={"id": items[0].positionId}
    )
    assert position.json()[0]["fixTime"] == "2026-03-02T08:05:00.000Z"


async def test_trips_stops_summary_route(client: httpx.AsyncClient, alice: Account) -> None:
    number = (await client.get("/api/devices", auth=basic(alice))).json()[0]["id"]
    params = {"deviceId": number, "from": FROM, "to": TO}
    trips = shaped(
        list[schemas.Trip],
        (await client.get("/api/reports/trips", auth=basic(alice), params=params)).json(),
    )
    assert len(trips) == 1
    assert trips[0].maxSpeed == pytest.approx(50.0)
    assert trips[0].startTime == "2026-03-02T08:00:00.000Z"
    assert 8000 < trips[0].distance < 8500  # 30 minutes of 0.0025 degrees north a minute
    stops = (await client.get("/api/reports/stops", auth=basic(alice), params=params)).json()
    shaped(list[schemas.Stop], stops)
    assert len(stops) == 1 and stops[0]["startTime"] == trips[0].endTime
    summary = (await client.get("/api/reports/summary", auth=basic(alice), params=params)).json()
    assert shaped(list[schemas.Summary], summary)[0].distance == pytest.approx(trips[0].distance)
    route = (await client.get("/api/reports/route", auth=basic(alice), params=params)).json()
    assert len(shaped(list[schemas.Position], route)) == 61


async def test_every_read_writes_one_audit_entry_with_purpose(
    client: httpx.AsyncClient, runtime: Runtime, alice: Account
) -> None:
    with runtime.db.session() as session:
        before = len(session.scalars(select(AuditEntry.seq)).all())
    await client.get("/api/positions", auth=basic(alice))
    await client.get("/api/reports/route", auth=basic(alice), params={"from": FROM, "to": TO})
    with runtime.db.session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq).offset(before)).all()
        assert [(e.action, e.purpose, e.subject_id, e.actor) for e in entries] == [
            ("traccar.positions.read", "service_delivery", alice.customer_id, "subject"),
            ("traccar.reports.route", "service_delivery", alice.customer_id, "subject"),
        ]
        assert "user.location.precise" in entries[1].categories
    assert verify(runtime.db).ok  # the API's Core insert and the ORM append chain alike


async def test_concurrent_reads_each_write_an_entry_of_one_chain(
    client: httpx.AsyncClient, runtime: Runtime, alice: Account, bob: Account
) -> None:
    with runtime.db.session() as session:
        before = len(session.scalars(select(AuditEntry.seq)).all())
    answers = await asyncio.gather(
        *(client.get("/api/positions", auth=basic(who)) for who in [alice, bob] * 6)
    )
    assert [a.status_code for a in answers] == [200] * 12
    with runtime.db.session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq).offset(before)).all()
    assert sorted(e.subject_id or "" for e in entries) == sorted(
        [alice.customer_id, bob.customer_id] * 6
    )
    assert verify(runtime.db).ok


async def test_imeis_are_opened_only_for_answers_that_show_them(
    client: httpx.AsyncClient, runtime: Runtime, alice: Account
) -> None:
    with runtime.db.session() as session:
        before = len(session.scalars(select(AuditEntry.seq)).all())
    await client.get("/api/positions", auth=basic(alice))
    await client.get("/api/devices", auth=basic(alice))
    with runtime.db.session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq).offset(before)).all()
        positions, devices = (set(e.categories) for e in entries)
    assert "user.device.device_id" not in positions
    assert "user.location.precise" in positions
    assert "user.device.device_id" in devices


async def test_server_read_writes_no_audit_entry(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    with runtime.db.session() as session:
        before = len(session.scalars(select(AuditEntry.seq)).all())
    await client.get("/api/server")
    with runtime.db.session() as session:
        assert len(session.scalars(select(AuditEntry.seq)).all()) == before


@pytest.mark.parametrize(
    "params",
    [
        {"from": "yesterday", "to": TO},
        {"from": TO, "to": FROM},
        {"from": "2026-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"},
        {"deviceId": "x", "from": FROM, "to": TO},
        {"deviceId": str(2**70), "from": FROM, "to": TO},
        {"to": TO},
    ],
)
async def test_bad_report_input_is_problem_json_without_echo(
    client: httpx.AsyncClient, alice: Account, params: dict[str, str]
) -> None:
    response = await client.get("/api/reports/route", auth=basic(alice), params=params)
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in response.text and "yesterday" not in response.text
    assert alice.email not in response.text
