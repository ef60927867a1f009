r"""PyMC model of observed trajectories under an unknown estimator bias (SPEC section 6).

Each observed step :math:`\hat\theta_{t-1} \to \hat\theta_t` (``t >= 1``; generation 0 is the fit
on the real data, whose own likelihood is not needed) follows the family's exact one-step law
with the bias of SPEC section 1: the factor :math:`c_t = 1 - \kappa n_t^{-\alpha}` on the whole
law of a scale or rate, :math:`+\kappa n_t^{-\alpha}` on a location.

Likelihoods (``y`` the ratio :math:`\hat\theta_t/\hat\theta_{t-1}`, :math:`n = n_t`):

=====================  ======================================================================
family (law)           one step
=====================  ======================================================================
gaussian-variance      :math:`y \sim \mathrm{Gamma}(k, \mathrm{rate}\ k/c)`, :math:`k=(n-1)/2`
exponential            :math:`y \sim \mathrm{InvGamma}(n, \mathrm{scale}\ c\,(n-1))`
poisson                :math:`n\hat\lambda_t \sim \mathrm{Poisson}(c\, n\hat\lambda_{t-1})`
                       (steps from 0, which absorbs, carry no information and are skipped)
others                 :math:`\hat\theta_t \sim N(m, v)` from the family's moment map with the
                       bias (exact for gaussian-mean); also user families
=====================  ======================================================================

Every one of them is, as a function of :math:`c`, a sum over transitions of
``const + w_log log c + w_inv / c + w_inv2 / c^2 + w_lin c`` (scale and rate) or
``const + w_lin d + w_quad d^2`` with :math:`d = \kappa n^{-\alpha}` (location), so the data
reduce to these weights summed per distinct sample size (:func:`sufficient_statistics`): the cost
of one log-density evaluation grows with the number of distinct :math:`n_t`, not of transitions.
For gaussian-variance, with :math:`m` steps of size :math:`n`, :math:`S_{\log} = \sum\log y` and
:math:`S_y = \sum y`: ``w_log`` :math:`= -mk`, ``w_inv`` :math:`= -k S_y` and ``const``
:math:`= m(k\log k - \log\Gamma(k)) + (k-1)S_{\log}`. ``sufficient=False`` writes the same
likelihood per transition with PyMC's own distributions instead (a check, and the form the noisy
model needs).

Parameterisation (no hard wall at :math:`c = 0`): with :math:`n_{\min}` the smallest observed
:math:`n_t` (``t >= 1``), :math:`b = \kappa n_{\min}^{-\alpha} = 1 - c(n_{\min}) \in (0, 1)`, so
every :math:`c_t = 1 - b (n_t/n_{\min})^{-\alpha} \in (0, 1]`; :math:`\alpha` has a bounded
prior; ``kappa`` :math:`= b\, n_{\min}^{\alpha}` and ``required_growth_exponent``
:math:`= \max(1, 1/\alpha)` are deterministics. See :class:`Priors`.

The data enter as ``pm.Data``, so a model can be refitted on new data with :func:`set_data`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import sympy as sp
from scipy.special import gammaln

from modelcollapse import symbols
from modelcollapse.families import Family
from modelcollapse.families.laws import InverseGamma, PoissonMean, ScaledChiSquare
from modelcollapse.inference.data import Trajectories, load_trajectories, resolve_family

__all__ = ["Priors", "Statistics", "build_model", "set_data", "sufficient_statistics",
           "likelihood_kind", "NOISY_LIKELIHOODS"]

#: likelihoods whose exact law the noisy model can put on a latent log-path
NOISY_LIKELIHOODS = ("gamma", "inverse_gamma")
_SCALE_WEIGHTS = ("const", "w_log", "w_inv", "w_inv2", "w_lin")
_LOCATION_WEIGHTS = ("const", "w_lin", "w_quad")
_LOG_2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class Priors:
    r"""Priors of the bias model (all overridable: ``Priors(b=(1, 1))``).

    * ``b`` :math:`= \kappa n_{\min}^{-\alpha} = 1 - c(n_{\min})`, the relative bias at the
      smallest observed sample size: :math:`\mathrm{Beta}(b_0, b_1)`, default ``(1, 3)``
      (mean 1/4, density 3 at 0: unbiased estimators are plausible, a bias that removes the
      whole variance is not). For a location parameter there is no wall: ``b`` is the bias
      at :math:`n_{\min}` in the units of the parameter,
      :math:`\mathrm{HalfNormal}(\texttt{location\_b\_sigma})`.
    * ``alpha`` :math:`= \texttt{alpha\_low} + (\texttt{alpha\_high} - \texttt{alpha\_low})
      \cdot\mathrm{Beta}(a_0, a_1)`, default :math:`0.05 + 2.95\,\mathrm{Beta}(2, 2)` on
      (0.05, 3): from a bias that hardly decays (the MLE of a variance has 1) to a fast one.
    * ``tau`` (noisy model: sd of the recording noise of the log-estimates):
      :math:`\mathrm{HalfNormal}(\texttt{tau\_sigma})`, default 0.1.
    """

    b: tuple[float, float] = (1.0, 3.0)
    alpha: tuple[float, float] = (2.0, 2.0)
    alpha_low: float = 0.05
    alpha_high: float = 3.0
    location_b_sigma: float = 1.0
    tau_sigma: float = 0.1

    def __post_init__(self) -> None:
        for name in ("b", "alpha"):
            value = getattr(self, name)
            if (len(value) != 2 or not all(isinstance(v, int | float) and 0 < v < math.inf
                                           for v in value)):
                raise ValueError(f"prior {name} must be two Beta shapes > 0, got {value!r}")
        if not 0 < self.alpha_low < self.alpha_high < math.inf:
            raise ValueError(f"prior alpha bounds must satisfy 0 < alpha_low < alpha_high, got "
                             f"{self.alpha_low}, {self.alpha_high}")
        for name in ("location_b_sigma", "tau_sigma"):
            if not 0 < getattr(self, name) < math.inf:
                raise ValueError(f"prior {name} must be > 0, got {getattr(self, name)}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Statistics:
    """The data of the model: ``likelihood`` (``gamma``, ``inverse_gamma``, ``poisson``,
    ``normal_scale``, ``normal_location``), ``n_min``, and ``arrays`` (name to array; per
    distinct sample size when ``sufficient``, else per transition)."""

    likelihood: str
    n_min: float
    arrays: Mapping[str, np.ndarray]
    sufficient: bool


def _law_functions(fam: Family, estimator: str, params: Mapping[str, float] | None
                   ) -> tuple[str, dict[str, Any]]:
    """Which likelihood, and numpy functions of (theta_prev, n) giving its per-step numbers."""
    p = fam.parameters[0]
    theta, n = p.symbol, symbols.n
    subs = {c.symbol: sp.Rational(repr(float((params or {}).get(c.name, c.default))))
            for c in fam.constants}
    unknown = set(params or {}) - {c.name for c in fam.constants}
    if unknown:
        allowed = ", ".join(c.name for c in fam.constants) or "none"
        raise ValueError(f"unknown constant {sorted(unknown)[0]!r} for {fam.name}; "
                         f"allowed: {allowed}")
    law = fam.estimator(estimator).laws[p.name]
    args = {k: sp.sympify(v).subs(subs) for k, v in law.args().items()}  # safe: law arguments

    def fn(expr: sp.Expr, *variables: sp.Symbol):
        f = sp.lambdify(variables, expr, "numpy")
        return lambda *xs: np.broadcast_to(np.asarray(f(*xs), dtype=float),
                                           np.broadcast(*xs).shape)

    if p.kind != "location":
        if isinstance(law, ScaledChiSquare):
            k, q = sp.cancel(args["df"] / 2), sp.cancel(2 * args["scale"] / theta)
            if (k.free_symbols | q.free_symbols) <= {n}:
                return "gamma", {"shape": fn(k, n), "factor": fn(q, n)}
        if isinstance(law, InverseGamma):
            a, s = sp.cancel(args["shape"]), sp.cancel(args["scale"] / theta)
            if (a.free_symbols | s.free_symbols) <= {n}:
                return "inverse_gamma", {"shape": fn(a, n), "factor": fn(s, n)}
        if isinstance(law, PoissonMean) and sp.simplify(args["size"] - n) == 0 \
                and sp.simplify(args["rate"] - theta) == 0:
            return "poisson", {}
    mm = fam.moment_map(p.name, estimator)
    mean, var = mm.mean.subs(subs), mm.variance.subs(subs)
    if not (mean.free_symbols | var.free_symbols) <= {n, theta}:
        extra = sorted(str(s) for s in (mean.free_symbols | var.free_symbols) - {n, theta})
        raise ValueError(f"the moment map of {fam.name} depends on {', '.join(extra)}; give "
                         "its value in params")
    kind = "normal_location" if p.kind == "location" else "normal_scale"
    return kind, {"mean": fn(mean, theta, n), "variance": fn(var, theta, n)}


def likelihood_kind(family: str | Family) -> str:
    """The likelihood :func:`build_model` uses for ``family`` (see :class:`Statistics`)."""
    fam, estimator = resolve_family(family)
    return _law_functions(fam, estimator, None)[0]


def _per_transition(data: Trajectories, fam: Family, estimator: str,
                    params: Mapping[str, float] | None) -> tuple[str, dict[str, np.ndarray]]:
    kind, f = _law_functions(fam, estimator, params)
    tr = data.transitions()
    prev, cur, n = tr["previous"], tr["current"], tr["n"].astype(float)
    out: dict[str, np.ndarray] = {"n": n}
    if kind in ("gamma", "inverse_gamma"):
        out.update(ratio=cur / prev, shape=f["shape"](n), factor=f["factor"](n))
    elif kind == "poisson":
        keep = prev > 0  # 0 absorbs: such steps carry no information about the bias
        out = {"n": n[keep], "count": np.round(cur[keep] * n[keep]),
               "mean_count": n[keep] * prev[keep]}
    else:
        out.update(estimate=cur, m0=f["mean"](prev, n), v0=f["variance"](prev, n))
        bad = ~(out["v0"] > 0) | ~np.isfinite(out["m0"])
        if bad.any():
            row = data.row[tr["index"][np.argmax(bad)]]
            raise ValueError(f"row {row}, column 'estimate': the moment map of {fam.name} gives "
                             "no positive variance for the step from the previous estimate")
    if len(out["n"]) == 0:
        raise ValueError("no informative transitions (every trajectory starts at 0, which "
                         "absorbs)")
    return kind, {k: np.ascontiguousarray(v, dtype=float) for k, v in out.items()}


def _weights(kind: str, a: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-transition weights of logp as a function of c (or of d for a location)."""
    z = np.zeros_like(a["n"])
    if kind == "gamma":  # y ~ Gamma(k, scale c q)
        k, q, y = a["shape"], a["factor"], a["ratio"]
        return {"const": -k * np.log(q) - gammaln(k) + (k - 1) * np.log(y),
                "w_log": -k, "w_inv": -y / q, "w_inv2": z, "w_lin": z}
    if kind == "inverse_gamma":  # y ~ InvGamma(a, scale c s)
        sh, s, y = a["shape"], a["factor"], a["ratio"]
        return {"const": sh * np.log(s) - gammaln(sh) - (sh + 1) * np.log(y),
                "w_log": sh, "w_inv": z, "w_inv2": z, "w_lin": -s / y}
    if kind == "poisson":  # x ~ Poisson(c mu0)
        x, mu0 = a["count"], a["mean_count"]
        return {"const": x * np.log(mu0) - gammaln(x + 1), "w_log": x, "w_inv": z,
                "w_inv2": z, "w_lin": -mu0}
    y, m0, v0 = a["estimate"], a["m0"], a["v0"]
    if kind == "normal_scale":  # y ~ N(c m0, c^2 v0)
        return {"const": -0.5 * (_LOG_2PI + np.log(v0)) - 0.5 * m0**2 / v0, "w_log": -1 + z,
                "w_inv": y * m0 / v0, "w_inv2": -0.5 * y**2 / v0, "w_lin": z}
    r = y - m0  # location: y ~ N(m0 + d, v0)
    return {"const": -0.5 * (_LOG_2PI + np.log(v0)) - 0.5 * r**2 / v0, "w_lin": r / v0,
            "w_quad": -0.5 / v0}


