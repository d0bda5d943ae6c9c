"""The consent ledger: append-only consent events, and the state derived from them.

A consent is given or withdrawn by writing an event (same function both ways: withdrawing
is as easy as giving, Art. 7(3)). Nothing is ever updated; the current state per purpose
is the latest event at or before a moment. Only purposes the policy bases on consent can
be consented to; every other purpose rests on its own legal basis.

Events for one subject and purpose are kept in time order: an event older than the
latest is refused, and one at the very same instant is recorded one microsecond later,
so "the latest event" is never ambiguous (the table has no sequence column).

This module also holds what the privacy-choice modules share: the look-up of a live
(known, not erased) customer, the audited write of a choice row, and the errors for
unknown subjects and purposes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from trackguard.clock import as_utc, fixed_clock
from trackguard.errors import NotFound, TrackguardError
from trackguard.policy import Policy, load_policy
from trackguard.policy.model import Purpose
from trackguard.privacy.audit import AuditLog
from trackguard.settings import PACKAGED_POLICY
from trackguard.store.models import ConsentEvent, Customer

# Customer statuses the erasure and anonymisation code leave behind; `anonymised_at`
# being set means the same.
GONE_STATUSES = frozenset({"erased", "anonymised"})

ConsentStatus = Literal["given", "withdrawn", "never"]

# Kantara Consent Receipt v1.1 (the shape ISO/IEC TS 27560 grew from).
RECEIPT_VERSION = "KI-CR-v1.1.0"
_RECEIPT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:trackguard:consent-receipt")
# GDPR Art. 9/10 special categories, as fideslang key prefixes: a receipt marks them sensitive.
_SPECIAL_CATEGORY_PREFIXES = (
    "user.biometric",
    "user.genetic",
    "user.health_and_medical",
    "user.criminal_history",
    "user.demographic.race_ethnicity",
    "user.demographic.religious_belief",
    "user.demographic.political_opinion",
    "user.demographic.sexual_orientation",
    "user.demographic.union_membership",
)
# The statement asks "uw expliciete toestemming": every consent is an explicit opt-in.
_CONSENT_TYPE = "EXPLICIT"
# Recipient kinds that are not the controller's own processors or group companies.
_THIRD_PARTY_KINDS = frozenset({"third_party", "public", "acquirer", "authority"})


class UnknownSubject(NotFound):
    """No customer with that id."""


class SubjectErased(NotFound):
    """The customer was erased or anonymised: nothing may be recorded or processed."""


class UnknownPurpose(NotFound):
    """The policy has no purpose with that key."""


class NotAConsentPurpose(TrackguardError):
    """The purpose rests on another legal basis than consent, so it takes no consent."""


class InvalidConsent(TrackguardError):
    """A consent event is missing its channel, proof or policy version, or is out of order."""


@dataclass(frozen=True)
class ConsentState:
    """Where a subject stands on one consent purpose."""

    purpose: str
    status: ConsentStatus
    since: datetime | None = None  # time of the event that set the status
    policy_version: str | None = None  # the policy the subject saw then
    channel: str | None = None

    @property
    def given(self) -> bool:
        return self.status == "given"


# --- shared look-ups ----------------------------------------------------------------------


@lru_cache(maxsize=1)
def _packaged_policy() -> Policy:
    return load_policy(PACKAGED_POLICY)


def policy_or_packaged(policy: Policy | None) -> Policy:
    """The policy the caller runs under; the packaged one when the caller has none.

    Callers with a runtime should pass `runtime.policy` (a custom policy file may differ).
    """
    return policy if policy is not None else _packaged_policy()


def known_purpose(policy: Policy, key: str) -> Purpose:
    for purpose in policy.purposes:
        if purpose.key == key:
            return purpose
    raise UnknownPurpose(f"the policy has no purpose '{key}'")


def is_gone(status: str | None, anonymised_at: datetime | None) -> bool:
    """Whether a customer row is what erasure or anonymisation left of a person."""
    return anonymised_at is not None or status in GONE_STATUSES


def gone_clause() -> ColumnElement[bool]:
    """`is_gone` as SQL over the customers table."""
    return or_(Customer.anonymised_at.is_not(None), Customer.status.in_(sorted(GONE_STATUSES)))


def live_customer(session: Session, customer_id: str) -> Customer:
    """The customer, or UnknownSubject / SubjectErased."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise UnknownSubject("no such customer")
    if is_gone(customer.status, customer.anonymised_at):
        raise SubjectErased("the customer was erased or anonymised")
    return customer


