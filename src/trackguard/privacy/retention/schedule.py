"""Retention inside `trackguard serve`: a run shortly after start, then every interval.

The sweep runs in a worker thread so the event loop (gateways, web) never waits on
it. Stopping asks the sweep to stop after its current batch (each batch is its own
transaction, so that is a clean place to stop; the next start finishes the job)
and waits for it. Only counts are logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import TYPE_CHECKING

from trackguard.privacy.retention.engine import ProgressEvent, run

if TYPE_CHECKING:
    from trackguard.runtime import Runtime

log = logging.getLogger(__name__)

FIRST_RUN_DELAY = 60.0  # seconds: let the server come up (and a demo seed finish) first


class RetentionStopped(Exception):
    """Raised between batches when the server shuts down."""


class RetentionSchedule:
    def __init__(
        self,
        runtime: Runtime,
        *,
        interval_hours: float,
        first_delay: float = FIRST_RUN_DELAY,
        batch_size: int = 1000,
    ) -> None:
        self.runtime, self.batch_size = runtime, batch_size
        self.interval = interval_hours * 3600.0
        self.first_delay = first_delay
        self.runs = 0
        self._stopping = threading.Event()
        self._task: asyncio.Task[None] | None = None
        self._sweep: asyncio.Future[None] | None = None

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> RetentionSchedule:
        return cls(runtime, interval_hours=runtime.settings.retention_interval_hours)

    @property
    def enabled(self) -> bool:
        return self.interval > 0

    def start(self) -> None:
        if self.enabled and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        """Stop after the current batch and wait for the sweep's thread to return."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if self._sweep is not None:
            await self._sweep  # the thread returns at its next batch boundary

    @property
    def running(self) -> bool:
        return self._sweep is not None and not self._sweep.done()

    async def _loop(self) -> None:
        delay = self.first_delay
        while True:
            await asyncio.sleep(delay)
            self._sweep = asyncio.ensure_future(asyncio.to_thread(self.run_once))
            # Shielded: cancelling the loop must not abandon the thread; `stop` awaits it.
            await asyncio.shield(self._sweep)
            delay = self.interval

    def _check(self, event: ProgressEvent) -> None:
        if self._stopping.is_set():
            raise RetentionStopped

    def run_once(self) -> None:
        """One sweep as of now; failures are logged (by kind only), never raised."""
        try:
            report = run(self.runtime, batch_size=self.batch_size, progress=self._check)
        except RetentionStopped:
            log.info("retention run stopped for shutdown; the next run finishes it")
            return
        except Exception as exc:
            log.error("retention run failed (%s); it is retried at the next interval",
                      type(exc).__name__)  # fmt: skip
            return
        finally:
            self.runs += 1
        acted = ", ".join(f"{r.rule}/{r.record}={r.count}" for r in report.rules if r.count)
        log.info("retention run: %d rows%s", report.total, f" ({acted})" if acted else "")
