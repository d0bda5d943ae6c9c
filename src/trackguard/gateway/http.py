"""The OsmAnd gateway: HTTP/1.1 on port 5055, as Traccar Client and the OsmAnd app speak it.

It runs on the same hardened connection handling as the TCP gateways (limits,
idle timeout, counters) and parses HTTP with h11, the state machine uvicorn
itself uses, so keep-alive, pipelining and chunked bodies work and nothing but
h11 ever parses a hostile request line.

The answer is 200 only after the request's positions are committed; a request
the protocol does not allow gets 400, a body over the size limit 413 (the
Content-Length is checked before any of the body is read), and 503 when the
positions could not be stored (the device sends them again). After 400 or 413
the connection is closed, as for every malformed input.
"""

from __future__ import annotations

import asyncio
import contextlib

import h11

from trackguard.gateway.streams import StreamGateway, _Closed, _Connection
from trackguard.gateway.tcp import READ_SIZE, Oversized, check_report
from trackguard.protocols import osmand
from trackguard.protocols.base import ProtocolError, ProtocolSpec, Session

# Request line plus headers; devices send a few hundred bytes.
MAX_HEADER_BYTES = 16 * 1024
# After refusing a request, how long to keep reading (and dropping) what still comes.
LINGER_SECONDS = 2.0
_REASONS = {
    200: b"OK",
    400: b"Bad Request",
    413: b"Content Too Large",
    431: b"Request Header Fields Too Large",
    503: b"Service Unavailable",
}


class _Reject(Exception):
    def __init__(self, status: int, counted: Exception) -> None:
        self.status, self.counted = status, counted


class HttpGateway(StreamGateway):
    """OsmAnd over HTTP: one request is one frame for `osmand.decode`."""

    def __init__(self, spec: ProtocolSpec, **kw: object) -> None:
        super().__init__(spec.name, **kw)  # type: ignore[arg-type]
        self.spec = spec
        self.max_body = min(self.limits.max_frame, spec.max_frame)

    async def serve(self, connection: _Connection) -> None:
        http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADER_BYTES)
        session = Session()
        try:
            await self._requests(connection, http, session)
        except _Reject as reject:
            if isinstance(reject.counted, Oversized):
                self.stats.oversized += 1
            else:
                self.stats.malformed += 1
            if http.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                await self._respond(connection, http, reject.status, close=True)
                await self._linger(connection)
            raise _Closed from None

    async def _linger(self, connection: _Connection) -> None:
        """Half-close, then read and drop what the client still sends, for a moment.

        Closing a socket with unread input makes the kernel reset the connection and
        throw away our answer before the client reads it.
        """
        writer = connection.writer
        with contextlib.suppress(Exception):
            if writer.can_write_eof():
                writer.write_eof()
            async with asyncio.timeout(LINGER_SECONDS):
                while await connection.reader.read(READ_SIZE):
                    pass

    async def _requests(
        self, connection: _Connection, http: h11.Connection, session: Session
    ) -> None:
        request: h11.Request | None = None
        body = bytearray()
        while True:
            try:
                event = http.next_event()
            except h11.RemoteProtocolError as exc:
                # h11 hints 431 for a request line and headers over MAX_HEADER_BYTES.
                status = exc.error_status_hint if exc.error_status_hint in (400, 431) else 400
                counted = Oversized() if status == 431 else ProtocolError("bad HTTP request")
                raise _Reject(status, counted) from None
            if event is h11.NEED_DATA:
                data = await self.read(connection)
                http.receive_data(data)
                continue
            if isinstance(event, h11.Request):
                request, body = event, bytearray()
                if _declared_length(event) > self.max_body:
                    raise _Reject(413, Oversized())
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > self.max_body:
                    raise _Reject(413, Oversized())
            elif isinstance(event, h11.EndOfMessage):
                assert request is not None
                status = await self._handle(request, bytes(body), session)
                await self._respond(connection, http, status, close=False)
                if http.our_state is h11.MUST_CLOSE:
                    raise _Closed
                http.start_next_cycle()
                request = None
            elif isinstance(event, h11.ConnectionClosed):
                return
            else:  # PAUSED cannot happen: each cycle is finished before the next starts
                raise _Closed

    async def _handle(self, request: h11.Request, body: bytes, session: Session) -> int:
        self.stats.frames += 1
        content_type = None
        for name, value in request.headers:
            if name == b"content-type":
                content_type = value.decode("latin-1")
        query = request.target.partition(b"?")[2]
        try:
            frame = osmand.request_frame(
                request.method.decode("ascii"),
                query,
                content_type,
                body,
                received_at=self.clock(),
            )
            decoded = self.spec.decode(frame, session)
            for report in decoded.positions:
                check_report(report)
        except ProtocolError as exc:
            raise _Reject(400, exc) from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise _Reject(400, ProtocolError(type(exc).__name__)) from None
        if decoded.positions:
            try:
                await (await self.sink.submit(decoded.positions))
            except Exception:
                self.stats.write_failures += len(decoded.positions)
                return 503
            self.stats.positions += len(decoded.positions)
        return 200

    async def _respond(
        self, connection: _Connection, http: h11.Connection, status: int, *, close: bool
    ) -> None:
        headers = [("content-length", "0")]
        if close:
            headers.append(("connection", "close"))
        try:
            reason = _REASONS.get(status, b"")
            data = http.send(h11.Response(status_code=status, headers=headers, reason=reason))
            data = (data or b"") + (http.send(h11.EndOfMessage()) or b"")
        except h11.LocalProtocolError:
            return
        await self.send(connection, data)
        if status == 200:
            self.stats.acks += 1


def _declared_length(request: h11.Request) -> int:
    for name, value in request.headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0