def audit_choice(
    session: Session,
    policy: Policy,
    *,
    table: str,
    customer_id: str,
    action: str,
    actor: str,
    at: datetime,
) -> None:
    """One audit entry for a change to a privacy-choice record, under the record's own
    purpose and categories as the policy declares them; the subject id is its only link."""
    record = policy.record(table)
    AuditLog(fixed_clock(at)).append(
        session,
        actor=actor,
        role=actor if actor in ("subject", "system") else "staff",
        purpose=record.purposes[0],
        subject_id=customer_id,
        categories=record.categories,
        action=action,
    )


def save_choice(
    session: Session, policy: Policy, row: Any, *, action: str, actor: str, at: datetime
) -> None:
    """Write a new or changed privacy-choice row, then its audit entry (`audit_choice`)."""
    session.add(row)  # a no-op for a row the session already holds
    session.flush()
    audit_choice(
        session,
        policy,
        table=row.__tablename__,
        customer_id=row.customer_id,
        action=action,
        actor=actor,
        at=at,
    )


# --- the ledger -----------------------------------------------------------------------------


def record_consent(
    session: Session,
    *,
    customer_id: str,
    purpose: str,
    given: bool,
    channel: str,
    proof: str,
    policy_version: str,
    at: datetime,
    policy: Policy | None = None,
    actor: str = "subject",
) -> ConsentEvent:
    """Append one consent event: `given=True` gives consent, `given=False` withdraws it."""
    policy = policy_or_packaged(policy)
    declared = known_purpose(policy, purpose)
    if declared.legal_basis != "consent":
        raise NotAConsentPurpose(
            f"purpose '{purpose}' rests on {declared.legal_basis}, not on consent"
        )
    _check_event_fields(channel=channel, proof=proof, policy_version=policy_version)
    live_customer(session, customer_id)
    moment = _ledger_moment(session, customer_id, purpose, as_utc(at))
    event = ConsentEvent(
        customer_id=customer_id,
        purpose=purpose,
        given=given,
        channel=channel,
        proof=proof,
        policy_version=policy_version,
        at=moment,
    )
    save_choice(session, policy, event, action="consent.record", actor=actor, at=moment)
    return event


def _check_event_fields(*, channel: str, proof: str, policy_version: str) -> None:
    columns = ConsentEvent.__table__.c
    for name, value in (("channel", channel), ("policy_version", policy_version)):
        limit = getattr(columns[name].type, "length", None)
        if not value or not value.strip() or (limit and len(value) > limit):
            raise InvalidConsent(f"consent {name} must be 1 to {limit} characters")
    if not proof or not proof.strip():
        raise InvalidConsent("consent proof (the text the subject agreed to) is required")


def _ledger_moment(session: Session, customer_id: str, purpose: str, at: datetime) -> datetime:
    latest = session.scalar(
        select(func.max(ConsentEvent.at)).where(
            ConsentEvent.customer_id == customer_id, ConsentEvent.purpose == purpose
        )
    )
    if latest is None:
        return at
    latest = as_utc(latest)
    if at < latest:
        raise InvalidConsent("a consent event may not predate the latest one for its purpose")
    return latest + timedelta(microseconds=1) if at == latest else at


def consent_history(session: Session, customer_id: str) -> list[ConsentEvent]:
    """Every consent event of the subject, oldest first."""
    return list(
        session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.customer_id == customer_id)
            .order_by(ConsentEvent.at, ConsentEvent.purpose)
        )
    )


def latest_events(
    session: Session, customer_id: str, *, at: datetime | None = None
) -> dict[str, ConsentEvent]:
    """The latest event per purpose at or before `at` (all events when `at` is None)."""
    query = select(ConsentEvent).where(ConsentEvent.customer_id == customer_id)
    if at is not None:
        query = query.where(ConsentEvent.at <= as_utc(at))
    latest: dict[str, ConsentEvent] = {}
    for event in session.scalars(query.order_by(ConsentEvent.at)):
        latest[event.purpose] = event
    return latest


def consent_state(
    session: Session,
    customer_id: str,
    *,
    at: datetime | None = None,
    policy: Policy | None = None,
) -> dict[str, ConsentState]:
    """The state of every consent purpose of the policy for the subject."""
    policy = policy_or_packaged(policy)
    latest = latest_events(session, customer_id, at=at)
    states: dict[str, ConsentState] = {}
    for purpose in policy.consent_purposes():
        event = latest.get(purpose.key)
        if event is None:
            states[purpose.key] = ConsentState(purpose.key, "never")
            continue
        states[purpose.key] = ConsentState(
            purpose=purpose.key,
            status="given" if event.given else "withdrawn",
            since=as_utc(event.at),
            policy_version=event.policy_version,
            channel=event.channel,
        )
    return states


