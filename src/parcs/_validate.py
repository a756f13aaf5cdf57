"""Argument checks shared by the public functions (private).

Each check raises one :class:`parcs.errors.ValidationError` naming the argument in backticks,
the rule and the value it got, and returns the value converted to the type the caller uses.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from parcs.errors import ValidationError

__all__ = ["check_count", "check_number", "check_positive"]


def _as_float(value: Any) -> float:  # noqa: ANN401
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        return math.nan
    return float(value)


def check_number(name: str, value: Any, *, lo: float = -math.inf, hi: float = math.inf) -> float:  # noqa: ANN401
    """Return `value` as a float if it is a finite number in ``[lo, hi]``.

    Raises
    ------
    ValidationError
        If `value` is not a number (booleans and strings are refused), not finite, or out of
        range.
    """
    val = _as_float(value)
    if not (math.isfinite(val) and lo <= val <= hi):
        bounds = []
        if math.isfinite(lo):
            bounds.append(f">= {lo:g}")
        if math.isfinite(hi):
            bounds.append(f"<= {hi:g}")
        rule = f"a finite number {' and '.join(bounds)}".rstrip()
        msg = f"`{name}` must be {rule}, got {value!r}"
        raise ValidationError(msg)
    return val


def check_positive(name: str, value: Any, *, allow_zero: bool = False, unit: str = "") -> float:  # noqa: ANN401
    """Return `value` as a float if it is a finite number > 0 (>= 0 with `allow_zero`).

    Raises
    ------
    ValidationError
        If `value` is not such a number.
    """
    val = _as_float(value)
    ok = val >= 0 if allow_zero else val > 0
    if not (ok and math.isfinite(val)):
        bound = ">= 0" if allow_zero else "> 0"
        what = f" of {unit}" if unit else ""
        msg = f"`{name}` must be a finite number{what} {bound}, got {value!r}"
        raise ValidationError(msg)
    return val


def check_count(name: str, value: Any, *, lo: int = 1, hi: int | None = None) -> int:  # noqa: ANN401
    """Return `value` as an int if it is an integer in ``[lo, hi]``.

    Raises
    ------
    ValidationError
        If `value` is not an integer (booleans and floats are refused) or out of range.
    """
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if ok and value >= lo and (hi is None or value <= hi):
        return int(value)
    rule = f"an integer >= {lo}" + (f" and <= {hi:,}" if hi is not None else "")
    msg = f"`{name}` must be {rule}, got {value!r}"
    raise ValidationError(msg)
