"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is used when reachable at TRACKGUARD_TEST_POSTGRES_URL (default
postgresql://127.0.0.1:5432/test). With TRACKGUARD_TEST_POSTGRES=1 (as in CI) an
unreachable server fails the run instead of skipping its tests.

Each test gets a database of its own, copied from a template made once per session and
backend (tests/database_templates.py): empty and migrated, or holding the demo world its
area asks for through `demo_world` (tests/worlds.py).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.database_templates import PostgresTemplates, SqliteTemplates, Template
from tests.worlds import DemoWorld

from trackguard.settings import Settings
from trackguard.store import migrate
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


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplates:
    return SqliteTemplates(tmp_path_factory.mktemp("sqlite-templates"))


@pytest.fixture(scope="session")
def postgresql_templates(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PostgresTemplates]:
    templates = PostgresTemplates(postgres_url, tmp_path_factory.mktemp("postgres-templates"))
    yield templates
    templates.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend a test runs on: each database test runs on both."""
    return str(request.param)


@pytest.fixture
def demo_world() -> DemoWorld | None:
    """The demo data a test's database starts with; None: none (empty, migrated).

    An area whose `world` is the demo data overrides this for the tests that take it:
    they then start from a copy seeded once per session instead of seeding their own."""
    return None


@pytest.fixture
def database_template(
    request: pytest.FixtureRequest, backend: str, demo_world: DemoWorld | None
) -> Template:
    """What this test's database is copied from (made on first use, once per session)."""
    templates: SqliteTemplates | PostgresTemplates = request.getfixturevalue(f"{backend}_templates")
    return templates.get(demo_world)


@pytest.fixture
def database_url(tmp_path: Path, database_template: Template) -> Iterator[str]:
    """The URL of this test's own migrated database, once per backend: empty, or holding
    the `demo_world`."""
    with database_template.copied(tmp_path) as url:
        yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database.from_url(database_url)
    yield database
    database.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, database_template: Template) -> Settings:
    """Settings for one test: its own data dir, on the parametrised database."""
    made = Settings(data_dir=tmp_path / "data", database_url=database_url)
    database_template.install_key(made.resolved_key_file)
    return made


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """Settings on the embedded default (a SQLite file in a fresh data dir)."""
    return Settings(data_dir=tmp_path / "data")
