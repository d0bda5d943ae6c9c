"""The demo data gives every retention rule something to do, and years later the
engine takes what the rules make due while the audit chain still verifies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from tests.privacy.retention.conftest import NOW

from trackguard.demo.seed import seed_demo
from trackguard.privacy.audit import verify
from trackguard.privacy.retention import plan, run
from trackguard.runtime import Runtime
from trackguard.settings import Settings


class MovableClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
def runtime(settings: Settings, clock: MovableClock) -> Iterator[Runtime]:
    with Runtime.open(settings, clock=clock) as opened:
        yield opened


# What the privacy-operations part of the seed must write (demo/privacy_records.py).
PRIVACY_RECORDS = {
    "identity_documents",
    "request_events",
    "verification_tokens",
    "export_files",
    "processing_restrictions",
    "objections",
    "legal_holds",
    "retention_runs",
    "subject_keys",
}


def test_demo_seed_gives_every_rule_rows_to_act_on(runtime: Runtime, clock: MovableClock) -> None:
    seeded = seed_demo(runtime, customers=7).counts
    assert set(seeded) >= PRIVACY_RECORDS
    report = plan(runtime)
    # Every rule on a record the demo writes has rows old enough to act on, except the
    # audit log's: it starts with the seed itself (one entry per customer).
    idle = {(r.rule, r.record) for r in report.rules if r.count == 0 and r.record in seeded}
    assert idle <= {("audit_log", "audit_entries")}
    assert sum(r.held for r in report.rules) >= 1  # the demo's legal hold on an old order

    done = run(runtime)
    assert done.total >= report.total
    assert run(runtime).total == 0
    assert verify(runtime.db).ok

    clock.now = NOW + timedelta(days=11 * 366)
    years_later = run(runtime)
    assert years_later.as_of == clock.now
    assert years_later.row("account_inactivity", "customers").count >= 1
    assert years_later.row("audit_log", "audit_entries").count >= 1
    assert years_later.row("retention_reports", "retention_runs").count >= 3  # ours, aged
    assert run(runtime).total == 0
    assert verify(runtime.db).ok
