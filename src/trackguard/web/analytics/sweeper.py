"""Destroys expired salts on time, also on days nobody visits.

Salts also go on each site's first page view of a day (`salts.salt_for`) and
with the retention engine's sweep; this loop makes "after 48 hours" hold within
`SWEEP_INTERVAL` even when neither runs. It starts with the app (its lifespan).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import anyio.to_thread
from fastapi import FastAPI

from trackguard.runtime import Runtime
from trackguard.web.analytics.salts import destroy_expired, salt_lifetime

SWEEP_INTERVAL = timedelta(minutes=5)
log = logging.getLogger(__name__)


def sweep(runtime: Runtime) -> int:
    """Destroy the salts (and their marks) the policy's period has ended; how many."""
    lifetime = salt_lifetime(runtime.policy)
    with runtime.db.session() as session:
        return destroy_expired(session, now=runtime.clock(), lifetime=lifetime)


async def _sweep_now(runtime: Runtime) -> None:
    try:
        await anyio.to_thread.run_sync(sweep, runtime)
    except Exception as exc:  # keep trying: the next round may find the database back
        log.warning("visitor statistics: expired salts not destroyed (%s)", type(exc).__name__)


async def _sweep_forever(runtime: Runtime, interval: timedelta) -> None:
    while True:
        await asyncio.sleep(interval.total_seconds())
        await _sweep_now(runtime)


@contextlib.asynccontextmanager
async def sweeping(app: FastAPI) -> AsyncIterator[None]:
    """Lifespan: one sweep before serving, then one every `SWEEP_INTERVAL` until shutdown."""
    runtime: Runtime = app.state.runtime
    await _sweep_now(runtime)
    task = asyncio.create_task(_sweep_forever(runtime, SWEEP_INTERVAL))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
