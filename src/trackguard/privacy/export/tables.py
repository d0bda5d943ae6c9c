"""Which tables hold rows about a data subject, read from the models' table info.

A table names its subject column (`subject_link`): the customer's id itself, or a
column that leads to it through another table (`subject_via`, e.g. a position's
device). A table without a subject column of its own whose foreign key points at
a subject table (a request's history) belongs to the subject through its parent,
and is exported nested under that parent's rows. Nothing here names a table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, MetaData, Select, Table, select
from sqlalchemy.orm import Mapper

from trackguard.store.base import AUTHENTICATION, Base


@dataclass(frozen=True)
class SubjectTable:
    """A table with rows about a subject, and how to find that subject's rows."""

    table: Table
    subject_column: str
    via: tuple[Table, str] | None  # (linked table, its subject column)
    children: tuple[ChildTable, ...] = ()

    @property
    def name(self) -> str:
        return self.table.name

    def belongs_to(self, subject_id: str) -> ColumnElement[bool]:
        """SQL condition: the row is about `subject_id`."""
        column = self.table.c[self.subject_column]
        if self.via is None:
            return column == subject_id
        linked, linked_column = self.via
        key = _referenced_key(self.table, self.subject_column, linked)
        return column.in_(select(key).where(linked.c[linked_column] == subject_id))


@dataclass(frozen=True)
class ChildTable:
    """A table without a subject column whose rows hang off a subject table's rows."""

    table: Table
    parent_column: str  # the foreign key column pointing at the parent row

    @property
    def name(self) -> str:
        return self.table.name


def subject_tables(metadata: MetaData = Base.metadata) -> list[SubjectTable]:
    """Every table whose subject column leads to a data subject, in metadata order."""
    tables = list(metadata.sorted_tables)
    by_name = {t.name: t for t in tables}
    found = []
    for table in tables:
        column = table.info.get("subject_column")
        if not column:
            continue
        via = None
        if table.info.get("subject_via"):
            linked_name, linked_column = str(table.info["subject_via"]).split(".", 1)
            via = (by_name[linked_name], linked_column)
        children = tuple(_children_of(table, tables))
        found.append(SubjectTable(table, str(column), via, children))
    return found


def _children_of(parent: Table, tables: Iterable[Table]) -> Iterable[ChildTable]:
    for table in tables:
        if "subject_column" not in table.info or table.info["subject_column"]:
            continue
        for fk in table.foreign_keys:
            if fk.column.table is parent and fk.parent.table is table:
                yield ChildTable(table, fk.parent.name)


def _referenced_key(table: Table, column: str, linked: Table) -> Any:
    """The column of `linked` that `table.column` references (its primary key by default)."""
    for fk in table.c[column].foreign_keys:
        if fk.column.table is linked:
            return fk.column
    return next(iter(linked.primary_key.columns))


@cache
def exported_columns(table: Table) -> tuple[str, ...]:
    """Every column except credentials (password hashes, signing secrets, wrapped keys):
    they are not data about the person, and handing them out would weaken the account."""
    return tuple(c.name for c in table.columns if c.info.get("category") != AUTHENTICATION)


@cache
def attributes_of(table: Table) -> dict[str, str]:
    """Column name -> the model attribute holding it."""
    mapper = mapper_of(table)
    return {c.name: mapper.get_property_by_column(c).key for c in table.columns}


@cache
def mapper_of(table: Table) -> Mapper[Any]:
    for mapper in Base.registry.mappers:
        if mapper.local_table is table:
            return mapper
    raise LookupError(f"no model maps table {table.name}")


def rows_of(subject: SubjectTable, subject_id: str) -> Select[Any]:
    """ORM select of the subject's rows of `subject`, in primary-key order."""
    mapper = mapper_of(subject.table)
    return (
        select(mapper)
        .where(subject.belongs_to(subject_id))
        .order_by(*subject.table.primary_key.columns)
    )


def children_of(child: ChildTable, parent_id: Any) -> Select[Any]:
    mapper = mapper_of(child.table)
    return (
        select(mapper)
        .where(child.table.c[child.parent_column] == parent_id)
        .order_by(*child.table.primary_key.columns)
    )
