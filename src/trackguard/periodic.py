"""Background work inside `trackguard serve`: a run shortly after start, then every interval.

The work runs in a worker thread so the event loop (gateways, web) never waits on
it. It receives a `stopping` event and checks it between its own transactions
(raising `Stopped` there is the clean way out: the next run finishes the job);
`stop` sets it and waits for the thread. Failures are logged by kind only (an
exception's text may carry personal data) and retried at the next interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Stopped(Exception):
    """Raised by a job between two of its transactions when the server shuts down."""


Work = Callable[[threading.Event], None]


class PeriodicJob:
    def __init__(self, name: str, work: Work, *, interval: float, first_delay: float) -> None:
        """`interval` and `first_delay` in seconds; an interval of 0 disables the job."""
        self.name, self.work = name, work
        self.interval, self.first_delay = interval, first_delay
        self.runs = 0
        self._stopping = threading.Event()
        self._task: asyncio.Task[None] | None = None
        self._current: asyncio.Future[None] | None = None

    @property
    def enabled(self) -> bool:
        return self.interval > 0

    @property
    def running(self) -> bool:
        return self._current is not None and not self._current.done()

    def start(self) -> None:
        if self.enabled and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        """Ask the work to stop at its next check and wait for its thread to return."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if self._current is not None:
            await self._current

    async def _loop(self) -> None:
        delay = self.first_delay
        while True:
            await asyncio.sleep(delay)
            self._current = asyncio.ensure_future(asyncio.to_thread(self.run_once))
            # Shielded: cancelling the loop must not abandon the thread; `stop` awaits it.
            await asyncio.shield(self._current)
            delay = self.interval

    def run_once(self) -> None:
        """One run; never raises."""
        try:
            self.work(self._stopping)
        except Stopped:
            log.info("%s stopped for shutdown; the next run finishes it", self.name)
        except Exception as exc:
            log.error("%s failed (%s); it is retried at the next interval",
                      self.name, type(exc).__name__)  # fmt: skip
        finally:
            self.runs += 1
