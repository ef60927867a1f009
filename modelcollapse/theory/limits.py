r"""Values at :math:`T = \infty`: the limits of the moments, or None where none exists.

Every quantity of a closing chain is built from sums :math:`\sum_t g(n_t)` and products
:math:`\prod_t (1 + x(n_t))`. With :math:`x(n) \sim c\,n^{-k}` as :math:`n \to \infty`, the
product converges to a positive number iff :math:`\sum_t n_t^{-k} < \infty` (decided exactly
by the schedule), and otherwise goes to 0 (:math:`c < 0`) or :math:`\infty` (:math:`c > 0`).
So the limits that exist despite collapse are found exactly: the martingale mean
:math:`\sigma^2`, the MLE mean :math:`\to 0`, the Bernoulli variance :math:`\to p(1-p)`.
Convergent pieces are summed to :math:`T_b = 10^6` (or where :math:`n_t` leaves the exact
integer range) plus the tail :math:`c\sum_{t>T_b} n_t^{-k}`, known from the schedule.

Coupled chains (the Gaussian mean under a re-estimated variance) are extrapolated linearly in
the slowest driving series when every driver converges. The accumulate workflow, whose
increments :math:`\omega_t^2 v_t \le \sigma^2 (1/N_{t-1} - 1/N_t)` always converge, is
extrapolated by Aitken's :math:`\Delta^2` over :math:`T_b/4, T_b/2, T_b`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from modelcollapse import symbols
from modelcollapse.families.base import Bias, Family
from modelcollapse.guards import too_large
from modelcollapse.numeric import as_float, evaluate
from modelcollapse.schedules import Schedule
from modelcollapse.theory import criteria
from modelcollapse.theory.recursion import (
    MomentRecursion,
    coefficient_limit,
    fixed_point,
    recursion_for,
)

__all__ = ["limit_values", "LIMIT_HORIZON"]

#: horizon up to which limits are summed exactly before the tail is added
LIMIT_HORIZON = 10**6

Values = dict[str, Any]


def limit_values(fam: Family, estimator: str, bias: Bias | None, workflow: str,
                 values: dict[str, np.ndarray], schedule: Schedule, minimum: int,
                 at: Callable[[np.ndarray], Values], notes: list[str]) -> Values:
    """The ``derive`` values at T = inf (``at(sizes)`` gives them at a finite horizon)."""
    if schedule.expression is None:
        raise ValueError("T = inf needs a schedule given by an expression, not a list of sizes")
    schedule.check_limit(minimum, fam.name)
    horizon = min(LIMIT_HORIZON, schedule.exact_horizon())

    def sizes(T: int) -> np.ndarray:
        return schedule.sizes(T, minimum=minimum, family=fam.name)

    if workflow == "accumulate":
        return _aitken(at(sizes(horizon // 4)), at(sizes(horizon // 2)), at(sizes(horizon)))
    found = criteria.drivers(fam, estimator=estimator, bias=bias, values=values)
    if found.contracting:
        return _stationary(fam, estimator, bias, values, schedule, minimum)
    decision = criteria.collapses(schedule, bias, family=fam, estimator=estimator,
                                  values=values)
    if decision is None:
        notes.append("undecided growth: no limits reported")
        return {k: None for k in ("mean_T", "variance_T", "log_mean_T", "log_variance_T",
                                  "collapse_probability_T")}
    if decision is False:
        # every driver converges: the remaining increments are proportional to n_t^(-a) for
        # the slowest driver a; extrapolate linearly in X_T = sum_{t<=T} n_t^(-a)
        exponent = min(float(a) for a in found.exponents)
        big, half = at(sizes(horizon)), at(sizes(horizon // 2))
        x_big = schedule.power_sum(horizon, exponent)
        x_half = schedule.power_sum(horizon // 2, exponent)
        tail = schedule.power_sum(math.inf, exponent) - x_big
        step = tail / (x_big - x_half) if x_big > x_half else 0.0
        if fam.absorbing == "fixation":
            notes.append("the fixation probability at T = inf has no exact evaluation here")
            big["collapse_probability_T"] = half["collapse_probability_T"] = None
        out = _linear(big, half, step)  # exact for the log-moments: sums of terms ~ n_t^(-a)
        # the moments are products (exponentials of such sums): linear in X_T only when the
        # tail is small, so take their exact series limits wherever the recursion has them
        exact = _series_limits(fam, estimator, bias, values, _Series(schedule, horizon))
        for key, value in exact.items():
            out[key] = _prefer(value, out[key])
        return out
    # the walk collapses: only limits that exist although it does
    out = _series_limits(fam, estimator, bias, values, _Series(schedule, horizon))
    out["log_mean_T"] = out["log_variance_T"] = None  # sums of order 1/n_t that diverge
    absorbing = fam.absorbing and not fam.vector and bias is None
    out["collapse_probability_T"] = 1.0 if absorbing else None
    return out


def _stationary(fam: Family, estimator: str, bias: Bias | None, values: dict[str, np.ndarray],
                schedule: Schedule, minimum: int) -> Values:
    r"""Limits of a contracting chain: the fixed point of the moment recursion at the limiting
    coefficients (:func:`~modelcollapse.theory.recursion.fixed_point`,
    :func:`~modelcollapse.theory.recursion.coefficient_limit`)."""
    at_limit = coefficient_limit(schedule, minimum=minimum, family=fam.name)
    constants = {c.symbol: float(values[c.name][0]) for c in fam.constants}
    per: dict[str, dict[str, Any]] = {"mean_T": {}, "variance_T": {}}
    for p in fam.parameters:
        mean, variance = fixed_point(recursion_for(fam, p.name, estimator, bias), constants,
                                     at_limit)
        mean, variance = float(mean), None if variance is None else float(variance)
        per["mean_T"][p.name] = [mean] * len(values[p.name]) if fam.vector else mean
        per["variance_T"][p.name] = [variance] * len(values[p.name]) if fam.vector \
            else variance
    names = [p.name for p in fam.parameters]
    out: Values = {k: (v[names[0]] if len(names) == 1 else v) for k, v in per.items()}
    out.update(log_mean_T=None, log_variance_T=None, collapse_probability_T=None)
    return out


def _series_limits(fam: Family, estimator: str, bias: Bias | None,
                   values: dict[str, np.ndarray], series: _Series) -> Values:
    """``mean_T`` and ``variance_T`` at T = inf from exact infinite sums over the sizes (None
    where the moment recursion has no such form), shaped as ``derive`` reports them."""
    names = [p.name for p in fam.parameters]
    per: dict[str, dict[str, Any]] = {"mean_T": {}, "variance_T": {}}
    for name in names:
        rec = recursion_for(fam, name, estimator, bias)
        thetas = np.atleast_1d(values[name])
        means = [_mean_limit(rec, float(x), series) for x in thetas]
        variances = [_variance_limit(rec, float(x), series) for x in thetas]
        per["mean_T"][name] = means if fam.vector else means[0]
        per["variance_T"][name] = variances if fam.vector else variances[0]
    return {k: (v[names[0]] if len(names) == 1 else v) for k, v in per.items()}


def _prefer(exact: Any, fallback: Any) -> Any:
    """``exact`` where it has a number, else ``fallback`` (element by element)."""
    if isinstance(exact, dict):
        return {k: _prefer(exact[k], fallback[k]) for k in exact}
    if isinstance(exact, list):
        return [_prefer(e, f) for e, f in zip(exact, fallback, strict=True)]
    return fallback if exact is None else exact


class _Series:
    r"""Exact infinite sums :math:`\sum_{t \ge 0} g(n_t)` of a function of the sample size."""

    def __init__(self, schedule: Schedule, horizon: int) -> None:
        self.schedule, self.horizon = schedule, horizon
        self.sizes = as_float(schedule.sizes(horizon))

    def total(self, expr: sp.Expr, *, log1p: bool = False) -> float:
        r""":math:`\sum_t g(n_t)`, or :math:`\sum_t \log(1 + g(n_t))` with ``log1p``;
        :math:`\pm\infty` when it diverges."""
        if expr == 0:
            return 0.0
        if too_large(expr, [symbols.n]):  # its limits may never finish: undecided
            return math.nan
        order, coefficient = _leading(expr)
        if order <= 0:  # the terms do not shrink: the sum diverges for every schedule
            if log1p and order == 0 and coefficient <= -1:
                return math.nan
            return math.copysign(math.inf, coefficient)
        verdict = self.schedule.converges(order)
        if verdict != "converges":
            if verdict == "undecided":
                return math.nan
            return math.copysign(math.inf, coefficient)
        vals = evaluate(expr, {symbols.n: self.sizes})
        head = float(np.sum(np.log1p(vals) if log1p else vals))
        tail = self.schedule.power_sum(math.inf, order) - self.schedule.power_sum(
            self.horizon, order)
        return head + coefficient * tail


def _leading(expr: sp.Expr) -> tuple[float, float]:
    r"""``(k, c)`` with ``expr`` :math:`\sim c\,n^{-k}` as :math:`n \to \infty`."""
    n = symbols.n
    order = -sp.limit(sp.log(sp.Abs(expr)) / sp.log(n), n, sp.oo)
    coefficient = sp.limit(expr * n**order, n, sp.oo)
    return float(order), float(coefficient)


def _mean_limit(rec: MomentRecursion, theta: float, series: _Series) -> float | None:
    if rec.b == 0:
        log_prod = series.total(rec.am1, log1p=True)
        return _exp_or_none(log_prod, theta)
    if rec.am1 == 0:
        total = series.total(rec.b)
        return theta + total if math.isfinite(total) else None
    return None


def _variance_limit(rec: MomentRecursion, theta: float, series: _Series) -> float | None:
    if rec.others:
        return None  # coupled to another chain: only the all-convergent case is computed
    if rec.b == 0 and rec.beta == 0 and rec.gamma == 0:
        log_f = series.total(rec.fm1, log1p=True)
        log_a2 = 2 * series.total(rec.am1, log1p=True)
        f, a2 = _exp_or_none(log_f, 1.0), _exp_or_none(log_a2, 1.0)
        return None if f is None or a2 is None else theta**2 * (f - a2)
    w = (rec.alpha * theta**2 + rec.beta * theta + rec.gamma)
    if rec.am1 == 0 and rec.b == 0:
        if rec.fm1 == 0:
            total = series.total(sp.expand(w))
            return total if math.isfinite(total) else None
        k = sp.cancel(w / rec.fm1)
        if not k.has(symbols.n):  # w_t = K (f_t - 1): V = K (prod f - 1)
            f = _exp_or_none(series.total(rec.fm1, log1p=True), 1.0)
            return None if f is None else float(k) * (f - 1)
    return None


def _exp_or_none(log_value: float, scale: float) -> float | None:
    if math.isnan(log_value) or log_value == math.inf:
        return None
    return scale * math.exp(log_value)


def _linear(big: Any, half: Any, step: float) -> Any:
    if isinstance(big, dict):
        return {k: _linear(big[k], half[k], step) for k in big}
    if isinstance(big, list):
        return [_linear(b, h, step) for b, h in zip(big, half, strict=True)]
    if big is None or half is None or isinstance(big, bool):
        return big
    return float(big + (big - half) * step)


def _aitken(q1: Any, q2: Any, q3: Any) -> Any:
    r"""Aitken's :math:`\Delta^2` on values at three doubling horizons (exact for a geometric
    sequence, so for tails :math:`\propto T^{-k}` sampled at :math:`T, 2T, 4T`)."""
    if isinstance(q3, dict):
        return {k: _aitken(q1[k], q2[k], q3[k]) for k in q3}
    if isinstance(q3, list):
        return [_aitken(a, b, c) for a, b, c in zip(q1, q2, q3, strict=True)]
    if q3 is None or isinstance(q3, bool):
        return q3
    denominator = (q3 - q2) - (q2 - q1)
    if denominator == 0 or not math.isfinite(denominator):
        return float(q3)
    return float(q3 - (q3 - q2) ** 2 / denominator)
