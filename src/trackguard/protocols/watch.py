"""Watch protocol of 3G/4G kids' watches (SeTracker "SG", "3G", "CS", "ZJ"), port 5093.

    [MM*ID*LLLL*CONTENT]           MM manufacturer, ID device id, LLLL hex length of CONTENT
    [MM*ID*IIII*LLLL*CONTENT]      ZJ firmware adds a 4-hex-digit index

CONTENT is `TYPE,field,...`: LK (heartbeat, answered `LK`), UD / UD2 / UD3 / UD_LTE /
UD_WCDMA / WT (position, not answered), AL... (alarm with position, answered `AL`),
TKQ / TKQ2 (answered in kind), INIT (answered `INIT,1`), TK / JXTK (voice). A position is
`ddmmyy,hhmmss,A|V,lat,N|S,lon,E|W,speed km/h,course,altitude,satellites,gsm,battery %,
steps,tumbles,status hex,cells and wifi...`. Binary content escapes } [ ] , * as 0x7D
followed by 0x01..0x05, so a bare `]` only ever closes a frame or sits in a Wi-Fi name.
Facts follow the 3G watch protocol document as used by Traccar (WatchProtocolDecoder,
WatchFrameDecoder) and its test frames.

Decisions:
- LLLL counts the bytes as sent (escaped): checked on a real JXTK voice frame. The framer
  ends a frame where LLLL says when a `]` is there. Many real devices miscount (13 of 39
  frames in Traccar's tests, among them every "SG" frame and the protocol document's own
  example; by up to 16 bytes), and Traccar frames by brackets alone. So when LLLL
  misses, the framer takes the `]` that balances the opening `[` within 64 bytes of
  the declared end, and the decoder reports attributes["lengthMismatch"]; a length
  off by more raises ProtocolError, as does a header that is not `[MM*ID*(IIII*)LLLL*`.
  Bytes before a `[` are skipped.
- Times are UTC (as Traccar reads them); speed is km/h (Traccar converts it to knots).
- A negative coordinate keeps its sign; S and W make it negative (devices send both
  `-33.48,N` and `-84.14,W` for southern/western fixes).
- Status bits (Traccar's reading of the document): 16 SOS, 20 watch taken off ->
  tampering, 14 power cut, 21/22 fall -> general, 17 and 0 low battery; 4 motion.
  Geofence bits stay in attributes["status"].
- Health readings (PULSE, heart, BLOOD, bphrt, btemp2) and voice/photo content are not
  decoded into values: they are special-category or content data a tracker has no
  purpose for. Such frames decode as kind "other" (voice chunks still get their reply).
- The id names the device in every frame; another id on the same connection raises
  ProtocolError.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
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

NAME = "watch"
DEFAULT_PORT = 5093

_MAX_ID = 32
_MAX_CONTENT = 0xFFFF  # four hex digits
_MAX_HEADER = 1 + 2 + 1 + _MAX_ID + 1 + 5 + 5
# Real devices miscount LLLL by up to 16 bytes (Traccar's test frames); more is an error.
_LENGTH_SLACK = 64
MAX_FRAME = _MAX_HEADER + _MAX_CONTENT + _LENGTH_SLACK + 1

_ALNUM = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_HEX = frozenset(b"0123456789ABCDEFabcdef")
_TYPE = re.compile(rb"[A-Za-z0-9_]{1,24}")
_DECIMAL = re.compile(rb" *(-?[0-9]{1,10}(?:\.[0-9]{0,12})?)")
_UNSIGNED = re.compile(rb" *([0-9]{1,10}(?:\.[0-9]{0,12})?)")
_INTEGER = re.compile(rb" *([0-9]{1,9})")
_STATUS = re.compile(rb"[0-9A-Fa-f]{1,8}")
_DATE_TIME = re.compile(rb"[0-9]{6}")

_OTHER_REPLIES: Mapping[str, str] = MappingProxyType({"INIT": "INIT,1", "JXTK": "JXTKR,1"})
_ECHOED = frozenset({"TKQ", "TKQ2"})
# In order of precedence when several bits are set.
_STATUS_ALARMS: tuple[tuple[int, Alarm], ...] = (
    (16, Alarm.SOS),
    (20, Alarm.TAMPERING),
    (14, Alarm.POWER_CUT),
    (21, Alarm.GENERAL),
    (22, Alarm.GENERAL),
    (17, Alarm.LOW_BATTERY),
    (0, Alarm.LOW_BATTERY),
)
_MOTION_BIT = 4


@dataclass(frozen=True, slots=True)
class _Header:
    manufacturer: str
    device_id: str
    index: str | None
    length: int
    content_start: int


def _field(buffer: bytes, start: int, allowed: frozenset[int], low: int, high: int) -> int | None:
    """End (the `*`) of a header field starting at `start`; None when more bytes are needed."""
    for position in range(start, min(len(buffer), start + high + 1)):
        byte = buffer[position]
        if byte == 0x2A:  # '*'
            if position - start < low:
                break
            return position
        if byte not in allowed:
            break
    else:
        if len(buffer) < start + high + 1:
            return None
    raise ProtocolError("watch: malformed frame header")


def _header(buffer: bytes, start: int) -> _Header | None:
    """The header of the frame whose `[` is at `start`; None when more bytes are needed."""
    manufacturer_end = _field(buffer, start + 1, _ALNUM, 2, 2)
    if manufacturer_end is None:
        return None
    id_end = _field(buffer, manufacturer_end + 1, _ALNUM, 1, _MAX_ID)
    if id_end is None:
        return None
    first_end = _field(buffer, id_end + 1, _HEX, 4, 4)
    if first_end is None:
        return None
    first = buffer[id_end + 1 : first_end].decode("ascii")
    # ZJ's index: a second hex field follows. Content never starts with `HHHH*`.
    ahead = buffer[first_end + 1 : first_end + 6]
    index = None
    if len(ahead) < 5 and all(b in _HEX for b in ahead):
        return None
    if len(ahead) == 5 and ahead[4] == 0x2A and all(b in _HEX for b in ahead[:4]):
        index, first, first_end = first, ahead[:4].decode("ascii"), first_end + 5
    return _Header(
        manufacturer=buffer[start + 1 : manufacturer_end].decode("ascii"),
        device_id=buffer[manufacturer_end + 1 : id_end].decode("ascii"),
        index=index,
        length=int(first, 16),
        content_start=first_end + 1,
    )


def _frame_end(buffer: bytes, content_start: int, length: int) -> int | None:
    """Index of the closing `]`; None while it may still arrive.

    The declared end wins when a `]` is there. Otherwise the `]` balancing the opening
    `[` is looked for within _LENGTH_SLACK bytes of it, so each call costs a window, not
    the whole buffer.
    """
    declared = content_start + length
    if declared < len(buffer) and buffer[declared] == 0x5D:  # ']'
        return declared
    window_start = max(content_start, declared - _LENGTH_SLACK)
    window_end = declared + _LENGTH_SLACK + 1
    if window_start >= len(buffer):
        return None
    depth = 1 + buffer.count(b"[", content_start, window_start)
    depth -= buffer.count(b"]", content_start, window_start)
    if depth <= 0:
        raise ProtocolError("watch: frame ends long before its declared length")
    position = window_start
    while (close := buffer.find(b"]", position, window_end)) >= 0:
        depth += buffer.count(b"[", position, close) - 1
        if depth <= 0:
            return close
        position = close + 1
    if len(buffer) >= window_end:
        raise ProtocolError("watch: no frame end near its declared length")
    return None


def split_frame(buffer: bytes) -> tuple[bytes | None, int]:
    """One `[...]` frame; noise before its `[` is consumed."""
    start = buffer.find(b"[")
    if start < 0:
        return None, len(buffer)
    header = _header(buffer, start)
    if header is None:
        return None, start
    end = _frame_end(buffer, header.content_start, header.length)
    if end is None:
        return None, start
    return bytes(buffer[start : end + 1]), end + 1


def _reply(header: _Header, content: str) -> bytes:
    index = f"{header.index}*" if header.index is not None else ""
    return (
        f"[{header.manufacturer}*{header.device_id}*{index}{len(content):04X}*{content}]"
    ).encode("ascii")


def _number(pattern: re.Pattern[bytes], raw: bytes, name: str) -> float:
    match = pattern.fullmatch(raw)
    if match is None:
        raise ProtocolError(f"watch: malformed {name}")
    return float(match.group(1))


def _integer(raw: bytes, name: str) -> int:
    match = _INTEGER.fullmatch(raw)
    if match is None:
        raise ProtocolError(f"watch: malformed {name}")
    return int(match.group(1))


def _time(date: bytes, time: bytes) -> datetime:
    if not (_DATE_TIME.fullmatch(date) and _DATE_TIME.fullmatch(time)):
        raise ProtocolError("watch: malformed date or time")
    day, month, year = int(date[:2]), int(date[2:4]), int(date[4:])
    hour, minute, second = int(time[:2]), int(time[2:4]), int(time[4:])
    try:
        return datetime(2000 + year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise ProtocolError("watch: impossible date or time") from None


def _coordinate(raw: bytes, hemisphere: bytes, negative: bytes, limit: float) -> float:
    value = _number(_DECIMAL, raw, "coordinate")
    if hemisphere == negative:
        value = -abs(value)
    if abs(value) > limit:
        raise ProtocolError("watch: coordinate out of range")
    return value


def _alarm(status: int) -> Alarm | None:
    for bit, alarm in _STATUS_ALARMS:
        if status >> bit & 1:
            return alarm
    return None


def _position(device_key: str, kind: str, body: bytes) -> PositionReport:
    fields = body.split(b",", 16)
    if len(fields) < 16:
        raise ProtocolError("watch: position with too few fields")
    date, time, validity, lat, north_south, lon, east_west = fields[:7]
    if validity not in (b"A", b"V") or north_south not in (b"N", b"S"):
        raise ProtocolError("watch: malformed validity or hemisphere")
    if east_west not in (b"E", b"W", b""):
        raise ProtocolError("watch: malformed hemisphere")
    course = _number(_UNSIGNED, fields[8], "course")
    battery = _integer(fields[12], "battery")
    status_raw = fields[15]
    if not _STATUS.fullmatch(status_raw):
        raise ProtocolError("watch: malformed status")
    status = int(status_raw, 16)
    return PositionReport(
        protocol=NAME,
        device_key=device_key,
        time=_time(date, time),
        valid=validity == b"A",
        latitude=_coordinate(lat, north_south, b"S", 90.0),
        longitude=_coordinate(lon, east_west, b"W", 180.0),
        speed=_number(_UNSIGNED, fields[7], "speed"),
        course=course if course <= 360.0 else None,
        altitude=_number(_DECIMAL, fields[9], "altitude"),
        satellites=_integer(fields[10], "satellites"),
        battery=float(battery) if battery <= 100 else None,
        motion=True if status >> _MOTION_BIT & 1 else None,
        alarm=_alarm(status),
        attributes=MappingProxyType(
            {
                "type": kind,
                "rssi": _integer(fields[11], "gsm signal"),
                "steps": _integer(fields[13], "steps"),
                "status": status,
            }
        ),
    )


def _heartbeat_values(body: bytes) -> dict[str, object]:
    """LK's optional `steps,tumbles,battery`; anything else is ignored."""
    values = body.split(b",")
    if len(values) < 3 or not all(_INTEGER.fullmatch(v) for v in (values[0], values[2])):
        return {}
    battery = int(values[2])
    return {"steps": int(values[0]), "battery": battery} if battery <= 100 else {}


