"""The batch writer: the one place positions become durable, and the reason acks can be trusted.

Gateways `submit` decoded reports and get a future that resolves only after the
transaction holding them has committed; they send the device its ack then, and
not before. If the batch fails, the future carries the exception and the device
gets no ack, so it sends the fix again.

* One queue entry and one future per submission (a frame's reports), not per
  report: `submit_nowait` is what a callback-based gateway calls from
  `data_received`, adding a done callback to the future instead of awaiting it.
* Bounded queue (`queue_max_rows`): when it is full, `submit` waits, and a
  callback gateway that sees `full` pauses reading until `call_when_room` calls
  back (backpressure) instead of buffering without end.
* One writer task collects whole submissions up to `batch_max_rows` reports (a
  batch may run over by less than one submission) or waits `batch_max_delay`
  after the first, then does the database work in a worker
  thread so the event loop keeps serving: bad-fix filters, device look-up (and
  registration of unknown devices), encryption, executemany/COPY, commit.
* A non-customer device's fixes of one batch and hour become one row: a single
  fix as before, several (a Teltonika packet of buffered records) one block row —
  one JSON document, one AES-GCM seal, one insert (customers' fixes stay single
  rows until compaction folds blocks too, see `gateway.packing`). Fixes a resent
  packet holds that are stored already are left out first, so none is stored twice.
* Filtered fixes (`tracking.filters`) are acknowledged — they were received — but
  not stored. The filters' memory of each device's last fix moves on only after
  a commit, so a batch that failed and is sent again is judged the same way.
* Committed positions go to the hooks registered with `on_committed` (anti-theft,
  live updates), in the event loop, after the futures are resolved.
* A failing batch of several devices is retried one device at a time (one group
  per set of devices a submission names), so one device whose rows the database
  refuses cannot keep every other device unacked.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import sys
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from trackguard.clock import Clock, as_utc, system_clock
from trackguard.errors import TrackguardError
from trackguard.gateway.packing import drop_stored, newest_after, plan_rows
from trackguard.gateway.sealing import RowSealer, insert_blocks
from trackguard.gateway.stored import newest_stored, stored_times
from trackguard.protocols.base import PositionReport
from trackguard.store.engine import Database
from trackguard.store.models.keys import SubjectKey
from trackguard.tracking.devices import DeviceRef, ImeiIndexes, mark_seen, resolve_devices
from trackguard.tracking.filters import FilterConfig, filter_fixes, latest_by_device
from trackguard.tracking.positions import (
    FLEET_KEY_ROTATION,
    POSITION_KEY_CLASS,
    PartitionKeeper,
    insert_positions,
)
from trackguard.vault import FLEET_SUBJECT, Vault

if TYPE_CHECKING:
    from trackguard.runtime import Runtime

log = logging.getLogger(__name__)

# The filters remember one report per device; beyond this many devices the least
# recently seen are forgotten (their next fix is then judged without a reference).
MAX_REMEMBERED_DEVICES = 100_000
# Seconds a thread holding the GIL may keep it while another waits (Python's default: 0.005).
WRITER_SWITCH_INTERVAL = 0.0001


class WriterClosed(TrackguardError):
    """The writer is shutting down and takes no more positions."""


@dataclass(frozen=True, slots=True)
class CommittedPosition:
    """A stored position, as the post-commit hooks see it."""

    report: PositionReport
    device_id: str
    customer_id: str | None  # None: a non-customer device (fleet key)
    received_at: datetime


CommitHook = Callable[[Sequence[CommittedPosition]], object]


@dataclass
class WriterStats:
    submitted: int = 0
    stored: int = 0  # rows handed to the database (a resent duplicate is skipped there)
    filtered: int = 0
    batches: int = 0
    failed_batches: int = 0
    failed_positions: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


class _Submission:
    """One queued submission: its reports, resolved together when all are committed (a
    plain slotted class: made for every frame, in the event loop)."""

    __slots__ = ("future", "queued_at", "received_at", "reports")

    def __init__(
        self,
        reports: Sequence[PositionReport],
        received_at: datetime,
        future: asyncio.Future[None],
        queued_at: float,
    ) -> None:
        self.reports = reports
        self.received_at = received_at
        self.future = future
        self.queued_at = queued_at  # event-loop time of the submit: the delay runs from the first

    def done(self) -> None:
        if not self.future.done():
            self.future.set_result(None)

    def fail(self, exc: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(exc)


@dataclass
class _BatchResult:
    committed: list[CommittedPosition] = field(default_factory=list)
    filtered: int = 0


class PositionWriter:
    """Batches decoded positions into committed rows; see the module docstring."""

    def __init__(
        self,
        db: Database,
        vault: Vault,
        *,
        clock: Clock = system_clock,
        batch_max_rows: int = 5_000,
        batch_max_delay: float = 0.05,
        queue_max_rows: int = 100_000,
        filters: FilterConfig | None = None,
        fleet_key_rotation: timedelta = FLEET_KEY_ROTATION,
    ) -> None:
        self.db = db
        self.vault = vault
        self.clock = clock
        self.batch_max_rows = batch_max_rows
        self.batch_max_delay = batch_max_delay
        self.filters = filters
        self.fleet_key_rotation = fleet_key_rotation
        self.stats = WriterStats()
        self.partitions = PartitionKeeper(db.engine)
        self.queue_max_rows = queue_max_rows
        self._pending: deque[_Submission] = deque()
        self._pending_rows = 0
        self._room_waiters: list[Callable[[], object]] = []
        self._room = asyncio.Event()  # set while the queue is below queue_max_rows
        self._room.set()
        self._hooks: list[CommitHook] = []
        self._hook_tasks: set[asyncio.Task[object]] = set()
        self._last: OrderedDict[str, PositionReport] = OrderedDict()
        # Device id -> newest stored fix time (None: no rows), see `gateway.packing`.
        self._newest: OrderedDict[str, str | None] = OrderedDict()
        self._fleet_checked_until: datetime | None = None
        self._imei_indexes = ImeiIndexes(vault, MAX_REMEMBERED_DEVICES)
        self._executor: ThreadPoolExecutor | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._wake = asyncio.Event()  # the first or a full batch is queued, or close()

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> PositionWriter:
        settings = runtime.settings
        return cls(
            runtime.db,
            runtime.vault,
            clock=runtime.clock,
            batch_max_rows=settings.batch_max_rows,
            batch_max_delay=settings.batch_max_delay,
            queue_max_rows=settings.queue_max_rows,
            filters=FilterConfig.from_settings(settings),
        )

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is not None:
            return
        # The writer thread and the event loop share the GIL. Each socket call of the
        # loop gives it up and then waits for the writer to hand it back, by default
        # after up to 5 ms (the switch interval): with thousands of sockets that convoy,
        # not the work, sets the ack latency. A shorter interval keeps it small.
        if sys.getswitchinterval() > WRITER_SWITCH_INTERVAL:
            sys.setswitchinterval(WRITER_SWITCH_INTERVAL)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trackguard-writer")
        self._task = asyncio.create_task(self._run(), name="trackguard-writer")

    async def close(self) -> None:
        """Take no more positions, write everything queued, then stop."""
        if self._task is None:
            return
        self._closing = True
        self._wake.set()
        await self._task
        self._task = None
        if self._hook_tasks:
            await asyncio.gather(*self._hook_tasks, return_exceptions=True)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def __aenter__(self) -> PositionWriter:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def queued(self) -> int:
        """Reports waiting for a batch."""
        return self._pending_rows

    @property
    def full(self) -> bool:
        """True while producers should wait (see `call_when_room`)."""
        return self._pending_rows >= self.queue_max_rows

    def call_when_room(self, callback: Callable[[], object]) -> None:
        """Call `callback()` once the queue is below `queue_max_rows` again."""
        if self.full:
            self._room_waiters.append(callback)
        else:
            asyncio.get_running_loop().call_soon(callback)

    def on_committed(self, hook: CommitHook) -> None:
        """Call `hook(positions)` after each commit (a coroutine function is scheduled)."""
        self._hooks.append(hook)

    # -- producers -------------------------------------------------------------------------

    def submit_nowait(
        self, reports: Sequence[PositionReport], *, received_at: datetime | None = None
    ) -> asyncio.Future[None]:
        """Queue `reports` even when the queue is full (the caller pauses its producer
        on `full`). The future resolves on commit, or carries why they were not stored."""
        if self._closing or self._task is None:
            raise WriterClosed("the position writer is not running")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        count = len(reports)
        if not count:
            future.set_result(None)
            return future
        at = as_utc(received_at) if received_at is not None else self.clock()
        self.stats.submitted += count
        self._pending.append(_Submission(reports, at, future, loop.time()))
        before = self._pending_rows
        self._pending_rows = before + count
        # Wake the writer for the first submission (it starts the delay) and for a full
        # batch; waking it for every submission would cost a task switch each.
        if before == 0 or self._pending_rows >= self.batch_max_rows:
            self._wake.set()
        if self._pending_rows >= self.queue_max_rows:
            self._room.clear()
        return future

    async def submit(
        self, reports: Sequence[PositionReport], *, received_at: datetime | None = None
    ) -> asyncio.Future[None]:
        """Queue `reports`; waits while the queue is full. The future resolves on commit."""
        while self.full and not self._closing:
            await self._room.wait()
        return self.submit_nowait(reports, received_at=received_at)

    async def store(self, reports: Sequence[PositionReport]) -> None:
        """Submit and wait for the commit."""
        await (await self.submit(reports))

    # -- the writer task -------------------------------------------------------------------

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        pending = self._pending
        while True:
            if not pending:
                if self._closing:
                    break
                self._wake.clear()
                await self._wake.wait()
                continue
            # The delay runs from when the first report was queued: reports that waited
            # while the previous batch was written go at once (natural batching).
            deadline = pending[0].queued_at + self.batch_max_delay
            while self._pending_rows < self.batch_max_rows and not self._closing:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                self._wake.clear()
                try:
                    async with asyncio.timeout(remaining):
                        await self._wake.wait()
                except TimeoutError:
                    pass
            batch = self._take()
            try:
                await self._write(batch)
            except Exception:  # never let the writer die: producers would wait for ever
                log.exception("position writer: unexpected error")
                for submission in batch:
                    submission.fail(TrackguardError("the position writer failed"))

    def _take(self) -> list[_Submission]:
        """Whole submissions from the front of the queue, up to `batch_max_rows` reports."""
        pending, batch, rows = self._pending, [], 0
        while pending and rows < self.batch_max_rows:
            submission = pending.popleft()
            batch.append(submission)
            rows += len(submission.reports)
        self._pending_rows -= rows
        if not self.full:
            self._room.set()
            waiters, self._room_waiters = self._room_waiters, []
            for callback in waiters:
                try:
                    callback()
                except Exception:
                    log.exception("position writer: a producer's resume callback failed")
        return batch

    async def _write(self, batch: list[_Submission]) -> None:
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self._executor, self._write_sync, batch)
        except Exception as exc:
            groups = _by_device(batch)
            if len(groups) == 1:
                self._failed(batch, exc)
                return
            log.warning(
                "batch of %d positions failed (%s); retrying device by device",
                len(batch),
                type(exc).__name__,
            )
            for group in groups:
                try:
                    one = await loop.run_in_executor(self._executor, self._write_sync, group)
                except Exception as group_exc:
                    self._failed(group, group_exc)
                else:
                    self._done(group, one)
            return
        self._done(batch, result)

    def _failed(self, batch: list[_Submission], exc: BaseException) -> None:
        rows = sum(len(submission.reports) for submission in batch)
        # The type only: database messages can quote the values of a row.
        log.error("could not store %d positions: %s", rows, type(exc).__name__)
        self.stats.failed_batches += 1
        self.stats.failed_positions += rows
        error = TrackguardError(f"positions not stored ({type(exc).__name__})")
        for submission in batch:
            submission.fail(error)

    def _done(self, batch: list[_Submission], result: _BatchResult) -> None:
        self.stats.batches += 1
        self.stats.stored += len(result.committed)
        self.stats.filtered += result.filtered
        for submission in batch:
            submission.done()
        if result.committed:
            self._run_hooks(result.committed)

    def _run_hooks(self, committed: list[CommittedPosition]) -> None:
        for hook in self._hooks:
            try:
                outcome = hook(committed)
                if inspect.isawaitable(outcome):
                    task = asyncio.ensure_future(_awaited(outcome))
                    self._hook_tasks.add(task)
                    task.add_done_callback(self._hook_done)
            except Exception:
                log.exception("post-commit hook %r failed", hook)

    def _hook_done(self, task: asyncio.Task[object]) -> None:
        self._hook_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("post-commit hook failed: %s", type(task.exception()).__name__)

    # -- the database work (worker thread) -------------------------------------------------

    def _write_sync(self, batch: list[_Submission]) -> _BatchResult:
        now = self.clock()
        entries = [(report, s.received_at) for s in batch for report in s.reports]
        reports = [report for report, _ in entries]
        if self.filters is not None:
            kept_reports, rejected = filter_fixes(reports, self._last, self.filters, now)
            kept_ids = {id(r) for r in kept_reports}
            kept = [entry for entry in entries if id(entry[0]) in kept_ids]
            filtered = len(rejected)
        else:
            kept, kept_reports, filtered = entries, reports, 0
        self.partitions.ensure((report.time for report, _ in kept), now)
        fleet_check: datetime | None = None
        with self.db.session() as session:
            _take_write_lock(session)
            protocols = {report.device_key: report.protocol for report in reports}
            devices = resolve_devices(
                session, self.vault, protocols, now=now, indexes=self._imei_indexes
            )
            if any(devices[report.device_key].customer_id is None for report, _ in kept):
                fleet_check = self._rotate_fleet_key(session, now)
            committed = []
            for report, received_at in kept:
                ref: DeviceRef = devices[report.device_key]
                committed.append(CommittedPosition(report, ref.id, ref.customer_id, received_at))
            planned = plan_rows(
                (c.device_id, c.customer_id, c.report, c.received_at) for c in committed
            )
            newest = self._newest_stored(session, {row.device_id for row in planned})
            rows = drop_stored(
                planned,
                newest,
                lambda device_id, first, last: stored_times(
                    session, self.vault, device_id, first, last
                ),
            )
            sealer = RowSealer(session, self.vault)
            insert_positions(session, [sealer.single(r) for r in rows if len(r.fixes) == 1])
            insert_blocks(session, [sealer.block(r) for r in rows if len(r.fixes) > 1])
            mark_seen(session, ((devices[r.device_key].id, at) for r, at in entries))
        # Committed: only now may the filters, the rotation clock and the newest
        # stored fix times move on.
        if fleet_check is not None:
            self._fleet_checked_until = fleet_check
        self._remember(kept_reports)
        self._remember_newest(newest_after(rows, newest))
        return _BatchResult(committed, filtered)

    def _newest_stored(self, session: Session, device_ids: set[str]) -> dict[str, str]:
        """The newest stored fix time of each device that has one; the database is
        asked only about devices not remembered (new, forgotten, or after a restart)."""
        known = self._newest
        unknown = [d for d in device_ids if d not in known]
        if unknown:
            for device_id, time in newest_stored(session, self.vault, unknown).items():
                known[device_id] = time  # a fact of committed rows: true whatever we do next
        newest = {}
        for device_id in device_ids:
            time = known[device_id]
            if time is not None:
                newest[device_id] = time
        self._trim_newest()
        return newest

    def _remember_newest(self, moved: dict[str, str]) -> None:
        for device_id, time in moved.items():
            self._newest[device_id] = time
            self._newest.move_to_end(device_id)
        self._trim_newest()

    def _trim_newest(self) -> None:
        # Forgetting is safe: a forgotten device is looked up again.
        while len(self._newest) > MAX_REMEMBERED_DEVICES:
            self._newest.popitem(last=False)

    def _remember(self, kept: list[PositionReport]) -> None:
        if self.filters is None:
            return
        for key, report in latest_by_device(kept).items():
            self._last[key] = report
            self._last.move_to_end(key)
        while len(self._last) > MAX_REMEMBERED_DEVICES:
            self._last.popitem(last=False)

    def _rotate_fleet_key(self, session: Session, now: datetime) -> datetime | None:
        """Start a new fleet key when the current one is older than the rotation period.

        Returns when to look again (applied after commit), None when it is not time yet.
        """
        if self._fleet_checked_until is not None and now < self._fleet_checked_until:
            return None
        newest = session.scalar(
            select(func.max(SubjectKey.created_at)).where(
                SubjectKey.subject_id == FLEET_SUBJECT,
                SubjectKey.key_class == POSITION_KEY_CLASS,
                SubjectKey.wrapped_key.is_not(None),
            )
        )
        if newest is not None and now - as_utc(newest) < self.fleet_key_rotation:
            return as_utc(newest) + self.fleet_key_rotation
        ever = session.scalar(
            select(func.count()).where(
                SubjectKey.subject_id == FLEET_SUBJECT,
                SubjectKey.key_class == POSITION_KEY_CLASS,
            )
        )
        if ever:  # too old, or every version destroyed by retention: start a new one
            self.vault.renew_key(session, FLEET_SUBJECT, POSITION_KEY_CLASS)
            log.info("started a new fleet key")
        return now + self.fleet_key_rotation


def _take_write_lock(session: Session) -> None:
    """On SQLite, take the database write lock first, as PostgreSQL's FOR SHARE would.

    Otherwise a device activated between our look-up and our commit could get a
    position under the fleet key after its activation.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE devices SET id = id WHERE 0"))


def _by_device(batch: list[_Submission]) -> list[list[_Submission]]:
    """The batch split by the devices each submission names (usually one)."""
    groups: dict[frozenset[str], list[_Submission]] = {}
    for submission in batch:
        devices = frozenset(report.device_key for report in submission.reports)
        groups.setdefault(devices, []).append(submission)
    return list(groups.values())


async def _awaited(outcome: Awaitable[object]) -> object:
    return await outcome
