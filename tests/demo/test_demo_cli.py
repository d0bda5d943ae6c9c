"""`trackguard demo seed` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from trackguard.cli import app


def test_demo_seed_prints_counts_and_the_login_then_refuses_to_duplicate(tmp_path: Path) -> None:
    env = {"TRACKGUARD_DATA_DIR": str(tmp_path / "data")}
    first = CliRunner().invoke(app, ["demo", "seed", "--customers", "6"], env=env)
    assert first.exit_code == 0, first.output
    assert "customers" in first.output and "positions" in first.output
    assert "demo@trackguard.example" in first.output and "'demo'" in first.output
    again = CliRunner().invoke(app, ["demo", "seed", "--customers", "6"], env=env)
    assert again.exit_code == 0, again.output
    assert "already present" in again.output


def test_demo_seed_json_reports_what_it_wrote(tmp_path: Path) -> None:
    env = {"TRACKGUARD_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(
        app, ["demo", "seed", "--seed", "7", "--customers", "5", "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["created"] is True and report["counts"]["customers"] == 5
    assert report["login"] == {"email": "demo@trackguard.example", "password": "demo"}


def test_demo_seed_help_ends_with_an_example() -> None:
    result = CliRunner().invoke(app, ["demo", "seed", "--help"])
    assert result.exit_code == 0
    assert "Example: trackguard demo seed" in result.output
    assert "--seed" in result.output and "--customers" in result.output


def test_demo_seed_refuses_zero_customers(tmp_path: Path) -> None:
    env = {"TRACKGUARD_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(app, ["demo", "seed", "--customers", "0"], env=env)
    assert result.exit_code == 2
