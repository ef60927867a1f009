"""Family declarations against scipy/mpmath (SPEC section 2), and derive's input validation.

Each family's moment map (the symbolic mean and variance of one step) and each law of the
vocabulary are checked against scipy.stats moments of the same law built independently from
the SPEC table; log-moments against numerical integration; error messages are a contract
(STYLE 5) and matched.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

from modelcollapse import symbols
from modelcollapse.families import Bias, family_names, get_family
from modelcollapse.families.laws import (
    DIMENSION,
    BinomialMean,
    InverseGamma,
    MultinomialMean,
    Normal,
    PoissonMean,
    ScaledChiSquare,
    Wishart,
    digamma_minus_log,
)
from modelcollapse.schedules import Schedule
from modelcollapse.theory import derive

#: symbolic moments evaluated in float against scipy's closed forms: round-off only
REL_TOL = 1e-12
#: log-moments against scipy.integrate.quad (absolute error ~1e-10 on O(1) integrands)
QUAD_TOL = 1e-8
#: D(x) = psi(x) - log(x): the asymptotic series from x = 10 is good to 1e-16 absolutely;
#: below 10 scipy's psi - log loses ~|log x| * eps to cancellation
DML_TOL = 1e-13

SIZES = (3, 7, 50, 1000)
#: parameter values (theta) per parameter name
THETA = {"mu": 0.7, "sigma2": 2.5, "p": 0.3, "lam": 1.7, "rate": 1.3, "Sigma": 2.5, "beta": 0.7}
#: dimension of the least-squares law in these rows: d = 1 keeps n = 3 > d + 1 admissible
DIM = 1


def _scaled(dist, factor):
    """(mean, var) of factor * X for a frozen scipy distribution X."""
    return factor * dist.mean(), factor**2 * dist.var()


#: SPEC section 2, one row per (family, estimator, parameter): the exact one-step law as a
#: scipy (mean, variance) at sample size n and previous value theta (dict of all parameters)
SPEC_LAWS = {
    ("gaussian-mean", "*", "mu"): lambda n, v: _scaled(
        stats.norm(v["mu"], math.sqrt(v["sigma2"] / n)), 1),
    ("gaussian-variance", "unbiased", "sigma2"): lambda n, v: _scaled(
        stats.chi2(n - 1, scale=v["sigma2"] / (n - 1)), 1),
    ("gaussian-variance", "mle", "sigma2"): lambda n, v: _scaled(
        stats.chi2(n - 1, scale=v["sigma2"] / n), 1),
    ("gaussian", "*", "mu"): lambda n, v: _scaled(
        stats.norm(v["mu"], math.sqrt(v["sigma2"] / n)), 1),
    ("gaussian", "unbiased", "sigma2"): lambda n, v: _scaled(
        stats.chi2(n - 1, scale=v["sigma2"] / (n - 1)), 1),
    ("gaussian", "mle", "sigma2"): lambda n, v: _scaled(
        stats.chi2(n - 1, scale=v["sigma2"] / n), 1),
    ("bernoulli", "*", "p"): lambda n, v: _scaled(stats.binom(n, v["p"]), 1 / n),
    ("poisson", "*", "lam"): lambda n, v: _scaled(stats.poisson(n * v["lam"]), 1 / n),
    # lambda n / Gamma(n, 1) = InvGamma(n, scale = lambda n); unbiased: scale lambda (n - 1)
    ("exponential", "mle", "rate"): lambda n, v: _scaled(
        stats.invgamma(n, scale=v["rate"] * n), 1),
    ("exponential", "unbiased", "rate"): lambda n, v: _scaled(
        stats.invgamma(n, scale=v["rate"] * (n - 1)), 1),
    ("categorical", "*", "p"): lambda n, v: _scaled(stats.binom(n, v["p"]), 1 / n),
    ("mvgaussian", "*", "mu"): lambda n, v: _scaled(
        stats.norm(v["mu"], math.sqrt(v["Sigma"] / n)), 1),
    # diagonal entry of Sigma^(1/2) W Sigma^(1/2) / k, W ~ W_d(n-1, I): Sigma_ii chi2_{n-1} / k
    ("mvgaussian", "unbiased", "Sigma"): lambda n, v: _scaled(
        stats.chi2(n - 1, scale=v["Sigma"] / (n - 1)), 1),
    ("mvgaussian", "mle", "Sigma"): lambda n, v: _scaled(
        stats.chi2(n - 1, scale=v["Sigma"] / n), 1),
    # OLS: beta + (X'X)^-1 X' eps, variance sigma2 E(X'X)^-1, X'X ~ Wishart(n, I_d)
    ("linear-regression", "*", "beta"): lambda n, v: (
        v["beta"], v["sigma2"] * float(np.atleast_1d(stats.invwishart(n, np.eye(DIM)).mean())[0])),
}


def _spec_law(family, estimator, name):
    return SPEC_LAWS.get((family, estimator, name)) or SPEC_LAWS[(family, "*", name)]


MOMENT_CASES = [(f, e, p.name) for f in family_names() for e in get_family(f).estimators
                for p in get_family(f).parameters]


def _numeric(expr: sp.Expr, family: str, n: int) -> float:
    fam = get_family(family)
    subs = {symbols.n: n, DIMENSION: DIM}
    for p in (*fam.parameters, *fam.constants):
        subs[p.symbol] = THETA[p.name]
    value = expr.subs(subs)
    assert not value.free_symbols, value
    return float(value)


def test_every_family_and_estimator_has_a_spec_row():
    assert len(MOMENT_CASES) >= 16
    for f, e, name in MOMENT_CASES:
        assert _spec_law(f, e, name) is not None


@pytest.mark.parametrize(("family", "estimator", "name"), MOMENT_CASES,
                         ids=["-".join(c) for c in MOMENT_CASES])
@pytest.mark.parametrize("n", SIZES)
def test_moment_map_matches_scipy(family, estimator, name, n):
    mm = get_family(family).moment_map(name, estimator)
    mean, var = _spec_law(family, estimator, name)(n, THETA)
    assert math.isclose(_numeric(mm.mean, family, n), mean, rel_tol=REL_TOL)
    assert math.isclose(_numeric(mm.variance, family, n), var, rel_tol=REL_TOL)
    assert mm.closes  # every family of SPEC section 2 closes


@pytest.mark.parametrize(("family", "name"), [("gaussian-variance", "sigma2"),
                                              ("exponential", "rate"), ("gaussian-mean", "mu")])
def test_moment_map_bias(family, name):
    """Positive parameters: c(n) m and c(n)^2 v; locations: m + kappa n^-alpha, same v."""
    fam, b, n = get_family(family), Bias(0.8, 0.5), 50
    plain, biased = fam.moment_map(name), fam.moment_map(name, bias=b)
    c = 1 - 0.8 * n**-0.5
    m0, v0 = _numeric(plain.mean, family, n), _numeric(plain.variance, family, n)
    m1, v1 = _numeric(biased.mean, family, n), _numeric(biased.variance, family, n)
    if fam.parameter(name).kind == "location":
        assert math.isclose(m1, m0 + 0.8 * n**-0.5, rel_tol=REL_TOL)
        assert math.isclose(v1, v0, rel_tol=REL_TOL)
    else:
        assert math.isclose(m1, c * m0, rel_tol=REL_TOL)
        assert math.isclose(v1, c**2 * v0, rel_tol=REL_TOL)


# -- the vocabulary of laws --------------------------------------------------------------------

R = sp.Rational
LAW_CASES = [
    (ScaledChiSquare(sp.Integer(9), R(3, 7)), stats.chi2(9, scale=3 / 7), 1.0),
    (ScaledChiSquare(sp.Integer(1), R(5, 2)), stats.chi2(1, scale=5 / 2), 1.0),
    (InverseGamma(sp.Integer(6), R(5, 2)), stats.invgamma(6, scale=5 / 2), 1.0),
    (InverseGamma(sp.Integer(3), R(1, 3)), stats.invgamma(3, scale=1 / 3), 1.0),
    (BinomialMean(sp.Integer(12), R(1, 4)), stats.binom(12, 0.25), 1 / 12),
    (PoissonMean(sp.Integer(8), R(3, 2)), stats.poisson(12), 1 / 8),
    (MultinomialMean(sp.Integer(10), R(2, 5)), stats.binom(10, 0.4), 1 / 10),
    (Normal(R(1, 2), R(9, 4)), stats.norm(0.5, 1.5), 1.0),
]


@pytest.mark.parametrize(("law", "dist", "factor"), LAW_CASES, ids=lambda x: str(x)[:30])
def test_law_moments_match_scipy(law, dist, factor):
    mean, var = _scaled(dist, factor)
    assert math.isclose(float(law.mean()), mean, rel_tol=REL_TOL)
    assert math.isclose(float(law.variance()), var, rel_tol=REL_TOL)


@pytest.mark.parametrize(("df", "scale", "sigma"), [(7, R(1, 6), R(5, 2)), (4, R(1, 4), R(1, 3))])
def test_wishart_diagonal_matches_scipy(df, scale, sigma):
    """scale * Sigma^(1/2) W Sigma^(1/2), W ~ W_d(df, I) is W_d(df, scale * Sigma); its
    diagonal entries have scipy's Wishart mean and variance."""
    law = Wishart(sp.Integer(df), scale, sigma)
    s = float(scale * sigma)
    dist = stats.wishart(df=df, scale=np.diag([s, 2 * s, 0.5 * s]))
    assert math.isclose(float(law.mean()), dist.mean()[0, 0], rel_tol=REL_TOL)
    assert math.isclose(float(law.variance()), dist.var()[0, 0], rel_tol=REL_TOL)


