r"""Exponential rate :math:`\lambda`.

With :math:`G \sim \mathrm{Gamma}(n, 1)`, the sum of the :math:`n` draws is :math:`G/\lambda`:

.. math::

    \hat\lambda_{\mathrm{MLE}} = \lambda\,n/G, \qquad
    \hat\lambda_{\mathrm{unbiased}} = \lambda\,(n-1)/G.

==========  ==================================  ==========================================
estimator   mean of the step                    variance of the step
==========  ==================================  ==========================================
MLE         :math:`\lambda n/(n-1)`             :math:`\lambda^2 n^2/((n-1)^2(n-2))`
unbiased    :math:`\lambda`                     :math:`\lambda^2/(n-2)`
==========  ==================================  ==========================================

The second moment needs :math:`n \ge 3`. Collapse: the rate drifts up (the scale collapses).
"""

from __future__ import annotations

from modelcollapse.families.base import Estimator, Family, Parameter
from modelcollapse.families.data import ExponentialData, RateFromSum
from modelcollapse.families.laws import InverseGamma
from modelcollapse.symbols import n

__all__ = ["EXPONENTIAL"]

RATE = Parameter("rate", "lambda", "positive", 1.0, "rate", "exponential rate")
lam = RATE.symbol

EXPONENTIAL = Family(
    name="exponential",
    title="Exponential rate",
    parameters=(RATE,),
    estimators={
        "mle": Estimator("mle", "MLE n / sum(x)", laws={"rate": InverseGamma(n, lam * n)},
                         min_size=3, statistics={"rate": RateFromSum(offset=0)}),
        "unbiased": Estimator("unbiased", "(n - 1) / sum(x)",
                              laws={"rate": InverseGamma(n, lam * (n - 1))}, min_size=3,
                              statistics={"rate": RateFromSum(offset=1)}),
    },
    default_estimator="unbiased",
    data=ExponentialData(rate="rate"),
    collapse="the scale 1/rate shrinks to 0 almost surely",
)
