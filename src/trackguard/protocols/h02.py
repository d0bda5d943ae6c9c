"""H02 text protocol (`*HQ,...#`) and its 32-byte binary `$` variant (TCP, port 5013).

    *HQ,<id>,V1,<hhmmss>,<A|V>,<ddmm.mmmm>,<N|S>,<dddmm.mmmm>,<E|W>,<knots>,<course>,<ddmmyy>,<status>#

Relatives decoded: V1/V2/VI1/V19 and other V-reports carrying a fix, V4 (the device's
reply to a server command, often followed by a fix), HTBT/V0 (heartbeat), LINK
(heartbeat with battery), NBR/V3 (cell towers, no fix). Facts follow the H02 protocol
documents (Sinotrack/CANTRACK) and Traccar's H02ProtocolDecoder; the status word is
negative logic (bit clear = active) with Traccar's bit meanings: bit 0 vibration, bit 1
and bit 18 SOS, bit 2 overspeed, bit 19 power cut (running on backup battery), bit 10 set
= ACC on.

Decisions:
- Acks: H02 devices need none for reports. HTBT and V0 are echoed as `*HQ,<id>,HTBT#`
  (Traccar does the same); nothing else is answered. Traccar's optional V1 reply carries
  the server's clock, which a pure decoder has not. So the simulated device has no
  hello (`hello` returns None) and `acks_positions=False`: it must not wait after a
  report; `read_ack` measures the heartbeat echo only.
- A report without a usable fix (empty time, date or coordinates, hemisphere '0') is a
  Decoded with no positions, not an error: devices send these routinely.
- The first id named on a connection becomes `session.device_key`; a frame naming another
  id later raises ProtocolError; a frame with an empty id uses the session's.
- Framing: bytes before a `*` or `$` are skipped, as are unterminated text frames when a
  new `*` begins; a text frame reaching MAX_FRAME without `#` raises ProtocolError.
  Binary frames are taken as 32 bytes (the documented short record); devices configured
  for longer binary records are not supported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType

from trackguard.protocols.base import (
    Alarm,
    Decoded,
    DeviceEncoder,
    PositionReport,
    ProtocolError,
    ProtocolSpec,
    Session,
)

NAME = "h02"
DEFAULT_PORT = 5013
MAX_FRAME = 1024
BINARY_SIZE = 32

KNOT_KMH = 1.852

_TEXT_START, _BINARY_START, _END = b"*", b"$", b"#"
_HEARTBEATS = frozenset({"HTBT", "V0"})
_CELL_REPORTS = frozenset({"NBR", "V3"})

# Linear-time patterns only: bounded repetitions, no nested quantifiers.
_REPORT_TYPE = re.compile(r"VI?\d{1,3}", re.ASCII)
_MAKER = re.compile(r"[A-Za-z0-9]{1,4}", re.ASCII)
_DEVICE_ID = re.compile(r"\d{1,20}", re.ASCII)
_DECIMAL = re.compile(r"\d{1,9}(?:\.\d{0,9})?", re.ASCII)
_SIX_DIGITS = re.compile(r"\d{6}", re.ASCII)
_STATUS = re.compile(r"[0-9A-Fa-f]{8}", re.ASCII)
_COORDINATE = re.compile(r"(\d{1,3})(\d\d\.\d{1,9})", re.ASCII)  # (d)ddmm.mmmm
_NEGATIVE_COORDINATE = re.compile(r"-(\d{1,3})-(\d{1,2}\.\d{1,9})", re.ASCII)  # -dd-m.mmmm
_UNDOTTED_COORDINATE = re.compile(r"(\d{1,3})(\d\d)(\d{4})", re.ASCII)  # (d)ddmmmmmm


# --- shared field parsers ---------------------------------------------------------------


def _time(hhmmss: str, ddmmyy: str) -> datetime | None:
    """UTC time from the two text fields; None when the device has no time yet."""
    if not hhmmss or not ddmmyy or ddmmyy == "000000":
        return None
    if not (_SIX_DIGITS.fullmatch(hhmmss) and _SIX_DIGITS.fullmatch(ddmmyy)):
        raise ProtocolError("H02 time or date is not six digits")
    try:
        return datetime(
            2000 + int(ddmmyy[4:]),
            int(ddmmyy[2:4]),
            int(ddmmyy[:2]),
            int(hhmmss[:2]),
            int(hhmmss[2:4]),
            int(hhmmss[4:]),
            tzinfo=UTC,
        )
    except ValueError:
        raise ProtocolError("H02 time or date out of range") from None


def _degrees(degrees: str, minutes: str, limit: float) -> float:
    value = float(minutes)
    if value >= 60.0:
        raise ProtocolError("H02 coordinate minutes out of range")
    result = int(degrees) + value / 60.0
    if result > limit:
        raise ProtocolError("H02 coordinate out of range")
    return result


def _coordinate(text: str, hemisphere: str, limit: float) -> float:
    text = text.strip()
    if match := _COORDINATE.fullmatch(text) or _NEGATIVE_COORDINATE.fullmatch(text):
        value = _degrees(match[1], match[2], limit)
    elif match := _UNDOTTED_COORDINATE.fullmatch(text):
        value = _degrees(match[1], f"{match[2]}.{match[3]}", limit)
    else:
        raise ProtocolError("H02 coordinate is not (d)ddmm.mmmm")
    return -value if hemisphere in ("S", "W") else value


def _decimal(text: str, default: float | None) -> float | None:
    text = text.strip()
    if not text:
        return default
    if not _DECIMAL.fullmatch(text):
        raise ProtocolError("H02 number field is not a decimal")
    return float(text)


def _status(word: int, attributes: dict[str, object]) -> Alarm | None:
    """Negative-logic status word -> alarm (Traccar's priority) and ignition."""
    attributes["status"] = f"{word:08X}"
    attributes["ignition"] = bool(word & (1 << 10))
    if not word & (1 << 0):
        return Alarm.VIBRATION
    if not word & (1 << 1) or not word & (1 << 18):
        return Alarm.SOS
    if not word & (1 << 2):
        return Alarm.OVERSPEED
    if not word & (1 << 19):
        return Alarm.POWER_CUT
    return None


def _identify(named: str, session: Session) -> str:
    """The frame's device id, checked against (and recorded in) the session."""
    if not named:
        if session.device_key is None:
            raise ProtocolError("H02 frame without a device id")
        return session.device_key
    if session.device_key is None:
        session.device_key = named
    elif session.device_key != named:
        raise ProtocolError("H02 frame for another device on the same connection")
    return named


def _frozen(attributes: dict[str, object]) -> Mapping[str, object]:
    return MappingProxyType({k: v for k, v in attributes.items() if v is not None})


# --- text frames ------------------------------------------------------------------------


def _fix_index(kind: str, rest: Sequence[str]) -> int | None:
    """Index in `rest` (fields after the type) of the latitude hemisphere, if any."""

    def hemispheres_at(i: int) -> bool:
        return rest[i].strip() in ("N", "S") and rest[i + 2].strip() in ("E", "W")

    if kind != "V4":
        return 3 if len(rest) > 5 and hemispheres_at(3) else None
    # V4: <command>,<arguments...>,<hhmmss>,<fix...>: the command part has no fixed length.
    return next((i for i in range(3, len(rest) - 2) if hemispheres_at(i)), None)


def _report(device_key: str, kind: str, rest: Sequence[str]) -> Decoded:
    attributes: dict[str, object] = {}
    at = _fix_index(kind, rest)
    if kind == "V4":
        attributes["result"] = ",".join(rest[: at - 3] if at is not None else rest)
    if at is None:  # V4 without a fix is only a command reply; other reports lack a fix
        return Decoded(
            kind="other" if kind == "V4" else "position",
            device_key=device_key,
            attributes=_frozen(attributes),
        )
    hhmmss, validity = rest[at - 3].strip(), rest[at - 2].strip()
    tail = list(rest[at + 3 :])
    if len(tail) < 2:
        raise ProtocolError("H02 report without speed and course")
    speed = _decimal(tail[0], 0.0) or 0.0
    course = _decimal(tail[1], None)
    # An optional battery field may sit between course and date.
    date_at = 2
    battery, later = (tail[2].strip(), tail[3].strip()) if len(tail) > 3 else ("", "")
    if battery.isdigit() and len(battery) != 6 and _SIX_DIGITS.fullmatch(later):
        date_at = 3
        attributes["batteryRaw"] = battery
    date = tail[date_at].strip() if len(tail) > date_at else ""
    time = _time(hhmmss, date)
    latitude, longitude = rest[at - 1].strip(), rest[at + 1].strip()
    if time is None or not latitude or not longitude:
        return Decoded(kind="position", device_key=device_key, attributes=_frozen(attributes))
    if validity in ("A", "B"):  # B: BeiDou fix
        valid = True
    elif validity in ("V", ""):
        valid = False
    elif validity.isdigit():  # V2/VI1 put a coding scheme here; Traccar takes it as valid
        valid = True
    else:
        raise ProtocolError("H02 validity flag is not A, B or V")
    alarm = None
    # The status word follows the date, after SIM fields in V19.
    for field in (f.strip() for f in tail[date_at + 1 : date_at + 5]):
        if _STATUS.fullmatch(field):
            alarm = _status(int(field, 16), attributes)
            break
    ignition = attributes.pop("ignition", None)
    report = PositionReport(
        protocol=NAME,
        device_key=device_key,
        time=time,
        valid=valid,
        latitude=_coordinate(latitude, rest[at].strip(), 90.0),
        longitude=_coordinate(longitude, rest[at + 2].strip(), 180.0),
        speed=speed * KNOT_KMH,
        course=course if course is not None and course <= 360.0 else None,
        ignition=ignition if isinstance(ignition, bool) else None,
        alarm=alarm,
        attributes=_frozen(attributes),
    )
    return Decoded(
        kind="alarm" if alarm else "position", device_key=device_key, positions=(report,)
    )


def _status_only(device_key: str, kind: str, rest: Sequence[str]) -> Decoded:
    """NBR/V3/LINK: no fix; the status word and counters go to attributes."""
    attributes: dict[str, object] = {"type": kind}
    if rest and _STATUS.fullmatch(rest[-1].strip()):
        attributes["alarm"] = _status(int(rest[-1].strip(), 16), attributes)
    if kind == "LINK" and len(rest) >= 4:
        attributes["rssi"], attributes["satellites"] = rest[1].strip(), rest[2].strip()
        battery = _decimal(rest[3], None)
        attributes["batteryLevel"] = battery if battery is not None and battery <= 100 else None
        return Decoded(kind="heartbeat", device_key=device_key, attributes=_frozen(attributes))
    return Decoded(kind="other", device_key=device_key, attributes=_frozen(attributes))


def _decode_text(data: bytes, session: Session) -> Decoded:
    data = data.rstrip(b"\r\n")
    if not data.endswith(_END) or len(data) > MAX_FRAME:
        raise ProtocolError("H02 text frame must be *...# within the size limit")
    try:
        body = data[1:-1].decode("ascii")
    except UnicodeDecodeError:
        raise ProtocolError("H02 text frame is not ASCII") from None
    if "*" in body or "#" in body:
        raise ProtocolError("H02 text frame contains another frame's delimiters")
    fields = body.split(",")
    if len(fields) < 3:
        raise ProtocolError("H02 frame without maker, id and type")
    maker, named, kind = fields[0].strip(), fields[1].strip(), fields[2].strip().upper()
    if not _MAKER.fullmatch(maker):
        raise ProtocolError("H02 maker field is not 1-4 letters or digits")
    if named and not _DEVICE_ID.fullmatch(named):
        raise ProtocolError("H02 device id is not 1-20 digits")
    device_key = _identify(named, session)
    rest = fields[3:]
    if kind in _HEARTBEATS:
        battery = _decimal(rest[0], None) if rest else None
        level = battery if battery is not None and battery <= 100 else None
        attributes: dict[str, object] = {"batteryLevel": level}
        ack = f"*{maker},{device_key},{kind}#".encode("ascii")
        return Decoded(
            kind="heartbeat", device_key=device_key, ack=ack, attributes=_frozen(attributes)
        )
    if kind in _CELL_REPORTS or kind == "LINK":
        return _status_only(device_key, kind, rest)
    if _REPORT_TYPE.fullmatch(kind):  # V1, V2, V4, V19, VI1... (VP1 is not decoded)
        return _report(device_key, kind, rest)
    return Decoded(kind="other", device_key=device_key, attributes=MappingProxyType({"type": kind}))


# --- binary frames ----------------------------------------------------------------------


def _bcd(data: bytes) -> str:
    digits = data.hex()
    if not digits.isdigit():
        raise ProtocolError("H02 binary field is not BCD")
    return digits


def _binary_battery(value: int) -> float | None:
    # Traccar's mapping of the binary record's battery byte to percent.
    if 1 <= value <= 3:
        return (value - 1) * 10.0
    if 4 <= value <= 6:
        return (value - 1) * 20.0
    if 7 <= value <= 100:
        return float(value)
    if 0xF1 <= value <= 0xF6:
        return float(value - 0xF0)
    return None


def _decode_binary(data: bytes, session: Session) -> Decoded:
    """$ | id (5, BCD) | hhmmss | ddmmyy | lat ddmm.mmmm | battery | lon dddmm.mmmm + flags
    nibble | speed (3 BCD digits, knots) + course (3 digits) | status (4) | 3 more bytes."""
    if len(data) < BINARY_SIZE or len(data) > MAX_FRAME:
        raise ProtocolError("H02 binary record is not 32 bytes")
    device_key = _identify(_bcd(data[1:6]), session)
    time = _time(_bcd(data[6:9]), _bcd(data[9:12]))
    if time is None:
        return Decoded(kind="position", device_key=device_key)
    lat = _bcd(data[12:16])
    latitude = _degrees(lat[:2], f"{lat[2:4]}.{lat[4:]}", 90.0)
    lon_and_flags = data[17:22].hex()  # nine digits, then the flags nibble
    lon, flags = lon_and_flags[:9], int(lon_and_flags[9], 16)
    if not lon.isdigit():
        raise ProtocolError("H02 binary field is not BCD")
    longitude = _degrees(lon[:3], f"{lon[3:5]}.{lon[5:]}", 180.0)
    motion = data[22:25].hex()  # sss h cc: speed knots, course hundreds, course tens/units
    if not motion.isdigit():
        raise ProtocolError("H02 binary field is not BCD")
    course = float(int(motion[3:]))
    attributes: dict[str, object] = {}
    alarm = _status(int.from_bytes(data[25:29], "big"), attributes)
    ignition = attributes.pop("ignition", None)
    report = PositionReport(
        protocol=NAME,
        device_key=device_key,
        time=time,
        valid=bool(flags & 0x02),
        latitude=latitude if flags & 0x04 else -latitude,
        longitude=longitude if flags & 0x08 else -longitude,
        speed=int(motion[:3]) * KNOT_KMH,
        course=course if course <= 360.0 else None,
        battery=_binary_battery(data[16]),
        ignition=ignition if isinstance(ignition, bool) else None,
        alarm=alarm,
        attributes=_frozen(attributes),
    )
    return Decoded(
        kind="alarm" if alarm else "position", device_key=device_key, positions=(report,)
    )


def decode(data: bytes, session: Session) -> Decoded:
    """Decode one complete frame (see base.Decoder)."""
    if data[:1] == _TEXT_START:
        return _decode_text(data, session)
    if data[:1] == _BINARY_START:
        return _decode_binary(data, session)
    raise ProtocolError("H02 frame starts with neither * nor $")


def frame(buffer: bytes) -> tuple[bytes | None, int]:
    """Split one frame off the front of `buffer` (see base.Framer)."""
    starts = [i for i in (buffer.find(_TEXT_START), buffer.find(_BINARY_START)) if i >= 0]
    if not starts:
        return None, len(buffer)  # all noise
    start = min(starts)
    if buffer[start : start + 1] == _BINARY_START:
        if len(buffer) - start < BINARY_SIZE:
            return None, start
        return buffer[start : start + BINARY_SIZE], start + BINARY_SIZE
    limit = min(len(buffer), start + MAX_FRAME)
    end = buffer.find(_END, start + 1, limit)
    restart = buffer.find(_TEXT_START, start + 1, end if end >= 0 else limit)
    if restart >= 0:
        return None, restart  # an unterminated frame followed by a new one: drop it
    if end < 0:
        if limit - start >= MAX_FRAME:
            raise ProtocolError(f"H02 text frame longer than {MAX_FRAME} bytes")
        return None, start
    return buffer[start : end + 1], end + 1


# --- simulated device -------------------------------------------------------------------


# The status bit a simulated device clears for an alarm (negative logic).
_ALARM_BITS: Mapping[Alarm, int] = MappingProxyType(
    {Alarm.VIBRATION: 1 << 0, Alarm.SOS: 1 << 18, Alarm.OVERSPEED: 1 << 2, Alarm.POWER_CUT: 1 << 19}
)


def _hemisphere_field(value: float, width: int) -> str:
    degrees = int(abs(value))
    minutes = (abs(value) - degrees) * 60.0
    text = f"{degrees:0{width}d}{minutes:07.4f}"
    if text.endswith("60.0000"):  # rounding carried into the next degree
        text = f"{degrees + 1:0{width}d}00.0000"
    return text


def position_text(report: PositionReport, serial: int) -> bytes:
    """A V1 report; ignition and alarm travel in the status word (serial is not sent)."""
    if not _DEVICE_ID.fullmatch(report.device_key):
        raise ProtocolError("H02 device ids are 1-20 digits")
    utc = report.time.astimezone(UTC)
    if not 2000 <= utc.year <= 2099:
        raise ProtocolError("time outside the H02 two-digit year range")
    word = 0xFFFFFFFF if report.ignition else 0xFFFFFBFF
    if report.alarm is not None:
        if report.alarm not in _ALARM_BITS:
            raise ProtocolError(f"H02 has no status bit for {report.alarm}")
        word &= ~_ALARM_BITS[report.alarm] & 0xFFFFFFFF
    fields = [
        "HQ",
        report.device_key,
        "V1",
        utc.strftime("%H%M%S"),
        "A" if report.valid else "V",
        _hemisphere_field(report.latitude, 2),
        "N" if report.latitude >= 0 else "S",
        _hemisphere_field(report.longitude, 3),
        "E" if report.longitude >= 0 else "W",
        f"{report.speed / KNOT_KMH:.2f}",
        f"{round(report.course or 0.0):03d}",
        utc.strftime("%d%m%y"),
        f"{word:08X}",
    ]
    return ("*" + ",".join(fields) + "#").encode("ascii")


def no_hello(device_key: str) -> bytes | None:
    """H02 has no login: a device starts with its first report."""
    return None


def read_ack(buffer: bytes) -> int:
    """Length of one `*...#` server message at the start of `buffer`, 0 if incomplete."""
    if not buffer:
        return 0
    if buffer[:1] != _TEXT_START:
        raise ProtocolError("H02 server message does not start with *")
    end = buffer.find(_END, 1, MAX_FRAME)
    if end < 0:
        if len(buffer) >= MAX_FRAME:
            raise ProtocolError(f"H02 server message longer than {MAX_FRAME} bytes")
        return 0
    return end + 1


SPEC = ProtocolSpec(
    name=NAME,
    transport="tcp",
    default_port=DEFAULT_PORT,
    max_frame=MAX_FRAME,
    decode=decode,
    frame=frame,
    encoder=DeviceEncoder(
        hello=no_hello, position=position_text, read_ack=read_ack, acks_positions=False
    ),
)
