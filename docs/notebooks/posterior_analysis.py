# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Posterior probability of collapse under an uncertain estimator bias
#
# A pipeline retrains a model on its own output. Its variance estimator may be biased by an
# unknown amount, E[σ̂² | σ²] = σ² (1 − κ n^(−α)). From the estimates seen so far, how likely is
# collapse under the schedule we plan, and how fast must the sample size grow to be safe?
# (The model is derived in the project's SPEC from the paper's stated claims.)
#
# Open with `jupytext --to notebook posterior_analysis.py`, or run it as a script: the test
# suite executes it from top to bottom.

# %%
import os

import arviz as az
import matplotlib

matplotlib.use("Agg")  # the tests run without a display; in Jupyter plots show inline
import matplotlib.pyplot as plt

from modelcollapse.families import Bias
from modelcollapse.inference import fit_bias, from_simulation
from modelcollapse.inference.answers import collapse_table, format_table, growth_summary
from modelcollapse.schedules import Schedule
from modelcollapse.validation import simulate

OUT = os.environ.get("MODELCOLLAPSE_NOTEBOOK_OUT", ".")
DRAWS = int(os.environ.get("MODELCOLLAPSE_NOTEBOOK_DRAWS", "1000"))

# %% [markdown]
# ## Observed trajectories
#
# Here we simulate them: 20 pipelines, 30 generations each, sizes growing from 20 to about
# 1200, with a true bias κ = 2, α = 0.5 (so the required growth exponent is p* = 2).

# %%
ds = simulate("gaussian-variance", schedule=Schedule("n0*t**1.2", n0=20), T=30, reps=20,
              seed=7, bias=Bias(2.0, 0.5), trajectories=True, progress=False)
data = from_simulation(ds)
print(data)

# %% [markdown]
# ## Posterior of the bias

# %%
posterior = fit_bias(data, draws=DRAWS, tune=DRAWS, chains=2, seed=1, progress=False)
print(posterior)

# %%
az.plot_pair(posterior.idata, var_names=["kappa", "alpha"], kind="kde", marginals=True,
             reference_values={"kappa": 2.0, "alpha": 0.5})
plt.savefig(os.path.join(OUT, "posterior_pair.png"), dpi=80)

# %%
az.plot_posterior(posterior.idata, var_names=["required_growth_exponent"], hdi_prob=0.94)
plt.savefig(os.path.join(OUT, "required_growth.png"), dpi=80)

# %% [markdown]
# ## How fast must the sample size grow?
#
# A schedule n_t ≍ t^p is asymptotically safe iff p > p* = max(1, 1/α); the posterior of p*
# gives the probability that each candidate is safe, and simulating the walk under each
# posterior draw gives the probability of collapse (falling below 1% of the last estimate)
# within the next 200 generations.

# %%
summary = growth_summary(posterior.kappa, posterior.alpha)
print({k: round(v["mean"], 3) for k, v in summary.items() if isinstance(v, dict)})
n_last = int(data.n.max())
schedules = {text: Schedule(text, n0=n_last) for text in ("n0", "n0*t", "n0*t**2", "n0*t**3")}
rows = collapse_table(posterior.kappa, posterior.alpha, schedules, 200, epsilon=0.01, seed=2)
print(format_table(rows))
