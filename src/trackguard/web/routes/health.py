"""`GET /health`: is the server up, can it reach its database, which policy does it enforce."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from trackguard import __version__
from trackguard.store.engine import Database
from trackguard.web.deps import CurrentRuntime
from trackguard.web.routes import READ

router = APIRouter()
log = logging.getLogger(__name__)


class HealthReport(BaseModel):
    """For the OpenAPI document: what `/health` answers, with 200 and with 503."""

    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]
    version: str
    policy_version: str


def database_reachable(db: Database) -> bool:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        # The class only: driver messages can carry the URL, host and user name.
        log.warning("health check: database unreachable (%s)", type(exc).__name__)
        return False
    return True


@router.api_route(
    "/health",
    methods=READ,
    response_model=HealthReport,
    responses={503: {"model": HealthReport, "description": "The database is unreachable."}},
)
def health(runtime: CurrentRuntime) -> JSONResponse:
    """Always answers; 503 when the database is unreachable, so monitors can tell."""
    database_ok = database_reachable(runtime.db)
    body = {
        "status": "ok" if database_ok else "degraded",
        "database": "ok" if database_ok else "unreachable",
        "version": __version__,
        # Version plus content digest: exactly which policy this server enforces.
        "policy_version": runtime.policy.version_id,
    }
    return JSONResponse(
        body, status_code=200 if database_ok else 503, headers={"Cache-Control": "no-store"}
    )
