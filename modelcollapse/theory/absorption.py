r"""Exact absorption probabilities of the Bernoulli and Poisson families.

Both families have absorbing states under recursive refitting (replace workflow):

* **Bernoulli** (Wright-Fisher with varying sizes): :math:`\hat p_0 \sim \mathrm{Bin}(n_0, p)/n_0`
  and :math:`\hat p_t \mid \hat p_{t-1} \sim \mathrm{Bin}(n_t, \hat p_{t-1})/n_t`; the states
  :math:`0` and :math:`1` are absorbing (fixation).
* **Poisson**: the counts :math:`Z_t = n_t\hat\lambda_t` satisfy
  :math:`Z_0 \sim \mathrm{Poisson}(n_0\lambda)` and
  :math:`Z_t \mid Z_{t-1} \sim \mathrm{Poisson}(m_t Z_{t-1})`, :math:`m_t = n_t/n_{t-1}`: a
  branching process in a varying environment with Poisson(:math:`m_t`) offspring; :math:`0` is
  absorbing (extinction).

Sizes are given as an integer array ``sizes = (n_0, n_1, ..., n_T)``; ``T = len(sizes) - 1``
and ``T = 0`` means generation 0 only. The formulas are our own derivation.
"""

from __future__ import annotations

import math
import numbers
from collections import deque
from collections.abc import Iterator
from functools import singledispatch
from typing import NamedTuple

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from modelcollapse.arguments import integer, probability, real
from modelcollapse.errors import ChainTooLargeError
from modelcollapse.families.laws import BinomialMean, Law, MultinomialMean, PoissonMean
from modelcollapse.symbols import T, n0, n_t, t

__all__ = [
    "absorption_probability",
    "FixationProbabilities",
    "bernoulli_fixation_probability",
    "bernoulli_fixation_probabilities",
    "poisson_extinction_probability",
    "poisson_extinction_symbolic",
    "lambda_",
    "q",
    "P_T",
    "MAX_WORK",
]

#: default bound on the work of an exact Wright-Fisher chain, sum (n_(t-1)+1)(n_t+1)
MAX_WORK = 200_000_000

#: Poisson rate :math:`\lambda` of the real data
lambda_ = sp.Symbol("lambda", positive=True)
#: :math:`q_t`: probability that the descendants of one count of generation :math:`t` survive to
#: generation :math:`T` (the variable :math:`u = 1 - s` of the generating functions)
q = sp.IndexedBase("q")
#: :math:`\Pr(\hat\lambda_T = 0)`, the left-hand side of the extinction formula
P_T = sp.Symbol("P_T", nonnegative=True)


class FixationProbabilities(NamedTuple):
    """Probabilities that :math:`\\hat p_T` has fixed at 0 and at 1."""

    #: :math:`\Pr(\hat p_T = 0)`
    at_zero: float
    #: :math:`\Pr(\hat p_T = 1)`
    at_one: float


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def _check_sizes(sizes: ArrayLike) -> list[int]:
    """Validate ``sizes`` and return them as a list of Python ints (exact, any magnitude)."""
    if isinstance(sizes, (str, bytes)):
        raise TypeError(f"sizes must be a 1-D array of integers >= 1, got sizes = {sizes!r}")
    arr = np.asarray(sizes, dtype=object if _has_big_ints(sizes) else None)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"sizes must be a non-empty 1-D array (n_0, ..., n_T), got shape {arr.shape}"
        )
    if arr.dtype.kind in "iuf":  # fast vectorised path for numeric arrays
        if arr.dtype.kind == "f":
            finite = np.isfinite(arr)
            bad = ~finite | (arr < 1) | (np.where(finite, arr, 0.0) % 1.0 != 0.0)
        else:
            bad = arr < 1
        if np.any(bad):
            i = int(np.argmax(bad))
            raise ValueError(f"sizes must hold integers >= 1, got sizes[{i}] = {arr[i].item()!r}")
        return [int(x) for x in arr.tolist()]
    out: list[int] = []
    for i, value in enumerate(arr.tolist()):
        if isinstance(value, bool):
            raise ValueError(f"sizes must hold integers >= 1, got sizes[{i}] = {value!r}")
        if isinstance(value, numbers.Integral):
            k = int(value)
        elif isinstance(value, numbers.Real) and math.isfinite(value) and value == int(value):
            k = int(value)
        else:
            raise ValueError(f"sizes must hold integers >= 1, got sizes[{i}] = {value!r}")
        if k < 1:
            raise ValueError(f"sizes must hold integers >= 1, got sizes[{i}] = {value!r}")
        out.append(k)
    return out


