"""What a retention action does to the rows a rule selected (one batch at a time).

* delete        remove the rows.
* anonymise     overwrite their personal (`user.*`) columns: NULL where the column
                allows it, its default where it has a plain one; a nullable subject
                column is cleared too (the row no longer leads to the person). With
                the rule's key_classes, the subjects' data keys of those classes are
                destroyed as well. A record kind that needs more than that registers
                its own anonymiser (the account goes through
                `privacy.anonymise.anonymise_customer`; an audit entry loses its salt
                with its subject, as `privacy.audit` explains).
* destroy_keys  crypto-shred the subjects' data keys of key_classes; the rows stay.

Each action also says which rows still need it (`pending`), so a finished row is
never selected again: running twice acts once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, false, or_, select, tuple_, update
from sqlalchemy.orm import Session

from trackguard.privacy.retention.records import records_in_row
from trackguard.privacy.retention.selection import Target
from trackguard.store.models import AuditEntry, Customer, SubjectKey
from trackguard.store.subject_tables import SubjectTable
from trackguard.vault import Vault

Key = tuple[Any, ...]


def key_match(rec: SubjectTable, keys: Sequence[Key]) -> ColumnElement[bool]:
    columns = rec.key
    if len(columns) == 1:
        return columns[0].in_([k[0] for k in keys])
    return tuple_(*columns).in_([tuple(k) for k in keys])


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def delete_batch(session: Session, rec: SubjectTable, todo: ColumnElement[bool], limit: int) -> int:
    """Delete up to `limit` rows matching `todo` in one statement; returns how many records
    went (rows, or what `records_in_row` says they held).

    The rows are chosen by a subquery, not sent as a list of keys: PostgreSQL plans a
    list of composite keys on a partitioned table poorly, and one round trip is less."""
    # correlate(None): the subquery reads the table itself, not the DELETE's row.
    chosen = select(*rec.key).where(todo).limit(limit).correlate(None)
    match = rec.key[0].in_(chosen) if len(rec.key) == 1 else tuple_(*rec.key).in_(chosen)
    statement = delete(rec.table).where(match).execution_options(synchronize_session=False)
    per_row = records_in_row(rec)
    if per_row is None:
        return _rowcount(session.execute(statement))
    return sum(int(n) for n in session.scalars(statement.returning(per_row)))


# -- anonymising ------------------------------------------------------------------------


@dataclass(frozen=True)
class Anonymiser:
    pending: Callable[[SubjectTable], ColumnElement[bool]]
    apply: Callable[[Session, Vault, SubjectTable, Sequence[Key], datetime], int]


# Columns besides the personal ones that anonymising must clear, per record kind.
_ALSO_CLEARED = {
    # The salt is what links an entry's digest back to its subject (see privacy.audit).
    AuditEntry.__tablename__: ("subject_salt",),
}


def _neutral_values(rec: SubjectTable) -> dict[str, Any]:
    """What each personal column becomes: NULL, or a plain default for NOT NULL ones."""
    values: dict[str, Any] = {}
    for column in rec.personal_columns():
        if column.foreign_keys:
            continue
        if column.nullable:
            values[column.name] = None
        elif column.default is not None and getattr(column.default, "is_scalar", False):
            values[column.name] = column.default.arg  # type: ignore[attr-defined]
    subject = rec.subject_key
    if subject is not None and subject.nullable and not subject.primary_key:
        values[subject.name] = None
    for name in _ALSO_CLEARED.get(rec.name, ()):
        values[name] = None
    return values


def _generic_pending(rec: SubjectTable) -> ColumnElement[bool]:
    clauses = []
    for name, value in _neutral_values(rec).items():
        column = rec.table.c[name]
        clauses.append(column.is_not(None) if value is None else column != value)
    return or_(*clauses) if clauses else false()


def _generic_apply(
    session: Session, vault: Vault, rec: SubjectTable, keys: Sequence[Key], at: datetime
) -> int:
    values = _neutral_values(rec)
    statement = update(rec.table).where(key_match(rec, keys)).values(values)
    return _rowcount(session.execute(statement.execution_options(synchronize_session=False)))


def _customer_pending(rec: SubjectTable) -> ColumnElement[bool]:
    return rec.table.c.anonymised_at.is_(None)  # type: ignore[no-any-return]


def _customer_apply(
    session: Session, vault: Vault, rec: SubjectTable, keys: Sequence[Key], at: datetime
) -> int:
    from trackguard.privacy.anonymise import anonymise_customer  # the erasure path's own

    done = 0
    for customer in session.scalars(select(Customer).where(key_match(rec, keys))):
        anonymise_customer(session, vault, customer, at=at)
        done += 1
    return done


GENERIC = Anonymiser(_generic_pending, _generic_apply)
ANONYMISERS = {Customer.__tablename__: Anonymiser(_customer_pending, _customer_apply)}


def anonymiser(rec: SubjectTable) -> Anonymiser:
    return ANONYMISERS.get(rec.name, GENERIC)


# -- keys -------------------------------------------------------------------------------


def has_live_keys(rec: SubjectTable, classes: Sequence[str]) -> ColumnElement[bool]:
    subject = rec.subject_of_row()
    if subject is None or not classes:
        return false()
    return exists().where(
        SubjectKey.subject_id == subject,
        SubjectKey.key_class.in_(list(classes)),
        SubjectKey.wrapped_key.is_not(None),
    )


def destroy_subject_keys(
    session: Session, vault: Vault, subjects: Sequence[str | None], classes: Sequence[str]
) -> int:
    destroyed = 0
    for subject in dict.fromkeys(s for s in subjects if s):
        destroyed += vault.destroy_keys(session, subject, classes)
    return destroyed


# -- the action of a target -------------------------------------------------------------


def pending(target: Target) -> ColumnElement[bool] | None:
    """Rows that still need the target's action (None: every due row does)."""
    action = target.rule.action
    if action == "anonymise":
        return anonymiser(target.rec).pending(target.rec)
    if action == "destroy_keys":
        return has_live_keys(target.rec, target.rule.key_classes)
    return None


def apply(
    session: Session,
    vault: Vault,
    target: Target,
    keys: Sequence[Key],
    subjects: Sequence[str | None],
    at: datetime,
) -> int:
    """Act on one batch of rows (by key); returns how many rows were acted on."""
    rec, rule = target.rec, target.rule
    if rule.action == "delete":
        statement = delete(rec.table).where(key_match(rec, keys))
        return _rowcount(session.execute(statement.execution_options(synchronize_session=False)))
    if rule.action == "anonymise":
        done = anonymiser(rec).apply(session, vault, rec, keys, at)
        destroy_subject_keys(session, vault, subjects, rule.key_classes)
        return done
    if rule.action == "destroy_keys":
        destroy_subject_keys(session, vault, subjects, rule.key_classes)
        return len(keys)
    raise ValueError(f"unknown retention action {rule.action!r}")
