"""The retention engine: the policy's retention rules, applied (see `engine`)."""

from trackguard.privacy.retention.engine import (
    ProgressEvent,
    RetentionError,
    plan,
    run,
)
from trackguard.privacy.retention.holds import Hold, HoldError, list_holds, place_hold, release_hold
from trackguard.privacy.retention.report import (
    RetentionReport,
    RuleCount,
    list_reports,
    load_report,
)

__all__ = [
    "Hold",
    "HoldError",
    "ProgressEvent",
    "RetentionError",
    "RetentionReport",
    "RuleCount",
    "list_holds",
    "list_reports",
    "load_report",
    "place_hold",
    "plan",
    "release_hold",
    "run",
]
