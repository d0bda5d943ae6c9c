"""Which rows a retention rule makes due: one SQL predicate per trigger, built from the
policy's rule and the model's columns. No I/O: the engine runs what this builds.

The triggers' meaning is documented above `RetentionTrigger` in `policy.model`:

* age                 counts_from[0] + period <= as_of
* inactivity          every non-NULL counts_from + period <= as_of, and one is set
* consent_withdrawal  the subject's latest consent event for the rule's purpose
                      (at or before as_of) is a withdrawal
* verification_end    due_when_set is set, or counts_from[0] + period <= as_of
* unreferenced        nothing in `referenced_by` points at the row, and
                      counts_from[0] + period <= as_of

then the target's exempt_if / only_if / scope. `c + period <= as_of` is written
`c <= as_of - period` (the same instant in calendar arithmetic, see `Period.before`),
so the column stays bare and its index usable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, true

from trackguard.clock import as_utc
from trackguard.errors import PolicyError
from trackguard.policy.model import Policy, RetentionRule, RetentionTarget
from trackguard.privacy.retention.records import is_declared, record
from trackguard.store.models import ConsentEvent
from trackguard.store.subject_tables import SubjectTable


@dataclass(frozen=True)
class Target:
    """One rule applied to one of its records."""

    rule: RetentionRule
    spec: RetentionTarget
    rec: SubjectTable

    @property
    def label(self) -> str:
        return f"{self.rule.key}/{self.spec.record}"


def targets(policy: Policy) -> list[Target]:
    """Every (rule, record) of the policy, in the policy's order.

    A record the policy declares `optional` (announced before the code stores it) is
    skipped while no model declares it; any other unknown record is an error."""
    found = []
    for rule in policy.retention.rules:
        for spec in rule.targets:
            if not is_declared(spec.record) and _optional(policy, spec.record):
                continue
            found.append(Target(rule, spec, record(spec.record)))
    return found


def _optional(policy: Policy, table: str) -> bool:
    return policy.has_record(table) and policy.record(table).optional


def cutoff(rule: RetentionRule, as_of: datetime) -> datetime:
    """Rows counted from at or before this moment have outlived the rule's period."""
    return rule.period.before(as_utc(as_of))


def _first(target: Target) -> Any:
    if not target.spec.counts_from:
        raise PolicyError(f"retention rule '{target.rule.key}' needs counts_from")
    return target.rec.column(target.spec.counts_from[0])


def _age(target: Target, as_of: datetime) -> ColumnElement[bool]:
    return _first(target) <= cutoff(target.rule, as_of)  # type: ignore[no-any-return]


def _inactivity(target: Target, as_of: datetime) -> ColumnElement[bool]:
    moment = cutoff(target.rule, as_of)
    columns = [target.rec.column(c) for c in target.spec.counts_from]
    if not columns:
        raise PolicyError(f"retention rule '{target.rule.key}' needs counts_from")
    quiet = [or_(c.is_(None), c <= moment) for c in columns]
    return and_(*quiet, or_(*(c.is_not(None) for c in columns)))


def _consent_withdrawal(target: Target, as_of: datetime) -> ColumnElement[bool]:
    purpose = target.rule.purpose
    subject = target.rec.subject_of_row()
    if purpose is None or subject is None:
        raise PolicyError(
            f"retention rule '{target.rule.key}' needs a purpose and a record with a subject"
        )
    moment = as_utc(as_of)
    latest, later = ConsentEvent.__table__.alias("latest"), ConsentEvent.__table__.alias("later")
    newer = exists().where(
        later.c.customer_id == latest.c.customer_id,
        later.c.purpose == purpose,
        later.c.at <= moment,
        or_(later.c.at > latest.c.at, and_(later.c.at == latest.c.at, later.c.id > latest.c.id)),
    )
    return exists().where(
        latest.c.customer_id == subject,
        latest.c.purpose == purpose,
        latest.c.given == false(),
        latest.c.at <= moment,
        not_(newer),
    )


def _verification_end(target: Target, as_of: datetime) -> ColumnElement[bool]:
    if target.spec.due_when_set is None:
        raise PolicyError(f"retention rule '{target.rule.key}' needs due_when_set")
    ended = target.rec.column(target.spec.due_when_set).is_not(None)
    return or_(ended, _age(target, as_of)) if target.spec.counts_from else ended


def _unreferenced(target: Target, as_of: datetime) -> ColumnElement[bool]:
    clauses = [_age(target, as_of)]
    for reference in target.rule.referenced_by:
        table_name, column_name = reference.split(".", 1)
        referrer = record(table_name)
        column = referrer.column(column_name)
        pointed = next(
            (fk.column for fk in column.foreign_keys if fk.column.table is target.rec.table),
            target.rec.key[0],
        )
        clauses.append(not_(exists().where(column == target.rec.table.c[pointed.name])))
    return and_(*clauses)


_TRIGGERS = {
    "age": _age,
    "inactivity": _inactivity,
    "consent_withdrawal": _consent_withdrawal,
    "verification_end": _verification_end,
    "unreferenced": _unreferenced,
}


def _filters(target: Target) -> list[ColumnElement[bool]]:
    spec, rec = target.spec, target.rec
    clauses: list[ColumnElement[bool]] = []
    if spec.exempt_if is not None:
        column = rec.column(spec.exempt_if)
        clauses.append(or_(column.is_(None), column == false()))
    if spec.only_if is not None:
        clauses.append(rec.column(spec.only_if) == true())
    if spec.scope != "all":
        clauses.append(rec.linked(spec.scope == "linked"))
    return clauses


def due(target: Target, as_of: datetime) -> ColumnElement[bool]:
    """Rows of the target's record that its rule makes due at `as_of`."""
    trigger = _TRIGGERS.get(target.rule.trigger)
    if trigger is None:
        raise PolicyError(f"retention trigger '{target.rule.trigger}' is not implemented")
    return and_(trigger(target, as_of), *_filters(target))


def first_rule_wins(
    target: Target, earlier: Sequence[Target], as_of: datetime
) -> ColumnElement[bool]:
    """`due`, minus rows an earlier deleting rule on the same record already takes.

    A row due under two rules is counted (and removed) once, by the first, so the
    dry run's counts are the run's."""
    clauses = [due(target, as_of)]
    for other in earlier:
        if other.rec.table is target.rec.table and other.rule.action == "delete":
            clauses.append(not_(due(other, as_of)))
    return and_(*clauses)
