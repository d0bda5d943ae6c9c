"""Two sessions creating the same subject's first key at once end up sharing one key."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select

from trackguard.store.engine import Database
from trackguard.store.models import SubjectKey
from trackguard.vault import Vault

Place = Callable[..., dict[str, str]]


def test_racing_first_encryptions_share_one_key(db: Database, vault: Vault, place: Place) -> None:
    field = place(subject="racer", row="r")
    start = threading.Barrier(2)
    blobs: list[bytes] = []
    errors: list[BaseException] = []

    def worker(text: str) -> None:
        try:
            with db.session() as session:
                start.wait()
                blobs.append(vault.encrypt(session, text, **field))
        except BaseException as exc:  # reported below, with the thread's traceback lost
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with db.session() as session:
        count = session.scalar(
            select(func.count()).select_from(SubjectKey).where(SubjectKey.subject_id == "racer")
        )
        assert count == 1
        assert sorted(vault.decrypt_text(session, b, **field) for b in blobs) == ["one", "two"]
