r"""Absorption times, and categorical fixation (Wright-Fisher).

The absorbing states of the Bernoulli, Poisson and categorical walks are kept for good
(a fixed :math:`\hat p` stays fixed, a dead count stays dead, a lost cell stays lost), so with
:math:`\tau` the first generation in an absorbing state,

.. math:: \Pr(\tau \le t) = \Pr(\text{absorbed at generation } t), \qquad t = 0, \dots, T,

which the exact chains of :mod:`modelcollapse.theory.absorption` produce along the way. This
module returns that whole vector (the last entry is the absorption probability at ``T``), the
truncated mean :math:`E\min(\tau, T + 1) = \sum_{t=0}^{T}\Pr(\tau > t)` and, where it is finite,
the mean :math:`E\tau` with the size held at :math:`n_T` after generation ``T``. Beyond the
exact chains' reach the same quantities come from Monte Carlo with standard errors (the
``method`` field says which).

A categorical estimate :math:`\hat p_t \mid \hat p_{t-1} \sim \mathrm{Multinomial}(n_t,
\hat p_{t-1})/n_t` is *fixed* when only one category is left; each cell's marginal chain is the
Bernoulli (Wright-Fisher) chain of that cell, so a cell's loss probability is the Bernoulli
fixation-at-0 probability, and fixation (only cell k left, i.e. cell k at frequency 1, disjoint
over k) is the sum of the cells' fixation-at-1 probabilities: exact from K Bernoulli chains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from modelcollapse.arguments import choice, integer, probability, real
from modelcollapse.errors import ChainTooLargeError
from modelcollapse.theory.absorption import (
    MAX_WORK,
    _binomial_rows,
    _check_sizes,
    _wright_fisher_distributions,
    poisson_extinction_probability,
)

__all__ = [
    "AbsorptionTimes",
    "CategoricalFixation",
    "bernoulli_fixation_times",
    "poisson_extinction_times",
    "categorical_fixation",
    "categorical_fixation_probability",
    "category_loss_probabilities",
    "wright_fisher_mean_time",
]

Method = Literal["auto", "exact", "monte carlo"]
_METHODS = ("auto", "exact", "monte carlo")
#: Monte Carlo draws sizes with numpy's int64 samplers
_MC_MAX_SIZE = 2**62
#: largest size whose Wright-Fisher fundamental matrix is solved for the mean time
_MEAN_MAX_SIZE = 1500


@dataclass(frozen=True)
class AbsorptionTimes:
    r"""Distribution of the absorption time :math:`\tau` over generations ``0..T``."""

    #: :math:`\Pr(\tau \le t)`, t = 0..T (nondecreasing; ``cdf[-1]`` is the absorption
    #: probability at T)
    cdf: np.ndarray
    #: standard errors of ``cdf`` (zeros when exact)
    stderr: np.ndarray
    #: :math:`E\min(\tau, T+1) = \sum_{t \le T}\Pr(\tau > t)`
    truncated_mean: float
    #: standard error of ``truncated_mean`` (0 when exact)
    truncated_mean_stderr: float
    #: :math:`E\tau` with sizes held at :math:`n_T` after T; ``inf`` where infinite, None where
    #: not computed
    mean_time: float | None
    #: standard error of ``mean_time`` (0 when exact, None with ``mean_time``)
    mean_time_stderr: float | None
    #: "exact" or "monte carlo"
    method: str
    #: Monte Carlo replications (None when exact)
    reps: int | None = None
    #: Bernoulli only: :math:`\Pr(\hat p_t = 0)` and :math:`\Pr(\hat p_t = 1)`, t = 0..T
    at_zero: np.ndarray | None = None
    at_one: np.ndarray | None = None


@dataclass(frozen=True)
class CategoricalFixation:
    r"""Fixation (one category left) and loss of each category, by generation ``0..T``."""

    #: :math:`\Pr(\text{only one category left at } t)`, t = 0..T
    cdf: np.ndarray
    #: standard errors of ``cdf`` (zeros when exact)
    stderr: np.ndarray
    #: :math:`\Pr(\text{cell } k \text{ lost at } t)`, shape (K, T + 1)
    lost: np.ndarray
    #: standard errors of ``lost`` (zeros when exact)
    lost_stderr: np.ndarray
    #: :math:`E\min(\tau, T+1)` for the fixation time
    truncated_mean: float
    truncated_mean_stderr: float
    #: "exact" or "monte carlo"
    method: str
    reps: int | None = None

    @property
    def probability(self) -> float:
        """Probability that only one category is left at generation T."""
        return float(self.cdf[-1])


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _mc_sizes(ns: list[int]) -> None:
    if max(ns) >= _MC_MAX_SIZE:
        raise ValueError(f"Monte Carlo draws sizes below 2**62, got a size {max(ns)}; at such "
                         f"sizes absorption is negligible")


def _bernoulli_work(ns: list[int]) -> int:
    return sum((a + 1) * (b + 1) for a, b in zip(ns[:-1], ns[1:], strict=True)) + ns[0] + 1


def _indicator_summary(hits: np.ndarray, reps: int) -> tuple[np.ndarray, np.ndarray]:
    """Means and standard errors of indicator rows summed over replications."""
    est = hits / reps
    return est, np.sqrt(est * (1 - est) / reps)


def _truncated(cdf: np.ndarray) -> float:
    return float(np.sum(1.0 - cdf))


# --------------------------------------------------------------------------------------------
# Bernoulli (Wright-Fisher)
# --------------------------------------------------------------------------------------------


def wright_fisher_mean_time(n: int) -> np.ndarray:
    r"""Exact mean fixation time :math:`h(k)` of the Wright-Fisher chain of constant size ``n``
    from :math:`k` successes, :math:`k = 0..n` (:math:`h(0) = h(n) = 0`), solving
    :math:`(I - Q)h = 1` on the transient states (:math:`Q` the Binomial(n, k/n) transitions).

    >>> wright_fisher_mean_time(2).tolist()  # from k = 1: fixed with probability 1/2 each step
    [0.0, 2.0, 0.0]
    """
    n = integer("n", n, low=1, high=_MEAN_MAX_SIZE, repeat_name=True)
    h = np.zeros(n + 1)
    if n == 1:
        return h
    inner = np.arange(1, n)
    q = _binomial_rows(n, inner / n)[:, 1:n]
    h[1:n] = np.linalg.solve(np.eye(n - 1) - q, np.ones(n - 1))
    return h


def bernoulli_fixation_times(
    p: float, sizes: ArrayLike, *, method: Method = "auto", reps: int = 100_000,
    seed: int | np.random.Generator | None = 0, max_work: int = MAX_WORK,
) -> AbsorptionTimes:
    r"""Distribution of the Wright-Fisher fixation time: :math:`\Pr(\hat p_t \in \{0, 1\})`
    for t = 0..T.

    ``method="exact"`` propagates :math:`\pi_t(k) = \Pr(\hat p_t = k/n_t)` as
    :func:`~modelcollapse.theory.absorption.bernoulli_fixation_probabilities` does and reads
    :math:`\pi_t(0) + \pi_t(n_t)` at every t; ``"monte carlo"`` runs ``reps`` chains
    :math:`K_t \sim \mathrm{Binomial}(n_t, K_{t-1}/n_{t-1})`; ``"auto"`` is exact when
    :math:`\sum_t (n_{t-1}+1)(n_t+1) \le` ``max_work``. The mean :math:`E\tau` holds the size at
    :math:`n_T` after T (finite: fixation is certain at a constant size); it is given for
    :math:`n_T \le 1500` (fundamental matrix of :func:`wright_fisher_mean_time`).

    Examples
    --------
    >>> res = bernoulli_fixation_times(0.5, [2, 2, 2])
    >>> res.cdf.tolist(), res.method
    ([0.5, 0.75, 0.875], 'exact')
    >>> res.mean_time  # tau = 0 w.p. 1/2, else geometric(1/2)
    1.0
    """
    p = probability("p", p, low_open=False, high_open=False, allowed="a real number in [0, 1]",
                    repeat_name=True)
    ns = _check_sizes(sizes)
    method = choice("method", method, _METHODS, repeat_name=True)
    max_work = integer("max_work", max_work, low=1, repeat_name=True)
    if method == "auto":
        method = "exact" if _bernoulli_work(ns) <= max_work else "monte carlo"
    h = wright_fisher_mean_time(ns[-1]) if ns[-1] <= _MEAN_MAX_SIZE else None
    if method == "exact":
        if _bernoulli_work(ns) > max_work:
            raise ChainTooLargeError(f"the exact chain is too large: work "
                                     f"{_bernoulli_work(ns)} exceeds max_work = {max_work}; "
                                     "use method='monte carlo'", work=_bernoulli_work(ns),
                                     max_work=max_work)
        zero, one, dist = _bernoulli_exact(p, ns)
        cdf = np.minimum(zero + one, 1.0)
        trunc = _truncated(cdf)
        mean = None if h is None else trunc + float(dist @ np.where(h > 0, h - 1, 0.0))
        return AbsorptionTimes(cdf, np.zeros_like(cdf), trunc, 0.0, mean,
                               None if mean is None else 0.0, "exact", None, zero, one)
    reps = integer("reps", reps, low=2, repeat_name=True)
    _mc_sizes(ns)
    rng = _rng(seed)
    k = rng.binomial(ns[0], p, size=reps)
    zero_hits = np.empty(len(ns))
    one_hits = np.empty(len(ns))
    alive = np.zeros(reps)  # per replication: generations t <= T with tau > t
    for i, size in enumerate(ns):
        if i:
            k = rng.binomial(size, k / ns[i - 1])
        z, o = k == 0, k == size
        zero_hits[i], one_hits[i] = z.sum(), o.sum()
        alive += ~(z | o)
    zero, zero_se = _indicator_summary(zero_hits, reps)
    one, _ = _indicator_summary(one_hits, reps)
    cdf, se = _indicator_summary(zero_hits + one_hits, reps)
    trunc, trunc_se = float(alive.mean()), float(alive.std(ddof=1) / math.sqrt(reps))
    mean = mean_se = None
    if h is not None:
        total = alive + np.where(h[k] > 0, h[k] - 1, 0.0)
        mean, mean_se = float(total.mean()), float(total.std(ddof=1) / math.sqrt(reps))
    return AbsorptionTimes(cdf, se, trunc, trunc_se, mean, mean_se, "monte carlo", reps,
                           zero, one)


def _bernoulli_exact(p: float, ns: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact :math:`\\pi_t(0)`, :math:`\\pi_t(n_t)` for t = 0..T, and :math:`\\pi_T`."""
    zero = np.empty(len(ns))
    one = np.empty(len(ns))
    for i, dist in enumerate(_wright_fisher_distributions(p, ns)):
        zero[i], one[i] = dist[0], dist[-1]
    return zero, one, dist


