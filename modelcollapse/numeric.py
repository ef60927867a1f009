"""Evaluate SymPy expressions on numpy arrays without ``lambdify``.

``lambdify(..., modules="numpy")`` runs ``from numpy import *``, which loads every lazy numpy
submodule: 0.1-0.2 s on the first call, a third of the command line's start-up. The
expressions here (schedules, moment-map coefficients, law arguments) are built from numbers,
symbols, ``+ * **``, ``log`` and ``exp`` only: :func:`compile_expression` turns such a tree
into nested Python closures once (the simulator calls them once per block and generation, so
walking the SymPy tree each time would dominate small blocks).

>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> evaluate(sp.log(x) + 2 * x ** sp.Rational(1, 2), {x: np.array([1.0, 4.0])}).tolist()
[2.0, 5.386294361119891]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import lru_cache, reduce

import numpy as np
import sympy as sp

__all__ = ["evaluate", "compile_expression"]

_FUNCTIONS = {sp.log: np.log, sp.exp: np.exp}
Values = Mapping[sp.Symbol, np.ndarray | float]


def _number(expr: sp.Expr) -> float:
    """A constant as a float: nan where it is not real (``sqrt(-1)``), inf beyond the range."""
    try:
        value = complex(expr)
    except OverflowError:  # an integer beyond the float range
        return math.copysign(math.inf, 1 if expr.is_extended_positive else -1)
    return value.real if value.imag == 0 else math.nan


def _build(expr: sp.Basic) -> Callable[[Values], np.ndarray | float]:
    if expr.is_number:
        value = _number(expr)
        return lambda values: value
    if expr.is_Symbol:
        return lambda values: values[expr]
    if expr.is_Add or expr.is_Mul:
        parts = [_build(a) for a in expr.args]
        op = np.add if expr.is_Add else np.multiply
        return lambda values: reduce(op, (p(values) for p in parts))
    if expr.is_Pow:
        base, exponent = (_build(a) for a in expr.args)
        return lambda values: np.power(np.asarray(base(values), dtype=float), exponent(values))
    fn = _FUNCTIONS.get(expr.func)
    if fn is not None:
        inner = _build(expr.args[0])
        return lambda values: fn(inner(values))
    raise ValueError(f"cannot evaluate {expr.func.__name__} numerically here; "
                     "allowed: numbers, symbols, + * **, log, exp")


@lru_cache(maxsize=4096)
def compile_expression(expr: sp.Expr) -> Callable[[Values], np.ndarray]:
    """``expr`` as a function of a ``{symbol: array}`` mapping (float64, numpy broadcasting).

    Raises ``ValueError`` naming the construct for anything outside the small grammar; a
    missing symbol raises ``KeyError`` when called. Overflow and invalid operations follow
    numpy (inf, nan) without warnings; callers check finiteness.
    """
    fn = _build(sp.sympify(expr))  # safe: already a SymPy expression or a number

    def run(values: Values) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(fn(values), dtype=float)

    return run


def evaluate(expr: sp.Expr, values: Values) -> np.ndarray:
    """``compile_expression(expr)(values)``."""
    return compile_expression(expr)(values)
