"""Geofences: the customer's list, adding a circle by centre and radius, (un)linking devices."""

from __future__ import annotations

import math

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from trackguard.errors import Forbidden, NotFound, TrackguardError
from trackguard.store.models.antitheft import Geofence
from trackguard.tracking.events import add_geofence, link_geofence, unlink_geofence
from trackguard.tracking.geofence import CircleArea
from trackguard.web.auth.principal import Principal
from trackguard.web.csrf import CsrfForm
from trackguard.web.portal import views
from trackguard.web.portal.data import reads
from trackguard.web.portal.pages import (
    PREFIX,
    CurrentVisit,
    PortalCustomer,
    Visit,
    render,
    see_other,
)
from trackguard.web.portal.texts import text
from trackguard.web.routes import READ

router = APIRouter()
GEOFENCES = PREFIX + "/geofences"


def _page(
    portal: Visit,
    principal: Principal,
    *,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    with reads(portal.runtime, principal.id) as read:
        devices = read.devices()
        fences = read.geofences()
        read.audit("portal.geofences.read")
    names = {d.id: d.name for d in devices}
    rows = [
        {
            "id": fence.id,
            "name": fence.name,
            "area": views.describe_area(fence.area),
            "devices": [{"id": i, "name": names[i]} for i in fence.device_ids if i in names],
            "unlinked": [d for d in devices if d.id not in fence.device_ids],
        }
        for fence in fences
    ]
    return render(
        portal,
        "portal/geofences.html",
        status=status,
        principal=principal,
        title=text("geofences", portal.lang),
        fences=rows,
        devices=devices,
        error=error,
        form=form or {},
    )


@router.api_route(GEOFENCES, methods=READ, response_class=HTMLResponse)
def geofences(portal: CurrentVisit, principal: PortalCustomer) -> HTMLResponse:
    return _page(portal, principal)


def _circle(form: dict[str, str]) -> CircleArea | None:
    """The circle the form describes; None when a field is not a number."""
    try:
        lat, lon, radius = (
            float(form.get(k, "").replace(",", ".")) for k in ("lat", "lon", "radius")
        )
    except ValueError:
        return None
    if not all(math.isfinite(v) for v in (lat, lon, radius)):
        return None
    return CircleArea(lat, lon, radius)


@router.post(GEOFENCES, response_class=HTMLResponse)
def add_circle(portal: CurrentVisit, principal: PortalCustomer, form: CsrfForm) -> Response:
    runtime = portal.runtime
    kept = {k: form.get(k, "")[:200] for k in ("name", "lat", "lon", "radius")}
    try:
        area = _circle(form)
        if area is None:
            error = text("not_a_number", portal.lang)
            return _page(portal, principal, status=400, error=error, form=kept)
        with runtime.db.session() as session:
            fence = add_geofence(
                session,
                runtime.vault,
                principal.id,
                form.get("name", ""),
                area,
                clock=runtime.clock,
            )
            if form.get("device"):
                link_geofence(
                    session, form["device"], fence.id, customer_id=principal.id, clock=runtime.clock
                )
    except (NotFound, Forbidden):
        raise  # someone else's device: a 404 like any unknown one
    except TrackguardError as exc:
        # Area and name errors say what is wrong without repeating the input.
        return _page(portal, principal, status=400, error=str(exc), form=kept)
    return see_other(portal.url(GEOFENCES))


@router.post(GEOFENCES + "/{geofence_id}/link")
def link(
    geofence_id: str, portal: CurrentVisit, principal: PortalCustomer, form: CsrfForm
) -> Response:
    runtime = portal.runtime
    with runtime.db.session() as session:
        link_geofence(
            session,
            form.get("device", ""),
            geofence_id,
            customer_id=principal.id,
            clock=runtime.clock,
        )
    return see_other(portal.url(GEOFENCES))


@router.post(GEOFENCES + "/{geofence_id}/unlink")
def unlink(
    geofence_id: str, portal: CurrentVisit, principal: PortalCustomer, form: CsrfForm
) -> Response:
    runtime = portal.runtime
    with runtime.db.session() as session:
        fence = session.get(Geofence, geofence_id)
        # `unlink_geofence` checks the device; the geofence must be the customer's too.
        if fence is None or fence.customer_id != principal.id:
            raise NotFound("no such geofence")
        unlink_geofence(
            session,
            form.get("device", ""),
            geofence_id,
            customer_id=principal.id,
            clock=runtime.clock,
        )
    return see_other(portal.url(GEOFENCES))
