"""Signing in with e-mail and password to a new cookie session, and ending that session.

One path for the portal's and the back office's HTML forms and Traccar's `POST /api/session`:
the password is checked behind the login throttle (`sign_in_customer` / `sign_in_staff`) and
the cookie session opens in the same transaction. Each caller answers a refusal its own way.
"""

from __future__ import annotations

import math
from typing import Literal

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from trackguard.clock import as_utc
from trackguard.runtime import Runtime
from trackguard.web.auth.accounts import TooManyAttempts, sign_in_customer, sign_in_staff
from trackguard.web.auth.principal import COOKIE_NAME, WebAuth, client_address, staff_terms_from
from trackguard.web.auth.sessions import find_session, open_session, revoke

AccountKind = Literal["customer", "staff"]


async def open_password_session(
    request: Request,
    runtime: Runtime,
    auth: WebAuth,
    email: str,
    password: str,
    *,
    account: AccountKind,
) -> tuple[str, str]:
    """The new cookie session's token and the account's id.

    Raises TooManyAttempts or InvalidCredentials; no session is opened then.
    """
    address = client_address(request)

    def check() -> tuple[str, str]:
        with runtime.db.session() as session:
            now = as_utc(auth.clock())
            if account == "staff":
                staff = sign_in_staff(
                    session, runtime.vault, auth.sign_in, email, password, address=address, now=now
                )
                account_id = staff.id
                terms = staff_terms_from(runtime.settings)
                token, _ = open_session(
                    session, kind="cookie", staff_user_id=account_id, now=now, terms=terms
                )
            else:
                customer = sign_in_customer(
                    session, runtime.vault, auth.sign_in, email, password, address=address, now=now
                )
                account_id = customer.id
                token, _ = open_session(
                    session, kind="cookie", customer_id=account_id, now=now, terms=auth.terms
                )
            return token, account_id

    return await run_in_threadpool(check)


def end_cookie_session(
    request: Request, runtime: Runtime, auth: WebAuth, *, staff_only: bool = False
) -> None:
    """Revoke the caller's cookie session, if any; `staff_only` leaves a customer's alone."""
    cookie = request.cookies.get(COOKIE_NAME)
    if not cookie:
        return
    with runtime.db.session() as session:
        row = find_session(session, cookie, now=auth.clock(), kind="cookie")
        if row is not None and (not staff_only or row.staff_user_id is not None):
            revoke(row, now=auth.clock())


def retry_minutes(exc: TooManyAttempts) -> int:
    """Whole minutes until the throttle lets the account try again (at least one)."""
    return max(1, math.ceil(exc.retry_after / 60))


def retry_after(exc: TooManyAttempts) -> dict[str, str]:
    """The `Retry-After` header of a throttled answer."""
    return {"Retry-After": str(exc.retry_after)}
