"""`/backoffice/analytics` (HTML, nl/en) and `/backoffice/analytics.json`: the visitor statistics.

Pages of the back office: the same access rule (`Area.ANALYTICS` of the role matrix;
nobody signed in is sent to sign in, a customer finds nothing) and the same frame,
with its navigation, sign-out and language switch. Only aggregates leave here, with
small groups suppressed (`report.suppress`), so a view reveals nothing about a person
and writes no audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException

from trackguard.web.analytics.report import (
    MAX_PERIOD_DAYS,
    MIN_GROUP_VISITORS,
    Breakdown,
    Day,
    Report,
    build_report,
)
from trackguard.web.analytics.sweeper import sweeping
from trackguard.web.analytics.texts import TEXTS, value_label
from trackguard.web.backoffice.access import NO_STORE, PREFIX, CurrentStaff, page
from trackguard.web.backoffice.pages import render_framed
from trackguard.web.backoffice.roles import Area
from trackguard.web.deps import CurrentRuntime
from trackguard.web.portal.pages import CurrentVisit
from trackguard.web.routes import READ
from trackguard.web.security import content_security_policy, inline_style_hashes

DEFAULT_PERIOD_DAYS = 30
DASHBOARD = f"{PREFIX}/analytics"
router = APIRouter(lifespan=sweeping)


@dataclass(frozen=True)
class Choice:
    first: datetime
    last: datetime
    site: str | None


def chosen_period(
    runtime: CurrentRuntime,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
    site: Annotated[str | None, Query(max_length=253)] = None,
) -> Choice:
    """The UTC days asked for; by default the last 30 days up to today."""
    today = runtime.clock().astimezone(UTC).date()
    last = last or today
    first = first or last - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if first > last:
        raise HTTPException(422, "The period ends before it starts.")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise HTTPException(422, f"A period is at most {MAX_PERIOD_DAYS} days.")
    return Choice(_midnight(first), _midnight(last), site or None)


Period = Annotated[Choice, Depends(chosen_period)]


@page(router, DASHBOARD + ".json", Area.ANALYTICS, methods=READ, response_class=JSONResponse)
def analytics_json(runtime: CurrentRuntime, period: Period) -> JSONResponse:
    with runtime.db.session() as session:
        report = build_report(session, first=period.first, last=period.last, site=period.site)
    return JSONResponse(report_json(report), headers=NO_STORE)


@page(router, DASHBOARD, Area.ANALYTICS, methods=READ)
def analytics_page(visit: CurrentVisit, staff: CurrentStaff, period: Period) -> HTMLResponse:
    with visit.runtime.db.session() as session:
        report = build_report(session, first=period.first, last=period.last, site=period.site)
    words = TEXTS[visit.lang]
    response = render_framed(
        visit,
        "analytics/dashboard.html",
        staff=staff,
        title_key="nav_analytics",
        words=words,
        report=report,
        threshold=MIN_GROUP_VISITORS,
        bars=chart_bars(report.days),
        label=lambda dimension, value: value_label(words, dimension, value),
        day=_iso_day,
        query=_query(report),
    )
    # The page's own small <style> block, admitted by its hash: still no inline code.
    page_text = bytes(response.body).decode()
    response.headers["Content-Security-Policy"] = content_security_policy(
        inline_style_hashes(page_text)
    )
    return response


def report_json(report: Report) -> dict[str, Any]:
    return {
        "site": report.site,
        "from": _iso_day(report.first),
        "to": _iso_day(report.last),
        "min_group_visitors": MIN_GROUP_VISITORS,
        "sites": list(report.sites),
        "totals": {"visitors": report.totals.visitors, "pageviews": report.totals.pageviews},
        "days": [
            {"day": _iso_day(d.day), "visitors": d.visitors, "pageviews": d.pageviews}
            for d in report.days
        ],
        "breakdowns": {b.dimension: _breakdown_json(b) for b in report.breakdowns},
    }


def _breakdown_json(breakdown: Breakdown) -> dict[str, Any]:
    other = breakdown.other
    return {
        "shown": [
            {"value": g.value, "visitors": g.visitors, "pageviews": g.pageviews}
            for g in breakdown.shown
        ],
        "other": None
        if other is None
        else {"groups": other.groups, "visitors": other.visitors, "pageviews": other.pageviews},
    }


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    height: int
    day: Day


CHART_HEIGHT = 100
BAR_PITCH = 10


def chart_bars(days: tuple[Day, ...]) -> list[Bar]:
    """One bar per day, its height the day's visitors scaled to the busiest day."""
    peak = max((d.visitors for d in days), default=0) or 1
    bars = []
    for index, d in enumerate(days):
        height = round(d.visitors * CHART_HEIGHT / peak)
        bars.append(Bar(index * BAR_PITCH, CHART_HEIGHT - height, height, d))
    return bars


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _iso_day(moment: datetime) -> str:
    return moment.date().isoformat()


def _query(report: Report) -> dict[str, str]:
    """The JSON link's query: the same period and site (JSON has no language)."""
    query = {"from": _iso_day(report.first), "to": _iso_day(report.last)}
    if report.site:
        query["site"] = report.site
    return query