def _log_moments_by_quad(pdf, theta, lo=0.0, hi=np.inf):
    def first(x):
        return np.log(x / theta) * pdf(x)

    mean = integrate.quad(first, lo, hi, limit=400, epsabs=1e-13, epsrel=1e-12)[0]
    var = integrate.quad(lambda x: (np.log(x / theta) - mean) ** 2 * pdf(x), lo, hi, limit=400,
                         epsabs=1e-13, epsrel=1e-12)[0]
    return mean, var


#: (family, estimator, parameter, n, scipy law of the step at theta)
def _chi2_s2(th, n):
    return stats.chi2(n - 1, scale=th / (n - 1))


LOG_CASES = [
    ("gaussian-variance", "unbiased", "sigma2", 5, _chi2_s2),
    ("gaussian-variance", "mle", "sigma2", 5, lambda th, n: stats.chi2(n - 1, scale=th / n)),
    ("gaussian-variance", "unbiased", "sigma2", 60, _chi2_s2),
    ("exponential", "mle", "rate", 4, lambda th, n: stats.invgamma(n, scale=th * n)),
    ("exponential", "unbiased", "rate", 4, lambda th, n: stats.invgamma(n, scale=th * (n - 1))),
    ("exponential", "mle", "rate", 40, lambda th, n: stats.invgamma(n, scale=th * n)),
]