def sufficient_statistics(data: Any, family: str | Family | None = None, *,
                          sufficient: bool = True, params: Mapping[str, float] | None = None
                          ) -> Statistics:
    """The model's data for ``data`` (anything :func:`load_trajectories` reads).

    ``sufficient=True``: the weights of :mod:`this module <modelcollapse.inference.model>`
    summed per distinct sample size (arrays ``n`` and ``const``, ``w_log``, ``w_inv``,
    ``w_inv2``, ``w_lin`` for a scale or rate; ``const``, ``w_lin``, ``w_quad`` for a
    location). ``sufficient=False``: the per-transition numbers (``n``, and ``ratio``,
    ``shape``, ``factor``; or ``count``, ``mean_count``; or ``estimate``, ``m0``, ``v0``).
    """
    data = _as_data(data, family)
    fam, estimator = resolve_family(data.family_def or data.family)
    kind, per = _per_transition(data, fam, estimator, params)
    n_min = float(per["n"].min())
    if not sufficient:
        return Statistics(kind, n_min, per, False)
    w = _weights(kind, per)
    sizes, inverse = np.unique(per["n"], return_inverse=True)
    arrays = {"n": sizes}
    for name, values in w.items():
        arrays[name] = np.bincount(inverse, weights=values, minlength=len(sizes))
    return Statistics(kind, n_min, arrays, True)


