"""OsmAnd protocol: HTTP requests from the OsmAnd app, Traccar Client and DIY trackers (port 5055).

Two shapes of one request, as Traccar's OsmAndProtocolDecoder accepts them
(https://www.traccar.org/osmand/):

* Query or form parameters (GET query string, or a form-encoded POST body):
  `id`/`deviceid` (required), `lat`+`lon` or `location=lat,lon`, `timestamp`
  (unix seconds, unix milliseconds, ISO 8601 or "yyyy-MM-dd HH:mm:ss", UTC),
  `speed` in knots, `bearing`/`heading`, `altitude`, `accuracy`, `hdop`,
  `batt`/`battery` (percent), `charge`, `valid`, `motion`, `ignition`, `alarm`,
  `driverUniqueId`, `cell`/`wifi` (repeatable); any other parameter is kept as an
  attribute (number, boolean or string, as Traccar does).
* The JSON body Traccar Client 9+ posts (the background-geolocation SDK's own
  format): `{"device_id", "location": {"timestamp", "coords": {"latitude",
  "longitude", "accuracy", "speed" (m/s), "heading", "altitude"}, "is_moving",
  "odometer", "event", "battery": {"level" 0..1, "is_charging"}, "activity":
  {"type"}, "extras"}}`; `location` may also be a list (the SDK's batch sync).
  The SDK reports -1 for an unknown speed, heading or battery level.

HTTP is the gateway's business, so the "frame" this module decodes is a canonical
byte form of one request that the gateway builds with `request_frame` (and
`parse_request_frame` reads back). The gateway answers 200 OK once the positions
are committed and 400 Bad Request on `ProtocolError`, so `Decoded.ack` is always
None; it should refuse bodies longer than `MAX_FRAME` before reading them whole.

Choices where Traccar leans on server state this pure decoder does not have:
a request without a timestamp takes the gateway's `received_at` (none given:
ProtocolError); a request without coordinates, or with lat=lon=0 (what trackers
send without a fix), is a heartbeat carrying its attributes instead of a position
at the last known place.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import parse_qsl, urlencode

from trackguard.clock import as_utc
from trackguard.protocols import _json
from trackguard.protocols.base import (
    Alarm,
    Decoded,
    DeviceEncoder,
    PositionReport,
    ProtocolError,
    ProtocolSpec,
    Session,
)

NAME = "osmand"
DEFAULT_PORT = 5055
MAX_FRAME = 32 * 1024  # a Traccar Client batch of ~30 locations; one report is < 1 KiB
MAX_PARAMS = 64
MAX_KEY = 64
MAX_VALUE = 256
MAX_EXTRAS = 32
MAX_BATCH = 100
KNOTS_TO_KMH = 1.852
MPS_TO_KMH = 3.6
# Traccar's rule: an integer timestamp below 2^31 - 1 is seconds, above it milliseconds.
MILLIS_FROM = 2**31 - 1
EARLIEST, LATEST = _json.EARLIEST, _json.LATEST
# Parameters with a meaning here; any other is kept as an attribute.
REPEATABLE_PARAMETERS = frozenset({"cell", "wifi"})
NAMED_PARAMETERS = frozenset(
    {
        "id",
        "deviceid",
        "valid",
        "timestamp",
        "lat",
        "lon",
        "location",
        "speed",
        "bearing",
        "heading",
        "altitude",
        "accuracy",
        "hdop",
        "batt",
        "battery",
        "charge",
        "motion",
        "ignition",
        "alarm",
        "driverUniqueId",
    }
)

_METHOD = re.compile(r"[A-Z]{1,16}")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_INTEGER = re.compile(r"[0-9]{1,20}")
_TRUE = frozenset({"true", "1", "on", "yes"})
_FALSE = frozenset({"false", "0", "off", "no"})
_ALARMS = {alarm.value.lower(): alarm for alarm in Alarm}


def _fail(reason: str) -> ProtocolError:
    # Names the field, never the value: values can be personal data.
    return ProtocolError(f"{NAME}: {reason}")


_FIELDS = _json.JsonFields(_fail, MAX_VALUE)


# ---------------------------------------------------------------------------
# The canonical request frame (the gateway builds it, decode reads it)


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One request as `parse_request_frame` reads it back from a frame."""

    method: str
    query: str  # still percent-encoded, without the leading '?'
    content_type: str | None
    body: bytes
    received_at: datetime | None = None