def _has_big_ints(sizes: object) -> bool:
    """True for a sequence of Python ints too large for int64 (kept exact as objects)."""
    if isinstance(sizes, np.ndarray):
        return False
    try:
        return any(
            isinstance(x, int) and not isinstance(x, bool) and abs(x) >= 2**63
            for x in sizes  # type: ignore[union-attr]
        )
    except TypeError:
        return False


# --------------------------------------------------------------------------------------------
# Bernoulli (Wright-Fisher)
# --------------------------------------------------------------------------------------------


def bernoulli_fixation_probabilities(
    p: float, sizes: ArrayLike, *, max_work: int = MAX_WORK
) -> FixationProbabilities:
    r"""Exact probabilities that the Bernoulli estimate has fixed at 0 and at 1 by generation T.

    The distribution :math:`\pi_t(k) = \Pr(\hat p_t = k/n_t)` is propagated exactly:

    .. math::

        \pi_0(k) = \binom{n_0}{k} p^k (1-p)^{n_0-k}, \qquad
        \pi_t(k') = \sum_{k=0}^{n_{t-1}} \pi_{t-1}(k)\,
            \binom{n_t}{k'} \Bigl(\frac{k}{n_{t-1}}\Bigr)^{k'}
            \Bigl(1 - \frac{k}{n_{t-1}}\Bigr)^{n_t-k'},

    and the result is :math:`(\pi_T(0), \pi_T(n_T))`. Each step is one matrix-vector product
    with the :math:`(n_{t-1}+1)\times(n_t+1)` transition matrix (reused while consecutive sizes
    repeat), so the work is :math:`\sum_{t=1}^T (n_{t-1}+1)(n_t+1)`.

    Parameters
    ----------
    p : float
        Success probability of the real data, in :math:`[0, 1]`.
    sizes : array_like of int
        :math:`(n_0, n_1, \dots, n_T)`, each at least 1.
    max_work : int, optional
        Upper bound on :math:`\sum_{t=1}^T (n_{t-1}+1)(n_t+1)`; larger chains raise
        ``ValueError`` (use smaller sizes or the Monte Carlo simulator).

    Returns
    -------
    FixationProbabilities
        Named tuple ``(at_zero, at_one)``.

    Examples
    --------
    >>> res = bernoulli_fixation_probabilities(0.5, [2, 2])
    >>> round(res.at_zero, 6), round(res.at_one, 6)
    (0.375, 0.375)
    """
    p = probability("p", p, low_open=False, high_open=False, allowed="a real number in [0, 1]",
                    repeat_name=True)
    ns = _check_sizes(sizes)
    max_work = integer("max_work", max_work, low=1, repeat_name=True)
    work = sum((a + 1) * (b + 1) for a, b in zip(ns[:-1], ns[1:], strict=True))
    if work > max_work or (ns[0] + 1) > max_work:
        raise ChainTooLargeError(
            f"the exact chain is too large: sum (n_(t-1)+1)(n_t+1) = {work} exceeds "
            f"max_work = {max_work}; use smaller sizes, raise max_work, or use the Monte Carlo "
            f"simulator", work=work, max_work=max_work)

    dist = deque(_wright_fisher_distributions(p, ns), maxlen=1)[0]  # keep only pi_T
    return FixationProbabilities(float(dist[0]), float(dist[-1]))


