r"""Design help: how precisely would a proposed experiment pin down :math:`\kappa` and
:math:`\alpha`?

:func:`expected_widths` simulates data sets of a :class:`Design` (trajectories, generations,
schedule of sample sizes) under an assumed true :math:`(\kappa, \alpha)`, fits each with the
compiled bias model, and reports the mean width of the 94% HDI of :math:`\kappa` and
:math:`\alpha`; :func:`compare_designs` puts several designs side by side.

Why the spread of sample sizes matters: one step at size :math:`n` only tells the bias
:math:`\kappa n^{-\alpha}` at that :math:`n`. Data at a single :math:`n` fix that one number,
so :math:`\alpha` stays at its prior and :math:`\kappa = b\,n^{\alpha}` is barely constrained;
the slope of :math:`\log(\text{bias})` against :math:`\log n` (that is :math:`\alpha`, and with
it :math:`\kappa`) needs sizes far apart. For the same number of transitions, a design whose
sizes range from 20 to 1200 gives a much narrower :math:`\kappa` interval than one with every
size near 600 (``tests/inference/test_design.py`` shows it).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelcollapse.arguments import integer
from modelcollapse.families import Family
from modelcollapse.inference.calibration import (
    Design,
    _check_truth,
    _choose,
    fit_simulated,
)
from modelcollapse.inference.data import resolve_family
from modelcollapse.inference.fit import HDI_PROB
from modelcollapse.inference.model import Priors

__all__ = ["Design", "DesignReport", "expected_widths", "compare_designs", "format_designs"]


@dataclass
class DesignReport:
    """Posterior precision of one design at a true ``(kappa, alpha)``, over ``replications``
    simulated data sets: per-replication 94%-HDI widths and their means."""

    design: Design
    kappa: float
    alpha: float
    kappa_widths: np.ndarray
    alpha_widths: np.ndarray
    kappa_covered: np.ndarray
    alpha_covered: np.ndarray
    divergences: np.ndarray
    sampler: str
    seconds: float
    hdi_prob: float = HDI_PROB

    @property
    def replications(self) -> int:
        return int(self.kappa_widths.size)

    @property
    def kappa_width(self) -> float:
        """Mean 94%-HDI width of kappa."""
        return float(self.kappa_widths.mean())

    @property
    def alpha_width(self) -> float:
        """Mean 94%-HDI width of alpha."""
        return float(self.alpha_widths.mean())

    def _se(self, x: np.ndarray) -> float:
        return float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {"trajectories": self.design.trajectories,
                "generations": self.design.generations, "sizes": self.design.sizes().tolist(),
                "transitions": self.design.n_transitions, "cost": self.design.cost,
                "kappa": self.kappa, "alpha": self.alpha,
                "kappa_width": self.kappa_width, "kappa_width_se": self._se(self.kappa_widths),
                "alpha_width": self.alpha_width, "alpha_width_se": self._se(self.alpha_widths),
                "kappa_coverage": float(self.kappa_covered.mean()),
                "alpha_coverage": float(self.alpha_covered.mean()),
                "replications": self.replications,
                "divergences": int(self.divergences.sum()), "hdi_prob": self.hdi_prob,
                "sampler": self.sampler, "seconds": self.seconds}

    def __str__(self) -> str:
        return format_designs([self])


def expected_widths(design: Design, *, kappa: float, alpha: float, replications: int = 20,
                    seed: int = 0, draws: int = 1000, tune: int = 1000, chains: int = 4,
                    family: str | Family = "gaussian-variance", priors: Priors | None = None,
                    sampler: str = "auto", cores: int | None = None) -> DesignReport:
    """Expected posterior precision of ``design`` if the truth were ``(kappa, alpha)``:
    simulate ``replications`` data sets, fit each (one compiled model, refitted), and report
    the 94%-HDI widths of kappa and alpha (their means: :attr:`DesignReport.kappa_width`,
    :attr:`DesignReport.alpha_width`) and whether each interval covered the truth.
    """
    if not isinstance(design, Design):
        raise TypeError(f"design must be a Design, not {type(design).__name__}")
    replications = integer("replications", replications, low=1)
    seed = integer("seed", seed, low=0)
    fam, _ = resolve_family(family)
    kappa, alpha = _check_truth(kappa, alpha, design, fam)
    start = time.perf_counter()
    kw, aw = np.empty(replications), np.empty(replications)
    kc, ac = np.empty(replications, dtype=bool), np.empty(replications, dtype=bool)
    div = np.empty(replications, dtype=np.int64)
    fits = fit_simulated(design, [(kappa, alpha)] * replications, family=fam, seed=seed,
                         priors=priors, sampler=sampler, draws=draws, tune=tune, chains=chains,
                         cores=cores)
    for i, post in enumerate(fits):
        k, a = post.stats("kappa"), post.stats("alpha")
        kw[i], aw[i] = k["hdi_high"] - k["hdi_low"], a["hdi_high"] - a["hdi_low"]
        kc[i] = k["hdi_low"] <= kappa <= k["hdi_high"]
        ac[i] = a["hdi_low"] <= alpha <= a["hdi_high"]
        div[i] = post.divergences
    return DesignReport(design=design, kappa=kappa, alpha=alpha, kappa_widths=kw,
                        alpha_widths=aw, kappa_covered=kc, alpha_covered=ac, divergences=div,
                        sampler=_choose(sampler), seconds=time.perf_counter() - start)


def compare_designs(designs: Sequence[Design], *, kappa: float, alpha: float,
                    replications: int = 20, seed: int = 0, **kwargs: Any) -> list[DesignReport]:
    """:func:`expected_widths` of each design at the same truth and seeds (common random
    numbers: the designs differ only by their sizes). Print with :func:`format_designs`."""
    designs = list(designs)
    if not designs:
        raise ValueError("compare_designs needs at least one Design")
    for d in designs:
        if not isinstance(d, Design):
            raise TypeError(f"designs must be Design objects, got {type(d).__name__}")
    seed = integer("seed", seed, low=0)
    return [expected_widths(d, kappa=kappa, alpha=alpha, replications=replications,
                            seed=seed, **kwargs) for d in designs]


def format_designs(reports: Sequence[DesignReport]) -> str:
    """Plain-text table: one design per row, mean HDI widths (with their standard errors)."""
    head = (f"{'design':40}{'transitions':>12}{'cost':>12}{'kappa width':>20}"
            f"{'alpha width':>20}{'cover k/a':>11}")
    lines = [head]
    for r in reports:
        se_k, se_a = r._se(r.kappa_widths), r._se(r.alpha_widths)
        kwid = f"{r.kappa_width:.4g} +- {se_k:.2g}"
        awid = f"{r.alpha_width:.4g} +- {se_a:.2g}"
        cover = f"{r.kappa_covered.mean():.2f}/{r.alpha_covered.mean():.2f}"
        lines.append(f"{r.design.label():40}{r.design.n_transitions:12d}{r.design.cost:12d}"
                     f"{kwid:>20}{awid:>20}{cover:>11}")
    return "\n".join(lines)
