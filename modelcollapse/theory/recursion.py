r"""Exact first- and second-moment recursions of a closing moment map, solved.

With :math:`m(\theta, n) = a(n)\theta + b(n)` and :math:`v(\theta, n) = \alpha(n)\theta^2 +
\beta(n)\theta + \gamma(n)`, the law of total variance gives, for generations
:math:`t = 0, \dots, T` (generation 0 is the fit on real data, :math:`\hat\theta_{-1} =
\theta^*`):

.. math::

    M_t = a_t M_{t-1} + b_t, \qquad
    V_t = f_t V_{t-1} + w_t, \qquad f_t = a_t^2 + \alpha_t, \quad
    w_t = \alpha_t M_{t-1}^2 + \beta_t M_{t-1} + \gamma_t,

solved as :math:`M_T = \theta^*\prod_{t=0}^{T} a_t + \sum_{t=0}^{T} b_t \prod_{u=t+1}^{T} a_u`
and :math:`V_T = \sum_{t=0}^{T} w_t \prod_{u=t+1}^{T} f_u`.

Numerically every product is a sum of :math:`\log(1 + x)` with :math:`x = a_t - 1` or
:math:`f_t - 1` simplified symbolically first (so :math:`1 - 1/n^2` at :math:`n = 10^{12}` keeps
its digits), and :math:`V_T` is a sum of non-negative terms with suffix sums of logs: no
cancellation and no overflow of intermediate products, for :math:`T` up to :math:`10^6`.

The accumulate workflow of a sample mean pools generation :math:`t` with weight
:math:`\omega_t = n_t/N_t`, :math:`N_t = n_0 + \dots + n_t`: the same recursion with
:math:`a \to 1 + \omega(a - 1)`, :math:`b \to \omega b`, :math:`v \to \omega^2 v`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import sympy as sp

from modelcollapse import symbols
from modelcollapse.families.base import Bias, Family, MomentMap
from modelcollapse.numeric import as_float, evaluate
from modelcollapse.schedules import Schedule

__all__ = ["MomentRecursion", "recursion_for", "solve_numeric", "solve_symbolic",
           "pooling_weights", "variance_function", "coefficient_limit", "fixed_point"]

_N = symbols.n


def pooling_weights(sizes: np.ndarray) -> np.ndarray:
    r"""Accumulate-workflow weights :math:`\omega_t = n_t / N_t` (so :math:`\omega_0 = 1`).

    >>> pooling_weights(np.array([10, 10, 20])).tolist()
    [1.0, 0.5, 0.5]
    """
    sizes = as_float(sizes)
    return sizes / np.cumsum(sizes)


def variance_function(rec: MomentRecursion) -> tuple[sp.Expr, sp.Expr, sp.Expr] | str:
    r"""``(v0, v1, v2)`` of a natural exponential family's quadratic variance function
    :math:`V(\mu) = v_0 + v_1\mu + v_2\mu^2`, read off a sample mean's moment map
    (:math:`m = \mu`, :math:`n\,v(\mu, n) = V(\mu)` free of :math:`n`); otherwise the
    reason it is not one, as a string.

    Pooled over generations (accumulate), :math:`\hat\mu_t = S_t/N_t` has
    :math:`\mathrm{Var}\,\hat\mu_t = \mathrm{Var}\,\hat\mu_{t-1} + n_t E V(\hat\mu_{t-1})
    / N_t^2` with :math:`E V(\hat\mu) = V(\mu) + v_2 \mathrm{Var}\,\hat\mu`: the
    recursion :func:`solve_numeric` runs with ``weights=pooling_weights(sizes)``.

    >>> from modelcollapse.families import get_family
    >>> variance_function(recursion_for(get_family("bernoulli"), "p"))
    (0, 1, -1)
    >>> variance_function(recursion_for(get_family("gaussian-variance"), "sigma2"))
    'n v(theta, n) depends on n: not the variance function of a sample mean'
    """
    if rec.a != 1 or rec.b != 0:
        return "the mean map is not the identity m(theta, n) = theta of a sample mean"
    coefficients = tuple(sp.cancel(c * _N) for c in (rec.gamma, rec.beta, rec.alpha))
    if any(c.has(_N) for c in coefficients):
        return "n v(theta, n) depends on n: not the variance function of a sample mean"
    return coefficients  # type: ignore[return-value]


@dataclass(frozen=True)
class MomentRecursion:
    """The closing coefficients of a moment map, checked and ready for both solvers.

    ``others`` are the symbols (other parameters) that ``gamma`` may depend on linearly;
    their mean trajectories are supplied when solving.
    """

    theta: sp.Symbol
    a: sp.Expr
    b: sp.Expr
    alpha: sp.Expr
    beta: sp.Expr
    gamma: sp.Expr
    am1: sp.Expr  # a - 1, simplified
    fm1: sp.Expr  # a^2 + alpha - 1, simplified
    others: tuple[sp.Symbol, ...]

    @classmethod
    def from_moment_map(cls, mm: MomentMap, *, family: str = "this family") -> MomentRecursion:
        from modelcollapse.errors import NoClosedFormError

        if not mm.closes:
            raise NoClosedFormError(family, "moments", "the mean is not affine or the variance "
                                    "not quadratic in the parameter")
        c = mm.coefficients
        # the sample size and a symbolic bias may appear anywhere; other parameters only in gamma
        own = {_N, symbols.kappa, symbols.alpha}
        bad = [k for k in ("a", "b", "alpha", "beta") if c[k].free_symbols - own]
        others = tuple(sorted(c["gamma"].free_symbols - own, key=str))
        if bad or any(sp.Poly(c["gamma"], s).degree() > 1 for s in others):
            raise NoClosedFormError(family, "moments", f"coefficients {bad or ['gamma']} "
                                    "couple this parameter non-linearly to others")
        am1 = sp.factor(sp.cancel(c["a"] - 1))
        fm1 = sp.factor(sp.cancel(c["a"] ** 2 + c["alpha"] - 1))
        return cls(mm.theta, c["a"], c["b"], c["alpha"], c["beta"], c["gamma"], am1, fm1, others)

    def numeric(self, name: str, sizes: np.ndarray, given: Mapping[sp.Symbol, np.ndarray]):
        values = {_N: as_float(sizes)}
        values.update({s: np.asarray(given[s], dtype=float) for s in self.others})
        out = evaluate(getattr(self, name), values)
        return np.broadcast_to(np.asarray(out, dtype=float), np.shape(sizes)).copy()


_RECURSIONS: dict[tuple, tuple[Family, MomentRecursion]] = {}


def recursion_for(family: Family, parameter: str, estimator: str | None = None,
                  bias: Bias | None = None) -> MomentRecursion:
    """The checked recursion of one parameter, cached per family object (building it
    factors rational functions of n with SymPy)."""
    key = (id(family), parameter, estimator, bias)
    hit = _RECURSIONS.get(key)
    if hit is not None and hit[0] is family:
        return hit[1]
    rec = MomentRecursion.from_moment_map(family.moment_map(parameter, estimator, bias),
                                          family=family.name)
    _RECURSIONS[key] = (family, rec)
    return rec


def _suffix_log_sums(log_f: np.ndarray) -> np.ndarray:
    """R_t = sum_{u > t} log_f[u] for every t (R_T = 0), without subtracting prefix sums."""
    rev = np.cumsum(log_f[::-1])[::-1]
    return np.concatenate([rev[1:], [0.0]])


def solve_numeric(
    rec: MomentRecursion,
    sizes: np.ndarray,
    theta: float,
    *,
    given: Mapping[sp.Symbol, np.ndarray] | None = None,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    r"""Means :math:`M_0, \dots, M_T` and the variance :math:`V_T`, numerically.

    Parameters
    ----------
    rec : MomentRecursion
        The coefficients.
    sizes : array of int
        :math:`n_0, \dots, n_T`.
    theta : float
        The true value :math:`\theta^*`.
    given : mapping, optional
        For each symbol in ``rec.others``: its mean at generation :math:`t-1`, for
        :math:`t = 0..T` (the true value at :math:`t = 0`).
    weights : array, optional
        Accumulate-workflow weights :math:`\omega_t` (:func:`pooling_weights`).

    Examples
    --------
    >>> from modelcollapse.families import get_family
    >>> rec = MomentRecursion.from_moment_map(get_family("bernoulli").moment_map())
    >>> means, var = solve_numeric(rec, np.array([10, 10]), 0.5)
    >>> float(var)  # p(1-p)(1 - (1 - 1/10)^2)
    0.0475
    """
    given = dict(given or {})
    sizes = np.asarray(sizes)
    am1 = rec.numeric("am1", sizes, given)
    b = rec.numeric("b", sizes, given)
    if weights is None:
        fm1 = rec.numeric("fm1", sizes, given)
        scale = 1.0
    else:
        alpha = rec.numeric("alpha", sizes, given)
        fm1 = weights * (2 * am1 + weights * (am1**2 + alpha))
        am1, b, scale = weights * am1, weights * b, weights**2
    if np.any(am1 <= -1):
        if weights is None and (rec.b != 0 or rec.beta != 0 or rec.gamma != 0):
            # a(n) <= 0 with an additive term: a contracting map (fresh data mixed in, an
            # alternating slope), iterated directly; its moments stay bounded
            return _iterate(rec, sizes, theta, given)
        t = int(np.argmax(am1 <= -1))
        raise ValueError(
            f"the mean factor a(n) = 1 + ({am1[t]:.4g}) must be positive; it is not at t={t}, "
            f"n_t={sizes[t]} (bias too large for this sample size)"
        )
    with np.errstate(divide="ignore"):
        log_a = np.log1p(am1)
        log_f = np.log1p(fm1)
    cum_log_a = np.cumsum(log_a)
    if np.all(b == 0):
        means = theta * np.exp(cum_log_a)
    else:
        means = np.exp(cum_log_a) * (theta + np.cumsum(b * np.exp(-cum_log_a)))
    prev = np.concatenate([[theta], means[:-1]])
    with np.errstate(over="ignore", invalid="ignore"):
        # a term whose coefficient is 0 is 0, also where the estimate overflows (0 * inf)
        w = scale * sum(np.where(c == 0, 0.0, c * x) for c, x in (
            (rec.numeric("alpha", sizes, given), prev**2),
            (rec.numeric("beta", sizes, given), prev),
            (rec.numeric("gamma", sizes, given), 1.0)))
    w = np.maximum(w, 0.0)  # a variance: rounding may leave -1e-17 where it is exactly 0
    with np.errstate(over="ignore"):
        variance = float(np.sum(w * np.exp(_suffix_log_sums(log_f))))
    return means, variance


def _iterate(rec: MomentRecursion, sizes: np.ndarray, theta: float,
             given: Mapping[sp.Symbol, np.ndarray]) -> tuple[np.ndarray, float]:
    r"""The recursions :math:`M_t = a_t M_{t-1} + b_t`, :math:`V_t = f_t V_{t-1} + w_t` step by
    step (for slopes :math:`a_t \le 0`, whose products have no logarithm)."""
    coefficients = {k: rec.numeric(k, sizes, given) for k in ("a", "b", "alpha", "beta", "gamma")}
    means = np.empty(len(sizes))
    # numpy scalars: a value beyond the float range is inf, as in the vectorised solution
    mean, variance = np.float64(theta), np.float64(0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(len(sizes)):
            a, b, al, be, ga = (coefficients[k][t] for k in ("a", "b", "alpha", "beta",
                                                             "gamma"))
            noise = (al * mean**2 if al else 0.0) + (be * mean if be else 0.0) + ga
            variance = (a * a + al) * variance + max(noise, 0.0)
            mean = a * mean + b
            means[t] = mean
    return means, float(variance)


def _at(expr: sp.Expr, index: sp.Expr) -> sp.Expr:
    return expr.subs(_N, symbols.n_t[index])


def _product(expr: sp.Expr, lo: sp.Expr, hi: sp.Expr, var: sp.Symbol) -> sp.Expr:
    if expr == 1:
        return sp.Integer(1)
    return sp.Product(_at(expr, var), (var, lo, hi))


def solve_symbolic(
    rec: MomentRecursion,
    theta: sp.Expr,
    *,
    given: Mapping[sp.Symbol, sp.Expr] | None = None,
    horizon: sp.Expr = symbols.T,
) -> tuple[sp.Expr, sp.Expr]:
    r""":math:`E\hat\theta_T` and :math:`\mathrm{Var}\,\hat\theta_T` as SymPy expressions in the
    indexed schedule :math:`n_t`, in the simplest of these exact forms:

    * :math:`f \equiv 1`: :math:`V_T = \sum_t w_t`;
    * no additive terms (:math:`b = \beta = \gamma = 0`):
      :math:`V_T = \theta^2(\prod_t f_t - \prod_t a_t^2)`;
    * :math:`a \equiv 1,\ b \equiv 0` and :math:`w_t = K (f_t - 1)`:
      :math:`V_T = K(\prod_t f_t - 1)` (telescoping);
    * otherwise the sum of products.

    ``given`` maps each other parameter to its mean at generation :math:`t - 1` as an
    expression in :data:`modelcollapse.symbols.t`.

    Examples
    --------
    >>> from modelcollapse.families import get_family
    >>> rec = MomentRecursion.from_moment_map(get_family("gaussian-variance").moment_map())
    >>> m, v = solve_symbolic(rec, rec.theta)
    >>> m
    sigma^2
    >>> v
    sigma^2**2*(Product((n[t] + 1)/(n[t] - 1), (t, 0, T)) - 1)
    """
    t, u = symbols.t, symbols.u
    given = dict(given or {})
    prod_a = _product(rec.a, 0, horizon, t)
    if rec.b == 0:
        mean_T = theta * prod_a
        mean_prev = theta * _product(rec.a, 0, t - 1, u)
    elif rec.a == 1:
        mean_T = theta + sp.Sum(_at(rec.b, t), (t, 0, horizon))
        mean_prev = theta + sp.Sum(_at(rec.b, u), (u, 0, t - 1))
    else:
        r = sp.Symbol("r", integer=True, nonnegative=True)
        mean_T = theta * prod_a + sp.Sum(_at(rec.b, t) * _product(rec.a, t + 1, horizon, u),
                                         (t, 0, horizon))
        mean_prev = theta * _product(rec.a, 0, t - 1, u) + sp.Sum(
            _at(rec.b, r) * _product(rec.a, r + 1, t - 1, u), (r, 0, t - 1))
    f = sp.factor(rec.fm1 + 1)
    if rec.b == 0 and rec.beta == 0 and rec.gamma == 0:
        var_T = theta**2 * (_product(f, 0, horizon, t) - _product(rec.a**2, 0, horizon, t))
        return mean_T, sp.factor_terms(var_T)
    gamma = rec.gamma.subs({s: given.get(s, s) for s in rec.others})
    w = sp.expand(rec.alpha * mean_prev**2 + rec.beta * mean_prev + gamma)
    if rec.fm1 == 0:
        return mean_T, sp.Sum(_at(w, t), (t, 0, horizon))
    if rec.a == 1 and rec.b == 0:
        k = sp.cancel(w / rec.fm1)
        if not k.has(_N) and not k.has(t):
            return mean_T, sp.factor(k) * (_product(f, 0, horizon, t) - 1)
    return mean_T, sp.Sum(_at(w, t) * _product(f, t + 1, horizon, u), (t, 0, horizon))


def coefficient_limit(schedule: Schedule, *, minimum: int = 1, family: str = "",
                      scaled: bool = False) -> Callable[[sp.Expr], sp.Expr]:
    r"""Where the coefficients of a contracting chain settle: at :math:`n = \lim n_t`
    (:meth:`~modelcollapse.schedules.Schedule.limiting_size`) where the sizes settle, as
    :math:`n \to \infty` where they grow without bound; ``scaled`` then takes the limit of
    :math:`n` times the expression (the leading term of a variance that vanishes).

    Raises ``ValueError`` for explicit sizes, sizes without a limit (or none SymPy decides) and
    sizes that settle below ``minimum`` (the smallest size of ``family``)."""
    size = schedule.limiting_size()
    if size is None:
        if schedule.expression is None:
            raise ValueError("T = inf needs a schedule given by an expression, not a list of "
                             "sizes")
        raise ValueError(f"T = inf needs sizes that settle or grow without bound; those of "
                         f"{schedule.text!r} have no limit that could be decided")
    schedule.check_limit(minimum, family or None)
    if math.isfinite(size):
        return lambda e: e.subs(symbols.n, size)
    if scaled:
        return lambda e: sp.limit(e * symbols.n, symbols.n, sp.oo)
    return lambda e: sp.limit(e, symbols.n, sp.oo)


def fixed_point(rec: MomentRecursion, subs: Mapping,
                at_limit: Callable[[sp.Expr], sp.Expr]) -> tuple[sp.Expr, sp.Expr | None]:
    r"""Stationary moments of a contracting chain at the limiting coefficients:
    :math:`M = b/(1 - a)`, :math:`V = (\alpha M^2 + \beta M + \gamma)/(1 - a^2 - \alpha)`,
    with ``V`` None where :math:`a^2 + \alpha \ge 1` (no stationary variance)."""
    a, b, al, be, ga = (at_limit(getattr(rec, f).subs(subs))
                        for f in ("a", "b", "alpha", "beta", "gamma"))
    mean = b / (1 - a)
    f = a**2 + al
    if not (f < 1):
        return mean, None
    return mean, (al * mean**2 + be * mean + ga) / (1 - f)
