"""What every command needs: the settings, and the opened runtime (db, policy, vault)."""

from __future__ import annotations

from trackguard.settings import Settings


def load_settings() -> Settings:
    """Settings from the `TRACKGUARD_*` environment (every command honours them)."""
    return Settings()
