"""Plain driver rows: the same values SQLAlchemy would give, or a refusal at compile time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, select

from trackguard.store.engine import Database
from trackguard.store.models import BusinessAccount
from trackguard.store.plain_rows import compile_plain, plain_rows

NAMED_FROM = (
    select(BusinessAccount.id, BusinessAccount.company_name)
    .where(BusinessAccount.company_name >= bindparam("first"))
    .order_by(BusinessAccount.id)
    .limit(2)  # a parameter the statement carries itself
)


def _accounts(db: Database) -> None:
    made = datetime(2026, 3, 1, tzinfo=UTC)
    with db.session() as session:
        session.add_all(
            BusinessAccount(id=f"b{n}", company_name=name, created_at=made)
            for n, name in enumerate(["Appel", "Bunschoten Fietsen", "Citroen", "Duin"])
        )


def test_rows_are_those_sqlalchemy_reads(db: Database) -> None:
    _accounts(db)
    with db.session() as session:
        connection = session.connection()
        query = compile_plain(NAMED_FROM, connection.dialect)
        rows = plain_rows(connection, query, {"first": "B"})
        expected = [tuple(row) for row in connection.execute(NAMED_FROM, {"first": "B"})]
    assert rows == expected == [("b1", "Bunschoten Fietsen"), ("b2", "Citroen")]
    assert all(type(row) is tuple for row in rows)


def test_no_rows_is_an_empty_list(db: Database) -> None:
    with db.session() as session:
        connection = session.connection()
        query = compile_plain(NAMED_FROM, connection.dialect)
        assert plain_rows(connection, query, {"first": "A"}) == []


def test_values_that_need_conversion_are_refused(db: Database) -> None:
    with db.session() as session:
        dialect = session.connection().dialect
    # Times are stored as text on SQLite and converted to aware datetimes on the way out.
    with pytest.raises(ValueError, match="created_at"):
        compile_plain(select(BusinessAccount.created_at), dialect)
    since = select(BusinessAccount.id).where(BusinessAccount.created_at >= bindparam("since"))
    with pytest.raises(ValueError, match="since"):
        compile_plain(since, dialect)