def request_frame(
    method: str,
    query: str | bytes,
    content_type: str | None,
    body: bytes,
    *,
    received_at: datetime | None = None,
) -> bytes:
    """The bytes `decode` takes for one HTTP request; pure, no I/O.

    `query` is the raw, still percent-encoded query string (the ASGI scope's
    `query_string` bytes, or the str; a leading '?' is dropped); `content_type` is
    the Content-Type header or None; `received_at` is when the gateway received the
    request, the fix time of requests that carry no timestamp (naive means UTC).

    Layout: `METHOD \\n query \\n content type \\n received at (ISO 8601) \\n body`,
    each of the first four lines free of CR/LF. Raises ProtocolError for what no
    device may send (a bad method, CR/LF in the query or header, more than
    MAX_FRAME bytes), which the gateway answers with 400.
    """
    if not isinstance(method, str) or not _METHOD.fullmatch(method.upper()):
        raise _fail("the HTTP method is not a token")
    if isinstance(query, str):
        try:
            query = query.encode("utf-8")
        except UnicodeEncodeError:
            raise _fail("the query string is not UTF-8") from None
    query = query.removeprefix(b"?")
    header = b"" if content_type is None else content_type.encode("utf-8", "replace")
    if any(c in part for part in (query, header) for c in (b"\n", b"\r")):
        raise _fail("line break in the query string or Content-Type")
    stamp = b"" if received_at is None else as_utc(received_at).isoformat().encode()
    frame = b"\n".join((method.upper().encode(), query, header, stamp, body))
    if len(frame) > MAX_FRAME:
        raise _fail(f"request longer than {MAX_FRAME} bytes")
    return frame


def parse_request_frame(frame: bytes) -> HttpRequest:
    """The inverse of `request_frame`; ProtocolError for anything it cannot have built."""
    if len(frame) > MAX_FRAME:
        raise _fail(f"request longer than {MAX_FRAME} bytes")
    parts = frame.split(b"\n", 4)
    if len(parts) != 5:
        raise _fail("not a request frame")
    method, query, header, stamp, body = parts
    try:
        method_text = method.decode("ascii")
        query_text = query.decode("utf-8")
        header_text = header.decode("utf-8")
        stamp_text = stamp.decode("ascii")
    except UnicodeDecodeError:
        raise _fail("request frame is not text where it must be") from None
    if not _METHOD.fullmatch(method_text) or "\r" in query_text + header_text:
        raise _fail("not a request frame")
    received_at = None
    if stamp_text:
        try:
            received_at = datetime.fromisoformat(stamp_text)
        except ValueError:
            raise _fail("received-at is not an ISO 8601 time") from None
        if received_at.utcoffset() is None:
            raise _fail("received-at has no time zone")
        received_at = _in_range(received_at)
    return HttpRequest(method_text, query_text, header_text or None, body, received_at)


# ---------------------------------------------------------------------------
# Decoding


def decode(frame: bytes, session: Session) -> Decoded:
    """One request frame -> a position (or alarm), or a heartbeat when it has no fix.

    `session` is not used: every OsmAnd request names its device.
    """
    request = parse_request_frame(frame)
    body = request.body.strip()
    if body and ("json" in (request.content_type or "").lower() or body.startswith(b"{")):
        return _decode_json(body)
    params = _form_pairs(request.query, "query string")
    if body:
        try:
            params += _form_pairs(body.decode("utf-8"), "form body")
        except UnicodeDecodeError:
            raise _fail("form body is not UTF-8") from None
    if len(params) > MAX_PARAMS:
        raise _fail(f"more than {MAX_PARAMS} parameters")
    return _decode_params(params, request.received_at)


def _form_pairs(text: str, where: str) -> list[tuple[str, str]]:
    if text.count("&") >= MAX_PARAMS:
        raise _fail(f"more than {MAX_PARAMS} parameters")
    try:
        return parse_qsl(text, keep_blank_values=True, errors="strict")
    except ValueError:  # percent-encoded bytes that are not UTF-8
        raise _fail(f"{where} is not valid form encoding") from None


