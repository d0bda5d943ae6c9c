"""Traccar API reads run on at most `api_read_threads` threads at once; more wait their turn."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from tests.web.traccar.world import Account

from trackguard.runtime import Runtime
from trackguard.web.app import create_app
from trackguard.web.traccar import resources

pytestmark = pytest.mark.anyio


class _Overlap:
    """Counts reads in progress at once (each held long enough for others to arrive)."""

    def __init__(self, read: Callable[..., Any]) -> None:
        self.read = read
        self.now = self.most = 0
        self.lock = threading.Lock()

    def __call__(self, *args: Any) -> Any:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            time.sleep(0.2)
            return self.read(*args)
        finally:
            with self.lock:
                self.now -= 1


async def _overlap_of(
    runtime: Runtime, threads: int, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> int:
    monkeypatch.setattr(runtime.settings, "api_read_threads", threads)
    overlap = _Overlap(resources._read_now)
    monkeypatch.setattr(resources, "_read_now", overlap)
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answers = await asyncio.gather(
            *(
                client.get(path, auth=(alice.email, alice.password))
                for path in ["/api/positions", "/api/devices", "/api/geofences"] * 2
            )
        )
    assert [a.status_code for a in answers] == [200] * 6
    return overlap.most


async def test_reads_beyond_the_setting_wait_their_turn(
    runtime: Runtime, alice: Account, bob: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await _overlap_of(runtime, 1, alice, monkeypatch) == 1


async def test_reads_up_to_the_setting_run_at_once(
    runtime: Runtime, alice: Account, bob: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert 2 <= await _overlap_of(runtime, 3, alice, monkeypatch) <= 3
