"""The portal's reads, for the signed-in customer only, each page audited with its purpose.

Built on the API's `CustomerData` (the same customer filter and the same audit
rules): another customer's device or geofence is NotFound, a 404, exactly like
one that does not exist. `PortalReads.audit` writes the one entry per page view,
naming the categories the page read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.errors import NotFound
from trackguard.runtime import Runtime
from trackguard.store.models.tracking import Device
from trackguard.tracking.events import GeofenceView, list_geofences
from trackguard.web.traccar.access import GEOFENCE_CATEGORIES, CustomerData, OwnDevice


@dataclass
class PortalReads:
    runtime: Runtime
    session: Session
    data: CustomerData

    @property
    def customer_id(self) -> str:
        return self.data.customer_id

    def devices(self) -> list[OwnDevice]:
        return self.data.devices()

    def device(self, device_id: str) -> OwnDevice:
        found = self.data.device_by_id(device_id)
        if found is None:
            raise NotFound("no such device")
        return found

    def armed(self) -> dict[str, bool]:
        rows = self.session.execute(
            select(Device.id, Device.armed).where(Device.customer_id == self.customer_id)
        )
        self.data.read.add("user.device")
        return {device_id: bool(armed) for device_id, armed in rows}

    def geofences(self) -> list[GeofenceView]:
        self.data.read.update(GEOFENCE_CATEGORIES)
        return list_geofences(self.session, self.runtime.vault, self.customer_id)

    def audit(self, action: str) -> None:
        self.data.audit(self.runtime.policy, self.runtime.clock, action)


@contextmanager
def reads(runtime: Runtime, customer_id: str) -> Iterator[PortalReads]:
    """One session for one page; commits (with its audit entry) when the page is built."""
    with runtime.db.session() as session:
        yield PortalReads(runtime, session, CustomerData(session, runtime.vault, customer_id))
