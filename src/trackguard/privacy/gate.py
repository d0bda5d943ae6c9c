"""The purpose gate: may this subject's data be used for this purpose, now?

Every processing path asks `can` (one subject) or `allowed_subjects` (an audience)
before it uses personal data for a purpose. The answer comes from the policy (the
purpose's legal basis, whether it is direct marketing) and from the subject's ledger
(consent, restrictions, objections, erasure). The rules, in order:

1. an unknown purpose, an unknown subject, and an erased or anonymised subject allow
   nothing;
2. an objection stops legitimate-interest processing until it is overridden, and stops
   direct marketing absolutely (an override never counts there, Art. 21(3));
3. a consent purpose needs live consent (the latest event gives it);
4. a restriction (of every purpose, or of this one) leaves only what the statement
   allows under it (Art. 18(2)): legal claims and obligations (legal-obligation
   purposes) and processing with the subject's consent. That consent must be given while
   the restriction is in place (the subject agrees despite it); a consent from before
   the restriction does not lift it. Storage itself is not a purpose and is never asked
   about;
5. anything else is allowed: contract, legal obligation, and legitimate interest
   without an objection.

`decide` is those rules as a pure function over facts; `load_ledgers` is the SQL that
gathers the facts, four set-wise queries whatever the number of subjects.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    SQLColumnExpression,
    String,
    any_,
    bindparam,
    func,
    select,
)
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.policy import Policy
from trackguard.policy.model import Purpose
from trackguard.privacy.choices import (
    is_direct_marketing,
    objection_lodged,
    objection_standing,
    restriction_in_force,
)
from trackguard.privacy.consent import gone_clause
from trackguard.store.models import ConsentEvent, Customer, Objection, ProcessingRestriction

Reason = Literal[
    "ok",
    "unknown_purpose",
    "unknown_subject",
    "erased",
    "objected",
    "consent_missing",
    "restricted",
    # disclosure (audiences.disclosure_allowed) only:
    "unknown_recipient",
    "anonymised_only",
    "not_a_recipient_purpose",
]
ObjectionState = Literal["none", "standing", "overridden"]
# Narrows a query to some subjects: given the subject column, the condition.
Members = Callable[[SQLColumnExpression[Any]], ColumnElement[bool]]


@dataclass(frozen=True)
class Decision:
    """The gate's answer; `reason` is a stable machine word (see `Reason`).

    Truthy only when allowed, so `if can(...)` reads as it should.
    """

    allowed: bool
    reason: str
    purpose: str | None = None

    def __bool__(self) -> bool:
        return self.allowed


@dataclass(frozen=True)
class SubjectFacts:
    """What the gate needs to know about one subject, for one purpose."""

    erased: bool = False
    consent_given: bool = False
    restricted: bool = False
    # The live consent was given while the restriction was already in place: the subject
    # agreed to this processing despite it. Consent from before does not lift a restriction.
    consent_during_restriction: bool = False
    objection: ObjectionState = "none"


def decide(purpose: Purpose | None, facts: SubjectFacts | None) -> Decision:
    """The gate's rules over plain facts (None: the purpose or subject is unknown)."""
    if purpose is None:
        return Decision(False, "unknown_purpose")
    key = purpose.key
    if facts is None:
        return Decision(False, "unknown_subject", key)
    if facts.erased:
        return Decision(False, "erased", key)
    basis = purpose.legal_basis
    if is_direct_marketing(purpose) and facts.objection != "none":
        return Decision(False, "objected", key)
    if basis == "legitimate_interest" and facts.objection == "standing":
        return Decision(False, "objected", key)
    if basis == "consent" and not facts.consent_given:
        return Decision(False, "consent_missing", key)
    if facts.restricted and not _allowed_while_restricted(basis, facts):
        return Decision(False, "restricted", key)
    return Decision(True, "ok", key)


def _allowed_while_restricted(basis: str, facts: SubjectFacts) -> bool:
    """Art. 18(2) as the statement puts it: with consent, or for legal claims."""
    consented = facts.consent_given and facts.consent_during_restriction
    return basis == "legal_obligation" or (basis == "consent" and consented)


# --- facts from the database ------------------------------------------------------------


