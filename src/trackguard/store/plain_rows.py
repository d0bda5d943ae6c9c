"""Rows of a prepared Core statement as plain tuples, fetched by the driver in one call.

SQLAlchemy builds a `Row` per result row and, iterated, fetches them one at a
time; for a read API listing a thousand rows per request that machinery costs
more than the database's own work. A `PlainQuery` is compiled once per dialect
and runs on the session's own DBAPI connection (same transaction), returning the
driver's tuples as they are.

That is only right for statements whose values need no conversion on the way
in or out, so compiling refuses any column or parameter whose type has a
result or bind processor on that dialect.

On SQLite one fetch runs at a time per process. The driver lets go of the GIL
around every row it steps, so two threads fetching a thousand rows each hand the
GIL back and forth a thousand times: measured with eight concurrent API requests,
that doubled the CPU time per request (half of it in the kernel). Queued, each
fetch runs through; the process is bound by the GIL either way.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Select

_SQLITE_FETCH = threading.Lock()
_NOTHING_TO_WAIT_FOR = contextlib.nullcontext()


@dataclass(frozen=True, slots=True)
class PlainQuery:
    sql: str
    names: tuple[str, ...] | None  # parameter order for positional drivers (qmark)
    fixed: Mapping[str, Any]  # parameters the statement carries (LIMIT 1, ...)


def compile_plain(statement: Select[Any], dialect: Dialect) -> PlainQuery:
    """`statement` for the driver; ValueError when a value would need SQLAlchemy's processing."""
    for column in statement.selected_columns:
        if column.type.result_processor(dialect, None) is not None:
            raise ValueError(f"column {column.key!r} needs result processing on {dialect.name}")
    compiled = statement.compile(dialect=dialect)
    for bind in compiled.binds.values():
        if bind.type.bind_processor(dialect) is not None:
            raise ValueError(f"parameter {bind.key!r} needs bind processing on {dialect.name}")
    fixed = {
        name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required
    }
    names = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    return PlainQuery(str(compiled), names, fixed)


def plain_rows(
    connection: Connection, query: PlainQuery, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """All rows of `query` with `params`, as the driver returns them."""
    values = {**query.fixed, **params}
    driver = connection.connection.driver_connection
    assert driver is not None
    arguments = values if query.names is None else tuple(values[name] for name in query.names)
    with _SQLITE_FETCH if connection.dialect.name == "sqlite" else _NOTHING_TO_WAIT_FOR:
        cursor = driver.execute(query.sql, arguments)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
    if rows and type(rows[0]) is not tuple:
        return [tuple(row) for row in rows]
    return rows
