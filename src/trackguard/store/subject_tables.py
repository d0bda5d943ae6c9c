"""Which tables hold rows about a data subject, and how to find a subject's rows in them.

Read from what each model declares in its table info (`store.base.subject_link`): the
column naming the subject (`subject_column`: the customer's id itself, or a column
that leads to it through another table, `subject_via`, e.g. a position's device), and
the vault key class encrypting the table. A table that declares no subject of its own
but whose foreign key points at a subject table (a request's history) belongs to the
subject through that parent: it is the parent's child. Export, erasure, retention and
the privacy centre all read the tables from here, so they cannot disagree about whose
rows are whose. Nothing here names a table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import Column, ColumnElement, MetaData, Table, func, select
from sqlalchemy.orm import Mapper

import trackguard.store.models  # noqa: F401  (registers every table in the metadata)
from trackguard.errors import PolicyError
from trackguard.policy.taxonomy import is_personal
from trackguard.store.base import Base


@dataclass(frozen=True)
class SubjectVia:
    """How a subject column reaches the subject through another table: positions.device_id
    references devices.id, and devices.customer_id names the subject."""

    table: Table
    referenced: Column[Any]  # the linked table's column our subject column points at
    subject: Column[Any]  # the linked table's subject column


@dataclass(frozen=True)
class ChildTable:
    """A table without a subject column whose rows hang off a subject table's rows."""

    table: Table
    parent_column: str  # the foreign key column pointing at the parent row

    @property
    def name(self) -> str:
        return self.table.name


@dataclass(frozen=True)
class SubjectTable:
    """One table as the models declare it: whose rows they are and how to find them.

    `subject_column` is None for a table whose rows name no subject of their own."""

    table: Table
    subject_column: str | None
    via: SubjectVia | None = None
    key_class: str | None = None  # the vault key class encrypting its encrypted columns
    children: tuple[ChildTable, ...] = ()

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def key(self) -> tuple[Column[Any], ...]:
        return tuple(self.table.primary_key.columns)

    @property
    def is_subject(self) -> bool:
        """The subject's own table (customers): its key is the subject column."""
        return [c.name for c in self.key] == [self.subject_column]

    def column(self, name: str) -> Column[Any]:
        try:
            return self.table.c[name]
        except KeyError:
            raise PolicyError(f"record '{self.name}' has no column '{name}'") from None

    @property
    def subject_key(self) -> Column[Any] | None:
        """The column naming the subject, directly or through `via` (None: no subject)."""
        return None if self.subject_column is None else self.column(self.subject_column)

    def personal_columns(self) -> list[Column[Any]]:
        """Columns tagged with a personal category (`user.*`), the primary key aside."""
        return [
            c
            for c in self.table.columns
            if is_personal(str(c.info.get("category", ""))) and not c.primary_key
        ]

    @property
    def plaintext_personal(self) -> tuple[str, ...]:
        """Personal columns stored in plaintext: destroying a key leaves them readable."""
        return tuple(c.name for c in self.personal_columns() if not c.info.get("encrypted"))

    def categories(self) -> list[str]:
        return sorted({str(c.info["category"]) for c in self.personal_columns()})

    def record_count(self) -> ColumnElement[Any]:
        """SQL aggregate: how many records the selected rows hold. A table whose info
        names a `records_column` (positions: a block row holds that many fixes, a
        single row one) counts its values; any other table counts rows."""
        column = self.table.info.get("records_column")
        if column is None:
            return func.count()
        return func.coalesce(func.sum(func.coalesce(self.table.c[str(column)], 1)), 0)

    # -- "rows of subject X", as SQL over this table --------------------------------------

    def subject_of_row(self) -> ColumnElement[Any] | None:
        """The data subject of a row, as an expression over this table (None: no subject)."""
        own = self.subject_key
        if own is None or self.via is None:
            return own
        return select(self.via.subject).where(self.via.referenced == own).scalar_subquery()

    def belongs_to(self, subject_id: str) -> ColumnElement[bool]:
        """Rows about `subject_id`."""
        return self._subject_is(lambda subject: subject == subject_id)

    def subject_in(self, subjects: Any) -> ColumnElement[bool]:
        """Rows whose subject is in `subjects` (ids, or a select of them)."""
        return self._subject_is(lambda subject: subject.in_(subjects))

    def linked(self, linked: bool) -> ColumnElement[bool]:
        """Rows whose subject column does (True) or does not (False) lead to a subject."""
        if linked:
            return self._subject_is(lambda subject: subject.is_not(None))
        return self._subject_is(lambda subject: subject.is_(None))

    def _subject_is(
        self, test: Callable[[Column[Any]], ColumnElement[bool]]
    ) -> ColumnElement[bool]:
        own = self.subject_key
        if own is None:
            raise PolicyError(f"record '{self.name}' has no data subject")
        if self.via is None:
            return test(own)
        return own.in_(select(self.via.referenced).where(test(self.via.subject)))


def table_map(metadata: MetaData = Base.metadata) -> Mapping[str, SubjectTable]:
    """Every table of `metadata` by name, parents before children (the metadata's order)."""
    return _read(metadata)


@cache  # per metadata: the models do not change while the process runs
def _read(metadata: MetaData) -> Mapping[str, SubjectTable]:
    tables = list(metadata.sorted_tables)
    by_name = {t.name: t for t in tables}
    return MappingProxyType({t.name: _subject_table(t, by_name, tables) for t in tables})


def subject_tables(metadata: MetaData = Base.metadata) -> list[SubjectTable]:
    """The tables whose subject column leads to a data subject, in metadata order."""
    return [t for t in table_map(metadata).values() if t.subject_column]


def _subject_table(table: Table, by_name: Mapping[str, Table], tables: list[Table]) -> SubjectTable:
    column = table.info.get("subject_column")
    if not column:
        return SubjectTable(table, None)
    via = None
    if table.info.get("subject_via"):
        linked_name, linked_column = str(table.info["subject_via"]).split(".", 1)
        linked = by_name[linked_name]
        via = SubjectVia(linked, _referenced(table.c[column], linked), linked.c[linked_column])
    key_class = table.info.get("key_class")
    return SubjectTable(
        table,
        str(column),
        via,
        None if key_class is None else str(key_class),
        tuple(_children_of(table, tables)),
    )


def _referenced(column: Column[Any], linked: Table) -> Column[Any]:
    """The column of `linked` that `column` references (its primary key by default)."""
    for fk in column.foreign_keys:
        if fk.column.table is linked:
            return fk.column
    return next(iter(linked.primary_key.columns))


def _children_of(parent: Table, tables: Iterable[Table]) -> Iterable[ChildTable]:
    for table in tables:
        if "subject_column" not in table.info or table.info["subject_column"]:
            continue
        for fk in table.foreign_keys:
            if fk.column.table is parent and fk.parent.table is table:
                yield ChildTable(table, fk.parent.name)


@cache
def mapper_of(table: Table) -> Mapper[Any]:
    """The model class mapping `table`."""
    for mapper in Base.registry.mappers:
        if mapper.local_table is table:
            return mapper
    raise LookupError(f"no model maps table {table.name}")
