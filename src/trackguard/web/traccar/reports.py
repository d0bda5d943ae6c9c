"""`/api/reports/events|route|trips|stops|summary` as JSON, for the customer's devices.

`deviceId` (repeatable) picks devices; none means all the customer's devices
(`groupId` is accepted and ignored: trackguard has no device groups). `from` and
`to` are required. Trips, stops and summaries come from `tracking.trips` with
Traccar's default thresholds; speeds in knots, distances in metres, durations
in milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from trackguard.runtime import Runtime
from trackguard.tracking.stored_fixes import fixes_of
from trackguard.tracking.trips import TripsAndStops, daily_summaries, detect, summarize
from trackguard.web.auth.principal import CurrentCustomer
from trackguard.web.deps import CurrentRuntime
from trackguard.web.traccar import schemas
from trackguard.web.traccar.access import CustomerData, OwnDevice
from trackguard.web.traccar.ids import position_id
from trackguard.web.traccar.params import (
    MAX_EVENT_PERIOD,
    MAX_IDS,
    MAX_POSITION_PERIOD,
    DeviceIds,
    From,
    GroupIds,
    To,
    period,
)
from trackguard.web.traccar.resources import PRIVATE
from trackguard.web.traccar.responses import TraccarJSON
from trackguard.web.traccar.serialize import column_positions_json, event_json

router = APIRouter(prefix="/api/reports", tags=["reports"])
EventTypes = Annotated[
    # Traccar's event types are letters only; anything else (a NUL byte, say) is a 422.
    list[Annotated[str, Field(max_length=40, pattern=r"^[A-Za-z]+$")]],
    Query(alias="type", max_length=MAX_IDS, description="Event types; 'allEvents' or none: all."),
]
Daily = Annotated[bool, Query(description="One summary per UTC day.")]


def _report(
    runtime: Runtime,
    customer_id: str,
    action: str,
    device_ids: Sequence[int],
    build: Callable[[CustomerData, list[OwnDevice]], list[Any]],
) -> TraccarJSON:
    with runtime.db.session() as session:
        data = CustomerData(session, runtime.vault, customer_id)
        devices = data.devices_numbered(device_ids) if device_ids else data.devices()
        body = build(data, devices)
        data.audit(runtime.policy, runtime.clock, action)
    return TraccarJSON(body, headers=PRIVATE)


def _detected(
    begin: datetime,
    finish: datetime,
    items_of: Callable[[OwnDevice, TripsAndStops], Iterable[dict[str, Any]]],
) -> Callable[[CustomerData, list[OwnDevice]], list[Any]]:
    """A report builder: `items_of` each device's trips and stops over [begin, finish)."""

    def build(data: CustomerData, devices: list[OwnDevice]) -> list[Any]:
        items: list[Any] = []
        for d in devices:
            items.extend(items_of(d, detect(fixes_of(data.history(d, begin, finish)))))
        return items

    return build


@router.get("/events", response_model=list[schemas.Event])
def events(
    runtime: CurrentRuntime,
    principal: CurrentCustomer,
    start: From,
    end: To,
    device_ids: DeviceIds = [],  # noqa: B006
    group_ids: GroupIds = [],  # noqa: B006
    types: EventTypes = [],  # noqa: B006
) -> TraccarJSON:
    """Events of the devices in [from, to), oldest first."""
    begin, finish = period(start, end, MAX_EVENT_PERIOD)
    wanted = [t for t in types if t != "allEvents"]

    def build(data: CustomerData, devices: list[OwnDevice]) -> list[Any]:
        return [
            event_json(
                number=e.number,
                type=e.type,
                time=e.time,
                device_number=e.device.number,
                fix_time=e.fix_time,
                geofence_number=e.geofence_number,
                attributes=e.attributes,
            )
            for e in data.events(devices, begin, finish, wanted)
        ]

    return _report(runtime, principal.id, "traccar.reports.events", device_ids, build)


@router.get("/route", response_model=list[schemas.Position])
def route(
    runtime: CurrentRuntime,
    principal: CurrentCustomer,
    start: From,
    end: To,
    device_ids: DeviceIds = [],  # noqa: B006
    group_ids: GroupIds = [],  # noqa: B006
) -> TraccarJSON:
    """Every position of the devices in [from, to), per device oldest first."""
    begin, finish = period(start, end, MAX_POSITION_PERIOD)

    def build(data: CustomerData, devices: list[OwnDevice]) -> list[Any]:
        items: list[Any] = []
        for d in devices:
            found = data.history_columns(d, begin, finish)
            items.extend(column_positions_json(d.number, d.protocol, found))
        return items

    return _report(runtime, principal.id, "traccar.reports.route", device_ids, build)


@router.get("/trips", response_model=list[schemas.Trip])
def trips(
    runtime: CurrentRuntime,
    principal: CurrentCustomer,
    start: From,
    end: To,
    device_ids: DeviceIds = [],  # noqa: B006
    group_ids: GroupIds = [],  # noqa: B006
) -> TraccarJSON:
    """Trips of the devices in [from, to)."""
    begin, finish = period(start, end, MAX_POSITION_PERIOD)

    def trip_items(d: OwnDevice, found: TripsAndStops) -> Iterable[dict[str, Any]]:
        for trip in found.trips:
            yield trip.to_traccar(d.number) | {
                "deviceName": d.name,
                "startPositionId": position_id(d.number, trip.start_time),
                "endPositionId": position_id(d.number, trip.end_time),
                "startAddress": None,
                "endAddress": None,
            }

    build = _detected(begin, finish, trip_items)
    return _report(runtime, principal.id, "traccar.reports.trips", device_ids, build)


@router.get("/stops", response_model=list[schemas.Stop])
def stops(
    runtime: CurrentRuntime,
    principal: CurrentCustomer,
    start: From,
    end: To,
    device_ids: DeviceIds = [],  # noqa: B006
    group_ids: GroupIds = [],  # noqa: B006
) -> TraccarJSON:
    """Stops of the devices in [from, to)."""
    begin, finish = period(start, end, MAX_POSITION_PERIOD)

    def stop_items(d: OwnDevice, found: TripsAndStops) -> Iterable[dict[str, Any]]:
        for stop in found.stops:
            yield stop.to_traccar(d.number) | {
                "deviceName": d.name,
                "positionId": position_id(d.number, stop.start_time),
                "address": None,
            }

    build = _detected(begin, finish, stop_items)
    return _report(runtime, principal.id, "traccar.reports.stops", device_ids, build)


@router.get("/summary", response_model=list[schemas.Summary])
def summary(
    runtime: CurrentRuntime,
    principal: CurrentCustomer,
    start: From,
    end: To,
    device_ids: DeviceIds = [],  # noqa: B006
    group_ids: GroupIds = [],  # noqa: B006
    daily: Daily = False,
) -> TraccarJSON:
    """Distance, speeds (and engine hours where known) per device over [from, to)."""
    begin, finish = period(start, end, MAX_POSITION_PERIOD)

    def build(data: CustomerData, devices: list[OwnDevice]) -> list[Any]:
        items: list[Any] = []
        for d in devices:
            fixes = fixes_of(data.history(d, begin, finish))
            if daily:
                last_day = (finish - timedelta(microseconds=1)).date()
                found = [
                    s
                    for s in daily_summaries(fixes, begin.date(), last_day, UTC)
                    if s.start_time < finish and s.end_time > begin
                ]
            else:
                found = [summarize(fixes, begin, finish)]
            items.extend(s.to_traccar(d.number) | {"deviceName": d.name} for s in found)
        return items

    return _report(runtime, principal.id, "traccar.reports.summary", device_ids, build)
