"""Moments of any real order r of a positive parameter (E theta_T^r), against mpmath products of
Gamma ratios written here from the laws, the published E sigma_T = alpha(n)^(T+1) sigma of the
Gaussian standard deviation (r = 1/2 of the variance), and a Monte Carlo of the walk."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from modelcollapse import symbols
from modelcollapse.families import Bias, from_moment_map, get_family
from modelcollapse.schedules import Schedule
from modelcollapse.theory import derive
from modelcollapse.theory.moments import power_moment
from tests.validation.zscores import mean_z

mpmath.mp.dps = 50
REL = 1e-10
Z_TOL = 5.0  # |z| of a Monte Carlo mean: two-sided tail 5.7e-7 per comparison

UNIFORM_MAX = from_moment_map("tmp-power-umax", parameter="theta", domain="positive",
                              kind="scale", law="theta * (n + 1)/n * Beta(n, 1)")


def _ratio(x, a):
    return mpmath.gamma(mpmath.mpf(x) + a) / mpmath.gamma(mpmath.mpf(x))


def oracle(family: str, estimator: str, sizes, r, theta=1.0, bias=None):
    """E theta_T^r = theta^r prod_t E[R_t^r] with R_t the step factor of each law."""
    r = mpmath.mpf(r)
    out = mpmath.mpf(theta) ** r
    for n in sizes:
        n = mpmath.mpf(int(n))
        c = 1 - bias[0] * n ** (-bias[1]) if bias else 1
        if family == "gaussian-variance":  # R = c chi2_{n-1} / (n - 1 or n)
            k = n - 1
            div = k if estimator == "unbiased" else n
            out *= (c * 2 / div) ** r * _ratio(k / 2, r)
        elif family == "exponential":  # R = c m / G, G ~ Gamma(n, 1), m = n or n - 1
            m = n if estimator == "mle" else n - 1
            out *= (c * m) ** r * _ratio(n, -r)
        elif family == "uniform-max":  # R = c (n + 1)/n B, B ~ Beta(n, 1): E B^r = n/(n + r)
            out *= (c * (n + 1) / n) ** r * n / (n + r)
    return float(out)


CASES = [
    ("gaussian-variance", "unbiased", "n0", 10, 20, 0.5),
    ("gaussian-variance", "unbiased", "n0*t", 10, 200, 3.0),
    ("gaussian-variance", "mle", "n0*t**1.5", 5, 50, -1.5),
    ("gaussian-variance", "unbiased", "n0*t**2", 100, 10**5, 0.5),
    ("exponential", "mle", "n0*t", 10, 100, 2.5),
    ("exponential", "unbiased", "n0", 20, 30, -0.7),
    ("uniform-max", "user", "n0*t", 10, 100, 1.7),
]


@pytest.mark.parametrize(("family", "estimator", "schedule", "n0", "T", "r"), CASES)
def test_power_moment_against_gamma_products(family, estimator, schedule, n0, T, r):
    fam = UNIFORM_MAX if family == "uniform-max" else get_family(family)
    name = fam.parameters[0].name
    sizes = Schedule(schedule, n0=n0).sizes(T, minimum=fam.estimator(estimator).min_size)
    got = power_moment(fam, {name: np.array([2.0])}, sizes, r, estimator=estimator)
    assert got.reason is None
    assert math.isclose(got.value, oracle(family, estimator, sizes, r, theta=2.0), rel_tol=REL)


def test_power_moment_with_bias():
    fam = get_family("gaussian-variance")
    sizes = Schedule("n0*t**1.5", n0=10).sizes(30)
    got = power_moment(fam, {"sigma2": np.array([1.0])}, sizes, 0.5, bias=Bias(1.0, 0.5))
    assert math.isclose(got.value, oracle("gaussian-variance", "unbiased", sizes, 0.5,
                                          bias=(1.0, 0.5)), rel_tol=REL)


@pytest.mark.parametrize(("n", "T"), [(10, 0), (10, 9), (50, 99)])
def test_standard_deviation_shrinks_like_alpha_n_to_the_generations(n, T):
    """E sigma_T = alpha(n)^(T+1) sigma, alpha(n) = E sqrt(chi2_{n-1}/(n-1))
    = sqrt(2/(n-1)) Gamma(n/2)/Gamma((n-1)/2): T + 1 fits, generation 0 included."""
    alpha = mpmath.sqrt(mpmath.mpf(2) / (n - 1)) * mpmath.gamma(mpmath.mpf(n) / 2) \
        / mpmath.gamma(mpmath.mpf(n - 1) / 2)
    got = power_moment(get_family("gaussian-variance"), {"sigma2": np.array([4.0])},
                       np.full(T + 1, n), 0.5)
    assert math.isclose(got.value, float(alpha ** (T + 1) * 2), rel_tol=REL)


def test_moments_that_do_not_exist_say_why():
    # E[(chi2_{k}/k)^r] needs k/2 + r > 0: with n = 5, k = 4, r = -2 fails
    got = power_moment(get_family("gaussian-variance"), {"sigma2": np.array([1.0])},
                       np.array([5, 5]), -2.0)
    assert got.value is None
    assert got.reason.startswith("E[sigma2_T^r] does not exist for r = -2: it needs n/2 - 1/2 "
                                 "+ (1)*r > 0, which fails at t=0, n_t=5")
    # E[lambda^r] of the exponential rate needs n - r > 0
    got = power_moment(get_family("exponential"), {"rate": np.array([1.0])}, np.array([3, 3]),
                       3.0)
    assert got.value is None and "n + (-1)*r > 0" in got.reason
    assert power_moment(get_family("bernoulli"), {"p": np.array([0.5])}, np.array([3]),
                        0.5).reason == ("bernoulli has no positive parameter with an exact "
                                        "multiplicative law")


def test_power_moment_against_monte_carlo():
    """Independent draws of the walk: sigma2_t = sigma2_(t-1) chi2_{n-1}/(n-1), then the
    sample mean of sigma2_T^r."""
    rng = np.random.default_rng(20261129)
    n, T, r, reps = 8, 15, 0.5, 200_000
    x = np.ones(reps)
    for _ in range(T + 1):
        x = x * rng.chisquare(n - 1, size=reps) / (n - 1)
    theory = power_moment(get_family("gaussian-variance"), {"sigma2": np.array([1.0])},
                          np.full(T + 1, n), r).value
    assert abs(mean_z(x**r, theory)) < Z_TOL


def test_derive_reports_moment_T_and_its_formula():
    n, T = 10, 9
    d = derive("gaussian-variance", schedule=Schedule("n0", n0=n), T=T, moment=0.5)
    alpha = mpmath.sqrt(mpmath.mpf(2) / (n - 1)) * mpmath.gamma(mpmath.mpf(n) / 2) \
        / mpmath.gamma(mpmath.mpf(n - 1) / 2)
    assert math.isclose(d.values["moment_T"], float(alpha ** (T + 1)), rel_tol=REL)
    # the symbolic product, evaluated at constant n, is the same number
    expr = d.expressions["moment_T"].subs(symbols.T, T).doit()
    sig = get_family("gaussian-variance").parameters[0].symbol
    value = expr.subs(sig, 1).replace(lambda e: isinstance(e, sp.Indexed), lambda e: n)
    assert math.isclose(float(value.doit()), float(alpha ** (T + 1)), rel_tol=REL)
    none = derive("gaussian-variance", schedule=Schedule("n0", n0=5), T=3, moment=-3)
    assert none.values["moment_T"] is None
    assert any("does not exist for r = -3" in note for note in none.notes)
    assert "moment_T" not in derive("gaussian-variance", T=3).values
