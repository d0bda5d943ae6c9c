"""Teltonika Codec 8 / 8 Extended / 16 over TCP (FMB, FMC, FMM... trackers), port 5027.

    IMEI handshake  | length (2) | IMEI (ASCII)                        -> 0x01 accept, 0x00 refuse
    AVL packet      | 00000000 | data length (4) | data | CRC (4)    -> record count (4)
    data            | codec id | count | records... | count

`data length` counts the data; the CRC-16/IBM (ARC, poly 0xA001 reflected) of the data
sits in the low two bytes of the CRC field and is verified. A record is timestamp (8, ms
UTC), priority (1), longitude, latitude (4 each, signed 1e-7 degrees), altitude (2,
signed, m), angle (2), satellites (1), speed (2, km/h) and an IO element: event IO id,
total count, then one group each of 1, 2, 4 and 8-byte values (Codec 8E: 2-byte ids and
counts plus a group of variable-length NX values; Codec 16: 2-byte ids, 1-byte counts
and a generation type). Facts follow the Teltonika wiki ("Teltonika Data Sending
Protocols") and the IO meanings of Traccar's TeltonikaProtocolDecoder (FMB family).

Decisions:
- The IMEI handshake must come first. An IMEI that is not 15 ASCII digits is refused
  with 0x00 and close=True (a Decoded value, not an error, so the device hears "no");
  a handshake naming another IMEI on the same connection, or AVL data before any
  handshake, raises ProtocolError.
- The framer tells the two frames apart by their first two bytes: 0x0000 starts an AVL
  preamble (an IMEI length is never 0), anything else is an IMEI length. Declared sizes
  are checked before the rest is buffered.
- Codecs 0x08, 0x8E and 0x10 are decoded; any other codec id raises ProtocolError
  (trackguard never sends Codec 12/13/14 commands, so their replies are not expected).
  A CRC mismatch, differing record counts, a truncated record or trailing bytes raise
  ProtocolError: the device is then not acked and resends the packet.
- Validity is not on the wire: a record is valid when satellites > 0 and the position
  is not 0/0 (Traccar uses satellites only).
- Every IO element is kept as attributes["io<id>"] (1/2/4-byte values unsigned, 8-byte
  values signed as Traccar reads them, NX values as hex). Well-known ids are also named:
  239 ignition, 240 motion, 113 battery %, 66 "power" and 67 "batteryVoltage" in volts,
  21 "rssi", 16 "odometer" (m). FMB event ids become alarms: 252 unplug -> powerCut,
  249 jamming -> tampering, 246 towing -> movement, 255 overspeeding -> overspeed,
  247 crash and 236 alarm -> general. Teltonika has no standard SOS id; a "panic"
  priority (2) is kept as attributes["priority"] only.
- Coordinates outside +-90/+-180 raise ProtocolError (a corrupt packet, not a fix).
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Literal

from trackguard.protocols.base import (
    Alarm,
    Decoded,
    DeviceEncoder,
    PositionReport,
    ProtocolError,
    ProtocolSpec,
    Session,
)

NAME = "teltonika"
DEFAULT_PORT = 5027
# The wiki's largest AVL packet is 1280 bytes; the rest is headroom for Codec 8E NX values.
MAX_FRAME = 16 * 1024

CODEC_8 = 0x08
CODEC_8E = 0x8E
CODEC_16 = 0x10

PREAMBLE = b"\x00\x00\x00\x00"
HANDSHAKE_ACCEPT = b"\x01"
HANDSHAKE_REFUSE = b"\x00"

_IMEI_DIGITS = 15
_MAX_IMEI_FIELD = 64  # a larger "IMEI length" is not a handshake at all
_MIN_DATA = 3  # codec id, count, count
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_TIMESTAMP_MS = int((datetime(9999, 12, 31, tzinfo=UTC) - _EPOCH).total_seconds()) * 1000


@dataclass(frozen=True, slots=True)
class _Layout:
    """Field sizes of one codec's IO element."""

    id_size: int
    count_size: int
    generation_type: bool = False
    variable_group: bool = False

    @property
    def min_record(self) -> int:
        groups = 5 if self.variable_group else 4
        extra = 1 if self.generation_type else 0
        return 24 + self.id_size + extra + self.count_size * (1 + groups)


_LAYOUTS: Mapping[int, _Layout] = MappingProxyType(
    {
        CODEC_8: _Layout(id_size=1, count_size=1),
        CODEC_8E: _Layout(id_size=2, count_size=2, variable_group=True),
        CODEC_16: _Layout(id_size=2, count_size=1, generation_type=True),
    }
)

