"""Identity: a session proves only its own customer; an e-mailed token goes to the address on
file, is stored only as a hash, works once within 24 hours, and wrong guesses are limited."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from request_helpers import AddCustomer, Counts, Inbox, MovableClock
from sqlalchemy import select

from trackguard.errors import Forbidden
from trackguard.mail import MailError
from trackguard.privacy import requests as rights
from trackguard.privacy.requests.outbox import Outbox
from trackguard.privacy.requests.outbox import waiting as waiting_mail
from trackguard.privacy.requests.verification import token_hash
from trackguard.runtime import Runtime
from trackguard.store.models import VerificationToken

TOKEN = re.compile(r"^ {4}(\S+)\r?$", re.MULTILINE)


def token_from(mails: Inbox, index: int = -1) -> str:
    match = TOKEN.search(mails.bodies()[index])
    assert match is not None
    return match.group(1)


def new_access(runtime: Runtime, customer: str) -> str:
    return rights.submit_request(runtime, customer_id=customer, type="access").request.id


def test_a_session_verifies_its_own_customers_request(
    runtime: Runtime, add_customer: AddCustomer
) -> None:
    customer = add_customer()
    request = new_access(runtime, customer)
    done = rights.verify_by_session(runtime, request, customer_id=customer)
    assert (done.status, done.verification_method) == ("verified", "session")
    assert done.verified is not None


def test_a_session_of_someone_else_is_refused_and_changes_nothing(
    runtime: Runtime, add_customer: AddCustomer, row_counts: Callable[[], Counts]
) -> None:
    owner, other = add_customer(), add_customer("els.bakker@example.nl")
    request = new_access(runtime, owner)
    before = row_counts()
    with pytest.raises(Forbidden):
        rights.verify_by_session(runtime, request, customer_id=other)
    assert row_counts() == before
    assert rights.get_request(runtime, request)[0].status == "received"


def test_token_goes_to_the_address_on_file_and_only_its_hash_is_stored(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox, clock: MovableClock
) -> None:
    customer = add_customer(language="en")
    request = new_access(runtime, customer)
    sent = rights.send_token(runtime, request)
    assert sent.expires == clock.at + rights.TOKEN_LIFETIME
    [(to, message)] = mails.messages
    assert to == ["jan.de.vries@example.nl"]
    assert message["Subject"] == "Confirm your privacy request"
    token = token_from(mails)
    assert len(token) >= 40
    with runtime.db.session() as session:
        [row] = session.scalars(select(VerificationToken)).all()
        assert row.token_hash == token_hash(token)
    with runtime.db.engine.connect() as connection:
        for table in ("verification_tokens", "request_events", "rights_requests"):
            dump = str(connection.exec_driver_sql(f"SELECT * FROM {table}").all())
            assert token not in dump, table
    done = rights.confirm_token(runtime, request, token)
    assert (done.status, done.verification_method) == ("verified", "email")


def test_a_used_token_does_not_work_again(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox
) -> None:
    customer = add_customer()
    first, second = (
        new_access(runtime, customer),
        rights.submit_request(runtime, customer_id=customer, type="portability").request.id,
    )
    rights.send_token(runtime, first)
    token = token_from(mails)
    rights.confirm_token(runtime, first, token)
    with pytest.raises(rights.RequestError, match="verified"):
        rights.confirm_token(runtime, first, token)
    rights.send_token(runtime, second)
    with pytest.raises(rights.VerificationFailed):
        rights.confirm_token(runtime, second, token)  # the first request's token


def test_an_expired_token_is_refused(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox, clock: MovableClock
) -> None:
    request = new_access(runtime, add_customer())
    rights.send_token(runtime, request)
    clock.advance(hours=24)
    with pytest.raises(rights.VerificationFailed, match="expired"):
        rights.confirm_token(runtime, request, token_from(mails))
    assert rights.get_request(runtime, request)[0].status == "received"


def test_a_forged_token_is_refused_and_counted(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox
) -> None:
    request = new_access(runtime, add_customer())
    rights.send_token(runtime, request)
    with pytest.raises(rights.VerificationFailed, match="not valid"):
        rights.confirm_token(runtime, request, "forged-token")
    with runtime.db.session() as session:
        assert session.scalars(select(VerificationToken.failed_attempts)).one() == 1
    assert rights.confirm_token(runtime, request, token_from(mails)).status == "verified"


def test_too_many_wrong_tokens_make_the_real_one_useless(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox
) -> None:
    request = new_access(runtime, add_customer())
    rights.send_token(runtime, request)
    for attempt in range(rights.MAX_FAILED_ATTEMPTS):
        with pytest.raises(rights.VerificationFailed):
            rights.confirm_token(runtime, request, f"guess-{attempt}")
    with pytest.raises(rights.VerificationFailed):
        rights.confirm_token(runtime, request, token_from(mails))
    assert rights.get_request(runtime, request)[0].status == "received"
    rights.send_token(runtime, request)  # a fresh token works again
    assert rights.confirm_token(runtime, request, token_from(mails)).status == "verified"


def test_a_new_token_replaces_the_old_one(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox
) -> None:
    request = new_access(runtime, add_customer())
    rights.send_token(runtime, request)
    old = token_from(mails)
    rights.send_token(runtime, request)
    with pytest.raises(rights.VerificationFailed, match="expired"):
        rights.confirm_token(runtime, request, old)
    assert rights.confirm_token(runtime, request, token_from(mails)).status == "verified"


def test_confirming_without_any_token_sent_is_refused(
    runtime: Runtime, add_customer: AddCustomer, row_counts: Callable[[], Counts]
) -> None:
    request = new_access(runtime, add_customer())
    before = row_counts()
    with pytest.raises(rights.VerificationFailed, match="no token is pending"):
        rights.confirm_token(runtime, request, "anything")
    assert row_counts() == before


def test_no_e_mail_on_file_means_no_token(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox, row_counts: Callable[[], Counts]
) -> None:
    request = new_access(runtime, add_customer(None))
    before = row_counts()
    with pytest.raises(rights.RequestError, match="no e-mail address on file"):
        rights.send_token(runtime, request)
    assert row_counts() == before and not mails.messages


def test_a_token_the_relay_does_not_take_is_reported_kept_and_sent_later(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox, clock: MovableClock
) -> None:
    request = new_access(runtime, add_customer())
    unreachable = runtime.settings.model_copy(update={"smtp_port": 1})
    broken = Runtime(unreachable, runtime.db, runtime.policy, runtime.vault, runtime.clock)
    with pytest.raises(MailError):
        rights.send_token(broken, request)
    [waiting] = waiting_mail(runtime)
    assert waiting.attempts == 1 and waiting.last_error == "ConnectionRefusedError"
    assert not mails.messages
    clock.advance(minutes=1)
    assert Outbox(runtime).drain().delivered == 1
    verified = rights.confirm_token(runtime, request, token_from(mails))
    assert verified.status == "verified" and waiting_mail(runtime) == []


def test_a_code_still_waiting_is_replaced_by_a_newer_one_and_never_sent_once_expired(
    runtime: Runtime, add_customer: AddCustomer, mails: Inbox, clock: MovableClock
) -> None:
    request = new_access(runtime, add_customer())
    unreachable = runtime.settings.model_copy(update={"smtp_port": 1})
    broken = Runtime(unreachable, runtime.db, runtime.policy, runtime.vault, runtime.clock)
    for _ in range(2):
        with pytest.raises(MailError):
            rights.send_token(broken, request)
    assert len(waiting_mail(runtime)) == 1  # the first code's message went with its code
    clock.advance(hours=25)
    assert Outbox(runtime).drain().expired == 1
    assert not mails.messages and waiting_mail(runtime) == []
