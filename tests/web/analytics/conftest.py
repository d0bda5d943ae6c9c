"""An app on each backend with a clock the tests move."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from tests.web.analytics.analytics_helpers import FAST_PASSWORDS, MovableClock

from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.web.app import create_app


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def runtime(settings: Settings, clock: MovableClock) -> Iterator[Runtime]:
    with Runtime.open(settings, clock=clock) as opened:
        yield opened


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    made = create_app(runtime)
    made.state.auth.passwords = FAST_PASSWORDS
    return made
