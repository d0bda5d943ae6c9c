"""Complaints the customer files from the privacy centre or the API.

Stored as a `complaints` row, the text sealed by the vault under the customer's
correspondence key (kept by law up to 10 years, so erasure keeps it and retention
deletes it when the period ends); its filing is audited under the
record's own purpose. The page shows the supervisory authority's complaint link from
the policy next to the form: the customer may go there directly as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.errors import TrackguardError
from trackguard.privacy.consent import audit_choice, live_customer
from trackguard.runtime import Runtime
from trackguard.store.models import Complaint

MAX_COMPLAINT_CHARS = 5000
TOPIC = "privacy"  # complaints filed here are about the handling of personal data
COMPLAINT_CATEGORY = str(Complaint.__table__.c.body.info["category"])


class InvalidComplaint(TrackguardError):
    """A complaint needs text, and no more than MAX_COMPLAINT_CHARS of it."""


@dataclass(frozen=True)
class FiledComplaint:
    id: str
    filed: datetime
    status: str
    channel: str


def checked_text(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise InvalidComplaint("a complaint needs a text")
    if len(text) > MAX_COMPLAINT_CHARS:
        raise InvalidComplaint(f"a complaint is at most {MAX_COMPLAINT_CHARS} characters")
    return text


def file_complaint(
    runtime: Runtime, customer_id: str, body: str, *, channel: str
) -> FiledComplaint:
    text = checked_text(body)
    now = as_utc(runtime.clock())
    with runtime.db.session() as session:
        live_customer(session, customer_id)
        complaint = Complaint(
            customer_id=customer_id, filed_at=now, channel=channel, topic=TOPIC, status="open"
        )
        runtime.vault.seal(session, complaint, "body", text)
        session.add(complaint)
        session.flush()
        audit_choice(
            session,
            runtime.policy,
            table=Complaint.__tablename__,
            customer_id=customer_id,
            action="complaint.file",
            actor="subject",
            at=now,
        )
        return FiledComplaint(complaint.id, now, complaint.status, channel)


def own_complaints(session: Session, customer_id: str) -> list[FiledComplaint]:
    """The customer's complaints, newest first (without their text)."""
    rows = session.scalars(
        select(Complaint)
        .where(Complaint.customer_id == customer_id)
        .order_by(Complaint.filed_at.desc(), Complaint.id)
    )
    return [FiledComplaint(r.id, as_utc(r.filed_at), r.status, r.channel) for r in rows]
