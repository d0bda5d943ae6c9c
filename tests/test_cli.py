"""The installed `trackguard` command: usage errors are one clear message, never a traceback."""

from __future__ import annotations

import subprocess
import sys


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
