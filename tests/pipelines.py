"""A small pipeline table for tests that only need ``infer`` to have something to fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_variance_pipeline(path: Path, *, trajectories: int = 3, generations: int = 8,
                            seed: int = 0) -> Path:
    """Write ``t,n,estimate,trajectory`` rows of a Gaussian-variance walk with n_t = 20(t + 1)
    (each step a chi-square over n: a biased walk, as a real pipeline might give)."""
    rng = np.random.default_rng(seed)
    rows = ["t,n,estimate,trajectory"]
    for traj in range(trajectories):
        est = 1.0
        for t in range(generations):
            n = 20 * (t + 1)
            est = est * rng.chisquare(n - 1) / n
            rows.append(f"{t},{n},{est!r},{traj}")
    path.write_text("\n".join(rows) + "\n")
    return path
