"""Moved to `trackguard.tracking.positions`; kept so demo code reads as before."""

from trackguard.tracking.positions import (
    POSITION_COLUMN,
    POSITION_KEY_CLASS,
    POSITION_TABLE,
    PositionFix,
    decode_position_payload,
    encode_position_payload,
    position_key_ref,
    position_row_binding,
)

__all__ = [
    "POSITION_COLUMN",
    "POSITION_KEY_CLASS",
    "POSITION_TABLE",
    "PositionFix",
    "decode_position_payload",
    "encode_position_payload",
    "position_key_ref",
    "position_row_binding",
]
