"""The rights-request workflow: received → verified → in_progress → completed | refused.

Each public function is one step in its own transaction: it checks, changes the
request, records an event and an audit entry, and tells the subject where the
statement says so. A step that is not allowed raises and changes nothing.

* A new request is due `rights.deadline` (four weeks) after receipt. The same
  subject asking for the same thing again while the first is still open gets the
  open request back, and nothing is written.
* `extend` moves the due date at most `rights.extension.max` (two months) past the
  first deadline, needs a reason, and must be told to the subject within the first
  deadline (e-mailed to the address on file and kept as the event's notice).
* `refuse` needs a reason, told to the subject the same way.

A notice is queued in the step's transaction and e-mailed after it commits (`outbox`):
a relay that is down delays the notice, it neither undoes the step nor is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.mail import Mailer
from trackguard.privacy.requests import rectification
from trackguard.privacy.requests.deadlines import due_date, extended_due, is_overdue
from trackguard.privacy.requests.kinds import (
    OPEN,
    RequestError,
    Status,
    check_transition,
    checked_choice,
    is_open,
    request_type,
)
from trackguard.privacy.requests.notices import extension_notice, refusal_notice
from trackguard.privacy.requests.records import (
    OPERATOR,
    Actor,
    EventView,
    History,
    RequestView,
    discard_id_copies,
    events_of,
    load,
    view,
)
from trackguard.privacy.requests.subjects import (
    Contact,
    contact_of,
    customer_by_email,
    customer_by_id,
    is_erased,
    require_active,
)
from trackguard.runtime import Runtime
from trackguard.store.base import new_id
from trackguard.store.models import Customer, RightsRequest

_MAX_REASON = 2000


@dataclass(frozen=True)
class Submitted:
    request: RequestView
    created: bool  # False: an identical open request already existed and is returned


@dataclass(frozen=True)
class Told:
    """A step whose notice went to the subject. `emailed`: the relay took it. `queued`
    without `emailed`: the relay did not take it now; it waits in the outbox and `serve`
    retries it. Neither: no address is on file, so the operator must tell them another way."""

    request: RequestView
    emailed: bool
    queued: bool = False


def customer_id_for_email(runtime: Runtime, email: str) -> str:
    """The id of the (not erased) customer with this e-mail address."""
    with runtime.db.session() as session:
        customer = require_active(customer_by_email(session, runtime.vault, email))
        return customer.id


def submit_request(
    runtime: Runtime,
    *,
    customer_id: str,
    type: str,
    ground: str | None = None,
    purpose: str | None = None,
    corrections: Mapping[str, str] | None = None,
    actor: Actor = OPERATOR,
) -> Submitted:
    """Receive a request of `type` from the customer; see the module doc for duplicates."""
    kind = request_type(runtime.policy, type)
    details: dict[str, Any] = checked_choice(runtime.policy, kind, ground=ground, purpose=purpose)
    if corrections and not kind.needs_corrections:
        raise RequestError(f"a {kind.key} request takes no corrections (--set)")
    values = rectification.checked_corrections(corrections or {}) if kind.needs_corrections else {}
    history = History(runtime)
    now = history.now()
    with runtime.db.session() as session:
        # Locked: two identical submissions at once must not both find no duplicate.
        customer = require_active(customer_by_id(session, customer_id, for_update=True))
        if "email" in values:
            rectification.check_email_free(session, runtime.vault, customer.id, values["email"])
        existing = _open_duplicate(session, runtime, customer.id, kind.key, details, values)
        if existing is not None:
            return Submitted(view(existing, now), created=False)
        request = RightsRequest(
            id=new_id(),
            customer_id=customer.id,
            type=kind.key,
            status=Status.RECEIVED.value,
            received_at=now,
            due_at=due_date(now, runtime.policy.rights.deadline),
        )
        if values:
            details["corrections"] = rectification.seal_corrections(
                session,
                runtime.vault,
                customer_id=customer.id,
                request_id=request.id,
                values=values,
            )
        request.details = details or None
        session.add(request)
        session.flush()
        history.step(session, request, Status.RECEIVED, actor)
        return Submitted(view(request, now), created=True)


def _open_duplicate(
    session: Session,
    runtime: Runtime,
    customer_id: str,
    kind: str,
    details: dict[str, Any],
    values: Mapping[str, str],
) -> RightsRequest | None:
    candidates = session.scalars(
        select(RightsRequest)
        .where(
            RightsRequest.customer_id == customer_id,
            RightsRequest.type == kind,
            RightsRequest.status.in_([s.value for s in OPEN]),
        )
        .order_by(RightsRequest.received_at)
    )
    for candidate in candidates:
        stored = {k: v for k, v in (candidate.details or {}).items() if k != "corrections"}
        if stored != details:
            continue
        if values and not rectification.same_corrections(session, runtime.vault, candidate, values):
            continue
        return candidate
    return None


def get_request(runtime: Runtime, request_id: str) -> tuple[RequestView, list[EventView]]:
    """The request and its events, oldest first."""
    with runtime.db.session() as session:
        request = load(session, request_id)
        return view(request, runtime.clock()), events_of(session, request_id)


def list_requests(
    runtime: Runtime, *, status: str | None = None, overdue: bool = False
) -> list[RequestView]:
    """Requests, oldest due first; `overdue` keeps only open ones past their due date."""
    if status is not None and status not in {s.value for s in Status}:
        raise RequestError(
            f"unknown status '{status}': use one of {', '.join(s.value for s in Status)}"
        )
    now = as_utc(runtime.clock())
    query = select(RightsRequest).order_by(RightsRequest.due_at, RightsRequest.received_at)
    if status is not None:
        query = query.where(RightsRequest.status == status)
    if overdue:
        query = query.where(
            RightsRequest.status.in_([s.value for s in OPEN]), RightsRequest.due_at < now
        )
    with runtime.db.session() as session:
        found = [view(r, now) for r in session.scalars(query)]
    return [r for r in found if r.overdue] if overdue else found


def extend(
    runtime: Runtime,
    request_id: str,
    reason: str,
    months: int,
    *,
    actor: Actor = OPERATOR,
    mailer: Mailer | None = None,
) -> Told:
    """Extend the deadline by `months` past the first one, telling the subject why."""
    reason = _reason(reason, "an extension")
    history = History(runtime)
    now = history.now()
    with runtime.db.session() as session:
        request = load(session, request_id, for_update=True)
        if not is_open(request.status):
            raise RequestError(f"the request is already {request.status}: it cannot be extended")
        customer = require_active(customer_by_id(session, request.customer_id))
        rights = runtime.policy.rights
        extension = extended_due(
            received=request.received_at,
            deadline=rights.deadline,
            maximum=rights.extension.max,
            months=months,
            now=now,
        )
        if extension.due <= as_utc(request.due_at):
            raise RequestError("the request is already due on or after that date")
        request.due_at = extension.due
        request.extended_at = now
        request.extension_reason = reason
        contact = contact_of(session, runtime.vault, customer)
        notice = extension_notice(runtime.policy, reason, extension.due, contact.language)
        history.step(session, request, "extended", actor, notice=notice.record)
        message = history.tell(session, contact, notice)
        extended = view(request, now)
    return _told(history, extended, message, mailer)


def refuse(
    runtime: Runtime,
    request_id: str,
    reason: str,
    *,
    actor: Actor = OPERATOR,
    mailer: Mailer | None = None,
) -> Told:
    """Refuse an open request; the reason is told to the subject."""
    reason = _reason(reason, "a refusal")
    history = History(runtime)
    now = history.now()
    with runtime.db.session() as session:
        request = load(session, request_id, for_update=True)
        check_transition(request.status, Status.REFUSED)
        request.status = Status.REFUSED.value
        request.completed_at = now
        request.outcome = reason
        discard_id_copies(session, request.id)  # verification, if any was pending, has ended
        contact = _contact_if_any(session, runtime, request)
        notice = refusal_notice(
            runtime.policy, request.type, reason, contact.language if contact else "nl"
        )
        history.step(session, request, Status.REFUSED, actor, notice=notice.record)
        message = history.tell(session, contact, notice) if contact is not None else None
        refused = view(request, now)
    return _told(history, refused, message, mailer)


def _told(
    history: History, request: RequestView, message: str | None, mailer: Mailer | None
) -> Told:
    """After commit: deliver the step's notice, and say how the subject was told."""
    return Told(request, emailed=history.deliver(message, mailer), queued=message is not None)


