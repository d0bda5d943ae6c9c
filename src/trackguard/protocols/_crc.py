"""Reflected (LSB-first) table-driven CRC-16s, shared by the binary device protocols."""

from __future__ import annotations

from collections.abc import Callable


def reflected_crc16(poly: int, init: int, xorout: int) -> Callable[[bytes], int]:
    """A CRC-16 function for a reflected polynomial (e.g. 0x8408 for X-25, 0xA001 for ARC)."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    lookup = tuple(table)

    def crc16(data: bytes) -> int:
        crc = init
        for byte in data:
            crc = (crc >> 8) ^ lookup[(crc ^ byte) & 0xFF]
        return crc ^ xorout

    return crc16
