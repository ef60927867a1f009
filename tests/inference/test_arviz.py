"""The bias posterior as ArviZ sees it (modelcollapse.inference.fit): observed data, a
pointwise log-likelihood checked against scipy, named dims, loo/compare across priors, the
netCDF round trip, the posterior against a direct integration on a grid, the compiled-model
cache and the notebook display."""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import pytest
import xarray as xr
from scipy import stats
from scipy.special import logsumexp

from modelcollapse import __version__
from modelcollapse.families import Bias
from modelcollapse.inference import (
    BiasPosterior,
    ConvergenceWarning,
    Priors,
    fit_bias,
    from_simulation,
)
from modelcollapse.inference import fit as fit_module
from modelcollapse.schedules import Schedule
from modelcollapse.validation import simulate

pytestmark = [
    pytest.mark.filterwarnings("ignore:PyTensor could not link to a BLAS:UserWarning"),
]


def trajectories(*, reps=8, T=12, seed=3):
    ds = simulate("gaussian-variance", schedule=Schedule("n0*t**1.2", n0=20), T=T, reps=reps,
                  seed=seed, bias=Bias(2.0, 0.5), trajectories=True, progress=False)
    return from_simulation(ds)


def fit(data, **kwargs):
    with warnings.catch_warnings():
        # short chains on purpose (time): the checks below use their own MC errors
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit_bias(data, **{"draws": 500, "tune": 500, "chains": 2, "seed": 1,
                                 "sampler": "pymc", **kwargs})


@pytest.fixture(scope="module")
def data():
    return trajectories()


@pytest.fixture(scope="module")
def post(data):
    return fit(data, predictive=True)


@pytest.fixture(scope="module")
def flat(data):
    """The same data under another prior of b (a second compiled model)."""
    return fit(data, priors=Priors(b=(1.0, 1.0)), draws=300, tune=300)


def bias_factor(post, data):
    """c_t = 1 - kappa n_t^-alpha per draw (rows) and transition (columns)."""
    n = data.transitions()["n"].astype(float)
    return 1 - post.kappa[:, None] * n[None, :] ** -post.alpha[:, None]


def test_inference_data_groups_and_named_dims(post, data):
    idata = post.idata
    for group in ("posterior", "sample_stats", "observed_data", "constant_data",
                  "log_likelihood", "posterior_predictive"):
        assert group in idata.groups(), group
    tr = data.transitions()
    np.testing.assert_allclose(idata.observed_data["ratio"], tr["current"] / tr["previous"])
    assert idata.log_likelihood["ratio"].dims == ("chain", "draw", "transition")
    assert idata.posterior_predictive["ratio"].dims == ("chain", "draw", "transition")
    np.testing.assert_array_equal(idata.constant_data["trajectory"], tr["trajectory"])
    dims = {d for g in idata.groups() for d in idata[g].dims}
    assert dims == {"chain", "draw", "transition"}, dims  # no *_dim_0
    table = az.summary(idata)
    assert not [v for v in table.index if v.endswith("__")]
    assert {"kappa", "alpha", "b", "required_growth_exponent"} <= set(table.index)


def test_pointwise_log_likelihood_is_the_gamma_density(post, data):
    """Each transition's log-likelihood is scipy's Gamma(k, scale c/k) density of the ratio,
    k = (n - 1)/2 (the variance family's step law)."""
    tr = data.transitions()
    n, y = tr["n"].astype(float), tr["current"] / tr["previous"]
    k = (n - 1) / 2
    ours = post.idata.log_likelihood["ratio"].values.reshape(-1, len(n))
    c = bias_factor(post, data)
    for i in (0, 123, 999):
        np.testing.assert_allclose(ours[i], stats.gamma.logpdf(y, a=k, scale=c[i] / k),
                                   rtol=1e-9)


