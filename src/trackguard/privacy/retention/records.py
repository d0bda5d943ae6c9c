"""The records (tables) the policy's retention rules name, and the order to remove them in.

What retention needs to know about a table (its key, its data subject, its personal
columns) comes from the shared table map, `store.subject_tables`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, func

from trackguard.errors import PolicyError
from trackguard.store.subject_tables import SubjectTable, table_map


def is_declared(name: str) -> bool:
    return name in table_map()


def record(name: str) -> SubjectTable:
    found = table_map().get(name)
    if found is None:
        raise PolicyError(f"the policy names record '{name}', which no model declares")
    return found


@cache
def removal_rank(name: str) -> int:
    """Children before parents: a row deleted ON DELETE CASCADE with its parent is then
    counted by its own rule first, and a parent that loses its last child is seen doing so."""
    order = list(table_map())[::-1]
    return order.index(name) if name in order else len(order)


def records_in_row(rec: SubjectTable) -> ColumnElement[Any] | None:
    """How many records one row holds, for a table whose info names a `records_column`
    (a position block row holds that many fixes, a single row one); None: one per row."""
    column = rec.table.info.get("records_column")
    return None if column is None else func.coalesce(rec.table.c[str(column)], 1)
