r"""The improvement probability of any family: closed form, numeric from the exact law, or
Monte Carlo of the walk (this module sits above the theory because of the last).

:math:`P(T) = \Pr(\lVert\hat\theta_T - \theta^*\rVert < \lVert\hat\theta_0 - \theta^*\rVert)`,
the distance on the parameter itself; the closed form and the numeric route are
:mod:`modelcollapse.theory.improvement`'s.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from modelcollapse import symbols
from modelcollapse.arguments import choice, integer
from modelcollapse.families import Bias, Family, get_family
from modelcollapse.schedules import Schedule
from modelcollapse.theory.derive import parameter_values
from modelcollapse.theory.improvement import (
    IMPROVEMENT_METHODS,
    gaussian_location,
    improvement_probability,
    numeric_improvement,
    probability_from_spread,
    spread,
)
from modelcollapse.validation.simulate import simulate

__all__ = ["FamilyImprovement", "family_improvement_probability"]


@dataclass(frozen=True)
class FamilyImprovement:
    r""":math:`P(T) = \Pr(\lVert\hat\theta_T - \theta^*\rVert < \lVert\hat\theta_0 -
    \theta^*\rVert)` for one family: ``probability``, the ``method`` that gave it
    (``"closed-form"``, ``"numeric"`` or ``"monte-carlo"``) and its standard error ``se``
    (0 unless Monte Carlo), with the run's description; ``dim`` is the dimension used."""

    probability: float
    method: str
    se: float
    family: str
    estimator: str
    n0: int
    T: int | float
    reps: int | None = None
    seed: int | None = None
    r: float | None = None
    note: str = ""
    dim: int = 1

    def to_dict(self) -> dict:
        return {"probability": self.probability, "method": self.method, "se": self.se,
                "family": self.family, "estimator": self.estimator, "n0": self.n0,
                "T": None if math.isinf(self.T) else self.T, "reps": self.reps,
                "seed": self.seed, "r": self.r, "note": self.note, "dim": self.dim}

    def __str__(self) -> str:
        se = f" +/- {self.se:.2g} (Monte Carlo, {self.reps} walks, seed {self.seed})" \
            if self.method == "monte-carlo" else f" ({self.method})"
        return f"P(T) = {self.probability:.6g}{se}; {self.family}, {self.estimator}, " \
               f"n0={self.n0}, T={self.T}"


