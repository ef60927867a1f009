"""Sampling the bias posterior (modelcollapse.inference.fit): recovery of known (kappa, alpha)
from simulated trajectories, diagnostics, output forms."""

from __future__ import annotations

import importlib.util
import logging
import warnings

import arviz as az
import numpy as np
import pytest
from scipy import stats

import modelcollapse.inference.fit as fit_module
from modelcollapse.families import Bias, from_moment_map
from modelcollapse.inference import (
    BiasPosterior,
    ConvergenceWarning,
    build_model,
    fit_bias,
    from_simulation,
    load_trajectories,
    set_data,
)
from modelcollapse.schedules import Schedule
from modelcollapse.validation import simulate

pytestmark = [
    # pip-installed PyTensor finds no BLAS when it compiles C code: a note on speed (these
    # models use no matrix products), emitted by pytensor.link.c.cmodule
    pytest.mark.filterwarnings("ignore:PyTensor could not link to a BLAS:UserWarning"),
]

HAS_NUTPIE = importlib.util.find_spec("nutpie") is not None
#: PyMC's NUTS everywhere but in the nutpie test: it compiles in a second (nutpie with numba:
#: several), and its numbers do not depend on whether nutpie is installed
PYMC = {"sampler": "pymc"}


def fit(data, **kwargs):
    return fit_bias(data, **{**PYMC, **kwargs})


def trajectories(family="gaussian-variance", *, kappa=2.0, alpha=0.5, reps=20, T=30, n0=20,
                 schedule="n0*t**1.2", seed=7):
    # n0 * t**1.2 with n0 = 20: n_1 = 20 ... n_30 = 1185
    ds = simulate(family, schedule=Schedule(schedule, n0=n0), T=T, reps=reps, seed=seed,
                  bias=Bias(kappa, alpha), trajectories=True, progress=False)
    return from_simulation(ds)


@pytest.fixture(scope="module")
def recovery():
    """20 trajectories x 30 generations, kappa = 2, alpha = 0.5 (a ConvergenceWarning would
    fail the test: warnings are errors)."""
    return fit(trajectories(), draws=500, tune=500, chains=2, seed=1)


def test_recovers_kappa_and_alpha_of_simulated_gaussian_variance_walks(recovery):
    data = trajectories()
    assert data.n.max() == 1185 and len(data) == 20 and data.n_transitions == 600
    post = recovery
    summary = post.to_dict()
    for name, truth in (("kappa", 2.0), ("alpha", 0.5)):
        assert summary[name]["hdi_low"] < truth < summary[name]["hdi_high"], (name, summary)
    p_star = summary["required_growth_exponent"]
    assert p_star["hdi_low"] < 2.0 < p_star["hdi_high"]
    assert post.divergences == 0
    assert post.rhat_max < 1.01
    assert post.ess_bulk_min >= 400


def test_recovers_the_exponential_rate_bias():
    data = trajectories("exponential", kappa=1.0, alpha=0.7, reps=15, T=25, n0=10)
    post = fit(data, draws=500, tune=500, chains=2, seed=2)
    assert post.family == "exponential"
    for name, truth in (("kappa", 1.0), ("alpha", 0.7)):
        s = post.stats(name)
        assert s["hdi_low"] < truth < s["hdi_high"], (name, s)


def test_posterior_object(recovery, tmp_path):
    post = recovery
    assert isinstance(post, BiasPosterior) and post.sampler in ("pymc", "nutpie")
    assert post.kappa.shape == post.alpha.shape == (1000,)
    assert post.n_min == 20
    np.testing.assert_allclose(post.required_growth_exponent,
                               np.maximum(1, 1 / post.alpha))
    np.testing.assert_allclose(post.kappa, post.b * post.n_min ** post.alpha)
    table = post.summary()
    assert list(table.index) == ["kappa", "alpha", "b", "required_growth_exponent"]
    assert {"mean", "sd", "hdi_3%", "hdi_97%", "r_hat", "ess_bulk"} <= set(table.columns)
    d = post.to_dict()
    assert {"kappa", "alpha", "required_growth_exponent", "rhat_max", "divergences"} <= set(d)
    assert set(d["kappa"]) == {"mean", "sd", "hdi_low", "hdi_high"}
    assert d["kappa"]["mean"] == pytest.approx(float(post.kappa.mean()))
    text = str(post)
    assert text.splitlines()[0].startswith("Bias posterior for gaussian-variance")
    assert "kappa" in text and "r-hat max" in text and "divergences" in text
    assert post._repr_latex_().startswith("$\\begin{array}")
    assert "BiasPosterior(gaussian-variance" in repr(post)
    path = post.to_netcdf(tmp_path / "posterior.nc")
    back = az.from_netcdf(path)
    np.testing.assert_array_equal(back.posterior["kappa"].values,
                                  post.idata.posterior["kappa"].values)


