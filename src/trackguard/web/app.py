"""The app factory: `create_app(runtime)` builds the FastAPI app around an opened runtime.

Nothing here runs at import time: the caller (`trackguard serve`, a test) opens
the runtime and owns it, so the app never reads the environment or opens a
database itself, and closing the runtime is the caller's job.
"""

from __future__ import annotations

from anyio import CapacityLimiter
from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from trackguard import __version__
from trackguard.runtime import Runtime
from trackguard.tracking.live import LiveHub
from trackguard.web import traccar
from trackguard.web.analytics import install_analytics
from trackguard.web.auth import WebAuth
from trackguard.web.backoffice import router as backoffice_router
from trackguard.web.password_reset import router as password_reset_router
from trackguard.web.portal import router as portal_router
from trackguard.web.privacy_api import router as privacy_api_router
from trackguard.web.privacy_centre import router as privacy_centre_router
from trackguard.web.problems import install_problem_handlers
from trackguard.web.routes import health, privacy, site
from trackguard.web.security import SecurityHeaders
from trackguard.web.statements import StatementCache
from trackguard.web.templates import STATIC_DIR
from trackguard.web.viewing import NoteRequestMethod


def create_app(runtime: Runtime, *, live: LiveHub | None = None) -> FastAPI:
    app = FastAPI(
        title="trackguard",
        version=__version__,
        # The interactive docs load scripts from a CDN: blocked by our CSP, and a
        # visitor's IP address would go to a third party the policy does not name.
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.api_reads = CapacityLimiter(runtime.settings.api_read_threads)
    app.state.statements = StatementCache()
    # Sign-in state (throttle, Basic cache) and the live hub the /api/socket relays.
    app.state.auth = WebAuth(clock=runtime.clock)
    app.state.live = live if live is not None else LiveHub()
    install_problem_handlers(app)
    # HEAD runs pages without showing them: the audit helpers must know (`viewing`).
    app.add_middleware(NoteRequestMethod)
    # Added last, so outermost: every response gets the headers, problems included.
    app.add_middleware(SecurityHeaders)
    app.include_router(site.router)
    app.include_router(health.router)
    app.include_router(privacy.router)
    app.include_router(traccar.router)
    app.include_router(portal_router)
    app.include_router(privacy_api_router)
    app.include_router(privacy_centre_router)
    app.include_router(backoffice_router)
    app.include_router(password_reset_router)
    # Cookieless visitor statistics: counts served pages; dashboard under /backoffice.
    install_analytics(app, runtime)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
