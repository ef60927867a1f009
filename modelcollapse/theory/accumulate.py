r"""Which estimators have exact accumulate-workflow moments, and the moments of pooled laws.

Three exact routes, else none:

* a **pooled sample mean** of a natural exponential family with a quadratic variance function
  (:func:`~modelcollapse.theory.recursion.variance_function`): the recursion of
  :mod:`~modelcollapse.theory.recursion` with the pooling weights :math:`n_t/N_t`;
* a law whose pooled refit is a **martingale with steps of known variance**
  (:meth:`~modelcollapse.families.laws.Law.pooled_variance`, least squares):
  :math:`E\hat\theta_T = \theta^*` and

  .. math::

      \mathrm{Var}\,\hat\theta_T = \sum_{t=0}^{T} v(n_t, N_t), \qquad
      N_t = n_0 + \dots + n_t

  (uncorrelated steps); for least squares :math:`v = \sigma^2 n_t/(N_t(N_t - d - 1))`,
  bounded by :math:`\sigma^2\sum_t [1/(N_{t-1} - d - 1) - 1/(N_t - d - 1)]` for every schedule.

* the pooled sample mean and :math:`S^2` of normal data: exact means, and the variance of
  the pooled mean (:mod:`~modelcollapse.theory.pooled_normal`).

Any other estimator (the pooled exponential rate, the pooled covariance) has no closed form
here: :func:`accumulate_route` says why, ``derive`` reports None with that reason, and the
Monte Carlo engine still runs it on the pooled data
(:mod:`modelcollapse.validation.pooling`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sympy as sp

from modelcollapse import symbols
from modelcollapse.families.base import Family
from modelcollapse.numeric import as_float, evaluate
from modelcollapse.theory import pooled_normal
from modelcollapse.theory.moments import ParameterMoments
from modelcollapse.theory.recursion import recursion_for, variance_function

__all__ = ["accumulate_route", "pooled_law_moments", "pooled_law_variance", "POOLED_TOTAL"]

#: the pooled size :math:`N` in :meth:`Law.pooled_variance`
POOLED_TOTAL = sp.Symbol("N", positive=True)


def accumulate_route(family: Family, estimator: str | None = None) -> str:
    """``"pooled-mean"``, ``"pooled-law"``, ``"pooled-normal"`` (exact means only,
    :mod:`~modelcollapse.theory.pooled_normal`) or, where no closed form exists, the reason
    (a sentence starting with "no closed form").

    >>> from modelcollapse.families import get_family
    >>> accumulate_route(get_family("poisson"))
    'pooled-mean'
    >>> accumulate_route(get_family("linear-regression").at_dimension(2))
    'pooled-law'
    >>> accumulate_route(get_family("gaussian-variance"))
    'pooled-normal'
    >>> accumulate_route(get_family("exponential"))[:15]
    'no closed form:'
    """
    est = family.estimator(estimator)
    if est.pools_as_mean:
        for p in family.parameters:
            found = variance_function(recursion_for(family, p.name, est.name))
            if isinstance(found, str):
                return f"no closed form: {p.name}: {found}"
        return "pooled-mean"
    if pooled_normal.applies(family, est.name):
        return "pooled-normal"
    if est.exact and all(pooled_law_variance(law) is not None for law in est.laws.values()):
        return "pooled-law"
    return (f"no closed form: the {est.name} estimator of {family.name} is not a pooled sample "
            "mean of a natural exponential family with a quadratic variance function "
            "and its law declares no pooled step (Law.pooled_variance); the Monte "
            "Carlo engine runs it by brute force on the pooled data")


def pooled_law_variance(law) -> sp.Expr | None:
    r""":math:`v(n, N)` of one pooled step, in :data:`modelcollapse.symbols.n` and
    :data:`POOLED_TOTAL`; None where the law has none, or where its step is not a martingale
    (mean other than :math:`\theta`) or its variance depends on :math:`\theta`."""
    found = law.pooled_variance(POOLED_TOTAL)
    if found is None:
        return None
    theta = law.mean()
    if not isinstance(theta, sp.Symbol) or found.has(theta):
        return None
    return found


def pooled_law_moments(family: Family, values: Mapping[str, np.ndarray], sizes: np.ndarray,
                       *, estimator: str | None = None) -> dict[str, ParameterMoments]:
    r"""Means (all generations) and final variances of every parameter under the accumulate
    workflow, for laws with a pooled step: :math:`E\hat\theta_t = \theta^*`,
    :math:`\mathrm{Var}\,\hat\theta_T = \sum_t v(n_t, N_t)`.

    >>> from modelcollapse.families import get_family
    >>> fam = get_family("linear-regression").at_dimension(2)
    >>> values = {"beta": np.zeros(2), "sigma2": np.ones(2)}
    >>> got = pooled_law_moments(fam, values, np.array([10, 10]))["beta"].variance
    >>> [round(float(v), 12) for v in got]  # 10/(10*7) + 10/(20*17)
    [0.172268907563, 0.172268907563]
    """
    est = family.estimator(estimator)
    nn = as_float(sizes)
    total = np.cumsum(nn)
    out = {}
    for p in family.parameters:
        law = est.laws[p.name]
        v = pooled_law_variance(law)
        if v is None:
            raise ValueError(f"{p.name} of {family.name} has no pooled step law")
        coords = np.atleast_1d(values[p.name]).astype(float)
        variances = []
        for i in range(len(coords)):
            subs = {symbols.n: nn, POOLED_TOTAL: total}
            subs.update({c.symbol: float(np.atleast_1d(values[c.name])[i])
                         for c in family.constants})
            step = np.broadcast_to(evaluate(v, subs), nn.shape)
            variances.append(float(np.sum(step)))
        means = np.repeat(coords[:, None], len(nn), axis=1)
        out[p.name] = ParameterMoments(p.name, means, np.array(variances))
    return out


def pooled_law_variance_symbolic(law, horizon: sp.Expr) -> sp.Expr:
    r""":math:`\sum_{t=0}^{T} v(n_t, N_t)` with :math:`N_t = \sum_{r \le t} n_r`."""
    t = symbols.t
    r = sp.Symbol("r", integer=True, nonnegative=True)
    v = pooled_law_variance(law)
    pooled = sp.Sum(symbols.n_t[r], (r, 0, t))
    return sp.Sum(v.subs({symbols.n: symbols.n_t[t], POOLED_TOTAL: pooled}), (t, 0, horizon))
