"""The retention engine: every rule of the policy, applied as of a moment.

`plan` counts what each rule would remove (nothing changes); `run` does it, in
batches of `batch_size` rows, each batch its own transaction together with the
report's new counts. So a run killed anywhere leaves a consistent database and
an honest report (status "running" or "failed", counting exactly what was
committed), and the next run removes the rest: finished rows are never selected
again, so running twice acts once. Each report is kept in `retention_runs`.

Order: a row due under two rules is taken by the first deleting rule in the policy
(see `selection.first_rule_wins`). Records are swept children first (see
`records.removal_rank`), so a row its parent's deletion would cascade away is
counted by its own rule, and a row the run itself makes due (a geofence whose last
link goes) is taken in the same run; another pass follows while the last one changed
something. A plan counts what is due before anything is removed, so only such
knock-on rows make a run's counts exceed its plan's.
Held rows are left alone and counted as `held`. Counts are of records, not rows: a
position block row counts as the fixes it holds (`SubjectTable.record_count`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, not_, select
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.errors import TrackguardError
from trackguard.privacy.audit import AuditLog
from trackguard.privacy.retention import actions, partitions
from trackguard.privacy.retention import report as reports
from trackguard.privacy.retention.holds import held_for
from trackguard.privacy.retention.records import removal_rank
from trackguard.privacy.retention.report import Mode, RetentionReport, RuleCount
from trackguard.privacy.retention.selection import Target, first_rule_wins, targets
from trackguard.store.base import new_id
from trackguard.store.models import RetentionRun

if TYPE_CHECKING:
    from trackguard.runtime import Runtime

log = logging.getLogger(__name__)

ACTOR, ROLE = "retention", "system"
# A pass can make rows due that an earlier record in the order already had its turn
# for (a tracker anonymised and so unlinked: its geofence links, then the geofence).
# Passes repeat until one changes nothing; the chains in a policy are short.
MAX_PASSES = 4
# Storage limitation is a duty the controller must be able to show (GDPR Art. 5).
AUDIT_PURPOSE = "legal_compliance"


class RetentionError(TrackguardError):
    """The retention engine cannot apply a rule as the policy states it."""


@dataclass(frozen=True)
class ProgressEvent:
    """After each committed batch: `done` of `total` due rows of one rule and record."""

    rule: str
    record: str
    done: int
    total: int


Progress = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class _Selection:
    """The rows of one target the action still has to take, and those it must not."""

    target: Target
    todo: ColumnElement[bool]
    held: ColumnElement[bool]


def _selections(all_targets: Sequence[Target], as_of: datetime, run_id: str) -> list[_Selection]:
    found = []
    for index, target in enumerate(all_targets):
        rule = target.rule
        clauses = [first_rule_wins(target, all_targets[:index], as_of)]
        pending = actions.pending(target)
        if pending is not None:
            clauses.append(pending)
        if target.rec.table is RetentionRun.__table__:
            clauses.append(target.rec.key[0] != run_id)  # never the report being written
        due = and_(*clauses)
        guard = held_for(target.rec, action=rule.action, destroys_keys=bool(rule.key_classes))
        found.append(_Selection(target, and_(due, not_(guard)), and_(due, guard)))
    return found


def _count(session: Session, selection: _Selection, clause: ColumnElement[bool]) -> int:
    """Records, not rows: a position block row holds many fixes (`record_count`)."""
    rec = selection.target.rec
    return int(session.scalar(select(rec.record_count()).select_from(rec.table).where(clause)) or 0)


def _new_report(runtime: Runtime, mode: Mode, as_of: datetime | None) -> RetentionReport:
    now = as_utc(runtime.clock())
    moment = as_utc(as_of) if as_of is not None else now
    rules = [RuleCount(t.rule.key, t.rule.action, t.spec.record) for t in targets(runtime.policy)]
    return RetentionReport(new_id(), mode, moment, now, rules=rules)


def plan(runtime: Runtime, *, as_of: datetime | None = None) -> RetentionReport:
    """Count, per rule and record, the rows that are due and those held; change nothing
    (except keeping this report)."""
    report = _new_report(runtime, "plan", as_of)
    with runtime.db.session() as session:
        reports.start(session, report)
    try:
        with runtime.db.session() as session:
            for selection in _selections(targets(runtime.policy), report.as_of, report.id):
                row = report.row(selection.target.rule.key, selection.target.spec.record)
                row.count = _count(session, selection, selection.todo)
                row.held = _count(session, selection, selection.held)
    except BaseException as exc:
        _finish(runtime, report, "failed", exc)
        raise
    _finish(runtime, report, "completed")
    return report


def run(
    runtime: Runtime,
    *,
    as_of: datetime | None = None,
    batch_size: int = 1000,
    progress: Progress | None = None,
) -> RetentionReport:
    """Apply every rule as of `as_of` (default: now), batch by batch; see the module."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    report = _new_report(runtime, "run", as_of)
    with runtime.db.session() as session:
        reports.start(session, report)
    sweep = _Sweep(runtime, report, batch_size, progress)
    try:
        selections = _selections(targets(runtime.policy), report.as_of, report.id)
        ordered = sorted(selections, key=lambda s: removal_rank(s.target.rec.name))
        for _ in range(MAX_PASSES):
            before = report.total
            dropped_for: set[str] = set()
            for selection in ordered:
                record = selection.target.spec.record
                if record not in dropped_for:
                    dropped_for.add(record)
                    sweep.drop_partitions([s for s in ordered if s.target.spec.record == record])
                sweep.target(selection)
            if report.total == before:
                break
    except BaseException as exc:
        _finish(runtime, report, "failed", exc)
        raise
    _finish(runtime, report, "completed")
    log.info("retention run as of %s: %d rows", report.as_of.date(), report.total)
    return report


