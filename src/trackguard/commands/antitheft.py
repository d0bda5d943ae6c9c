"""`trackguard antitheft`: arm and disarm trackers, geofences, and the events they raised.

An operator acts here on behalf of a customer: every change and every read of a
customer's data is written to the audit log with actor "operator". Output names
devices and geofences by id, never by IMEI, e-mail address or coordinates
(except `geofence list`, which shows the areas it was asked for).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.commands.context import load_settings
from trackguard.errors import NotFound
from trackguard.privacy.audit import AuditLog
from trackguard.runtime import Runtime
from trackguard.store.models.accounts import Customer
from trackguard.store.models.antitheft import Event
from trackguard.store.models.tracking import Device
from trackguard.tracking import events as antitheft
from trackguard.tracking.events import Actor
from trackguard.tracking.geofence import (
    Area,
    CircleArea,
    circle_from_text,
    polygon_from_text,
)

app = typer.Typer(
    help="Anti-theft: arm trackers, draw geofences, read events.\n\n"
    "Example: trackguard antitheft arm 359339075123456",
    no_args_is_help=True,
)
geofence_app = typer.Typer(
    help="Geofences customers watch their trackers with.\n\n"
    "Example: trackguard antitheft geofence add --customer jan@example.nl --name Thuis "
    '--circle "52.1551,5.3869,150"',
    no_args_is_help=True,
)
app.add_typer(geofence_app, name="geofence")

ACTOR: Actor = "operator"


@contextmanager
def _runtime() -> Iterator[Runtime]:
    with Runtime.open(load_settings()) as runtime:
        yield runtime


def _device_by_imei(session: Session, runtime: Runtime, imei: str) -> Device:
    index = runtime.vault.blind_index("imei", imei.strip())
    device = session.scalar(select(Device).where(Device.imei_index == index))
    if device is None:
        raise NotFound("no tracker with that IMEI")
    return device


def _customer_by_email(session: Session, runtime: Runtime, email: str) -> Customer:
    index = runtime.vault.blind_index("email", email)
    customer = session.scalar(select(Customer).where(Customer.email_index == index))
    if customer is None:
        raise NotFound("no customer with that e-mail address")
    return customer


def _set_armed(imei: str, armed: bool, as_json: bool) -> None:
    with _runtime() as runtime, runtime.db.session() as session:
        device = _device_by_imei(session, runtime, imei)
        antitheft.set_armed(session, device.id, armed, actor=ACTOR, audit=AuditLog(runtime.clock))
        device_id = device.id
    if as_json:
        typer.echo(json.dumps({"device": device_id, "armed": armed}))
    else:
        typer.echo(f"tracker {device_id} {'armed' if armed else 'disarmed'}")


@app.command("arm")
def arm_command(
    imei: str = typer.Argument(..., help="The tracker's IMEI."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Switch anti-theft on: movement, leaving a geofence and alarms alert the owner.

    Example: trackguard antitheft arm 359339075123456
    """
    _set_armed(imei, True, as_json)


