"""Binary column encoding of position blocks (format 2): numbers and flags as arrays.

Format 1 (`position_blocks`) stores every column as JSON; reading a million fixes
back then costs more in `orjson.loads` than everything the export does with
them. Here each column takes the cheapest of a few kinds that holds its values
exactly, chosen when the block is written, and numbers and flags come back
through `np.frombuffer` (pure, no I/O):

* NONE: every value None (no bytes).
* FLAG: True / False / None as one byte each (1, 0, 2: the export's flag codes).
* INT: Python ints in the smallest little-endian integer type that holds them.
* SCALED: floats with at most `scale` decimals, as integers times 10**-scale
  (kept only where dividing gives back the very same float, sign of zero included).
* FLOAT: any other finite floats, as float64.
* CODED: text (few distinct values, as a rule): the distinct values as JSON and
  one code per fix.
* TEXT: text of one fixed width, ASCII, back to back (fix and receiving times).
* JSON: anything else (attributes, mixed types), a JSON array as in format 1,
  zlib-compressed when it is long (`JSON_DEFLATE_BYTES`): protocol attributes
  repeat their keys on every fix.

INT, SCALED and FLOAT carry a missing-value mask (one byte per fix) when a value
is None. A block's plaintext is `MAGIC`, a compression byte and the body:

    count (uint32) | per column: kind, dtype, scale, masked (uint8 each), size (uint32), data

All numbers little-endian. `MAGIC` starts with a byte no zlib stream starts with,
so format 1 blocks (zlib, then JSON) are told apart by their first bytes.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt
import orjson
from isal import isal_zlib

from trackguard.errors import CiphertextError

MAGIC = b"TGB\x02"  # 'T': the low nibble of a zlib stream's first byte is always 8
STORED, DEFLATED = 0, 1  # how the body follows the header
NONE, FLAG, INT, SCALED, FLOAT, CODED, TEXT, JSON = range(8)
FALSE_CODE, TRUE_CODE, NONE_CODE = 0, 1, 2
MAX_SCALE = 9  # decimal places tried for SCALED (a tracker resolves far fewer)
JSON_DEFLATE_BYTES = 1024
RAW_JSON, DEFLATED_JSON = 0, 1  # a JSON column's dtype byte

_COLUMN_HEAD = struct.Struct("<BBBBI")
_COUNT = struct.Struct("<I")
_INTEGERS: tuple[np.dtype[Any], ...] = tuple(map(np.dtype, ("<i1", "<i2", "<i4", "<i8")))
_CODES: tuple[np.dtype[Any], ...] = tuple(map(np.dtype, ("<u1", "<u2", "<u4")))
_FLOAT: np.dtype[Any] = np.dtype("<f8")
_NONE, _BOOL = type(None), bool
_JSON_ZLIB_LEVEL = 6
# Deflate is read and (for the body) written with ISA-L: the same zlib streams at a
# fraction of zlib's CPU (inflating a day of history ~1.4x, deflating ~4x faster).
_UNDECODABLE: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    OverflowError,
    struct.error,
    zlib.error,
    cast(type[Exception], isal_zlib.error),  # its stub calls it an instance
)
_encode_json = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode

Mask = npt.NDArray[np.bool_]


# -- decoded columns ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoneColumn:
    count: int

    def to_list(self) -> list[Any]:
        return [None] * self.count


@dataclass(frozen=True, slots=True)
class FlagColumn:
    codes: bytes  # FALSE_CODE, TRUE_CODE, NONE_CODE, one byte each

    def to_list(self) -> list[Any]:
        codes = self.codes
        if codes == codes[:1] * len(codes):  # one value throughout, as a rule
            return [_FLAG_VALUES[codes[0]]] * len(codes) if codes else []
        found: list[Any] = _FLAG_OBJECTS[np.frombuffer(codes, np.uint8)].tolist()  # in C
        return found

    def array(self) -> npt.NDArray[np.intp]:
        return np.frombuffer(self.codes, np.uint8).astype(np.intp)


_FLAG_VALUES: tuple[bool | None, ...] = (False, True, None)
_FLAG_OBJECTS = np.array(_FLAG_VALUES, dtype=object)
_FLAG_CODES = bytes((FALSE_CODE, TRUE_CODE, NONE_CODE))


@dataclass(frozen=True, slots=True)
class NumberColumn:
    """INT (int64 values) or SCALED / FLOAT (float64 values); `missing` marks the Nones."""

    values: npt.NDArray[Any]  # an integer type (INT) or float64
    missing: Mask | None

    def to_list(self) -> list[Any]:
        if self.missing is None:
            found: list[Any] = self.values.tolist()  # Python ints or floats, as stored
            return found
        # Through an object array, the Nones set in C rather than one by one.
        objects = self.values.astype(object)
        objects[self.missing] = None
        with_none: list[Any] = objects.tolist()
        return with_none

    def floats(self) -> npt.NDArray[np.float64]:
        """float64 with NaN for a missing value (stored values are never NaN)."""
        values = self.values.astype(np.float64)
        if self.missing is not None:
            values[self.missing] = np.nan
        return values


@dataclass(frozen=True, slots=True)
class CodedColumn:
    distinct: list[Any]
    codes: npt.NDArray[np.intp]

    def to_list(self) -> list[Any]:
        if len(self.distinct) == 1:
            return self.distinct * len(self.codes)
        return list(map(self.distinct.__getitem__, self.codes.tolist()))


@dataclass(frozen=True, slots=True)
class TextColumn:
    """ASCII values of one width, each followed by a newline (so one `split` lists them)."""

    text: bytes
    width: int

    @property
    def matrix(self) -> npt.NDArray[np.uint8]:
        """(count, width), a view without the newlines."""
        rows = np.frombuffer(self.text, np.uint8).reshape(-1, self.width + 1)
        return rows[:, : self.width]

    def to_list(self) -> list[Any]:
        return self.text[:-1].decode("ascii").split("\n")


@dataclass(frozen=True, slots=True)
class ListColumn:
    values: list[Any]

    def to_list(self) -> list[Any]:
        return self.values


Column = NoneColumn | FlagColumn | NumberColumn | CodedColumn | TextColumn | ListColumn


# -- encoding -------------------------------------------------------------------------


def encode_columns(
    columns: Sequence[list[Any]], *, text_widths: Sequence[int | None], level: int | None
) -> bytes:
    """The plaintext of columns of equal length; `text_widths[i]` lets column i be TEXT of
    that width; `level`: deflate level for the body (ISA-L, 0-3), None to store it as is."""
    count = len(columns[0])
    parts = [_COUNT.pack(count)]
    for values, width in zip(columns, text_widths, strict=True):
        if len(values) != count:
            raise ValueError("the columns of a block differ in length")
        kind, dtype, scale, mask, data = _encoded(values, width)
        parts.append(_COLUMN_HEAD.pack(kind, dtype, scale, mask is not None, _size(mask, data)))
        if mask is not None:
            parts.append(mask)
        parts.append(data)
    body = b"".join(parts)
    if level is None:
        return MAGIC + bytes([STORED]) + body
    return MAGIC + bytes([DEFLATED]) + isal_zlib.compress(body, level)


def _size(mask: bytes | None, data: bytes) -> int:
    return len(data) + (0 if mask is None else len(mask))


Encoded = tuple[int, int, int, bytes | None, bytes]  # kind, dtype, scale, mask, data


def _encoded(values: list[Any], width: int | None) -> Encoded:
    types = set(map(type, values))
    if width is not None and types == {str}:
        text = _fixed_width_text(values, width)
        if text is not None:
            return TEXT, 0, width, None, text
    if types <= {_NONE}:
        return NONE, 0, 0, None, b""
    if types <= {_BOOL, _NONE}:
        codes = bytes(NONE_CODE if v is None else int(v) for v in values)
        return FLAG, 0, 0, None, codes
    if types <= {int, _NONE}:
        encoded = _integers(values)
        if encoded is not None:
            return encoded
    if types <= {float, _NONE}:
        return _floats(values)
    if types <= {str, _NONE} and len(values) > 1:
        distinct = list(dict.fromkeys(values))
        if len(distinct) <= 2**32:
            index = {value: n for n, value in enumerate(distinct)}
            code_type = next(t for t in _CODES if len(distinct) <= 2 ** (8 * t.itemsize))
            coded = np.fromiter(map(index.__getitem__, values), np.int64, len(values))
            listed = _encode_json(distinct).encode()
            data = _COUNT.pack(len(listed)) + listed + coded.astype(code_type).tobytes()
            return CODED, _CODES.index(code_type), 0, None, data
    listed = _encode_json(values).encode()
    if len(listed) >= JSON_DEFLATE_BYTES:
        return JSON, DEFLATED_JSON, 0, None, zlib.compress(listed, _JSON_ZLIB_LEVEL)
    return JSON, RAW_JSON, 0, None, listed


def _fixed_width_text(values: list[str], width: int) -> bytes | None:
    if set(map(len, values)) != {width}:
        return None
    joined = "\n".join(values) + "\n"
    if not joined.isascii() or joined.count("\n") != len(values):
        return None
    return joined.encode("ascii")


def _mask_of(values: list[Any]) -> tuple[bytes | None, list[Any]]:
    """The missing mask (None when nothing is missing) and the values with 0 for None."""
    if None not in values:
        return None, values
    mask = bytes(v is None for v in values)
    return mask, [0 if v is None else v for v in values]


def _integers(values: list[Any]) -> Encoded | None:
    mask, filled = _mask_of(values)
    low, high = min(filled), max(filled)
    for code, dtype in enumerate(_INTEGERS):
        limit = 2 ** (8 * dtype.itemsize - 1)
        if -limit <= low and high < limit:
            return INT, code, 0, mask, np.array(filled, dtype).tobytes()
    return None  # beyond 64 bits: JSON


def _floats(values: list[Any]) -> Encoded:
    mask, filled = _mask_of(values)
    array = np.array(filled, np.float64)
    if not np.isfinite(array).all():
        raise ValueError("a position block holds numbers only, never NaN or infinity")
    bits = array.view(np.int64)
    magnitude = float(np.abs(array).max()) if len(array) else 0.0
    for scale in range(MAX_SCALE + 1):
        if magnitude * 10.0**scale >= 2**31:
            break
        scaled = np.rint(array * 10.0**scale)
        back = scaled.astype(np.int64).astype(np.float64) / 10.0**scale  # as decoded
        if np.array_equal(back.view(np.int64), bits):  # bit for bit: -0.0 stays FLOAT
            for code, dtype in enumerate(_INTEGERS[:3]):
                limit = 2 ** (8 * dtype.itemsize - 1)
                if -limit <= scaled.min() and scaled.max() < limit:
                    return SCALED, code, scale, mask, scaled.astype(dtype).tobytes()
    return FLOAT, 0, 0, mask, array.astype(_FLOAT).tobytes()


# -- decoding -------------------------------------------------------------------------


def is_array_block(plain: bytes) -> bool:
    return plain[: len(MAGIC)] == MAGIC


def decode_columns(plain: bytes, expected_count: int, expected_columns: int) -> list[Column]:
    """The columns of a format 2 plaintext; CiphertextError for anything else."""
    raws = raw_columns(plain, expected_count, expected_columns)
    return [read_column(raw) for raw in raws]


class RawColumn(NamedTuple):  # a tuple: made per column and block, it is cheap
    """One column of a block as stored, its sizes checked, its values not yet read."""

    kind: int
    dtype: int
    scale: int
    mask: bytes | memoryview | None  # one byte per fix, non-zero where the value is None
    data: bytes | memoryview
    fixes: int


@contextmanager
def refused_as_ciphertext() -> Iterator[None]:
    """What corrupt block bytes make the readers here raise, raised as CiphertextError."""
    try:
        yield
    except CiphertextError:
        raise
    except _UNDECODABLE:
        raise CiphertextError("a position block does not decode") from None


def raw_columns(plain: bytes, expected_count: int, expected_columns: int) -> list[RawColumn]:
    """The columns of a format 2 plaintext as stored (`read_column` reads one);
    CiphertextError for anything else."""
    with refused_as_ciphertext():
        columns = _split(plain, expected_count)
    if len(columns) != expected_columns:
        raise CiphertextError("a position block has other columns")
    return columns


def read_column(raw: RawColumn) -> Column:
    """A column's values; CiphertextError when they are not what its kind holds."""
    with refused_as_ciphertext():
        return _column(raw)


