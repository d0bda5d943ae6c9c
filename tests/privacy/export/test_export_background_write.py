"""The writer thread behind positions.csv: every chunk in order (made there or before),
and its errors surface."""

from __future__ import annotations

import functools
import io
import threading

import pytest

from trackguard.privacy.export.background_write import BackgroundWriter


def test_every_chunk_is_written_in_order_before_the_block_ends() -> None:
    out = io.BytesIO()
    with BackgroundWriter(out, depth=1) as writer:
        for n in range(200):
            writer.write(b"%d\n" % n)
    assert out.getvalue() == b"".join(b"%d\n" % n for n in range(200))


class Full(io.BytesIO):
    def write(self, data: bytes) -> int:  # type: ignore[override]
        raise OSError("no space left on device")


def test_a_failed_write_is_raised_in_the_writing_code() -> None:
    with pytest.raises(OSError, match="no space"), BackgroundWriter(Full(), depth=1) as writer:
        for _ in range(100):  # never blocks, though nothing is written any more
            writer.write(b"row\n")


def test_an_error_of_the_producer_is_the_one_that_leaves() -> None:
    with pytest.raises(KeyError), BackgroundWriter(Full()) as writer:
        writer.write(b"row\n")
        raise KeyError("formatting failed")


def test_chunks_made_on_the_writing_thread_keep_their_place() -> None:
    out = io.BytesIO()
    threads: set[str] = set()

    def made(n: int) -> bytes:
        threads.add(threading.current_thread().name)
        return b"made %d\n" % n

    with BackgroundWriter(out, depth=1) as writer:
        for n in range(100):
            writer.write(b"%d\n" % n)
            writer.write_made(functools.partial(made, n))
    assert out.getvalue() == b"".join(b"%d\nmade %d\n" % (n, n) for n in range(100))
    assert threads == {"export-writer"}


def test_a_chunk_that_fails_to_be_made_is_raised_in_the_writing_code() -> None:
    def broken() -> bytes:
        raise ValueError("cannot format")

    with pytest.raises(ValueError, match="format"), BackgroundWriter(io.BytesIO()) as writer:
        writer.write_made(broken)
        for _ in range(100):
            writer.write(b"row\n")
