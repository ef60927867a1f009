r"""Schedules of sample sizes :math:`n_t`, their inverse sums :math:`S_T` and growth class.

Convention: generation 0 is the real data, :math:`n_0 = n0`; for
:math:`t \ge 1`, :math:`n_t = \lceil E(t) \rceil`, where :math:`E` is an expression in ``t``,
``n0`` and optionally ``s`` given as text (``"n0*t**1.5"``, ``"n0*t*log(t+1)"``, ``"n0*2**t"``,
``"50"``) and parsed by the whitelist parser :func:`modelcollapse.expressions.parse_expression`
(or given as a SymPy expression, see :func:`modelcollapse.expressions.as_expression`).
A schedule can also be an explicit list :math:`n_0, \dots, n_T` (:meth:`Schedule.from_sizes`).

Sizes are exact integers however large. :math:`E(t)` is evaluated in float64 for all
:math:`t` at once, and float64 decides :math:`\lceil E(t) \rceil` where it can: up to
:math:`2^{26}` (values within a relative :math:`10^{-9}`, at most :math:`10^{-6}`, of an
integer are taken as that integer: round-off), and up to :data:`MAX_EXACT_SIZE`
(:math:`2^{53}`) wherever :math:`E(t)` is farther than 64 ulps from an integer. The other
sizes (near an integer above :math:`2^{26}`, beyond :math:`2^{53}`, overflowing float64) are
computed exactly: with rational arithmetic on Python integers where :math:`E(t)` is rational
(``"n0*2**t"``, ``"n0*t**3 + t/7"``), otherwise with mpmath at the size's bit length plus
64 guard bits. :meth:`Schedule.sizes` returns an int64 array when every size fits in int64,
else an object array of Python ints (``.astype(float)`` converts either). The limits
:data:`MAX_SIZE_DIGITS`, :data:`MAX_TOTAL_DIGITS` and a budget on the predicted time of the
mpmath evaluations (about 20 s per call) only refuse sizes that would take minutes, hours or
gigabytes to write down.

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
>>> Schedule("n0*2**t", n0=100).size(100) == 100 * 2**100
True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import reduce
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from modelcollapse import symbols as _sym
from modelcollapse.arguments import integer, real
from modelcollapse.expressions import as_expression, parse_expression
from modelcollapse.guards import check_degree, check_horizon
from modelcollapse.numeric import evaluate

__all__ = ["Schedule", "Growth", "MAX_EXACT_SIZE", "MAX_HEAD_SIZE", "EXACT_TERMS",
           "MAX_SIZE_DIGITS", "MAX_TOTAL_DIGITS"]

#: sizes beyond this bound are computed exactly outright (float64 holds every integer up to
#: 2**53, but cannot tell their fractional parts)
MAX_EXACT_SIZE = 2**53
#: exact_horizon() ends where sizes pass this bound: heads of infinite series are summed term
#: by term up to there (float64 decides nearly every size, cheaply), the tail analytically
MAX_HEAD_SIZE = 2**40
#: number of terms of S_inf summed exactly before the tail is added (see inverse_sum)
EXACT_TERMS = 10**6
#: a single size must be below 10**MAX_SIZE_DIGITS (beyond, mpmath needs seconds per size)
MAX_SIZE_DIGITS = 10_000
#: the sizes of one call to Schedule.sizes may have at most this many digits in all
MAX_TOTAL_DIGITS = 10**7

_INT64_MAX = int(np.iinfo(np.int64).max)
_INT64_MIN = int(np.iinfo(np.int64).min)
_SIZE_LIMIT = 10**MAX_SIZE_DIGITS
_LOG2_10 = math.log2(10)
#: largest bit length of a power or factorial built by the exact rational evaluation
_MAX_RATIONAL_BITS = 200_000
#: above this, float64 values within round-off of an integer are decided exactly
_SNAP_LIMIT = 2**26
#: exact sizes from this many on are first predicted in bit length (:meth:`_check_total_digits`)
_PREDICT_FROM = 1000
#: the prediction refuses only a clear excess (the exact count decides near the limit)
_PREDICTED_MARGIN = 2.0
#: guard bits of the mpmath evaluation, and the distance to an integer below which a value
#: is re-evaluated with _REFINE_BITS more bits (and then taken as the integer below 2**-100)
_GUARD_BITS, _NEAR_INTEGER_BITS, _REFINE_BITS, _INTEGER_BITS = 64, 32, 128, 100
#: predicted cost (units of about 0.1 ms, see Schedule._mp_cost) allowed for the mpmath
#: evaluations of one call
_MP_BUDGET = 200_000

_t, _n0, _s = _sym.t, _sym.n0, _sym.s
_NAMES = {"t": _t, "n0": _n0, "s": _s}
_VERDICTS = ("converges", "diverges", "undecided")


# ----------------------------------------------------------------------------------------
# growth classification
# ----------------------------------------------------------------------------------------
def _limit_at_infinity(expr: sp.Expr) -> sp.Expr | None:
    r""":math:`\lim_{t \to \infty}` of ``expr``: a real number, :math:`\pm\infty`, or None
    where there is none or SymPy cannot tell (``min``/``max`` go argument by argument, which
    SymPy's series expansion does not do)."""
    def each(*args: sp.Expr) -> list[sp.Expr]:
        found = [_limit_at_infinity(a) for a in args]
        if any(f is None for f in found):
            raise ValueError("no limit")
        return found

    try:
        expr = expr.replace(sp.Max, lambda *a: sp.Max(*each(*a))) \
                   .replace(sp.Min, lambda *a: sp.Min(*each(*a)))
        limit = sp.limit(expr, _sym.t, sp.oo) if _sym.t in expr.free_symbols else expr
    except (NotImplementedError, ValueError, TypeError, RecursionError):
        return None
    return limit if limit.is_extended_real else None  # not an oscillation (AccumBounds)


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


# ----------------------------------------------------------------------------------------
# exact sizes beyond float64
# ----------------------------------------------------------------------------------------
Exact = int | Fraction


class _Inexact(Exception):
    """E(t) is not a rational number at this t, or too costly to compute exactly."""


def _bits(x: Exact) -> int:
    if isinstance(x, int):
        return x.bit_length()
    return max(x.numerator.bit_length(), x.denominator.bit_length())


def _exact_power(base: Exact, exponent: Exact) -> Exact:
    """``base**exponent`` as an exact rational, or :class:`_Inexact` (irrational, too big)."""
    if isinstance(exponent, Fraction) and exponent.denominator != 1:
        p, q = exponent.numerator, exponent.denominator
        if base < 0 or q > 64:
            raise _Inexact  # complex (principal branch) or a root we do not try
        frac = Fraction(base)
        num, num_exact = sp.integer_nthroot(frac.numerator, q)
        den, den_exact = sp.integer_nthroot(frac.denominator, q)
        if not (num_exact and den_exact):
            raise _Inexact  # irrational
        base, exponent = Fraction(int(num), int(den)), p
    power = int(exponent)
    if base == 0:
        if power < 0:
            raise ZeroDivisionError("0 to a negative power")
        return 0 if power else 1
    if base in (1, -1):
        return 1 if power % 2 == 0 else int(base)
    if abs(power) * _bits(base) > _MAX_RATIONAL_BITS:
        raise _Inexact
    if power < 0 or isinstance(base, Fraction):
        return Fraction(base) ** power
    return int(base) ** power


def _positive_int(x: Exact) -> int:
    """``x`` as an int >= 1; poles (integers <= 0) raise ZeroDivisionError, others _Inexact."""
    if isinstance(x, Fraction):
        if x.denominator != 1:
            raise _Inexact
        x = x.numerator
    if x <= 0:
        raise ZeroDivisionError("a pole of gamma")
    if x * max(x.bit_length(), 1) > _MAX_RATIONAL_BITS:
        raise _Inexact
    return x


def _exact_gamma(x: Exact) -> int:
    return math.factorial(_positive_int(x) - 1)


def _exact_beta(a: Exact, b: Exact) -> Fraction:
    if any(isinstance(v, Fraction) and v.denominator != 1 or v <= 0 for v in (a, b)):
        raise _Inexact  # irrational in general; poles and their limits are left to mpmath
    i, j = _positive_int(a), _positive_int(b)
    return Fraction(_exact_gamma(i) * _exact_gamma(j), _exact_gamma(_positive_int(i + j)))


def _rational(expr: sp.Expr) -> Callable[[int], Exact]:
    """``expr`` as a function of an integer ``t`` in exact rationals (:func:`_rational_vector`
    at one ``t``); _Inexact if impossible."""
    vector = _rational_vector(expr)

    def at(k: int) -> Exact:
        value = vector(np.array([k], dtype=object))
        return value[0] if isinstance(value, np.ndarray) else value

    return at


def _ceil(value: Exact) -> int:
    if isinstance(value, int):
        return value
    return -((-value.numerator) // value.denominator)


_CEIL = np.frompyfunc(_ceil, 1, 1)
_POWER = np.frompyfunc(_exact_power, 2, 1)
_GAMMA = np.frompyfunc(_exact_gamma, 1, 1)
_BETA = np.frompyfunc(_exact_beta, 2, 1)


def _rational_vector(expr: sp.Expr) -> Callable[[np.ndarray], np.ndarray]:
    """:func:`_rational` on a numpy object array of Python ints ``t`` (elementwise)."""
    if expr.is_Integer:
        integer = int(expr)
        return lambda ts: integer
    if expr.is_Rational:
        fraction = Fraction(int(expr.p), int(expr.q))
        return lambda ts: fraction
    if expr == _t:
        return lambda ts: ts
    parts = [_rational_vector(a) for a in expr.args] if not expr.is_Atom else []
    if expr.is_Add or expr.is_Mul:
        op = np.add if expr.is_Add else np.multiply
        return lambda ts: reduce(op, (p(ts) for p in parts))
    if expr.is_Pow:
        base, exponent = parts
        x = expr.exp
        if x.is_Integer and 0 <= x <= 64:  # t**3: Python int powers, no checks needed
            k = int(x)
            return lambda ts: np.power(base(ts), k)
        return lambda ts: _POWER(base(ts), exponent(ts))
    if isinstance(expr, sp.Abs):
        return lambda ts: np.abs(parts[0](ts))
    if isinstance(expr, sp.Min | sp.Max):
        op = np.minimum if isinstance(expr, sp.Min) else np.maximum
        return lambda ts: reduce(op, (p(ts) for p in parts))
    if isinstance(expr, sp.gamma):
        return lambda ts: _GAMMA(parts[0](ts))
    if isinstance(expr, sp.beta):
        return lambda ts: _BETA(parts[0](ts), parts[1](ts))
    raise _Inexact


def _int_text(n: int) -> str:
    """``str(n)``, or a description where Python refuses to print it (over 4300 digits)."""
    if abs(n).bit_length() < 14_000:
        return str(n)
    return f"<integer of about {abs(n).bit_length() / _LOG2_10:.0f} digits>"


def _int_array(values: Sequence[int]) -> np.ndarray:
    """int64 when every value fits, else an object array of Python ints."""
    if all(_INT64_MIN <= v <= _INT64_MAX for v in values):
        return np.array(values, dtype=np.int64)
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _inverse_power(n: int, a: float) -> float:
    r""":math:`n^{-a}` for a Python int of any size (``1 / n`` correctly rounded for a = 1)."""
    if n <= MAX_EXACT_SIZE:
        return float(n) ** -a
    if a == 1.0:
        return 1 / n
    if n.bit_length() < 1000:
        return float(n) ** -a
    return math.exp(-a * math.log(n))


class _TextPrinter(sp.printing.str.StrPrinter):
    """A schedule expression written back in the parser's grammar (``n0``, ``abs``, ``e``)."""

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return {_n0.name: "n0"}.get(expr.name, expr.name)

    def _call(self, name: str, expr: sp.Expr) -> str:
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    def _print_Abs(self, expr: sp.Expr) -> str:
        return self._call("abs", expr)

    def _print_Min(self, expr: sp.Expr) -> str:
        return self._call("min", expr)

    def _print_Max(self, expr: sp.Expr) -> str:
        return self._call("max", expr)

    def _print_Exp1(self, expr: sp.Expr) -> str:
        return "e"

    def _print_polygamma(self, expr: sp.Expr) -> str:
        if expr.args[0] == 0:
            return f"digamma({self._print(expr.args[1])})"
        return super()._print_Function(expr)


# ----------------------------------------------------------------------------------------
# Schedule
# ----------------------------------------------------------------------------------------
class Schedule:
    r"""Sample sizes :math:`n_0 = n0` and :math:`n_t = \lceil E(t) \rceil` for :math:`t \ge 1`.

    Parameters
    ----------
    expression : str or sympy.Expr, optional
        :math:`E(t)` in ``t``, ``n0`` and optionally ``s``, with numbers, ``+ - * / **``,
        parentheses, ``log``/``ln``, ``exp``, ``sqrt``, ``abs``, ``gamma``, ``loggamma``,
        ``digamma``, ``beta``, ``min``, ``max``, ``pi`` and ``e``. Default ``"n0"`` (constant
        sample size). A SymPy expression is checked by
        :func:`modelcollapse.expressions.as_expression` (symbols matched by name, so
        ``sympy.Symbol("n0")`` or the shared ``modelcollapse.symbols.n0``).
    n0 : int, optional
        Size of generation 0 (the real data), an integer >= 1 (below
        ``10**MAX_SIZE_DIGITS``). Default 100.
    s : float, optional
        Value of the symbol ``s`` (e.g. in ``"n0*t**(1+s)"``), > 0. Needed only to evaluate
        sizes of expressions that use ``s``; symbolic methods keep ``s`` symbolic without it.

    Raises
    ------
    ValueError
        If the expression is not allowed (one-line message), its degree in ``t`` exceeds
        :data:`modelcollapse.guards.MAX_DEGREE` (100; limits and sums of larger polynomials
        may never finish), ``n0 < 1`` or ``s <= 0``.
    TypeError
        If ``n0`` is not an int, ``s`` not a real number or ``expression`` neither text nor
        a SymPy expression.

    Examples
    --------
    >>> Schedule("n0*t*log(t+1)", n0=100).sizes(3).tolist()
    [100, 70, 220, 416]
    >>> Schedule("n0*t**(1+s)", n0=10, s=0.5).size(4)
    80
    >>> import sympy as sp
    >>> Schedule(sp.Symbol("n0") * sp.Symbol("t") ** 2, n0=3)
    Schedule('n0*t**2', n0=3)
    """

    __slots__ = ("_text", "_n0", "_s", "_expression", "_numeric", "_sizes", "_cache")

    def __init__(
        self, expression: str | sp.Expr = "n0", *, n0: int = 100, s: float | None = None
    ) -> None:
        n0 = integer("n0", n0, low=1)
        if n0 >= _SIZE_LIMIT:
            raise ValueError(f"n0 must be an integer >= 1 below 10**{MAX_SIZE_DIGITS}, got one "
                             f"of about {int(n0).bit_length() / _LOG2_10:.0f} digits")
        if s is not None:
            s = real("s", s, low=0, low_open=True)
        self._n0 = n0
        self._s: float | None = s
        values = {"t": _t, "n0": sp.Integer(self._n0), "s": _s}
        if s is not None:
            values["s"] = sp.Rational(repr(s))
        if isinstance(expression, str):
            self._text: str | None = expression
            self._expression: sp.Expr | None = parse_expression(
                expression, _NAMES, what="schedule")
            # E(t) with the numeric n0 (and s) in place, parsed again rather than substituted:
            # the parser's guards then also see numeric powers such as (n0**n0)**(n0**n0),
            # which a substitution would hand to SymPy to compute exactly (maybe forever).
            self._numeric: sp.Expr | None = parse_expression(expression, values,
                                                             what="schedule")
        else:
            if not isinstance(expression, sp.Expr | numbers.Real) or isinstance(
                    expression, bool):
                raise TypeError(f"expression must be a str or a SymPy expression, got "
                                f"{type(expression).__name__}")
            self._expression = as_expression(expression, _NAMES, what="schedule")
            self._text = _TextPrinter().doprint(self._expression)
            # the same guarded walk with the numbers in place (symbols matched by name)
            named = self._expression.xreplace({v: sp.Symbol(k) for k, v in _NAMES.items()})
            self._numeric = as_expression(named, values, what="schedule")
        # limits, sums and leading terms of a huge polynomial never finish: refuse it up front
        shown = str(self._text) if len(str(self._text)) <= 60 else str(self._text)[:57] + "..."
        check_degree(self._expression, [_t], f"schedule {shown!r}")
        self._sizes: tuple[int, ...] | None = None
        self._cache: dict[str, Any] = {}

    @classmethod
    def from_text(cls, text: str, *, n0: int = 100, s: float | None = None,
                  name: str = "a schedule") -> Schedule:
        r"""An expression in ``t``, ``n0``, ``s``, or explicit sizes ``"100,200,400"``
        (:math:`n_0, n_1, \dots`), as the command line's ``--schedule`` takes them: commas
        outside parentheses list sizes, so ``max(n0, 2*n0*t)`` is one expression. ``name``
        is how a message calls the text.

        >>> Schedule.from_text("100,200,400").sizes_given
        (100, 200, 400)
        >>> Schedule.from_text("max(n0, 2*n0*t)", n0=10).size(1)
        20
        """
        depth, listed = 0, False
        for char in text:
            depth += {"(": 1, ")": -1}.get(char, 0)
            listed = listed or (char == "," and depth <= 0)
        if not listed:
            return cls(text, n0=n0, s=s)
        items = [item.strip() for item in text.split(",")]
        if not all(item.isascii() and item.isdigit() for item in items):
            raise ValueError(f"{name} with commas outside parentheses takes explicit sizes "
                             f"n_0,n_1,... (integers >= 1), got {text!r}")
        return cls.from_sizes([int(item) for item in items])

    @classmethod
    def from_sizes(cls, sizes: Sequence[int]) -> Schedule:
        r"""A schedule given by the explicit sizes :math:`n_0, \dots, n_T`.

        Parameters
        ----------
        sizes : sequence of int
            :math:`n_0, n_1, \dots`, integers >= 1 (at least one), of any size.

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
        >>> Schedule.from_sizes([10, 2**70]).cost(1) == 2**70
        True
        """
        values = list(sizes)
        if not values:
            raise ValueError("sizes must list at least n_0, got an empty sequence")
        checked = []
        for t, v in enumerate(values):
            try:
                checked.append(integer("sizes", v, low=1, allowed="integers >= 1"))
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"{exc} at t={t}") from None
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

    def _undefined(self, t: int, shown: str) -> ValueError:
        return ValueError(
            f"n_t = ceil(E(t)) is undefined at t={t}: E({t}) = {shown} "
            f"({self._context()}); allowed: schedules with a finite real value "
            "for every t >= 1"
        )

    def _too_small(self, t: int, value: int, minimum: int, family: str | None) -> ValueError:
        target = f" for {family}" if family else ""
        return ValueError(
            f"n_t must be an integer >= {_int_text(minimum)}{target}, got {_int_text(value)} "
            f"at t={t} "
            f"({self._context()})"
        )

    def _too_large(self, t: int, bits: float) -> ValueError:
        if bits < 2.0**1000:
            about = f"{bits / _LOG2_10:.4g}"
        else:  # mpmath's magnitude of exp(exp(t**n0)) is an int beyond the float range
            about = f"10**{int(int(bits).bit_length() / _LOG2_10)}"
        return ValueError(
            f"n_t at t={t} has about {about} digits ({self._context()}); "
            f"allowed: sizes below 10**{MAX_SIZE_DIGITS}, use a smaller horizon T or a "
            "slower-growing schedule"
        )

    def _rational_function(self) -> Callable[[int], Exact] | None:
        if "rational" not in self._cache:
            try:
                self._cache["rational"] = _rational(self._numeric_expression())
            except _Inexact:
                self._cache["rational"] = None
        return self._cache["rational"]

    def _mp_value(self, t: int, prec: int) -> Any:
        """E(t) in mpmath at ``prec`` bits: a finite real mpf, or the ValueError of sizes()."""
        f = self._function("mpmath")
        with mpmath.workprec(prec):
            try:
                value = mpmath.mpmathify(f(mpmath.mpf(t)))
            except (ZeroDivisionError, ValueError):  # mpmath's poles: 1/0, gamma(0), ...
                raise self._undefined(t, "inf (a pole)") from None
            except (ArithmeticError, TypeError) as exc:  # pragma: no cover - defensive
                raise self._undefined(t, f"not computable ({type(exc).__name__})") from None
            if isinstance(value, mpmath.mpc):
                if value.imag != 0:
                    raise self._undefined(t, "nan (not a real number)")
                value = value.real
            if mpmath.isnan(value):
                raise self._undefined(t, "nan (not a real number)")
            if mpmath.isinf(value):
                raise self._undefined(t, "inf (a pole)" if value > 0 else "-inf")
            return +value

    def _exact_rational_or_bits(self, t: int, estimate: float) -> tuple[int | None, int]:
        """Phase one of an exact size: ``(size, 0)`` where E(t) is rational, else
        ``(None, bits)`` with the bit length of E(t) for the mpmath evaluation (phase two)."""
        rational = self._rational_function()
        if rational is not None:
            try:
                value = rational(t)
            except ZeroDivisionError:
                raise self._undefined(t, "inf (a pole)") from None
            except _Inexact:
                pass
            else:
                size = _ceil(value)
                if abs(size) >= _SIZE_LIMIT:
                    raise self._too_large(t, abs(size).bit_length())
                return size, 0
        if math.isfinite(estimate) and estimate != 0:
            bits = math.frexp(estimate)[1]
        else:  # overflow in float64 (or 0/0, inf/inf): the magnitude from mpmath
            bits = int(mpmath.mag(self._mp_value(t, 64)))
        if bits > MAX_SIZE_DIGITS * _LOG2_10 + 1:
            raise self._too_large(t, bits)
        return None, max(bits, 1)

    def _mp_cost(self, bits: int) -> float:
        """Predicted time of one mpmath evaluation at ``bits`` + guard bits, in units of
        about 0.1 ms: a fixed overhead plus the growth with the precision, steeper for
        gamma-type functions (``exp`` at 6000 bits takes 1 ms, ``digamma`` 0.05 s, ``gamma``
        0.4 s and 2 s at 12000 bits)."""
        if "mp_special" not in self._cache:
            self._cache["mp_special"] = self._numeric_expression().has(
                sp.gamma, sp.loggamma, sp.polygamma, sp.beta)
        kbits = (bits + _GUARD_BITS) / 1000
        return 0.4 + (80 * kbits**2.5 if self._cache["mp_special"] else 2 * kbits**2)

    def _exact_size(self, t: int, estimate: float, bits: int | None = None) -> int:
        r"""Exactly :math:`\lceil E(t) \rceil` where float64 cannot tell (``estimate`` beyond
        :math:`2^{53}`, inf or nan, or near an integer).

        Rational :math:`E(t)`: exact rational arithmetic. Otherwise mpmath with the size's
        bit length plus 64 guard bits; a value within :math:`2^{-32}` of an integer is
        evaluated again with 128 more bits and taken as that integer if it is still within
        :math:`2^{-100}` of it (the float path's round-off rule, far below round-off here).
        """
        if bits is None:
            size, bits = self._exact_rational_or_bits(t, estimate)
            if size is not None:
                return size
        prec = bits + _GUARD_BITS
        value = self._mp_value(t, prec)
        with mpmath.workprec(prec):
            nearest = int(mpmath.nint(value))
            near = abs(value - nearest) <= mpmath.ldexp(1, -_NEAR_INTEGER_BITS)
        if near:
            prec += _REFINE_BITS
            value = self._mp_value(t, prec)
            with mpmath.workprec(prec):
                if abs(value - nearest) <= mpmath.ldexp(1, -_INTEGER_BITS):
                    return nearest
        with mpmath.workprec(prec):
            size = int(mpmath.ceil(value))
        if abs(size) >= _SIZE_LIMIT:
            raise self._too_large(t, abs(size).bit_length())
        return size

    def _round(
        self, ts: np.ndarray, values: np.ndarray, minimum: int, family: str | None
    ) -> np.ndarray:
        """ceil(E(t)) with the checks of :meth:`sizes` (ts >= 1 are the generations)."""
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
            near = np.abs(values - nearest) <= tolerance
            rounded = np.where(near, nearest, np.ceil(values))
            # Decided exactly instead: beyond 2**53 (float64 cannot hold the size), inf and nan
            # (maybe mere overflow), and above 2**26 values within the tolerance of an integer
            # (64 ulps there exceeds 1e-6 and reaches 0.5 at 2**45, so float64 cannot tell an
            # integer from a fractional part, e.g. 2**50/3 or 10**12*t**3 + t/7)
            exact = ((finite & (values > MAX_EXACT_SIZE)) | np.isnan(values)
                     | np.isposinf(values) | (near & (values > _SNAP_LIMIT)))
            bad = np.isneginf(values) | (finite & ~exact & (rounded < minimum))
        stop = int(np.argmax(bad)) if bad.any() else len(values)
        index = np.flatnonzero(exact[:stop])
        sizes = self._exact_sizes(ts[index], values[index])
        if len(index):
            low = sizes < minimum
            if low.any():
                i = int(np.argmax(low))
                raise self._too_small(int(ts[index[i]]), int(sizes[i]), minimum, family)
            beyond = np.flatnonzero(values[index] > MAX_EXACT_SIZE)
            total_bits = 0
            for i in beyond.tolist():
                total_bits += abs(int(sizes[i])).bit_length()
                if total_bits > MAX_TOTAL_DIGITS * _LOG2_10:
                    raise ValueError(
                        f"the sizes up to t={int(ts[index[i]])} have more than "
                        f"{MAX_TOTAL_DIGITS} digits in all ({self._context()}); allowed: at "
                        f"most {MAX_TOTAL_DIGITS} digits per call, use a smaller horizon T or "
                        "a slower-growing schedule"
                    )
        if stop < len(values):
            t = int(ts[stop])
            if np.isneginf(values[stop]):
                raise self._undefined(t, "-inf")
            raise self._too_small(t, int(rounded[stop]), minimum, family)
        # every float-path value is now an integer in minimum .. 2**53
        out = np.where(exact, 0.0, rounded).astype(np.int64)
        if len(index):
            if max(sizes.tolist()) > _INT64_MAX:
                out = out.astype(object)
            out[index] = sizes
        return out

    def _exact_sizes(self, ts: np.ndarray, estimates: np.ndarray) -> np.ndarray:
        """:meth:`_exact_size` for many t (an object array of Python ints).

        A rational E(t) is first evaluated for all of them at once on numpy object arrays of
        Python ints and fractions. Otherwise each t in order: exact rationals where
        possible, then the mpmath evaluations, after checking that their predicted time
        stays within ``_MP_BUDGET`` (about 20 s; a one-line ValueError otherwise, naming
        the generation where the budget runs out, instead of running for hours).
        """
        out = np.empty(len(ts), dtype=object)
        if not len(ts):
            return out
        if len(ts) > _PREDICT_FROM:
            self._check_total_digits(ts)
        vector = self._rational_vector()
        if vector is not None:
            try:
                values = vector(ts.astype(object))
                if not isinstance(values, np.ndarray):  # a constant E
                    values = np.full(len(ts), values, dtype=object)
                out[:] = _CEIL(values)
            except (_Inexact, ArithmeticError, TypeError, ValueError):
                pass
            else:
                magnitudes = np.abs(out)
                if not (magnitudes >= _SIZE_LIMIT).any():
                    return out
        pending: list[tuple[int, int, int]] = []
        cost = 0.0
        for i, (t, estimate) in enumerate(zip(ts.tolist(), estimates.tolist(), strict=True)):
            size, bits = self._exact_rational_or_bits(int(t), float(estimate))
            if size is not None:
                out[i] = size
                continue
            cost += self._mp_cost(bits)
            if cost > _MP_BUDGET:
                raise ValueError(
                    f"the exact sizes up to t={t} need too long an mpmath evaluation (n_t has "
                    f"{bits} bits there; {self._context()}); use a smaller horizon T or a "
                    "slower-growing schedule"
                )
            pending.append((i, int(t), bits))
        for i, t, bits in pending:
            out[i] = self._exact_size(t, math.nan, bits)
        return out

    def _check_total_digits(self, ts: np.ndarray) -> None:
        """Refuse, before computing any of them, exact sizes whose digits together would
        clearly exceed ``MAX_TOTAL_DIGITS``: the bit lengths of those beyond
        :data:`MAX_EXACT_SIZE`, read from :math:`E(t)` in mpmath at 65 evenly spaced ``t``
        and interpolated, summed. Computing them first took
        minutes and gigabytes (``n0*(t+1)**100`` up to :math:`T = 10^7`)."""
        picks = np.unique(np.linspace(0, len(ts) - 1, 65).astype(np.int64))
        bits = np.array([max(1.0, float(mpmath.log(abs(self._mp_value(int(ts[i]), 64)) + 1,
                                                   2)))
                         for i in picks])
        every = np.interp(np.arange(len(ts)), picks, bits)
        # as the exact count: only sizes beyond 2**53 (below, the float path holds them)
        total = float(np.sum(every[every > math.log2(MAX_EXACT_SIZE)]))
        if total > _PREDICTED_MARGIN * MAX_TOTAL_DIGITS * _LOG2_10:
            raise ValueError(
                f"the sizes up to t={int(ts[-1])} would have about {total / _LOG2_10:.3g} "
                f"digits in all ({self._context()}); allowed: at most {MAX_TOTAL_DIGITS} "
                "digits per call, use a smaller horizon T or a slower-growing schedule")

    def _rational_vector(self) -> Callable[[np.ndarray], np.ndarray] | None:
        if "rational_vector" not in self._cache:
            try:
                self._cache["rational_vector"] = _rational_vector(self._numeric_expression())
            except _Inexact:
                self._cache["rational_vector"] = None
        return self._cache["rational_vector"]

    def sizes(self, T: int, *, minimum: int = 1, family: str | None = None) -> np.ndarray:
        r"""The sizes :math:`n_0, n_1, \dots, n_T`, exact integers however large.

        :math:`n_0 = n0` and :math:`n_t = \lceil E(t) \rceil` for :math:`t \ge 1`, evaluated
        in float64 for all :math:`t` at once; values within round-off of an integer are
        taken as that integer (so :math:`100 \cdot 4^{1.5}` gives exactly 800). Where
        :math:`E(t)` exceeds :data:`MAX_EXACT_SIZE` (:math:`2^{53}`) or overflows float64,
        the ceiling is computed exactly: rational arithmetic where :math:`E(t)` is rational,
        else mpmath with 64 guard bits beyond the size's bit length; so are sizes above
        :math:`2^{26}` within 64 ulps of an integer, where float64 cannot tell (see the module
        notes).

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
            Length ``T + 1``: int64 when every size fits in int64, else an object array of
            Python ints (``.astype(float)`` converts either, up to about ``1.8e308``).

        Raises
        ------
        ValueError
            One line naming the schedule, ``t`` and the value: :math:`E(t)` not finite or not
            real, :math:`n_t` below ``minimum`` or with ``MAX_SIZE_DIGITS`` (10000) digits or
            more, all sizes together with more than ``MAX_TOTAL_DIGITS`` (:math:`10^7`)
            digits or needing mpmath evaluations predicted to take more than about 20 s,
            ``T`` not an integer >= 0 (or beyond an explicit list), ``s`` needed but not
            given, ``T`` above :data:`modelcollapse.guards.MAX_HORIZON` (:math:`10^7`; the
            array would not fit in memory).

        Examples
        --------
        >>> Schedule("n0*2**t", n0=3).sizes(4)
        array([ 3,  6, 12, 24, 48])
        >>> Schedule("n0*2**t", n0=100).sizes(100)[-2:]
        array([63382530011411470074835160268800, 126765060022822940149670320537600],
              dtype=object)
        >>> Schedule("n0/t", n0=3).sizes(3, minimum=2, family="gaussian-variance")
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: n_t must be an integer >= 2 for gaussian-variance, got 1 at t=3 (schedule ...
        """
        T = integer("T", T, low=0)
        minimum = integer("minimum", minimum, low=1)
        if self._sizes is None:  # decided before allocating T + 1 entries
            check_horizon(T, "the sizes n_0, ..., n_T of a schedule")
        if self._sizes is not None:
            if T >= len(self._sizes):
                raise ValueError(
                    f"T={T} is beyond the {len(self._sizes)} explicit sizes "
                    f"({self._context()}); allowed: T <= {len(self._sizes) - 1}"
                )
            given = self._sizes[: T + 1]
            for t, size in enumerate(given):
                if size < minimum:
                    raise self._too_small(t, size, minimum, family)
            return _int_array(given)
        if self._n0 < minimum:
            raise self._too_small(0, self._n0, minimum, family)
        if T == 0:
            return _int_array([self._n0])
        ts = np.arange(1, T + 1, dtype=np.int64)
        rest = self._round(ts, self._evaluate(ts), minimum, family)
        if rest.dtype == object or self._n0 > _INT64_MAX:
            out = np.empty(T + 1, dtype=object)
            out[0] = self._n0
            out[1:] = rest.tolist()
            return out
        return np.concatenate([np.array([self._n0], dtype=np.int64), rest])

    def size(self, t: int) -> int:
        r"""The size :math:`n_t` of generation ``t`` (``t = 0``: the real data), a Python int.

        Examples
        --------
        >>> Schedule("n0*t**1.5", n0=10).size(2)
        29
        >>> Schedule("n0*exp(t)", n0=1).size(60)  # ceil(e**60), exactly
        114200738981568428366295719
        """
        t = integer("t", t, low=0)
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
        >>> Schedule("n0*2**t", n0=1).cost(100) == 2**101 - 2
        True
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
            :math:`M = 10^6`, fewer if :math:`n_t` would pass :math:`2^{40}`, see
            :meth:`exact_horizon`) are summed
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
        a = real("the exponent a", a, low=0, low_open=True)
        if isinstance(T, float) and math.isinf(T) and T > 0:
            return self._power_sum_limit(float(a))
        sizes = self.sizes(T)[1:]
        if sizes.dtype == object:  # some sizes beyond int64: each term from the exact int
            return math.fsum(_inverse_power(n, float(a)) for n in sizes.tolist())
        floats = sizes.astype(np.float64)
        return math.fsum((floats ** (-float(a))).tolist())

    def exact_horizon(self) -> int:
        r"""How far the head of an infinite series is summed term by term: the largest
        :math:`T \le 10^6` with :math:`n_1, \dots, n_T` all within :data:`MAX_HEAD_SIZE`
        (:math:`2^{40}`).

        Every size is an exact integer (:meth:`sizes`), but beyond :math:`2^{40}` float64
        rarely decides :math:`\lceil E(t) \rceil` and each size may take an mpmath
        evaluation, while the terms :math:`n_t^{-a}` are summed as well analytically from
        :math:`E(t)` (dropping the ceiling changes each by a relative :math:`< 10^{-12}`).
        Used for :meth:`inverse_sum` at ``math.inf`` and by the limits of
        :mod:`modelcollapse.theory.limits` (head up to here, tail from the schedule). (Before
        sizes were exact, the bound was :math:`2^{53}`, beyond which sizes were refused.)
        For explicit sizes: the last ``T`` before the first size beyond :math:`2^{40}` (at
        most ``len(sizes) - 1``).

        Examples
        --------
        >>> Schedule("n0*2**t", n0=100).exact_horizon()  # 100*2**33 < 2**40 < 100*2**34
        33
        >>> Schedule.from_sizes([5, 6, 2**60, 7]).exact_horizon()
        1
        """
        if self._sizes is not None:
            for t, size in enumerate(self._sizes[1:], start=1):
                if size > MAX_HEAD_SIZE:
                    return t - 1
            return len(self._sizes) - 1
        ts = np.arange(1, EXACT_TERMS + 1, dtype=np.int64)
        values = self._evaluate(ts)
        # only overflow ends the exact range; nan or -inf earlier are reported by sizes()
        with np.errstate(invalid="ignore"):
            beyond = np.isposinf(values) | (values > MAX_HEAD_SIZE)
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

    def limiting_size(self) -> int | float | None:
        r""":math:`\lim_{t\to\infty} n_t`: ``math.inf`` where the sizes grow without bound, the
        integer they settle at (0 where :math:`E(t)` falls below 0: no sizes at all), ``None``
        where they have no limit (they oscillate), for explicit sizes, or where it is not
        decided.

        A finite limit :math:`L = \lim E(t)` (SymPy; ``min`` and ``max`` of their arguments'
        limits) settles the sizes at :math:`\max(1, \lceil L \rceil)`: also for an integer
        :math:`L` approached from above, since sizes within a relative :math:`10^{-9}` of an
        integer are that integer (:meth:`sizes`).

        Examples
        --------
        >>> Schedule("n0*t").limiting_size(), Schedule("max(10, n0 - t)").limiting_size()
        (inf, 10)
        >>> Schedule("n0 + 100/t").limiting_size(), Schedule("n0 + 1/(2*t) + 0.5").limiting_size()
        (100, 101)
        >>> Schedule("n0*(2 + (-1)**t)").limiting_size() is None
        True
        """
        if self._numeric is None:
            return None
        if "limit" not in self._cache:
            growth = self.growth()
            if growth is not None and (growth.base > 1 or (growth.base == 1 and (
                    growth.power > 0 or (growth.power == 0 and growth.log_power > 0)))):
                self._cache["limit"] = math.inf
            else:
                limit = _limit_at_infinity(self._numeric)
                self._cache["limit"] = (
                    None if limit is None else math.inf if limit is sp.oo
                    else 0 if limit.is_extended_negative else max(1, int(sp.ceiling(limit))))
        return self._cache["limit"]

    def check_limit(self, minimum: int = 1, family: str | None = None) -> None:
        """What :meth:`sizes` checks at a finite horizon, for ``T = inf``: :math:`n_0`,
        :math:`n_1` and the size the sizes settle at (:meth:`limiting_size`) are at least
        ``minimum``; a ``ValueError`` naming them otherwise.

        >>> Schedule("n0/t", n0=10).check_limit(2, "gaussian-variance")
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: n_t must be an integer >= 2 for gaussian-variance, got 1 as t -> inf (...
        """
        self.sizes(1, minimum=minimum, family=family)
        settled = self.limiting_size()
        if settled is not None and settled < minimum:
            raise ValueError(f"n_t must be an integer >= {minimum}"
                             f"{f' for {family}' if family else ''}, got {settled} as t -> inf "
                             f"({self._context()})")

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
            return f"Schedule.from_sizes([{', '.join(map(_int_text, self._sizes))}])"
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
            shown = ", ".join(map(_int_text, self._sizes))
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
