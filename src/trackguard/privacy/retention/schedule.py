"""Retention inside `trackguard serve`: a run shortly after start, then every interval.

A `periodic.PeriodicJob`: the sweep runs in a worker thread so the event loop
(gateways, web) never waits on it, and stopping asks it to stop after its current
batch (each batch is its own transaction, so that is a clean place to stop; the
next start finishes the job). Only counts are logged.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from trackguard.periodic import PeriodicJob, Stopped
from trackguard.privacy.retention.engine import ProgressEvent, run
from trackguard.privacy.retention.key_classes import move_key_classes

if TYPE_CHECKING:
    from trackguard.runtime import Runtime

log = logging.getLogger(__name__)

FIRST_RUN_DELAY = 60.0  # seconds: let the server come up (and a demo seed finish) first


class RetentionStopped(Stopped):
    """Raised between batches when the server shuts down (the run's report names it)."""


class RetentionSchedule(PeriodicJob):
    def __init__(
        self,
        runtime: Runtime,
        *,
        interval_hours: float,
        first_delay: float = FIRST_RUN_DELAY,
        batch_size: int = 1000,
    ) -> None:
        self.runtime, self.batch_size = runtime, batch_size
        super().__init__(
            "retention run", self._sweep, interval=interval_hours * 3600.0, first_delay=first_delay
        )

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> RetentionSchedule:
        return cls(runtime, interval_hours=runtime.settings.retention_interval_hours)

    def _check(self, event: ProgressEvent) -> None:
        if self._stopping.is_set():
            raise RetentionStopped

    def _sweep(self, stopping: threading.Event) -> None:
        move_key_classes(self.runtime.db, self.runtime.vault)  # a no-op once done
        report = run(self.runtime, batch_size=self.batch_size, progress=self._check)
        acted = ", ".join(f"{r.rule}/{r.record}={r.count}" for r in report.rules if r.count)
        log.info("retention run: %d rows%s", report.total, f" ({acted})" if acted else "")
