"""Finding the data subject of a request, and how to reach them.

Customers are found by e-mail through the blind index; an anonymised (erased)
account has nothing left to ask about, so every request against it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.errors import NotFound, VaultError
from trackguard.privacy.requests.kinds import RequestError
from trackguard.store.models import Customer
from trackguard.vault import Vault

ERASED_STATUSES = frozenset({"anonymised", "anonymized", "erased", "deleted"})


@dataclass(frozen=True)
class Contact:
    """Where a notice to the subject goes: the address on file (None: none, or unreadable)."""

    customer_id: str
    email: str | None
    language: str


def customer_by_email(session: Session, vault: Vault, email: str) -> Customer:
    found = session.scalar(
        select(Customer).where(Customer.email_index == vault.blind_index("email", email))
    )
    if found is None:
        raise NotFound("no customer with that e-mail address")
    return found


def customer_by_id(
    session: Session, customer_id: str | None, *, for_update: bool = False
) -> Customer:
    """The customer; `for_update` serialises steps on one subject (PostgreSQL row lock)."""
    found = session.get(Customer, customer_id, with_for_update=for_update) if customer_id else None
    if found is None:
        raise NotFound("the request's subject no longer exists (erased)")
    return found


def is_erased(customer: Customer) -> bool:
    return customer.anonymised_at is not None or customer.status in ERASED_STATUSES


def require_active(customer: Customer) -> Customer:
    """The customer, unless their data was erased (then RequestError)."""
    if is_erased(customer):
        raise RequestError(
            f"customer {customer.id} was erased (anonymised): no request can be made for them"
        )
    return customer


def contact_of(session: Session, vault: Vault, customer: Customer) -> Contact:
    try:
        email = vault.unseal(session, customer, "email")
    except VaultError:  # the key was destroyed: there is no address any more
        email = None
    return Contact(customer.id, email or None, customer.language or "nl")
