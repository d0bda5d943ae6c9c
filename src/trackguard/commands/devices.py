"""`trackguard devices`: register trackers, activate them for customers, list them.

Every command that touches personal data writes an audit entry as the operator.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.table import Table

from trackguard.commands.context import load_settings
from trackguard.privacy.audit import AuditLog
from trackguard.runtime import Runtime
from trackguard.tracking import devices as tracking_devices
from trackguard.tracking.positions import POSITION_KEY_CLASS
from trackguard.vault import FLEET_SUBJECT

app = typer.Typer(
    help="Trackers: register, activate for a customer, list.\n\n"
    "Example: trackguard devices add 356938035643809 --protocol gt06",
    no_args_is_help=True,
)

ACTOR = ROLE = "operator"


@contextmanager
def _runtime() -> Iterator[Runtime]:
    with Runtime.open(load_settings()) as runtime:
        yield runtime


@app.command("add")
def add(
    imei: str = typer.Argument(..., help="The tracker's IMEI (or device id)."),
    protocol: str | None = typer.Option(
        None, "--protocol", help="The protocol it speaks (gt06, teltonika, osmand, ...)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Register a tracker and print its activation code, once.

    Only a hash of the code is stored: hand the printed code to the customer (on
    the box or the invoice). Running it again for a tracker nobody activated
    issues a new code and the old one stops working. A tracker that reported
    before it was added is already known (without an owner) and keeps its id.

    Example: trackguard devices add 356938035643809 --protocol gt06
    """
    with _runtime() as runtime, runtime.db.session() as session:
        registration = tracking_devices.register_device(
            session, runtime.vault, imei, now=runtime.clock(), protocol=protocol
        )
        AuditLog(runtime.clock).append(
            session,
            actor=ACTOR,
            role=ROLE,
            purpose="device_operations",
            subject_id=None,
            categories=["user.unique_id.pseudonymous"],
            action="devices.add",
        )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "id": registration.device_id,
                    "activation_code": registration.activation_code,
                    "created": registration.created,
                }
            )
        )
        return
    state = "registered" if registration.created else "already known; new code issued"
    typer.echo(f"device {registration.device_id} {state}")
    typer.echo(f"activation code: {registration.activation_code}")
    typer.echo("the code is shown only now: only its hash is stored")


@app.command("activate")
def activate(
    imei: str = typer.Argument(..., help="The tracker's IMEI."),
    customer: str = typer.Option(..., "--customer", help="The customer's e-mail address."),
    code: str = typer.Option(..., "--code", help="The tracker's activation code."),
) -> None:
    """Activate a tracker for a customer with its activation code.

    From then on its positions are encrypted under the customer's location key;
    the positions it reported before, kept pseudonymised under the fleet key,
    are deleted.

    Example: trackguard devices activate 356938035643809 --customer jan@example.nl \\
        --code K7PQ-2MXR-9TWD
    """
    with _runtime() as runtime, runtime.db.session() as session:
        customer_id = tracking_devices.customer_by_email(session, runtime.vault, customer)
        device = tracking_devices.activate_device(
            session, runtime.vault, imei, code, customer_id=customer_id, now=runtime.clock()
        )
        AuditLog(runtime.clock).append(
            session,
            actor=ACTOR,
            role=ROLE,
            purpose="service_delivery",
            subject_id=customer_id,
            categories=["user.device.device_id", "user.unique_id.pseudonymous"],
            action="devices.activate",
        )
        device_id = device.id
    typer.echo(f"device {device_id} activated for customer {customer_id}")


@app.command("list")
def list_command(
    as_json: bool = typer.Option(False, "--json", help="Print the devices as JSON."),
) -> None:
    """List trackers: id, pseudonym, protocol, activated, owner (customer id), last seen.

    No IMEI is shown: a tracker appears under its pseudonym (a keyed hash).

    Example: trackguard devices list --json
    """
    with _runtime() as runtime, runtime.db.session() as session:
        found = tracking_devices.list_devices(session)
        AuditLog(runtime.clock).append(
            session,
            actor=ACTOR,
            role=ROLE,
            purpose="device_operations",
            subject_id=None,
            categories=["user.unique_id.pseudonymous", "user.location.precise"],
            action="devices.list",
        )
    if as_json:
        typer.echo(json.dumps([d.to_json() for d in found], indent=2))
        return
    if not found:
        typer.echo("no devices")
        return
    table = Table("id", "pseudonym", "protocol", "activated", "owner", "last seen")
    for d in found:
        seen = f"{d.last_seen_at:%Y-%m-%d %H:%M:%S} UTC" if d.last_seen_at else "never"
        table.add_row(
            d.id,
            d.pseudonym,
            d.protocol or "-",
            "yes" if d.activated else "no",
            d.owner or "-",
            seen,
        )
    Console(width=200).print(table)


@app.command("rotate-fleet-key")
def rotate_fleet_key() -> None:
    """Start a new fleet key now (the batch writer also does so every day).

    Positions of trackers nobody activated are encrypted under the fleet key;
    destroying an old version later makes exactly the positions under it
    unreadable.

    Example: trackguard devices rotate-fleet-key
    """
    with _runtime() as runtime, runtime.db.session() as session:
        version = runtime.vault.renew_key(session, FLEET_SUBJECT, POSITION_KEY_CLASS)
    typer.echo(f"fleet key is now version {version}")
