"""What one customer may read through the Traccar API, and nothing else.

Every query here is filtered by the customer: another customer's device,
geofence, event or position is indistinguishable from one that does not exist
(NotFound, a 404). `CustomerData` also remembers which personal-data categories
the request read, for the one audit entry the route writes at its end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from trackguard.clock import Clock, as_utc
from trackguard.errors import NotFound, TrackguardError
from trackguard.policy import Policy
from trackguard.store.models.accounts import Customer
from trackguard.store.models.antitheft import DeviceGeofence, Event, Geofence
from trackguard.store.models.tracking import Device, Position
from trackguard.tracking.devices import pseudonym
from trackguard.tracking.events import list_events, read_geofence
from trackguard.tracking.positions import (
    POSITION_COLUMN,
    POSITION_KEY_CLASS,
    POSITION_TABLE,
    StoredPosition,
    decode_position_payload,
    position_row_binding,
    read_positions,
    subject_of_key_ref,
)
from trackguard.vault import Vault
from trackguard.web.traccar.audit import audit_read
from trackguard.web.traccar.ids import numbers_for, refs_for, split_position_id

DEVICE_CATEGORIES = (
    "user.device",
    "user.device.device_id",
    "user.content.private",
    "user.location.precise",
)
LOCATION = "user.location.precise"
GEOFENCE_CATEGORIES = ("user.location.precise", "user.content.private")
PROFILE_CATEGORIES = ("user.name", "user.contact.email")
ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class OwnDevice:
    id: str
    number: int
    name: str
    unique_id: str
    model: str | None
    protocol: str | None
    last_seen: datetime | None


@dataclass(frozen=True, slots=True)
class OwnGeofence:
    number: int
    name: str
    area: str


@dataclass(frozen=True, slots=True)
class OwnEvent:
    number: int
    type: str
    time: datetime
    device: OwnDevice
    fix_time: datetime | None
    geofence_number: int | None
    attributes: dict[str, object]


class CustomerData:
    """Reads for one customer within one session; `audit` writes the request's entry."""

    def __init__(self, session: Session, vault: Vault, customer_id: str) -> None:
        self.session, self.vault, self.customer_id = session, vault, customer_id
        self.read: set[str] = set()
        self._devices: list[OwnDevice] | None = None

    # -- who ------------------------------------------------------------------------------

    def profile(self) -> tuple[int, str, str]:
        """(number, name, e-mail) of the customer."""
        customer = self.session.get(Customer, self.customer_id)
        if customer is None:
            raise NotFound("no such user")
        self.read.update(PROFILE_CATEGORIES)
        first = self._unseal(customer, "first_name") or ""
        last = self._unseal(customer, "last_name") or ""
        email = self._unseal(customer, "email") or ""
        number = numbers_for(self.session, "customer", [self.customer_id])[self.customer_id]
        return number, f"{first} {last}".strip(), email

    # -- devices --------------------------------------------------------------------------

    def devices(self) -> list[OwnDevice]:
        """The customer's devices, oldest first."""
        if self._devices is None:
            rows = self.session.scalars(
                select(Device)
                .where(Device.customer_id == self.customer_id)
                .order_by(Device.created_at, Device.id)
            ).all()
            numbers = numbers_for(self.session, "device", [d.id for d in rows])
            self._devices = [
                OwnDevice(
                    id=d.id,
                    number=numbers[d.id],
                    name=d.name or pseudonym(d.imei_index),
                    unique_id=self._unseal(d, "imei") or pseudonym(d.imei_index),
                    model=d.model,
                    protocol=d.protocol,
                    last_seen=as_utc(d.last_seen_at) if d.last_seen_at else None,
                )
                for d in rows
            ]
            self.read.update(DEVICE_CATEGORIES)
        return self._devices

    def devices_numbered(self, numbers: Iterable[int]) -> list[OwnDevice]:
        """Exactly these devices; NotFound when any is not the customer's."""
        by_number = {d.number: d for d in self.devices()}
        wanted = list(dict.fromkeys(numbers))
        if any(n not in by_number for n in wanted):
            raise NotFound("no such device")
        return [by_number[n] for n in wanted]

    def devices_with_unique_ids(self, unique_ids: Iterable[str]) -> list[OwnDevice]:
        wanted = {self.vault.blind_index("imei", u) for u in unique_ids}
        indexed = set(
            self.session.scalars(
                select(Device.id).where(
                    Device.customer_id == self.customer_id, Device.imei_index.in_(wanted)
                )
            )
        )
        return [d for d in self.devices() if d.id in indexed]

    def device_by_id(self, device_id: str) -> OwnDevice | None:
        return next((d for d in self.devices() if d.id == device_id), None)

    # -- positions ------------------------------------------------------------------------

    def latest_positions(self, devices: Sequence[OwnDevice]) -> dict[str, StoredPosition]:
        """Each device's newest position (devices that never reported are left out)."""
        ids = [d.id for d in devices]
        if not ids:
            return {}
        newest = (
            select(Position.device_id, func.max(Position.fix_time).label("newest"))
            .where(Position.device_id.in_(ids))
            .group_by(Position.device_id)
            .subquery()
        )
        rows = self.session.scalars(
            select(Position).join(
                newest,
                and_(
                    Position.device_id == newest.c.device_id, Position.fix_time == newest.c.newest
                ),
            )
        ).all()
        self.read.add(LOCATION)
        return {row.device_id: self._open(row) for row in rows}

    def history(self, device: OwnDevice, start: datetime, end: datetime) -> list[StoredPosition]:
        self.read.add(LOCATION)
        return read_positions(self.session, self.vault, device.id, start=start, end=end)

    def positions_numbered(self, numbers: Iterable[int]) -> list[tuple[OwnDevice, StoredPosition]]:
        """The positions with these numbers; NotFound when any is not the customer's."""
        by_number = {d.number: d for d in self.devices()}
        found = []
        for number in dict.fromkeys(numbers):
            device_number, second = split_position_id(number)
            device = by_number.get(device_number)
            if device is None:
                raise NotFound("no such position")
            row = self.session.scalar(
                select(Position)
                .where(
                    Position.device_id == device.id,
                    Position.fix_time >= second,
                    Position.fix_time < second + ONE_SECOND,
                )
                .order_by(Position.fix_time)
                .limit(1)
            )
            if row is None:
                raise NotFound("no such position")
            found.append((device, self._open(row)))
        self.read.add(LOCATION)
        return found

    def _open(self, row: Position) -> StoredPosition:
        plain = self.vault.decrypt(
            self.session,
            row.payload,
            subject=subject_of_key_ref(row.key_ref),
            key_class=POSITION_KEY_CLASS,
            table=POSITION_TABLE,
            column=POSITION_COLUMN,
            row=position_row_binding(row.device_id, row.fix_time),
        )
        return StoredPosition(
            row.device_id,
            as_utc(row.fix_time),
            as_utc(row.received_at),
            decode_position_payload(plain),
        )

    # -- geofences and events -------------------------------------------------------------

    def geofences(self, device: OwnDevice | None = None) -> list[OwnGeofence]:
        query = select(Geofence).where(Geofence.customer_id == self.customer_id)
        if device is not None:
            query = query.join(DeviceGeofence, DeviceGeofence.geofence_id == Geofence.id).where(
                DeviceGeofence.device_id == device.id
            )
        fences = self.session.scalars(query.order_by(Geofence.created_at, Geofence.id)).all()
        numbers = numbers_for(self.session, "geofence", [f.id for f in fences])
        self.read.update(GEOFENCE_CATEGORIES)
        result = []
        for fence in fences:
            view = read_geofence(self.session, self.vault, fence)
            result.append(OwnGeofence(numbers[fence.id], view.name, view.area.to_wkt()))
        return result

    def geofence_numbered(self, number: int) -> OwnGeofence:
        ref = refs_for(self.session, "geofence", [number]).get(number)
        if ref is None:
            raise NotFound("no such geofence")
        fence = self.session.get(Geofence, ref)
        if fence is None or fence.customer_id != self.customer_id:
            raise NotFound("no such geofence")
        view = read_geofence(self.session, self.vault, fence)
        self.read.update(GEOFENCE_CATEGORIES)
        return OwnGeofence(number, view.name, view.area.to_wkt())

    def events(
        self,
        devices: Sequence[OwnDevice],
        start: datetime,
        end: datetime,
        types: Sequence[str] = (),
    ) -> list[OwnEvent]:
        rows = list_events(
            self.session,
            customer_id=self.customer_id,
            device_ids=[d.id for d in devices],
            since=start,
            until=end,
            types=list(types) or None,
        )
        return self._own_events(rows, {d.id: d for d in devices})

    def event_by_id(self, event_id: str) -> OwnEvent | None:
        row = self.session.get(Event, event_id)
        if row is None or row.customer_id != self.customer_id:
            return None
        device = self.device_by_id(row.device_id)
        if device is None:
            return None
        found = self._own_events([row], {device.id: device})
        return found[0] if found else None

    def _own_events(self, rows: Sequence[Event], devices: dict[str, OwnDevice]) -> list[OwnEvent]:
        rows = [r for r in rows if r.device_id in devices]
        numbers = numbers_for(self.session, "event", [r.id for r in rows])
        fences = numbers_for(
            self.session, "geofence", [r.geofence_id for r in rows if r.geofence_id]
        )
        self.read.add(LOCATION)
        return [
            OwnEvent(
                number=numbers[r.id],
                type=r.type,
                time=as_utc(r.time),
                device=devices[r.device_id],
                fix_time=as_utc(r.fix_time) if r.fix_time else None,
                geofence_number=fences.get(r.geofence_id) if r.geofence_id else None,
                attributes=dict(r.attributes or {}),
            )
            for r in rows
        ]

    # -- audit ----------------------------------------------------------------------------

    def audit(self, policy: Policy, clock: Clock, action: str) -> None:
        audit_read(
            self.session,
            policy,
            clock,
            customer_id=self.customer_id,
            action=action,
            categories=self.read,
        )

    def _unseal(self, obj: object, column: str) -> str | None:
        try:
            return self.vault.unseal(self.session, obj, column)
        except TrackguardError:
            return None  # key destroyed (erased): shown as unknown, not an error
