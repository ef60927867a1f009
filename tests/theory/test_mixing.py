"""The mix workflow (SPEC section 7): exact moments, stationary limits, optimal weight."""

import math

import numpy as np
import pytest

from modelcollapse.errors import NoClosedFormError
from modelcollapse.families import Bias, get_family
from modelcollapse.schedules import Schedule
from modelcollapse.theory.derive import derive


def _stationary_gaussian(n, k, w, sigma2=1.0):
    return sigma2 / n * (w**2 / k + (1 - w) ** 2) / (1 - (1 - w) ** 2)


@pytest.mark.parametrize(("k", "w"), [(1, 0.5), (2, 0.3), (0.5, 1.0)])
def test_gaussian_mean_stationary_variance(k, w):
    d = derive("gaussian-mean", schedule=Schedule("n0", n0=20), T=math.inf,
               workflow="mix", real_ratio=k, real_weight=w)
    assert d.values["variance_T"] == pytest.approx(_stationary_gaussian(20, k, w), rel=1e-12)
    assert d.values["mean_T"] == pytest.approx(0.0)
    assert d.values["collapses"] is False
    assert d.values["required_growth_exponent"] == 0


@pytest.mark.parametrize("k", [1, 2, 3, 0.5])
def test_optimal_weight_formula(k):
    d = derive("gaussian-mean", schedule=Schedule("n0", n0=10), T=math.inf,
               workflow="mix", real_ratio=k, real_weight="optimal")
    best = (math.sqrt(k * (k + 4)) - k) / 2
    assert d.values["optimal_real_weight"] == pytest.approx(best, rel=1e-12)
    assert d.values["real_weight"] == pytest.approx(best, rel=1e-12)
    assert d.values["variance_T"] == pytest.approx(_stationary_gaussian(10, k, best), rel=1e-12)
    # the minimum: nearby weights give a larger stationary variance
    for other in (best - 0.05, min(best + 0.05, 1.0)):
        assert _stationary_gaussian(10, k, other) > d.values["variance_T"]


def test_golden_ratio_at_k1():
    d = derive("gaussian-mean", T=5, workflow="mix", real_ratio=1)
    assert d.values["optimal_real_weight"] == pytest.approx((math.sqrt(5) - 1) / 2)


def test_finite_T_converges_to_stationary():
    sched = Schedule("n0", n0=10)
    finite = derive("gaussian-mean", schedule=sched, T=400, workflow="mix", real_ratio=1,
                    real_weight=0.4)
    limit = derive("gaussian-mean", schedule=sched, T=math.inf, workflow="mix", real_ratio=1,
                   real_weight=0.4)
    assert finite.values["variance_T"] == pytest.approx(limit.values["variance_T"], rel=1e-10)


def test_growing_schedule_limit_is_zero_variance():
    d = derive("gaussian-mean", schedule=Schedule("n0*(t+1)", n0=10), T=math.inf,
               workflow="mix", real_ratio=1, real_weight=0.5)
    assert d.values["variance_T"] == pytest.approx(0.0, abs=1e-15)


def _mc_gaussian_mean(sizes, k, w, reps, rng, sigma2=1.0):
    theta = np.zeros(reps)
    for n in sizes:
        real = rng.normal(0.0, math.sqrt(sigma2 / (k * n)), reps)
        synth = rng.normal(theta, math.sqrt(sigma2 / n))
        theta = w * real + (1 - w) * synth
    return theta


def _mc_gaussian_variance(sizes, k, w, reps, rng, sigma2=1.0):
    """Unbiased variance: (n - 1) s^2 / sigma^2 ~ chi^2_(n-1)."""
    theta = np.full(reps, sigma2)
    for n in sizes:
        kn = int(round(k * n))
        real = sigma2 * rng.chisquare(kn - 1, reps) / (kn - 1)
        synth = theta * rng.chisquare(n - 1, reps) / (n - 1)
        theta = w * real + (1 - w) * synth
    return theta


def _mc_bernoulli(sizes, k, w, reps, rng, p=0.3):
    theta = np.full(reps, p)
    for n in sizes:
        kn = int(round(k * n))
        real = rng.binomial(kn, p, reps) / kn
        synth = rng.binomial(n, theta) / n
        theta = w * real + (1 - w) * synth
    return theta


def _z_checks(draws, mean, variance):
    reps = len(draws)
    z_mean = (draws.mean() - mean) / math.sqrt(variance / reps)
    # standard error of the sample variance from the fourth central moment
    dev = draws - draws.mean()
    se_var = math.sqrt(max(np.mean(dev**4) - np.mean(dev**2) ** 2, 1e-300) / reps)
    z_var = (draws.var(ddof=1) - variance) / se_var
    return z_mean, z_var


