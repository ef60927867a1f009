r"""Answers from posterior (or prior) draws of the bias :math:`(\kappa, \alpha)`.

The question behind this module: *from the estimates seen so far, how likely is collapse under
the schedule I plan, and how fast must the sample size grow to be safe?* It
works on plain numpy arrays of draws, whatever produced them (the PyMC fit of
:mod:`modelcollapse.inference.fit`, :func:`prior_draws`, or a user's own sampler); it never
imports PyMC.

The model (see Concepts in the documentation): an estimator of a positive parameter whose
exact one-step law is multiplicative, :math:`\hat\theta_t = \hat\theta_{t-1} R_t` with :math:`R_t`
independent of the past and depending on :math:`n_t` alone
(:class:`~modelcollapse.families.laws.Multiplicative`), and the bias factor
:math:`c(n) = 1 - \kappa n^{-\alpha}` multiplying the whole law (the rule of
:meth:`~modelcollapse.families.Family.law`), e.g.

.. math::

    \hat\sigma^2_t = c(n_t)\,\hat\sigma^2_{t-1}\,\frac{\chi^2_{n_t-1}}{n_t-1}
    \quad\text{(Gaussian variance)}, \qquad
    \hat\lambda_t = c(n_t)\,\hat\lambda_{t-1}\,\frac{n_t-1}{G_t},\ G_t\sim\Gamma(n_t, 1)
    \quad\text{(exponential rate)},

or any user family declared with such a law (``"theta * Gamma(n*k, 1)/(n*k)"``,
``"theta * (n + 1)/n * Beta(n, 1)"``). The exact log-moments of :math:`R_t` come from the law
(:meth:`~modelcollapse.families.laws.Multiplicative.log_parts`, summed by
:func:`modelcollapse.theory.moments.log_moments`), the simulated walks from the simulator's
sampler of the law (:func:`modelcollapse.validation.sampling.draw`); no family is named here.

The walk does not collapse iff :math:`\sum_t n_t^{-1} < \infty` and
:math:`\sum_t n_t^{-\alpha} < \infty`; for :math:`n_t \asymp t^p` this asks
:math:`p > p^* = \max(1, 1/\alpha)`.

Conventions
-----------
* **Future generations.** A candidate schedule describes the *future*: generation
  :math:`T + t` (``t = 1..horizon``, :math:`T` the last observed one) uses the schedule's
  :math:`n_t`. With ``last_n`` given, the schedule is resumed where the pipeline already is
  instead (see :func:`collapse_probability`).
* **Collapse by the horizon** (``method="simulate"``): the estimate falls below
  :math:`\varepsilon` times its value at the last observation at *some* generation
  :math:`T + 1, \dots, T + H` (first passage).
* **Collapse at the horizon** (``method="analytic"``, and ``endpoint_probability`` of the
  simulation): :math:`\hat\theta_{T+H} < \varepsilon\,\hat\theta_T`.
* **Fresh start**: the same question for a pipeline that starts again from the real data:
  the walk starts at the true value :math:`\theta^*`, generation 0 is fitted on
  :math:`n_0` real points (with the same bias), generations :math:`1..H` use
  :math:`n_1..n_H`; collapse means :math:`\hat\theta_t < \varepsilon\,\theta^*` for some
  :math:`t \in \{0, \dots, H\}`.

All walks are multiplicative, so the probabilities do not depend on the starting value.

Examples
--------
>>> import numpy as np
>>> from modelcollapse.schedules import Schedule
>>> kappa, alpha = np.full(500, 0.5), np.full(500, 0.5)
>>> plans = {"constant": Schedule("n0", n0=20), "cubic": Schedule("n0*t**3", n0=20)}
>>> for row in collapse_table(kappa, alpha, plans, horizon=50, epsilon=0.1):
...     print(row["schedule"], row["safety_probability"], row["collapse_probability"])
constant 0.0 1.0
cubic 1.0 0.0
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import sympy as sp

from modelcollapse import symbols
from modelcollapse.arguments import choice, integer, probability, real
from modelcollapse.families import Family, get_family
from modelcollapse.families.laws import Law, Multiplicative
from modelcollapse.inference.data import resolve_family
from modelcollapse.schedules import Schedule
from modelcollapse.theory import criteria
from modelcollapse.theory.moments import log_moments

__all__ = [
    "growth_floor",
    "METHODS",
    "PRIOR_N_MIN",
    "CollapseAnswer",
    "required_growth_exponent",
    "growth_summary",
    "safety_probability",
    "collapse_probability",
    "collapse_table",
    "why_unsupported",
    "format_table",
    "prior_draws",
    "prior_predictive",
]

#: ways to compute the collapse probability
METHODS = ("simulate", "analytic")
#: default n_min of the prior: b = kappa * n_min**(-alpha) is the bias at that sample size
PRIOR_N_MIN = 20
#: how far a schedule is scanned for ``last_n``
_MAX_RESUME = 10**6


# ---------------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------------
def _draws(kappa: Any, alpha: Any | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Flattened float arrays of draws, checked (``kappa`` may be None when only alpha is)."""
    out = []
    for name, value in (("kappa", kappa), ("alpha", alpha)):
        if value is None:
            out.append(None)
            continue
        arr = np.asarray(value, dtype=float).ravel()
        if arr.size == 0:
            raise ValueError(f"{name} must hold at least one draw, got an empty array")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} draws must be finite numbers, got {np.sum(~np.isfinite(arr))}"
                             " non-finite values")
        if name == "kappa" and np.any(arr < 0):
            raise ValueError(f"kappa must be >= 0 in every draw, got min {arr.min():.6g}")
        if name == "alpha" and np.any(arr <= 0):
            raise ValueError(f"alpha must be > 0 in every draw, got min {arr.min():.6g}")
        out.append(arr)
    k, a = out
    if k is not None and a is not None and k.size != a.size:
        raise ValueError(f"kappa and alpha must have the same length (one pair per draw), got "
                         f"{k.size} and {a.size}")
    return k, a


