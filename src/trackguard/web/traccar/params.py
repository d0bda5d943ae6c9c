"""Query parameters the Traccar API shares: ids, periods, and their limits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Query
from pydantic import Field
from starlette.exceptions import HTTPException

from trackguard.clock import as_utc

# Integer ids stay within what a JSON number carries exactly (and a BIGINT holds).
MAX_ID = 2**53 - 1
# Position-based reports (route, trips, stops, summary) cover at most this much at once.
MAX_POSITION_PERIOD = timedelta(days=31)
MAX_EVENT_PERIOD = timedelta(days=366)
MAX_IDS = 1000

IdValue = Annotated[int, Field(ge=0, le=MAX_ID)]
IdList = list[IdValue]

DeviceIds = Annotated[
    IdList,
    Query(alias="deviceId", max_length=MAX_IDS, description="Repeat for several devices."),
]
GroupIds = Annotated[
    IdList,
    Query(alias="groupId", max_length=MAX_IDS, description="Groups are not supported: ignored."),
]
From = Annotated[datetime, Query(alias="from", description="ISO 8601, e.g. 2026-05-01T00:00:00Z")]
To = Annotated[datetime, Query(alias="to", description="ISO 8601, exclusive end")]


def period(start: datetime, end: datetime, longest: timedelta) -> tuple[datetime, datetime]:
    """UTC [start, end); a time without zone is taken as UTC (Traccar clients send `Z`)."""
    start, end = as_utc(start), as_utc(end)
    if end <= start:
        raise HTTPException(400, "'to' must be later than 'from'.")
    if end - start > longest:
        raise HTTPException(400, f"A period covers at most {longest.days} days.")
    return start, end
