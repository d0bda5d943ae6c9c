"""Every retention rule of the policy acts on what it makes due and on nothing else.

One test per rule, parametrised from the policy file: a rule added to the policy
is tested from then on (and fails here until the rows of its record can be made).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.privacy.retention.conftest import NOW
from tests.privacy.retention.factories import Key, World
from tests.privacy.retention.scenarios import Scenario, build

from trackguard.errors import PolicyError
from trackguard.policy import Policy, load_policy
from trackguard.privacy.retention import plan, run
from trackguard.privacy.retention.actions import key_match
from trackguard.privacy.retention.records import record
from trackguard.privacy.retention.selection import targets
from trackguard.runtime import Runtime
from trackguard.settings import PACKAGED_POLICY
from trackguard.store.models import SubjectKey
from trackguard.store.subject_tables import SubjectTable as Record

RULES = load_policy(PACKAGED_POLICY).retention.rules
WorldFactory = Callable[[], AbstractContextManager[World]]


def _exists(runtime: Runtime, rec: Record, keys: list[Key]) -> int:
    with runtime.db.session() as session:
        query = select(func.count()).select_from(rec.table).where(key_match(rec, keys))
        return int(session.scalar(query) or 0)


def _personal_values(runtime: Runtime, rec: Record, key: Key) -> dict[str, Any]:
    columns = [c for c in rec.personal_columns() if c.nullable and not c.foreign_keys]
    with runtime.db.session() as session:
        found = session.execute(select(*columns).where(key_match(rec, [key]))).one()
    return {c.name: v for c, v in zip(columns, found, strict=True) if v is not None}


def _live_keys(runtime: Runtime, subject: str, classes: tuple[str, ...]) -> int:
    with runtime.db.session() as session:
        query = select(func.count()).where(
            SubjectKey.subject_id == subject,
            SubjectKey.key_class.in_(classes),
            SubjectKey.wrapped_key.is_not(None),
        )
        return int(session.scalar(query) or 0)


def _give_keys(runtime: Runtime, subjects: list[str], classes: tuple[str, ...]) -> None:
    with runtime.db.session() as session:
        for subject in subjects:
            for key_class in classes:
                runtime.vault.encrypt(
                    session, "x", subject=subject, key_class=key_class, table="t", column="c",
                    row=subject,
                )  # fmt: skip


@pytest.mark.parametrize("rule", RULES, ids=[r.key for r in RULES])
def test_rule_acts_on_due_rows_only(runtime: Runtime, world: WorldFactory, rule: Any) -> None:
    scenarios: list[tuple[Record, Scenario]] = []
    with world() as w:
        for spec in rule.targets:
            scenarios.append((record(spec.record), build(w, rule, spec, NOW)))
    for _, s in scenarios:
        _give_keys(runtime, s.due_subjects + s.kept_subjects, rule.key_classes)

    planned = plan(runtime, as_of=NOW)
    done = run(runtime, as_of=NOW, batch_size=1)

    for rec, s in scenarios:
        assert planned.row(rule.key, rec.name).count == len(s.due)
        assert done.row(rule.key, rec.name).count == len(s.due)
        assert _exists(runtime, rec, s.kept) == len(s.kept)
        if rule.action == "delete":
            assert _exists(runtime, rec, s.due) == 0
        elif rule.action == "anonymise":
            assert _exists(runtime, rec, s.due) == len(s.due)
            for key in s.due:
                assert _personal_values(runtime, rec, key) == {}
            for key in s.kept:
                assert _personal_values(runtime, rec, key) != {}
        for subject in s.due_subjects:
            assert _live_keys(runtime, subject, rule.key_classes) == 0
        for subject in s.kept_subjects:
            assert _live_keys(runtime, subject, rule.key_classes) == len(rule.key_classes)


def test_every_record_a_rule_names_exists_in_the_models() -> None:
    for rule in RULES:
        for spec in rule.targets:
            rec = record(spec.record)
            for _, column in spec.columns():
                rec.column(column)


def _policy_with_rule_on(table: str, *, optional: bool) -> Policy:
    data = load_policy(PACKAGED_POLICY).model_dump(mode="json")
    data["records"].append(
        {
            "table": table,
            "name": {"nl": "Later", "en": "Later"},
            "description": {"nl": "Later.", "en": "Later."},
            "optional": optional,
        }
    )
    rule = dict(data["retention"]["rules"][0])
    rule |= {"key": "later_rule", "targets": [{"record": table, "counts_from": ["at"]}]}
    data["retention"]["rules"].append(rule)
    return Policy.model_validate(data)


def test_a_rule_on_an_optional_record_not_yet_stored_is_skipped() -> None:
    skipped = targets(_policy_with_rule_on("not_yet_stored", optional=True))
    assert "not_yet_stored" not in {t.spec.record for t in skipped}
    assert len(skipped) == sum(len(r.targets) for r in RULES)
    with pytest.raises(PolicyError, match="no model declares"):
        targets(_policy_with_rule_on("not_yet_stored", optional=False))
