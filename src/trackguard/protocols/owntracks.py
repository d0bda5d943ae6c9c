"""OwnTracks JSON over MQTT: the apps publish to `owntracks/<user>/<device>` on the broker.

Registered as "mqtt" (`--protocol mqtt`). Payloads follow the OwnTracks JSON format
(https://owntracks.org/booklet/tech/json/): `_type: "location"` carries `lat`,
`lon`, `tst` (unix seconds, all three required), `vel` (km/h), `cog` (degrees),
`alt` (m), `acc`/`vac` (m), `batt` (percent), `bs` (battery status 0 unknown,
1 unplugged, 2 charging, 3 full), `t` (what triggered the report), `tid`, `conn`
and `m`. Every other `_type` (transition, waypoint(s), lwt, card, cmd, status,
encrypted...) decodes to `Decoded(kind="other")` without positions, as does an
empty payload (a retained message being cleared).

The device is `<user>/<device>` from the topic, not `tid`: the tracker id is two
characters a user picks, not unique, while the broker's ACL binds the topic to the
user's credentials. Traccar's HTTP-mode decoder uses the payload's `topic` (with
'/' turned into '-') or else `tid`; MQTT payloads carry no `topic`, so a `topic`
in the payload is ignored and `tid` is kept as an attribute. Subtopics
(`owntracks/<user>/<device>/event`, `/waypoint`, `/info`...) name the same device.

The MQTT subscriber (aiomqtt) hands each message to `decode` as
`message_frame(topic, payload)`. MQTT has no device-level ack: `Decoded.ack` is
None and the broker's PUBACK is the client library's business.

A few OwnTracks-speaking vehicle trackers put event codes in `t` (as Traccar
decodes them): "9" low battery, "e" power cut, "s" overspeed, "!" towed (mapped
to the movement alarm), "i"/"I" ignition on/off; they also send `ign` and
`motion` booleans.
"""

from __future__ import annotations

import json
import math
from typing import Literal

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

NAME = "mqtt"
TOPIC_ROOT = "owntracks"
MAX_FRAME = 64 * 1024  # a card's base64 face image is the largest payload the apps send
MAX_TOPIC = 512
MAX_TEXT = 64
SIMULATED_USER = "sim"

_BATTERY_STATUS = {0: "unknown", 1: "unplugged", 2: "charging", 3: "full"}
_TRIGGER_ALARMS = {
    "9": Alarm.LOW_BATTERY,
    "e": Alarm.POWER_CUT,
    "s": Alarm.OVERSPEED,
    "!": Alarm.MOVEMENT,
}
_ALARM_TRIGGERS = {alarm: trigger for trigger, alarm in _TRIGGER_ALARMS.items()}
_TRIGGER_IGNITION = {"i": True, "I": False}


def _fail(reason: str) -> ProtocolError:
    # Names the field, never the value: values can be personal data.
    return ProtocolError(f"{NAME}: {reason}")


_FIELDS = _json.JsonFields(_fail, MAX_TEXT)


# ---------------------------------------------------------------------------
# The canonical message frame (the subscriber builds it, decode reads it)


def message_frame(topic: str, payload: bytes) -> bytes:
    """The bytes `decode` takes for one MQTT message: UTF-8 topic, NUL, payload.

    MQTT forbids NUL in topic names, so the first NUL always ends the topic.
    Raises ProtocolError for a topic with NUL or longer than MAX_TOPIC bytes, or a
    frame longer than MAX_FRAME (the subscriber logs and drops such a message).
    """
    try:
        encoded = topic.encode("utf-8")
    except UnicodeEncodeError:
        raise _fail("topic is not UTF-8") from None
    if b"\x00" in encoded or len(encoded) > MAX_TOPIC:
        raise _fail(f"topic has NUL or is longer than {MAX_TOPIC} bytes")
    frame = encoded + b"\x00" + payload
    if len(frame) > MAX_FRAME:
        raise _fail(f"message longer than {MAX_FRAME} bytes")
    return frame


def parse_message_frame(frame: bytes) -> tuple[str, bytes]:
    """The inverse of `message_frame`: (topic, payload)."""
    if len(frame) > MAX_FRAME:
        raise _fail(f"message longer than {MAX_FRAME} bytes")
    topic, nul, payload = frame.partition(b"\x00")
    if not nul or len(topic) > MAX_TOPIC:
        raise _fail("not a message frame")
    try:
        return topic.decode("utf-8"), payload
    except UnicodeDecodeError:
        raise _fail("topic is not UTF-8") from None


def device_key_of(topic: str) -> str:
    """`owntracks/<user>/<device>[/...]` -> `<user>/<device>`; ProtocolError otherwise."""
    levels = topic.split("/")
    if len(levels) < 3 or levels[0] != TOPIC_ROOT:
        raise _fail(f"topic is not {TOPIC_ROOT}/<user>/<device>")
    user, device = levels[1], levels[2]
    for name in (user, device):
        if not 0 < len(name) <= MAX_TEXT or not name.isprintable() or "+" in name or "#" in name:
            raise _fail(f"user or device in the topic is not 1..{MAX_TEXT} printable characters")
    return f"{user}/{device}"


# ---------------------------------------------------------------------------
# Decoding


