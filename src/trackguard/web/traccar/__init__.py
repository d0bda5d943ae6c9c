"""The Traccar-compatible API under `/api`: the subset real clients (pytraccar, Home
Assistant, the Traccar apps) use. Ids are integers (`traccar.ids`), speeds knots,
times ISO 8601 UTC; every read is the caller's own data and is audited."""

from fastapi import APIRouter

from trackguard.web.traccar import reports, resources, session_routes, socket

router = APIRouter()
router.include_router(session_routes.router)
router.include_router(resources.router)
router.include_router(reports.router)
router.include_router(socket.router)

__all__ = ["router"]