@pytest.mark.parametrize(("family", "estimator", "name", "n", "make"), LOG_CASES,
                         ids=[f"{f}-{e}-n={n}" for f, e, _, n, _ in LOG_CASES])
def test_law_log_moments_match_quadrature(family, estimator, name, n, make):
    fam = get_family(family)
    law = fam.estimator(estimator).laws[name]
    theta_sym = fam.parameter(name).symbol
    theta = THETA[name]
    dist = make(theta, n)
    lo, hi = dist.ppf(1e-15), dist.isf(1e-15)  # mass outside: 2e-15
    mean, var = _log_moments_by_quad(dist.pdf, theta, lo, hi)
    subs = {symbols.n: n, theta_sym: theta}
    assert math.isclose(float(law.log_mean(theta_sym).subs(subs)), mean, abs_tol=QUAD_TOL)
    assert math.isclose(float(law.log_variance(theta_sym).subs(subs)), var, abs_tol=QUAD_TOL)


@pytest.mark.parametrize("x", [0.5, 3.0, 9.99, 10.0, 1e3, 5e11])
def test_digamma_minus_log_matches_mpmath(x):
    with mpmath.workdps(40):
        expected = float(mpmath.digamma(x) - mpmath.log(x))
    assert math.isclose(float(digamma_minus_log(x)), expected, rel_tol=DML_TOL)


