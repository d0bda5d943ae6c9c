"""The OsmAnd HTTP gateway: 200 only after the commit, 400 for what the protocol refuses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from tests.gateway.helpers import FakeSink, GatedWriter, start_gateways

from trackguard.gateway.writer import PositionWriter
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.tracking.devices import find_device
from trackguard.tracking.positions import read_positions

pytestmark = pytest.mark.anyio

DEVICE = "trackguard-test-phone"
WHEN = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)


def query(n: int = 0, **extra: str) -> dict[str, str]:
    params = {
        "id": DEVICE,
        "timestamp": str(int(WHEN.timestamp()) + n),
        "lat": f"{52.2 + n * 0.00001:.6f}",
        "lon": f"{5.4 + n * 0.00001:.6f}",
        "speed": "2.0",
        "bearing": "90",
    }
    return params | extra


async def test_osmand_is_answered_after_the_commit_and_stored(runtime: Runtime) -> None:
    writer = GatedWriter(runtime.db, runtime.vault, batch_max_delay=0.01)
    await writer.start()
    gateways = await start_gateways(runtime.settings, writer, ["osmand"])
    url = f"http://127.0.0.1:{gateways.listening()['osmand']}/"
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            request = asyncio.create_task(client.get(url, params=query()))
            await asyncio.sleep(0.5)
            assert not request.done()  # no commit, no 200
            writer.gate.set()
            response = await request
            assert response.status_code == 200
            # Keep-alive: a POSTed form on the same connection.
            response = await client.post(url, data=query(1))
            assert response.status_code == 200
    finally:
        writer.gate.set()
        await gateways.stop()
        await writer.close()
    with runtime.db.session() as session:
        device = find_device(session, runtime.vault, DEVICE)
        stored = read_positions(session, runtime.vault, device.id)
    assert [p.time for p in stored] == [WHEN, WHEN.replace(second=1)]
    assert stored[0].fix.protocol == "osmand"
    assert stored[0].fix.speed == pytest.approx(3.7, abs=0.05)  # 2 knots in km/h


async def test_a_bad_request_gets_400_and_the_server_keeps_serving(
    sqlite_settings: Settings,
) -> None:
    sink = FakeSink()
    gateways = await start_gateways(sqlite_settings, sink, ["osmand"])
    port = gateways.listening()["osmand"]
    url = f"http://127.0.0.1:{port}/"
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(url, params=query(lat="north"))
            assert response.status_code == 400
            assert response.headers.get("connection") == "close"
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"\x16\x03\x01garbage that is not HTTP\r\n\r\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 5)
        assert answer.startswith(b"HTTP/1.1 400")
        writer.close()
        assert gateways.get("osmand").stats.malformed == 2

        async with httpx.AsyncClient(timeout=10) as client:
            assert (await client.get(url, params=query())).status_code == 200
        assert len(sink.reports) == 1
    finally:
        await gateways.stop()


async def test_a_ten_megabyte_body_is_refused_before_it_is_read(sqlite_settings: Settings) -> None:
    sink = FakeSink()
    gateways = await start_gateways(sqlite_settings, sink, ["osmand"])
    port = gateways.listening()["osmand"]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10485760\r\n\r\n" + b"{" * 65536
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 5)
        assert answer.startswith(b"HTTP/1.1 413")
        writer.close()

        # Chunked, so no length is declared: refused once the body passes the limit.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(160):
                writer.write(b"10000\r\n" + b"a" * 65536 + b"\r\n")
                await asyncio.wait_for(writer.drain(), 5)
        except (ConnectionError, TimeoutError):
            pass
        answer = await asyncio.wait_for(reader.read(), 5)
        assert answer.startswith(b"HTTP/1.1 413")
        writer.close()
        assert gateways.get("osmand").stats.oversized == 2

        async with httpx.AsyncClient(timeout=10) as client:
            url = f"http://127.0.0.1:{port}/"
            assert (await client.get(url, params=query())).status_code == 200
    finally:
        await gateways.stop()


async def test_positions_that_cannot_be_stored_get_503(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import trackguard.gateway.writer as writer_module

    def broken(*args: object, **kw: object) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(writer_module, "insert_positions", broken)
    async with PositionWriter.from_runtime(runtime) as writer:
        gateways = await start_gateways(runtime.settings, writer, ["osmand"])
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                url = f"http://127.0.0.1:{gateways.listening()['osmand']}/"
                assert (await client.get(url, params=query())).status_code == 503
        finally:
            await gateways.stop()
