"""Marketing, analytics, profiling and disclosure all go through the gate: a subject who
restricts, objects, withdraws consent or is erased drops out of each at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from trackguard.policy import Policy, load_policy, packaged_policy_path
from trackguard.privacy.audiences import (
    WrongAudiencePurpose,
    analytics_subjects,
    disclosure_allowed,
    is_analytics,
    is_profiling,
    marketing_audience,
    profiling_subjects,
)
from trackguard.privacy.choices import is_direct_marketing, object_to, restrict
from trackguard.privacy.consent import UnknownPurpose, record_consent
from trackguard.privacy.gate import Decision
from trackguard.store.base import new_id
from trackguard.store.engine import Database
from trackguard.store.models import Customer

T0 = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
NOW = T0 + 2 * HOUR
POLICY = load_policy(packaged_policy_path())

Audience = Callable[..., list[str]]
# Each selecting path with the policy purposes it serves.
PATHS: list[tuple[Audience, str]] = [
    (marketing_audience, "newsletter"),
    (marketing_audience, "direct_marketing"),
    (analytics_subjects, "website_analytics"),
    (analytics_subjects, "management_information"),
    (profiling_subjects, "advertising"),
]
PATH_IDS = [f"{path.__name__}:{purpose}" for path, purpose in PATHS]


@pytest.fixture(scope="module")
def policy() -> Policy:
    return POLICY


def add_customer(session: Session, *, status: str = "active") -> str:
    customer_id = new_id()
    session.add(Customer(id=customer_id, created_at=T0 - timedelta(days=30), status=status))
    session.flush()
    return customer_id


def give(
    session: Session, subject: str, purpose: str, given: bool = True, at: datetime = T0
) -> None:
    record_consent(
        session,
        customer_id=subject,
        purpose=purpose,
        given=given,
        channel="website",
        proof="I agree",
        policy_version=POLICY.version_id,
        at=at,
        policy=POLICY,
    )


def consenting(session: Session, purposes: list[str]) -> str:
    """A customer who consented to every consent purpose among `purposes`."""
    subject = add_customer(session)
    for purpose in purposes:
        if POLICY.purpose(purpose).legal_basis == "consent":
            give(session, subject, purpose)
    return subject


def test_each_path_serves_purposes_of_its_kind_only(db: Database, policy: Policy) -> None:
    assert {p.key for p in policy.purposes if is_profiling(p)} == {"advertising"}
    assert {"website_analytics", "management_information"} <= {
        p.key for p in policy.purposes if is_analytics(p)
    }
    with db.session() as session:
        for path, purpose in [
            (marketing_audience, "service_delivery"),
            (marketing_audience, "website_analytics"),
            (analytics_subjects, "newsletter"),
            (profiling_subjects, "website_analytics"),
        ]:
            with pytest.raises(WrongAudiencePurpose):
                path(session, policy, purpose, at=NOW)
        with pytest.raises(UnknownPurpose):
            marketing_audience(session, policy, "cold_calling", at=NOW)


@pytest.mark.parametrize(("path", "purpose"), PATHS, ids=PATH_IDS)
def test_restricted_objecting_withdrawn_and_erased_subjects_are_left_out(
    db: Database, policy: Policy, path: Audience, purpose: str
) -> None:
    with db.session() as session:
        plain = consenting(session, [purpose])
        restricted_all = consenting(session, [purpose])
        restrict(session, customer_id=restricted_all, ground="legal_claims", at=T0 + HOUR)
        restricted_this = consenting(session, [purpose])
        restrict(
            session,
            customer_id=restricted_this,
            ground="accuracy_contested",
            purpose=purpose,
            at=T0 + HOUR,
        )
        objecting = consenting(session, [purpose])
        object_to(session, customer_id=objecting, purpose=purpose, at=T0 + HOUR)
        erased = consenting(session, [purpose])
        session.get(Customer, erased).status = "erased"  # type: ignore[union-attr]
        everyone = [plain, restricted_all, restricted_this, objecting, erased]
        if policy.purpose(purpose).legal_basis == "consent":
            withdrawn = consenting(session, [purpose])
            give(session, withdrawn, purpose, given=False, at=T0 + HOUR)
            never = add_customer(session)
            everyone += [withdrawn, never]
        session.flush()
        assert path(session, policy, purpose, at=NOW) == [plain]
        assert path(session, policy, purpose, at=NOW, subject_ids=everyone[1:]) == []
        # before the choices were made, they were all in (except the erased one)
        before = set(path(session, policy, purpose, at=T0))
        assert {plain, restricted_all, restricted_this, objecting} <= before
        assert erased not in before


@pytest.mark.parametrize(("path", "purpose"), PATHS, ids=PATH_IDS)
def test_a_choice_changes_the_audience_at_once(
    db: Database, policy: Policy, path: Audience, purpose: str
) -> None:
    with db.session() as session:
        first, second, third = (consenting(session, [purpose]) for _ in range(3))
        assert path(session, policy, purpose, at=NOW) == sorted([first, second, third])
        restrict(session, customer_id=first, ground="unlawful_processing", at=NOW)
        object_to(session, customer_id=second, purpose=purpose, at=NOW)
        assert path(session, policy, purpose, at=NOW) == [third]
        if policy.purpose(purpose).legal_basis == "consent":
            give(session, third, purpose, given=False, at=NOW)
            assert path(session, policy, purpose, at=NOW) == []


def test_objecting_to_direct_marketing_leaves_consented_marketing_alone(
    db: Database, policy: Policy
) -> None:
    with db.session() as session:
        subject = consenting(session, ["newsletter"])
        object_to(session, customer_id=subject, purpose="direct_marketing", at=T0)
        assert marketing_audience(session, policy, "direct_marketing", at=NOW) == []
        assert marketing_audience(session, policy, "newsletter", at=NOW) == [subject]
        object_to(session, customer_id=subject, purpose="newsletter", at=T0 + HOUR)
        assert marketing_audience(session, policy, "newsletter", at=NOW) == []


# --- disclosure -------------------------------------------------------------------------------


def recipient_purposes(key: str) -> list[str]:
    return list(POLICY.recipient(key).purposes)


@pytest.mark.parametrize("recipient", ["google_analytics", "marketing_partners", "affiliates"])
def test_disclosure_stops_for_restricted_and_objecting_subjects(
    db: Database, policy: Policy, recipient: str
) -> None:
    purposes = recipient_purposes(recipient)
    objectable = next(
        (
            k
            for k in purposes
            if policy.purpose(k).legal_basis == "legitimate_interest"
            or is_direct_marketing(policy.purpose(k))
        ),
        None,
    )
    with db.session() as session:
        plain = consenting(session, purposes)
        restricted = consenting(session, purposes)
        restrict(session, customer_id=restricted, ground="legal_claims", at=T0 + HOUR)
        assert disclosure_allowed(session, policy, plain, recipient, at=NOW)
        denied = disclosure_allowed(session, policy, restricted, recipient, at=NOW)
        assert (denied.allowed, denied.reason) == (False, "restricted")
        assert denied.purpose in purposes
        if objectable is not None:
            objecting = consenting(session, purposes)
            object_to(session, customer_id=objecting, purpose=objectable, at=T0 + HOUR)
            refused = disclosure_allowed(session, policy, objecting, recipient, at=NOW)
            assert refused == Decision(False, "objected", objectable)


def test_disclosure_for_third_party_marketing_needs_consent(db: Database, policy: Policy) -> None:
    with db.session() as session:
        subject = add_customer(session)
        decision = disclosure_allowed(session, policy, subject, "marketing_partners", at=NOW)
        assert decision == Decision(False, "consent_missing", "third_party_marketing")
        give(session, subject, "third_party_marketing", at=T0)
        assert disclosure_allowed(session, policy, subject, "marketing_partners", at=NOW)
        give(session, subject, "third_party_marketing", given=False, at=NOW)
        assert not disclosure_allowed(session, policy, subject, "marketing_partners", at=NOW)


def test_disclosure_for_one_purpose_asks_only_about_that_purpose(
    db: Database, policy: Policy
) -> None:
    with db.session() as session:
        subject = add_customer(session)  # no consents at all
        assert not disclosure_allowed(session, policy, subject, "hosting", at=NOW)
        assert disclosure_allowed(
            session, policy, subject, "hosting", at=NOW, purpose="service_delivery"
        )
        assert disclosure_allowed(
            session, policy, subject, "hosting", at=NOW, purpose="newsletter"
        ) == Decision(False, "consent_missing", "newsletter")
        assert disclosure_allowed(
            session, policy, subject, "google_analytics", at=NOW, purpose="newsletter"
        ) == Decision(False, "not_a_recipient_purpose", "newsletter")


def test_disclosure_to_authorities_survives_a_restriction(db: Database, policy: Policy) -> None:
    with db.session() as session:
        subject = add_customer(session)
        restrict(session, customer_id=subject, ground="legal_claims", at=T0)
        assert disclosure_allowed(session, policy, subject, "authorities", at=NOW)
        assert not disclosure_allowed(session, policy, subject, "payment_providers", at=NOW)


def test_disclosure_refusals_for_unknown_erased_and_anonymous_only(
    db: Database, policy: Policy
) -> None:
    with db.session() as session:
        subject = add_customer(session)
        erased = add_customer(session, status="erased")
        assert disclosure_allowed(session, policy, subject, "data_brokers", at=NOW) == Decision(
            False, "unknown_recipient"
        )
        assert disclosure_allowed(
            session, policy, subject, "aggregate_recipients", at=NOW
        ) == Decision(False, "anonymised_only")
        assert disclosure_allowed(session, policy, erased, "authorities", at=NOW).reason == (
            "erased"
        )
        assert disclosure_allowed(session, policy, new_id(), "authorities", at=NOW).reason == (
            "unknown_subject"
        )
