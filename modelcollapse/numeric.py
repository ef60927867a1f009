"""Evaluate SymPy expressions on numpy arrays without ``lambdify``.

``lambdify(..., modules="numpy")`` runs ``from numpy import *``, which loads every lazy numpy
submodule: 0.1-0.2 s on the first call, a third of the command line's start-up. The
expressions here (schedules, moment-map coefficients, law arguments) are built from numbers,
symbols, ``+ * **`` and the functions of the expression language
(:mod:`modelcollapse.expressions`): ``log``, ``exp``, ``Abs``, ``Min``, ``Max``, ``gamma``,
``loggamma``, ``polygamma`` of order 0 (digamma) and 1 (trigamma) and ``beta``.
:func:`compile_expression` turns such a tree into nested Python closures once (the simulator
calls them once per block and generation, so walking the SymPy tree each time would dominate
small blocks).

The gamma-type functions come from :mod:`scipy.special`, imported only when a tree that uses
one is compiled: importing this module, and evaluating trees without them, needs numpy alone
(scipy costs 0.2 s of start-up).

>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> evaluate(sp.log(x) + 2 * x ** sp.Rational(1, 2), {x: np.array([1.0, 4.0])}).tolist()
[2.0, 5.386294361119891]
>>> evaluate(sp.Max(x, 2) + sp.Abs(x - 3), {x: np.array([1.0, 4.0])}).tolist()
[4.0, 5.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import lru_cache, reduce

import numpy as np
import sympy as sp

__all__ = ["evaluate", "compile_expression", "as_float"]

_FUNCTIONS = {sp.log: np.log, sp.exp: np.exp, sp.Abs: np.abs}
_REDUCTIONS = {sp.Min: np.minimum, sp.Max: np.maximum}
_ALLOWED = ("numbers, symbols, + * **, log, exp, Abs, Min, Max, gamma, loggamma, "
            "polygamma (orders 0 and 1), beta")
Values = Mapping[sp.Symbol, np.ndarray | float]
Compiled = Callable[[Values], np.ndarray | float]


def _number(expr: sp.Expr) -> float:
    """A constant as a float: nan where it is not real (``sqrt(-1)``), inf beyond the range."""
    try:
        value = complex(expr)
    except OverflowError:  # an integer beyond the float range
        return math.copysign(math.inf, 1 if expr.is_extended_positive else -1)
    return value.real if value.imag == 0 else math.nan


def _floats(value: np.ndarray | float) -> np.ndarray:
    return np.asarray(value, dtype=float)


def _special(expr: sp.Basic) -> Compiled | None:
    """gamma, loggamma, polygamma(0 or 1, .), beta and log(gamma(.)) via scipy.special."""
    func = expr.func
    if isinstance(expr, sp.log) and isinstance(expr.args[0], sp.gamma):
        # SymPy writes loggamma(x) as log(gamma(x)) for positive integer x: gammaln avoids the
        # overflow of gamma for large x (both are log|gamma| where gamma(x) > 0)
        from scipy import special

        inner = _build(expr.args[0].args[0])

        def log_gamma(values: Values) -> np.ndarray:
            x = _floats(inner(values))
            return np.where(special.gamma(x) > 0, special.gammaln(x), np.nan)

        return log_gamma
    if func not in (sp.gamma, sp.loggamma, sp.polygamma, sp.beta):
        return None
    from scipy import special  # lazily: only trees with gamma-type functions need scipy

    if func is sp.polygamma:
        order = expr.args[0]
        if order not in (sp.S.Zero, sp.S.One):
            raise ValueError(f"cannot evaluate polygamma of order {order} numerically here; "
                             f"allowed: {_ALLOWED}")
        inner = _build(expr.args[1])
        if order == 0:
            return lambda values: special.digamma(_floats(inner(values)))
        return lambda values: special.polygamma(1, _floats(inner(values)))
    if func is sp.beta:
        a, b = (_build(arg) for arg in expr.args)
        return lambda values: special.beta(_floats(a(values)), _floats(b(values)))
    inner = _build(expr.args[0])
    # scipy's loggamma is real for x > 0 and nan for x < 0 (where SymPy's is complex)
    fn = special.gamma if func is sp.gamma else special.loggamma
    return lambda values: fn(_floats(inner(values)))


def _build(expr: sp.Basic) -> Compiled:
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
        return lambda values: np.power(_floats(base(values)), exponent(values))
    special = _special(expr)
    if special is not None:
        return special
    fn = _FUNCTIONS.get(expr.func)
    if fn is not None:
        inner = _build(expr.args[0])
        return lambda values: fn(inner(values))
    reduction = _REDUCTIONS.get(expr.func)
    if reduction is not None:
        parts = [_build(a) for a in expr.args]
        return lambda values: reduce(reduction, (p(values) for p in parts))
    raise ValueError(f"cannot evaluate {expr.func.__name__} numerically here; "
                     f"allowed: {_ALLOWED}")


@lru_cache(maxsize=4096)
def compile_expression(expr: sp.Expr) -> Callable[[Values], np.ndarray]:
    """``expr`` as a function of a ``{symbol: array}`` mapping (float64, numpy broadcasting).

    Parameters
    ----------
    expr : sympy.Expr
        Built from numbers, symbols, ``+ * **``, ``log``, ``exp``, ``Abs``, ``Min``, ``Max``,
        ``gamma``, ``loggamma`` (real, nan for negative arguments), ``polygamma`` of order 0
        or 1 and ``beta`` (the last four through :mod:`scipy.special`).

    Returns
    -------
    callable
        ``f(values) -> numpy.ndarray``. A missing symbol raises ``KeyError`` when called.
        Overflow, poles and invalid operations follow numpy and scipy (inf, nan) without
        warnings; callers check finiteness.

    Raises
    ------
    ValueError
        Naming the construct, for anything outside the small grammar.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> f = compile_expression(sp.gamma(x) + sp.polygamma(0, x))
    >>> [round(v, 12) for v in f({x: np.array([1.0, 2.0])}).tolist()]
    [0.422784335098, 1.422784335098]
    """
    fn = _build(sp.sympify(expr))  # safe: already a SymPy expression or a number

    def run(values: Values) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(fn(values), dtype=float)

    return run


def evaluate(expr: sp.Expr, values: Values) -> np.ndarray:
    """``compile_expression(expr)(values)``.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> evaluate(sp.Min(x, 1, 2 * x), {x: np.array([0.25, 3.0])}).tolist()
    [0.25, 1.0]
    """
    return compile_expression(expr)(values)


#: the largest integer a float64 holds without overflow (about 1.8e308)
_FLOAT_MAX = int(np.finfo(float).max)


def as_float(sizes: object) -> np.ndarray:
    """Sample sizes (exact integers, possibly beyond the int64 range) as a float64 array.

    Raises ``ValueError`` naming the first size beyond the float range: numeric values (sums of
    :math:`1/n_t`, digamma terms) are computed in floating point.

    >>> as_float(np.array([10, 2**70], dtype=object)).tolist()
    [10.0, 1.1805916207174113e+21]
    """
    arr = np.asarray(sizes)
    if arr.dtype != object:
        return arr.astype(float)
    flat = arr.ravel()
    for t, value in enumerate(flat):
        if abs(int(value)) > _FLOAT_MAX:
            raise ValueError(f"n_t = {str(int(value))[:12]}... ({len(str(int(value)))} digits) at "
                             f"t={t} is beyond the float range; numeric values are computed in "
                             "floating point: allowed: sizes below 1.8e308 (a shorter horizon)")
    return np.array([float(v) for v in flat]).reshape(arr.shape)
