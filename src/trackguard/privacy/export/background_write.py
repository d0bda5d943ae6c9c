"""Writing to a stream from a second thread: a ZIP member compresses while the next
batch is formatted.

zlib and crc32 release the GIL on large buffers, so the compression of
positions.csv (the largest single cost after formatting) runs beside the main
thread on a second core. At most `depth` chunks wait, so memory stays flat.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from types import TracebackType
from typing import BinaryIO


class BackgroundWriter:
    """`with BackgroundWriter(out) as writer: writer.write(chunk)`; leaving the block waits
    for every chunk to be written, and an error of the writing thread is raised here."""

    def __init__(self, out: BinaryIO, *, depth: int = 2) -> None:
        self.out = out
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="export-writer", daemon=True)
        self._thread.start()

    def write(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._chunks.put(chunk)

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
                    self.out.write(chunk)
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