def decode(frame: bytes, session: Session) -> Decoded:
    """One message frame -> a position (or alarm), or `other` for non-location types.

    `session` is not used: every message's topic names its device.
    """
    topic, payload = parse_message_frame(frame)
    device_key = device_key_of(topic)
    if not payload.strip():
        return Decoded(kind="other", device_key=device_key)
    try:
        message = _json.loads(payload)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the stack
        raise _fail("payload is not valid JSON") from None
    if not isinstance(message, dict):
        raise _fail("payload is not a JSON object")
    kind = message.get("_type")
    if not isinstance(kind, str) or not 0 < len(kind) <= MAX_TEXT:
        raise _fail("no '_type' text")
    if kind != "location":
        return Decoded(kind="other", device_key=device_key, attributes=_json.frozen({"type": kind}))
    report = _location(device_key, message)
    decoded_kind: Literal["alarm", "position"] = "alarm" if report.alarm else "position"
    return Decoded(kind=decoded_kind, device_key=device_key, positions=(report,))


def _location(device_key: str, message: dict[str, object]) -> PositionReport:
    latitude = _FIELDS.required(message, "lat")
    longitude = _FIELDS.required(message, "lon")
    if not -90.0 <= latitude <= 90.0:
        raise _fail("latitude outside -90..90")
    if not -180.0 <= longitude <= 180.0:
        raise _fail("longitude outside -180..180")
    time = _json.epoch(_FIELDS.required(message, "tst"), _fail, "tst")
    speed = _FIELDS.number(message, "vel")
    course = _FIELDS.number(message, "cog")
    batt = _FIELDS.number(message, "batt")

    attributes: dict[str, object] = {}
    for key, name in (("acc", "accuracy"), ("vac", "verticalAccuracy")):
        value = _FIELDS.number(message, key)
        if value is not None and value >= 0.0:
            attributes[name] = value
    for key, name in (("tid", "tid"), ("t", "trigger"), ("conn", "conn")):
        text = _FIELDS.text(message, key)
        if text is not None:
            attributes[name] = text
    mode = _FIELDS.number(message, "m")
    if mode is not None:
        attributes["monitoringMode"] = mode
    status = _FIELDS.number(message, "bs")
    if status is not None and status in _BATTERY_STATUS:
        attributes["batteryStatus"] = _BATTERY_STATUS[int(status)]
        if status:
            attributes["charge"] = status >= 2  # on the charger: charging or full

    trigger = _FIELDS.text(message, "t")
    ignition = _FIELDS.flag(message, "ign")
    if trigger in _TRIGGER_IGNITION:
        ignition = _TRIGGER_IGNITION[trigger]
    return PositionReport(
        protocol=NAME,
        device_key=device_key,
        time=time,
        valid=True,
        latitude=latitude,
        longitude=longitude,
        speed=max(0.0, speed) if speed is not None else 0.0,
        course=_json.course(course) if course is not None else None,
        altitude=_FIELDS.number(message, "alt"),
        battery=batt if batt is not None and 0.0 <= batt <= 100.0 else None,
        ignition=ignition,
        motion=_FIELDS.flag(message, "motion"),
        alarm=_TRIGGER_ALARMS.get(trigger) if trigger is not None else None,
        attributes=_json.frozen(attributes),
    )


# ---------------------------------------------------------------------------
# The simulated device


def topic_of(device_key: str) -> str:
    """The topic a simulated device publishes to: `<user>/<device>` keys map back to
    themselves; a key without '/' (an IMEI) publishes as user `sim`."""
    if device_key.count("/") == 1:
        return f"{TOPIC_ROOT}/{device_key}"
    return f"{TOPIC_ROOT}/{SIMULATED_USER}/{device_key}"


def encode_position(report: PositionReport, seq: int) -> bytes:
    """A location message as the apps publish it: integers for tst, vel, cog, alt, batt.

    Alarms with an OwnTracks trigger code go out in `t`; others are not expressible.
    `seq` is not part of the protocol.
    """
    message: dict[str, object] = {
        "_type": "location",
        "lat": report.latitude,
        "lon": report.longitude,
        "tst": math.floor(report.time.timestamp()),
        "vel": round(report.speed),
        "tid": report.device_key[-2:],
    }
    if report.course is not None:
        message["cog"] = round(report.course) % 360
    if report.altitude is not None:
        message["alt"] = round(report.altitude)
    if report.battery is not None:
        message["batt"] = round(report.battery)
    if report.ignition is not None:
        message["ign"] = report.ignition
    if report.motion is not None:
        message["motion"] = report.motion
    trigger = _ALARM_TRIGGERS.get(report.alarm) if report.alarm is not None else None
    if trigger is not None:
        message["t"] = trigger
    payload = json.dumps(message, separators=(",", ":")).encode()
    return message_frame(topic_of(report.device_key), payload)


def _no_hello(device_key: str) -> None:
    """The MQTT connection's login is the broker's, not the payload's."""
    return None


def read_ack(buffer: bytes) -> int:
    """Always 0: nothing answers a report (`acks_positions=False`). The broker's PUBACK
    says it took the message, not that trackguard stored it, and the MQTT client
    library handles it; a simulator publishing over MQTT must not wait for an ack."""
    return 0


SPEC = ProtocolSpec(
    name=NAME,
    transport="mqtt",
    default_port=None,
    max_frame=MAX_FRAME,
    decode=decode,
    frame=None,
    encoder=DeviceEncoder(
        hello=_no_hello, position=encode_position, read_ack=read_ack, acks_positions=False
    ),
)
