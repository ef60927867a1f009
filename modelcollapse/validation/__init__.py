"""Monte Carlo random walks of the parameter estimate, and theory-versus-simulation checks."""

from modelcollapse.validation.improvement import family_improvement_probability
from modelcollapse.validation.simulate import simulate, summary_at_T

__all__ = ["simulate", "summary_at_T", "family_improvement_probability"]
