"""Legal holds: a subject, or one record of theirs, that retention must not touch.

A hold without `record_table` holds everything of the subject; with it, one row
(`record_id` is the row's key; for a composite key, its first column). A held
row is never removed or anonymised, and neither is what it belongs to or what
would disappear with it:

* a record without a subject of its own (a request's history) belongs to the rows
  its foreign keys point at, so it is held when they are;
* deleting a row deletes the rows that reference it ON DELETE CASCADE, so a row
  is held when such a child is.

Holds are placed and released with an audit entry; a released hold stays (as a
record of why data was kept) until its own retention rule removes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, String, Table, cast, false, or_, select
from sqlalchemy.orm import Session

from trackguard.clock import Clock
from trackguard.errors import NotFound, TrackguardError
from trackguard.privacy.audit import AuditLog
from trackguard.privacy.retention.records import record
from trackguard.store.base import Base
from trackguard.store.models import Customer, LegalHold
from trackguard.store.subject_tables import SubjectTable

# Audit label for placing and releasing holds: holds exist for legal claims and orders.
AUDIT_PURPOSE = "legal_compliance"
AUDIT_ROLE = "operator"

_HOLDS = LegalHold.__table__


class HoldError(TrackguardError):
    """A hold that cannot be placed or released as asked."""


@dataclass(frozen=True)
class Hold:
    id: str
    customer_id: str | None
    record_table: str | None
    record_id: str | None
    reason: str
    placed_by: str
    placed_at: datetime
    released_at: datetime | None

    @property
    def active(self) -> bool:
        return self.released_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "record": f"{self.record_table}:{self.record_id}" if self.record_table else None,
            "reason": self.reason,
            "placed_by": self.placed_by,
            "placed_at": self.placed_at.isoformat(),
            "released_at": self.released_at.isoformat() if self.released_at else None,
            "active": self.active,
        }


def _hold(row: LegalHold) -> Hold:
    return Hold(
        row.id,
        row.customer_id,
        row.record_table,
        row.record_id,
        row.reason,
        row.placed_by,
        row.placed_at,
        row.released_at,
    )


# -- what a hold covers (SQL predicates, no I/O) ---------------------------------------


def _active() -> ColumnElement[bool]:
    return _HOLDS.c.released_at.is_(None)


def held_subjects() -> Any:
    """Select of the subjects under an active hold of everything they have."""
    return select(_HOLDS.c.customer_id).where(
        _active(), _HOLDS.c.record_table.is_(None), _HOLDS.c.customer_id.is_not(None)
    )


def _held_keys(rec: SubjectTable) -> Any:
    return select(_HOLDS.c.record_id).where(_active(), _HOLDS.c.record_table == rec.name)


def _key_text(rec: SubjectTable) -> ColumnElement[Any]:
    """The first key column as text: what `legal_holds.record_id` is compared with.

    For a composite key (positions: device, fix time) a hold on the first column
    holds every row that shares it (all positions of one tracker)."""
    first = rec.key[0]
    return first if isinstance(first.type, String) else cast(first, String)


def _cascading_children(rec: SubjectTable) -> list[tuple[Table, Column[Any], Column[Any]]]:
    """(child table, its foreign key column, our column) for foreign keys that delete
    their rows with ours (ON DELETE CASCADE)."""
    found = []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is rec.table and (fk.ondelete or "").upper() == "CASCADE":
                found.append((table, fk.parent, fk.column))
    return found


def held_directly(rec: SubjectTable, *, via_parents: bool = True) -> ColumnElement[bool]:
    """Rows held as a record, through their subject, or (subjectless) through a parent."""
    clauses: list[ColumnElement[bool]] = [_key_text(rec).in_(_held_keys(rec))]
    if rec.subject_column is not None:
        clauses.append(rec.subject_in(held_subjects()))
    elif via_parents:
        for fk in rec.table.foreign_keys:
            own, parent_column = fk.parent, fk.column
            parent = record(parent_column.table.name)
            if parent.table is rec.table:
                continue
            parent_held = held_directly(parent, via_parents=False)
            clauses.append(own.in_(select(parent_column).where(parent_held)))
    return or_(*clauses)


def held(rec: SubjectTable, *, removing: bool) -> ColumnElement[bool]:
    """Rows retention must leave alone; `removing` adds rows whose deletion would cascade
    to a held child."""
    clauses = [held_directly(rec)]
    if removing:
        for child_table, child_fk, our_column in _cascading_children(rec):
            child = record(child_table.name)
            if child.table is rec.table:
                continue
            clauses.append(
                our_column.in_(select(child_fk).where(held_directly(child, via_parents=False)))
            )
    return or_(*clauses) if clauses else false()


# -- placing and releasing -------------------------------------------------------------


def _known_table(name: str) -> Table:
    table = Base.metadata.tables.get(name)
    if table is None:
        raise HoldError(f"no record '{name}': name a table such as chat_messages or orders")
    return table


def _check_record(session: Session, customer_id: str, table_name: str, record_id: str) -> None:
    """The record exists and belongs to the subject (when its table names one)."""
    _known_table(table_name)
    rec = record(table_name)
    subject = rec.subject_of_row()
    key = _key_text(rec)
    columns = [key] if subject is None else [key, subject]
    found = session.execute(select(*columns).where(key == record_id).limit(1)).first()
    if found is None:
        raise NotFound(f"no {table_name} record with that id")
    if subject is not None and found[1] is not None and found[1] != customer_id:
        raise HoldError(f"that {table_name} record belongs to another subject")


def place_hold(
    session: Session,
    *,
    customer_id: str,
    reason: str,
    placed_by: str,
    clock: Clock,
    record_table: str | None = None,
    record_id: str | None = None,
) -> Hold:
    """Hold everything of `customer_id`, or one record of theirs; audited."""
    if not reason.strip():
        raise HoldError("a legal hold needs a reason")
    if (record_table is None) != (record_id is None):
        raise HoldError("a record hold names both the table and the record id")
    if session.get(Customer, customer_id) is None:
        raise NotFound("no customer with that id")
    if record_table is not None and record_id is not None:
        _check_record(session, customer_id, record_table, record_id)
    row = LegalHold(
        customer_id=customer_id,
        record_table=record_table,
        record_id=record_id,
        reason=reason.strip(),
        placed_by=placed_by,
        placed_at=clock(),
    )
    session.add(row)
    session.flush()
    AuditLog(clock).append(
        session,
        actor=placed_by,
        role=AUDIT_ROLE,
        purpose=AUDIT_PURPOSE,
        subject_id=customer_id,
        categories=record(record_table).categories() if record_table else [],
        action="holds.place",
    )
    return _hold(row)


def release_hold(session: Session, hold_id: str, *, released_by: str, clock: Clock) -> Hold:
    """Release an active hold; retention acts on what it held from the next run on."""
    row = session.get(LegalHold, hold_id)
    if row is None:
        raise NotFound("no legal hold with that id")
    if row.released_at is not None:
        raise HoldError("that legal hold was already released")
    row.released_at = clock()
    session.flush()
    AuditLog(clock).append(
        session,
        actor=released_by,
        role=AUDIT_ROLE,
        purpose=AUDIT_PURPOSE,
        subject_id=row.customer_id,
        categories=[],
        action="holds.release",
    )
    return _hold(row)


def list_holds(session: Session, *, active_only: bool = False) -> Sequence[Hold]:
    query = select(LegalHold).order_by(LegalHold.placed_at, LegalHold.id)
    if active_only:
        query = query.where(LegalHold.released_at.is_(None))
    return [_hold(row) for row in session.scalars(query)]


def any_hold_subjects() -> Any:
    """Subjects with any active hold, on everything or on one record."""
    return select(_HOLDS.c.customer_id).where(_active(), _HOLDS.c.customer_id.is_not(None))


def held_for(rec: SubjectTable, *, action: str, destroys_keys: bool) -> ColumnElement[bool]:
    """Rows an action must leave alone. Destroying a subject's keys would make every
    record of theirs unreadable, so then any hold of the subject spares the row."""
    clause = held(rec, removing=action == "delete")
    if destroys_keys and rec.subject_column is not None:
        clause = or_(clause, rec.subject_in(any_hold_subjects()))
    return clause