@dataclass(frozen=True)
class _Walk:
    """What the answers need of a family: its positive parameter's unbiased multiplicative
    law (under the estimator :func:`~modelcollapse.inference.data.resolve_family` picks, the
    one the bias model multiplies) and the smallest admissible sample size."""

    family: Family
    estimator: str
    law: Law
    theta: sp.Symbol
    min_size: int

    @property
    def name(self) -> str:
        return self.family.name

    def log_moments(self, sizes: np.ndarray) -> tuple[float, float]:
        r""":math:`\sum_t E\log R(n_t)` and :math:`\sum_t \mathrm{Var}\log R(n_t)`."""
        out = log_moments(self.family, sizes, estimator=self.estimator)
        assert out is not None  # _check_family made sure the law has log-moments
        return out

    def log_ratio(self, n: float, size: int, rng: np.random.Generator) -> np.ndarray:
        r"""``size`` draws of :math:`\log R(n)`: the simulator's sampler of the law, from 1."""
        # lazily: the validation package imports xarray (seconds); the analytic answers and
        # the checks do not need it
        from modelcollapse.validation.sampling import draw

        ones = np.ones(size)
        return np.log(draw(self.law, ones, {self.theta: ones, symbols.n: float(n)}, int(n),
                           rng))


def _multiplicative_laws() -> str:
    return ", ".join(sorted(cls.__name__ for cls in Multiplicative.__subclasses__()))


def _check_family(family: Any) -> _Walk:
    """The :class:`_Walk` of ``family`` (a name, a family file or a Family), or a one-line
    ValueError naming what the family lacks."""
    fam = get_family(family)

    def refuse(missing: str) -> ValueError:
        return ValueError(f"family {fam.name!r} is not supported by the collapse answers: "
                          f"{missing}")

    try:
        fam, estimator = resolve_family(fam)
    except ValueError as exc:
        raise refuse(str(exc)) from None
    p = fam.parameters[0]
    if p.kind == "location":
        raise refuse(f"its parameter {p.name} is a location; the answers need a positive "
                     "parameter (a scale or rate) with a multiplicative law")
    if not fam.estimator(estimator).exact:
        raise refuse("it declares no exact one-step law (only a moment map); declare its law "
                     f"with one of {_multiplicative_laws()}")
    law = fam.law(p.name, estimator)
    if not isinstance(law, Multiplicative):
        raise refuse(f"its law {type(law).__name__} has no exact log-moments; the answers need "
                     f"a multiplicative law ({_multiplicative_laws()})")
    parts = law.log_parts(p.symbol)
    used = parts.center.free_symbols.union(
        *(sp.sympify(x).free_symbols  # safe: law arguments, SymPy objects or numbers
          for _, x in (*parts.drift, *parts.spread)))
    if not used <= {symbols.n}:
        names = ", ".join(sorted(str(s) for s in used - {symbols.n}))
        raise refuse(f"its law {law} is not the previous value times a factor of n alone "
                     f"(it depends on {names})")
    return _Walk(fam, estimator, law, p.symbol, fam.min_size(estimator))


def _check_schedules(schedules: Any) -> dict[str, Schedule]:
    if not isinstance(schedules, Mapping) or not schedules:
        raise ValueError("schedules must be a non-empty mapping of names to Schedule objects")
    for key, value in schedules.items():
        if not isinstance(value, Schedule):
            raise ValueError(f"schedules[{key!r}] must be a Schedule, got "
                             f"{type(value).__name__}")
    return {str(k): v for k, v in schedules.items()}


def _rng(seed: Any) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------------------------------
# growth
# ---------------------------------------------------------------------------------------------
def required_growth_exponent(alpha: Any, *, floor: float = 1.0) -> np.ndarray:
    r"""The required growth exponent :math:`p^* = \max(p^*_0, 1/\alpha)` per draw, with
    :math:`p^*_0` (``floor``) that of the unbiased estimator: 1 for every built-in family
    (:func:`modelcollapse.inference.model.growth_floor` reads it off any family).

    A schedule :math:`n_t \asymp t^p` avoids collapse iff :math:`p > p^*` (at :math:`p = p^*` a
    log factor decides, see :func:`safety_probability`).

    Parameters
    ----------
    alpha : array_like
        Draws of :math:`\alpha > 0`.

    Returns
    -------
    numpy.ndarray
        :math:`p^*` for each draw (flattened).

    Raises
    ------
    ValueError
        If some :math:`\alpha \le 0` or is not finite.

    Examples
    --------
    >>> required_growth_exponent([0.25, 0.5, 1.0, 2.0]).tolist()
    [4.0, 2.0, 1.0, 1.0]
    """
    _, a = _draws(None, alpha)
    return np.maximum(float(floor), 1.0 / a)


