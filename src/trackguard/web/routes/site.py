"""`GET /`: a small landing page linking the statement in both languages."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from trackguard import __version__
from trackguard.web.deps import CurrentRuntime
from trackguard.web.language import DEFAULT_LANGUAGE
from trackguard.web.routes import READ
from trackguard.web.templates import render_page

router = APIRouter()


@router.api_route("/", methods=READ, response_class=HTMLResponse)
def landing(runtime: CurrentRuntime) -> HTMLResponse:
    policy = runtime.policy
    page = render_page(
        "index.html",
        lang=DEFAULT_LANGUAGE,
        title=policy.controller.name,
        controller=policy.controller.name,
        titles=policy.policy.title,
        version=__version__,
        policy_version=policy.version,
    )
    return HTMLResponse(page)
