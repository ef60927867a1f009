r"""Numeric moments of a family's walk at a given schedule of sizes.

Each parameter coordinate is a scalar chain solved by :mod:`modelcollapse.theory.recursion`;
a parameter whose step variance depends on another (the Gaussian mean on :math:`\sigma^2`) is
solved after it, with that parameter's mean trajectory. Vector families are solved coordinate by
coordinate: a categorical cell is a Bernoulli chain, a covariance diagonal entry a
Gaussian-variance chain.

Laws that multiply the previous value by an independent factor (``multiplicative``) also give
exact log-moments, since :math:`\log(\hat\theta_T/\theta^*) = \sum_{t=0}^{T}\log R_t` with
independent :math:`R_t`:

.. math::

    E\log\frac{\hat\theta_T}{\theta^*} = \sum_{t=0}^{T}\Big[\log c(n_t) + \log C(n_t)
    \pm D(x(n_t))\Big], \qquad
    \mathrm{Var}\log\hat\theta_T = \sum_{t=0}^{T}\psi'(x(n_t)),

with :math:`D(x) = \psi(x) - \log x`, :math:`c` the bias factor and :math:`C, x` read from
the law (for :math:`S^2`: :math:`C = 1`, :math:`x = (n-1)/2`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import sympy as sp

from modelcollapse import symbols
from modelcollapse.errors import NoClosedFormError
from modelcollapse.families.base import Bias, Family
from modelcollapse.families.laws import (
    LogParts,
    Multiplicative,
    PowerParts,
    Wishart,
    digamma_minus_log,
    log_gamma_ratio,
    trigamma,
)
from modelcollapse.numeric import as_float, evaluate
from modelcollapse.theory.recursion import pooling_weights, recursion_for, solve_numeric

__all__ = ["ParameterMoments", "parameter_moments", "log_moments", "log_parts", "solve_order",
           "power_parts", "power_moment", "PowerMoment"]


@dataclass(frozen=True)
class ParameterMoments:
    """Mean trajectories (``coordinates x generations``) and final variances of a parameter."""

    name: str
    means: np.ndarray
    variance: np.ndarray


def _as_function_of_n(expr: sp.Expr):
    return lambda x: np.broadcast_to(evaluate(expr, {symbols.n: x}), np.shape(x))


def solve_order(family: Family, estimator: str | None) -> list[str]:
    """Parameters in an order where each one's coupled parameters come first."""
    est = family.estimator(estimator)
    consts = {c.symbol for c in family.constants}
    by_symbol = {p.symbol: p.name for p in family.parameters}
    order: list[str] = []
    pending = [p.name for p in family.parameters]
    while pending:
        for name in pending:
            own = {symbols.n, family.parameter(name).symbol}
            deps = est.laws[name].variance().free_symbols - own
            if all(d in consts or by_symbol.get(d) in order for d in deps):
                order.append(name)
                pending.remove(name)
                break
        else:
            raise NoClosedFormError(family.name, "moments", "circular coupling of parameters")
    return order


def parameter_moments(
    family: Family,
    values: Mapping[str, np.ndarray],
    sizes: np.ndarray,
    *,
    estimator: str | None = None,
    bias: Bias | None = None,
    workflow: str = "replace",
) -> dict[str, ParameterMoments]:
    """Solve every parameter of ``family`` at ``sizes`` (:math:`n_0..n_T`).

    ``values`` maps each parameter and constant name to a 1-D array of coordinates.
    """
    est = family.estimator(estimator)
    weights = None
    if workflow == "accumulate":
        if not est.pools_as_mean:
            raise NoClosedFormError(family.name, "moments", "the accumulate workflow closes only "
                                    "for sample means (gaussian-mean, bernoulli, poisson, "
                                    "categorical)")
        weights = pooling_weights(sizes)
    out: dict[str, ParameterMoments] = {}
    symbol_of = {p.symbol: p.name for p in (*family.parameters, *family.constants)}
    for name in solve_order(family, estimator):
        rec = recursion_for(family, name, estimator, bias)
        coords = np.atleast_1d(values[name])
        means, variances = [], []
        for i, theta in enumerate(coords):
            given = {}
            for sym in rec.others:
                other = symbol_of[sym]
                if other in out:  # the coupled parameter's mean at generation t - 1
                    prev = out[other].means[i]
                    given[sym] = np.concatenate([[np.atleast_1d(values[other])[i]], prev[:-1]])
                else:
                    given[sym] = np.full(len(sizes), np.atleast_1d(values[other])[i], float)
            m, v = solve_numeric(rec, sizes, float(theta), given=given, weights=weights)
            means.append(m)
            variances.append(v)
        out[name] = ParameterMoments(name, np.array(means), np.array(variances))
    return out


