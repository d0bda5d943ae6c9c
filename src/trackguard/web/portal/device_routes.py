"""Devices: the overview, one device's live map, its history by day, its trips, anti-theft."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from trackguard.errors import TrackguardError
from trackguard.privacy.audit import AuditLog
from trackguard.tracking.events import set_armed
from trackguard.web.csrf import CsrfForm
from trackguard.web.portal import views
from trackguard.web.portal.data import reads
from trackguard.web.portal.pages import (
    PREFIX,
    CurrentVisit,
    PortalCustomer,
    render,
    safe_next,
    see_other,
)
from trackguard.web.portal.texts import event_words, text
from trackguard.web.routes import READ

router = APIRouter()
DEVICE = PREFIX + "/devices/{device_id}"
FromDay = Annotated[str | None, Query(alias="from", max_length=10, description="YYYY-MM-DD")]
ToDay = Annotated[str | None, Query(alias="to", max_length=10, description="YYYY-MM-DD")]


@router.api_route(PREFIX, methods=READ, response_class=HTMLResponse)
def overview(portal: CurrentVisit, principal: PortalCustomer) -> HTMLResponse:
    with reads(portal.runtime, principal.id) as read:
        devices = read.devices()
        latest = read.data.latest_positions(devices)
        armed = read.armed()
        read.audit("portal.devices.read")
    rows = [
        {
            "id": d.id,
            "name": d.name,
            "last_seen": d.last_seen,
            "armed": armed.get(d.id, False),
            "position": latest.get(d.id),
        }
        for d in devices
    ]
    return render(portal, "portal/devices.html", principal=principal, devices=rows)


@router.api_route(DEVICE, methods=READ, response_class=HTMLResponse)
def device_page(device_id: str, portal: CurrentVisit, principal: PortalCustomer) -> HTMLResponse:
    with reads(portal.runtime, principal.id) as read:
        device = read.device(device_id)
        position = read.data.latest_positions([device]).get(device.id)
        armed = read.armed().get(device.id, False)
        read.audit("portal.device.read")
    points = views.track(views.fixes_of([position])) if position else []
    return render(
        portal,
        "portal/device.html",
        principal=principal,
        maps=True,
        title=device.name,
        device=device,
        position=position,
        armed=armed,
        points_json=views.map_points(points),
        live_device=device.number,
        event_words_json=json.dumps(event_words(portal.lang), ensure_ascii=False),
    )


@router.api_route(DEVICE + "/history", methods=READ, response_class=HTMLResponse)
def history(
    device_id: str,
    portal: CurrentVisit,
    principal: PortalCustomer,
    day: Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD")] = None,
) -> HTMLResponse:
    today = views.today(portal.runtime.clock(), portal.zone)
    chosen = views.parse_day(day, today)
    error = None
    if chosen is None or chosen > today:
        error, chosen = text("bad_day", portal.lang), today
    start, end = views.day_bounds(chosen, portal.zone)
    with reads(portal.runtime, principal.id) as read:
        device = read.device(device_id)
        positions = read.data.history(device, start, end)
        read.audit("portal.history.read")
    fixes = views.fixes_of(positions)
    points = views.track(fixes)
    return render(
        portal,
        "portal/history.html",
        principal=principal,
        maps=bool(points),
        title=f"{text('history', portal.lang)}: {device.name}",
        device=device,
        day=chosen,
        today=today,
        previous_day=chosen - timedelta(days=1),
        next_day=chosen + timedelta(days=1),
        points=points,
        summary=views.day_summary(fixes, chosen, portal.zone),
        points_json=views.map_points(points),
        live_device=None,
        clock=lambda moment: views.show_clock(moment, portal.zone),
        error=error,
        status=400 if error else 200,
    )


@router.api_route(DEVICE + "/trips", methods=READ, response_class=HTMLResponse)
def trips(
    device_id: str,
    portal: CurrentVisit,
    principal: PortalCustomer,
    first_day: FromDay = None,
    last_day: ToDay = None,
) -> HTMLResponse:
    today = views.today(portal.runtime.clock(), portal.zone)
    first, last, error = day_range(first_day, last_day, today, portal.lang)
    with reads(portal.runtime, principal.id) as read:
        device = read.device(device_id)
        found = []
        if error is None:
            positions = read.data.history(device, *views.range_bounds(first, last, portal.zone))
            found = views.trips_of(views.fixes_of(positions))
            read.audit("portal.trips.read")
    return render(
        portal,
        "portal/trips.html",
        principal=principal,
        status=400 if error else 200,
        title=f"{text('trips', portal.lang)}: {device.name}",
        device=device,
        first=first,
        last=last,
        today=today,
        trips=found,
        error=error,
    )


@router.post(DEVICE + "/antitheft")
def antitheft(
    device_id: str, portal: CurrentVisit, principal: PortalCustomer, form: CsrfForm
) -> Response:
    """Switch anti-theft on (`armed=on`) or off (`armed=off`); audited by `set_armed`."""
    wanted = form.get("armed")
    if wanted not in ("on", "off"):
        raise TrackguardError("'armed' is 'on' or 'off'")
    runtime = portal.runtime
    with runtime.db.session() as session:
        set_armed(
            session,
            device_id,
            wanted == "on",
            customer_id=principal.id,
            actor="customer",
            audit=AuditLog(runtime.clock),
        )
    return see_other(safe_next(form.get("next"), portal.url(f"{PREFIX}/devices/{device_id}")))


def day_range(
    first_day: str | None, last_day: str | None, today: date, lang: str
) -> tuple[date, date, str | None]:
    """The form's days (default: the last week), or that week and why the form's were refused."""
    last = views.parse_day(last_day, today)
    first = views.parse_day(first_day, (last or today) - timedelta(days=6))
    if first is None or last is None or first > last:
        error: str | None = text("bad_range", lang)
    elif (last - first).days + 1 > views.MAX_TRIP_DAYS:
        error = text("range_too_long", lang).format(days=views.MAX_TRIP_DAYS)
    else:
        return first, last, None
    return today - timedelta(days=6), today, error
