"""OsmAnd / Traccar Client requests decode as Traccar reads them.

Real requests come from Traccar's OsmAndProtocolDecoderTest (traccar/traccar), the
protocol page https://www.traccar.org/osmand/, and device logs quoted in
traccar/traccar#1664 and traccar/traccar-client#85.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from invariants import check_decoded

from trackguard.protocols import osmand
from trackguard.protocols.base import Alarm, Decoded, PositionReport, ProtocolError, Session

RECEIVED = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


def _query(uri: str) -> str:
    """What the gateway passes on: the query string of a request URI."""
    return uri.partition("?")[2]


def decode(
    uri: str = "",
    *,
    method: str = "GET",
    content_type: str | None = None,
    body: bytes = b"",
    received_at: datetime | None = None,
) -> Decoded:
    frame = osmand.request_frame(method, _query(uri), content_type, body, received_at=received_at)
    decoded = osmand.decode(frame, Session())
    check_decoded(decoded)
    return decoded


def position(uri: str = "", **kwargs: Any) -> PositionReport:
    decoded = decode(uri, **kwargs)
    assert decoded.kind in ("position", "alarm")
    (report,) = decoded.positions
    assert report.protocol == "osmand"
    assert decoded.device_key == report.device_key
    assert decoded.ack is None  # the HTTP gateway answers 200 itself
    return report


def at(year: int, month: int, day: int, *hms: int, ms: int = 0) -> datetime:
    hour, minute, second = (*hms, 0, 0, 0)[:3]
    return datetime(year, month, day, hour, minute, second, ms * 1000, tzinfo=UTC)


# ---------------------------------------------------------------------------
# Real query-string requests

QUERIES = [
    pytest.param(
        "/?id=902064&lat=42.06288&lon=-88.23412&timestamp=2016-01-27T18%3A55%3A47Z"
        "&hdop=6.0&altitude=224.0&speed=0.0",
        {
            "device_key": "902064",
            "time": at(2016, 1, 27, 18, 55, 47),
            "latitude": 42.06288,
            "longitude": -88.23412,
            "altitude": 224.0,
            "speed": 0.0,
            "attributes": {"hdop": 6.0},
        },
        id="traccar-iso-time",
    ),
    pytest.param(
        "/?id=902064&lat=42.06288&lon=-88.23412&timestamp=1442068686579"
        "&hdop=6.0&altitude=224.0&speed=0.0",
        {"time": at(2015, 9, 12, 14, 38, 6, ms=579), "latitude": 42.06288},
        id="traccar-unix-ms",
    ),
    pytest.param(
        "/?lat=49.60688&lon=6.15788&timestamp=2014-06-04+09%3A10%3A11"
        "&altitude=384.7&speed=0.0&id=353861053849681",
        {
            "device_key": "353861053849681",
            "time": at(2014, 6, 4, 9, 10, 11),
            "latitude": 49.60688,
            "longitude": 6.15788,
            "altitude": 384.7,
        },
        id="traccar-space-separated-time",
    ),
    pytest.param(
        "/?id=123456&timestamp=1377177267&lat=60.0&lon=30.0&speed=0.0&bearing=0.0"
        "&altitude=0&hdop=0.0",
        {"time": at(2013, 8, 22, 13, 14, 27), "course": 0.0, "altitude": 0.0},
        id="traccar-bearing",
    ),
    pytest.param(
        "/?id=123456&timestamp=1377177267&lat=60.0&lon=30.0",
        {"device_key": "123456", "latitude": 60.0, "longitude": 30.0, "speed": 0.0},
        id="traccar-minimal",
    ),
    pytest.param(
        "/?id=123456&timestamp=1377177267&location=60.0,30.0",
        {"latitude": 60.0, "longitude": 30.0},
        id="traccar-location-pair",
    ),
    pytest.param(
        "/?id=123456789012345&timestamp=1504763810&lat=40.7232948571&lon=-74.0061408571"
        "&bearing=7.19889788244&speed=40&ignition=true&rpm=933&fuel=24",
        {
            "time": at(2017, 9, 7, 5, 56, 50),
            "latitude": 40.7232948571,
            "longitude": -74.0061408571,
            "course": 7.19889788244,
            "speed": 40 * 1.852,
            "ignition": True,
            "attributes": {"rpm": 933.0, "fuel": 24.0},
        },
        id="traccar-ignition-and-extras",
    ),
    pytest.param(
        "/?id=863071016800770&timestamp=2016-01-15%2021:41:18.000&lat=-26.619913"
        "&lon=152.859238&speed=0.72&altitude=433.10&heading=108.42&hdop=81&sat=11"
        "&batt=11.43&ignition=OFF",
        {
            "time": at(2016, 1, 15, 21, 41, 18),
            "latitude": -26.619913,
            "longitude": 152.859238,
            "speed": 0.72 * 1.852,
            "course": 108.42,
            "ignition": False,
            "attributes": {"hdop": 81.0, "sat": 11.0},
        },
        id="issue-1664-device",
    ),
    pytest.param(
        "/?deviceid=12345&lat=48.8566&lon=2.3522&timestamp=2021-01-01T00:00:00Z&speed=15"
        "&bearing=270&altitude=35&accuracy=10&hdop=0.8&batt=75",
        {
            "device_key": "12345",
            "time": at(2021, 1, 1),
            "speed": 15 * 1.852,
            "course": 270.0,
            "altitude": 35.0,
            "battery": 75.0,
            "attributes": {"accuracy": 10.0, "hdop": 0.8},
        },
        id="traccar-docs-example-2",
    ),
    pytest.param(
        "/?id=82879256&lat=-35.5555277&lon=145.5555733&timestamp=1693222306574"
        "&speed=0.211914&bearing=26.21394&accuracy=22.975999",
        {
            "time": at(2023, 8, 28, 11, 31, 46, ms=574),
            "latitude": -35.5555277,
            "speed": 0.211914 * 1.852,
            "course": 26.21394,
            "attributes": {"accuracy": 22.975999},
        },
        id="traccar-client-7.9",
    ),
]


def _assert_report(report: PositionReport, expected: dict[str, Any]) -> None:
    for name, value in expected.items():
        if name == "attributes":
            assert {k: report.attributes[k] for k in value} == value
        elif isinstance(value, float):
            assert getattr(report, name) == pytest.approx(value), name
        else:
            assert getattr(report, name) == value, name


@pytest.mark.parametrize(("uri", "expected"), QUERIES)
def test_real_query_requests_decode_to_traccars_values(uri: str, expected: dict) -> None:
    _assert_report(position(uri), expected)


@pytest.mark.parametrize(
    "uri",
    [
        "/?lat=60.0&lon=30.0&speed=0.0&heading=0.0&vacc=0&hacc=0&altitude=0&deviceid=123456",
        "/?id=861001000719969&lat=41.666667&lon=-0.883333&altitude=350.059479"
        "&speed=0.000000&batt=87",
    ],
)
def test_request_without_timestamp_takes_the_gateways_receive_time(uri: str) -> None:
    assert position(uri, received_at=RECEIVED).time == RECEIVED
    with pytest.raises(ProtocolError, match="timestamp"):
        decode(uri)


def test_cell_and_wifi_only_request_is_a_heartbeat_with_its_networks() -> None:
    decoded = decode(
        "/?id=123456&timestamp=1377177267&cell=257,02,16,2224&cell=257,02,16,2223,-90"
        "&wifi=00-14-22-01-23-45,-80&wifi=00-1C-B3-09-85-15,-70"
    )
    assert decoded.kind == "heartbeat" and decoded.positions == ()
    assert decoded.device_key == "123456"
    assert decoded.attributes["cell"] == ("257,02,16,2224", "257,02,16,2223,-90")
    assert decoded.attributes["wifi"] == ("00-14-22-01-23-45,-80", "00-1C-B3-09-85-15,-70")


def test_zero_zero_is_no_fix_and_keeps_the_battery() -> None:
    decoded = decode("/?id=7&timestamp=1377177267&lat=0&lon=0&batt=40&charge=true")
    assert decoded.kind == "heartbeat" and decoded.positions == ()
    assert decoded.attributes["battery"] == 40.0 and decoded.attributes["charge"] is True


def test_post_with_form_body_decodes_like_a_query() -> None:
    body = b"id=123456&timestamp=1377177267&lat=60.0&lon=30.0&speed=10\n"
    report = position(method="POST", content_type="application/x-www-form-urlencoded", body=body)
    assert (report.device_key, report.latitude, report.speed) == ("123456", 60.0, 18.52)


def test_named_fields_land_on_the_report() -> None:
    report = position(
        "/?id=9&timestamp=1377177267&lat=52.25&lon=5.37&valid=0&motion=true&ignition=on"
        "&alarm=powerCut&driverUniqueId=D-17&charge=false&batt=12.6&custom=abc"
    )
    assert report.valid is False and report.motion is True and report.ignition is True
    assert report.alarm is Alarm.POWER_CUT
    assert report.battery == 12.6
    assert report.attributes["driverUniqueId"] == "D-17"
    assert report.attributes["charge"] is False
    assert report.attributes["custom"] == "abc"


def test_alarm_request_is_an_alarm_and_unknown_names_are_general() -> None:
    assert decode("/?id=9&timestamp=1377177267&lat=1&lon=1&alarm=sos").kind == "alarm"
    assert position("/?id=9&timestamp=1377177267&lat=1&lon=1&alarm=tow").alarm is Alarm.GENERAL


def test_battery_outside_a_percentage_is_kept_as_a_raw_attribute() -> None:
    report = position("/?id=9&timestamp=1377177267&lat=1&lon=1&batt=4100")
    assert report.battery is None and report.attributes["batt"] == 4100.0


# ---------------------------------------------------------------------------
# Time and speed


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("1377177267", at(2013, 8, 22, 13, 14, 27)),
        ("1377177267000", at(2013, 8, 22, 13, 14, 27)),
        ("1377177267123", at(2013, 8, 22, 13, 14, 27, ms=123)),
        ("2013-08-22T13:14:27Z", at(2013, 8, 22, 13, 14, 27)),
        ("2013-08-22T15:14:27%2B02:00", at(2013, 8, 22, 13, 14, 27)),
        ("2013-08-22T13:14:27.500Z", at(2013, 8, 22, 13, 14, 27, ms=500)),
        ("2013-08-22+13:14:27", at(2013, 8, 22, 13, 14, 27)),
        ("2013-08-22%2013:14:27", at(2013, 8, 22, 13, 14, 27)),
    ],
)
def test_timestamp_forms_all_mean_utc(stamp: str, expected: datetime) -> None:
    assert position(f"?id=1&lat=1&lon=1&timestamp={stamp}").time == expected


@pytest.mark.parametrize(
    "stamp",
    ["yesterday", "-5", "1e9", "99999999999999999999", "1969-12-31T23:59:59Z", "2100-01-01"],
)
def test_unreadable_or_implausible_timestamp_is_refused(stamp: str) -> None:
    with pytest.raises(ProtocolError):
        decode(f"?id=1&lat=1&lon=1&timestamp={stamp}")


@pytest.mark.parametrize(("knots", "kmh"), [("0", 0.0), ("1", 1.852), ("27", 50.004), ("-1", 0.0)])
def test_query_speed_is_knots_and_comes_out_in_kmh(knots: str, kmh: float) -> None:
    assert position(f"?id=1&timestamp=1&lat=1&lon=1&speed={knots}").speed == pytest.approx(kmh)


# ---------------------------------------------------------------------------
# The JSON body of Traccar Client 9+

JSON_BODIES = [
    pytest.param(
        b'{"location":{"timestamp":"2025-06-15T13:45:12.862Z","coords":{"latitude":37.4219983,'
        b'"longitude":-122.084,"accuracy":5,"speed":0,"heading":-1,"altitude":5},'
        b'"is_moving":false,"odometer":0,"event":"motionchange","battery":{"level":1,'
        b'"is_charging":false},"activity":{"type":"still"},"extras":{},"_":"&id=48241179'
        b'&lat=37.4219983&lon=-122.084&timestamp=2025-06-15T13:45:12.862Z&"},'
        b'"device_id":"48241179"}',
        {
            "device_key": "48241179",
            "time": at(2025, 6, 15, 13, 45, 12, ms=862),
            "latitude": 37.4219983,
            "longitude": -122.084,
            "speed": 0.0,
            "course": None,
            "altitude": 5.0,
            "battery": 100.0,
            "motion": False,
            "attributes": {
                "accuracy": 5.0,
                "event": "motionchange",
                "odometer": 0.0,
                "activity": "still",
                "charge": False,
            },
        },
        id="traccar-client-android",
    ),
    pytest.param(
        b'{"location":{"timestamp":"2025-06-15T13:45:12.862Z","coords":{"latitude":37.4219983,'
        b'"longitude":-122.084,"accuracy":5,"speed":0,"heading":-1,"altitude":5},'
        b'"is_moving":false,"odometer":0,"event":"motionchange","battery":{"level":1,'
        b'"is_charging":false},"activity":{"type":"still"},"extras":{"device_string_test":'
        b'"long_device_id","device_bool_test":true,"device_bool_false_test":false,'
        b'"device_integer_test":1,"device_double_test":1.345,'
        b'"device_very_long_double_test":1763636.3442},"_":"&id=48241179&lat=37.4219983'
        b'&lon=-122.084&timestamp=2025-06-15T13:45:12.862Z&"},"device_id":"48241179"}',
        {
            "attributes": {
                "device_string_test": "long_device_id",
                "device_bool_test": True,
                "device_bool_false_test": False,
                "device_integer_test": 1,
                "device_double_test": 1.345,
                "device_very_long_double_test": 1763636.3442,
            }
        },
        id="traccar-client-extras",
    ),
    pytest.param(
        b'{"location":{"extras":{},"mock":true,"coords":{"speed_accuracy":-1,"speed":-1,'
        b'"longitude":-122.406417,"ellipsoidal_altitude":0,"floor":null,"heading_accuracy":-1,'
        b'"latitude":37.785834000000001,"accuracy":5,"altitude_accuracy":-1,"altitude":0,'
        b'"heading":-1},"is_moving":false,"age":188,"odometer":0,'
        b'"uuid":"2FB04C65-99CF-42AB-8DD3-EBCB4B108BF8","event":"motionchange","battery":'
        b'{"level":-1,"is_charging":false},"activity":{"type":"unknown","confidence":100},'
        b'"timestamp":"2025-05-09T04:11:30.579Z"},"device_id":"658765"}',
        {
            "device_key": "658765",
            "time": at(2025, 5, 9, 4, 11, 30, ms=579),
            "latitude": 37.785834,
            "longitude": -122.406417,
            "speed": 0.0,
            "course": None,
            "battery": None,
            "attributes": {"mock": True, "activity": "unknown"},
        },
        id="traccar-client-ios-simulator",
    ),
    pytest.param(
        b'{"location":{"event":"motionchange","is_moving":false,'
        b'"uuid":"0e9a2473-a9a7-4c00-997b-fb97d2154e75","timestamp":"2021-07-21T08:06:34.444Z",'
        b'"odometer":0,"coords":{"latitude":-6.1148096,"longitude":106.6837015,"accuracy":3.8,'
        b'"speed":18.67,"speed_accuracy":0.26,"heading":63,"heading_accuracy":0.28,'
        b'"altitude":35.7,"altitude_accuracy":3.8},"activity":{"type":"still","confidence":100},'
        b'"battery":{"is_charging":false,"level":0.79},"extras":{}},"device_id":"8737767034"}',
        {
            "device_key": "8737767034",
            "time": at(2021, 7, 21, 8, 6, 34, ms=444),
            "latitude": -6.1148096,
            "longitude": 106.6837015,
            "speed": 18.67 * 3.6,
            "course": 63.0,
            "altitude": 35.7,
            "battery": 79.0,
            "attributes": {"accuracy": 3.8},
        },
        id="traccar-lacak",
    ),
    pytest.param(
        b'{"location":{"timestamp":"2025-08-28T11:51:46.587Z","coords":{"latitude":-37.6998277,'
        b'"longitude":145.0686733,"accuracy":4.32,"speed":0.11,"heading":158.44,"altitude":103},'
        b'"is_moving":true,"odometer":0,"battery":{"level":0.88,"is_charging":false},'
        b'"activity":{"type":"still"}},"device_id":"82879256"}',
        {
            "time": at(2025, 8, 28, 11, 51, 46, ms=587),
            "speed": 0.11 * 3.6,
            "course": 158.44,
            "altitude": 103.0,
            "battery": 88.0,
            "motion": True,
        },
        id="traccar-client-9.5.3",
    ),
]


@pytest.mark.parametrize(("body", "expected"), JSON_BODIES)
def test_real_json_bodies_decode_with_speed_in_metres_per_second(
    body: bytes, expected: dict
) -> None:
    report = position(method="POST", content_type="application/json", body=body)
    _assert_report(report, expected)


def test_json_is_recognised_by_its_body_and_the_header_alone_does_not_make_json() -> None:
    body = JSON_BODIES[3].values[0]
    assert position(method="POST", content_type="text/plain", body=body).latitude == -6.1148096
    query = "/?id=1&timestamp=1377177267&lat=60.0&lon=30.0"
    assert position(query, content_type="application/json").latitude == 60.0


def test_json_batch_gives_one_position_per_location() -> None:
    one = json.loads(JSON_BODIES[3].values[0])
    body = json.dumps({"device_id": "8737767034", "location": [one["location"]] * 3}).encode()
    decoded = decode(method="POST", content_type="application/json", body=body)
    assert len(decoded.positions) == 3


# ---------------------------------------------------------------------------
# Refusals: each a ProtocolError the gateway answers with 400

VALID = "timestamp=1377177267&lat=60.0&lon=30.0"


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("/?timestamp=1377177267&lat=60.0&lon=30.0", "device id"),
        (f"/?id=&{VALID}", "device id"),
        (f"/?id=a%20b&{VALID}", "device id"),
        (f"/?id={'9' * 65}&{VALID}", "device id"),
        (f"/?id=1&deviceid=2&{VALID}", "disagree"),
        ("/?id=1&timestamp=1377177267&lat=90.5&lon=30.0", "latitude"),
        ("/?id=1&timestamp=1377177267&lat=60.0&lon=-180.01", "longitude"),
        ("/?id=1&timestamp=1377177267&lat=60.0", "only one"),
        ("/?id=1&timestamp=1377177267&location=60.0", "location"),
        ("/?id=1&timestamp=1377177267&lat=north&lon=30.0", "'lat' is not a number"),
        ("/?id=1&timestamp=1377177267&lat=nan&lon=30.0", "'lat' is not a number"),
        ("/?id=1&timestamp=1377177267&lat=1e999&lon=30.0", "'lat'"),
        (f"/?id=1&{VALID}&speed=fast", "'speed' is not a number"),
        (f"/?id=1&{VALID}&speed=inf", "'speed' is not a number"),
        (f"/?id=1&{VALID}&altitude=0x10", "'altitude' is not a number"),
        (f"/?id=1&{VALID}&accuracy=-3", "'accuracy' is negative"),
        (f"/?id=1&{VALID}&valid=maybe", "'valid' is not a boolean"),
        (f"/?id=1&{VALID}&ignition=2", "'ignition' is not a boolean"),
        (f"/?id=1&{VALID}&x=%FF", "not valid form encoding"),
        (f"/?id=1&{VALID}&note={'n' * 257}", "longer than"),
        (f"/?id=1&{VALID}" + "&k=v" * 64, "more than 64"),
    ],
)
def test_bad_query_is_a_protocol_error(uri: str, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        decode(uri)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{", "not valid JSON"),
        (b'{"device_id":"1","location":{}', "not valid JSON"),
        (b"[" * 5000 + b"]" * 5000, "not valid JSON"),
        (b'{"device_id":"1","location":NaN}', "not valid JSON"),
        (b'["device_id"]', "not an object"),
        (b'{"location":{}}', "device_id"),
        (b'{"device_id":true,"location":{}}', "device_id"),
        (b'{"device_id":"1"}', "'location'"),
        (b'{"device_id":"1","location":[]}', "'location'"),
        (b'{"device_id":"1","location":{"coords":{"latitude":1,"longitude":1}}}', "timestamp"),
        (b'{"device_id":"1","location":{"timestamp":"2025-01-01T00:00:00Z"}}', "coords"),
        (
            b'{"device_id":"1","location":{"timestamp":"2025-01-01T00:00:00Z",'
            b'"coords":{"latitude":"52.2","longitude":5.3}}}',
            "'latitude' is not a number",
        ),
        (
            b'{"device_id":"1","location":{"timestamp":"2025-01-01T00:00:00Z",'
            b'"coords":{"latitude":95,"longitude":5.3}}}',
            "latitude outside",
        ),
        (
            b'{"device_id":"1","location":{"timestamp":"2025-01-01T00:00:00Z",'
            b'"coords":{"latitude":52,"longitude":5,"speed":1' + b"0" * 400 + b"}}}",
            "'speed' is not a finite number",
        ),
        (
            b'{"device_id":"1","location":{"timestamp":"2025-01-01T00:00:00Z",'
            b'"coords":{"latitude":52,"longitude":5},"is_moving":"yes"}}',
            "'is_moving'",
        ),
        (b"\xff\xfe{", "not valid JSON"),
    ],
)
def test_bad_json_body_is_a_protocol_error(body: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        decode(method="POST", content_type="application/json", body=body)


def test_oversize_request_is_refused_before_decoding() -> None:
    body = b"id=1&" + b"x" * osmand.MAX_FRAME
    with pytest.raises(ProtocolError, match="longer than"):
        osmand.request_frame("POST", "", None, body)
    with pytest.raises(ProtocolError, match="longer than"):
        osmand.decode(b"GET\n\n\n\n" + body, Session())


# ---------------------------------------------------------------------------
# The request frame the gateway builds


def test_request_frame_reads_back_what_went_in() -> None:
    frame = osmand.request_frame(
        "post", b"?id=1", "application/json", b'{"a":\n1}', received_at=RECEIVED
    )
    request = osmand.parse_request_frame(frame)
    assert request == osmand.HttpRequest("POST", "id=1", "application/json", b'{"a":\n1}', RECEIVED)


@pytest.mark.parametrize(
    ("method", "query", "content_type"),
    [
        ("GET /", "id=1", None),
        ("", "id=1", None),
        ("GET", "id=1\nlat=1", None),
        ("GET", "id=1", "text/plain\r\nX-Evil: 1"),
    ],
)
def test_request_frame_refuses_what_would_break_its_lines(
    method: str, query: str, content_type: str | None
) -> None:
    with pytest.raises(ProtocolError):
        osmand.request_frame(method, query, content_type, b"")


@pytest.mark.parametrize(
    "frame",
    [b"", b"GET\nid=1", b"G3T\n\n\n\n", b"GET\n\n\nyesterday\n", b"GET\n\n\n2025-01-01T00:00\n"],
)
def test_malformed_request_frame_is_a_protocol_error(frame: bytes) -> None:
    with pytest.raises(ProtocolError):
        osmand.decode(frame, Session())


# ---------------------------------------------------------------------------
# The simulated device


def test_encoded_position_decodes_to_the_same_fix() -> None:
    report = PositionReport(
        protocol="osmand",
        device_key="353451044508750",
        time=at(2025, 6, 15, 13, 45, 12),
        valid=True,
        latitude=52.2507,
        longitude=5.3731,
        speed=42.5,
        course=181.5,
        altitude=-2.0,
        battery=64.0,
        ignition=True,
        motion=True,
        alarm=Alarm.SOS,
    )
    encoder = osmand.SPEC.encoder
    assert encoder is not None and encoder.hello("x") is None
    assert encoder.acks_positions  # the 200 OK after commit
    frame = encoder.position(report, 1)
    decoded = osmand.decode(frame, Session())
    check_decoded(decoded)
    assert decoded.kind == "alarm"
    (back,) = decoded.positions
    assert back.latitude == pytest.approx(report.latitude, abs=1e-7)
    assert back.longitude == pytest.approx(report.longitude, abs=1e-7)
    assert back.speed == pytest.approx(report.speed, abs=1e-3)
    assert (back.time, back.course, back.altitude, back.battery) == (
        report.time,
        report.course,
        report.altitude,
        report.battery,
    )
    assert (back.ignition, back.motion, back.alarm) == (True, True, Alarm.SOS)


@pytest.mark.parametrize(
    ("buffer", "length"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 38),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK+more", 40),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nO", 0),
        (b"HTTP/1.1 200 OK\r\nContent-", 0),
    ],
)
def test_read_ack_measures_one_http_response(buffer: bytes, length: int) -> None:
    assert osmand.read_ack(buffer) == length


# ---------------------------------------------------------------------------
# Fuzz: any input is a Decoded or a ProtocolError


def _decodes_or_refuses(frame: bytes) -> None:
    try:
        decoded = osmand.decode(frame, Session())
    except ProtocolError:
        return
    check_decoded(decoded)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_decode_or_raise_protocol_error(frame: bytes) -> None:
    _decodes_or_refuses(frame)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1024))
def test_any_bytes_after_a_valid_header_decode_or_raise_protocol_error(tail: bytes) -> None:
    _decodes_or_refuses(b"POST\nid=1\napplication/json\n\n" + tail)
    _decodes_or_refuses(b"GET\n" + tail.replace(b"\n", b"&") + b"\n\n\n")


_KEYS = st.sampled_from(
    [*sorted(osmand.NAMED_PARAMETERS | osmand.REPEATABLE_PARAMETERS), "rpm", "sat", ""]
)
_VALUES = st.one_of(
    st.text(max_size=30),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["true", "false", "1", "0", "60.0,30.0", "2016-01-27T18:55:47Z", "sos"]),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(_KEYS, _VALUES), max_size=20), st.booleans())
def test_any_parameters_decode_or_raise_protocol_error(
    params: list[tuple[str, str]], with_received_at: bool
) -> None:
    try:
        frame = osmand.request_frame(
            "GET", urlencode(params), None, b"", received_at=RECEIVED if with_received_at else None
        )
    except ProtocolError:
        return
    _decodes_or_refuses(frame)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "device_id": _JSON | st.just("48241179"),
            "location": _JSON
            | st.fixed_dictionaries(
                {},
                optional={
                    "timestamp": _JSON | st.just("2025-06-15T13:45:12.862Z"),
                    "coords": _JSON
                    | st.fixed_dictionaries(
                        {},
                        optional={
                            k: _JSON
                            for k in ("latitude", "longitude", "speed", "heading", "altitude")
                        },
                    ),
                    "battery": _JSON,
                    "activity": _JSON,
                    "extras": _JSON,
                    "is_moving": _JSON,
                },
            ),
        },
    )
)
def test_any_json_body_decodes_or_raises_protocol_error(body: dict) -> None:
    frame = osmand.request_frame(
        "POST", "", "application/json", json.dumps(body, allow_nan=True).encode()
    )
    _decodes_or_refuses(frame)