def log_parts(family: Family, *, estimator: str | None = None, bias: Bias | None = None,
              dim: int = 1) -> LogParts | None:
    r"""The exact log-moments of one step of the family's first positive multiplicative
    parameter, bias included (of :math:`\log\det` for a covariance); None where the family has
    none (a location, a probability that can hit 0, a law known only by its moment map)."""
    if not family.estimator(estimator).exact:
        return None
    for p in family.parameters:
        law = family.law(p.name, estimator, bias)
        if isinstance(law, Wishart):
            return law.log_det_parts(dim)
        if isinstance(law, Multiplicative):
            return law.log_parts(p.symbol)
    return None


def log_moments(
    family: Family,
    sizes: np.ndarray,
    *,
    estimator: str | None = None,
    bias: Bias | None = None,
    dim: int = 1,
) -> tuple[float, float] | None:
    r""":math:`(E, \mathrm{Var})` of :math:`\log(\hat\theta_T/\theta^*)`, summed over
    generations from :func:`log_parts`, or None where there are none."""
    parts = log_parts(family, estimator=estimator, bias=bias, dim=dim)
    if parts is None:
        return None
    nn = as_float(sizes)
    drift = np.log1p(_as_function_of_n(sp.factor(sp.cancel(parts.center - 1)))(nn))
    for sign, x in parts.drift:
        drift = drift + sign * digamma_minus_log(_as_function_of_n(x)(nn))
    spread = np.zeros_like(nn)
    for sign, x in parts.spread:
        spread = spread + sign * trigamma(_as_function_of_n(x)(nn))
    return float(np.sum(drift)), float(np.sum(spread))


def power_parts(family: Family, *, estimator: str | None = None,
                bias: Bias | None = None) -> tuple[sp.Symbol, PowerParts] | None:
    r"""The first positive parameter with a multiplicative exact law, and the exact moments of
    any real order of one step of it, bias included (:class:`PowerParts`); None where the
    family has none."""
    if not family.estimator(estimator).exact:
        return None
    for p in family.parameters:
        if p.domain != "positive":
            continue
        law = family.law(p.name, estimator, bias)
        if isinstance(law, Multiplicative):
            return p.symbol, law.power_parts(p.symbol)
    return None


@dataclass(frozen=True)
class PowerMoment:
    r""":math:`E[\hat\theta_T^r]` (``value``), or None with the ``reason``."""

    value: float | None
    reason: str | None = None


def power_moment(family: Family, values: Mapping[str, np.ndarray], sizes: np.ndarray,
                 r: float, *, estimator: str | None = None,
                 bias: Bias | None = None) -> PowerMoment:
    r"""Moment of real order :math:`r` of a positive parameter with a multiplicative law,

    .. math::

        E[\hat\theta_T^r] = \theta^{*r}\prod_{t=0}^{T} C_t^r \prod_i
        \left(\frac{\Gamma(x_{i,t} + k_i r)}{\Gamma(x_{i,t})}\right)^{e_i}

    (:class:`~modelcollapse.families.laws.PowerParts`; independent factors), summed on the log
    scale with :func:`~modelcollapse.families.laws.log_gamma_ratio` so that it stays accurate
    for :math:`n_t` up to :math:`10^{12}` and beyond. It exists iff every
    :math:`x_{i,t} + k_i r > 0`.

    >>> from modelcollapse.families import get_family
    >>> fam = get_family("gaussian-variance")
    >>> round(power_moment(fam, {"sigma2": np.array([1.0])}, np.array([10]), 1.0).value, 12)
    1.0
    """
    found = power_parts(family, estimator=estimator, bias=bias)
    if found is None:
        return PowerMoment(None, f"{family.name} has no positive parameter with an exact "
                                 "multiplicative law")
    theta, parts = found
    name = next(p.name for p in family.parameters if p.symbol == theta)
    nn = as_float(sizes)
    r = float(r)
    total = r * np.log1p(_as_function_of_n(sp.cancel(parts.power_center() - 1))(nn))
    for e, x, k in parts.gammas:
        xs = _as_function_of_n(x)(nn)
        bad = ~(xs + k * r > 0)
        if np.any(bad):
            t = int(np.argmax(bad))
            return PowerMoment(None, f"E[{name}_T^r] does not exist for r = {r:g}: it needs "
                                     f"{sp.sstr(x)} + ({k})*r > 0, which fails at t={t}, "
                                     f"n_t={sizes[t]}")
        total = total + e * log_gamma_ratio(xs, k * r)
    log_value = r * np.log(float(np.atleast_1d(values[name])[0])) + float(np.sum(total))
    if log_value > 709.0:
        return PowerMoment(None, f"E[{name}_T^r] = exp({log_value:.4g}) overflows a float")
    return PowerMoment(math.exp(log_value))