@pytest.mark.parametrize(("family", "mc", "params", "k", "w"), [
    ("gaussian-mean", _mc_gaussian_mean, {}, 1, 0.3),
    ("gaussian-mean", _mc_gaussian_mean, {}, 2, 0.7),
    ("gaussian-variance", _mc_gaussian_variance, {}, 1, 0.4),
    ("gaussian-variance", _mc_gaussian_variance, {}, 3, 0.2),
    ("bernoulli", _mc_bernoulli, {"p": 0.3}, 2, 0.5),
])
def test_derive_matches_monte_carlo(family, mc, params, k, w):
    sizes = [10, 12, 15, 10, 20, 10, 10, 10]
    schedule = Schedule.from_sizes(sizes)
    d = derive(family, schedule=schedule, T=len(sizes) - 1, workflow="mix",
               real_ratio=k, real_weight=w, params=params or None)
    draws = mc(sizes, k, w, 200_000, np.random.default_rng(12345))
    z_mean, z_var = _z_checks(draws, d.values["mean_T"], d.values["variance_T"])
    assert abs(z_mean) < 5 and abs(z_var) < 5, (z_mean, z_var)


def test_variance_family_optimal_weight_is_a_minimum():
    sched = Schedule("n0", n0=10)
    best = derive("gaussian-variance", schedule=sched, T=math.inf, workflow="mix",
                  real_ratio=1).values
    for other in (best["optimal_real_weight"] - 0.05, best["optimal_real_weight"] + 0.05):
        v = derive("gaussian-variance", schedule=sched, T=math.inf, workflow="mix",
                   real_ratio=1, real_weight=other).values["variance_T"]
        assert v > best["variance_T"]


def test_arguments_checked():
    with pytest.raises(ValueError, match="real_weight"):
        derive("gaussian-mean", T=3, workflow="mix", real_weight=0)
    with pytest.raises(ValueError, match="real_weight"):
        derive("gaussian-mean", T=3, workflow="mix", real_weight="best")
    with pytest.raises(ValueError, match="real_ratio"):
        derive("gaussian-mean", T=3, workflow="mix", real_ratio=-1)
    with pytest.raises(ValueError, match="apply to workflow 'mix'"):
        derive("gaussian-mean", T=3, real_ratio=2)
    assert not isinstance(NoClosedFormError, type(None))


@pytest.mark.parametrize(("family", "estimator"), [
    ("exponential", "mle"), ("gaussian-variance", "mle"), ("bernoulli", None), ("gaussian", None),
])
def test_optimal_weight_is_a_minimum_for_other_families(family, estimator):
    """w* minimises the stationary mean squared error V + (M - theta*)^2 of the first
    parameter (the variance where the fit is unbiased; the MLEs here are biased)."""
    sched = Schedule("n0", n0=20)
    fam = get_family(family)
    truth = fam.parameters[0].default

    def first(values):
        v, m = values["variance_T"], values["mean_T"]
        v, m = (v["mu"], m["mu"]) if isinstance(v, dict) else (v, m)
        return v + (m - truth) ** 2

    best = derive(family, schedule=sched, T=math.inf, workflow="mix", real_ratio=1,
                  estimator=estimator).values
    w = best["optimal_real_weight"]
    assert 0 < w <= 1
    for other in (w - 0.03, min(w + 0.03, 1.0)):
        v = first(derive(family, schedule=sched, T=math.inf, workflow="mix", real_ratio=1,
                         estimator=estimator, real_weight=other).values)
        assert v > first(best)


def test_biased_real_fit_matches_monte_carlo():
    """The MLE variance is biased on the real data too: m' = w m(theta*, K n) + ..."""
    sizes, k, w, reps = [10, 10, 10, 10, 10, 10], 2, 0.4, 200_000
    d = derive("gaussian-variance", schedule=Schedule.from_sizes(sizes), T=len(sizes) - 1,
               estimator="mle", workflow="mix", real_ratio=k, real_weight=w)
    rng = np.random.default_rng(99)
    theta = np.ones(reps)
    for n in sizes:
        real = rng.chisquare(k * n - 1, reps) / (k * n)
        theta = w * real + (1 - w) * theta * rng.chisquare(n - 1, reps) / n
    z_mean, z_var = _z_checks(theta, d.values["mean_T"], d.values["variance_T"])
    assert abs(z_mean) < 5 and abs(z_var) < 5, (z_mean, z_var)


@pytest.mark.parametrize(("n0", "bias"), [(20, Bias(5, 1)), (100, Bias(2, 0.5)), (20, None)])
def test_optimal_weight_minimises_the_stationary_mean_squared_error(n0, bias):
    """Biased fits shrink the estimate: the variance alone falls as w -> 0 with the mean
    (w* = 1e-9 was returned, or 1 at a maximum). The optimum of V + (M - 1)^2 over a grid of
    weights, each from the stationary moments at that fixed weight, is not beaten by w*."""
    schedule = Schedule("n0", n0=n0)

    def mse(weight):
        values = derive("gaussian-variance", schedule=schedule, T=math.inf, bias=bias,
                        workflow="mix", real_weight=weight).values
        if values["variance_T"] is None:  # no stationary variance at this weight
            return math.inf, values
        return values["variance_T"] + (values["mean_T"] - 1) ** 2, values

    grid = np.linspace(0.01, 1, 100)
    errors = [mse(float(w))[0] for w in grid]
    best, values = mse("optimal")
    assert best <= min(errors) + 1e-12
    assert abs(values["optimal_real_weight"] - grid[int(np.argmin(errors))]) <= 0.01
    assert values["mean_T"] > 0.5  # not an estimate shrunk to nothing
