"""The demo's visitor statistics: made by the real counting code, ready for every rule."""

from __future__ import annotations

from random import Random

from tests.web.analytics.analytics_helpers import MovableClock, everything_stored

from trackguard.privacy.retention import engine
from trackguard.runtime import Runtime
from trackguard.web.analytics.demo import add_visitor_statistics

ANALYTICS_TABLES = ("analytics_salts", "analytics_visitor_marks", "analytics_daily_counts")


def test_demo_statistics_give_every_analytics_rule_rows_due_and_not_due(
    runtime: Runtime, clock: MovableClock
) -> None:
    with runtime.db.session() as session:
        written = add_visitor_statistics(session, runtime.policy, clock(), Random(5))
    assert all(written[table] > 0 for table in ANALYTICS_TABLES)
    report = engine.plan(runtime)
    checked = 0
    for rule in runtime.policy.retention.rules:
        for record in rule.records:
            if record in ANALYTICS_TABLES:
                due = report.row(rule.key, record).count
                assert 0 < due < written[record], f"{rule.key}/{record}: {due} due"
                checked += 1
    assert checked == len(ANALYTICS_TABLES)
    assert "192.0.2." not in everything_stored(runtime)
