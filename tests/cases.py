"""One case table for every test layer (STYLE "One case table").

A :class:`Case` is (family, estimator, parameters, schedule, n0, T, bias, workflow, dim) plus
its capabilities as data: whether :func:`modelcollapse.theory.derive` reports log-moments,
which absorbing state the family has, and whether the horizon is a large one (``T >= 10**5``
or sizes up to ``1e12``). Tests select cases by these fields, never by family name.

Conventions (SPEC section 1): sizes ``n_0..n_T = Schedule(schedule, n0=n0).sizes(T)``,
generation 0 is the fit on real data, bias ``(kappa, alpha)`` means the factor
``c(n) = 1 - kappa n**-alpha`` on a positive parameter and the shift ``+kappa n**-alpha`` on a
location.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from modelcollapse.families import Bias
from modelcollapse.schedules import Schedule

__all__ = ["Case", "CAPABILITIES", "CASES", "LARGE_CASES", "ALL_CASES", "MIN_SIZE"]

#: family -> (log-moments reported by derive in the replace workflow, absorbing state,
#: workflows that close). Data, read by :func:`case`; the tests never branch on names.
CAPABILITIES: dict[str, tuple[bool, str | None, tuple[str, ...]]] = {
    "gaussian-mean": (False, None, ("replace", "accumulate")),
    "gaussian-variance": (True, None, ("replace",)),
    "gaussian": (True, None, ("replace",)),
    "bernoulli": (False, "fixation", ("replace", "accumulate")),
    "poisson": (False, "extinction", ("replace", "accumulate")),
    "exponential": (True, None, ("replace",)),
    "categorical": (False, "fixation", ("replace", "accumulate")),
    "mvgaussian": (True, None, ("replace",)),
}

#: smallest admissible n_t per family (SPEC section 2: n - 1 degrees of freedom for a variance,
#: n >= 3 for the second moment of the exponential rate, n > d for a d-dim covariance)
MIN_SIZE = {"gaussian-variance": 2, "gaussian": 2, "exponential": 3, "mvgaussian": 4}

#: parameter values used for each family (non-trivial values so that errors show: mu != 0,
#: unequal cells and coordinates)
PARAMS: dict[str, dict[str, Any]] = {
    "gaussian-mean": {"mu": 1.5, "sigma2": 2.0},
    "gaussian-variance": {"sigma2": 2.0},
    "gaussian": {"mu": -0.5, "sigma2": 3.0},
    "bernoulli": {"p": 0.3},
    "poisson": {"lam": 2.5},
    "exponential": {"rate": 2.0},
    "categorical": {"p": (0.2, 0.3, 0.5)},
    "mvgaussian": {"mu": (1.0, -2.0, 0.5), "Sigma": (2.0, 0.5, 1.0)},
}
DIM = {"mvgaussian": 3}


@dataclass(frozen=True)
class Case:
    """One row of the table. ``params`` is a tuple of items so the case stays hashable."""

    family: str
    estimator: str
    params: tuple[tuple[str, Any], ...]
    schedule: str
    n0: int
    T: int
    bias: tuple[float, float] | None = None
    workflow: str = "replace"
    dim: int | None = None
    # -- capabilities (data, not if-chains) --
    #: derive reports log_mean_T / log_variance_T
    log_moments: bool = False
    #: "fixation", "extinction" or None
    absorbing: str | None = None
    #: a large horizon or sizes up to 1e12 (the oracle is slower there)
    large: bool = False
    tags: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        bias = f"-bias{self.bias[0]:g},{self.bias[1]:g}" if self.bias else ""
        work = "" if self.workflow == "replace" else f"-{self.workflow}"
        return (f"{self.family}-{self.estimator}-{self.schedule}-n0={self.n0}-T={self.T}"
                f"{bias}{work}")

    @property
    def param_dict(self) -> dict[str, Any]:
        return dict(self.params)

    @property
    def schedule_obj(self) -> Schedule:
        return Schedule(self.schedule, n0=self.n0)

    @property
    def bias_obj(self) -> Bias | None:
        return None if self.bias is None else Bias(*self.bias)

    def derive_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments of :func:`modelcollapse.theory.derive` for this case."""
        kwargs = {"schedule": self.schedule_obj, "T": self.T, "estimator": self.estimator,
                  "workflow": self.workflow, "params": self.param_dict, "bias": self.bias_obj,
                  "dim": self.dim}
        kwargs.update(overrides)
        return kwargs

    def sizes(self) -> list[int]:
        """``n_0..n_T`` as Python ints (the SPEC convention)."""
        return [int(x) for x in self.schedule_obj.sizes(self.T)]


