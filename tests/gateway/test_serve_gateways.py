"""`trackguard serve` as a real process with gateways: acked positions survive SIGKILL.

The device is a GT06 tracker on a plain socket. It keeps frames in flight and
records which positions the server acknowledged; the server is killed with
SIGKILL in the middle of that, started again on the same data, and every
acknowledged position must be there. The device then resends what was not
acknowledged, and each position is stored exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from tests.gateway.helpers import free_port

from trackguard.protocols import gt06
from trackguard.protocols.base import PositionReport

IMEI = "359339075165391"
STARTUP_SECONDS = 60
KILL_AFTER_ACKS = 150
IN_FLIGHT = 16
START = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)


def fix(n: int) -> PositionReport:
    return PositionReport(
        protocol="gt06",
        device_key=IMEI,
        time=START + timedelta(seconds=n),
        valid=True,
        latitude=52.2 + n * 0.00001,
        longitude=5.4 + n * 0.00001,
        speed=4.0,
        course=45.0,
        satellites=9,
    )


class Server:
    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.web_port, self.gt06_port = free_port(), free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKGUARD_")}
        self.env |= {
            "TRACKGUARD_DATA_DIR": str(tmp_path / "data"),
            "TRACKGUARD_DATABASE_URL": database_url,
            "TRACKGUARD_WEB_PORT": str(self.web_port),
            "TRACKGUARD_GATEWAYS": "gt06",
            "TRACKGUARD_GT06_PORT": str(self.gt06_port),
            "TRACKGUARD_BATCH_MAX_DELAY": "0.02",
        }
        self.log = tmp_path / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "trackguard.cli", "serve"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"serve exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                httpx.get(f"http://127.0.0.1:{self.web_port}/health", timeout=2)
                with socket.create_connection(("127.0.0.1", self.gt06_port), timeout=2):
                    return
            except (httpx.TransportError, OSError):
                time.sleep(0.2)
        pytest.fail(f"serve did not start within {STARTUP_SECONDS}s:\n{self.log.read_text()}")

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def positions(self) -> list[dict[str, object]]:
        done = subprocess.run(
            [sys.executable, "-m", "trackguard.cli", "positions", IMEI, "--json"],
            env=self.env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()
        return json.loads(done.stdout)  # type: ignore[no-any-return]


class Tracker:
    """A GT06 device that pipelines frames and remembers which were acknowledged."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""
        self.acked: set[int] = set()

    def read_ack(self) -> bytes:
        while True:
            size = gt06.read_ack(self.buffer)
            if size:
                packet, self.buffer = self.buffer[:size], self.buffer[size:]
                return packet
            data = self.sock.recv(4096)
            if not data:
                raise ConnectionResetError("closed")
            self.buffer += data

    def login(self) -> None:
        self.sock.sendall(gt06.login_packet(IMEI))
        self.read_ack()

    def send(self, numbers: list[int], *, on_ack: object = None) -> None:
        """Send fixes with up to IN_FLIGHT unacknowledged; stops at a closed connection."""
        in_flight: deque[int] = deque()
        for n in numbers:
            self.sock.sendall(gt06.position_packet(fix(n), n + 2))
            in_flight.append(n)
            while len(in_flight) >= IN_FLIGHT:
                self._take_ack(in_flight, on_ack)
        while in_flight:
            self._take_ack(in_flight, on_ack)

    def _take_ack(self, in_flight: deque[int], on_ack: object) -> None:
        serial = int.from_bytes(self.read_ack()[-6:-4], "big")
        n = serial - 2
        assert n == in_flight.popleft(), "acks come in frame order"
        self.acked.add(n)
        if on_ack is not None:
            on_ack()  # type: ignore[operator]

    def close(self) -> None:
        self.sock.close()


def _times(rows: list[dict[str, object]]) -> list[datetime]:
    return [datetime.fromisoformat(str(r["time"])) for r in rows]


def test_every_acked_position_survives_sigkill(tmp_path: Path, database_url: str) -> None:
    server = Server(tmp_path, database_url)
    tracker: Tracker | None = None
    total = 1000
    try:
        server.start()
        tracker = Tracker(server.gt06_port)
        tracker.login()
        killed = []

        def kill_mid_stream() -> None:
            if len(tracker.acked) == KILL_AFTER_ACKS and not killed:  # type: ignore[union-attr]
                killed.append(server.kill())

        with pytest.raises(OSError):  # ConnectionResetError, BrokenPipeError, timeouts
            tracker.send(list(range(total)), on_ack=kill_mid_stream)
        assert killed == [-signal.SIGKILL]
        acked = set(tracker.acked)
        assert KILL_AFTER_ACKS <= len(acked) < total
        tracker.close()

        server.start()  # same data dir and database
        stored = _times(server.positions())
        missing = sorted(n for n in acked if fix(n).time not in set(stored))
        assert missing == [], f"acked but lost after SIGKILL: {missing[:10]}"
        assert len(stored) == len(set(stored))

        # The device sends again everything it got no ack for (and a few it did).
        tracker = Tracker(server.gt06_port)
        tracker.login()
        again = [n for n in range(total) if n not in acked] + sorted(acked)[-5:]
        tracker.send(again)
        tracker.close()
        final = _times(server.positions())
        assert final == [fix(n).time for n in range(total)]  # all of them, each once
    finally:
        if tracker is not None:
            tracker.close()
        server.stop()


def test_sigterm_writes_what_is_queued_and_exits_cleanly(tmp_path: Path, database_url: str) -> None:
    server = Server(tmp_path, database_url)
    tracker: Tracker | None = None
    try:
        server.start()
        tracker = Tracker(server.gt06_port)
        tracker.login()
        tracker.send(list(range(100)))
        assert server.kill(signal.SIGTERM) == 0
        output = server.log.read_text()
        assert "trackguard stopped" in output
        assert "Traceback" not in output
        assert "100 positions acknowledged" in output
        assert IMEI not in output  # counters only, never a device's identity
        assert len(server.positions()) == 100
    finally:
        if tracker is not None:
            tracker.close()
        server.stop()
