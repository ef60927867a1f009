r"""Linear regression with Gaussian inputs, fitted by ordinary least squares.

Data :math:`y = x^\top\beta + \varepsilon`, :math:`x \sim N(0, I_d)`,
:math:`\varepsilon \sim N(0, \sigma^2)` with :math:`\sigma^2` known. Generation :math:`t` draws
:math:`n_t` fresh inputs, labels them with the previous fit :math:`\hat\beta_{t-1}` (plus fresh
noise) and refits by least squares:

.. math::

    \hat\beta_t = \hat\beta_{t-1} + (X_t^\top X_t)^{-1} X_t^\top \varepsilon_t, \qquad
    X_t^\top X_t \sim \mathcal W_d(n_t, I),

so :math:`E\hat\beta_T = \beta^*` and, with :math:`E(X^\top X)^{-1} = I/(n - d - 1)`,

.. math::

    E\lVert\hat\beta_T - \beta^*\rVert^2 = \sigma^2 d \sum_{t=0}^{T} \frac{1}{n_t - d - 1}
    \qquad (n_t > d + 1),

the test error of Gerstgrasser et al. (2024), linear in :math:`T` for a constant size.

=========  ======================  =================================
parameter  mean of the step        variance of each coefficient
=========  ======================  =================================
beta       :math:`\beta_i`         :math:`\sigma^2/(n - d - 1)`
=========  ======================  =================================

The dimension is ``dim`` of :func:`~modelcollapse.theory.derive` and
:func:`~modelcollapse.validation.simulate` (``--dim`` on the command line), 2 by default as
for every vector family; the law carries the symbol :math:`d`
(:data:`~modelcollapse.families.laws.DIMENSION`), set by :meth:`Family.at_dimension`. OLS is
both the MLE and unbiased, so the two estimator names are the same fit.

>>> from modelcollapse.families import get_family
>>> get_family("linear-regression").at_dimension(3).law().variance()
sigma^2/(n - 4)
"""

from __future__ import annotations

from modelcollapse.families.base import Estimator, Family, Parameter
from modelcollapse.families.data import LeastSquaresFit, RegressionData
from modelcollapse.families.laws import DIMENSION, LeastSquares
from modelcollapse.symbols import n

__all__ = ["LINEAR_REGRESSION"]

BETA = Parameter("beta", "beta_i", "real", 0.0, "location",
                 "regression coefficients (one value: all of them)")
SIGMA2 = Parameter("sigma2", "sigma^2", "positive", 1.0, "scale", "noise variance (known)")

_ols = LeastSquares(BETA.symbol, SIGMA2.symbol, n, DIMENSION)

LINEAR_REGRESSION = Family(
    name="linear-regression",
    title="Linear regression coefficients, noise variance known",
    parameters=(BETA,),
    constants=(SIGMA2,),
    estimators={
        name: Estimator(name, "ordinary least squares (the MLE, unbiased)", laws={"beta": _ols},
                        statistics={"beta": LeastSquaresFit()})
        for name in ("unbiased", "mle")
    },
    default_estimator="unbiased",
    collapse="the coefficients wander without limit: E|beta_T - beta|^2 diverges",
    data=RegressionData(coefficients="beta", noise="sigma2"),
    vector=True,
)