def test_posterior_predictive_mean_is_the_bias_factor(post, data):
    """E[ratio | c] = c: the predictive mean over draws and transitions against the posterior
    mean of c (its MC error from the predictive variance k/c^2 ... c^2/k per draw)."""
    pp = post.idata.posterior_predictive["ratio"].values.reshape(-1, data.n_transitions)
    c = bias_factor(post, data)
    k = (data.transitions()["n"] - 1) / 2
    resid = (pp - c).mean(axis=1)  # per draw: mean over transitions of ratio - c
    se = np.sqrt((c**2 / k).sum(axis=1).mean()) / data.n_transitions / np.sqrt(len(resid))
    assert abs(resid.mean()) < 5 * se, (resid.mean(), se)


# ArviZ 0.23's compare sorts its table with pandas' deprecated inplace keyword
@pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")
def test_loo_and_compare_across_two_priors(post, flat):
    loo = post.loo()
    assert loo["n_data_points"] == post.n_transitions and np.isfinite(loo["elpd_loo"])
    by_trajectory = post.loo(by="trajectory")
    assert by_trajectory["n_data_points"] == post.n_trajectories
    # leaving out a trajectory costs at least as much as its transitions one at a time
    assert by_trajectory["elpd_loo"] <= loo["elpd_loo"] + 1e-9
    table = az.compare({"Beta(1, 3)": post.idata, "Beta(1, 1)": flat.idata})
    assert set(table.index) == {"Beta(1, 3)", "Beta(1, 1)"}
    # the same data and a weak prior change: the two predictive accuracies agree within
    # their standard error of the difference
    assert abs(table["elpd_diff"].iloc[1]) < 5 * max(table["dse"].iloc[1], 0.05)


def test_elpd_loo_is_the_importance_sampling_estimate_it_should_be(post):
    """Without smoothing, PSIS-LOO is sum_i -log mean_s exp(-log p(y_i | theta_s)); with
    all Pareto k small the two agree closely."""
    ll = post.idata.log_likelihood["ratio"].values.reshape(-1, post.n_transitions)
    raw = float(np.sum(-(logsumexp(-ll, axis=0) - np.log(ll.shape[0]))))
    loo = post.loo()
    assert np.all(loo["pareto_k"].values < 0.7)
    assert loo["elpd_loo"] == pytest.approx(raw, abs=0.5)


def test_netcdf_round_trip(post, data, tmp_path):
    path = post.to_netcdf(tmp_path / "posterior.nc")
    back = BiasPosterior.from_netcdf(path)
    np.testing.assert_array_equal(back.kappa, post.kappa)
    assert back.family == "gaussian-variance" and back.priors == post.priors
    assert (back.n_min, back.n_trajectories, back.n_transitions) == (20, 8, 96)
    assert back.likelihood == "gamma" and back.exact and back.sampler == "pymc"
    assert back.data.to_dict() == data.to_dict()
    assert back.idata.attrs["modelcollapse_version"] == __version__
    assert back.to_dict()["kappa"] == post.to_dict()["kappa"]
    plain = az.from_netcdf(path)
    assert "log_likelihood" in plain.groups() and np.isfinite(az.loo(plain)["elpd_loo"])
    with pytest.raises(ValueError, match=r"was not written by BiasPosterior.to_netcdf"):
        az.from_dict(posterior={"x": np.zeros((1, 5))}).to_netcdf(str(tmp_path / "x.nc"))
        BiasPosterior.from_netcdf(tmp_path / "x.nc")


def test_a_family_file_travels_with_the_data_into_a_saved_posterior(tmp_path):
    """Data read with a family file, fitted without naming it again: the saved posterior
    keeps the file's text, and reloads with its data after the file is gone."""
    text = ('name = "gamma-shape-two"\nparameter = "theta"\ndomain = "positive"\n'
            'kind = "scale"\nlaw = "theta * Gamma(n, 1) / n"\n')
    (tmp_path / "fam.toml").write_text(text)
    ds = simulate(str(tmp_path / "fam.toml"), schedule=Schedule("n0*t", n0=10), T=6, reps=4,
                  seed=2, trajectories=True, progress=False)
    assert ds.attrs["family_file"] == text
    (tmp_path / "fam.toml").unlink()
    data = from_simulation(ds)  # the family from the Dataset's own record
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        post = fit_bias(data, draws=100, tune=100, chains=1, progress=False)
    assert post.family_file == text
    back = BiasPosterior.from_netcdf(post.to_netcdf(tmp_path / "p.nc"))
    assert back.family_file == text and back.data.to_dict() == data.to_dict()


