"""TCP gateways: one asyncio server per protocol port, hardened against what devices send.

Each connection is an `asyncio.Protocol`: `data_received` appends to the bytes
of an unfinished frame, the protocol's framer cuts frames from them (a frame
split over several reads and several frames in one read both work), the decoder
turns each into positions, and those go to the batch writer with no task or
await in between. A frame's ack is written from the callback of its batch's
commit, never before, and in frame order: frames wait in a queue per connection
until every frame before them is committed. Reading pauses while a connection has
`MAX_UNACKED_FRAMES` frames waiting, while the writer's queue is full, and while
the device does not take our writes (backpressure).

What ends a connection (the server itself keeps running):

* malformed input: the framer or decoder raises `ProtocolError` (or, a bug,
  anything else), or a position is out of range — counted as `malformed`;
* a frame longer than the smaller of `gateway_max_frame` and the protocol's own
  `max_frame` — counted as `oversized`;
* no bytes for `gateway_idle_timeout` seconds (half-open and idle sockets) —
  `idle_closed`; a device that does not read its acks meets the same timeout;
* over `gateway_max_connections` open connections, a new one is closed at once —
  `refused`;
* the writer could not store the positions — `write_failures`, no ack.

Frames decoded before the one that ends a connection are still stored and acked
first. Nothing about a device (IMEI, address, coordinates) is logged: only counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any, Protocol, cast

from trackguard.clock import Clock, system_clock
from trackguard.errors import ConfigurationError
from trackguard.gateway.stats import ConnectionLimit, GatewayStats
from trackguard.protocols.base import Decoded, PositionReport, ProtocolError, ProtocolSpec, Session

log = logging.getLogger(__name__)

READ_SIZE = 64 * 1024
MAX_DEVICE_KEY = 64
# Queued connections the kernel may hold before we accept them (capped by somaxconn).
BACKLOG = 4096
# Frames of one connection waiting for their commit before we stop reading from it.
MAX_UNACKED_FRAMES = 64


class PositionSink(Protocol):
    """What a gateway needs of the batch writer."""

    @property
    def full(self) -> bool:
        """True while producers should stop taking input."""
        ...

    async def submit(self, reports: Sequence[PositionReport]) -> asyncio.Future[None]:
        """Queue `reports`, waiting while `full`; the future resolves on commit."""
        ...

    def submit_nowait(self, reports: Sequence[PositionReport]) -> asyncio.Future[None]:
        """Queue `reports` at once, even when `full`; the future resolves on commit."""
        ...

    def call_when_room(self, callback: Callable[[], object]) -> None:
        """Call `callback()` once the sink is no longer `full`."""
        ...


@dataclass(frozen=True)
class GatewayLimits:
    max_frame: int = 65_536
    idle_timeout: float = 600.0

    @classmethod
    def from_settings(cls, settings: object) -> GatewayLimits:
        return cls(
            max_frame=int(getattr(settings, "gateway_max_frame")),  # noqa: B009
            idle_timeout=float(getattr(settings, "gateway_idle_timeout")),  # noqa: B009
        )


class Oversized(Exception):
    """A frame (or an HTTP request) longer than the limit."""


def check_report(report: PositionReport) -> None:
    """Refuse a decoded position no device could mean: the connection counts as malformed."""
    if not _plainly_sound(report):
        _check_report(report)


def _plainly_sound(report: PositionReport) -> bool:
    """True when `report` passes every check of `_check_report`, in few steps.

    The usual report: UTC `datetime.UTC` time, finite numbers in range (a comparison
    with NaN is false, and `x - x` is NaN for an infinity). Anything else is left to
    `_check_report`, which names what is wrong.
    """
    key, course, altitude, battery = (
        report.device_key,
        report.course,
        report.altitude,
        report.battery,
    )
    return (
        type(key) is str
        and 0 < len(key) <= MAX_DEVICE_KEY
        and key.isprintable()
        and type(report.protocol) is str
        and report.protocol != ""
        and report.time.tzinfo is UTC
        and -90 <= report.latitude <= 90
        and -180 <= report.longitude <= 180
        and 0 <= report.speed < math.inf
        and (course is None or course - course == 0)
        and (altitude is None or altitude - altitude == 0)
        and (battery is None or battery - battery == 0)
    )


def _check_report(report: PositionReport) -> None:
    key = report.device_key
    if not isinstance(key, str) or not 0 < len(key) <= MAX_DEVICE_KEY or not key.isprintable():
        raise ProtocolError("position without a usable device identifier")
    if not isinstance(report.protocol, str) or not report.protocol:
        raise ProtocolError("position without a protocol name")
    offset = report.time.utcoffset()
    if offset is None or offset != timedelta(0):
        raise ProtocolError("position time is not UTC")
    numbers = (report.latitude, report.longitude, report.speed)
    optional = (report.course, report.altitude, report.battery)
    if not all(math.isfinite(n) for n in numbers) or not all(
        n is None or math.isfinite(n) for n in optional
    ):
        raise ProtocolError("position with a value that is not a finite number")
    if not (-90 <= report.latitude <= 90 and -180 <= report.longitude <= 180):
        raise ProtocolError("position outside the globe")
    if report.speed < 0:
        raise ProtocolError("position with a negative speed")


class ListeningGateway:
    """What the socket gateways share: where they listen, their limits and counters."""

    def __init__(
        self,
        name: str,
        *,
        host: str,
        port: int,
        sink: PositionSink,
        limits: GatewayLimits,
        connection_limit: ConnectionLimit,
        clock: Clock = system_clock,
    ) -> None:
        self.name = name
        self.host, self.requested_port = host, port
        self.sink = sink
        self.limits = limits
        self.connection_limit = connection_limit
        self.clock = clock
        self.stats = GatewayStats(name)
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The bound port (useful when asked for port 0)."""
        if self._server is None or not self._server.sockets:
            return self.requested_port
        return int(self._server.sockets[0].getsockname()[1])

    async def _listen(self, server: Awaitable[asyncio.Server]) -> None:
        try:
            self._server = await server
        except OSError as exc:
            raise ConfigurationError(
                f"gateway {self.name} cannot listen on {self.host}:{self.requested_port} "
                f"({exc.strerror or type(exc).__name__})"
            ) from None