def test_digamma_minus_log_vectorised():
    xs = np.array([0.5, 3.0, 9.99, 10.0, 1e3, 5e11])
    with mpmath.workdps(40):
        expected = [float(mpmath.digamma(x) - mpmath.log(x)) for x in xs]
    got = digamma_minus_log(xs)
    assert got.shape == xs.shape
    np.testing.assert_allclose(got, expected, rtol=DML_TOL, atol=0)


# -- derive's input validation -----------------------------------------------------------------

SCHED = Schedule("n0*t", n0=10)

BAD_INPUTS = [
    ("foo", {}, r"unknown family 'foo'; allowed: .*gaussian-variance"),
    ("gaussian-variance", {"estimator": "bayes"},
     r"unknown estimator 'bayes' for gaussian-variance"),
    ("gaussian-variance", {"params": {"sigma": 1.0}}, r"unknown parameter 'sigma' for "
     r"gaussian-variance; allowed: sigma2"),
    ("bernoulli", {"params": {"p": 1.5}}, r"parameter p of bernoulli must be .*\[0, 1\], got 1\.5"),
    ("bernoulli", {"params": {"p": -0.1}}, r"parameter p of bernoulli .*got -0\.1"),
    ("gaussian-variance", {"params": {"sigma2": 0.0}}, r"sigma2 of gaussian-variance must be a "
     r"finite number > 0, got 0\.0"),
    ("gaussian-variance", {"params": {"sigma2": -1.0}}, r"sigma2 .*> 0, got -1\.0"),
    ("mvgaussian", {"params": {"Sigma": -1.0}}, r"Sigma of mvgaussian .*> 0, got -1\.0"),
    ("gaussian-mean", {"params": {"mu": math.nan}}, r"mu of gaussian-mean .*got nan"),
    ("categorical", {"params": {"p": (0.2, 0.3)}}, r"summing to 1, got \(0\.2, 0\.3\)"),
    ("categorical", {"params": {"p": (0.5, 0.7, -0.2)}},
     r"p of categorical .*got \(0\.5, 0\.7, -0\.2\)"),
    ("gaussian-variance", {"dim": 2}, r"gaussian-variance is scalar, got dim=2"),
    ("mvgaussian", {"dim": 0}, r"dim must be an integer >= 1, got 0"),
    ("gaussian-variance", {"T": -1}, r"T must be an integer >= 0 or inf, got -1"),
    ("gaussian-variance", {"T": 1.5}, r"T must be an integer >= 0 or inf, got 1\.5"),
    ("gaussian-variance", {"T": -math.inf}, r"T must be .*got -inf"),
    ("gaussian-variance", {"T": math.nan}, r"T must be .*got nan"),
    ("gaussian-variance", {"schedule": Schedule("1", n0=5)},
     r"n_t must be an integer >= 2 for gaussian-variance, got 1 at t=1"),
    ("exponential", {"schedule": Schedule("n0*t", n0=2)},
     r"n_t must be an integer >= 3 for exponential, got 2 at t=0"),
    ("mvgaussian", {"dim": 3, "schedule": Schedule("n0", n0=3)},
     r"n_t must be an integer >= 4 for mvgaussian, got 3 at t=0"),
    ("gaussian-mean", {"workflow": "pool"},
     r"workflow must be one of replace, accumulate, mix, got 'pool'"),
]