def _split(plain: bytes, expected_count: int) -> list[RawColumn]:
    if not is_array_block(plain) or len(plain) <= len(MAGIC):
        raise CiphertextError("a position block has an unknown format")
    compression = plain[len(MAGIC)]
    body = plain[len(MAGIC) + 1 :]
    if compression == DEFLATED:
        body = isal_zlib.decompress(body)
    elif compression != STORED:
        raise CiphertextError("a position block has an unknown compression")
    view = memoryview(body)
    (count,) = _COUNT.unpack_from(view, 0)
    if count != expected_count:
        raise CiphertextError("a position block's columns do not match its fix count")
    offset = _COUNT.size
    columns: list[RawColumn] = []
    while offset < len(view):
        kind, dtype, scale, masked, size = _COLUMN_HEAD.unpack_from(view, offset)
        offset += _COLUMN_HEAD.size
        if offset + size > len(view):
            raise CiphertextError("a position block is cut short")
        data = view[offset : offset + size]
        offset += size
        mask = None
        if masked:
            if kind not in (INT, SCALED, FLOAT) or size < count:
                raise CiphertextError("a position block's column has a mask it cannot have")
            mask, data = data[:count], data[count:]
        expected = _fixed_size(kind, dtype, scale, count)
        if expected is not None and len(data) != expected:
            raise CiphertextError("a position block's column does not match its fix count")
        columns.append(RawColumn(kind, dtype, scale, mask, data, count))
    return columns


