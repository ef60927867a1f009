r"""One generation of the walk in numpy: the interpreter of the law vocabulary.

Three ways to draw :math:`\hat\theta_t` given :math:`\hat\theta_{t-1}` for a whole block of
replications at once:

* ``exact``: from the family's exact one-step law, bias included (:meth:`Family.law`), e.g.
  :math:`\hat\sigma^2_t = \hat\sigma^2_{t-1}\chi^2_{n_t-1}/(n_t-1)`; one sampler per law
  class, registered on :func:`draw` (as ``sympy.stats`` registers one numpy sampler per
  distribution); the Wishart law by the Bartlett decomposition :math:`W = L A A^\top L^\top`,
  :math:`A` lower triangular with :math:`A_{ii}^2 \sim \chi^2_{df-i+1}` and standard normal
  entries below the diagonal. A family whose laws are only a moment map has no exact mode;
* ``brute``: draw the :math:`n_t` data points and refit (in sub-chunks that bound memory);
  it exists to show that ``exact`` is exact;
* ``normal``: the normal approximation with the moment map :math:`(m, v)`, taken where it
  keeps the parameter in its domain: :math:`\hat\theta = \theta e^{Z}`-style on the log scale
  for a positive parameter (a log-normal with mean :math:`m` and variance :math:`v`), on the
  logit scale (delta method) for one in the unit interval, on the natural scale otherwise.

A state is a dict from parameter name to an array of shape ``(reps,)``, ``(reps, K)`` or
``(reps, d, d)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import singledispatch

import numpy as np
import sympy as sp

from modelcollapse import symbols
from modelcollapse.families.base import Bias, Family, Parameter
from modelcollapse.families.data import (
    BernoulliData,
    CategoricalData,
    DataModel,
    ExponentialData,
    Frequencies,
    LeastSquaresFit,
    MultivariateNormalData,
    NormalData,
    PoissonData,
    RateFromSum,
    RegressionData,
    SampleCovariance,
    SampleMean,
    SampleVariance,
    Statistic,
)
from modelcollapse.families.laws import (
    BinomialMean,
    InverseGamma,
    Law,
    LeastSquares,
    MultinomialMean,
    Normal,
    PoissonMean,
    ScaledBeta,
    ScaledChiSquare,
    ScaledGamma,
    Wishart,
)
from modelcollapse.numeric import evaluate

__all__ = ["MODES", "step", "draw", "draw_data", "fit", "normal_approximation",
           "BRUTE_MAX_ELEMENTS"]

MODES = ("exact", "brute", "normal")
#: brute force draws at most this many data values at once (sub-chunks of replications)
BRUTE_MAX_ELEMENTS = 4_000_000

State = dict[str, np.ndarray]
Values = Mapping[sp.Symbol, np.ndarray | float]


def _symbol_values(family: Family, state: State, constants: Mapping[str, float],
                   n: int) -> dict[sp.Symbol, np.ndarray | float]:
    values: dict[sp.Symbol, np.ndarray | float] = {symbols.n: float(n)}
    for p in family.parameters:
        values[p.symbol] = state[p.name]
    for c in family.constants:
        values[c.symbol] = constants[c.name]
    return values


def _cholesky(matrix: np.ndarray, what: str) -> np.ndarray:
    try:
        return np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        raise ValueError(f"{what} is no longer positive definite (the walk has collapsed to "
                         "numerical singularity); use fewer generations or larger n_t") from None


@singledispatch
def draw(law: Law, state: np.ndarray, values: Values, n: int,
         rng: np.random.Generator) -> np.ndarray:
    """Draw the new values of one parameter from its exact law, for a block of replications
    (``state`` holds the previous values; ``values`` maps every symbol of the law to numbers
    or arrays). One registered function per law class."""
    raise ValueError(f"no sampler for the law {type(law).__name__}")


def _shape_arg(law: Law, name: str, values: Values) -> float:
    return float(evaluate(getattr(law, name), values))


@draw.register
def _(law: ScaledChiSquare, state, values, n, rng):
    return evaluate(law.scale, values) * rng.chisquare(_shape_arg(law, "df", values),
                                                       size=state.shape)


@draw.register
def _(law: ScaledGamma, state, values, n, rng):
    return evaluate(law.scale, values) * rng.standard_gamma(_shape_arg(law, "shape", values),
                                                            size=state.shape)


@draw.register
def _(law: InverseGamma, state, values, n, rng):
    return evaluate(law.scale, values) / rng.standard_gamma(_shape_arg(law, "shape", values),
                                                            size=state.shape)


@draw.register
def _(law: ScaledBeta, state, values, n, rng):
    a, b = _shape_arg(law, "a", values), _shape_arg(law, "b", values)
    return evaluate(law.scale, values) * rng.beta(a, b, size=state.shape)


@draw.register
def _(law: BinomialMean, state, values, n, rng):
    size = int(round(_shape_arg(law, "size", values)))
    return rng.binomial(size, np.clip(evaluate(law.p, values), 0.0, 1.0),
                        size=state.shape) / size


@draw.register
def _(law: PoissonMean, state, values, n, rng):
    size = _shape_arg(law, "size", values)
    return rng.poisson(size * evaluate(law.rate, values), size=state.shape) / size


@draw.register
def _(law: MultinomialMean, state, values, n, rng):
    size = int(round(_shape_arg(law, "size", values)))
    return rng.multinomial(size, state) / size


@draw.register
def _(law: Wishart, state, values, n, rng):
    df = _shape_arg(law, "df", values)
    reps, d, _ = state.shape
    lower = _cholesky(state, "the covariance")
    a = np.zeros(state.shape)
    idx = np.arange(d)
    a[:, idx, idx] = np.sqrt(rng.chisquare(df - idx, size=(reps, d)))
    rows, cols = np.tril_indices(d, -1)
    a[:, rows, cols] = rng.standard_normal((reps, len(rows)))
    la = lower @ a
    return float(evaluate(law.scale, values)) * (la @ la.transpose(0, 2, 1))


def bartlett_factor(df: float, reps: int, d: int, rng: np.random.Generator) -> np.ndarray:
    r"""Lower-triangular :math:`A` with :math:`AA^\top \sim \mathcal W_d(df, I)` (Bartlett):
    :math:`A_{ii}^2 \sim \chi^2_{df-i+1}`, standard normal entries below the diagonal."""
    a = np.zeros((reps, d, d))
    idx = np.arange(d)
    a[:, idx, idx] = np.sqrt(rng.chisquare(df - idx, size=(reps, d)))
    rows, cols = np.tril_indices(d, -1)
    a[:, rows, cols] = rng.standard_normal((reps, len(rows)))
    return a


@draw.register
def _(law: LeastSquares, state, values, n, rng):
    # given X, the step is N(0, noise (X'X)^-1), X'X = A A' ~ W_d(n, I): A^-T z has covariance
    # (A A')^-1, so no data are drawn
    reps, d = state.shape
    a = bartlett_factor(_shape_arg(law, "size", values), reps, d, rng)
    z = rng.standard_normal((reps, d, 1))
    step = np.linalg.solve(a.transpose(0, 2, 1), z)[..., 0]
    loc = np.broadcast_to(evaluate(law.loc, values), state.shape)
    return loc + np.sqrt(float(evaluate(law.noise, values))) * step


@draw.register
def _(law: Normal, state, values, n, rng):
    shape = state.shape
    loc = np.broadcast_to(evaluate(law.loc, values), shape)
    var = evaluate(law.var, values)
    if var.ndim == 3:  # a covariance matrix per replication (multivariate mean)
        z = rng.standard_normal(shape)
        return loc + np.einsum("rij,rj->ri", _cholesky(var, "the covariance"), z)
    return loc + np.sqrt(np.maximum(var, 0.0)) * rng.standard_normal(shape)


def normal_approximation(parameter: Parameter, mean: np.ndarray, var: np.ndarray,
                         rng: np.random.Generator) -> np.ndarray:
    r"""A draw with mean :math:`m` and variance :math:`v` (the moment map, exactly) that stays
    in the parameter's domain.

    Positive: the log-normal, normal on the log scale, :math:`\log\hat\theta \sim
    N(\log m - s^2/2, s^2)` with :math:`s^2 = \log(1 + v/m^2)`. Unit interval: the Beta law
    with that mean and variance, :math:`a + b = m(1-m)/v - 1` (where :math:`v \ge m(1-m)` no
    law on the interval has those moments but the two-point law on :math:`\{0, 1\}`, which is
    drawn; 0 and 1 absorb). Real: :math:`N(m, v)`.
    """
    var = np.maximum(var, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if parameter.domain == "positive":
            s2 = np.log1p(var / mean**2)
            return mean * np.exp(np.sqrt(s2) * rng.standard_normal(mean.shape) - s2 / 2)
        if parameter.domain == "unit_interval":
            spread = mean * (1 - mean)
            inner = (var > 0) & (var < spread)
            total = np.where(inner, spread / np.where(inner, var, 1.0) - 1, 1.0)
            a = np.where(inner, mean * total, 1.0)
            b = np.where(inner, (1 - mean) * total, 1.0)
            beta = rng.beta(a, b)
            two_point = (rng.random(mean.shape) < mean).astype(float)
            return np.where(inner, beta, np.where(var > 0, two_point, mean))
    return mean + np.sqrt(var) * rng.standard_normal(mean.shape)


def step(family: Family, estimator: str, state: State, n: int, rng: np.random.Generator, *,
         mode: str = "exact", bias: Bias | None = None,
         constants: Mapping[str, float] | None = None) -> State:
    """One generation for a block: the new state from the old one, with sample size ``n``.

    Every parameter is drawn from the previous generation's values (the laws of one
    generation are independent given the previous fit).
    """
    constants = dict(constants or {})
    est = family.estimator(estimator)
    if bias is not None and bias.active and any(p.kind != "location"
                                                 for p in family.parameters):
        bias.check_factor(n)
    if mode == "brute":
        new = _brute(family, est.statistics, state, constants, n, rng)
        return {p.name: _biased_values(family.law(p.name, estimator), p, new[p.name], bias, n,
                                       rng) for p in family.parameters}
    if mode == "exact" and not est.exact:
        raise ValueError(f"mode 'exact' needs an exact one-step law; {family.name} declares "
                         "only its moment map (declare a law, or use mode 'normal')")
    values = _symbol_values(family, state, constants, n)
    new = {}
    for p in family.parameters:
        if mode == "normal":
            if family.vector:
                raise ValueError(f"mode 'normal' is for scalar families; {family.name} "
                                 "has vector parameters (use mode 'exact')")
            mm = family.moment_map(p.name, estimator, bias)
            mean = np.broadcast_to(evaluate(mm.mean, values), state[p.name].shape)
            new[p.name] = normal_approximation(p, mean, evaluate(mm.variance, values), rng)
        else:
            new[p.name] = draw(family.law(p.name, estimator, bias), state[p.name], values, n,
                               rng)
    return new


def _biased_values(law: Law, p: Parameter, value: np.ndarray, bias: Bias | None,
                   n: int, rng: np.random.Generator) -> np.ndarray:
    """Brute force refits unbiased estimators on drawn data; the bias of the declared law
    (:meth:`Family.law`) is then applied to the fitted values: a shift or a factor, and for a
    count rate a binomial thinning of the counts."""
    if bias is None or not bias.active:
        return value
    amount = float(bias.kappa) * n ** (-float(bias.alpha))
    if p.kind == "location":
        return value + amount
    if isinstance(law, PoissonMean):  # keep each of the n x counts with probability c
        counts = np.rint(value * n).astype(np.int64)
        return rng.binomial(counts, 1.0 - amount) / n
    return value * (1.0 - amount)


def _brute(family: Family, statistics: Mapping[str, Statistic] | None, state: State,
           constants: Mapping[str, float], n: int, rng: np.random.Generator) -> State:
    if family.data is None or statistics is None:
        raise ValueError(f"mode 'brute' needs a data model; {family.name} has none "
                         "(use mode 'exact' or 'normal')")
    reps = next(iter(state.values())).shape[0]
    width = n * max(int(np.prod(v.shape[1:2])) for v in state.values())
    per = max(1, BRUTE_MAX_ELEMENTS // width)
    parts = []
    for i in range(0, reps, per):
        block = {k: v[i:i + per] for k, v in state.items()}
        values = {**{k: np.full(len(next(iter(block.values()))), c)
                     for k, c in constants.items()}, **block}
        x = draw_data(family.data, values, n, rng)
        parts.append({name: fit(stat, x, n, block[name]) for name, stat in statistics.items()})
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


@singledispatch
def draw_data(model: DataModel, values: Mapping[str, np.ndarray], n: int,
              rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` data points per replication from the data model (one function per class);
    ``values`` maps parameter and constant names to per-replication arrays."""
    raise ValueError(f"no sampler for the data model {type(model).__name__}")