def case(family: str, estimator: str, schedule: str, n0: int, T: int, *,
         bias: tuple[float, float] | None = None, workflow: str = "replace",
         large: bool = False) -> Case:
    """A case with the family's parameters, dimension and capabilities filled in."""
    logs, absorbing, _ = CAPABILITIES[family]
    return Case(family, estimator, tuple(PARAMS[family].items()), schedule, n0, T, bias,
                workflow, DIM.get(family), logs and workflow == "replace", absorbing, large)


FAMILIES = tuple(CAPABILITIES)
ESTIMATORS = ("mle", "unbiased")

#: (schedule, n0, T): every growth class of SPEC section 3 at moderate horizons; the 2**t
#: horizon is kept small so n_T stays far below 2**53, and n0 = 5 keeps the exact Bernoulli
#: fixation chain (work ~ sum n_t^2) that derive evaluates cheap.
SCHEDULES = (
    ("n0", 5, 30),
    ("n0*t", 5, 30),
    ("n0*t*log(t+1)", 5, 30),
    ("n0*t**1.5", 5, 30),
    ("n0*t**2", 5, 1000),
    ("n0*2**t", 5, 20),
)

#: sizes up to 1e12 at T = 1000 (n0*t**2 with n0 = 1e6, n0*t with n0 = 1e9): the regime where
#: 1 - 1/n_t must be handled with log1p/expm1
HUGE = (("n0*t**2", 10**6, 1000), ("n0*t", 10**9, 1000))

CASES: list[Case] = [
    case(f, e, s, n0, T)
    for f, e, (s, n0, T) in itertools.product(FAMILIES, ESTIMATORS, SCHEDULES)
]
CASES += [case(f, e, s, n0, T, large=True)
          for f, e, (s, n0, T) in itertools.product(FAMILIES, ESTIMATORS, HUGE)]
# a longer moderate horizon
CASES += [case(f, "unbiased", "n0*t**1.5", 20, 1000) for f in FAMILIES]
# accumulate workflow: the sample means
CASES += [case(f, e, s, n0, T, workflow="accumulate")
          for f in FAMILIES if "accumulate" in CAPABILITIES[f][2]
          for e, (s, n0, T) in zip(ESTIMATORS, (("n0", 10, 30), ("n0*t", 10, 1000)), strict=True)]
# biased estimators (kappa, alpha) on a location, a scale, a rate and a covariance
BIASED_FAMILIES = ("gaussian-mean", "gaussian-variance", "gaussian", "poisson", "exponential",
                   "mvgaussian")
CASES += [case(f, e, s, n0, T, bias=b)
          for f in BIASED_FAMILIES
          for e, (s, n0, T), b in zip(
              ESTIMATORS, (("n0*t**1.5", 10, 30), ("n0*t**2", 100, 1000)),
              ((0.5, 0.5), (2.0, 1.5)), strict=True)]

#: T = 10**5 with n_T = 1e12 (n0*t**2, n0 = 100) or 1e12 on a collapsing schedule (n0*t,
#: n0 = 10**7): the long-horizon regime of each kind of chain (location, scale with
#: log-moments, probability, count, rate)
LARGE_CASES: list[Case] = [
    case("gaussian-mean", "unbiased", "n0*t**2", 100, 10**5, large=True),
    case("gaussian-variance", "mle", "n0*t**2", 100, 10**5, large=True),
    case("bernoulli", "unbiased", "n0*t", 10**7, 10**5, large=True),
    case("poisson", "mle", "n0*t**2", 100, 10**5, large=True),
    case("exponential", "mle", "n0*t**2", 100, 10**5, large=True),
]

ALL_CASES: list[Case] = CASES + LARGE_CASES
