r"""Accumulate workflow of a Gaussian refit by the pooled sample mean and :math:`S^2`: exact means.

Generation :math:`t` draws :math:`n_t` points from :math:`N(m_{t-1}, \hat\sigma^2_{t-1})` and
refits on all :math:`N_t = n_0 + \dots + n_t` points: :math:`\hat\sigma^2_t = M_t/(N_t - k)`
(:math:`k` = ``ddof``), :math:`M_t` the pooled sum of squared deviations. Chan's merge
:math:`M_t = M_{t-1} + M_b + \delta^2 N_{t-1}n_t/N_t`, :math:`\delta = \bar x_b - \bar x_{t-1}`,
with :math:`E[M_b] = (n_t - 1)\hat\sigma^2_{t-1}` and
:math:`E[\delta^2] = \hat\sigma^2_{t-1}/n_t + (m_{t-1} - \bar x_{t-1})^2`, gives

.. math::

    E M_t = E M_{t-1} + s_{t-1}\,\frac{n_t(N_t - 1)}{N_t}
    + \frac{N_{t-1}n_t}{N_t}\,E(m_{t-1} - \bar x_{t-1})^2, \qquad
    s_{t-1} = \frac{E M_{t-1}}{N_{t-1} - k}.

* The mean re-estimated too (family ``gaussian``): :math:`m_{t-1} = \bar x_{t-1}`, the last
  term vanishes and :math:`E\hat\sigma^2_T = \sigma^2\frac{n_0 - 1}{n_0 - k}\prod_{t=1}^{T}
  \Big(1 - \frac{n_t}{N_t(N_t - k)}\Big)`, a product that stays positive for every schedule
  (no collapse in the mean); the pooled
  mean is a martingale with :math:`\mathrm{Var}\,\hat\mu_T = \sum_t n_t s_{t-1}/N_t^2`
  (:math:`s_{-1} = \sigma^2`).
* The mean known (family ``gaussian-variance``, data centred at 0 but :math:`S^2` centred at
  the pooled mean): :math:`q_t = E\bar x_t^2` follows
  :math:`q_t = (N_{t-1}^2 q_{t-1} + n_t s_{t-1})/N_t^2`, :math:`q_0 = \sigma^2/n_0`.

The variance of the pooled :math:`S^2` has no closed form here (None in ``derive``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sympy as sp

from modelcollapse import symbols
from modelcollapse.families.base import Family
from modelcollapse.families.data import NormalData, SampleMean, SampleVariance
from modelcollapse.numeric import as_float
from modelcollapse.theory.moments import ParameterMoments

__all__ = ["applies", "variance_means", "pooled_normal_moments", "symbolic"]


def applies(family: Family, estimator: str | None = None) -> bool:
    """Whether the family draws normal data and refits by pooled sample means and variances
    (read off its data model and statistics, not its name).

    >>> from modelcollapse.families import get_family
    >>> applies(get_family("gaussian")), applies(get_family("exponential"))
    (True, False)
    """
    est = family.estimator(estimator)
    data, stats = family.data, est.statistics
    if est.pools_as_mean or not isinstance(data, NormalData) or not stats:
        return False
    kinds = {name: type(stat) for name, stat in stats.items()}
    if set(kinds.values()) - {SampleMean, SampleVariance}:
        return False
    variances = [k for k, v in kinds.items() if v is SampleVariance]
    means = [k for k, v in kinds.items() if v is SampleMean]
    return variances == [data.variance] and means in ([], [data.mean])


def variance_means(sizes: np.ndarray, sigma2: float, ddof: int, *,
                   centred: bool) -> np.ndarray:
    r""":math:`E\hat\sigma^2_t`, :math:`t = 0..T`, of the pooled :math:`S^2` (divisor
    :math:`N_t - k`); ``centred``: the data of each generation are drawn around the pooled mean.

    >>> variance_means(np.array([10, 10]), 1.0, 1, centred=True).tolist()  # 1 - 10/(20*19)
    [1.0, 0.9736842105263158]
    """
    nn = as_float(sizes)
    total = np.cumsum(nn)
    if centred:  # s_t = s_(t-1) f_t: a product, summed on the log scale (T up to 10^6)
        n, after = nn[1:], total[1:]
        shrink = n / (after * (after - ddof))  # 1 - f_t, exactly
        logs = np.concatenate([[0.0], np.cumsum(np.log1p(-shrink))])
        return (nn[0] - 1) / (nn[0] - ddof) * sigma2 * np.exp(logs)
    out = np.empty(len(nn))
    m2 = (nn[0] - 1) * sigma2  # E M_0: the real data
    q = sigma2 / nn[0]  # E xbar_0^2 (data centred at 0)
    out[0] = m2 / (nn[0] - ddof)
    for t in range(1, len(nn)):
        before, n, after = total[t - 1], nn[t], total[t]
        s = m2 / (before - ddof)
        m2 = m2 + s * n * (after - 1) / after + before * n / after * q
        q = (before**2 * q + n * s) / after**2
        out[t] = m2 / (after - ddof)
    return out


def pooled_normal_moments(family: Family, values: Mapping[str, np.ndarray], sizes: np.ndarray,
                          *, estimator: str | None = None) -> dict[str, ParameterMoments]:
    r"""Means of every parameter at every generation and final variances (NaN where there is
    no closed form: the pooled :math:`S^2`), for a family where :func:`applies`."""
    est = family.estimator(estimator)
    data = family.data
    var_name = data.variance
    ddof = est.statistics[var_name].ddof
    sigma2 = float(np.atleast_1d(values[var_name])[0])
    centred = data.mean is not None
    means = variance_means(sizes, sigma2, ddof, centred=centred)
    out = {var_name: ParameterMoments(var_name, means[None, :], np.array([np.nan]))}
    if centred:
        nn = as_float(sizes)
        before = np.concatenate([[sigma2], means[:-1]])  # s_(t-1), s_(-1) = sigma^2
        mu = float(np.atleast_1d(values[data.mean])[0])
        variance = float(np.sum(nn * before / np.cumsum(nn) ** 2))
        out[data.mean] = ParameterMoments(data.mean, np.full((1, len(nn)), mu),
                                          np.array([variance]))
    return out


def symbolic(family: Family, estimator: str | None, name: str,
             horizon: sp.Expr) -> tuple[sp.Expr | None, sp.Expr | None]:
    r"""``(E, Var)`` of parameter ``name`` at the horizon as SymPy expressions in the indexed
    schedule, None where there is none in closed form (the variance of the pooled
    :math:`S^2`; its mean when the data are centred at a known mean)."""
    est = family.estimator(estimator)
    data = family.data
    k = est.statistics[data.variance].ddof
    t, u = symbols.t, symbols.u
    r = sp.Symbol("r", integer=True, nonnegative=True)
    sigma2 = family.parameter(data.variance).symbol

    def pooled(i):
        return sp.Sum(symbols.n_t[r], (r, 0, i))

    def mean_variance(last):  # E sigma2_hat at generation `last` (data around the pooled mean)
        n0 = symbols.n_t[0]
        factor = 1 - symbols.n_t[u] / (pooled(u) * (pooled(u) - k))
        return sigma2 * (n0 - 1) / (n0 - k) * sp.Product(factor, (u, 1, last))

    if data.mean is None:
        return None, None
    if name == data.variance:
        return mean_variance(horizon), None
    mu = family.parameter(name).symbol
    steps = sp.Sum(symbols.n_t[t] * mean_variance(t - 1) / pooled(t) ** 2, (t, 1, horizon))
    return mu, sigma2 / symbols.n_t[0] + steps
