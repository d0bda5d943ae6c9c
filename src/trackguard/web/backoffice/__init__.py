"""The back office for staff: server-rendered (nl/en), roles on a need-to-know basis.

| module | job |
|---|---|
| `roles` | the role matrix as data: areas, customer fields, purposes (pure) |
| `masking` | masked forms of personal values (pure) |
| `access` | who is calling, and whether their role may enter a route's area |
| `pages`, `texts`, `labels` | rendering, the back office's own words, stored keys in words |
| `audit` | one audit entry per page that shows personal data |
| `customer_view` | a customer as one role may see them (matrix + purpose gate) |
| `staff_accounts` | add, list, disable staff accounts (also `trackguard staff`) |
| `*_routes` | the pages: sign-in, requests, ID copies, complaints, retention, audit, ... |

`router` holds every back-office page but the visitor statistics under
`/backoffice/analytics`: `web.analytics` declares those with the same `page` (access
rule) and renders them in the same frame (`pages.render_framed`).
"""

from fastapi import APIRouter

from trackguard.web.backoffice import (
    audit_routes,
    auth_routes,
    complaint_routes,
    customer_routes,
    id_copy_routes,
    request_routes,
    retention_routes,
    staff_routes,
)

router = APIRouter(tags=["backoffice"], include_in_schema=False)
for _module in (
    auth_routes,
    request_routes,
    id_copy_routes,
    complaint_routes,
    retention_routes,
    audit_routes,
    customer_routes,
    staff_routes,
):
    router.include_router(_module.router)

__all__ = ["router"]
