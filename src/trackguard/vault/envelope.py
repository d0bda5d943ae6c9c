"""Byte formats of the vault: field ciphertexts, wrapped keys, the master-key check value.

Pure functions over bytes, no I/O. Every AES-GCM use carries associated data
naming exactly what the bytes belong to, so bytes moved anywhere else fail to
authenticate instead of decrypting to the wrong thing.

Field ciphertext::

    0x01 | key version (4 bytes, big-endian) | nonce (12) | ciphertext + tag (16)

    associated data = the 5-byte header + "subject NUL class NUL table NUL column NUL row"

Wrapped key (data key or index key under the master key)::

    0x01 | nonce (12) | AES-GCM(32-byte key) + tag (16)
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from trackguard.errors import CiphertextError, VaultError

_urandom = os.urandom  # one fresh random nonce per field, from the OS

FIELD_FORMAT = 1
WRAP_FORMAT = 1
HEADER_LEN = 5
NONCE_LEN = 12
TAG_LEN = 16
DATA_KEY_LEN = 32
MIN_FIELD_LEN = HEADER_LEN + NONCE_LEN + TAG_LEN
MAX_KEY_VERSION = 2**32 - 1
WRAPPED_LEN = 1 + NONCE_LEN + DATA_KEY_LEN + TAG_LEN

_DATA_KEY_AAD = b"trackguard data key\x00"
_INDEX_KEY_AAD = b"trackguard index key"
_CHECK_AAD = b"trackguard master key check"
_CHECK_TEXT = b"this database's data keys are wrapped by this master key"


def field_header(version: int) -> bytes:
    if not 1 <= version <= MAX_KEY_VERSION:
        raise VaultError(f"key version {version} is out of range")
    return bytes((FIELD_FORMAT,)) + version.to_bytes(4, "big")


class DataKey:
    """One unwrapped data key, ready to seal and open fields of one subject and class.

    The header and the subject/class part of the associated data are built once
    here, so a field operation only joins table, column and row: this is the
    encryption hot path (position ingest), measured by `bench/vault.py`.
    """

    __slots__ = ("_aad_prefix", "_cipher", "header", "version")

    def __init__(self, key: bytes, subject: str, key_class: str, version: int) -> None:
        self.version = version
        self.header = field_header(version)
        self._cipher = AESGCM(key)
        # Subject and class come before the NUL-separated table/column/row; neither may
        # hold NUL (checked by the vault), so the encoding is unambiguous.
        self._aad_prefix = self.header + f"{subject}\x00{key_class}\x00".encode()

    def __repr__(self) -> str:
        return f"DataKey(version={self.version})"

    def seal(self, data: bytes, table: str, column: str, row: str) -> bytes:
        place = f"{table}\x00{column}\x00{row}"
        if place.count("\x00") != 2:
            raise VaultError("table and column names must not contain NUL characters")
        nonce = _urandom(NONCE_LEN)
        return (
            self.header
            + nonce
            + self._cipher.encrypt(nonce, data, self._aad_prefix + place.encode())
        )

    def open(self, blob: bytes, table: str, column: str, row: str) -> bytes:
        """Plaintext of `blob` (already checked by `field_version`), or CiphertextError."""
        place = f"{table}\x00{column}\x00{row}"
        try:
            return self._cipher.decrypt(
                blob[HEADER_LEN : HEADER_LEN + NONCE_LEN],
                blob[HEADER_LEN + NONCE_LEN :],
                self._aad_prefix + place.encode(),
            )
        except InvalidTag:
            raise CiphertextError(
                "ciphertext does not authenticate: it is corrupt, or belongs to another "
                "table, column, row or subject"
            ) from None


def field_version(blob: object) -> tuple[int, bytes]:
    """(key version, blob as bytes) of a well-formed field ciphertext, or CiphertextError."""
    if type(blob) is not bytes:
        if not isinstance(blob, bytearray | memoryview):
            raise CiphertextError(f"a ciphertext is bytes, not {type(blob).__name__}")
        blob = bytes(blob)
    if len(blob) < MIN_FIELD_LEN:
        raise CiphertextError("ciphertext is truncated")
    if blob[0] != FIELD_FORMAT:
        raise CiphertextError(f"unknown ciphertext format {blob[0]}")
    version = int.from_bytes(blob[1:HEADER_LEN], "big")
    if version == 0:
        raise CiphertextError("ciphertext names key version 0, which never exists")
    return version, blob


def _wrap(master: AESGCM, key: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_LEN)
    return bytes((WRAP_FORMAT,)) + nonce + master.encrypt(nonce, key, aad)


def _unwrap(master: AESGCM, wrapped: bytes, aad: bytes, what: str) -> bytes:
    wrapped = bytes(wrapped)
    if len(wrapped) != WRAPPED_LEN or wrapped[0] != WRAP_FORMAT:
        raise VaultError(f"{what} is damaged (wrong length or format)")
    try:
        return master.decrypt(wrapped[1 : 1 + NONCE_LEN], wrapped[1 + NONCE_LEN :], aad)
    except InvalidTag:
        raise VaultError(
            f"{what} does not unwrap under its master key: the row is damaged or was "
            "changed outside trackguard"
        ) from None


def _data_key_aad(subject: str, key_class: str, version: int) -> bytes:
    return _DATA_KEY_AAD + f"{subject}\x00{key_class}\x00{version}".encode()


def wrap_data_key(master: AESGCM, key: bytes, subject: str, key_class: str, version: int) -> bytes:
    return _wrap(master, key, _data_key_aad(subject, key_class, version))


def unwrap_data_key(
    master: AESGCM, wrapped: bytes, subject: str, key_class: str, version: int
) -> bytes:
    what = f"data key {key_class} v{version} of subject {subject}"
    return _unwrap(master, wrapped, _data_key_aad(subject, key_class, version), what)


def wrap_index_key(master: AESGCM, key: bytes) -> bytes:
    return _wrap(master, key, _INDEX_KEY_AAD)


def unwrap_index_key(master: AESGCM, wrapped: bytes) -> bytes:
    return _unwrap(master, wrapped, _INDEX_KEY_AAD, "the blind-index key")


def make_check_value(master: AESGCM) -> bytes:
    nonce = os.urandom(NONCE_LEN)
    return nonce + master.encrypt(nonce, _CHECK_TEXT, _CHECK_AAD)


def check_value_matches(master: AESGCM, check_value: bytes) -> bool:
    """True when `master` is the key that made `check_value`."""
    check_value = bytes(check_value)
    try:
        return master.decrypt(check_value[:NONCE_LEN], check_value[NONCE_LEN:], _CHECK_AAD) == (
            _CHECK_TEXT
        )
    except (InvalidTag, ValueError):
        return False
