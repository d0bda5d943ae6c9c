"""Web sign-in: argon2 passwords, sessions (cookie and bearer), HTTP Basic, login throttling,
and the FastAPI dependencies that say who is calling (`CurrentCustomer`)."""

from trackguard.web.auth.accounts import (
    InvalidCredentials,
    StaffRole,
    TooManyAttempts,
    create_staff_user,
    sign_in_customer,
    sign_in_staff,
)
from trackguard.web.auth.passwords import Passwords
from trackguard.web.auth.principal import (
    COOKIE_NAME,
    CurrentCustomer,
    MaybePrincipal,
    Principal,
    WebAuth,
    resolve_principal,
)
from trackguard.web.auth.sessions import open_session, revoke, revoke_all
from trackguard.web.auth.throttle import LoginThrottle

__all__ = [
    "COOKIE_NAME",
    "CurrentCustomer",
    "InvalidCredentials",
    "LoginThrottle",
    "MaybePrincipal",
    "Passwords",
    "Principal",
    "StaffRole",
    "TooManyAttempts",
    "WebAuth",
    "create_staff_user",
    "open_session",
    "resolve_principal",
    "revoke",
    "revoke_all",
    "sign_in_customer",
    "sign_in_staff",
]
