"""Columns of values as text, formatted a whole column at a time with numpy.

A million positions leave about two microseconds each for the whole export, so
no value is formatted on its own in Python: each column becomes a byte matrix
(one row per value, ASCII or UTF-8 bytes, NUL bytes as padding), the matrices
of a row's fields are laid side by side, and the padding is squeezed out in one
pass (`join_rows`). Text values never hold NUL bytes (`strings` drops them).

Numbers are written from their scaled integers, digit by digit: `decimals`
writes what `repr` writes for every value with at most `places` decimals
(`52.09031`, `36.0`), or exactly `places` decimals as `%.{places}f` does
(rounding the exact binary value: the few products near a half ask Python);
anything else (more decimals, magnitudes beyond 2**53 at that scale) falls back
to `repr`, value by value. One deliberate difference from `repr`: magnitudes
below 0.0001 are written as decimals (`0.00001`), never in exponent notation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

TextMatrix = npt.NDArray[np.uint8]  # (values, width); NUL bytes are padding
Floats = npt.NDArray[np.float64]  # NaN where a value is absent (stored values are never NaN)

_EXACT_LIMIT = 2.0**53
_NEAR_HALF = 1e-6  # in units of the last place; below 2**30 products err far less


def constant(count: int, text: bytes) -> TextMatrix:
    """`text` on every one of `count` rows (a view: no copy until the rows are joined)."""
    return np.broadcast_to(np.frombuffer(text, np.uint8), (count, len(text)))


def fixed_width(values: Sequence[str], width: int) -> TextMatrix | None:
    """ASCII `values` of exactly `width` characters each, or None when they are not."""
    joined = "".join(values).encode()
    if len(joined) != width * len(values):
        return None
    return np.frombuffer(joined, np.uint8).reshape(len(values), width)


def strings(values: Sequence[str | None]) -> TextMatrix:
    """Any text, value by value (for columns without a faster shape); None is empty."""
    encoded = [b"" if v is None else v.replace("\0", "").encode() for v in values]
    width = max((len(e) for e in encoded), default=0)
    if width == 0:
        return np.zeros((len(values), 0), np.uint8)
    return np.array(encoded, dtype=f"S{width}").view(np.uint8).reshape(len(values), width)


def choices(codes: npt.NDArray[np.intp], texts: Sequence[bytes]) -> TextMatrix:
    """`texts[code]` for each code: few distinct values (flags, protocol names)."""
    width = max((len(t) for t in texts), default=0)
    table = np.zeros((len(texts), width), np.uint8)
    for row, text in enumerate(texts):
        table[row, : len(text)] = np.frombuffer(text.replace(b"\0", b""), np.uint8)
    return table[codes]


def present_only(matrix: TextMatrix, present: npt.NDArray[np.bool_]) -> TextMatrix:
    """`matrix` with the rows where `present` is false blanked (optional XML elements)."""
    return np.where(present[:, None], matrix, np.uint8(0))


def decimals(values: Floats, places: int, *, shortest: bool) -> TextMatrix:
    """Numbers as decimal text, NaN as nothing (see module doc); `places` 0 writes integers."""
    absent = np.isnan(values)
    filled = np.where(absent, 0.0, values)
    magnitude = np.abs(filled)
    if shortest:
        # The fewest places that hold every value exactly write the same text (repr's
        # trailing zeros go anyway) with less work: one decimal covers speeds and the like.
        for fewer in sorted({min(1, places), places}):
            scaled = np.rint(magnitude * 10.0**fewer)
            if np.array_equal(scaled / 10.0**fewer, magnitude):
                places = fewer
                break
        else:
            return _repr_text(values)
    else:
        scaled = np.rint(magnitude * 10.0**places)
    if scaled.size and scaled.max() >= _EXACT_LIMIT:
        return _repr_text(values)
    digits = scaled.astype(np.int64)
    if not shortest:
        # Where the product lies next to a half (or is too large to tell), its rounding error
        # could tip it: those few values are rounded by Python's formatter, exactly.
        product = magnitude * 10.0**places
        doubtful = (np.abs(product - np.floor(product) - 0.5) < _NEAR_HALF) | (product >= 2**30)
        for row in np.flatnonzero(doubtful):
            digits[row] = int(f"{abs(filled[row]):.{places}f}".replace(".", ""))
    whole, fraction = np.divmod(digits, 10**places)
    width = len(str(int(whole.max()))) if whole.size else 1
    negative = np.signbit(filled)
    signed = bool(negative.any())
    text = np.empty((len(values), signed + width + (places > 0) + places), np.uint8)
    if signed:
        text[:, 0] = np.where(negative, np.uint8(ord("-")), np.uint8(0))
    column = text.shape[1]
    trailing = np.ones(len(values), np.bool_)  # every digit right of here is a zero
    for position in range(places):  # right to left
        fraction, digit = np.divmod(fraction, 10)
        column -= 1
        text[:, column] = digit + ord("0")
        if shortest and position < places - 1:  # trailing zeros go, as repr drops them
            trailing &= digit == 0
            text[trailing, column] = 0
    if places:
        column -= 1
        text[:, column] = ord(".")
    for position in range(width):
        whole, digit = np.divmod(whole, 10)
        column -= 1
        text[:, column] = digit + ord("0")
        if position > 0:  # no leading zeros: the units digit always shows
            text[(whole == 0) & (digit == 0), column] = 0
    text[absent] = 0
    return text


def _repr_text(values: Floats) -> TextMatrix:
    return strings([None if v != v else repr(v) for v in values.tolist()])


def join_rows(fields: Sequence[TextMatrix]) -> bytes:
    """The rows of `fields` laid side by side, padding removed: one bytes object."""
    # bytes.translate deletes a byte value in one tight C loop, faster than a numpy mask.
    return np.concatenate(fields, axis=1).tobytes().translate(None, b"\0")
