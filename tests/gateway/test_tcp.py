"""TCP gateways: partial and batched frames, hostile input, idle sockets, limits.

These exercise the connection handling, so most run against a sink without a
database; `test_ack.py` and `test_serve_gateways.py` cover the real writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import resource
import socket
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from tests.gateway.helpers import (
    IMEI,
    Device,
    FakeSink,
    gateway_settings,
    position_packet,
    start_gateways,
)

from trackguard.clock import fixed_clock
from trackguard.gateway.service import Gateways
from trackguard.gateway.tcp import MAX_UNACKED_FRAMES, TcpGateway, _FramedConnection
from trackguard.protocols import gt06, teltonika
from trackguard.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def plain_settings(sqlite_settings: Settings) -> Settings:
    return sqlite_settings


async def gt06_gateway(settings: Settings, sink: FakeSink, **changes: object) -> Gateways:
    return await start_gateways(settings, sink, ["gt06"], **changes)


async def test_a_frame_split_over_many_reads_is_decoded(plain_settings: Settings) -> None:
    sink = FakeSink()
    gateways = await gt06_gateway(plain_settings, sink)
    device = await Device.connect(gateways.listening()["gt06"])
    try:
        for byte in gt06.login_packet(IMEI):
            await device.send(bytes([byte]))
            await asyncio.sleep(0.001)
        await device.ack()
        packet = position_packet(0)
        await device.send(packet[:7])
        await asyncio.sleep(0.05)
        await device.send(packet[7:])
        await device.ack()
        assert [r.device_key for r in sink.reports] == [IMEI]
    finally:
        device.close()
        await gateways.stop()


async def test_several_frames_in_one_read_are_all_answered(plain_settings: Settings) -> None:
    sink = FakeSink()
    gateways = await gt06_gateway(plain_settings, sink)
    device = await Device.connect(gateways.listening()["gt06"])
    try:
        # Login, 50 positions and the first half of one more in a single write.
        tail = position_packet(50)
        burst = gt06.login_packet(IMEI) + b"".join(position_packet(n) for n in range(50))
        await device.send(burst + tail[:10])
        for _ in range(51):
            await device.ack()
        await device.send(tail[10:])
        await device.ack()
        assert len(sink.reports) == 51
        assert gateways.get("gt06").stats.frames == 52
    finally:
        device.close()
        await gateways.stop()


async def test_a_gt06_time_request_is_answered_with_the_server_clock(
    plain_settings: Settings,
) -> None:
    now = datetime(2026, 12, 1, 8, 30, 15, tzinfo=UTC)
    gateways = Gateways(
        gateway_settings(plain_settings),
        FakeSink(),
        names=["gt06"],
        ports={"gt06": 0},
        clock=fixed_clock(now),
    )
    await gateways.start()
    device = await Device.connect(gateways.listening()["gt06"])
    try:
        await device.send(gt06.login_packet(IMEI))
        await device.ack()
        await device.send(gt06.packet(gt06.TIME_REQUEST, b"", 7))
        assert await device.ack() == gt06.time_response(now)
    finally:
        device.close()
        await gateways.stop()


async def _until(condition: Callable[[], bool]) -> None:
    """Wait (at most ten seconds) until `condition()` holds."""
    async with asyncio.timeout(10):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_device_with_too_many_unacked_frames_is_not_read_until_they_commit(
    plain_settings: Settings,
) -> None:
    sink = FakeSink(hold=True)
    gateways = await gt06_gateway(plain_settings, sink)
    device = await Device.connect(gateways.listening()["gt06"])
    try:
        await device.login()
        await device.send(b"".join(position_packet(n) for n in range(MAX_UNACKED_FRAMES)))
        await _until(lambda: len(sink.reports) == MAX_UNACKED_FRAMES)
        await device.send(position_packet(MAX_UNACKED_FRAMES))
        await asyncio.sleep(0.3)
        assert len(sink.reports) == MAX_UNACKED_FRAMES  # backpressure: left in the socket

        sink.release()  # the commit: acks go out, and reading resumes
        serials = [
            int.from_bytes((await device.ack())[-6:-4], "big") for _ in range(MAX_UNACKED_FRAMES)
        ]
        assert serials == [n + 2 for n in range(MAX_UNACKED_FRAMES)]
        await _until(lambda: len(sink.reports) == MAX_UNACKED_FRAMES + 1)
        sink.release()
        await device.ack()
        assert gateways.get("gt06").stats.positions == MAX_UNACKED_FRAMES + 1
    finally:
        device.close()
        await gateways.stop()


async def test_a_frame_that_asks_to_close_is_answered_then_closed(plain_settings: Settings) -> None:
    gateways = await start_gateways(plain_settings, FakeSink(), ["teltonika"])
    reader, writer = await asyncio.open_connection("127.0.0.1", gateways.listening()["teltonika"])
    try:
        writer.write(teltonika.handshake("not-an-imei-at-all"))  # refused, then closed
        assert await asyncio.wait_for(reader.read(), 10) == teltonika.HANDSHAKE_REFUSE
        stats = gateways.get("teltonika").stats
        assert (stats.acks, stats.malformed) == (1, 0)
    finally:
        writer.transport.abort()
        await gateways.stop()


async def test_malformed_input_closes_only_that_connection(plain_settings: Settings) -> None:
    sink = FakeSink()
    gateways = await gt06_gateway(plain_settings, sink)
    port = gateways.listening()["gt06"]
    good = await Device.connect(port)
    bad = await Device.connect(port)
    try:
        await good.login()
        packet = bytearray(position_packet(0))
        packet[-4] ^= 0xFF  # wrong CRC
        await bad.login()
        await bad.send(bytes(packet))
        assert await bad.closed()
        assert gateways.get("gt06").stats.malformed == 1

        await good.send(position_packet(1))
        await good.ack()  # the other device is served as before
    finally:
        good.close()
        bad.close()
        await gateways.stop()


async def test_positions_before_the_bad_frame_are_still_acked(plain_settings: Settings) -> None:
    sink = FakeSink()
    gateways = await gt06_gateway(plain_settings, sink)
    device = await Device.connect(gateways.listening()["gt06"])
    try:
        await device.login()
        bad = bytearray(position_packet(1))
        bad[-4] ^= 0xFF
        await device.send(position_packet(0) + bytes(bad))
        await device.ack()
        assert await device.closed()
        assert len(sink.reports) == 1
    finally:
        device.close()
        await gateways.stop()


async def test_random_bytes_never_take_the_gateway_down(plain_settings: Settings) -> None:
    sink = FakeSink()
    gateways = await start_gateways(
        plain_settings, sink, ["gt06", "h02", "teltonika", "watch"], gateway_idle_timeout=1.0
    )
    rng = random.Random(7)
    try:
        for name, port in gateways.listening().items():
            for _ in range(20):
                noise = await Device.connect(port)
                payload = rng.randbytes(rng.randint(1, 4096))
                if name == "gt06":  # make the noise look like frames now and then
                    payload = b"\x78\x78" + payload
                with contextlib.suppress(ConnectionError):
                    await noise.send(payload)
                noise.close()
        device = await Device.connect(gateways.listening()["gt06"])
        await device.login()
        await device.send(position_packet(0))
        await device.ack()
        device.close()
        assert sum(s.active for s in gateways.stats().values()) <= 1
    finally:
        await gateways.stop()


@pytest.mark.parametrize("protocol", ["gt06", "h02", "watch", "teltonika"])
async def test_a_ten_megabyte_frame_closes_the_connection(
    plain_settings: Settings, protocol: str
) -> None:
    sink = FakeSink()
    gateways = await start_gateways(plain_settings, sink, [protocol])
    port = gateways.listening()[protocol]
    starts = {
        "gt06": b"\x79\x79\xff\xff",
        "h02": b"*HQ,",
        "watch": b"[SG*",
        "teltonika": b"\x00\x0f",
    }
    huge = starts[protocol] + b"1" * (10 * 1024 * 1024)
    device = await Device.connect(port)
    try:
        sent = 0
        try:
            for offset in range(0, len(huge), 1 << 16):
                device.writer.write(huge[offset : offset + (1 << 16)])
                await asyncio.wait_for(device.writer.drain(), 10)
                sent += 1 << 16
        except (ConnectionError, TimeoutError):
            pass
        assert await device.closed()
        stats = gateways.get(protocol).stats
        assert stats.oversized + stats.malformed == 1
        assert stats.active == 0
    finally:
        device.close()
        await gateways.stop()


async def test_idle_and_half_open_connections_are_closed(plain_settings: Settings) -> None:
    sink = FakeSink()
    gateways = await gt06_gateway(plain_settings, sink, gateway_idle_timeout=0.3)
    port = gateways.listening()["gt06"]
    idle = await Device.connect(port)
    half = await Device.connect(port)
    try:
        await half.send(gt06.login_packet(IMEI)[:5])  # a frame that never ends
        assert await idle.closed(timeout=5)
        assert await half.closed(timeout=5)
        assert gateways.get("gt06").stats.idle_closed == 2
    finally:
        idle.close()
        half.close()
        await gateways.stop()


async def test_connections_over_the_limit_are_refused(plain_settings: Settings) -> None:
    sink = FakeSink()
    gateways = await gt06_gateway(plain_settings, sink, gateway_max_connections=3)
    port = gateways.listening()["gt06"]
    devices = [await Device.connect(port) for _ in range(3)]
    for device in devices:
        await device.login()
    extra = await Device.connect(port)
    try:
        assert await extra.closed(timeout=5)
        assert gateways.get("gt06").stats.refused == 1

        devices[0].close()
        for _ in range(50):  # the server notices the close, then has room again
            if gateways.connection_limit.active < 3:
                break
            await asyncio.sleep(0.05)
        again = await Device.connect(port)
        await again.login()
        again.close()
    finally:
        for device in devices:
            device.close()
        extra.close()
        await gateways.stop()


def _socket_budget() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    # Each idle socket costs two descriptors here (client and server end).
    return max(0, min(2000, (soft - 200) // 2))


async def test_thousands_of_idle_sockets_do_not_stop_a_new_device(plain_settings: Settings) -> None:
    count = _socket_budget()
    if count < 500:
        pytest.skip(f"ulimit -n too low for the idle-socket test ({count} sockets)")
    sink = FakeSink()
    gateways = await gt06_gateway(plain_settings, sink, gateway_max_connections=count + 100)
    port = gateways.listening()["gt06"]
    idle: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                sock.connect(("127.0.0.1", port))
            idle.append(sock)
            if len(idle) % 200 == 0:
                await asyncio.sleep(0)  # let the server accept
        for _ in range(200):
            if gateways.get("gt06").stats.active >= count:
                break
            await asyncio.sleep(0.05)
        assert gateways.get("gt06").stats.active >= count * 0.95

        device = await Device.connect(port)
        await device.login()
        await device.send(position_packet(0))
        await device.ack(timeout=5)
        device.close()
    finally:
        for sock in idle:
            sock.close()
        await gateways.stop(grace=1)
    assert os.getpid()  # still here


async def test_stop_closes_idle_connections_and_the_port(plain_settings: Settings) -> None:
    sink = FakeSink()
    gateways = await gt06_gateway(plain_settings, sink)
    port = gateways.listening()["gt06"]
    device = await Device.connect(port)
    await device.login()
    await gateways.stop(grace=1)
    assert await device.closed(timeout=5)
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


class _StuckTransport:
    """A socket whose peer stopped reading: records what the connection does to it."""

    def __init__(self) -> None:
        self.reading, self.aborted, self.closed = True, False, False

    def is_closing(self) -> bool:
        return self.aborted or self.closed

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def get_write_buffer_size(self) -> int:
        return 1 << 20

    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True


async def test_a_device_that_does_not_read_its_acks_meets_the_idle_timeout(
    plain_settings: Settings,
) -> None:
    sink = FakeSink(hold=True)  # a commit pending: the connection is busy, not idle
    gateways = await gt06_gateway(plain_settings, sink, gateway_idle_timeout=0.2)
    gateway = gateways.get("gt06")
    assert isinstance(gateway, TcpGateway)
    connection = _FramedConnection(gateway, asyncio.get_running_loop())
    transport = _StuckTransport()
    try:
        connection.connection_made(transport)  # type: ignore[arg-type]
        connection.data_received(gt06.login_packet(IMEI) + position_packet(0))
        connection.pause_writing()  # the kernel's buffer and ours are full
        assert not transport.reading  # no more frames while acks cannot go out
        await _until(lambda: transport.aborted)
        assert not transport.closed  # reset at once: what is buffered will never be read
        assert gateway.stats.idle_closed == 1
    finally:
        sink.release()
        connection.connection_lost(None)
        await gateways.stop()
