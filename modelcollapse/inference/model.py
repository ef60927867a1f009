r"""PyMC model of observed trajectories under an unknown estimator bias.

Each observed step :math:`\hat\theta_{t-1} \to \hat\theta_t` (``t >= 1``; generation 0 is the fit
on the real data, whose own likelihood is not needed) follows the family's exact one-step law
with the bias, applied by :meth:`~modelcollapse.families.Family.law`
and nowhere else: the factor :math:`c_t = 1 - \kappa n_t^{-\alpha}` on the whole law of a scale
or rate (a count rate is thinned), :math:`d_t = \kappa n_t^{-\alpha}` added to a location. The
model asks for the law with the bias left as a symbol (:math:`c` or :math:`d`) and interprets
it by its type: one function per law class, registered on :func:`step_likelihood` (as the
simulator registers one sampler per law class on
:func:`modelcollapse.validation.sampling.draw`). No family is named here: a family declared
by a user, with a law of the vocabulary, gets its likelihood the same day.

Likelihoods (``y`` the ratio :math:`\hat\theta_t/\hat\theta_{t-1}`, :math:`n = n_t`, ``q`` the
law's scale over :math:`c\,\hat\theta_{t-1}`):

=====================  ======================================================================
law                    one step (``likelihood`` name)
=====================  ======================================================================
``ScaledChiSquare``    :math:`y \sim \mathrm{Gamma}(df/2, \mathrm{scale}\ 2cq)` (``gamma``)
``ScaledGamma``        :math:`y \sim \mathrm{Gamma}(k, \mathrm{scale}\ cq)` (``gamma``)
``InverseGamma``       :math:`y \sim \mathrm{InvGamma}(k, \mathrm{scale}\ cq)`
                       (``inverse_gamma``)
``ScaledBeta``         :math:`y/(cq) \sim \mathrm{Beta}(a, b)` (``beta``)
``PoissonMean``        :math:`\mathrm{size}\cdot\hat\lambda_t \sim
                       \mathrm{Poisson}(c\,\mathrm{size}\cdot r(\hat\lambda_{t-1}))`
                       (``poisson``; steps from 0, which absorbs, carry no information and
                       are skipped)
``Normal``             :math:`\hat\theta_t \sim N(c\,m, c^2 v)` (``normal_scale``) or
                       :math:`N(m + d, v)` (``normal_location``)
any other law          the **normal approximation** :math:`N(m, v)` from the biased law's
                       moment map; also every family declared by a moment map only
                       (``estimator.exact`` False)
=====================  ======================================================================

:attr:`StepLikelihood.exact` tells an exact likelihood from the normal approximation; the fit
reports it (:class:`~modelcollapse.inference.fit.BiasPosterior`).

The Gamma-type, Poisson and Normal likelihoods are, as functions of :math:`c`, sums over
transitions of ``const + w_log log c + w_inv / c + w_inv2 / c^2 + w_lin c`` (scale and rate)
or ``const + w_lin d + w_quad d^2`` (location), so the data reduce to these weights summed per
distinct sample size (:func:`sufficient_statistics`): the cost of one log-density evaluation
grows with the number of distinct :math:`n_t`, not of transitions. For the Gaussian variance
(:math:`k = (n-1)/2`), with :math:`m` steps of size :math:`n`, :math:`S_{\log} = \sum\log y`
and :math:`S_y = \sum y`: ``w_log`` :math:`= -mk`, ``w_inv`` :math:`= -k S_y` and ``const``
:math:`= m(k\log k - \log\Gamma(k)) + (k-1)S_{\log}`. A law without such a form (``beta``)
is written per transition whatever ``sufficient`` asks. ``sufficient=False`` writes every
likelihood per transition with PyMC's own distributions (a check, and the form the noisy
model needs).

Parameterisation (no hard wall at :math:`c = 0`): with :math:`n_{\min}` the smallest observed
:math:`n_t` (``t >= 1``), :math:`b = \kappa n_{\min}^{-\alpha} = 1 - c(n_{\min}) \in (0, 1)`, so
every :math:`c_t = 1 - b (n_t/n_{\min})^{-\alpha} \in (0, 1]`; :math:`\alpha` has a bounded
prior; ``kappa`` :math:`= b\, n_{\min}^{\alpha}` and ``required_growth_exponent``
:math:`= \max(1, 1/\alpha)` are deterministics. See :class:`Priors`.

The observations are an observed variable (``ratio``, ``count`` or ``estimate``, dim
``transition``) whose law is the step's, given as a PyMC distribution by
:attr:`StepLikelihood.distribution`: ArviZ then has ``observed_data``, a pointwise
``log_likelihood`` (``az.loo``) and a posterior predictive. The data enter as ``pm.Data``
(with dims), so a model can be refitted on new data with :func:`set_data`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from functools import singledispatch
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import sympy as sp
from scipy.special import gammaln

from modelcollapse import symbols
from modelcollapse.families import Bias, Family
from modelcollapse.families.laws import (
    InverseGamma,
    Law,
    Normal,
    PoissonMean,
    ScaledBeta,
    ScaledChiSquare,
    ScaledGamma,
)
from modelcollapse.inference.answers import growth_floor
from modelcollapse.inference.data import Trajectories, load_trajectories, resolve_family
from modelcollapse.numeric import evaluate

__all__ = ["growth_floor", "Priors", "Statistics", "StepLikelihood", "build_model", "set_data",
           "sufficient_statistics", "step_likelihood", "family_likelihood", "likelihood_kind",
           "NOISY_LIKELIHOODS", "BIAS_FACTOR", "BIAS_SHIFT"]

#: likelihoods of a ratio :math:`y = \hat\theta_t/\hat\theta_{t-1}` whose law does not depend
#: on :math:`\hat\theta_{t-1}`, with a support free of the bias: the noisy model can put them
#: on a latent log-path
NOISY_LIKELIHOODS = ("gamma", "inverse_gamma")
#: the bias as the likelihood sees it: the factor :math:`c = 1 - \kappa n^{-\alpha}` of a
#: positive parameter, the shift :math:`d = \kappa n^{-\alpha}` of a location (dummies: no
#: clash with a user's names)
BIAS_FACTOR = sp.Dummy("c", positive=True)
BIAS_SHIFT = sp.Dummy("d", real=True)
_EXPONENT = sp.Dummy("alpha", positive=True)
_SCALE_WEIGHTS = ("const", "w_log", "w_inv", "w_inv2", "w_lin")
_LOCATION_WEIGHTS = ("const", "w_lin", "w_quad")
_LOG_2PI = math.log(2 * math.pi)

Arrays = Mapping[str, np.ndarray]


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
    """The data of the model: ``likelihood`` (the :attr:`StepLikelihood.name`: ``gamma``,
    ``inverse_gamma``, ``beta``, ``poisson``, ``normal_scale``, ``normal_location``),
    ``n_min``, ``arrays`` (name to array; per distinct sample size when ``sufficient``, else
    per transition) and ``exact`` (False for the normal approximation)."""

    likelihood: str
    n_min: float
    arrays: Mapping[str, np.ndarray]
    sufficient: bool
    exact: bool = True


# ---------------------------------------------------------------------------------------------
# one likelihood per law class
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepLikelihood:
    r"""The log-likelihood of observed steps under one (biased) law, as a function of the bias
    variable: :math:`c` for a positive parameter, :math:`d` for a location.

    ``transitions(previous, current, n)`` gives the per-transition numbers (numpy; always
    ``n``; optionally ``keep``, the informative steps, and ``valid``, where the law's
    parameters are defined); ``density(data, bias)`` the per-transition log-density
    (PyTensor, ``data`` the arrays as model data); ``weights(arrays)`` its sufficient form
    (the weights of ``c`` or ``d`` of :mod:`this module <modelcollapse.inference.model>`) where
    there is one; ``observed`` and ``distribution(data, bias, size)`` the observed array and its
    law (a PyMC distribution: the model's observed variable). Laws of the ratio
    :math:`y = \hat\theta_t/\hat\theta_{t-1}` also give
    ``ratio_density(data, c, y)`` (``multiplicative`` when its parameters do not depend on
    :math:`\hat\theta_{t-1}`: the noisy model) and, where the law's support depends on
    :math:`c`, ``least_factor(arrays)``: per transition, the :math:`c` below which the step
    has density 0.
    """

    name: str
    law: Law
    exact: bool
    location: bool
    transitions: Callable[[np.ndarray, np.ndarray, np.ndarray], dict[str, np.ndarray]]
    density: Callable[[Mapping[str, Any], Any], Any]
    #: the observed array (``ratio``, ``count`` or ``estimate``) and its law as a PyMC
    #: distribution, ``distribution(data, bias, size)``: the observed variable of the model,
    #: whose log-density is ``density`` (and which draws the posterior predictive)
    observed: str = ""
    distribution: Callable[[Mapping[str, Any], Any, Any], Any] | None = None
    weights: Callable[[Arrays], dict[str, np.ndarray]] | None = None
    ratio_density: Callable[[Mapping[str, Any], Any, Any], Any] | None = None
    multiplicative: bool = False
    least_factor: Callable[[Arrays], np.ndarray] | None = None
    invalid: str = "the law's parameters are not defined for the step from the previous estimate"

    @property
    def description(self) -> str:
        """One line for summaries: exact (which law) or the normal approximation."""
        if not self.exact:
            return "normal approximation N(m, v) from the moment map"
        return f"exact: {type(self.law).__name__} law ({self.name} likelihood)"


@dataclass(frozen=True)
class _Context:
    """What a law's likelihood needs besides the law: the family (for messages), the
    parameter's symbol, the bias symbol and whether the law is exact."""

    family: str
    theta: sp.Symbol
    bias: sp.Symbol
    exact: bool

    @property
    def location(self) -> bool:
        return self.bias is BIAS_SHIFT

    def function(self, expr: sp.Expr) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """``expr`` (free of the bias) as a numpy function of (previous estimate, n)."""
        def f(prev: np.ndarray, n: np.ndarray) -> np.ndarray:
            value = evaluate(expr, {self.theta: prev, symbols.n: n})
            return np.array(np.broadcast_to(value, np.broadcast(prev, n).shape), dtype=float)
        return f

    def fail(self, law: Law, how: str) -> ValueError:
        return ValueError(f"no likelihood for the law {_shown(law)} of {self.family}: {how}")

    def free(self, law: Law, expr: sp.Expr, what: str) -> sp.Expr:
        """``expr``, checked free of the bias."""
        if self.bias in expr.free_symbols:
            raise self.fail(law, f"the bias enters its {what}")
        return expr

    def unscaled(self, law: Law, expr: sp.Expr, what: str, power: int = 1) -> sp.Expr:
        """``expr / c**power``, checked free of ``c`` (the bias factor scales ``expr``)."""
        rest = sp.cancel(expr / self.bias**power)
        if self.location or self.bias in rest.free_symbols:
            raise self.fail(law, f"its {what} is not {'c' if power == 1 else 'c^2'} times a "
                                 "value free of the bias")
        return rest


def _shown(law: Law) -> str:
    """The law as text, the bias symbols printed as ``c`` and ``d``."""
    plain = {BIAS_FACTOR: sp.Symbol("c"), BIAS_SHIFT: sp.Symbol("d")}
    return str(replace(law, **{k: sp.sympify(v).xreplace(plain)  # safe: law arguments
                               for k, v in law.args().items()}))


def _finite_positive(*arrays: np.ndarray) -> np.ndarray:
    ok = np.ones(np.shape(arrays[0]), dtype=bool)
    for a in arrays:
        ok &= np.isfinite(a) & (a > 0)
    return ok


@singledispatch
def step_likelihood(law: Law, context: _Context) -> StepLikelihood:
    """The likelihood of one step under ``law`` (the family's law with the bias left as the
    symbol :data:`BIAS_FACTOR` or :data:`BIAS_SHIFT`), one registered function per law class.
    A law class without one gets the normal approximation :math:`N(m, v)` of its moments."""
    approximation = Normal(law.mean(), law.variance())
    return step_likelihood(approximation, replace(context, exact=False))


def _ratio_law(name: str, law: Law, context: _Context, parameters: Mapping[str, sp.Expr],
               scale: sp.Expr, ratio_density: Callable[[Mapping[str, Any], Any, Any], Any],
               distribution: Callable[[Mapping[str, Any], Any, Any], Any],
               weights: Callable[[Arrays], dict[str, np.ndarray]] | None = None,
               least_factor: Callable[[Arrays], np.ndarray] | None = None) -> StepLikelihood:
    r"""A law of :math:`\hat\theta_t = c\,\hat\theta_{t-1} q\,X`, :math:`X` with the given
    ``parameters``: the likelihood of the ratio, with ``factor`` :math:`q`."""
    params = {k: context.free(law, sp.sympify(v), k)  # safe: law arguments, never user text
              for k, v in parameters.items()}
    q = sp.cancel(context.unscaled(law, scale, "scale") / context.theta)
    functions = {k: context.function(v) for k, v in params.items()}
    factor = context.function(q)

    def transitions(prev: np.ndarray, cur: np.ndarray, n: np.ndarray) -> dict[str, np.ndarray]:
        values = {k: f(prev, n) for k, f in functions.items()}
        out = {"n": n, "ratio": cur / prev, **values, "factor": factor(prev, n)}
        out["valid"] = _finite_positive(out["factor"], *values.values())
        return out

    theta_free = not any(context.theta in e.free_symbols for e in (q, *params.values()))
    return StepLikelihood(name, law, context.exact, False, transitions,
                          lambda d, c: ratio_density(d, c, d["ratio"]), "ratio", distribution,
                          weights, ratio_density, theta_free, least_factor)


def _gamma_weights(a: Arrays) -> dict[str, np.ndarray]:
    k, q, y = a["shape"], a["factor"], a["ratio"]  # y ~ Gamma(k, scale c q)
    z = np.zeros_like(y)
    return {"const": -k * np.log(q) - gammaln(k) + (k - 1) * np.log(y),
            "w_log": -k, "w_inv": -y / q, "w_inv2": z, "w_lin": z}


def _gamma_density(d: Mapping[str, Any], c: Any, y: Any) -> Any:
    return pm.logp(pm.Gamma.dist(alpha=d["shape"], beta=1.0 / (c * d["factor"])), y)


def _gamma_distribution(d: Mapping[str, Any], c: Any, size: Any) -> Any:
    return pm.Gamma.dist(alpha=d["shape"], beta=1.0 / (c * d["factor"]), size=size)


def _gamma(law: Law, context: _Context, shape: sp.Expr, scale: sp.Expr) -> StepLikelihood:
    return _ratio_law("gamma", law, context, {"shape": shape}, scale, _gamma_density,
                      _gamma_distribution, _gamma_weights)


@step_likelihood.register
def _(law: ScaledChiSquare, context: _Context) -> StepLikelihood:
    # scale chi2_df = (2 scale) Gamma(df/2, 1)
    return _gamma(law, context, sp.cancel(law.df / 2), 2 * law.scale)


@step_likelihood.register
def _(law: ScaledGamma, context: _Context) -> StepLikelihood:
    return _gamma(law, context, law.shape, law.scale)


def _inverse_gamma_weights(a: Arrays) -> dict[str, np.ndarray]:
    k, s, y = a["shape"], a["factor"], a["ratio"]  # y ~ InvGamma(k, scale c s)
    z = np.zeros_like(y)
    return {"const": k * np.log(s) - gammaln(k) - (k + 1) * np.log(y),
            "w_log": k, "w_inv": z, "w_inv2": z, "w_lin": -s / y}


def _inverse_gamma_density(d: Mapping[str, Any], c: Any, y: Any) -> Any:
    return pm.logp(pm.InverseGamma.dist(alpha=d["shape"], beta=c * d["factor"]), y)


def _inverse_gamma_distribution(d: Mapping[str, Any], c: Any, size: Any) -> Any:
    return pm.InverseGamma.dist(alpha=d["shape"], beta=c * d["factor"], size=size)


@step_likelihood.register
def _(law: InverseGamma, context: _Context) -> StepLikelihood:
    return _ratio_law("inverse_gamma", law, context, {"shape": law.shape}, law.scale,
                      _inverse_gamma_density, _inverse_gamma_distribution,
                      _inverse_gamma_weights)


def _beta_density(d: Mapping[str, Any], c: Any, y: Any) -> Any:
    s = c * d["factor"]  # y / (c q) ~ Beta(a, b): density f_B(y / s) / s
    return pm.logp(pm.Beta.dist(alpha=d["beta_a"], beta=d["beta_b"]), y / s) - pt.log(s)


def _beta_distribution(d: Mapping[str, Any], c: Any, size: Any) -> Any:
    # a scaled Beta: PyMC derives its log-density (f_B(y / s) / s) from the product
    return c * d["factor"] * pm.Beta.dist(alpha=d["beta_a"], beta=d["beta_b"], size=size)


@step_likelihood.register
def _(law: ScaledBeta, context: _Context) -> StepLikelihood:
    # the support y < c q bounds c from below: no sufficient form, one term per transition
    # (the arrays are not named a and b: b is the model's bias variable)
    return _ratio_law("beta", law, context, {"beta_a": law.a, "beta_b": law.b}, law.scale,
                      _beta_density, _beta_distribution,
                      least_factor=lambda a: a["ratio"] / a["factor"])


def _poisson_weights(a: Arrays) -> dict[str, np.ndarray]:
    x, mu0 = a["count"], a["mean_count"]  # x ~ Poisson(c mu0)
    z = np.zeros_like(x)
    return {"const": x * np.log(mu0) - gammaln(x + 1), "w_log": x, "w_inv": z, "w_inv2": z,
            "w_lin": -mu0}


@step_likelihood.register
def _(law: PoissonMean, context: _Context) -> StepLikelihood:
    # thinning: size * estimate ~ Poisson(size * c * rate0)
    size = context.function(context.free(law, law.size, "size"))
    rate = context.function(context.unscaled(law, law.rate, "rate"))

    def transitions(prev: np.ndarray, cur: np.ndarray, n: np.ndarray) -> dict[str, np.ndarray]:
        s = size(prev, n)
        mean_count = s * rate(prev, n)
        with np.errstate(invalid="ignore"):
            # a mean count of 0 (0 absorbs): the step carries no information about the bias
            return {"n": n, "count": np.round(cur * s), "mean_count": mean_count,
                    "keep": mean_count > 0, "valid": np.isfinite(mean_count) & (mean_count >= 0)
                    & np.isfinite(s) & (s > 0)}

    def distribution(d: Mapping[str, Any], c: Any, size: Any) -> Any:
        return pm.Poisson.dist(mu=c * d["mean_count"], size=size)

    def density(d: Mapping[str, Any], c: Any) -> Any:
        return pm.logp(distribution(d, c, None), d["count"])

    return StepLikelihood("poisson", law, context.exact, False, transitions, density,
                          "count", distribution, _poisson_weights)


def _normal_scale_weights(a: Arrays) -> dict[str, np.ndarray]:
    y, m0, v0 = a["estimate"], a["m0"], a["v0"]  # y ~ N(c m0, c^2 v0)
    z = np.zeros_like(y)
    return {"const": -0.5 * (_LOG_2PI + np.log(v0)) - 0.5 * m0**2 / v0, "w_log": -1 + z,
            "w_inv": y * m0 / v0, "w_inv2": -0.5 * y**2 / v0, "w_lin": z}


def _normal_location_weights(a: Arrays) -> dict[str, np.ndarray]:
    r = a["estimate"] - a["m0"]  # y ~ N(m0 + d, v0)
    v0 = a["v0"]
    return {"const": -0.5 * (_LOG_2PI + np.log(v0)) - 0.5 * r**2 / v0, "w_lin": r / v0,
            "w_quad": -0.5 / v0}


@step_likelihood.register
def _(law: Normal, context: _Context) -> StepLikelihood:
    if context.location:  # N(m0 + d, v0)
        m0 = sp.expand(law.loc - context.bias)
        context.free(law, m0, "mean other than as the shift d")
        v0 = context.free(law, law.var, "variance")
    else:  # N(c m0, c^2 v0)
        m0 = context.unscaled(law, law.loc, "mean")
        v0 = context.unscaled(law, law.var, "variance", power=2)
    mean, var = context.function(m0), context.function(v0)

    def transitions(prev: np.ndarray, cur: np.ndarray, n: np.ndarray) -> dict[str, np.ndarray]:
        m, v = mean(prev, n), var(prev, n)
        return {"n": n, "estimate": cur, "m0": m, "v0": v,
                "valid": np.isfinite(m) & np.isfinite(v) & (v > 0)}

    def distribution(d: Mapping[str, Any], bias: Any, size: Any) -> Any:
        if context.location:
            return pm.Normal.dist(mu=d["m0"] + bias, sigma=pt.sqrt(d["v0"]), size=size)
        return pm.Normal.dist(mu=bias * d["m0"], sigma=bias * pt.sqrt(d["v0"]), size=size)

    def density(d: Mapping[str, Any], bias: Any) -> Any:
        return pm.logp(distribution(d, bias, None), d["estimate"])

    name = "normal_location" if context.location else "normal_scale"
    weights = _normal_location_weights if context.location else _normal_scale_weights
    return StepLikelihood(name, law, context.exact, context.location, transitions, density,
                          "estimate", distribution, weights,
                          invalid=f"the moment map of {context.family} gives no positive "
                          "variance for the step from the previous estimate")


# ---------------------------------------------------------------------------------------------
# a family's likelihood
# ---------------------------------------------------------------------------------------------
def _symbolic_bias(location: bool) -> Bias:
    r"""A :class:`Bias` whose shift :math:`\kappa n^{-\alpha}` is the symbol :math:`d`
    (location) or whose factor :math:`1 - \kappa n^{-\alpha}` is the symbol :math:`c`."""
    amount = BIAS_SHIFT if location else 1 - BIAS_FACTOR
    return Bias(amount * symbols.n**_EXPONENT, _EXPONENT)


def family_likelihood(family: str | Family, params: Mapping[str, float] | None = None
                      ) -> StepLikelihood:
    """The :class:`StepLikelihood` of ``family``'s first parameter under the estimator
    :func:`~modelcollapse.inference.data.resolve_family` picks, its bias applied by
    :meth:`~modelcollapse.families.Family.law` with the bias as a symbol.
    ``params``: values of the family's known constants (default: their defaults)."""
    fam, estimator = resolve_family(family)
    p = fam.parameters[0]
    unknown = set(params or {}) - {c.name for c in fam.constants}
    if unknown:
        allowed = ", ".join(c.name for c in fam.constants) or "none"
        raise ValueError(f"unknown constant {sorted(unknown)[0]!r} for {fam.name}; "
                         f"allowed: {allowed}")
    subs = {c.symbol: sp.Rational(repr(float((params or {}).get(c.name, c.default))))
            for c in fam.constants}
    location = p.kind == "location"
    law = fam.law(p.name, estimator, _symbolic_bias(location))
    law = replace(law, **{f.name: sp.sympify(getattr(law, f.name)).subs(subs)  # safe: law args
                          for f in fields(law)})
    bias = BIAS_SHIFT if location else BIAS_FACTOR
    extra = set().union(*(sp.sympify(v).free_symbols  # safe: law arguments, SymPy objects
                          for v in law.args().values())) - {p.symbol, symbols.n, bias}
    if extra:
        names = ", ".join(sorted(str(s) for s in extra))
        raise ValueError(f"the law of {fam.name} depends on {names}; give its value in params")
    context = _Context(fam.name, p.symbol, bias, fam.estimator(estimator).exact)
    return step_likelihood(law, context)


def likelihood_kind(family: str | Family) -> str:
    """The name of the likelihood :func:`build_model` uses for ``family`` (see
    :class:`Statistics`)."""
    return family_likelihood(family).name


#: per-transition labels (integers) :func:`_per_transition` adds on request
_LABELS = ("trajectory", "generation")


def _per_transition(data: Trajectories, fam: Family, like: StepLikelihood, *,
                    check_support: bool = True, labels: bool = False) -> dict[str, np.ndarray]:
    tr = data.transitions()
    out = like.transitions(tr["previous"], tr["current"], tr["n"].astype(float))
    valid = out.pop("valid", None)
    if valid is not None and not np.all(valid):
        row = data.row[tr["index"][np.argmin(valid)]]
        raise ValueError(f"row {row}, column 'estimate': {like.invalid}")
    if check_support and like.least_factor is not None:
        impossible = like.least_factor(out) >= 1
        if np.any(impossible):
            i = int(np.argmax(impossible))
            raise ValueError(f"row {data.row[tr['index'][i]]}, column 'estimate': "
                             f"{tr['current'][i]:g} after {tr['previous'][i]:g} is impossible "
                             f"under the law {_shown(like.law)} of {fam.name} for every bias "
                             "factor c <= 1")
        out["least_factor"] = like.least_factor(out)
    if labels:
        out.update(trajectory=tr["trajectory"], generation=data.t[tr["index"]])
    keep = out.pop("keep", None)
    if keep is not None:
        out = {k: v[keep] for k, v in out.items()}
    if len(out["n"]) == 0:
        raise ValueError("no informative transitions (every trajectory starts at 0, which "
                         "absorbs)")
    return {k: np.ascontiguousarray(v, dtype=np.int64 if k in _LABELS else float)
            for k, v in out.items()}


def sufficient_statistics(data: Any, family: str | Family | None = None, *,
                          sufficient: bool = True, params: Mapping[str, float] | None = None
                          ) -> Statistics:
    """The model's data for ``data`` (anything :func:`load_trajectories` reads).

    ``sufficient=True``: the weights of :mod:`this module <modelcollapse.inference.model>`
    summed per distinct sample size (arrays ``n`` and ``const``, ``w_log``, ``w_inv``,
    ``w_inv2``, ``w_lin`` for a scale or rate; ``const``, ``w_lin``, ``w_quad`` for a
    location), where the law has that form; otherwise, and for ``sufficient=False``, the
    per-transition numbers of :attr:`StepLikelihood.transitions` (``n``, and ``ratio``,
    ``shape``, ``factor``; or ``ratio``, ``beta_a``, ``beta_b``, ``factor``; or ``count``,
    ``mean_count``; or ``estimate``, ``m0``, ``v0``).
    """
    data = _as_data(data, family)
    fam, _ = resolve_family(data.family_def or data.family)
    like = family_likelihood(fam, params)
    per = _per_transition(data, fam, like)
    n_min = float(per["n"].min())
    if not sufficient or like.weights is None or like.least_factor is not None:
        return Statistics(like.name, n_min, per, False, like.exact)
    w = like.weights(per)
    sizes, inverse = np.unique(per["n"], return_inverse=True)
    arrays = {"n": sizes}
    for name, values in w.items():
        arrays[name] = np.bincount(inverse, weights=values, minlength=len(sizes))
    return Statistics(like.name, n_min, arrays, True, like.exact)


def _as_data(data: Any, family: str | Family | None) -> Trajectories:
    if isinstance(data, Trajectories):
        if family is None or resolve_family(family)[0].name == data.family:
            return data
    return load_trajectories(data, family="gaussian-variance" if family is None else family)


def _noisy_arrays(data: Trajectories, fam: Family, like: StepLikelihood
                  ) -> dict[str, np.ndarray]:
    if like.ratio_density is None or not like.multiplicative or like.least_factor is not None:
        raise ValueError(f"noisy=True needs a family with an exact multiplicative law (the "
                         f"previous value times a factor of n alone: {', '.join(NOISY_LIKELIHOODS)}"
                         f" likelihoods); {fam.name} has a {like.name} likelihood")
    tr = data.transitions()
    per = _per_transition(data, fam, like, check_support=False)
    per.pop("ratio")  # the ratio of the latent path replaces the recorded one
    return {"log_estimate": np.log(data.estimate), "current": tr["index"].astype(np.int64),
            "previous": (tr["index"] - 1).astype(np.int64), **per}


def _model_arrays(data: Trajectories, fam: Family, like: StepLikelihood, *, noisy: bool,
                  sufficient: bool, params: Mapping[str, float] | None
                  ) -> tuple[dict[str, np.ndarray], float, dict[str, str], dict[str, Any]]:
    """The model's data: arrays, :math:`n_{\\min}`, the dim of each array, the coords."""
    if noisy:
        arrays = _noisy_arrays(data, fam, like)
        dims = {k: "observation" if k == "log_estimate" else "transition" for k in arrays}
        coords = {"observation": np.arange(len(arrays["log_estimate"])),
                  "transition": np.arange(len(arrays["n"]))}
        return arrays, float(arrays["n"].min()), dims, coords
    if sufficient:
        stats = sufficient_statistics(data, fam, sufficient=True, params=params)
        if stats.sufficient:
            return (dict(stats.arrays), stats.n_min, dict.fromkeys(stats.arrays, "sample_size"),
                    {"sample_size": stats.arrays["n"].astype(np.int64)})
    per = _per_transition(data, fam, like, labels=True)
    return (per, float(per["n"].min()), dict.fromkeys(per, "transition"),
            {"transition": np.arange(len(per["n"]))})


def _data_name(key: str, like: StepLikelihood) -> str:
    """The name of an array's ``pm.Data``: the observed array's container is
    ``<observed>_data`` (the observed variable itself is named ``<observed>``)."""
    return f"{key}_data" if key == like.observed else key


def build_model(data: Any, *, family: str | Family | None = None,
                priors: Priors | None = None, noisy: bool = False, sufficient: bool = False,
                params: Mapping[str, float] | None = None) -> pm.Model:
    r"""The PyMC model of ``data`` (a :class:`Trajectories` or anything
    :func:`load_trajectories` reads) under the bias :math:`c(n) = 1 - \kappa n^{-\alpha}`.

    ``family``: None for that of ``data`` (gaussian-variance for raw tables): a registered
    name, a family file or a :class:`~modelcollapse.families.Family`. ``priors``: see
    :class:`Priors`. ``params``: values of the family's known constants (``sigma2`` of
    gaussian-mean).

    The observations are an observed variable with dim ``transition``: ``ratio``
    (:math:`\hat\theta_t/\hat\theta_{t-1}`), ``count`` or ``estimate``, whose law is the
    step's (:attr:`StepLikelihood.distribution`), so that ArviZ finds ``observed_data``,
    a pointwise ``log_likelihood`` and a posterior predictive; the data container
    ``trajectory`` gives each transition's trajectory (0-based), ``generation`` its
    :math:`t`. ``sufficient=True`` writes the same log-density as one ``pm.Potential`` on the
    sufficient statistics (dim ``sample_size``) where the law has that form: a log-density
    evaluation then costs the number of distinct :math:`n_t`, not of transitions, but there is
    no observed variable (no ``log_likelihood``). ``noisy=True``: the recorded log-estimates
    (``observed_log_estimate``, dim ``observation``) are a latent log-path plus
    :math:`N(0, \tau^2)` noise; the latent path (one value per observation, centred, flat
    prior) follows the exact transition density of the log-ratio (with its Jacobian); laws of
    the ratio that do not depend on the previous value only (:data:`NOISY_LIKELIHOODS`).

    Free variables: ``b``, ``alpha_raw`` (and ``tau``, ``log_theta`` when noisy);
    deterministics ``alpha``, ``kappa``, ``required_growth_exponent``.

    >>> model = build_model({"t": [0, 1, 2], "n": [20, 20, 50],
    ...                      "estimate": [1.0, 0.9, 0.85]})
    >>> model["ratio"].name, model.named_vars_to_dims["ratio"]
    ('ratio', ('transition',))
    """
    data = _as_data(data, family)
    fam, _ = resolve_family(data.family_def or data.family)
    priors = Priors() if priors is None else priors
    if not isinstance(priors, Priors):
        raise TypeError(f"priors must be a Priors, not {type(priors).__name__}")
    like = family_likelihood(fam, params)
    arrays, n_min, dims, coords = _model_arrays(data, fam, like, noisy=noisy,
                                                sufficient=sufficient, params=params)
    observed = not noisy and "transition" in coords
    bounded = "least_factor" in arrays
    with pm.Model(coords=coords) as model:
        d = {name: pm.Data(_data_name(name, like) if observed else name, values,
                           dims=dims[name])
             for name, values in arrays.items()}
        n_min_data = pm.Data("n_min", np.asarray(n_min))
        if like.location:
            b = pm.HalfNormal("b", sigma=priors.location_b_sigma)
        elif not bounded:
            b = pm.Beta("b", alpha=priors.b[0], beta=priors.b[1])
        alpha_raw = pm.Beta("alpha_raw", alpha=priors.alpha[0], beta=priors.alpha[1])
        alpha = pm.Deterministic(
            "alpha", priors.alpha_low + (priors.alpha_high - priors.alpha_low) * alpha_raw)
        if bounded:
            b = _bounded_b(d, n_min_data, alpha, priors)
        pm.Deterministic("kappa", b * n_min_data**alpha)
        pm.Deterministic("required_growth_exponent", pt.maximum(growth_floor(fam), 1.0 / alpha))
        amount = b * pt.exp(-alpha * pt.log(d["n"] / n_min_data))  # kappa n^-alpha
        bias = amount if like.location else 1.0 - amount
        if noisy:
            _noisy_likelihood(like, d, bias, priors, arrays["log_estimate"])
        elif observed:
            _observed_likelihood(like, d, bias)
        else:
            pm.Potential("loglik", pt.sum(_sufficient_logp(like.location, d, bias)))
    model._modelcollapse = {"family": fam, "noisy": noisy,  # type: ignore[attr-defined]
                            "sufficient": sufficient, "params": dict(params or {}),
                            "priors": priors,
                            "has_sufficient_form": like.weights is not None
                            and like.least_factor is None,
                            "likelihood": like.name, "exact": like.exact,
                            "description": like.description,
                            "observed": like.observed if observed else None,
                            "names": {k: d[k].name for k in arrays},
                            "shapes": {k: v.shape for k, v in arrays.items()}}
    return model


def _observed_likelihood(like: StepLikelihood, d: Mapping[str, Any], bias: Any) -> Any:
    """The observations as one observed variable: the step law of each transition."""
    if like.distribution is None:  # pragma: no cover - every registered law gives one
        raise ValueError(f"the {like.name} likelihood has no distribution")
    names = [k for k in d if k != like.observed and k not in _LABELS]

    def dist(bias: Any, *rest: Any) -> Any:  # PyMC passes the size last, positionally
        *values, size = rest
        return like.distribution(dict(zip(names, values, strict=True)), bias, size)

    return pm.CustomDist(like.observed, bias, *(d[k] for k in names), dist=dist,
                         observed=d[like.observed], dims="transition")


def _bounded_b(d: Mapping[str, Any], n_min: Any, alpha: Any, priors: Priors) -> Any:
    r"""``b`` for a law whose support bounds the bias factor from below, :math:`c_t >
    \ell_t` (``least_factor``; ScaledBeta: the estimate cannot exceed :math:`c\,q` times
    the previous one). Every :math:`c_t > \ell_t` iff :math:`b < B(\alpha) =
    \min(1, \min_t (1 - \ell_t)(n_t/n_{\min})^{\alpha})`, so ``b`` is written as
    :math:`B(\alpha)\,u`, :math:`u \in (0, 1)` (``b_fraction``), with the prior of ``b`` and
    the Jacobian :math:`B(\alpha)` as a potential: the same posterior, but the sampler never
    meets the wall where the likelihood drops to 0 (the likelihood is often largest next to
    it, where NUTS on ``b`` itself diverges)."""
    bound = pt.minimum(1.0, pt.min((1.0 - d["least_factor"])
                                   * pt.exp(alpha * pt.log(d["n"] / n_min))))
    fraction = pm.Beta("b_fraction", alpha=1.0, beta=1.0)
    b = pm.Deterministic("b", bound * fraction)
    pm.Potential("b_prior", pm.logp(pm.Beta.dist(alpha=priors.b[0], beta=priors.b[1]), b)
                 + pt.log(bound))
    return b


def _sufficient_logp(location: bool, d: Mapping[str, Any], bias: Any) -> Any:
    """The weights' log-density: in ``c`` for a scale or rate, in ``d`` for a location."""
    if location:
        return d["const"] + d["w_lin"] * bias + d["w_quad"] * bias**2
    return (d["const"] + d["w_log"] * pt.log(bias) + d["w_inv"] / bias
            + d["w_inv2"] / bias**2 + d["w_lin"] * bias)


def _noisy_likelihood(like: StepLikelihood, d: Mapping[str, Any], c: Any, priors: Priors,
                      log_estimate: np.ndarray) -> None:
    tau = pm.HalfNormal("tau", sigma=priors.tau_sigma)
    log_theta = pm.Flat("log_theta", dims="observation", initval=log_estimate)
    z = log_theta[d["current"]] - log_theta[d["previous"]]
    # density of z = log y: f_Y(e^z) e^z
    pm.Potential("loglik", pt.sum(like.ratio_density(d, c, pt.exp(z)) + z))
    pm.Normal("observed_log_estimate", mu=log_theta, sigma=tau, observed=d["log_estimate"],
              dims="observation")


def set_data(model: pm.Model, data: Any) -> pm.Model:
    """Put new trajectories (of the model's family) into ``model`` built by
    :func:`build_model`, so that it samples again without rebuilding (the number of
    transitions may change). The noisy model needs the same number of observations and
    transitions."""
    spec = getattr(model, "_modelcollapse", None)
    if spec is None:
        raise ValueError("set_data needs a model made by build_model")
    data = _as_data(data, spec["family"])
    fam, _ = resolve_family(data.family_def or data.family)
    like = family_likelihood(fam, spec["params"])
    arrays, n_min, _, coords = _model_arrays(data, fam, like, noisy=spec["noisy"],
                                             sufficient=spec["sufficient"],
                                             params=spec["params"])
    if spec["noisy"]:
        for k, v in arrays.items():
            if v.shape != spec["shapes"][k]:
                raise ValueError(f"the noisy model needs data of the same shape: {k} has "
                                 f"{v.shape[0]} entries, the model {spec['shapes'][k][0]}")
    names = spec["names"]
    pm.set_data({**{names[k]: v for k, v in arrays.items()}, "n_min": np.asarray(n_min)},
                model=model, coords=coords)
    if spec.get("companion") is not None:  # the sampler's sufficient form of the same model
        set_data(spec["companion"], data)
    return model
