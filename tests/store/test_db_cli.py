"""`trackguard db` against the database named by the environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from trackguard.cli import app
from trackguard.store import migrate


def test_db_upgrade_creates_the_embedded_database(tmp_path: Path) -> None:
    env = {"TRACKGUARD_DATA_DIR": str(tmp_path / "data")}
    first = CliRunner().invoke(app, ["db", "upgrade"], env=env)
    assert first.exit_code == 0, first.output
    assert f"to {migrate.head_revision()}" in first.output
    assert (tmp_path / "data" / "trackguard.db").exists()
    again = CliRunner().invoke(app, ["db", "upgrade"], env=env)
    assert "already at revision" in again.output
    current = CliRunner().invoke(app, ["db", "current"], env=env)
    assert f"current: {migrate.head_revision()}" in current.output


def test_db_upgrade_honours_the_database_url(tmp_path: Path, database_url: str) -> None:
    env = {"TRACKGUARD_DATA_DIR": str(tmp_path / "data"), "TRACKGUARD_DATABASE_URL": database_url}
    result = CliRunner().invoke(app, ["db", "current"], env=env)
    assert result.exit_code == 0, result.output
    assert f"current: {migrate.head_revision()}" in result.output


def test_errors_are_one_line_without_a_traceback(tmp_path: Path) -> None:
    env = {
        "TRACKGUARD_DATA_DIR": str(tmp_path),
        "TRACKGUARD_DATABASE_URL": "mysql://x/y",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-m", "trackguard.cli", "db", "upgrade"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: unsupported database backend 'mysql'")
    assert "Traceback" not in done.stderr