@draw_data.register
def _(model: NormalData, values, n, rng):
    scale = np.sqrt(values[model.variance])
    reps = len(scale)
    mean = values[model.mean] if model.mean is not None else np.zeros(reps)
    return mean[:, None] + scale[:, None] * rng.standard_normal((reps, n))


@draw_data.register
def _(model: BernoulliData, values, n, rng):
    p = values[model.p]
    return (rng.random((len(p), n)) < p[:, None]).astype(float)


@draw_data.register
def _(model: PoissonData, values, n, rng):
    rate = values[model.rate]
    return rng.poisson(rate[:, None], size=(len(rate), n)).astype(float)


@draw_data.register
def _(model: ExponentialData, values, n, rng):
    rate = values[model.rate]
    return rng.standard_exponential((len(rate), n)) / rate[:, None]


@draw_data.register
def _(model: CategoricalData, values, n, rng):
    p = values[model.p]
    return (rng.random((len(p), n))[:, :, None] >= np.cumsum(p, axis=1)[:, None, :-1]).sum(-1)


@draw_data.register
def _(model: MultivariateNormalData, values, n, rng):
    lower = _cholesky(values[model.covariance], "the covariance")
    z = rng.standard_normal((lower.shape[0], n, lower.shape[-1]))
    return values[model.mean][:, None, :] + np.einsum("rij,rnj->rni", lower, z)


