"""Anti-theft at the edge: arming, geofences, and the monitor that turns committed
positions into stored, delivered and live-pushed events.

Service functions take the caller's session (the CLI, the web API) and commit
with it:

    arm(session, device_id, customer_id=..., audit=AuditLog(clock))
    add_geofence(session, vault, customer_id, "Thuis", parse_area("CIRCLE (52.37 4.89, 150)"))
    link_geofence(session, device_id, geofence_id, customer_id=...)

The server builds one monitor and registers it with the gateway's batch writer:

    monitor = AntiTheftMonitor(db, vault, notifier=Notifier(db, vault,
                               NotifyConfig.from_settings(settings)), hub=hub)
    writer.on_committed(monitor.on_committed)      # ... and `await monitor.drain()` on stop

Per batch the monitor reads, in two small indexed queries, whether the
batch's devices are armed and which geofences they watch (with each geofence's
`updated_at`): arming, disarming and geofence changes therefore take effect from
the next batch, whichever process made them, and a geofence is decrypted again
only when it changed. It then applies the pure rules (`antitheft.evaluate`),
stores the events, pushes positions and events to the `LiveHub`, and hands alerts
to the `Notifier` in background tasks, so a slow SMTP server never holds up the
writer. Nothing it does raises into the writer: failures are logged (ids and
error kinds only) and the batch's positions stay committed. An armed device the
process has not seen since it started is anchored at its newest stored position.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from trackguard.clock import Clock, as_utc, system_clock
from trackguard.errors import Forbidden, NotFound, TrackguardError
from trackguard.privacy.audit import AuditLog
from trackguard.protocols.base import PositionReport
from trackguard.store.base import new_id
from trackguard.store.engine import Database
from trackguard.store.models.antitheft import DeviceGeofence, Event, Geofence
from trackguard.store.models.tracking import Device
from trackguard.tracking.antitheft import (
    AntiTheftConfig,
    DeviceWatch,
    RaisedEvent,
    WatchedGeofence,
    evaluate,
)
from trackguard.tracking.geofence import Area, parse_area
from trackguard.tracking.live import LiveHub
from trackguard.tracking.notify import Alert, Notifier, Status
from trackguard.tracking.positions import latest_positions
from trackguard.vault import Vault

log = logging.getLogger(__name__)

Actor = Literal["customer", "operator"]
PURPOSE = "service_delivery"
MAX_CACHED_GEOFENCES = 50_000


# -- arming ------------------------------------------------------------------------------------


def arm(
    session: Session,
    device_id: str,
    *,
    customer_id: str | None = None,
    actor: Actor = "customer",
    audit: AuditLog | None = None,
) -> Device:
    """Switch anti-theft on for a device; audited. See `set_armed`."""
    return set_armed(session, device_id, True, customer_id=customer_id, actor=actor, audit=audit)


def disarm(
    session: Session,
    device_id: str,
    *,
    customer_id: str | None = None,
    actor: Actor = "customer",
    audit: AuditLog | None = None,
) -> Device:
    """Switch anti-theft off for a device; audited. See `set_armed`."""
    return set_armed(session, device_id, False, customer_id=customer_id, actor=actor, audit=audit)


def set_armed(
    session: Session,
    device_id: str,
    armed: bool,
    *,
    customer_id: str | None = None,
    actor: Actor = "customer",
    audit: AuditLog | None = None,
) -> Device:
    """Arm or disarm `device_id` and write an audit entry about its owner.

    `customer_id` is who asks: a customer may only touch their own device
    (NotFound otherwise, so nobody learns which devices exist). An operator
    passes None and acts for the owner. Only an activated device can be armed.
    """
    device = _device(session, device_id, customer_id)
    if device.customer_id is None:
        raise Forbidden("only a device activated by a customer can be armed")
    device.armed = armed
    (audit or AuditLog()).append(
        session,
        actor=actor,
        role=actor,
        purpose=PURPOSE,
        subject_id=device.customer_id,
        categories=["user.device"],
        action="antitheft.arm" if armed else "antitheft.disarm",
    )
    session.flush()
    return device


# -- geofences ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GeofenceView:
    """A geofence decrypted, as the API and the command line show it."""

    id: str
    customer_id: str
    name: str
    area: Area
    device_ids: tuple[str, ...] = ()

    def to_traccar(self) -> dict[str, Any]:
        """Traccar's `/api/geofences` item (`id` is trackguard's string id)."""
        return {"id": self.id, "name": self.name, "area": self.area.to_wkt(), "attributes": {}}


def add_geofence(
    session: Session,
    vault: Vault,
    customer_id: str,
    name: str,
    area: Area,
    *,
    clock: Clock = system_clock,
) -> Geofence:
    """Store a customer's geofence (name and area encrypted under their location key)."""
    name = _geofence_name(name)
    now = clock()
    fence = Geofence(customer_id=customer_id, created_at=now, updated_at=now)
    vault.seal(session, fence, "name", name)
    vault.seal(session, fence, "area", area.to_wkt())
    session.add(fence)
    session.flush()
    return fence