def _as_data(data: Any, family: str | Family | None) -> Trajectories:
    if isinstance(data, Trajectories):
        if family is None or resolve_family(family)[0].name == data.family:
            return data
    return load_trajectories(data, family="gaussian-variance" if family is None else family)


def _noisy_arrays(data: Trajectories, fam: Family, estimator: str,
                  params: Mapping[str, float] | None) -> tuple[str, dict[str, np.ndarray]]:
    kind, f = _law_functions(fam, estimator, params)
    if kind not in NOISY_LIKELIHOODS:
        raise ValueError(f"noisy=True needs a family with an exact multiplicative law "
                         f"(gaussian-variance, exponential); {fam.name} has a {kind} "
                         f"likelihood")
    tr = data.transitions()
    n = tr["n"].astype(float)
    return kind, {"log_estimate": np.log(data.estimate), "current": tr["index"].astype(np.int64),
                  "previous": (tr["index"] - 1).astype(np.int64), "n": n,
                  "shape": f["shape"](n).astype(float), "factor": f["factor"](n).astype(float)}


def build_model(data: Any, *, family: str | Family | None = None,
                priors: Priors | None = None, noisy: bool = False, sufficient: bool = True,
                params: Mapping[str, float] | None = None) -> pm.Model:
    r"""The PyMC model of ``data`` (a :class:`Trajectories` or anything
    :func:`load_trajectories` reads) under the bias :math:`c(n) = 1 - \kappa n^{-\alpha}`.

    ``family``: None for that of ``data`` (gaussian-variance for raw tables). ``priors``: see
    :class:`Priors`. ``sufficient=False`` writes the likelihood per transition (same
    log-density). ``params``: values of the family's known constants (``sigma2`` of
    gaussian-mean). ``noisy=True``: the recorded log-estimates are a latent log-path plus
    :math:`N(0, \tau^2)` noise; the latent path (one value per observation, centred, flat
    prior) follows the exact transition density of the log-ratio (with its Jacobian);
    gaussian-variance and exponential only.

    Free variables: ``b``, ``alpha_raw`` (and ``tau``, ``log_theta`` when noisy);
    deterministics ``alpha``, ``kappa``, ``required_growth_exponent``.
    """
    data = _as_data(data, family)
    fam, estimator = resolve_family(data.family_def or data.family)
    priors = Priors() if priors is None else priors
    if not isinstance(priors, Priors):
        raise TypeError(f"priors must be a Priors, not {type(priors).__name__}")
    if noisy:
        kind, arrays = _noisy_arrays(data, fam, estimator, params)
        n_min = float(arrays["n"].min())
    else:
        stats = sufficient_statistics(data, sufficient=sufficient, params=params)
        kind, arrays, n_min = stats.likelihood, stats.arrays, stats.n_min
    location = kind == "normal_location"
    with pm.Model() as model:
        d = {name: pm.Data(name, values) for name, values in arrays.items()}
        n_min_data = pm.Data("n_min", np.asarray(n_min))
        if location:
            b = pm.HalfNormal("b", sigma=priors.location_b_sigma)
        else:
            b = pm.Beta("b", alpha=priors.b[0], beta=priors.b[1])
        alpha_raw = pm.Beta("alpha_raw", alpha=priors.alpha[0], beta=priors.alpha[1])
        alpha = pm.Deterministic(
            "alpha", priors.alpha_low + (priors.alpha_high - priors.alpha_low) * alpha_raw)
        pm.Deterministic("kappa", b * n_min_data**alpha)
        pm.Deterministic("required_growth_exponent", pt.maximum(1.0, 1.0 / alpha))
        amount = b * pt.exp(-alpha * pt.log(d["n"] / n_min_data))  # kappa n^-alpha
        if noisy:
            _noisy_likelihood(kind, d, 1.0 - amount, priors, arrays["log_estimate"])
        elif location:
            _location_likelihood(d, amount, sufficient)
        else:
            _scale_likelihood(kind, d, 1.0 - amount, sufficient)
    model._modelcollapse = {"family": fam, "noisy": noisy,  # type: ignore[attr-defined]
                            "sufficient": sufficient, "params": dict(params or {}),
                            "likelihood": kind, "shapes": {k: v.shape for k, v in arrays.items()}}
    return model


