"""The registry of model families: each declared once, in its own module.

>>> from modelcollapse.families import get_family
>>> get_family("gaussian-variance").estimator("unbiased").laws["sigma2"]
ScaledChiSquare(df=n - 1, scale=sigma^2/(n - 1))
"""

from __future__ import annotations

import os

from modelcollapse.families.base import Bias, Estimator, Family, MomentMap, Parameter
from modelcollapse.families.bernoulli import BERNOULLI
from modelcollapse.families.categorical import CATEGORICAL
from modelcollapse.families.exponential import EXPONENTIAL
from modelcollapse.families.gaussian import GAUSSIAN, GAUSSIAN_MEAN, GAUSSIAN_VARIANCE
from modelcollapse.families.linear_regression import LINEAR_REGRESSION
from modelcollapse.families.mvgaussian import MVGAUSSIAN
from modelcollapse.families.poisson import POISSON

__all__ = ["Bias", "Estimator", "Family", "MomentMap", "Parameter", "get_family",
           "family_names", "register", "load", "from_moment_map", "from_log_density", "linearised",
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


#: family files already read, by (resolved path, modification time, size): one object per
#: file, so that the engines' caches keyed on the family object keep working
_FILES: dict[tuple, Family] = {}
ENTRY_POINT_GROUP = "modelcollapse.families"


def _from_file(path: str) -> Family:
    from modelcollapse.families.files import load

    resolved = os.path.realpath(path)
    try:
        info = os.stat(resolved)
        key = (resolved, info.st_mtime_ns, info.st_size)
    except OSError:
        key = None
    if key is not None and key in _FILES:
        return _FILES[key]
    family = load(path)
    if key is not None:
        _FILES[key] = family
    return family


def _from_entry_points(name: str) -> Family | None:
    """A family that an installed package registers in the entry point group
    ``modelcollapse.families``: the entry point loads a Family, a callable returning one, or
    the path of a family file."""
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name != name:
            continue
        try:
            obj = ep.load()
            family = obj() if callable(obj) and not isinstance(obj, Family) else obj
            if isinstance(family, str | os.PathLike):
                family = _from_file(os.fspath(family))
        except Exception as exc:  # a broken third-party package: one line, naming it
            raise ValueError(f"family {name!r} from entry point {ep.value!r} failed to load: "
                             f"{type(exc).__name__}: {exc}") from None
        if not isinstance(family, Family):
            raise ValueError(f"entry point {ep.value!r} for family {name!r} gave "
                             f"{type(family).__name__}, not a Family")
        return register(family, replace=True)
    return None


def get_family(name: str | os.PathLike[str] | Family) -> Family:
    """The family registered under ``name``, declared in the family file ``name``
    (``*.toml``), or registered by an installed package under the entry point group
    ``modelcollapse.families`` (a :class:`Family` passes through).

    >>> get_family("poisson").name
    'poisson'
    """
    if isinstance(name, Family):
        return name
    if isinstance(name, os.PathLike) or (isinstance(name, str) and name.endswith(".toml")):
        return _from_file(os.fspath(name))
    if not isinstance(name, str):
        raise TypeError(f"family must be a name, a family file or a Family, got "
                        f"{type(name).__name__}")
    if name not in _REGISTRY and _from_entry_points(name) is None:
        raise ValueError(f"unknown family {name!r}; allowed: {', '.join(_REGISTRY)}, or the "
                         "path of a family file (*.toml)")
    return _REGISTRY[name]


def load(path: str | os.PathLike[str], *, register: bool = False) -> Family:
    """The family declared in a family file (:func:`modelcollapse.families.files.load`)."""
    from modelcollapse.families.files import load as _load

    return _load(path, register=register)


for _f in (GAUSSIAN_MEAN, GAUSSIAN_VARIANCE, GAUSSIAN, BERNOULLI, POISSON, EXPONENTIAL,
           CATEGORICAL, MVGAUSSIAN, LINEAR_REGRESSION):
    register(_f)

from modelcollapse.families.custom import (  # noqa: E402 - custom builds on the registry
    fisher_information,
    from_log_density,
    from_moment_map,
    linearised,
)
