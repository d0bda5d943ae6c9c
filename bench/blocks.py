"""Position block formats side by side: size and decoding time, no database.

    python bench/blocks.py [--fixes-per-block 360] [--blocks 24] [--rounds 200]

A day of one tracker as the API reads it back (8,640 fixes in 24 hourly blocks,
a fix every 10 s, driving and parked in turn): each block encoded as format 1
(JSON) and as format 2 (binary columns) at several ISA-L deflate levels, then decoded into
lists (`decode_block`, what the API's readers take) and, for format 2, into arrays
(`decode_block_arrays`, what the export takes). Times are the best of `--rounds`
rounds (the machine is shared: the best round is the steadiest figure), per day.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from trackguard.tracking import position_blocks
from trackguard.tracking.geo import destination
from trackguard.tracking.position_blocks import (
    FIELDS,
    FixColumns,
    decode_block,
    decode_block_arrays,
    encode_binary_block,
    encode_block,
    iso_utc_text,
)

START = datetime(2026, 3, 1, tzinfo=UTC)
LEVELS: tuple[int | None, ...] = (None, 1, 3)  # ISA-L deflate levels run 0-3


def day_blocks(fixes_per_block: int, blocks: int) -> list[FixColumns]:
    """Hourly blocks of one tracker: driving (36 km/h) one half hour, parked the other."""
    lat, lon, found = 52.09, 5.12, []
    step = timedelta(hours=1) / fixes_per_block
    for hour in range(blocks):
        times, columns = [], {name: [] for name in FIELDS}  # type: dict[str, list[object]]
        for n in range(fixes_per_block):
            moment = START + timedelta(hours=hour) + step * n
            driving = n < fixes_per_block // 2
            if driving:
                lat, lon = destination(lat, lon, 45.0, 10.0 * step.total_seconds())
            times.append(iso_utc_text(moment))
            values = {
                "lat": round(lat, 6),
                "lon": round(lon, 6),
                "speed": 36.0 if driving else 0.0,
                "course": 45.0 if driving else None,
                "altitude": 4.0,
                "satellites": 9 if driving else 8,
                "valid": True,
                "battery": 80.0,
                "ignition": driving,
                "motion": None,
                "alarm": None,
                "protocol": "gt06",
                "attributes": {"io239": int(driving), "odometer": 1000 + n} if driving else None,
            }
            for name in FIELDS:
                columns[name].append(values[name])
        found.append(FixColumns(times, list(times), columns))
    return found


def best_of(rounds: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixes-per-block", type=int, default=360)
    parser.add_argument("--blocks", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    blocks = day_blocks(args.fixes_per_block, args.blocks)
    fixes = args.fixes_per_block * args.blocks
    encoded: dict[str, list[bytes]] = {"format 1 (JSON, zlib 6)": [encode_block(b) for b in blocks]}
    for level in LEVELS:
        position_blocks._BINARY_ZLIB_LEVEL = level  # the writer's setting, varied here only
        name = f"format 2 ({'stored' if level is None else f'isal {level}'})"
        encoded[name] = [encode_binary_block(b) for b in blocks]
    print(
        f"{args.blocks} blocks of {args.fixes_per_block} fixes ({fixes:,} fixes), "
        f"best of {args.rounds}"
    )
    for name, plains in encoded.items():
        assert [decode_block(p, args.fixes_per_block) for p in plains] == blocks

        def lists(plains: list[bytes] = plains) -> None:
            for plain in plains:
                decode_block(plain, args.fixes_per_block).in_time_order()

        def arrays(plains: list[bytes] = plains) -> None:
            for plain in plains:
                decode_block_arrays(plain, args.fixes_per_block)

        size = sum(map(len, plains)) / fixes
        line = f"{name:<24} {size:5.1f} B/fix  lists {best_of(args.rounds, lists) * 1e3:6.2f} ms"
        if name.startswith("format 2"):
            line += f"  arrays {best_of(args.rounds, arrays) * 1e3:6.2f} ms"
        print(line)


if __name__ == "__main__":
    main()
