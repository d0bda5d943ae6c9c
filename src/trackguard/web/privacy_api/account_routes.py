"""`/api/privacy/complaints` and `/api/privacy/compromised`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from trackguard.web.auth.accounts import InvalidCredentials, TooManyAttempts
from trackguard.web.auth.principal import WebAuth, client_address, too_many
from trackguard.web.deps import CurrentRuntime
from trackguard.web.privacy_api import schemas
from trackguard.web.privacy_api.common import PREFIX, PRIVATE, Lang, Writer
from trackguard.web.privacy_centre.complaints import file_complaint
from trackguard.web.privacy_centre.compromised import lock_account

router = APIRouter(prefix=PREFIX, tags=["privacy"])
API_CHANNEL = "api"


@router.post("/complaints", status_code=201, response_model=schemas.FiledComplaint)
def complain(
    body: schemas.ComplaintIn, runtime: CurrentRuntime, principal: Writer, lang: Lang
) -> JSONResponse:
    """File a complaint about how we handle your personal data; it is stored encrypted.
    You may also lodge it with the supervisory authority (linked in the answer)."""
    filed = file_complaint(runtime, principal.id, body.text, channel=API_CHANNEL)
    authority = runtime.policy.controller.supervisory_authority
    result = schemas.FiledComplaint(
        id=filed.id,
        filed=filed.filed,
        status=filed.status,
        channel=filed.channel,
        supervisory_authority=schemas.SupervisoryAuthority(
            name=authority.name,
            website=str(authority.website),
            complaint_url=str(authority.complaint_url),
        ),
        authority_text=runtime.policy.complaints.authority.get(lang),
    )
    return JSONResponse(result.model_dump(mode="json"), status_code=201, headers=PRIVATE)


@router.post("/compromised", response_model=schemas.Locked)
def compromised(
    body: schemas.CompromisedIn,
    request: Request,
    runtime: CurrentRuntime,
    principal: Writer,
    lang: Lang,
) -> JSONResponse:
    """Your account is no longer safe: end every session and token, clear the password.
    Confirm with your current password. Afterwards only a new password opens it."""
    auth: WebAuth = request.app.state.auth
    try:
        locked = lock_account(
            runtime, auth, principal.id, password=body.password, address=client_address(request)
        )
    except TooManyAttempts as exc:
        raise too_many(exc) from None
    except InvalidCredentials:
        raise HTTPException(403, "The password is not right; nothing was changed.") from None
    result = schemas.Locked(
        sessions_ended=locked.sessions_ended,
        password_cleared=True,
        text=runtime.policy.rights.compromised_account.get(lang),
    )
    return JSONResponse(result.model_dump(mode="json"), headers=PRIVATE)