# --------------------------------------------------------------------------------------------
# Poisson (branching process in a varying environment)
# --------------------------------------------------------------------------------------------


def poisson_extinction_times(
    lam: float, sizes: ArrayLike, *, method: Literal["exact", "monte carlo"] = "exact",
    reps: int = 100_000, seed: int | np.random.Generator | None = 0,
) -> AbsorptionTimes:
    r"""Distribution of the Poisson extinction time: :math:`\Pr(\hat\lambda_t = 0)`, t = 0..T.

    Exact for any sizes: the composed generating functions of
    :func:`~modelcollapse.theory.absorption.poisson_extinction_probability` for every prefix
    :math:`n_0..n_t`, all prefixes at once (:math:`q^{(t)}_t = 1`,
    :math:`q^{(t)}_{j-1} = -\operatorname{expm1}(-m_j q^{(t)}_j)`,
    :math:`\Pr(\hat\lambda_t = 0) = e^{-n_0\lambda q^{(t)}_0}`). ``method="monte carlo"`` runs
    ``reps`` chains :math:`Z_t \sim \mathrm{Poisson}(m_t Z_{t-1})` instead (a check). With the
    size held at :math:`n_T` after T the counts are a critical branching process: extinction is
    certain but :math:`E\tau = \infty` (``mean_time = inf``); ``truncated_mean`` is finite.

    Examples
    --------
    >>> res = poisson_extinction_times(0.5, [4, 4])
    >>> res.cdf.round(6).tolist(), res.mean_time
    ([0.135335, 0.282454], inf)
    """
    rate = real("lam", lam, low=0, low_open=True, allowed="a finite real number > 0",
                repeat_name=True)
    ns = _check_sizes(sizes)
    method = choice("method", method, ("exact", "monte carlo"), repeat_name=True)
    if method == "exact":
        ratios = [b / a for a, b in zip(ns[:-1], ns[1:], strict=True)]
        u = np.ones(len(ns))  # u[t]: survival of one count's line of generation 0 to t
        for j in range(len(ns) - 1, 0, -1):
            u[j:] = -np.expm1(-ratios[j - 1] * u[j:])
        cdf = np.exp(-ns[0] * rate * u)
        cdf[-1] = poisson_extinction_probability(rate, ns)  # the same float, to the last bit
        cdf = np.minimum.accumulate(cdf[::-1])[::-1]  # nondecreasing despite rounding
        trunc = _truncated(cdf)
        return AbsorptionTimes(cdf, np.zeros_like(cdf), trunc, 0.0, math.inf, None, "exact")
    reps = integer("reps", reps, low=2, repeat_name=True)
    _mc_sizes(ns)
    rng = _rng(seed)
    z = rng.poisson(ns[0] * rate, size=reps)
    hits = np.empty(len(ns))
    alive = np.zeros(reps)
    for i, size in enumerate(ns):
        if i:
            z = rng.poisson(z * (size / ns[i - 1]))
        dead = z == 0
        hits[i] = dead.sum()
        alive += ~dead
    cdf, se = _indicator_summary(hits, reps)
    return AbsorptionTimes(cdf, se, float(alive.mean()),
                           float(alive.std(ddof=1) / math.sqrt(reps)), math.inf, None,
                           "monte carlo", reps)


