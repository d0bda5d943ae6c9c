"""How one position's payload is encoded before the vault encrypts it.

Everything that places a person (coordinates, speed, heading, altitude, fix
quality, battery) travels inside one AES-GCM ciphertext per row; only the device
id and the fix time stay plaintext, for time-ordered queries. The tracking
issue's batch writer is meant to reuse these three functions so demo positions
and real ones decrypt the same way:

* `encode_position_payload` / `decode_position_payload`: compact JSON, sorted keys.
* `position_row_binding`: the "row" the ciphertext's associated data binds to.
  Positions have integer ids that the database assigns on insert, too late to bind
  to, so the binding is `<device id>|<fix time, UTC ISO 8601 with microseconds>`:
  known before insert, unique per device and fix, and a payload copied onto
  another device's or another moment's row no longer decrypts.
* `position_key_ref`: which key encrypted it (the owner's location key, or the
  fleet's for a device nobody activated), as `positions.key_ref` records it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from trackguard.clock import as_utc

POSITION_TABLE = "positions"
POSITION_COLUMN = "payload"
POSITION_KEY_CLASS = "location"


@dataclass(frozen=True)
class PositionFix:
    """The encrypted part of a position."""

    lat: float  # WGS84 degrees
    lon: float
    speed: float  # km/h
    course: float  # degrees from north, 0..360
    altitude: float  # metres above mean sea level
    satellites: int
    valid: bool  # the receiver's own verdict on the fix
    battery: int  # percent


def encode_position_payload(fix: PositionFix) -> bytes:
    """Rounded to what a tracker really resolves (~0.1 m, 0.1 km/h) so the JSON stays small."""
    values = asdict(fix)
    values["lat"], values["lon"] = round(fix.lat, 6), round(fix.lon, 6)
    values["speed"], values["course"] = round(fix.speed, 1), round(fix.course, 1) % 360
    values["altitude"] = round(fix.altitude, 1)
    return json.dumps(values, sort_keys=True, separators=(",", ":")).encode()


def decode_position_payload(payload: bytes) -> PositionFix:
    return PositionFix(**json.loads(payload))


def position_row_binding(device_id: str, fix_time: datetime) -> str:
    """The associated-data row of a position: `<device id>|<UTC fix time>`.

    Always microsecond precision and `+00:00`, so a fix time read back from SQLite
    (naive) or PostgreSQL (aware) gives the same string as the one written.
    """
    return f"{device_id}|{as_utc(fix_time).isoformat(timespec='microseconds')}"


def position_key_ref(customer_id: str | None, version: int) -> str:
    """What `positions.key_ref` records: the owner's location key, or the fleet's."""
    if customer_id is None:
        return f"fleet:{version}"
    return f"subject:{customer_id}:{POSITION_KEY_CLASS}:{version}"
