"""`trackguard audit verify|list`: exit codes and output, on the configured database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import delete, update
from typer.testing import CliRunner

from trackguard.cli import app
from trackguard.privacy.audit import AuditLog, shred_subject
from trackguard.store.engine import Database
from trackguard.store.models.audit import AuditEntry

SUBJECT = "9b1c0e4f2a7d4e5b8c3a6f1d2e9b7c40"
OTHER = "0d4f6a8b1c3e5f7a9b2d4c6e8f0a1b3c"
TABLE = AuditEntry.__table__
Run = Callable[..., Result]


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"TRACKGUARD_DATABASE_URL": database_url, "TRACKGUARD_DATA_DIR": str(tmp_path / "d")}


@pytest.fixture
def run(env: dict[str, str]) -> Run:
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["audit", *args], env=env)


@pytest.fixture
def five(db: Database) -> None:
    log = AuditLog()
    with db.session() as session:
        for i in range(5):
            log.append(
                session,
                actor="staff:backoffice-2",
                role="support",
                purpose="provide.service",
                subject_id=SUBJECT if i % 2 == 0 else OTHER,
                categories=["user.location.precise"],
                action="read",
            )


def test_verify_on_an_empty_log_is_ok(run: Run) -> None:
    result = run("verify")
    assert result.exit_code == 0, result.output
    assert "OK: 0 entries verified" in result.output


def test_verify_reports_ok_and_exits_zero(run: Run, five: None) -> None:
    result = run("verify")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 5 entries verified")


def test_verify_names_the_altered_entry_and_exits_one(run: Run, db: Database, five: None) -> None:
    with db.engine.begin() as connection:
        connection.execute(update(TABLE).where(TABLE.c.seq == 3).values(action="delete"))
    result = run("verify")
    assert result.exit_code == 1
    assert result.output.startswith("BROKEN at entry 3: altered")
    assert "Traceback" not in result.output


def test_verify_names_the_removed_entry(run: Run, db: Database, five: None) -> None:
    with db.engine.begin() as connection:
        connection.execute(delete(TABLE).where(TABLE.c.seq == 2))
    result = run("verify", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report | {"detail": None} == {
        "ok": False,
        "entries": 1,
        "shredded": 0,
        "head_hash": report["head_hash"],
        "broken_at": 2,
        "reason": "removed",
        "detail": None,
    }


def test_verify_json_after_shredding(run: Run, db: Database, five: None) -> None:
    with db.session() as session:
        shred_subject(session, SUBJECT)
    result = run("verify", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["ok"], report["entries"], report["shredded"]) == (True, 5, 3)
    assert len(report["head_hash"]) == 64


def test_list_filters_by_subject_and_limits(run: Run, five: None) -> None:
    result = run("list", "--subject", SUBJECT, "--limit", "2", "--json")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    assert [e["seq"] for e in entries] == [3, 5]
    assert all(e["subject_id"] == SUBJECT and not e["shredded"] for e in entries)


def test_list_shows_shredded_entries_without_their_subject(
    run: Run, db: Database, five: None
) -> None:
    with db.session() as session:
        shred_subject(session, SUBJECT)
    result = run("list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 5
    assert SUBJECT not in result.output
    assert "(shredded)" in lines[0] and OTHER in lines[1]


def test_every_audit_command_help_ends_with_an_example(run: Run) -> None:
    for command in ("verify", "list"):
        result = run(command, "--help")
        assert result.exit_code == 0
        assert f"Example: trackguard audit {command}" in result.output


def test_the_installed_command_exits_one_on_a_broken_chain(
    env: dict[str, str], db: Database, five: None
) -> None:
    # Through `trackguard.cli.main`, as a user runs it: the exit code must survive.
    with db.engine.begin() as connection:
        connection.execute(update(TABLE).where(TABLE.c.seq == 4).values(role="admin"))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRACKGUARD_")}
    done = subprocess.run(
        [sys.executable, "-m", "trackguard.cli", "audit", "verify"],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.startswith("BROKEN at entry 4: altered")
    assert done.returncode == 1
