"""Demo worlds: the demo data a test's database can start with instead of seeding it.

`trackguard demo seed` takes seconds; the suite seeds each world once per session and
backend into a template (tests/database_templates.py) and gives every test a fresh copy.
An area opts in by overriding the `demo_world` fixture for the tests that take its world.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from trackguard.clock import fixed_clock
from trackguard.demo.seed import SeedReport, seed_demo
from trackguard.runtime import Runtime
from trackguard.settings import Settings

if TYPE_CHECKING:
    from tests.database_templates import Template


@dataclass(frozen=True)
class DemoWorld:
    """The demo data `seed_demo(seed=, customers=)` writes on a runtime whose clock says `now`."""

    now: datetime
    seed: int = 1
    customers: int = 2


def seed_world(settings: Settings, world: DemoWorld) -> SeedReport:
    """Seed `world` into the database and data dir of `settings` (once, for a template)."""
    with Runtime.open(settings, clock=fixed_clock(world.now)) as runtime:
        return seed_demo(runtime, seed=world.seed, customers=world.customers)


def world_if_taken(
    request: pytest.FixtureRequest, fixture: str, world: DemoWorld
) -> DemoWorld | None:
    """`world` for a test that takes `fixture` (itself or through another), else None:
    an area's `demo_world`, so only the tests that use its world start with the demo data."""
    return world if fixture in request.fixturenames else None


def demo_data(runtime: Runtime, template: Template, *, seed: int = 1, customers: int) -> SeedReport:
    """What `seed_demo(runtime, seed=, customers=)` reports: the template seed's own report
    when the test's database started as that world, else the seed's, run now."""
    wanted = DemoWorld(runtime.clock(), seed, customers)
    if template.world is None:
        return seed_demo(runtime, seed=seed, customers=customers)
    # Another world's copy would hold demo data seeded at another moment: fail, never mix.
    assert template.world == wanted, f"the database holds {template.world}, not {wanted}"
    assert template.report is not None
    return dataclasses.replace(template.report, counts=dict(template.report.counts))
