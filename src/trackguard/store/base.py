"""Declarative base and the column helpers that bind each column to a policy category.

Every column that is neither a primary key nor a foreign key names its category:
`personal("user.contact.email")` for personal data, `operational()` for data about
the system itself (fideslang's `system.operations`). `trackguard policy check` fails
on a column that does neither, so nothing personal is stored without the policy
knowing.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, MappedColumn, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

OPERATIONAL = "system.operations"
AUTHENTICATION = "system.authentication"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def new_id() -> str:
    """Row ids are made before insert so ciphertexts can bind to their row."""
    return uuid.uuid4().hex


def personal(category: str, *args: Any, encrypted: bool = False, **kw: Any) -> MappedColumn[Any]:
    """A column holding personal data of `category` (a fideslang or extension key).

    `encrypted=True` marks a column that holds vault ciphertext of that category.
    """
    info = {"category": category, "encrypted": encrypted}
    return mapped_column(*args, info=info, **kw)


def operational(*args: Any, category: str = OPERATIONAL, **kw: Any) -> MappedColumn[Any]:
    """A column holding data about the system, not about a person."""
    return mapped_column(*args, info={"category": category, "encrypted": False}, **kw)


# Retention classes of per-subject data keys. A class is destroyed whole, so records the
# law makes us keep (financial records; e-mails and complaints, kept as correspondence)
# have classes of their own, apart from what erasure must make unreadable at once.
KEY_CLASSES = ("profile", "location", "communications", "correspondence", "financial")


def subject_link(column: str | None, *, key_class: str | None = None) -> dict[str, Any]:
    """Table info: the column naming the data subject (None: no subject), and the
    vault retention class whose per-subject key encrypts this table's encrypted columns."""
    if key_class is not None and key_class not in KEY_CLASSES:
        raise ValueError(f"unknown key class {key_class!r}")
    return {"info": {"subject_column": column, "key_class": key_class}}
