"""Anonymising a row: every column that says something about a person is cleared, the row stays.

Which columns those are comes from the models, not from a list here: a column
tagged with a personal category (`user.*`, see `store.base.personal`) or with
`system.authentication` (a password hash, an activation code: credentials of the
person) is set to NULL, or, where the schema forbids NULL, to a neutral value:
the column's scalar default (the default language, "not armed"), or for a unique
text column a fresh random token that links to nothing. The row itself is kept,
so counts, statistics and the foreign keys that point at it stay intact.

Both erasure (`privacy.erasure`) and the retention rule that anonymises unused
accounts use `anonymise_customer`; `anonymise_row` serves any other record.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Column, String, inspect
from sqlalchemy.orm import Session

from trackguard.errors import TrackguardError
from trackguard.store.base import AUTHENTICATION
from trackguard.store.models.accounts import Customer
from trackguard.vault import Vault

ANONYMISED = "anonymised"  # customers.status of an anonymised account
_PERSONAL_PREFIX = "user."
_TOKEN_BYTES = 16


class NoNeutralValue(TrackguardError):
    """A personal column can be neither NULL nor set to a neutral value."""


def is_personal(column: Column[Any]) -> bool:
    """Whether the model tags `column` with a personal data category (`user.*`)."""
    return str(column.info.get("category", "")).startswith(_PERSONAL_PREFIX)


def is_identifying(column: Column[Any]) -> bool:
    """Whether anonymising must clear `column`: personal data or a person's credential."""
    if column.primary_key or column.foreign_keys:
        return False  # structural: ids carry no meaning, links keep the row in place
    return is_personal(column) or column.info.get("category") == AUTHENTICATION


def neutral_value(column: Column[Any]) -> Any:
    """What an anonymised `column` holds: NULL, its default, or a random token if unique."""
    if column.nullable:
        return None
    default = column.default
    if default is not None and getattr(default, "is_scalar", False):
        return default.arg  # type: ignore[attr-defined]
    if column.unique and isinstance(column.type, String):
        length = column.type.length or 2 * _TOKEN_BYTES
        return secrets.token_hex(min(_TOKEN_BYTES, length // 2))
    raise NoNeutralValue(
        f"column {column.table.name}.{column.name} holds personal data, may not be NULL "
        "and has no neutral value"
    )


def anonymise_row(obj: object) -> list[str]:
    """Clear every identifying column of the ORM object `obj`; returns their names."""
    mapper = inspect(obj).mapper
    cleared = []
    for column in mapper.local_table.columns:
        if not isinstance(column, Column) or not is_identifying(column):
            continue
        setattr(obj, mapper.get_property_by_column(column).key, neutral_value(column))
        cleared.append(column.name)
    return cleared


def anonymise_customer(session: Session, vault: Vault, customer: Customer, *, at: datetime) -> None:
    """Anonymise the account: identity, contact, behaviour and login data go, the row stays.

    Afterwards nobody can log in as the account or find it by e-mail address; its
    status is "anonymised" and `anonymised_at` says when. Idempotent. The subject's
    data keys are not touched here: erasure and the retention rule decide which
    key classes to destroy (the rule's `key_classes`), in the same transaction.
    `vault` is part of the signature both callers share; clearing needs no key.
    """
    anonymise_row(customer)
    customer.status = ANONYMISED
    if customer.anonymised_at is None:
        customer.anonymised_at = at
    session.flush()