def update_geofence(
    session: Session,
    vault: Vault,
    customer_id: str,
    geofence_id: str,
    *,
    name: str | None = None,
    area: Area | None = None,
    clock: Clock = system_clock,
) -> Geofence:
    fence = _geofence(session, geofence_id, customer_id)
    if name is not None:
        vault.seal(session, fence, "name", _geofence_name(name))
    if area is not None:
        vault.seal(session, fence, "area", area.to_wkt())
    fence.updated_at = clock()
    session.flush()
    return fence


def delete_geofence(session: Session, customer_id: str, geofence_id: str) -> None:
    """Delete a geofence, its links, and unlink it from its events (they stay)."""
    fence = _geofence(session, geofence_id, customer_id)
    session.execute(
        update(Event)
        .where(Event.geofence_id == geofence_id)
        .values(geofence_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(DeviceGeofence)
        .where(DeviceGeofence.geofence_id == geofence_id)
        .execution_options(synchronize_session=False)
    )
    session.delete(fence)
    session.flush()


def link_geofence(
    session: Session,
    device_id: str,
    geofence_id: str,
    *,
    customer_id: str | None = None,
    clock: Clock = system_clock,
) -> DeviceGeofence:
    """Let a device watch a geofence of its owner (idempotent)."""
    device = _device(session, device_id, customer_id)
    owner = device.customer_id
    if owner is None:
        raise Forbidden("only a device activated by a customer can watch a geofence")
    _geofence(session, geofence_id, owner)
    link = session.get(DeviceGeofence, (device_id, geofence_id))
    if link is None:
        link = DeviceGeofence(device_id=device_id, geofence_id=geofence_id, linked_at=clock())
        session.add(link)
        session.flush()
    return link


def unlink_geofence(
    session: Session,
    device_id: str,
    geofence_id: str,
    *,
    customer_id: str | None = None,
    clock: Clock = system_clock,
) -> bool:
    """Stop a device watching a geofence; touches the geofence (retention counts from it)."""
    _device(session, device_id, customer_id)
    link = session.get(DeviceGeofence, (device_id, geofence_id))
    if link is None:
        return False
    session.delete(link)
    fence = session.get(Geofence, geofence_id)
    if fence is not None:
        fence.updated_at = clock()
    session.flush()
    return True


def unlink_all_geofences(session: Session, device_id: str) -> int:
    """Drop every geofence link of a device (call it when the device changes owner)."""
    result = session.execute(
        delete(DeviceGeofence)
        .where(DeviceGeofence.device_id == device_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def read_geofence(session: Session, vault: Vault, fence: Geofence) -> GeofenceView:
    links = session.scalars(
        select(DeviceGeofence.device_id).where(DeviceGeofence.geofence_id == fence.id)
    ).all()
    return GeofenceView(
        id=fence.id,
        customer_id=fence.customer_id,
        name=vault.unseal(session, fence, "name") or "",
        area=parse_area(vault.unseal(session, fence, "area") or ""),
        device_ids=tuple(sorted(links)),
    )


def list_geofences(session: Session, vault: Vault, customer_id: str) -> list[GeofenceView]:
    fences = session.scalars(
        select(Geofence).where(Geofence.customer_id == customer_id).order_by(Geofence.created_at)
    ).all()
    return [read_geofence(session, vault, f) for f in fences]


# -- events ------------------------------------------------------------------------------------


def list_events(
    session: Session,
    *,
    customer_id: str | None = None,
    device_ids: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    types: Iterable[str] | None = None,
    limit: int | None = None,
) -> list[Event]:
    """Events, oldest first: Traccar's `/api/reports/events` filters (limit keeps the newest)."""
    query = select(Event)
    if customer_id is not None:
        query = query.where(Event.customer_id == customer_id)
    if device_ids is not None:
        query = query.where(Event.device_id.in_(list(device_ids)))
    if since is not None:
        query = query.where(Event.time >= since)
    if until is not None:
        query = query.where(Event.time < until)
    if types is not None:
        query = query.where(Event.type.in_(list(types)))
    query = query.order_by(Event.time.desc(), Event.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(reversed(session.scalars(query).all()))


class EventLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def time(self) -> datetime: ...
    @property
    def device_id(self) -> str: ...
    @property
    def geofence_id(self) -> str | None: ...
    @property
    def attributes(self) -> Mapping[str, Any]: ...


def traccar_event(event: EventLike) -> dict[str, Any]:
    """Traccar's event JSON. Its `positionId` is an integer trackguard does not keep:
    the API layer resolves (deviceId, fixTime) to its own position id."""
    return {
        "id": event.id,
        "type": event.type,
        "eventTime": _iso(event.time),
        "deviceId": event.device_id,
        "geofenceId": event.geofence_id,
        "attributes": dict(event.attributes or {}),
    }


# -- the monitor -------------------------------------------------------------------------------


class Committed(Protocol):
    """What the writer hands over per committed position."""

    @property
    def device_id(self) -> str: ...
    @property
    def customer_id(self) -> str | None: ...
    @property
    def report(self) -> PositionReport: ...


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event the monitor stored (the row's values, detached from any session)."""

    id: str
    device_id: str
    customer_id: str
    type: str
    time: datetime
    alert: bool
    geofence_id: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Rules:
    customer_id: str
    armed: bool
    geofences: tuple[WatchedGeofence, ...]


Seen = tuple[datetime, float, float]  # (fix time, lat, lon)


class AntiTheftMonitor:
    """Runs the anti-theft rules over committed positions; one per server process."""

    def __init__(
        self,
        db: Database,
        vault: Vault,
        *,
        notifier: Notifier | None = None,
        hub: LiveHub | None = None,
        config: AntiTheftConfig | None = None,
        max_deliveries: int = 8,
    ) -> None:
        self.db, self.vault = db, vault
        self.notifier, self.hub = notifier, hub
        self.config = config or AntiTheftConfig()
        self._watches: dict[str, DeviceWatch] = {}
        self._owners: dict[str, str] = {}
        self._fences: dict[str, tuple[datetime, Area | None]] = {}
        self._lock = asyncio.Lock()
        self._deliveries: set[asyncio.Task[Any]] = set()
        self._delivery_slots = asyncio.Semaphore(max_deliveries)
        self.failures = 0

    async def on_committed(self, batch: Sequence[Committed]) -> list[StoredEvent]:
        """Evaluate one committed batch; returns the events stored. Never raises."""
        owned = [c for c in batch if c.customer_id is not None]
        if not owned:
            return []
        try:
            async with self._lock:
                return await self._process(owned)
        except Exception as exc:
            self.failures += 1
            log.error("anti-theft evaluation of a batch failed: %s", type(exc).__name__)
            return []

    async def drain(self) -> None:
        """Wait until every delivery started so far has finished (tests, shutdown)."""
        while self._deliveries:
            await asyncio.gather(*list(self._deliveries), return_exceptions=True)

    def forget(self, device_id: str) -> None:
        """Drop what the monitor remembers of a device (e.g. when it changes owner)."""
        self._watches.pop(device_id, None)
        self._owners.pop(device_id, None)

    async def _process(self, batch: Sequence[Committed]) -> list[StoredEvent]:
        device_ids = sorted({c.device_id for c in batch})
        rules, anchors = await asyncio.to_thread(self._load, device_ids)
        raised: list[tuple[Committed, _Rules, RaisedEvent]] = []
        for item in batch:
            rule = rules.get(item.device_id)
            if rule is None:
                continue  # no longer exists, or no longer anyone's
            if self._owners.get(item.device_id, rule.customer_id) != rule.customer_id:
                self._watches.pop(item.device_id, None)  # a new owner starts afresh
            self._owners[item.device_id] = rule.customer_id
            watch = self._watch(item.device_id, rule.armed, anchors.get(item.device_id))
            watch, events = evaluate(watch, rule.geofences, item.report, self.config)
            self._watches[item.device_id] = watch
            raised.extend((item, rule, e) for e in events)
        stored = await asyncio.to_thread(self._store, raised) if raised else []
        self._publish(batch, rules, stored)
        if self.notifier is not None:
            for event, (item, _, _) in zip(stored, raised, strict=True):
                if event.alert:
                    self._start_delivery(event, item.report)
        return stored

    def _watch(self, device_id: str, armed: bool, seen: Seen | None) -> DeviceWatch:
        watch = self._watches.get(device_id) or DeviceWatch()
        if watch.last_fix is None and seen is not None:
            watch = replace(watch, last_fix=seen)
        if armed != watch.armed:
            watch = watch.arm() if armed else watch.disarm()
        return watch

    # -- database (worker threads) ------------------------------------------------------------

    def _load(self, device_ids: list[str]) -> tuple[dict[str, _Rules], dict[str, Seen | None]]:
        with self.db.session() as session:
            devices = session.execute(
                select(Device.id, Device.customer_id, Device.armed).where(
                    Device.id.in_(device_ids), Device.customer_id.is_not(None)
                )
            ).all()
            owners = {d.id: d.customer_id for d in devices}
            links = session.execute(
                select(
                    DeviceGeofence.device_id,
                    Geofence.id,
                    Geofence.customer_id,
                    Geofence.updated_at,
                )
                .join(Geofence, Geofence.id == DeviceGeofence.geofence_id)
                .where(DeviceGeofence.device_id.in_(list(owners)))
            ).all()
            stale = [
                link.id
                for link in links
                if self._fences.get(link.id, (None, None))[0] != as_utc(link.updated_at)
            ]
            if stale:
                self._refresh_fences(session, stale)
            watched: dict[str, list[WatchedGeofence]] = {}
            for link in links:
                area = self._fences.get(link.id, (None, None))[1]
                # A link left over from a previous owner watches nothing for the new one.
                if area is not None and link.customer_id == owners.get(link.device_id):
                    version = as_utc(link.updated_at).isoformat()
                    fence = WatchedGeofence(link.id, area, version)
                    watched.setdefault(link.device_id, []).append(fence)
            rules = {
                d.id: _Rules(d.customer_id, bool(d.armed), tuple(watched.get(d.id, ())))
                for d in devices
            }
            # An armed device this process has not seen yet (a restart): where it stood
            # is its newest stored position, so moving it away is still noticed.
            anchors: dict[str, Seen | None] = {}
            for d in devices:
                known = self._watches.get(d.id)
                if d.armed and (known is None or known.last_fix is None):
                    anchors[d.id] = self._newest_fix(session, d.id)
            return rules, anchors

    def _newest_fix(self, session: Session, device_id: str) -> Seen | None:
        try:
            newest = latest_positions(session, self.vault, [device_id]).get(device_id)
        except TrackguardError:
            return None
        if newest is None or not newest.fix.valid:
            return None
        return as_utc(newest.time), newest.fix.lat, newest.fix.lon

    def _refresh_fences(self, session: Session, ids: list[str]) -> None:
        if len(self._fences) + len(ids) > MAX_CACHED_GEOFENCES:
            self._fences.clear()  # rare; they are re-read on the next batch
        for fence in session.scalars(select(Geofence).where(Geofence.id.in_(ids))).all():
            area: Area | None
            try:
                area = parse_area(self.vault.unseal(session, fence, "area") or "")
            except TrackguardError as exc:  # key destroyed, or an area we cannot use
                log.warning("geofence %s is not usable: %s", fence.id, type(exc).__name__)
                area = None
            self._fences[fence.id] = (as_utc(fence.updated_at), area)

    def _store(self, raised: list[tuple[Committed, _Rules, RaisedEvent]]) -> list[StoredEvent]:
        pending = (Status.PENDING if self.notifier else Status.SKIPPED).value
        stored: list[StoredEvent] = []
        with self.db.session() as session:
            for item, rule, event in raised:
                row = Event(
                    id=new_id(),
                    device_id=item.device_id,
                    customer_id=rule.customer_id,
                    geofence_id=event.geofence_id,
                    type=event.type.value,
                    time=event.time,
                    fix_time=as_utc(item.report.time),
                    attributes=dict(event.attributes),
                    alert=event.alert,
                    email_status=pending if event.alert else Status.SKIPPED.value,
                    webhook_status=pending if event.alert else Status.SKIPPED.value,
                    delivery_attempts=0,
                )
                session.add(row)
                stored.append(
                    StoredEvent(
                        id=row.id,
                        device_id=row.device_id,
                        customer_id=row.customer_id,
                        type=row.type,
                        time=event.time,
                        alert=event.alert,
                        geofence_id=event.geofence_id,
                        attributes=dict(event.attributes),
                    )
                )
        return stored

    # -- live and delivery --------------------------------------------------------------------

    def _publish(
        self, batch: Sequence[Committed], rules: Mapping[str, _Rules], stored: list[StoredEvent]
    ) -> None:
        if self.hub is None:
            return
        for item in batch:
            rule = rules.get(item.device_id)
            if rule is not None:
                self.hub.publish_position(rule.customer_id, item.device_id, item.report)
        for event in stored:
            self.hub.publish_event(event.customer_id, event.device_id, traccar_event(event))

    def _start_delivery(self, event: StoredEvent, report: PositionReport) -> None:
        assert self.notifier is not None
        alert = Alert(
            event_id=event.id,
            customer_id=event.customer_id,
            device_id=event.device_id,
            type=event.type,
            time=event.time,
            geofence_id=event.geofence_id,
            attributes=event.attributes,
            position=report,
        )
        task = asyncio.create_task(self._deliver(alert))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, alert: Alert) -> None:
        assert self.notifier is not None
        async with self._delivery_slots:
            await self.notifier.deliver(alert)  # records its own failures, never raises


# -- helpers -----------------------------------------------------------------------------------


def _device(session: Session, device_id: str, customer_id: str | None) -> Device:
    device = session.get(Device, device_id)
    if device is None or (customer_id is not None and device.customer_id != customer_id):
        raise NotFound("no such device")
    return device


def _geofence(session: Session, geofence_id: str, customer_id: str | None) -> Geofence:
    fence = session.get(Geofence, geofence_id)
    if fence is None or (customer_id is not None and fence.customer_id != customer_id):
        raise NotFound("no such geofence")
    return fence


def _geofence_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200:
        raise TrackguardError("a geofence name is 1 to 200 characters")
    return name


def _iso(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")
