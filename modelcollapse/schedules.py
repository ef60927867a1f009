r"""Schedules of sample sizes :math:`n_t`, their inverse sums :math:`S_T` and growth class.

Convention (SPEC section 1): generation 0 is the real data, :math:`n_0 = n0`; for
:math:`t \ge 1`, :math:`n_t = \lceil E(t) \rceil`, where :math:`E` is an expression in ``t``,
``n0`` and optionally ``s`` given as text (``"n0*t**1.5"``, ``"n0*t*log(t+1)"``, ``"n0*2**t"``,
``"50"``) and parsed by the whitelist parser :func:`modelcollapse.expressions.parse_expression`.
A schedule can also be an explicit list :math:`n_0, \dots, n_T` (:meth:`Schedule.from_sizes`).

The quantity the theory needs is :math:`S_T = \sum_{t=1}^{T} 1/n_t` (generation 0 excluded)
and its limit :math:`S_\infty`; whether :math:`\sum_t n_t^{-a}` converges is decided
symbolically from the growth class :math:`E(t) \sim C\, b^t\, t^p (\log t)^q`.

Examples
--------
>>> sched = Schedule("n0*t**1.5", n0=10)
>>> sched.sizes(4).tolist()
[10, 10, 29, 52, 80]
>>> sched.converges()
'converges'
>>> sched.inverse_sum_symbolic()
zeta(3/2)/n_0
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from modelcollapse import symbols as _sym
from modelcollapse.expressions import parse_expression
from modelcollapse.numeric import evaluate

__all__ = ["Schedule", "Growth", "MAX_EXACT_SIZE", "EXACT_TERMS"]

#: largest n_t accepted: beyond 2**53 a float64 no longer holds every integer exactly
MAX_EXACT_SIZE = 2**53
#: number of terms of S_inf summed exactly before the tail is added (see inverse_sum)
EXACT_TERMS = 10**6

_t, _n0, _s = _sym.t, _sym.n0, _sym.s
_NAMES = {"t": _t, "n0": _n0, "s": _s}
_VERDICTS = ("converges", "diverges", "undecided")


# ----------------------------------------------------------------------------------------
# growth classification
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Growth:
    r"""Growth class of a schedule: :math:`E(t) \sim C\, b^t\, t^p\, (\log t)^q` as
    :math:`t \to \infty` (the positive constant :math:`C` is not kept).

    Attributes
    ----------
    base : sympy.Expr
        :math:`b > 0`; 1 for polynomial-type growth.
    power : sympy.Expr
        :math:`p`.
    log_power : sympy.Expr
        :math:`q`.

    Examples
    --------
    >>> Schedule("n0*t*log(t+1)**2").growth()
    Growth(base=1, power=1, log_power=2)
    """

    base: sp.Expr
    power: sp.Expr
    log_power: sp.Expr


@dataclass(frozen=True)
class _Term:
    """``coef * base**t * t**power * log(t)**log_power``; coef a constant, maybe negative."""

    coef: sp.Expr
    base: sp.Expr
    power: sp.Expr
    log_power: sp.Expr


_ONE, _ZERO = sp.S.One, sp.S.Zero


def _mul(a: _Term | None, b: _Term | None) -> _Term | None:
    if a is None or b is None:
        return None
    return _Term(a.coef * b.coef, a.base * b.base, a.power + b.power, a.log_power + b.log_power)


def _pow(a: _Term | None, x: sp.Expr) -> _Term | None:
    """Class of ``h**x`` for a constant exponent ``x``."""
    if a is None:
        return None
    if not x.is_integer and a.coef.is_positive is not True:
        return None  # a non-integer power of something not known positive
    return _Term(a.coef**x, a.base**x, a.power * x, a.log_power * x)


def _compare(a: _Term, b: _Term) -> int | None:
    """Three-valued lexicographic comparison on (log base, power, log_power)."""
    for diff in (a.base - b.base, a.power - b.power, a.log_power - b.log_power):
        if diff.is_zero:
            continue
        if diff.is_positive:
            return 1
        if diff.is_negative:
            return -1
        return None
    return 0


def _tends_to_zero(a: _Term) -> bool:
    if (a.base - 1).is_negative:
        return True
    if not (a.base - 1).is_zero:
        return False
    return bool(a.power.is_negative or (a.power.is_zero and a.log_power.is_negative))


def _add(terms: Sequence[_Term | None]) -> _Term | None:
    """Class of a sum: the dominant class; ``None`` when the leading coefficients could cancel."""
    best: list[_Term] = []
    for term in terms:
        if term is None:
            return None
        if not best:
            best = [term]
            continue
        order = _compare(term, best[0])
        if order is None:
            return None
        if order > 0:
            best = [term]
        elif order == 0:
            best.append(term)
    coef = sp.Add(*(b.coef for b in best))
    if coef.is_zero is not False:
        return None  # cancellation (or possible cancellation): the next order would decide
    return _Term(coef, best[0].base, best[0].power, best[0].log_power)


def _exp_class(arg: sp.Expr) -> _Term | None:
    """Class of ``exp(arg)``: linear terms give the base, ``c*log(h)`` terms give ``h**c``."""
    outer, rest = arg.as_independent(_t, as_Add=False)
    result = _Term(_ONE, _ONE, _ZERO, _ZERO)
    for piece in sp.Add.make_args(rest):
        term = outer * piece
        if not term.has(_t):
            result = _mul(result, _Term(sp.exp(term), _ONE, _ZERO, _ZERO))
            continue
        c, dep = term.as_independent(_t, as_Add=False)
        if dep == _t:
            result = _mul(result, _Term(_ONE, sp.exp(c), _ZERO, _ZERO))
        elif isinstance(dep, sp.log):
            result = _mul(result, _pow(_classify(dep.args[0]), c))
        else:
            cls = _classify(term)
            if cls is None or not _tends_to_zero(cls):
                return None  # e.g. exp(sqrt(t)): between polynomial and exponential
        if result is None:
            return None
    return result


def _log_class(inner: _Term | None) -> _Term | None:
    """Class of ``log(h)`` from the class of ``h``."""
    if inner is None or inner.coef.is_positive is not True:
        return None
    if (inner.base - 1).is_zero:
        if inner.power.is_zero:
            if inner.log_power.is_zero:  # h -> coef: log h -> log(coef)
                value = sp.log(inner.coef)
                return _Term(value, _ONE, _ZERO, _ZERO) if value.is_zero is False else None
            return None  # log(log t): not in the class
        if inner.power.is_zero is False:
            return _Term(inner.power, _ONE, _ZERO, _ONE)  # log(C t^p ...) ~ p log t
        return None
    if inner.base.is_positive and (inner.base - 1).is_zero is False:
        return _Term(sp.log(inner.base), _ONE, _ONE, _ZERO)  # log(C b^t ...) ~ t log b
    return None


def _classify(expr: sp.Expr) -> _Term | None:
    """Growth class of ``expr`` as ``t -> oo``, or ``None`` when it is not recognised."""
    if not expr.has(_t):
        # a constant; complex ones (sqrt(-t) = I*sqrt(t)) have no growth class
        return _Term(expr, _ONE, _ZERO, _ZERO) if expr.is_extended_real else None
    if expr == _t:
        return _Term(_ONE, _ONE, _ONE, _ZERO)
    if expr.is_Mul:
        result: _Term | None = _Term(_ONE, _ONE, _ZERO, _ZERO)
        for factor in expr.args:
            result = _mul(result, _classify(factor))
        return result
    if expr.is_Add:
        return _add([_classify(term) for term in expr.args])
    if expr.is_Pow:
        base, x = expr.args
        if not x.has(_t):
            return _pow(_classify(base), x)
        if not base.has(_t) and base.is_positive:
            return _exp_class(x * sp.log(base))
        return None
    if isinstance(expr, sp.exp):
        return _exp_class(expr.args[0])
    if isinstance(expr, sp.log):
        return _log_class(_classify(expr.args[0]))
    return None


def _has_exponential(expr: sp.Expr) -> bool:
    """Whether t appears in an exponent (``exp(..t..)`` or ``b**(..t..)``)."""
    return any(
        (isinstance(node, sp.exp) and node.has(_t)) or (node.is_Pow and node.exp.has(_t))
        for node in sp.preorder_traversal(expr)
    )


def _expansion_size(expr: sp.Expr) -> float:
    """Upper estimate of the number of terms :func:`sympy.expand` would produce."""
    if expr.is_Atom:
        return 1.0
    sizes = [_expansion_size(a) for a in expr.args]
    if expr.is_Add:
        return sum(sizes)
    if expr.is_Mul:
        return math.prod(sizes)
    if expr.is_Pow and expr.exp.is_Integer:
        k = abs(int(expr.exp)) if abs(expr.exp) < 10**6 else 10**6
        return sizes[0] ** k if sizes[0] > 1 and k < 64 else (math.inf if sizes[0] > 1 else 1.0)
    return sum(sizes)


def _as_exponent(a: Any) -> sp.Expr:
    """The exponent ``a`` of sum n_t^(-a) as a SymPy number (floats via their decimal repr)."""
    if isinstance(a, bool):
        raise TypeError(f"a must be a positive number, got {a!r}")
    if isinstance(a, float):
        if not math.isfinite(a):
            raise ValueError(f"a must be a positive finite number, got {a!r}")
        value: sp.Expr = sp.Rational(repr(a))
    elif isinstance(a, numbers.Rational):
        value = sp.Rational(int(a.numerator), int(a.denominator))
    elif isinstance(a, sp.Expr):
        value = a
    else:
        raise TypeError(f"a must be a positive number or SymPy expression, got {a!r}")
    if value.is_positive is not True:
        raise ValueError(f"a must be positive (known to SymPy as positive), got {a!r}")
    return value


def _check_int(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


# ----------------------------------------------------------------------------------------
# Schedule
# ----------------------------------------------------------------------------------------
class Schedule:
    r"""Sample sizes :math:`n_0 = n0` and :math:`n_t = \lceil E(t) \rceil` for :math:`t \ge 1`.

    Parameters
    ----------
    expression : str, optional
        :math:`E(t)` in ``t``, ``n0`` and optionally ``s``, with numbers, ``+ - * / **``,
        parentheses, ``log``/``ln``, ``exp``, ``sqrt``, ``pi`` and ``e``. Default ``"n0"``
        (constant sample size).
    n0 : int, optional
        Size of generation 0 (the real data), an integer >= 1. Default 100.
    s : float, optional
        Value of the symbol ``s`` (e.g. in ``"n0*t**(1+s)"``), > 0. Needed only to evaluate
        sizes of expressions that use ``s``; symbolic methods keep ``s`` symbolic without it.

    Raises
    ------
    ValueError
        If the expression is not allowed (one-line message), ``n0 < 1`` or ``s <= 0``.
    TypeError
        If ``n0`` is not an int or ``s`` not a real number.

    Examples
    --------
    >>> Schedule("n0*t*log(t+1)", n0=100).sizes(3).tolist()
    [100, 70, 220, 416]
    >>> Schedule("n0*t**(1+s)", n0=10, s=0.5).size(4)
    80
    """

    __slots__ = ("_text", "_n0", "_s", "_expression", "_numeric", "_sizes", "_cache")

    def __init__(self, expression: str = "n0", *, n0: int = 100, s: float | None = None) -> None:
        if isinstance(n0, bool) or not isinstance(n0, numbers.Integral):
            raise TypeError(f"n0 must be an int >= 1, got {n0!r} ({type(n0).__name__})")
        if not 1 <= n0 <= MAX_EXACT_SIZE:
            raise ValueError(f"n0 must be an integer >= 1 (and <= 2**53), got {n0!r}")
        if s is not None:
            if isinstance(s, bool) or not isinstance(s, numbers.Real):
                raise TypeError(f"s must be a positive real number or None, got {s!r}")
            if not (math.isfinite(float(s)) and s > 0):
                raise ValueError(f"s must be a finite number > 0, got {s!r}")
            s = float(s)
        if not isinstance(expression, str):
            raise TypeError(f"expression must be a str, got {type(expression).__name__}")
        self._text: str | None = expression
        self._n0 = int(n0)
        self._s: float | None = s
        self._expression: sp.Expr | None = parse_expression(expression, _NAMES, what="schedule")
        # E(t) with the numeric n0 (and s) in place, parsed again rather than substituted:
        # the parser's guards then also see numeric powers such as (n0**n0)**(n0**n0), which
        # a substitution would hand to SymPy to compute exactly (for minutes or forever).
        values = {"t": _t, "n0": sp.Integer(self._n0), "s": _s}
        if s is not None:
            values["s"] = sp.Rational(repr(s))
        self._numeric: sp.Expr | None = parse_expression(expression, values, what="schedule")
        self._sizes: tuple[int, ...] | None = None
        self._cache: dict[str, Any] = {}

    @classmethod
    def from_sizes(cls, sizes: Sequence[int]) -> Schedule:
        r"""A schedule given by the explicit sizes :math:`n_0, \dots, n_T`.

        Parameters
        ----------
        sizes : sequence of int
            :math:`n_0, n_1, \dots`, integers >= 1 (at least one).

        Returns
        -------
        Schedule
            Its ``expression`` is ``None``; horizons beyond ``len(sizes) - 1`` raise
            ``ValueError``.

        Examples
        --------
        >>> sched = Schedule.from_sizes([10, 20, 40])
        >>> sched.inverse_sum(2)
        0.075
        >>> sched.cost(2)
        60
        """
        values = list(sizes)
        if not values:
            raise ValueError("sizes must list at least n_0, got an empty sequence")
        checked = []
        for i, v in enumerate(values):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise ValueError(f"sizes must be integers >= 1, got {v!r} at t={i}")
            if not 1 <= v <= MAX_EXACT_SIZE:
                raise ValueError(f"sizes must be integers in 1 .. 2**53, got {v!r} at t={i}")
            checked.append(int(v))
        self = cls.__new__(cls)
        self._text = None
        self._n0 = checked[0]
        self._s = None
        self._expression = None
        self._numeric = None
        self._sizes = tuple(checked)
        self._cache = {}
        return self

    # -- attributes ------------------------------------------------------------------------
    @property
    def text(self) -> str | None:
        """The expression text as given (``None`` for explicit sizes)."""
        return self._text

    @property
    def n0(self) -> int:
        """Size of generation 0."""
        return self._n0

    @property
    def s(self) -> float | None:
        """Value of ``s``, or ``None`` (symbolic)."""
        return self._s

    @property
    def expression(self) -> sp.Expr | None:
        r"""The symbolic :math:`E(t)` in ``t``, ``n0`` (kept symbolic) and ``s``."""
        return self._expression

    @property
    def sizes_given(self) -> tuple[int, ...] | None:
        """The explicit sizes :math:`n_0, n_1, \\dots`, or ``None`` for expression schedules."""
        return self._sizes

    # -- numeric evaluation ----------------------------------------------------------------
    def _context(self) -> str:
        if self._sizes is not None:
            return f"schedule from_sizes with {len(self._sizes)} sizes"
        extra = f", s={self._s!r}" if self._s is not None else ""
        return f"schedule {self._text!r}, n0={self._n0}{extra}"

    def _numeric_expression(self) -> sp.Expr:
        assert self._numeric is not None
        expr = self._numeric
        if expr.has(_s):
            raise ValueError(
                f"{self._context()} uses s but no value was given; pass s=... (a number > 0)"
            )
        if expr.has(sp.zoo, sp.nan, sp.oo, sp.S.NegativeInfinity):
            raise ValueError(
                f"{self._context()} is undefined for these values (E(t) = {expr}); "
                "allowed: schedules finite and real for every t >= 1"
            )
        return expr

    def _function(self, module: str) -> Callable[[Any], Any]:
        if module not in self._cache:
            expr = self._numeric_expression()
            if module == "numpy":
                # numeric.evaluate, not lambdify: the latter's `from numpy import *` costs
                # 0.1-0.2 s of start-up; numbers beyond float range become inf (overflow)
                self._cache[module] = lambda ts: evaluate(expr, {_t: ts})
            else:
                self._cache[module] = sp.lambdify(_t, expr, modules=module)
        return self._cache[module]

    def _evaluate(self, ts: np.ndarray) -> np.ndarray:
        """E(t) for an array of t >= 1, as float64 (nan where not real)."""
        f = self._function("numpy")
        with np.errstate(all="ignore"):
            try:
                raw = np.asarray(f(ts.astype(np.float64)))
            except (ArithmeticError, TypeError, ValueError) as exc:  # pragma: no cover
                # defensive: the conversions above make this unreachable in our tests
                raise ValueError(
                    f"{self._context()} cannot be evaluated in floating point "
                    f"({type(exc).__name__}); allowed: schedules finite and real for t >= 1"
                ) from None
            raw = np.broadcast_to(raw, ts.shape)
            if np.iscomplexobj(raw):
                values = np.where(raw.imag == 0, raw.real, np.nan)
            else:
                values = raw.astype(np.float64)
        return values

    def _round(
        self, ts: np.ndarray, values: np.ndarray, minimum: int, family: str | None
    ) -> np.ndarray:
        """ceil(E(t)) with the checks of :meth:`sizes` (ts are the generations of values)."""
        finite = np.isfinite(values)
        with np.errstate(all="ignore"):
            nearest = np.rint(values)
            # Round-off guard: E(t) that is mathematically an integer can come out of floating
            # point a few ulps above it (100*4**1.5 may give 800.0000000000001), and a bare
            # ceil would then add a whole sample. Values within a relative 1e-9 of an integer
            # are taken as that integer; the absolute tolerance is capped at
            # max(1e-6, 64 ulps) so that for large E a genuine fractional part (which float64
            # still resolves) is ceiled as the convention says, while 64 ulps still absorbs the
            # round-off of evaluating the expression.
            magnitude = np.abs(values)
            tolerance = np.minimum(1e-9 * magnitude, np.maximum(1e-6, 64 * np.spacing(magnitude)))
            rounded = np.where(np.abs(values - nearest) <= tolerance, nearest, np.ceil(values))
        bad_value = ~finite
        overflow = finite & (rounded > MAX_EXACT_SIZE)
        small = finite & ~overflow & (rounded < minimum)
        bad = bad_value | overflow | small
        if bad.any():
            i = int(np.argmax(bad))
            t, value = int(ts[i]), values[i]
            if bad_value[i]:
                if np.isnan(value):
                    shown = "nan (not a real number)"
                elif value > 0:
                    shown = "inf (a pole, or beyond the float64 range)"
                else:
                    shown = "-inf"
                raise ValueError(
                    f"n_t = ceil(E(t)) is undefined at t={t}: E({t}) = {shown} "
                    f"({self._context()}); allowed: schedules with a finite real value "
                    "for every t >= 1"
                )
            if overflow[i]:
                raise ValueError(
                    f"n_t = {float(value):.6g} at t={t} overflows the exact integer range "
                    f"(n_t <= 2**53) ({self._context()}); use a smaller horizon T or a "
                    "slower-growing schedule"
                )
            target = f" for {family}" if family else ""
            raise ValueError(
                f"n_t must be an integer >= {minimum}{target}, got {int(rounded[i])} at t={t} "
                f"({self._context()})"
            )
        return rounded.astype(np.int64)

    def sizes(self, T: int, *, minimum: int = 1, family: str | None = None) -> np.ndarray:
        r"""The sizes :math:`n_0, n_1, \dots, n_T`.

        :math:`n_0 = n0` and :math:`n_t = \lceil E(t) \rceil` for :math:`t \ge 1`, evaluated
        in float64 for all :math:`t` at once; values within round-off of an integer are
        taken as that integer (so :math:`100 \cdot 4^{1.5}` gives exactly 800).

        Parameters
        ----------
        T : int
            Horizon, >= 0.
        minimum : int, optional
            Smallest admissible size (e.g. 2 for variance estimators). Default 1.
        family : str, optional
            Family name for the error message when a size is below ``minimum``.

        Returns
        -------
        numpy.ndarray
            int64 array of length ``T + 1``.

        Raises
        ------
        ValueError
            One line naming the schedule, ``t`` and the value: :math:`E(t)` not finite or not
            real, :math:`n_t` below ``minimum`` or above :math:`2^{53}`, ``T`` not an integer
            >= 0 (or beyond an explicit list), ``s`` needed but not given.

        Examples
        --------
        >>> Schedule("n0*2**t", n0=3).sizes(4)
        array([ 3,  6, 12, 24, 48])
        >>> Schedule("n0/t", n0=3).sizes(3, minimum=2, family="gaussian-variance")
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: n_t must be an integer >= 2 for gaussian-variance, got 1 at t=3 (schedule ...
        """
        T = _check_int(T, "T", 0)
        minimum = _check_int(minimum, "minimum", 1)
        ts = np.arange(0, T + 1, dtype=np.int64)
        if self._sizes is not None:
            if T >= len(self._sizes):
                raise ValueError(
                    f"T={T} is beyond the {len(self._sizes)} explicit sizes "
                    f"({self._context()}); allowed: T <= {len(self._sizes) - 1}"
                )
            values = np.asarray(self._sizes[: T + 1], dtype=np.float64)
            return self._round(ts, values, minimum, family)
        head = np.array([float(self._n0)])
        values = np.concatenate([head, self._evaluate(ts[1:])]) if T else head
        return self._round(ts, values, minimum, family)

    def size(self, t: int) -> int:
        r"""The size :math:`n_t` of generation ``t`` (``t = 0``: the real data).

        Examples
        --------
        >>> Schedule("n0*t**1.5", n0=10).size(2)
        29
        """
        t = _check_int(t, "t", 0)
        if t == 0:
            return self._n0
        if self._sizes is not None:
            return int(self.sizes(t)[t])
        ts = np.array([t], dtype=np.int64)
        return int(self._round(ts, self._evaluate(ts), 1, None)[0])

    def cost(self, T: int) -> int:
        r"""Total synthetic samples :math:`\sum_{t=1}^{T} n_t` (exact Python int).

        Examples
        --------
        >>> Schedule("n0*t", n0=10).cost(4)
        100
        """
        return sum(self.sizes(T)[1:].tolist())

    # -- inverse sums ----------------------------------------------------------------------
    def inverse_sum(self, T: int | float) -> float:
        r"""The inverse sum :math:`S_T = \sum_{t=1}^{T} 1/n_t` (generation 0 excluded).

        Parameters
        ----------
        T : int or math.inf
            Horizon. For ``math.inf``, the limit :math:`S_\infty`: ``math.inf`` when
            :meth:`converges` says the series diverges; otherwise the first terms (up to
            :math:`M = 10^6`, fewer if :math:`n_t` would pass :math:`2^{53}`) are summed
            exactly and the tail :math:`\sum_{t>M} 1/E(t)` of the unrounded expression is
            added (direct summation while terms fall fast, then Euler--Maclaurin with
            mpmath). Dropping the ceiling changes each tail term by a relative
            :math:`O(1/n_t)`, below :math:`10^{-6}` of the (already small) tail here.

        Returns
        -------
        float
            Finite sums: each :math:`1/n_t` is rounded once and the terms are added without
            further error (:func:`math.fsum`); as all terms are positive the result is
            within about one ulp of the exact sum.

        Raises
        ------
        ValueError
            For ``math.inf`` when convergence is undecided or the schedule is an explicit
            (finite) list; as :meth:`sizes` otherwise.

        Examples
        --------
        >>> Schedule("n0*t", n0=2).inverse_sum(3)
        0.9166666666666666
        >>> round(Schedule("n0*t**2", n0=1).inverse_sum(math.inf), 12)
        1.644934066848
        >>> Schedule("n0*t", n0=2).inverse_sum(math.inf)
        inf
        """
        return self.power_sum(T, 1)

    def power_sum(self, T: int | float, a: float = 1.0) -> float:
        r""":math:`\sum_{t=1}^{T} n_t^{-a}` (``a = 1``: :meth:`inverse_sum`); ``T = math.inf``
        gives the limit as for :meth:`inverse_sum` (the bias drift needs ``a = alpha``).

        >>> Schedule("n0*t**2", n0=1).power_sum(2, 0.5)
        1.5
        """
        if not (isinstance(a, int | float) and not isinstance(a, bool) and a > 0):
            raise ValueError(f"the exponent a must be a number > 0, got {a!r}")
        if isinstance(T, float) and math.isinf(T) and T > 0:
            return self._power_sum_limit(float(a))
        sizes = self.sizes(T)[1:].astype(np.float64)
        return math.fsum((sizes ** (-float(a))).tolist())

    def exact_horizon(self) -> int:
        """The largest T <= 10**6 whose sizes stay within the exact integer range (2**53)."""
        if self._sizes is not None:
            return len(self._sizes) - 1
        ts = np.arange(1, EXACT_TERMS + 1, dtype=np.int64)
        values = self._evaluate(ts)
        # only overflow ends the exact range; nan or -inf earlier are reported by sizes()
        with np.errstate(invalid="ignore"):
            beyond = np.isposinf(values) | (values > MAX_EXACT_SIZE)
        return int(np.argmax(beyond)) if beyond.any() else EXACT_TERMS

    def _power_sum_limit(self, a: float) -> float:
        if self._sizes is not None:
            raise ValueError(
                f"S_inf is not defined for a finite list of sizes ({self._context()}); "
                "allowed: a finite T"
            )
        verdict = self.converges(a)
        if verdict == "diverges":
            return math.inf
        if verdict == "undecided":
            raise ValueError(
                f"cannot decide whether S_inf is finite ({self._context()}); "
                "allowed for T=inf: schedules growing like b^t t^p (log t)^q"
            )
        m = self.exact_horizon()
        return float(self.power_sum(m, a) + self._tail(m + 1, a))

    def _tail_function(self) -> tuple[Callable[[Any], Any], bool]:
        """E(t) for mpmath, and whether it still has t inside an exponential.

        The tail integral evaluates E at astronomically large t; log(pi**t) is harmless
        as t*log(pi) but as written would make mpmath reduce pi**t to ~t bits.
        """
        if "tail" not in self._cache:
            expr = self._numeric_expression()
            if _has_exponential(expr):
                expr = sp.expand_log(expr, force=True)  # E(t) > 0 real: branches agree
            function = sp.lambdify(_t, expr, modules="mpmath")
            self._cache["tail"] = (function, _has_exponential(expr))
        return self._cache["tail"]

    def _tail(self, start: int, power: float = 1.0) -> mpmath.mpf:
        r""":math:`\sum_{t \ge start} E(t)^{-power}` for a convergent schedule, in mpmath."""
        f_e, exponential = self._tail_function()

        def f(x: Any) -> Any:
            try:
                value = f_e(x)
            except (ArithmeticError, TypeError, ValueError):
                value = mpmath.nan
            if mpmath.im(value) != 0 or not mpmath.re(value) > 0:
                raise ValueError(
                    f"E(t) is not a positive real number near t={mpmath.nstr(x, 8)} "
                    f"({self._context()}); allowed for T=inf: schedules with E(t) > 0 real"
                )
            return mpmath.re(value) ** (-power)

        with mpmath.workdps(30):
            a = mpmath.mpf(start)
            total = mpmath.mpf(0)
            # Direct summation while the terms fall fast (exponential schedules end here).
            for _ in range(2000):
                term = f(a)
                total += term
                a += 1
                if abs(term) <= mpmath.mpf(10) ** -25 * abs(total):
                    return total
            # Euler--Maclaurin for the rest: the integral plus the boundary corrections
            # f(a)/2 - f'(a)/12 + f'''(a)/720.
            growth = self.growth()
            if growth is not None and (growth.base - 1).is_positive:
                # slow exponential decay (b close to 1): quad handles it directly
                integral = mpmath.quad(f, [a, mpmath.inf])
            elif exponential:
                raise ValueError(
                    f"cannot sum the tail of S_inf numerically for {self._context()}: "
                    "t appears inside an exponential of a polynomially growing schedule; "
                    "allowed for T=inf: such schedules written without it (e.g. t*log(2) "
                    "for log(2**t))"
                )
            else:
                # in x = a e^u algebraic and logarithmic decay become something quad handles
                integral = mpmath.quad(
                    lambda u: f(a * mpmath.exp(u)) * a * mpmath.exp(u),
                    [0, 1, 10, 100, mpmath.inf],
                )
            correction = f(a) / 2 - mpmath.diff(f, a) / 12 + mpmath.diff(f, a, 3) / 720
            return total + integral + correction

    def inverse_sum_symbolic(self) -> sp.Expr:
        r"""The unrounded limit :math:`\sum_{t=1}^{\infty} 1/E(t)`, symbolically.

        ``sympy.oo`` when the series diverges; :math:`\zeta(p)/C` for
        :math:`E = C t^p` (:math:`p > 1`, possibly symbolic such as :math:`1 + s`);
        :math:`1/(C(b - 1))` for :math:`E = C b^t`; :math:`\mathrm{Li}_p(1/b)/C` for
        :math:`E = C b^t t^p`; otherwise an unevaluated :class:`sympy.Sum`.

        Examples
        --------
        >>> Schedule("n0*t**(1+s)").inverse_sum_symbolic()
        zeta(s + 1)/n_0
        >>> Schedule("n0*2**t").inverse_sum_symbolic()
        1/n_0
        >>> Schedule("n0*t").inverse_sum_symbolic()
        oo
        """
        if self._expression is None:
            raise ValueError(
                f"no symbolic form for {self._context()}; allowed: expression schedules"
            )
        expr = self._expression
        verdict = self.converges(1)
        if verdict == "diverges":
            return sp.oo
        unevaluated = sp.Sum(1 / expr, (_t, 1, sp.oo))
        if verdict != "converges":
            return unevaluated
        coef, rest = expr.as_independent(_t, as_Add=False)
        power, ratio = _ZERO, _ONE
        for factor in sp.Mul.make_args(rest):
            if factor == _t:
                power += 1
            elif factor.is_Pow and factor.base == _t and not factor.exp.has(_t):
                power += factor.exp
            elif isinstance(factor, sp.exp) or (factor.is_Pow and not factor.base.has(_t)):
                arg = factor.args[0] if isinstance(factor, sp.exp) else factor.exp
                k, dep = arg.as_independent(_t, as_Add=False)
                if dep != _t:
                    return unevaluated
                ratio *= sp.exp(k) if isinstance(factor, sp.exp) else factor.base**k
            else:
                return unevaluated
        if ratio == 1:
            return sp.zeta(power) / coef
        if power == 0:
            return 1 / (coef * (ratio - 1))
        value = sp.polylog(power, 1 / ratio)
        if power.is_Integer and -10 <= power <= 1:
            value = sp.expand_func(value)  # Li_1(z) = -log(1 - z); Li_{-k}: rational
        return value / coef

    # -- growth and convergence ------------------------------------------------------------
    def growth(self) -> Growth | None:
        r"""Growth class :math:`E(t) \sim C\, b^t t^p (\log t)^q` as :math:`t \to \infty`.

        Computed on :math:`E` with the numeric ``n0`` (and ``s`` if given) substituted.
        ``None`` when the expression is not recognised, its leading coefficient is not known
        to be positive, or leading terms could cancel; also for explicit sizes.

        Examples
        --------
        >>> Schedule("n0*2**t*sqrt(t)").growth()
        Growth(base=2, power=1/2, log_power=0)
        >>> Schedule("n0*t**(1+s)").growth()
        Growth(base=1, power=s + 1, log_power=0)
        """
        if self._expression is None:
            return None
        if "growth" not in self._cache:
            expr = self._numeric
            term = _classify(expr)
            if term is None and _expansion_size(expr) <= 2000:
                term = _classify(sp.expand(expr))  # e.g. (t+1)**2 - t**2 = 2t + 1
            if term is None or term.coef.is_positive is not True:
                self._cache["growth"] = None
            else:
                self._cache["growth"] = Growth(term.base, term.power, term.log_power)
        return self._cache["growth"]

    def converges(self, a: Any = 1) -> str:
        r"""Whether :math:`\sum_{t \ge 1} n_t^{-a}` converges, decided symbolically.

        With :math:`E(t) \sim C b^t t^p (\log t)^q` (:meth:`growth`) and :math:`a > 0`:
        :math:`b > 1` converges, :math:`b < 1` diverges; for :math:`b = 1` the series converges
        iff :math:`pa > 1`, or :math:`pa = 1` and :math:`qa > 1` (Cauchy condensation /
        integral test). The ceiling does not change the verdict since
        :math:`E \le n_t < E + 1`. Comparisons are three-valued in SymPy, so ``1 + s > 1``
        holds for the positive symbol ``s``.

        Parameters
        ----------
        a : number or sympy.Expr, optional
            Exponent, > 0 (floats are read by their decimal repr: 0.6 is 3/5). Default 1.

        Returns
        -------
        str
            ``"converges"``, ``"diverges"`` or ``"undecided"`` (never a guess). Explicit
            sizes are a finite list, which says nothing about the limit: ``"undecided"``.

        Examples
        --------
        >>> Schedule("n0*t*log(t+1)").converges()
        'diverges'
        >>> Schedule("n0*t*log(t+1)**2").converges()
        'converges'
        >>> Schedule("n0*t**1.5").converges(0.5)
        'diverges'
        >>> Schedule("log(log(t+2))*t").converges()
        'undecided'
        """
        exponent = _as_exponent(a)
        growth = self.growth()
        if growth is None:
            return "undecided"
        excess = growth.base - 1
        if excess.is_positive:
            return "converges"
        if excess.is_negative:
            return "diverges"
        if not excess.is_zero:
            return "undecided"
        pa = growth.power * exponent - 1
        if pa.is_positive:
            return "converges"
        if pa.is_negative:
            return "diverges"
        if not pa.is_zero:
            return "undecided"
        qa = growth.log_power * exponent - 1
        if qa.is_positive:
            return "converges"
        if qa.is_nonpositive:
            return "diverges"
        return "undecided"

    # -- display and comparison ------------------------------------------------------------
    def __repr__(self) -> str:
        if self._sizes is not None:
            return f"Schedule.from_sizes({list(self._sizes)!r})"
        extra = f", s={self._s!r}" if self._s is not None else ""
        return f"Schedule({self._text!r}, n0={self._n0}{extra})"

    def _repr_latex_(self) -> str:
        r"""LaTeX for notebooks.

        Examples
        --------
        >>> print(Schedule("n0*t**1.5", n0=100)._repr_latex_())
        $n_t = \left\lceil n_{0} t^{\frac{3}{2}} \right\rceil \quad (t \geq 1),\ n_{0} = 100$
        """
        if self._sizes is not None:
            shown = ", ".join(map(str, self._sizes))
            return rf"$(n_0, \dots, n_{{{len(self._sizes) - 1}}}) = ({shown})$"
        extra = rf",\ s = {sp.latex(sp.Rational(repr(self._s)))}" if self._s is not None else ""
        body = sp.latex(self._expression)
        return (
            rf"$n_t = \left\lceil {body} \right\rceil \quad (t \geq 1),"
            rf"\ n_{{0}} = {self._n0}{extra}$"
        )

    def _key(self) -> tuple[Any, ...]:
        return (self._expression, self._n0, self._s, self._sizes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Schedule):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())