class TcpGateway(ListeningGateway):
    """A framed binary or text protocol (GT06, H02, Teltonika, watch)."""

    def __init__(self, spec: ProtocolSpec, **kw: Any) -> None:
        if spec.frame is None:
            raise ConfigurationError(f"protocol {spec.name} has no framer: not a TCP protocol")
        super().__init__(spec.name, **kw)
        self.spec = spec
        self.max_frame = min(self.limits.max_frame, spec.max_frame)
        self.stopping = False
        self.connections: set[_FramedConnection] = set()
        self._all_closed: asyncio.Future[None] | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        await self._listen(
            loop.create_server(
                lambda: _FramedConnection(self, loop),
                self.host,
                self.requested_port,
                backlog=BACKLOG,
            )
        )

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting; connections waiting for a commit get `grace` seconds for their acks."""
        self.stopping = True
        if self._server is not None:
            self._server.close()
        for connection in list(self.connections):
            connection.shut()
        if self.connections:
            self._all_closed = asyncio.get_running_loop().create_future()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._all_closed), grace)
            for connection in list(self.connections):
                connection.abort()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._all_closed), 1.0)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
            self._server = None

    def forget(self, connection: _FramedConnection) -> None:
        """`connection` is closed: free its place."""
        self.connections.discard(connection)
        self.connection_limit.release()
        self.stats.active -= 1
        if not self.connections and self._all_closed is not None and not self._all_closed.done():
            self._all_closed.set_result(None)

    def frames(self, data: bytes, session: Session) -> tuple[list[Decoded], Exception | None, int]:
        """Cut and decode every complete frame at the front of `data`.

        Returns the frames decoded before any error, the error, and how many bytes were
        used: the frames before an error are still stored and acked before the
        connection closes.
        """
        framer, decode, limit = self.spec.frame, self.spec.decode, self.max_frame
        assert framer is not None
        size = len(data)
        offset, decoded = 0, []
        error: Exception | None = None
        try:
            while offset < size:
                # The usual read holds one frame: hand it over without a copy.
                window = (
                    data if offset == 0 and size <= limit else data[offset : offset + limit + 1]
                )
                frame, consumed = framer(window)
                if consumed < 0 or consumed > len(window) or (frame is not None and consumed == 0):
                    raise ProtocolError(f"{self.name} framer returned an impossible length")
                if frame is None and consumed == 0:
                    if len(window) > limit:
                        raise Oversized
                    break
                offset += consumed
                if frame is None:
                    continue  # noise skipped
                if len(frame) > limit:
                    raise Oversized
                result = decode(frame, session)
                for report in result.positions:
                    check_report(report)
                decoded.append(result)
        except Exception as exc:
            error = exc
        if error is None and size - offset > limit:
            error = Oversized()
        return decoded, error, offset

    def count_error(self, error: Exception) -> None:
        if isinstance(error, Oversized):
            self.stats.oversized += 1
            return
        self.stats.malformed += 1
        if not isinstance(error, ProtocolError):  # a decoder bug must not take the gateway down
            log.error("gateway %s: %s while serving a connection", self.name, type(error).__name__)


class _FramedConnection(asyncio.Protocol):
    """One accepted socket of a `TcpGateway`: frames in, acks out after their commit."""

    def __init__(self, gateway: TcpGateway, loop: asyncio.AbstractEventLoop) -> None:
        self.gateway = gateway
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.session = Session()
        self.rest = b""  # the start of a frame not complete yet
        # Frames in order, each with the future of its positions' commit (None: none).
        self.unacked: deque[tuple[asyncio.Future[None] | None, Decoded]] = deque()
        self.idle_since = 0.0  # loop time of the last read, or of the last ack
        self.timer: asyncio.TimerHandle | None = None
        self.timed_out = False  # closed for idleness: aborted if still open at the next check
        self.blocked_since: float | None = None  # the device stopped taking our writes
        self.waiting_for_room = False  # the writer's queue is full
        self.reading = True
        self.ending = False  # take no more frames; close once the acks are out
        self.abort_at_end = False  # malformed or oversized input: reset, do not linger

    # -- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A socket transport (uvloop's does not subclass asyncio.Transport).
        stream = cast(asyncio.Transport, transport)
        gateway = self.gateway
        if gateway.stopping or not gateway.connection_limit.try_acquire():
            gateway.stats.refused += 1
            stream.abort()
            return
        self.transport = stream
        gateway.connections.add(self)
        gateway.stats.connections += 1
        gateway.stats.active += 1
        self.idle_since = self.loop.time()
        # One timer per connection, re-armed from the time of the last read when it
        # fires instead of being cancelled and re-armed for every read.
        self.timer = self.loop.call_later(gateway.limits.idle_timeout, self._check_idle)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is None:
            return  # refused
        self.transport = None
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.unacked.clear()  # committed or not, there is nobody left to ack
        self.gateway.forget(self)

    def data_received(self, data: bytes) -> None:
        if self.ending or self.transport is None:
            return
        try:
            self._receive(data)
        except Exception as exc:  # a bug must not reach the loop's log with a traceback
            self._fail(exc)

    def _receive(self, data: bytes) -> None:
        self.idle_since = self.loop.time()
        gateway = self.gateway
        if self.rest:
            data = self.rest + data
        decoded, error, used = gateway.frames(data, self.session)
        self.rest = data[used:] if used < len(data) else b""
        sink, unacked, settled = gateway.sink, self.unacked, self._settled
        for result in decoded:
            gateway.stats.frames += 1
            future = None
            if result.positions:
                try:
                    future = sink.submit_nowait(result.positions)
                except Exception:  # the writer is shutting down
                    gateway.stats.write_failures += len(result.positions)
                    self._end(abort=False)
                    break
                future.add_done_callback(settled)
            unacked.append((future, result))
        if error is not None:
            gateway.count_error(error)
            self._end(abort=True)
        if sink.full and not self.waiting_for_room:
            self.waiting_for_room = True
            sink.call_when_room(self._room)
        self._flush()

    def eof_received(self) -> bool:
        self._end(abort=False)
        return True  # keep the socket open for the acks still to come; _finish closes it

    def pause_writing(self) -> None:
        self.blocked_since = self.loop.time()
        self._steer_reading()

    def resume_writing(self) -> None:
        self.blocked_since = None
        self._steer_reading()

    # -- acks ----------------------------------------------------------------------------

    def _settled(self, future: asyncio.Future[None]) -> None:
        if not future.cancelled():
            future.exception()  # seen: a failure is answered by closing, not by a log line
        if self.transport is not None:
            try:
                self._flush()
            except Exception as exc:  # e.g. an answer the clock cannot give
                self._fail(exc)

    def _flush(self) -> None:
        """Ack every frame at the front whose positions are committed, in one write."""
        unacked, transport, gateway = self.unacked, self.transport, self.gateway
        if transport is None:
            return
        stats, answer = gateway.stats, gateway.spec.answer
        acks: list[bytes] = []
        last = False  # a write failed or the frame asked to close: nothing after it is acked
        while unacked:
            future, result = unacked[0]
            if future is not None:
                if not future.done():
                    break
                if future.cancelled() or future.exception() is not None:
                    stats.write_failures += len(result.positions)
                    unacked.clear()  # no ack: the device sends these again
                    last = True
                    break
                stats.positions += len(result.positions)
            unacked.popleft()
            ack = result.ack
            if ack is None and answer is not None:
                ack = answer(result, gateway.clock())
            if ack:
                acks.append(ack)
                stats.acks += 1
            if result.close:
                unacked.clear()
                last = True
        if acks:
            transport.write(acks[0] if len(acks) == 1 else b"".join(acks))
            if not unacked:
                self.idle_since = self.loop.time()  # idle from the last ack, not the last read
        if last:
            self._end(abort=False)
        elif self.ending or gateway.stopping:
            if not unacked:
                self._finish()
        else:
            self._steer_reading()

    # -- reading, idleness, closing --------------------------------------------------------

    def _steer_reading(self) -> None:
        """Read only while this connection and the writer can take more."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        wanted = (
            not self.ending
            and self.blocked_since is None
            and not self.waiting_for_room
            and len(self.unacked) < MAX_UNACKED_FRAMES
        )
        if wanted != self.reading:
            self.reading = wanted
            if wanted:
                transport.resume_reading()
            else:
                transport.pause_reading()

    def _room(self) -> None:
        self.waiting_for_room = False
        self._steer_reading()

    def _end(self, *, abort: bool) -> None:
        """Take no more frames; close once the frames taken are acked."""
        self.ending = True
        self.abort_at_end = self.abort_at_end or abort
        self._steer_reading()
        if not self.unacked:
            self._finish()

    def _finish(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        # An abort would drop acks the kernel has not taken yet: close gently then.
        if self.abort_at_end and transport.get_write_buffer_size() == 0:
            transport.abort()
        else:
            transport.close()

    def _fail(self, exc: Exception) -> None:
        self.gateway.count_error(exc)
        self.unacked.clear()
        self.ending = True
        self.abort()

    def shut(self) -> None:
        """The gateway stops: idle connections now, busy ones after their acks."""
        if self.transport is None:
            return
        self.ending = True
        self._steer_reading()
        if not self.unacked:
            self.abort()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def _check_idle(self) -> None:
        self.timer = None
        transport = self.transport
        if transport is None:
            return
        now, timeout = self.loop.time(), self.gateway.limits.idle_timeout
        if self.timed_out:  # closed at the last check and still open: no grace
            transport.abort()
            return
        blocked = self.blocked_since is not None and now - self.blocked_since >= timeout
        idle = not self.unacked and now - self.idle_since >= timeout
        if blocked or idle:
            self.timed_out = True
            self.gateway.stats.idle_closed += 1
            if blocked:
                transport.abort()  # what is buffered will never be read
                return
            transport.close()
            self.timer = self.loop.call_later(min(timeout, 1.0), self._check_idle)
            return
        due = self.idle_since + timeout - now
        if self.unacked or self.blocked_since is not None:
            due = timeout / 4  # look again soon: busy now, maybe idle from its last ack
        self.timer = self.loop.call_later(max(due, 0.01), self._check_idle)