def test_a_family_file_that_no_longer_loads_still_gives_the_posterior(post, tmp_path):
    import dataclasses

    broken = dataclasses.replace(post, family_file="name = ")  # not TOML
    back = BiasPosterior.from_netcdf(broken.to_netcdf(tmp_path / "p.nc"))
    assert back.data is None and back.family_file == "name = "
    np.testing.assert_array_equal(back.kappa, post.kappa)


def test_posterior_matches_a_direct_integration_on_a_grid(post, data):
    """Posterior mean and sd of kappa and alpha by quadrature over (b, alpha) with scipy's
    densities: prior Beta(1, 3) on b, 0.05 + 2.95 Beta(2, 2) on alpha, the Gamma step law."""
    tr = data.transitions()
    n, y = tr["n"].astype(float), tr["current"] / tr["previous"]
    k = (n - 1) / 2
    b = np.linspace(1e-4, 0.9999, 250)
    alpha = np.linspace(0.0501, 2.9999, 250)
    B, A = np.meshgrid(b, alpha, indexing="ij")
    c = 1 - B[..., None] * (n / n.min()) ** -A[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        loglik = np.where(c > 0, stats.gamma.logpdf(y, a=k, scale=np.where(c > 0, c, 1) / k),
                          -np.inf).sum(axis=-1)
    logpost = (stats.beta.logpdf(B, 1, 3) + stats.beta.logpdf((A - 0.05) / 2.95, 2, 2)
               + loglik)
    w = np.exp(logpost - logpost.max())
    w /= w.sum()
    kappa = B * n.min() ** A
    ess = az.ess(post.idata, var_names=["kappa", "alpha"])
    for name, grid in (("kappa", kappa), ("alpha", A)):
        mean = float((w * grid).sum())
        sd = float(np.sqrt((w * (grid - mean) ** 2).sum()))
        draws = post.draws(name)
        se = sd / np.sqrt(float(ess[name]))
        assert abs(draws.mean() - mean) < 5 * se, (name, draws.mean(), mean, se)
        # the sd of the draws: its MC error is about sd / sqrt(2 ESS) for a near-normal law
        assert abs(draws.std() - sd) < 5 * sd / np.sqrt(2 * float(ess[name])), name


def test_a_second_fit_reuses_the_compiled_model(data):
    other = trajectories(reps=6, seed=4)  # another number of transitions
    first = fit(data, draws=60, tune=60, seed=5, cores=1)
    models = dict(fit_module._MODELS)
    second = fit(other, draws=60, tune=60, seed=5, cores=1)
    assert dict(fit_module._MODELS) == models  # no new model: the data were swapped
    np.testing.assert_allclose(second.idata.observed_data["ratio"],
                               other.transitions()["current"] / other.transitions()["previous"])
    fit_module._MODELS.clear()  # a fresh build and compilation give the same draws
    fresh = fit(other, draws=60, tune=60, seed=5, cores=1)
    np.testing.assert_array_equal(fresh.kappa, second.kappa)
    for group in ("observed_data", "constant_data", "log_likelihood"):
        xr.testing.assert_allclose(fresh.idata[group], second.idata[group])
    assert not np.array_equal(first.kappa, second.kappa)
    # chains in worker processes start from a reset step too (PyMC resets a step per chain
    # only when sampling in one process): the same draws
    parallel = fit(other, draws=60, tune=60, seed=5, cores=2)
    np.testing.assert_array_equal(parallel.kappa, second.kappa)


def test_display_has_diagnostics_and_no_stray_backslash(post):
    text = str(post)
    assert "r-hat max" in text and "bulk ESS min" in text and "divergences" in text
    assert "\\" not in text
    page = post._repr_html_()
    assert page.startswith("<div>") and "<table>" in page and "r-hat max" in page
    assert "\\" not in page
    latex = post._repr_latex_()
    assert "r-hat max" in latex and r"\text{HDI }94\%" in latex
    assert r"\%}" not in latex  # a percent sign inside \text prints its backslash
