"""Acceptance: `trackguard serve` on freshly seeded demo data, driven by pytraccar (the
client Home Assistant's Traccar integration uses), must show the demo customer exactly
their own devices, latest positions, geofences and events, live over the socket too."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from pytraccar import ApiClient
from sqlalchemy import select

from trackguard.demo.generate import DEMO_EMAIL, DEMO_PASSWORD
from trackguard.demo.seed import demo_customer_id
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import Device
from trackguard.tracking.events import list_events, list_geofences
from trackguard.tracking.geo import kmh_to_knots
from trackguard.tracking.positions import read_positions

pytestmark = [
    pytest.mark.anyio,
    # pytraccar still passes aiohttp.BasicAuth, which aiohttp 3.14 deprecates.
    pytest.mark.filterwarnings("ignore:.*BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]
STARTUP_SECONDS = 60
RECEIVE_SECONDS = 30  # a bound against hanging, not a measured time


@dataclass(frozen=True)
class Expected:
    imeis: set[str]
    latest: dict[str, tuple[str, float, float, float]]  # IMEI -> fixTime, lat, lon, knots
    geofences: set[str]
    events: list[tuple[str, str]]  # (type, eventTime), oldest first


@dataclass(frozen=True)
class Served:
    port: int
    expected: Expected


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _expected(data_dir: Path, since: datetime, until: datetime) -> Expected:
    """What the demo customer owns, read straight from the database and vault."""
    with Runtime.open(Settings(data_dir=data_dir)) as runtime, runtime.db.session() as session:
        customer = demo_customer_id(session, runtime.vault)
        assert customer is not None
        devices = session.scalars(select(Device).where(Device.customer_id == customer)).all()
        latest: dict[str, tuple[str, float, float, float]] = {}
        imeis = set()
        for device in devices:
            imei = runtime.vault.unseal(session, device, "imei")
            assert imei is not None
            imeis.add(imei)
            history = read_positions(session, runtime.vault, device.id)
            if history:
                last = history[-1]
                latest[imei] = (_iso(last.time), last.fix.lat, last.fix.lon, last.fix.speed)
        fences = {g.name for g in list_geofences(session, runtime.vault, customer)}
        events = [
            (e.type, _iso(e.time))
            for e in list_events(session, customer_id=customer, since=since, until=until)
        ]
    return Expected(imeis, latest, fences, events)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("pytraccar")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKGUARD_")}
    env["TRACKGUARD_DATA_DIR"] = str(base / "data")
    seed = subprocess.run(
        [sys.executable, "-m", "trackguard.cli", "demo", "seed"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert seed.returncode == 0, seed.stderr
    port = _free_port()
    log = base / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "trackguard.cli", "serve", "--no-gateways", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, log.read_text()
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        now = datetime.now(UTC)
        # pytraccar's default report window: the last 30 hours.
        expected = _expected(base / "data", now - timedelta(hours=31), now + timedelta(hours=1))
        yield Served(port, expected)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _client(port: int, http: aiohttp.ClientSession) -> ApiClient:
    return ApiClient(
        host="127.0.0.1",
        port=port,
        username=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        client_session=http,
    )


async def test_pytraccar_reads_the_demo_customers_data(served: Served) -> None:
    expected = served.expected
    assert len(expected.imeis) >= 2 and expected.events
    async with aiohttp.ClientSession() as http:
        client = _client(served.port, http)
        server = await client.get_server()
        assert isinstance(server["version"], str) and server["id"] == 1

        devices = await client.get_devices()
        assert {d["uniqueId"] for d in devices} == expected.imeis
        assert all(isinstance(d["id"], int) for d in devices)
        imei_of = {d["id"]: d["uniqueId"] for d in devices}

        positions = await client.get_positions()
        got = {
            imei_of[p["deviceId"]]: (p["fixTime"], p["latitude"], p["longitude"], p["speed"])
            for p in positions
        }
        assert got.keys() == expected.latest.keys()
        for imei, (fix_time, lat, lon, kmh) in expected.latest.items():
            assert got[imei][:3] == (fix_time, lat, lon)
            assert got[imei][3] == pytest.approx(kmh_to_knots(kmh))
        by_position = {d["positionId"]: d["id"] for d in devices}
        assert all(by_position[p["id"]] == p["deviceId"] for p in positions)

        geofences = await client.get_geofences()
        assert {g["name"] for g in geofences} == expected.geofences

        events = await client.get_reports_events(devices=list(imei_of))
        assert [(e["type"], e["eventTime"]) for e in events] == expected.events
        assert {e["deviceId"] for e in events} <= set(imei_of)


async def test_pytraccar_subscribe_gets_devices_and_latest_positions(served: Served) -> None:
    received: dict[str, list[Any]] = {}
    both = asyncio.Event()

    async def callback(data: Any) -> None:
        for key in ("devices", "positions"):
            if data.get(key) is not None:
                received.setdefault(key, []).extend(data[key])
        if "devices" in received and "positions" in received:
            both.set()

    # unsafe=True: aiohttp's jar otherwise ignores cookies from an IP-address host, and
    # pytraccar's socket relies on the session cookie from POST /api/session.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = _client(served.port, http)
        task = asyncio.create_task(client.subscribe(callback))
        try:
            await asyncio.wait_for(both.wait(), RECEIVE_SECONDS)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert {d["uniqueId"] for d in received["devices"]} == served.expected.imeis
    imei_of = {d["id"]: d["uniqueId"] for d in received["devices"]}
    assert {imei_of[p["deviceId"]]: p["fixTime"] for p in received["positions"]} == {
        imei: latest[0] for imei, latest in served.expected.latest.items()
    }
