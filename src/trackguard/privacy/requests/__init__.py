"""Rights requests as a workflow: received → verified → in_progress → completed | refused.

| module | job |
|---|---|
| `kinds` | request types (the policy's rights), statuses, allowed steps, checked details (pure) |
| `deadlines` | due date, extension limit, overdue (pure) |
| `workflow` | submit, list, show, extend, refuse, start |
| `verification` | identity by session or by an e-mailed one-time token |
| `id_copy` | the ID copy: only when nothing else proves identity, reviewed, then deleted |
| `rectification` | sealed corrections, applied through the vault |
| `completion` | doing what each right asks, and telling the subject |
| `records`, `notices`, `subjects` | events and audit, texts for the subject, finding them |
"""

from trackguard.privacy.requests.completion import Completed, complete_request
from trackguard.privacy.requests.deadlines import due_date, extended_due, is_overdue
from trackguard.privacy.requests.id_copy import (
    IdCopyReceived,
    Review,
    receive_id_copy,
    review_id_copy,
)
from trackguard.privacy.requests.kinds import REQUEST_TYPES, RequestError, Status
from trackguard.privacy.requests.records import (
    OPERATOR,
    SUBJECT,
    SYSTEM,
    Actor,
    EventView,
    RequestView,
)
from trackguard.privacy.requests.verification import (
    MAX_FAILED_ATTEMPTS,
    TOKEN_LIFETIME,
    Method,
    TokenSent,
    VerificationFailed,
    confirm_token,
    send_token,
    verify_by_session,
)
from trackguard.privacy.requests.workflow import (
    Submitted,
    Told,
    customer_id_for_email,
    extend,
    get_request,
    list_requests,
    overdue_requests,
    refuse,
    start,
    submit_request,
)

__all__ = [
    "MAX_FAILED_ATTEMPTS",
    "OPERATOR",
    "REQUEST_TYPES",
    "SUBJECT",
    "SYSTEM",
    "TOKEN_LIFETIME",
    "Actor",
    "Completed",
    "EventView",
    "IdCopyReceived",
    "Method",
    "RequestError",
    "RequestView",
    "Review",
    "Status",
    "Submitted",
    "TokenSent",
    "Told",
    "VerificationFailed",
    "complete_request",
    "confirm_token",
    "customer_id_for_email",
    "due_date",
    "extend",
    "extended_due",
    "get_request",
    "is_overdue",
    "list_requests",
    "overdue_requests",
    "receive_id_copy",
    "refuse",
    "review_id_copy",
    "send_token",
    "start",
    "submit_request",
    "verify_by_session",
]
