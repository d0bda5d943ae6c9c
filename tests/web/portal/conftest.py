"""The demo data set on a fresh runtime (each backend), an app around it, and a browser-like
client that signs in through the portal's own form."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

# Shared with the other web areas; named here so pytest and this area's tests find them.
# (`anyio_backend` and `client` come from tests/web/conftest.py.)
from tests.database_templates import Template
from tests.web.helpers import DEMO_CUSTOMERS, NOW
from tests.web.helpers import app as app
from tests.web.helpers import sign_in as sign_in
from tests.web.helpers import signed_in as signed_in
from tests.web.helpers import token_in as token_in
from tests.worlds import DemoWorld, demo_data, world_if_taken

from trackguard.clock import fixed_clock
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.base import new_id
from trackguard.store.models.accounts import Customer
from trackguard.store.models.antitheft import Geofence
from trackguard.store.models.tracking import Device
from trackguard.tracking.events import add_geofence
from trackguard.tracking.geofence import CircleArea


@dataclass(frozen=True)
class World:
    demo_id: str
    demo_devices: list[str]
    demo_geofences: list[str]
    other_id: str
    other_device: str
    other_geofence: str


@pytest.fixture
def demo_world(request: pytest.FixtureRequest) -> DemoWorld | None:
    """The tests that take `world` start with the demo data (a copy of a template)."""
    return world_if_taken(request, "world", DemoWorld(NOW, customers=DEMO_CUSTOMERS))


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings, clock=fixed_clock(NOW)) as opened:
        yield opened


@pytest.fixture
def world(runtime: Runtime, database_template: Template) -> World:
    report = demo_data(runtime, database_template, customers=DEMO_CUSTOMERS)
    demo_id = report.demo_customer_id
    assert demo_id is not None
    with runtime.db.session() as session:
        devices = list(
            session.scalars(
                select(Device.id).where(Device.customer_id == demo_id).order_by(Device.id)
            )
        )
        fences = list(session.scalars(select(Geofence.id).where(Geofence.customer_id == demo_id)))
        other_id = session.scalar(select(Customer.id).where(Customer.id != demo_id).limit(1))
        assert other_id is not None
        # The other customer's own tracker and geofence: what customer A must never reach.
        device = Device(
            id=new_id(),
            customer_id=other_id,
            imei_index=runtime.vault.blind_index("imei", "356000000099999"),
            name="Other bike",
            created_at=NOW,
            activated_at=NOW,
        )
        session.add(device)
        fence = add_geofence(
            session,
            runtime.vault,
            other_id,
            "Other home",
            CircleArea(51.0, 4.0, 100),
            clock=runtime.clock,
        )
        session.flush()
        world = World(demo_id, devices, fences, other_id, device.id, fence.id)
    assert world.demo_devices and world.demo_geofences
    return world
