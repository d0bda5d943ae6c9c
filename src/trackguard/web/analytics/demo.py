"""Demo visitor statistics, made by counting generated page views with the real counting code.

Two weeks of ordinary traffic up to today, a few days from just over the
policy's statistics period ago, and one daily salt that outlived its period (as
after a stopped server), so that every analytics retention rule has rows due and
rows not yet due. Runs in the caller's transaction (the demo seed's).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from random import Random

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trackguard.clock import as_utc
from trackguard.policy import Policy
from trackguard.policy.period import Period
from trackguard.store.models.analytics import (
    AnalyticsDailyCount,
    AnalyticsSalt,
    AnalyticsVisitorMark,
)
from trackguard.web.analytics.counting import count_in_session
from trackguard.web.analytics.salts import salt_lifetime
from trackguard.web.analytics.visit import page_view

DEMO_SITE = "localhost"  # what a browser on the demo server (`serve --demo`) sends
RECENT_DAYS = 10
_DEVICE = "5f2b9c1e8d7a4b3c9e0f1a2b3c4d5e6f"
VISITORS_PER_DAY = (8, 24)
_PAGES: tuple[tuple[str, dict[str, str]], ...] = (
    ("/", {}),
    ("/privacy", {}),
    ("/portal/sign-in", {}),
    ("/portal/devices", {}),
    (f"/portal/devices/{_DEVICE}", {"device_id": _DEVICE}),
)
_REFERERS = (
    "",
    "",
    "",
    "https://duckduckgo.com/",
    "https://www.google.com/",
    "https://www.conneqtech.com/",
)
_LANGUAGES = ("nl-NL,nl;q=0.9", "nl-NL", "nl-BE,nl;q=0.9", "de-DE,de;q=0.8", "en-GB", "en")
_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1",
)


def add_visitor_statistics(
    session: Session, policy: Policy, now: datetime, rng: Random
) -> Counter[str]:
    """Count demo page views as of `now`; rows written per table."""
    now = as_utc(now)
    lifetime = salt_lifetime(policy)
    kept_for = _statistics_period_days(policy)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    recent = [today - timedelta(days=n) for n in range(RECENT_DAYS - 1, -1, -1)]
    expired_salt_day = today - timedelta(days=3)
    old = [today - timedelta(days=kept_for + n) for n in (12, 11, 10)]
    # The day whose salt outlives its period comes last, so no later day's salt removes it.
    days = old + [d for d in recent if d != expired_salt_day] + [expired_salt_day]
    for day in days:
        latest = now if day == today else day + timedelta(hours=23)
        for visitor in range(rng.randint(*VISITORS_PER_DAY)):
            _visit(session, rng, day, latest, visitor, lifetime)
    return Counter(
        {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (AnalyticsSalt, AnalyticsVisitorMark, AnalyticsDailyCount)
        }
    )


def _visit(
    session: Session, rng: Random, day: datetime, latest: datetime, visitor: int, lifetime: Period
) -> None:
    address = f"192.0.2.{visitor % 250 + 1}" if visitor < 250 else f"198.51.100.{visitor % 250}"
    agent = rng.choice(_AGENTS)
    headers = {
        "host": DEMO_SITE,
        "user-agent": agent,
        "accept-language": rng.choice(_LANGUAGES),
        "referer": rng.choice(_REFERERS),
    }
    span = max(int((latest - day).total_seconds()), 1)
    for _ in range(rng.randint(1, 3)):
        moment = day + timedelta(seconds=rng.randrange(span))
        path, params = rng.choice(_PAGES)
        view = page_view(path=path, path_params=params, headers=headers, now=moment)
        if view is not None:
            count_in_session(
                session, view, address=address, user_agent=agent, now=moment, lifetime=lifetime
            )
        headers["referer"] = ""  # later pages of the visit come from within the site


def _statistics_period_days(policy: Policy) -> int:
    rules = policy.rules_for(AnalyticsDailyCount.__tablename__)
    return max(round(rule.period.approx_days()) for rule in rules) if rules else 0
