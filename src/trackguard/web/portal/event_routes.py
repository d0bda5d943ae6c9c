"""Alerts and alarms: the events of the customer's trackers over a chosen period."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from trackguard.clock import as_utc
from trackguard.tracking.events import list_events
from trackguard.web.portal import views
from trackguard.web.portal.data import reads
from trackguard.web.portal.device_routes import FromDay, ToDay, day_range
from trackguard.web.portal.pages import PREFIX, CurrentVisit, PortalCustomer, render
from trackguard.web.portal.texts import event_words, text
from trackguard.web.routes import READ

router = APIRouter()
MAX_EVENTS = 1_000  # newest first cut: a page, not an export


@router.api_route(PREFIX + "/events", methods=READ, response_class=HTMLResponse)
def events(
    portal: CurrentVisit,
    principal: PortalCustomer,
    first_day: FromDay = None,
    last_day: ToDay = None,
) -> HTMLResponse:
    today = views.today(portal.runtime.clock(), portal.zone)
    first, last, error = day_range(first_day, last_day, today, portal.lang)
    since, until = views.range_bounds(first, last, portal.zone)
    with reads(portal.runtime, principal.id) as read:
        devices = {d.id: d.name for d in read.devices()}
        fences = {f.id: f.name for f in read.geofences()}
        found = list_events(
            read.session,
            customer_id=principal.id,
            device_ids=list(devices),
            since=since,
            until=until,
            limit=MAX_EVENTS,
        )
        read.data.read.add("user.location.precise")  # an event says where a tracker was
        read.audit("portal.events.read")
    rows = [
        {
            "time": as_utc(e.time),
            "type": e.type,
            "device_id": e.device_id,
            "device_name": devices.get(e.device_id, ""),
            "geofence_name": fences.get(e.geofence_id) if e.geofence_id else None,
            "details": ", ".join(f"{k}: {v}" for k, v in sorted((e.attributes or {}).items())),
        }
        for e in reversed(found)  # newest first
    ]
    return render(
        portal,
        "portal/events.html",
        principal=principal,
        status=400 if error else 200,
        title=text("events", portal.lang),
        first=first,
        last=last,
        today=today,
        events=rows,
        event_words=event_words(portal.lang),
        error=error,
    )
