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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Literal

import numpy as np

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
    io_head: int = field(init=False)  # event id, generation type, total count
    pair_sizes: tuple[int, ...] = field(init=False)  # an (id, value) pair of each group

    def __post_init__(self) -> None:
        head = self.id_size + (1 if self.generation_type else 0) + self.count_size
        object.__setattr__(self, "io_head", head)
        object.__setattr__(self, "pair_sizes", tuple(self.id_size + s for s in (1, 2, 4, 8)))

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
# The same by attribute name ("io<id>"), as the decoder looks them up.
_NAMED_IOS = {f"io{io_id}": named for io_id, named in _NAMED.items()}
_ALARM_IOS = {f"io{io_id}": alarm for io_id, alarm in _ALARM_IDS.items()}
_IGNITION_IO, _MOVEMENT_IO, _BATTERY_LEVEL_IO = (
    f"io{i}" for i in (IGNITION, MOVEMENT, BATTERY_LEVEL)
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

    With no initial value the CRC is linear in the bytes and leading zero bytes leave
    it unchanged. So the data, zero-padded in front to whole rows of `_CRC_ROW`
    bytes, is looked up by (column, byte) in one table and each row XOR-reduced in
    numpy; a short Python loop then chains the rows. A Python loop over the bytes is
    one dependent table look-up per byte (or per two): on a busy server, where its
    table has left the cache, that was about a tenth of the ingest path's CPU time.
    """
    column_table, shift_low, shift_high = _crc_row_tables()
    padded = bytes(-len(data) % _CRC_ROW) + data
    rows = np.frombuffer(padded, np.uint8).reshape(-1, _CRC_ROW)
    crc = 0
    for row in np.bitwise_xor.reduce(column_table[_CRC_COLUMNS, rows], axis=1).tolist():
        crc = shift_low[crc & 0xFF] ^ shift_high[crc >> 8] ^ row
    return crc


_CRC_ROW = 64
_CRC_COLUMNS = np.arange(_CRC_ROW)


def _crc_step(crc: int) -> int:
    """The CRC after one more zero byte."""
    return (crc >> 8) ^ _CRC_TABLE[crc & 0xFF]


@functools.cache
def _crc_row_tables() -> tuple[np.ndarray, tuple[int, ...], tuple[int, ...]]:
    """(CRC of byte b in column j of a row, by [j, b]; CRC after a row of zero bytes from
    a CRC's low byte; from its high byte), made on first use."""
    columns = np.zeros((_CRC_ROW, 256), np.uint16)
    for byte in range(256):
        crc = _CRC_TABLE[byte]  # the byte in the last column
        for column in range(_CRC_ROW - 1, -1, -1):
            columns[column, byte] = crc
            crc = _crc_step(crc)
    low, high = [], []
    for value in range(256):
        after_low, after_high = value, value << 8
        for _ in range(_CRC_ROW):
            after_low, after_high = _crc_step(after_low), _crc_step(after_high)
        low.append(after_low)
        high.append(after_high)
    return columns, tuple(low), tuple(high)


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
_COUNT_FORMAT = {1: "x", 2: "xx"}  # a group's count, skipped when unpacking its pairs


@functools.lru_cache(maxsize=256)
def _shape(id_size: int, count_size: int, counts: tuple[int, ...]) -> struct.Struct:
    """The four fixed groups of an IO element with `counts` pairs each, read in one call
    from the first count on: every (IO id, value) in order, counts skipped.

    Devices send a few shapes (bounded: hostile input); one unpack per record instead
    of one per group.
    """
    id_format, skip = _FORMAT[id_size], _COUNT_FORMAT[count_size]
    return struct.Struct(
        ">"
        + "".join(
            skip + (id_format + _FORMAT[size]) * count
            for size, count in zip((1, 2, 4, 8), counts, strict=True)
        )
    )


class _IoNames(dict[int, str]):
    """Attribute names by IO id ("io<id>"), made on first use (ids have at most two
    bytes: bounded)."""

    def __missing__(self, io_id: int) -> str:
        name = self[io_id] = f"io{io_id}"
        return name


_IO_NAMES = _IoNames()


def _short() -> ProtocolError:
    return ProtocolError("teltonika: record runs past the end of the packet")


def _io_element(
    data: bytes, pos: int, end: int, layout: _Layout, attributes: dict[str, object]
) -> tuple[int, int]:
    """(event IO id, offset after the element) of the element at `pos`; its values go
    into `attributes` as "io<id>" (no dict of raw ids on the way: one less per record).

    Offsets are checked against `end` before each read: a record running past it is a
    ProtocolError, never an IndexError or a read into the trailing record count.
    """
    id_size, count_size = layout.id_size, layout.count_size
    if pos + layout.io_head > end:
        raise _short()
    event = data[pos] if id_size == 1 else int.from_bytes(data[pos : pos + id_size], "big")
    start = pos = pos + layout.io_head  # the total count is skipped: the groups are authoritative
    counts = []
    for width in layout.pair_sizes:
        if pos + count_size > end:
            raise _short()
        count = data[pos] if count_size == 1 else int.from_bytes(data[pos : pos + 2], "big")
        counts.append(count)
        pos += count_size + count * width
    if pos > end:
        raise _short()
    pairs = _shape(id_size, count_size, tuple(counts)).unpack_from(data, start)
    attributes.update(zip(map(_IO_NAMES.__getitem__, pairs[::2]), pairs[1::2], strict=True))
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
            attributes[_IO_NAMES[io_id]] = data[pos : pos + length].hex()
            pos += length
    return event, pos


def _alarm(attributes: Mapping[str, object]) -> Alarm | None:
    for name, alarm in _ALARM_IOS.items():
        value = attributes.get(name)
        if type(value) is int and value > 0:
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
    attributes: dict[str, object] = {"priority": priority, "event": 0}
    event, pos = _io_element(data, pos + _RECORD_HEAD.size, end, layout, attributes)
    attributes["event"] = event
    if timestamp > _MAX_TIMESTAMP_MS:
        raise ProtocolError("teltonika: timestamp out of range")
    if abs(latitude) > 900_000_000 or abs(longitude) > 1_800_000_000:
        raise ProtocolError("teltonika: coordinates out of range")
    if not _NAMED_IOS.keys().isdisjoint(attributes):  # in C: most records name none
        for io_name, (name, divisor) in _NAMED_IOS.items():
            named = attributes.get(io_name)
            if type(named) is int:
                attributes[name] = named / divisor if divisor != 1 else named
    get = attributes.get
    level, ignition, motion = get(_BATTERY_LEVEL_IO), get(_IGNITION_IO), get(_MOVEMENT_IO)
    report = PositionReport(
        NAME,
        device_key,
        _EPOCH + timedelta(0, 0, 0, timestamp),
        satellites > 0 and (latitude or longitude) != 0,
        latitude / 1e7,
        longitude / 1e7,
        float(speed),
        float(angle) if angle <= 360 else None,
        float(altitude),
        satellites,
        float(level) if type(level) is int and level <= 100 else None,
        ignition != 0 if type(ignition) is int else None,
        motion != 0 if type(motion) is int else None,
        None if _ALARM_IOS.keys().isdisjoint(attributes) else _alarm(attributes),
        MappingProxyType(attributes),
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
    alarm = False
    for _ in range(count):
        record, pos = _record(body, pos, end, layout, device_key)
        records.append(record)
        alarm = alarm or record.alarm is not None
    if pos != end:
        raise ProtocolError("teltonika: bytes left after the last record")
    reports = tuple(records)
    kind: Literal["alarm", "position", "heartbeat"] = (
        "alarm" if alarm else "position" if reports else "heartbeat"
    )
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
