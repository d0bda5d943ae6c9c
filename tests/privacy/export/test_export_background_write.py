"""The writer thread behind positions.csv: every chunk in order, and its errors surface."""

from __future__ import annotations

import io

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
