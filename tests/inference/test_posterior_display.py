"""The header of a BiasPosterior (text, HTML, LaTeX) shows the bias as the model has it:
the factor c(n) = 1 - kappa n^-alpha of a scale, the shift theta + kappa n^-alpha of a
location (inference/model.py: BIAS_FACTOR, BIAS_SHIFT)."""

from __future__ import annotations

import warnings

import pytest

from modelcollapse.families import Bias
from modelcollapse.inference import ConvergenceWarning, fit_bias, from_simulation
from modelcollapse.inference.model import family_likelihood
from modelcollapse.schedules import Schedule
from modelcollapse.validation import simulate

pytestmark = [
    pytest.mark.filterwarnings("ignore:PyTensor could not link to a BLAS:UserWarning"),
]


def _tiny_fit(family: str):
    ds = simulate(family, schedule=Schedule("n0*t", n0=10), T=6, reps=3, seed=3,
                  bias=Bias(1.0, 0.5), trajectories=True, progress=False)
    with warnings.catch_warnings():  # 50 draws on purpose: the header is the check here
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit_bias(from_simulation(ds), draws=50, tune=50, chains=1, seed=0,
                        sampler="pymc")


@pytest.mark.parametrize(("family", "text", "tex"), [
    ("gaussian-variance", "c(n) = 1 - kappa n^-alpha", r"c(n) = 1 - \kappa n^{-\alpha}"),
    ("gaussian-mean", "theta + kappa n^-alpha", r"\theta + \kappa n^{-\alpha}"),
])
def test_header_shows_the_bias_form_of_the_model(family, text, tex):
    post = _tiny_fit(family)
    # the model's own choice of factor or shift
    assert post.location is family_likelihood(family).location
    head = str(post).splitlines()[0]
    assert head.startswith(f"Bias posterior for {family}: {text} (3 trajectories")
    assert f"<b>Bias posterior for {family}: {text} (" in post._repr_html_()
    latex = post._repr_latex_()
    assert latex.startswith(r"$\begin{array}{lrrc} \multicolumn{4}{l}{\text{Bias posterior "
                            f"for {family}: }}{tex}}} \\\\ ")
    other = "c(n)" if post.location else "theta +"
    assert other not in head and other.replace("theta", r"\theta") not in latex