def _finish(
    runtime: Runtime, report: RetentionReport, status: str, exc: BaseException | None = None
) -> None:
    report.status = "completed" if status == "completed" else "failed"
    report.finished_at = as_utc(runtime.clock())
    if exc is not None:
        # The kind of failure only: a message could carry a value from the database.
        report.error = type(exc).__name__
    with runtime.db.session() as session:
        reports.save(session, report)


class _Sweep:
    """The batches of one run."""

    def __init__(
        self, runtime: Runtime, report: RetentionReport, batch_size: int, progress: Progress | None
    ) -> None:
        self.runtime, self.report = runtime, report
        self.batch_size, self.progress = batch_size, progress
        self.audit = AuditLog(runtime.clock)

    def _audit(self, session: Session, target: Target) -> None:
        self.audit.append(
            session,
            actor=ACTOR,
            role=ROLE,
            purpose=AUDIT_PURPOSE,
            subject_id=None,
            categories=target.rec.categories(),
            action=f"retention.{target.rule.action}:{target.rule.key}"[:80],
        )

    def target(self, selection: _Selection) -> None:
        target = selection.target
        rec, rule = target.rec, target.rule
        row = self.report.row(rule.key, target.spec.record)
        with self.runtime.db.session() as session:
            row.held = _count(session, selection, selection.held)
            total = row.count + _count(session, selection, selection.todo)
        subject = rec.subject_of_row()
        columns: list[Any] = [*rec.key, subject] if subject is not None else list(rec.key)
        seen: set[tuple[Any, ...]] = set()
        while True:
            done = 0
            try:
                with self.runtime.db.session() as session:
                    if rule.action == "delete":
                        done = actions.delete_batch(session, rec, selection.todo, self.batch_size)
                        if not done:
                            break
                    else:
                        found = session.execute(
                            select(*columns).where(selection.todo).limit(self.batch_size)
                        ).all()
                        if not found:
                            break
                        keys = [tuple(r[: len(rec.key)]) for r in found]
                        subjects = [r[-1] for r in found] if subject is not None else []
                        if seen.issuperset(keys):
                            raise RetentionError(
                                f"rule '{rule.key}' leaves {rec.name} rows unchanged; stopping"
                            )
                        seen.update(keys)
                        done = self._act(session, selection, keys, subjects)
                    row.count += done
                    self._audit(session, target)
                    reports.save(session, self.report)
            except BaseException:
                row.count -= done  # the report counts only what was committed
                raise
            if self.progress is not None:
                self.progress(ProgressEvent(rule.key, rec.name, row.count, total))

    def _act(
        self,
        session: Session,
        selection: _Selection,
        keys: list[tuple[Any, ...]],
        subjects: list[Any],
    ) -> int:
        target, vault = selection.target, self.runtime.vault
        at = as_utc(self.runtime.clock())
        if target.rule.action != "destroy_keys":
            if target.rec.table.info.get("records_column") is None:
                return actions.apply(session, vault, target, keys, subjects, at)
            records = _count(session, selection, actions.key_match(target.rec, keys))
            return records if actions.apply(session, vault, target, keys, subjects, at) else 0
        # Keys go per subject, so count every due row of these subjects, before they go.
        mine = and_(selection.todo, target.rec.subject_in(list(dict.fromkeys(subjects))))
        done = _count(session, selection, mine)
        actions.apply(session, vault, target, keys, subjects, at)
        return done

    def drop_partitions(self, selections: Sequence[_Selection]) -> None:
        """Drop the aged partitions of a partitioned record (PostgreSQL), counting their
        rows to the rules that make them due."""
        table_targets = [s.target for s in selections]
        first = table_targets[0]
        if not first.spec.counts_from or not partitions.eligible(table_targets):
            return
        with self.runtime.db.session() as session:
            found = partitions.partitions_of(session, first.rec.name, first.spec.counts_from[0])
        if not found:
            return
        for partition in partitions.droppable(found, table_targets, self.report.as_of):
            with self.runtime.db.session() as session:
                counts = partitions.drop(session, partition, table_targets)
                if counts is None:
                    continue  # a held row inside: the row-wise sweep spares it
                for target, count in zip(table_targets, counts, strict=True):
                    self.report.row(target.rule.key, target.spec.record).count += count
                self.report.partitions_dropped.append(partition.name)
                self._audit(session, first)
                reports.save(session, self.report)
            log.info("retention dropped partition %s", partition.name)
            if self.progress is not None:
                row = self.report.row(first.rule.key, first.spec.record)
                self.progress(ProgressEvent(first.rule.key, first.rec.name, row.count, row.count))
