r"""Poisson rate :math:`\lambda`, estimated by the sample mean.

.. math:: \hat\lambda \mid \lambda \sim \mathrm{Poisson}(n\lambda)/n

=========  ======================  =========================
support    mean of the step        variance of the step
=========  ======================  =========================
[0, ∞)     :math:`\lambda`         :math:`\lambda/n`
=========  ======================  =========================

The counts :math:`n_t\hat\lambda_t` form a branching process; 0 absorbs: collapse is extinction.
"""

from __future__ import annotations

from modelcollapse.families.base import Estimator, Family, Parameter
from modelcollapse.families.laws import PoissonMean
from modelcollapse.symbols import n

__all__ = ["POISSON"]

LAM = Parameter("lam", "lambda", "positive", 1.0, "rate", "Poisson rate")
_law = PoissonMean(n, LAM.symbol)
_doc = "sample mean (the MLE, unbiased)"

POISSON = Family(
    name="poisson",
    title="Poisson rate",
    parameters=(LAM,),
    estimators={"unbiased": Estimator("unbiased", _doc, {"lam": _law}, 1, True,
                                       {"lam": "mean"}),
                "mle": Estimator("mle", _doc, {"lam": _law}, 1, True, {"lam": "mean"})},
    default_estimator="unbiased",
    data="poisson",
    collapse="the rate dies out (extinction of the counts)",
    absorbing="extinction",
)