def _wright_fisher_distributions(p: float, ns: list[int]) -> Iterator[np.ndarray]:
    r"""Yield the exact :math:`\pi_t(k) = \Pr(\hat p_t = k/n_t)`, t = 0..T (checked sizes)."""
    dist = _binomial_rows(ns[0], np.array([p]))[0]
    yield dist
    matrix: np.ndarray | None = None
    key: tuple[int, int] | None = None
    for prev, cur in zip(ns[:-1], ns[1:], strict=True):
        probs = np.arange(prev + 1) / prev
        if (cur + 1) * (prev + 1) <= _ROWS_AT_ONCE:  # small: keep the matrix while sizes repeat
            if (prev, cur) != key:
                matrix, key = _binomial_rows(cur, probs), (prev, cur)
            dist = dist @ matrix
            yield dist
            continue
        # large: blocks of rows, each against the band of columns where its binomials have
        # mass (beyond _BAND standard deviations a term is below 1e-37 of its row)
        new = np.zeros(cur + 1)
        live = np.flatnonzero(dist > _NEGLIGIBLE)
        for i in range(0, len(live), _BLOCK_ROWS):
            rows = live[i:i + _BLOCK_ROWS]
            lo_p, hi_p = probs[rows[0]], probs[rows[-1]]
            spread = _BAND * math.sqrt(cur * 0.25) + 1
            lo = max(0, math.floor(cur * lo_p - spread))
            hi = min(cur, math.ceil(cur * hi_p + spread))
            new[lo:hi + 1] += dist[rows] @ _binomial_rows(cur, probs[rows], lo, hi)
        dist = new
        yield dist


#: transition matrices up to this many entries are built whole (32 MB of float64)
_ROWS_AT_ONCE = 2**22
#: rows per block, and the half-width of a block's column band in standard deviations
_BLOCK_ROWS = 256
_BAND = 13
#: states whose probability is below this carry nothing to the fixation probabilities
_NEGLIGIBLE = 1e-300


