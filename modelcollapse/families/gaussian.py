r"""Gaussian families: the mean with known variance, the variance, and both jointly.

Step laws, with :math:`n = n_t` and the previous fit :math:`(\mu, \sigma^2)`:

.. math::

    \hat\mu \sim \mathcal N(\mu, \sigma^2/n), \qquad
    \hat\sigma^2_{\mathrm{unbiased}} = \sigma^2\,\chi^2_{n-1}/(n-1), \qquad
    \hat\sigma^2_{\mathrm{MLE}} = \sigma^2\,\chi^2_{n-1}/n,

independent of each other. ===========  =================  ======================
parameter   mean of the step   variance of the step
===========  =================  ======================
mu           :math:`\mu`        :math:`\sigma^2/n`
sigma2 (S²)  :math:`\sigma^2`   :math:`2\sigma^4/(n-1)`
sigma2 (MLE) :math:`\sigma^2 (n-1)/n`  :math:`2\sigma^4 (n-1)/n^2`
===========  =================  ======================
"""

from __future__ import annotations

from modelcollapse.families.base import Estimator, Family, Parameter
from modelcollapse.families.data import NormalData, SampleMean, SampleVariance
from modelcollapse.families.laws import Normal, ScaledChiSquare
from modelcollapse.symbols import n

__all__ = ["GAUSSIAN_MEAN", "GAUSSIAN_VARIANCE", "GAUSSIAN"]

MU = Parameter("mu", "mu", "real", 0.0, "location", "mean of the Gaussian")
SIGMA2 = Parameter("sigma2", "sigma^2", "positive", 1.0, "scale", "variance of the Gaussian")
mu, sigma2 = MU.symbol, SIGMA2.symbol

_mean_law = Normal(mu, sigma2 / n)
_s2_law = ScaledChiSquare(n - 1, sigma2 / (n - 1))
_mle_law = ScaledChiSquare(n - 1, sigma2 / n)
_sample_mean = "sample mean (the MLE, unbiased)"

GAUSSIAN_MEAN = Family(
    name="gaussian-mean",
    title="Gaussian mean, variance known",
    parameters=(MU,),
    constants=(SIGMA2,),
    estimators={
        name: Estimator(name, _sample_mean, laws={"mu": _mean_law}, pools_as_mean=True,
                        statistics={"mu": SampleMean()})
        for name in ("unbiased", "mle")
    },
    default_estimator="unbiased",
    collapse="the estimate wanders without limit: E(mu_T - mu)^2 diverges",
    data=NormalData(mean="mu", variance="sigma2"),
)

GAUSSIAN_VARIANCE = Family(
    name="gaussian-variance",
    title="Gaussian variance",
    parameters=(SIGMA2,),
    estimators={
        "unbiased": Estimator("unbiased", "S^2, divisor n - 1", laws={"sigma2": _s2_law},
                              min_size=2, statistics={"sigma2": SampleVariance(ddof=1)}),
        "mle": Estimator("mle", "MLE, divisor n", laws={"sigma2": _mle_law}, min_size=2,
                         statistics={"sigma2": SampleVariance(ddof=0)}),
    },
    default_estimator="unbiased",
    collapse="the variance shrinks to 0 almost surely",
    data=NormalData(variance="sigma2"),
)

GAUSSIAN = Family(
    name="gaussian",
    title="Gaussian mean and variance jointly",
    parameters=(MU, SIGMA2),
    estimators={
        "unbiased": Estimator("unbiased", "sample mean and S^2",
                              laws={"mu": _mean_law, "sigma2": _s2_law}, min_size=2,
                              statistics={"mu": SampleMean(), "sigma2": SampleVariance(ddof=1)}),
        "mle": Estimator("mle", "sample mean and the MLE variance",
                         laws={"mu": _mean_law, "sigma2": _mle_law}, min_size=2,
                         statistics={"mu": SampleMean(), "sigma2": SampleVariance(ddof=0)}),
    },
    default_estimator="unbiased",
    collapse="the variance shrinks to 0 almost surely",
    data=NormalData(mean="mu", variance="sigma2"),
)
