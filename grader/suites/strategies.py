"""Hypothesis strategies shared by the suites, in the exercises' own terms.

Valid inputs are built directly (draw a corner, then a side) rather than filtered.
"""

from __future__ import annotations

import functools

import torch
from hypothesis import strategies as st

FLOAT_DTYPES = (torch.float32, torch.float64)
dtypes = st.sampled_from(FLOAT_DTYPES)
fractional = st.booleans()


@functools.lru_cache(maxsize=None)
def _coordinates(extent: float, min_side: float, max_side: float) -> tuple:
    """(integral corner, integral side, fractional corner, fractional side), made once per bounds:
    strategies made inside a draw are validated again on every draw."""
    return (st.integers(-int(extent), int(extent)), st.integers(int(min_side), int(max_side)),
            st.floats(-extent, extent, allow_nan=False, allow_infinity=False, width=32),
            st.floats(min_side, max_side, allow_nan=False, allow_infinity=False, width=32))


@st.composite
def box_rows(draw, n: int, *, extent: float = 1e4, min_side: float = 0.0, max_side: float | None = None,
             integral: bool = False):
    """``n`` boxes as Python lists ``[x1, y1, x2, y2]`` with x2 >= x1 and y2 >= y1.

    Integer-valued corners keep every area exact in float32, so invariance properties test the
    candidate's logic rather than rounding; fractional coordinates come from a second branch
    unless ``integral``.
    """
    corner, side, fractional_corner, fractional_side = _coordinates(extent, min_side, extent if max_side is None else max_side)

    def value(integral_values, fractional_values) -> float:
        # Integral or fractional, each value on its own (shrinking towards integral): what
        # one_of(integers.map(float), floats) draws, in about two thirds of its time.
        return float(draw(fractional_values if not integral and draw(fractional) else integral_values))

    rows = []
    for _ in range(n):
        x1, y1 = value(corner, fractional_corner), value(corner, fractional_corner)
        rows.append([x1, y1, x1 + value(side, fractional_side), y1 + value(side, fractional_side)])
    return rows


@st.composite
def boxes(draw, *, min_n: int = 0, max_n: int = 12, dtype=None, extent: float = 1e4, min_side: float = 0.0,
          max_side: float | None = None, n: int | None = None, integral: bool = False):
    """An (N, 4) tensor of boxes, often with repeats and shared edges (hypothesis likes both)."""
    count = n if n is not None else draw(st.integers(min_n, max_n))
    rows = draw(box_rows(count, extent=extent, min_side=min_side, max_side=max_side, integral=integral))
    if rows and draw(st.booleans()):
        # Repeat some boxes: identical boxes are the classic edge case for IoU and NMS.
        picks = draw(st.lists(st.integers(0, len(rows) - 1), max_size=3))
        rows += [list(rows[i]) for i in picks]
    dtype = dtype if dtype is not None else draw(dtypes)
    return torch.tensor(rows, dtype=dtype).reshape(-1, 4)


@st.composite
def box_pairs(draw, **kwargs):
    """Two box sets of the same dtype."""
    dtype = draw(dtypes)
    return draw(boxes(dtype=dtype, **kwargs)), draw(boxes(dtype=dtype, **kwargs))
