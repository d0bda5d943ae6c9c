"""`trackguard retention plan|run|runs` and `trackguard holds place|release|list`."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from click.testing import Result
from sqlalchemy import func, select
from tests.privacy.retention.conftest import NOW
from tests.privacy.retention.factories import World, make
from typer.testing import CliRunner

from trackguard.cli import app
from trackguard.errors import NotFound
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import ChatMessage

WorldFactory = Callable[[], AbstractContextManager[World]]
Run = Callable[..., Result]
EMAIL = "jan@example.nl"
LONG_AGO = NOW - timedelta(days=12 * 366)


@pytest.fixture
def cli(settings: Settings, runtime: Runtime) -> Run:
    env = {
        "TRACKGUARD_DATABASE_URL": settings.resolved_database_url,
        "TRACKGUARD_DATA_DIR": str(settings.data_dir),
    }
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), env=env)


@pytest.fixture
def customer(runtime: Runtime, world: WorldFactory) -> str:
    with world() as w:
        cid = make(w, "customers", email_index=runtime.vault.blind_index("email", EMAIL))[0]
        make(w, "chat_messages", customer_id=cid, sent_at=LONG_AGO)
        make(w, "chat_messages", customer_id=cid, sent_at=LONG_AGO)
    return str(cid)


def _chats(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(ChatMessage)) or 0)


def test_plan_json_lists_every_rule_and_changes_nothing(
    cli: Run, runtime: Runtime, customer: str
) -> None:
    result = cli("retention", "plan", "--as-of", "2026-03-01", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["mode"] == "plan" and report["as_of"] == "2026-03-01T00:00:00+00:00"
    chats = next(r for r in report["rules"] if r["rule"] == "chat_contact")
    assert chats == {
        "rule": "chat_contact",
        "action": "delete",
        "record": "chat_messages",
        "count": 2,
        "held": 0,
    }
    policy_rules = {(r.key, t.record) for r in runtime.policy.retention.rules for t in r.targets}
    assert {(r["rule"], r["record"]) for r in report["rules"]} == policy_rules
    assert _chats(runtime) == 2


def test_run_prints_a_table_and_removes(cli: Run, runtime: Runtime, customer: str) -> None:
    result = cli("retention", "run", "--as-of", "2026-03-01T12:00:00+01:00")
    assert result.exit_code == 0, result.output
    assert "retention run as of 2026-03-01 11:00 UTC (completed): removed 2 rows" in result.output
    line = next(li for li in result.output.splitlines() if "chat_contact" in li)
    assert line.split("│")[1:6] == [
        " chat_contact            ",
        " delete    ",
        " chat_messages           ",
        " 2     ",
        " 0    ",
    ]
    assert _chats(runtime) == 0


def test_runs_lists_the_kept_reports(cli: Run, customer: str) -> None:
    assert cli("retention", "plan").exit_code == 0
    assert cli("retention", "run").exit_code == 0
    result = cli("retention", "runs", "--json")
    assert result.exit_code == 0, result.output
    runs = json.loads(result.output)
    assert [r["mode"] for r in runs] == ["run", "plan"]  # newest first
    assert all(r["status"] == "completed" for r in runs)
    assert "completed" in cli("retention", "runs").output


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "01-03-2026x"])
def test_a_bad_date_is_a_usage_error(cli: Run, bad: str) -> None:
    result = cli("retention", "plan", "--as-of", bad)
    assert result.exit_code == 2
    assert "is not a date" in result.output


def test_holds_from_the_command_line(cli: Run, runtime: Runtime, customer: str) -> None:
    placed = cli("holds", "place", "--subject", EMAIL, "--reason", "court order", "--json")
    assert placed.exit_code == 0, placed.output
    hold = json.loads(placed.output)
    assert hold["customer_id"] == customer and hold["active"] and hold["record"] is None

    report = json.loads(cli("retention", "run", "--json").output)
    chats = next(r for r in report["rules"] if r["rule"] == "chat_contact")
    assert (chats["count"], chats["held"]) == (0, 2)

    listed = json.loads(cli("holds", "list", "--active", "--json").output)
    assert [h["id"] for h in listed] == [hold["id"]]
    assert hold["id"] in cli("holds", "list").output

    released = cli("holds", "release", hold["id"])
    assert released.exit_code == 0 and "released" in released.output
    assert json.loads(cli("holds", "list", "--active", "--json").output) == []
    assert _chats(runtime) == 2
    assert cli("retention", "run").exit_code == 0
    assert _chats(runtime) == 0


def test_record_holds_and_bad_holds(cli: Run, runtime: Runtime, customer: str) -> None:
    with runtime.db.session() as session:
        chat = session.scalar(select(ChatMessage.id).limit(1))
    placed = cli(
        "holds", "place", "--subject", EMAIL, "--record", f"chat_messages:{chat}", "--reason", "x"
    )
    assert placed.exit_code == 0, placed.output
    assert f"record chat_messages:{chat}" in placed.output
    bad = cli("holds", "place", "--subject", EMAIL, "--record", "chat_messages", "--reason", "x")
    assert bad.exit_code == 2
    nobody = cli("holds", "place", "--subject", "nobody@example.nl", "--reason", "x")
    assert isinstance(nobody.exception, NotFound)  # `main` prints it as `error: ...`, exit 1
    assert "nobody@example.nl" not in str(nobody.exception)