def decode(frame: bytes, session: Session) -> Decoded:
    """One complete frame as split by `split_frame`."""
    if not frame.startswith(b"[") or not frame.endswith(b"]"):
        raise ProtocolError("watch: not a [...] frame")
    header = _header(frame, 0)
    if header is None or header.content_start > len(frame) - 1:
        raise ProtocolError("watch: truncated frame header")
    device_key = header.device_id
    if session.device_key not in (None, device_key):
        raise ProtocolError("watch: another device id on one connection")
    session.device_key = device_key

    content = frame[header.content_start : -1]
    extra: dict[str, object] = {}
    if len(content) != header.length:
        if abs(len(content) - header.length) > _LENGTH_SLACK:
            raise ProtocolError("watch: content length far from the declared length")
        extra["lengthMismatch"] = True
    raw_type, _, body = content.partition(b",")
    if not _TYPE.fullmatch(raw_type):
        raise ProtocolError("watch: malformed content type")
    kind = raw_type.decode("ascii")

    if kind.startswith(("UD", "AL", "WT")):
        report = _position(device_key, kind, body)
        frame_kind: Literal["alarm", "position"] = "alarm" if report.alarm else "position"
        return Decoded(
            kind=frame_kind,
            device_key=device_key,
            positions=(report,),
            ack=_reply(header, "AL") if kind.startswith("AL") else None,
            attributes=MappingProxyType(extra),
        )
    if kind == "LK":
        extra.update(_heartbeat_values(body))
        return Decoded(
            kind="heartbeat",
            device_key=device_key,
            ack=_reply(header, "LK"),
            attributes=MappingProxyType(extra),
        )
    reply = kind if kind in _ECHOED else _OTHER_REPLIES.get(kind)
    ack = _reply(header, reply) if reply else None
    extra["type"] = kind
    return Decoded(kind="other", device_key=device_key, ack=ack, attributes=MappingProxyType(extra))