def test_same_seed_same_draws(recovery):
    again = fit(trajectories(), draws=500, tune=500, chains=2, seed=1)
    np.testing.assert_array_equal(again.kappa, recovery.kappa)


def test_one_convergence_warning_names_the_problems():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(trajectories(reps=3, T=8), draws=30, tune=30, chains=2, seed=0)
    ours = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(ours) == 1 and len(caught) == 1
    assert "bulk ESS" in str(ours[0].message)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        post = fit(trajectories(reps=3, T=8), draws=30, tune=30, chains=1, seed=0)
    assert len(caught) == 1 and "r-hat needs at least 2 chains" in str(caught[0].message)
    assert np.isnan(post.rhat_max)
    assert issubclass(ConvergenceWarning, UserWarning)


def test_sampling_prints_nothing(capfd, caplog):
    with caplog.at_level(logging.INFO), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit(trajectories(reps=3, T=8), draws=50, tune=50, chains=1, seed=0,
            progress=False)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert not [r for r in caplog.records if r.name.startswith("pymc")]


def test_refit_a_built_model_on_new_data():
    first, second = trajectories(reps=5, T=10, seed=1), trajectories(reps=5, T=10, seed=2)
    model = build_model(first)
    set_data(model, second)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reused = fit(second, model=model, draws=100, tune=100, chains=1, seed=4)
        fresh = fit(second, draws=100, tune=100, chains=1, seed=4)
    np.testing.assert_allclose(reused.kappa, fresh.kappa)


def test_noisy_model_samples():
    data = trajectories(reps=4, T=10, n0=50, schedule="n0*t")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # few draws of many latents
        post = fit(data, noisy=True, draws=200, tune=300, chains=2, seed=0)
    assert post.noisy and "tau" in post.idata.posterior
    assert post.idata.posterior["log_theta"].shape[-1] == 44
    assert np.all(post.draws("tau") > 0)
    # the pointwise log-likelihood: the recording noise N(log theta, tau^2), by scipy
    latent, tau = post.idata.posterior["log_theta"].values, post.idata.posterior["tau"].values
    np.testing.assert_allclose(post.idata.log_likelihood["observed_log_estimate"].values,
                               stats.norm.logpdf(np.log(data.estimate), latent, tau[..., None]),
                               rtol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"sampler": "stan"}, r"sampler must be one of pymc, nutpie, auto, got 'stan'"),
     ({"draws": 0}, r"draws must be an integer >= 1, got 0"),
     ({"target_accept": 1.0}, r"target_accept must be in \(0, 1\)")],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fit({"t": [0, 1], "n": [5, 5], "estimate": [1.0, 0.8]}, **kwargs)


def test_wrong_kind_is_a_type_error():
    """A float for an integer is a wrong kind, not a wrong value (STYLE 5)."""
    with pytest.raises(TypeError, match=r"chains must be an integer >= 1, got 1.5"):
        fit({"t": [0, 1], "n": [5, 5], "estimate": [1.0, 0.8]}, chains=1.5)


@pytest.mark.skipif(HAS_NUTPIE, reason="nutpie is installed")
def test_nutpie_asked_for_but_missing():
    with pytest.raises(ValueError, match=r"sampler 'nutpie' needs the nutpie package"):
        fit({"t": [0, 1], "n": [5, 5], "estimate": [1.0, 0.8]}, sampler="nutpie")