def _arviz():
    """ArviZ, imported on first use (it takes seconds; the rest of this module needs numpy)."""
    with warnings.catch_warnings():
        # ArviZ 0.23's once-a-day FutureWarning about its own 1.x plans (as in inference.fit)
        warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing",
                                category=FutureWarning)
        import arviz

    return arviz


def _summary(values: np.ndarray, prob: float) -> dict[str, float]:
    low, high = _arviz().hdi(values, hdi_prob=prob)
    return {"mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1))
            if values.size > 1 else 0.0, "hdi_low": float(low), "hdi_high": float(high)}


def growth_summary(kappa: Any, alpha: Any, *, hdi_prob: float = 0.94,
                   floor: float = 1.0) -> dict[str, Any]:
    r"""Posterior summaries of :math:`\kappa`, :math:`\alpha` and
    :math:`p^* = \max(p^*_0, 1/\alpha)` (:func:`required_growth_exponent`, ``floor``
    :math:`= p^*_0`).

    Parameters
    ----------
    kappa, alpha : array_like
        Draws of equal length (:math:`\kappa \ge 0`, :math:`\alpha > 0`).
    hdi_prob : float, optional
        Mass of the highest-density interval (:func:`arviz.hdi`: the shortest interval
        holding that fraction of the draws), in (0, 1). Default 0.94.

    Returns
    -------
    dict
        ``{"kappa": s, "alpha": s, "required_growth_exponent": s, "hdi_prob": hdi_prob,
        "draws": m}``, each ``s`` a dict with ``mean``, ``sd`` (``ddof=1``), ``hdi_low``,
        ``hdi_high``.

    Examples
    --------
    >>> s = growth_summary([1.0, 1.0, 1.0], [0.25, 0.5, 1.0])
    >>> s["required_growth_exponent"]["mean"], s["required_growth_exponent"]["hdi_high"]
    (2.3333333333333335, 4.0)
    """
    k, a = _draws(kappa, alpha)
    hdi_prob = probability("hdi_prob", hdi_prob)
    return {
        "kappa": _summary(k, hdi_prob),
        "alpha": _summary(a, hdi_prob),
        "required_growth_exponent": _summary(required_growth_exponent(a, floor=floor),
                                             hdi_prob),
        "hdi_prob": float(hdi_prob),
        "draws": int(a.size),
    }


def _rational(value: float) -> sp.Rational:
    return sp.Rational(repr(float(value)))


def _safe_mask(alpha: np.ndarray, schedule: Schedule,
               noise: tuple[float, ...] = (1.0,)) -> np.ndarray:
    """Per draw: whether sum n^-alpha and every sum n^-a of the unbiased estimator's drivers
    ``noise`` (1 for every built-in family) converge (exact near the boundary)."""
    growth = schedule.growth()
    if growth is None:
        raise ValueError(f"cannot decide the growth of {schedule!r}: growth class undecided; "
                         "allowed: schedules growing like b^t t^p (log t)^q")
    excess = growth.base - 1
    if excess.is_positive:
        return np.ones(alpha.shape, dtype=bool)
    if excess.is_negative:
        return np.zeros(alpha.shape, dtype=bool)
    p, q = growth.power, growth.log_power
    if not (excess.is_zero and p.is_number and q.is_number and p.is_real and q.is_real):
        raise ValueError(f"cannot decide the growth of {schedule!r}: growth class undecided "
                         f"(base {growth.base}, power {p}, log power {q}); allowed: numeric "
                         "b^t t^p (log t)^q (give s a value)")
    pf, qf = float(p), float(q)

    def converges(a: np.ndarray) -> np.ndarray:
        x = pf * a - 1.0
        out = (x > 0) | ((x == 0) & (qf * a > 1.0))
        near = np.abs(x) <= 1e-9 * max(1.0, abs(pf))
        for value in np.unique(a[near]):  # decide the boundary exactly (floats by their repr)
            ar = _rational(value)
            pa = p * ar - 1
            ok = bool(pa.is_positive) or bool(pa.is_zero and (q * ar - 1).is_positive)
            out[a == value] = ok
        return out

    base = all(converges(np.array([float(a)]))[0] for a in noise)
    return base & converges(alpha)


def growth_floor(family: str | Family) -> float:
    r"""The required growth exponent of the unbiased estimator, :math:`p^*_0`, read off the
    family's moment map (:func:`modelcollapse.theory.criteria.required_growth_exponent`: 1
    for every built-in family, 1/2 for a noise of order :math:`n^{-2}`); under the bias
    :math:`p^* = \max(p^*_0, 1/\alpha)`. Where it is undecided, 1 (noise of order 1/n)."""
    exponent = criteria.required_growth_exponent(family=get_family(family))
    return 1.0 if exponent is None or not math.isfinite(float(exponent)) else float(exponent)


def _noise_exponents(family: Family) -> tuple[float, ...]:
    """The exponents a of the series sum n_t^-a that the unbiased estimator needs to converge,
    read off the family's moment map (:func:`modelcollapse.theory.criteria.drivers`)."""
    found = criteria.drivers(family)
    if found.contracting:
        return ()
    if found.undecided:
        return (1.0,)
    return tuple(float(a) for a in found.exponents)