def _fixed_size(kind: int, dtype: int, scale: int, count: int) -> int | None:
    """The data size a column of `count` fixes must have; None where its kind fixes none
    (its values are checked as they are read, or refused there)."""
    if kind == FLAG:
        return count
    if kind in (INT, SCALED) and dtype < len(_INTEGERS):
        return count * _INTEGERS[dtype].itemsize
    if kind == FLOAT:
        return count * _FLOAT.itemsize
    if kind == TEXT and scale:
        return count * (scale + 1)
    return None


def _column(raw: RawColumn) -> Column:
    kind, dtype, scale, data, count = raw.kind, raw.dtype, raw.scale, raw.data, raw.fixes
    missing: Mask | None = None
    if raw.mask is not None:
        missing = _exact(raw.mask, np.dtype(np.uint8), count) != 0
    if kind == NONE and not data:
        return NoneColumn(count)
    if kind == FLAG:
        flags = bytes(data)
        if len(flags) != count or flags.translate(None, _FLAG_CODES):
            raise CiphertextError("a position block's flags are not flags")
        return FlagColumn(flags)
    if kind == INT:  # `tolist` gives Python ints of any integer type
        return NumberColumn(_exact(data, _INTEGERS[dtype], count), missing)
    if kind == SCALED and dtype < 3 and scale <= MAX_SCALE:
        # As `_floats` checked: each integer as float64, divided (correctly rounded).
        scaled = _exact(data, _INTEGERS[dtype], count)
        return NumberColumn(np.true_divide(scaled, 10.0**scale, dtype=np.float64), missing)
    if kind == FLOAT:
        return NumberColumn(_exact(data, _FLOAT, count), missing)
    if kind == CODED:
        distinct, codes = coded_parts(raw)
        return CodedColumn(distinct, codes.astype(np.intp))
    if kind == TEXT and scale and count:
        text = bytes(data)
        if (
            len(text) != count * (scale + 1)
            or not text.isascii()
            or text.count(b"\n") != count
            or text[scale :: scale + 1] != (b"\n" * count)
        ):
            raise CiphertextError("a position block's text is not in its columns")
        return TextColumn(text, scale)
    if kind == JSON:
        return ListColumn(json_values(raw))
    raise CiphertextError("a position block has a column of an unknown kind")