def _decode_params(params: list[tuple[str, str]], received_at: datetime | None) -> Decoded:
    fields: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    extras: dict[str, object] = {}
    for key, value in params:
        if not key or not value:
            continue  # an empty parameter says nothing (Traccar would answer 400)
        if len(key) > MAX_KEY or len(value) > MAX_VALUE:
            raise _fail(f"parameter longer than {MAX_KEY} (name) or {MAX_VALUE} (value)")
        if key in REPEATABLE_PARAMETERS:
            multi.setdefault(key, []).append(value)
        elif key in NAMED_PARAMETERS:
            fields[key] = value
        else:
            extras[key] = _attribute(value)

    ids = {fields[k] for k in ("id", "deviceid") if k in fields}
    if not ids:
        raise _fail("no device id ('id' or 'deviceid')")
    if len(ids) > 1:
        raise _fail("'id' and 'deviceid' disagree")
    device_key = _device_key(ids.pop())

    attributes: dict[str, object] = {}
    for key, values in multi.items():
        attributes[key] = tuple(values)
    for key in ("accuracy", "hdop"):
        if key in fields:
            attributes[key] = _non_negative(_number(fields[key], key), key)
    if "driverUniqueId" in fields:
        attributes["driverUniqueId"] = fields["driverUniqueId"]
    if "charge" in fields:
        attributes["charge"] = _flag(fields["charge"], "charge")
    battery = None
    for key in ("batt", "battery"):
        if key in fields:
            level = _number(fields[key], key)
            if 0.0 <= level <= 100.0:
                battery = level
            else:  # a voltage or a raw ADC value: keep it, but it is not a percentage
                attributes[key] = level
    alarm = None
    if "alarm" in fields:
        alarm = _alarm(fields["alarm"])
        attributes["alarm"] = fields["alarm"]
    valid = _flag(fields["valid"], "valid") if "valid" in fields else True
    ignition = _flag(fields["ignition"], "ignition") if "ignition" in fields else None
    motion = _flag(fields["motion"], "motion") if "motion" in fields else None
    speed = 0.0
    if "speed" in fields:
        speed = max(0.0, _number(fields["speed"], "speed")) * KNOTS_TO_KMH
    course = None
    for key in ("bearing", "heading"):
        if key in fields:
            course = _json.course(_number(fields[key], key))
    altitude = _number(fields["altitude"], "altitude") if "altitude" in fields else None
    time = _param_time(fields["timestamp"]) if "timestamp" in fields else received_at
    attributes = {**extras, **attributes}  # a named parameter wins over an unknown one

    latitude, longitude = _param_coordinates(fields)
    if latitude is None or longitude is None or (latitude == 0.0 and longitude == 0.0):
        state = {"valid": valid, "battery": battery, "ignition": ignition, "motion": motion}
        attributes.update({k: v for k, v in state.items() if v is not None})
        return Decoded(kind="heartbeat", device_key=device_key, attributes=_json.frozen(attributes))
    if time is None:
        raise _fail("no 'timestamp' and no received-at time")
    report = PositionReport(
        protocol=NAME,
        device_key=device_key,
        time=time,
        valid=valid,
        latitude=latitude,
        longitude=longitude,
        speed=speed,
        course=course,
        altitude=altitude,
        battery=battery,
        ignition=ignition,
        motion=motion,
        alarm=alarm,
        attributes=_json.frozen(attributes),
    )
    kind: Literal["alarm", "position"] = "alarm" if alarm else "position"
    return Decoded(kind=kind, device_key=device_key, positions=(report,))


def _param_coordinates(fields: Mapping[str, str]) -> tuple[float | None, float | None]:
    latitude = _number(fields["lat"], "lat") if "lat" in fields else None
    longitude = _number(fields["lon"], "lon") if "lon" in fields else None
    if "location" in fields:
        parts = fields["location"].split(",")
        if len(parts) != 2:
            raise _fail("'location' is not 'lat,lon'")
        latitude, longitude = _number(parts[0], "location"), _number(parts[1], "location")
    if (latitude is None) != (longitude is None):
        raise _fail("only one of 'lat' and 'lon'")
    if latitude is not None and longitude is not None:
        _check_coordinates(latitude, longitude)
    return latitude, longitude


def _param_time(value: str) -> datetime:
    if _INTEGER.fullmatch(value):
        number = int(value)
        return _json.epoch(number / 1000 if number >= MILLIS_FROM else number, _fail)
    return _iso_time(value, "timestamp")