@dataclass
class Ledgers:
    """The facts of many subjects for a set of purposes, as read from the database.

    Only subjects with an entry are held per subject; every other known subject has the
    default facts, so an audience of a million costs a million ids, not a million objects.
    """

    known: set[str] = field(default_factory=set)
    erased: set[str] = field(default_factory=set)
    # (subject, purpose) -> (latest event gives consent, time of that event)
    consents: dict[tuple[str, str], tuple[bool, datetime]] = field(default_factory=dict)
    # (subject, purpose or None for every purpose) -> start of the latest restriction in force
    restricted_since: dict[tuple[str, str | None], datetime] = field(default_factory=dict)
    objections: dict[tuple[str, str], ObjectionState] = field(default_factory=dict)

    def with_entries(self) -> set[str]:
        """Subjects whose facts differ from the default for some purpose."""
        keyed = (self.consents, self.restricted_since, self.objections)
        return self.erased | {subject for table in keyed for subject, _ in table}

    def facts(self, subject: str, purpose: str) -> SubjectFacts | None:
        """The subject's facts for `purpose`; None for a subject that does not exist."""
        if subject not in self.known:
            return None
        given, consented_at = self.consents.get((subject, purpose), (False, None))
        starts = [
            self.restricted_since[key]
            for key in ((subject, None), (subject, purpose))
            if key in self.restricted_since
        ]
        restricted_from = max(starts, default=None)
        return SubjectFacts(
            erased=subject in self.erased,
            consent_given=given,
            restricted=restricted_from is not None,
            consent_during_restriction=(
                given
                and restricted_from is not None
                and consented_at is not None
                and consented_at >= restricted_from
            ),
            objection=self.objections.get((subject, purpose), "none"),
        )


def load_ledgers(
    session: Session,
    purposes: Collection[str],
    subject_ids: Iterable[str] | None,
    *,
    at: datetime | None = None,
) -> Ledgers:
    """The facts of `subject_ids` (every customer when None) for `purposes`, in four
    queries whatever their number.

    `at` None reads the state as recorded now: every event counts and a restriction
    counts until it is lifted.
    """
    moment = None if at is None else as_utc(at)
    wanted = sorted(set(purposes))
    only = None if subject_ids is None else _members(session, subject_ids)
    ledgers = Ledgers()
    _read_customers(session, ledgers, only)
    if wanted:
        _read_consents(session, ledgers, wanted, only, moment)
        _read_restrictions(session, ledgers, wanted, only, moment)
        _read_objections(session, ledgers, wanted, only, moment)
    return ledgers


def _members(session: Session, subject_ids: Iterable[str]) -> Members:
    """`column IN subject_ids` as one bound value, however many ids: a long IN (...) list
    costs more to build than to run, and hits the backends' parameter limits."""
    ids = sorted(set(subject_ids))
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        array = bindparam(None, ids, type_=ARRAY(String()))
        return lambda column: column == any_(array)
    if dialect == "sqlite":
        listed = func.json_each(bindparam(None, json.dumps(ids), type_=String())).table_valued(
            "value"
        )
        return lambda column: column.in_(select(listed.c.value))
    return lambda column: column.in_(ids)


def _read_customers(session: Session, ledgers: Ledgers, only: Members | None) -> None:
    query = select(Customer.id, gone_clause())
    if only is not None:
        query = query.where(only(Customer.id))
    for customer_id, gone in session.execute(query):
        ledgers.known.add(customer_id)
        if gone:
            ledgers.erased.add(customer_id)


def _read_consents(
    session: Session,
    ledgers: Ledgers,
    purposes: list[str],
    only: Members | None,
    at: datetime | None,
) -> None:
    for customer_id, purpose, given, consented_at in session.execute(
        _latest_consents(purposes, only, at)
    ):
        if customer_id is not None:
            key = (customer_id, purpose)
            # Two events at one instant (not written by record_consent): withdrawal wins.
            before = ledgers.consents.get(key, (True, consented_at))[0]
            ledgers.consents[key] = (before and bool(given), as_utc(consented_at))


