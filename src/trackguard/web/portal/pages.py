"""Rendering a portal page: language, texts, CSRF token, cookie banner, headers.

Every page carries personal data or a form, so none is cached (`no-store`). The
language is `?lang=` when given (then kept in the portal's links), else the
browser's Accept-Language, else Dutch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException

from trackguard.runtime import Runtime
from trackguard.web.auth.principal import Principal, WebAuth, resolve_principal
from trackguard.web.cookies import banner_question, read_choice
from trackguard.web.csrf import FIELD as CSRF_FIELD
from trackguard.web.csrf import attach_cookie, csrf_token
from trackguard.web.deps import CurrentRuntime
from trackguard.web.language import LANGUAGES, Language, negotiate
from trackguard.web.portal import views
from trackguard.web.portal.maps import MapConfig
from trackguard.web.portal.texts import texts
from trackguard.web.templates import render_page

PREFIX = "/portal"
SIGN_IN = f"{PREFIX}/sign-in"
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class Visit:
    """One request's view of the portal: who, in which language, on which runtime."""

    request: Request
    runtime: Runtime
    lang: Language
    explicit_lang: bool

    def url(self, path: str, **params: object) -> str:
        """A portal link that keeps an explicitly chosen language."""
        query = {k: v for k, v in params.items() if v is not None and v != ""}
        if self.explicit_lang:
            query["lang"] = self.lang
        return f"{path}?{urlencode(query)}" if query else path

    @property
    def zone(self) -> tzinfo:
        """The portal's time zone (a setting): what its times and calendar days are in."""
        return self.runtime.settings.portal_timezone

    @property
    def here(self) -> str:
        """This page's path and query (where a form sends the visitor back to)."""
        query = self.request.url.query
        return self.request.url.path + (f"?{query}" if query else "")

    def other_language(self) -> tuple[Language, str]:
        other = next(lang for lang in LANGUAGES if lang != self.lang)
        params = dict(self.request.query_params) | {"lang": other}
        return other, f"{self.request.url.path}?{urlencode(params)}"


def visit(request: Request, runtime: CurrentRuntime) -> Visit:
    asked = request.query_params.get("lang")
    explicit: Language | None = asked if asked in LANGUAGES else None  # type: ignore[assignment]
    lang = negotiate(request.headers.get("accept-language"), explicit)
    return Visit(request, runtime, lang, explicit is not None)


CurrentVisit = Annotated[Visit, Depends(visit)]


def web_auth(request: Request) -> WebAuth:
    """The app's sign-in machinery (throttle, session terms)."""
    auth: WebAuth = request.app.state.auth
    return auth


def signed_in(request: Request, portal: CurrentVisit) -> Principal:
    """The signed-in customer; anyone else is sent to the sign-in page (303)."""
    principal = resolve_principal(request, portal.runtime, web_auth(request))
    if principal is None or principal.kind != "customer":
        target = portal.url(SIGN_IN, next=portal.here)
        raise HTTPException(303, "Sign in first.", headers={"Location": target, **NO_STORE})
    return principal


PortalCustomer = Annotated[Principal, Depends(signed_in)]


def safe_next(target: str | None, default: str = PREFIX) -> str:
    """A local path to return to; anything else (another host, `//x`, `\\x`) gives `default`."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(c in target for c in "\r\n\\"):
        return default
    return target


def see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=NO_STORE)


def cookie_banner(portal: Visit) -> dict[str, str] | None:
    """The banner's content while the visitor has not chosen; None once they have."""
    if read_choice(portal.request) is not None:
        return None
    return {
        "question": banner_question(portal.runtime.policy, portal.lang),
        "next": portal.here,
        "lang": portal.lang,
        "more": portal.url("/cookies"),
    }


def render(
    portal: Visit,
    template: str,
    *,
    status: int = 200,
    maps: bool = False,
    banner: bool = True,
    principal: Principal | None = None,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    request, lang, zone = portal.request, portal.lang, portal.zone
    config = MapConfig.from_settings(portal.runtime.settings)
    other_lang, other_url = portal.other_language()
    page = render_page(
        template,
        lang=lang,
        t=texts(lang),
        title=context.pop("title", texts(lang)["portal"]),
        controller=portal.runtime.policy.controller.name,
        csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(request),
        cookie_banner=cookie_banner(portal) if banner else None,
        signed_in=principal is not None,
        url=portal.url,
        here=portal.here,
        other_lang=other_lang,
        other_lang_url=other_url,
        lang_param=portal.explicit_lang,
        maps=maps,
        map_config=config,
        timezone=str(zone),  # for the map script, which shows live times as the server does
        show_time=lambda moment, seconds=False: views.show_time(
            moment, lang, seconds=seconds, zone=zone
        ),
        show_number=lambda value, places=1: views.show_number(value, places, lang),
        show_place=views.show_place,
        show_duration=lambda span: views.show_duration(span, lang),
        **context,
    )
    all_headers = {
        **NO_STORE,
        "Content-Language": lang,
        "Vary": "Accept-Language, Cookie",
        **(headers or {}),
    }
    if maps:
        all_headers["Content-Security-Policy"] = config.csp()
    response = HTMLResponse(page, status_code=status, headers=all_headers)
    attach_cookie(request, response)
    return response
