r"""Categorical probabilities :math:`p = (p_1, \dots, p_K)`, estimated by the frequencies.

.. math:: \hat p \mid p \sim \mathrm{Multinomial}(n, p)/n

Each cell's marginal chain is the Bernoulli (Wright–Fisher) chain of its own probability, so
every Bernoulli result holds cell by cell; cells that hit 0 are lost for good.
"""

from __future__ import annotations

from modelcollapse.families.base import Estimator, Family, Parameter
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
    estimators={"unbiased": Estimator("unbiased", _doc, {"p": _law}, 1, True,
                                       {"p": "frequencies"}),
                "mle": Estimator("mle", _doc, {"p": _law}, 1, True, {"p": "frequencies"})},
    default_estimator="unbiased",
    data="categorical",
    collapse="cells are lost: each probability fixes at 0 or 1",
    absorbing="fixation",
    vector=True,
)