@app.command("disarm")
def disarm_command(
    imei: str = typer.Argument(..., help="The tracker's IMEI."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Switch anti-theft off (SOS, power-cut and low-battery alarms still alert).

    Example: trackguard antitheft disarm 359339075123456
    """
    _set_armed(imei, False, as_json)


@geofence_app.command(
    "add",
    help="Draw a geofence for a customer (a circle or a polygon); prints its id.\n\n"
    "Example: trackguard antitheft geofence add --customer jan@example.nl --name Thuis "
    '--circle "52.1551,5.3869,150"',
)
def geofence_add(
    customer: str = typer.Option(..., "--customer", help="The owner's e-mail address."),
    name: str = typer.Option(..., "--name", help="What the customer calls the place."),
    circle: str | None = typer.Option(
        None, "--circle", help='Centre and radius: "latitude,longitude,metres".'
    ),
    polygon: str | None = typer.Option(
        None, "--polygon", help='Corners: "lat lon, lat lon, lat lon, ...".'
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    if (circle is None) == (polygon is None):
        raise typer.BadParameter("give exactly one of --circle and --polygon")
    area: Area = (
        circle_from_text(circle) if circle is not None else polygon_from_text(polygon or "")
    )
    with _runtime() as runtime, runtime.db.session() as session:
        owner = _customer_by_email(session, runtime, customer)
        fence = antitheft.add_geofence(
            session, runtime.vault, owner.id, name, area, clock=runtime.clock
        )
        AuditLog(runtime.clock).append(
            session,
            actor=ACTOR,
            role=ACTOR,
            purpose=antitheft.PURPOSE,
            subject_id=owner.id,
            categories=["user.location.precise", "user.content.private"],
            action="antitheft.geofence.add",
        )
        fence_id = fence.id
    if as_json:
        typer.echo(json.dumps({"geofence": fence_id, "kind": _kind(area)}))
    else:
        typer.echo(f"geofence {fence_id} added")


@geofence_app.command("link")
def geofence_link(
    imei: str = typer.Argument(..., help="The tracker's IMEI."),
    geofence_id: str = typer.Argument(..., help="The geofence's id (from `geofence add`)."),
) -> None:
    """Let a tracker watch one of its owner's geofences.

    Example: trackguard antitheft geofence link 359339075123456 3f2a9c0e5b7d4a1c8e6f2b9d0a4c7e15
    """
    with _runtime() as runtime, runtime.db.session() as session:
        device = _device_by_imei(session, runtime, imei)
        antitheft.link_geofence(session, device.id, geofence_id, clock=runtime.clock)
        if device.customer_id is not None:
            AuditLog(runtime.clock).append(
                session,
                actor=ACTOR,
                role=ACTOR,
                purpose=antitheft.PURPOSE,
                subject_id=device.customer_id,
                categories=["user.device"],
                action="antitheft.geofence.link",
            )
        device_id = device.id
    typer.echo(f"tracker {device_id} watches geofence {geofence_id}")


@geofence_app.command("list")
def geofence_list(
    customer: str = typer.Option(..., "--customer", help="The owner's e-mail address."),
    as_json: bool = typer.Option(False, "--json", help="Print the geofences as JSON."),
) -> None:
    """Show a customer's geofences, with their areas and the trackers watching them.

    Example: trackguard antitheft geofence list --customer jan@example.nl --json
    """
    with _runtime() as runtime, runtime.db.session() as session:
        owner = _customer_by_email(session, runtime, customer)
        views = antitheft.list_geofences(session, runtime.vault, owner.id)
        AuditLog(runtime.clock).append(
            session,
            actor=ACTOR,
            role=ACTOR,
            purpose="customer_service",
            subject_id=owner.id,
            categories=["user.location.precise", "user.content.private"],
            action="antitheft.geofence.read",
        )
    rows: list[dict[str, Any]] = [
        {"id": v.id, "name": v.name, "area": v.area.to_wkt(), "devices": list(v.device_ids)}
        for v in views
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no geofences")
        return
    table = Table("id", "name", "area", "trackers")
    for row in rows:
        table.add_row(row["id"], row["name"], row["area"], ", ".join(row["devices"]) or "-")
    Console().print(table)


@app.command("events")
def events_command(
    device: str | None = typer.Option(None, "--device", help="Only this tracker (its IMEI)."),
    limit: int = typer.Option(50, "--limit", min=1, help="Show the newest N events."),
    as_json: bool = typer.Option(False, "--json", help="Print the events as JSON."),
) -> None:
    """Show the newest anti-theft events, oldest first, with how they were delivered.

    Example: trackguard antitheft events --device 359339075123456 --json
    """
    with _runtime() as runtime, runtime.db.session() as session:
        device_ids = None
        if device is not None:
            device_ids = [_device_by_imei(session, runtime, device).id]
        found = antitheft.list_events(session, device_ids=device_ids, limit=limit)
        log = AuditLog(runtime.clock)
        for subject in sorted({e.customer_id for e in found}):
            log.append(
                session,
                actor=ACTOR,
                role=ACTOR,
                purpose="customer_service",
                subject_id=subject,
                categories=["user.location.precise"],
                action="antitheft.events.read",
            )
        rows = [_event_row(e) for e in found]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no events")
        return
    table = Table("time (UTC)", "tracker", "type", "detail", "e-mail", "webhook")
    for row in rows:
        detail = row["attributes"].get("alarm") or row["geofenceId"] or ""
        table.add_row(
            row["eventTime"],
            row["deviceId"],
            row["type"],
            str(detail),
            row["email"],
            row["webhook"],
        )
    Console().print(table)


def _event_row(event: Event) -> dict[str, Any]:
    row = antitheft.traccar_event(event)
    row |= {
        "alert": event.alert,
        "email": event.email_status,
        "webhook": event.webhook_status,
        "error": event.delivery_error,
    }
    return row


def _kind(area: Area) -> str:
    return "circle" if isinstance(area, CircleArea) else "polygon"
