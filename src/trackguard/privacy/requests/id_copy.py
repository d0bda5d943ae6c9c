"""The ID copy: asked for only when neither a session nor e-mail can prove identity.

Following the Dutch DPA's guidance (the policy's `rights.id_copy`), a copy of an
identity document is accepted only for the rights the policy lists
(`id_copy.applies_to`) and only with the reason the usual proofs fail (no e-mail
address on file, the subject no longer reads it, ...), which is recorded and told
to the subject. The copy is stored encrypted under the subject's profile key.

A reviewer then confirms, item by item, that every blackout item of the policy
(photo, MRZ, document number, BSN) is covered, and that the document shows the
account holder. All covered and matching: the request is verified. Anything
else: the copy is rejected and the subject told what to black out. Either way
verification has ended, and the copy is deleted in that same transaction. A copy
nobody reviews is removed by the retention engine (rule `id_copy.retention_rule`).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.mail import Mailer
from trackguard.policy import Policy
from trackguard.privacy.requests.kinds import RequestError, Step, request_type
from trackguard.privacy.requests.notices import id_copy_rejection, id_copy_request_record
from trackguard.privacy.requests.records import (
    OPERATOR,
    Actor,
    History,
    RequestView,
    discard_id_copies,
    load,
    view,
)
from trackguard.privacy.requests.subjects import contact_of, customer_by_id, require_active
from trackguard.privacy.requests.verification import Method, mark_verified
from trackguard.runtime import Runtime
from trackguard.store.models import IdentityDocument, RightsRequest

GOVERNMENT_ID = str(IdentityDocument.__table__.c.content.info["category"])
MAX_BYTES = 10 * 1024 * 1024
CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf"})
_MIN_REASON = 5


@dataclass(frozen=True)
class IdCopyReceived:
    request: RequestView
    document_id: str
    blackout: tuple[str, ...]  # the items the reviewer must find covered


@dataclass(frozen=True)
class Review:
    request: RequestView
    accepted: bool
    missing: tuple[str, ...]  # blackout items not covered
    emailed: bool  # a rejection was e-mailed to the subject (the relay took it)
    queued: bool = False  # a rejection was queued for them (retried by `serve` if not taken)


def blackout_keys(policy: Policy) -> tuple[str, ...]:
    return tuple(b.key for b in policy.rights.id_copy.blackout)


def content_type_of(path: Path) -> str:
    guessed, _ = mimetypes.guess_type(path.name)
    if guessed not in CONTENT_TYPES:
        raise RequestError("an ID copy must be a JPEG, PNG or PDF file")
    return guessed


def receive_id_copy(
    runtime: Runtime,
    request_id: str,
    *,
    content: bytes,
    content_type: str,
    reason: str,
    actor: Actor = OPERATOR,
) -> IdCopyReceived:
    """Store the copy (encrypted) for review; `reason` says why nothing else proves identity."""
    cleaned = (reason or "").strip()
    if len(cleaned) < _MIN_REASON:
        raise RequestError(
            "an ID copy is asked for only when a session or e-mail cannot prove identity: "
            "give the reason (e.g. no e-mail address on file, or no access to it any more)"
        )
    if content_type not in CONTENT_TYPES:
        raise RequestError("an ID copy must be a JPEG, PNG or PDF file")
    if not content:
        raise RequestError("the ID copy is empty")
    if len(content) > MAX_BYTES:
        raise RequestError(f"the ID copy is larger than {MAX_BYTES // (1024 * 1024)} MB")
    history = History(runtime)
    now = history.now()
    policy = runtime.policy
    with runtime.db.session() as session:
        request = load(session, request_id, for_update=True)
        _check_applies(policy, request)
        customer = require_active(customer_by_id(session, request.customer_id))
        if _pending(session, request.id) is not None:
            raise RequestError("an ID copy of this request is already waiting for review")
        document = IdentityDocument(
            request_id=request.id,
            customer_id=customer.id,
            received_at=now,
            content_type=content_type,
            review=None,
        )
        runtime.vault.seal(session, document, "content", content)
        session.add(document)
        language = contact_of(session, runtime.vault, customer).language
        record = id_copy_request_record(policy, cleaned, language)
        history.step(
            session,
            request,
            Step.ID_COPY_RECEIVED,
            actor,
            notice=record,
            categories=(GOVERNMENT_ID,),
        )
        return IdCopyReceived(view(request, now), document.id, blackout_keys(policy))


def review_id_copy(
    runtime: Runtime,
    request_id: str,
    *,
    covered: Mapping[str, bool],
    identity_matches: bool,
    reviewer: Actor = OPERATOR,
    mailer: Mailer | None = None,
) -> Review:
    """Accept or reject the pending copy; the copy is deleted either way."""
    keys = blackout_keys(runtime.policy)
    unknown = sorted(set(covered) - set(keys))
    if unknown:
        raise RequestError(
            f"unknown blackout item(s) {', '.join(unknown)}: the policy names {', '.join(keys)}"
        )
    missing = tuple(k for k in keys if not covered.get(k, False))
    accepted = not missing and identity_matches
    history = History(runtime)
    now = history.now()
    with runtime.db.session() as session:
        request = load(session, request_id, for_update=True)
        document = _pending(session, request.id)
        if document is None:
            raise RequestError("no ID copy of this request is waiting for review")
        if request.status != "received":
            raise RequestError(f"the request is {request.status}: its ID copy is no longer needed")
        document.review = {
            "covered": {k: bool(covered.get(k, False)) for k in keys},
            "identity_matches": identity_matches,
            "accepted": accepted,
        }
        document.reviewed_by = reviewer.name
        document.verification_ended_at = now
        message = None
        if accepted:
            mark_verified(history, session, request, Method.ID_COPY, reviewer)
        else:
            customer = customer_by_id(session, request.customer_id)
            contact = contact_of(session, runtime.vault, customer)
            notice = id_copy_rejection(runtime.policy, missing, identity_matches, contact.language)
            history.step(
                session,
                request,
                Step.ID_COPY_REJECTED,
                reviewer,
                notice=notice.record,
                categories=(GOVERNMENT_ID,),
            )
            message = history.tell(session, contact, notice)
        # Verification has ended: the copy goes now, whatever the outcome (`mark_verified`
        # deletes it on acceptance).
        session.flush()
        discard_id_copies(session, request.id)
        reviewed = view(request, now)
    emailed = history.deliver(message, mailer)
    return Review(reviewed, accepted, missing, emailed, queued=message is not None)


def _check_applies(policy: Policy, request: RightsRequest) -> None:
    right = request_type(policy, request.type).right
    applies = policy.rights.id_copy.applies_to
    if right not in applies:
        raise RequestError(
            f"the policy asks for an ID copy only for {', '.join(applies)} requests, "
            f"not for {request.type}: verify with a session or an e-mailed token"
        )
    if request.status != "received":
        raise RequestError(f"the request is {request.status}: only a received request is verified")


def _pending(session: Session, request_id: str) -> IdentityDocument | None:
    return session.scalar(
        select(IdentityDocument).where(
            IdentityDocument.request_id == request_id,
            IdentityDocument.verification_ended_at.is_(None),
        )
    )
