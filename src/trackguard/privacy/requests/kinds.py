"""What a rights request is: its types, statuses, and the steps between them. Pure.

A request type names one right of the policy (`rights.items`): the command line
says `withdrawal` where the policy says `withdraw_consent`. A type the policy does
not declare is refused, so a policy without, say, portability has no such requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from trackguard.errors import TrackguardError
from trackguard.policy import Policy


class RequestError(TrackguardError):
    """A request, or a step of one, that cannot be accepted; nothing was changed."""


class Status(StrEnum):
    RECEIVED = "received"
    VERIFIED = "verified"  # the subject's identity is proven
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    REFUSED = "refused"


OPEN = frozenset({Status.RECEIVED, Status.VERIFIED, Status.IN_PROGRESS})
CLOSED = frozenset({Status.COMPLETED, Status.REFUSED})

# The workflow: each status and the statuses it may move to.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.VERIFIED, Status.REFUSED}),
    Status.VERIFIED: frozenset({Status.IN_PROGRESS, Status.REFUSED}),
    Status.IN_PROGRESS: frozenset({Status.COMPLETED, Status.REFUSED}),
    Status.COMPLETED: frozenset(),
    Status.REFUSED: frozenset(),
}


class Step(StrEnum):
    """Request events that are not status changes (`request_events.status`)."""

    EXTENDED = "extended"
    TOKEN_SENT = "token_sent"
    ID_COPY_RECEIVED = "id_copy_received"
    ID_COPY_REJECTED = "id_copy_rejected"


@dataclass(frozen=True)
class RequestType:
    key: str  # as stored in rights_requests.type and typed on the command line
    right: str  # the policy's right key
    needs_ground: bool = False
    needs_purpose: bool = False
    allows_purpose: bool = False
    needs_corrections: bool = False


REQUEST_TYPES: dict[str, RequestType] = {
    t.key: t
    for t in (
        RequestType("access", "access"),
        RequestType("portability", "portability"),
        RequestType("rectification", "rectification", needs_corrections=True),
        RequestType("restriction", "restriction", needs_ground=True, allows_purpose=True),
        RequestType("erasure", "erasure"),
        RequestType("objection", "objection", needs_purpose=True, allows_purpose=True),
        RequestType("withdrawal", "withdraw_consent", needs_purpose=True, allows_purpose=True),
    )
}


def request_type(policy: Policy, key: str) -> RequestType:
    """The request type `key`, if the policy grants its right; else RequestError."""
    found = REQUEST_TYPES.get(key)
    granted = {r.key for r in policy.rights.items}
    if found is None or found.right not in granted:
        known = ", ".join(k for k, t in REQUEST_TYPES.items() if t.right in granted)
        raise RequestError(f"unknown request type '{key}': use one of {known}")
    return found


def check_transition(current: str, wanted: Status) -> None:
    """RequestError unless the workflow allows moving from `current` to `wanted`."""
    try:
        status = Status(current)
    except ValueError:
        raise RequestError(f"the request has an unknown status '{current}'") from None
    if wanted not in TRANSITIONS[status]:
        if status in CLOSED:
            raise RequestError(f"the request is already {status}: nothing more can happen to it")
        raise RequestError(f"a request that is {status} cannot become {wanted}")


def is_open(status: str) -> bool:
    return status in OPEN


def checked_choice(
    policy: Policy, kind: RequestType, *, ground: str | None, purpose: str | None
) -> dict[str, str]:
    """The `ground` / `purpose` details of a request of `kind`, checked against the policy.

    Restriction names one of the policy's grounds (and optionally one purpose; none
    restricts every purpose). An objection names a purpose based on legitimate
    interest, or direct marketing (Art. 21); a withdrawal names a consent purpose.
    """
    details: dict[str, str] = {}
    if ground is not None and not kind.needs_ground:
        raise RequestError(f"a {kind.key} request takes no --ground")
    if purpose is not None and not kind.allows_purpose:
        raise RequestError(f"a {kind.key} request takes no --purpose")
    if kind.needs_ground:
        grounds = [g.key for g in policy.rights.restriction_grounds]
        if ground is None or ground not in grounds:
            raise RequestError(
                f"a restriction needs a ground the policy names: use one of {', '.join(grounds)}"
            )
        details["ground"] = ground
    if kind.needs_purpose and purpose is None:
        raise RequestError(f"a {kind.key} request needs a purpose: {_purposes(policy, kind)}")
    if purpose is not None:
        allowed = _allowed_purposes(policy, kind)
        if purpose not in allowed:
            raise RequestError(
                f"'{purpose}' is not a purpose a {kind.key} request can name: "
                f"{_purposes(policy, kind)}"
            )
        details["purpose"] = purpose
    return details


def _allowed_purposes(policy: Policy, kind: RequestType) -> list[str]:
    if kind.key == "objection":
        from trackguard.privacy.choices import objectable  # the gate's own rule (Art. 21)

        return [p.key for p in policy.purposes if objectable(p)]
    if kind.key == "withdrawal":
        return [p.key for p in policy.consent_purposes()]
    return [p.key for p in policy.purposes]


def _purposes(policy: Policy, kind: RequestType) -> str:
    return "use one of " + ", ".join(_allowed_purposes(policy, kind))
