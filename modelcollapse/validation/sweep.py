"""One Dataset for a grid of simulations: ``simulate(..., sweep={"schedule": [...], ...})``.

Each swept argument of :func:`~modelcollapse.validation.simulate` becomes a dimension of the
result, named after the argument, with readable labels as its coordinate (the schedule's
expression, ``"kappa=2, alpha=0.5"`` for a bias, ``"sigma2=2"`` for parameters); the runs are
the Cartesian product of the lists, in the given order. Every run uses the same ``seed``
(common random numbers: the differences between grid points are not blurred by independent
noise). Attributes that differ between runs (``schedule``, ``n0``, ``seconds``...) are dropped
from the Dataset's attrs; the sizes stay in the variable ``n``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sympy as sp
import xarray as xr

from modelcollapse.schedules import Schedule
from modelcollapse.validation.metadata import describe

__all__ = ["SWEEPABLE", "grid", "label"]

#: the arguments of ``simulate`` a sweep may vary (not T, dim or family: they change the
#: Dataset's other dimensions)
SWEEPABLE = ("schedule", "params", "bias", "estimator", "mode", "workflow", "threshold",
             "real_ratio", "real_weight", "seed")

_DESCRIPTIONS = {
    "schedule": ("schedule", "the schedule of sample sizes n_t of each run"),
    "params": ("true parameters", "the true parameter values of each run"),
    "bias": ("estimator bias", "the bias c(n) = 1 - kappa n^-alpha of each run"),
    "estimator": ("estimator", "the estimator of each run"),
    "mode": ("simulation mode", "the one-step sampler of each run"),
    "workflow": ("workflow", "the retraining workflow of each run"),
    "threshold": ("collapse threshold", "the collapse threshold of each run"),
    "real_ratio": ("real-data ratio K", "fresh real points per synthetic point, each run"),
    "real_weight": ("real-data weight w", "the weight of the real-data fit, each run"),
    "seed": ("seed", "the random seed of each run"),
}


def label(key: str, value: Any) -> str:
    """A readable coordinate label for one swept value.

    >>> from modelcollapse.families import Bias
    >>> label("schedule", Schedule("n0*t", n0=10)), label("bias", Bias(2.0, 0.5))
    ('n0*t, n0=10', 'kappa=2, alpha=0.5')
    >>> label("params", {"sigma2": 2.0})
    'sigma2=2'
    """
    if key == "schedule":
        sched = Schedule(value) if isinstance(value, str | sp.Expr) else value
        if not isinstance(sched, Schedule):
            raise TypeError(f"a swept schedule must be a Schedule or a string, got "
                            f"{type(value).__name__}")
        if sched.text is None:
            return "sizes " + ",".join(str(n) for n in sched.sizes_given)
        return f"{sched.text}, n0={sched.n0}"
    if key == "bias":
        if value is None:
            return "none"
        return f"kappa={float(value.kappa):g}, alpha={float(value.alpha):g}"
    if key == "params":
        return ", ".join(f"{k}={_number(v)}" for k, v in dict(value or {}).items()) or "default"
    return _number(value)


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "(" + ", ".join(_number(v) for v in value) + ")"
    return str(value)


def grid(run: Callable[..., xr.Dataset], family: Any, arguments: Mapping[str, Any],
         sweep: Mapping[str, Sequence[Any]]) -> xr.Dataset:
    """``run(family, **arguments)`` at every point of ``sweep``, stacked on one dimension per
    swept argument (see the module docstring)."""
    if not isinstance(sweep, Mapping) or not sweep:
        raise TypeError(f"sweep must be a non-empty dict of argument -> list of values, "
                        f"got {sweep!r}")
    for key, values in sweep.items():
        if key not in SWEEPABLE:
            raise ValueError(f"cannot sweep {key!r}; allowed: {', '.join(SWEEPABLE)}")
        if isinstance(values, str | Mapping) or not isinstance(values, Sequence) or not values:
            raise TypeError(f"sweep[{key!r}] must be a non-empty list of values, got "
                            f"{values!r}")
        labels = [label(key, v) for v in values]
        if len(set(labels)) != len(labels):
            raise ValueError(f"sweep[{key!r}] repeats a value: {labels}")
    keys = list(sweep)
    runs = []
    for combo in itertools.product(*(sweep[k] for k in keys)):
        ds = run(family, **{**arguments, **dict(zip(keys, combo, strict=True))})
        runs.append(ds.expand_dims({k: [label(k, v)] for k, v in zip(keys, combo,
                                                                    strict=True)}))
    shape = [len(sweep[k]) for k in keys]
    nested: Any = runs
    for size in reversed(shape[1:]):  # [r0, r1, ...] -> nested lists of the grid's shape
        nested = [nested[i:i + size] for i in range(0, len(nested), size)]
    ds = xr.combine_nested(nested, concat_dim=keys, combine_attrs="drop_conflicts")
    return describe(ds, {k: (_DESCRIPTIONS[k][0], None, _DESCRIPTIONS[k][1]) for k in keys})
