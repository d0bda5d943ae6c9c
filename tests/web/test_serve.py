"""`trackguard serve` as a real process: starts, answers, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from trackguard.policy import load_policy
from trackguard.settings import PACKAGED_POLICY

STARTUP_SECONDS = 60
SHUTDOWN_SECONDS = 20


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"trackguard serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"trackguard serve did not answer within {STARTUP_SECONDS}s:\n{log.read_text()}")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_answers_and_stops_cleanly(tmp_path: Path, stop_signal: signal.Signals) -> None:
    port = free_port()
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKGUARD_")}
    env["TRACKGUARD_DATA_DIR"] = str(data_dir)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "trackguard.cli", "serve", "--no-gateways", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        health = wait_until_healthy(process, f"http://127.0.0.1:{port}/health", log)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"

        statement = httpx.get(f"http://127.0.0.1:{port}/privacy?lang=en", timeout=10)
        assert statement.status_code == 200
        assert statement.headers["content-language"] == "en"
        assert load_policy(PACKAGED_POLICY).controller.name in statement.text

        process.send_signal(stop_signal)
        assert process.wait(timeout=SHUTDOWN_SECONDS) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=SHUTDOWN_SECONDS)

    output = log.read_text()
    assert f"listening on http://127.0.0.1:{port}" in output
    assert str(data_dir.resolve()) in output
    assert "if the key file is lost, the data is lost" in output
    assert "trackguard stopped" in output
    assert "Traceback" not in output
    assert (data_dir / "trackguard.db").exists()
