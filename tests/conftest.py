"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is used when reachable at TRACKGUARD_TEST_POSTGRES_URL (default
postgresql://127.0.0.1:5432/test). With TRACKGUARD_TEST_POSTGRES=1 (as in CI) an
unreachable server fails the run instead of skipping its tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from trackguard.settings import Settings
from trackguard.store import migrate
from trackguard.store.base import Base
from trackguard.store.engine import Database

POSTGRES_ADMIN_URL = os.environ.get(
    "TRACKGUARD_TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test"
)
POSTGRES_REQUIRED = os.environ.get("TRACKGUARD_TEST_POSTGRES") == "1"


def _postgres_unavailable_reason() -> str | None:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means "not reachable"
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {type(exc).__name__}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session, dropped at the end."""
    reason = _postgres_unavailable_reason()
    if reason:
        if POSTGRES_REQUIRED:
            pytest.fail(f"{reason} (TRACKGUARD_TEST_POSTGRES=1 requires it)")
        pytest.skip(reason)
    name = f"trackguard_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    db = Database.from_url(url)
    migrate.upgrade(db)
    db.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database, once per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'trackguard.db'}"
        db = Database.from_url(url)
        migrate.upgrade(db)
        db.dispose()
        yield url
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    db = Database.from_url(url)
    _truncate_all(db)
    db.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database.from_url(database_url)
    yield database
    database.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for one test: its own data dir, on the parametrised database."""
    return Settings(data_dir=tmp_path / "data", database_url=database_url)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """Settings on the embedded default (a SQLite file in a fresh data dir)."""
    return Settings(data_dir=tmp_path / "data")
