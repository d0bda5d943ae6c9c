"""GT06 / Concox binary protocol (TCP, port 5023): framing, CRC-ITU, decode, acks, simulator.

    78 78 | length (1) | protocol | content | serial (2) | CRC (2) | 0D 0A
    79 79 | length (2) | protocol | content | serial (2) | CRC (2) | 0D 0A

`length` counts protocol..CRC; the CRC-ITU (CRC-16/X-25) covers length..serial and is
verified. Facts (layouts, bit meanings, alarm codes, the voltage-level -> battery mapping)
follow the Concox GT06 protocol document and Traccar's Gt06ProtocolDecoder.

Decisions:
- The device must log in (0x01) before anything else on the connection; any other packet
  (except a 0x8A time request) raises ProtocolError, so the gateway closes the connection
  and the device reconnects and logs in again (Traccar drops such packets silently).
- A second login naming another IMEI on the same connection raises ProtocolError.
- Frame times are UTC, unless the extended login announced a time zone: then they are
  local to that zone and converted to UTC, as Traccar does.
- Every 0x7878 packet is acked (protocol number and serial echoed, 0x80-0x82 command
  replies excepted); 0x7979 packets are acked only when their type is one decoded here.
  The 0x8A time request needs the server's clock, which a pure decoder has not: it is
  decoded as kind "other" with attributes {"request": "time"} and the gateway answers
  with `time_response(now)`.
- Noise before a start marker is skipped by the framer; a frame that starts but is
  malformed (length too small or too large, missing stop bits) raises ProtocolError.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from trackguard.protocols._crc import crc16_x25
from trackguard.protocols.base import (
    Alarm,
    Decoded,
    DeviceEncoder,
    PositionReport,
    ProtocolError,
    ProtocolSpec,
    Session,
)

NAME = "gt06"
DEFAULT_PORT = 5023
MAX_FRAME = 1024

SHORT_START = b"\x78\x78"
LONG_START = b"\x79\x79"
STOP = b"\r\n"

LOGIN = 0x01
GPS = 0x10
GPS_LBS = 0x12
STATUS = 0x13
GPS_LBS_STATUS = 0x16
GPS_LBS_2 = 0x22
GPS_LBS_STATUS_2 = 0x26
TIME_REQUEST = 0x8A
_COMMAND_REPLIES = frozenset({0x80, 0x81, 0x82})
_DECODED_TYPES = frozenset(
    {LOGIN, GPS, GPS_LBS, STATUS, GPS_LBS_STATUS, GPS_LBS_2, GPS_LBS_STATUS_2}
)

_COORDINATE_SCALE = 1_800_000  # 1/500 s of arc: 30000 * 60 units a degree
_STATE_UTC_OFFSET = "gt06.utc_offset_minutes"

# Alarm byte of 0x16/0x26/0x13 (Traccar's codes, narrowed to trackguard's alarms).
_ALARM_CODES: Mapping[int, Alarm] = MappingProxyType(
    {
        0x01: Alarm.SOS,
        0x02: Alarm.POWER_CUT,
        0x03: Alarm.VIBRATION,
        0x06: Alarm.OVERSPEED,
        0x09: Alarm.VIBRATION,
        0x0E: Alarm.LOW_BATTERY,
        0x0F: Alarm.LOW_BATTERY,
        0x13: Alarm.TAMPERING,
    }
)
# Terminal information bits 3-5; 7 is "removed from the vehicle".
_STATUS_ALARMS: Mapping[int, Alarm] = MappingProxyType(
    {1: Alarm.VIBRATION, 2: Alarm.POWER_CUT, 3: Alarm.LOW_BATTERY, 4: Alarm.SOS, 7: Alarm.TAMPERING}
)
_STATUS_BITS: Mapping[Alarm, int] = MappingProxyType({v: k for k, v in _STATUS_ALARMS.items()})
_ENCODED_ALARMS: Mapping[Alarm, int] = MappingProxyType(
    {
        Alarm.SOS: 0x01,
        Alarm.POWER_CUT: 0x02,
        Alarm.VIBRATION: 0x03,
        Alarm.OVERSPEED: 0x06,
        Alarm.LOW_BATTERY: 0x0E,
        Alarm.TAMPERING: 0x13,
    }
)


crc_itu = crc16_x25
"""CRC-ITU as GT06 uses it: CRC-16/X-25 (reflected 0x1021, init and xor-out 0xFFFF)."""


def packet(protocol: int, content: bytes, serial: int, *, long: bool = False) -> bytes:
    """One complete frame: start bits, length, protocol, content, serial, CRC, stop bits."""
    length = 1 + len(content) + 2 + 2
    header = LONG_START + length.to_bytes(2, "big") if long else SHORT_START + bytes([length])
    body = header[2:] + bytes([protocol]) + content + (serial & 0xFFFF).to_bytes(2, "big")
    return header[:2] + body + crc_itu(body).to_bytes(2, "big") + STOP


def time_response(now: datetime) -> bytes:
    """The server's answer to a 0x8A time request (UTC, serial 0, as Traccar sends it)."""
    utc = now.astimezone(UTC)
    if not 2000 <= utc.year <= 2255:
        raise ProtocolError("time outside the GT06 date range")
    content = bytes([utc.year - 2000, utc.month, utc.day, utc.hour, utc.minute, utc.second])
    return packet(TIME_REQUEST, content, 0)


