"""Fixtures for vault tests: a key file path and an unlocked vault on the parametrised database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trackguard.clock import fixed_clock
from trackguard.store.engine import Database
from trackguard.vault import Vault, open_vault

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "master.key"


@pytest.fixture
def vault(db: Database, key_file: Path) -> Vault:
    return open_vault(db, key_file, clock=fixed_clock(NOW))


SUBJECT = "c0ffee00c0ffee00c0ffee00c0ffee00"


@pytest.fixture
def place() -> Callable[..., dict[str, str]]:
    """Keyword arguments naming one encrypted field (realistic values), with overrides."""

    def make(**overrides: str) -> dict[str, str]:
        values = {
            "subject": SUBJECT,
            "key_class": "profile",
            "table": "customers",
            "column": "email",
            "row": SUBJECT,
        }
        values.update(overrides)
        return values

    return make
