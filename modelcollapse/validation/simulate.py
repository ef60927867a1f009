r"""``simulate``: Monte Carlo random walks of the parameter estimate, as an xarray Dataset.

.. math::

    \hat\theta_0 \sim \text{law}(\theta^*, n_0), \qquad
    \hat\theta_t \sim \text{law}(\hat\theta_{t-1}, n_t), \quad t = 1, \dots, T,

vectorised across replications (blocks of :data:`~modelcollapse.validation.engine.BLOCK`)
and streamed over generations.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import sympy as sp
import xarray as xr

from modelcollapse.arguments import choice, integer, probability
from modelcollapse.families import Bias, Family, get_family
from modelcollapse.progress import progress_bar, show_progress
from modelcollapse.schedules import Schedule
from modelcollapse.theory.derive import (
    _as_schedule,
    _mix_arguments,
    _schedule_text,
    parameter_values,
)
from modelcollapse.validation.engine import (
    BLOCK,
    Spec,
    components,
    merge,
    mix_size,
    run_blocks,
)
from modelcollapse.validation.metadata import describe
from modelcollapse.validation.sampling import MODES

__all__ = ["simulate", "summary_at_T", "BACKENDS", "DEFAULT_MAX_MEMORY", "RECORD_BUDGET"]

BACKENDS = ("local", "dask")
#: refuse runs whose estimated memory is above this (bytes), before allocating anything
DEFAULT_MAX_MEMORY = 4 * 2**30
#: values kept for exact quantiles: at most this many (replications x recorded generations)
RECORD_BUDGET = 4_000_000


def record_generations(T: int, reps: int, n_components: int) -> np.ndarray:
    """Generations whose values are kept for exact quantiles: all of them when
    ``reps * (T + 1)`` fits :data:`RECORD_BUDGET`, else about log-spaced ones with 0 and T."""
    budget = max(2, RECORD_BUDGET // max(1, reps * n_components))
    if T + 1 <= budget:
        return np.arange(T + 1)
    grid = np.unique(np.round(np.geomspace(1, T + 1, budget)).astype(int) - 1)
    return np.unique(np.concatenate([[0], grid, [T]]))


def estimate_memory(reps: int, T: int, n_components: int, n_record: int, trajectories: bool,
                    state_floats: int) -> int:
    """Bytes: states and temporaries, recorded values, trajectories (float64)."""
    floats = reps * (6 * state_floats + n_record * n_components + 2 * n_components)
    if trajectories:
        floats += reps * (T + 1) * n_components
    return 8 * floats


def simulate(
    family: str | Family,
    *,
    schedule: Schedule | str | sp.Expr | Sequence[Schedule | str | sp.Expr] | None = None,
    T: int = 100,
    reps: int = 10_000,
    seed: int = 0,
    mode: str | None = None,
    workflow: str = "replace",
    estimator: str | None = None,
    params: Mapping[str, Any] | None = None,
    bias: Bias | None = None,
    dim: int | None = None,
    threshold: float = 1e-2,
    trajectories: bool = False,
    workers: int | None = None,
    chunk_size: int | None = None,
    backend: str = "local",
    scheduler: str | None = None,
    progress: bool | None = None,
    max_memory: int = DEFAULT_MAX_MEMORY,
    real_ratio: float | None = None,
    real_weight: float | str | None = None,
    sweep: Mapping[str, Sequence[Any]] | None = None,
) -> xr.Dataset:
    r"""Simulate ``reps`` independent walks of ``family`` up to generation ``T``.

    Returns an :class:`xarray.Dataset` with, per generation ``t`` and ``component``:
    ``mean``, ``variance`` (across replications), ``median``, ``q05``, ``q95`` (exact, at the
    recorded generations; NaN elsewhere), ``collapsed_fraction`` (scale below ``threshold``
    times its true value, rate above true/``threshold``, probability fixed at 0 or 1, count
    rate at 0); ``final`` (``rep``, ``component``): the estimates at ``T``; ``trajectory``
    (``rep``, ``t``, ``component``) when ``trajectories=True``; ``n`` (``t``): the sizes.

    ``mode`` is ``"exact"`` (the exact one-step law), ``"brute"`` (draw the data and refit)
    or ``"normal"`` (normal approximation on the parameter's scale); by default ``"exact"``
    where the family declares an exact law, else ``"normal"`` (recorded in ``attrs["mode"]``).
    ``backend="dask"`` runs chunks on a Dask cluster (``scheduler`` address, default a local
    cluster); the numbers equal the local ones.

    ``workflow="accumulate"`` refits on all generations' data pooled: for a pooled sample
    mean (gaussian-mean, bernoulli, poisson, categorical) the size-weighted mean of the exact
    draws; for any other estimator by brute force on the pooled sufficient statistics
    (:mod:`~modelcollapse.validation.pooling`; ``mode="brute"``, the default there, recorded
    in ``attrs["mode"]``).

    ``workflow="mix"`` fits every generation on :math:`n_t` synthetic points and
    ``round(real_ratio * n_t)`` fresh real points and returns
    :math:`w\hat\theta_{real} + (1 - w)\hat\theta_{synth}`, ``w = real_weight`` in (0, 1]
    or ``"optimal"`` (the default: :func:`modelcollapse.theory.derive`'s
    ``optimal_real_weight``); recorded in ``attrs``.

    A grid of runs in one Dataset: ``sweep={"schedule": [...], "bias": [...]}`` (any of
    :data:`~modelcollapse.validation.sweep.SWEEPABLE`) adds one dimension per swept argument,
    labelled readably, over the Cartesian product; ``schedule=[s1, s2]`` is short for
    ``sweep={"schedule": [s1, s2]}`` (:mod:`modelcollapse.validation.sweep`). Every variable
    carries ``long_name``, ``units`` and ``description``, the Dataset ``version``
    (:mod:`~modelcollapse.validation.metadata`).

    Examples
    --------
    >>> ds = simulate("gaussian-variance", schedule=Schedule("n0", n0=20), T=50, reps=2000,
    ...               seed=1, progress=False)
    >>> float(ds["mean"].sel(t=50, component="sigma2")) > 0
    True
    >>> ds["median"].sel(t=50, component="sigma2").item() < 0.5  # the median collapses
    True
    >>> grid = simulate("gaussian-variance", schedule=["n0", "n0*t**2"], T=20, reps=500,
    ...                 progress=False)
    >>> dict(grid["median"].sizes), grid["schedule"].values.tolist()
    ({'schedule': 2, 't': 21, 'component': 1}, ['n0, n0=100', 'n0*t**2, n0=100'])
    """
    if sweep is not None or isinstance(schedule, list | tuple):
        arguments = dict(locals())  # every argument of this call, each run overrides some
        for key in ("family", "sweep"):
            arguments.pop(key)
        from modelcollapse.validation.sweep import grid

        if sweep is None:
            arguments.pop("schedule")
            sweep = {"schedule": schedule}
        elif isinstance(schedule, list | tuple):
            raise TypeError("give a list of schedules either as schedule or in sweep, not both")
        return grid(simulate, family, arguments, sweep)
    fam = get_family(family)
    est = fam.estimator(estimator)
    workflow = choice("workflow", workflow, ("replace", "accumulate", "mix"))
    pooled_data = workflow == "accumulate" and not est.pools_as_mean
    if mode is None:  # the exact law where the family declares one
        mode = "brute" if pooled_data else "exact" if est.exact else "normal"
    mode = choice("mode", mode, MODES)
    if pooled_data and (fam.data is None or est.statistics is None):
        raise ValueError(f"workflow 'accumulate' of {fam.name} ({est.name}) refits on the pooled "
                         "data, and the family declares no data model; allowed: a pooled sample "
                         "mean, or a family with a data model")
    if pooled_data and mode != "brute":
        raise ValueError(f"workflow 'accumulate' of {fam.name} ({est.name}) is simulated by "
                         f"brute force on the pooled data (its estimator is not a pooled sample "
                         f"mean); allowed: mode 'brute', got {mode!r}")
    backend = choice("backend", backend, BACKENDS)
    reps = integer("reps", reps, low=1)
    T = integer("T", T, low=0)
    seed = integer("seed", seed, low=0)
    threshold = probability("threshold", threshold)
    if bias is not None and not isinstance(bias, Bias):
        raise TypeError(f"bias must be a Bias, got {type(bias).__name__}")
    bias = bias if bias is not None and bias.active else None
    if bias is not None and workflow == "accumulate":
        raise ValueError("bias is not supported with the accumulate workflow")
    if bias is not None:  # refuse bias on a probability up front, as the theory does
        for p in fam.parameters:
            fam.moment_map(p.name, est.name, bias)
    schedule = _as_schedule(schedule)  # text, SymPy or a Schedule; TypeError for the rest
    values = parameter_values(fam, params, dim=dim)
    d = len(values[fam.parameters[-1].name]) if fam.vector else 1
    fam = fam.at_dimension(d)  # laws in d (least squares)
    minimum = fam.min_size(est.name, d)
    sizes = schedule.sizes(int(T), minimum=minimum, family=fam.name)
    if sizes.dtype == object:  # beyond int64: no sampler draws counts or data that large
        t = next(i for i, n in enumerate(sizes) if int(n) > np.iinfo(np.int64).max)
        raise ValueError(f"n_t at t={t} has {len(str(int(sizes[t])))} digits, beyond what can be "
                         "simulated; allowed: n_t < 2**63 (a shorter horizon; derive gives the "
                         "theory for any size)")
    mix = _mix_arguments(workflow, real_ratio, real_weight)
    if mix is not None:
        if mix[1] == "optimal":
            from modelcollapse.theory import mixing
            from modelcollapse.theory.recursion import coefficient_limit

            mix = (mix[0], mixing.optimal_real_weight(
                fam, values, real_ratio=mix[0], estimator=est.name, bias=bias,
                at_limit=coefficient_limit(schedule, minimum=minimum, family=fam.name,
                                           scaled=True))[0])
        small = [int(n) for n in sizes if mix_size(mix[0], n) < minimum]
        if small:
            raise ValueError(f"real_ratio * n_t = {mix[0]} * {small[0]} rounds below the "
                             f"smallest size {minimum} of {fam.name}")
    comps = components(fam, values)
    record = record_generations(int(T), reps, len(comps))
    state_floats = sum(int(np.prod(np.shape(v))) ** (2 if p.domain == "spd" else 1)
                       for p, v in ((p, values[p.name]) for p in fam.parameters))
    need = estimate_memory(reps, int(T), len(comps), len(record), trajectories, state_floats)
    if need > max_memory:
        raise ValueError(f"this run needs about {need / 2**30:.1f} GiB, above max_memory = "
                         f"{max_memory / 2**30:.1f} GiB; allowed: fewer reps, no trajectories, "
                         "or a larger max_memory")
    spec = Spec(fam, est.name, sizes, reps, int(seed),
                {k: v for k, v in values.items() if k in {p.name for p in fam.parameters}},
                {c.name: float(values[c.name][0]) for c in fam.constants}, mode, workflow, bias,
                float(threshold), record, trajectories, d,
                *((mix[0], float(mix[1])) if mix is not None else ()))
    groups = _groups(spec.n_blocks, chunk_size, workers)
    start = time.perf_counter()
    if backend == "dask":
        from modelcollapse.validation.dask_backend import run_on_dask

        parts = run_on_dask(spec, groups, scheduler=scheduler, progress=show_progress(progress))
    else:
        parts = _run_local(spec, groups, workers, progress)
    merged = merge(parts)
    workers = integer("workers", workers, low=1) if workers is not None else (os.cpu_count() or 1)
    return _dataset(spec, schedule, comps, merged, time.perf_counter() - start, backend, workers)


def _groups(n_blocks: int, chunk_size: int | None, workers: int | None) -> list[range]:
    if chunk_size is None:
        per = max(1, -(-n_blocks // max(1, workers or os.cpu_count() or 1)))
    else:
        per = max(1, -(-integer("chunk_size", chunk_size, low=1) // BLOCK))
    return [range(b, min(b + per, n_blocks)) for b in range(0, n_blocks, per)]


def _run_local(spec: Spec, groups: list[range], workers: int | None, progress: bool | None):
    workers = integer("workers", workers, low=1) if workers is not None else (os.cpu_count() or 1)
    T = len(spec.sizes) - 1
    bar = None
    if show_progress(progress):  # a terminal or a notebook
        bar = progress_bar((T + 1) * len(groups), f"simulate {spec.family.name}", unit="gen")
    lock = threading.Lock()
    stop = threading.Event()

    def tick(k: int) -> None:
        if stop.is_set():  # called every generation: a worker thread ends here
            raise KeyboardInterrupt
        if bar is not None:
            with lock:
                bar.update(k)

    try:
        if len(groups) == 1 or workers == 1:
            return [run_blocks(spec, g, tick) for g in groups]
        with ThreadPoolExecutor(max_workers=min(workers, len(groups))) as pool:
            try:
                return list(pool.map(lambda g: run_blocks(spec, g, tick), groups))
            except BaseException:  # Ctrl-C (only the main thread sees it): stop the workers
                stop.set()  # before the pool waits for them
                raise
    finally:
        if bar is not None:
            bar.close()


def _dataset(spec: Spec, schedule: Schedule, comps, merged: dict, seconds: float,
             backend: str, workers: int) -> xr.Dataset:
    T = len(spec.sizes) - 1
    names = [c.name for c in comps]
    quant = np.full((3, T + 1, len(comps)), np.nan)
    if len(spec.record):
        quant[:, spec.record] = _quantiles(merged["recorded"], workers)
    coords = {"t": np.arange(T + 1), "component": names, "rep": np.arange(spec.reps)}
    dims = ("t", "component")
    data = {
        "n": (("t",), spec.sizes),
        "mean": (dims, merged["mean"]),
        "variance": (dims, merged["variance"]),
        "median": (dims, quant[1]),
        "q05": (dims, quant[0]),
        "q95": (dims, quant[2]),
        "collapsed_fraction": (dims, merged["collapsed_fraction"]),
        "truth": (("component",), np.array([c.truth for c in comps])),
        "final": (("rep", "component"), merged["final"]),
    }
    if merged["trajectories"] is not None:
        data["trajectory"] = (("rep", "t", "component"), merged["trajectories"])
    attrs = {"family": spec.family.name, "estimator": spec.estimator, "mode": spec.mode,
             # explicit sizes as derive and improve record them (and --schedule takes them)
             "workflow": spec.workflow, "schedule": _schedule_text(schedule),
             "n0": int(spec.sizes[0]), "T": T, "reps": spec.reps, "seed": spec.seed,
             "threshold": spec.threshold, "backend": backend, "seconds": seconds,
             "bias_kappa": float(spec.bias.kappa) if spec.bias else 0.0,
             "bias_alpha": float(spec.bias.alpha) if spec.bias else 1.0,
             # a family read from a family file travels with its results (from_simulation)
             "family_file": getattr(spec.family, "source", "")}
    if spec.workflow == "mix":
        attrs.update(real_ratio=spec.real_ratio, real_weight=spec.real_weight)
    return describe(xr.Dataset(data, coords=coords, attrs=attrs))


def _quantiles(recorded: np.ndarray, workers: int) -> np.ndarray:
    """5%, 50% and 95% quantiles across replications (axis 1) of every recorded generation,
    rows split over threads (numpy's partition releases the GIL); exact, so any split gives
    the same numbers."""
    rows = recorded.shape[0]
    if workers == 1 or recorded.size < 1_000_000:  # threads cost more than they save here
        return np.quantile(recorded, [0.05, 0.5, 0.95], axis=1)
    step = max(1, -(-rows // workers))
    chunks = [slice(i, i + step) for i in range(0, rows, step)]
    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        parts = pool.map(lambda c: np.quantile(recorded[c], [0.05, 0.5, 0.95], axis=1), chunks)
        return np.concatenate(list(parts), axis=1)


def summary_at_T(ds: xr.Dataset) -> dict[str, Any]:
    """The ``simulate --json`` object: every summary at generation T (a number for one
    component, a dict by component otherwise; NaN where undefined, e.g. the variance of one
    replication, which the JSON writer turns into null with its reason)."""
    last = ds.isel(t=-1)
    out: dict[str, Any] = {}
    for key in ("mean", "variance", "median", "q05", "q95", "collapsed_fraction"):
        vals = {str(c): float(v) for c, v in zip(ds["component"].values, last[key].values,
                                                 strict=True)}
        out[key] = next(iter(vals.values())) if len(vals) == 1 else vals
    out.update({k: ds.attrs[k] for k in ("family", "estimator", "mode", "workflow", "schedule",
                                         "n0", "T", "reps", "seed", "seconds", "backend")})
    return out
