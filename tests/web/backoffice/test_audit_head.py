"""A HEAD request shows nobody anything: the back office's audited pages answer it but write
no audit entry, while the GET of the same page writes its entry as before."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.web.backoffice.conftest import Client, World

from trackguard.runtime import Runtime
from trackguard.store.models import AuditEntry

pytestmark = pytest.mark.anyio

# (role, path) of every back-office page that audits a view of personal data.
AUDITED = (
    ("privacy_officer", "/backoffice/requests"),
    ("privacy_officer", "/backoffice/requests/{request_id}"),
    ("privacy_officer", "/backoffice/requests/{request_id}/id-copy"),
    ("privacy_officer", "/backoffice/requests/{request_id}/id-copy/content"),
    ("privacy_officer", "/backoffice/customers/{customer_id}"),
    ("privacy_officer", "/backoffice/audit"),
    ("support", "/backoffice/complaints"),
    ("support", "/backoffice/complaints/{complaint_id}"),
    ("admin", "/backoffice/staff"),
)


def _entries(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def test_head_on_an_audited_page_writes_no_entry_and_get_still_does(
    client_as: Client, runtime: Runtime, world: World
) -> None:
    ids = {
        "request_id": world.id_copy_request,
        "customer_id": world.demo_id,
        "complaint_id": world.complaint_id,
    }
    clients = {role: await client_as(role) for role in {role for role, _ in AUDITED}}
    for role, template in AUDITED:
        path = template.format(**ids)
        before = _entries(runtime)
        head = await clients[role].head(path)
        assert head.status_code == 200, (path, head.status_code)
        assert head.content == b""
        assert _entries(runtime) == before, f"HEAD {path} was audited as a view"
        got = await clients[role].get(path)
        assert got.status_code == 200, (path, got.status_code)
        assert _entries(runtime) == before + 1, f"GET {path} was not audited once"
