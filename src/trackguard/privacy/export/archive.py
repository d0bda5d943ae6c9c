"""The export file on disk: private, complete or absent, never half written.

The ZIP is written to a temporary `.part` file (0600, made by mkstemp) in the
exports directory (0700) and renamed to its final name only when it is complete
and synced, so a crash leaves no file under a name anyone is given. The final
name is random and says nothing about whose data it holds. A private work
directory beside it holds the spool files a single pass over the positions needs;
it is removed whatever happens.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from zipfile import ZIP_DEFLATED, ZipFile

DIR_MODE = 0o700
# Level 1: positions dominate and compress well even so; higher levels cost far
# more time than they save bytes on CSV and GPX text.
COMPRESS_LEVEL = 1
_CHUNK = 1 << 20


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) and make sure only the owner can enter it."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(path, DIR_MODE)
    return path


class ExportArchive:
    """`with ExportArchive(dir) as archive:` write to `archive.zip`, then `seal()` and
    `publish()`; leaving the block without publishing removes every trace."""

    def __init__(self, exports_dir: Path) -> None:
        self.directory = private_dir(exports_dir)
        self.file_name = f"export-{secrets.token_hex(16)}.zip"
        fd, part = tempfile.mkstemp(prefix=".export-", suffix=".part", dir=self.directory)
        self.part = Path(part)
        self._file = os.fdopen(fd, "w+b")
        self.zip = ZipFile(self._file, "w", compression=ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)
        self.work = Path(tempfile.mkdtemp(prefix=".work-", dir=self.directory))
        self.published: Path | None = None

    @property
    def path(self) -> Path:
        return self.directory / self.file_name

    def spool(self, name: str) -> Path:
        """A private scratch file path in the work directory."""
        return self.work / name

    def seal(self) -> tuple[int, str]:
        """Finish the ZIP and sync it; returns (size in bytes, SHA-256 hex)."""
        self.zip.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.seek(0)
        digest = hashlib.sha256()
        size = 0
        while chunk := self._file.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
        self._file.close()
        return size, digest.hexdigest()

    def publish(self) -> Path:
        """Give the complete file its final name (atomic within the directory)."""
        os.replace(self.part, self.path)
        _sync_dir(self.directory)
        self.published = self.path
        return self.path

    def withdraw(self) -> None:
        """Remove a published file again (the database refused to record it)."""
        if self.published is not None:
            self.published.unlink(missing_ok=True)
            self.published = None

    def __enter__(self) -> ExportArchive:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._file.closed:  # never sealed: finish the ZIP only to drop it whole
            with contextlib.suppress(Exception):
                self.zip.close()
            self._file.close()
        self.part.unlink(missing_ok=True)
        shutil.rmtree(self.work, ignore_errors=True)
        if exc_type is not None:
            self.withdraw()


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