def answer(decoded: Decoded, now: datetime) -> bytes | None:
    """The gateway's answer to a decoded frame that needs the clock: 0x8A time requests."""
    if decoded.kind == "other" and decoded.attributes.get("request") == "time":
        return time_response(now)
    return None


# --- framing ---------------------------------------------------------------------------


_STARTS = (SHORT_START, LONG_START)


def _start_of_frame(buffer: bytes) -> int:
    """Index of the first start marker; noise before it may be dropped."""
    if buffer[:2] in _STARTS:  # the usual buffer: a frame right at the front
        return 0
    found = [i for i in (buffer.find(SHORT_START), buffer.find(LONG_START)) if i >= 0]
    if found:
        return min(found)
    # A lone last 0x78/0x79 may be the first half of a start marker.
    if buffer and buffer[-1] in (0x78, 0x79):
        return len(buffer) - 1
    return len(buffer)


def _declared_size(buffer: bytes, start: int) -> int | None:
    """Total frame size announced by the header at `start`, None if the header is incomplete."""
    if buffer[start : start + 2] == SHORT_START:
        if len(buffer) < start + 3:
            return None
        length, overhead = buffer[start + 2], 5
    else:
        if len(buffer) < start + 4:
            return None
        length, overhead = int.from_bytes(buffer[start + 2 : start + 4], "big"), 6
    if length < 5:
        raise ProtocolError("GT06 length field shorter than protocol, serial and CRC")
    size = length + overhead
    if size > MAX_FRAME:
        raise ProtocolError(f"GT06 frame of {size} bytes exceeds {MAX_FRAME}")
    return size


def frame(buffer: bytes) -> tuple[bytes | None, int]:
    """Split one frame off the front of `buffer` (see base.Framer)."""
    start = _start_of_frame(buffer)
    if len(buffer) - start < 2:
        return None, start
    size = _declared_size(buffer, start)
    if size is None or len(buffer) - start < size:
        return None, start
    end = start + size
    if buffer[end - 2 : end] != STOP:
        raise ProtocolError("GT06 frame does not end with 0D 0A")
    return buffer[start:end], end


# --- decoding ---------------------------------------------------------------------------


class _Reader:
    """Bounds-checked big-endian reads; running past the end is a ProtocolError."""

    __slots__ = ("at", "data")

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def remaining(self) -> int:
        return len(self.data) - self.at

    def take(self, n: int) -> bytes:
        if n < 0 or self.at + n > len(self.data):
            raise ProtocolError("GT06 packet content is truncated")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk

    def uint(self, n: int) -> int:
        if n == 1:  # most fields: an index, no slice
            at = self.at
            if at >= len(self.data):
                raise ProtocolError("GT06 packet content is truncated")
            self.at = at + 1
            return self.data[at]
        return int.from_bytes(self.take(n), "big")

    def unpack(self, layout: struct.Struct) -> tuple[Any, ...]:
        at = self.at
        if at + layout.size > len(self.data):
            raise ProtocolError("GT06 packet content is truncated")
        self.at = at + layout.size
        return layout.unpack_from(self.data, at)


