"""OwnTracks messages from the MQTT broker decode as the OwnTracks JSON format defines them.

Real payloads come from Traccar's OwnTracksProtocolDecoderTest (traccar/traccar) and
the OwnTracks booklet (https://owntracks.org/booklet/tech/json/ and
https://owntracks.org/booklet/features/waypoints/).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from invariants import check_decoded

from trackguard.protocols import owntracks
from trackguard.protocols.base import Alarm, Decoded, PositionReport, ProtocolError, Session

TOPIC = "owntracks/jane/phone"


def decode(payload: bytes, topic: str = TOPIC) -> Decoded:
    decoded = owntracks.decode(owntracks.message_frame(topic, payload), Session())
    check_decoded(decoded)
    assert decoded.ack is None  # MQTT: the broker's PUBACK is the client library's
    return decoded


def position(payload: bytes, topic: str = TOPIC) -> PositionReport:
    decoded = decode(payload, topic)
    assert decoded.kind in ("position", "alarm")
    (report,) = decoded.positions
    assert report.protocol == "mqtt"
    assert report.device_key == decoded.device_key
    return report


def utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# ---------------------------------------------------------------------------
# Real location messages

LOCATIONS = [
    pytest.param(
        TOPIC,
        b'{"_type":"location","acc":15,"alt":440,"batt":46,"conn":"w","lat":46.0681247,'
        b'"lon":11.1512805,"t":"u","tid":"5t","tst":1551874878,"vac":2,"vel":0}',
        {
            "device_key": "jane/phone",
            "time": datetime(2019, 3, 6, 12, 21, 18, tzinfo=UTC),
            "latitude": 46.0681247,
            "longitude": 11.1512805,
            "altitude": 440.0,
            "battery": 46.0,
            "speed": 0.0,
            "course": None,
            "attributes": {
                "accuracy": 15.0,
                "verticalAccuracy": 2.0,
                "conn": "w",
                "trigger": "u",
                "tid": "5t",
            },
        },
        id="traccar-android",
    ),
    pytest.param(
        TOPIC,
        b'{"lon":2.29513,"lat":48.85833,"tst":1497349316,"_type":"location","tid":"JJ"}',
        {
            "time": datetime(2017, 6, 13, 10, 21, 56, tzinfo=UTC),
            "latitude": 48.85833,
            "longitude": 2.29513,
            "altitude": None,
            "battery": None,
            "attributes": {"tid": "JJ"},
        },
        id="traccar-minimal",
    ),
    pytest.param(
        TOPIC,
        b'{"cog":271,"lon":2.29513,"acc":5,"vel":61,"vac":21,"lat":48.85833,"tst":1497349316,'
        b'"alt":167,"_type":"location","tid":"JJ","t":"u","batt":67}',
        {
            "speed": 61.0,  # km/h as sent: no conversion
            "course": 271.0,
            "altitude": 167.0,
            "battery": 67.0,
            "attributes": {"accuracy": 5.0, "verticalAccuracy": 21.0},
        },
        id="traccar-ios-moving",
    ),
    pytest.param(
        TOPIC,
        b'{"lat":48.85,"lon":2.295,"_type":"location","tid":"JJ","tst":1497476456}',
        {"time": datetime(2017, 6, 14, 21, 40, 56, tzinfo=UTC), "latitude": 48.85},
        id="traccar-short",
    ),
    pytest.param(
        "owntracks/ckrey/22A67880-15C3-41A6-9157-25545C7993AC",
        b'{"lon":-122,"acc":5,"created_at":1736161415,"lat":37,'
        b'"topic":"owntracks/ckrey/22A67880-15C3-41A6-9157-25545C7993AC","t":"u","m":1,'
        b'"tst":1736161169,"conn":"w","alt":0,"_type":"location","tid":"AC"}',
        {
            "device_key": "ckrey/22A67880-15C3-41A6-9157-25545C7993AC",
            "time": datetime(2025, 1, 6, 10, 59, 29, tzinfo=UTC),
            "latitude": 37.0,
            "longitude": -122.0,
            "attributes": {"monitoringMode": 1.0, "tid": "AC"},
        },
        id="traccar-ios-with-topic",
    ),
    pytest.param(
        "owntracks/qtripp/865284041968706",
        b'{"topic":"owntracks/qtripp/865284041968706","lat":47.420051,"lon":13.654704,"vel":0,'
        b'"cog":113,"tst":1736519167,"mcc":232,"mnc":1,"lac":"4F4D","cid":"673A",'
        b'"_type":"location","acc":10,"alt":1113,"t":"I","don":105,"tid":"CS"}',
        {
            "device_key": "qtripp/865284041968706",
            "time": datetime(2025, 1, 10, 14, 26, 7, tzinfo=UTC),
            "course": 113.0,
            "altitude": 1113.0,
            "ignition": False,  # t=I: ignition off on a vehicle tracker
            "alarm": None,
        },
        id="traccar-qtripp-vehicle-tracker",
    ),
]


@pytest.mark.parametrize(("topic", "payload", "expected"), LOCATIONS)
def test_real_location_messages_decode(topic: str, payload: bytes, expected: dict) -> None:
    report = position(payload, topic)
    for name, value in expected.items():
        if name == "attributes":
            assert {k: report.attributes[k] for k in value} == value
        else:
            assert getattr(report, name) == value, name
    assert report.valid is True


def test_device_is_the_topic_not_the_tracker_id() -> None:
    payload = b'{"_type":"location","lat":1,"lon":2,"tst":1497476456,"tid":"JJ"}'
    assert position(payload, "owntracks/jane/phone").device_key == "jane/phone"
    assert position(payload, "owntracks/john/phone").device_key == "john/phone"


def test_velocity_is_already_kmh() -> None:
    payload = b'{"_type":"location","lat":1,"lon":2,"tst":1497476456,"vel":54}'
    assert position(payload).speed == 54.0


def test_battery_status_says_whether_it_charges() -> None:
    base = '{{"_type":"location","lat":1,"lon":2,"tst":1497476456,"bs":{}}}'
    charging = position(base.format(2).encode()).attributes
    assert (charging["batteryStatus"], charging["charge"]) == ("charging", True)
    unplugged = position(base.format(1).encode()).attributes
    assert (unplugged["batteryStatus"], unplugged["charge"]) == ("unplugged", False)
    assert "charge" not in position(base.format(0).encode()).attributes


def test_unknown_course_and_negative_values_are_dropped() -> None:
    report = position(
        b'{"_type":"location","lat":1,"lon":2,"tst":1497476456,"cog":-1,"vel":-1,"batt":-1}'
    )
    assert (report.course, report.speed, report.battery) == (None, 0.0, None)


@pytest.mark.parametrize(
    ("trigger", "alarm"),
    [
        ("9", Alarm.LOW_BATTERY),
        ("e", Alarm.POWER_CUT),
        ("s", Alarm.OVERSPEED),
        ("!", Alarm.MOVEMENT),
    ],
)
def test_vehicle_tracker_event_codes_are_alarms(trigger: str, alarm: Alarm) -> None:
    payload = json.dumps(
        {"_type": "location", "lat": 1, "lon": 2, "tst": 1497476456, "t": trigger}
    ).encode()
    decoded = decode(payload)
    assert decoded.kind == "alarm" and decoded.positions[0].alarm is alarm


def test_ignition_and_motion_flags() -> None:
    report = position(
        b'{"_type":"location","lat":1,"lon":2,"tst":1497476456,"ign":true,"motion":false}'
    )
    assert (report.ignition, report.motion) == (True, False)
    assert position(b'{"_type":"location","lat":1,"lon":2,"tst":1,"t":"i"}').ignition is True


# ---------------------------------------------------------------------------
# Other message types: no positions

OTHERS = [
    pytest.param(
        "owntracks/jane/phone/event",
        b'{"_type":"transition","desc":"My favorite coffee shop (Delaville)","event":"enter",'
        b'"lat":48.87069,"lon":2.34916,"rid":"f7676c","tid":"j1","tst":1707057574,'
        b'"wtst":1610104395}',
        "transition",
        id="booklet-transition",
    ),
    pytest.param(
        "owntracks/jane/phone/waypoint",
        b'{"_type":"waypoint","desc":"Paris is lovely","lat":"48.858330","lon":"2.295130",'
        b'"rad":"50","tst":"1385997757","rid":"f7676c"}',
        "waypoint",
        id="booklet-waypoint",
    ),
    pytest.param(TOPIC, b'{"_type":"lwt","tst":1497476456}', "lwt", id="lwt"),
    pytest.param(
        "owntracks/jane/phone/info", b'{"_type":"card","name":"Jane","tid":"JJ"}', "card", id="card"
    ),
    pytest.param(TOPIC, b'{"_type":"encrypted","data":"c2VjcmV0"}', "encrypted", id="encrypted"),
]


@pytest.mark.parametrize(("topic", "payload", "kind"), OTHERS)
def test_other_message_types_carry_no_position(topic: str, payload: bytes, kind: str) -> None:
    decoded = decode(payload, topic)
    assert decoded.kind == "other" and decoded.positions == ()
    assert decoded.device_key == "jane/phone"
    assert decoded.attributes["type"] == kind


def test_empty_payload_is_a_cleared_retained_message() -> None:
    decoded = decode(b"")
    assert (decoded.kind, decoded.positions, decoded.device_key) == ("other", (), "jane/phone")


# ---------------------------------------------------------------------------
# Refusals

LOCATION = {"_type": "location", "lat": 48.85, "lon": 2.295, "tst": 1497476456}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"lat": None}, "'lat' is not a number"),
        ({"lon": None}, "'lon' is not a number"),
        ({"tst": None}, "'tst' is not a number"),
        ({"lat": "48.85"}, "'lat' is not a number"),
        ({"lat": True}, "'lat' is not a number"),
        ({"lat": 90.01}, "latitude outside"),
        ({"lon": -181}, "longitude outside"),
        ({"tst": -1}, "'tst' outside"),
        ({"tst": 10**12}, "'tst' outside"),
        ({"tst": 10**400}, "'tst' is not a finite number"),
        ({"vel": "fast"}, "'vel' is not a number"),
        ({"cog": [271]}, "'cog' is not a number"),
        ({"t": 5}, "'t' is not a short text"),
        ({"tid": "x" * 65}, "'tid' is not a short text"),
        ({"ign": "on"}, "'ign' is not true or false"),
        ({"_type": None}, "_type"),
        ({"_type": 7}, "_type"),
    ],
)
def test_bad_location_is_a_protocol_error(change: dict[str, Any], reason: str) -> None:
    message = {k: v for k, v in {**LOCATION, **change}.items() if v is not None}
    with pytest.raises(ProtocolError, match=reason):
        decode(json.dumps(message).encode())


@pytest.mark.parametrize(
    "payload",
    [b"{", b"not json", b'{"_type":"location","lat":NaN}', b"[1]", b'"location"', b"\xff\xfe"],
)
def test_invalid_json_is_a_protocol_error(payload: bytes) -> None:
    with pytest.raises(ProtocolError, match="JSON"):
        decode(payload)


def test_deeply_nested_json_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="JSON"):
        decode(b"[" * 20000 + b"]" * 20000)


@pytest.mark.parametrize(
    "topic",
    [
        "owntracks/jane",
        "owntracks",
        "owntrack/jane/phone",
        "/owntracks/jane/phone",
        "owntracks//phone",
        "owntracks/jane/",
        "owntracks/+/phone",
        "owntracks/jane/#",
        "owntracks/jane\n/phone",
        f"owntracks/{'j' * 65}/phone",
        "",
    ],
)
def test_wrong_topic_is_a_protocol_error(topic: str) -> None:
    with pytest.raises(ProtocolError, match="topic"):
        decode(json.dumps(LOCATION).encode(), topic)


def test_oversize_message_is_refused() -> None:
    with pytest.raises(ProtocolError, match="longer than"):
        owntracks.message_frame(TOPIC, b" " * owntracks.MAX_FRAME)
    with pytest.raises(ProtocolError, match="longer than"):
        owntracks.decode(TOPIC.encode() + b"\x00" + b" " * owntracks.MAX_FRAME, Session())
    with pytest.raises(ProtocolError, match="topic"):
        owntracks.message_frame("owntracks/jane/" + "p" * owntracks.MAX_TOPIC, b"{}")


@pytest.mark.parametrize("frame", [b"", b"owntracks/jane/phone", b"\xff\xfe/a/b\x00{}"])
def test_malformed_message_frame_is_a_protocol_error(frame: bytes) -> None:
    with pytest.raises(ProtocolError):
        owntracks.decode(frame, Session())


def test_message_frame_reads_back_what_went_in() -> None:
    frame = owntracks.message_frame("owntracks/jäne/phone", b'{"a":"\x00"}')
    assert owntracks.parse_message_frame(frame) == ("owntracks/jäne/phone", b'{"a":"\x00"}')
    with pytest.raises(ProtocolError, match="NUL"):
        owntracks.message_frame("owntracks/ja\x00ne/phone", b"{}")


# ---------------------------------------------------------------------------
# The simulated device


@pytest.mark.parametrize(
    ("device_key", "topic"),
    [("jane/phone", "owntracks/jane/phone"), ("353451044508750", "owntracks/sim/353451044508750")],
)
def test_encoded_position_decodes_to_the_same_fix(device_key: str, topic: str) -> None:
    report = PositionReport(
        protocol="mqtt",
        device_key=device_key,
        time=datetime(2025, 6, 15, 13, 45, 12, 600000, tzinfo=UTC),
        valid=True,
        latitude=52.2507123,
        longitude=5.3731456,
        speed=42.4,
        course=359.6,
        altitude=-2.4,
        battery=64.0,
        ignition=True,
        alarm=Alarm.POWER_CUT,
    )
    encoder = owntracks.SPEC.encoder
    assert encoder is not None and encoder.hello(device_key) is None
    frame = encoder.position(report, 1)
    assert owntracks.parse_message_frame(frame)[0] == topic
    decoded = owntracks.decode(frame, Session())
    check_decoded(decoded)
    (back,) = decoded.positions
    assert (back.latitude, back.longitude) == (report.latitude, report.longitude)
    assert back.time == datetime(2025, 6, 15, 13, 45, 12, tzinfo=UTC)
    assert (back.speed, back.course, back.altitude, back.battery) == (42.0, 0.0, -2.0, 64.0)
    assert (back.ignition, back.alarm, decoded.kind) == (True, Alarm.POWER_CUT, "alarm")
    assert encoder.read_ack(b"anything") == 0 and encoder.acks_positions is False


# ---------------------------------------------------------------------------
# Fuzz: any input is a Decoded or a ProtocolError


def _decodes_or_refuses(frame: bytes) -> None:
    try:
        decoded = owntracks.decode(frame, Session())
    except ProtocolError:
        return
    check_decoded(decoded)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_decode_or_raise_protocol_error(frame: bytes) -> None:
    _decodes_or_refuses(frame)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_any_payload_on_a_good_topic_decodes_or_raises_protocol_error(payload: bytes) -> None:
    _decodes_or_refuses(TOPIC.encode() + b"\x00" + payload)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=10,
)
_FIELDS = ("lat", "lon", "tst", "vel", "cog", "alt", "acc", "vac", "batt", "bs", "t", "tid", "m")


@settings(max_examples=500, deadline=None)
@given(
    st.text(max_size=40),
    st.fixed_dictionaries(
        {"_type": st.sampled_from(["location", "lwt", "transition"]) | _JSON},
        optional={
            key: _JSON | st.integers(-1000, 2_000_000_000) | st.floats(-400, 400)
            for key in (*_FIELDS, "ign", "motion", "conn")
        },
    ),
)
def test_any_message_decodes_or_raises_protocol_error(user: str, message: dict) -> None:
    try:
        frame = owntracks.message_frame(
            f"owntracks/{user}/phone", json.dumps(message, allow_nan=True).encode()
        )
    except ProtocolError:
        return
    _decodes_or_refuses(frame)
