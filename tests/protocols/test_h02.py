"""H02: real device frames, heartbeat echo, framing, round trip, fuzz.

Frames are device captures published with Traccar's H02ProtocolDecoderTest
(github.com/traccar/traccar) and the example in the CANTRACK G20LS H02 protocol document
(`*HQ,865205030330012,V1,145452,A,2240.55181,N,11358.32389,E,0.00,0,100815,FFFFFBFF#`,
heartbeat `*HQ,135790246811220,HTBT,100#`). Where Traccar's test states time and
coordinates, the expectations below are Traccar's; the others are read off the frame
(ddmm.mmmm -> degrees, knots * 1.852 -> km/h).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from invariants import check_decoded, split_frames

from trackguard.protocols import h02
from trackguard.protocols.base import Alarm, Decoded, PositionReport, ProtocolError, Session


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# frame, device id, time, valid, latitude, longitude, speed km/h, course
# fmt: off
FIXES = [
    # Traccar states time, validity and coordinates for the next four
    (b"*HQ,4210051415,V1,164549,A,0956.3869,N,08406.7068,W,000.00,000,221215,FFFFFBFF,712,01,0,0,6#",
     "4210051415", utc(2015, 12, 22, 16, 45, 49), True, 9.93978, -84.11178, 0.0, 0.0),
    (b"*HQ,355488020119695,V1,050418,,2827.61232,N,07703.84822,E,0.00,0,031015,FFFEFBFF#",
     "355488020119695", utc(2015, 10, 3, 5, 4, 18), False, 28.46021, 77.06414, 0.0, 0.0),
    (b"*HQ,1451316409,V1,030149,A,-23-29.0095,S,-46-51.5852,W,2.4,065,070315,FFFFFFFF#",
     "1451316409", utc(2015, 3, 7, 3, 1, 49), True, -23.48349, -46.85975, 2.4 * 1.852, 65.0),
    (bytes.fromhex("24410600082621532131081504419390060740418306000000fffffbfdff00"
                   "15060000002c02dc0c000000001f")[:32],
     "4106000826", utc(2015, 8, 31, 21, 53, 21), True, 4.69898, -74.06971, 0.0, 0.0),
    # G20LS protocol document example
    (b"*HQ,865205030330012,V1,145452,A,2240.55181,N,11358.32389,E,0.00,0,100815,FFFFFBFF#",
     "865205030330012", utc(2015, 8, 10, 14, 54, 52), True, 22.67586, 113.97206, 0.0, 0.0),
    # V19 (SIM fields before the status word)
    (b"*HQ,4209951296,V19,214452,A,5201.0178,N,01830.5029,E,000.00,000,200417,,195.63.13.195,"
     b"89480610500392633029,BFFFFBFF#",
     "4209951296", utc(2017, 4, 20, 21, 44, 52), True, 52.01696, 18.50838, 0.0, 0.0),
    # V4: the device's reply to command S17, followed by its fix
    (b"*TH,2020916012,V4,S17,130305,050316,A,2212.8745,N,11346.6574,E,14.28,028,220902,FFFFFBFF#",
     "2020916012", utc(2002, 9, 22, 5, 3, 16), True, 22.21458, 113.77762, 14.28 * 1.852, 28.0),
    # moving at 57.78 knots, west of Greenwich
    (b"*HQ,353588020068342,V1,084436,A,3257.01525,N,00655.03865,W,57.78,40,011216,FFFBFFFF,"
     b"25c,a, 154,b04c#",
     "353588020068342", utc(2016, 12, 1, 8, 44, 36), True, 32.95025, -6.91731, 57.78 * 1.852,
     40.0),
    # short degree fields: 7 degrees south, 34 degrees west
    (b"*HQ,354188045498669,V1,195200,A,701.8915,S,3450.3399,W,0.00,205.70,050213,ffffffff,"
     b"000243,000000,000000#",
     "354188045498669", utc(2013, 2, 5, 19, 52, 0), True, -7.03153, -34.83900, 0.0, 205.7),
    # V2 with a coding scheme instead of A/V (Traccar reads it as valid)
    (b"*HQ,353505221264507,V2,100220,0,5238.26259,N,00507.33983,E,0.25,0,280917,FFFFFFFF,cc,"
     b"28,  db,d75b#",
     "353505221264507", utc(2017, 9, 28, 10, 2, 20), True, 52.63771, 5.12233, 0.25 * 1.852, 0.0),
]
# fmt: on


@pytest.mark.parametrize(
    ("frame", "device", "time", "valid", "lat", "lon", "speed", "course"), FIXES
)
def test_real_frames_decode_to_documented_fix(
    frame: bytes,
    device: str,
    time: datetime,
    valid: bool,
    lat: float,
    lon: float,
    speed: float,
    course: float,
) -> None:
    session = Session()
    decoded = h02.decode(frame, session)
    check_decoded(decoded)
    (report,) = decoded.positions
    assert report.protocol == "h02"
    assert report.device_key == device == decoded.device_key == session.device_key
    assert report.time == time
    assert report.valid is valid
    assert report.latitude == pytest.approx(lat, abs=1e-5)
    assert report.longitude == pytest.approx(lon, abs=1e-5)
    assert report.speed == pytest.approx(speed)
    assert report.course == pytest.approx(course)
    assert decoded.ack is None  # H02 reports are not acked


def test_status_word_gives_ignition_and_alarms() -> None:
    plain = h02.decode(FIXES[0][0], Session())
    assert plain.kind == "position"
    assert plain.positions[0].ignition is False  # FFFFFBFF: bit 10 clear, ACC off
    assert plain.positions[0].alarm is None
    sos = h02.decode(FIXES[7][0], Session())  # FFFBFFFF: bit 18 clear
    assert sos.kind == "alarm"
    assert sos.positions[0].alarm is Alarm.SOS
    assert sos.positions[0].ignition is True
    power_cut = h02.decode(
        b"*HQ,4210209006,V1,054048,A,2828.2297,N,07733.4332,E,000.5,047,4,080918,EEE7FBDF,"
        b"4261193,0#",
        Session(),
    )  # battery field before the date; EEE7FBDF: bit 19 clear
    assert power_cut.positions[0].alarm is Alarm.POWER_CUT
    assert power_cut.positions[0].time == utc(2018, 9, 8, 5, 40, 48)
    binary_sos = h02.decode(FIXES[3][0], Session())  # FFFFFBFD: bit 1 clear
    assert binary_sos.positions[0].alarm is Alarm.SOS
    assert binary_sos.positions[0].battery == 100.0  # battery byte 6
    for decoded in (plain, sos, power_cut, binary_sos):
        check_decoded(decoded)


def test_heartbeat_is_echoed_and_reports_battery() -> None:
    decoded = h02.decode(b"*HQ,135790246811220,HTBT,100#", Session())
    assert decoded.kind == "heartbeat"
    assert decoded.device_key == "135790246811220"
    assert decoded.positions == ()
    assert decoded.attributes["batteryLevel"] == 100.0
    assert decoded.ack == b"*HQ,135790246811220,HTBT#"


def test_reports_without_a_fix_yield_no_position() -> None:
    for frame in (
        b"*HQ,353505221264507,V1,,V,4605.75732,N,01430.73863,E,0.00,0,,FFFFFFEF,125,194,  64,d3#",
        b"*HQ,353588020068342,V1,000000,V,0.0000,0,0.0000,0,0.00,0.00,000000,ffffffff,000106,"
        b"000002,000203,004c87,16#",
    ):
        decoded = h02.decode(frame, Session())
        assert decoded.kind == "position"
        assert decoded.positions == ()


def test_cell_link_and_command_replies_are_not_positions() -> None:
    nbr = h02.decode(
        b"*HQ,1600068860,NBR,120156,262,03,255,6,802,54702,46,802,5032,37,802,54782,30,802,5052,"
        b"28,802,54712,12,802,5042,12,081116,FFFFFBFF#",
        Session(),
    )
    assert (nbr.kind, nbr.positions, nbr.attributes["status"]) == ("other", (), "FFFFFBFF")
    link = h02.decode(b"*HQ,1700086468,LINK,180902,15,0,84,0,0,240517,FFFFFBFF#", Session())
    assert (link.kind, link.attributes["batteryLevel"]) == ("heartbeat", 84.0)
    reply = h02.decode(b"*HQ,135790246811220,V4,CMD,reset,RESET OK#", Session())
    assert (reply.kind, reply.attributes["result"]) == ("other", "CMD,reset,RESET OK")


def test_one_connection_speaks_for_one_device() -> None:
    session = Session()
    h02.decode(b"*HQ,135790246811220,HTBT,100#", session)
    anonymous = h02.decode(
        b"*HQ,,V1,173212,A,2225.78879,S,02829.19021,E,0.00,0,290418,FFFFFBFF#", session
    )
    assert anonymous.positions[0].device_key == "135790246811220"
    with pytest.raises(ProtocolError, match="another device"):
        h02.decode(FIXES[0][0], session)
    with pytest.raises(ProtocolError, match="without a device id"):
        h02.decode(b"*HQ,,HTBT,100#", Session())


@pytest.mark.parametrize(
    "frame",
    [
        b"*HQ,123,V1,164549,A,0956.3869,N,08406.7068,W,000.00,000,321215,FFFFFBFF#",  # day 32
        b"*HQ,123,V1,164549,A,9956.3869,N,08406.7068,W,000.00,000,221215,FFFFFBFF#",  # lat 99
        b"*HQ,123,V1,164549,A,0966.3869,N,08406.7068,W,000.00,000,221215,FFFFFBFF#",  # 66 min
        b"*HQ,123,V1,164549,X,0956.3869,N,08406.7068,W,000.00,000,221215,FFFFFBFF#",  # flag X
        b"*HQ,12a,HTBT#",
        b"*HQ,123,V1*HQ,123,HTBT#",
        b"*HQ\xff,123,HTBT#",
        b"HQ,123,HTBT#",
        b"$" + bytes.fromhex("ff") * 31,  # not BCD
    ],
)
def test_malformed_frames_raise_protocol_error(frame: bytes) -> None:
    with pytest.raises(ProtocolError):
        h02.decode(frame, Session())


# --- framing ----------------------------------------------------------------------------

HEARTBEAT = b"*HQ,135790246811220,HTBT,100#"
STREAM = FIXES[4][0] + b"\r\n" + HEARTBEAT + FIXES[3][0] + FIXES[6][0]


def split(buffer: bytes) -> tuple[list[bytes], bytes]:
    return split_frames(h02.SPEC, buffer)


def test_framer_splits_several_frames_and_skips_line_ends() -> None:
    frames, rest = split(STREAM)
    assert frames == [FIXES[4][0], HEARTBEAT, FIXES[3][0], FIXES[6][0]]
    assert rest == b""


def test_framer_waits_for_partial_frames_at_every_cut() -> None:
    expected = [FIXES[4][0], HEARTBEAT, FIXES[3][0], FIXES[6][0]]
    for cut in range(len(STREAM) + 1):
        first, rest = split(STREAM[:cut])
        second, leftover = split(rest + STREAM[cut:])
        assert first + second == expected
        assert leftover == b""


def test_framer_drops_noise_and_unterminated_frames() -> None:
    frames, rest = split(b"GET / HTTP/1.1\r\n*HQ,1,V1,1234" + HEARTBEAT)
    assert frames == [HEARTBEAT]
    assert rest == b""


def test_framer_refuses_oversize_text_frames() -> None:
    assert h02.frame(b"*HQ," + b"1" * (h02.MAX_FRAME - 5)) == (None, 0)
    with pytest.raises(ProtocolError, match="longer than"):
        h02.frame(b"*HQ," + b"1" * h02.MAX_FRAME)


# --- simulated device -------------------------------------------------------------------

reports = st.builds(
    PositionReport,
    protocol=st.just("h02"),
    device_key=st.from_regex(r"[0-9]{10,15}", fullmatch=True),
    time=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
    ).map(lambda t: t.replace(microsecond=0)),
    valid=st.booleans(),
    latitude=st.floats(-90, 90),
    longitude=st.floats(-180, 180),
    speed=st.floats(0, 500),
    course=st.integers(0, 359).map(float),
    ignition=st.booleans(),
    alarm=st.sampled_from([None, Alarm.SOS, Alarm.POWER_CUT, Alarm.VIBRATION, Alarm.OVERSPEED]),
)


@given(reports)
def test_encoded_report_decodes_back_within_protocol_precision(report: PositionReport) -> None:
    encoder = h02.SPEC.encoder
    assert encoder is not None
    assert encoder.hello(report.device_key) is None  # no login in H02
    assert encoder.acks_positions is False  # the server answers reports with nothing
    wire = encoder.position(report, 1)
    frame, used = h02.frame(wire + b"*HQ")
    assert frame == wire and used == len(wire)
    decoded = h02.decode(frame, Session())
    check_decoded(decoded)
    (back,) = decoded.positions
    assert back.device_key == report.device_key
    assert back.time == report.time
    assert back.valid == report.valid
    assert back.latitude == pytest.approx(report.latitude, abs=2e-6)  # 0.0001 minute
    assert back.longitude == pytest.approx(report.longitude, abs=2e-6)
    assert back.speed == pytest.approx(report.speed, abs=0.01)  # 0.01 knot
    assert back.course == report.course
    assert back.ignition == report.ignition
    assert back.alarm == report.alarm
    assert decoded.ack is None


def test_simulator_reads_the_heartbeat_echo() -> None:
    encoder = h02.SPEC.encoder
    assert encoder is not None
    ack = h02.decode(HEARTBEAT, Session()).ack
    assert ack is not None
    assert encoder.read_ack(ack[:-1]) == 0
    assert encoder.read_ack(ack + b"*HQ") == len(ack)
    with pytest.raises(ProtocolError):
        encoder.read_ack(b"HTTP/1.1 400")


def test_spec_is_what_the_registry_expects() -> None:
    assert h02.SPEC.name == "h02"
    assert h02.SPEC.transport == "tcp"
    assert h02.SPEC.default_port == 5013
    assert h02.SPEC.frame is h02.frame and h02.SPEC.decode is h02.decode


# --- fuzz -------------------------------------------------------------------------------


def decode_or_refuse(frame: bytes, session: Session) -> None:
    try:
        decoded = h02.decode(frame, session)
    except ProtocolError:
        return
    assert isinstance(decoded, Decoded)
    check_decoded(decoded)


@given(st.binary(max_size=4096))
def test_fuzz_decoder_alone_yields_decoded_or_protocol_error(data: bytes) -> None:
    decode_or_refuse(data, Session())
    decode_or_refuse(b"*" + data + b"#", Session())
    decode_or_refuse(b"$" + data, Session())


@given(st.binary(max_size=4096))
def test_fuzz_framer_and_decoder_yield_decoded_or_protocol_error(data: bytes) -> None:
    session = Session()
    with contextlib.suppress(ProtocolError):  # the gateway closes the connection
        for frame in split(data)[0]:
            decode_or_refuse(frame, session)


# fmt: off
PLAUSIBLE = [
    "V1", "V4", "V19", "HTBT", "NBR", "LINK", "A", "V", "B", "0", "N", "S", "E", "W", "",
    "000000", "221215", "311299", "2212.8745", "11346.6574", "-23-3.3408", "FFFFFBFF",
    "14.28", "028", "S17", "123456789", "9999.9999", " 64",
]
# fmt: on
FIELDS = st.sampled_from(PLAUSIBLE) | st.text(alphabet="0123456789.-ABEFNSVW ", max_size=12)


@settings(max_examples=300)
@given(st.lists(FIELDS, max_size=20))
def test_fuzz_text_fields_yield_decoded_or_protocol_error(fields: list[str]) -> None:
    # Plausible fields reach the field parsers far more often than random bytes do.
    decode_or_refuse(("*HQ,4210051415," + ",".join(fields) + "#").encode(), Session())
