"""Databases made once per session and backend, copied into each test.

A template is an empty migrated database, or one holding a demo world (tests/worlds.py)
with the master key file its vault was made with. SQLite tests get a copy of the
template's file; PostgreSQL tests share the session's database, which gets the world's
rows copied in before the test and loses every row after it. Either way each test starts
from a fresh database of its own: nothing one test writes reaches the next.
"""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from tests.postgres_snapshots import Snapshot, empty_tables, restore_snapshot, take_snapshot
from tests.worlds import DemoWorld, seed_world

from trackguard.demo.seed import SeedReport
from trackguard.settings import Settings
from trackguard.store import migrate
from trackguard.store.engine import Database

DATABASE_FILE = "trackguard.db"


@dataclass(frozen=True)
class Template(ABC):
    world: DemoWorld | None  # None: empty and migrated
    key_file: Path | None  # the world's master key; None: the test's vault makes its own
    report: SeedReport | None  # what the world's seed reported

    def install_key(self, key_file: Path) -> None:
        """Give a test's data dir the key the copied vault was made with."""
        if self.key_file is not None:
            key_file.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.key_file, key_file)  # keeps its owner-only mode

    @abstractmethod
    def copied(self, tmp_path: Path) -> AbstractContextManager[str]:
        """The URL of a fresh copy for one test (in `tmp_path`, if a file), while it runs."""


@dataclass(frozen=True)
class SqliteTemplate(Template):
    file: Path

    @contextmanager
    def copied(self, tmp_path: Path) -> Iterator[str]:
        target = tmp_path / DATABASE_FILE
        shutil.copyfile(self.file, target)
        yield f"sqlite:///{target}"


@dataclass(frozen=True)
class PostgresTemplate(Template):
    url: str
    engine: Engine
    snapshot: Snapshot | None

    @contextmanager
    def copied(self, tmp_path: Path) -> Iterator[str]:
        if self.snapshot is not None:
            restore_snapshot(self.engine, self.snapshot)
        try:
            yield self.url
        finally:
            empty_tables(self.engine)


class SqliteTemplates:
    """SQLite templates by world, each made on first use in its own folder."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.made: dict[DemoWorld | None, SqliteTemplate] = {}

    def get(self, world: DemoWorld | None) -> SqliteTemplate:
        if world not in self.made:
            self.made[world] = self._make(world, self.directory / f"sqlite-{len(self.made)}")
        return self.made[world]

    def _make(self, world: DemoWorld | None, folder: Path) -> SqliteTemplate:
        file = folder / DATABASE_FILE
        url = f"sqlite:///{file}"
        db = Database.from_url(url)
        migrate.upgrade(db)
        db.dispose()
        if world is None:
            _checkpoint(url)
            return SqliteTemplate(None, None, None, file)
        settings = Settings(data_dir=folder / "data", database_url=url)
        report = seed_world(settings, world)
        _checkpoint(url)
        return SqliteTemplate(world, settings.resolved_key_file, report, file)


def _checkpoint(url: str) -> None:
    """Fold the write-ahead log into the file, so copying the file copies everything."""
    db = Database.from_url(url)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()


class PostgresTemplates:
    """PostgreSQL templates by world: snapshots in the session's database (`url`)."""

    def __init__(self, url: str, directory: Path) -> None:
        self.url, self.directory = url, directory
        self.db = Database.from_url(url)
        self.made: dict[DemoWorld | None, PostgresTemplate] = {}

    def get(self, world: DemoWorld | None) -> PostgresTemplate:
        if world not in self.made:
            self.made[world] = self._make(world, len(self.made))
        return self.made[world]

    def _make(self, world: DemoWorld | None, number: int) -> PostgresTemplate:
        if world is None:
            return PostgresTemplate(None, None, None, self.url, self.db.engine, None)
        empty_tables(self.db.engine)  # seed into nothing, whatever ran before
        settings = Settings(data_dir=self.directory / f"postgres-{number}", database_url=self.url)
        report = seed_world(settings, world)
        snapshot = take_snapshot(self.db.engine, f"template_world_{number}")
        empty_tables(self.db.engine)
        return PostgresTemplate(
            world, settings.resolved_key_file, report, self.url, self.db.engine, snapshot
        )

    def close(self) -> None:
        self.db.dispose()