def start(runtime: Runtime, request_id: str, *, actor: Actor = OPERATOR) -> RequestView:
    """Mark a verified request as being worked on."""
    history = History(runtime)
    with runtime.db.session() as session:
        request = load(session, request_id, for_update=True)
        move(history, session, request, Status.IN_PROGRESS, actor)
        return view(request, history.now())


def move(
    history: History,
    session: Session,
    request: RightsRequest,
    status: Status,
    actor: Actor,
    *,
    notice: str | None = None,
    categories: tuple[str, ...] = (),
    link_subject: bool = True,
) -> None:
    """One status change of `request`, with its event and audit entry."""
    check_transition(request.status, status)
    request.status = status.value
    history.step(
        session,
        request,
        status,
        actor,
        notice=notice,
        categories=categories,
        link_subject=link_subject,
    )


def overdue_requests(runtime: Runtime, now: datetime | None = None) -> list[RequestView]:
    """Open requests past their due date at `now` (default: the runtime's clock)."""
    moment = as_utc(now or runtime.clock())
    with runtime.db.session() as session:
        rows = session.scalars(
            select(RightsRequest)
            .where(RightsRequest.status.in_([s.value for s in OPEN]))
            .order_by(RightsRequest.due_at)
        )
        return [view(r, moment) for r in rows if is_overdue(r, moment)]


def _contact_if_any(session: Session, runtime: Runtime, request: RightsRequest) -> Contact | None:
    """How to reach the subject, unless the account is gone or erased."""
    if request.customer_id is None:
        return None
    customer = session.get(Customer, request.customer_id)
    if customer is None or is_erased(customer):
        return None
    return contact_of(session, runtime.vault, customer)


def _reason(reason: str, what: str) -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise RequestError(f"{what} needs a reason: it is told to the subject")
    if len(cleaned) > _MAX_REASON:
        raise RequestError(f"the reason is longer than {_MAX_REASON} characters")
    return cleaned
