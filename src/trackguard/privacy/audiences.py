"""The processing paths that select people: marketing audiences, analytics, profiling,
and disclosure to third parties. Each asks the purpose gate, so a subject who withdrew
consent, restricted processing or objected is left out at once.

Each path accepts only purposes of its own kind, judged from the purpose's fideslang data
use (a newsletter audience cannot be built for "analytics"), so a caller cannot route
around the gate's stricter rules by naming a milder purpose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from trackguard.errors import TrackguardError
from trackguard.policy import Policy
from trackguard.policy.model import Purpose
from trackguard.privacy.choices import is_direct_marketing
from trackguard.privacy.consent import known_purpose
from trackguard.privacy.gate import Decision, allowed_subjects, can_all

# fideslang data uses: analytics sits under "analytics"; profiling is what a data use
# names as profiling or targeting (e.g. marketing.advertising.third_party.targeted).
ANALYTICS_USE = "analytics"
PROFILING_SEGMENTS = frozenset({"profiling", "profiled", "targeted"})


class WrongAudiencePurpose(TrackguardError):
    """The purpose is not of the kind this processing path serves."""


def is_analytics(purpose: Purpose) -> bool:
    use = purpose.data_use
    return use == ANALYTICS_USE or use.startswith(ANALYTICS_USE + ".")


def is_profiling(purpose: Purpose) -> bool:
    return bool(PROFILING_SEGMENTS.intersection(purpose.data_use.split(".")))


def marketing_audience(
    session: Session,
    policy: Policy,
    purpose: str,
    *,
    at: datetime,
    subject_ids: Iterable[str] | None = None,
) -> list[str]:
    """Customer ids that may receive direct marketing (newsletters, offers) for `purpose`."""
    _require(policy, purpose, is_direct_marketing, "a direct-marketing")
    return sorted(allowed_subjects(session, policy, purpose, subject_ids, at=at))


def analytics_subjects(
    session: Session,
    policy: Policy,
    purpose: str,
    *,
    at: datetime,
    subject_ids: Iterable[str] | None = None,
) -> list[str]:
    """Customer ids whose data may go into analytics (statistics, reports) for `purpose`."""
    _require(policy, purpose, is_analytics, "an analytics")
    return sorted(allowed_subjects(session, policy, purpose, subject_ids, at=at))


def profiling_subjects(
    session: Session,
    policy: Policy,
    purpose: str,
    *,
    at: datetime,
    subject_ids: Iterable[str] | None = None,
) -> list[str]:
    """Customer ids that may be profiled (e.g. for targeted advertising) for `purpose`."""
    _require(policy, purpose, is_profiling, "a profiling")
    return sorted(allowed_subjects(session, policy, purpose, subject_ids, at=at))


def disclosure_allowed(
    session: Session,
    policy: Policy,
    subject_id: str,
    recipient_key: str,
    *,
    at: datetime,
    purpose: str | None = None,
) -> Decision:
    """May the subject's personal data be disclosed to the policy's recipient?

    Without `purpose`, every purpose the policy names for the recipient must pass the
    gate; with it, that one purpose, which must be one of the recipient's. A recipient the
    policy lists as receiving no personal data (anonymised information only) gets none.
    """
    recipient = next((r for r in policy.recipients if r.key == recipient_key), None)
    if recipient is None:
        return Decision(False, "unknown_recipient")
    if not recipient.personal_data:
        return Decision(False, "anonymised_only")
    if purpose is not None and purpose not in recipient.purposes:
        return Decision(False, "not_a_recipient_purpose", purpose)
    purposes = [purpose] if purpose is not None else list(recipient.purposes)
    return can_all(session, policy, subject_id, purposes, at=at)


def _require(policy: Policy, key: str, kind: Callable[[Purpose], bool], label: str) -> None:
    purpose = known_purpose(policy, key)
    if not kind(purpose):
        raise WrongAudiencePurpose(f"purpose '{key}' is not {label} purpose")
