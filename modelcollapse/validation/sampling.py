r"""One generation of the walk in numpy: the interpreter of the law vocabulary.

Three ways to draw :math:`\hat\theta_t` given :math:`\hat\theta_{t-1}` for a whole block of
replications at once:

* ``exact``: from the family's exact one-step law (SPEC section 2), e.g.
  :math:`\hat\sigma^2_t = \hat\sigma^2_{t-1}\chi^2_{n_t-1}/(n_t-1)`; the Wishart law by the
  Bartlett decomposition :math:`W = L A A^\top L^\top`, :math:`A` lower triangular with
  :math:`A_{ii}^2 \sim \chi^2_{df-i+1}` and standard normal entries below the diagonal;
* ``brute``: draw the :math:`n_t` data points and refit (in sub-chunks that bound memory);
  it exists to show that ``exact`` is exact;
* ``normal``: :math:`\hat\theta_t = \hat\theta_{t-1}\ \text{mapped by}\ m + \sqrt{v}\,Z`, the
  normal approximation, for user families without an exact law.

A state is a dict from parameter name to an array of shape ``(reps,)``, ``(reps, K)`` or
``(reps, d, d)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sympy as sp

from modelcollapse import symbols
from modelcollapse.families.base import Bias, Family
from modelcollapse.families.laws import (
    BinomialMean,
    InverseGamma,
    Law,
    MultinomialMean,
    Normal,
    PoissonMean,
    ScaledChiSquare,
    Wishart,
)
from modelcollapse.numeric import evaluate

__all__ = ["MODES", "step", "BRUTE_MAX_ELEMENTS"]

MODES = ("exact", "brute", "normal")
#: brute force draws at most this many data values at once (sub-chunks of replications)
BRUTE_MAX_ELEMENTS = 4_000_000

State = dict[str, np.ndarray]


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


def _draw_law(law: Law, state: np.ndarray, values: Mapping, n: int,
              rng: np.random.Generator) -> np.ndarray:
    shape = state.shape
    if isinstance(law, ScaledChiSquare):
        df = float(evaluate(law.df, values))
        return evaluate(law.scale, values) * rng.chisquare(df, size=shape)
    if isinstance(law, InverseGamma):
        a = float(evaluate(law.shape, values))
        return evaluate(law.scale, values) / rng.standard_gamma(a, size=shape)
    if isinstance(law, BinomialMean):
        return rng.binomial(n, np.clip(evaluate(law.p, values), 0.0, 1.0), size=shape) / n
    if isinstance(law, PoissonMean):
        return rng.poisson(n * evaluate(law.rate, values), size=shape) / n
    if isinstance(law, MultinomialMean):
        return rng.multinomial(n, state) / n
    if isinstance(law, Wishart):
        df = float(evaluate(law.df, values))
        reps, d, _ = shape
        lower = _cholesky(state, "the covariance")
        a = np.zeros(shape)
        idx = np.arange(d)
        a[:, idx, idx] = np.sqrt(rng.chisquare(df - idx, size=(reps, d)))
        rows, cols = np.tril_indices(d, -1)
        a[:, rows, cols] = rng.standard_normal((reps, len(rows)))
        la = lower @ a
        return float(evaluate(law.scale, values)) * (la @ la.transpose(0, 2, 1))
    if isinstance(law, Normal):
        loc = np.broadcast_to(evaluate(law.loc, values), shape)
        var = evaluate(law.var, values)
        if var.ndim == 3:  # a covariance matrix per replication (multivariate mean)
            z = rng.standard_normal(shape)
            return loc + np.einsum("rij,rj->ri", _cholesky(var, "the covariance"), z)
        return loc + np.sqrt(np.maximum(var, 0.0)) * rng.standard_normal(shape)
    raise ValueError(f"no sampler for the law {type(law).__name__}")


def _apply_bias(value: np.ndarray, kind: str, bias: Bias | None, n: int,
                name: str = "", family: str = "") -> np.ndarray:
    if bias is None or not bias.active:
        return value
    if kind not in ("location", "scale", "rate", "covariance"):
        raise ValueError(f"bias is defined for location, scale and rate parameters; "
                         f"{name} of {family} is a {kind}")
    amount = float(bias.kappa) * n ** (-float(bias.alpha))
    if kind == "location":
        return value + amount
    factor = 1.0 - amount
    if factor <= 0:
        raise ValueError(f"the bias factor 1 - kappa n^-alpha = {factor:.4g} is not positive at "
                         f"n_t={n}; allowed: kappa < n_t^alpha for every generation")
    return value * factor


def step(family: Family, estimator: str, state: State, n: int, rng: np.random.Generator, *,
         mode: str = "exact", bias: Bias | None = None,
         constants: Mapping[str, float] | None = None) -> State:
    """One generation for a block: the new state from the old one, with sample size ``n``.

    Every parameter is drawn from the previous generation's values (the laws of one
    generation are independent given the previous fit).
    """
    constants = dict(constants or {})
    est = family.estimator(estimator)
    if mode == "brute":
        new = _brute(family, est.statistics, state, constants, n, rng)
    else:
        values = _symbol_values(family, state, constants, n)
        new = {}
        for p in family.parameters:
            if mode == "normal":
                if family.vector:
                    raise ValueError(f"mode 'normal' is for scalar families; {family.name} "
                                     "has vector parameters (use mode 'exact')")
                mm = family.moment_map(p.name, estimator)
                mean = np.broadcast_to(evaluate(mm.mean, values), state[p.name].shape)
                var = np.maximum(evaluate(mm.variance, values), 0.0)
                new[p.name] = mean + np.sqrt(var) * rng.standard_normal(mean.shape)
            else:
                new[p.name] = _draw_law(est.laws[p.name], state[p.name], values, n, rng)
    return {p.name: _apply_bias(new[p.name], p.kind, bias, n, p.name, family.name)
            for p in family.parameters}


def _brute(family: Family, statistics: Mapping[str, str] | None, state: State,
           constants: Mapping[str, float], n: int, rng: np.random.Generator) -> State:
    if family.data is None or statistics is None:
        raise ValueError(f"mode 'brute' needs a data model; {family.name} has none "
                         "(use mode 'exact' or 'normal')")
    reps = next(iter(state.values())).shape[0]
    width = n * (state["Sigma"].shape[-1] if "Sigma" in state else 1)
    per = max(1, BRUTE_MAX_ELEMENTS // width)
    parts = [_brute_chunk(family.data, statistics, {k: v[i:i + per] for k, v in state.items()},
                          constants, n, rng) for i in range(0, reps, per)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _brute_chunk(data: str, statistics: Mapping[str, str], state: State,
                 constants: Mapping[str, float], n: int, rng: np.random.Generator) -> State:
    reps = next(iter(state.values())).shape[0]
    if data == "normal":
        mu = state.get("mu", np.zeros(reps))
        sigma2 = state["sigma2"] if "sigma2" in state else np.full(reps, constants["sigma2"])
        x = mu[:, None] + np.sqrt(sigma2)[:, None] * rng.standard_normal((reps, n))
    elif data == "bernoulli":
        x = (rng.random((reps, n)) < state["p"][:, None]).astype(float)
    elif data == "poisson":
        x = rng.poisson(state["lam"][:, None], size=(reps, n)).astype(float)
    elif data == "exponential":
        x = rng.standard_exponential((reps, n)) / state["rate"][:, None]
    elif data == "categorical":
        p = state["p"]
        k = p.shape[1]
        cells = (rng.random((reps, n))[:, :, None] >= np.cumsum(p, axis=1)[:, None, :-1]).sum(-1)
        counts = np.bincount((cells + k * np.arange(reps)[:, None]).ravel(), minlength=reps * k)
        return {"p": counts.reshape(reps, k) / n}
    elif data == "mvnormal":
        lower = _cholesky(state["Sigma"], "the covariance")
        z = rng.standard_normal((reps, n, lower.shape[-1]))
        x = state["mu"][:, None, :] + np.einsum("rij,rnj->rni", lower, z)
        mean = x.mean(axis=1)
        centred = x - mean[:, None, :]
        scatter = np.einsum("rni,rnj->rij", centred, centred)
        ddof = 1 if statistics["Sigma"] == "cov_unbiased" else 0
        return {"mu": mean, "Sigma": scatter / (n - ddof)}
    else:
        raise ValueError(f"unknown data model {data!r}")
    out = {}
    for name, stat in statistics.items():
        out[name] = {
            "mean": lambda: x.mean(axis=1),
            "var_unbiased": lambda: x.var(axis=1, ddof=1),
            "var_mle": lambda: x.var(axis=1),
            "rate_mle": lambda: n / x.sum(axis=1),
            "rate_unbiased": lambda: (n - 1) / x.sum(axis=1),
        }[stat]()
    return out