def _read_restrictions(
    session: Session,
    ledgers: Ledgers,
    purposes: list[str],
    only: Members | None,
    at: datetime | None,
) -> None:
    table = ProcessingRestriction
    query = (
        select(table.customer_id, table.purpose, func.max(table.started_at))
        .where(
            restriction_in_force(at),
            table.purpose.is_(None) | table.purpose.in_(purposes),
        )
        .group_by(table.customer_id, table.purpose)
    )
    if only is not None:
        query = query.where(only(table.customer_id))
    for customer_id, purpose, started_at in session.execute(query):
        if customer_id is not None:
            ledgers.restricted_since[(customer_id, purpose)] = as_utc(started_at)


def _read_objections(
    session: Session,
    ledgers: Ledgers,
    purposes: list[str],
    only: Members | None,
    at: datetime | None,
) -> None:
    query = select(
        Objection.customer_id, Objection.purpose, objection_standing(at).label("standing")
    ).where(objection_lodged(at), Objection.purpose.in_(purposes))
    if only is not None:
        query = query.where(only(Objection.customer_id))
    for customer_id, purpose, standing in session.execute(query):
        if customer_id is not None:
            key = (customer_id, purpose)
            known_standing = ledgers.objections.get(key) == "standing"
            ledgers.objections[key] = "standing" if standing or known_standing else "overridden"


def _latest_consents(
    purposes: list[str], only: Members | None, at: datetime | None
) -> Select[str | None, str, bool, datetime]:
    """(customer_id, purpose, given, at) of each subject's latest event per purpose."""
    scope: list[ColumnElement[bool]] = [ConsentEvent.purpose.in_(purposes)]
    if at is not None:
        scope.append(ConsentEvent.at <= at)
    if only is not None:
        scope.append(only(ConsentEvent.customer_id))
    latest = (
        select(
            ConsentEvent.customer_id,
            ConsentEvent.purpose,
            func.max(ConsentEvent.at).label("at"),
        )
        .where(*scope)
        .group_by(ConsentEvent.customer_id, ConsentEvent.purpose)
        .subquery()
    )
    return select(
        ConsentEvent.customer_id, ConsentEvent.purpose, ConsentEvent.given, ConsentEvent.at
    ).join(
        latest,
        (ConsentEvent.customer_id == latest.c.customer_id)
        & (ConsentEvent.purpose == latest.c.purpose)
        & (ConsentEvent.at == latest.c.at),
    )


# --- the gate ---------------------------------------------------------------------------------


def _purpose(policy: Policy, key: str) -> Purpose | None:
    return next((p for p in policy.purposes if p.key == key), None)


def can(
    session: Session,
    policy: Policy,
    subject_id: str,
    purpose: str,
    *,
    at: datetime | None = None,
) -> Decision:
    """May `subject_id`'s data be used for `purpose` at `at`?"""
    declared = _purpose(policy, purpose)
    if declared is None:
        return decide(None, None)
    ledgers = load_ledgers(session, [purpose], [subject_id], at=at)
    return decide(declared, ledgers.facts(subject_id, purpose))


def can_all(
    session: Session,
    policy: Policy,
    subject_id: str,
    purposes: Iterable[str],
    *,
    at: datetime | None = None,
) -> Decision:
    """Like `can` for several purposes at once: the first refusal, or ok."""
    wanted = list(dict.fromkeys(purposes))
    declared = [p for key in wanted if (p := _purpose(policy, key)) is not None]
    if len(declared) != len(wanted):
        return decide(None, None)
    ledgers = load_ledgers(session, wanted, [subject_id], at=at)
    for purpose in declared:
        decision = decide(purpose, ledgers.facts(subject_id, purpose.key))
        if not decision:
            return decision
    return Decision(True, "ok")


def allowed_subjects(
    session: Session,
    policy: Policy,
    purpose: str,
    subject_ids: Iterable[str] | None,
    *,
    at: datetime | None = None,
) -> set[str]:
    """The subjects among `subject_ids` (every customer when None) `can` would allow."""
    declared = _purpose(policy, purpose)
    if declared is None:
        return set()
    ledgers = load_ledgers(session, [purpose], subject_ids, at=at)
    # Subjects without entries share the default facts: decide for them once.
    special = ledgers.with_entries() & ledgers.known
    allowed = ledgers.known - special if decide(declared, SubjectFacts()) else set()
    allowed.update(s for s in special if decide(declared, ledgers.facts(s, purpose)))
    return allowed
