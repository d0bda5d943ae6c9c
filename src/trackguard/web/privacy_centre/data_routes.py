"""My data, and my export: the overview page, making an export, downloading it."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from trackguard.errors import NotFound
from trackguard.privacy.consent import live_customer
from trackguard.web.csrf import CsrfForm
from trackguard.web.portal.pages import NO_STORE, CurrentVisit, PortalCustomer, see_other
from trackguard.web.privacy_centre.audit import audit_view
from trackguard.web.privacy_centre.exports import (
    MEDIA_TYPE,
    export_categories,
    export_file,
    export_now,
    own_exports,
)
from trackguard.web.privacy_centre.pages import CENTRE, centre_page
from trackguard.web.privacy_centre.summary import (
    category_summaries,
    profile_values,
    record_counts,
)
from trackguard.web.privacy_centre.texts import text
from trackguard.web.routes import READ

router = APIRouter()
EXPORT = CENTRE + "/export"
EXPORT_KINDS = ("access", "portability")


@router.api_route(CENTRE, methods=READ, response_class=HTMLResponse)
def my_data(portal: CurrentVisit, principal: PortalCustomer) -> HTMLResponse:
    runtime = portal.runtime
    with runtime.db.session() as session:
        customer = live_customer(session, principal.id)
        profile = profile_values(session, runtime.vault, customer)
        counts = record_counts(session, runtime.policy, principal.id)
        categories = category_summaries(runtime.policy, counts, portal.lang)
        audit_view(
            session,
            runtime.clock,
            customer_id=principal.id,
            action="privacy_centre.data.read",
            categories=[p.category for p in profile] + [c.key for c in categories],
        )
    return centre_page(
        portal,
        "overview.html",
        principal,
        title_key="my_data",
        profile=profile,
        categories=categories,
    )


@router.api_route(EXPORT, methods=READ, response_class=HTMLResponse)
def export_page(portal: CurrentVisit, principal: PortalCustomer) -> HTMLResponse:
    runtime, lang = portal.runtime, portal.lang
    with runtime.db.session() as session:
        exports = own_exports(session, runtime.settings.exports_dir, principal.id)
    kinds = [
        {
            "key": key,
            "label": text(f"export_{key}", lang),
            "description": runtime.policy.right(key).description.get(lang),
        }
        for key in EXPORT_KINDS
        if any(right.key == key for right in runtime.policy.rights.items)
    ]
    return centre_page(
        portal, "export.html", principal, title_key="export", kinds=kinds, exports=exports
    )


@router.post(EXPORT)
def make_export(portal: CurrentVisit, principal: PortalCustomer, form: CsrfForm) -> Response:
    kind = form.get("kind", "")
    if kind not in EXPORT_KINDS:
        raise NotFound("no such export kind")
    export_now(portal.runtime, principal.id, "portability" if kind == "portability" else "access")
    return see_other(portal.url(EXPORT, done="export_ready"))


@router.get(CENTRE + "/exports/{export_id}")
def download_export(export_id: str, portal: CurrentVisit, principal: PortalCustomer) -> Response:
    runtime = portal.runtime
    with runtime.db.session() as session:
        found, path = export_file(session, runtime.settings.exports_dir, principal.id, export_id)
        audit_view(
            session,
            runtime.clock,
            customer_id=principal.id,
            action="privacy_centre.export.download",
            categories=export_categories(runtime.policy),
        )
    # Streamed from disk in chunks: a large export never sits in memory.
    return FileResponse(path, media_type=MEDIA_TYPE, filename=found.file_name, headers=NO_STORE)