def _frame_time(fields: bytes, offset_minutes: int) -> datetime:
    year, month, day, hour, minute, second = fields
    try:
        local = datetime(2000 + year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise ProtocolError("GT06 date/time out of range") from None
    return local - timedelta(minutes=offset_minutes) if offset_minutes else local


def _battery_percent(voltage_level: int) -> float | None:
    # Voltage level 0 (no power) .. 6 (very high), scaled as Traccar does (level * 100 / 6).
    return float(voltage_level * 100 // 6) if voltage_level <= 6 else None


# Date and time (6), GPS info length and satellites, latitude, longitude, speed, course
# and status flags.
_GPS_BLOCK = struct.Struct(">6sBIIBH")


class _Fix:
    """The GPS block shared by 0x10/0x12/0x16/0x22/0x26 (18 bytes)."""

    def __init__(self, reader: _Reader, offset_minutes: int) -> None:
        time, satellites, latitude_units, longitude_units, speed, flags = reader.unpack(
            _GPS_BLOCK
        )  # one call, not six
        self.time = _frame_time(time, offset_minutes)
        self.satellites = satellites & 0x0F  # high nibble: GPS info length
        latitude = latitude_units / _COORDINATE_SCALE
        longitude = longitude_units / _COORDINATE_SCALE
        if latitude > 90.0 or longitude > 180.0:
            raise ProtocolError("GT06 coordinates out of range")
        self.speed = float(speed)  # km/h
        course = flags & 0x03FF
        self.course = float(course) if course <= 360 else None
        self.valid = bool(flags & 0x1000)  # GPS positioned
        self.differential = bool(flags & 0x2000)  # 0 real-time, 1 differential
        self.latitude = latitude if flags & 0x0400 else -latitude  # bit 10 set: north
        self.longitude = -longitude if flags & 0x0800 else longitude  # bit 11 set: west
        self.ignition = bool(flags & 0x8000) if flags & 0x4000 else None  # some firmwares


def _cell(reader: _Reader, attributes: dict[str, object]) -> None:
    mcc = reader.uint(2)
    attributes["mnc"] = reader.uint(2 if mcc & 0x8000 else 1)
    attributes["mcc"] = mcc & 0x7FFF
    attributes["lac"] = reader.uint(2)
    attributes["cid"] = reader.uint(3)


def _terminal_info(value: int, attributes: dict[str, object]) -> Alarm | None:
    attributes["status"] = value
    attributes["armed"] = bool(value & 0x01)
    attributes["ignition"] = bool(value & 0x02)  # ACC high
    attributes["charge"] = bool(value & 0x04)
    attributes["blocked"] = bool(value & 0x80)  # oil and electricity cut
    return _STATUS_ALARMS.get((value >> 3) & 0x07)


def _status_block(reader: _Reader, attributes: dict[str, object]) -> Alarm | None:
    """Terminal info, voltage level, GSM signal, alarm, language (0x13, 0x16, 0x26)."""
    status_alarm = _terminal_info(reader.uint(1), attributes)
    attributes["batteryLevel"] = _battery_percent(reader.uint(1))
    attributes["rssi"] = reader.uint(1)  # 0 none .. 4 strong
    code = reader.uint(1)
    attributes["alarmCode"] = code
    if reader.remaining():
        attributes["language"] = reader.uint(1)
    return _ALARM_CODES.get(code) or status_alarm


def _frozen(attributes: dict[str, object]) -> Mapping[str, object]:
    return MappingProxyType({k: v for k, v in attributes.items() if v is not None})


def _decode_location(protocol: int, content: bytes, device_key: str, offset: int) -> PositionReport:
    reader = _Reader(content)
    fix = _Fix(reader, offset)
    attributes: dict[str, object] = {"differential": fix.differential}
    ignition, alarm, battery = fix.ignition, None, None
    if protocol in (GPS_LBS, GPS_LBS_2) and reader.remaining() >= 8:
        _cell(reader, attributes)
    if protocol == GPS_LBS_2 and reader.remaining() >= 3:
        ignition = reader.uint(1) > 0  # ACC
        attributes["event"] = reader.uint(1)  # data upload mode
        attributes["archive"] = reader.uint(1) > 0  # re-uploaded, not real time
        if reader.remaining() >= 4:
            attributes["odometer"] = reader.uint(4)  # metres
    if protocol in (GPS_LBS_STATUS, GPS_LBS_STATUS_2):
        lbs_length = reader.uint(1)  # counts itself; 0 when the device has no cell
        if lbs_length:
            if lbs_length < 9:
                raise ProtocolError("GT06 LBS block shorter than its fields")
            cell = _Reader(reader.take(lbs_length - 1))
            _cell(cell, attributes)
        alarm = _status_block(reader, attributes)
        ignition = bool(attributes.pop("ignition"))
        level = attributes.pop("batteryLevel")
        battery = level if isinstance(level, float) else None
    return PositionReport(
        protocol=NAME,
        device_key=device_key,
        time=fix.time,
        valid=fix.valid,
        latitude=fix.latitude,
        longitude=fix.longitude,
        speed=fix.speed,
        course=fix.course,
        satellites=fix.satellites,
        battery=battery,
        ignition=ignition,
        alarm=alarm,
        attributes=_frozen(attributes),
    )


def _decode_login(content: bytes, session: Session, ack: bytes | None) -> Decoded:
    if len(content) < 8:
        raise ProtocolError("GT06 login without a complete IMEI")
    digits = content[:8].hex()
    if not digits.isdigit():
        raise ProtocolError("GT06 login IMEI is not BCD")
    imei = digits[1:]  # 16 BCD digits, the first is padding
    if session.device_key is not None and session.device_key != imei:
        raise ProtocolError("GT06 login for another device on the same connection")
    attributes: dict[str, object] = {}
    offset = 0
    if len(content) >= 10:
        attributes["model"] = content[8:10].hex()
    if len(content) >= 12:
        extension = int.from_bytes(content[10:12], "big")
        zone = extension >> 4  # hhmm as a decimal number
        hours, minutes = divmod(zone, 100)
        if minutes >= 60 or hours > 14:
            raise ProtocolError("GT06 login time zone out of range")
        offset = (hours * 60 + minutes) * (-1 if extension & 0x08 else 1)
        attributes["timezoneMinutes"] = offset
    session.device_key = imei
    session.state[_STATE_UTC_OFFSET] = offset
    return Decoded(kind="login", device_key=imei, ack=ack, attributes=MappingProxyType(attributes))


def _decode_status(content: bytes, device_key: str, ack: bytes | None) -> Decoded:
    attributes: dict[str, object] = {}
    if 4 <= len(content) <= 6:
        alarm = _status_block(_Reader(content), attributes)
        attributes["alarm"] = alarm
    else:  # vendor variants (e.g. 16-byte status) are passed on raw
        attributes["raw"] = content.hex()
    return Decoded(kind="heartbeat", device_key=device_key, ack=ack, attributes=_frozen(attributes))


def _split(data: bytes) -> tuple[bool, int, bytes, int]:
    """Check a complete frame; return (long framing, protocol, content, serial)."""
    if len(data) < 10 or data[-2:] != STOP:
        raise ProtocolError("not a complete GT06 frame")
    if data[:2] == SHORT_START:
        long, header, expected = False, 3, data[2] + 5
    elif data[:2] == LONG_START:
        long, header, expected = True, 4, int.from_bytes(data[2:4], "big") + 6
    else:
        raise ProtocolError("GT06 frame without 7878/7979 start bits")
    if len(data) != expected or len(data) < header + 7:
        raise ProtocolError("GT06 length field does not match the frame")
    body = data[2:-4]
    if crc_itu(body) != int.from_bytes(data[-4:-2], "big"):
        raise ProtocolError("GT06 CRC mismatch")
    return long, data[header], data[header + 1 : -6], int.from_bytes(data[-6:-4], "big")


def decode(data: bytes, session: Session) -> Decoded:
    """Decode one complete frame (see base.Decoder)."""
    long, protocol, content, serial = _split(data)
    acked = protocol in _DECODED_TYPES or (not long and protocol not in _COMMAND_REPLIES)
    ack = packet(protocol, b"", serial, long=long) if acked else None
    if protocol == LOGIN:
        return _decode_login(content, session, ack)
    if protocol == TIME_REQUEST:
        return Decoded(kind="other", attributes=MappingProxyType({"request": "time"}))
    device_key = session.device_key
    if device_key is None:
        raise ProtocolError("GT06 packet before login")
    if protocol in (GPS, GPS_LBS, GPS_LBS_2, GPS_LBS_STATUS, GPS_LBS_STATUS_2):
        offset = session.state.get(_STATE_UTC_OFFSET, 0)
        report = _decode_location(
            protocol, content, device_key, offset if isinstance(offset, int) else 0
        )
        return Decoded(
            kind="alarm" if report.alarm is not None else "position",
            device_key=device_key,
            positions=(report,),
            ack=ack,
        )
    if protocol == STATUS:
        return _decode_status(content, device_key, ack)
    return Decoded(
        kind="other",
        device_key=device_key,
        ack=ack,
        attributes=MappingProxyType({"protocolNumber": protocol}),
    )


# --- simulated device -------------------------------------------------------------------


def login_packet(device_key: str, serial: int = 1) -> bytes:
    """The login a device sends first: its IMEI as 16 BCD digits."""
    if not (device_key.isascii() and device_key.isdigit() and len(device_key) <= 15):
        raise ProtocolError("GT06 device keys are IMEIs of up to 15 digits")
    return packet(LOGIN, bytes.fromhex(device_key.rjust(16, "0")), serial)


def _encode_fix(report: PositionReport) -> bytes:
    utc = report.time.astimezone(UTC)
    if not 2000 <= utc.year <= 2255:
        raise ProtocolError("time outside the GT06 date range")
    speed = round(report.speed)
    if not 0 <= speed <= 255:
        raise ProtocolError("GT06 speed is one byte of km/h")
    course = round(report.course or 0.0) % 361
    flags = course | (0x1000 if report.valid else 0)
    flags |= 0x0400 if report.latitude >= 0 else 0
    flags |= 0x0800 if report.longitude < 0 else 0
    satellites = min(max(report.satellites or 0, 0), 15)
    return (
        bytes([utc.year - 2000, utc.month, utc.day, utc.hour, utc.minute, utc.second])
        + bytes([0xC0 | satellites])
        + round(abs(report.latitude) * _COORDINATE_SCALE).to_bytes(4, "big")
        + round(abs(report.longitude) * _COORDINATE_SCALE).to_bytes(4, "big")
        + bytes([speed])
        + flags.to_bytes(2, "big")
    )


_NO_CELL = bytes(8)  # MCC, MNC, LAC, cell id: the simulator has no radio


def position_packet(report: PositionReport, serial: int) -> bytes:
    """0x22 (GPS+LBS with ACC) for a plain report, 0x16 (alarm) when it carries an alarm."""
    fix = _encode_fix(report)
    if report.alarm is None:
        content = fix + _NO_CELL + bytes([1 if report.ignition else 0, 0, 0])
        return packet(GPS_LBS_2, content, serial)
    code = _ENCODED_ALARMS.get(report.alarm)
    if code is None:
        raise ProtocolError(f"GT06 has no alarm code for {report.alarm}")
    status_bits = _STATUS_BITS.get(report.alarm, 0)
    info = 0x40 | (0x02 if report.ignition else 0) | (status_bits << 3)
    level = 6 if report.battery is None else round(report.battery * 6 / 100)
    content = fix + bytes([9]) + _NO_CELL + bytes([info, level, 4, code, 0x02])
    return packet(GPS_LBS_STATUS, content, serial)


def read_ack(buffer: bytes) -> int:
    """Length of one complete server packet at the start of `buffer`, 0 if incomplete."""
    if len(buffer) < 2:
        return 0
    if buffer[:2] not in (SHORT_START, LONG_START):
        raise ProtocolError("GT06 server packet without start bits")
    size = _declared_size(buffer, 0)
    return size if size is not None and len(buffer) >= size else 0


SPEC = ProtocolSpec(
    name=NAME,
    transport="tcp",
    default_port=DEFAULT_PORT,
    max_frame=MAX_FRAME,
    decode=decode,
    frame=frame,
    encoder=DeviceEncoder(hello=login_packet, position=position_packet, read_ack=read_ack),
    answer=answer,
)
