"""What retention needs to know about a record (table), read from the models once.

The models already say everything: the primary key, which column names the data
subject (directly, or through another table: `subject_via`), which columns are
personal (`info["category"]` under `user.`) and which foreign keys cascade. Nothing
here names a table; a new model with the usual column info is handled the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Column, ColumnElement, String, Table, cast, select

import trackguard.store.models  # noqa: F401  (registers every table in the metadata)
from trackguard.errors import PolicyError
from trackguard.store.base import Base


@dataclass(frozen=True)
class Record:
    """One table as retention sees it."""

    table: Table

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def key(self) -> tuple[Column[Any], ...]:
        return tuple(self.table.primary_key.columns)

    @property
    def key_text(self) -> ColumnElement[Any]:
        """The first key column as text: what `legal_holds.record_id` is compared with.

        For a composite key (positions: device, fix time) a hold on the first column
        holds every row that shares it (all positions of one tracker)."""
        first = self.key[0]
        return first if isinstance(first.type, String) else cast(first, String)

    def column(self, name: str) -> Column[Any]:
        try:
            return self.table.c[name]
        except KeyError:
            raise PolicyError(f"record '{self.name}' has no column '{name}'") from None

    @property
    def subject_column(self) -> Column[Any] | None:
        name = self.table.info.get("subject_column")
        return None if name is None else self.column(name)

    @property
    def subject_via(self) -> tuple[Table, Column[Any], Column[Any]] | None:
        """(linked table, its column our subject column points at, its subject column)."""
        via = self.table.info.get("subject_via")
        own = self.subject_column
        if not via or own is None:
            return None
        table_name, column_name = via.split(".", 1)
        linked = record(table_name).table
        target = next(
            (fk.column for fk in own.foreign_keys if fk.column.table is linked),
            linked.primary_key.columns[0],
        )
        return linked, target, linked.c[column_name]

    def subject(self) -> ColumnElement[Any] | None:
        """The data subject of a row, as an expression over this table (None: no subject)."""
        own = self.subject_column
        via = self.subject_via
        if own is None:
            return None
        if via is None:
            return own
        _, target, subject = via
        return select(subject).where(target == own).scalar_subquery()

    def subject_in(self, subjects: Any) -> ColumnElement[bool]:
        """Rows whose subject is in `subjects` (a select of subject ids)."""
        own, via = self.subject_column, self.subject_via
        if own is None:
            raise PolicyError(f"record '{self.name}' has no data subject")
        if via is None:
            return own.in_(subjects)
        _, target, subject = via
        return own.in_(select(target).where(subject.in_(subjects)))

    def linked(self, linked: bool) -> ColumnElement[bool]:
        """Rows whose subject column does (True) or does not (False) lead to a subject."""
        own, via = self.subject_column, self.subject_via
        if own is None:
            raise PolicyError(f"record '{self.name}' has no data subject to scope by")
        if via is None:
            return own.is_not(None) if linked else own.is_(None)
        _, target, subject = via
        leads = subject.is_not(None) if linked else subject.is_(None)
        return own.in_(select(target).where(leads))

    @property
    def key_class(self) -> str | None:
        value = self.table.info.get("key_class")
        return None if value is None else str(value)

    def personal_columns(self) -> list[Column[Any]]:
        return [
            c
            for c in self.table.columns
            if str(c.info.get("category", "")).startswith("user.") and not c.primary_key
        ]

    def categories(self) -> list[str]:
        return sorted({str(c.info["category"]) for c in self.personal_columns()})

    def parents(self) -> list[tuple[Column[Any], Column[Any]]]:
        """(our foreign key column, the parent column it points at) for every foreign key."""
        return [(fk.parent, fk.column) for fk in self.table.foreign_keys]

    def cascading_children(self) -> list[tuple[Table, Column[Any], Column[Any]]]:
        """(child table, its foreign key column, our column) for foreign keys that delete
        their rows with ours (ON DELETE CASCADE)."""
        found = []
        for table in Base.metadata.sorted_tables:
            for fk in table.foreign_keys:
                if fk.column.table is self.table and (fk.ondelete or "").upper() == "CASCADE":
                    found.append((table, fk.parent, fk.column))
        return found


def is_declared(name: str) -> bool:
    return name in Base.metadata.tables


@cache
def record(name: str) -> Record:
    table = Base.metadata.tables.get(name)
    if table is None:
        raise PolicyError(f"the policy names record '{name}', which no model declares")
    return Record(table)


@cache
def removal_rank(name: str) -> int:
    """Children before parents: a row deleted ON DELETE CASCADE with its parent is then
    counted by its own rule first, and a parent that loses its last child is seen doing so."""
    order = [t.name for t in reversed(Base.metadata.sorted_tables)]
    return order.index(name) if name in order else len(order)
