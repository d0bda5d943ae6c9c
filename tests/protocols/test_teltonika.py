"""Teltonika Codec 8 / 8E / 16 frames decode as the protocol documents them.

Documented packets (values, CRCs, acks) come from the Teltonika wiki page "Teltonika Data
Sending Protocols" (https://wiki.teltonika-gps.com/view/Teltonika_Data_Sending_Protocols);
real device packets from Traccar's TeltonikaProtocolDecoderTest (traccar/traccar). The
expected values of the real packets were read off their bytes by hand.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from invariants import check_decoded
from invariants import run_stream as run_stream_through

from trackguard.protocols import teltonika
from trackguard.protocols.base import Alarm, Decoded, PositionReport, ProtocolError, Session
from trackguard.protocols.teltonika import SPEC, crc16_ibm

WIKI_IMEI = "356307042441013"
WIKI_HANDSHAKE = bytes.fromhex("000F333536333037303432343431303133")

WIKI_CODEC8_1 = (
    "000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101"
    "425E0F01F10000601A014E0000000000000000010000C7CF"
)
WIKI_CODEC8_2 = (
    "000000000000002808010000016B40D9AD80010000000000000000000000000000000103021503010101"
    "425E100000010000F22A"
)
WIKI_CODEC8_3 = (
    "000000000000004308020000016B40D57B4801000000000000000000000000000000010101010000000000"
    "00016B40D5C198010000000000000000000000000000000101010101000000020000252C"
)
WIKI_CODEC8E = (
    "000000000000004A8E010000016B412CEE000100000000000000000000000000000000010005000100010100"
    "010011001D00010010015E2C880002000B000000003544C87A000E000000001DD7E06A00000100002994"
)
WIKI_CODEC16 = (
    "000000000000005F10020000016BDBC7833000000000000000000000000000000000000B0504020001000003"
    "0002000B00270042563A00000000016BDBC7871800000000000000000000000000000000000B050402000100"
    "00030002000B00260042563A00000200005FB3"
)

# Traccar's TeltonikaProtocolDecoderTest: real devices.
VIENNA = (
    "000000000000004c08010000016818d500580009c28d9f1cb3757a00be00c60f0053000f06f0011503c800"
    "01011d00fc0007423799180053cdf80dce426f430f88190bb8560bb802f100005aa110002887e000010000"
    "ee8d"
)
DUBAI = (
    "000000000000003508010000014f8e016420002141bbaf0f4e96a7fffa0000120000000602010047030242"
    "669c92000002c7000000009100000000000100002df3"
)
TULA = (
    "000000000000002c08010000013eff8d6f9800173295002111f400008100ae0b0000000401010003090016"
    "432980422f7200000100007a5d"
)
PELOPONNESE = (
    "000000000000002b080100000140d4e3ec6e000cc661d01674a5e0fffc00000900000004020100f0000242"
    "322318000000000100007a04"
)
URALS_1 = (
    "000000000000004508010000015eb70a86d00024089d4d21dee3860137005f12005f000e06ef01f0015001"
    "1503c800450108b5000bb6000642382718005fcd057ace19d3430f57440000000001000002bf"
)
URALS_2 = (
    "000000000000004a08010000015ebc1da508002411926621f15246010b00b913005e000f06ef01f0015001"
    "1505c800450108b5000bb6000642381b18005ecd0318ce19cd430f5844000001f1000061a900010000c8e1"
)
NETHERLANDS_8E = (
    "00000000000000a38e0100000178b11c9e1000040bbbc91f03190c002100e113001300000010000600ef01"
    "00f00100150300c800004501001e070005004237e00018000a00ce166200430f970024059f000300f10000"
    "665900c70000001e00100000a1b500000002010000115756315a5a5a32455a383630313533383801190029"
    "50303239392c50303637352c50303637342c50303637322c50303637312c50303437312c50324241430100"
    "001ad8"
)
CAPE_TOWN_8E = (
    "00000000000000b98e0200000179555c7bf8010b3a1cfbebc142b00000000000000000ec000f000900f000"
    "00150000c80000450200710100740001070100fa0000ec01000500b500000018000000430d560044000000"
    "190000000100f1000000000000000000000179555c83c8010b3a1cfbebc142b0000000000000000185000f"
    "000900f00000150000c80000450200710100740001070100fa00018511000500b500000018000000430d56"
    "0044000000190000000100f100000000000000000200003251"
)
EIGHT_RECORDS = (
    "00000000000002cb08080000015a71ccbec00002fc9bfc1e53a1e00016004cf80005001914150216056500"
    "ee00ef00f0009d029e029f02a002a102a202a302a402a502a602020003000164d20003480100c6000ac500"
    "ce02c80000654ec700004ee8000000015a725aaac80002fc933c1e539d4000150049f80000001914150116"
    "056500ee00ef00f0009d029e029f02a002a102a202a302a402a502a602020003000164d200034800f4c600"
    "0ac500ce02c80000654ec700004ee8000000015a75a42c900002fc97d01e539640001d0008020000001914"
    "150016056500ee00ef00f0009d029e029f02a002a102a202a302a402a502a602020003000164d200034800"
    "f8c6000ac500ce02c80006ba5ac700004ee8000000015a75a440180002fc931c1e539b60001d00b9020001"
    "001914150016056500ee00ef00f0009d029e029f02a002a102a202a302a402a502a602020003000164d200"
    "034800fac6000ac500ce02c80006ba5ac700004ee8000000015a75a453a00002fc93601e539cc0001d015d"
    "0c0000001914150016056500ee00ef00f0009d029e029f02a002a102a202a302a402a502a6020200030001"
    "64d200034800f9c6000ac500ce02c80006ba5ac700004ee8000000015a75a467280002fc93801e539cc000"
    "1d013c0c0000001914150016056500ee00ef00f0009d029e029f02a002a102a202a302a402a502a6020200"
    "03000164d200034800f9c6000ac500ce02c80006ba5ac700004ee8000000015a75a47ab00002fc92cc1e53"
    "9c80001d00b00c0000001914150016056500ee00ef00f0009d029e029f02a002a102a202a302a402a502a6"
    "02020003000164d200034800f8c60004c5000a02c800003085c70006ba5a000000015a75a48e380002fc92"
    "ec1e539c40001d00410c0000001914150116056500ee00ef00f0009d029e029f02a002a102a202a302a402"
    "a502a602020003000164d200034800f8c6000ac500ce02c80000c83dc700004ee800080000e0b2"
)
CODEC12_GETINFO = "000000000000000F0C010500000007676574696E666F0100004312"


def logged_in() -> Session:
    return Session(device_key=WIKI_IMEI)


def decode(hex_frame: str, session: Session | None = None) -> Decoded:
    decoded = teltonika.decode(bytes.fromhex(hex_frame), session or logged_in())
    check_decoded(decoded)
    return decoded


def at(
    year: int, month: int, day: int, hour: int, minute: int, second: int, ms: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, ms * 1000, tzinfo=UTC)


def with_crc(body: bytes) -> bytes:
    """An AVL packet around `body` (codec..count2) with a correct length and CRC."""
    return (
        teltonika.PREAMBLE
        + len(body).to_bytes(4, "big")
        + body
        + crc16_ibm(body).to_bytes(4, "big")
    )


def run_stream(data: bytes, session: Session) -> list[Decoded]:
    return run_stream_through(SPEC, data, session)


# --- handshake ------------------------------------------------------------------------


def test_imei_handshake_logs_in_and_is_acked_with_0x01() -> None:
    session = Session()
    decoded = decode(WIKI_HANDSHAKE.hex(), session)
    assert decoded == Decoded(kind="login", device_key=WIKI_IMEI, ack=b"\x01")
    assert session.device_key == WIKI_IMEI


def test_traccar_test_imei_is_accepted() -> None:
    decoded = decode("000F313233343536373839303132333435", Session())
    assert decoded.device_key == "123456789012345"


@pytest.mark.parametrize("imei", [b"35630704244101X", b"1234", b"3563070424410131"])
def test_imei_that_is_not_15_digits_is_refused_with_0x00_and_close(imei: bytes) -> None:
    session = Session()
    frame = len(imei).to_bytes(2, "big") + imei
    decoded = teltonika.decode(frame, session)
    assert decoded == Decoded(kind="login", ack=b"\x00", close=True)
    assert session.device_key is None


def test_second_imei_on_one_connection_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        decode("000F313233343536373839303132333435", logged_in())
    assert decode(WIKI_HANDSHAKE.hex(), logged_in()).ack == b"\x01"  # the same one is fine


def test_avl_packet_before_the_handshake_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="before the IMEI handshake"):
        teltonika.decode(bytes.fromhex(WIKI_CODEC8_1), Session())


# --- documented examples --------------------------------------------------------------


@pytest.mark.parametrize(
    ("packet", "crc"),
    [
        (WIKI_CODEC8_1, 0xC7CF),
        (WIKI_CODEC8_2, 0xF22A),
        (WIKI_CODEC8_3, 0x252C),
        (WIKI_CODEC8E, 0x2994),
        (WIKI_CODEC16, 0x5FB3),
    ],
)
def test_crc16_ibm_of_the_documented_packets_is_the_documented_crc(packet: str, crc: int) -> None:
    raw = bytes.fromhex(packet)
    assert crc16_ibm(raw[8:-4]) == crc == int.from_bytes(raw[-4:], "big")


def test_crc16_ibm_check_value() -> None:
    assert crc16_ibm(b"123456789") == 0xBB3D  # CRC-16/ARC catalogue check value


def test_documented_codec8_first_example() -> None:
    decoded = decode(WIKI_CODEC8_1)
    assert decoded.kind == "position" and decoded.ack == b"\x00\x00\x00\x01"
    assert decoded.device_key == WIKI_IMEI
    (report,) = decoded.positions
    assert report.time == at(2019, 6, 10, 10, 4, 46)
    assert (report.latitude, report.longitude, report.altitude, report.course) == (0, 0, 0, 0)
    assert report.speed == 0 and report.satellites == 0 and report.valid is False
    assert dict(report.attributes) == {
        "priority": 1,
        "event": 1,
        "io21": 3,
        "io1": 1,
        "io66": 0x5E0F,
        "io241": 0x601A,
        "io78": 0,
        "power": 24.079,
        "rssi": 3,
    }


def test_documented_codec8_second_example() -> None:
    decoded = decode(WIKI_CODEC8_2)
    (report,) = decoded.positions
    assert report.time == at(2019, 6, 10, 10, 5, 36)
    assert report.attributes["io21"] == 3 and report.attributes["io1"] == 1
    assert report.attributes["io66"] == 0x5E10
    assert "io241" not in report.attributes


def test_documented_codec8_third_example_has_two_records_and_acks_two() -> None:
    decoded = decode(WIKI_CODEC8_3)
    assert decoded.ack == b"\x00\x00\x00\x02"
    first, second = decoded.positions
    assert first.time == at(2019, 6, 10, 10, 1, 1)
    assert second.time == at(2019, 6, 10, 10, 1, 19)
    assert first.attributes["io1"] == 0 and second.attributes["io1"] == 1


def test_documented_codec8_extended_example() -> None:
    decoded = decode(WIKI_CODEC8E)
    assert decoded.ack == b"\x00\x00\x00\x01"
    (report,) = decoded.positions
    assert report.time == at(2019, 6, 10, 11, 36, 32)
    assert report.attributes["priority"] == 1 and report.attributes["event"] == 1
    assert {k: v for k, v in report.attributes.items() if k.startswith("io")} == {
        "io1": 1,
        "io17": 0x1D,
        "io16": 0x015E2C88,
        "io11": 0x3544C87A,
        "io14": 0x1DD7E06A,
    }
    assert report.attributes["odometer"] == 22949000


def test_documented_codec16_example() -> None:
    decoded = decode(WIKI_CODEC16)
    assert decoded.ack == b"\x00\x00\x00\x02"
    first, second = decoded.positions
    assert first.time == at(2019, 7, 10, 12, 6, 54)
    assert second.time == at(2019, 7, 10, 12, 6, 55)
    assert first.attributes["event"] == 11
    assert (first.attributes["io11"], second.attributes["io11"]) == (0x27, 0x26)
    assert first.attributes["io66"] == 0x563A and first.attributes["io1"] == 0


# --- real devices ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("packet", "expected"),
    [
        (VIENNA, (at(2019, 1, 4, 12, 27, 19), True, 48.1523066, 16.3745183, 83, 198, 190, 15)),
        (DUBAI, (at(2015, 9, 2, 12, 21, 40), True, 25.6808615, 55.7956015, 0, 0, -6, 18)),
        (TULA, (at(2013, 6, 1, 11, 44, 19, 352), True, 55.4824704, 38.9190912, 0, 174, 129, 11)),
        (
            PELOPONNESE,
            (at(2013, 8, 31, 15, 0, 41, 710), True, 37.6743392, 21.432776, 0, 0, -4, 9),
        ),
        (URALS_1, (at(2017, 9, 25, 3, 17, 54), True, 56.8255366, 60.4544333, 95, 95, 311, 18)),
        (URALS_2, (at(2017, 9, 26, 2, 56, 53), True, 56.9463366, 60.5131366, 94, 185, 267, 19)),
        (
            NETHERLANDS_8E,
            (at(2021, 4, 8, 10, 52, 26), True, 52.0296716, 6.7877833, 19, 225, 33, 19),
        ),
        (
            CAPE_TOWN_8E,
            (at(2021, 5, 10, 8, 19, 55), False, -33.9656016, 18.8357883, 0, 0, 0, 0),
        ),
    ],
)
def test_real_device_packets_decode(packet: str, expected: tuple[object, ...]) -> None:
    decoded = decode(packet)
    report = decoded.positions[0]
    assert report.protocol == "teltonika" and report.device_key == WIKI_IMEI
    # Times compare exactly: pytest.approx has no tolerance for datetimes.
    assert report.time == expected[0]
    assert (
        report.valid,
        report.latitude,
        report.longitude,
        report.speed,
        report.course,
        report.altitude,
        report.satellites,
    ) == pytest.approx(expected[1:])
    assert decoded.ack == len(decoded.positions).to_bytes(4, "big")


def test_io_elements_are_kept_and_well_known_ones_named() -> None:
    (report,) = decode(VIENNA).positions
    assert report.motion is True and report.ignition is None and report.alarm is None
    assert report.attributes["io240"] == 1 and report.attributes["io252"] == 0
    assert report.attributes["power"] == pytest.approx(14.233)
    assert report.attributes["batteryVoltage"] == pytest.approx(3.976)
    assert report.attributes["rssi"] == 3
    assert report.attributes["odometer"] == 2656224

    (report,) = decode(URALS_1).positions
    assert report.ignition is True and report.motion is True


def test_codec8_extended_variable_length_values_are_kept_as_hex() -> None:
    (report,) = decode(NETHERLANDS_8E).positions
    assert report.ignition is True
    assert bytes.fromhex(str(report.attributes["io256"])) == b"WV1ZZZ2EZ86015388"
    assert bytes.fromhex(str(report.attributes["io281"])).startswith(b"P0299,P0675")


def test_records_without_satellites_are_invalid() -> None:
    first, second = decode(CAPE_TOWN_8E).positions
    assert first.valid is second.valid is False
    assert second.time == at(2021, 5, 10, 8, 19, 57)


def test_eight_record_packet_is_acked_with_eight() -> None:
    decoded = decode(EIGHT_RECORDS)
    assert len(decoded.positions) == 8 and decoded.ack == b"\x00\x00\x00\x08"
    times = [report.time for report in decoded.positions]
    assert times[0] == at(2017, 2, 24, 20, 25, 28) and all(t.tzinfo is UTC for t in times)


def test_unplug_event_becomes_a_power_cut_alarm() -> None:
    body = bytearray(bytes.fromhex(VIENNA)[8:-4])
    at_252 = body.index(bytes.fromhex("fc00"), 30)  # io252 = 0 in the 1-byte group
    body[at_252 + 1] = 1
    decoded = teltonika.decode(with_crc(bytes(body)), logged_in())
    assert decoded.kind == "alarm" and decoded.positions[0].alarm is Alarm.POWER_CUT


# --- malformed packets ----------------------------------------------------------------


def _mutated(packet: str, index: int, value: int) -> bytes:
    raw = bytearray(bytes.fromhex(packet))
    raw[index] = value
    return bytes(raw)


def test_corrupt_crc_is_rejected() -> None:
    with pytest.raises(ProtocolError, match="CRC"):
        teltonika.decode(_mutated(WIKI_CODEC8_1, -1, 0xCE), logged_in())
    with pytest.raises(ProtocolError, match="CRC"):
        teltonika.decode(_mutated(WIKI_CODEC8_1, 30, 0x01), logged_in())  # payload changed


def test_differing_record_counts_are_rejected() -> None:
    body = bytearray(bytes.fromhex(WIKI_CODEC8_1)[8:-4])
    body[-1] = 2
    with pytest.raises(ProtocolError, match="record counts"):
        teltonika.decode(with_crc(bytes(body)), logged_in())


def test_codec12_and_unknown_codecs_are_rejected() -> None:
    with pytest.raises(ProtocolError, match="unsupported codec 0x0c"):
        teltonika.decode(bytes.fromhex(CODEC12_GETINFO), logged_in())
    body = bytearray(bytes.fromhex(WIKI_CODEC8_1)[8:-4])
    body[0] = 0x07
    with pytest.raises(ProtocolError, match="unsupported codec 0x07"):
        teltonika.decode(with_crc(bytes(body)), logged_in())


def test_truncated_record_and_trailing_bytes_are_rejected() -> None:
    body = bytes.fromhex(WIKI_CODEC8_1)[8:-4]
    with pytest.raises(ProtocolError):
        teltonika.decode(with_crc(body[:-6] + body[-1:]), logged_in())
    with pytest.raises(ProtocolError, match="left after"):
        teltonika.decode(with_crc(body[:-1] + b"\x00" + body[-1:]), logged_in())


def test_traccar_packet_with_zero_length_and_crc_is_rejected() -> None:
    # Traccar accepts this old firmware's packet; with no length it cannot be framed.
    raw = bytes.fromhex(
        "0000000000000000080100000113fc208dff00209cca800f14f650006f00d604000400040301011503"
        "16030001460000015d000100000000"
    )
    with pytest.raises(ProtocolError):
        SPEC.frame(raw)  # type: ignore[misc]
    with pytest.raises(ProtocolError):
        teltonika.decode(raw, logged_in())


def test_255_records_announced_without_data_fail_fast() -> None:
    packet = with_crc(bytes([0x08, 255, 255]))
    started = time.perf_counter()
    with pytest.raises(ProtocolError, match="more records"):
        teltonika.decode(packet, logged_in())
    # 255 records, each announcing 255 one-byte IO elements, in a packet too short for them.
    record = bytes(24) + bytes([0, 255, 255])
    with pytest.raises(ProtocolError):
        teltonika.decode(with_crc(bytes([0x08, 1]) + record + bytes(3) + b"\x01"), logged_in())
    assert time.perf_counter() - started < 0.1


# --- framing --------------------------------------------------------------------------


def test_framer_splits_handshake_and_packets_in_one_buffer() -> None:
    stream = WIKI_HANDSHAKE + bytes.fromhex(WIKI_CODEC8_1) + bytes.fromhex(WIKI_CODEC8E)
    frames = []
    while stream:
        frame, used = SPEC.frame(stream)  # type: ignore[misc]
        assert frame is not None
        frames.append(frame)
        stream = stream[used:]
    assert frames == [WIKI_HANDSHAKE, bytes.fromhex(WIKI_CODEC8_1), bytes.fromhex(WIKI_CODEC8E)]


def test_framer_waits_for_partial_frames() -> None:
    packet = bytes.fromhex(WIKI_CODEC8_3)
    for cut in range(len(packet)):
        assert SPEC.frame(packet[:cut]) == (None, 0)  # type: ignore[misc]
    assert SPEC.frame(packet + b"\x00") == (packet, len(packet))  # type: ignore[misc]
    for cut in range(len(WIKI_HANDSHAKE)):
        assert SPEC.frame(WIKI_HANDSHAKE[:cut]) == (None, 0)  # type: ignore[misc]


def test_oversize_declared_length_is_refused_before_buffering() -> None:
    header = teltonika.PREAMBLE + (SPEC.max_frame).to_bytes(4, "big")
    with pytest.raises(ProtocolError, match="length out of range"):
        SPEC.frame(header)  # type: ignore[misc]
    with pytest.raises(ProtocolError, match="IMEI handshake length"):
        SPEC.frame(b"\x01\x00")  # type: ignore[misc]


def test_packet_without_its_zero_preamble_is_refused() -> None:
    with pytest.raises(ProtocolError, match="four zero bytes"):
        SPEC.frame(b"\x00\x00\x00\x01")  # type: ignore[misc]


def test_stream_of_handshake_and_packets_decodes_end_to_end() -> None:
    session = Session()
    stream = WIKI_HANDSHAKE + bytes.fromhex(VIENNA) + bytes.fromhex(NETHERLANDS_8E)
    kinds = [d.kind for d in run_stream(stream, session)]
    assert kinds == ["login", "position", "position"] and session.device_key == WIKI_IMEI


# --- simulator side -------------------------------------------------------------------


REPORT = PositionReport(
    protocol="teltonika",
    device_key=WIKI_IMEI,
    time=at(2024, 5, 17, 8, 30, 15, 250),
    valid=True,
    latitude=52.3675734,
    longitude=-4.9041389,
    speed=57.0,
    course=271.0,
    altitude=-3.0,
    satellites=9,
    battery=87.0,
    ignition=True,
    motion=True,
    alarm=Alarm.POWER_CUT,
)


@pytest.mark.parametrize(
    "report",
    [
        REPORT,
        PositionReport(
            protocol="teltonika",
            device_key=WIKI_IMEI,
            time=at(2020, 1, 1, 0, 0, 0),
            valid=False,
            latitude=-33.9656016,
            longitude=151.2093,
        ),
    ],
)
def test_encoder_round_trip(report: PositionReport) -> None:
    session = Session()
    hello = SPEC.encoder.hello(WIKI_IMEI)  # type: ignore[union-attr]
    assert hello == WIKI_HANDSHAKE and SPEC.encoder.acks_positions is True  # type: ignore[union-attr]
    packet = SPEC.encoder.position(report, 1)  # type: ignore[union-attr]
    decoded = run_stream(hello + packet, session)
    assert [d.ack for d in decoded] == [b"\x01", b"\x00\x00\x00\x01"]
    (back,) = decoded[1].positions
    assert back.time == report.time
    assert back.latitude == pytest.approx(report.latitude, abs=1e-7)
    assert back.longitude == pytest.approx(report.longitude, abs=1e-7)
    for name in ("valid", "speed", "battery", "ignition", "motion", "alarm"):
        assert getattr(back, name) == getattr(report, name), name
    assert back.course == (report.course or 0.0) and back.altitude == (report.altitude or 0.0)
    assert back.satellites == (report.satellites or 0)


def test_read_ack_parses_handshake_and_record_count_acks() -> None:
    read_ack = SPEC.encoder.read_ack  # type: ignore[union-attr]
    assert read_ack(b"") == 0
    assert read_ack(b"\x01") == 1
    assert read_ack(b"\x01\x00\x00\x00\x01") == 1
    assert read_ack(b"\x00\x00\x00") == 0
    assert read_ack(b"\x00\x00\x00\x01") == 4


# --- fuzz -----------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=4096))
def test_any_bytes_from_a_fresh_connection_decode_or_raise_protocol_error(data: bytes) -> None:
    run_stream(data, Session())


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=4096))
def test_any_bytes_after_login_decode_or_raise_protocol_error(data: bytes) -> None:
    run_stream(data, logged_in())


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([0x08, 0x8E, 0x10]), st.integers(0, 255), st.binary(max_size=4096))
def test_any_avl_body_with_a_valid_crc_decodes_or_raises(
    codec: int, count: int, data: bytes
) -> None:
    run_stream(with_crc(bytes([codec, count]) + data + bytes([count])), logged_in())


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_documented_packets_with_one_byte_changed_and_crc_fixed(data: st.DataObject) -> None:
    body = bytearray(
        bytes.fromhex(data.draw(st.sampled_from([WIKI_CODEC8E, NETHERLANDS_8E])))[8:-4]
    )
    index = data.draw(st.integers(0, len(body) - 1))
    body[index] = data.draw(st.integers(0, 255))
    run_stream(with_crc(bytes(body)), logged_in())


@given(st.binary(max_size=1000))
def test_crc16_by_rows_equals_the_bytewise_crc(data: bytes) -> None:
    assert teltonika.crc16_ibm(data) == teltonika._crc16_bytewise(data)
