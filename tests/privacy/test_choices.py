"""Restrictions and objections: grounds and bases from the policy, audit entries, and
objections to direct marketing that nothing can override."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from trackguard.errors import TrackguardError
from trackguard.policy import Policy, load_policy, packaged_policy_path
from trackguard.privacy.audit import list_entries, verify
from trackguard.privacy.choices import (
    ChoiceAlreadyEnded,
    NotObjectable,
    ObjectionNotFound,
    ObjectionNotOverridable,
    RestrictionNotFound,
    UnknownRestrictionGround,
    active_objections,
    active_restrictions,
    is_direct_marketing,
    lift_restriction,
    object_to,
    objectable,
    override_objection,
    restrict,
)
from trackguard.privacy.consent import SubjectErased, UnknownPurpose, UnknownSubject
from trackguard.store.base import new_id
from trackguard.store.engine import Database
from trackguard.store.models import Customer, Objection, ProcessingRestriction

T0 = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(packaged_policy_path())


def add_customer(db: Database, *, status: str = "active") -> str:
    customer_id = new_id()
    with db.session() as session:
        session.add(Customer(id=customer_id, created_at=T0 - timedelta(days=30), status=status))
    return customer_id


def rows(db: Database, model: type) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def actions(db: Database, subject: str) -> list[str]:
    with db.session() as session:
        return [e.action for e in list_entries(session, subject_id=subject)]


# --- the policy decides what can be objected to ---------------------------------------


def test_direct_marketing_is_read_from_the_policy(policy: Policy) -> None:
    marketing = {p.key for p in policy.purposes if is_direct_marketing(p)}
    # direct_marketing is flagged objection_absolute; newsletter and advertising have
    # marketing data uses; sharing with third parties for their marketing rests on consent.
    assert marketing == {"direct_marketing", "newsletter", "advertising"}
    assert policy.purpose("direct_marketing").objection_absolute


def test_objectable_purposes_are_legitimate_interest_or_marketing(policy: Policy) -> None:
    interest = {p.key for p in policy.purposes if p.legal_basis == "legitimate_interest"}
    objectable_keys = {p.key for p in policy.purposes if objectable(p)}
    assert objectable_keys == interest | {"newsletter", "advertising"}
    assert not objectable_keys & {"service_delivery", "legal_compliance", "third_party_marketing"}


# --- restrictions -------------------------------------------------------------------------


def test_every_ground_of_the_policy_restricts(db: Database, policy: Policy) -> None:
    subject = add_customer(db)
    grounds = [g.key for g in policy.rights.restriction_grounds]
    assert len(grounds) == 4
    with db.session() as session:
        for i, ground in enumerate(grounds):
            restrict(session, customer_id=subject, ground=ground, at=T0 + i * HOUR, policy=policy)
        active = active_restrictions(session, subject, T0 + 4 * HOUR)
    assert [r.ground for r in active] == grounds
    assert all(r.purpose is None for r in active)


def test_an_unknown_ground_or_purpose_is_refused(db: Database, policy: Policy) -> None:
    subject = add_customer(db)
    with db.session() as session:
        with pytest.raises(UnknownRestrictionGround, match="accuracy_contested"):
            restrict(session, customer_id=subject, ground="dislike", at=T0, policy=policy)
        with pytest.raises(UnknownPurpose):
            restrict(
                session,
                customer_id=subject,
                ground="accuracy_contested",
                purpose="selling_data",
                at=T0,
                policy=policy,
            )
        with pytest.raises(UnknownSubject):
            restrict(session, customer_id=new_id(), ground="legal_claims", at=T0, policy=policy)
    assert rows(db, ProcessingRestriction) == 0


def test_a_restriction_is_active_from_its_start_until_lifted(db: Database, policy: Policy) -> None:
    subject = add_customer(db)
    with db.session() as session:
        restriction = restrict(
            session,
            customer_id=subject,
            ground="accuracy_contested",
            purpose="research_development",
            request_id=None,
            at=T0,
            policy=policy,
        )
        assert active_restrictions(session, subject, T0 - HOUR) == []
        assert active_restrictions(session, subject, T0) == [restriction]
        lift_restriction(session, restriction.id, at=T0 + HOUR, policy=policy)
        assert active_restrictions(session, subject, T0 + HOUR) == []
        assert active_restrictions(session, subject) == []
        assert active_restrictions(session, subject, T0 + 30 * timedelta(minutes=1)) == [
            restriction
        ]
    assert restriction.purpose == "research_development"
    assert actions(db, subject) == ["restriction.start", "restriction.lift"]


def test_repeating_an_active_restriction_changes_nothing(db: Database, policy: Policy) -> None:
    subject = add_customer(db)
    with db.session() as session:
        first = restrict(session, customer_id=subject, ground="legal_claims", at=T0, policy=policy)
        again = restrict(
            session, customer_id=subject, ground="legal_claims", at=T0 + HOUR, policy=policy
        )
    assert again.id == first.id and again.started_at == T0
    assert rows(db, ProcessingRestriction) == 1
    assert actions(db, subject) == ["restriction.start"]


def test_lifting_twice_or_an_unknown_restriction_is_refused(db: Database, policy: Policy) -> None:
    subject = add_customer(db)
    with db.session() as session:
        restriction = restrict(
            session, customer_id=subject, ground="unlawful_processing", at=T0, policy=policy
        )
        with pytest.raises(TrackguardError, match="before it started"):
            lift_restriction(session, restriction.id, at=T0 - HOUR, policy=policy)
        lift_restriction(session, restriction.id, at=T0 + HOUR, policy=policy)
        with pytest.raises(ChoiceAlreadyEnded):
            lift_restriction(session, restriction.id, at=T0 + 2 * HOUR, policy=policy)
        with pytest.raises(RestrictionNotFound):
            lift_restriction(session, new_id(), at=T0, policy=policy)
    assert actions(db, subject) == ["restriction.start", "restriction.lift"]


def test_an_erased_subject_cannot_restrict_or_object(db: Database, policy: Policy) -> None:
    subject = add_customer(db, status="erased")
    with db.session() as session:
        with pytest.raises(SubjectErased):
            restrict(session, customer_id=subject, ground="legal_claims", at=T0, policy=policy)
        with pytest.raises(SubjectErased):
            object_to(session, customer_id=subject, purpose="direct_marketing", at=T0)
    assert rows(db, ProcessingRestriction) == rows(db, Objection) == 0


# --- objections -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purpose", "hint"),
    [
        ("service_delivery", "legitimate interest and direct marketing only"),
        ("legal_compliance", "legitimate interest and direct marketing only"),
        ("third_party_marketing", "withdraw the consent"),
    ],
)
def test_objection_is_refused_where_it_does_not_apply(
    db: Database, policy: Policy, purpose: str, hint: str
) -> None:
    subject = add_customer(db)
    with db.session() as session, pytest.raises(NotObjectable, match=hint):
        object_to(session, customer_id=subject, purpose=purpose, at=T0, policy=policy)
    assert rows(db, Objection) == 0


@pytest.mark.parametrize("purpose", ["research_development", "direct_marketing", "newsletter"])
def test_objection_applies_to_legitimate_interest_and_marketing(
    db: Database, policy: Policy, purpose: str
) -> None:
    subject = add_customer(db)
    with db.session() as session:
        objection = object_to(session, customer_id=subject, purpose=purpose, at=T0, policy=policy)
        assert active_objections(session, subject, T0) == [objection]
        assert active_objections(session, subject, T0 - HOUR) == []
    assert actions(db, subject) == ["objection.lodge"]


def test_an_overridden_objection_stops_standing(db: Database, policy: Policy) -> None:
    subject = add_customer(db)
    with db.session() as session:
        objection = object_to(
            session, customer_id=subject, purpose="security", at=T0, policy=policy
        )
        with pytest.raises(TrackguardError, match="reason"):
            override_objection(session, objection.id, reason=" ", at=T0 + HOUR, policy=policy)
        override_objection(
            session,
            objection.id,
            reason="Account takeover investigation in progress",
            at=T0 + HOUR,
            policy=policy,
        )
        assert active_objections(session, subject, T0 + HOUR) == []
        assert active_objections(session, subject, T0) == [objection]
        with pytest.raises(ChoiceAlreadyEnded):
            override_objection(session, objection.id, reason="again", at=T0 + 2 * HOUR)
        with pytest.raises(ObjectionNotFound):
            override_objection(session, new_id(), reason="x", at=T0)
    assert objection.override_reason == "Account takeover investigation in progress"
    with db.session() as session:
        entries = list_entries(session, subject_id=subject)
    assert [e.action for e in entries] == ["objection.lodge", "objection.override"]
    assert all("takeover" not in f"{e.actor} {e.role} {e.purpose} {e.action}" for e in entries)
    assert verify(db).ok


@pytest.mark.parametrize("purpose", ["direct_marketing", "newsletter"])
def test_an_objection_to_direct_marketing_can_never_be_overridden(
    db: Database, policy: Policy, purpose: str
) -> None:
    subject = add_customer(db)
    with db.session() as session:
        objection = object_to(session, customer_id=subject, purpose=purpose, at=T0, policy=policy)
    with db.session() as session, pytest.raises(ObjectionNotOverridable):
        override_objection(
            session, objection.id, reason="we want to sell", at=T0 + HOUR, policy=policy
        )
    with db.session() as session:
        (stored,) = active_objections(session, subject, T0 + 2 * HOUR)
    assert stored.overridden_at is None and stored.override_reason is None
    assert actions(db, subject) == ["objection.lodge"]


def test_repeating_a_standing_objection_changes_nothing(db: Database, policy: Policy) -> None:
    subject = add_customer(db)
    with db.session() as session:
        first = object_to(session, customer_id=subject, purpose="direct_marketing", at=T0)
        again = object_to(session, customer_id=subject, purpose="direct_marketing", at=T0 + HOUR)
    assert again.id == first.id
    assert rows(db, Objection) == 1 and actions(db, subject) == ["objection.lodge"]


def test_objecting_again_after_an_override_lodges_a_new_objection(
    db: Database, policy: Policy
) -> None:
    subject = add_customer(db)
    with db.session() as session:
        first = object_to(session, customer_id=subject, purpose="protection", at=T0)
        override_objection(session, first.id, reason="fraud case", at=T0 + HOUR)
        second = object_to(session, customer_id=subject, purpose="protection", at=T0 + 2 * HOUR)
        assert active_objections(session, subject, T0 + 2 * HOUR) == [second]
    assert second.id != first.id
