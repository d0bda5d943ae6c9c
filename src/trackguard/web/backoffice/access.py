"""Who is in the back office, and whether their role may enter the area a route serves.

* nobody signed in (or a disabled account): 303 to the staff sign-in page;
* a signed-in customer: 404, for them the back office does not exist;
* a member of staff whose role does not include the area: 403.

Each back-office route (the visitor statistics' too) is declared with
`page(router, path, area)`: that puts the check before anything else the route depends
on (its CSRF form included) and records the area on the route, where the authorisation
test reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from trackguard.privacy.requests.records import Actor
from trackguard.store.models.web import StaffUser
from trackguard.web.auth.principal import WebAuth, resolve_principal
from trackguard.web.backoffice.roles import Area, may_enter
from trackguard.web.deps import CurrentRuntime

PREFIX = "/backoffice"
SIGN_IN = f"{PREFIX}/sign-in"
AREA_KEY = "x-backoffice-area"
NO_STORE = {"Cache-Control": "no-store"}
STAFF_ACTOR_PREFIX = "staff:"  # how steps and audit entries name a staff account


@dataclass(frozen=True)
class StaffMember:
    id: str
    role: str

    @property
    def actor(self) -> Actor:
        """How a step or audit entry names them: the account id, never an address."""
        return Actor(f"{STAFF_ACTOR_PREFIX}{self.id}", self.role)


def _sign_in_first(request: Request) -> HTTPException:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = f"{SIGN_IN}?{urlencode({'next': here})}"
    return HTTPException(303, "Sign in first.", headers={"Location": target, **NO_STORE})


def current_staff(request: Request, runtime: CurrentRuntime) -> StaffMember:
    auth: WebAuth = request.app.state.auth
    principal = resolve_principal(request, runtime, auth)
    if principal is None:
        raise _sign_in_first(request)
    if principal.kind != "staff":
        raise HTTPException(404)
    with runtime.db.session() as session:
        staff = session.get(StaffUser, principal.id)
        if staff is None or staff.disabled_at is not None:
            raise _sign_in_first(request)
        return StaffMember(staff.id, staff.role)


CurrentStaff = Annotated[StaffMember, Depends(current_staff)]


def require(area: Area) -> Callable[[StaffMember], StaffMember]:
    def check(staff: CurrentStaff) -> StaffMember:
        if not may_enter(staff.role, area):
            raise HTTPException(403, "Your role does not include this part of the back office.")
        return staff

    return check


def page(
    router: APIRouter,
    path: str,
    area: Area,
    *,
    methods: Sequence[str],
    response_class: type[Response] = HTMLResponse,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a back-office route of `area` (HTML unless told, access checked first)."""
    dependencies = [] if area is Area.PUBLIC else [Depends(require(area))]
    return router.api_route(
        path,
        methods=list(methods),
        response_class=response_class,
        dependencies=dependencies,
        openapi_extra={AREA_KEY: area.value},
    )


def area_of(route: APIRoute) -> Area | None:
    """The area a back-office route was declared with (None: not declared by `page`)."""
    value = (route.openapi_extra or {}).get(AREA_KEY)
    return Area(value) if value is not None else None
