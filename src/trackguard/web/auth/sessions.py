"""Sign-in sessions: random tokens, of which only the SHA-256 is stored.

Two kinds share the `web_sessions` table:

* `cookie`: the browser's (and Traccar clients') `JSESSIONID`. It expires after
  `SessionTerms.idle` without use and at the latest `SessionTerms.absolute` after
  sign-in; each use (at most once a minute written) moves the idle expiry on.
* `token`: a bearer token (`Authorization: Bearer ...`, Traccar 5.x) with a fixed
  expiry the client chose within `SessionTerms.max_token`.

Staff sessions have shorter terms (`staff_terms`, from the settings): whoever sees other
people's data should not stay signed in on a forgotten screen. A session is held to its
owner's current terms on every use (`within_terms`), so shortening them ends older
sessions too.

Revoking a session (sign-out, a compromised account) stamps `revoked_at` and
ends its expiry at once, so the retention rule counts from then.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.store.base import new_id
from trackguard.store.models.web import WebSession

SessionKind = Literal["cookie", "token"]
TOKEN_BYTES = 32  # 256 bits: guessing one is hopeless, so no lookup needs throttling
TOUCH_EVERY = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200  # far above a real token: longer ones are not even looked up


@dataclass(frozen=True)
class SessionTerms:
    idle: timedelta = timedelta(days=7)
    absolute: timedelta = timedelta(days=30)
    default_token: timedelta = timedelta(days=30)
    max_token: timedelta = timedelta(days=365)


DEFAULT_TERMS = SessionTerms()


def staff_terms(*, hours: float, idle_minutes: float) -> SessionTerms:
    """Staff terms: `hours` at most from sign-in, ending after `idle_minutes` unused; a
    bearer token lives no longer than a sign-in."""
    absolute = timedelta(hours=hours)
    return SessionTerms(
        idle=timedelta(minutes=idle_minutes),
        absolute=absolute,
        default_token=absolute,
        max_token=absolute,
    )


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    session: Session,
    *,
    kind: SessionKind,
    now: datetime,
    customer_id: str | None = None,
    staff_user_id: str | None = None,
    expires_at: datetime | None = None,
    terms: SessionTerms = DEFAULT_TERMS,
) -> tuple[str, WebSession]:
    """A new session for exactly one principal; returns the token (shown once) and the row."""
    if (customer_id is None) == (staff_user_id is None):
        raise ValueError("a session belongs to exactly one customer or staff user")
    now = as_utc(now)
    if kind == "cookie":
        expiry = now + min(terms.idle, terms.absolute)
    else:
        expiry = as_utc(expires_at) if expires_at is not None else now + terms.default_token
        expiry = min(expiry, now + terms.max_token)
    token = new_token()
    row = WebSession(
        id=new_id(),
        token_hash=token_digest(token),
        customer_id=customer_id,
        staff_user_id=staff_user_id,
        kind=kind,
        created_at=now,
        last_seen_at=now,
        expires_at=expiry,
    )
    session.add(row)
    session.flush()
    return token, row


def find_session(
    session: Session, token: str, *, now: datetime, kind: SessionKind | None = None
) -> WebSession | None:
    """The live session `token` opens (not revoked, not expired), or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = session.scalar(select(WebSession).where(WebSession.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None or as_utc(row.expires_at) <= as_utc(now):
        return None
    if kind is not None and row.kind != kind:
        return None
    return row


class SessionTimes(Protocol):
    """What the terms are checked on: a `WebSession`, or a row of its columns."""

    @property
    def kind(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def last_seen_at(self) -> datetime: ...


def within_terms(row: SessionTimes, *, now: datetime, terms: SessionTerms) -> bool:
    """Whether a live session is still within `terms`, which may be shorter than those it
    was opened under. Idle time counts from the last recorded use (`TOUCH_EVERY`)."""
    now, created = as_utc(now), as_utc(row.created_at)
    if row.kind != "cookie":
        return now < created + terms.max_token
    return now < created + terms.absolute and now < as_utc(row.last_seen_at) + terms.idle


def touch_values(
    row: SessionTimes, *, now: datetime, terms: SessionTerms = DEFAULT_TERMS
) -> dict[str, Any] | None:
    """The columns a use changes (a cookie session's idle expiry moves on), or None when
    the last recorded use is recent enough."""
    now = as_utc(now)
    if now - as_utc(row.last_seen_at) < TOUCH_EVERY:
        return None
    values: dict[str, Any] = {"last_seen_at": now}
    if row.kind == "cookie":
        values["expires_at"] = min(now + terms.idle, as_utc(row.created_at) + terms.absolute)
    return values


def touch(row: WebSession, *, now: datetime, terms: SessionTerms = DEFAULT_TERMS) -> bool:
    """Record a use on the row itself. True when the row changed."""
    values = touch_values(row, now=now, terms=terms)
    for name, value in (values or {}).items():
        setattr(row, name, value)
    return values is not None


def revoke(row: WebSession, *, now: datetime) -> None:
    now = as_utc(now)
    if row.revoked_at is None:
        row.revoked_at = now
    row.expires_at = min(as_utc(row.expires_at), now)


def revoke_all(
    session: Session,
    *,
    now: datetime,
    customer_id: str | None = None,
    staff_user_id: str | None = None,
) -> int:
    """End every live session of one principal (e.g. a compromised account); returns how many."""
    if (customer_id is None) == (staff_user_id is None):
        raise ValueError("name exactly one customer or staff user")
    owner = (
        WebSession.customer_id == customer_id
        if customer_id is not None
        else WebSession.staff_user_id == staff_user_id
    )
    now = as_utc(now)
    result = session.execute(
        update(WebSession)
        .where(owner, WebSession.revoked_at.is_(None), WebSession.expires_at > now)
        .values(revoked_at=now, expires_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
