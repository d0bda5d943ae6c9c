"""The rendered-row cache on its own: runs of items, expiry, size bound, forgetting a
subject; the array encoder that joins the runs; and the kept whole answers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from trackguard.web.traccar.rendered import Answer, RenderedRow, RenderedRows, RowKey
from trackguard.web.traccar.responses import EncodedItems, json_bytes

TIMES = ["2026-03-01T10:00:00.000000", "2026-03-01T10:00:10.000000", "2026-03-01T10:00:20.000000"]
ITEMS = [b'{"id":1}', b'{"id":22}', b'{"id":333}']


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def key(n: int, subject: str = "s1") -> RowKey:
    return (f"d{n}", TIMES[0], TIMES[0], f"subject:{subject}:location:1", None, b"x", n, None)


def row(subject: str = "s1") -> RenderedRow:
    return RenderedRow.of((subject, 1), TIMES, ITEMS)


def test_a_row_hands_out_any_run_of_its_items() -> None:
    r = row()
    assert r.text == b'{"id":1},{"id":22},{"id":333}'
    assert r.last() == b'{"id":333}'
    assert r.run(0, 3) is r.text  # the whole row: no copy
    assert r.run(0, 1) == b'{"id":1}'
    assert r.run(1, 3) == b'{"id":22},{"id":333}'
    assert r.run(1, 2) == b'{"id":22}'
    assert r.run(2, 2) == b""


def test_runs_make_one_json_array() -> None:
    r = row()
    assert EncodedItems([]).encode() == b"[]"
    assert EncodedItems([b""]).encode() == b"[]"
    joined = json_bytes(EncodedItems([r.run(0, 1), b"", r.run(1, 3)]))
    assert json.loads(joined) == [{"id": 1}, {"id": 22}, {"id": 333}]
    assert json_bytes(EncodedItems([r.last()])) == b'[{"id":333}]'


def test_entries_expire_after_their_ttl() -> None:
    clock = FakeClock()
    cache = RenderedRows(max_bytes=10_000, ttl=60.0, clock=clock)
    cache.put(key(1), row())
    clock.now += 59.0
    assert cache.get(key(1)) is not None
    clock.now += 2.0
    assert cache.get(key(1)) is None
    cache.expire()
    assert len(cache) == 0 and cache.bytes == 0


def test_the_oldest_entries_leave_beyond_the_size_bound() -> None:
    one = row().size
    cache = RenderedRows(max_bytes=2 * one, ttl=60.0)
    for n in range(3):
        cache.put(key(n), row())
    assert cache.get(key(0)) is None
    assert cache.get(key(1)) is not None and cache.get(key(2)) is not None
    assert cache.bytes == 2 * one
    too_big = RenderedRow.of(("s1", 1), ["t"] * 500, [b"{}" * 100] * 500)
    cache.put(key(9), too_big)
    assert cache.get(key(9)) is None and len(cache) == 2


def test_forgetting_a_subject_drops_only_its_rows() -> None:
    cache = RenderedRows()
    cache.put(key(1, "s1"), row("s1"))
    cache.put(key(2, "s2"), row("s2"))
    cache.forget_subject("s1")
    assert cache.get(key(1, "s1")) is None
    assert cache.get(key(2, "s2")) is not None
    assert cache.bytes == row("s2").size


def test_nonsense_bounds_are_refused() -> None:
    with pytest.raises(ValueError):
        RenderedRows(max_bytes=0)
    with pytest.raises(ValueError):
        RenderedRows(ttl=0)


def kept(body: bytes, subject: str = "s1") -> Answer:
    rows: list[tuple[Any, ...]] = [("d1", 7, "gt06", TIMES[0], b"x")]
    return Answer(rows, body, ((subject, "d1", TIMES[0], f"subject:{subject}:location:1", b"x"),))


def test_an_answer_is_recalled_only_for_the_rows_it_was_made_from() -> None:
    answers = RenderedRows().answers
    answer = kept(b"[1]")
    answers.keep("latest", answer)
    assert answers.recall("latest", [("d1", 7, "gt06", TIMES[0], b"x")]) is answer
    assert answers.recall("latest", [("d1", 7, "gt06", TIMES[0], b"y")]) is None  # rectified
    assert answers.recall("latest", []) is None
    assert answers.recall("other", answer.rows) is None


def test_answers_expire_are_bounded_and_forget_a_subject() -> None:
    clock = FakeClock()
    cache = RenderedRows(max_bytes=4 * 1000, ttl=60.0, clock=clock)
    answers = cache.answers  # a quarter of the budget: 1,000 bytes
    answers.keep("a", kept(b"[" + b"1" * 100 + b"]"))
    clock.now += 61.0
    assert answers.recall("a", kept(b"").rows) is None
    answers.keep("b", kept(b"[" + b"2" * 300 + b"]"))
    answers.keep("c", kept(b"[" + b"3" * 300 + b"]", subject="s2"))  # evicts "b"
    assert answers.recall("b", kept(b"").rows) is None
    assert answers.recall("c", kept(b"").rows) is not None
    cache.forget_subject("s2")
    assert len(answers) == 0