# --- simulator side -------------------------------------------------------------------

SIMULATOR_MANUFACTURER = "3G"
_ALARM_BITS: Mapping[Alarm, int] = MappingProxyType(
    {
        Alarm.SOS: 16,
        Alarm.TAMPERING: 20,
        Alarm.POWER_CUT: 14,
        Alarm.GENERAL: 21,
        Alarm.LOW_BATTERY: 17,
    }
)


def watch_frame(device_id: str, content: str, manufacturer: str = SIMULATOR_MANUFACTURER) -> bytes:
    """`[MM*ID*LLLL*CONTENT]` for ASCII content."""
    raw = content.encode("ascii")
    return f"[{manufacturer}*{device_id}*{len(raw):04X}*".encode("ascii") + raw + b"]"


def heartbeat(device_id: str) -> bytes:
    """The link frame a watch sends first and then every few minutes."""
    return watch_frame(device_id, "LK")


def position_frame(report: PositionReport, sequence: int) -> bytes:
    """UD (or AL when the report carries an alarm; alarms without a status bit get none)."""
    status = 1 << _MOTION_BIT if report.motion else 0
    if report.alarm is not None and report.alarm in _ALARM_BITS:
        status |= 1 << _ALARM_BITS[report.alarm]
    when = report.time.astimezone(UTC)
    battery = 100 if report.battery is None else round(report.battery)
    fields = [
        "AL" if report.alarm else "UD",
        when.strftime("%d%m%y"),
        when.strftime("%H%M%S"),
        "A" if report.valid else "V",
        f"{abs(report.latitude):.6f}",
        "S" if report.latitude < 0 else "N",
        f"{abs(report.longitude):.6f}",
        "W" if report.longitude < 0 else "E",
        f"{report.speed:.2f}",
        f"{report.course or 0.0:.1f}",
        f"{report.altitude or 0.0:.1f}",
        str(report.satellites or 0),
        "100",
        str(battery),
        "0",
        "0",
        f"{status:08X}",
        "0",
        "0",
    ]
    return watch_frame(report.device_key, ",".join(fields))


def read_ack(buffer: bytes) -> int:
    """Length of the server's first `[...]` reply; 0 while it is incomplete."""
    return buffer.find(b"]") + 1 if buffer.startswith(b"[") else 0


SPEC = ProtocolSpec(
    name=NAME,
    transport="tcp",
    default_port=DEFAULT_PORT,
    max_frame=MAX_FRAME,
    decode=decode,
    frame=split_frame,
    # UD reports get no reply, so a simulated watch cannot wait for one.
    encoder=DeviceEncoder(
        hello=heartbeat, position=position_frame, read_ack=read_ack, acks_positions=False
    ),
)
