"""Rights benchmark: access export, erasure and retention sweep.

    python bench/rights.py [--backend sqlite|postgresql] [--part export|erasure|retention|all]
                           [--positions N [N ...]] [--erasure-sizes 1000,100000,1000000]
                           [--sweep-rows 100000] [--json]

export: for each N (default 1,000,000) a fresh database gets one customer with two
activated trackers and N positions between them, stored by the writer's own path
(`tracking.positions.encrypt_position` under the customer's location key, then
executemany on SQLite or COPY on PostgreSQL). The tracks alternate 30 minutes of
driving (a fix every 5 s) with 30 minutes parked (a fix a minute), so tracks.gpx
has real trips. The positions are then compacted into hourly blocks, as `serve` keeps
them (binary format 2, `tracking.block_arrays`; timed apart), on PostgreSQL vacuumed
and analysed as autovacuum would have done by then, and `write_export` runs in
a fresh process (spawned), so its peak memory (VmHWM) is the export's own and not the
seeding's; the figures are seconds (wall; CPU of this process's threads, as
positions.csv and tracks.gpx are formatted and compressed on others; and CPU of the main
thread alone, the wall time's floor when cores are free, a steadier figure on a busy
machine), positions/s, the process's peak RSS and its RSS before the export began.
Run it for 100k and 1M: flat memory means the peak does not grow with N.

erasure and retention call `measure_erasure` (bench/rights_erasure.py) and
`measure_sweep` (bench/rights_retention.py), imported only when asked for.

Everything shares this machine's cores with the database: note its load (`uptime`)
beside the figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import ScratchDatabase

from trackguard.clock import fixed_clock
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import Customer, Device
from trackguard.tracking.compaction import compact_positions
from trackguard.tracking.geo import destination
from trackguard.tracking.positions import (
    PartitionKeeper,
    PositionFix,
    encrypt_position,
    insert_positions,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CHUNK = 50_000  # positions per transaction while filling
DEVICES = 2
DRIVE, DRIVE_EVERY = timedelta(minutes=30), timedelta(seconds=5)
PARK, PARK_EVERY = timedelta(minutes=30), timedelta(seconds=60)
SPEED_KMH = 36.0


def track(start: datetime) -> Iterator[tuple[datetime, PositionFix]]:
    """Fixes of one tracker from `start` on: driving and parked in turn."""
    moment, lat, lon, heading = start, 52.09, 5.12, 45.0
    while True:
        end = moment + DRIVE
        while moment < end:
            lat, lon = destination(lat, lon, heading, SPEED_KMH / 3.6 * DRIVE_EVERY.seconds)
            yield (
                moment,
                PositionFix(lat, lon, SPEED_KMH, heading, 4.0, 9, True, 80.0, protocol="gt06"),
            )
            moment += DRIVE_EVERY
        heading = (heading + 97.0) % 360
        end = moment + PARK
        while moment < end:
            yield moment, PositionFix(lat, lon, 0.0, None, 4.0, 8, True, 80.0)
            moment += PARK_EVERY


def seed(runtime: Runtime, positions: int) -> tuple[str, float]:
    """One customer, DEVICES trackers, `positions` fixes; returns (customer id, seconds)."""
    began = time.perf_counter()
    vault = runtime.vault
    with runtime.db.session() as session:
        customer = Customer(language="en", status="active", created_at=NOW)
        vault.seal(session, customer, "email", "bench@trackguard.example")
        session.add(customer)
        session.flush()
        devices = []
        for n in range(DEVICES):
            device = Device(
                customer_id=customer.id,
                imei_index=vault.blind_index("imei", f"35000000000000{n}"),
                name=f"Bench tracker {n}",
                protocol="gt06",
                created_at=NOW,
                activated_at=NOW,
            )
            session.add(device)
            devices.append(device)
        session.flush()
        customer_id, device_ids = customer.id, [d.id for d in devices]
    keeper = PartitionKeeper(runtime.db.engine)
    per_device = [
        positions // DEVICES + (1 if i < positions % DEVICES else 0) for i in range(DEVICES)
    ]
    for device_id, count in zip(device_ids, per_device, strict=True):
        fixes = track(NOW - (DRIVE + PARK) * (count // 390 + 1))  # 390 fixes an hour
        for done in range(0, count, CHUNK):
            chunk = list(islice(fixes, min(CHUNK, count - done)))
            keeper.ensure((t for t, _ in chunk), NOW)
            with runtime.db.session() as session:
                refs: dict[str | None, str] = {}
                rows = [
                    encrypt_position(
                        session,
                        vault,
                        device_id=device_id,
                        customer_id=customer_id,
                        fix_time=moment,
                        received_at=moment,
                        fix=fix,
                        key_refs=refs,
                    )
                    for moment, fix in chunk
                ]
                insert_positions(session, rows)
    return customer_id, time.perf_counter() - began


def settle(runtime: Runtime) -> None:
    """On PostgreSQL, vacuum and analyse the positions now, as autovacuum does in time on a
    running server after a bulk change (compaction deleted a million rows): otherwise it
    would run during the measured export, on the same cores."""
    engine = runtime.db.engine
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE) positions")


def _memory_mib(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process image. Not ru_maxrss: on Linux that
    survives exec, so a spawned child would report its parent's peak from before the fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _export_child(settings: Settings, customer_id: str, out: Any) -> None:
    """In a fresh process: open, export, and report time and memory."""
    from trackguard.privacy.export import write_export

    with Runtime.open(settings, clock=fixed_clock(NOW)) as runtime:
        before = _memory_mib("VmRSS")
        began, cpu_began, main_began = time.perf_counter(), time.process_time(), time.thread_time()
        result = write_export(runtime, customer_id, kind="access")
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
        main_cpu = time.thread_time() - main_began
    out.send(
        {
            "seconds": seconds,
            "cpu_seconds": cpu,  # this process only: the database server's share is apart
            # The thread that reads and splits: on an idle machine the wall time's floor.
            "main_thread_cpu_seconds": main_cpu,
            "rss_before_mib": before,
            "peak_rss_mib": _memory_mib("VmHWM"),
            "size_mib": result.size_bytes / 2**20,
            "exported_positions": result.counts.get("positions", 0),
            "tracks": result.counts.get("tracks", 0),
        }
    )


def measure_export(backend: str, positions: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tg-bench-rights-") as tmp:
        database = ScratchDatabase(backend, Path(tmp))
        try:
            settings = Settings(data_dir=Path(tmp) / "data", database_url=database.url)
            with Runtime.open(settings, clock=fixed_clock(NOW)) as runtime:
                customer_id, seed_seconds = seed(runtime, positions)
                # As a running server keeps them: past hours folded into blocks.
                began = time.perf_counter()
                compacted = compact_positions(runtime.db, runtime.vault, now=NOW)
                compact_seconds = time.perf_counter() - began
                settle(runtime)
            context = multiprocessing.get_context("spawn")
            receive, send = context.Pipe(duplex=False)
            child = context.Process(target=_export_child, args=(settings, customer_id, send))
            child.start()
            figures = receive.recv()
            child.join()
        finally:
            database.drop()
    return {
        "backend": backend,
        "positions": positions,
        "seed_seconds": round(seed_seconds, 1),
        "compact_seconds": round(compact_seconds, 1),
        "compacted_fixes_per_second": round(compacted.fixes / compact_seconds),
        "blocks": compacted.blocks,
        **{k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()},
        "positions_per_second": round(positions / figures["seconds"]),
        "positions_per_cpu_second": round(positions / figures["cpu_seconds"]),
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--part", choices=["export", "erasure", "retention", "all"], default="export"
    )
    parser.add_argument("--positions", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--erasure-sizes", default="1000,100000,1000000")
    parser.add_argument("--sweep-rows", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {"backend": args.backend, "cores": os.cpu_count()}
    if args.part in ("export", "all"):
        report["export"] = [measure_export(args.backend, n) for n in args.positions]
    if args.part in ("erasure", "all"):
        from rights_erasure import measure_erasure

        sizes = [int(s) for s in args.erasure_sizes.split(",")]
        report["erasure"] = measure_erasure(args.backend, sizes)
    if args.part in ("retention", "all"):
        from rights_retention import measure_sweep

        report["retention"] = measure_sweep(args.backend, args.sweep_rows)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"rights benchmark on {args.backend}, {report['cores']} cores")
    for row in report.get("export", []):
        print(
            f"export  {row['positions']:>10,} positions  {row['seconds']:>7.1f} s  "
            f"{row['positions_per_second']:>9,}/s ({row['positions_per_cpu_second']:,}/cpu-s, "
            f"main thread {row['main_thread_cpu_seconds']:.1f} cpu-s)  "
            f"peak RSS {row['peak_rss_mib']:.0f} MiB "
            f"(before {row['rss_before_mib']:.0f})  {row['tracks']} tracks  "
            f"{row['size_mib']:.0f} MiB zip  load {row['load_average']:.1f}"
        )
        print(
            f"        compaction first: {row['blocks']:,} blocks in {row['compact_seconds']} s "
            f"({row['compacted_fixes_per_second']:,} fixes/s)"
        )
    for row in report.get("erasure", []):
        print("erasure ", json.dumps(row))
    if "retention" in report:
        print("retention", json.dumps(report["retention"]))


if __name__ == "__main__":
    main()
