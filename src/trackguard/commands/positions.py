"""`trackguard positions IMEI`: an operator reads one tracker's decoded positions (audited)."""

from __future__ import annotations

import json
from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table

from trackguard.clock import as_utc
from trackguard.commands.context import load_settings
from trackguard.errors import Forbidden, TrackguardError
from trackguard.privacy.audit import AuditLog
from trackguard.runtime import Runtime
from trackguard.tracking.devices import find_device
from trackguard.tracking.positions import POSITION_TABLE, read_positions

ACTOR = ROLE = "operator"


def _time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise TrackguardError(
            f"{option} is not an ISO 8601 time (e.g. 2026-03-01T07:00:00Z)"
        ) from None


def positions(
    imei: str = typer.Argument(..., help="The tracker's IMEI (or device id)."),
    start: str | None = typer.Option(
        None, "--from", help="Only fixes at or after this time (ISO 8601; no zone means UTC)."
    ),
    end: str | None = typer.Option(
        None, "--to", help="Only fixes before this time (ISO 8601; no zone means UTC)."
    ),
    purpose: str | None = typer.Option(
        None,
        "--purpose",
        help="Why you read them, a policy purpose of positions (default: device_operations "
        "for a tracker without an owner, service_delivery for an activated one).",
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most N fixes."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array of positions."),
) -> None:
    """Print the decoded positions of one tracker, oldest first; the read is audited.

    JSON objects carry `time` (ISO 8601 UTC), `valid`, `latitude`, `longitude`,
    `speed` (km/h), `course`, `altitude`, `satellites`, `battery`, `ignition`,
    `motion`, `alarm`, `protocol` and `attributes`.

    Example: trackguard positions 356938035643809 --from 2026-03-01T00:00:00Z --json
    """
    since, until = _time(start, "--from"), _time(end, "--to")
    with Runtime.open(load_settings()) as runtime, runtime.db.session() as session:
        device = find_device(session, runtime.vault, imei)
        chosen = purpose or (
            "service_delivery" if device.customer_id is not None else "device_operations"
        )
        allowed = [p.key for p in runtime.policy.purposes_for(POSITION_TABLE)]
        if chosen not in allowed:
            raise Forbidden(
                f"purpose '{chosen}' does not allow reading positions (allowed: "
                f"{', '.join(allowed)})"
            )
        AuditLog(runtime.clock).append(
            session,
            actor=ACTOR,
            role=ROLE,
            purpose=chosen,
            subject_id=device.customer_id,
            categories=["user.location.precise"],
            action="positions.read",
        )
        found = read_positions(
            session, runtime.vault, device.id, start=since, end=until, limit=limit
        )
        protocol = device.protocol
    rows = [p.to_json(default_protocol=protocol) for p in found]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no positions")
        return
    table = Table("time (UTC)", "valid", "latitude", "longitude", "km/h", "course", "protocol")
    for row in rows:
        table.add_row(
            row["time"],
            "yes" if row["valid"] else "no",
            f"{row['latitude']:.6f}",
            f"{row['longitude']:.6f}",
            f"{row['speed']:.1f}",
            "-" if row["course"] is None else f"{row['course']:.0f}",
            row["protocol"] or "-",
        )
    Console(width=200).print(table)
