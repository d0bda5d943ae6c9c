"""`/api/privacy/requests` and `/api/privacy/exports`: rights requests, their proof of
identity, and the export files they produce. Another customer's request or export is a
404, like one that does not exist."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse, JSONResponse
from starlette.exceptions import HTTPException

from trackguard.mail import MailError
from trackguard.privacy.requests import EventView, RequestView, confirm_token, send_token
from trackguard.runtime import Runtime
from trackguard.web.auth.principal import CurrentCustomer
from trackguard.web.deps import CurrentRuntime
from trackguard.web.privacy_api import schemas
from trackguard.web.privacy_api.common import PREFIX, PRIVATE, Writer
from trackguard.web.privacy_centre.audit import audit_view
from trackguard.web.privacy_centre.exports import (
    MEDIA_TYPE,
    OwnExport,
    export_categories,
    export_file,
    own_exports,
)
from trackguard.web.privacy_centre.rights import (
    REQUEST_CATEGORIES,
    file_request,
    own_request,
    own_requests,
    verify_own,
)

router = APIRouter(prefix=PREFIX, tags=["privacy"])
RequestId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The request's id.")]
ExportId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The export's id.")]
ACTORS = ("subject", "system")
DUPLICATE = "The same request was open already: it is returned, nothing is changed."


def request_json(request: RequestView) -> dict[str, Any]:
    body = request.to_json()
    body.pop("customer_id", None)  # the caller's own id: nothing to tell them
    return schemas.RightsRequest.model_validate(body).model_dump(mode="json")


def event_json(event: EventView) -> dict[str, Any]:
    actor = event.actor if event.actor in ACTORS else "staff"  # staff logins stay internal
    return {**event.to_json(), "actor": actor}


def export_json(export: OwnExport) -> dict[str, Any]:
    return schemas.Export(
        id=export.id,
        request_id=export.request_id,
        file_name=export.file_name,
        size_bytes=export.size_bytes,
        sha256=export.sha256,
        created=export.created,
        href=f"{PREFIX}/exports/{export.id}",
    ).model_dump(mode="json")


def _audit(runtime: Runtime, customer_id: str, action: str) -> None:
    with runtime.db.session() as session:
        audit_view(
            session,
            runtime.clock,
            customer_id=customer_id,
            action=action,
            categories=REQUEST_CATEGORIES,
        )


@router.get("/requests", response_model=list[schemas.RightsRequest])
def requests(runtime: CurrentRuntime, principal: CurrentCustomer) -> JSONResponse:
    """Your rights requests, newest first, with status and due date."""
    found = own_requests(runtime, principal.id)
    if found:
        _audit(runtime, principal.id, "privacy_api.requests.read")
    return JSONResponse([request_json(r) for r in found], headers=PRIVATE)


@router.post(
    "/requests",
    status_code=201,
    response_model=schemas.FiledRequest,
    responses={200: {"model": schemas.FiledRequest, "description": DUPLICATE}},
)
def file(body: schemas.RequestIn, runtime: CurrentRuntime, principal: Writer) -> JSONResponse:
    """File a rights request. It is received; prove it is yours with `verify`."""
    done = file_request(
        runtime,
        principal.id,
        type=body.type,
        ground=body.ground,
        purpose=body.purpose,
        corrections={str(k): v for k, v in body.corrections.items()} if body.corrections else None,
    )
    return JSONResponse(
        {**request_json(done.request), "created": done.created},
        status_code=201 if done.created else 200,
        headers=PRIVATE,
    )


@router.get("/requests/{request_id}", response_model=schemas.RequestHistory)
def request(
    request_id: RequestId, runtime: CurrentRuntime, principal: CurrentCustomer
) -> JSONResponse:
    """One request: its status, due date, extension and reason, history and exports."""
    detail = own_request(runtime, principal.id, request_id)
    _audit(runtime, principal.id, "privacy_api.request.read")
    body = {
        **request_json(detail.request),
        "history": [event_json(e) for e in detail.events],
        "exports": [export_json(e) for e in detail.exports],
    }
    return JSONResponse(body, headers=PRIVATE)


@router.post("/requests/{request_id}/verify", response_model=schemas.Verified)
def verify(
    request_id: RequestId, body: schemas.VerifyIn, runtime: CurrentRuntime, principal: Writer
) -> JSONResponse:
    """Prove the request is yours: by this sign-in, or by a code e-mailed to you."""
    own_request(runtime, principal.id, request_id)  # 404 for anyone else's
    if body.method == "session":
        verified = verify_own(runtime, principal.id, request_id)
        return JSONResponse({"request": request_json(verified)}, headers=PRIVATE)
    if body.token is not None:
        verified = confirm_token(runtime, request_id, body.token)
        return JSONResponse({"request": request_json(verified)}, headers=PRIVATE)
    try:
        sent = send_token(runtime, request_id)
    except MailError:
        raise HTTPException(
            503, "The code could not be e-mailed; try again later, or verify with the session."
        ) from None
    result = {
        "request": request_json(sent.request),
        "token_sent": True,
        "token_expires": sent.expires.isoformat(),
    }
    return JSONResponse(result, headers=PRIVATE)


@router.get("/exports", response_model=list[schemas.Export])
def exports(runtime: CurrentRuntime, principal: CurrentCustomer) -> JSONResponse:
    """Your export files still available, newest first."""
    with runtime.db.session() as session:
        found = own_exports(session, runtime.settings.exports_dir, principal.id)
    return JSONResponse([export_json(e) for e in found], headers=PRIVATE)


@router.get(
    "/exports/{export_id}",
    response_class=FileResponse,
    responses={200: {"content": {MEDIA_TYPE: {}}, "description": "The export ZIP."}},
)
def download(
    export_id: ExportId, runtime: CurrentRuntime, principal: CurrentCustomer
) -> FileResponse:
    """Download one of your exports (a ZIP), streamed."""
    with runtime.db.session() as session:
        found, path = export_file(session, runtime.settings.exports_dir, principal.id, export_id)
        audit_view(
            session,
            runtime.clock,
            customer_id=principal.id,
            action="privacy_api.export.download",
            categories=export_categories(runtime.policy),
        )
    return FileResponse(path, media_type=MEDIA_TYPE, filename=found.file_name, headers=PRIVATE)
