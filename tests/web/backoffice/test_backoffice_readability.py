"""Back-office pages read at a glance: a time says what it is, amounts are written as the
language writes them, long ids fit the page."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select
from tests.web.backoffice.conftest import Client, World

from trackguard.policy import load_policy
from trackguard.runtime import Runtime
from trackguard.settings import PACKAGED_POLICY
from trackguard.store.models import AuditEntry, Order
from trackguard.web.backoffice.labels import Labels
from trackguard.web.language import LANGUAGES
from trackguard.web.portal import views


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_reason_given_with_a_request_is_named_in_words(lang: str) -> None:
    labels = Labels(load_policy(PACKAGED_POLICY), lang)
    assert labels.detail_name("reason") not in ("", "reason")


@pytest.mark.anyio
async def test_a_trackers_time_is_labelled_as_when_it_was_last_seen(
    client_as: Client, world: World
) -> None:
    support = await client_as("support")
    english = html.unescape(
        (await support.get(f"/backoffice/customers/{world.demo_id}?lang=en")).text
    )
    dutch = html.unescape(
        (await support.get(f"/backoffice/customers/{world.demo_id}?lang=nl")).text
    )
    assert re.search(r"last seen \d{4}-\d\d-\d\d \d\d:\d\d", english)
    assert re.search(r"laatst gezien \d\d-\d\d-\d{4} \d\d:\d\d", dutch)


@pytest.mark.anyio
async def test_the_audit_log_shortens_ids_and_folds_long_category_lists(
    client_as: Client, runtime: Runtime, world: World
) -> None:
    officer = await client_as("privacy_officer")
    await officer.get(f"/backoffice/customers/{world.demo_id}")  # an entry with a subject
    page = (await officer.get("/backoffice/audit?lang=en")).text
    with runtime.db.session() as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "backoffice.customer.read")
            .order_by(AuditEntry.seq.desc())
        ).first()
    assert entry is not None and entry.subject_id and entry.actor.startswith("staff:")
    subject, staff = entry.subject_id, entry.actor.removeprefix("staff:")
    # The whole id stays on the page, for hover and search; the cell shows its start.
    assert f'<code title="{subject}">{subject[:8]}</code>' in page
    assert f'staff:<code title="{staff}">{staff[:8]}</code>' in page
    assert f">{subject}<" not in page
    assert len(entry.categories) > 1
    folded = f"<summary>{len(entry.categories)} categories</summary>"
    assert folded + ", ".join(entry.categories) + "</details>" in page


@pytest.mark.anyio
async def test_amounts_are_written_as_each_language_writes_them(
    client_as: Client, runtime: Runtime, world: World
) -> None:
    with runtime.db.session() as session:
        totals = session.scalars(
            select(Order.total_cents).where(Order.customer_id == world.demo_id)
        )
        cents = max(totals)
    finance = await client_as("finance")
    base = f"/backoffice/customers/{world.demo_id}"
    dutch = html.unescape((await finance.get(base + "?lang=nl")).text)
    english = html.unescape((await finance.get(base + "?lang=en")).text)
    assert f"EUR {views.show_number(cents / 100, 2, 'nl')}" in dutch  # 242,95
    assert f"EUR {views.show_number(cents / 100, 2, 'en')}" in english  # 242.95
    assert views.show_number(cents / 100, 2, "en") not in dutch
