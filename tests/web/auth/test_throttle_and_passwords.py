"""Pure parts of sign-in: the login throttle, argon2 hashing, the Basic credential cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher

from trackguard.web.auth.basic_cache import BasicCredentialCache
from trackguard.web.auth.passwords import Passwords
from trackguard.web.auth.throttle import LoginThrottle

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class Clock:
    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        return self.at


def test_throttle_locks_after_five_failures_in_fifteen_minutes() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(4):
        throttle.failed("a@example.nl", "10.0.0.1")
        assert throttle.retry_after("a@example.nl", "10.0.0.1") is None
    throttle.failed("A@Example.NL ", "10.0.0.1")  # the same account, typed differently
    assert throttle.retry_after("a@example.nl", "10.0.0.1") == 15 * 60
    assert throttle.retry_after("a@example.nl", "10.0.0.2") is None
    assert throttle.retry_after("b@example.nl", "10.0.0.1") is None
    clock.at += timedelta(minutes=15)
    assert throttle.retry_after("a@example.nl", "10.0.0.1") is None


def test_throttle_window_slides_with_the_oldest_failure() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(5):
        throttle.failed("a@example.nl", "ip")
        clock.at += timedelta(minutes=1)
    # Failures at minutes 0..4, now minute 5: free when the first leaves, at minute 15.
    assert throttle.retry_after("a@example.nl", "ip") == 10 * 60
    clock.at += timedelta(minutes=10)
    assert throttle.retry_after("a@example.nl", "ip") is None


def test_success_clears_failures_and_nothing_plain_is_kept() -> None:
    throttle = LoginThrottle(clock=Clock())
    for _ in range(5):
        throttle.failed("a@example.nl", "192.0.2.7")
    throttle.succeeded("a@example.nl", "192.0.2.7")
    assert throttle.retry_after("a@example.nl", "192.0.2.7") is None
    throttle.failed("a@example.nl", "192.0.2.7")
    assert all("192.0.2.7" not in key and "example" not in key for key in throttle._failures)


def test_throttle_memory_is_bounded() -> None:
    throttle = LoginThrottle(clock=Clock(), max_keys=10)
    for n in range(50):
        throttle.failed(f"user{n}@example.nl", "ip")
    assert throttle.tracked() <= 10


def test_passwords_verify_and_report_aged_hashes() -> None:
    passwords = Passwords()
    stored = passwords.hash("correct horse")
    assert passwords.verify(stored, "correct horse")
    assert not passwords.verify(stored, "wrong")
    assert not passwords.verify(None, "correct horse")  # no account: same work, no match
    assert not passwords.verify("not a hash", "x")
    assert not passwords.needs_rehash(stored)
    assert passwords.needs_rehash(CHEAP.hash("correct horse"))
    assert stored.startswith("$argon2id$")


def test_basic_cache_expires_and_forgets() -> None:
    clock = Clock()
    cache = BasicCredentialCache(clock=clock, ttl=timedelta(minutes=5))
    cache.put("a@example.nl", "pw", "cust", "$hash")
    found = cache.get("A@example.nl", "pw")
    assert found is not None and found.customer_id == "cust"
    assert cache.get("a@example.nl", "other") is None
    clock.at += timedelta(minutes=5)
    assert cache.get("a@example.nl", "pw") is None
