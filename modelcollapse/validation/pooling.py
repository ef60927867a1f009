r"""The accumulate workflow by brute force: every generation's data pooled, the estimator refit.

Generation :math:`t` draws :math:`n_t` points from the previous fit :math:`\hat\theta_{t-1}`
and refits on all :math:`N_t = n_0 + \dots + n_t` points drawn so far (generation 0: the
:math:`n_0` real points). Only the pooled sufficient statistics are kept, never the data, so
memory does not grow with :math:`N_t`: one registered function per statistic class merges a
batch into its pool and returns the refit, e.g. for :math:`S^2` the counts, means and sums of
squared deviations merged by Chan's formula

.. math::

    M_{2} = M_{2,a} + M_{2,b} + \delta^2 \frac{N_a N_b}{N_a + N_b}, \qquad
    \delta = \bar x_b - \bar x_a,

and for least squares :math:`G_t = \sum_{s\le t} X_s^\top X_s`,
:math:`\hat\beta_t = G_t^{-1}\sum_{s\le t} X_s^\top y_s`. Where the sufficient statistics
of a batch have an exact law of their own (:func:`draw_summary`; least squares:
:math:`X^\top X \sim \mathcal W_d(n, I)`, :math:`X^\top y \mid X^\top X \sim
N(X^\top X\beta, \sigma^2 X^\top X)`) they are drawn from it instead of the data: the same
pooled refit in law, without the :math:`n \times d` inputs. This is how the engine simulates
the accumulate workflow for estimators that are not a pooled sample mean (for those, the
size-weighted mean of the generations' exact draws is the pooled estimate and needs no data).

>>> import numpy as np
>>> from modelcollapse.families.data import SampleVariance
>>> x = np.arange(6.0).reshape(1, 6, order="F")
>>> pool, _ = merge(SampleVariance(), None, x[:, :2], x[:, :0])
>>> pool, est = merge(SampleVariance(), pool, x[:, 2:], x[:, :0])
>>> float(est[0]) == float(np.var(x, ddof=1))
True
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import singledispatch

import numpy as np

from modelcollapse.families.base import Family
from modelcollapse.families.data import (
    DataModel,
    Frequencies,
    LeastSquaresFit,
    RateFromSum,
    SampleCovariance,
    SampleMean,
    SampleVariance,
    Statistic,
)
from modelcollapse.validation.sampling import BRUTE_MAX_ELEMENTS, bartlett_factor, draw_data

__all__ = ["POOL", "merge", "pooled_step", "draw_summary", "has_summary"]

#: the state key under which the pooled sufficient statistics travel between generations
POOL = "_pool"

Pool = dict[str, np.ndarray]


@singledispatch
def merge(statistic: Statistic, pool: Pool | None, x: np.ndarray,
          previous: np.ndarray) -> tuple[Pool, np.ndarray]:
    """Merge a batch ``x`` of shape ``(reps, n, ...)`` into ``pool`` (None before the first
    batch) and return the new pool and the estimate refit on all pooled data; ``previous``
    is the parameter's last value (its shape). One registered function per statistic class;
    where :func:`draw_summary` has a law for the statistic, ``x`` may be the batch's drawn
    sufficient statistics instead of its data."""
    raise ValueError(f"no pooled refit for the statistic {type(statistic).__name__}; the "
                     "accumulate workflow cannot be simulated for this estimator")


def _count(pool: Pool | None, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pooled count before, pooled count after), per replication."""
    before = np.zeros(x.shape[0]) if pool is None else pool["count"]
    return before, before + x.shape[1]


@merge.register
def _(statistic: SampleMean, pool, x, previous):
    before, count = _count(pool, x)
    total = x.sum(axis=1) + (0.0 if pool is None else pool["sum"])
    shape = (-1,) + (1,) * (total.ndim - 1)
    return {"count": count, "sum": total}, total / count.reshape(shape)


@merge.register
def _(statistic: SampleVariance, pool, x, previous):
    before, count = _count(pool, x)
    mean_b = x.mean(axis=1)
    m2_b = ((x - mean_b[:, None]) ** 2).sum(axis=1)
    if pool is None:
        mean, m2 = mean_b, m2_b
    else:
        delta = mean_b - pool["mean"]
        mean = pool["mean"] + delta * (x.shape[1] / count)
        m2 = pool["m2"] + m2_b + delta**2 * (before * x.shape[1] / count)
    return {"count": count, "mean": mean, "m2": m2}, m2 / (count - statistic.ddof)


@merge.register
def _(statistic: RateFromSum, pool, x, previous):
    before, count = _count(pool, x)
    total = x.sum(axis=1) + (0.0 if pool is None else pool["sum"])
    return {"count": count, "sum": total}, (count - statistic.offset) / total


@merge.register
def _(statistic: Frequencies, pool, x, previous):
    before, count = _count(pool, x)
    reps, k = previous.shape
    cells = np.bincount((x + k * np.arange(reps)[:, None]).ravel(), minlength=reps * k)
    counts = cells.reshape(reps, k) + (0 if pool is None else pool["cells"])
    return {"count": count, "cells": counts}, counts / count[:, None]


