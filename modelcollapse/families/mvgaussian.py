r"""d-dimensional Gaussian: mean vector and covariance matrix (unbiased estimators).

.. math::

    \hat\mu = \mu + \Sigma^{1/2} Z/\sqrt{n}, \qquad
    \hat\Sigma = \Sigma^{1/2} W \Sigma^{1/2}/(n-1),\quad W \sim \mathcal W_d(n-1, I)

(the MLE divides by :math:`n`). Each diagonal entry :math:`\hat\Sigma_{ii}` follows the
Gaussian-variance chain of its own; :math:`\log\det\hat\Sigma` moves by independent sums of
:math:`\log\chi^2` terms. Needs :math:`n > d`.
"""

from __future__ import annotations

from modelcollapse.families.base import Estimator, Family, Parameter
from modelcollapse.families.data import MultivariateNormalData, SampleCovariance, SampleMean
from modelcollapse.families.laws import Normal, Wishart
from modelcollapse.symbols import n

__all__ = ["MVGAUSSIAN"]

MU = Parameter("mu", "mu_i", "real", 0.0, "location", "mean vector (one value: all entries)")
SIGMA = Parameter("Sigma", "Sigma_ii", "spd", 1.0, "covariance",
                  "covariance (one value v: v times the identity)")
mu, sigma = MU.symbol, SIGMA.symbol

MVGAUSSIAN = Family(
    name="mvgaussian",
    title="Multivariate Gaussian mean and covariance",
    parameters=(MU, SIGMA),
    estimators={
        "unbiased": Estimator("unbiased", "sample mean and covariance, divisor n - 1",
                              laws={"mu": Normal(mu, sigma / n),
                                    "Sigma": Wishart(n - 1, 1 / (n - 1), sigma)}, min_size=2,
                              statistics={"mu": SampleMean(), "Sigma": SampleCovariance(1)}),
        "mle": Estimator("mle", "sample mean and covariance, divisor n",
                         laws={"mu": Normal(mu, sigma / n),
                               "Sigma": Wishart(n - 1, 1 / n, sigma)}, min_size=2,
                         statistics={"mu": SampleMean(), "Sigma": SampleCovariance(0)}),
    },
    default_estimator="unbiased",
    collapse="the covariance shrinks to 0 (log det falls without limit)",
    data=MultivariateNormalData(mean="mu", covariance="Sigma"),
    vector=True,
)
