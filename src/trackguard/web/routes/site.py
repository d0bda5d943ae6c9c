"""`GET /`: a small landing page linking the statement in both languages; and `/favicon.ico`,
where browsers look for an icon on pages that name none (the JSON API, the statement)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from trackguard import __version__
from trackguard.web.deps import CurrentRuntime
from trackguard.web.language import DEFAULT_LANGUAGE
from trackguard.web.routes import READ
from trackguard.web.templates import render_page

router = APIRouter()
FAVICON = "/static/favicon.svg"  # our pages link it from base.html


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


@router.api_route("/favicon.ico", methods=READ, include_in_schema=False)
def favicon() -> RedirectResponse:
    return RedirectResponse(FAVICON, status_code=301)