# --------------------------------------------------------------------------------------------
# Categorical: fixation (one category left) and loss of a category
# --------------------------------------------------------------------------------------------


def _check_simplex(p: ArrayLike) -> np.ndarray:
    if isinstance(p, (str, bytes)) or np.ndim(p) != 1:
        raise ValueError(f"p must be a 1-D vector of cell probabilities, got {p!r}")
    arr = np.array([probability(f"p[{i}]", v, low_open=False, high_open=False,
                                allowed="a real number in [0, 1]")
                    for i, v in enumerate(np.asarray(p, dtype=object).tolist())], dtype=float)
    if len(arr) < 2 or abs(arr.sum() - 1) > 1e-9:
        raise ValueError(f"p must hold at least 2 cell probabilities summing to 1, got {p!r}")
    return arr / arr.sum()


def categorical_fixation(
    p: ArrayLike, sizes: ArrayLike, *, method: Method = "auto", reps: int = 100_000,
    seed: int | np.random.Generator | None = 0, max_work: int = MAX_WORK,
) -> CategoricalFixation:
    r"""Probability that only one category is left, and that each category is lost, by
    generation t = 0..T, for :math:`\hat p_t \mid \hat p_{t-1} \sim
    \mathrm{Multinomial}(n_t, \hat p_{t-1})/n_t`.

    Each cell's frequency is a Bernoulli (Wright-Fisher) chain started at :math:`p_k`, so

    .. math::

        \Pr(\text{cell } k \text{ lost at } t) = \Pr(\hat p_{k,t} = 0), \qquad
        \Pr(\text{one category left at } t) = \sum_{k=1}^K \Pr(\hat p_{k,t} = 1),

    the second because "only cell k is left" is "cell k has frequency 1": disjoint events, each
    a property of one cell's marginal chain. ``method="exact"`` runs the K Bernoulli chains of
    :func:`bernoulli_fixation_times` (work :math:`\sum_t (n_{t-1}+1)(n_t+1)` each, at most
    ``max_work``); ``"monte carlo"`` runs ``reps`` multinomial chains; ``"auto"`` picks exact
    when it fits.

    Examples
    --------
    >>> res = categorical_fixation([0.5, 0.25, 0.25], [2, 2])
    >>> res.cdf.tolist(), res.method
    ([0.375, 0.6875], 'exact')
    >>> res.lost[:, -1].tolist()  # Bernoulli(1/2) and Bernoulli(1/4) chains fixed at 0
    [0.375, 0.65625, 0.65625]
    """
    probs = _check_simplex(p)
    ns = _check_sizes(sizes)
    method = choice("method", method, _METHODS, repeat_name=True)
    max_work = integer("max_work", max_work, low=1, repeat_name=True)
    k = len(probs)
    fits = _bernoulli_work(ns) <= max_work
    if method == "auto":
        method = "exact" if fits else "monte carlo"
    if method == "exact":
        if not fits:
            raise ChainTooLargeError(f"the exact chain is too large: work "
                                     f"{_bernoulli_work(ns)} exceeds max_work = {max_work}; "
                                     "use method='monte carlo'", work=_bernoulli_work(ns),
                                     max_work=max_work)
        zero = np.empty((k, len(ns)))
        one = np.empty((k, len(ns)))
        for cell, pk in enumerate(probs):
            if pk in (0.0, 1.0):  # a lost or a fixed cell stays so
                zero[cell], one[cell] = float(pk == 0.0), float(pk == 1.0)
            else:
                zero[cell], one[cell], _ = _bernoulli_exact(float(pk), ns)
        cdf = np.minimum(one.sum(axis=0), 1.0)
        return CategoricalFixation(cdf, np.zeros_like(cdf), zero, np.zeros_like(zero),
                                   _truncated(cdf), 0.0, "exact")
    reps = integer("reps", reps, low=2, repeat_name=True)
    _mc_sizes(ns)
    rng = _rng(seed)
    c = rng.multinomial(ns[0], probs, size=reps)
    hits = np.empty(len(ns))
    lost_hits = np.empty((k, len(ns)))
    alive = np.zeros(reps)
    for i, size in enumerate(ns):
        if i:
            c = rng.multinomial(size, c / ns[i - 1])
        empty = c == 0
        fixed = (~empty).sum(axis=1) == 1
        hits[i] = fixed.sum()
        lost_hits[:, i] = empty.sum(axis=0)
        alive += ~fixed
    cdf, se = _indicator_summary(hits, reps)
    lost, lost_se = _indicator_summary(lost_hits, reps)
    return CategoricalFixation(cdf, se, lost, lost_se, float(alive.mean()),
                               float(alive.std(ddof=1) / math.sqrt(reps)), "monte carlo", reps)


def categorical_fixation_probability(p: ArrayLike, sizes: ArrayLike, *,
                                     max_work: int = MAX_WORK) -> float:
    r"""Exact probability that only one category is left at generation T,
    :math:`\sum_k \Pr(\hat p_{k,T} = 1)` (see :func:`categorical_fixation`; ``ValueError``
    when the Bernoulli chains are too large).

    >>> categorical_fixation_probability([0.5, 0.5], [2, 2])  # K = 2 is Bernoulli fixation
    0.75
    """
    return categorical_fixation(p, sizes, method="exact", max_work=max_work).probability


def category_loss_probabilities(p: ArrayLike, sizes: ArrayLike, *,
                                max_work: int = MAX_WORK) -> np.ndarray:
    r"""Exact probability that each category is lost (its frequency is 0) at generation T: the
    fixation-at-0 probability of the cell's own Bernoulli (Wright-Fisher) chain.

    >>> category_loss_probabilities([0.5, 0.25, 0.25], [2, 2]).tolist()
    [0.375, 0.65625, 0.65625]
    """
    return categorical_fixation(p, sizes, method="exact", max_work=max_work).lost[:, -1]
