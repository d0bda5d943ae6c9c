"""The export file on disk: private, complete or absent, never half written.

The ZIP is written to a temporary `.part` file (0600, made by mkstemp) in the
exports directory (0700) and renamed to its final name only when it is complete
and synced, so a crash leaves no file under a name anyone is given. The final
name is random and says nothing about whose data it holds. A private work
directory beside it holds the spool files a single pass over the positions needs;
it is removed whatever happens.

A ZIP allows one open member at a time, so members written side by side
(positions.csv and tracks.gpx) are deflated into spools (`DeflatedSpool`, on
threads of their own if the caller likes) and their compressed bytes are copied
into the ZIP afterwards (`add_deflated`): compression is never done twice. The
spools deflate with ISA-L (`isal`): the same raw deflate stream any unzip reads,
at about four times zlib's speed on this text and a little smaller at level 1.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any
from zipfile import ZIP64_LIMIT, ZIP_DEFLATED, ZipFile, ZipInfo

from isal import isal_zlib

DIR_MODE = 0o700
# Level 1: positions dominate and compress well even so; higher levels cost far
# more time than they save bytes on CSV and GPX text. (ISA-L's levels run 0-3,
# zipfile's zlib 0-9: level 1 is the fast end of both.)
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

    def deflated_spool(self, name: str) -> DeflatedSpool:
        """A scratch file taking a member's data deflated (see module doc)."""
        return DeflatedSpool(self.spool(name), COMPRESS_LEVEL)

    def add_deflated(self, name: str, spool: DeflatedSpool) -> None:
        """Copy a closed spool's deflated data into the ZIP as member `name`, and remove it.

        What `ZipFile.open(name, "w")` does, with the CRC and sizes already known: the
        same local header, the same central directory entry.
        """
        # zipfile has no public way to add deflated data: this follows its own `mkdir`.
        zf: Any = self.zip
        if zf._writing:
            raise ValueError("another ZIP member is still open")
        info = ZipInfo(name, time.localtime()[:6])
        info.compress_type = ZIP_DEFLATED
        info.external_attr = 0o600 << 16  # as ZipFile.open gives a member it writes
        info.file_size, info.compress_size, info.CRC = spool.size, spool.compressed, spool.crc
        zip64 = max(spool.size, spool.compressed) > ZIP64_LIMIT
        with zf._lock, spool.path.open("rb") as data:
            zf.fp.seek(zf.start_dir)
            info.header_offset = zf.fp.tell()
            zf._writecheck(info)
            zf._didModify = True
            zf.fp.write(info.FileHeader(zip64))
            shutil.copyfileobj(data, zf.fp, _CHUNK)
            zf.filelist.append(info)
            zf.NameToInfo[name] = info
            zf.start_dir = zf.fp.tell()
        spool.path.unlink()

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


class DeflatedSpool:
    """A member's data, deflated as it is written (raw deflate, as zipfile writes it) into a
    scratch file, with the CRC-32 and sizes its ZIP entry needs. `write` from one thread."""

    def __init__(self, path: Path, level: int) -> None:
        self.path = path
        self._file = path.open("wb")
        self._deflate = isal_zlib.compressobj(level, isal_zlib.DEFLATED, -15)
        self.crc = 0
        self.size = 0  # bytes written
        self.compressed = 0  # bytes in the file

    def write(self, data: bytes) -> None:
        self.crc = isal_zlib.crc32(data, self.crc)
        self.size += len(data)
        self._put(self._deflate.compress(data))

    def close(self) -> None:
        if not self._file.closed:
            self._put(self._deflate.flush())
            self._file.close()

    def _put(self, deflated: bytes) -> None:
        self.compressed += len(deflated)
        self._file.write(deflated)

    def __enter__(self) -> DeflatedSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
