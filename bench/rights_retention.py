"""Retention sweep benchmark: rows/s that `retention run` removes, per kind of sweep.

    python bench/rights_retention.py [--backend sqlite|postgresql|both] [--rows 200000]
                                     [--batch-size 1000] [--json]

On a fresh database (SQLite file, or a scratch PostgreSQL database dropped after) it
stores `--rows` due rows of one kind at a time and times a full `retention.run`
(every rule of the policy, batches of `--batch-size`, each batch its own
transaction with its report update and audit entry):

* chat_messages       row-wise deletes (the 14-day rule);
* positions_aged      positions of an activated tracker over months older than the
                      location history's year: PostgreSQL drops those month
                      partitions whole, SQLite deletes row by row;
* positions_recent    positions of a tracker nobody activated, past the 7-day rule
                      but in the current months' partitions: row-wise on both.

`bench/rights.py` imports `measure_sweep`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import ScratchDatabase
from sqlalchemy import insert

from trackguard.clock import fixed_clock
from trackguard.privacy.retention import run
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.base import new_id
from trackguard.store.models import ChatMessage, Customer, Device
from trackguard.tracking.positions import (
    PositionRow,
    ensure_partition,
    insert_positions,
    month_of,
    next_month,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CHUNK = 20_000  # rows per transaction while filling
BODY = os.urandom(120)  # a sealed chat message or position payload: its size, not content


def _owner(runtime: Runtime) -> tuple[str, str, str]:
    """(customer, their tracker, a tracker nobody activated)."""
    with runtime.db.session() as session:
        customer = Customer(
            created_at=NOW, last_login_at=NOW, email_index=new_id() + new_id(), language="nl"
        )
        session.add(customer)
        session.flush()
        owned = Device(
            imei_index=new_id() + new_id(),
            customer_id=customer.id,
            created_at=NOW - timedelta(days=900),
            activated_at=NOW - timedelta(days=900),
            last_seen_at=NOW,
        )
        stock = Device(imei_index=new_id() + new_id(), created_at=NOW, last_seen_at=NOW)
        session.add_all([owned, stock])
        session.flush()
        return customer.id, owned.id, stock.id


def _fill(runtime: Runtime, rows: int, make: Callable[[Any, int, int], None]) -> None:
    for start in range(0, rows, CHUNK):
        with runtime.db.session() as session:
            make(session, start, min(rows, start + CHUNK))


def _chats(customer: str) -> Callable[[Any, int, int], None]:
    sent = NOW - timedelta(days=30)

    def make(session: Any, start: int, end: int) -> None:
        session.execute(
            insert(ChatMessage),
            [
                {
                    "id": new_id(),
                    "customer_id": customer,
                    "conversation_id": f"c{i // 20}",
                    "sent_at": sent - timedelta(seconds=i),
                    "sender": "customer",
                    "body": BODY,
                    "relevant_to_service": False,
                }
                for i in range(start, end)
            ],
        )

    return make


def _positions(device: str, first: datetime, spacing: timedelta) -> Callable[[Any, int, int], None]:
    def make(session: Any, start: int, end: int) -> None:
        fixes = [first + spacing * i for i in range(start, end)]
        insert_positions(session, [PositionRow(device, t, t, "bench:1", BODY) for t in fixes])

    return make


def _partitions(runtime: Runtime, first: datetime, last: datetime) -> None:
    if runtime.db.dialect != "postgresql":
        return
    month: date = month_of(first)
    with runtime.db.engine.connect() as connection:
        while month <= month_of(last):
            ensure_partition(connection, month)
            month = next_month(month)


def _timed(runtime: Runtime, rows: int, batch_size: int) -> dict[str, Any]:
    started = time.perf_counter()
    report = run(runtime, as_of=NOW, batch_size=batch_size)
    seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "removed": report.total,
        "seconds": round(seconds, 2),
        "rows_per_second": int(report.total / seconds) if seconds else 0,
        "partitions_dropped": len(report.partitions_dropped),
    }


def measure_sweep(backend: str, rows: int, batch_size: int = 1000) -> dict[str, Any]:
    """Time the retention sweep of `rows` due rows of each kind on `backend`."""
    with tempfile.TemporaryDirectory(prefix="tg-bench-retention-") as workdir:
        scratch = ScratchDatabase(backend, Path(workdir))
        try:
            settings = Settings(data_dir=Path(workdir) / "data", database_url=scratch.url)
            with Runtime.open(settings, clock=fixed_clock(NOW)) as runtime:
                customer, owned, stock = _owner(runtime)
                result: dict[str, Any] = {"backend": backend, "batch_size": batch_size}

                _fill(runtime, rows, _chats(customer))
                result["chat_messages"] = _timed(runtime, rows, batch_size)

                # Aged: from 30 months ago up to 14 months ago, evenly spread.
                first = NOW - timedelta(days=900)
                spacing = timedelta(days=480) / rows
                _partitions(runtime, first, first + spacing * rows)
                _fill(runtime, rows, _positions(owned, first, spacing))
                result["positions_aged"] = _timed(runtime, rows, batch_size)

                # Recent: between 30 and 8 days ago, nobody's tracker (the 7-day rule).
                first = NOW - timedelta(days=30)
                spacing = timedelta(days=22) / rows
                _partitions(runtime, first, NOW)
                _fill(runtime, rows, _positions(stock, first, spacing))
                result["positions_recent"] = _timed(runtime, rows, batch_size)
                return result
        finally:
            scratch.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = [measure_sweep(b, args.rows, args.batch_size) for b in backends]
    if args.json:
        print(json.dumps({"cores": os.cpu_count(), "results": results}, indent=2))
        return
    print(f"retention sweep, {args.rows:,} due rows per kind, {os.cpu_count()} cores")
    for result in results:
        for kind in ("chat_messages", "positions_aged", "positions_recent"):
            r = result[kind]
            count = r["partitions_dropped"]
            dropped = f", {count} partitions dropped" if count else ""
            print(
                f"{result['backend']:<10} {kind:<17} {r['removed']:>9,} rows "
                f"{r['seconds']:>7.2f} s {r['rows_per_second']:>10,} rows/s{dropped}"
            )


if __name__ == "__main__":
    main()
