"""A HEAD request shows nobody anything: portal and privacy-centre pages answer it but write no
audit entry, while the GET of the same page writes its entry as before."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from tests.web.privacy_centre.conftest import World

from trackguard.runtime import Runtime
from trackguard.store.models import AuditEntry

pytestmark = pytest.mark.anyio

AUDITED = (
    "/portal",
    "/portal/events",
    "/portal/privacy",
    "/portal/privacy/consents",
    "/portal/privacy/requests",
)


def _entries(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def test_head_writes_no_entry_and_get_still_does(
    signed_in: httpx.AsyncClient, runtime: Runtime, world: World
) -> None:
    for path in AUDITED:
        before = _entries(runtime)
        head = await signed_in.head(path)
        assert head.status_code == 200 and head.content == b"", path
        assert _entries(runtime) == before, f"HEAD {path} was audited as a view"
        got = await signed_in.get(path)
        assert got.status_code == 200, path
        assert _entries(runtime) == before + 1, f"GET {path} was not audited once"
