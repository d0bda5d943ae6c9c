"""Erasure: keys destroyed except what the law keeps, rows gone, account anonymised, told."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from tests.privacy.test_erasure_canary import (
    NOW,
    POSITIONS,
    Planted,
    make_canary,
    plant_subject,
    write_export_file,
)

from trackguard.clock import fixed_clock
from trackguard.errors import Forbidden, KeyDestroyed, NotFound
from trackguard.policy import load_policy
from trackguard.privacy.audit import list_entries, verify
from trackguard.privacy.erasure import (
    ERASED,
    AlreadyErased,
    Hold,
    erase_subject,
    plan_erasure,
)
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.base import Base
from trackguard.store.models import (
    AuditEntry,
    ChatMessage,
    Customer,
    Device,
    ExportFile,
    LegalHold,
    Order,
    Payment,
    Position,
    RequestEvent,
    RightsRequest,
    SubjectKey,
)
from trackguard.store.subject_tables import subject_tables
from trackguard.tracking.devices import resolve_devices
from trackguard.tracking.positions import read_positions


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with Runtime.open(settings, clock=fixed_clock(NOW)) as opened:
        yield opened


@pytest.fixture
def planted(runtime: Runtime) -> Planted:
    return plant_subject(runtime, make_canary(), positions=5)


def row_counts(runtime: Runtime) -> dict[str, int]:
    with runtime.db.engine.connect() as connection:
        return {
            t.name: int(connection.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }


def place_hold(
    runtime: Runtime, customer_id: str, table: str | None = None, record_id: str | None = None
) -> None:
    with runtime.db.session() as session:
        session.add(
            LegalHold(
                customer_id=customer_id,
                record_table=table,
                record_id=record_id,
                reason="court case 2026/17",
                placed_by="staff:legal-1",
                placed_at=NOW,
            )
        )


# -- the plan comes from the policy ------------------------------------------------------------


def test_the_plan_keeps_only_what_the_law_obliges() -> None:
    plan = plan_erasure(load_policy(Settings().policy_file), subject_tables())
    assert plan.keep_classes == ("correspondence", "financial")
    assert plan.destroy_classes == ("profile", "location", "communications")
    assert {"orders", "returns", "payments", "purchases"} <= set(plan.keep)
    # E-mails and complaints serve legal compliance, under a key class of their own.
    assert {"emails", "complaints"} <= set(plan.keep)
    # Plaintext records kept as proof under the GDPR's own obligations.
    assert {"consent_events", "rights_requests", "export_files", "audit_entries"} <= set(plan.keep)
    # Mail still waiting serves the rights workflow too, but shares the communications key
    # with chats and calls: a key cannot keep half its class readable.
    assert {"mail_outbox", "chat_messages", "identity_documents"} <= set(plan.delete)
    assert plan.subject_table == "customers" and plan.unlink == ("devices",)
    assert plan.deferred == {"positions": "unlinked_positions"}
    assert "device_geofences" in plan.delete  # plaintext, so not left to retention
    assert "subject_keys" not in plan.delete + plan.keep  # the vault handles its own rows


def test_without_a_legal_obligation_the_financial_key_goes_too() -> None:
    policy = load_policy(Settings().policy_file)
    purposes = tuple(
        p.model_copy(update={"legal_basis": "legitimate_interest"})
        if p.legal_basis == "legal_obligation"
        else p
        for p in policy.purposes
    )
    plan = plan_erasure(policy.model_copy(update={"purposes": purposes}), subject_tables())
    assert plan.keep_classes == ()
    assert {"orders", "payments", "emails", "consent_events", "rights_requests"} <= set(plan.delete)


def test_holds_keep_their_rows_and_key_class() -> None:
    policy = load_policy(Settings().policy_file)
    tables = subject_tables()
    everything = plan_erasure(policy, tables, [Hold()])
    assert everything.held_everything and everything.destroy_classes == ()
    one_chat = plan_erasure(policy, tables, [Hold("chat_messages", "c1")])
    assert "communications" in one_chat.keep_classes
    assert one_chat.held == {"chat_messages": frozenset({"c1"})}
    # Keeping one chat readable does not keep the other records of its key class.
    assert {"chat_messages", "call_recordings", "mail_outbox"} <= set(one_chat.delete)


# -- erasing ------------------------------------------------------------------------------------


def test_erasure_destroys_keys_deletes_rows_and_anonymises(
    runtime: Runtime, planted: Planted
) -> None:
    before = row_counts(runtime)
    outcome = erase_subject(runtime, planted.customer_id, request_id=planted.request_id)
    after = row_counts(runtime)
    cid = planted.customer_id
    assert outcome.complete
    assert outcome.key_classes_destroyed == ("profile", "location", "communications")
    assert outcome.key_classes_kept == ("correspondence", "financial")
    for table in ("chat_messages", "web_visits", "geofences", "events", "mail_outbox"):
        assert outcome.deleted[table] == 1 and after[table] == before[table] - 1, table
    assert outcome.kept["emails"] == outcome.kept["complaints"] == 1
    assert outcome.deleted["device_geofences"] == 1
    assert outcome.kept["orders"] == 1 and outcome.kept["payments"] == 1
    assert outcome.anonymised == {"customers": 1, "devices": 1}
    assert outcome.export_files_deleted == 0
    assert after["customers"] == before["customers"]
    # Positions are unreadable at once; their rows go with the retention rule.
    assert after["positions"] == before["positions"] == 5
    with runtime.db.session() as session:
        customer = session.get(Customer, cid)
        assert customer is not None and customer.status == ERASED
        assert customer.email is None and customer.anonymised_at == NOW
        keys = session.execute(
            select(SubjectKey.key_class, SubjectKey.wrapped_key).where(SubjectKey.subject_id == cid)
        ).all()
        assert {k for k, wrapped in keys if wrapped is None} == {
            "profile",
            "location",
            "communications",
        }
        assert {k for k, wrapped in keys if wrapped is not None} == {
            "correspondence",
            "financial",
        }
        # The financial records are kept, linked and readable, as the law requires.
        order = session.scalar(select(Order).where(Order.customer_id == cid))
        payment = session.scalar(select(Payment).where(Payment.customer_id == cid))
        assert order is not None and payment is not None
        vault = runtime.vault
        assert vault.unseal(session, order, "shipping_address") == "Kept street 9, Utrecht"
        assert vault.unseal(session, payment, "iban") == "NL91ABNA0417164300"
        position = session.scalar(select(Position).where(Position.device_id == planted.device_id))
        assert position is not None
        with pytest.raises(KeyDestroyed):
            vault.decrypt(
                session,
                position.payload,
                subject=cid,
                key_class="location",
                table="positions",
                column="payload",
                row="x",
            )


def test_the_tracker_is_unlinked_and_reports_as_a_new_device(
    runtime: Runtime, planted: Planted
) -> None:
    erase_subject(runtime, planted.customer_id)
    with runtime.db.session() as session:
        device = session.get(Device, planted.device_id)
        assert device is not None
        assert device.customer_id is None and device.name is None and device.imei is None
        assert device.imei_index != planted.imei_index and not device.armed
        # The tracker's next report no longer finds the erased subject's device.
        found = resolve_devices(session, runtime.vault, {planted.imei: "gt06"}, now=NOW)
        assert found[planted.imei].id != planted.device_id
        assert found[planted.imei].customer_id is None


def test_exports_are_deleted_and_marked(runtime: Runtime, planted: Planted) -> None:
    path = write_export_file(runtime, planted)
    outcome = erase_subject(runtime, planted.customer_id)
    assert outcome.export_files_deleted == 1 and not path.exists()
    with runtime.db.session() as session:
        export = session.scalar(select(ExportFile))
        assert export is not None and export.deleted_at == NOW


def test_audit_log_is_shredded_and_still_verifies(runtime: Runtime, planted: Planted) -> None:
    outcome = erase_subject(runtime, planted.customer_id)
    assert outcome.audit_entries_shredded == 1
    with runtime.db.session() as session:
        assert list_entries(session, subject_id=planted.customer_id) == []
        last = session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    assert last is not None and last.subject_id is None and last.subject_digest is None
    assert last.action.startswith("privacy.erase:") and last.purpose == "privacy_rights"
    assert planted.customer_id not in last.action and planted.canary not in last.action
    result = verify(runtime.db)
    assert result.ok and result.shredded == 1


def test_the_outcome_and_a_plain_notice_are_written_on_the_request(
    runtime: Runtime, planted: Planted
) -> None:
    outcome = erase_subject(
        runtime, planted.customer_id, request_id=planted.request_id, actor="staff:privacy-1"
    )
    with runtime.db.session() as session:
        request = session.get(RightsRequest, planted.request_id)
        assert request is not None and request.outcome is not None
        assert json.loads(request.outcome) == outcome.to_dict()
        assert request.status == "in_progress"  # the workflow closes it, not erasure
        event = session.scalar(select(RequestEvent).where(RequestEvent.request_id == request.id))
        assert event is not None and event.actor == "staff:privacy-1" and event.notice
    policy = runtime.policy
    rule = policy.rule("financial_records")
    # In the subject's language (en), naming what the law keeps and for how long.
    assert "We have erased your personal data" in event.notice
    assert rule.name.en in event.notice and "10 years" in event.notice
    assert rule.statement.en in event.notice
    assert planted.canary not in event.notice


def test_erasing_again_is_refused_and_changes_nothing(runtime: Runtime, planted: Planted) -> None:
    erase_subject(runtime, planted.customer_id)
    before = row_counts(runtime)
    with pytest.raises(AlreadyErased):
        erase_subject(runtime, planted.customer_id, request_id=planted.request_id)
    assert row_counts(runtime) == before


def test_someone_elses_or_a_wrong_request_is_refused_and_changes_nothing(
    runtime: Runtime, planted: Planted
) -> None:
    other = plant_subject(runtime, make_canary(), positions=1)
    before = row_counts(runtime)
    with pytest.raises(Forbidden, match="not this subject's"):
        erase_subject(runtime, planted.customer_id, request_id=other.request_id)
    with runtime.db.session() as session:
        session.execute(
            update(RightsRequest)
            .where(RightsRequest.id == planted.request_id)
            .values(type="access")
        )
    with pytest.raises(Forbidden, match="not an erasure request"):
        erase_subject(runtime, planted.customer_id, request_id=planted.request_id)
    with pytest.raises(NotFound):
        erase_subject(runtime, "0" * 32)
    assert row_counts(runtime) == before


def test_a_hold_on_the_subject_keeps_everything_until_released(
    runtime: Runtime, planted: Planted
) -> None:
    place_hold(runtime, planted.customer_id)
    before = row_counts(runtime)
    outcome = erase_subject(runtime, planted.customer_id, request_id=planted.request_id)
    assert not outcome.complete and outcome.legal_holds == 1
    assert outcome.key_classes_destroyed == () and outcome.deleted == {}
    after = row_counts(runtime)
    assert {k: v for k, v in after.items() if k not in ("audit_entries", "request_events")} == {
        k: v for k, v in before.items() if k not in ("audit_entries", "request_events")
    }
    with runtime.db.session() as session:
        customer = session.get(Customer, planted.customer_id)
        assert customer is not None and customer.status == "active"
        event = session.scalar(select(RequestEvent))
        assert event is not None and event.notice and "legal hold" in event.notice
        session.execute(update(LegalHold).values(released_at=NOW + timedelta(days=1)))
    outcome = erase_subject(runtime, planted.customer_id)
    assert outcome.complete and outcome.deleted["chat_messages"] == 1


def test_a_hold_on_one_record_keeps_it_readable_and_erases_the_rest(
    runtime: Runtime, planted: Planted
) -> None:
    with runtime.db.session() as session:
        chat = ChatMessage(
            customer_id=planted.customer_id,
            conversation_id="c" * 32,
            sent_at=NOW,
            sender="customer",
        )
        runtime.vault.seal(session, chat, "body", "the held chat")
        session.add(chat)
        session.flush()
        held_id = chat.id
    place_hold(runtime, planted.customer_id, "chat_messages", held_id)
    outcome = erase_subject(runtime, planted.customer_id)
    assert not outcome.complete and outcome.held == {"chat_messages": 1}
    assert outcome.deleted["chat_messages"] == 1 and outcome.deleted["call_recordings"] == 1
    assert "communications" in outcome.key_classes_kept
    with runtime.db.session() as session:
        chats = session.scalars(select(ChatMessage)).all()
        assert [c.id for c in chats] == [held_id]
        assert runtime.vault.unseal(session, chats[0], "body") == "the held chat"
        customer = session.get(Customer, planted.customer_id)
        # Anonymised, but not "erased": once the hold ends, erasure finishes the job.
        assert customer is not None and customer.status == "anonymised"


def test_a_subject_with_nothing_but_an_account_is_erased(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        customer = Customer(created_at=NOW, language="nl")
        session.add(customer)
        session.flush()
        customer_id = customer.id
    outcome = erase_subject(runtime, customer_id)
    assert outcome.complete and outcome.keys_destroyed == 0 and outcome.rows_deleted == 0
    assert outcome.anonymised == {"customers": 1, "devices": 0}


def test_positions_are_not_touched_row_by_row(runtime: Runtime, planted: Planted) -> None:
    """Erasure's work does not grow with the history: the position rows stay as they were
    (unreadable), so no statement of erasure visits them."""
    with runtime.db.engine.connect() as connection:
        rows_before = connection.execute(select(Position).order_by(Position.fix_time)).all()
    erase_subject(runtime, planted.customer_id)
    with runtime.db.engine.connect() as connection:
        rows_after = connection.execute(select(Position).order_by(Position.fix_time)).all()
    assert rows_after == rows_before and len(rows_before) == 5 != POSITIONS


def test_a_hold_on_positions_keeps_them_readable_with_their_tracker(
    runtime: Runtime, planted: Planted
) -> None:
    place_hold(runtime, planted.customer_id, "positions")
    outcome = erase_subject(runtime, planted.customer_id)
    assert not outcome.complete and outcome.held == {"positions": 5, "devices": 1}
    assert "location" in outcome.key_classes_kept and outcome.anonymised["devices"] == 0
    with runtime.db.session() as session:
        device = session.get(Device, planted.device_id)
        assert device is not None and device.customer_id == planted.customer_id
        stored = read_positions(session, runtime.vault, planted.device_id)
        assert len(stored) == 5