IGNITION, MOVEMENT, BATTERY_LEVEL = 239, 240, 113
# id -> (attribute name, divisor): millivolts become volts.
_NAMED: Mapping[int, tuple[str, int]] = MappingProxyType(
    {66: ("power", 1000), 67: ("batteryVoltage", 1000), 21: ("rssi", 1), 16: ("odometer", 1)}
)
# In order of precedence when one record carries several.
_ALARM_IDS: Mapping[int, Alarm] = MappingProxyType(
    {
        252: Alarm.POWER_CUT,
        249: Alarm.TAMPERING,
        246: Alarm.MOVEMENT,
        255: Alarm.OVERSPEED,
        247: Alarm.GENERAL,
        236: Alarm.GENERAL,
    }
)


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16_ibm(data: bytes) -> int:
    """CRC-16/IBM (ARC): reflected poly 0xA001, initial value 0.

    Two bytes per step (a 16-bit CRC is wholly shifted out by two bytes, so the
    next value depends only on the old one XOR the next little-endian word): half
    the Python-level iterations of the byte-wise loop, which a 10-record packet
    otherwise spends a good part of its decoding in.
    """
    crc = 0
    even = len(data) & ~1
    if even:
        pairs = _crc_pair_table()
        for word in struct.unpack_from(f"<{even // 2}H", data):
            crc = pairs[crc ^ word]
    if even != len(data):
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ data[-1]) & 0xFF]
    return crc


@functools.cache
def _crc_pair_table() -> tuple[int, ...]:
    """The CRC after two bytes, by (CRC XOR little-endian word); made on first use."""
    table = _CRC_TABLE
    return tuple(
        (table[x & 0xFF] >> 8) ^ table[((x >> 8) ^ table[x & 0xFF]) & 0xFF] for x in range(65536)
    )


def _crc16_bytewise(data: bytes) -> int:
    """The textbook byte-at-a-time CRC-16/IBM, kept as the tests' reference."""
    crc = 0
    for byte in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc


def split_frame(buffer: bytes) -> tuple[bytes | None, int]:
    """One IMEI handshake or AVL packet from the start of `buffer`."""
    if len(buffer) < 2:
        return None, 0
    if buffer[0] or buffer[1]:
        size = 2 + int.from_bytes(buffer[:2], "big")
        if size - 2 > _MAX_IMEI_FIELD:
            raise ProtocolError("teltonika: IMEI handshake length out of range")
    else:
        if any(buffer[2:4]):
            raise ProtocolError("teltonika: AVL packet without its four zero bytes")
        if len(buffer) < 8:
            return None, 0
        length = int.from_bytes(buffer[4:8], "big")
        size = 8 + length + 4
        if length < _MIN_DATA or size > MAX_FRAME:
            raise ProtocolError("teltonika: AVL data length out of range")
    if len(buffer) < size:
        return None, 0
    return bytes(buffer[:size]), size


# Fixed part of a record: timestamp (ms), priority, longitude, latitude, altitude, angle,
# satellites, speed.
_RECORD_HEAD = struct.Struct(">QBiihHBH")
_FORMAT = {1: "B", 2: "H", 4: "I", 8: "q"}  # 8-byte values are signed, as Traccar reads them


@functools.lru_cache(maxsize=256)
def _pairs(id_size: int, size: int, count: int) -> struct.Struct:
    """`count` (IO id, value) pairs; devices use a few shapes (bounded: hostile input)."""
    return struct.Struct(">" + (_FORMAT[id_size] + _FORMAT[size]) * count)


def _short() -> ProtocolError:
    return ProtocolError("teltonika: record runs past the end of the packet")


def _io_element(
    data: bytes, pos: int, end: int, layout: _Layout
) -> tuple[int, dict[int, int | str], int]:
    """(event IO id, IO values, offset after the element) of the element at `pos`.

    Offsets are checked against `end` before each read: a record running past it is a
    ProtocolError, never an IndexError or a read into the trailing record count.
    """
    id_size, count_size = layout.id_size, layout.count_size
    head = id_size + (1 if layout.generation_type else 0) + count_size
    if pos + head > end:
        raise _short()
    event = int.from_bytes(data[pos : pos + id_size], "big")
    pos += head  # the total count is skipped: the groups below are authoritative
    values: dict[int, int | str] = {}
    for size in (1, 2, 4, 8):
        if pos + count_size > end:
            raise _short()
        count = int.from_bytes(data[pos : pos + count_size], "big")
        pos += count_size
        if not count:
            continue
        if pos + count * (id_size + size) > end:
            raise _short()
        pairs = _pairs(id_size, size, count).unpack_from(data, pos)
        values.update(zip(pairs[::2], pairs[1::2], strict=True))
        pos += count * (id_size + size)
    if layout.variable_group:
        if pos + 2 > end:
            raise _short()
        count = int.from_bytes(data[pos : pos + 2], "big")
        pos += 2
        if pos + count * 4 > end:
            raise _short()
        for _ in range(count):
            if pos + 4 > end:
                raise _short()
            io_id, length = struct.unpack_from(">HH", data, pos)
            pos += 4
            if pos + length > end:
                raise _short()
            values[io_id] = data[pos : pos + length].hex()
            pos += length
    return event, values, pos


