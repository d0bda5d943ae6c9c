"""Restrictions (Art. 18) and objections (Art. 21): the subject's say over processing.

A restriction names one of the policy's restriction grounds and either one purpose or
(purpose None) all of them; while active, the purpose gate lets through only what the
statement allows under a restriction. An objection names one purpose resting on
legitimate interest, or a direct-marketing purpose; it stops that processing until it is
overridden by compelling legitimate grounds, which is never possible for direct
marketing (Art. 21(3)).

Every change writes an audit entry whose only personal link is the subject id. A repeat
of an active restriction or objection returns the existing one and writes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.errors import Forbidden, NotFound, TrackguardError
from trackguard.policy import Policy
from trackguard.policy.model import Purpose
from trackguard.privacy.consent import (
    known_purpose,
    live_customer,
    policy_or_packaged,
    save_choice,
)
from trackguard.store.models import Objection, ProcessingRestriction

# fideslang data use under which every use is marketing (a taxonomy fact, not a policy one).
MARKETING_USE = "marketing"


class UnknownRestrictionGround(TrackguardError):
    """The ground is not one of the policy's restriction grounds."""


class NotObjectable(TrackguardError):
    """The purpose rests on a basis an objection does not apply to."""


class ObjectionNotOverridable(Forbidden):
    """An objection to direct marketing can never be overridden."""


class RestrictionNotFound(NotFound):
    """No restriction with that id."""


class ObjectionNotFound(NotFound):
    """No objection with that id."""


class ChoiceAlreadyEnded(TrackguardError):
    """The restriction was already lifted, or the objection already overridden."""


# --- what the policy says about purposes (pure) ---------------------------------------


def is_direct_marketing(purpose: Purpose) -> bool:
    """The policy marks it so (`objection_absolute`), or its data use is marketing."""
    use = purpose.data_use
    return purpose.objection_absolute or use == MARKETING_USE or use.startswith(MARKETING_USE + ".")


def objectable(purpose: Purpose) -> bool:
    """Art. 21: legitimate-interest processing, and direct marketing on any basis."""
    return purpose.legal_basis == "legitimate_interest" or is_direct_marketing(purpose)


# --- "in force at a moment", shared with the gate's queries ---------------------------------


def restriction_in_force(at: datetime | None) -> ColumnElement[bool]:
    """Started (by `at`) and not lifted (by `at`); with `at` None: not lifted."""
    table = ProcessingRestriction
    if at is None:
        return table.lifted_at.is_(None)
    moment = as_utc(at)
    return and_(
        table.started_at <= moment, or_(table.lifted_at.is_(None), table.lifted_at > moment)
    )


def objection_lodged(at: datetime | None) -> ColumnElement[bool]:
    """Lodged by `at` (every objection when `at` is None), overridden or not."""
    if at is None:
        return Objection.lodged_at.is_not(None)
    return Objection.lodged_at <= as_utc(at)


def objection_standing(at: datetime | None) -> ColumnElement[bool]:
    """Lodged and not overridden (by `at`)."""
    if at is None:
        return Objection.overridden_at.is_(None)
    moment = as_utc(at)
    return and_(
        objection_lodged(moment),
        or_(Objection.overridden_at.is_(None), Objection.overridden_at > moment),
    )


# --- restrictions -----------------------------------------------------------------------------


def restrict(
    session: Session,
    *,
    customer_id: str,
    ground: str,
    purpose: str | None = None,
    request_id: str | None = None,
    at: datetime,
    policy: Policy | None = None,
    actor: str = "subject",
) -> ProcessingRestriction:
    """Restrict processing of the subject's data for `purpose` (None: every purpose)."""
    policy = policy_or_packaged(policy)
    grounds = [g.key for g in policy.rights.restriction_grounds]
    if ground not in grounds:
        raise UnknownRestrictionGround(
            f"unknown restriction ground '{ground}' (use one of: {', '.join(grounds)})"
        )
    if purpose is not None:
        known_purpose(policy, purpose)
    live_customer(session, customer_id)
    moment = as_utc(at)
    same_purpose = (
        ProcessingRestriction.purpose.is_(None)
        if purpose is None
        else ProcessingRestriction.purpose == purpose
    )
    existing = session.scalar(
        select(ProcessingRestriction).where(
            ProcessingRestriction.customer_id == customer_id,
            ProcessingRestriction.ground == ground,
            same_purpose,
            restriction_in_force(moment),
        )
    )
    if existing is not None:
        return existing
    restriction = ProcessingRestriction(
        customer_id=customer_id,
        request_id=request_id,
        ground=ground,
        purpose=purpose,
        started_at=moment,
    )
    save_choice(session, policy, restriction, action="restriction.start", actor=actor, at=moment)
    return restriction


