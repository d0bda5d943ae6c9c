"""Writing to a stream from a second thread: a ZIP member compresses while the next
batch is formatted.

zlib and crc32 release the GIL on large buffers, so the compression of
positions.csv (the largest single cost after formatting) runs beside the main
thread on a second core. A chunk may also be handed over unmade (`write_made`):
then its formatting runs on that thread too, and numpy releases the GIL for much
of it. At most `depth` chunks wait, so memory stays flat.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Protocol


class ByteSink(Protocol):
    """Where bytes go: a binary file, a ZIP member, a `DeflatedSpool`, a BackgroundWriter."""

    def write(self, data: bytes, /) -> object: ...


class BackgroundWriter:
    """`with BackgroundWriter(out) as writer: writer.write(chunk)`; leaving the block waits
    for every chunk to be written, and an error of the writing thread is raised here."""

    def __init__(self, out: ByteSink, *, depth: int = 2) -> None:
        self.out = out
        self._chunks: queue.Queue[bytes | Callable[[], bytes] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="export-writer", daemon=True)
        self._thread.start()

    def write(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._chunks.put(chunk)

    def write_made(self, make: Callable[[], bytes]) -> None:
        """Write what `make()` returns, calling it on the writing thread (in order)."""
        if self._error is not None:
            raise self._error
        self._chunks.put(make)

    def close(self) -> None:
        if self._thread.is_alive():
            self._chunks.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            if self._error is None:  # after a failure, only drain: the producer must not block
                try:
                    self.out.write(chunk if isinstance(chunk, bytes) else chunk())
                except BaseException as exc:  # handed to the producer thread
                    self._error = exc

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
            return
        # The error already leaving the block is the one to report.
        with contextlib.suppress(BaseException):
            self.close()
