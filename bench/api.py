"""API read benchmark: latest positions of 1,000 devices, and one device's day of history.

    python bench/api.py [--backend sqlite|postgresql] [--devices 1000] [--points 8640]
                        [--concurrency 32] [--seconds 20] [--json] [--profile DIR]

A fresh database gets one customer owning `--devices` trackers, each with a latest
position, and the first of them a day of history at 10 s intervals (`--points`,
8,640 = 24 h), written by the ingest path's own functions
(`tracking.positions.encrypt_position` under the customer's location key, then
`insert_positions`), then compacted into hour blocks as `serve` does every ten
minutes (`tracking.compaction`; the latest fixes, minutes old, stay single rows).
`trackguard serve --no-gateways` starts on it as a subprocess;
a second process (spawned) signs in once for a bearer token (httpx) and drives
concurrent load over keep-alive connections, one per request in flight
(`http_load.py`: asyncio and httptools, light enough to leave the server its
core), one scenario after the other:

* latest:  `GET /api/positions` (the newest position of every device);
* history: `GET /api/positions?deviceId=..&from=..&to=..` (the day of history).

Each scenario first warms up, then runs `--concurrency` requests at a time for
`--seconds`; it reports requests/s and p50/p90/p99/max latency (client side: from
sending the request to the last byte of the body), the server's CPU time per
request (from /proc, all its threads: the work one answer costs, far less
sensitive to other jobs than the latencies), the load generator's own CPU time per
request (it shares the cores: where it nears one core, part of the latency is its
own queueing) and the server's peak memory
(VmHWM) is read at the end. `--concurrency 1,8,32` runs each level in turn: at 1
the latency is the server's own time per request, above it requests queue.
`--profile DIR` records the server with py-spy (raw, collapsed stacks) per scenario.

Server, client and database share this machine's cores: note its load (`uptime`)
beside the figures. Retention and compaction are off in the server (they would run
during the load).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any
from urllib.parse import urlsplit

import httpx
from argon2 import PasswordHasher

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import get_request, hammer
from ingest import ScratchDatabase, free_port, peak_memory_mib

from trackguard import aio
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import Customer, Device
from trackguard.tracking.compaction import compact_positions
from trackguard.tracking.geo import destination
from trackguard.tracking.positions import (
    PartitionKeeper,
    PositionFix,
    PositionRow,
    encrypt_position,
    insert_positions,
)

EMAIL, PASSWORD = "bench@trackguard.example", "bench api password"
HISTORY_EVERY = timedelta(seconds=10)
CHUNK = 5_000  # positions per transaction while filling
WARM_UP_SECONDS = 2.0
STARTUP_SECONDS = 60.0
IMEI_BASE = 356_000_000_000_000


@dataclass(frozen=True)
class Prepared:
    history_imei: str
    day_start: datetime
    day_end: datetime
    positions: int
    seconds: float


@dataclass
class Measured:
    scenario: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    items: int  # positions in one answer
    kib: float  # size of one answer
    server_cpu_ms: float  # the server's CPU time (all threads) per answered request
    # The load generator's own CPU time per answered request: it shares the cores, and
    # where it nears a core the latencies are partly its own queueing.
    client_cpu_ms: float


# -- the database --------------------------------------------------------------------------


def imei(n: int) -> str:
    return str(IMEI_BASE + n)


def day_track(start: datetime, points: int, rng: Random) -> list[tuple[datetime, PositionFix]]:
    """A day of 10 s fixes: driving at 40 km/h with turns, parked now and then."""
    fixes, lat, lon, heading = [], 52.37, 4.90, 90.0
    for k in range(points):
        moving = (k // 180) % 3 != 2  # 30 minutes driving, 15 parked
        speed = 40.0 if moving else 0.0
        if moving:
            heading = (heading + rng.uniform(-20.0, 20.0)) % 360
            lat, lon = destination(lat, lon, heading, speed / 3.6 * HISTORY_EVERY.seconds)
        fix = PositionFix(
            lat, lon, speed, heading if moving else None, 3.0, 9, True, 87.0,
            ignition=moving, motion=moving, protocol="gt06",
        )  # fmt: skip
        fixes.append((start + k * HISTORY_EVERY, fix))
    return fixes


def prepare(settings: Settings, devices: int, points: int, now: datetime) -> Prepared:
    """The customer, `devices` trackers with a latest fix each, and one day of history."""
    began = time.perf_counter()
    rng = Random(1)
    day_start = (now - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    with Runtime.open(settings) as runtime:
        vault = runtime.vault
        with runtime.db.session() as session:
            customer = Customer(
                language="en",
                status="active",
                created_at=now - timedelta(days=30),
                email_index=vault.blind_index("email", EMAIL),
                password_hash=PasswordHasher().hash(PASSWORD),
            )
            session.add(customer)
            session.flush()
            vault.seal(session, customer, "email", EMAIL)
            vault.seal(session, customer, "first_name", "Bench")
            rows = []
            for n in range(devices):
                device = Device(
                    customer_id=customer.id,
                    imei_index=vault.blind_index("imei", imei(n)),
                    name=f"Tracker {n}",
                    protocol="gt06",
                    model="GT06N",
                    created_at=now - timedelta(days=20, seconds=devices - n),
                    activated_at=now - timedelta(days=20),
                    last_seen_at=now - timedelta(seconds=n % 600),
                )
                vault.seal(session, device, "imei", imei(n))
                session.add(device)
                rows.append(device)
            customer_id, device_ids = customer.id, [d.id for d in rows]
        fixes: list[tuple[str, datetime, PositionFix]] = [
            (device_ids[0], moment, fix) for moment, fix in day_track(day_start, points, rng)
        ]
        for n, device_id in enumerate(device_ids[1:], start=1):
            lat, lon = 52.0 + rng.uniform(-0.5, 0.5), 5.0 + rng.uniform(-0.8, 0.8)
            fix = PositionFix(lat, lon, 0.0, None, 2.0, 8, True, 91.0, protocol="gt06")
            fixes.append((device_id, now - timedelta(seconds=n % 600), fix))
        keeper = PartitionKeeper(runtime.db.engine)
        keeper.ensure((moment for _, moment, _ in fixes), now)
        for i in range(0, len(fixes), CHUNK):
            with runtime.db.session() as session:
                refs: dict[str | None, str] = {}
                batch: list[PositionRow] = [
                    encrypt_position(
                        session,
                        vault,
                        device_id=device_id,
                        customer_id=customer_id,
                        fix_time=moment,
                        received_at=moment + timedelta(seconds=1),
                        fix=fix,
                        key_refs=refs,
                    )
                    for device_id, moment, fix in fixes[i : i + CHUNK]
                ]
                insert_positions(session, batch)
        compact_positions(runtime.db, vault, now=now)
    return Prepared(
        history_imei=imei(0),
        day_start=day_start,
        day_end=day_start + points * HISTORY_EVERY,
        positions=len(fixes),
        seconds=time.perf_counter() - began,
    )


# -- the server ----------------------------------------------------------------------------


def start_server(settings: Settings, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKGUARD_")}
    env |= {
        "TRACKGUARD_DATA_DIR": str(settings.data_dir),
        "TRACKGUARD_DATABASE_URL": settings.database_url or "",
        "TRACKGUARD_RETENTION_INTERVAL_HOURS": "0",
        "TRACKGUARD_COMPACTION_INTERVAL_MINUTES": "0",
    }
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "trackguard.cli", "serve", "--no-gateways", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}: see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"server not up within {STARTUP_SECONDS} s: see {log}")
        time.sleep(0.2)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# -- the load (runs in the second process) -------------------------------------------------


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _drive(
    base_url: str,
    server_pid: int,
    scenarios: dict[str, dict[str, Any]],
    levels: list[int],
    seconds: float,
) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        issued = await client.post("/api/session/token", auth=(EMAIL, PASSWORD))
        issued.raise_for_status()
        client.headers["Authorization"] = f"Bearer {issued.text}"
        client.cookies.clear()
        results = []
        address = urlsplit(base_url)
        host, port = address.hostname or "127.0.0.1", address.port or 80
        for name, params in scenarios.items():
            sample = await client.get("/api/positions", params=params)
            sample.raise_for_status()
            items, kib = len(sample.json()), len(sample.content) / 1024
            request = get_request(host, "/api/positions", params, issued.text)
            for level in levels:
                await hammer(host, port, request, level, WARM_UP_SECONDS)
                cpu_before, client_before = cpu_seconds(server_pid), time.process_time()
                latencies, errors, elapsed = await hammer(host, port, request, level, seconds)
                cpu = cpu_seconds(server_pid) - cpu_before
                client_cpu = time.process_time() - client_before
                latencies.sort()
                results.append(
                    asdict(
                        Measured(
                            scenario=name,
                            concurrency=level,
                            requests=len(latencies),
                            errors=errors,
                            seconds=elapsed,
                            per_second=len(latencies) / elapsed,
                            p50_ms=percentile(latencies, 0.50),
                            p90_ms=percentile(latencies, 0.90),
                            p99_ms=percentile(latencies, 0.99),
                            max_ms=latencies[-1] if latencies else math.nan,
                            items=items,
                            kib=kib,
                            server_cpu_ms=cpu * 1000 / max(1, len(latencies)),
                            client_cpu_ms=client_cpu * 1000 / max(1, len(latencies)),
                        )
                    )
                )
    return results


def drive(
    base_url: str,
    server_pid: int,
    scenarios: dict[str, dict[str, Any]],
    levels: list[int],
    seconds: float,
) -> list[dict[str, Any]]:
    """The load generator, in its own process: returns one `Measured` (as dict) per run."""
    return aio.run(_drive(base_url, server_pid, scenarios, levels, seconds))


# -- one run -------------------------------------------------------------------------------


def history_device_number(base_url: str, unique_id: str) -> int:
    answer = httpx.get(
        f"{base_url}/api/devices", params={"uniqueId": unique_id}, auth=(EMAIL, PASSWORD)
    )
    answer.raise_for_status()
    return int(answer.json()[0]["id"])


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def run(args: argparse.Namespace) -> dict[str, Any]:
    levels = [int(c) for c in str(args.concurrency).split(",")]
    with tempfile.TemporaryDirectory(prefix="tg-bench-api-") as tmp:
        workdir = Path(tmp)
        database = ScratchDatabase(args.backend, workdir)
        try:
            settings = Settings(data_dir=workdir / "data", database_url=database.url)
            prepared = prepare(settings, args.devices, args.points, datetime.now(UTC))
            port = free_port()
            server = start_server(settings, port, workdir / "serve.log")
            try:
                base_url = f"http://127.0.0.1:{port}"
                number = history_device_number(base_url, prepared.history_imei)
                scenarios = {
                    "latest": {},
                    "history": {
                        "deviceId": number,
                        "from": iso(prepared.day_start),
                        "to": iso(prepared.day_end),
                    },
                }
                load_before = os.getloadavg()
                results = []
                spawn = multiprocessing.get_context("spawn")
                for name, params in scenarios.items():
                    profiler = _profile(args.profile, server.pid, name, levels, args.seconds)
                    with spawn.Pool(1) as pool:
                        results += pool.apply(
                            drive, (base_url, server.pid, {name: params}, levels, args.seconds)
                        )
                    if profiler is not None:
                        profiler.wait()
                load_after = os.getloadavg()
                peak = peak_memory_mib(server.pid)
                expected = {"latest": args.devices, "history": args.points}
                for result in results:
                    if result["items"] != expected[result["scenario"]]:
                        raise RuntimeError(f"{result['scenario']}: {result['items']} positions")
            finally:
                stop_server(server)
        finally:
            database.drop()
    return {
        "backend": args.backend,
        "devices": args.devices,
        "history_points": args.points,
        "positions_stored": prepared.positions,
        "prepare_seconds": round(prepared.seconds, 1),
        "cores": os.cpu_count(),
        "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in load_after],
        "server_peak_mib": round(peak, 1),
        "results": results,
    }


def _profile(
    directory: str | None, pid: int, scenario: str, levels: list[int], seconds: float
) -> subprocess.Popen[bytes] | None:
    """py-spy on the server for the scenario's measured and warm-up time, if asked."""
    if directory is None:
        return None
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out = Path(directory) / f"{scenario}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    duration = math.ceil(len(levels) * (seconds + WARM_UP_SECONDS) + 3)
    command = [py_spy, "record", "--pid", str(pid), "--format", "raw", "--output", str(out)]
    command += ["--duration", str(duration), "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--points", type=int, default=8640, help="history fixes, 10 s apart")
    parser.add_argument("--concurrency", default="32", help="requests in flight; e.g. 1,8,32")
    parser.add_argument("--seconds", type=float, default=20.0, help="per scenario and level")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--profile", metavar="DIR", help="py-spy raw profiles of the server")
    args = parser.parse_args()
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"api benchmark ({report['backend']}): {report['devices']} devices, "
        f"{report['history_points']} history points, {report['cores']} cores, "
        f"load {report['load_before'][0]:.2f} -> {report['load_after'][0]:.2f}"
    )
    print(
        f"{'scenario':<9}{'conc':>5}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'requests':>9}{'errors':>7}{'items':>7}{'KiB':>7}{'cpu ms':>8}"
        f"{'client':>8}"
    )
    for r in report["results"]:
        print(
            f"{r['scenario']:<9}{r['concurrency']:>5}{r['per_second']:>9.1f}{r['p50_ms']:>9.1f}"
            f"{r['p90_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['max_ms']:>9.1f}{r['requests']:>9}"
            f"{r['errors']:>7}{r['items']:>7}{r['kib']:>7.0f}{r['server_cpu_ms']:>8.1f}"
            f"{r['client_cpu_ms']:>8.1f}"
        )
    print(f"server peak memory (VmHWM): {report['server_peak_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
