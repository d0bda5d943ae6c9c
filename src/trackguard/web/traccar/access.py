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
from typing import Any

from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.orm import Session

from trackguard.clock import Clock, as_utc
from trackguard.errors import NotFound, TrackguardError
from trackguard.policy import Policy
from trackguard.store.models.accounts import Customer
from trackguard.store.models.antitheft import DeviceGeofence, Event, Geofence
from trackguard.store.models.tracking import Device
from trackguard.store.models.web import TraccarId
from trackguard.tracking.devices import pseudonym
from trackguard.tracking.events import list_events, read_geofence
from trackguard.tracking.position_blocks import FixColumns
from trackguard.tracking.positions import StoredPosition, read_fix_columns, read_positions
from trackguard.tracking.positions import latest_positions as newest_positions
from trackguard.vault import Vault
from trackguard.web.traccar import position_lists
from trackguard.web.traccar.audit import audit_read
from trackguard.web.traccar.ids import numbers_for, refs_for, split_position_id
from trackguard.web.traccar.rendered import rendered_rows_of
from trackguard.web.traccar.serialize import column_positions_json

# What a device row holds besides its IMEI: the record itself, its name, when it was last seen.
DEVICE_CATEGORIES = ("user.device", "user.content.private", "user.location.precise")
IMEI_CATEGORY = "user.device.device_id"
LOCATION = "user.location.precise"
GEOFENCE_CATEGORIES = ("user.location.precise", "user.content.private")
PROFILE_CATEGORIES = ("user.name", "user.contact.email")
ONE_SECOND = timedelta(seconds=1)
_CHUNK = 500  # ids per IN (...) list
_DEVICE_COLUMNS = (
    Device.id,
    Device.name,
    Device.imei_index,
    Device.model,
    Device.protocol,
    Device.last_seen_at,
    TraccarId.id,
)
# The customer's devices with these numbers. Built once: a device's history asks for it
# on every request, and a statement used again skips SQLAlchemy's construction work.
_NUMBERED = (
    select(*_DEVICE_COLUMNS)
    .join(TraccarId, TraccarId.device_id == Device.id)
    .where(
        Device.customer_id == bindparam("customer_id"),
        TraccarId.id.in_(bindparam("numbers", expanding=True)),
    )
    .order_by(Device.created_at, Device.id)
)


