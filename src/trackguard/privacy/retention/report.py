"""The report of a retention plan or run: per rule and record, how many rows, kept in
`retention_runs` (counts only, never the data itself)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.errors import NotFound
from trackguard.store.models import RetentionRun

Mode = Literal["plan", "run"]
Status = Literal["running", "completed", "failed"]


@dataclass
class RuleCount:
    """What one rule did (or would do) to one record; `held` rows were due but held."""

    rule: str
    action: str
    record: str
    count: int = 0
    held: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "action": self.action,
            "record": self.record,
            "count": self.count,
            "held": self.held,
        }


@dataclass
class RetentionReport:
    id: str
    mode: Mode
    as_of: datetime
    started_at: datetime
    status: Status = "running"
    finished_at: datetime | None = None
    rules: list[RuleCount] = field(default_factory=list)
    partitions_dropped: list[str] = field(default_factory=list)
    error: str | None = None

    def row(self, rule: str, record: str) -> RuleCount:
        for item in self.rules:
            if item.rule == rule and item.record == record:
                return item
        raise KeyError(f"{rule}/{record}")

    @property
    def total(self) -> int:
        return sum(r.count for r in self.rules)

    def payload(self) -> dict[str, Any]:
        """What `retention_runs.report` holds."""
        data: dict[str, Any] = {
            "rules": [r.to_dict() for r in self.rules],
            "partitions_dropped": list(self.partitions_dropped),
        }
        if self.error:
            data["error"] = self.error
        return data

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "mode": self.mode,
            "as_of": self.as_of.isoformat(),
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "total": self.total,
            **self.payload(),
        }


def start(session: Session, report: RetentionReport) -> None:
    session.add(
        RetentionRun(
            id=report.id,
            mode=report.mode,
            as_of=report.as_of,
            started_at=report.started_at,
            status=report.status,
            report=report.payload(),
        )
    )
    session.flush()


def save(session: Session, report: RetentionReport) -> None:
    """Write the report as it stands, in the caller's transaction (with the batch it counts)."""
    row = session.get(RetentionRun, report.id)
    if row is None:  # removed meanwhile by hand: keep the account of this run anyway
        start(session, report)
        return
    row.status = report.status
    row.finished_at = report.finished_at
    row.report = report.payload()


def from_row(row: RetentionRun) -> RetentionReport:
    data: dict[str, Any] = dict(row.report or {})
    rules = [
        RuleCount(
            str(r["rule"]),
            str(r["action"]),
            str(r["record"]),
            int(r.get("count", 0)),
            int(r.get("held", 0)),
        )
        for r in data.get("rules", [])
    ]
    return RetentionReport(
        id=row.id,
        mode="plan" if row.mode == "plan" else "run",
        as_of=as_utc(row.as_of),
        started_at=as_utc(row.started_at),
        status=row.status,  # type: ignore[arg-type]
        finished_at=as_utc(row.finished_at) if row.finished_at else None,
        rules=rules,
        partitions_dropped=[str(p) for p in data.get("partitions_dropped", [])],
        error=str(data["error"]) if data.get("error") else None,
    )


def list_reports(session: Session, *, limit: int | None = None) -> list[RetentionReport]:
    """Stored reports, newest first."""
    query = select(RetentionRun).order_by(RetentionRun.started_at.desc(), RetentionRun.id)
    if limit is not None:
        query = query.limit(limit)
    return [from_row(row) for row in session.scalars(query)]


def load_report(session: Session, run_id: str) -> RetentionReport:
    row = session.get(RetentionRun, run_id)
    if row is None:
        raise NotFound("no retention run with that id")
    return from_row(row)