@functools.lru_cache(maxsize=1024)
def _io_name(io_id: int) -> str:
    return f"io{io_id}"


def _flag(values: Mapping[int, int | str], io_id: int) -> bool | None:
    value = values.get(io_id)
    return bool(value) if isinstance(value, int) else None


def _alarm(values: Mapping[int, int | str]) -> Alarm | None:
    if not values.keys() & _ALARM_IDS.keys():
        return None  # the usual record: no event IO at all
    for io_id, alarm in _ALARM_IDS.items():
        value = values.get(io_id)
        if isinstance(value, int) and value > 0:
            return alarm
    return None


def _record(
    data: bytes, pos: int, end: int, layout: _Layout, device_key: str
) -> tuple[PositionReport, int]:
    """The record at `pos` and the offset after it."""
    if pos + _RECORD_HEAD.size > end:
        raise _short()
    timestamp, priority, longitude, latitude, altitude, angle, satellites, speed = (
        _RECORD_HEAD.unpack_from(data, pos)
    )
    event, values, pos = _io_element(data, pos + _RECORD_HEAD.size, end, layout)
    if timestamp > _MAX_TIMESTAMP_MS:
        raise ProtocolError("teltonika: timestamp out of range")
    if abs(latitude) > 900_000_000 or abs(longitude) > 1_800_000_000:
        raise ProtocolError("teltonika: coordinates out of range")
    attributes: dict[str, object] = {"priority": priority, "event": event}
    for io_id, value in values.items():
        attributes[_io_name(io_id)] = value
    for io_id, (name, divisor) in _NAMED.items():
        named = values.get(io_id)
        if isinstance(named, int):
            attributes[name] = named / divisor if divisor != 1 else named
    level = values.get(BATTERY_LEVEL)
    report = PositionReport(
        protocol=NAME,
        device_key=device_key,
        time=_EPOCH + timedelta(milliseconds=timestamp),
        valid=satellites > 0 and (latitude, longitude) != (0, 0),
        latitude=latitude / 1e7,
        longitude=longitude / 1e7,
        speed=float(speed),
        course=float(angle) if angle <= 360 else None,
        altitude=float(altitude),
        satellites=satellites,
        battery=float(level) if isinstance(level, int) and level <= 100 else None,
        ignition=_flag(values, IGNITION),
        motion=_flag(values, MOVEMENT),
        alarm=_alarm(values),
        attributes=MappingProxyType(attributes),
    )
    return report, pos


def _decode_handshake(data: bytes, session: Session) -> Decoded:
    if len(data) != 2 + int.from_bytes(data[:2], "big"):
        raise ProtocolError("teltonika: IMEI handshake length does not match its content")
    imei = data[2:]
    if len(imei) != _IMEI_DIGITS or not imei.isdigit():
        return Decoded(kind="login", ack=HANDSHAKE_REFUSE, close=True)
    device_key = imei.decode("ascii")
    if session.device_key not in (None, device_key):
        raise ProtocolError("teltonika: a second IMEI on one connection")
    session.device_key = device_key
    return Decoded(kind="login", device_key=device_key, ack=HANDSHAKE_ACCEPT)


def _decode_avl(data: bytes, session: Session) -> Decoded:
    device_key = session.device_key
    if device_key is None:
        raise ProtocolError("teltonika: AVL data before the IMEI handshake")
    if len(data) < 8 + _MIN_DATA + 4 or data[:4] != PREAMBLE:
        raise ProtocolError("teltonika: not an AVL packet")
    length = int.from_bytes(data[4:8], "big")
    if len(data) != 8 + length + 4:
        raise ProtocolError("teltonika: AVL data length does not match the packet")
    body = data[8 : 8 + length]
    if int.from_bytes(data[8 + length :], "big") != crc16_ibm(body):
        raise ProtocolError("teltonika: CRC-16 mismatch")
    codec, count = body[0], body[1]
    if body[-1] != count:
        raise ProtocolError("teltonika: the two record counts differ")
    layout = _LAYOUTS.get(codec)
    if layout is None:
        raise ProtocolError(f"teltonika: unsupported codec 0x{codec:02x}")
    if count * layout.min_record > length - _MIN_DATA:
        raise ProtocolError("teltonika: more records announced than the packet holds")
    pos, end = 2, len(body) - 1
    records = []
    for _ in range(count):
        record, pos = _record(body, pos, end, layout, device_key)
        records.append(record)
    if pos != end:
        raise ProtocolError("teltonika: bytes left after the last record")
    reports = tuple(records)
    kind: Literal["alarm", "position", "heartbeat"]
    if any(report.alarm for report in reports):
        kind = "alarm"
    else:
        kind = "position" if reports else "heartbeat"
    return Decoded(
        kind=kind, device_key=device_key, positions=reports, ack=count.to_bytes(4, "big")
    )


