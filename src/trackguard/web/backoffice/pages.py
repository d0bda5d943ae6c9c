"""Rendering a back-office page: language, texts, CSRF token, navigation for the role, and
the names of stored keys (`labels`).

Language handling and links are the portal's (`Visit`): `?lang=` when given, else the
browser's Accept-Language, else Dutch. Every page may carry personal data: no-store.
No cookie banner: staff pages set only the strictly necessary session cookie.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from fastapi.responses import HTMLResponse

from trackguard.web.backoffice.access import NO_STORE, PREFIX, StaffMember
from trackguard.web.backoffice.customer_view import Money
from trackguard.web.backoffice.labels import Labels
from trackguard.web.backoffice.roles import Area, may_enter
from trackguard.web.backoffice.texts import texts
from trackguard.web.csrf import FIELD as CSRF_FIELD
from trackguard.web.csrf import attach_cookie, csrf_token
from trackguard.web.portal import views
from trackguard.web.portal.pages import Visit
from trackguard.web.templates import render_page

# (area, path, text key) of the navigation, in order; each shown to roles that may enter.
NAVIGATION: tuple[tuple[Area, str, str], ...] = (
    (Area.REQUESTS, f"{PREFIX}/requests", "nav_requests"),
    (Area.COMPLAINTS, f"{PREFIX}/complaints", "nav_complaints"),
    (Area.CUSTOMERS, f"{PREFIX}/customers", "nav_customers"),
    (Area.RETENTION, f"{PREFIX}/retention", "nav_retention"),
    (Area.AUDIT, f"{PREFIX}/audit", "nav_audit"),
    (Area.STAFF, f"{PREFIX}/staff", "nav_staff"),
    (Area.ANALYTICS, f"{PREFIX}/analytics", "nav_analytics"),
    (Area.HOME, f"{PREFIX}/roles", "nav_roles"),
)


def navigation(visit: Visit, staff: StaffMember | None) -> list[tuple[str, str]]:
    if staff is None:
        return []
    t = texts(visit.lang)
    return [
        (visit.url(path), t[key]) for area, path, key in NAVIGATION if may_enter(staff.role, area)
    ]


def render(
    visit: Visit, template: str, *, staff: StaffMember | None, title_key: str, **context: Any
) -> HTMLResponse:
    """A page of `templates/backoffice/`."""
    return render_framed(
        visit, f"backoffice/{template}", staff=staff, title_key=title_key, **context
    )


def render_framed(
    visit: Visit,
    name: str,
    *,
    staff: StaffMember | None,
    title_key: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """The template `name` (extending `backoffice/layout.html`) in the back office's frame:
    its navigation, sign-out and language switch; also for pages of other packages."""
    lang = visit.lang
    t = texts(lang)
    other_lang, other_url = visit.other_language()
    page = render_page(
        name,
        lang=lang,
        t=t,
        title=t[title_key],
        controller=visit.runtime.policy.controller.name,
        csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(visit.request),
        staff=staff,
        nav=navigation(visit, staff),
        url=visit.url,
        here=visit.here,
        other_lang=other_lang,
        other_lang_url=other_url,
        lang_param=visit.explicit_lang,
        show_time=lambda moment: show_time(moment, lang, visit.zone),
        show_value=lambda value: show_value(value, lang, visit.zone),
        **Labels(visit.runtime.policy, lang).helpers(),
        **context,
    )
    all_headers = {
        **NO_STORE,
        "Content-Language": lang,
        "Vary": "Accept-Language, Cookie",
        **(headers or {}),
    }
    response = HTMLResponse(page, status_code=status, headers=all_headers)
    attach_cookie(visit.request, response)
    return response


def show_time(moment: datetime | None, lang: str, zone: tzinfo) -> str:
    """A time in the portal's zone (`Settings.portal_timezone`), as the portal shows it."""
    return views.show_time(moment, lang, zone=zone) if moment is not None else "–"


def show_value(value: object, lang: str, zone: tzinfo) -> str:
    """One value of a listed item: times and amounts in the visitor's format, a flag by its
    name."""
    if isinstance(value, datetime):
        return show_time(value, lang, zone)
    if isinstance(value, Money):
        return f"{value.currency} {views.show_number(value.cents / 100, 2, lang)}"
    if isinstance(value, bool):
        return texts(lang)["armed"] if value else ""
    return "" if value is None else str(value)
