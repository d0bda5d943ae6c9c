"""The privacy API under `/api/privacy`: the customer's data summary, consents (and a
consent receipt), rights requests with their verification and exports, complaints, and
locking a compromised account. JSON, authenticated like the rest of `/api` (session
cookie, bearer token or HTTP Basic), errors as problem+json; every read is audited."""

from fastapi import APIRouter

from trackguard.web.privacy_api import account_routes, data_routes, request_routes

router = APIRouter()
for _module in (data_routes, request_routes, account_routes):
    router.include_router(_module.router)

__all__ = ["router"]
