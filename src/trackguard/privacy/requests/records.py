"""Reading rights requests and writing their history: events, audit entries, notices.

Every step of a request writes one `request_events` row (what happened, who did
it, what the subject was told) and one audit entry, in the caller's transaction,
so the step and its record commit together or not at all. A notice for the subject
is queued in that transaction too and delivered after it commits (`outbox`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.errors import NotFound
from trackguard.mail import Mailer
from trackguard.privacy.audit import AuditLog
from trackguard.privacy.requests.deadlines import is_overdue
from trackguard.privacy.requests.notices import Notice
from trackguard.privacy.requests.outbox import Outbox
from trackguard.privacy.requests.subjects import Contact
from trackguard.runtime import Runtime
from trackguard.store.models import Customer, IdentityDocument, RequestEvent, RightsRequest

# The purpose every step of a request is processed for (the policy must declare it).
RIGHTS_PURPOSE = "privacy_rights"
REQUEST_CATEGORY = str(RightsRequest.__table__.c.details.info["category"])
EMAIL_CATEGORY = str(Customer.__table__.c.email.info["category"])


@dataclass(frozen=True)
class Actor:
    """Who takes a step: "subject" (the person themselves), "system", or a staff login."""

    name: str
    role: str


OPERATOR = Actor("operator", "operator")
SUBJECT = Actor("subject", "subject")
SYSTEM = Actor("system", "system")


@dataclass(frozen=True)
class EventView:
    at: datetime
    status: str
    actor: str
    notice: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": iso(self.at),
            "status": self.status,
            "actor": self.actor,
            "notice": self.notice,
        }


@dataclass(frozen=True)
class RequestView:
    """A request as callers see it; `details` without sealed values (see rectification)."""

    id: str
    customer_id: str | None
    type: str
    status: str
    received: datetime
    due: datetime
    overdue: bool
    verified: datetime | None
    verification_method: str | None
    completed: datetime | None
    outcome: str | None
    extended: datetime | None
    extension_reason: str | None
    details: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "status": self.status,
            "customer_id": self.customer_id,
            "received": iso(self.received),
            "due": iso(self.due),
            "overdue": self.overdue,
            "verified": iso(self.verified),
            "verification_method": self.verification_method,
            "completed": iso(self.completed),
            "outcome": self.outcome,
            "extended": iso(self.extended),
            "extension_reason": self.extension_reason,
            "details": self.details,
        }


def iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def public_details(details: dict[str, Any] | None) -> dict[str, Any]:
    """The details without sealed correction values: only which fields they correct."""
    shown = dict(details or {})
    sealed = shown.pop("corrections", None)
    if isinstance(sealed, dict):
        shown["fields"] = sorted(sealed)
    return shown


def view(request: RightsRequest, now: datetime) -> RequestView:
    return RequestView(
        id=request.id,
        customer_id=request.customer_id,
        type=request.type,
        status=request.status,
        received=as_utc(request.received_at),
        due=as_utc(request.due_at),
        overdue=is_overdue(request, now),
        verified=as_utc(request.verified_at) if request.verified_at else None,
        verification_method=request.verification_method,
        completed=as_utc(request.completed_at) if request.completed_at else None,
        outcome=request.outcome,
        extended=as_utc(request.extended_at) if request.extended_at else None,
        extension_reason=request.extension_reason,
        details=public_details(request.details),
    )


def load(session: Session, request_id: str, *, for_update: bool = False) -> RightsRequest:
    """The request `request_id`; locked against concurrent steps when `for_update`."""
    query = select(RightsRequest).where(RightsRequest.id == request_id)
    if for_update:
        query = query.with_for_update()
    found = session.scalar(query)
    if found is None:
        raise NotFound(f"no rights request '{request_id}'")
    return found


def events_of(session: Session, request_id: str) -> list[EventView]:
    rows = session.scalars(
        select(RequestEvent)
        .where(RequestEvent.request_id == request_id)
        .order_by(RequestEvent.at, RequestEvent.id)
    )
    return [EventView(as_utc(e.at), e.status, e.actor, e.notice) for e in rows]


def discard_id_copies(session: Session, request_id: str) -> int:
    """Delete the request's ID copies: verification has ended (verified, or refused)."""
    result = session.execute(
        delete(IdentityDocument)
        .where(IdentityDocument.request_id == request_id)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


class History:
    """Writes the events and audit entries of one runtime's requests."""

    def __init__(self, runtime: Runtime) -> None:
        runtime.policy.purpose(RIGHTS_PURPOSE)  # PolicyError if the policy lacks it
        self.runtime = runtime
        self.audit = AuditLog(runtime.clock)
        self.outbox = Outbox(runtime)

    def now(self) -> datetime:
        return as_utc(self.runtime.clock())

    def step(
        self,
        session: Session,
        request: RightsRequest,
        status: str,
        actor: Actor,
        *,
        notice: str | None = None,
        categories: tuple[str, ...] = (),
        link_subject: bool = True,
    ) -> None:
        """Record one step: an event row and an audit entry `rights_request.<status>`.

        `link_subject=False` after an erasure: the audit entry must not point at the
        erased subject again (their earlier entries were just shredded).
        """
        session.add(
            RequestEvent(
                request_id=request.id,
                at=self._event_time(session, request.id),
                status=status,
                actor=actor.name,
                notice=notice,
            )
        )
        self.audit.append(
            session,
            actor=actor.name,
            role=actor.role,
            purpose=RIGHTS_PURPOSE,
            subject_id=request.customer_id if link_subject else None,
            categories=[REQUEST_CATEGORY, *categories],
            action=f"rights_request.{status}",
        )

    def tell(
        self,
        session: Session,
        contact: Contact,
        notice: Notice,
        *,
        link_subject: bool = True,
        not_after: datetime | None = None,
        replaces: str | None = None,
    ) -> str | None:
        """Queue `notice` for the address on file in the caller's transaction; returns the
        message id to `deliver` after commit, or None when there is no address.

        `link_subject=False` after an erasure: the message belongs to nobody on file."""
        if contact.email is None:
            return None
        return self.outbox.queue(
            session,
            customer_id=contact.customer_id if link_subject else None,
            to=contact.email,
            subject=notice.subject,
            body=notice.body,
            purpose=RIGHTS_PURPOSE,
            audit_action="rights_request.notice_emailed",
            reply_to=self.runtime.policy.controller.privacy_contact.email,
            not_after=not_after,
            replaces=replaces,
        )

    def deliver(self, message_id: str | None, mailer: Mailer | None = None) -> bool:
        """After commit: hand the queued notice to the relay. False when there was none or
        the relay did not take it now (it stays queued and `serve` retries it)."""
        if message_id is None:
            return False
        return message_id in Outbox(self.runtime, mailer).deliver([message_id])

    def _event_time(self, session: Session, request_id: str) -> datetime:
        # Events are shown in time order; steps within one clock tick (a fixed test clock,
        # a fast machine) still get distinct, increasing times.
        now = self.now()
        last = session.scalar(
            select(func.max(RequestEvent.at)).where(RequestEvent.request_id == request_id)
        )
        if last is not None and as_utc(last) >= now:
            return as_utc(last) + timedelta(microseconds=1)
        return now