def decode(frame: bytes, session: Session) -> Decoded:
    """An IMEI handshake (logs the session in) or an AVL packet (needs the login)."""
    if len(frame) < 2:
        raise ProtocolError("teltonika: frame too short")
    if frame[:2] == b"\x00\x00":
        return _decode_avl(frame, session)
    return _decode_handshake(frame, session)


# --- simulator side -------------------------------------------------------------------

_ALARM_TO_IO: Mapping[Alarm, int] = MappingProxyType(
    {
        Alarm.POWER_CUT: 252,
        Alarm.TAMPERING: 249,
        Alarm.MOVEMENT: 246,
        Alarm.OVERSPEED: 255,
    }
)
_GENERAL_ALARM_IO = 236  # alarms without an FMB id of their own (they decode as general)


def handshake(imei: str) -> bytes:
    """The first frame a device sends: 2-byte length and the IMEI in ASCII."""
    raw = imei.encode("ascii")
    return len(raw).to_bytes(2, "big") + raw


def avl_packet(records: list[bytes], codec: int = CODEC_8) -> bytes:
    """Wrap encoded records in preamble, length, counts and CRC."""
    body = bytes([codec, len(records)]) + b"".join(records) + bytes([len(records)])
    return PREAMBLE + len(body).to_bytes(4, "big") + body + crc16_ibm(body).to_bytes(4, "big")


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def encode_record(report: PositionReport) -> bytes:
    """One Codec 8 record. Satellites are forced to agree with `valid` (see decode)."""
    satellites = _clamp(report.satellites or 0, 0, 255)
    if report.valid and satellites == 0:
        satellites = 1
    elif not report.valid:
        satellites = 0
    one_byte: dict[int, int] = {}
    if report.ignition is not None:
        one_byte[IGNITION] = int(report.ignition)
    if report.motion is not None:
        one_byte[MOVEMENT] = int(report.motion)
    if report.battery is not None:
        one_byte[BATTERY_LEVEL] = _clamp(report.battery, 0, 100)
    event = 0
    if report.alarm is not None:
        event = _ALARM_TO_IO.get(report.alarm, _GENERAL_ALARM_IO)
        one_byte[event] = _clamp(report.speed, 1, 255) if event == 255 else 1
    milliseconds = round((report.time - _EPOCH).total_seconds() * 1000)
    io = bytes([event, len(one_byte), len(one_byte)])
    io += b"".join(bytes([io_id, value]) for io_id, value in one_byte.items())
    io += b"\x00\x00\x00"  # no 2, 4 or 8-byte values
    return (
        struct.pack(
            ">QBiihHBH",
            milliseconds,
            1 if report.alarm else 0,
            round(report.longitude * 1e7),
            round(report.latitude * 1e7),
            _clamp(report.altitude or 0.0, -32768, 32767),
            _clamp(report.course or 0.0, 0, 360),
            satellites,
            _clamp(report.speed, 0, 0xFFFF),
        )
        + io
    )


def position_packet(report: PositionReport, sequence: int) -> bytes:
    """A Codec 8 AVL packet holding one record (`sequence` is not on this wire)."""
    return avl_packet([encode_record(report)])


def read_ack(buffer: bytes) -> int:
    """0x01 accepts the handshake; a record-count ack is 4 bytes starting 0x00.

    A refused handshake (0x00 alone) reads as an incomplete count: the server closes
    the connection right after it.
    """
    if not buffer:
        return 0
    if buffer[0] == HANDSHAKE_ACCEPT[0]:
        return 1
    return 4 if len(buffer) >= 4 else 0


SPEC = ProtocolSpec(
    name=NAME,
    transport="tcp",
    default_port=DEFAULT_PORT,
    max_frame=MAX_FRAME,
    decode=decode,
    frame=split_frame,
    encoder=DeviceEncoder(hello=handshake, position=position_packet, read_ack=read_ack),
)
