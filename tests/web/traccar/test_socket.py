"""`/api/socket` on a real server in this loop, fed by the real writer and monitor:
the opening snapshot, a live push of a committed position, and who may connect."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
import uvicorn
from tests.web.traccar.world import Account, MovableClock

from trackguard.gateway.writer import PositionWriter
from trackguard.protocols.base import PositionReport
from trackguard.runtime import Runtime
from trackguard.tracking.events import AntiTheftMonitor
from trackguard.tracking.live import LiveHub
from trackguard.web.app import create_app

pytestmark = pytest.mark.anyio
RECEIVE_TIMEOUT = 30  # a bound against hanging, not a measured time


@dataclass
class Server:
    base: str
    writer: PositionWriter


@pytest.fixture
async def server(runtime: Runtime, alice: Account, bob: Account) -> AsyncIterator[Server]:
    hub = LiveHub()
    writer = PositionWriter.from_runtime(runtime)
    monitor = AntiTheftMonitor(runtime.db, runtime.vault, hub=hub)
    writer.on_committed(monitor.on_committed)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(create_app(runtime, live=hub), log_level="warning", access_log=False)
    web = uvicorn.Server(config)
    await writer.start()
    task = asyncio.create_task(web.serve(sockets=[listener]))
    while not web.started:
        await asyncio.sleep(0.01)
    try:
        yield Server(f"http://127.0.0.1:{port}", writer)
    finally:
        web.should_exit = True
        await task
        await writer.close()
        await monitor.drain()
        listener.close()


async def signed_in(base: str, account: Account) -> aiohttp.ClientSession:
    # unsafe=True: aiohttp's jar otherwise refuses cookies from an IP-address host.
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    response = await session.post(
        f"{base}/api/session", data={"email": account.email, "password": account.password}
    )
    assert response.status == 200
    return session


async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    while True:
        message = await asyncio.wait_for(ws.receive(), RECEIVE_TIMEOUT)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        data = json.loads(message.data)
        if data:  # "{}" is a keep-alive
            return dict(data)


def report(imei: str, clock: MovableClock, lat: float) -> PositionReport:
    return PositionReport(
        protocol="osmand",
        device_key=imei,
        time=clock() - timedelta(seconds=5),
        valid=True,
        latitude=lat,
        longitude=5.0,
        speed=18.52,
        course=90.0,
    )


async def test_socket_sends_snapshot_then_pushes_committed_positions(
    server: Server, alice: Account, bob: Account, clock: MovableClock
) -> None:
    alice_http = await signed_in(server.base, alice)
    bob_http = await signed_in(server.base, bob)
    try:
        async with (
            alice_http.ws_connect(f"{server.base}/api/socket") as alice_ws,
            bob_http.ws_connect(f"{server.base}/api/socket") as bob_ws,
        ):
            devices = (await receive(alice_ws))["devices"]
            assert sorted(d["uniqueId"] for d in devices) == sorted(alice.imeis)
            snapshot = (await receive(alice_ws))["positions"]
            assert {p["deviceId"] for p in snapshot} == {d["id"] for d in devices}
            assert sorted(d["uniqueId"] for d in (await receive(bob_ws))["devices"]) == bob.imeis
            await receive(bob_ws)

            # Alice's tracker reports; only Alice's socket hears of it.
            await server.writer.store([report(alice.imeis[0], clock, 52.3)])
            pushed = (await receive(alice_ws))["positions"]
            assert len(pushed) == 1
            first = next(d for d in devices if d["uniqueId"] == alice.imeis[0])
            assert pushed[0]["deviceId"] == first["id"]
            assert pushed[0]["latitude"] == 52.3
            assert pushed[0]["speed"] == pytest.approx(10.0)  # knots
            status = (await receive(alice_ws))["devices"]
            assert status[0]["positionId"] == pushed[0]["id"] and status[0]["status"] == "online"

            await server.writer.store([report(bob.imeis[0], clock, 51.3)])
            bobs = (await receive(bob_ws))["positions"]
            assert [p["latitude"] for p in bobs] == [51.3]  # not Alice's 52.3 first
    finally:
        await alice_http.close()
        await bob_http.close()


async def test_socket_refuses_without_session(server: Server) -> None:
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{server.base}/api/socket")
    assert refused.value.status == 403


async def test_socket_refuses_another_sites_page(server: Server, alice: Account) -> None:
    http = await signed_in(server.base, alice)
    try:
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(
                f"{server.base}/api/socket", headers={"Origin": "https://evil.example"}
            )
    finally:
        await http.close()


async def test_socket_accepts_basic_credentials(server: Server, alice: Account) -> None:
    pair = base64.b64encode(f"{alice.email}:{alice.password}".encode()).decode()
    headers = {"Authorization": f"Basic {pair}"}
    url = f"{server.base}/api/socket"
    async with aiohttp.ClientSession() as http, http.ws_connect(url, headers=headers) as ws:
        assert len((await receive(ws))["devices"]) == len(alice.imeis)
