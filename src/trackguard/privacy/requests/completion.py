"""Completing a verified request: doing what the right asks, then telling the subject.

* access, portability: the export ZIP (`privacy.export.write_export`) under the data
  dir's `exports/`;
* erasure: `privacy.erasure.erase_subject` (it writes the outcome and the notice onto
  the request; the notice is e-mailed to the address read before the keys went);
* rectification: the sealed corrections written to the customer (`rectification`);
* restriction, objection: `privacy.choices.restrict` / `object_to`;
* withdrawal: a withdrawal event in the consent ledger (`privacy.consent.record_consent`).

The last four happen in one transaction with the status change, so the purpose gate
sees the new state the moment the request is completed. Export and erasure run in
their own transactions: the request is marked in progress first, and stays so if
they fail, so `complete` can be run again. The notice of the outcome is queued with
the completion and e-mailed once it has committed (`outbox`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.mail import Mailer
from trackguard.privacy.requests import notices, rectification
from trackguard.privacy.requests.kinds import RequestError, Status
from trackguard.privacy.requests.records import (
    OPERATOR,
    Actor,
    History,
    RequestView,
    events_of,
    load,
    view,
)
from trackguard.privacy.requests.subjects import (
    Contact,
    contact_of,
    customer_by_id,
    is_erased,
    require_active,
)
from trackguard.privacy.requests.workflow import move
from trackguard.runtime import Runtime
from trackguard.store.models import Customer, RightsRequest

EXPORT_TYPES = frozenset({"access", "portability"})
IN_TRANSACTION_TYPES = frozenset({"rectification", "restriction", "objection", "withdrawal"})
# How a withdrawal made through a rights request reached us (consent_events.channel).
WITHDRAWAL_CHANNEL = "rights_request"


@dataclass(frozen=True)
class Completed:
    request: RequestView
    emailed: bool  # the relay took the notice of the outcome
    export_path: Path | None = None
    queued: bool = False  # a notice was queued (if not `emailed`, `serve` retries it)


def complete_request(
    runtime: Runtime,
    request_id: str,
    *,
    actor: Actor = OPERATOR,
    mailer: Mailer | None = None,
) -> Completed:
    """Carry out a verified (or in-progress) request and mark it completed; the notice for
    the subject is e-mailed after the completion commits."""
    done, message = _complete(runtime, request_id, actor)
    emailed = History(runtime).deliver(message, mailer)
    return replace(done, emailed=emailed, queued=message is not None)


def _complete(runtime: Runtime, request_id: str, actor: Actor) -> tuple[Completed, str | None]:
    history = History(runtime)
    with runtime.db.session() as session:
        request = load(session, request_id, for_update=True)
        kind = request.type
        if request.status not in (Status.VERIFIED, Status.IN_PROGRESS):
            if request.status == Status.RECEIVED:
                raise RequestError("the subject's identity is not verified yet: verify first")
            raise RequestError(f"the request is already {request.status}")
        customer = customer_by_id(session, request.customer_id)
        if kind == "erasure" and is_erased(customer) and request.status == Status.IN_PROGRESS:
            # Erased by an earlier run that stopped before recording completion.
            gone = Contact(customer.id, None, customer.language or "nl")
            return _finish_erasure(session, history, request, gone, actor)
        require_active(customer)
        if kind in IN_TRANSACTION_TYPES:
            return _complete_here(session, runtime, history, request, customer, actor)
        contact = contact_of(session, runtime.vault, customer)
        if request.status == Status.VERIFIED:
            move(history, session, request, Status.IN_PROGRESS, actor)
    if kind in EXPORT_TYPES:
        return _complete_export(runtime, history, request_id, contact, actor)
    if kind == "erasure":
        return _complete_erasure(runtime, history, request_id, contact, actor)
    raise RequestError(f"no completion for request type '{kind}'")


def _complete_here(
    session: Session,
    runtime: Runtime,
    history: History,
    request: RightsRequest,
    customer: Customer,
    actor: Actor,
) -> tuple[Completed, str | None]:
    if request.status == Status.VERIFIED:
        move(history, session, request, Status.IN_PROGRESS, actor)
    contact = contact_of(session, runtime.vault, customer)
    outcome, categories = _apply(session, runtime, request, customer, actor, contact.language)
    corrections = (request.details or {}).get("corrections")
    if isinstance(corrections, dict) and "email" in corrections:
        contact = contact_of(session, runtime.vault, customer)  # tell the corrected address
    return _finish(session, history, request, contact, outcome, actor, categories)


def _apply(
    session: Session,
    runtime: Runtime,
    request: RightsRequest,
    customer: Customer,
    actor: Actor,
    language: str,
) -> tuple[str, tuple[str, ...]]:
    """Do what the right asks; returns the outcome told to the subject, and the categories."""
    policy, now = runtime.policy, as_utc(runtime.clock())
    details: dict[str, Any] = dict(request.details or {})
    purpose: str | None = details.get("purpose")
    if request.type == "rectification":
        values = rectification.open_corrections(session, runtime.vault, request)
        changed = rectification.apply_corrections(session, runtime.vault, customer, values)
        return notices.rectified_outcome(sorted(values), language), tuple(changed)
    if request.type == "restriction":
        from trackguard.privacy import choices

        choices.restrict(
            session,
            customer_id=customer.id,
            ground=str(details["ground"]),
            purpose=purpose,
            request_id=request.id,
            at=now,
            policy=policy,
            actor=actor.name,
        )
        return notices.restricted_outcome(policy, purpose, language), ()
    if request.type == "objection":
        from trackguard.privacy import choices

        choices.object_to(
            session,
            customer_id=customer.id,
            purpose=str(purpose),
            request_id=request.id,
            at=now,
            policy=policy,
            actor=actor.name,
        )
        return notices.objected_outcome(policy, str(purpose), language), ()
    if request.type == "withdrawal":
        from trackguard.privacy import consent

        consent.record_consent(
            session,
            customer_id=customer.id,
            purpose=str(purpose),
            given=False,
            channel=WITHDRAWAL_CHANNEL,
            proof=f"rights request {request.id} (withdrawal), received "
            f"{request.received_at.date().isoformat()}",
            policy_version=policy.version_id,
            at=now,
            policy=policy,
            actor=actor.name,
        )
        return notices.withdrawn_outcome(policy, str(purpose), language), ()
    raise RequestError(f"no completion for request type '{request.type}'")


def _complete_export(
    runtime: Runtime, history: History, request_id: str, contact: Contact, actor: Actor
) -> tuple[Completed, str | None]:
    from trackguard.privacy.export import write_export

    with runtime.db.session() as session:
        portability = load(session, request_id).type == "portability"
    kind: Literal["access", "portability"] = "portability" if portability else "access"
    written = write_export(
        runtime,
        contact.customer_id,
        kind=kind,
        request_id=request_id,
        actor=actor.name,
        role=actor.role,
    )
    path = Path(written.path)
    outcome = notices.export_outcome(path.name, contact.language)
    with runtime.db.session() as session:
        request = load(session, request_id, for_update=True)
        done, message = _finish(session, history, request, contact, outcome, actor, ())
    return replace(done, export_path=path), message


def _complete_erasure(
    runtime: Runtime, history: History, request_id: str, contact: Contact, actor: Actor
) -> tuple[Completed, str | None]:
    from trackguard.privacy.erasure import erase_subject

    erase_subject(runtime, contact.customer_id, request_id=request_id, actor=actor.name)
    with runtime.db.session() as session:
        request = load(session, request_id, for_update=True)
        return _finish_erasure(session, history, request, contact, actor)


def _finish_erasure(
    session: Session, history: History, request: RightsRequest, contact: Contact, actor: Actor
) -> tuple[Completed, str | None]:
    # The erasure wrote its outcome (counts) and the notice for the subject onto the
    # request; that notice is what the subject is e-mailed, at the address read before
    # the keys were destroyed. No audit entry links to the subject any more, and the
    # queued message belongs to nobody on file (it goes once delivered, or by retention).
    told = [e.notice for e in events_of(session, request.id) if e.notice]
    move(history, session, request, Status.COMPLETED, actor, link_subject=False)
    request.completed_at = history.now()
    notice = notices.completion_notice(request.type, told[-1] if told else "", contact.language)
    message = history.tell(session, contact, notice, link_subject=False)
    return Completed(view(request, history.now()), emailed=False), message


def _finish(
    session: Session,
    history: History,
    request: RightsRequest,
    contact: Contact,
    outcome: str,
    actor: Actor,
    categories: tuple[str, ...],
) -> tuple[Completed, str | None]:
    notice = notices.completion_notice(request.type, outcome, contact.language)
    move(
        history,
        session,
        request,
        Status.COMPLETED,
        actor,
        notice=notice.record,
        categories=categories,
    )
    request.completed_at = history.now()
    request.outcome = outcome
    message = history.tell(session, contact, notice)
    return Completed(view(request, history.now()), emailed=False), message
