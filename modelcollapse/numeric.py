"""Evaluate SymPy expressions on numpy arrays without ``lambdify``.

``lambdify(..., modules="numpy")`` runs ``from numpy import *``, which loads every lazy numpy
submodule: 0.1-0.2 s on the first call, a third of the command line's start-up. The
expressions here (schedules, moment-map coefficients) are built from numbers, symbols,
``+ * **``, ``log`` and ``exp`` only, and this walker evaluates exactly those.

>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> evaluate(sp.log(x) + 2 * x ** sp.Rational(1, 2), {x: np.array([1.0, 4.0])}).tolist()
[2.0, 5.386294361119891]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import reduce

import numpy as np
import sympy as sp

__all__ = ["evaluate"]

_FUNCTIONS = {sp.log: np.log, sp.exp: np.exp}


def _number(expr: sp.Expr) -> float:
    """A constant as a float: nan where it is not real (``sqrt(-1)``), inf beyond the range."""
    try:
        value = complex(expr)
    except OverflowError:  # an integer beyond the float range
        return math.copysign(math.inf, 1 if expr.is_extended_positive else -1)
    return value.real if value.imag == 0 else math.nan


def evaluate(expr: sp.Expr, values: Mapping[sp.Symbol, np.ndarray | float]) -> np.ndarray:
    """``expr`` with each symbol replaced by its array (numpy broadcasting), as float64.

    Raises ``ValueError`` naming the construct for anything outside the small grammar, and
    ``KeyError`` for a symbol without a value. Overflow and invalid operations follow numpy
    (inf, nan) without warnings; callers check finiteness.
    """
    with np.errstate(all="ignore"):
        return np.asarray(_eval(sp.sympify(expr), values), dtype=float)


def _eval(expr: sp.Basic, values: Mapping[sp.Symbol, np.ndarray | float]):
    if expr.is_number:
        return _number(expr)
    if expr.is_Symbol:
        return np.asarray(values[expr], dtype=float)
    if expr.is_Add:
        return reduce(np.add, (_eval(a, values) for a in expr.args))
    if expr.is_Mul:
        return reduce(np.multiply, (_eval(a, values) for a in expr.args))
    if expr.is_Pow:
        base, exponent = (_eval(a, values) for a in expr.args)
        return np.power(np.asarray(base, dtype=float), exponent)
    fn = _FUNCTIONS.get(expr.func)
    if fn is not None:
        return fn(_eval(expr.args[0], values))
    raise ValueError(f"cannot evaluate {expr.func.__name__} numerically here; "
                     "allowed: numbers, symbols, + * **, log, exp")
