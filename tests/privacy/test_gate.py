"""The purpose gate: each rule as a pure decision, its properties, and the same rules
read from the database one subject at a time and set-wise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from trackguard.policy import Policy, load_policy, packaged_policy_path
from trackguard.policy.model import Purpose
from trackguard.privacy.choices import (
    is_direct_marketing,
    lift_restriction,
    object_to,
    override_objection,
    restrict,
)
from trackguard.privacy.consent import record_consent
from trackguard.privacy.gate import Decision, SubjectFacts, allowed_subjects, can, decide
from trackguard.store.base import new_id
from trackguard.store.engine import Database
from trackguard.store.models import Customer

T0 = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
POLICY = load_policy(packaged_policy_path())


def purposes_where(test: Callable[[Purpose], bool]) -> list[str]:
    return [p.key for p in POLICY.purposes if test(p)]


CONSENT = purposes_where(lambda p: p.legal_basis == "consent")
CONTRACT = purposes_where(lambda p: p.legal_basis == "contract")
LEGAL = purposes_where(lambda p: p.legal_basis == "legal_obligation")
INTEREST = purposes_where(
    lambda p: p.legal_basis == "legitimate_interest" and not is_direct_marketing(p)
)
MARKETING = purposes_where(is_direct_marketing)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return POLICY


# One purpose per basis and kind, the ones the test population makes choices about.
ONE_OF_EACH_KIND = [
    "newsletter",  # consent, marketing
    "third_party_marketing",  # consent
    "service_delivery",  # contract
    "legal_compliance",  # legal obligation
    "security",  # legitimate interest
    "research_development",  # legitimate interest
    "direct_marketing",  # legitimate interest, marketing
]


def test_the_policy_has_purposes_of_every_kind() -> None:
    assert CONSENT and CONTRACT and LEGAL and INTEREST
    assert {"direct_marketing", "newsletter"} <= set(MARKETING)


# --- the rules, pure ---------------------------------------------------------------------------


def p(key: str) -> Purpose:
    return POLICY.purpose(key)


CLEAN = SubjectFacts()
CONSENTED = SubjectFacts(consent_given=True)


def test_decision_is_truthy_only_when_allowed() -> None:
    assert Decision(True, "ok") and not Decision(False, "restricted")


def test_unknown_purpose_unknown_subject_and_erased_subject_allow_nothing() -> None:
    assert decide(None, CLEAN) == Decision(False, "unknown_purpose")
    for purpose in POLICY.purposes:
        assert decide(purpose, None).reason == "unknown_subject"
        assert decide(purpose, replace(CONSENTED, erased=True)).reason == "erased"


@pytest.mark.parametrize("key", CONSENT)
def test_consent_purposes_need_live_consent(key: str) -> None:
    assert decide(p(key), CLEAN) == Decision(False, "consent_missing", key)
    assert decide(p(key), CONSENTED) == Decision(True, "ok", key)


@pytest.mark.parametrize("key", CONTRACT + LEGAL + INTEREST)
def test_other_bases_need_no_consent(key: str) -> None:
    assert decide(p(key), CLEAN).allowed


@pytest.mark.parametrize("key", CONTRACT + INTEREST)
def test_a_restriction_stops_contract_and_interest_processing(key: str) -> None:
    assert decide(p(key), replace(CLEAN, restricted=True)).reason == "restricted"


@pytest.mark.parametrize("key", LEGAL)
def test_legal_claims_and_obligations_pass_a_restriction(key: str) -> None:
    assert decide(p(key), replace(CLEAN, restricted=True)).allowed


@pytest.mark.parametrize("key", CONSENT)
def test_only_consent_given_during_a_restriction_passes_it(key: str) -> None:
    restricted = replace(CONSENTED, restricted=True)
    assert decide(p(key), restricted).reason == "restricted"
    assert decide(p(key), replace(restricted, consent_during_restriction=True)).allowed


@pytest.mark.parametrize("key", INTEREST)
def test_an_objection_stops_interest_processing_until_overridden(key: str) -> None:
    assert decide(p(key), replace(CLEAN, objection="standing")).reason == "objected"
    assert decide(p(key), replace(CLEAN, objection="overridden")).allowed


@pytest.mark.parametrize("key", MARKETING)
def test_an_objection_to_direct_marketing_is_absolute(key: str) -> None:
    for objection in ("standing", "overridden"):
        facts = replace(CONSENTED, objection=objection, consent_during_restriction=True)
        assert decide(p(key), facts).reason == "objected"


@pytest.mark.parametrize("key", CONTRACT + LEGAL)
def test_objections_do_not_touch_contract_or_legal_obligation(key: str) -> None:
    assert decide(p(key), replace(CLEAN, objection="standing")).allowed


facts_strategy = st.builds(
    SubjectFacts,
    erased=st.booleans(),
    consent_given=st.booleans(),
    restricted=st.booleans(),
    consent_during_restriction=st.booleans(),
    objection=st.sampled_from(["none", "standing", "overridden"]),
)
purpose_strategy = st.sampled_from(POLICY.purposes)


@given(purpose_strategy, facts_strategy)
def test_adding_a_restriction_never_turns_a_deny_into_an_allow(
    purpose: Purpose, facts: SubjectFacts
) -> None:
    if not decide(purpose, facts):
        assert not decide(purpose, replace(facts, restricted=True))


@given(purpose_strategy, facts_strategy)
def test_objecting_never_turns_a_deny_into_an_allow(purpose: Purpose, facts: SubjectFacts) -> None:
    if not decide(purpose, facts):
        assert not decide(purpose, replace(facts, objection="standing"))


@given(purpose_strategy, facts_strategy)
def test_withdrawing_consent_never_turns_a_deny_into_an_allow(
    purpose: Purpose, facts: SubjectFacts
) -> None:
    if not decide(purpose, facts):
        assert not decide(purpose, replace(facts, consent_given=False))


@given(purpose_strategy, facts_strategy)
def test_every_allow_has_a_legal_ground(purpose: Purpose, facts: SubjectFacts) -> None:
    decision = decide(purpose, facts)
    assert decision.purpose == purpose.key
    if not decision:
        return
    assert decision.reason == "ok" and not facts.erased
    if purpose.legal_basis == "consent":
        assert facts.consent_given
    if facts.restricted:
        assert purpose.legal_basis == "legal_obligation" or facts.consent_during_restriction
    if is_direct_marketing(purpose):
        assert facts.objection == "none"
    if purpose.legal_basis == "legitimate_interest":
        assert facts.objection != "standing"


# --- the same rules read from the database ----------------------------------------------


def add_customer(session: Session, *, status: str = "active") -> str:
    customer_id = new_id()
    session.add(Customer(id=customer_id, created_at=T0 - timedelta(days=30), status=status))
    session.flush()
    return customer_id


def give(session: Session, subject: str, purpose: str, given: bool, at: datetime) -> None:
    record_consent(
        session,
        customer_id=subject,
        purpose=purpose,
        given=given,
        channel="portal",
        proof="I agree",
        policy_version=POLICY.version_id,
        at=at,
        policy=POLICY,
    )


def reasons(session: Session, subject: str, keys: list[str], at: datetime | None) -> set[str]:
    return {can(session, POLICY, subject, key, at=at).reason for key in keys}


def test_consent_purposes_follow_the_ledger_at_once(db: Database, policy: Policy) -> None:
    with db.session() as session:
        subject = add_customer(session)
        assert can(session, policy, subject, "newsletter").reason == "consent_missing"
        give(session, subject, "newsletter", True, T0)
        assert can(session, policy, subject, "newsletter") == Decision(True, "ok", "newsletter")
        give(session, subject, "newsletter", False, T0 + HOUR)
        assert can(session, policy, subject, "newsletter").reason == "consent_missing"
        assert can(session, policy, subject, "newsletter", at=T0).allowed
        assert not can(session, policy, subject, "newsletter", at=T0 - HOUR)


def test_a_restriction_of_all_purposes_leaves_legal_claims(db: Database, policy: Policy) -> None:
    with db.session() as session:
        subject = add_customer(session)
        give(session, subject, "newsletter", True, T0)
        restriction = restrict(
            session, customer_id=subject, ground="accuracy_contested", at=T0 + HOUR
        )
        now = T0 + 2 * HOUR
        assert reasons(session, subject, CONTRACT + INTEREST, now) == {"restricted"}
        assert reasons(session, subject, LEGAL, now) == {"ok"}
        # consent from before the restriction does not lift it; consent given during it does
        assert can(session, policy, subject, "newsletter", at=now).reason == "restricted"
        give(session, subject, "newsletter", True, now)
        assert can(session, policy, subject, "newsletter", at=now).allowed
        assert reasons(session, subject, CONTRACT, T0) == {"ok"}  # before it started
        lift_restriction(session, restriction.id, at=T0 + 3 * HOUR)
        assert reasons(session, subject, CONTRACT + INTEREST, None) == {"ok"}


def test_a_restriction_of_one_purpose_leaves_the_others(db: Database, policy: Policy) -> None:
    with db.session() as session:
        subject = add_customer(session)
        restrict(
            session,
            customer_id=subject,
            ground="objection_pending",
            purpose="research_development",
            at=T0,
        )
        assert can(session, policy, subject, "research_development").reason == "restricted"
        others = [k for k in CONTRACT + INTEREST if k != "research_development"]
        assert reasons(session, subject, others, None) == {"ok"}


def test_an_objection_stops_interest_until_overridden(db: Database, policy: Policy) -> None:
    with db.session() as session:
        subject = add_customer(session)
        objection = object_to(session, customer_id=subject, purpose="security", at=T0)
        assert can(session, policy, subject, "security").reason == "objected"
        assert can(session, policy, subject, "security", at=T0 - HOUR).allowed
        assert can(session, policy, subject, "protection").allowed  # another purpose
        override_objection(session, objection.id, reason="active fraud case", at=T0 + HOUR)
        assert can(session, policy, subject, "security").allowed


@pytest.mark.parametrize("key", ["direct_marketing", "newsletter"])
def test_an_objection_to_marketing_stops_it_whatever_else(
    db: Database, policy: Policy, key: str
) -> None:
    with db.session() as session:
        subject = add_customer(session)
        if key in CONSENT:
            give(session, subject, key, True, T0)
        assert can(session, policy, subject, key).allowed
        object_to(session, customer_id=subject, purpose=key, at=T0 + HOUR)
        if key in CONSENT:
            give(session, subject, key, True, T0 + 2 * HOUR)  # consent does not beat it
        assert can(session, policy, subject, key).reason == "objected"


@pytest.mark.parametrize("state", [{"status": "erased"}, {"status": "anonymised"}])
def test_an_erased_subject_allows_nothing(
    db: Database, policy: Policy, state: dict[str, str]
) -> None:
    with db.session() as session:
        subject = add_customer(session)
        give(session, subject, "newsletter", True, T0)
        session.get(Customer, subject).status = state["status"]  # type: ignore[union-attr]
        session.flush()
        keys = [purpose.key for purpose in policy.purposes]
        assert reasons(session, subject, keys, None) == {"erased"}
        assert allowed_subjects(session, policy, "legal_compliance", [subject]) == set()


def test_unknown_purpose_and_subject_are_refused(db: Database, policy: Policy) -> None:
    with db.session() as session:
        subject = add_customer(session)
        assert can(session, policy, subject, "selling_data") == Decision(False, "unknown_purpose")
        assert can(session, policy, new_id(), "service_delivery").reason == "unknown_subject"
        assert allowed_subjects(session, policy, "selling_data", None) == set()


def build_population(session: Session) -> dict[str, str]:
    """One subject per combination of choices, named after it."""
    subjects: dict[str, str] = {}
    choices = product(
        ["never", "given", "withdrawn"],
        ["free", "all", "newsletter", "security", "lifted"],
        ["none", "security", "direct_marketing", "newsletter", "overridden"],
        ["active", "erased"],
    )
    for consent, restriction, objection, status in choices:
        subject = add_customer(session)
        if consent != "never":
            give(session, subject, "newsletter", True, T0 - HOUR)  # before any restriction
        if consent == "withdrawn":
            give(session, subject, "newsletter", False, T0 + HOUR)
        if restriction != "free":
            purpose = None if restriction in ("all", "lifted") else restriction
            row = restrict(
                session, customer_id=subject, ground="legal_claims", purpose=purpose, at=T0
            )
            if restriction == "lifted":
                lift_restriction(session, row.id, at=T0 + HOUR)
        if objection != "none":
            target = "security" if objection == "overridden" else objection
            lodged = object_to(session, customer_id=subject, purpose=target, at=T0)
            if objection == "overridden":
                override_objection(session, lodged.id, reason="fraud case", at=T0 + HOUR)
        session.get(Customer, subject).status = status  # type: ignore[union-attr]
        subjects[f"{consent}/{restriction}/{objection}/{status}"] = subject
    session.flush()
    return subjects


@pytest.mark.parametrize("at", [None, T0 + 30 * timedelta(minutes=1), T0 + 2 * HOUR])
def test_set_wise_decisions_match_one_by_one(
    db: Database, policy: Policy, at: datetime | None
) -> None:
    with db.session() as session:
        population = build_population(session)
        ids = list(population.values())
        for purpose in ONE_OF_EACH_KIND:
            expected = {s for s in ids if can(session, policy, s, purpose, at=at)}
            assert allowed_subjects(session, policy, purpose, None, at=at) == expected
            some = [*ids[::3], new_id()]
            assert allowed_subjects(session, policy, purpose, some, at=at) == (expected & set(some))


def test_population_decisions_follow_the_rules(db: Database, policy: Policy) -> None:
    with db.session() as session:
        population = build_population(session)
        newsletter = allowed_subjects(session, policy, "newsletter", None)
        security = allowed_subjects(session, policy, "security", None)
        delivery = allowed_subjects(session, policy, "service_delivery", None)
        legal = allowed_subjects(session, policy, "legal_compliance", None)
    names = {v: k for k, v in population.items()}
    assert {names[s] for s in newsletter} == {
        f"given/{r}/{o}/active"
        for r in ("free", "security", "lifted")
        for o in ("none", "security", "direct_marketing", "overridden")
    }
    assert {names[s] for s in security} == {
        f"{c}/{r}/{o}/active"
        for c in ("never", "given", "withdrawn")
        for r in ("free", "newsletter", "lifted")
        for o in ("none", "direct_marketing", "newsletter", "overridden")
    }
    assert {names[s] for s in delivery} == {
        f"{c}/{r}/{o}/active"
        for c in ("never", "given", "withdrawn")
        for r in ("free", "newsletter", "security", "lifted")
        for o in ("none", "security", "direct_marketing", "newsletter", "overridden")
    }
    assert {names[s] for s in legal} == {n for n in population if n.endswith("/active")}


def test_an_audience_list_longer_than_any_parameter_limit(db: Database, policy: Policy) -> None:
    with db.session() as session:
        consented, silent = add_customer(session), add_customer(session)
        give(session, consented, "newsletter", True, T0)
        strangers = [new_id() for _ in range(70_000)]  # beyond SQLite's and PostgreSQL's limits
        ids = [*strangers, consented, silent]
        assert allowed_subjects(session, policy, "newsletter", ids) == {consented}
        assert allowed_subjects(session, policy, "service_delivery", ids) == {consented, silent}
        assert allowed_subjects(session, policy, "service_delivery", []) == set()
