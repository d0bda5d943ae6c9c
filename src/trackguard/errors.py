"""One error hierarchy; the CLI and the web layer each map it to users in one place.

Messages never carry personal data or secrets: they name files, records, columns
and identifiers, not values.
"""

from __future__ import annotations


class TrackguardError(Exception):
    """Base of every error trackguard raises on purpose."""


class ConfigurationError(TrackguardError):
    """Settings or the environment do not allow trackguard to run."""


class PolicyError(TrackguardError):
    """The policy file is malformed or promises something the code cannot do."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file, self.line, self.field, self.reason = file, line, field, message
        where = ":".join(str(p) for p in (file, line) if p is not None)
        parts = [where] if where else []
        if field:
            parts.append(f"field '{field}'")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class NotFound(TrackguardError):
    """The thing asked for does not exist (or is not visible to the asker)."""


class Forbidden(TrackguardError):
    """The asker may not do this."""


class VaultError(TrackguardError):
    """Keys are missing, wrong, or destroyed."""


class KeyFileError(VaultError):
    """The master key file is missing, unreadable or does not match the database."""


class KeyDestroyed(VaultError):
    """The data key was destroyed (crypto-shredded): the data is gone for good."""


class CiphertextError(VaultError):
    """A ciphertext is corrupt, truncated, or bound to another table/column/row."""


class AuditChainBroken(TrackguardError):
    """The audit log's hash chain does not verify."""
