"""The customer's privacy centre: server-rendered pages (Dutch and English) under
`/portal/privacy` to see their data, download their export, switch consents, file and
follow rights requests, file a complaint and lock a compromised account.

Every page shows only the signed-in customer's own data and audits the view with its
purpose; every form carries a CSRF token. `router` holds the pages.
"""

from fastapi import APIRouter

from trackguard.web.privacy_centre import account_routes, choice_routes, data_routes

router = APIRouter(tags=["privacy centre"], include_in_schema=False)
for _module in (data_routes, choice_routes, account_routes):
    router.include_router(_module.router)

__all__ = ["router"]
