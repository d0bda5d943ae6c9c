"""`serve` sweeps in a worker thread, and stops a sweep between batches on shutdown."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

from sqlalchemy import func, select
from tests.privacy.retention.conftest import NOW
from tests.privacy.retention.factories import World, make

from trackguard.privacy.retention import list_reports
from trackguard.privacy.retention.engine import ProgressEvent
from trackguard.privacy.retention.schedule import RetentionSchedule
from trackguard.runtime import Runtime
from trackguard.store.models import ChatMessage

WorldFactory = Callable[[], AbstractContextManager[World]]
LONG_AGO = NOW - timedelta(days=12 * 366)


class WatchedSchedule(RetentionSchedule):
    """Notes the thread each batch ran in."""

    threads: list[threading.Thread]

    def _check(self, event: ProgressEvent) -> None:
        self.threads.append(threading.current_thread())
        super()._check(event)


def _chats(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(ChatMessage)) or 0)


def _old_chats(world: WorldFactory, count: int) -> None:
    with world() as w:
        for _ in range(count):
            make(w, "chat_messages", sent_at=LONG_AGO)


def test_the_sweep_runs_off_the_event_loop(runtime: Runtime, world: WorldFactory) -> None:
    _old_chats(world, 3)
    schedule = WatchedSchedule(runtime, interval_hours=24, first_delay=0)
    schedule.threads = []

    async def serve() -> None:
        schedule.start()
        while schedule.runs == 0:
            await asyncio.sleep(0.01)
        await schedule.stop()

    asyncio.run(serve())
    assert _chats(runtime) == 0
    assert schedule.threads and threading.main_thread() not in schedule.threads
    with runtime.db.session() as session:
        assert list_reports(session)[0].status == "completed"


def test_stopping_ends_a_sweep_after_its_current_batch(
    runtime: Runtime, world: WorldFactory
) -> None:
    _old_chats(world, 5)
    schedule = RetentionSchedule(runtime, interval_hours=24, batch_size=2)
    schedule._stopping.set()  # shutdown arrives while the sweep is running
    schedule.run_once()
    assert _chats(runtime) == 3
    with runtime.db.session() as session:
        stopped = list_reports(session)[0]
    assert stopped.status == "failed" and stopped.error == "RetentionStopped"
    assert stopped.row("chat_contact", "chat_messages").count == 2


def test_an_interval_of_zero_never_sweeps(runtime: Runtime, world: WorldFactory) -> None:
    _old_chats(world, 1)
    schedule = RetentionSchedule(runtime, interval_hours=0, first_delay=0)

    async def serve() -> None:
        schedule.start()
        await asyncio.sleep(0)
        await schedule.stop()

    asyncio.run(serve())
    assert not schedule.enabled and schedule.runs == 0
    assert _chats(runtime) == 1


def test_the_default_interval_is_a_day(runtime: Runtime) -> None:
    schedule = RetentionSchedule.from_runtime(runtime)
    assert schedule.enabled and schedule.interval == 24 * 3600
