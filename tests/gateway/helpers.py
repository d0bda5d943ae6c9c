"""Helpers of the gateway tests: fixes, a sink without a database, a gated writer, a GT06 device."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from trackguard.gateway.service import Gateways
from trackguard.gateway.writer import PositionWriter
from trackguard.protocols import gt06
from trackguard.protocols.base import PositionReport
from trackguard.settings import Settings

IMEI = "356938035643809"
START = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)


def report(
    n: int = 0, *, imei: str = IMEI, protocol: str = "gt06", start: datetime = START
) -> PositionReport:
    """The n-th fix of a slow ride: one second and about a metre apart, never filtered."""
    return PositionReport(
        protocol=protocol,
        device_key=imei,
        time=start + timedelta(seconds=n),
        valid=True,
        latitude=52.2 + n * 0.00001,
        longitude=5.4 + n * 0.00001,
        speed=3.6,
        course=45.0,
        satellites=9,
    )


class FakeSink:
    """A writer without a database: commits at once, or when `release` is called."""

    def __init__(self, *, hold: bool = False) -> None:
        self.reports: list[PositionReport] = []
        self.hold = hold
        self.full = False
        self._held: list[asyncio.Future[None]] = []

    def submit_nowait(self, reports: Sequence[PositionReport]) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.reports.extend(reports)
        if self.hold:
            self._held.append(future)
        else:
            future.set_result(None)
        return future

    async def submit(self, reports: Sequence[PositionReport]) -> asyncio.Future[None]:
        return self.submit_nowait(reports)

    def call_when_room(self, callback: Callable[[], object]) -> None:
        asyncio.get_running_loop().call_soon(callback)

    def release(self) -> None:
        for future in self._held:
            if not future.done():
                future.set_result(None)
        self._held.clear()


class GatedWriter(PositionWriter):
    """A real writer whose database work waits until `gate` is set (a slow commit)."""

    def __init__(self, *args: object, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.gate = threading.Event()

    def _write_sync(self, batch):  # type: ignore[no-untyped-def]
        self.gate.wait(timeout=30)
        return super()._write_sync(batch)


def gateway_settings(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update={"host": "127.0.0.1", **changes})


async def start_gateways(
    settings: Settings, sink: object, names: Sequence[str], **changes: object
) -> Gateways:
    gateways = Gateways(
        gateway_settings(settings, **changes),
        sink,  # type: ignore[arg-type]
        names=list(names),
        ports=dict.fromkeys(names, 0),
    )
    await gateways.start()
    return gateways


class Device:
    """A GT06 tracker on an asyncio stream."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.buffer = b""

    @classmethod
    async def connect(cls, port: int) -> Device:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def ack(self, timeout: float = 10.0) -> bytes:
        """The next complete GT06 server packet."""
        async with asyncio.timeout(timeout):
            while True:
                size = gt06.read_ack(self.buffer)
                if size:
                    packet, self.buffer = self.buffer[:size], self.buffer[size:]
                    return packet
                data = await self.reader.read(4096)
                if not data:
                    raise ConnectionResetError("closed by the server")
                self.buffer += data

    async def closed(self, timeout: float = 10.0) -> bool:
        """True once the server has closed the connection (EOF or reset)."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    data = await self.reader.read(65536)
                    if not data:
                        return True
        except (ConnectionError, OSError):
            return True
        except TimeoutError:
            return False

    async def login(self, imei: str = IMEI) -> None:
        await self.send(gt06.login_packet(imei))
        await self.ack()

    def close(self) -> None:
        self.writer.transport.abort()


def position_packet(n: int, imei: str = IMEI) -> bytes:
    return gt06.position_packet(report(n, imei=imei), n + 2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
