"""Proving that a request comes from its subject: a logged-in session, or an e-mailed token.

* Session: the web layer calls `verify_by_session` with the customer the session
  belongs to; a session of anyone else is refused.
* E-mail: `send_token` e-mails a random token to the address on file (never to an
  address the requester gives) and stores only its SHA-256. `confirm_token` accepts
  it once, within `TOKEN_LIFETIME`; a new token replaces older ones. Wrong guesses
  count against the current token, which stops working after `MAX_FAILED_ATTEMPTS`.
  The message goes out after the token is committed; when the relay does not take it
  at once, MailError tells the caller, and the message stays queued (retried while
  the token lives, dropped when a newer token replaces it; see `outbox`).

Only when neither can prove identity is an ID copy asked for (see `id_copy`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.errors import Forbidden, TrackguardError
from trackguard.mail import Mailer, MailError
from trackguard.privacy.requests.kinds import RequestError, Status
from trackguard.privacy.requests.notices import token_notice
from trackguard.privacy.requests.records import (
    SUBJECT,
    Actor,
    History,
    RequestView,
    discard_id_copies,
    load,
    view,
)
from trackguard.privacy.requests.subjects import contact_of, customer_by_id, require_active
from trackguard.privacy.requests.workflow import move
from trackguard.runtime import Runtime
from trackguard.store.models import RightsRequest, VerificationToken

TOKEN_LIFETIME = timedelta(hours=24)
MAX_FAILED_ATTEMPTS = 5
TOKEN_BYTES = 32


class Method(StrEnum):
    SESSION = "session"
    EMAIL = "email"
    ID_COPY = "id_copy"


class VerificationFailed(TrackguardError):
    """The proof offered does not verify the request (the failed attempt is counted)."""


@dataclass(frozen=True)
class TokenSent:
    request: RequestView
    expires: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def mark_verified(
    history: History,
    session: Session,
    request: RightsRequest,
    method: Method,
    actor: Actor,
    *,
    notice: str | None = None,
) -> None:
    """The identity is proven: the request moves to verified, by `method`."""
    move(history, session, request, Status.VERIFIED, actor, notice=notice)
    request.verified_at = history.now()
    request.verification_method = method.value
    discard_id_copies(session, request.id)  # verification has ended


def _open_for_verification(session: Session, request_id: str) -> RightsRequest:
    request = load(session, request_id, for_update=True)
    if request.status != Status.RECEIVED:
        raise RequestError(f"the request is {request.status}: only a received request is verified")
    require_active(customer_by_id(session, request.customer_id))
    return request


def verify_by_session(
    runtime: Runtime, request_id: str, *, customer_id: str, actor: Actor = SUBJECT
) -> RequestView:
    """The subject is logged in as `customer_id`: that proves a request of theirs."""
    history = History(runtime)
    with runtime.db.session() as session:
        request = _open_for_verification(session, request_id)
        if request.customer_id != customer_id:
            raise Forbidden("a session proves only its own customer's requests")
        mark_verified(history, session, request, Method.SESSION, actor)
        return view(request, history.now())


def send_token(
    runtime: Runtime,
    request_id: str,
    *,
    actor: Actor = SUBJECT,
    mailer: Mailer | None = None,
) -> TokenSent:
    """E-mail a new one-time token to the address on file; older tokens stop working."""
    history = History(runtime)
    now = history.now()
    with runtime.db.session() as session:
        request = _open_for_verification(session, request_id)
        customer = require_active(customer_by_id(session, request.customer_id))
        contact = contact_of(session, runtime.vault, customer)
        if contact.email is None:
            raise RequestError(
                "no e-mail address on file: verify with a session, or with an ID copy"
            )
        session.execute(
            update(VerificationToken)
            .where(
                VerificationToken.request_id == request.id,
                VerificationToken.used_at.is_(None),
                VerificationToken.expires_at > now,
            )
            .values(expires_at=now)
        )
        token = secrets.token_urlsafe(TOKEN_BYTES)
        expires = now + TOKEN_LIFETIME
        session.add(
            VerificationToken(
                request_id=request.id,
                token_hash=token_hash(token),
                sent_at=now,
                expires_at=expires,
                failed_attempts=0,
            )
        )
        notice = token_notice(request.type, token, expires, contact.language)
        history.step(session, request, "token_sent", actor, notice=notice.record)
        # A newer code replaces a message still waiting with an older one; a code that
        # has expired is not worth sending.
        message = history.tell(
            session, contact, notice, not_after=expires, replaces=f"token:{request.id}"
        )
        sent = TokenSent(view(request, now), expires)
    if not history.deliver(message, mailer):
        # The token is stored and its message queued (retried while the token lives), but
        # the subject is waiting for it now: say so, so they can ask again or use a session.
        raise MailError("the relay did not take the message now")
    return sent


def confirm_token(
    runtime: Runtime, request_id: str, token: str, *, actor: Actor = SUBJECT
) -> RequestView:
    """Verify the request with the e-mailed token, or raise VerificationFailed.

    A failed attempt is committed before the error is raised, so guesses count.
    """
    history = History(runtime)
    now = history.now()
    failure: str | None = None
    with runtime.db.session() as session:
        request = _open_for_verification(session, request_id)
        failure = _check_token(session, request.id, token, now)
        if failure is None:
            mark_verified(history, session, request, Method.EMAIL, actor)
            return view(request, now)
    raise VerificationFailed(failure)


def _check_token(session: Session, request_id: str, token: str, now: datetime) -> str | None:
    """None when `token` is this request's live token (now used); else why not."""
    digest = token_hash(token or "")
    row = session.scalar(
        select(VerificationToken).where(
            VerificationToken.request_id == request_id,
            VerificationToken.token_hash == digest,
        )
    )
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return _count_failure(session, request_id, now)
    if row.used_at is not None:
        return "this token was already used"
    if as_utc(row.expires_at) <= now:
        return "this token has expired (or was replaced): ask for a new one"
    if row.failed_attempts >= MAX_FAILED_ATTEMPTS:
        return "too many wrong tokens: ask for a new one"
    # Conditional update: of two concurrent confirmations only one uses the token.
    used = session.execute(
        update(VerificationToken)
        .where(VerificationToken.id == row.id, VerificationToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(used, "rowcount", 0):
        return "this token was already used"
    return None


def _count_failure(session: Session, request_id: str, now: datetime) -> str:
    live = session.scalar(
        select(VerificationToken)
        .where(
            VerificationToken.request_id == request_id,
            VerificationToken.used_at.is_(None),
            VerificationToken.expires_at > now,
        )
        .order_by(VerificationToken.sent_at.desc())
        .limit(1)
    )
    if live is None:
        return "the token is not valid for this request, and no token is pending: ask for one"
    live.failed_attempts = (live.failed_attempts or 0) + 1
    if live.failed_attempts >= MAX_FAILED_ATTEMPTS:
        live.expires_at = now  # guessed at too often: it never works now
        return "the token is not valid; too many wrong tokens, so ask for a new one"
    return "the token is not valid for this request"
