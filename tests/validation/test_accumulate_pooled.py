"""The accumulate workflow for estimators that are not a pooled sample mean: the pooled
sufficient statistics against the statistic on the concatenated data (exact), and the engine's
walks against our own Monte Carlo that keeps every data point and refits on all of them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from modelcollapse.families.data import (
    Frequencies,
    LeastSquaresFit,
    RateFromSum,
    SampleCovariance,
    SampleMean,
    SampleVariance,
)
from modelcollapse.schedules import Schedule
from modelcollapse.theory import derive
from modelcollapse.validation.pooling import merge
from modelcollapse.validation.simulate import simulate

#: fixed seeds; |z| below this is agreement (two-sample z of independent Monte Carlo runs)
Z_TOL = 5.0


def _batches(x, cuts):
    edges = [0, *cuts, x.shape[1]]
    return [x[:, a:b] for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _merged(stat, x, cuts, previous):
    pool = estimate = None
    for batch in _batches(x, cuts):
        pool, estimate = merge(stat, pool, batch, previous)
    return estimate


@pytest.mark.parametrize(("stat", "direct"), [
    (SampleMean(), lambda x: x.mean(axis=1)),
    (SampleVariance(ddof=1), lambda x: x.var(axis=1, ddof=1)),
    (SampleVariance(ddof=0), lambda x: x.var(axis=1, ddof=0)),
    (RateFromSum(offset=1), lambda x: (x.shape[1] - 1) / x.sum(axis=1)),
])
def test_pooled_scalar_statistics_equal_the_statistic_of_all_data(stat, direct):
    x = np.random.default_rng(1).gamma(2.0, size=(6, 23)) + 3.0  # offset: a naive formula errs
    np.testing.assert_allclose(_merged(stat, x, [4, 5, 15], x[:, 0]), direct(x), rtol=1e-12)


def test_pooled_frequencies_and_covariance_and_least_squares():
    rng = np.random.default_rng(2)
    cells = rng.integers(0, 3, size=(4, 30))
    want = np.stack([np.bincount(row, minlength=3) / 30 for row in cells])
    np.testing.assert_allclose(_merged(Frequencies(), cells, [7, 20], np.zeros((4, 3))), want)
    x = rng.standard_normal((4, 25, 3)) + 5.0
    want = np.stack([np.cov(row.T, ddof=1) for row in x])
    got = _merged(SampleCovariance(1), x, [3, 10], np.zeros((4, 3, 3)))
    np.testing.assert_allclose(got, want, rtol=1e-10)
    xy = rng.standard_normal((4, 25, 4))
    want = np.stack([np.linalg.lstsq(r[:, :-1], r[:, -1], rcond=None)[0] for r in xy])
    got = _merged(LeastSquaresFit(), xy, [6, 12], np.zeros((4, 3)))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def _own_pooled_walk(sizes, reps, rng, draw, refit):
    """Keep every point drawn so far; generation t draws from the last refit and refits on
    all of them (generation 0: the real data)."""
    theta = None
    data = None
    for n in sizes:
        batch = draw(theta, reps, n, rng)
        data = batch if data is None else np.concatenate([data, batch], axis=1)
        theta = refit(data)
    return theta


def _two_sample_z(a, b):
    return (a.mean() - b.mean()) / math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))


def _variance_z(a, b):
    """z of the difference of two sample variances (se from each sample's fourth moment)."""
    def var_se(x):
        c = x - x.mean()
        return float(np.mean(c**2)) * len(x) / (len(x) - 1), (np.mean(c**4) - np.mean(c**2) ** 2
                                                              ) / len(x)
    (va, sa), (vb, sb) = var_se(a), var_se(b)
    return (va - vb) / math.sqrt(sa + sb)


def _gaussian_variance_draw(theta, reps, n, rng):
    scale = 1.0 if theta is None else np.sqrt(theta)[:, None]
    return scale * rng.standard_normal((reps, n))


def _exponential_draw(theta, reps, n, rng):
    rate = 2.0 if theta is None else theta[:, None]
    return rng.standard_exponential((reps, n)) / rate


@pytest.mark.parametrize(("family", "params", "draw", "refit"), [
    ("gaussian-variance", {"sigma2": 1.0}, _gaussian_variance_draw,
     lambda x: x.var(axis=1, ddof=1)),
    ("exponential", {"rate": 2.0}, _exponential_draw, lambda x: x.shape[1] / x.sum(axis=1)),
])
def test_engine_accumulate_matches_our_pooled_monte_carlo(family, params, draw, refit):
    sizes, reps = [8, 5, 5, 6, 5], 8000
    ds = simulate(family, schedule=Schedule.from_sizes(sizes), T=4, reps=reps, seed=11,
                  workflow="accumulate", params=params, estimator="mle" if family ==
                  "exponential" else "unbiased", progress=False)
    assert ds.attrs["mode"] == "brute"
    engine = np.asarray(ds["final"].values)[:, 0]
    own = _own_pooled_walk(sizes, reps, np.random.default_rng(12), draw, refit)
    assert abs(_two_sample_z(engine, own)) < Z_TOL
    assert abs(_variance_z(engine, own)) < Z_TOL


def test_engine_accumulate_of_the_joint_gaussian_matches_our_monte_carlo():
    sizes, reps = [6, 4, 4, 4], 8000
    ds = simulate("gaussian", schedule=Schedule.from_sizes(sizes), T=3, reps=reps, seed=21,
                  workflow="accumulate", progress=False)
    final = np.asarray(ds["final"].values)
    rng = np.random.default_rng(22)
    data = None
    mu, s2 = np.zeros(reps), np.ones(reps)
    for n in sizes:
        batch = mu[:, None] + np.sqrt(s2)[:, None] * rng.standard_normal((reps, n))
        data = batch if data is None else np.concatenate([data, batch], axis=1)
        mu, s2 = data.mean(axis=1), data.var(axis=1, ddof=1)
    for k, own in enumerate((mu, s2)):
        assert abs(_two_sample_z(final[:, k], own)) < Z_TOL
        assert abs(_variance_z(final[:, k], own)) < Z_TOL


def test_every_family_simulates_accumulate_and_derive_says_where_no_closed_form():
    from modelcollapse.families import family_names

    for name in family_names():
        ds = simulate(name, schedule=Schedule("n0", n0=10), T=2, reps=50, seed=0,
                      workflow="accumulate", progress=False)
        assert np.all(np.isfinite(ds["final"].values)), name
        d = derive(name, schedule=Schedule("n0", n0=10), T=2, workflow="accumulate")
        if d.values["variance_T"] is None:
            assert ds.attrs["mode"] == "brute"
            assert any("no closed form" in note for note in d.notes), name


def test_exact_mode_is_refused_where_accumulate_needs_the_data():
    with pytest.raises(ValueError, match=r"allowed: mode 'brute', got 'exact'"):
        simulate("exponential", workflow="accumulate", mode="exact", T=2, reps=10,
                 progress=False)


def test_a_family_without_data_model_is_refused_up_front(tmp_path):
    path = tmp_path / "scale.toml"
    path.write_text('name = "scale-only"\nparameter = "theta"\ndomain = "positive"\n'
                    'kind = "scale"\ndefault = 1.0\nmean = "theta"\nvariance = "theta**2/n"\n')
    with pytest.raises(ValueError, match=r"of scale-only \(user\) refits on the pooled data, "
                                         r"and the family declares no data model"):
        simulate(str(path), workflow="accumulate", T=2, reps=10, progress=False)
    d = derive(str(path), T=2, workflow="accumulate")
    assert d.values["variance_T"] is None and any("no closed form" in x for x in d.notes)


def test_engine_accumulate_of_mvgaussian_matches_our_monte_carlo():
    sizes, reps = [5, 4, 4], 6000
    ds = simulate("mvgaussian", schedule=Schedule.from_sizes(sizes), T=2, reps=reps, seed=51,
                  workflow="accumulate", dim=2, progress=False)
    names = [str(c) for c in ds["component"].values]
    final = np.asarray(ds["final"].values)
    rng = np.random.default_rng(52)
    mu, cov, data = np.zeros((reps, 2)), np.tile(np.eye(2), (reps, 1, 1)), None
    for n in sizes:
        batch = mu[:, None, :] + np.einsum("rij,rnj->rni", np.linalg.cholesky(cov),
                                           rng.standard_normal((reps, n, 2)))
        data = batch if data is None else np.concatenate([data, batch], axis=1)
        mu = data.mean(axis=1)
        centred = data - mu[:, None, :]
        cov = np.einsum("rni,rnj->rij", centred, centred) / (data.shape[1] - 1)
    for name, own in (("mu[0]", mu[:, 0]), ("Sigma[0,0]", cov[:, 0, 0]),
                      ("Sigma[0,1]", cov[:, 0, 1])):
        engine = final[:, names.index(name)]
        assert abs(_two_sample_z(engine, own)) < Z_TOL, name
        assert abs(_variance_z(engine, own)) < Z_TOL, name
