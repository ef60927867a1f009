"""One reproduction run: its settings (:data:`QUICK` or :data:`FULL`), the output folder, and
what the figure steps collect there (files, tables, macros, checks, notes, numbers per figure).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from modelcollapse.studies.figures.style import save
from modelcollapse.studies.output import write_tables
from modelcollapse.theory.latex import macro_name

__all__ = ["Settings", "QUICK", "FULL", "Z_TOL", "Session"]


@dataclass(frozen=True)
class Settings:
    """Replications and horizons of one run (:data:`QUICK` or :data:`FULL`)."""

    f1_T: int
    f1_reps: int
    f2_reps: int
    f3_grid: int
    f3_T: int
    f3_reps: int
    f4_T: int
    f4_reps: int
    f5_T: int
    f5_reps: int
    f5_max_work: int
    f6_T: int
    f6_reps: int
    f8_trajectories: int
    f8_T: int
    f8_draws: int
    f8_chains: int
    f8_horizon: int
    f8_walks: int


QUICK = Settings(f1_T=300, f1_reps=2000, f2_reps=2000, f3_grid=8, f3_T=300, f3_reps=300,
                 f4_T=300, f4_reps=2000, f5_T=50, f5_reps=4000, f5_max_work=20_000_000,
                 f6_T=200, f6_reps=4000, f8_trajectories=6, f8_T=30, f8_draws=300,
                 f8_chains=2, f8_horizon=100, f8_walks=1000)
FULL = Settings(f1_T=2000, f1_reps=10_000, f2_reps=10_000, f3_grid=15, f3_T=2000, f3_reps=1000,
                f4_T=1000, f4_reps=10_000, f5_T=100, f5_reps=20_000, f5_max_work=100_000_000,
                f6_T=1000, f6_reps=20_000, f8_trajectories=12, f8_T=40, f8_draws=1000,
                f8_chains=4, f8_horizon=200, f8_walks=4000)
#: |z| above which a theory-versus-Monte-Carlo check is reported as failed (two-sided tail
#: 5.7e-7 per check; the run has about a hundred checks)
Z_TOL = 5.0

class Session:
    """State of one reproduction: the folder, files, tables, macros and results."""

    def __init__(self, out: Path, settings: Settings, seed: int, progress: bool) -> None:
        self.out, self.settings, self.seed, self.progress = out, settings, seed, progress
        self.files: list[str] = []
        self.macros: dict[str, float] = {}
        self.checks: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.figures: dict[str, Any] = {}

    def seed_for(self, *keys: int) -> int:
        """An independent integer seed per simulation, from ``seed`` and ``keys`` only."""
        return int(np.random.SeedSequence([self.seed, *keys]).generate_state(1)[0])

    def log(self, message: str) -> None:
        if self.progress:
            print(f"reproduce: {message}", file=sys.stderr, flush=True)

    def figure(self, fig, stem: str) -> list[str]:
        paths = save(fig, self.out, stem)
        self.files += paths
        return paths

    def table(self, stem: str, caption: str, columns: Sequence[str],
              rows: Sequence[Sequence[Any]]) -> list[str]:
        paths = write_tables(self.out, stem, caption, columns, rows)
        self.files += paths
        return paths

    def macro(self, key: str, value: float | None) -> None:
        if value is not None and math.isfinite(value):
            self.macros[macro_name(key)] = float(value)

    def check(self, figure: str, name: str, theory: float, mc: float, se: float) -> dict:
        z = (mc - theory) / se if se > 0 else (0.0 if mc == theory else math.inf)
        row = {"figure": figure, "name": name, "theory": theory, "mc": mc, "se": se, "z": z,
               "passed": bool(abs(z) < Z_TOL)}
        self.checks.append(row)
        return row

