"""The rows of the session's PostgreSQL database, set aside in a schema and put back.

A world's rows are copied back inside the server, in their seeded order, in tens of
milliseconds (seeding takes seconds). Emptying truncates, as fresh tables keep rows in
the order they were written (tests read some without ORDER BY); but only the tables
that have pages, as each truncated table costs tens of milliseconds (new files).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from trackguard.store.base import Base

# The sequences of the app's own schema (integer keys), as pg_sequences lists them.
_SEQUENCES = "FROM pg_sequences WHERE schemaname = current_schema()"
# Tables of the app's schema with a page anywhere (a partitioned one: in any partition).
_TABLES_WITH_PAGES = text(
    "SELECT c.relname FROM pg_class c "
    "WHERE c.relnamespace = CAST(current_schema() AS regnamespace) AND c.relkind IN ('r', 'p') "
    "AND (pg_relation_size(c.oid) > 0 OR EXISTS "
    "(SELECT FROM pg_partition_tree(c.oid) t WHERE pg_relation_size(t.relid) > 0))"
)


@dataclass(frozen=True)
class Snapshot:
    schema: str  # holds a copy of each table that had rows
    tables: tuple[str, ...]  # those tables, parents before children
    sequences: dict[str, int]  # sequence name -> its last value


def take_snapshot(engine: Engine, schema: str) -> Snapshot:
    """Copy every table holding rows into `schema`, and note where the sequences stand."""
    kept = []
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        for table in Base.metadata.sorted_tables:
            if connection.execute(text(f'SELECT EXISTS (SELECT FROM "{table.name}")')).scalar():
                connection.execute(
                    text(f'CREATE TABLE "{schema}"."{table.name}" AS TABLE "{table.name}"')
                )
                kept.append(table.name)
        found = connection.execute(
            text(f"SELECT sequencename, last_value {_SEQUENCES} AND last_value IS NOT NULL")
        )
        sequences = {str(name): int(value) for name, value in found}
    return Snapshot(schema, tuple(kept), sequences)


def restore_snapshot(engine: Engine, snapshot: Snapshot) -> None:
    """Put the snapshot's rows and sequence positions back into the (empty) tables."""
    with engine.begin() as connection:
        for name in snapshot.tables:
            # Same migrations, same column order: the copy's * lines up with the table's.
            connection.execute(
                text(f'INSERT INTO "{name}" SELECT * FROM "{snapshot.schema}"."{name}"')
            )
        for sequence, value in snapshot.sequences.items():
            _set_sequence(connection, sequence, value, called=True)


def empty_tables(engine: Engine) -> None:
    """What TRUNCATE of every table, RESTART IDENTITY, leaves: a table without pages
    is already that, so only the others (and what refers to them) are truncated."""
    app_tables = {table.name for table in Base.metadata.sorted_tables}
    with engine.begin() as connection:
        written = connection.execute(_TABLES_WITH_PAGES).scalars().all()
        if names := ", ".join(f'"{name}"' for name in written if name in app_tables):
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        for (sequence,) in connection.execute(text(f"SELECT sequencename {_SEQUENCES}")):
            _set_sequence(connection, str(sequence), 1, called=False)


def _set_sequence(connection: Connection, sequence: str, value: int, *, called: bool) -> None:
    connection.execute(
        text("SELECT setval(CAST(quote_ident(:sequence) AS regclass), :value, :called)"),
        {"sequence": sequence, "value": value, "called": called},
    )
