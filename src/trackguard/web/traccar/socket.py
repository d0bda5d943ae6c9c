"""`/api/socket`: Traccar's WebSocket of live devices, positions and events.

Authenticated like every call (session cookie, as Traccar clients use it after
`POST /api/session`; a bearer or Basic header works too); a handshake from
another site's page (an `Origin` that is not this host) is refused. On connect
it sends `{"devices": [...]}` and `{"positions": [...]}` (the latest of each
device), as Traccar does; then every position and event the LiveHub publishes
for the customer, as `{"positions": [...]}`, `{"devices": [...]}` (the device's
new status) and `{"events": [...]}`. An empty `{}` keeps idle connections alive
and is when the session is checked again: a revoked session ends the socket.

The connection writes one audit entry when it opens (what the first messages
show); the live pushes that follow are covered by it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from trackguard.clock import as_utc
from trackguard.runtime import Runtime
from trackguard.tracking.live import LiveHub, LiveMessage, Subscription
from trackguard.web.auth.principal import Principal, WebAuth, resolve_principal, still_signed_in
from trackguard.web.traccar.access import CustomerData, OwnDevice
from trackguard.web.traccar.ids import position_id
from trackguard.web.traccar.resources import devices_json, positions_json
from trackguard.web.traccar.responses import json_bytes
from trackguard.web.traccar.serialize import (
    device_json,
    event_json,
    live_fix,
    position_json,
)

router = APIRouter()
log = logging.getLogger(__name__)
KEEPALIVE_SECONDS = 30.0
POLICY_VIOLATION = 1008  # WebSocket close code: refused (no or bad credentials)
MAX_BATCH = 500


def same_origin(websocket: WebSocket) -> bool:
    """No Origin (a native client) or this very host: a browser on another site is refused."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == websocket.headers.get("host", "").lower()


@dataclass
class LiveView:
    """What this connection has shown, so pushes name devices by their Traccar ids."""

    runtime: Runtime
    customer_id: str
    devices: dict[str, OwnDevice] = field(default_factory=dict)
    unique_ids: dict[str, str] = field(default_factory=dict)
    device_items: dict[str, dict[str, Any]] = field(default_factory=dict)

    def snapshot(self) -> tuple[list[Any], list[Any]]:
        """The opening messages: devices and their latest positions (one audit entry)."""
        with self.runtime.db.session() as session:
            data = CustomerData(session, self.runtime.vault, self.customer_id)
            own = data.devices()
            latest = data.latest_positions(own)
            devices = devices_json(data, own, self.runtime.clock())
            positions = positions_json([(d, latest[d.id]) for d in own if d.id in latest])
            self.unique_ids = data.unique_ids(own)
            data.audit(self.runtime.policy, self.runtime.clock, "traccar.socket.open")
        self.devices = {d.id: d for d in own}
        self.device_items = {d.id: item for d, item in zip(own, devices, strict=True)}
        return devices, positions

    def convert(self, batch: list[LiveMessage]) -> list[dict[str, Any]]:
        """Traccar messages for a batch of LiveHub messages (reads the database as needed)."""
        if any(m.device_id not in self.devices for m in batch):
            self._reload_devices()
        now = as_utc(self.runtime.clock())
        positions, changed, events = [], {}, []
        event_ids = [str(m.data.get("id")) for m in batch if m.kind == "event"]
        found_events = self._events(event_ids) if event_ids else {}
        for message in batch:
            device = self.devices.get(message.device_id)
            if device is None:
                continue  # no longer the customer's
            if message.kind == "position":
                fix_time, fix = live_fix(message.data)
                positions.append(
                    position_json(
                        device_number=device.number,
                        fix_time=fix_time,
                        server_time=now,
                        fix=fix,
                        protocol=device.protocol,
                    )
                )
                changed[device.id] = self._moved(device, fix_time, now)
            elif (event := found_events.get(str(message.data.get("id")))) is not None:
                events.append(event)
        out: list[dict[str, Any]] = []
        if positions:
            out.append({"positions": positions})
        if changed:
            out.append({"devices": list(changed.values())})
        if events:
            out.append({"events": events})
        return out

    def _moved(self, device: OwnDevice, fix_time: datetime, now: datetime) -> dict[str, Any]:
        item = device_json(
            number=device.number,
            name=device.name,
            unique_id=self.unique_ids[device.id],
            model=device.model,
            last_seen=now,
            latest_position=position_id(device.number, fix_time),
            now=now,
        )
        self.device_items[device.id] = item
        return item

    def _reload_devices(self) -> None:
        """The customer's devices now (one was added), with the IMEIs of the new ones."""
        with self.runtime.db.session() as session:
            data = CustomerData(session, self.runtime.vault, self.customer_id)
            own = data.devices()
            self.unique_ids |= data.unique_ids(d for d in own if d.id not in self.unique_ids)
        self.devices = {d.id: d for d in own}

    def _events(self, event_ids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        with self.runtime.db.session() as session:
            data = CustomerData(session, self.runtime.vault, self.customer_id)
            for event_id in event_ids:
                event = data.event_by_id(event_id)
                if event is not None:
                    found[event_id] = event_json(
                        number=event.number,
                        type=event.type,
                        time=event.time,
                        device_number=event.device.number,
                        fix_time=event.fix_time,
                        geofence_number=event.geofence_number,
                        attributes=event.attributes,
                    )
        return found


@router.websocket("/api/socket")
async def live_socket(websocket: WebSocket) -> None:
    runtime: Runtime = websocket.app.state.runtime
    auth: WebAuth = websocket.app.state.auth
    hub: LiveHub = websocket.app.state.live
    principal = None
    if same_origin(websocket):
        with contextlib.suppress(HTTPException):
            principal = await run_in_threadpool(resolve_principal, websocket, runtime, auth)
    if principal is None or principal.kind != "customer":
        await websocket.close(code=POLICY_VIOLATION)  # before accept: the handshake gets 403
        return
    await websocket.accept()
    view = LiveView(runtime, principal.id)
    with hub.subscribe(principal.id) as subscription:  # before the snapshot: nothing slips by
        devices, positions = await run_in_threadpool(view.snapshot)
        try:
            await websocket.send_text(json_bytes({"devices": devices}).decode())
            await websocket.send_text(json_bytes({"positions": positions}).decode())
            await _relay(websocket, subscription, view, principal, auth)
        except (WebSocketDisconnect, RuntimeError):
            return  # the client went away


async def _relay(
    websocket: WebSocket,
    subscription: Subscription,
    view: LiveView,
    principal: Principal,
    auth: WebAuth,
) -> None:
    listener = asyncio.create_task(_until_closed(websocket))
    try:
        while not listener.done():
            getter = asyncio.create_task(subscription.get())
            done, _ = await asyncio.wait(
                {getter, listener}, timeout=KEEPALIVE_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
            if getter not in done:
                getter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await getter
                if listener.done():
                    return
                now = as_utc(auth.clock())
                if not await run_in_threadpool(still_signed_in, view.runtime, principal, now):
                    await websocket.close(code=POLICY_VIOLATION)
                    return
                await websocket.send_text("{}")
                continue
            first = getter.result()
            if first is None:
                return  # the hub closed the subscription
            batch = [first]
            while subscription.pending() and len(batch) < MAX_BATCH:
                more = await subscription.get()
                if more is None:
                    break
                batch.append(more)
            for payload in await run_in_threadpool(view.convert, batch):
                await websocket.send_text(json_bytes(payload).decode())
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await listener


async def _until_closed(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, until it disconnects."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
