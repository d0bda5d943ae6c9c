"""The vault: master key, per-subject data keys, field encryption, blind indexes, erasure.

Start with `open_vault(db, key_file)`; everything else is a method of `Vault`.
"""

from trackguard.store.base import KEY_CLASSES
from trackguard.vault.binding import FLEET_SUBJECT, FieldPlace
from trackguard.vault.opening import open_vault
from trackguard.vault.rotation import RotationReport
from trackguard.vault.status import KeyCounts, VaultStatus, vault_status
from trackguard.vault.vault import Vault

__all__ = [
    "FLEET_SUBJECT",
    "KEY_CLASSES",
    "FieldPlace",
    "KeyCounts",
    "RotationReport",
    "Vault",
    "VaultStatus",
    "open_vault",
    "vault_status",
]
