r"""Categorical probabilities :math:`p = (p_1, \dots, p_K)`, estimated by the frequencies.

.. math:: \hat p \mid p \sim \mathrm{Multinomial}(n, p)/n

Each cell's marginal chain is the Bernoulli (Wright–Fisher) chain of its own probability, so
every Bernoulli result holds cell by cell; cells that hit 0 are lost for good.
"""

from __future__ import annotations

from modelcollapse.families.base import Estimator, Family, Parameter
from modelcollapse.families.data import CategoricalData, Frequencies
from modelcollapse.families.laws import MultinomialMean
from modelcollapse.symbols import n

__all__ = ["CATEGORICAL"]

P = Parameter("p", "p_k", "simplex", (1 / 3, 1 / 3, 1 / 3), "probability",
              "cell probabilities (comma separated, summing to 1)")
_law = MultinomialMean(n, P.symbol)
_doc = "cell frequencies (the MLE, unbiased)"

CATEGORICAL = Family(
    name="categorical",
    title="Categorical probabilities",
    parameters=(P,),
    estimators={name: Estimator(name, _doc, laws={"p": _law}, pools_as_mean=True,
                                statistics={"p": Frequencies()})
                for name in ("unbiased", "mle")},
    default_estimator="unbiased",
    data=CategoricalData(p="p"),
    collapse="cells are lost: each probability fixes at 0 or 1",
    absorbing="fixation",
    vector=True,
)