@dataclass(frozen=True, slots=True)
class OwnDevice:
    """A device as the API names it; its IMEI only on request (`CustomerData.unique_ids`)."""

    id: str
    number: int
    name: str
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
        self._devices: list[OwnDevice] | None = None  # all of them, once asked for
        self._known: dict[str, OwnDevice] = {}  # every device loaded so far, by id
        self._unique_ids: dict[str, str] = {}
        self._latest: dict[str, StoredPosition | None] = {}  # None: never reported

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
    # Most answers need a device's number, name or protocol only: its row's plain columns.
    # The IMEI is encrypted, so it is opened only for answers that show it.

    def devices(self) -> list[OwnDevice]:
        """The customer's devices, oldest first."""
        if self._devices is None:
            self._devices = self._load()
        return self._devices

    def devices_numbered(self, numbers: Iterable[int]) -> list[OwnDevice]:
        """Exactly these devices; NotFound when any is not the customer's."""
        wanted = list(dict.fromkeys(numbers))
        by_number = self._numbered(wanted)
        if len(by_number) < len(wanted):
            raise NotFound("no such device")
        return [by_number[n] for n in wanted]

    def devices_with_unique_ids(self, unique_ids: Iterable[str]) -> list[OwnDevice]:
        """The customer's devices with these IMEIs (others' and unknown ones left out)."""
        wanted = {self.vault.blind_index("imei", u) for u in unique_ids}
        return self._load(Device.imei_index.in_(wanted))

    def device_by_id(self, device_id: str) -> OwnDevice | None:
        if device_id not in self._known and self._devices is None:
            self._load(Device.id == device_id)
        return self._known.get(device_id)

    def unique_ids(self, devices: Iterable[OwnDevice]) -> dict[str, str]:
        """Device id -> IMEI (a pseudonym where the key was destroyed), opened once per request."""
        ids = [d.id for d in devices]
        missing = [i for i in dict.fromkeys(ids) if i not in self._unique_ids]
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            for row in self.session.scalars(select(Device).where(Device.id.in_(chunk))):
                imei = self._unseal(row, "imei") or pseudonym(row.imei_index)
                self._unique_ids[row.id] = imei
        self.read.add(IMEI_CATEGORY)
        return {i: self._unique_ids[i] for i in ids}

    def _numbered(self, numbers: Sequence[int]) -> dict[int, OwnDevice]:
        """The customer's devices among these numbers, by number (others left out)."""
        if self._devices is not None:
            wanted = set(numbers)
            return {d.number: d for d in self._devices if d.number in wanted}
        if not numbers:
            return {}
        params = {"customer_id": self.customer_id, "numbers": list(numbers)}
        # Core, not ORM: the session's ORM layer would cost more than the query.
        found = self._own(self.session.connection().execute(_NUMBERED, params).all())
        return {d.number: d for d in found}

    def _load(self, *where: ColumnElement[bool]) -> list[OwnDevice]:
        """The customer's devices matching `where`, oldest first (numbered where new)."""
        query = (
            select(*_DEVICE_COLUMNS)
            .outerjoin(TraccarId, TraccarId.device_id == Device.id)
            .where(Device.customer_id == self.customer_id, *where)
            .order_by(Device.created_at, Device.id)
        )
        return self._own(self.session.execute(query).all())

    def _own(self, rows: Sequence[Sequence[Any]]) -> list[OwnDevice]:
        """`_DEVICE_COLUMNS` rows as devices, numbering those that have no number yet."""
        unnumbered = [row[0] for row in rows if row[-1] is None]
        numbers = numbers_for(self.session, "device", unnumbered) if unnumbered else {}
        found = [
            OwnDevice(
                id=device_id,
                number=number if number is not None else numbers[device_id],
                name=name or pseudonym(imei_index),
                model=model,
                protocol=protocol,
                last_seen=as_utc(last_seen) if last_seen else None,
            )
            # unpacked: cheaper than row.name
            for device_id, name, imei_index, model, protocol, last_seen, number in rows
        ]
        self._known.update((d.id, d) for d in found)
        self.read.update(DEVICE_CATEGORIES)
        return found

    # -- positions ------------------------------------------------------------------------

    def latest_positions(self, devices: Sequence[OwnDevice]) -> dict[str, StoredPosition]:
        """Each device's newest position (devices that never reported are left out)."""
        if not devices:
            return {}
        missing = [d.id for d in devices if d.id not in self._latest]
        if missing:
            found = newest_positions(self.session, self.vault, missing)
            self._latest.update((i, found.get(i)) for i in missing)
        self.read.add(LOCATION)
        return {d.id: p for d in devices if (p := self._latest[d.id]) is not None}

    def history(self, device: OwnDevice, start: datetime, end: datetime) -> list[StoredPosition]:
        self.read.add(LOCATION)
        return read_positions(self.session, self.vault, device.id, start=start, end=end)

    def history_columns(self, device: OwnDevice, start: datetime, end: datetime) -> FixColumns:
        """`history` as decoded columns: for answers that list thousands of fixes."""
        self.read.add(LOCATION)
        return read_fix_columns(self.session, self.vault, device.id, start=start, end=end)

    # The two lists of `GET /api/positions`, as encoded JSON (see `position_lists`).

    def latest_items(self) -> bytes:
        """The newest position of each device, devices oldest first (as `latest_positions`),
        as a JSON array."""
        cache = rendered_rows_of(self.vault)
        devices, body = position_lists.latest_items(
            self.session, self.vault, cache, self.customer_id
        )
        self.read.update(DEVICE_CATEGORIES)
        if devices:
            self.read.add(LOCATION)
        return body

    def history_items(self, device: OwnDevice, start: datetime, end: datetime) -> bytes:
        """`history_columns` as Traccar positions, a JSON array."""
        self.read.add(LOCATION)

        def slowly() -> list[dict[str, Any]]:
            found = self.history_columns(device, start, end)
            return column_positions_json(device.number, device.protocol, found)

        return position_lists.history_items(
            self.session,
            self.vault,
            rendered_rows_of(self.vault),
            (device.id, device.number, device.protocol),
            start,
            end,
            slowly,
        )

    def positions_numbered(self, numbers: Iterable[int]) -> list[tuple[OwnDevice, StoredPosition]]:
        """The positions with these numbers; NotFound when any is not the customer's."""
        wanted = [split_position_id(n) for n in dict.fromkeys(numbers)]
        devices = self._numbered(list(dict.fromkeys(number for number, _ in wanted)))
        found = []
        for device_number, second in wanted:
            device = devices.get(device_number)
            if device is None:
                raise NotFound("no such position")
            # A position number names its second: the first fix within it.
            hit = read_positions(
                self.session, self.vault, device.id, start=second, end=second + ONE_SECOND, limit=1
            )
            if not hit:
                raise NotFound("no such position")
            found.append((device, hit[0]))
        self.read.add(LOCATION)
        return found

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
