"""The master key in use, and newer ones another process rotated to.

Several processes (gateway, web server, CLI) share one database. When one of
them rotates the master key, the others find data keys wrapped under a key id
they do not hold; they read it from the key file (or the rotation's parked
`.new-<id>` file) instead of failing.
"""

from __future__ import annotations

import threading
from pathlib import Path

from trackguard.errors import KeyFileError
from trackguard.vault.keyfile import MasterKey, pending_path, read_key_file


class MasterKeys:
    def __init__(self, key_file: Path, current: MasterKey) -> None:
        self.key_file = key_file
        self._current = current
        self._known: dict[str, MasterKey] = {current.id: current}
        self._lock = threading.Lock()

    @property
    def current(self) -> MasterKey:
        return self._current

    def get(self, master_id: str) -> MasterKey:
        """The master key with `master_id`, from memory or from disk."""
        with self._lock:
            found = self._known.get(master_id)
        if found is not None:
            return found
        pending = pending_path(self.key_file, master_id)
        for path in (self.key_file, pending):
            candidate = read_key_file(path)
            if candidate is not None and candidate.id == master_id:
                self.remember(candidate)
                return candidate
        raise KeyFileError(
            f"data keys are wrapped by master key {master_id}, which neither {self.key_file} "
            f"nor {pending.name} holds: restore the key file from backup"
        )

    def remember(self, master: MasterKey) -> None:
        with self._lock:
            self._known[master.id] = master

    def adopt(self, master: MasterKey) -> None:
        """Make `master` the key new data keys are wrapped by, and forget the others."""
        with self._lock:
            self._known = {master.id: master}
            self._current = master
