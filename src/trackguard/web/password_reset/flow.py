"""Forgotten password: e-mail a one-hour, single-use link; set a new password with it.

`send_reset_link` is what the form triggers, after its answer has gone out: the same
answer whether or not the address has an account, and the same time to give it (the
look-up and the mail happen after the response). Only an active, not erased customer
with an e-mail address on file gets a link, at most `MAX_LINKS_PER_HOUR` per account.

`reset_password` checks the link again, sets the argon2 hash, ends every session and
bearer token of the account (`revoke_all`), and audits. This is also how a customer
whose account was locked as compromised (password cleared) gets back in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.errors import TrackguardError, VaultError
from trackguard.mail import Mailer
from trackguard.privacy.audit import AuditLog
from trackguard.privacy.requests.outbox import Outbox
from trackguard.privacy.requests.subjects import is_erased
from trackguard.runtime import Runtime
from trackguard.store.models import Customer
from trackguard.store.models.web import WebSession
from trackguard.web.auth.accounts import ACTIVE, MAX_EMAIL_LENGTH
from trackguard.web.auth.passwords import MAX_PASSWORD_LENGTH, Passwords
from trackguard.web.auth.sessions import revoke_all
from trackguard.web.auth.throttle import LoginThrottle
from trackguard.web.password_reset.texts import reset_mail
from trackguard.web.password_reset.tokens import ResetTokens, account_state

log = logging.getLogger(__name__)

SECURITY_PURPOSE = "security"  # protecting the account (the policy must declare it)
MIN_PASSWORD_LENGTH = 8
MAX_LINKS_PER_HOUR = 3
PASSWORD_CATEGORY = str(Customer.__table__.c.password_hash.info["category"])
SESSION_CATEGORY = str(WebSession.__table__.c.last_seen_at.info["category"])
_ANY_ADDRESS = "*"  # the link limit counts per account, from wherever it is asked


class InvalidResetLink(TrackguardError):
    """The link is not one of ours, has expired, or was used already."""


class UnacceptablePassword(TrackguardError):
    """The new password is too short, too long, or not the same twice."""


@dataclass(frozen=True)
class PasswordReset:
    customer_id: str
    sessions_ended: int


def state_of(customer: Customer) -> str:
    return account_state(
        password_hash=customer.password_hash,
        last_login=customer.last_login_at,
        email_index=customer.email_index,
        status=customer.status,
    )


def _eligible(customer: Customer | None) -> bool:
    return customer is not None and customer.status == ACTIVE and not is_erased(customer)


def send_reset_link(
    runtime: Runtime,
    tokens: ResetTokens,
    throttle: LoginThrottle,
    email: str,
    *,
    link_base: str,
    mailer: Mailer | None = None,
) -> bool:
    """E-mail a reset link if `email` belongs to an account that may have one.

    Returns whether a link was made and queued for the address on file (for tests and
    logs: never tell the visitor). It is sent after the transaction commits; a relay that
    does not take it at once leaves it queued, retried while the link is valid.
    """
    runtime.policy.purpose(SECURITY_PURPOSE)  # PolicyError if the policy lacks it
    email = email.strip()
    if not 0 < len(email) <= MAX_EMAIL_LENGTH or "@" not in email:
        return False
    if throttle.retry_after(email, _ANY_ADDRESS) is not None:
        return False
    throttle.failed(email, _ANY_ADDRESS)  # every link counts towards the limit
    now = as_utc(runtime.clock())
    outbox = Outbox(runtime, mailer)
    with runtime.db.session() as session:
        customer = session.scalar(
            select(Customer).where(
                Customer.email_index == runtime.vault.blind_index("email", email)
            )
        )
        if customer is None or not _eligible(customer):
            return False
        address = _address_on_file(session, runtime, customer)
        if address is None:
            return False
        token = tokens.issue(customer.id, state_of(customer), now)
        subject, body = reset_mail(
            customer.language or "nl",
            link=f"{link_base}?token={token}",
            minutes=int(tokens.lifetime.total_seconds() // 60),
            controller=runtime.policy.controller.name,
        )
        # To the address on file, never to the one typed (they match only by index).
        # Queued, and sent once this commits; a newer link replaces one still waiting,
        # and a link that has expired is not worth sending.
        message = outbox.queue(
            session,
            customer_id=customer.id,
            to=address,
            subject=subject,
            body=body,
            purpose=SECURITY_PURPOSE,
            audit_action="account.password_reset_link_sent",
            not_after=now + tokens.lifetime,
            replaces=f"password_reset:{customer.id}",
        )
    if message not in outbox.deliver([message]):
        log.warning("password-reset link not sent now; it stays queued and is retried")
    return True


def _address_on_file(session: Session, runtime: Runtime, customer: Customer) -> str | None:
    try:
        return runtime.vault.unseal(session, customer, "email") or None
    except VaultError:
        return None


def _claimed_customer(
    session: Session,
    runtime: Runtime,
    tokens: ResetTokens,
    token: str | None,
    *,
    for_update: bool = False,
) -> Customer:
    claim = ResetTokens.read(token)
    customer = (
        session.get(Customer, claim.customer_id, with_for_update=for_update)
        if claim is not None
        else None
    )
    if (
        claim is None
        or customer is None
        or not _eligible(customer)
        or not tokens.holds(claim, state_of(customer), as_utc(runtime.clock()))
    ):
        raise InvalidResetLink("the link is not valid any more: ask for a new one")
    return customer


def check_link(runtime: Runtime, tokens: ResetTokens, token: str | None) -> str:
    """The customer id a link is for, or InvalidResetLink."""
    with runtime.db.session() as session:
        return _claimed_customer(session, runtime, tokens, token).id


def checked_password(password: str, repeated: str) -> str:
    if password != repeated:
        raise UnacceptablePassword("the two passwords are not the same")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise UnacceptablePassword(
            f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    return password


def reset_password(
    runtime: Runtime,
    tokens: ResetTokens,
    passwords: Passwords,
    token: str | None,
    password: str,
    repeated: str,
) -> PasswordReset:
    """Set the new password, end every session, audit; the link stops working."""
    new_password = checked_password(password, repeated)
    runtime.policy.purpose(SECURITY_PURPOSE)
    hashed = passwords.hash(new_password)  # before the transaction: argon2 takes its time
    now = as_utc(runtime.clock())
    with runtime.db.session() as session:
        # Locked: two uses of one link at once must not both pass the state check.
        customer = _claimed_customer(session, runtime, tokens, token, for_update=True)
        customer.password_hash = hashed  # a new state: this token and any older one die
        ended = revoke_all(session, now=now, customer_id=customer.id)
        AuditLog(runtime.clock).append(
            session,
            actor="subject",
            role="customer",
            purpose=SECURITY_PURPOSE,
            subject_id=customer.id,
            categories=[PASSWORD_CATEGORY, SESSION_CATEGORY],
            action="account.password_reset",
        )
        return PasswordReset(customer.id, ended)
