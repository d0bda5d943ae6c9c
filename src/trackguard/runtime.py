"""Opening trackguard: data dir, migrated database, loaded policy, unlocked vault.

Every command and the server start through `Runtime.open`, so they all refuse
the same way when something is wrong (a bad policy, a missing key file).
"""

from __future__ import annotations

from dataclasses import dataclass

from trackguard.clock import Clock, system_clock
from trackguard.policy import Policy, load_policy
from trackguard.privacy.retention.key_classes import move_key_classes
from trackguard.settings import Settings
from trackguard.store import migrate
from trackguard.store.engine import Database
from trackguard.vault import Vault, open_vault


@dataclass
class Runtime:
    settings: Settings
    db: Database
    policy: Policy
    vault: Vault
    clock: Clock

    @classmethod
    def open(cls, settings: Settings, *, clock: Clock = system_clock) -> Runtime:
        """Load the policy first (cheap, and a bad one must stop us before any write),
        then migrate the database and unlock the vault."""
        policy = load_policy(settings.policy_file)
        settings.ensure_data_dir()
        db = Database.from_settings(settings)
        try:
            migrate.upgrade(db)
            vault = open_vault(db, settings.resolved_key_file, clock=clock)
            # Rows of tables that changed key class since they were written (once).
            move_key_classes(db, vault)
        except BaseException:
            db.dispose()
            raise
        return cls(settings, db, policy, vault, clock)

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
