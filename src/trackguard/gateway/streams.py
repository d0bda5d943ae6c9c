"""The stream-based gateway base (asyncio StreamReader/StreamWriter per connection).

The HTTP gateway runs on it: h11 reads request by request, which suits a
coroutine per connection. The framed TCP gateways (`gateway.tcp`) use protocol
callbacks instead. Limits, counters and what ends a connection are the same as
there (see `gateway.tcp`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from trackguard.gateway.tcp import BACKLOG, READ_SIZE, ListeningGateway, Oversized
from trackguard.protocols.base import ProtocolError

log = logging.getLogger(__name__)


class _Closed(Exception):
    """The connection is to be closed now (after what was already counted)."""


class _Connection:
    """One accepted socket."""

    __slots__ = ("busy", "idle_since", "reader", "task", "timed_out", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.busy = False  # between a read and the last ack of what it brought
        self.idle_since = asyncio.get_running_loop().time()  # when it began waiting to read
        self.timed_out = False  # closed by the idle sweep
        self.task: asyncio.Task[object] | None = asyncio.current_task()


class StreamGateway(ListeningGateway):
    """Accepting, limits, idle timeouts and shutdown; subclasses speak the protocol."""

    def __init__(self, name: str, **kw: Any) -> None:
        super().__init__(name, **kw)
        self._connections: set[_Connection] = set()
        self._stopping = False
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._listen(
            asyncio.start_server(
                self._accept, self.host, self.requested_port, backlog=BACKLOG, limit=READ_SIZE
            )
        )
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


def _close(writer: asyncio.StreamWriter, abort: bool) -> None:
    try:
        if abort:
            writer.transport.abort()
        else:
            writer.close()
    except Exception:  # the peer is gone already
        pass