@merge.register
def _(statistic: SampleCovariance, pool, x, previous):
    before, count = _count(pool, x)
    mean_b = x.mean(axis=1)
    centred = x - mean_b[:, None, :]
    scatter_b = np.einsum("rni,rnj->rij", centred, centred)
    if pool is None:
        mean, scatter = mean_b, scatter_b
    else:
        delta = mean_b - pool["mean"]
        mean = pool["mean"] + delta * (x.shape[1] / count)[:, None]
        weight = (before * x.shape[1] / count)[:, None, None]
        scatter = pool["scatter"] + scatter_b + weight * np.einsum("ri,rj->rij", delta, delta)
    return ({"count": count, "mean": mean, "scatter": scatter},
            scatter / (count - statistic.ddof)[:, None, None])


@merge.register
def _(statistic: LeastSquaresFit, pool, x, previous):
    if isinstance(x, dict):  # the batch's sufficient statistics, drawn without data
        count = x["count"] + (0 if pool is None else pool["count"])
        gram, moment = x["gram"], x["moment"]
    else:
        before, count = _count(pool, x)
        inputs, labels = x[:, :, :-1], x[:, :, -1]
        gram = np.einsum("rni,rnj->rij", inputs, inputs)
        moment = np.einsum("rni,rn->ri", inputs, labels)
    if pool is not None:
        gram, moment = gram + pool["gram"], moment + pool["moment"]
    return ({"count": count, "gram": gram, "moment": moment},
            np.linalg.solve(gram, moment[..., None])[..., 0])


@singledispatch
def draw_summary(statistic: Statistic, model: DataModel, values: Mapping[str, np.ndarray],
                 n: int, rng: np.random.Generator) -> Pool:
    """Draw a batch's sufficient statistics for ``statistic`` from their exact law, without
    the ``n`` data points, where one is registered (:func:`has_summary`); ``merge`` takes the
    result in place of the data."""
    raise ValueError(f"no law for the sufficient statistics of {type(statistic).__name__}")


def has_summary(statistic: Statistic) -> bool:
    """Whether :func:`draw_summary` has a law registered for this statistic."""
    return draw_summary.dispatch(type(statistic)) is not draw_summary.dispatch(Statistic)


@draw_summary.register
def _(statistic: LeastSquaresFit, model, values, n, rng):
    # X'X = A A' ~ W_d(n, I) (Bartlett) and X'y = X'X beta + X'eps with X'eps | X ~
    # N(0, sigma^2 X'X), i.e. sigma A z: the pooled refit without drawing the n x d inputs
    beta = values[model.coefficients]
    reps, d = beta.shape
    a = bartlett_factor(float(n), reps, d, rng)
    gram = a @ a.transpose(0, 2, 1)
    noise = np.sqrt(values[model.noise])[:, None] * np.einsum(
        "rij,rj->ri", a, rng.standard_normal((reps, d)))
    return {"count": np.full(reps, float(n)), "gram": gram,
            "moment": np.einsum("rij,rj->ri", gram, beta) + noise}


def pooled_step(family: Family, estimator: str, state: Mapping[str, object], n: int,
                rng: np.random.Generator, *,
                constants: Mapping[str, float] | None = None) -> dict[str, object]:
    """One generation of the accumulate workflow by brute force: draw ``n`` points per
    replication from the current fit (``state``), merge them into the pools carried in
    ``state[POOL]`` and refit every parameter on all pooled data (in sub-chunks of
    replications that bound memory, as the brute-force mode). Returns the new state, pools
    included."""
    est = family.estimator(estimator)
    if family.data is None or est.statistics is None:
        raise ValueError(f"the accumulate workflow of {family.name} ({est.name}) needs a data "
                         "model to pool (its estimator is not a pooled sample mean)")
    names = [p.name for p in family.parameters]
    params = {k: np.asarray(state[k]) for k in names}
    pools: Mapping[str, Pool] | None = state.get(POOL)  # type: ignore[assignment]
    reps = params[names[0]].shape[0]
    width = n * max(int(np.prod(v.shape[1:2])) for v in params.values())
    per = max(1, BRUTE_MAX_ELEMENTS // width)
    estimates: dict[str, list[np.ndarray]] = {k: [] for k in est.statistics}
    merged: dict[str, list[Pool]] = {k: [] for k in est.statistics}
    for i in range(0, reps, per):
        rows = slice(i, i + per)
        block = {k: v[rows] for k, v in params.items()}
        size = len(block[names[0]])
        values = {**{k: np.full(size, float(c)) for k, c in (constants or {}).items()}, **block}
        summaries = all(has_summary(stat) for stat in est.statistics.values())
        x = None if summaries else draw_data(family.data, values, n, rng)
        for name, stat in est.statistics.items():
            old = None if pools is None else {k: v[rows] for k, v in pools[name].items()}
            batch = draw_summary(stat, family.data, values, n, rng) if summaries else x
            pool, value = merge(stat, old, batch, block[name])
            merged[name].append(pool)
            estimates[name].append(value)
    new: dict[str, object] = {k: np.concatenate(v) for k, v in estimates.items()}
    new[POOL] = {name: {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
                 for name, parts in merged.items()}
    return new