# `coded_split`, `coded_parts` and `json_values` raise what corrupt bytes make them raise:
# callers read them inside `refused_as_ciphertext`.


def coded_split(raw: RawColumn) -> int:
    """Where a CODED column's codes begin (after the JSON list of its distinct values)."""
    (listed,) = _COUNT.unpack_from(raw.data, 0)
    return _COUNT.size + listed


def coded_parts(raw: RawColumn) -> tuple[list[Any], npt.NDArray[Any]]:
    """A CODED column's distinct values and its codes (as stored), checked."""
    codes_at = coded_split(raw)
    distinct = orjson.loads(bytes(raw.data[_COUNT.size : codes_at]))
    codes = _exact(raw.data[codes_at:], _CODES[raw.dtype], raw.fixes)
    if not isinstance(distinct, list) or (raw.fixes and codes.max() >= len(distinct)):
        raise CiphertextError("a position block's codes name no value")
    return distinct, codes


def json_values(raw: RawColumn) -> list[Any]:
    """A JSON column's values, checked to be one per fix."""
    data = raw.data
    if raw.dtype not in (RAW_JSON, DEFLATED_JSON):
        raise CiphertextError("a position block has a column of an unknown kind")
    values = orjson.loads(isal_zlib.decompress(data) if raw.dtype == DEFLATED_JSON else data)
    if not isinstance(values, list) or len(values) != raw.fixes:
        raise CiphertextError("a position block's column does not match its fix count")
    return values


def _exact(data: bytes | memoryview, dtype: np.dtype[Any], count: int) -> npt.NDArray[Any]:
    """`count` values of `dtype` filling `data` exactly."""
    if len(data) != count * dtype.itemsize:
        raise CiphertextError("a position block's column does not match its fix count")
    return np.frombuffer(data, dtype)
