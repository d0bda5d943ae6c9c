"""The customer portal: server-rendered pages in Dutch and English, the map as an extra.

`router` holds every portal page and `/cookies`; `trackguard.web.app` mounts it.
"""

from fastapi import APIRouter

from trackguard.web.portal import (
    account_routes,
    cookie_routes,
    device_routes,
    event_routes,
    geofence_routes,
)

router = APIRouter(tags=["portal"], include_in_schema=False)
for _module in (account_routes, device_routes, geofence_routes, event_routes, cookie_routes):
    router.include_router(_module.router)

__all__ = ["router"]
