"""Fixtures of the gateway tests: a runtime on SQLite and PostgreSQL, a running writer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from trackguard.gateway.writer import PositionWriter
from trackguard.runtime import Runtime
from trackguard.settings import Settings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings) as opened:
        yield opened


@pytest.fixture
async def writer(runtime: Runtime) -> AsyncIterator[PositionWriter]:
    async with PositionWriter.from_runtime(runtime) as started:
        yield started
