"""Traccar's JSON shapes, from plain values (pure: no database, no vault).

Field names follow Traccar's API reference. Units as Traccar: speeds in knots,
distances in metres, durations in milliseconds, altitudes in metres, times ISO
8601 in UTC with milliseconds and `Z`. Ids are the integers of `traccar.ids`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from trackguard import __version__
from trackguard.clock import as_utc
from trackguard.tracking.geo import kmh_to_knots
from trackguard.tracking.positions import PositionFix
from trackguard.web.traccar.ids import position_id

# The Traccar API generation whose subset trackguard answers (ids, units, shapes).
TRACCAR_API_VERSION = "5.12"
# Traccar's default `status.timeout`: a device silent for longer is offline.
ONLINE_WINDOW = timedelta(minutes=10)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return as_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def server_json() -> dict[str, Any]:
    """`GET /api/server`: what this server offers; nothing about anyone."""
    return {
        "id": 1,
        "registration": False,
        "readonly": False,
        "deviceReadonly": True,
        "limitCommands": True,
        "map": None,
        "bingKey": None,
        "mapUrl": None,
        "poiLayer": None,
        "latitude": 0.0,
        "longitude": 0.0,
        "zoom": 0,
        "twelveHourFormat": False,
        "version": TRACCAR_API_VERSION,
        "forceSettings": False,
        "coordinateFormat": None,
        "openIdEnabled": False,
        "openIdForce": False,
        "attributes": {"trackguard": __version__},
    }


def user_json(number: int, name: str | None, email: str | None) -> dict[str, Any]:
    """`/api/session`: the signed-in customer (no phone or address: not needed here)."""
    return {
        "id": number,
        "name": name or "",
        "email": email or "",
        "phone": None,
        "readonly": False,
        "administrator": False,
        "map": None,
        "latitude": 0.0,
        "longitude": 0.0,
        "zoom": 0,
        "twelveHourFormat": False,
        "coordinateFormat": None,
        "disabled": False,
        "expirationTime": None,
        "deviceLimit": -1,
        "userLimit": 0,
        "deviceReadonly": True,
        "limitCommands": True,
        "fixedEmail": True,
        "poiLayer": None,
        "attributes": {},
    }


def device_status(last_seen: datetime | None, now: datetime) -> str:
    if last_seen is None:
        return "unknown"
    return "online" if as_utc(now) - as_utc(last_seen) <= ONLINE_WINDOW else "offline"


def device_json(
    *,
    number: int,
    name: str,
    unique_id: str,
    model: str | None,
    last_seen: datetime | None,
    latest_position: int | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": number,
        "name": name,
        "uniqueId": unique_id,
        "status": device_status(last_seen, now),
        "disabled": False,
        "lastUpdate": iso(last_seen),
        "positionId": latest_position or 0,
        "groupId": 0,
        "calendarId": 0,
        "phone": None,
        "model": model,
        "contact": None,
        "category": None,
        "expirationTime": None,
        "attributes": {},
    }


def position_attributes(fix: PositionFix) -> dict[str, Any]:
    """Protocol attributes plus Traccar's names for the ones trackguard keeps apart."""
    attributes: dict[str, Any] = dict(fix.attributes)
    known = {
        "batteryLevel": fix.battery,
        "sat": fix.satellites,
        "ignition": fix.ignition,
        "motion": fix.motion,
        "alarm": fix.alarm,
    }
    attributes.update({k: v for k, v in known.items() if v is not None})
    return attributes


def position_json(
    *,
    device_number: int,
    fix_time: datetime,
    server_time: datetime,
    fix: PositionFix,
    protocol: str | None,
) -> dict[str, Any]:
    return {
        "id": position_id(device_number, fix_time),
        "deviceId": device_number,
        "protocol": fix.protocol or protocol or "",
        "serverTime": iso(server_time),
        "deviceTime": iso(fix_time),
        "fixTime": iso(fix_time),
        "outdated": False,
        "valid": fix.valid,
        "latitude": fix.lat,
        "longitude": fix.lon,
        "altitude": fix.altitude if fix.altitude is not None else 0.0,
        "speed": kmh_to_knots(fix.speed),
        "course": fix.course if fix.course is not None else 0.0,
        "address": None,
        "accuracy": 0.0,
        "network": None,
        "geofenceIds": None,
        "attributes": position_attributes(fix),
    }


def live_fix(data: Mapping[str, Any]) -> tuple[datetime, PositionFix]:
    """A LiveHub position message (`tracking.live.position_data`, km/h) as a fix."""
    fix_time = datetime.fromisoformat(str(data["fixTime"]).replace("Z", "+00:00"))
    fix = PositionFix(
        lat=float(data["latitude"]),
        lon=float(data["longitude"]),
        speed=float(data.get("speed") or 0.0),
        course=data.get("course"),
        altitude=data.get("altitude"),
        satellites=None,
        valid=bool(data.get("valid", True)),
        battery=data.get("battery"),
        ignition=data.get("ignition"),
        motion=data.get("motion"),
        alarm=data.get("alarm"),
    )
    return fix_time, fix


def geofence_json(number: int, name: str, area: str) -> dict[str, Any]:
    return {
        "id": number,
        "name": name,
        "description": None,
        "area": area,
        "calendarId": 0,
        "attributes": {},
    }


def event_json(
    *,
    number: int,
    type: str,
    time: datetime,
    device_number: int,
    fix_time: datetime | None,
    geofence_number: int | None,
    attributes: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "id": number,
        "type": type,
        "eventTime": iso(time),
        "deviceId": device_number,
        "positionId": position_id(device_number, fix_time) if fix_time is not None else 0,
        "geofenceId": geofence_number or 0,
        "maintenanceId": 0,
        "attributes": dict(attributes),
    }
