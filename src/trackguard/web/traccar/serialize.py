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
from trackguard.tracking.geo import KNOTS_PER_KMH, kmh_to_knots
from trackguard.tracking.position_blocks import FixColumns
from trackguard.tracking.positions import PositionFix
from trackguard.web.traccar.ids import SECONDS_BITS, SECONDS_MASK, position_id

# The Traccar API generation whose subset trackguard answers (ids, units, shapes).
TRACCAR_API_VERSION = "5.12"
# Traccar's default `status.timeout`: a device silent for longer is offline.
ONLINE_WINDOW = timedelta(minutes=10)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return as_utc(moment).isoformat(timespec="milliseconds")[:-6] + "Z"  # "+00:00" -> "Z"


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
    return traccar_attributes(
        fix.attributes, fix.battery, fix.satellites, fix.ignition, fix.motion, fix.alarm
    )


def traccar_attributes(
    attributes: Mapping[str, Any] | None,
    battery: float | None,
    satellites: int | None,
    ignition: bool | None,
    motion: bool | None,
    alarm: str | None,
) -> dict[str, Any]:
    found: dict[str, Any] = dict(attributes) if attributes else {}
    if battery is not None:
        found["batteryLevel"] = battery
    if satellites is not None:
        found["sat"] = satellites
    if ignition is not None:
        found["ignition"] = ignition
    if motion is not None:
        found["motion"] = motion
    if alarm is not None:
        found["alarm"] = alarm
    return found


def position_json(
    *,
    device_number: int,
    fix_time: datetime,
    server_time: datetime,
    fix: PositionFix,
    protocol: str | None,
) -> dict[str, Any]:
    fixed = iso(fix_time)
    return {
        "id": position_id(device_number, fix_time),
        "deviceId": device_number,
        "protocol": fix.protocol or protocol or "",
        "serverTime": iso(server_time),
        "deviceTime": fixed,
        "fixTime": fixed,
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


def column_positions_json(
    device_number: int, protocol: str | None, found: FixColumns
) -> list[dict[str, Any]]:
    """`position_json` of every fix in `found`, straight from the decoded columns.

    A day of history is thousands of fixes: no object per fix on the way, and the
    times are sliced from the columns' ISO text rather than parsed and formatted.
    """
    c = found.columns
    high = device_number << SECONDS_BITS
    hours: dict[str, int] = {}  # "2026-03-01T10" -> its UTC epoch second
    template = _position_template(device_number)
    items = []
    for (
        t, r, lat, lon, speed, course, altitude, valid,
        own_protocol, attrs, battery, sat, ignition, motion, alarm,
    ) in zip(
        found.time, found.received, c["lat"], c["lon"], c["speed"], c["course"],
        c["altitude"], c["valid"], c["protocol"], c["attributes"], c["battery"],
        c["satellites"], c["ignition"], c["motion"], c["alarm"], strict=True,
    ):  # fmt: skip
        hour = hours.get(t[:13])
        if hour is None:
            hour = hours[t[:13]] = int(datetime.fromisoformat(f"{t[:13]}:00+00:00").timestamp())
        fixed = f"{t[:23]}Z"
        item = template.copy()  # a copy and twelve stores: cheaper than an 18-key literal
        item["id"] = high | ((hour + _SECOND_OF_HOUR[t[14:19]]) & SECONDS_MASK)
        item["protocol"] = own_protocol or protocol or ""
        item["serverTime"] = f"{r[:23]}Z"
        item["deviceTime"] = item["fixTime"] = fixed
        item["valid"] = valid
        item["latitude"] = lat
        item["longitude"] = lon
        item["altitude"] = altitude if altitude is not None else 0.0
        item["speed"] = speed * KNOTS_PER_KMH
        item["course"] = course if course is not None else 0.0
        item["attributes"] = traccar_attributes(attrs, battery, sat, ignition, motion, alarm)
        items.append(item)
    return items


def _position_template(device_number: int) -> dict[str, Any]:
    """A `position_json` item's keys in order, with what every item of one device shares."""
    return {
        "id": 0,
        "deviceId": device_number,
        "protocol": "",
        "serverTime": "",
        "deviceTime": "",
        "fixTime": "",
        "outdated": False,
        "valid": False,
        "latitude": 0.0,
        "longitude": 0.0,
        "altitude": 0.0,
        "speed": 0.0,
        "course": 0.0,
        "address": None,
        "accuracy": 0.0,
        "network": None,
        "geofenceIds": None,
        "attributes": None,  # set per item: never one dict shared by all
    }


# "MM:SS" -> seconds into the hour: a look-up is several times cheaper than int() twice.
_SECOND_OF_HOUR = {f"{m:02d}:{s:02d}": m * 60 + s for m in range(60) for s in range(60)}


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