def _attribute(value: str) -> object:
    """Traccar's typing of an unknown parameter: a number, a boolean, else the text."""
    if _NUMBER.fullmatch(value):
        number = float(value)
        if math.isfinite(number):
            return number
    if value in ("true", "false"):
        return value == "true"
    return value


# ---------------------------------------------------------------------------
# The JSON body of Traccar Client 9+


def _decode_json(body: bytes) -> Decoded:
    try:
        root = _json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the stack
        raise _fail("body is not valid JSON") from None
    if not isinstance(root, dict):
        raise _fail("JSON body is not an object")
    device_id = root.get("device_id")
    if isinstance(device_id, int) and not isinstance(device_id, bool):
        device_id = str(device_id)
    if not isinstance(device_id, str) or not device_id:
        raise _fail("no 'device_id' in the JSON body")
    device_key = _device_key(device_id)
    location = root.get("location")
    if isinstance(location, dict):
        locations = [location]
    elif isinstance(location, list) and 0 < len(location) <= MAX_BATCH:
        locations = location
    else:
        raise _fail(f"'location' is not an object or a list of 1..{MAX_BATCH}")
    positions = tuple(_json_position(device_key, item) for item in locations)
    return Decoded(kind="position", device_key=device_key, positions=positions)


def _json_position(device_key: str, location: object) -> PositionReport:
    if not isinstance(location, dict):
        raise _fail("'location' is not an object")
    stamp = location.get("timestamp")
    if not isinstance(stamp, str):
        raise _fail("no 'timestamp' text in 'location'")
    time = _iso_time(stamp, "timestamp")
    coords = _FIELDS.object(location, "coords")
    if coords is None:
        raise _fail("no 'coords' in 'location'")
    latitude = _FIELDS.required(coords, "latitude")
    longitude = _FIELDS.required(coords, "longitude")
    _check_coordinates(latitude, longitude)
    speed = _FIELDS.number(coords, "speed")
    heading = _FIELDS.number(coords, "heading")
    accuracy = _FIELDS.number(coords, "accuracy")

    attributes: dict[str, object] = {}
    if accuracy is not None and accuracy >= 0.0:
        attributes["accuracy"] = accuracy
    for key in ("event", "uuid"):
        text = _FIELDS.text(location, key)
        if text is not None:
            attributes[key] = text
    odometer = _FIELDS.number(location, "odometer")
    if odometer is not None:
        attributes["odometer"] = odometer  # metres, as the SDK counts them
    mock = _FIELDS.flag(location, "mock")
    if mock is not None:
        attributes["mock"] = mock
    activity = _FIELDS.object(location, "activity")
    if activity is not None and _FIELDS.text(activity, "type") is not None:
        attributes["activity"] = _FIELDS.text(activity, "type")
    battery = None
    power = _FIELDS.object(location, "battery")
    if power is not None:
        level = _FIELDS.number(power, "level")
        if level is not None and 0.0 <= level <= 1.0:
            battery = level * 100.0
        charging = _FIELDS.flag(power, "is_charging")
        if charging is not None:
            attributes["charge"] = charging
    extras = _FIELDS.object(location, "extras")
    if extras is not None:
        if len(extras) > MAX_EXTRAS:
            raise _fail(f"more than {MAX_EXTRAS} 'extras'")
        for key, value in extras.items():
            if len(key) > MAX_KEY or (isinstance(value, str) and len(value) > MAX_VALUE):
                raise _fail(f"an 'extras' entry longer than {MAX_KEY}/{MAX_VALUE}")
            if isinstance(value, bool | str) or _json.finite(value):
                attributes.setdefault(key, value)

    return PositionReport(
        protocol=NAME,
        device_key=device_key,
        time=time,
        valid=True,
        latitude=latitude,
        longitude=longitude,
        speed=max(0.0, speed) * MPS_TO_KMH if speed is not None else 0.0,
        course=_json.course(heading) if heading is not None else None,
        altitude=_FIELDS.number(coords, "altitude"),
        battery=battery,
        motion=_FIELDS.flag(location, "is_moving"),
        attributes=_json.frozen(attributes),
    )


# ---------------------------------------------------------------------------
# Values shared by both shapes


