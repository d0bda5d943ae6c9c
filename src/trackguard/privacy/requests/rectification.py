"""Rectification (GDPR Art. 16): corrections to a customer's names, addresses, phone, e-mail.

The corrections a subject asks for are personal data themselves, so the request
keeps them sealed by the vault under the subject's profile key (bound to the
request and the field): erasing the subject makes them unreadable too. Completing
the request writes them to the customer through the vault; a new e-mail address
also gets a new blind index, so the subject logs in with it from then on.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.errors import VaultError
from trackguard.privacy.requests.kinds import RequestError
from trackguard.store.models import Customer, RightsRequest
from trackguard.vault import Vault

# A rectification corrects what identifies and reaches the subject: names and contact
# details (the customer's encrypted columns under these categories).
RECTIFIABLE_CATEGORIES = ("user.name", "user.contact")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_VALUE = 500
_KEY_CLASS = "profile"


def rectifiable_fields() -> dict[str, str]:
    """Column name -> category of every customer field a rectification may change."""
    fields: dict[str, str] = {}
    for column in Customer.__table__.columns:
        category = str(column.info.get("category", ""))
        encrypted = bool(column.info.get("encrypted"))
        if encrypted and any(
            category == c or category.startswith(c + ".") for c in RECTIFIABLE_CATEGORIES
        ):
            fields[column.name] = category
    return fields


def checked_corrections(corrections: Mapping[str, str]) -> dict[str, str]:
    """The corrections, if each names a rectifiable field and a usable new value."""
    if not corrections:
        raise RequestError(
            "a rectification needs at least one correction (FIELD=VALUE): "
            f"fields are {', '.join(sorted(rectifiable_fields()))}"
        )
    allowed = rectifiable_fields()
    checked: dict[str, str] = {}
    for field, raw in corrections.items():
        if field not in allowed:
            raise RequestError(
                f"'{field}' cannot be rectified: use one of {', '.join(sorted(allowed))}"
            )
        value = raw.strip() if isinstance(raw, str) else ""
        if not value:
            raise RequestError(f"the new value of '{field}' is empty")
        if len(value) > _MAX_VALUE:
            raise RequestError(f"the new value of '{field}' is longer than {_MAX_VALUE}")
        if field == "email" and not _EMAIL.match(value):
            raise RequestError("the new e-mail address is not a valid address")
        checked[field] = value
    return checked


def check_email_free(session: Session, vault: Vault, customer_id: str, email: str) -> str:
    """The blind index of `email`, unless another account already uses the address."""
    index = vault.blind_index("email", email)
    other = session.scalar(
        select(Customer.id).where(Customer.email_index == index, Customer.id != customer_id)
    )
    if other is not None:
        raise RequestError("another account already uses the new e-mail address")
    return index


def seal_corrections(
    session: Session, vault: Vault, *, customer_id: str, request_id: str, values: Mapping[str, str]
) -> dict[str, str]:
    """Field -> base64 of the value sealed under the subject's profile key."""
    return {
        field: base64.b64encode(
            vault.encrypt(
                session,
                value,
                subject=customer_id,
                key_class=_KEY_CLASS,
                table=RightsRequest.__tablename__,
                column=f"details.corrections.{field}",
                row=request_id,
            )
        ).decode("ascii")
        for field, value in values.items()
    }


def open_corrections(session: Session, vault: Vault, request: RightsRequest) -> dict[str, str]:
    """The corrections of a rectification request, in plain text."""
    sealed = (request.details or {}).get("corrections")
    if not isinstance(sealed, dict) or request.customer_id is None:
        return {}
    try:
        return {
            field: vault.decrypt_text(
                session,
                base64.b64decode(blob),
                subject=request.customer_id,
                key_class=_KEY_CLASS,
                table=RightsRequest.__tablename__,
                column=f"details.corrections.{field}",
                row=request.id,
            )
            for field, blob in sealed.items()
        }
    except VaultError:
        raise RequestError(
            f"the corrections of request {request.id} cannot be read (the subject's key is gone)"
        ) from None


def apply_corrections(
    session: Session, vault: Vault, customer: Customer, values: Mapping[str, str]
) -> list[str]:
    """Write the corrections to the customer; returns the categories changed."""
    allowed = rectifiable_fields()
    changed: list[str] = []
    for field, value in checked_corrections(values).items():
        if field == "email":
            customer.email_index = check_email_free(session, vault, customer.id, value)
        vault.seal(session, customer, field, value)
        changed.append(allowed[field])
    return sorted(set(changed))


def same_corrections(
    session: Session, vault: Vault, request: RightsRequest, values: Mapping[str, Any]
) -> bool:
    try:
        return open_corrections(session, vault, request) == dict(values)
    except RequestError:
        return False
