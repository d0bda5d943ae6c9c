"""Rows joined from column matrices: constant fields, varying ones and padding alike."""

from __future__ import annotations

import numpy as np

from trackguard.privacy.export.text_columns import (
    choices,
    constant,
    decimals,
    join_rows,
    present_only,
    strings,
)


def test_rows_join_constant_varying_empty_and_padded_fields() -> None:
    values = np.array([1.5, np.nan, -20.25])
    rows = join_rows(
        [
            constant(3, b"a,"),
            decimals(values, 6, shortest=True),
            np.zeros((3, 0), np.uint8),
            constant(3, b","),
            strings(["x", None, "yyy"]),
            choices(np.array([0, 1, 0]), [b"true", b"false"]),
            constant(3, b"\n"),
        ]
    )
    assert rows == b"a,1.5,xtrue\na,,false\na,-20.25,yyytrue\n"


def test_rows_without_padding_and_single_or_no_rows_join_too() -> None:
    assert join_rows([constant(2, b"<"), strings(["ab", "cd"]), constant(2, b">")]) == b"<ab><cd>"
    assert join_rows([strings(["only"]), constant(1, b"\n")]) == b"only\n"
    assert join_rows([constant(0, b"x"), strings([])]) == b""


def test_one_choice_throughout_and_all_present_stay_constant_views() -> None:
    same = choices(np.full(4, 1), [b"false", b"true"])
    assert same.strides[0] == 0 and join_rows([same]) == b"true" * 4
    tag = constant(3, b"<ele>")
    assert present_only(tag, np.ones(3, np.bool_)) is tag
    assert join_rows([present_only(tag, np.array([True, False, True]))]) == b"<ele><ele>"
