r"""The ``mix`` workflow: fresh real data mixed into every generation.

Each generation fits :math:`\hat\theta_{real}` on :math:`K n_t` fresh real points and
:math:`\hat\theta_{synth}` on :math:`n_t` synthetic points drawn at :math:`\hat\theta_{t-1}`,
and returns :math:`w\hat\theta_{real} + (1 - w)\hat\theta_{synth}`. From the family's moment
map (no family is named here):

.. math::

    m'(\theta, n) = w\,m(\theta^*, K n) + (1 - w)\,m(\theta, n), \qquad
    v'(\theta, n) = w^2 v(\theta^*, K n) + (1 - w)^2 v(\theta, n),

(:math:`m(\theta^*, K n) = \theta^*` for an unbiased fit: :math:`w\theta^*`; a
biased estimator, such as the MLE of a variance, is biased on the real data too), so a
closing map stays closing, with :math:`a' = (1 - w)a` (a contraction for :math:`w > 0`):
the moments are the recursion's, and as :math:`T \to \infty` they converge to the fixed point
:math:`M = b'/(1 - a')`, :math:`V = (\alpha' M^2 + \beta' M + \gamma')/(1 - a'^2 - \alpha')`.
The weight :math:`w^*` minimising the stationary mean squared error (the variance for an
unbiased fit) is found symbolically.

Generation 0 has the same form, with :math:`\hat\theta_{-1} = \theta^*`: its "synthetic"
points are drawn at the truth, so it is the weighted fit on :math:`n_0` and :math:`K n_0` real
points (variance :math:`w^2 v(\theta^*, K n_0) + (1 - w)^2 v(\theta^*, n_0)`, not
:math:`v(\theta^*, n_0)`); the Monte Carlo engine does the same, and the stationary limits do
not depend on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import sympy as sp

from modelcollapse import symbols
from modelcollapse.errors import NoClosedFormError
from modelcollapse.families.base import Bias, Family
from modelcollapse.theory.recursion import (
    MomentRecursion,
    _iterate,
    fixed_point,
    recursion_for,
)

__all__ = ["K", "W", "star", "mixed_recursion", "mix_moments", "stationary",
           "stationary_variance", "optimal_real_weight"]

#: the real-data weight and the ratio of real to synthetic points, as symbols
W = sp.Symbol("w", positive=True)
K = sp.Symbol("K", positive=True)

_N = symbols.n


def star(symbol: sp.Symbol) -> sp.Symbol:
    r"""The true value :math:`\theta^*` of a parameter symbol (same assumptions).

    >>> star(sp.Symbol("mu", real=True))
    mu^*
    """
    return sp.Symbol(f"{symbol.name}^*", **{k: v for k, v in symbol.assumptions0.items()
                                            if k in ("real", "positive")})


def _number(x: float | sp.Expr) -> sp.Expr:
    if isinstance(x, sp.Expr):
        return x
    return sp.Rational(repr(float(x))) if float(x) == int(x) or len(repr(float(x))) < 8 \
        else sp.Float(float(x))


def mixed_recursion(rec: MomentRecursion, theta_star: sp.Expr, real_ratio: sp.Expr,
                    real_weight: sp.Expr, truth: Mapping[sp.Symbol, sp.Expr] | None = None,
                    *, simplify: bool = True,
                    estimated: frozenset[sp.Symbol] = frozenset()) -> MomentRecursion:
    r"""The recursion of the mixed estimate (module docstring). ``truth`` gives the true
    values of the other parameters in the real fit's variance (default: the starred symbols
    of the ``estimated`` ones; known constants stay as they are)."""
    w, k = real_weight, real_ratio
    th = rec.theta
    real_v = (rec.alpha * th**2 + rec.beta * th + rec.gamma).subs(th, theta_star)
    real_v = real_v.subs({s: (truth or {}).get(s, star(s) if s in estimated else s)
                          for s in rec.others})
    real_v = real_v.subs(_N, k * _N)
    a = (1 - w) * rec.a
    real_m = (rec.a * theta_star + rec.b).subs(_N, k * _N)  # theta* for an unbiased fit
    b = w * real_m + (1 - w) * rec.b
    alpha, beta = (1 - w) ** 2 * rec.alpha, (1 - w) ** 2 * rec.beta
    gamma = (1 - w) ** 2 * rec.gamma + w**2 * real_v
    tidy = (lambda e: sp.factor(sp.cancel(e))) if simplify else (lambda e: e)
    if simplify:
        a, b, alpha, beta, gamma = (sp.cancel(e) for e in (a, b, alpha, beta, gamma))
    return MomentRecursion(th, a, b, alpha, beta, gamma, tidy(a - 1), tidy(a**2 + alpha - 1),
                           rec.others)


def _check(real_ratio: float, real_weight: float) -> None:
    if not real_ratio > 0:
        raise ValueError(f"real_ratio must be a number > 0, got {real_ratio}")
    if not 0 < real_weight <= 1:
        raise ValueError(f"real_weight must be in (0, 1] or 'optimal', got {real_weight}")


@dataclass(frozen=True)
class MixMoments:
    """Means per generation (coords, T+1) and variances at T (coords) of one parameter."""

    means: np.ndarray
    variance: np.ndarray


def _order(fam: Family, estimator: str | None) -> list[str]:
    from modelcollapse.theory.moments import solve_order

    return solve_order(fam, estimator)


def _truth(fam: Family, values: Mapping[str, np.ndarray], i: int = 0) -> dict:
    return {p.symbol: _number(float(np.atleast_1d(values[p.name])[min(i, len(
        np.atleast_1d(values[p.name])) - 1)])) for p in (*fam.parameters, *fam.constants)}


def mix_moments(fam: Family, values: Mapping[str, np.ndarray], sizes: np.ndarray, *,
                real_ratio: float, real_weight: float, estimator: str | None = None,
                bias: Bias | None = None) -> dict[str, MixMoments]:
    """Exact means and variance at T of every parameter under the mix workflow."""
    _check(real_ratio, real_weight)
    k, w = _number(real_ratio), _number(real_weight)
    symbol_of = {p.symbol: p.name for p in (*fam.parameters, *fam.constants)}
    out: dict[str, MixMoments] = {}
    for name in _order(fam, estimator):
        rec = recursion_for(fam, name, estimator, bias)
        coords = np.atleast_1d(values[name])
        means, variances = [], []
        for i, theta in enumerate(coords):
            truth = _truth(fam, values, i)
            mixed = mixed_recursion(rec, _number(float(theta)), k, w, truth, simplify=False)
            mixed = MomentRecursion(*(getattr(mixed, f) if not isinstance(
                getattr(mixed, f), sp.Expr) else getattr(mixed, f).subs(
                    {c.symbol: truth[c.symbol] for c in fam.constants})
                for f in ("theta", "a", "b", "alpha", "beta", "gamma", "am1", "fm1")),
                others=tuple(s for s in mixed.others if symbol_of[s] in out))
            given = {}
            for sym in mixed.others:
                prev = out[symbol_of[sym]].means[i]
                given[sym] = np.concatenate([[float(truth[sym])], prev[:-1]])
            m, v = _iterate(mixed, np.asarray(sizes), float(theta), given)
            means.append(m)
            variances.append(v)
        out[name] = MixMoments(np.array(means), np.array(variances))
    return out


def stationary(fam: Family, values: Mapping[str, np.ndarray], *, real_ratio: float,
               real_weight: float | sp.Expr, at_limit: Callable[[sp.Expr], sp.Expr],
               estimator: str | None = None, bias: Bias | None = None,
               ) -> dict[str, tuple[list[float], list[float | None]]]:
    r"""Stationary means and variances per parameter (lists per coordinate):
    the fixed point of the mixed recursion at the limiting coefficients ``at_limit``."""
    out: dict[str, tuple[list[float], list[float | None]]] = {}
    k, w = _number(real_ratio), _number(real_weight)
    for name in _order(fam, estimator):
        rec = recursion_for(fam, name, estimator, bias)
        ms, vs = [], []
        for i, theta in enumerate(np.atleast_1d(values[name])):
            truth = _truth(fam, values, i)
            # the other parameters sit at their stationary means
            subs = {s: _number(out[next(p.name for p in fam.parameters if p.symbol == s)][0][i])
                    for s in rec.others if any(p.symbol == s for p in fam.parameters)}
            subs.update({c.symbol: truth[c.symbol] for c in fam.constants})
            mixed = mixed_recursion(rec, _number(float(theta)), k, w, truth, simplify=False)
            m, v = fixed_point(mixed, subs, at_limit)
            ms.append(float(m))
            vs.append(None if v is None else float(v))
        out[name] = (ms, vs)
    return out


def stationary_variance(rec: MomentRecursion, *, real_ratio: sp.Expr = K,
                        real_weight: sp.Expr = W,
                        estimated: frozenset[sp.Symbol] = frozenset()) -> sp.Expr:
    r"""The stationary variance of the mixed chain as a SymPy expression in :math:`n`,
    :math:`K`, :math:`w` and the true values (starred symbols).

    >>> from modelcollapse.families import get_family
    >>> rec = recursion_for(get_family("gaussian-mean"), "mu")
    >>> stationary_variance(rec)
    -sigma^2*(K*w**2 - 2*K*w + K + w**2)/(K*n*w*(w - 2))
    """
    mixed = mixed_recursion(rec, star(rec.theta), real_ratio, real_weight,
                            estimated=estimated)
    mean = sp.cancel(mixed.b / (1 - mixed.a))
    v = (mixed.alpha * mean**2 + mixed.beta * mean + mixed.gamma) / (-mixed.fm1)
    return sp.factor(sp.cancel(v))


def _real_roots(expr: sp.Expr) -> list[sp.Expr]:
    """Real roots in ``W``: exact for rational coefficients, numeric (numpy) where they are
    irrational (SymPy's exact roots of such polynomials take minutes), SymPy's solve for
    anything that is not a polynomial."""
    if not expr.is_polynomial(W):
        return list(sp.solve(expr, W))
    poly = sp.Poly(expr, W)
    coefficients = poly.all_coeffs()
    if all(c.is_Rational for c in coefficients):
        return list(poly.real_roots())
    found = np.roots([complex(sp.N(c)) for c in coefficients])
    return [sp.Float(z.real) for z in found if abs(z.imag) <= 1e-12 * max(1.0, abs(z.real))]


def _rational_in_w(v: sp.Expr) -> bool:
    """``v`` is a ratio of polynomials in ``W`` with rational coefficients."""
    try:
        parts = [sp.Poly(part, W) for part in sp.fraction(v)]
    except sp.PolynomialError:
        return False
    return all(c.is_Rational for part in parts for c in part.coeffs())


def _numeric_optimum(v: sp.Expr) -> tuple[float, sp.Expr]:
    """The minimiser of the stationary mean squared error over w in (0, 1] by bounded scalar
    search (with the endpoint w = 1), where it has no exact closed form here."""
    from scipy.optimize import minimize_scalar

    f = sp.lambdify(W, v, "math")

    def stationary_at(w: float) -> float:
        try:
            value = float(f(w))
        except (ZeroDivisionError, OverflowError, ValueError):
            return math.inf
        return value if value > 0 else math.inf

    found = minimize_scalar(stationary_at, bounds=(1e-9, 1.0), method="bounded",
                            options={"xatol": 1e-12})
    best = min((float(found.x), 1.0), key=stationary_at)
    return best, sp.Float(best)


def optimal_real_weight(fam: Family, values: Mapping[str, np.ndarray], *, real_ratio: float,
                        at_limit: Callable[[sp.Expr], sp.Expr], estimator: str | None = None,
                        bias: Bias | None = None) -> tuple[float, sp.Expr]:
    r"""The weight :math:`w^* \in (0, 1]` minimising the stationary mean squared error of the
    first parameter (first coordinate), :math:`V + (M - \theta^*)^2` with :math:`M` and
    :math:`V` the stationary mean and variance: the variance for an unbiased estimator, and
    for a biased one the criterion that does not reward a weight whose estimate shrinks to 0
    (a variance alone falls with the mean). A root of the derivative in :math:`w`, or 1 when
    none lies inside. Returns the number and its exact expression.

    Raises :class:`~modelcollapse.errors.NoClosedFormError` where the squared bias outgrows the
    variance as :math:`n \to \infty` for every weight (a bias of order :math:`n^{-\alpha}`
    with :math:`\alpha \le 1/2` under a growing schedule)."""
    p = fam.parameters[0]
    rec = recursion_for(fam, p.name, estimator, bias)
    estimated = {q.symbol: q for q in fam.parameters}
    truth = _truth(fam, values)
    # a coupled parameter (the variance in a mean's noise) sits at its stationary mean
    coupled = {}
    for s in set(rec.others) & set(estimated):
        other = recursion_for(fam, estimated[s].name, estimator, bias)
        if set(other.others) & set(estimated):
            raise NoClosedFormError(fam.name, "optimal_real_weight", f"the variance of "
                                    f"{estimated[s].name} is coupled to another parameter")
        mixed = mixed_recursion(other, truth[s], _number(real_ratio), W, truth)
        coupled[s] = sp.cancel(mixed.b / (1 - mixed.a))
    constants = {c.symbol: truth[c.symbol] for c in fam.constants}
    v = stationary_variance(rec, real_ratio=_number(real_ratio), real_weight=W,
                            estimated=frozenset(coupled))
    v = v.subs(coupled).subs({star(s): truth[s] for s in (p.symbol, *coupled)}).subs(constants)
    v = sp.cancel(at_limit(v))
    mixed = mixed_recursion(rec, truth[p.symbol], _number(real_ratio), W, truth)
    mean = sp.cancel(mixed.b / (1 - mixed.a)).subs(coupled).subs(constants)
    squared_bias = sp.cancel(at_limit(sp.cancel((mean - truth[p.symbol]) ** 2)))
    if squared_bias.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        raise NoClosedFormError(fam.name, "optimal_real_weight", "the squared bias outgrows "
                                "the variance as n -> oo for every weight")
    v = sp.cancel(v + squared_bias)
    if not _rational_in_w(v):  # irrational coefficients: SymPy's exact route takes minutes
        return _numeric_optimum(v)
    dv = sp.numer(sp.together(sp.diff(v, W)))
    candidates = [sp.Integer(1)]
    for root in _real_roots(sp.expand(dv)):
        value = complex(sp.N(root))
        if abs(value.imag) < 1e-12 * max(1.0, abs(value.real)) and 0 < value.real <= 1:
            candidates.append(root)

    def stationary_at(r: sp.Expr) -> float:
        value = complex(sp.N(v.subs(W, r)))
        # a negative value means 1 - a'^2 - alpha' < 0: no stationary variance at that w
        return value.real if value.real > 0 else float("inf")

    best = min(candidates, key=stationary_at)
    best = sp.radsimp(best)
    return complex(sp.N(best)).real, best
