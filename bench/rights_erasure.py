"""Erasure benchmark: time to erase a subject, by the size of their location history.

    python bench/rights_erasure.py [--backend sqlite|postgresql|both]
                                   [--sizes 1000,100000,1000000] [--json]

For each size it makes a fresh database, stores one customer with an activated
tracker, that many encrypted positions (the writer's own path: AES-GCM under the
customer's location key, executemany on SQLite, COPY on PostgreSQL into month
partitions) and one record of every other kind, then times `erase_subject`
end to end (transaction, commit, and on SQLite the WAL checkpoint). A small
subject is erased first in each database so one-time start-up costs are not
counted. The goal is < 100 ms whatever the volume: erasure destroys the location
key instead of visiting positions, so the time must stay flat.

`bench/rights.py` imports `measure_erasure`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import ScratchDatabase
from sqlalchemy import func, select

from trackguard.clock import fixed_clock
from trackguard.privacy.erasure import erase_subject
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models import (
    ChatMessage,
    Customer,
    Device,
    EmailMessage,
    Event,
    Geofence,
    Order,
    Position,
    WebVisit,
)
from trackguard.tracking.positions import (
    PartitionKeeper,
    PositionFix,
    encrypt_position,
    insert_positions,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CHUNK = 50_000  # positions per transaction while filling
SPACING = timedelta(seconds=5)  # one fix every 5 s: a million span about two months
WARM_UP_POSITIONS = 100


def make_subject(runtime: Runtime, tag: str) -> tuple[str, str]:
    """A customer with an activated tracker and one record of every other kind."""
    vault = runtime.vault
    with runtime.db.session() as session:
        customer = Customer(
            created_at=NOW - timedelta(days=400),
            email_index=vault.blind_index("email", f"{tag}@example.nl"),
            language="nl",
        )
        session.add(customer)
        vault.seal(session, customer, "email", f"{tag}@example.nl")
        vault.seal(session, customer, "first_name", f"Bench {tag}")
        session.flush()
        device = Device(
            imei_index=vault.blind_index("imei", tag),
            customer_id=customer.id,
            name=f"bike {tag}",
            created_at=NOW - timedelta(days=400),
            activated_at=NOW - timedelta(days=400),
        )
        session.add(device)
        vault.seal(session, device, "imei", tag)
        fence = Geofence(customer_id=customer.id, created_at=NOW, updated_at=NOW)
        vault.seal(session, fence, "name", "home")
        vault.seal(session, fence, "area", "CIRCLE (52.1 5.4, 50)")
        chat = ChatMessage(
            customer_id=customer.id, conversation_id="c" * 32, sent_at=NOW, sender="customer"
        )
        vault.seal(session, chat, "body", "where is my parcel?")
        mail = EmailMessage(customer_id=customer.id, direction="inbound", sent_at=NOW)
        vault.seal(session, mail, "subject", "hello")
        vault.seal(session, mail, "body", "a question")
        visit = WebVisit(customer_id=customer.id, visited_at=NOW, path="/portal")
        order = Order(
            customer_id=customer.id,
            order_number=f"B-{tag}",
            placed_at=NOW,
            status="paid",
            total_cents=9900,
        )
        vault.seal(session, order, "shipping_address", "Dorpsstraat 1")
        session.add_all([fence, chat, mail, visit, order])
        session.flush()
        session.add(
            Event(
                device_id=device.id,
                customer_id=customer.id,
                type="deviceMoving",
                time=NOW,
                fix_time=NOW,
            )
        )
        return customer.id, device.id


def fill_positions(runtime: Runtime, device_id: str, customer_id: str, count: int) -> float:
    """Store `count` encrypted positions for the device; returns rows/s."""
    start = NOW - SPACING * count
    keeper = PartitionKeeper(runtime.db.engine)
    began = time.perf_counter()
    for first in range(0, count, CHUNK):
        times = [start + SPACING * i for i in range(first, min(first + CHUNK, count))]
        keeper.ensure(times, now=NOW)
        with runtime.db.session() as session:
            key_refs: dict[str | None, str] = {}
            rows = [
                encrypt_position(
                    session,
                    runtime.vault,
                    device_id=device_id,
                    customer_id=customer_id,
                    fix_time=t,
                    received_at=t,
                    fix=PositionFix(52.1 + (i % 1000) * 1e-5, 5.4, 18.0, 90.0, 2.0, 8, True, 77),
                    key_refs=key_refs,
                )
                for i, t in enumerate(times)
            ]
            insert_positions(session, rows)
    return count / (time.perf_counter() - began)


def count_positions(runtime: Runtime, device_id: str) -> int:
    with runtime.db.session() as session:
        query = select(func.count()).select_from(Position).where(Position.device_id == device_id)
        return int(session.scalar(query) or 0)


def measure_one(backend: str, size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tg-erasure-") as workdir:
        scratch = ScratchDatabase(backend, Path(workdir))
        try:
            settings = Settings(data_dir=Path(workdir) / "data", database_url=scratch.url)
            with Runtime.open(settings, clock=fixed_clock(NOW)) as runtime:
                warm_id, warm_device = make_subject(runtime, "warm-up")
                fill_positions(runtime, warm_device, warm_id, WARM_UP_POSITIONS)
                erase_subject(runtime, warm_id)
                customer_id, device_id = make_subject(runtime, "subject")
                fill_rate = fill_positions(runtime, device_id, customer_id, size)
                began = time.perf_counter()
                outcome = erase_subject(runtime, customer_id)
                elapsed_ms = (time.perf_counter() - began) * 1000
                left = count_positions(runtime, device_id)
        finally:
            scratch.drop()
    return {
        "backend": backend,
        "positions": size,
        "erase_ms": round(elapsed_ms, 1),
        "rows_deleted": outcome.rows_deleted,
        "keys_destroyed": outcome.keys_destroyed,
        "positions_left_unreadable": left,
        "deferred_to": outcome.deferred.get("positions"),
        "fill_rows_per_s": round(fill_rate),
    }


def measure_erasure(backend: str, sizes: list[int]) -> list[dict[str, Any]]:
    """Time `erase_subject` for a subject with each number of positions (a fresh database
    each). Returns one dict per size: backend, positions, erase_ms and what was done."""
    return [measure_one(backend, size) for size in sizes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = [r for backend in backends for r in measure_erasure(backend, sizes)]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'backend':<11}{'positions':>11}{'erase ms':>10}{'rows deleted':>14}{'left':>10}")
    for r in results:
        print(
            f"{r['backend']:<11}{r['positions']:>11,}{r['erase_ms']:>10.1f}"
            f"{r['rows_deleted']:>14}{r['positions_left_unreadable']:>10,}"
        )
    for backend in backends:
        times = [r["erase_ms"] for r in results if r["backend"] == backend]
        print(f"{backend}: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")


if __name__ == "__main__":
    main()