def safety_probability(alpha: Any, schedule: Schedule) -> float:
    r"""Posterior probability that ``schedule`` is asymptotically safe (no collapse).

    With :math:`n_t \sim C\,b^t\,t^p(\log t)^q` (:meth:`Schedule.growth`), a draw
    :math:`\alpha` is safe iff :math:`\sum n_t^{-1}` and :math:`\sum n_t^{-\alpha}` both
    converge: always for :math:`b > 1`, never for :math:`b < 1`, and for :math:`b = 1` iff
    :math:`pa > 1`, or :math:`pa = 1` and :math:`qa > 1`, for both :math:`a = 1` and
    :math:`a = \alpha`. Draws with :math:`p\alpha` within :math:`10^{-9}` of 1 are decided in
    exact arithmetic, reading the float :math:`\alpha` by its decimal repr (0.4 is 2/5), as
    :meth:`Schedule.converges` does. :math:`\kappa` plays no part: any :math:`\kappa > 0`
    collapses a schedule with :math:`\sum n_t^{-\alpha} = \infty`, and :math:`\kappa = 0` has
    probability 0 under a continuous posterior.

    Parameters
    ----------
    alpha : array_like
        Draws of :math:`\alpha > 0`.
    schedule : Schedule
        The planned schedule.

    Returns
    -------
    float
        Fraction of safe draws.

    Raises
    ------
    ValueError
        If the growth class is undecided (explicit sizes, unrecognised expression, a symbolic
        ``s`` without value); the message names the schedule.

    Examples
    --------
    >>> safety_probability([0.4, 0.6, 1.0], Schedule("n0*t**2"))
    0.6666666666666666
    >>> safety_probability([0.4], Schedule("n0*t**2.5*log(t+1)**3"))
    1.0
    """
    _, a = _draws(None, alpha)
    if not isinstance(schedule, Schedule):
        raise ValueError(f"schedule must be a Schedule, got {type(schedule).__name__}")
    return float(np.mean(_safe_mask(a, schedule)))


