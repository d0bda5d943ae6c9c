"""Two customers on a freshly opened runtime, an app around it, a client per backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from tests.web.traccar.world import NOW, Account, MovableClock, add_customer

from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.web.app import create_app


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
def runtime(settings: Settings, clock: MovableClock) -> Iterator[Runtime]:
    with Runtime.open(settings, clock=clock) as opened:
        yield opened


@pytest.fixture
def alice(runtime: Runtime) -> Account:
    return add_customer(
        runtime,
        "alice@example.nl",
        "correct horse",
        "Alice",
        ["356000000000011", "356000000000012"],
        lat=52.0,
    )


@pytest.fixture
def bob(runtime: Runtime) -> Account:
    return add_customer(
        runtime, "bob@example.nl", "battery staple", "Bob", ["356000000000021"], lat=51.0
    )


@pytest.fixture
def app(runtime: Runtime, alice: Account, bob: Account) -> FastAPI:
    return create_app(runtime)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
