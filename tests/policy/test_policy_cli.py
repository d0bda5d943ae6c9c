"""`trackguard policy ...` on the command line."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from policy_helpers import mutated_text
from typer.testing import CliRunner

from trackguard.cli import app
from trackguard.errors import PolicyError

runner = CliRunner()


def test_check_passes_on_the_shipped_policy() -> None:
    result = runner.invoke(app, ["policy", "check"])
    assert result.exit_code == 0, result.output
    assert "policy OK: " in result.stdout and "records" in result.stdout


def test_check_fails_with_findings_on_a_drifted_policy(policy_text: str, tmp_path: Path) -> None:
    def forget_chats(d: dict) -> None:
        d["records"] = [r for r in d["records"] if r["table"] != "chat_messages"]
        d["retention"]["rules"] = [
            r for r in d["retention"]["rules"] if r["key"] not in ("chat_contact", "chat_relevant")
        ]

    drifted = tmp_path / "drifted.yaml"
    drifted.write_text(mutated_text(policy_text, forget_chats), encoding="utf-8")
    result = runner.invoke(app, ["policy", "check", "--policy", str(drifted)])
    assert result.exit_code == 1
    assert "chat_messages: undeclared record" in result.stderr
    assert "communications.py" in result.stderr and "drifted.yaml" in result.stderr


def test_render_writes_to_stdout_or_a_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["policy", "render", "--lang", "en", "--format", "html"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!DOCTYPE html>") and '<html lang="en">' in result.stdout
    out = tmp_path / "statement.md"
    result = runner.invoke(app, ["policy", "render", "--lang", "nl", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("# Privacyverklaring Conneqtech B.V.")


def test_ropa_csv_and_json() -> None:
    result = runner.invoke(app, ["policy", "ropa", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert len(list(csv.DictReader(io.StringIO(result.stdout)))) > 10
    result = runner.invoke(app, ["policy", "ropa", "--format", "json", "--lang", "nl"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["activity"] == "service_delivery"


def test_datamap_and_version(tmp_path: Path) -> None:
    out = tmp_path / "dataset.yml"
    result = runner.invoke(app, ["policy", "datamap", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "dataset" in yaml.safe_load(out.read_text(encoding="utf-8"))
    result = runner.invoke(app, ["policy", "version"])
    assert result.exit_code == 0 and result.stdout.startswith("2019-05-13.1+")


def test_policy_file_comes_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("policy: [\n", encoding="utf-8")
    monkeypatch.setenv("TRACKGUARD_POLICY_FILE", str(broken))
    result = runner.invoke(app, ["policy", "version"])
    assert isinstance(result.exception, PolicyError)
    assert result.exception.file == str(broken)


@pytest.mark.parametrize("command", ["check", "render", "ropa", "datamap", "version"])
def test_every_command_help_ends_with_an_example(command: str) -> None:
    result = runner.invoke(app, ["policy", command, "--help"])
    assert result.exit_code == 0
    assert f"Example: trackguard policy {command}" in result.stdout


def test_main_maps_a_bad_policy_to_one_line_and_exit_1(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("policy:\n  key: conneqtech\n  colour: blue\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "trackguard.cli", "policy", "check", "--policy", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {broken}:")
    assert "Traceback" not in done.stderr
