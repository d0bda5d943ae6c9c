"""The app factory: `create_app(runtime)` builds the FastAPI app around an opened runtime.

Nothing here runs at import time: the caller (`trackguard serve`, a test) opens
the runtime and owns it, so the app never reads the environment or opens a
database itself, and closing the runtime is the caller's job.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from trackguard import __version__
from trackguard.runtime import Runtime
from trackguard.web.problems import install_problem_handlers
from trackguard.web.routes import health, privacy, site
from trackguard.web.security import SecurityHeaders
from trackguard.web.statements import StatementCache
from trackguard.web.templates import STATIC_DIR


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="trackguard",
        version=__version__,
        # The interactive docs load scripts from a CDN: blocked by our CSP, and a
        # visitor's IP address would go to a third party the policy does not name.
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.statements = StatementCache()
    install_problem_handlers(app)
    # Added last, so outermost: every response gets the headers, problems included.
    app.add_middleware(SecurityHeaders)
    app.include_router(site.router)
    app.include_router(health.router)
    app.include_router(privacy.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
