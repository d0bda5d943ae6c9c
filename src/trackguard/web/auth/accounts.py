"""Who may sign in: customers by e-mail and password, staff users likewise, checked with
argon2 behind the login throttle.

Look-ups go through the blind index of the e-mail (`vault.blind_index("email", ...)`):
the address is never compared in the clear. An unknown address costs the same
argon2 work as a wrong password, and both give the same answer. A hash made with
older parameters is replaced on the next successful sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.errors import TrackguardError
from trackguard.store.base import new_id
from trackguard.store.models.accounts import Customer
from trackguard.store.models.web import STAFF_ROLES, StaffUser
from trackguard.vault import Vault
from trackguard.web.auth.passwords import MAX_PASSWORD_LENGTH, Passwords
from trackguard.web.auth.throttle import LoginThrottle

StaffRole = Literal["support", "finance", "privacy_officer", "admin"]
assert get_args(StaffRole) == STAFF_ROLES
ACTIVE = "active"  # customers.status of an account that may sign in
MAX_EMAIL_LENGTH = 320


class InvalidCredentials(TrackguardError):
    """The e-mail address and password do not match an account that may sign in."""


class TooManyAttempts(TrackguardError):
    """Too many failed sign-ins for this account from this address; try again later."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__("too many failed sign-ins; try again later")


@dataclass(frozen=True)
class SignIn:
    """The guard's parts, built once per app."""

    passwords: Passwords
    throttle: LoginThrottle


def sign_in_customer(
    session: Session,
    vault: Vault,
    guard: SignIn,
    email: str,
    password: str,
    *,
    address: str,
    now: datetime,
) -> Customer:
    """The active customer with this e-mail and password; rehashes an aged hash.

    Raises TooManyAttempts (before any password work) or InvalidCredentials.
    """
    _check_throttle(guard, email, address)
    customer = None
    if _plausible(email, password):
        customer = session.scalar(
            select(Customer).where(Customer.email_index == vault.blind_index("email", email))
        )
    usable = customer is not None and customer.status == ACTIVE
    stored = customer.password_hash if customer is not None and usable else None
    if not guard.passwords.verify(stored, password) or customer is None:
        guard.throttle.failed(email, address)
        raise InvalidCredentials("the e-mail address or password is wrong")
    guard.throttle.succeeded(email, address)
    if stored is not None and guard.passwords.needs_rehash(stored):
        customer.password_hash = guard.passwords.hash(password)
    customer.last_login_at = now
    return customer


def sign_in_staff(
    session: Session,
    vault: Vault,
    guard: SignIn,
    email: str,
    password: str,
    *,
    address: str,
    now: datetime,
) -> StaffUser:
    """The open staff account with this e-mail and password (same rules as customers)."""
    _check_throttle(guard, email, address)
    staff = None
    if _plausible(email, password):
        staff = session.scalar(
            select(StaffUser).where(StaffUser.email_index == vault.blind_index("email", email))
        )
    stored = staff.password_hash if staff is not None and staff.disabled_at is None else None
    if not guard.passwords.verify(stored, password) or staff is None:
        guard.throttle.failed(email, address)
        raise InvalidCredentials("the e-mail address or password is wrong")
    guard.throttle.succeeded(email, address)
    if stored is not None and guard.passwords.needs_rehash(stored):
        staff.password_hash = guard.passwords.hash(password)
    staff.last_login_at = now
    return staff


def create_staff_user(
    session: Session,
    vault: Vault,
    passwords: Passwords,
    email: str,
    password: str,
    role: StaffRole,
    *,
    now: datetime,
) -> StaffUser:
    """A back-office account; only the blind index of the e-mail is stored."""
    if role not in STAFF_ROLES:
        raise TrackguardError(f"a staff role is one of {', '.join(STAFF_ROLES)}")
    if not _plausible(email, password) or "@" not in email:
        raise TrackguardError("a staff account needs an e-mail address and a password")
    index = vault.blind_index("email", email)
    if session.scalar(select(StaffUser.id).where(StaffUser.email_index == index)) is not None:
        raise TrackguardError("a staff account with that e-mail address exists")
    staff = StaffUser(
        id=new_id(),
        email_index=index,
        password_hash=passwords.hash(password),
        role=role,
        created_at=now,
    )
    session.add(staff)
    session.flush()
    return staff


def _check_throttle(guard: SignIn, email: str, address: str) -> None:
    wait = guard.throttle.retry_after(email, address)
    if wait is not None:
        raise TooManyAttempts(wait)


def _plausible(email: str, password: str) -> bool:
    return 0 < len(email.strip()) <= MAX_EMAIL_LENGTH and 0 < len(password) <= MAX_PASSWORD_LENGTH
