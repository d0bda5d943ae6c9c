"""Consent switches: one per consent purpose of the policy, worded as the policy words it.

Switching records a consent event (`record_consent`) whose proof is the exact prompt
the customer saw, in the language they saw it in. Setting a switch to where it already
stands records nothing, so a form sent twice leaves one event.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from trackguard.policy import Policy
from trackguard.policy.model import Purpose
from trackguard.privacy.consent import (
    ConsentState,
    consent_state,
    known_purpose,
    record_consent,
)
from trackguard.runtime import Runtime
from trackguard.store.models import ConsentEvent

CONSENT_CATEGORY = str(ConsentEvent.__table__.c.purpose.info["category"])


@dataclass(frozen=True)
class ConsentChoice:
    purpose: str
    name: str
    description: str
    prompt: str  # what the customer agrees to, word for word
    state: ConsentState


def prompt_of(purpose: Purpose, lang: str) -> str:
    """The words a consent is given to: the policy's prompt, else the purpose itself."""
    if purpose.consent_prompt is not None:
        return purpose.consent_prompt.get(lang)
    return purpose.description.get(lang)


def consent_choices(
    session: Session, policy: Policy, customer_id: str, lang: str
) -> list[ConsentChoice]:
    states = consent_state(session, customer_id, policy=policy)
    return [
        ConsentChoice(
            purpose=p.key,
            name=p.name.get(lang),
            description=p.description.get(lang),
            prompt=prompt_of(p, lang),
            state=states[p.key],
        )
        for p in policy.consent_purposes()
    ]


def switch_consent(
    runtime: Runtime,
    customer_id: str,
    purpose: str,
    *,
    given: bool,
    lang: str,
    channel: str,
) -> bool:
    """Give or withdraw consent for `purpose`; False when it already stood that way."""
    policy = runtime.policy
    declared = known_purpose(policy, purpose)  # UnknownPurpose (404) for a made-up key
    with runtime.db.session() as session:
        state = consent_state(session, customer_id, policy=policy).get(purpose)
        if state is not None and state.given == given:
            return False
        # A purpose on another legal basis has no state: record_consent refuses it.
        record_consent(
            session,
            customer_id=customer_id,
            purpose=purpose,
            given=given,
            channel=channel,
            proof=prompt_of(declared, lang),
            policy_version=policy.version_id,
            at=runtime.clock(),
            policy=policy,
        )
    return True