def family_improvement_probability(
    family: str | Family = "gaussian-mean",
    *,
    schedule: Schedule | str | None = None,
    n0: int | None = None,
    T: int | float = 100,
    params: Mapping[str, Any] | None = None,
    estimator: str | None = None,
    bias: Bias | None = None,
    dim: int | None = None,
    reps: int = 100_000,
    seed: int = 0,
    method: str | None = None,
) -> FamilyImprovement:
    r"""Probability that generation :math:`T` of ``family`` is closer to the truth than
    generation 0, the distance taken on the parameter itself (Euclidean over the components
    of a vector parameter, over all parameters of a multi-parameter family).

    * ``"closed-form"``: a Normal location law :math:`N(\theta, v(n))` with :math:`v` free of
      :math:`\theta` (the Gaussian mean, detected from the law): the closed form with
      :math:`r^2 = \sum_{t=1}^T v(n_t)/v(n_0)` (:math:`= n_0 S_T` for :math:`v \propto 1/n`;
      then ``T = inf`` gives the limit). ``dim`` is then the dimension of an isotropic mean;
    * ``"numeric"``: a multiplicative law (scaled chi-square, Gamma, inverse Gamma, Beta) whose
      factor :math:`\hat\theta_t/\hat\theta_{t-1}` does not depend on the previous value:
      quadrature over :math:`\hat\theta_0` and the characteristic function of the product of
      the factors (:func:`numeric_improvement`);
    * ``"monte-carlo"``: every other law: ``reps`` walks drawn from the exact one-step law
      (:func:`modelcollapse.validation.simulate`, ``seed`` fixed), :math:`\hat P` the fraction
      of walks that improved, ``se`` :math:`= \sqrt{\hat P(1 - \hat P)/\mathrm{reps}}`.

    ``schedule`` is a :class:`~modelcollapse.schedules.Schedule` or its text (with ``n0``,
    default 100). ``method`` (default: the best that applies) forces ``"monte-carlo"``, e.g.
    to check the closed form; asking for a method that does not apply is an error.

    Examples
    --------
    >>> res = family_improvement_probability("gaussian-mean", n0=100, T=1)
    >>> (round(res.probability, 4), res.method, res.se)
    (0.3524, 'closed-form', 0.0)
    >>> res = family_improvement_probability("gaussian-variance", n0=10, T=1)
    >>> res.method, round(res.probability, 4)
    ('numeric', 0.3491)
    >>> res = family_improvement_probability("poisson", n0=10, T=1, reps=20_000)
    >>> res.method, 0.2 < res.probability < 0.45, 0 < res.se < 0.01
    ('monte-carlo', True, True)
    """
    fam = get_family(family)
    est = fam.estimator(estimator)
    if isinstance(schedule, Schedule):
        if n0 is not None and n0 != schedule.n0:
            raise ValueError(f"n0 = {n0} disagrees with the schedule's n0 = {schedule.n0}")
        sched = schedule
    else:
        n0 = 100 if n0 is None else integer("n0", n0, low=1)
        sched = Schedule("n0" if schedule is None else schedule, n0=n0)
    if isinstance(T, float) and math.isinf(T):
        horizon: int | float = math.inf
    else:
        horizon = integer("T", T, low=0)
    reps = integer("reps", reps, low=2)
    seed = integer("seed", seed, low=0)
    if method is not None:
        method = choice("method", method, IMPROVEMENT_METHODS)
    if bias is not None and not isinstance(bias, Bias):
        raise TypeError(f"bias must be a Bias, got {type(bias).__name__}")
    bias = bias if bias is not None and bias.active else None
    values = parameter_values(fam, params, dim=None if not fam.vector else dim)
    theta = fam.parameters[0].symbol
    law = fam.law(fam.parameters[0].name, est.name, bias)
    closed = len(fam.parameters) == 1 and not fam.vector and gaussian_location(law, theta)
    if (method == "numeric" and closed) or (method == "closed-form" and not closed):
        raise ValueError(f"method {method!r} does not apply to {fam.name} (law {law}); "
                         "allowed: " + ("closed-form, monte-carlo" if closed else
                                        "numeric (multiplicative laws), monte-carlo"))
    if closed and method != "monte-carlo":
        d = 1 if dim is None else integer("dim", dim, low=1)
        constants = {c.symbol: float(values[c.name][0]) for c in fam.constants}
        var = law.var.subs(constants)
        n = sp.Symbol("n", positive=True)
        var = var.subs(symbols.n, n)
        if var.free_symbols - {n}:
            raise ValueError(f"the variance {law.var} of {fam.name}'s law has unknown symbols")
        if sp.simplify(sp.diff(var * n, n)) == 0:  # v = c/n: r^2 = n0 S_T, limit included
            if math.isinf(horizon):
                sched.check_limit(fam.min_size(est.name), fam.name)
            inverse_sum = sched.inverse_sum(horizon)
            prob = improvement_probability(sched.n0, inverse_sum, dim=d)
            rr = spread(sched.n0, inverse_sum)
        else:
            if math.isinf(horizon):
                raise ValueError(f"T = inf needs a variance c/n; {fam.name} has v = {law.var}")
            sizes = sched.sizes(int(horizon), minimum=fam.min_size(est.name), family=fam.name)
            v = sp.lambdify(n, var, "math")
            rr = math.sqrt(sum(v(float(k)) for k in sizes[1:]) / v(float(sizes[0])))
            prob = probability_from_spread(rr, d)
        return FamilyImprovement(prob, "closed-form", 0.0, fam.name, est.name, sched.n0,
                                 horizon, r=None if math.isinf(rr) else rr, dim=d)
    # only the closed form has an isotropic version; the numeric route and the walk of a
    # scalar family would silently answer for dim = 1
    if not fam.vector and dim not in (None, 1):
        raise ValueError(f"dim = {dim} needs a vector family or the closed form (an isotropic "
                         f"Gaussian mean); {fam.name} is scalar: allowed dim = 1")
    if math.isinf(horizon):
        raise ValueError(f"T = inf has a closed form for the Gaussian mean only; {fam.name} "
                         "needs a finite T (Monte Carlo)")
    if method in (None, "numeric") and len(fam.parameters) == 1 and not fam.vector:
        constants = {c.symbol: float(values[c.name][0]) for c in fam.constants}
        sizes = sched.sizes(int(horizon), minimum=fam.min_size(est.name), family=fam.name)
        if bias is not None:
            for k in sizes:
                bias.check_factor(int(k))
        prob = numeric_improvement(law, theta, constants, sizes)
        if prob is not None:
            return FamilyImprovement(prob, "numeric", 0.0, fam.name, est.name, sched.n0,
                                     horizon)  # a scalar family: dim = 1
    if method == "numeric":
        raise ValueError(f"method 'numeric' does not apply to {fam.name} (law {law}); "
                         "allowed: monte-carlo")
    ds = simulate(fam, schedule=sched, T=int(horizon), reps=reps, seed=seed,
                  estimator=est.name, params=params, bias=bias, dim=dim, trajectories=True,
                  progress=False)
    keep = [str(c) for c in ds["component"].values if str(c) != "logdet"]
    traj = ds["trajectory"].sel(component=keep).values  # (rep, t, component)
    truth = ds["truth"].sel(component=keep).values
    far0 = np.linalg.norm(traj[:, 0, :] - truth, axis=1)
    farT = np.linalg.norm(traj[:, -1, :] - truth, axis=1)
    prob = float(np.mean(farT < far0))
    se = math.sqrt(prob * (1.0 - prob) / reps)
    # a vector family's dimension is the length of its first parameter (mean, cells, beta)
    used = len(np.atleast_1d(values[fam.parameters[0].name])) if fam.vector else 1
    return FamilyImprovement(prob, "monte-carlo", se, fam.name, est.name, sched.n0, horizon,
                             reps=reps, seed=seed, dim=used)
