"""A small, exact world for API tests: two customers, each with trackers, positions,
a geofence and an event, written through the same functions the app uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher

from trackguard.runtime import Runtime
from trackguard.store.base import new_id
from trackguard.store.models import Customer, Device, Event
from trackguard.tracking.events import add_geofence, link_geofence
from trackguard.tracking.geofence import CircleArea
from trackguard.tracking.positions import PositionFix, encrypt_position, insert_positions

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DAY_START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
# Cheap on purpose: the app's own hasher is stronger, so a sign-in must rehash.
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class MovableClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, by: timedelta) -> None:
        self.at += by


@dataclass
class Account:
    email: str
    password: str
    customer_id: str
    device_ids: list[str] = field(default_factory=list)
    imeis: list[str] = field(default_factory=list)
    geofence_id: str = ""
    event_id: str = ""


def add_customer(
    runtime: Runtime, email: str, password: str, first: str, imeis: list[str], *, lat: float
) -> Account:
    """A customer whose trackers drove for an hour from DAY_START: one fix a minute,
    92.6 km/h (50 knots) for 30 minutes, then standing still."""
    vault = runtime.vault
    with runtime.db.session() as session:
        customer = Customer(
            id=new_id(),
            email_index=vault.blind_index("email", email),
            password_hash=CHEAP.hash(password),
            created_at=NOW - timedelta(days=30),
            status="active",
            language="nl",
        )
        session.add(customer)
        session.flush()
        vault.seal(session, customer, "email", email)
        vault.seal(session, customer, "first_name", first)
        vault.seal(session, customer, "last_name", "Test")
        account = Account(email, password, customer.id)
        for n, imei in enumerate(imeis):
            device = Device(
                id=new_id(),
                customer_id=customer.id,
                imei_index=vault.blind_index("imei", imei),
                name=f"{first} tracker {n}",
                protocol="osmand",
                model="TestModel",
                created_at=NOW - timedelta(days=10, minutes=n),
                activated_at=NOW - timedelta(days=10),
                last_seen_at=DAY_START + timedelta(minutes=60),
                armed=False,
            )
            session.add(device)
            session.flush()
            vault.seal(session, device, "imei", imei)
            rows = []
            for minute in range(61):
                moving = minute < 30
                fix = PositionFix(
                    lat=lat + (minute if moving else 30) * 0.0025,
                    lon=5.0 + n * 0.1,
                    speed=92.6 if moving else 0.0,
                    course=0.0,
                    altitude=3.0,
                    satellites=9,
                    valid=True,
                    battery=80.0,
                    ignition=moving,
                )
                at = DAY_START + timedelta(minutes=minute)
                rows.append(
                    encrypt_position(
                        session,
                        vault,
                        device_id=device.id,
                        customer_id=customer.id,
                        fix_time=at,
                        received_at=at + timedelta(seconds=2),
                        fix=fix,
                    )
                )
            insert_positions(session, rows)
            account.device_ids.append(device.id)
            account.imeis.append(imei)
        fence = add_geofence(
            session, vault, customer.id, f"Thuis {first}", CircleArea(lat, 5.0, 150)
        )
        link_geofence(session, account.device_ids[0], fence.id, customer_id=customer.id)
        account.geofence_id = fence.id
        event = Event(
            id=new_id(),
            device_id=account.device_ids[0],
            customer_id=customer.id,
            geofence_id=fence.id,
            type="geofenceExit",
            time=DAY_START + timedelta(minutes=5),
            fix_time=DAY_START + timedelta(minutes=5),
            attributes={},
            alert=True,
        )
        session.add(event)
        account.event_id = event.id
    return account
