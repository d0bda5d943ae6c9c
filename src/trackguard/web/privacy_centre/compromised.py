"""A compromised account: every session ends and the password stops working, at once.

The customer confirms with their current password (behind the login throttle), so a
stolen session alone cannot lock its owner out. Then `revoke_all` ends every cookie
session and bearer token, and the password hash is cleared: no password matches an
empty hash, so only setting a new password opens the account again. (The schema has
no "must change password" flag; clearing the hash is that flag's effect, and a cached
HTTP Basic credential no longer matches either.)
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.errors import TrackguardError
from trackguard.privacy.audit import AuditLog
from trackguard.privacy.consent import live_customer
from trackguard.runtime import Runtime
from trackguard.store.models import Customer
from trackguard.store.models.web import WebSession
from trackguard.web.auth.accounts import InvalidCredentials, TooManyAttempts
from trackguard.web.auth.principal import WebAuth
from trackguard.web.auth.sessions import revoke_all

# Why sessions are ended: protecting the account (the policy must declare the purpose).
SECURITY_PURPOSE = "security"
SESSION_CATEGORY = str(WebSession.__table__.c.last_seen_at.info["category"])


@dataclass(frozen=True)
class Locked:
    sessions_ended: int


def lock_account(
    runtime: Runtime, auth: WebAuth, customer_id: str, *, password: str, address: str
) -> Locked:
    """Confirm with the password, then end every session and clear the password.

    Raises TooManyAttempts (before any password work) or InvalidCredentials.
    """
    runtime.policy.purpose(SECURITY_PURPOSE)  # PolicyError if the policy lacks it
    guard = auth.sign_in
    now = as_utc(auth.clock())
    with runtime.db.session() as session:
        customer = live_customer(session, customer_id)
        account = _throttle_key(runtime, session, customer)
        wait = guard.throttle.retry_after(account, address)
        if wait is not None:
            raise TooManyAttempts(wait)
        if not guard.passwords.verify(customer.password_hash, password or ""):
            guard.throttle.failed(account, address)
            raise InvalidCredentials("the password is wrong")
        guard.throttle.succeeded(account, address)
        ended = revoke_all(session, now=now, customer_id=customer.id)
        customer.password_hash = None
        AuditLog(runtime.clock).append(
            session,
            actor="subject",
            role="customer",
            purpose=SECURITY_PURPOSE,
            subject_id=customer.id,
            categories=[SESSION_CATEGORY],
            action="account.locked_compromised",
        )
    return Locked(ended)


def _throttle_key(runtime: Runtime, session: Session, customer: Customer) -> str:
    """The same key the sign-in throttle uses (the e-mail), so guesses here count there."""
    try:
        email = runtime.vault.unseal(session, customer, "email")
    except TrackguardError:
        email = None
    return email or f"customer:{customer.id}"
