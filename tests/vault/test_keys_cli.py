"""`trackguard keys status` and `trackguard keys rotate-master` against the configured database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trackguard.cli import app
from trackguard.errors import KeyFileError
from trackguard.settings import Settings
from trackguard.store.engine import Database
from trackguard.vault import open_vault
from trackguard.vault.keyfile import read_key_file

FIELD = {
    "subject": "a" * 32,
    "key_class": "profile",
    "table": "customers",
    "column": "email",
    "row": "a" * 32,
}


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return {
        "TRACKGUARD_DATA_DIR": str(settings.data_dir),
        "TRACKGUARD_DATABASE_URL": settings.resolved_database_url,
    }


def test_rotate_master_rewraps_and_reports_both_ids(
    settings: Settings, db: Database, env: dict[str, str]
) -> None:
    vault = open_vault(db, settings.resolved_key_file)
    with db.session() as session:
        blob = vault.encrypt(session, "jan@example.nl", **FIELD)
        vault.encrypt(session, "x", **{**FIELD, "key_class": "location"})
    old_id = vault.master_key_id

    result = CliRunner().invoke(app, ["keys", "rotate-master"], env=env)
    assert result.exit_code == 0, result.output
    new_id = read_key_file(settings.resolved_key_file).id  # type: ignore[union-attr]
    assert "re-wrapped 2 data keys" in result.output
    assert f"old master key: {old_id}" in result.output
    assert f"new master key: {new_id}" in result.output

    with db.session() as session:
        again = open_vault(db, settings.resolved_key_file)
        assert again.decrypt_text(session, blob, **FIELD) == "jan@example.nl"


def test_rotate_master_json_and_keep_old(settings: Settings, env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["keys", "rotate-master", "--keep-old", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rewrapped"] == 0
    assert Path(report["old_key_file"]).name == f"master.key.old-{report['old_master_key_id']}"
    assert report["new_master_key_id"] != report["old_master_key_id"]


def test_status_counts_live_and_destroyed_keys_per_class(
    settings: Settings, db: Database, env: dict[str, str]
) -> None:
    vault = open_vault(db, settings.resolved_key_file)
    with db.session() as session:
        for subject in ("a" * 32, "b" * 32):
            vault.encrypt(session, "x", **{**FIELD, "subject": subject})
        vault.encrypt(session, "x", **{**FIELD, "key_class": "financial"})
        vault.destroy_keys(session, "b" * 32, ["profile"])

    result = CliRunner().invoke(app, ["keys", "status", "--json"], env=env)
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert status["master_key_id"] == vault.master_key_id
    assert status["key_file"] == str(settings.resolved_key_file)
    assert status["key_file_state"] == "ok"
    assert status["keys"]["profile"] == {"live": 1, "destroyed": 1}
    assert status["keys"]["financial"] == {"live": 1, "destroyed": 0}
    assert status["keys"]["location"] == {"live": 0, "destroyed": 0}

    table = CliRunner().invoke(app, ["keys", "status"], env=env)
    assert table.exit_code == 0, table.output
    assert vault.master_key_id in table.output and "profile" in table.output


def test_status_never_creates_a_key_and_flags_a_missing_one(
    settings: Settings, db: Database, env: dict[str, str]
) -> None:
    fresh = CliRunner().invoke(app, ["keys", "status", "--json"], env=env)
    assert json.loads(fresh.stdout)["key_file_state"] == "no vault yet"
    assert not settings.resolved_key_file.exists()

    open_vault(db, settings.resolved_key_file)
    settings.resolved_key_file.unlink()
    missing = CliRunner().invoke(app, ["keys", "status", "--json"], env=env)
    assert json.loads(missing.stdout)["key_file_state"] == "missing"
    assert isinstance(missing.exception, KeyFileError)  # `trackguard` maps it to exit 1


def test_rotate_master_refuses_without_the_key_file(
    settings: Settings, db: Database, env: dict[str, str]
) -> None:
    open_vault(db, settings.resolved_key_file)
    settings.resolved_key_file.unlink()
    result = CliRunner().invoke(app, ["keys", "rotate-master"], env=env)
    assert isinstance(result.exception, KeyFileError)
    assert "restore the key file from backup" in str(result.exception)
    assert not settings.resolved_key_file.exists()


@pytest.mark.parametrize("command", ["rotate-master", "status"])
def test_help_ends_with_an_example(command: str) -> None:
    result = CliRunner().invoke(app, ["keys", command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert f"Example: trackguard keys {command}" in result.output
