"""Fixtures for retention tests: an opened runtime at a fixed moment, and a world to fill."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime

import pytest
from tests.privacy.retention.factories import World

from trackguard.clock import fixed_clock
from trackguard.runtime import Runtime
from trackguard.settings import Settings

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings, clock=fixed_clock(NOW)) as opened:
        yield opened


@pytest.fixture
def world(runtime: Runtime) -> Callable[[], AbstractContextManager[World]]:
    """`with world() as w:` a transaction to make rows in, committed at the end."""

    @contextmanager
    def open_world() -> Iterator[World]:
        with runtime.db.session() as session:
            yield World(session, runtime.vault, NOW)

    return open_world
