"""The installed `trackguard` command: usage errors and bad `TRACKGUARD_*` variables are one
clear message, never a traceback."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from trackguard.cli import app, main


def test_unknown_option_is_a_usage_error_not_a_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "trackguard.cli", "db", "upgrade", "--bogus"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "No such option: --bogus" in done.stderr
    assert "Traceback" not in done.stderr


def test_every_command_group_has_help() -> None:
    groups = ("db", "policy", "keys", "audit", "demo", "devices", "antitheft")
    groups += ("customers", "requests", "retention", "holds")
    for group in groups:
        done = subprocess.run(
            [sys.executable, "-m", "trackguard.cli", group, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (group, done.stderr)
        assert "Usage" in done.stdout


# Arguments that get each command past its own checks to where it reads the settings.
_PAST_OWN_CHECKS = {
    ("simulate",): ["--protocol", "osmand"],
    ("antitheft", "geofence", "add"): ["--circle", "52.1551,5.3869,150"],
    ("staff", "add"): ["--role", "support", "--password-stdin"],
}


def _every_command() -> Iterator[list[str]]:
    """Each leaf command with a placeholder for every required parameter."""
    root = typer.main.get_command(app)

    def leaves(group: Any, path: list[str]) -> Iterator[list[str]]:
        for name in group.list_commands(None):
            command = group.get_command(None, name)
            if hasattr(command, "list_commands"):
                yield from leaves(command, [*path, name])
                continue
            args = [*path, name]
            given = _PAST_OWN_CHECKS.get(tuple(args), [])
            for param in command.params:
                if not param.required or param.opts[0] in given:
                    continue
                value = "1" if param.type_descriptor.annotation in (int, float) else "x"
                option = param.param_type_name == "option"
                args += [param.opts[0], value] if option else [value]
            yield args + given

    return leaves(root, [])


def _run_main(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[object, str]:
    monkeypatch.setattr(sys, "argv", ["trackguard", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long passphrase\n"))
    with pytest.raises(SystemExit) as ended:
        main()
    return ended.value.code, capsys.readouterr().err


def test_every_command_names_a_bad_variable_in_one_line_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("TRACKGUARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRACKGUARD_WEB_PORT", "abc")
    commands = list(_every_command())
    assert ["serve"] in commands and ["devices", "list"] in commands
    for args in commands:
        code, err = _run_main(args, monkeypatch, capsys)
        assert code == 1, (args, err)
        assert err == (
            "error: TRACKGUARD_WEB_PORT='abc': input should be a valid integer, "
            "unable to parse string as an integer\n"
        ), args
    assert not any(tmp_path.iterdir()), "a command did something before reading its settings"


def test_a_bad_secret_setting_is_named_but_its_value_never_shown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("TRACKGUARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRACKGUARD_DATABASE_URL", "postgresql://ann:hunter2@db/trackguard")
    monkeypatch.setenv("TRACKGUARD_SMTP_PASSWORD", "hunter2")
    monkeypatch.setenv("TRACKGUARD_SMTP_TIMEOUT", "-1")
    monkeypatch.setenv("TRACKGUARD_PORTAL_TIMEZONE", "localtime")
    code, err = _run_main(["serve"], monkeypatch, capsys)
    assert code == 1
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "TRACKGUARD_SMTP_TIMEOUT='-1': input should be greater than 0" in err
    assert "TRACKGUARD_PORTAL_TIMEZONE='localtime': invalid timezone" in err
    assert "hunter2" not in err


def test_the_installed_command_shows_no_traceback_for_a_bad_variable(tmp_path: Path) -> None:
    env = {**os.environ, "TRACKGUARD_DATA_DIR": str(tmp_path), "TRACKGUARD_WEB_PORT": "abc"}
    done = subprocess.run(
        [sys.executable, "-m", "trackguard.cli", "devices", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: TRACKGUARD_WEB_PORT='abc': ")
    assert "Traceback" not in done.stderr


def test_a_data_dir_that_cannot_be_made_is_named_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("TRACKGUARD_DATA_DIR", str(tmp_path / "a-file" / "data"))
    code, err = _run_main(["devices", "list"], monkeypatch, capsys)
    assert code == 1
    assert err.startswith("error: TRACKGUARD_DATA_DIR: cannot create ")
    assert err.count("\n") == 1


def test_an_unreachable_database_is_one_line_without_its_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("TRACKGUARD_DATA_DIR", str(tmp_path))
    # Port 1 on this machine: refused at once, no server to wait for.
    monkeypatch.setenv("TRACKGUARD_DATABASE_URL", "postgresql+psycopg://ann:hunter2@127.0.0.1:1/x")
    code, err = _run_main(["devices", "list"], monkeypatch, capsys)
    assert code == 1
    assert err.startswith("error: cannot use the database (TRACKGUARD_DATABASE_URL): ")
    assert err.count("\n") == 1
    assert "hunter2" not in err