def _device_key(value: str) -> str:
    # isprintable() is False for every white space but ' ' (tabs, line breaks, U+2003...).
    if not 0 < len(value) <= MAX_KEY or not value.isprintable() or " " in value:
        raise _fail(f"device id is not 1..{MAX_KEY} printable characters without spaces")
    return value


def _number(value: str, field: str) -> float:
    if len(value) > 40 or not _NUMBER.fullmatch(value):
        raise _fail(f"'{field}' is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise _fail(f"'{field}' is not a finite number")
    return number


def _non_negative(value: float, field: str) -> float:
    if value < 0.0:
        raise _fail(f"'{field}' is negative")
    return value


def _flag(value: str, field: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _fail(f"'{field}' is not a boolean")


def _alarm(value: str) -> Alarm:
    """Traccar's alarm names (a comma-separated list allowed); anything else is 'general'."""
    for name in value.split(","):
        alarm = _ALARMS.get(name.strip().lower())
        if alarm is not None:
            return alarm
    return Alarm.GENERAL


def _check_coordinates(latitude: float, longitude: float) -> None:
    if not -90.0 <= latitude <= 90.0:
        raise _fail("latitude outside -90..90")
    if not -180.0 <= longitude <= 180.0:
        raise _fail("longitude outside -180..180")


def _iso_time(value: str, field: str) -> datetime:
    """ISO 8601, or "yyyy-MM-dd HH:mm:ss" (Python reads both); no zone means UTC."""
    if len(value) > 40:
        raise _fail(f"'{field}' is not a time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(f"'{field}' is not a time") from None
    return _in_range(parsed)


def _in_range(value: datetime) -> datetime:
    try:
        value = as_utc(value)
    except OverflowError:  # year 1 with a positive offset, year 9999 with a negative one
        raise _fail("time outside 1970..2099") from None
    if not EARLIEST <= value < LATEST:
        raise _fail("time outside 1970..2099")
    return value


# ---------------------------------------------------------------------------
# The simulated device


def _no_hello(device_key: str) -> None:
    """HTTP has no login: every request names its device."""
    return None


def encode_position(report: PositionReport, seq: int) -> bytes:
    """A GET request frame the way Traccar Client's classic query format sends it.

    Speed goes out in knots, time in unix seconds (the fraction is dropped).
    `seq` is not part of the protocol.
    """
    params = [
        ("id", report.device_key),
        ("timestamp", str(math.floor(report.time.timestamp()))),
        ("lat", f"{report.latitude:.7f}"),
        ("lon", f"{report.longitude:.7f}"),
        ("speed", f"{report.speed / KNOTS_TO_KMH:.4f}"),
        ("valid", "true" if report.valid else "false"),
    ]
    if report.course is not None:
        params.append(("bearing", f"{report.course:.1f}"))
    if report.altitude is not None:
        params.append(("altitude", f"{report.altitude:.1f}"))
    if report.battery is not None:
        params.append(("batt", f"{report.battery:.0f}"))
    for key, flag in (("ignition", report.ignition), ("motion", report.motion)):
        if flag is not None:
            params.append((key, "true" if flag else "false"))
    if report.alarm is not None:
        params.append(("alarm", report.alarm.value))
    return request_frame("GET", urlencode(params), None, b"")


def read_ack(buffer: bytes) -> int:
    """Length of one complete HTTP/1.x response (status, headers, Content-Length body).

    The gateway's 200 OK is the OsmAnd "ack". A simulator that talks HTTP through a
    client library never needs this; one that writes raw HTTP on a socket does.
    """
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > 8192:
            raise _fail("HTTP response header longer than 8192 bytes")
        return 0
    lines = buffer[:end].decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/1."):
        raise _fail("not an HTTP/1.x response")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            if not _INTEGER.fullmatch(value.strip()):
                raise _fail("bad Content-Length")
            length = int(value.strip())
    total = end + 4 + length
    return total if len(buffer) >= total else 0


SPEC = ProtocolSpec(
    name=NAME,
    transport="http",
    default_port=DEFAULT_PORT,
    max_frame=MAX_FRAME,
    decode=decode,
    frame=None,
    encoder=DeviceEncoder(hello=_no_hello, position=encode_position, read_ack=read_ack),
)
