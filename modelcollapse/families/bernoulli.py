r"""Bernoulli probability :math:`p`, estimated by the sample mean (Wright–Fisher chain).

.. math:: \hat p \mid p \sim \mathrm{Binomial}(n, p)/n

=========  ======================  =========================
support    mean of the step        variance of the step
=========  ======================  =========================
[0, 1]     :math:`p`               :math:`p(1-p)/n`
=========  ======================  =========================

The states 0 and 1 absorb: collapse is fixation.
"""

from __future__ import annotations

from modelcollapse.families.base import Estimator, Family, Parameter
from modelcollapse.families.data import BernoulliData, SampleMean
from modelcollapse.families.laws import BinomialMean
from modelcollapse.symbols import n

__all__ = ["BERNOULLI"]

P = Parameter("p", "p", "unit_interval", 0.5, "probability", "success probability")
_law = BinomialMean(n, P.symbol)
_doc = "sample mean (the MLE, unbiased)"

BERNOULLI = Family(
    name="bernoulli",
    title="Bernoulli probability",
    parameters=(P,),
    estimators={name: Estimator(name, _doc, laws={"p": _law}, pools_as_mean=True,
                                statistics={"p": SampleMean()})
                for name in ("unbiased", "mle")},
    default_estimator="unbiased",
    data=BernoulliData(p="p"),
    collapse="the probability fixes at 0 or 1",
    absorbing="fixation",
)