def lift_restriction(
    session: Session,
    restriction_id: str,
    *,
    at: datetime,
    policy: Policy | None = None,
    actor: str = "staff",
) -> ProcessingRestriction:
    """End a restriction (e.g. once the contested data is verified)."""
    policy = policy_or_packaged(policy)
    restriction = session.get(ProcessingRestriction, restriction_id)
    if restriction is None or restriction.customer_id is None:
        raise RestrictionNotFound("no such restriction")
    if restriction.lifted_at is not None:
        raise ChoiceAlreadyEnded("the restriction was already lifted")
    moment = as_utc(at)
    if moment < as_utc(restriction.started_at):
        raise TrackguardError("a restriction cannot be lifted before it started")
    restriction.lifted_at = moment
    save_choice(session, policy, restriction, action="restriction.lift", actor=actor, at=moment)
    return restriction


def active_restrictions(
    session: Session, customer_id: str, at: datetime | None = None
) -> list[ProcessingRestriction]:
    """The subject's restrictions in force at `at` (now-recorded state when None)."""
    return list(
        session.scalars(
            select(ProcessingRestriction)
            .where(
                ProcessingRestriction.customer_id == customer_id,
                restriction_in_force(at),
            )
            .order_by(ProcessingRestriction.started_at)
        )
    )


# --- objections -----------------------------------------------------------------------------


def object_to(
    session: Session,
    *,
    customer_id: str,
    purpose: str,
    request_id: str | None = None,
    at: datetime,
    policy: Policy | None = None,
    actor: str = "subject",
) -> Objection:
    """Lodge an objection to processing for `purpose`; it takes effect at once."""
    policy = policy_or_packaged(policy)
    declared = known_purpose(policy, purpose)
    if not objectable(declared):
        hint = (
            "withdraw the consent instead"
            if declared.legal_basis == "consent"
            else "an objection applies to legitimate interest and direct marketing only"
        )
        raise NotObjectable(f"purpose '{purpose}' rests on {declared.legal_basis}: {hint}")
    live_customer(session, customer_id)
    moment = as_utc(at)
    existing = session.scalar(
        select(Objection).where(
            Objection.customer_id == customer_id,
            Objection.purpose == purpose,
            objection_standing(moment),
        )
    )
    if existing is not None:
        return existing
    objection = Objection(
        customer_id=customer_id, request_id=request_id, purpose=purpose, lodged_at=moment
    )
    save_choice(session, policy, objection, action="objection.lodge", actor=actor, at=moment)
    return objection


def override_objection(
    session: Session,
    objection_id: str,
    *,
    reason: str,
    at: datetime,
    policy: Policy | None = None,
    actor: str = "staff",
) -> Objection:
    """Record that compelling legitimate grounds override the objection (Art. 21(1)).

    Refused for direct marketing, where an objection is absolute.
    """
    policy = policy_or_packaged(policy)
    objection = session.get(Objection, objection_id)
    if objection is None or objection.customer_id is None:
        raise ObjectionNotFound("no such objection")
    if is_direct_marketing(known_purpose(policy, objection.purpose)):
        raise ObjectionNotOverridable(
            f"an objection to direct marketing ('{objection.purpose}') can never be overridden"
        )
    if objection.overridden_at is not None:
        raise ChoiceAlreadyEnded("the objection was already overridden")
    if not reason or not reason.strip():
        raise TrackguardError("overriding an objection needs the compelling grounds as reason")
    moment = as_utc(at)
    if moment < as_utc(objection.lodged_at):
        raise TrackguardError("an objection cannot be overridden before it was lodged")
    objection.overridden_at = moment
    objection.override_reason = reason.strip()
    save_choice(session, policy, objection, action="objection.override", actor=actor, at=moment)
    return objection


def active_objections(
    session: Session, customer_id: str, at: datetime | None = None
) -> list[Objection]:
    """The subject's objections standing (not overridden) at `at`."""
    return list(
        session.scalars(
            select(Objection)
            .where(Objection.customer_id == customer_id, objection_standing(at))
            .order_by(Objection.lodged_at)
        )
    )
