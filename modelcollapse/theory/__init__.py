"""Symbolic theory of the collapse random walk (SymPy only; never imports PyMC).

Derived here (the documentation's Concepts page) from the paper's stated claims, not quoted from it.
"""

from modelcollapse.theory.absorption import (
    absorption_probability,
    bernoulli_fixation_probabilities,
    bernoulli_fixation_probability,
    poisson_extinction_probability,
)
from modelcollapse.theory.criteria import collapses, required_growth_exponent
from modelcollapse.theory.derive import Derivation, derive
from modelcollapse.theory.improvement import (
    improvement_limit_power,
    improvement_probability,
    improvement_probability_general,
)

__all__ = [
    "Derivation",
    "derive",
    "collapses",
    "required_growth_exponent",
    "improvement_probability",
    "improvement_probability_general",
    "improvement_limit_power",
    "bernoulli_fixation_probability",
    "bernoulli_fixation_probabilities",
    "poisson_extinction_probability",
    "absorption_probability",
]
