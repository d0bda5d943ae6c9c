"""What every device protocol module produces: pure values, no I/O.

A protocol module turns bytes into `Decoded` values (and, for acks and the
simulator, values back into bytes). The gateway owns sockets, sessions and the
database; a decoder only ever sees one complete frame and the connection's
`Session` (who logged in on this connection).

Contract of every decoder, checked by the fuzz tests: any input yields a
`Decoded` value or raises `ProtocolError` — never another exception, never a
hang, never memory beyond a bounded multiple of the input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Literal, Protocol

from trackguard.errors import TrackguardError
from trackguard.protocols._slots import slot_setting_init


class ProtocolError(TrackguardError):
    """The bytes are not a valid frame of this protocol (the connection is closed)."""


class Alarm(StrEnum):
    """Tracker alarms the anti-theft rules act on (Traccar's names)."""

    SOS = "sos"
    POWER_CUT = "powerCut"
    VIBRATION = "vibration"
    LOW_BATTERY = "lowBattery"
    MOVEMENT = "movement"
    OVERSPEED = "overspeed"
    TAMPERING = "tampering"
    GENERAL = "general"


EMPTY: Mapping[str, object] = MappingProxyType({})


@slot_setting_init
@dataclass(frozen=True, slots=True)
class PositionReport:
    """One fix as the device reported it, in SI-ish units trackguard uses everywhere.

    `time` is timezone-aware UTC; `speed` is km/h (Traccar's API converts to knots
    at its edge); `course` degrees 0..360 clockwise from north; `altitude` metres;
    `battery` percent 0..100 when the device reports a level (raw voltages go to
    attributes). `attributes` keeps protocol specifics (IO elements, cell info).
    """

    protocol: str
    device_key: str
    time: datetime
    valid: bool
    latitude: float
    longitude: float
    speed: float = 0.0
    course: float | None = None
    altitude: float | None = None
    satellites: int | None = None
    battery: float | None = None
    ignition: bool | None = None
    motion: bool | None = None
    alarm: Alarm | None = None
    attributes: Mapping[str, object] = field(default_factory=lambda: EMPTY)


@slot_setting_init
@dataclass(frozen=True, slots=True)
class Decoded:
    """One decoded frame.

    `device_key` is the identifier the frame names (IMEI or device id), or None when
    the protocol names it only at login (the gateway then uses the session's).
    `ack` is sent to the device only after every position in `positions` is
    committed; frames without positions (logins, heartbeats) are acked at once.
    `close` asks the gateway to close the connection after sending the ack.
    """

    kind: Literal["login", "position", "heartbeat", "alarm", "other"]
    device_key: str | None = None
    positions: tuple[PositionReport, ...] = ()
    ack: bytes | None = None
    close: bool = False
    attributes: Mapping[str, object] = field(default_factory=lambda: EMPTY)


@dataclass
class Session:
    """Per-connection state a decoder may read and update (e.g. IMEI after login)."""

    device_key: str | None = None
    state: dict[str, object] = field(default_factory=dict)


class Framer(Protocol):
    def __call__(self, buffer: bytes, /) -> tuple[bytes | None, int]:
        """(one complete frame or None if more bytes are needed, bytes consumed).

        Consumed bytes may exceed the frame (skipped noise) and may be > 0 with no
        frame. Raises ProtocolError when the buffer cannot start a valid frame.
        """
        ...


class Decoder(Protocol):
    def __call__(self, frame: bytes, session: Session, /) -> Decoded: ...


@dataclass(frozen=True)
class DeviceEncoder:
    """How a simulated device speaks the protocol (the reverse of the decoder).

    `hello` is the first frame after connecting (login/IMEI handshake), if any;
    `position` encodes one report; `read_ack` returns the length of one complete
    ack at the start of `buffer`, 0 when more bytes are needed. `acks_positions`
    is False for protocols whose server answers reports with nothing (H02, the
    watch protocol's UD): a device of those cannot know a report was stored.
    """

    hello: Callable[[str], bytes | None]
    position: Callable[[PositionReport, int], bytes]
    read_ack: Callable[[bytes], int]
    acks_positions: bool = True


@dataclass(frozen=True)
class ProtocolSpec:
    """A protocol as the registry knows it."""

    name: str
    transport: Literal["tcp", "http", "mqtt"]
    default_port: int | None
    max_frame: int
    decode: Decoder
    frame: Framer | None = None  # tcp only
    encoder: DeviceEncoder | None = None
    # Answers for frames that need what a pure decoder lacks (the server's clock):
    # called by the gateway with the decoded frame and the time; None means no answer.
    answer: Callable[[Decoded, datetime], bytes | None] | None = None
