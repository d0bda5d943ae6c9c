"""The consent ledger: append-only events, the state derived from them, receipts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from trackguard.policy import Policy, load_policy, packaged_policy_path
from trackguard.privacy.audit import list_entries, verify
from trackguard.privacy.consent import (
    RECEIPT_VERSION,
    InvalidConsent,
    NotAConsentPurpose,
    SubjectErased,
    UnknownPurpose,
    UnknownSubject,
    consent_history,
    consent_receipt,
    consent_state,
    has_consent,
    record_consent,
)
from trackguard.store.base import new_id
from trackguard.store.engine import Database
from trackguard.store.models import ConsentEvent, Customer

T0 = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(packaged_policy_path())


def add_customer(db: Database, *, status: str = "active", anonymised: bool = False) -> str:
    customer_id = new_id()
    with db.session() as session:
        session.add(
            Customer(
                id=customer_id,
                created_at=T0 - timedelta(days=30),
                status=status,
                anonymised_at=T0 - HOUR if anonymised else None,
            )
        )
    return customer_id


def consent(
    db: Database,
    policy: Policy,
    customer_id: str,
    purpose: str,
    given: bool,
    at: datetime,
    *,
    version: str | None = None,
    channel: str = "portal",
) -> ConsentEvent:
    declared = next((p for p in policy.purposes if p.key == purpose), None)
    prompt = declared.consent_prompt if declared else None
    with db.session() as session:
        return record_consent(
            session,
            customer_id=customer_id,
            purpose=purpose,
            given=given,
            channel=channel,
            proof=prompt.en if prompt else "the text shown",
            policy_version=version or policy.version_id,
            at=at,
            policy=policy,
        )


def event_count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(ConsentEvent)) or 0)


def test_state_follows_give_withdraw_give_again(db: Database, policy: Policy) -> None:
    subject = add_customer(db)
    consent(db, policy, subject, "newsletter", True, T0, version="2019-05-13.1+old")
    consent(db, policy, subject, "newsletter", False, T0 + HOUR)
    consent(db, policy, subject, "newsletter", True, T0 + 2 * HOUR, channel="app")
    with db.session() as session:
        now = consent_state(session, subject, policy=policy)["newsletter"]
        between = consent_state(session, subject, at=T0 + 90 * timedelta(minutes=1))
        first = consent_state(session, subject, at=T0)["newsletter"]
        before = consent_state(session, subject, at=T0 - HOUR)["newsletter"]
    assert (now.status, now.since, now.channel) == ("given", T0 + 2 * HOUR, "app")
    assert now.policy_version == policy.version_id
    assert between["newsletter"].status == "withdrawn"
    assert (first.status, first.policy_version) == ("given", "2019-05-13.1+old")
    assert before.status == "never" and before.since is None
    assert now.given and not between["newsletter"].given


def test_state_lists_every_consent_purpose_of_the_policy(db: Database, policy: Policy) -> None:
    subject = add_customer(db)
    consent(db, policy, subject, "advertising", True, T0)
    with db.session() as session:
        states = consent_state(session, subject, policy=policy)
    assert set(states) == {p.key for p in policy.consent_purposes()}
    assert states["advertising"].status == "given"
    assert {s.status for k, s in states.items() if k != "advertising"} == {"never"}


def test_has_consent_reads_the_latest_event_at_a_moment(db: Database, policy: Policy) -> None:
    subject = add_customer(db)
    consent(db, policy, subject, "newsletter", True, T0)
    consent(db, policy, subject, "newsletter", False, T0 + HOUR)
    with db.session() as session:
        assert not has_consent(session, subject, "newsletter", at=T0 - HOUR)
        assert has_consent(session, subject, "newsletter", at=T0)
        assert not has_consent(session, subject, "newsletter", at=T0 + HOUR)
        assert not has_consent(session, subject, "newsletter")
        assert not has_consent(session, subject, "advertising", at=T0)


def test_withdrawal_is_as_easy_as_giving_and_takes_effect_at_once(
    db: Database, policy: Policy
) -> None:
    subject = add_customer(db)
    consent(db, policy, subject, "social_media", True, T0)
    with db.session() as session:
        assert has_consent(session, subject, "social_media")
        record_consent(
            session,
            customer_id=subject,
            purpose="social_media",
            given=False,
            channel="email",
            proof="Withdrawn by reply to our e-mail",
            policy_version=policy.version_id,
            at=T0 + HOUR,
            policy=policy,
        )
        assert not has_consent(session, subject, "social_media")


def test_events_at_the_same_instant_stay_in_order(db: Database, policy: Policy) -> None:
    subject = add_customer(db)
    consent(db, policy, subject, "newsletter", True, T0)
    second = consent(db, policy, subject, "newsletter", False, T0)
    assert second.at == T0 + timedelta(microseconds=1)
    with db.session() as session:
        assert not has_consent(session, subject, "newsletter")
        assert consent_state(session, subject, policy=policy)["newsletter"].status == "withdrawn"


def test_an_event_older_than_the_latest_is_refused(db: Database, policy: Policy) -> None:
    subject = add_customer(db)
    consent(db, policy, subject, "newsletter", True, T0)
    with pytest.raises(InvalidConsent, match="predate"):
        consent(db, policy, subject, "newsletter", False, T0 - HOUR)
    consent(db, policy, subject, "advertising", True, T0 - HOUR)  # another purpose: fine
    assert event_count(db) == 2


def test_history_lists_every_event_oldest_first(db: Database, policy: Policy) -> None:
    subject, other = add_customer(db), add_customer(db)
    consent(db, policy, subject, "newsletter", True, T0 + HOUR)
    consent(db, policy, subject, "advertising", True, T0)
    consent(db, policy, other, "newsletter", True, T0)
    consent(db, policy, subject, "newsletter", False, T0 + 2 * HOUR)
    with db.session() as session:
        history = consent_history(session, subject)
    assert [(e.purpose, e.given, e.at) for e in history] == [
        ("advertising", True, T0),
        ("newsletter", True, T0 + HOUR),
        ("newsletter", False, T0 + 2 * HOUR),
    ]
    assert all(e.proof and e.channel == "portal" for e in history)


@pytest.mark.parametrize("purpose", ["service_delivery", "direct_marketing", "legal_compliance"])
def test_purposes_on_another_basis_take_no_consent(
    db: Database, policy: Policy, purpose: str
) -> None:
    subject = add_customer(db)
    with pytest.raises(NotAConsentPurpose, match=policy.purpose(purpose).legal_basis):
        consent(db, policy, subject, purpose, True, T0)
    assert event_count(db) == 0


def test_unknown_purpose_and_subject_are_refused(db: Database, policy: Policy) -> None:
    subject = add_customer(db)
    with pytest.raises(UnknownPurpose):
        consent(db, policy, subject, "selling_data", True, T0)
    with pytest.raises(UnknownSubject):
        consent(db, policy, new_id(), "newsletter", True, T0)
    assert event_count(db) == 0


@pytest.mark.parametrize(
    ("status", "anonymised"), [("erased", False), ("anonymised", True), ("active", True)]
)
def test_erased_or_anonymised_subjects_are_refused(
    db: Database, policy: Policy, status: str, anonymised: bool
) -> None:
    subject = add_customer(db, status=status, anonymised=anonymised)
    with pytest.raises(SubjectErased):
        consent(db, policy, subject, "newsletter", True, T0)
    assert event_count(db) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("channel", ""), ("channel", "x" * 21), ("proof", "  "), ("policy_version", "")],
)
def test_an_event_needs_channel_proof_and_policy_version(
    db: Database, policy: Policy, field: str, value: str
) -> None:
    subject = add_customer(db)
    fields = {"channel": "portal", "proof": "I agree", "policy_version": policy.version_id}
    fields[field] = value
    with db.session() as session, pytest.raises(InvalidConsent):
        record_consent(
            session,
            customer_id=subject,
            purpose="newsletter",
            given=True,
            at=T0,
            policy=policy,
            **fields,
        )
    assert event_count(db) == 0


def test_each_event_writes_an_audit_entry_without_personal_data(
    db: Database, policy: Policy
) -> None:
    subject = add_customer(db)
    consent(db, policy, subject, "newsletter", True, T0)
    consent(db, policy, subject, "newsletter", False, T0 + HOUR)
    with db.session() as session:
        entries = list_entries(session, subject_id=subject)
    assert [(e.action, e.at) for e in entries] == [
        ("consent.record", T0),
        ("consent.record", T0 + HOUR),
    ]
    record = policy.record("consent_events")
    for entry in entries:
        assert entry.purpose == record.purposes[0]
        assert entry.categories == sorted(record.categories)
        assert "newsletter" not in f"{entry.actor} {entry.role} {entry.action}"
    assert verify(db).ok


# --- receipts -------------------------------------------------------------------------------


def test_receipt_has_the_kantara_shape(db: Database, policy: Policy) -> None:
    subject = add_customer(db)
    consent(db, policy, subject, "newsletter", True, T0, channel="portal")
    consent(db, policy, subject, "third_party_marketing", True, T0 + HOUR, channel="app")
    consent(db, policy, subject, "advertising", True, T0)
    consent(db, policy, subject, "advertising", False, T0 + HOUR)
    with db.session() as session:
        receipt = consent_receipt(policy, session, subject, at=T0 + 2 * HOUR)
    json.dumps(receipt)  # plain JSON
    assert {
        "version",
        "jurisdiction",
        "consentTimestamp",
        "collectionMethod",
        "consentReceiptID",
        "language",
        "piiPrincipalId",
        "piiControllers",
        "policyUrl",
        "services",
        "sensitive",
        "spiCat",
    } <= set(receipt)
    assert receipt["version"] == RECEIPT_VERSION
    assert receipt["jurisdiction"] == policy.controller.address.country
    assert receipt["consentTimestamp"] == int((T0 + HOUR).timestamp())
    assert receipt["collectionMethod"] == "app, portal"
    assert receipt["piiPrincipalId"] == subject
    (controller,) = receipt["piiControllers"]
    assert controller["piiController"] == policy.controller.name
    assert controller["email"] == policy.controller.privacy_contact.email
    assert controller["address"]["postalCode"] == policy.controller.address.postal_code
    assert receipt["sensitive"] is False and receipt["spiCat"] == []


def test_receipt_lists_only_live_consents_with_policy_facts(db: Database, policy: Policy) -> None:
    subject = add_customer(db)
    consent(db, policy, subject, "newsletter", True, T0)
    consent(db, policy, subject, "third_party_marketing", True, T0)
    consent(db, policy, subject, "social_media", True, T0)
    consent(db, policy, subject, "advertising", True, T0)
    consent(db, policy, subject, "advertising", False, T0 + HOUR)
    with db.session() as session:
        receipt = consent_receipt(policy, session, subject, at=T0 + HOUR, lang="nl")
    by_service = {s["service"]: s["purposes"][0] for s in receipt["services"]}
    names = {k: policy.purpose(k).name.nl for k in ("newsletter", "third_party_marketing")}
    assert set(by_service) == {
        names["newsletter"],
        names["third_party_marketing"],
        policy.purpose("social_media").name.nl,
    }
    newsletter = by_service[names["newsletter"]]
    declared = policy.purpose("newsletter")
    assert newsletter["purpose"] == declared.description.nl
    assert newsletter["purposeCategory"] == [declared.data_use, declared.dpv]
    assert newsletter["consentType"] == "EXPLICIT"
    assert newsletter["primaryPurpose"] is False
    assert newsletter["piiCategory"] == [policy.category(c).name.nl for c in declared.categories]
    assert newsletter["thirdPartyDisclosure"] is False
    assert newsletter["termination"] == policy.right("withdraw_consent").description.nl
    shared = by_service[names["third_party_marketing"]]
    assert shared["thirdPartyDisclosure"] is True
    assert policy.recipient("marketing_partners").name.nl in shared["thirdPartyName"]
    social = by_service[policy.purpose("social_media").name.nl]
    assert social["termination"] == policy.rule("social_media_consent").statement.nl


def test_receipt_names_the_subject_pseudonymously(db: Database, policy: Policy) -> None:
    subject = add_customer(db)
    consent(db, policy, subject, "newsletter", True, T0)
    with db.session() as session:
        first = consent_receipt(policy, session, subject, at=T0 + HOUR)
        again = consent_receipt(policy, session, subject, at=T0 + HOUR)
        later = consent_receipt(policy, session, subject, at=T0 + 2 * HOUR)
    assert first["piiPrincipalId"] == subject and "@" not in json.dumps(first["piiPrincipalId"])
    assert first["consentReceiptID"] == again["consentReceiptID"]
    assert first["consentReceiptID"] != later["consentReceiptID"]


def test_receipt_as_of_a_moment_ignores_later_events(db: Database, policy: Policy) -> None:
    subject = add_customer(db)
    consent(db, policy, subject, "newsletter", True, T0)
    consent(db, policy, subject, "newsletter", False, T0 + HOUR)
    with db.session() as session:
        then = consent_receipt(policy, session, subject, at=T0)
        now = consent_receipt(policy, session, subject, at=T0 + HOUR)
    assert len(then["services"]) == 1
    assert now["services"] == [] and now["collectionMethod"] == "none"


def test_receipt_for_an_erased_subject_is_refused(db: Database, policy: Policy) -> None:
    subject = add_customer(db, status="erased")
    with db.session() as session, pytest.raises(SubjectErased):
        consent_receipt(policy, session, subject, at=T0)
