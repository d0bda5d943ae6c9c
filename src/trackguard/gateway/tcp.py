"""TCP gateways: one asyncio server per protocol port, hardened against what devices send.

Per connection: a `Session` for the protocol's decoder and a buffer the
protocol's framer cuts frames from, so a frame split over several reads and
several frames in one read both work. Each frame's positions go to the batch
writer; its ack is written only once they are committed, in frame order.

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

Nothing about a device (IMEI, address, coordinates) is logged: only counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Protocol

from trackguard.clock import Clock, system_clock
from trackguard.errors import ConfigurationError
from trackguard.gateway.stats import ConnectionLimit, GatewayStats
from trackguard.protocols.base import Decoded, PositionReport, ProtocolError, ProtocolSpec, Session

log = logging.getLogger(__name__)

READ_SIZE = 64 * 1024
MAX_DEVICE_KEY = 64
# Queued connections the kernel may hold before we accept them (capped by somaxconn).
BACKLOG = 4096


class PositionSink(Protocol):
    """What a gateway needs of the batch writer."""

    async def submit(self, reports: Sequence[PositionReport]) -> asyncio.Future[None]: ...


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


class _Closed(Exception):
    """The connection is to be closed now (after what was already counted)."""


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


class _Connection:
    """One accepted socket."""

    __slots__ = ("busy", "idle_since", "reader", "task", "timed_out", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.busy = False  # between a read and the last ack of what it brought
        self.idle_since = asyncio.get_running_loop().time()  # when it began waiting to read
        self.timed_out = False  # closed by the idle sweep
        self.task: asyncio.Task[object] | None = asyncio.current_task()


class StreamGateway:
    """Accepting, limits, idle timeouts and shutdown; subclasses speak the protocol."""

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
        self._connections: set[_Connection] = set()
        self._stopping = False
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The bound port (useful when asked for port 0)."""
        if self._server is None or not self._server.sockets:
            return self.requested_port
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        try:
            self._server = await asyncio.start_server(
                self._accept, self.host, self.requested_port, backlog=BACKLOG, limit=READ_SIZE
            )
        except OSError as exc:
            raise ConfigurationError(
                f"gateway {self.name} cannot listen on {self.host}:{self.requested_port} "
                f"({exc.strerror or type(exc).__name__})"
            ) from None
        self._sweeper = asyncio.create_task(self._sweep_idle(), name=f"{self.name}-idle-sweep")

    async def _sweep_idle(self) -> None:
        """Close connections that waited longer than the idle timeout for bytes.

        One sweep for all connections instead of a timer per read: with thousands of
        devices each sending a frame a second, arming and cancelling a timer for every
        read costs more than the decoding.
        """
        loop = asyncio.get_running_loop()
        timeout = self.limits.idle_timeout
        interval = max(0.05, min(1.0, timeout / 4))
        while True:
            await asyncio.sleep(interval)
            now = loop.time()
            for connection in list(self._connections):
                if connection.timed_out:  # closed last sweep and still open: no grace
                    connection.writer.transport.abort()
                elif not connection.busy and now - connection.idle_since >= timeout:
                    connection.timed_out = True
                    self.stats.idle_closed += 1
                    connection.writer.close()  # the pending read sees the end of stream

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting; connections busy with a frame get `grace` seconds for their acks."""
        self._stopping = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        if self._server is not None:
            self._server.close()
        for connection in list(self._connections):
            if not connection.busy and connection.task is not None:
                connection.task.cancel()
        tasks = [c.task for c in self._connections if c.task is not None]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
            self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._stopping or not self.connection_limit.try_acquire():
            self.stats.refused += 1
            writer.transport.abort()
            return
        connection = _Connection(reader, writer)
        self._connections.add(connection)
        self.stats.connections += 1
        self.stats.active += 1
        abort = True
        try:
            await self.serve(connection)
            abort = False
        except ProtocolError:
            self.stats.malformed += 1
        except Oversized:
            self.stats.oversized += 1
        except _Closed:
            abort = False
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass  # shutdown: close below, do not propagate into the server
        except Exception as exc:  # a decoder bug must not take the gateway down
            self.stats.malformed += 1
            log.error("gateway %s: %s while serving a connection", self.name, type(exc).__name__)
        finally:
            self._connections.discard(connection)
            self.connection_limit.release()
            self.stats.active -= 1
            _close(writer, abort)

    async def read(self, connection: _Connection) -> bytes:
        """The next bytes, b'' at end of stream; raises _Closed after the idle timeout."""
        connection.busy = False
        if self._stopping:
            raise _Closed
        connection.idle_since = asyncio.get_running_loop().time()
        data = await connection.reader.read(READ_SIZE)
        if connection.timed_out:
            raise _Closed
        connection.busy = True
        return data

    async def send(self, connection: _Connection, data: bytes) -> None:
        writer = connection.writer
        writer.write(data)
        transport = writer.transport
        # Nothing buffered (the usual case: the kernel took it all): no need to drain.
        if not transport.is_closing() and transport.get_write_buffer_size() == 0:
            return
        try:
            async with asyncio.timeout(self.limits.idle_timeout):
                await connection.writer.drain()
        except TimeoutError:
            self.stats.idle_closed += 1
            raise _Closed from None

    async def serve(self, connection: _Connection) -> None:
        raise NotImplementedError


class TcpGateway(StreamGateway):
    """A framed binary or text protocol (GT06, H02, Teltonika, watch)."""

    def __init__(self, spec: ProtocolSpec, **kw: object) -> None:
        if spec.frame is None:
            raise ConfigurationError(f"protocol {spec.name} has no framer: not a TCP protocol")
        super().__init__(spec.name, **kw)  # type: ignore[arg-type]
        self.spec = spec
        self.max_frame = min(self.limits.max_frame, spec.max_frame)

    async def serve(self, connection: _Connection) -> None:
        session = Session()
        buffer = bytearray()
        while True:
            data = await self.read(connection)
            if not data:
                return
            buffer += data
            decoded, error = self._frames(buffer, session)
            await self._answer(connection, decoded)
            if error is not None:
                raise error

    def _frames(
        self, buffer: bytearray, session: Session
    ) -> tuple[list[Decoded], Exception | None]:
        """Cut and decode every complete frame; keep the rest in `buffer`.

        Returns the frames decoded before any error, and the error: those frames are
        still stored and acked before the connection closes.
        """
        framer, limit = self.spec.frame, self.max_frame
        assert framer is not None
        data = bytes(buffer)
        offset, decoded = 0, []
        error: Exception | None = None
        try:
            while offset < len(data):
                window = data[offset : offset + limit + 1]
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
                result = self.spec.decode(frame, session)
                for report in result.positions:
                    check_report(report)
                decoded.append(result)
        except Exception as exc:
            error = exc
        del buffer[:offset]
        if error is None and len(buffer) > limit:
            error = Oversized()
        return decoded, error

    async def _answer(self, connection: _Connection, decoded: list[Decoded]) -> None:
        """Store the frames' positions, then ack each frame in order once its batch committed."""
        pending: list[tuple[asyncio.Future[None] | None, Decoded]] = []
        for result in decoded:
            self.stats.frames += 1
            future = None
            if result.positions:
                try:
                    future = await self.sink.submit(result.positions)
                except Exception:  # the writer is shutting down
                    self.stats.write_failures += len(result.positions)
                    raise _Closed from None
            pending.append((future, result))
        for future, result in pending:
            if future is not None:
                try:
                    await future
                except Exception:
                    self.stats.write_failures += len(result.positions)
                    raise _Closed from None
                self.stats.positions += len(result.positions)
            ack = result.ack
            if ack is None and self.spec.answer is not None:
                ack = self.spec.answer(result, self.clock())
            if ack:
                await self.send(connection, ack)
                self.stats.acks += 1
            if result.close:
                raise _Closed


def _close(writer: asyncio.StreamWriter, abort: bool) -> None:
    try:
        if abort:
            writer.transport.abort()
        else:
            writer.close()
    except Exception:  # the peer is gone already
        pass