@pytest.mark.skipif(not HAS_NUTPIE, reason="nutpie is not installed")
def test_nutpie_recovers_too():
    post = fit_bias(trajectories(), draws=500, tune=500, chains=2, seed=1, sampler="nutpie")
    assert post.sampler == "nutpie" and post.divergences == 0 and post.rhat_max < 1.01
    # the same ArviZ groups and named dims as with PyMC's sampler
    assert post.idata.log_likelihood["ratio"].dims == ("chain", "draw", "transition")
    assert post.idata.observed_data["ratio"].dims == ("transition",)
    assert not [v for v in az.summary(post.idata).index if v.endswith("__")]
    assert set(post.idata.groups()) == {"posterior", "sample_stats", "observed_data",
                                        "constant_data", "log_likelihood"}
    # a second fit on other data (another number of transitions) reuses the compiled model
    model = next(m for m in fit_module._MODELS.values() if "nutpie" in m._modelcollapse)
    compiled = model._modelcollapse["nutpie"]
    other = trajectories(reps=10, T=20, seed=8)
    again = fit_bias(other, draws=500, tune=500, chains=2, seed=1, sampler="nutpie")
    assert model._modelcollapse["nutpie"] is compiled
    assert again.idata.observed_data["ratio"].shape == (200,)
    assert again.idata.log_likelihood["ratio"].shape == (2, 500, 200)
    # the posterior of the new data: PyMC's sampler agrees within the MC errors
    reference = fit(other, draws=500, tune=500, chains=2, seed=2)
    for name in ("kappa", "alpha"):
        se = [float(p.idata.posterior[name].std() / np.sqrt(az.ess(p.idata)[name]))
              for p in (again, reference)]
        assert abs(again.draws(name).mean() - reference.draws(name).mean()) < \
            5 * np.hypot(*se), name
    for name, truth in (("kappa", 2.0), ("alpha", 0.5)):
        s = post.stats(name)
        assert s["hdi_low"] < truth < s["hdi_high"], (name, s)


# ---------------------------------------------------------------------------------------------
# user families with an exact law: the likelihood comes from the law's class
# ---------------------------------------------------------------------------------------------
#: recovery is judged in posterior sds (the truth within Z_SD of the mean): 4 sds leave a
#: well-calibrated posterior a two-sided chance of about 6e-5 to fail
Z_SD = 4.0
GAMMA_SCALE = from_moment_map("gamma-scale", parameter="theta",
                              law="theta * Gamma(n*k, 1)/(n*k)", constants={"k": 2.5},
                              domain="positive", kind="scale")
UNIFORM_MAX = from_moment_map("uniform-max", parameter="theta",
                              law="theta * (n + 1)/n * Beta(n, 1)", domain="positive",
                              kind="scale")


def user_trajectories(fam, *, reps, T, kappa=2.0, alpha=0.5, seed=7):
    ds = simulate(fam, schedule=Schedule("n0*t**1.2", n0=20), T=T, reps=reps, seed=seed,
                  bias=Bias(kappa, alpha), trajectories=True, progress=False)
    return from_simulation(ds, family=fam)


@pytest.mark.parametrize(("fam", "reps", "T", "tune", "likelihood"), [
    (GAMMA_SCALE, 10, 20, 500, "gamma"),
    # Beta(n, 1): the likelihood is largest at the edge of its support, the posterior a thin
    # ridge (sd of kappa ~ 0.005): longer tuning finds the step size
    (UNIFORM_MAX, 8, 15, 1000, "beta"),
])
def test_recovers_the_bias_of_a_user_law(fam, reps, T, tune, likelihood):
    data = user_trajectories(fam, reps=reps, T=T)
    with warnings.catch_warnings():
        # 2 x 300 draws on purpose (time): the ESS gate may fail; recovery is the check here
        warnings.simplefilter("ignore", ConvergenceWarning)
        post = fit(data, family=fam, draws=300, tune=tune, chains=2, seed=1)
    assert post.family == fam.name and post.likelihood == likelihood and post.exact
    assert post.divergences == 0 and post.rhat_max < 1.05
    for name, truth in (("kappa", 2.0), ("alpha", 0.5)):
        s = post.stats(name)
        assert abs(s["mean"] - truth) < Z_SD * s["sd"], (name, s)


def test_the_normal_approximation_is_labelled():
    fam = from_moment_map("moments-only", parameter="theta", mean="theta",
                          variance="2*theta**2/(n - 1)", domain="positive", kind="scale")
    data = load_trajectories(trajectories(reps=3, T=8).to_dict(), family=fam)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        post = fit(data, draws=50, tune=50, chains=1, seed=0)
    assert not post.exact and post.likelihood == "normal_scale"
    assert "likelihood: normal approximation N(m, v)" in str(post)
    d = post.to_dict()
    assert d["likelihood_exact"] is False and "normal approximation" in \
        d["likelihood_description"]


def test_the_exact_likelihood_is_labelled(recovery):
    assert recovery.exact and recovery.likelihood == "gamma"
    assert str(recovery).splitlines()[-1] == \
        "likelihood: exact: ScaledChiSquare law (gamma likelihood)"
