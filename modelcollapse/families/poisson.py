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
from modelcollapse.families.data import PoissonData, SampleMean
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
    estimators={name: Estimator(name, _doc, laws={"lam": _law}, pools_as_mean=True,
                                statistics={"lam": SampleMean()})
                for name in ("unbiased", "mle")},
    default_estimator="unbiased",
    data=PoissonData(rate="lam"),
    collapse="the rate dies out (extinction of the counts)",
    absorbing="extinction",
)
