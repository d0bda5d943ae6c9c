"""The master key and its file: format, id, and writes that never leave half a key.

File format (text, so an operator can print it for an offline backup):

    # trackguard master key ...comment lines...
    trackguard-master-key 1
    id 3f2a9c0d1e4b5a67
    key <base64 of 32 random bytes>

The id is derived from the key (a keyed hash), so it names the key without
revealing it; the database stores it to recognise the right file.
"""

from __future__ import annotations

import base64
import binascii
import errno
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from trackguard.errors import KeyFileError

KEY_LEN = 32
FORMAT_LINE = "trackguard-master-key 1"
_ID_LABEL = b"trackguard master key id"
_HEADER = (
    "# trackguard master key. Keep a backup of this file apart from the database:\n"
    "# without it the encrypted data cannot be read, and a new key cannot read it either.\n"
)


@dataclass(frozen=True, repr=False, eq=False)
class MasterKey:
    """32 secret bytes and their public id. `repr` shows the id only."""

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != KEY_LEN:
            raise KeyFileError(f"a master key is {KEY_LEN} bytes")

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(secrets.token_bytes(KEY_LEN))

    @cached_property
    def id(self) -> str:
        return hmac.new(self.key, _ID_LABEL, hashlib.sha256).hexdigest()[:16]

    @cached_property
    def cipher(self) -> AESGCM:
        return AESGCM(self.key)

    def __repr__(self) -> str:
        return f"MasterKey(id={self.id})"


def render(master: MasterKey) -> str:
    encoded = base64.b64encode(master.key).decode("ascii")
    return f"{_HEADER}{FORMAT_LINE}\nid {master.id}\nkey {encoded}\n"


def parse(text: str, path: Path) -> MasterKey:
    """The key in `text`; any defect is a KeyFileError naming the file, never its content."""
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    fields = dict(ln.split(None, 1) for ln in lines[1:] if len(ln.split(None, 1)) == 2)
    if not lines or lines[0] != FORMAT_LINE or "key" not in fields:
        raise KeyFileError(f"{path} is not a trackguard master key file (or not format 1)")
    try:
        raw = base64.b64decode(fields["key"], validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(f"{path}: the key line is not valid base64") from None
    if len(raw) != KEY_LEN:
        raise KeyFileError(f"{path}: the key is not {KEY_LEN} bytes")
    master = MasterKey(raw)
    if fields.get("id", master.id) != master.id:
        # The id line is redundant on purpose: a damaged key no longer matches it.
        raise KeyFileError(f"{path}: the key does not match its id line (damaged file?)")
    return master


def read_key_file(path: Path) -> MasterKey | None:
    """The key in `path`, or None when there is no such file."""
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not ASCII text"
        raise KeyFileError(f"cannot read master key file {path}: {reason}") from None
    return parse(text, path)


def is_private(path: Path) -> bool:
    """True when neither group nor others may read the file."""
    return path.stat().st_mode & 0o077 == 0


def pending_path(key_file: Path, master_id: str) -> Path:
    """Where a rotation parks the new key until the database has committed to it."""
    return key_file.with_name(f"{key_file.name}.new-{master_id}")


def old_path(key_file: Path, master_id: str) -> Path:
    """Where a rotation keeps the previous key until the swap has succeeded."""
    return key_file.with_name(f"{key_file.name}.old-{master_id}")


def write_key_file(path: Path, master: MasterKey, *, overwrite: bool) -> None:
    """Write `master` to `path` with mode 0600, durably and atomically.

    The key goes to a temporary file that is fsynced first, so `path` never holds
    a partial key. With `overwrite=False` the final step is a hard link, which
    fails if `path` exists: two processes starting at once cannot clobber each
    other's key (the loser gets FileExistsError and adopts the winner's).
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = render(master).encode("ascii")
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(6)}")
    _write_new_private(tmp, data)
    try:
        if overwrite:
            os.replace(tmp, path)
        else:
            _link_exclusive(tmp, path, data)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def _write_new_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # explicit: the mode must not depend on the umask
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _link_exclusive(tmp: Path, path: Path, data: bytes) -> None:
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError as exc:
        # Filesystems without hard links: O_EXCL still refuses to overwrite.
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        _write_new_private(path, data)


def fsync_dir(directory: Path) -> None:
    """Make a rename or link in `directory` survive a power cut (POSIX only)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on directories; the rename still happened
    finally:
        os.close(fd)


def install_pending_key(
    key_file: Path, old_id: str | None, new_id: str, *, keep_old: bool
) -> Path | None:
    """Move a rotation's parked key into place; returns the kept old key's path, if any.

    Order: link the current file to `<name>.old-<id>` first, then atomically
    replace the key file. At every instant `key_file` holds a complete key, and
    the previous key exists until the swap is done.
    """
    pending = pending_path(key_file, new_id)
    old_copy = old_path(key_file, old_id) if old_id else None
    if old_copy is not None and key_file.exists() and not old_copy.exists():
        try:
            os.link(key_file, old_copy)
        except OSError:
            _write_new_private(old_copy, key_file.read_bytes())
    os.replace(pending, key_file)
    fsync_dir(key_file.parent)
    if old_copy is not None and not keep_old:
        old_copy.unlink(missing_ok=True)
        fsync_dir(key_file.parent)
        return None
    return old_copy
