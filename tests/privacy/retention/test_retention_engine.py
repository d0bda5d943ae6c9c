"""The engine's promises: batched, idempotent, safe to kill midway, every report kept."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from tests.privacy.retention.conftest import NOW
from tests.privacy.retention.factories import World, make

from trackguard.privacy.retention import ProgressEvent, list_reports, load_report, plan, run
from trackguard.runtime import Runtime
from trackguard.store.models import AuditEntry, ChatMessage, RetentionRun

WorldFactory = Callable[[], AbstractContextManager[World]]
CHATS = "chat_messages"


def _chat_period(runtime: Runtime) -> timedelta:
    rule = next(r for r in runtime.policy.rules_for(CHATS) if r.target(CHATS).exempt_if)
    return NOW - rule.period.before(NOW)


def _old_chats(runtime: Runtime, world: WorldFactory, count: int, **values: object) -> None:
    old = NOW - _chat_period(runtime) - timedelta(days=1)
    with world() as w:
        for _ in range(count):
            make(w, CHATS, sent_at=old, **values)


def _chats(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(ChatMessage)) or 0)


def _chat_count(report: object) -> int:
    return sum(r.count for r in report.rules if r.record == CHATS)  # type: ignore[attr-defined]


def test_a_relevant_chat_outlives_the_short_period(runtime: Runtime, world: WorldFactory) -> None:
    _old_chats(runtime, world, 2, relevant_to_service=False)
    _old_chats(runtime, world, 1, relevant_to_service=True)
    report = run(runtime, as_of=NOW)
    assert _chat_count(report) == 2
    assert _chats(runtime) == 1
    # Years later the rule for relevant chats takes it too.
    later = run(runtime, as_of=NOW + timedelta(days=3 * 366))
    assert _chat_count(later) == 1
    assert _chats(runtime) == 0


def test_running_twice_acts_once(runtime: Runtime, world: WorldFactory) -> None:
    _old_chats(runtime, world, 5)
    first = run(runtime, as_of=NOW, batch_size=2)
    second = run(runtime, as_of=NOW, batch_size=2)
    assert _chat_count(first) == 5
    assert second.total == 0
    assert all(r.count == 0 for r in second.rules)


def test_plan_counts_what_run_removes_and_changes_nothing(
    runtime: Runtime, world: WorldFactory
) -> None:
    _old_chats(runtime, world, 4)
    planned = plan(runtime, as_of=NOW)
    assert _chats(runtime) == 4
    done = run(runtime, as_of=NOW)
    assert [(r.rule, r.record, r.count) for r in planned.rules] == [
        (r.rule, r.record, r.count) for r in done.rules
    ]
    assert planned.mode == "plan" and done.mode == "run"


class Killed(Exception):
    """Stands in for the process dying after a committed batch."""


def test_a_run_killed_midway_is_finished_by_the_next(runtime: Runtime, world: WorldFactory) -> None:
    _old_chats(runtime, world, 7)
    seen: list[ProgressEvent] = []

    def die_after_first_batch(event: ProgressEvent) -> None:
        seen.append(event)
        raise Killed

    with pytest.raises(Killed):
        run(runtime, as_of=NOW, batch_size=3, progress=die_after_first_batch)
    assert _chats(runtime) == 4
    assert seen == [ProgressEvent("chat_contact", CHATS, 3, 7)]
    with runtime.db.session() as session:
        killed = list_reports(session)[0]
    assert killed.status == "failed" and killed.error == "Killed"
    assert _chat_count(killed) == 3  # exactly what was committed

    finished = run(runtime, as_of=NOW, batch_size=3)
    assert _chat_count(finished) == 4
    assert _chats(runtime) == 0
    assert finished.status == "completed"


def test_each_report_is_kept_with_its_counts(runtime: Runtime, world: WorldFactory) -> None:
    _old_chats(runtime, world, 2)
    planned = plan(runtime, as_of=NOW)
    done = run(runtime, as_of=NOW)
    with runtime.db.session() as session:
        stored = {r.id: r for r in list_reports(session)}
        row = session.get(RetentionRun, done.id)
        assert row is not None
        assert row.mode == "run" and row.status == "completed"
        assert row.started_at == NOW and row.finished_at == NOW and row.as_of == NOW
        assert {"rule": "chat_contact", "action": "delete", "record": CHATS, "count": 2} in [
            {k: v for k, v in r.items() if k != "held"}
            for r in row.report["rules"]  # type: ignore[index, union-attr]
        ]
        assert load_report(session, planned.id).mode == "plan"
    assert set(stored) == {planned.id, done.id}
    assert stored[done.id].to_dict() == done.to_dict()
    # Every rule and record of the policy has its line, also when nothing was due.
    expected = [(r.key, t.record) for r in runtime.policy.retention.rules for t in r.targets]
    assert [(r.rule, r.record) for r in done.rules] == expected


def test_every_batch_is_audited_without_a_subject(runtime: Runtime, world: WorldFactory) -> None:
    _old_chats(runtime, world, 3)
    run(runtime, as_of=NOW, batch_size=2)
    with runtime.db.session() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "retention.delete:chat_contact")
        ).all()
    assert len(entries) == 2
    assert all(e.subject_id is None and e.actor == "retention" for e in entries)
    assert all("user.content.private.chat" in e.categories for e in entries)


def test_a_bad_batch_size_is_refused(runtime: Runtime) -> None:
    with pytest.raises(ValueError):
        run(runtime, as_of=NOW, batch_size=0)