# ---------------------------------------------------------------------------------------------
# collapse probability
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CollapseAnswer:
    r"""Posterior predictive probability of collapse under one schedule.

    Attributes
    ----------
    probability : float
        Continuing from the last observation: first passage below
        :math:`\varepsilon\hat\theta_T` by generation :math:`T + H` (``simulate``), or
        :math:`\hat\theta_{T+H} < \varepsilon\hat\theta_T` in the normal approximation
        (``analytic``).
    se : float
        Its Monte Carlo standard error: :math:`\sqrt{p(1-p)/m}` over the :math:`m` walks
        (``simulate``); the standard error of the posterior average of the per-draw
        probabilities (``analytic``).
    method : str
        ``"simulate"`` or ``"analytic"``.
    horizon : int
        :math:`H`.
    epsilon : float
        :math:`\varepsilon`.
    drift : float
        Posterior mean of the expected log drift
        :math:`E\log(\hat\theta_{T+H}/\hat\theta_T) = \sum_t[\log c(n_t) + E\log R(n_t)]`.
    log_sd : float
        :math:`\sqrt{\sum_t \mathrm{Var}\log R(n_t)}` (the same for every draw).
    fresh_probability, fresh_se, fresh_drift : float
        The same three numbers from a fresh start (walk from :math:`\theta^*`, generations
        :math:`0..H`, threshold :math:`\varepsilon\theta^*`).
    endpoint_probability : float or None
        ``simulate`` only: the simulated :math:`P(\hat\theta_{T+H} < \varepsilon\hat\theta_T)`,
        comparable with the analytic value.
    threshold : float or None
        :math:`\varepsilon` times ``start`` when a start value was given (for display).
    draws : int
        Number of walks (``simulate``) or draws averaged (``analytic``).
    sizes : tuple of int
        First and last future sample size used, :math:`(n_{first}, n_{last})`.
    """

    probability: float
    se: float
    method: str
    horizon: int
    epsilon: float
    drift: float
    log_sd: float
    fresh_probability: float
    fresh_se: float
    fresh_drift: float
    endpoint_probability: float | None
    threshold: float | None
    draws: int
    sizes: tuple[int, int]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields (``sizes`` as a list).

        >>> CollapseAnswer(0.5, 0.01, "simulate", 10, 0.1, -1.0, 0.5, 0.6, 0.01, -1.1, 0.4,
        ...                None, 100, (5, 5)).to_dict()["sizes"]
        [5, 5]
        """
        out = asdict(self)
        out["sizes"] = list(self.sizes)
        return out


def _future_sizes(schedule: Schedule, horizon: int, last_n: int | None) -> np.ndarray:
    """n_0 followed by the H future sizes (as float)."""
    if last_n is None:
        sizes = schedule.sizes(horizon)
        return sizes.astype(float)
    bound, ceiling = 1024, _MAX_RESUME
    while True:
        bound = min(bound, ceiling)
        try:
            head = schedule.sizes(bound)[1:]
        except ValueError:  # sizes beyond 2**53 (fast growth): scan the exact range only
            ceiling = schedule.exact_horizon()
            if ceiling >= bound:
                raise
            continue
        reached = np.nonzero(head >= last_n)[0]
        if reached.size:
            k = int(reached[0])  # head[k] is n_{k+1}
            break
        if bound >= ceiling:
            raise ValueError(f"{schedule!r} never reaches last_n={last_n} within {bound} "
                             "generations; allowed: last_n <= the schedule's largest size")
        bound *= 8
    future = schedule.sizes(k + horizon)[k + 1:]
    return np.concatenate([[float(schedule.n0)], future.astype(float)])


def why_unsupported(family: Any) -> str | None:
    """Why the collapse answers cannot serve ``family`` (one line), or None when they can:
    they need one positive parameter whose exact law is multiplicative.

    >>> why_unsupported("gaussian-variance") is None
    True
    >>> why_unsupported("poisson")  # doctest: +ELLIPSIS
    "family 'poisson' is not supported by the collapse answers: its law PoissonMean has no ...
    """
    try:
        _check_family(family)
    except ValueError as exc:
        return str(exc)
    return None


def _check_sizes(walk: _Walk, n: np.ndarray, schedule: Schedule) -> None:
    if np.any(n < walk.min_size):
        raise ValueError(f"{schedule!r} has a sample size n_t < {walk.min_size} within the "
                         f"horizon; allowed for {walk.name}: n_t >= {walk.min_size}")


def _check_factor(kappa: np.ndarray, alpha: np.ndarray, n_min: float, schedule: Schedule,
                  ) -> None:
    amount = kappa * np.exp(-alpha * math.log(n_min))
    bad = amount >= 1.0
    if np.any(bad):
        raise ValueError(
            f"the bias factor 1 - kappa n^-alpha is not positive at n_t={int(n_min)} of "
            f"{schedule!r} for {int(bad.sum())} of {bad.size} draws; allowed: kappa < n_t^alpha "
            "for every generation (sizes at least the smallest observed one)")


@dataclass
class _Pass:
    """Raw results of one schedule for both methods."""

    hit: np.ndarray | None
    fresh_hit: np.ndarray | None
    end_hit: np.ndarray | None
    drift: np.ndarray
    fresh_drift: np.ndarray
    var: float
    fresh_var: float


def _run(fam: _Walk, kappa: np.ndarray, alpha: np.ndarray, n: np.ndarray, log_eps: float,
         rng: np.random.Generator | None) -> _Pass:
    r"""Drifts for every draw; with ``rng`` also one simulated walk per draw.

    ``n`` is n_0 followed by the H future sizes. Both walks use the same random numbers for
    generations 1..H (the fresh walk adds its generation-0 step in front). The walks stream
    over generations (:func:`~modelcollapse.validation.walk.walk`; memory grows with the draws
    only), drawing each generation's :math:`\log R` for every draw at once, then generation
    0's for the fresh start.
    """
    base, var = fam.log_moments(n[1:])
    mean0, var0 = fam.log_moments(n[:1])
    logn = np.log(n)
    m = kappa.size

    def log_factor(t: int) -> np.ndarray:  # log c(n_t) per draw
        return np.log1p(-kappa * np.exp(-alpha * logn[t]))

    drift = np.full(m, base)
    if rng is None:  # the drifts alone: a sum, nothing drawn
        drift = sum((log_factor(t) for t in range(1, n.size)), drift)
        hits = (None, None, None)
    else:
        # lazily: the validation package imports xarray (seconds); the analytic answers do not
        from modelcollapse.validation.walk import walk

        def biased(state: tuple[np.ndarray, np.ndarray], t: int,
                   size: float) -> tuple[np.ndarray, np.ndarray]:
            drift, path = state  # E log and log of theta_t / theta_T, per draw
            logc = log_factor(t)
            return drift + logc, path + (fam.log_ratio(size, m, rng) + logc)

        low = np.full(m, np.inf)
        drift, path = walk((drift, np.zeros(m)), n[1:], biased, start=1,
                           observe=lambda t, state: np.minimum(low, state[1], out=low))
        first = fam.log_ratio(n[0], m, rng) + log_factor(0)
        hits = (low < log_eps, (first < log_eps) | (first + low < log_eps), path < log_eps)
    return _Pass(*hits, drift, drift + mean0 + log_factor(0), var, var + var0)


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * np.vectorize(math.erfc)(-z / math.sqrt(2.0)) if z.size else z


def _answers(res: _Pass, method: str, horizon: int, epsilon: float, start: float | None,
             n: np.ndarray) -> CollapseAnswer:
    m = res.drift.size
    sizes = (int(n[1]), int(n[-1]))
    threshold = None if start is None else epsilon * float(start)
    if method == "simulate":
        p = float(np.mean(res.hit))
        pf = float(np.mean(res.fresh_hit))
        return CollapseAnswer(
            p, math.sqrt(p * (1 - p) / m), method, horizon, epsilon, float(np.mean(res.drift)),
            math.sqrt(res.var), pf, math.sqrt(pf * (1 - pf) / m), float(np.mean(res.fresh_drift)),
            float(np.mean(res.end_hit)), threshold, m, sizes)
    log_eps = math.log(epsilon)
    per = _normal_cdf((log_eps - res.drift) / math.sqrt(res.var))
    per_f = _normal_cdf((log_eps - res.fresh_drift) / math.sqrt(res.fresh_var))

    def se(x: np.ndarray) -> float:
        return float(np.std(x, ddof=1) / math.sqrt(x.size)) if x.size > 1 else 0.0

    return CollapseAnswer(
        float(np.mean(per)), se(per), method, horizon, epsilon, float(np.mean(res.drift)),
        math.sqrt(res.var), float(np.mean(per_f)), se(per_f), float(np.mean(res.fresh_drift)),
        None, threshold, m, sizes)


def _select(kappa: np.ndarray, alpha: np.ndarray, draws: int | None,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``draws`` pairs: a random subset, or every pair repeated evenly when asking for more."""
    if draws is None:
        return kappa, alpha
    draws = integer("draws", draws, low=1)
    m = kappa.size
    if draws <= m:
        idx = rng.choice(m, size=draws, replace=False)
    else:
        idx = np.concatenate([np.arange(m)] * (draws // m) + [rng.choice(m, draws % m, False)])
    return kappa[idx], alpha[idx]


def _prepare(kappa: Any, alpha: Any, family: Any, schedules: Any, horizon: Any, epsilon: Any,
             start: Any, last_n: Any, method: str | None
             ) -> tuple[np.ndarray, np.ndarray, _Walk, dict[str, Schedule], int, float]:
    k, a = _draws(kappa, alpha)
    fam = _check_family(family)
    horizon = integer("horizon", horizon, low=1)
    eps = probability("epsilon", epsilon)
    plans = _check_schedules(schedules)
    if start is not None:
        real("start", start, low=0, low_open=True, allowed="a finite number > 0 or None")
    if last_n is not None:
        integer("last_n", last_n, low=1)
    if method is not None:
        choice("method", method, METHODS)
    return k, a, fam, plans, horizon, eps


def collapse_probability(
    kappa: Any,
    alpha: Any,
    *,
    family: str | Family = "gaussian-variance",
    schedules: Mapping[str, Schedule],
    horizon: int,
    epsilon: float = 0.01,
    start: float | None = None,
    last_n: int | None = None,
    draws: int | None = None,
    seed: int | np.random.Generator | None = 0,
    method: str = "simulate",
) -> dict[str, CollapseAnswer]:
    r"""Posterior predictive probability of collapse by a horizon, per candidate schedule.

    For each draw :math:`(\kappa_i, \alpha_i)` the future walk is
    :math:`\log(\hat\theta_{T+t}/\hat\theta_T) = \sum_{s=1}^{t}[\log c_i(n_s) + \log R_s]`
    with :math:`c_i(n) = 1 - \kappa_i n^{-\alpha_i}` and :math:`R_s` the factor of the
    family's unbiased multiplicative law (:math:`\chi^2_{n_s-1}/(n_s-1)` for the variance,
    :math:`(n_s-1)/\Gamma(n_s, 1)` for the exponential rate, whatever a user's law says).

    ``method="simulate"`` draws one walk per posterior draw (all draws at once, streamed over
    generations) from the exact law and reports the first-passage probability

    .. math::

        P\Big(\min_{1 \le t \le H} \hat\theta_{T+t} < \varepsilon\,\hat\theta_T\Big)

    with its Monte Carlo standard error. ``method="analytic"`` uses the exact log-moments
    :math:`\mu_i = \sum_t[\log c_i(n_t) + E\log R(n_t)]` read off the law
    (:meth:`~modelcollapse.families.laws.Multiplicative.log_parts`; e.g.
    :math:`E\log R = D((n-1)/2)` for the variance, :math:`D(x) = \psi(x) - \log x`, i.e.
    :math:`\psi((n-1)/2) + \log(2/(n-1))`, and :math:`\log(n-1) - \psi(n)` for the
    exponential rate), :math:`\sigma^2 = \sum_t \mathrm{Var}\log R(n_t)` (trigamma), and the
    normal approximation of the **endpoint** probability at the horizon,
    :math:`\frac1m\sum_i\Phi((\log\varepsilon - \mu_i)/\sigma)` (not a first passage, so
    it is at most the simulated value up to the approximation).

    Parameters
    ----------
    kappa, alpha : array_like
        Posterior draws (equal length; arrays of any shape are flattened).
    family : str or Family, optional
        A registered name (default ``"gaussian-variance"``), a family file (``*.toml``) or a
        :class:`~modelcollapse.families.Family`: one positive parameter (a scale or rate)
        whose exact law is multiplicative (``exponential``: the rate falls towards 0 as the
        fitted scale :math:`1/\lambda` blows up; a user family declared with a law such as
        ``"theta * Gamma(n, 1)/n"``). Others raise ``ValueError`` naming what is missing.
    schedules : Mapping[str, Schedule]
        Candidate future schedules by name. Generation :math:`T + t` uses the schedule's
        :math:`n_t`, :math:`t = 1..H`.
    horizon : int
        :math:`H \ge 1` future generations.
    epsilon : float, optional
        Collapse threshold as a fraction of the reference value, in (0, 1). Default 0.01.
    start : float, optional
        The last observed estimate :math:`\hat\theta_T`; only used to report the absolute
        threshold (the walk is multiplicative, so probabilities do not depend on it).
    last_n : int, optional
        Sample size of the last observed generation. When given, the schedule is *resumed*:
        the future uses :math:`n_{k+1}, \dots, n_{k+H}` with :math:`k + 1` the first
        :math:`t \ge 1` with :math:`n_t \ge` ``last_n`` (a growing plan continues from the size
        the pipeline has reached). The fresh start is unaffected.
    draws : int, optional
        Number of walks: a random subset of the posterior draws, or each draw repeated evenly
        when larger than their number. Default: every draw once.
    seed : int or numpy.random.Generator, optional
        Seed of the random numbers (one child stream per schedule). Default 0.
    method : {"simulate", "analytic"}, optional
        Default ``"simulate"``.

    Returns
    -------
    dict[str, CollapseAnswer]
        By schedule name, in the given order.

    Raises
    ------
    ValueError
        For mismatched draws, :math:`\kappa < 0`, :math:`\alpha \le 0`,
        :math:`\varepsilon \notin (0, 1)`, ``horizon < 1``, an unknown or unsupported family,
        an unknown method, sizes below the family's smallest, or a bias factor
        :math:`c_i(n_t) \le 0` at some size.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.schedules import Schedule
    >>> k, a = np.zeros(2000), np.ones(2000)
    >>> ans = collapse_probability(k, a, schedules={"n=10": Schedule("10", n0=10)},
    ...                            horizon=10, epsilon=0.5, method="analytic")["n=10"]
    >>> round(ans.drift, 4), round(ans.probability, 3)
    (-1.1521, 0.614)
    """
    k, a, fam, plans, horizon, eps = _prepare(kappa, alpha, family, schedules, horizon,
                                              epsilon, start, last_n, method)
    children = _children(seed, len(plans) + 1)
    k, a = _select(k, a, draws, children[0])
    out = {}
    for (name, schedule), rng in zip(plans.items(), children[1:], strict=True):
        n = _sizes_checked(fam, schedule, horizon, last_n, k, a)
        res = _run(fam, k, a, n, math.log(eps), rng if method == "simulate" else None)
        out[name] = _answers(res, method, horizon, eps, start, n)
    return out


def _children(seed: Any, count: int) -> list[np.random.Generator]:
    if isinstance(seed, np.random.Generator):
        return [seed] * count
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(count)]


def _sizes_checked(walk: _Walk, schedule: Schedule, horizon: int, last_n: int | None,
                   k: np.ndarray, a: np.ndarray) -> np.ndarray:
    n = _future_sizes(schedule, horizon, last_n)
    _check_sizes(walk, n, schedule)
    _check_factor(k, a, float(np.min(n)), schedule)
    return n


def collapse_table(
    kappa: Any,
    alpha: Any,
    schedules: Mapping[str, Schedule],
    horizon: int,
    *,
    family: str | Family = "gaussian-variance",
    epsilon: float = 0.01,
    start: float | None = None,
    last_n: int | None = None,
    draws: int | None = None,
    seed: int | np.random.Generator | None = 0,
) -> list[dict[str, Any]]:
    r"""One row per schedule: safety, simulated and analytic collapse probabilities, drift.

    Both methods share one pass over the draws (the analytic answer reuses the bias factors
    of the simulation); see :func:`collapse_probability` for the conventions.

    Parameters
    ----------
    kappa, alpha, schedules, horizon, family, epsilon, start, last_n, draws, seed
        As for :func:`collapse_probability`.

    Returns
    -------
    list of dict
        JSON-ready rows with keys ``schedule`` (name), ``expression`` (the schedule's repr),
        ``safety_probability`` (:func:`safety_probability`; ``None`` when the growth class is
        undecided), ``collapse_probability`` and ``collapse_se`` (simulated first passage),
        ``endpoint_probability`` (simulated, at the horizon), ``analytic_probability``
        (normal approximation at the horizon), ``fresh_collapse_probability``,
        ``fresh_collapse_se``, ``fresh_analytic_probability`` (fresh start),
        ``expected_log_drift`` and ``fresh_expected_log_drift`` (posterior means),
        ``log_sd``, ``horizon``, ``epsilon``, ``draws``.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.schedules import Schedule
    >>> rows = collapse_table(np.full(100, 1.0), np.full(100, 1.0),
    ...                       {"linear": Schedule("n0*t", n0=50)}, horizon=20, epsilon=0.5)
    >>> print(format_table(rows))
    schedule  safe   P(collapse)  se     P(end, analytic)  fresh  drift
    linear    0.000  0.110        0.031  0.076             0.140  -0.1451
    """
    k, a, fam, plans, horizon, eps = _prepare(kappa, alpha, family, schedules, horizon,
                                              epsilon, start, last_n, None)
    children = _children(seed, len(plans) + 1)
    k, a = _select(k, a, draws, children[0])
    rows = []
    for (name, schedule), rng in zip(plans.items(), children[1:], strict=True):
        n = _sizes_checked(fam, schedule, horizon, last_n, k, a)
        res = _run(fam, k, a, n, math.log(eps), rng)
        sim = _answers(res, "simulate", horizon, eps, start, n)
        ana = _answers(res, "analytic", horizon, eps, start, n)
        try:
            safe: float | None = float(np.mean(_safe_mask(a, schedule,
                                                          _noise_exponents(fam.family))))
        except ValueError:
            safe = None
        rows.append({
            "schedule": name,
            "expression": repr(schedule),
            "safety_probability": safe,
            "collapse_probability": sim.probability,
            "collapse_se": sim.se,
            "endpoint_probability": sim.endpoint_probability,
            "analytic_probability": ana.probability,
            "fresh_collapse_probability": sim.fresh_probability,
            "fresh_collapse_se": sim.fresh_se,
            "fresh_analytic_probability": ana.fresh_probability,
            "expected_log_drift": sim.drift,
            "fresh_expected_log_drift": sim.fresh_drift,
            "log_sd": sim.log_sd,
            "horizon": horizon,
            "epsilon": eps,
            "draws": int(k.size),
        })
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    """Plain-text table of :func:`collapse_table` rows (``safe`` is ``-`` when undecided).

    >>> print(format_table([{"schedule": "x", "safety_probability": None,
    ...     "collapse_probability": 0.5, "collapse_se": 0.01, "analytic_probability": 0.4,
    ...     "fresh_collapse_probability": 0.6, "expected_log_drift": -2.0}]))
    schedule  safe  P(collapse)  se     P(end, analytic)  fresh  drift
    x         -     0.500        0.010  0.400             0.600  -2
    """
    head = ["schedule", "safe", "P(collapse)", "se", "P(end, analytic)", "fresh", "drift"]
    body = []
    for r in rows:
        safe = r["safety_probability"]
        body.append([str(r["schedule"]), "-" if safe is None else f"{safe:.3f}",
                     f"{r['collapse_probability']:.3f}", f"{r['collapse_se']:.3f}",
                     f"{r['analytic_probability']:.3f}",
                     f"{r['fresh_collapse_probability']:.3f}",
                     f"{r['expected_log_drift']:.4g}"])
    widths = [max(len(h), *(len(b[j]) for b in body)) for j, h in enumerate(head)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
             for line in [head, *body]]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# prior predictive
# ---------------------------------------------------------------------------------------------
def prior_draws(draws: int = 4000, *, n_min: int = PRIOR_N_MIN,
                seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    r"""Draws of :math:`(\kappa, \alpha)` from the default prior (numpy only).

    .. math::

        \alpha = 0.05 + 2.95\,B_2, \quad B_2 \sim \mathrm{Beta}(2, 2); \qquad
        b = \kappa\, n_{\min}^{-\alpha} \sim \mathrm{Beta}(1, 3), \quad
        \kappa = b\, n_{\min}^{\alpha}.

    :math:`b` is the relative bias at the sample size :math:`n_{\min}`, so
    :math:`c(n) = 1 - \kappa n^{-\alpha} > 0` for every :math:`n \ge n_{\min}`.

    Parameters
    ----------
    draws : int, optional
        Number of pairs. Default 4000.
    n_min : int, optional
        Smallest sample size the prior protects (>= 1). Default 20.
    seed : int or numpy.random.Generator, optional
        Default 0.

    Returns
    -------
    tuple of numpy.ndarray
        ``(kappa, alpha)``.

    Examples
    --------
    >>> k, a = prior_draws(1000, n_min=20)
    >>> bool(np.all(k * 20.0 ** -a < 1)), bool(np.all((a > 0.05) & (a < 3)))
    (True, True)
    """
    draws = integer("draws", draws, low=1)
    n_min = integer("n_min", n_min, low=1)
    rng = _rng(seed)
    alpha = 0.05 + 2.95 * rng.beta(2.0, 2.0, size=draws)
    b = rng.beta(1.0, 3.0, size=draws)
    return b * np.exp(alpha * math.log(n_min)), alpha


def prior_predictive(
    schedules: Mapping[str, Schedule],
    horizon: int,
    *,
    family: str | Family = "gaussian-variance",
    epsilon: float = 0.01,
    n_min: int = PRIOR_N_MIN,
    draws: int = 4000,
    seed: int | None = 0,
    hdi_prob: float = 0.94,
) -> dict[str, Any]:
    r"""Prior-predictive answers: the same summaries when no trajectory was observed.

    Takes ``draws`` pairs from :func:`prior_draws` and returns their :func:`growth_summary`
    and :func:`collapse_table`; collapse is then measured from the start of the future walk
    (and from a fresh start, the ``fresh_*`` columns).

    Parameters
    ----------
    schedules, horizon, family, epsilon
        As for :func:`collapse_table`.
    n_min : int, optional
        Prior parameter (see :func:`prior_draws`). Schedules with sizes below it may meet a
        non-positive bias factor and raise ``ValueError``. Default 20.
    draws : int, optional
        Prior draws. Default 4000.
    seed : int, optional
        Seed for the prior draws and the walks. Default 0.
    hdi_prob : float, optional
        For :func:`growth_summary`. Default 0.94.

    Returns
    -------
    dict
        ``{"growth": growth_summary(...), "table": collapse_table(...), "n_min": n_min}``.

    Examples
    --------
    >>> from modelcollapse.schedules import Schedule
    >>> out = prior_predictive({"exp": Schedule("n0*2**t", n0=20)}, 30, draws=500)
    >>> out["table"][0]["safety_probability"]
    1.0
    """
    seeds = np.random.SeedSequence(seed).spawn(2)
    kappa, alpha = prior_draws(draws, n_min=n_min, seed=np.random.default_rng(seeds[0]))
    return {
        "growth": growth_summary(kappa, alpha, hdi_prob=hdi_prob),
        "table": collapse_table(kappa, alpha, schedules, horizon, family=family,
                                epsilon=epsilon, seed=np.random.default_rng(seeds[1])),
        "n_min": n_min,
    }
