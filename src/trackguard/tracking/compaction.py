"""Compaction: folding the single position rows of past hours into blocks.

For every device with single rows (`positions.fixes` NULL, under a customer's
location key) in hours that ended at least `settle` ago, each hour's rows — and
the block an earlier run made of that hour, when late fixes arrived since — are
decrypted, merged (one fix per time) and written back as one block in the binary
format 2 (`tracking.position_blocks`), encrypted under the owner's current location key.

Positions of devices nobody activated stay single: they are encrypted under the
fleet key of their day, whose destruction must shred exactly that day.

Safe to run beside the gateways and to kill: a transaction deletes exactly the
rows it read (and rolls back when another process changed them first) and
inserts the block, so a fix is always either in its rows or in the block. A
device whose location key was destroyed (an erased customer) is skipped: its
rows are unreadable and retention removes them.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.errors import VaultError
from trackguard.periodic import PeriodicJob, Stopped
from trackguard.store.engine import Database
from trackguard.store.models.tracking import UNCOMPACTED, Position
from trackguard.tracking.position_blocks import (
    BLOCK_SPAN,
    FixColumns,
    encode_binary_block,
    hour_of,
)
from trackguard.tracking.positions import (
    POSITION_COLUMN,
    POSITION_KEY_CLASS,
    POSITION_TABLE,
    StoredRow,
    iso_of_stored,
    open_rows,
    position_key_ref,
    position_row_binding,
    stored_row_columns,
    subject_of_key_ref,
)
from trackguard.vault import Vault

if TYPE_CHECKING:
    from trackguard.runtime import Runtime

log = logging.getLogger(__name__)

DEFAULT_SETTLE = timedelta(minutes=15)
# Fixes folded per transaction: big enough that commits are not the cost, small
# enough that the gateways' writer never waits long for SQLite's write lock.
DEFAULT_FIXES_PER_TRANSACTION = 5_000
FIRST_RUN_DELAY = 120.0  # seconds: let the server (and a demo seed) come up first


@dataclass
class CompactionReport:
    blocks: int = 0  # blocks written
    fixes: int = 0  # fixes inside them
    rows: int = 0  # rows they replaced
    skipped_devices: int = 0  # unreadable (key destroyed) or changed by another process

    def add(self, other: CompactionReport) -> None:
        self.blocks += other.blocks
        self.fixes += other.fixes
        self.rows += other.rows
        self.skipped_devices += other.skipped_devices

    def as_json(self) -> dict[str, int]:
        return {
            "blocks": self.blocks,
            "fixes": self.fixes,
            "rows": self.rows,
            "skipped_devices": self.skipped_devices,
        }


Progress = Callable[[CompactionReport], None]


def compact_positions(
    db: Database,
    vault: Vault,
    *,
    now: datetime,
    settle: timedelta = DEFAULT_SETTLE,
    fixes_per_transaction: int = DEFAULT_FIXES_PER_TRANSACTION,
    progress: Progress | None = None,
) -> CompactionReport:
    """Fold every hour that ended before `now - settle`; `progress` may raise to stop."""
    before = hour_of(as_utc(now) - settle)
    report = CompactionReport()
    for device_id in _devices_with_singles(db, before):
        try:
            _compact_device(db, vault, device_id, before, fixes_per_transaction, report, progress)
        except (VaultError, IntegrityError, _Changed) as exc:
            report.skipped_devices += 1
            log.info("compaction skipped a device (%s)", type(exc).__name__)
    return report


class _Changed(Exception):
    """Another process changed the rows between this transaction's read and delete."""


def _devices_with_singles(db: Database, before: datetime) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Position.device_id)
                .where(text(UNCOMPACTED), Position.fix_time < before)
                .distinct()
                .order_by(Position.device_id)
            )
        )


def _compact_device(
    db: Database,
    vault: Vault,
    device_id: str,
    before: datetime,
    fixes_per_transaction: int,
    report: CompactionReport,
    progress: Progress | None,
) -> None:
    after: datetime | None = None
    finished = False
    while not finished:
        done = CompactionReport()  # counted into `report` once committed
        finished = True
        with db.session() as session:
            for hour in _hours_with_singles(session, device_id, after, before):
                _fold_hour(session, vault, device_id, hour, done)
                after = hour + BLOCK_SPAN
                if done.fixes >= fixes_per_transaction:
                    finished = False
                    break
        report.add(done)
        if progress is not None:
            progress(report)


