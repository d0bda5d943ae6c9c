"""`/api/server`, `/api/devices`, `/api/positions`, `/api/geofences`: the customer's own only.

Each request reads in one transaction and writes one audit entry for what it
read. Ids of other customers' things answer 404, exactly like ids that do not
exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field
from starlette.exceptions import HTTPException

from trackguard.runtime import Runtime
from trackguard.tracking.positions import StoredPosition
from trackguard.web.auth.principal import CurrentCustomer
from trackguard.web.deps import ApiReads, get_runtime
from trackguard.web.traccar import schemas
from trackguard.web.traccar.access import CustomerData, OwnDevice
from trackguard.web.traccar.ids import position_id
from trackguard.web.traccar.params import (
    MAX_ID,
    MAX_IDS,
    MAX_POSITION_PERIOD,
    IdList,
    IdValue,
    period,
)
from trackguard.web.traccar.responses import EncodedJSON, TraccarJSON
from trackguard.web.traccar.serialize import (
    device_json,
    geofence_json,
    position_json,
    server_json,
)

router = APIRouter(prefix="/api", tags=["traccar"])
PRIVATE = {"Cache-Control": "no-store"}


ApiRuntime = Annotated[Runtime, Depends(get_runtime)]

Ids = Annotated[IdList, Query(alias="id", max_length=MAX_IDS, description="Repeat for several.")]
UniqueIds = Annotated[
    list[Annotated[str, Field(max_length=64)]],
    Query(alias="uniqueId", max_length=MAX_IDS, description="IMEI; repeat for several."),
]
DeviceId = Annotated[IdValue | None, Query(alias="deviceId")]
OptionalFrom = Annotated[datetime | None, Query(alias="from")]
OptionalTo = Annotated[datetime | None, Query(alias="to")]
PathId = Annotated[int, Path(ge=0, le=MAX_ID)]


@router.get("/server", response_model=schemas.Server)
def server() -> TraccarJSON:
    """What this server offers (public, as in Traccar)."""
    return TraccarJSON(server_json())


def devices_json(data: CustomerData, devices: Sequence[OwnDevice], now: datetime) -> list[Any]:
    latest = data.latest_positions(devices)
    unique_ids = data.unique_ids(devices)
    return [
        device_json(
            number=d.number,
            name=d.name,
            unique_id=unique_ids[d.id],
            model=d.model,
            last_seen=d.last_seen,
            latest_position=position_id(d.number, latest[d.id].time) if d.id in latest else None,
            now=now,
        )
        for d in devices
    ]


def positions_json(pairs: Sequence[tuple[OwnDevice, StoredPosition]]) -> list[Any]:
    return [
        position_json(
            device_number=d.number,
            fix_time=p.time,
            server_time=p.received_at,
            fix=p.fix,
            protocol=d.protocol,
        )
        for d, p in pairs
    ]


def _read_now(runtime: Runtime, customer_id: str, action: str, build: Any) -> TraccarJSON:
    # No in-process turn for the audit write: a request that already wrote (numbering a
    # new device) would hold SQLite's write lock while waiting for it, and deadlock.
    with runtime.db.session() as session:
        data = CustomerData(session, runtime.vault, customer_id)
        body = build(data)
        data.audit(runtime.policy, runtime.clock, action)
    return TraccarJSON(body, headers=PRIVATE)


async def _read(
    runtime: Runtime, reads: CapacityLimiter, customer_id: str, action: str, build: Any
) -> TraccarJSON:
    """Read, audit and encode in one trip to a thread (the routes are async, so FastAPI adds
    no hop of its own per dependency and route), on one of the `reads` threads."""
    return await to_thread.run_sync(_read_now, runtime, customer_id, action, build, limiter=reads)


@router.get("/devices", response_model=list[schemas.Device])
async def devices(
    runtime: ApiRuntime,
    reads: ApiReads,
    principal: CurrentCustomer,
    ids: Ids = [],  # noqa: B006 - FastAPI copies defaults
    unique_ids: UniqueIds = [],  # noqa: B006
) -> TraccarJSON:
    """The customer's devices; `id` or `uniqueId` pick some (an `id` not theirs: 404)."""

    def build(data: CustomerData) -> list[Any]:
        if ids:
            chosen = data.devices_numbered(ids)
            if unique_ids:
                picked = {d.id for d in data.devices_with_unique_ids(unique_ids)}
                chosen = [d for d in chosen if d.id in picked]
        elif unique_ids:
            chosen = data.devices_with_unique_ids(unique_ids)
        else:
            chosen = data.devices()
        return devices_json(data, chosen, runtime.clock())

    return await _read(runtime, reads, principal.id, "traccar.devices.read", build)


@router.get("/devices/{device_id}", response_model=schemas.Device)
async def device(
    runtime: ApiRuntime, reads: ApiReads, principal: CurrentCustomer, device_id: PathId
) -> TraccarJSON:
    """One of the customer's devices (404 for any other id)."""

    def build(data: CustomerData) -> Any:
        return devices_json(data, data.devices_numbered([device_id]), runtime.clock())[0]

    return await _read(runtime, reads, principal.id, "traccar.devices.read", build)


@router.get("/positions", response_model=list[schemas.Position])
async def positions(
    runtime: ApiRuntime,
    reads: ApiReads,
    principal: CurrentCustomer,
    ids: Ids = [],  # noqa: B006
    device_id: DeviceId = None,
    start: OptionalFrom = None,
    end: OptionalTo = None,
) -> TraccarJSON:
    """Latest position of each device; `deviceId` + `from` + `to`: that device's history;
    `id`: those positions."""
    if (start is None) != (end is None):
        raise HTTPException(400, "Give both 'from' and 'to', or neither.")
    if start is not None and device_id is None:
        raise HTTPException(400, "A history needs 'deviceId'.")

    def build(data: CustomerData) -> list[Any] | EncodedJSON:
        if ids:
            return positions_json(data.positions_numbered(ids))
        if device_id is None:
            return EncodedJSON(data.latest_items())
        chosen = data.devices_numbered([device_id])
        if start is not None and end is not None:
            begin, finish = period(start, end, MAX_POSITION_PERIOD)
            return EncodedJSON(data.history_items(chosen[0], begin, finish))
        latest = data.latest_positions(chosen)
        return positions_json([(d, latest[d.id]) for d in chosen if d.id in latest])

    return await _read(runtime, reads, principal.id, "traccar.positions.read", build)


@router.get("/geofences", response_model=list[schemas.Geofence])
async def geofences(
    runtime: ApiRuntime, reads: ApiReads, principal: CurrentCustomer, device_id: DeviceId = None
) -> TraccarJSON:
    """The customer's geofences; `deviceId`: those that device watches."""

    def build(data: CustomerData) -> list[Any]:
        only = data.devices_numbered([device_id])[0] if device_id is not None else None
        return [geofence_json(g.number, g.name, g.area) for g in data.geofences(only)]

    return await _read(runtime, reads, principal.id, "traccar.geofences.read", build)


@router.get("/geofences/{geofence_id}", response_model=schemas.Geofence)
async def geofence(
    runtime: ApiRuntime, reads: ApiReads, principal: CurrentCustomer, geofence_id: PathId
) -> TraccarJSON:
    def build(data: CustomerData) -> Any:
        g = data.geofence_numbered(geofence_id)
        return geofence_json(g.number, g.name, g.area)

    return await _read(runtime, reads, principal.id, "traccar.geofences.read", build)
