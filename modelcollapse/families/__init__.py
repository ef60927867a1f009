"""The registry of model families: each declared once, in its own module.

>>> from modelcollapse.families import get_family
>>> get_family("gaussian-variance").estimator("unbiased").laws["sigma2"]
ScaledChiSquare(df=n - 1, scale=sigma^2/(n - 1))
"""

from __future__ import annotations

from modelcollapse.families.base import Bias, Estimator, Family, MomentMap, Parameter
from modelcollapse.families.bernoulli import BERNOULLI
from modelcollapse.families.categorical import CATEGORICAL
from modelcollapse.families.exponential import EXPONENTIAL
from modelcollapse.families.gaussian import GAUSSIAN, GAUSSIAN_MEAN, GAUSSIAN_VARIANCE
from modelcollapse.families.mvgaussian import MVGAUSSIAN
from modelcollapse.families.poisson import POISSON

__all__ = ["Bias", "Estimator", "Family", "MomentMap", "Parameter", "get_family",
           "family_names", "register", "from_moment_map", "from_log_density", "linearised",
           "fisher_information"]

_REGISTRY: dict[str, Family] = {}


def register(family: Family, *, replace: bool = False) -> Family:
    """Add a family to the registry (``replace=True`` to redefine a name)."""
    if family.name in _REGISTRY and not replace:
        raise ValueError(f"a family named {family.name!r} is registered already")
    _REGISTRY[family.name] = family
    return family


def family_names() -> list[str]:
    """Names of the registered families, in registration order."""
    return list(_REGISTRY)


def get_family(name: str | Family) -> Family:
    """The family registered under ``name`` (a :class:`Family` passes through)."""
    if isinstance(name, Family):
        return name
    if name not in _REGISTRY:
        raise ValueError(f"unknown family {name!r}; allowed: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


for _f in (GAUSSIAN_MEAN, GAUSSIAN_VARIANCE, GAUSSIAN, BERNOULLI, POISSON, EXPONENTIAL,
           CATEGORICAL, MVGAUSSIAN):
    register(_f)

from modelcollapse.families.custom import (  # noqa: E402 - custom builds on the registry
    fisher_information,
    from_log_density,
    from_moment_map,
    linearised,
)
