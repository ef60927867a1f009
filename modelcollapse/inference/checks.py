r"""The calibration of the Bayesian bias model as checks of ``modelcollapse validate --inference``.

:func:`inference_checks` turns simulation-based calibration and the recovery grid of
:mod:`modelcollapse.inference.calibration` into :class:`~modelcollapse.validation.checks.Check`
rows, so that the command line can append them to the theory-versus-Monte-Carlo report of
:func:`~modelcollapse.validation.checks.run_validate` (``extra_checks``). It lives here, not in
:mod:`modelcollapse.validation`, because the validation layer never imports the inference
(PyMC) layer.
"""

from __future__ import annotations

import math

from scipy import stats

from modelcollapse.inference.calibration import recovery_grid, sbc
from modelcollapse.validation.checks import Check

__all__ = ["inference_checks"]


def inference_checks(*, quick: bool = False, seed: int = 0) -> list[Check]:
    r"""Calibration of the Bayesian bias model (PyMC): simulation-based
    calibration (ranks of the true :math:`\kappa, \alpha, b` uniform; a chi-square test at the
    named failure rate :data:`~modelcollapse.inference.calibration.SBC_FAILURE_RATE`) and
    recovery on a grid of true :math:`(\kappa, \alpha)` (both inside the 94% HDI, and the
    quality gates: no divergences, :math:`\hat R \le 1.01`, bulk ESS :math:`\ge 400`)."""
    size = {"draws": 400, "tune": 400, "chains": 4} if quick else {}
    result = sbc(replications=20 if quick else 100, seed=seed, **size)
    checks = []
    for name, p in result.p_values.items():
        checks.append(Check(f"SBC rank uniformity of {name} ({len(result.ranks[name])} "
                            f"replications; fails below p = {result.level:.2g})",
                            result.level, p, math.nan, float(stats.norm.isf(p / 2)),
                            p >= result.level))
    # quick: one well-identified cell (the documented example); full: the calibration module's grid
    rows = recovery_grid(((2.0, 0.5),), seed=seed) if quick else recovery_grid(seed=seed)
    for row in rows:
        for par, truth, mean, (low, high) in (("kappa", row.kappa, row.kappa_mean, row.kappa_hdi),
                                              ("alpha", row.alpha, row.alpha_mean,
                                               row.alpha_hdi)):
            se = (high - low) / (2 * 1.881)  # the 94% HDI spans about +-1.881 sd
            ok = low <= truth <= high and not row.problems()
            problems = "; ".join(row.problems()) or "gates met"
            checks.append(Check(f"recovery kappa={row.kappa:g} alpha={row.alpha:g}: {par} in "
                                f"94% HDI [{low:.3g}, {high:.3g}], {problems}",
                                truth, mean, se, (mean - truth) / se if se > 0 else math.nan,
                                ok))
    return checks