def _scale_likelihood(kind: str, d: Mapping[str, Any], c: Any, sufficient: bool) -> None:
    if sufficient:
        logp = (d["const"] + d["w_log"] * pt.log(c) + d["w_inv"] / c + d["w_inv2"] / c**2
                + d["w_lin"] * c)
    elif kind == "gamma":
        logp = pm.logp(pm.Gamma.dist(alpha=d["shape"], beta=1.0 / (c * d["factor"])),
                       d["ratio"])
    elif kind == "inverse_gamma":
        logp = pm.logp(pm.InverseGamma.dist(alpha=d["shape"], beta=c * d["factor"]), d["ratio"])
    elif kind == "poisson":
        logp = pm.logp(pm.Poisson.dist(mu=c * d["mean_count"]), d["count"])
    else:
        logp = pm.logp(pm.Normal.dist(mu=c * d["m0"], sigma=c * pt.sqrt(d["v0"])),
                       d["estimate"])
    pm.Potential("loglik", pt.sum(logp))


def _location_likelihood(d: Mapping[str, Any], amount: Any, sufficient: bool) -> None:
    if sufficient:
        logp = d["const"] + d["w_lin"] * amount + d["w_quad"] * amount**2
    else:
        logp = pm.logp(pm.Normal.dist(mu=d["m0"] + amount, sigma=pt.sqrt(d["v0"])),
                       d["estimate"])
    pm.Potential("loglik", pt.sum(logp))


