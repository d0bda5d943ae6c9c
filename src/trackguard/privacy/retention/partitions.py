"""Dropping aged partitions (PostgreSQL) instead of deleting their rows one by one.

A table range-partitioned on the column its rules count from (positions, by month
on fix_time: migration 0002) loses a whole partition at once when every row in it
is due under the rule that applies to it and none is held. That is decided without
reading the rows: the partition ends before the cut-off of every rule on the table,
those rules act by age alone (delete, no exempt_if / only_if), and their scopes
together cover every row. Anything less (a partition straddling a cut-off, a rule
with conditions, a held row) is left to the row-wise sweep, which gives the same
result more slowly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, not_, select, text, true
from sqlalchemy.orm import Session

from trackguard.privacy.retention.holds import held_for
from trackguard.privacy.retention.records import records_in_row
from trackguard.privacy.retention.selection import Target, cutoff

_BOUNDS = re.compile(r"FOR VALUES FROM \('([^']+)'\) TO \('([^']+)'\)")


@dataclass(frozen=True)
class Partition:
    name: str  # schema-qualified, quoted as needed
    lower: datetime
    upper: datetime


def _timestamp(value: str) -> datetime:
    # PostgreSQL renders "2026-03-01 00:00:00+00"; Python wants the offset as +00:00.
    if re.search(r"[+-]\d\d$", value):
        value += ":00"
    return datetime.fromisoformat(value)


def partitions_of(session: Session, table: str, column: str) -> list[Partition] | None:
    """The range partitions of `table`, if it is range-partitioned on `column` alone."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    key = session.execute(
        text(
            "SELECT pg_get_partkeydef(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = :table AND n.nspname = current_schema() AND c.relkind = 'p'"
        ),
        {"table": table},
    ).scalar()
    if key is None or key.replace('"', "") != f"RANGE ({column})":
        return None
    rows = session.execute(
        text(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), "
            "pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE i.inhparent = CAST(:table AS regclass)"
        ),
        {"table": table},
    ).all()
    found = []
    for name, bound in rows:
        match = _BOUNDS.search(bound or "")
        if match is not None:  # the DEFAULT partition has no range: never dropped whole
            found.append(Partition(name, _timestamp(match[1]), _timestamp(match[2])))
    return sorted(found, key=lambda p: p.lower)


def _simple(target: Target) -> bool:
    spec = target.spec
    return (
        target.rule.trigger == "age"
        and target.rule.action == "delete"
        and spec.exempt_if is None
        and spec.only_if is None
        and len(spec.counts_from) >= 1
    )


def eligible(table_targets: Sequence[Target]) -> bool:
    """Whether whole partitions of this table can be judged from their bounds alone."""
    if not table_targets or not all(_simple(t) for t in table_targets):
        return False
    if len({t.spec.counts_from[0] for t in table_targets}) != 1:
        return False
    scopes = {t.spec.scope for t in table_targets}
    return "all" in scopes or {"linked", "unlinked"} <= scopes


def droppable(
    partitions: Sequence[Partition], table_targets: Sequence[Target], as_of: datetime
) -> list[Partition]:
    """Partitions that end at or before every rule's cut-off: all their rows are due."""
    limit = min(cutoff(t.rule, as_of) for t in table_targets)
    # Rows at exactly the cut-off are due (`<=`), and the upper bound is exclusive.
    return [p for p in partitions if p.upper <= limit]


def _scope(target: Target) -> ColumnElement[bool]:
    scope = target.spec.scope
    return true() if scope == "all" else target.rec.linked(scope == "linked")


def drop(
    session: Session, partition: Partition, table_targets: Sequence[Target]
) -> list[int] | None:
    """Drop `partition` unless it holds a held row; returns rows per target (the first
    target whose scope matches a row counts it), or None when it was kept."""
    rec = table_targets[0].rec
    column = rec.column(table_targets[0].spec.counts_from[0])
    within = and_(column >= partition.lower, column < partition.upper)
    # Nothing may be written into or read from the month while it is judged and dropped.
    session.execute(text(f"LOCK TABLE {partition.name} IN ACCESS EXCLUSIVE MODE"))
    guard = held_for(rec, action="delete", destroys_keys=False)
    if session.scalar(select(exists().where(within, guard))):
        return None
    counts = []
    earlier: list[ColumnElement[bool]] = []
    for target in table_targets:
        scope = _scope(target)
        matched = and_(scope, *(not_(e) for e in earlier))
        per_row = records_in_row(rec)  # records, not rows: a block row holds many fixes
        counts.append(
            func.count().filter(matched)
            if per_row is None
            else func.coalesce(func.sum(per_row).filter(matched), 0)
        )
        earlier.append(scope)
    row = session.execute(select(*counts).select_from(rec.table).where(within)).one()
    session.execute(text(f"DROP TABLE {partition.name}"))
    return [int(n) for n in row]