def _hours_with_singles(
    session: Session, device_id: str, after: datetime | None, before: datetime
) -> Iterator[datetime]:
    """The hours (oldest first) that hold single rows of the device, each once."""
    while True:
        query = select(Position.fix_time).where(
            Position.device_id == device_id, text(UNCOMPACTED), Position.fix_time < before
        )
        if after is not None:
            query = query.where(Position.fix_time >= after)
        first = session.scalar(query.order_by(Position.fix_time).limit(1))
        if first is None:
            return
        hour = hour_of(first)
        yield hour
        after = hour + BLOCK_SPAN


def _fold_hour(
    session: Session, vault: Vault, device_id: str, hour: datetime, report: CompactionReport
) -> None:
    """Replace the hour's rows (per key subject) by one block each, counted in `report`."""
    rows = session.execute(
        select(*stored_row_columns(session.get_bind().dialect.name)).where(
            Position.device_id == device_id,
            Position.fix_time >= hour,
            Position.fix_time < hour + BLOCK_SPAN,
            Position.key_ref.startswith("subject:"),
        )
    )
    by_subject: dict[str, list[StoredRow]] = defaultdict(list)
    for row in rows:
        by_subject[subject_of_key_ref(row[2])].append(tuple(row))  # type: ignore[arg-type]
    for subject, subject_rows in by_subject.items():
        if len(subject_rows) == 1 and subject_rows[0][3] is not None:
            continue  # already one block
        # In time order, one fix per time: a copy resent after a lost ack is kept once.
        fixes = open_rows(session, vault, device_id, subject_rows, subject=subject)
        _replace(session, vault, device_id, subject, subject_rows, fixes)
        report.blocks += 1
        report.fixes += len(fixes)
        report.rows += len(subject_rows)


def _replace(
    session: Session,
    vault: Vault,
    device_id: str,
    subject: str,
    rows: list[StoredRow],
    fixes: FixColumns,
) -> None:
    times = [_utc(iso_of_stored(row[0])) for row in rows]
    deleted = session.execute(
        delete(Position)
        .where(Position.device_id == device_id, Position.fix_time.in_(times))
        .execution_options(synchronize_session=False)
    )
    if getattr(deleted, "rowcount", len(rows)) != len(rows):
        raise _Changed
    session.execute(insert(Position).values(block_row(session, vault, device_id, subject, fixes)))


def block_row(
    session: Session, vault: Vault, device_id: str, subject: str, fixes: FixColumns
) -> dict[str, object]:
    """The `positions` row of a block of `fixes` (one device and hour, in time order),
    encrypted under the subject's current location key. The demo seed writes past
    hours this way too, as a running server would have kept them."""
    first = _utc(fixes.time[0])
    payload = vault.encrypt(
        session,
        encode_binary_block(fixes),
        subject=subject,
        key_class=POSITION_KEY_CLASS,
        table=POSITION_TABLE,
        column=POSITION_COLUMN,
        row=position_row_binding(device_id, first),
    )
    version = vault.current_key_version(session, subject, POSITION_KEY_CLASS) or 1
    return {
        "device_id": device_id,
        "fix_time": first,
        "received_at": _utc(max(fixes.received)),
        "key_ref": position_key_ref(subject, version),
        "payload": payload,
        "fixes": len(fixes),
    }


def _utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)


def compaction_job(runtime: Runtime) -> PeriodicJob:
    """Compaction inside `serve`: a few minutes after start, then every interval."""
    settings = runtime.settings
    settle = timedelta(minutes=settings.compaction_settle_minutes)

    def work(stopping: threading.Event) -> None:
        def check(report: CompactionReport) -> None:
            if stopping.is_set():
                raise Stopped

        report = compact_positions(
            runtime.db, runtime.vault, now=runtime.clock(), settle=settle, progress=check
        )
        if report.blocks or report.skipped_devices:
            log.info(
                "compaction: %d fixes from %d rows into %d blocks; %d devices skipped",
                report.fixes,
                report.rows,
                report.blocks,
                report.skipped_devices,
            )

    return PeriodicJob(
        "position compaction",
        work,
        interval=settings.compaction_interval_minutes * 60.0,
        first_delay=FIRST_RUN_DELAY,
    )
