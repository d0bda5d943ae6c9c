"""Where an ORM object's encrypted field lives: table, column, row, subject and key class.

Models declare it once (see `trackguard.store.base.subject_link`): the table's
`info` names the key class and the column holding the subject; `subject_via`
("devices.customer_id") says that column points at another row that names the
subject. A row without a subject (a device nobody has activated yet) is
encrypted under the fleet subject's keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, inspect
from sqlalchemy.orm import Mapper, Session

from trackguard.clock import as_utc
from trackguard.errors import VaultError
from trackguard.store.base import KEY_CLASSES

FLEET_SUBJECT = "fleet"


@dataclass(frozen=True, slots=True)
class FieldPlace:
    """The associated data of one encrypted field."""

    table: str
    column: str
    row: str
    subject: str
    key_class: str


@dataclass(frozen=True)
class _TableBinding:
    table: str
    key_class: str | None
    id_attrs: tuple[str, ...]  # the primary key's attributes, in key order
    make_id: Callable[[], Any] | None
    subject_attr: str | None
    via: tuple[Mapper[Any], str] | None  # (mapper of the linked table, its subject attribute)
    encrypted: dict[str, str]  # column name -> attribute name


_BINDINGS: dict[Mapper[Any], _TableBinding] = {}


def _table(mapper: Mapper[Any]) -> Table:
    return cast(Table, mapper.local_table)  # declarative models map tables, not selects


def _attr(mapper: Mapper[Any], column_name: str) -> str:
    return mapper.get_property_by_column(_table(mapper).c[column_name]).key


def _binding(mapper: Mapper[Any]) -> _TableBinding:
    found = _BINDINGS.get(mapper)
    if found is not None:
        return found
    table = _table(mapper)
    info = table.info
    key_class = info.get("key_class")
    if key_class is not None and key_class not in KEY_CLASSES:
        raise VaultError(f"table {table.name} names unknown key class {key_class!r}")
    id_column = mapper.primary_key[0]
    default = id_column.default if len(mapper.primary_key) == 1 else None
    make_id = None
    if default is not None and getattr(default, "is_callable", False):
        arg = default.arg  # SQLAlchemy wraps zero-argument callables to take a context

        def make_id() -> Any:
            return arg(None)  # type: ignore[operator]

    subject_column = info.get("subject_column")
    via = None
    if info.get("subject_via"):
        via_table, via_column = str(info["subject_via"]).split(".", 1)
        linked = next((m for m in mapper.registry.mappers if _table(m).name == via_table), None)
        if linked is None:
            raise VaultError(f"table {table.name}: subject_via names unknown table {via_table}")
        via = (linked, _attr(linked, via_column))
    binding = _TableBinding(
        table=table.name,
        key_class=key_class,
        id_attrs=tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key),
        make_id=make_id,
        subject_attr=_attr(mapper, subject_column) if subject_column else None,
        via=via,
        encrypted={c.name: _attr(mapper, c.name) for c in table.columns if c.info.get("encrypted")},
    )
    _BINDINGS[mapper] = binding
    return binding


def row_binding(key_parts: list[Any]) -> str:
    """The row a ciphertext binds to: its primary key, parts joined by `|`.

    Times are UTC with microseconds, so a key read back from SQLite (naive) or
    PostgreSQL (aware) binds the same; for positions this is
    `tracking.positions.position_row_binding`.
    """
    return "|".join(
        as_utc(part).isoformat(timespec="microseconds") if isinstance(part, datetime) else str(part)
        for part in key_parts
    )


def encrypted_columns(obj: object) -> list[str]:
    """Names of the vault-encrypted columns of `obj`'s table."""
    return list(_binding(inspect(obj).mapper).encrypted)


def column_attribute(obj: object, column: str) -> str:
    binding = _binding(inspect(obj).mapper)
    if column not in binding.encrypted:
        raise VaultError(f"column {binding.table}.{column} is not a vault-encrypted column")
    return binding.encrypted[column]


def subject_of(session: Session, obj: object) -> str:
    """The data subject `obj` belongs to now (the fleet when it has none)."""
    binding = _binding(inspect(obj).mapper)
    if binding.subject_attr is None:
        return FLEET_SUBJECT
    subject = getattr(obj, binding.subject_attr)
    if subject is not None and binding.via is not None:
        linked_mapper, linked_attr = binding.via
        linked = session.get(linked_mapper, subject)
        if linked is None:
            raise VaultError(
                f"{binding.table} row links to {_table(linked_mapper).name} {subject}, "
                "which does not exist: cannot tell whose key encrypts it"
            )
        subject = getattr(linked, linked_attr)
    return FLEET_SUBJECT if subject is None else str(subject)


def place_of(
    session: Session, obj: object, column: str, *, subject: str | None = None
) -> FieldPlace:
    """The place of `obj.<column>`; assigns the row id first if the model makes ids in Python.

    Row ids must exist before encryption because the ciphertext binds to them.
    """
    binding = _binding(inspect(obj).mapper)
    if binding.key_class is None:
        raise VaultError(f"table {binding.table} has no key class: it holds no vault ciphertext")
    if column not in binding.encrypted:
        raise VaultError(f"column {binding.table}.{column} is not a vault-encrypted column")
    parts = [getattr(obj, attr) for attr in binding.id_attrs]
    if parts == [None] and binding.make_id is not None:
        parts = [binding.make_id()]
        setattr(obj, binding.id_attrs[0], parts[0])
    if any(part is None for part in parts):
        raise VaultError(
            f"{binding.table} row has no id yet: ids made by the database are unknown before "
            "insert, so use Vault.encrypt with an explicit row"
        )
    return FieldPlace(
        table=binding.table,
        column=column,
        row=row_binding(parts),
        subject=subject if subject is not None else subject_of(session, obj),
        key_class=binding.key_class,
    )