def _binomial_rows(size: int, probs: np.ndarray, lo: int = 0, hi: int | None = None
                   ) -> np.ndarray:
    r"""Rows :math:`\Pr(\mathrm{Binomial}(size, p) = k)`, :math:`k = lo..hi`, for each ``p``,
    from log-gamma terms (exact 0/1 rows at :math:`p \in \{0, 1\}`)."""
    from scipy.special import gammaln, xlog1py, xlogy

    k = np.arange(lo, (size if hi is None else hi) + 1, dtype=float)
    log_choose = gammaln(size + 1.0) - gammaln(k + 1.0) - gammaln(size - k + 1.0)
    p = probs[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = log_choose[None, :] + xlogy(k[None, :], p) + xlog1py(size - k[None, :], -p)
    return np.exp(log_pmf)


def bernoulli_fixation_probability(
    p: float, sizes: ArrayLike, *, max_work: int = MAX_WORK
) -> float:
    r"""Exact probability that the Bernoulli estimate has fixed (at 0 or 1) by generation T.

    .. math::

        \Pr(\hat p_T \in \{0, 1\}) = \pi_T(0) + \pi_T(n_T),

    with :math:`\pi_T` the exact Wright-Fisher distribution of
    :func:`bernoulli_fixation_probabilities` (which also returns the two parts separately).
    Fixation is certain as :math:`T\to\infty` iff :math:`S_\infty = \sum_t 1/n_t = \infty`.

    Parameters
    ----------
    p : float
        Success probability of the real data, in :math:`[0, 1]`.
    sizes : array_like of int
        :math:`(n_0, n_1, \dots, n_T)`, each at least 1.
    max_work : int, optional
        Upper bound on :math:`\sum_{t=1}^T (n_{t-1}+1)(n_t+1)` (see
        :func:`bernoulli_fixation_probabilities`).

    Returns
    -------
    float
        The fixation probability.

    Examples
    --------
    >>> round(bernoulli_fixation_probability(0.5, [2, 2]), 6)
    0.75
    >>> bernoulli_fixation_probability(0.5, [1])  # one real draw: fixed from the start
    1.0
    """
    res = bernoulli_fixation_probabilities(p, sizes, max_work=max_work)
    return res.at_zero + res.at_one


# --------------------------------------------------------------------------------------------
# Poisson (branching process in a varying environment)
# --------------------------------------------------------------------------------------------


def poisson_extinction_probability(lam: float, sizes: ArrayLike) -> float:
    r"""Exact probability that the Poisson estimate is 0 at generation T.

    With offspring generating functions :math:`f_t(s) = e^{m_t(s-1)}`,
    :math:`m_t = n_t/n_{t-1}`, and :math:`G_0(s) = e^{n_0\lambda(s-1)}`,

    .. math::

        \Pr(\hat\lambda_T = 0) = G_0\bigl(f_1(f_2(\cdots f_T(0)))\bigr)
            = e^{-n_0\lambda q_0}, \qquad
        q_T = 1, \quad q_{t-1} = 1 - e^{-m_t q_t} = -\operatorname{expm1}(-m_t q_t),

    composed from the inside out in :math:`q = 1 - s` (the survival probability of one count's
    line), which keeps full relative precision when :math:`q` is tiny. Extinction is certain as
    :math:`T\to\infty` iff :math:`S_\infty = \infty`.

    Parameters
    ----------
    lam : float
        Rate :math:`\lambda > 0` of the real data.
    sizes : array_like of int
        :math:`(n_0, n_1, \dots, n_T)`, each at least 1.

    Returns
    -------
    float
        :math:`\Pr(\hat\lambda_T = 0)`.

    Examples
    --------
    >>> poisson_extinction_probability(0.5, [4])  # T = 0: exp(-2)
    0.1353352832366127
    >>> round(poisson_extinction_probability(1.0, [1] * 101), 4)  # critical Galton-Watson
    0.9808
    """
    rate = real("lam", lam, low=0, low_open=True, allowed="a finite real number > 0",
                repeat_name=True)
    ns = _check_sizes(sizes)
    if len(ns) > 1 and max(ns) < 2**53:
        arr = np.asarray(ns, dtype=float)
        ratios = (arr[1:] / arr[:-1]).tolist()
    else:
        ratios = [b / a for a, b in zip(ns[:-1], ns[1:], strict=True)]
    expm1 = math.expm1
    u = 1.0
    for m in reversed(ratios):
        u = -expm1(-m * u)
    return math.exp(-ns[0] * rate * u)


def poisson_extinction_symbolic() -> tuple[sp.Eq, sp.Eq, sp.Eq]:
    r"""The extinction recursion of :func:`poisson_extinction_probability` as SymPy equations.

    .. math::

        q_T = 1, \qquad
        q_{t-1} = 1 - e^{-\frac{n_t}{n_{t-1}} q_t}\ (1 \le t \le T), \qquad
        P_T = e^{-n_0 \lambda q_0},

    in terms of the shared symbols :data:`modelcollapse.symbols.n_t`, ``t``, ``T``, ``n0`` and
    the module symbols :data:`lambda_`, :data:`q`, :data:`P_T`. (The composition has no closed form
    for a symbolic horizon; the recursion is the exact statement.)

    Returns
    -------
    tuple of sympy.Eq
        ``(start, step, result)``.

    Examples
    --------
    >>> start, step, result = poisson_extinction_symbolic()
    >>> start
    Eq(q[T], 1)
    >>> result
    Eq(P_T, exp(-lambda*n_0*q[0]))
    """
    start = sp.Eq(q[T], 1)
    step = sp.Eq(q[t - 1], 1 - sp.exp(-n_t[t] / n_t[t - 1] * q[t]))
    result = sp.Eq(P_T, sp.exp(-n0 * lambda_ * q[0]))
    return start, step, result


@singledispatch
def absorption_probability(law: Law, theta: float, sizes: ArrayLike) -> float | None:
    r"""Probability that the walk has hit its absorbing degenerate state by generation
    :math:`T` (sizes :math:`n_0..n_T`), from the one-step law of the parameter: one registered
    function per law class; None for laws without an absorbing state.

    >>> from modelcollapse.families import get_family
    >>> absorption_probability(get_family("poisson").law(), 0.5, [1, 1])
    0.7290155
    """
    return None


def _scalar(theta: float | ArrayLike) -> float:
    """A scalar law's parameter: a number, or an array holding exactly one."""
    if np.ndim(theta) == 0:
        return theta  # type: ignore[return-value]  # checked by the function it is passed to
    arr = np.asarray(theta)
    if arr.size != 1:
        raise ValueError(f"a scalar law takes one parameter value, got {arr.size}")
    return arr.reshape(-1)[0].item()


@absorption_probability.register
def _(law: PoissonMean, theta: float | ArrayLike, sizes: ArrayLike) -> float:
    return poisson_extinction_probability(_scalar(theta), sizes)


@absorption_probability.register
def _(law: BinomialMean, theta: float | ArrayLike, sizes: ArrayLike) -> float:
    return bernoulli_fixation_probability(_scalar(theta), sizes)


@absorption_probability.register
def _(law: MultinomialMean, theta: ArrayLike, sizes: ArrayLike) -> float:
    # categorical: probability that only one category is left at T (exact chain on compositions,
    # ValueError when too large); theta is the whole vector of cell probabilities
    from modelcollapse.theory.absorption_times import categorical_fixation_probability

    return categorical_fixation_probability(theta, sizes)