@pytest.mark.parametrize(("family", "kwargs", "match"), BAD_INPUTS,
                         ids=[f"{f}-{sorted(k)}-{i}" for i, (f, k, _) in enumerate(BAD_INPUTS)])
def test_bad_inputs_raise_value_error_naming_the_value(family, kwargs, match):
    kwargs = {"schedule": SCHED, "T": 5, **kwargs}
    with pytest.raises(ValueError, match=match):
        derive(family, **kwargs)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"T": True}, r"T must be an integer >= 0 or inf, got True"),
    ({"params": {"sigma2": "2"}}, r"sigma2 .*must be a finite number > 0, got '2'"),
    ({"bias": (1.0, 0.5)}, r"bias must be a Bias, got tuple"),
])
def test_bad_kinds(kwargs, match):
    """Booleans are not horizons; strings are not numbers (TypeError per STYLE 5, or
    ValueError where the library treats the kind as a bad value)."""
    kwargs = {"schedule": SCHED, "T": 5, **kwargs}
    with pytest.raises((TypeError, ValueError), match=match):
        derive("gaussian-variance", **kwargs)


@pytest.mark.parametrize(("family", "params", "message"), [
    ("categorical", {"p": ("abc",)}, "parameter p of categorical must be at least 2 "
     "probabilities in [0, 1] summing to 1, got ('abc',)"),
    ("categorical", {"p": (0.5, "x")}, "parameter p of categorical must be at least 2 "
     "probabilities in [0, 1] summing to 1, got (0.5, 'x')"),
    ("categorical", {"p": (0.5, None)}, "parameter p of categorical must be at least 2 "
     "probabilities in [0, 1] summing to 1, got (0.5, None)"),
    ("categorical", {"p": [[0.5], [0.2, 0.3]]}, "parameter p of categorical must be at least 2 "
     "probabilities in [0, 1] summing to 1, got [[0.5], [0.2, 0.3]]"),
    ("categorical", {"p": {"a": 1}}, "parameter p of categorical must be at least 2 "
     "probabilities in [0, 1] summing to 1, got {'a': 1}"),
    ("bernoulli", {"p": "0.5"}, "parameter p of bernoulli must be a number in [0, 1], "
     "got '0.5'"),
    ("bernoulli", {"p": True}, "parameter p of bernoulli must be a number in [0, 1], got True"),
    ("mvgaussian", {"mu": ("abc",)}, "parameter mu of mvgaussian must be a finite real number "
     "or a sequence of them (one per coordinate), got ('abc',)"),
    ("mvgaussian", {"mu": [[1, 2]]}, "parameter mu of mvgaussian must be a finite real number "
     "or a sequence of them (one per coordinate), got [[1, 2]]"),
    ("linear-regression", {"sigma2": "a"}, "parameter sigma2 of linear-regression must be a "
     "finite number > 0, got 'a'"),
])
def test_a_parameter_value_that_is_not_a_number_is_one_type_error(family, params, message):
    """Every kind of non-number (a string in a vector, None, a nested or ragged list, a dict,
    a bool) is the same one-line TypeError naming the parameter and what it takes; before, a
    string inside a vector leaked float()'s "could not convert string to float"."""
    with pytest.raises(TypeError) as info:
        derive(family, params=params, T=2)
    assert str(info.value) == message


@pytest.mark.parametrize("value", [np.int64(1), np.float32(0.5), Fraction(1, 4)])
def test_numpy_and_exact_numbers_are_numbers(value):
    """A numpy integer or a fraction is a number: the same moments as the float (Bernoulli:
    E p_T = p, Var p_1 = p (1 - p) (1/n0 + 1/n1 - 1/(n0 n1)) for two binomial steps)."""
    p = float(value)
    d = derive("bernoulli", params={"p": value}, schedule=Schedule("n0", n0=10), T=1)
    assert d.values["mean_T"] == pytest.approx(p)
    assert d.values["variance_T"] == pytest.approx(p * (1 - p) * (1 / 10 + 1 / 10 - 1 / 100))
