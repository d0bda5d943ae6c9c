"""Ingest benchmark: simulated devices over real TCP to committed, encrypted rows.

    python bench/ingest.py [--backend sqlite|postgresql|both] [--protocols gt06,teltonika]
                           [--devices 1000] [--count 50] [--records-per-packet 1]
                           [--profile PREFIX [--gil]] [--json]

For each backend and protocol it starts `trackguard serve` (only that gateway) on a
fresh database, connects `--devices` simulated trackers at once, has each send
`--count` reports as fast as the server acknowledges them, and measures:

* end-to-end positions/s (acked by the server, i.e. committed), ack latency p50/p99;
* that every acked position is in the database;
* the server's peak memory (VmHWM) and its CPU time per acked position (user +
  system; unlike positions/s it hardly moves with the load of other jobs);
* the raw insert ceiling for the same number of rows of the same shape
  (executemany on SQLite, COPY on PostgreSQL, same batch size), so the ratio of
  end-to-end to raw is reported;
* the machine's one-minute load average when the devices finished (the figures
  above move with it; CPU per position much less).

Everything runs on this machine: server, simulator and database share its cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from trackguard import aio
from trackguard.settings import Settings
from trackguard.simulator.drivers import Target
from trackguard.simulator.run import SimulationPlan, run_simulation
from trackguard.store.models import Position

POSTGRES_ADMIN = os.environ.get(
    "TRACKGUARD_BENCH_POSTGRES", "postgresql+psycopg://127.0.0.1:5432/test"
)
PAYLOAD_BYTES = 150  # a sealed position payload: header, nonce, ~120 bytes JSON, tag


@dataclass
class Outcome:
    backend: str
    protocol: str
    devices: int
    acked: int
    stored: int
    seconds: float
    per_second: float
    p50_ms: float | None
    p99_ms: float | None
    failed_devices: int
    server_peak_mib: float
    server_cpu_us: float  # server CPU time (user + system) per acked position
    raw_per_second: float
    load_average: float  # one-minute load average at the end of the run

    @property
    def ratio(self) -> float:
        return self.per_second / self.raw_per_second if self.raw_per_second else 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"server did not listen on {port} within {timeout} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (robust to other jobs' load)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def profiler(pid: int, output: str, gil_only: bool = False) -> subprocess.Popen[bytes]:
    """py-spy sampling the server into a raw flame-graph file: all threads, or only
    the one holding the GIL (where the CPU goes, without the waits for the GIL)."""
    spy = Path(sys.executable).with_name("py-spy")
    command = [str(spy), "record", "-r", "200", "-f", "raw", "--pid", str(pid), "-o", output]
    if gil_only:
        command.append("--gil")
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def peak_memory_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class ScratchDatabase:
    """A fresh database per run: a SQLite file, or a PostgreSQL database dropped after."""

    def __init__(self, backend: str, workdir: Path) -> None:
        self.backend, self.name = backend, f"tg_bench_{uuid.uuid4().hex[:10]}"
        if backend == "sqlite":
            self.url = f"sqlite:///{workdir / 'bench.db'}"
        else:
            admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{self.name}"'))
            admin.dispose()
            self.url = POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{self.name}"

    def drop(self) -> None:
        if self.backend == "postgresql":
            admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            admin.dispose()


def raw_ceiling(backend: str, url: str, rows: int, batch: int) -> float:
    """Rows/s for plain inserts of position-shaped rows, no decoding or encryption."""
    device_ids = [uuid.uuid4().hex for _ in range(1000)]
    start = datetime.now(UTC) - timedelta(days=1)
    payload = os.urandom(PAYLOAD_BYTES)

    def make(i: int) -> tuple[str, datetime, datetime, str, bytes]:
        fix = start + timedelta(seconds=i // len(device_ids))
        return (device_ids[i % len(device_ids)], fix, fix, "fleet:1", payload)

    data = [make(i) for i in range(rows)]
    ddl = (
        "CREATE TABLE raw_positions (device_id VARCHAR(32), fix_time TIMESTAMP{tz}, "
        "received_at TIMESTAMP{tz}, key_ref VARCHAR(80), payload {blob}, "
        "PRIMARY KEY (device_id, fix_time))"
    )
    if backend == "sqlite":
        path = url.removeprefix("sqlite:///")
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(ddl.format(tz="", blob="BLOB"))
        rows_text = [(d, f.isoformat(), r.isoformat(), k, p) for d, f, r, k, p in data]
        began = time.perf_counter()
        for i in range(0, rows, batch):
            connection.executemany(
                "INSERT INTO raw_positions VALUES (?, ?, ?, ?, ?)", rows_text[i : i + batch]
            )
            connection.commit()
        elapsed = time.perf_counter() - began
        connection.close()
        return rows / elapsed
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as connection:
        connection.execute(ddl.format(tz=" WITH TIME ZONE", blob="BYTEA"))
        connection.commit()
        began = time.perf_counter()
        for i in range(0, rows, batch):
            with (
                connection.cursor() as cursor,
                cursor.copy(
                    "COPY raw_positions (device_id, fix_time, received_at, key_ref, payload) "
                    "FROM STDIN"
                ) as copy,
            ):
                for row in data[i : i + batch]:
                    copy.write_row(row)
            connection.commit()
        return rows / (time.perf_counter() - began)


def run_one(
    backend: str,
    protocol: str,
    devices: int,
    count: int,
    records_per_packet: int = 1,
    profile: str | None = None,
    gil_only: bool = False,
) -> Outcome:
    batch = Settings().batch_max_rows
    with tempfile.TemporaryDirectory(prefix="tg-bench-") as tmp:
        workdir = Path(tmp)
        database = ScratchDatabase(backend, workdir)
        gateway_port, web_port = free_port(), free_port()
        env = {
            **os.environ,
            "TRACKGUARD_DATA_DIR": str(workdir / "data"),
            "TRACKGUARD_DATABASE_URL": database.url,
            "TRACKGUARD_GATEWAYS": protocol,
            f"TRACKGUARD_{protocol.upper()}_PORT": str(gateway_port),
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "trackguard.cli", "serve", "--port", str(web_port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(gateway_port, server)
            spy = (
                None
                if profile is None
                else profiler(server.pid, f"{profile}.{protocol}.txt", gil_only)
            )
            cpu_before = cpu_seconds(server.pid)
            plan = SimulationPlan(
                protocol,
                Target("127.0.0.1", gateway_port),
                devices,
                rate=0.0,
                count=count,
                records_per_packet=records_per_packet,
            )
            result = aio.run(run_simulation(plan))
            cpu = cpu_seconds(server.pid) - cpu_before
            load = os.getloadavg()[0]
            peak = peak_memory_mib(server.pid)
            if spy is not None:
                spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
                spy.wait(timeout=60)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        engine = create_engine(database.url)
        with engine.connect() as connection:
            # A block row holds `fixes` positions; a single row one.
            stored = connection.execute(
                select(func.coalesce(func.sum(func.coalesce(Position.fixes, 1)), 0))
            ).scalar_one()
        engine.dispose()
        raw = raw_ceiling(backend, database.url, result.stats.acked or devices * count, batch)
        database.drop()
    return Outcome(
        backend=backend,
        protocol=protocol,
        devices=devices,
        acked=result.stats.acked,
        stored=int(stored),
        seconds=result.seconds,
        per_second=result.rate,
        p50_ms=result.latency_ms(0.50),
        p99_ms=result.latency_ms(0.99),
        failed_devices=result.stats.failed_devices,
        server_peak_mib=peak,
        server_cpu_us=cpu / result.stats.acked * 1e6 if result.stats.acked else 0.0,
        raw_per_second=raw,
        load_average=load,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--protocols", default="gt06,teltonika")
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--count", type=int, default=50, help="reports per device")
    parser.add_argument(
        "--records-per-packet",
        type=int,
        default=1,
        help="Teltonika only: records per AVL packet (real devices send batches)",
    )
    parser.add_argument(
        "--profile",
        metavar="PREFIX",
        help="sample the server with py-spy into PREFIX.<protocol>.txt (raw flame graph)",
    )
    parser.add_argument(
        "--gil",
        action="store_true",
        help="with --profile: sample only the thread holding the GIL (CPU, not waits)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    # 1,000 device sockets plus the server's: lift the open-files limit for both.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    outcomes = [
        run_one(
            backend,
            protocol,
            args.devices,
            args.count,
            args.records_per_packet,
            args.profile,
            args.gil,
        )
        for backend in backends
        for protocol in args.protocols.split(",")
    ]
    if args.json:
        print(json.dumps([{**o.__dict__, "ratio": o.ratio} for o in outcomes], indent=2))
        return
    print(
        f"ingest benchmark: {args.devices} devices x {args.count} reports, {os.cpu_count()} cores"
        + (
            f", teltonika {args.records_per_packet} records/packet"
            if args.records_per_packet > 1
            else ""
        )
    )
    print(
        f"{'backend':<11}{'protocol':<11}{'acked/s':>10}{'raw/s':>10}{'ratio':>7}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'stored':>9}{'acked':>9}{'peak MiB':>10}"
        f"{'cpu us':>8}{'failed':>8}{'load':>6}"
    )
    for o in outcomes:
        print(
            f"{o.backend:<11}{o.protocol:<11}{o.per_second:>10,.0f}{o.raw_per_second:>10,.0f}"
            f"{o.ratio:>7.1%}{o.p50_ms or 0:>9.1f}{o.p99_ms or 0:>9.1f}{o.stored:>9}"
            f"{o.acked:>9}{o.server_peak_mib:>10.0f}{o.server_cpu_us:>8.0f}{o.failed_devices:>8}"
            f"{o.load_average:>6.1f}"
        )


if __name__ == "__main__":
    main()