def has_consent(
    session: Session, customer_id: str, purpose: str, *, at: datetime | None = None
) -> bool:
    """Whether the subject's latest consent event for `purpose` (at or before `at`) gives it."""
    query = select(ConsentEvent.given).where(
        ConsentEvent.customer_id == customer_id, ConsentEvent.purpose == purpose
    )
    if at is not None:
        query = query.where(ConsentEvent.at <= as_utc(at))
    latest = session.execute(query.order_by(ConsentEvent.at.desc()).limit(1)).first()
    return bool(latest is not None and latest.given)


# --- receipts -----------------------------------------------------------------------------


def consent_receipt(
    policy: Policy,
    session: Session,
    customer_id: str,
    *,
    at: datetime,
    lang: str = "en",
    policy_url: str | None = None,
) -> dict[str, Any]:
    """A Kantara Consent Receipt (v1.1) of the consents the subject has given as of `at`.

    The principal is named by the customer id (random, pseudonymous), never by e-mail.
    `policy_url` is where the statement is published (default: the controller's website).
    """
    live_customer(session, customer_id)
    moment = as_utc(at)
    latest = latest_events(session, customer_id, at=moment)
    given = [
        (purpose, latest[purpose.key])
        for purpose in policy.consent_purposes()
        if purpose.key in latest and latest[purpose.key].given
    ]
    events = [event for _, event in given]
    categories = sorted({c for purpose, _ in given for c in purpose.categories})
    special = [c for c in categories if c.startswith(_SPECIAL_CATEGORY_PREFIXES)]
    consented_at = max((as_utc(e.at) for e in events), default=moment)
    controller = policy.controller
    return {
        "version": RECEIPT_VERSION,
        "jurisdiction": controller.address.country,
        "consentTimestamp": int(consented_at.timestamp()),
        "collectionMethod": ", ".join(sorted({e.channel for e in events})) or "none",
        "consentReceiptID": str(
            uuid.uuid5(
                _RECEIPT_NAMESPACE,
                "|".join([customer_id, moment.isoformat(), *sorted(e.id for e in events)]),
            )
        ),
        "language": lang,
        "piiPrincipalId": customer_id,
        "piiControllers": [
            {
                "piiController": controller.name,
                "onBehalf": False,
                "contact": controller.privacy_contact.role.get(lang),
                "address": {
                    "streetAddress": controller.address.street,
                    "postalCode": controller.address.postal_code,
                    "addressLocality": controller.address.city,
                    "addressCountry": controller.address.country,
                },
                "email": controller.privacy_contact.email,
                "phone": controller.phone,
                "piiControllerUrl": controller.website,
            }
        ],
        "policyUrl": policy_url or controller.website,
        "services": [
            {
                "service": purpose.name.get(lang),
                "purposes": [_receipt_purpose(policy, purpose, event, lang)],
            }
            for purpose, event in given
        ],
        "sensitive": bool(special),
        "spiCat": special,
    }


def _receipt_purpose(
    policy: Policy, purpose: Purpose, event: ConsentEvent, lang: str
) -> dict[str, Any]:
    third_parties = [
        r.name.get(lang)
        for r in policy.recipients_for(purpose.key)
        if r.kind in _THIRD_PARTY_KINDS and r.personal_data
    ]
    entry: dict[str, Any] = {
        "purpose": purpose.description.get(lang),
        "purposeCategory": [purpose.data_use, purpose.dpv],
        "consentType": _CONSENT_TYPE,
        "piiCategory": [policy.category(c).name.get(lang) for c in purpose.categories],
        "primaryPurpose": False,  # consent purposes come on top of the service itself
        "termination": _termination(policy, purpose, lang),
        "thirdPartyDisclosure": bool(third_parties),
    }
    if third_parties:
        entry["thirdPartyName"] = ", ".join(third_parties)
    return entry


def _termination(policy: Policy, purpose: Purpose, lang: str) -> str:
    """How the consent ends: the retention rule acting on withdrawal, else the right."""
    for rule in policy.retention.rules:
        if rule.trigger == "consent_withdrawal" and rule.purpose == purpose.key:
            return rule.statement.get(lang)
    return policy.right("withdraw_consent").description.get(lang)