@draw_data.register
def _(model: RegressionData, values, n, rng):
    beta = values[model.coefficients]
    reps, d = beta.shape
    x = rng.standard_normal((reps, n, d))
    noise = np.sqrt(values[model.noise])[:, None] * rng.standard_normal((reps, n))
    y = np.einsum("rnd,rd->rn", x, beta) + noise
    return np.concatenate([x, y[:, :, None]], axis=2)


@singledispatch
def fit(statistic: Statistic, x: np.ndarray, n: int, previous: np.ndarray) -> np.ndarray:
    """Refit one parameter from data ``x`` of shape ``(reps, n, ...)`` (one function per
    statistic class); ``previous`` is the parameter's last value (its shape)."""
    raise ValueError(f"no refit for the statistic {type(statistic).__name__}")


@fit.register
def _(statistic: SampleMean, x, n, previous):
    return x.mean(axis=1)


@fit.register
def _(statistic: SampleVariance, x, n, previous):
    return x.var(axis=1, ddof=statistic.ddof)


@fit.register
def _(statistic: RateFromSum, x, n, previous):
    return (n - statistic.offset) / x.sum(axis=1)


@fit.register
def _(statistic: Frequencies, x, n, previous):
    reps, k = previous.shape
    counts = np.bincount((x + k * np.arange(reps)[:, None]).ravel(), minlength=reps * k)
    return counts.reshape(reps, k) / n


@fit.register
def _(statistic: SampleCovariance, x, n, previous):
    centred = x - x.mean(axis=1)[:, None, :]
    return np.einsum("rni,rnj->rij", centred, centred) / (n - statistic.ddof)


@fit.register
def _(statistic: LeastSquaresFit, x, n, previous):
    # least squares by a batched QR decomposition (numpy's lstsq takes one design at a time):
    # X = QR, beta = R^-1 Q'y
    q, r = np.linalg.qr(x[:, :, :-1])
    qty = np.einsum("rnd,rn->rd", q, x[:, :, -1])
    return np.linalg.solve(r, qty[..., None])[..., 0]
