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


# "0000" to "9999", four ASCII digits in each uint32 (in memory order).
_QUADS = np.frombuffer(b"".join(b"%04d" % n for n in range(10_000)), np.uint32)


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
    if len(codes) and codes.min() == codes.max():  # one value throughout, as a rule
        return constant(len(codes), texts[int(codes[0])].replace(b"\0", b""))
    width = max((len(t) for t in texts), default=0)
    table = np.zeros((len(texts), width), np.uint8)
    for row, text in enumerate(texts):
        table[row, : len(text)] = np.frombuffer(text.replace(b"\0", b""), np.uint8)
    return table[codes]


def present_only(matrix: TextMatrix, present: npt.NDArray[np.bool_]) -> TextMatrix:
    """`matrix` with the rows where `present` is false blanked (optional XML elements)."""
    if present.all():
        return matrix  # still a `constant` view, if it was one
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
    return _digit_text(digits, places, np.signbit(filled), absent, shortest=shortest)


def _digit_text(
    digits: npt.NDArray[np.int64],
    places: int,
    negative: npt.NDArray[np.bool_],
    absent: npt.NDArray[np.bool_],
    *,
    shortest: bool,
) -> TextMatrix:
    """`digits` (scaled by 10**places, not negative) as text with `places` decimals, leading
    zeros blanked (and trailing ones too when `shortest`, as repr drops them)."""
    count = len(digits)
    width = len(str(int(digits.max()) // 10**places)) if count else 1  # whole part
    total = width + places
    groups = -(-total // 4)
    # Four digits at a time from a table, as one uint32 each: a quarter of the divisions,
    # in int32 where the values allow (twice as fast). Leading zeros fill the left.
    rest = digits.astype(np.int32) if count and int(digits.max()) < 2**31 else digits
    quads = np.empty((count, groups), np.uint32)
    for group in range(groups - 1, -1, -1):
        higher = rest // 10_000
        quads[:, group] = _QUADS.take(rest - higher * 10_000)
        rest = higher
    digit_text = quads.view(np.uint8)[:, 4 * groups - total :]
    signed = bool(negative.any())
    text = np.empty((count, signed + total + (places > 0)), np.uint8)
    if signed:
        text[:, 0] = np.where(negative, np.uint8(ord("-")), np.uint8(0))
    whole = text[:, signed : signed + width]
    whole[...] = digit_text[:, :width]
    leading = np.ones(count, np.bool_)  # every digit left of here is a zero
    for column in range(width - 1):  # the units digit always shows
        leading &= whole[:, column] == ord("0")
        np.copyto(whole[:, column], 0, where=leading)
    if places:
        text[:, signed + width] = ord(".")
        fraction = text[:, signed + width + 1 :]
        fraction[...] = digit_text[:, width:]
        if shortest:  # the first decimal always shows ("36.0")
            trailing = np.ones(count, np.bool_)
            for column in range(places - 1, 0, -1):
                trailing &= fraction[:, column] == ord("0")
                np.copyto(fraction[:, column], 0, where=trailing)
    text[absent] = 0
    return text


def _repr_text(values: Floats) -> TextMatrix:
    return strings([None if v != v else repr(v) for v in values.tolist()])


def join_rows(fields: Sequence[TextMatrix]) -> bytes:
    """The rows of `fields` laid side by side, padding removed: one bytes object."""
    count = len(fields[0]) if fields else 0
    starts = np.cumsum([0] + [f.shape[1] for f in fields]).tolist()
    # Constant fields (`constant`'s views) are laid down at once, as one row repeated:
    # copying narrow fields costs per row, not per byte.
    template = np.zeros(starts[-1], np.uint8)
    varying = []
    for field, start, stop in zip(fields, starts, starts[1:], strict=False):
        if field.strides[0] == 0 or count <= 1:
            template[start:stop] = field[0] if count else 0
        else:
            varying.append((field, start, stop))
    rows = np.empty((count, starts[-1]), np.uint8)
    rows[...] = template
    for field, start, stop in varying:
        rows[:, start:stop] = field
    text = rows.tobytes()
    # bytes.translate deletes a byte value in one tight C loop, faster than a numpy mask;
    # fixed-width columns leave no padding at all, and `in` finds that out at memchr speed.
    return text.translate(None, b"\0") if b"\0" in text else text
