"""CRC-16/X-25 (GT06's CRC-ITU) computed by the C CRC of `binascii`.

`binascii.crc_hqx` is the same polynomial (0x1021) fed most significant bit
first; X-25 feeds it least significant bit first. Reversing the bits of every
input byte (one `bytes.translate`) and of the 16-bit result turns one into the
other, so the CRC costs two C calls instead of a Python step per byte — about a
tenth of the time, and GT06 takes it twice per frame (check and ack).
"""

from __future__ import annotations

import binascii


def _reversed_byte(byte: int) -> int:
    return int(f"{byte:08b}"[::-1], 2)


_REVERSED = bytes(_reversed_byte(byte) for byte in range(256))


def crc16_x25(data: bytes) -> int:
    """CRC-16/X-25: reflected 0x1021, initial value and xor-out 0xFFFF."""
    crc = binascii.crc_hqx(data.translate(_REVERSED), 0xFFFF)
    return ((_REVERSED[crc & 0xFF] << 8) | _REVERSED[crc >> 8]) ^ 0xFFFF
