"""Which rows a batch becomes: a device's fixes of one hour in one row (pure, no I/O).

A Teltonika tracker sends its buffered records in one packet; storing them as
one block row (`tracking.position_blocks`) costs one JSON document, one AES-GCM
seal and one insert instead of one each per fix. A device that waits for an ack
before each report (GT06, Teltonika with one record) has one fix per batch and
keeps getting single rows, as before.

No fix may be stored twice or lost when a device resends a packet it got no ack
for (perhaps with more records): the primary key (device, fix time) catches a
resent single but not a fix inside an earlier block. So the writer knows each
device's newest stored fix time; a row whose fixes are all newer needs no
look-up (the usual case), any other has the fix times already stored in its
span removed first (`drop_stored`).

Only devices nobody activated (fleet key) get packet blocks. A customer's hours
are folded into one block by compaction (`tracking.compaction`), which looks for
single rows only: a customer's packet stored as a block would stay a block of
its own, and every read of that hour would open dozens of them instead of one.

Times are compared as `position_blocks.iso_utc_text` strings: what blocks store,
and ordered like the times.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from trackguard.gateway.payloads import fix_time_text
from trackguard.protocols.base import PositionReport

Fix = tuple[PositionReport, datetime]  # a report and when it was received


@dataclass(frozen=True, slots=True)
class PlannedRow:
    """One row to write: a device's fixes of one UTC hour, in time order, distinct times.

    One fix: a single row. More: a block row.
    """

    device_id: str
    customer_id: str | None
    fixes: tuple[Fix, ...]
    times: tuple[str, ...]  # iso_utc_text of each fix's time

    @property
    def first(self) -> str:
        return self.times[0]

    @property
    def last(self) -> str:
        return self.times[-1]


def plan_rows(
    entries: Iterable[tuple[str, str | None, PositionReport, datetime]],
    *,
    customer_blocks: bool = False,
) -> list[PlannedRow]:
    """Group (device id, customer id, report, received at) by device and hour.

    A customer's device gets one row per fix unless `customer_blocks` (see the
    module docstring). A fix time seen twice for a device in the batch is kept once
    (the first).
    """
    groups: dict[tuple[str, str], dict[str, Fix]] = {}
    owners: dict[str, str | None] = {}
    for device_id, customer_id, report, received_at in entries:
        time = fix_time_text(report.time)
        owners[device_id] = customer_id
        # "YYYY-MM-DDTHH": the hour; a customer's fix alone: its own time.
        span = time[:13] if customer_id is None or customer_blocks else time
        fixes = groups.setdefault((device_id, span), {})
        if time not in fixes:
            fixes[time] = (report, received_at)
    planned = []
    for (device_id, _span), fixes in groups.items():
        times = sorted(fixes)
        planned.append(
            PlannedRow(device_id, owners[device_id], tuple(fixes[t] for t in times), tuple(times))
        )
    return planned


StoredTimes = Callable[[str, str, str], set[str]]  # (device id, first, last) -> times stored


def drop_stored(
    planned: Iterable[PlannedRow], newest: Mapping[str, str], stored_times: StoredTimes
) -> list[PlannedRow]:
    """The rows without fixes already stored; rows left empty are left out.

    `newest` maps a device id to its newest stored fix time (absent: none stored).
    Only a row reaching back to or before it calls `stored_times`.
    """
    kept = []
    for row in planned:
        known = newest.get(row.device_id)
        if known is None or row.first > known:
            kept.append(row)
            continue
        stored = stored_times(row.device_id, row.first, row.last)
        if not stored.intersection(row.times):
            kept.append(row)
            continue
        left = [i for i, time in enumerate(row.times) if time not in stored]
        if left:
            kept.append(
                PlannedRow(
                    row.device_id,
                    row.customer_id,
                    tuple(row.fixes[i] for i in left),
                    tuple(row.times[i] for i in left),
                )
            )
    return kept


def newest_after(rows: Iterable[PlannedRow], newest: Mapping[str, str]) -> dict[str, str]:
    """Each device's newest stored fix time once `rows` are committed (changed ones only)."""
    moved: dict[str, str] = {}
    for row in rows:
        current = moved.get(row.device_id) or newest.get(row.device_id)
        if current is None or row.last > current:
            moved[row.device_id] = row.last
    return moved
