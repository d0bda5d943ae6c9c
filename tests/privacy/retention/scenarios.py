"""For any rule of the policy: rows it must take, and rows it must leave, built from the
rule itself (trigger, period, counts_from, exempt_if, only_if, scope, referenced_by).

Times are placed a day either side of the rule's cut-off, so the same scenario
tests the statement's 14 days and a policy that says 30.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tests.privacy.retention.factories import Key, World, make

from trackguard.policy.model import RetentionRule, RetentionTarget

DAY = timedelta(days=1)


@dataclass
class Scenario:
    due: list[Key] = field(default_factory=list)
    kept: list[Key] = field(default_factory=list)
    due_subjects: list[str] = field(default_factory=list)
    kept_subjects: list[str] = field(default_factory=list)


def _base(spec: RetentionTarget) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if spec.exempt_if:
        values[spec.exempt_if] = False
    if spec.only_if:
        values[spec.only_if] = True
    return values


def _subject(w: World, linked: bool) -> dict[str, Any]:
    """A customer of their own, so rules that act per subject can be checked per subject."""
    return {"customer_id": make(w, "customers")[0]} if linked else {}


def build(w: World, rule: RetentionRule, spec: RetentionTarget, as_of: datetime) -> Scenario:
    cut = rule.period.before(as_of)
    old, young = cut - DAY, min(cut + DAY, as_of)
    linked = spec.scope != "unlinked"
    table, first = spec.record, (spec.counts_from[0] if spec.counts_from else None)
    base = _base(spec)
    s = Scenario()

    def row(into: list[Key], **values: Any) -> Key:
        key = make(w, table, linked=linked, **(base | values))
        into.append(key)
        return key

    if rule.trigger == "age" and first:
        row(s.due, **{first: old})
        row(s.kept, **{first: young})
        if spec.exempt_if:
            row(s.kept, **{first: old, spec.exempt_if: True})
    elif rule.trigger == "inactivity":
        every_old = {c: old for c in spec.counts_from}
        owner, other = _subject(w, linked), _subject(w, linked)
        if table == "customers":  # the row is the subject itself
            owner = other = {}
        row(s.due, **every_old, **owner)
        row(s.kept, **every_old | {spec.counts_from[0]: young}, **other)
        s.due_subjects = [owner.get("customer_id", s.due[0][0])]
        s.kept_subjects = [other.get("customer_id", s.kept[0][0])]
    elif rule.trigger == "verification_end" and first and spec.due_when_set:
        row(s.due, **{first: young, spec.due_when_set: as_of - DAY})
        row(s.due, **{first: old})
        row(s.kept, **{first: young})
    elif rule.trigger == "unreferenced" and first:
        row(s.due, **{first: old})
        row(s.kept, **{first: young})
        referenced = row(s.kept, **{first: old})
        for reference in rule.referenced_by:
            referrer, column = reference.split(".", 1)
            make(w, referrer, **{column: referenced[0]})
    elif rule.trigger == "consent_withdrawal" and rule.purpose:
        withdrawn, given = make(w, "customers")[0], make(w, "customers")[0]
        for customer, states in ((withdrawn, (True, False)), (given, (False, True))):
            for hours, state in zip((48, 24), states, strict=True):
                make(
                    w,
                    "consent_events",
                    customer_id=customer,
                    purpose=rule.purpose,
                    given=state,
                    at=as_of - timedelta(hours=hours),
                )
        row(s.due, customer_id=withdrawn)
        row(s.kept, customer_id=given)
    else:
        raise AssertionError(f"no scenario for trigger '{rule.trigger}' of rule '{rule.key}'")
    return s