def _noisy_likelihood(kind: str, d: Mapping[str, Any], c: Any, priors: Priors,
                      log_estimate: np.ndarray) -> None:
    tau = pm.HalfNormal("tau", sigma=priors.tau_sigma)
    log_theta = pm.Flat("log_theta", shape=len(log_estimate), initval=log_estimate)
    z = log_theta[d["current"]] - log_theta[d["previous"]]
    if kind == "gamma":
        law = pm.Gamma.dist(alpha=d["shape"], beta=1.0 / (c * d["factor"]))
    else:
        law = pm.InverseGamma.dist(alpha=d["shape"], beta=c * d["factor"])
    # density of z = log y: f_Y(e^z) e^z
    pm.Potential("loglik", pt.sum(pm.logp(law, pt.exp(z)) + z))
    pm.Normal("observed_log_estimate", mu=log_theta, sigma=tau, observed=d["log_estimate"])


def set_data(model: pm.Model, data: Any) -> pm.Model:
    """Put new trajectories (of the model's family) into ``model`` built by
    :func:`build_model`, so that it samples again without rebuilding. The noisy model needs
    the same number of observations and transitions."""
    spec = getattr(model, "_modelcollapse", None)
    if spec is None:
        raise ValueError("set_data needs a model made by build_model")
    data = _as_data(data, spec["family"])
    fam, estimator = resolve_family(data.family_def or data.family)
    if spec["noisy"]:
        _, arrays = _noisy_arrays(data, fam, estimator, spec["params"])
        n_min = float(arrays["n"].min())
        for k, v in arrays.items():
            if v.shape != spec["shapes"][k]:
                raise ValueError(f"the noisy model needs data of the same shape: {k} has "
                                 f"{v.shape[0]} entries, the model {spec['shapes'][k][0]}")
    else:
        stats = sufficient_statistics(data, sufficient=spec["sufficient"],
                                      params=spec["params"])
        arrays, n_min = dict(stats.arrays), stats.n_min
    pm.set_data({**arrays, "n_min": np.asarray(n_min)}, model=model)
    return model
