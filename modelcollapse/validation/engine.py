r"""The Monte Carlo engine: replications in fixed blocks, streamed over generations.

Randomness: one :class:`numpy.random.SeedSequence` per call, spawned into one child per block
of :data:`BLOCK` replications; each block draws its generations from its own generator. A
result therefore depends on the seed only, never on how blocks are grouped into chunks,
threads or Dask workers. Per block and generation the engine keeps the count, mean and sum of
squared deviations of every component, merged across blocks in block order with Chan's
formula (so every backend gets the same numbers), and the values at the ``record``
generations for exact quantiles. Memory grows with replications, not with replications times
generations, unless ``trajectories`` are asked for.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modelcollapse.families import Bias, Family
from modelcollapse.outputs import raise_if_interrupted
from modelcollapse.validation.pooling import pooled_step
from modelcollapse.validation.sampling import step
from modelcollapse.validation.walk import walk

__all__ = ["BLOCK", "Spec", "BlockPartials", "run_blocks", "merge", "components"]

#: replications per random stream; chunks and workers group whole blocks
BLOCK = 16384


@dataclass(frozen=True)
class Component:
    """One scalar coordinate of the state, and how it collapses."""

    name: str
    parameter: str
    index: tuple[int, ...]
    truth: float
    rule: str  # fixation | extinction | below | above | logdet | none


def components(family: Family, values: Mapping[str, np.ndarray]) -> list[Component]:
    """The scalar coordinates summarised per generation (``p[0]``, ``Sigma[0,1]``, ...)."""
    out = []
    for p in family.parameters:
        vals = np.atleast_1d(values[p.name])
        if p.domain == "spd":
            d = len(vals)
            for i in range(d):
                for j in range(i, d):
                    truth = vals[i] if i == j else 0.0
                    out.append(Component(f"{p.name}[{i},{j}]", p.name, (i, j), float(truth),
                                         "below" if i == j else "none"))
            out.append(Component("logdet", p.name, (), float(np.sum(np.log(vals))), "logdet"))
            continue
        rule = {"fixation": "fixation", "extinction": "extinction"}.get(family.absorbing or "")
        if rule is None:
            rule = {"scale": "below", "rate": "above"}.get(p.kind, "none")
        if family.vector:
            out += [Component(f"{p.name}[{i}]", p.name, (i,), float(v), rule)
                    for i, v in enumerate(vals)]
        else:
            out.append(Component(p.name, p.name, (), float(vals[0]), rule))
    return out


def _flatten(state: Mapping[str, np.ndarray], comps: Sequence[Component]) -> np.ndarray:
    if len(comps) == 1 and comps[0].index == () and comps[0].rule != "logdet":
        return state[comps[0].parameter][:, None]  # a view: no copy for scalar families
    cols = []
    for c in comps:
        arr = state[c.parameter]
        if c.rule == "logdet":
            cols.append(np.linalg.slogdet(arr)[1])
        else:
            cols.append(arr[(slice(None), *c.index)])
    return np.stack(cols, axis=1)


def _collapsed(values: np.ndarray, comps: Sequence[Component], threshold: float,
               dim: int) -> np.ndarray:
    out = np.zeros(values.shape, dtype=bool)
    for k, c in enumerate(comps):
        v = values[:, k]
        if c.rule == "fixation":
            out[:, k] = (v == 0) | (v == 1)
        elif c.rule == "extinction":
            out[:, k] = v == 0
        elif c.rule == "below":
            out[:, k] = v < threshold * c.truth
        elif c.rule == "above":
            out[:, k] = v > c.truth / threshold
        elif c.rule == "logdet":
            out[:, k] = v - c.truth < dim * math.log(threshold)
    return out


@dataclass(frozen=True)
class Spec:
    """Everything a worker needs to run blocks (picklable: sent to Dask workers)."""

    family: Family
    estimator: str
    sizes: np.ndarray
    reps: int
    seed: int
    values: Mapping[str, np.ndarray]
    constants: Mapping[str, float]
    mode: str = "exact"
    workflow: str = "replace"
    bias: Bias | None = None
    threshold: float = 1e-2
    record: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))
    trajectories: bool = False
    dim: int = 1
    #: the mix workflow: K (real points per synthetic point) and the real-data weight w
    real_ratio: float = 1.0
    real_weight: float = 0.0

    @property
    def n_blocks(self) -> int:
        return -(-self.reps // BLOCK)

    def block_reps(self, b: int) -> int:
        return min(BLOCK, self.reps - b * BLOCK)


@dataclass
class BlockPartials:
    """What a group of consecutive blocks returns: per-block moments per generation,
    values at the record generations, final values, and trajectories if asked."""

    first_block: int
    counts: np.ndarray  # (blocks,)
    means: np.ndarray  # (blocks, T+1, C)
    m2: np.ndarray  # (blocks, T+1, C)
    collapsed: np.ndarray  # (blocks, T+1, C) counts
    recorded: np.ndarray  # (R, reps_in_group, C)
    final: np.ndarray  # (reps_in_group, C)
    trajectories: np.ndarray | None  # (reps_in_group, T+1, C)


def mix_size(real_ratio: float, n: int) -> int:
    """The number of fresh real points mixed into a generation of size ``n``: ``K n``
    rounded to the nearest integer (at least 1).

    >>> mix_size(1.5, 10)
    15
    """
    return max(1, int(round(real_ratio * int(n))))


def initial_state(spec: Spec, reps: int) -> dict[str, np.ndarray]:
    state = {}
    for p in spec.family.parameters:
        vals = np.atleast_1d(np.asarray(spec.values[p.name], dtype=float))
        if p.domain == "spd":
            state[p.name] = np.broadcast_to(np.diag(vals), (reps, len(vals), len(vals))).copy()
        elif spec.family.vector:
            state[p.name] = np.broadcast_to(vals, (reps, len(vals))).copy()
        else:
            state[p.name] = np.full(reps, vals[0])
    return state


def run_blocks(spec: Spec, blocks: range,
               progress: Callable[[int], None] | None = None) -> BlockPartials:
    """Run the walk for ``blocks`` (consecutive block indices) over all generations.

    One :func:`~modelcollapse.validation.walk.walk` whose state is the list of the blocks'
    states: the step draws every block's next generation from its own generator (the law, then
    the pooling of the accumulate workflow), the observer summarises every block.
    """
    comps = components(spec.family, spec.values)
    children = np.random.SeedSequence(spec.seed).spawn(spec.n_blocks)
    rngs = [np.random.Generator(np.random.PCG64(children[b])) for b in blocks]
    sizes_per_block = [spec.block_reps(b) for b in blocks]
    offsets = np.cumsum([0, *sizes_per_block]).tolist()
    T = len(spec.sizes) - 1
    nb, nc = len(blocks), len(comps)
    means = np.empty((nb, T + 1, nc))
    m2 = np.empty((nb, T + 1, nc))
    collapsed = np.empty((nb, T + 1, nc))
    total = offsets[-1]
    recorded = np.empty((len(spec.record), total, nc))
    record_slot = {int(g): i for i, g in enumerate(spec.record)}
    traj = np.empty((total, T + 1, nc)) if spec.trajectories else None
    pooled = spec.workflow == "accumulate"
    # estimators that are not a pooled sample mean refit on the pooled data (brute force)
    pooled_data = pooled and not spec.family.estimator(spec.estimator).pools_as_mean
    mixed = spec.workflow == "mix"
    cumulative = np.cumsum(spec.sizes.astype(float))

    def advance(old: dict[str, np.ndarray], t: int, n: int,
                rng: np.random.Generator) -> dict[str, np.ndarray]:
        if pooled_data:
            return pooled_step(spec.family, spec.estimator, old, n, rng,
                               constants=spec.constants)
        new = step(spec.family, spec.estimator, old, n, rng, mode=spec.mode, bias=spec.bias,
                   constants=spec.constants)
        if pooled:  # size-weighted mean of all generations so far
            w = n / cumulative[t]
            new = {name: old[name] + w * (new[name] - old[name]) for name in new}
        elif mixed:  # w * (fit on K n fresh real points) + (1 - w) * (fit on n synthetic)
            truth = initial_state(spec, len(next(iter(old.values()))))
            real = step(spec.family, spec.estimator, truth, mix_size(spec.real_ratio, n), rng,
                        mode=spec.mode, bias=spec.bias, constants=spec.constants)
            w = spec.real_weight
            new = {name: w * real[name] + (1 - w) * new[name] for name in new}
        return new

    def summarise(t: int, states: list[dict[str, np.ndarray]]) -> None:
        # a worker thread never sees SIGINT: it stops at the next generation once the
        # command line has noted one, so Ctrl-C ends a run without waiting for every block
        raise_if_interrupted()
        for k, state in enumerate(states):
            flat = _flatten(state, comps)
            mean = flat.mean(axis=0)
            dev = flat - mean
            means[k, t], m2[k, t] = mean, np.einsum("ij,ij->j", dev, dev)
            collapsed[k, t] = _collapsed(flat, comps, spec.threshold, spec.dim).sum(axis=0)
            rows = slice(offsets[k], offsets[k + 1])
            if t in record_slot:
                recorded[record_slot[t], rows] = flat
            if traj is not None:
                traj[rows, t] = flat
        if progress is not None:
            progress(1)

    states = walk([initial_state(spec, r) for r in sizes_per_block], spec.sizes.tolist(),
                  lambda states, t, n: [advance(s, t, n, rng)
                                        for s, rng in zip(states, rngs, strict=True)],
                  observe=summarise)
    final = np.concatenate([_flatten(s, comps) for s in states])
    return BlockPartials(blocks.start, np.array(sizes_per_block, dtype=float), means, m2,
                         collapsed, recorded, final, traj)


def merge(parts: Sequence[BlockPartials]) -> dict[str, Any]:
    """Merge groups in block order (Chan's pairwise update, one block at a time), so the
    numbers do not depend on how blocks were grouped."""
    parts = sorted(parts, key=lambda p: p.first_block)
    count = 0.0
    mean = m2 = collapsed = None
    for part in parts:
        for b in range(len(part.counts)):
            nb = part.counts[b]
            if mean is None:
                count, mean, m2 = nb, part.means[b].copy(), part.m2[b].copy()
                collapsed = part.collapsed[b].copy()
                continue
            total = count + nb
            delta = part.means[b] - mean
            mean = mean + delta * (nb / total)
            m2 = m2 + part.m2[b] + delta**2 * (count * nb / total)
            collapsed = collapsed + part.collapsed[b]
            count = total
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = m2 / (count - 1) if count > 1 else np.full_like(m2, np.nan)
    recorded = np.concatenate([p.recorded for p in parts], axis=1)
    trajectories = (np.concatenate([p.trajectories for p in parts])
                    if parts[0].trajectories is not None else None)
    return {"count": count, "mean": mean, "variance": variance,
            "collapsed_fraction": collapsed / count, "recorded": recorded,
            "final": np.concatenate([p.final for p in parts]), "trajectories": trajectories}
