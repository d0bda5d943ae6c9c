"""Cookieless visitor statistics, as privacy-friendly analytics (Plausible, Fathom) make them.

* `visit`: which requests count, and the little kept of each (pure).
* `agents`: device class and browser family from the user agent; bots (pure).
* `hashing`: the day's visitor hash and the marks stored instead of it (pure).
* `salts`, `counting`: the database side of one page view.
* `middleware`: counts responses after they are sent.
* `report`, `dashboard`: the dashboard, a back-office page (its access rule and frame).
* `sweeper`: destroys expired salts on time.

No cookie, no local storage, no script: the server counts the pages it serves.
"""

from __future__ import annotations

from fastapi import FastAPI

from trackguard.runtime import Runtime
from trackguard.web.analytics.dashboard import router
from trackguard.web.analytics.middleware import VisitorCounter

__all__ = ["VisitorCounter", "install_analytics", "router"]


def install_analytics(app: FastAPI, runtime: Runtime) -> None:
    """The counting middleware (outermost, so it sees final responses) and the dashboard."""
    app.add_middleware(VisitorCounter, runtime=runtime)
    app.include_router(router)
