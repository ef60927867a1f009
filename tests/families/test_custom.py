"""User-defined families: moment maps, log-densities, the linearised (asymptotic) route.

Expected values are computed here independently from the sample sizes, with mpmath, from the
textbook formulas (products and sums over t = 0..T, generation 0 included), never from the
library's own solvers.
"""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

from modelcollapse.errors import NoClosedFormError
from modelcollapse.families import _REGISTRY, Bias, family_names, get_family, register
from modelcollapse.families.custom import (
    UserFamily,
    fisher_information,
    from_log_density,
    from_moment_map,
    linearised,
)
from modelcollapse.schedules import Schedule
from modelcollapse.theory import derive

N0, T = 10, 50
#: n_0 = 10, n_t = ceil(10 t): the schedule "n0*t" with n0 = 10, written out independently
SIZES = [N0] + [N0 * t for t in range(1, T + 1)]
SCHEDULE = Schedule("n0*t", n0=N0)
REL = 1e-11


@pytest.fixture(autouse=True)
def clean_registry():
    """Remove every family a test registers."""
    before = set(_REGISTRY)
    yield
    for name in set(_REGISTRY) - before:
        del _REGISTRY[name]


def inverse_sum(sizes=SIZES) -> mpmath.mpf:
    """sum_{t=0}^{T} 1/n_t."""
    return mpmath.fsum(mpmath.mpf(1) / k for k in sizes)


def test_sizes_match_the_schedule():
    assert SCHEDULE.sizes(T).tolist() == SIZES


# ------------------------------------------------------------------------------------------
# moment maps
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("theta", [1.0, 2.5])
def test_variance_map_closes_exactly(theta):
    fam = from_moment_map("my-var", parameter="theta", mean="theta",
                          variance="2*theta**2/(n-1)", domain="positive", kind="scale",
                          register=True)
    d = derive(fam, schedule=SCHEDULE, T=T, params={"theta": theta})
    th = mpmath.mpf(theta)
    expected = th**2 * (mpmath.fprod((k + 1) / mpmath.mpf(k - 1) for k in SIZES) - 1)
    assert d.values["variance_T"] == pytest.approx(float(expected), rel=REL)
    assert d.values["mean_T"] == pytest.approx(theta, rel=REL)
    assert d.values["collapses"] is True  # linear growth: S_inf diverges


def test_variance_map_with_bias():
    fam = from_moment_map("my-var-biased", parameter="theta", mean="theta",
                          variance="2*theta**2/(n-1)", domain="positive", kind="scale",
                          register=True)
    d = derive(fam, schedule=SCHEDULE, T=T, bias=Bias(1, 1))
    expected = mpmath.fprod(1 - mpmath.mpf(1) / k for k in SIZES)  # theta* = 1 (default)
    assert d.values["mean_T"] == pytest.approx(float(expected), rel=REL)


def test_location_map_mean_drifts_by_inverse_sum():
    fam = from_moment_map("my-shift", parameter="theta", mean="theta + 1/n", variance="1/n",
                          register=True)
    d = derive(fam, schedule=SCHEDULE, T=T, params={"theta": 0.3})
    assert d.values["mean_T"] == pytest.approx(float(mpmath.mpf("0.3") + inverse_sum()),
                                               rel=REL)
    assert d.values["variance_T"] == pytest.approx(float(inverse_sum()), rel=REL)


def test_user_estimator_is_the_default():
    fam = from_moment_map("my-est", parameter="theta", mean="theta", variance="theta**2/n",
                          domain="positive", kind="scale")
    assert isinstance(fam, UserFamily)
    assert fam.default_estimator == "user" and list(fam.estimators) == ["user"]
    law = fam.estimator().laws["theta"]
    assert type(law).__name__ == "Normal"
    assert fam.parameters[0].default == 1.0
    assert fam.texts == {"mean": "theta", "variance": "theta**2/n"}


@pytest.mark.parametrize(("variance", "given", "expected"), [
    ("2*theta**2/(n-1)", 1, 2),
    ("theta**2/((n-2)*(n-3))", 1, 4),
    ("theta**2/n", 1, 1),
    ("theta**2/(n-1)", 5, 5),
])
def test_min_size_is_raised_above_poles(variance, given, expected):
    fam = from_moment_map("my-poles", parameter="theta", mean="theta", variance=variance,
                          domain="positive", kind="scale", min_size=given)
    assert fam.estimator().min_size == expected


def test_non_closing_map_raises_and_linearised_version_derives():
    fam = from_moment_map("my-cubic", parameter="theta", mean="theta", variance="theta**3/n",
                          domain="positive", kind="scale", register=True)
    assert not fam.moment_map().closes
    with pytest.raises(NoClosedFormError, match="my-cubic"):
        derive(fam, schedule=SCHEDULE, T=T)
    lin = linearised(fam, 2.0, register=True)
    assert lin.origin == "linearised" and lin.theta_star == 2.0
    assert get_family(lin.name) is lin
    d = derive(lin, schedule=SCHEDULE, T=T)
    # V(theta) = theta^3, so V(theta*) = 8 and Var = V(theta*) sum_{t=0}^T 1/n_t
    assert d.values["variance_T"] == pytest.approx(float(8 * inverse_sum()), rel=REL)
    assert d.values["mean_T"] == pytest.approx(2.0, rel=REL)


def test_linearised_nonlinear_mean():
    fam = from_moment_map("my-curved", parameter="theta", mean="theta + theta**2/n",
                          variance="theta**3/n", domain="positive", kind="scale")
    lin = linearised(fam, 2.0, register=True)
    d = derive(lin, schedule=SCHEDULE, T=T)
    # first order around theta* = 2: D_t = theta*^2/n_t + (1 + 2 theta*/n_t) D_{t-1}, D_-1 = 0,
    # V_t = (1 + 2 theta*/n_t)^2 V_{t-1} + theta*^3/n_t
    star = mpmath.mpf(2)
    dev = var = mpmath.mpf(0)
    for k in SIZES:
        slope = 1 + 2 * star / k
        dev = star**2 / k + slope * dev
        var = slope**2 * var + star**3 / k
    assert d.values["mean_T"] == pytest.approx(float(star + dev), rel=REL)
    assert d.values["variance_T"] == pytest.approx(float(var), rel=REL)


def test_linearised_default_name_encodes_theta_star():
    fam = from_moment_map("my-cubic", parameter="theta", mean="theta", variance="theta**3/n",
                          domain="positive", kind="scale")
    assert linearised(fam, 2.0).name == "my-cubic-at-2p0"
    assert linearised(fam, 0.25).name == "my-cubic-at-0p25"
    assert linearised(fam, 2.0, name="mine").name == "mine"


def test_linearised_rejects_bad_inputs():
    fam = from_moment_map("my-cubic", parameter="theta", mean="theta", variance="theta**3/n",
                          domain="positive", kind="scale")
    with pytest.raises(ValueError, match="must be a finite number > 0"):
        linearised(fam, -1.0)
    with pytest.raises(ValueError, match="one scalar parameter"):
        linearised("gaussian", 1.0)


# ------------------------------------------------------------------------------------------
# log-densities
# ------------------------------------------------------------------------------------------
def _rational(x: float) -> sp.Rational:
    return sp.Rational(repr(x))


DENSITIES = [
    # name, parameter, log-density, support, domain, kind, I(theta) as a function of the symbol
    ("exponential", "lam", "log(lam) - lam*x", ("0", "oo"), "positive", "rate",
     lambda th: 1 / th**2),
    ("normal-mean", "mu", "-(x-mu)**2/2 - log(sqrt(2*pi))", ("-oo", "oo"), "real",
     "location", lambda th: sp.Integer(1)),
    ("normal-var", "v", "-(x**2)/(2*v) - log(sqrt(2*pi*v))", ("-inf", "inf"), "positive",
     "scale", lambda th: 1 / (2 * th**2)),
    ("rayleigh", "sigma", "log(x) - 2*log(sigma) - x**2/(2*sigma**2)", ("0", "oo"), "positive",
     "scale", lambda th: 4 / th**2),
    ("pareto", "a", "log(a) - (a + 1)*log(x)", ("1", "oo"), "positive", "scale",
     lambda th: 1 / th**2),
    # N(theta, theta): I = 1/theta + 1/(2 theta^2); 1/I is not a polynomial (does not close)
    ("normal-mean-var", "th", "-(x-th)**2/(2*th) - log(sqrt(2*pi*th))", ("-oo", "oo"),
     "positive", "scale", lambda th: 1 / th + 1 / (2 * th**2)),
]


@pytest.mark.parametrize(("label", "param", "text", "support", "domain", "kind", "known"),
                         DENSITIES, ids=[d[0] for d in DENSITIES])
def test_fisher_information_matches_known(label, param, text, support, domain, kind, known):
    default = 0.0 if domain == "real" else 1.0
    fam = from_log_density(f"my-{label}", parameter=param, log_density=text, support=support,
                           domain=domain, kind=kind, default=default)
    th = fam.parameters[0].symbol
    info = fisher_information(fam)
    assert sp.simplify(info - known(th)) == 0
    assert fam.fisher == info and fam.origin == "log-density"
    law = fam.estimator().laws[param]
    assert law.loc == th
    assert sp.simplify(law.var - 1 / (sp.Symbol("n", positive=True) * known(th))) == 0


@pytest.mark.parametrize(("label", "param", "text", "support", "domain", "kind", "known"),
                         DENSITIES, ids=[d[0] for d in DENSITIES])
def test_asymptotic_variance_from_fisher(label, param, text, support, domain, kind, known):
    star = 0.7 if domain == "real" else 2.0
    fam = from_log_density(f"my-{label}", parameter=param, log_density=text, support=support,
                           domain=domain, kind=kind, default=star)
    lin = linearised(fam, star, register=True)
    d = derive(lin, schedule=SCHEDULE, T=T)
    inverse_info = 1 / known(_rational(star))
    expected = mpmath.mpf(sp.Float(inverse_info, 30)) * inverse_sum()
    assert d.values["variance_T"] == pytest.approx(float(expected), rel=REL)
    assert d.values["mean_T"] == pytest.approx(star, rel=REL)
    assert fisher_information(lin) == fisher_information(fam)


def test_exponential_normal_law_closes_exactly():
    # Var = lam^2/n is quadratic: V_t = (1 + 1/n_t) V_{t-1} + lam^2/n_t exactly, so
    # Var_T = lam^2 (prod_t (1 + 1/n_t) - 1), which is lam^2 sum_t 1/n_t to first order
    fam = from_log_density("my-expo", parameter="lam", log_density="log(lam) - lam*x",
                           support=("0", "oo"), kind="rate", default=2.0, register=True)
    assert fam.moment_map().closes
    d = derive(fam, schedule=SCHEDULE, T=T)
    expected = 4 * (mpmath.fprod(1 + mpmath.mpf(1) / k for k in SIZES) - 1)
    assert d.values["variance_T"] == pytest.approx(float(expected), rel=REL)


def test_non_closing_density_raises_from_derive():
    fam = from_log_density("my-nmv", parameter="th",
                           log_density="-(x-th)**2/(2*th) - log(sqrt(2*pi*th))", register=True)
    with pytest.raises(NoClosedFormError, match="my-nmv"):
        derive(fam, schedule=SCHEDULE, T=T)


def test_cauchy_location_non_polynomial_route():
    fam = from_log_density("my-cauchy", parameter="mu",
                           log_density="-log(pi) - log(1 + (x - mu)**2)", domain="real",
                           kind="location", default=0.0)
    assert fisher_information(fam) == sp.Rational(1, 2)


def test_fisher_information_needs_a_density_family():
    fam = from_moment_map("my-plain", parameter="theta", mean="theta", variance="1/n")
    with pytest.raises(ValueError, match="no Fisher information"):
        fisher_information(fam)


# ------------------------------------------------------------------------------------------
# bad inputs
# ------------------------------------------------------------------------------------------
def _mm(**kw):
    args = {"parameter": "theta", "mean": "theta", "variance": "theta**2/n",
            "domain": "positive", "kind": "scale"}
    args.update(kw)
    return from_moment_map(args.pop("name", "my-bad"), **args)


def _ld(**kw):
    args = {"parameter": "lam", "log_density": "log(lam) - lam*x", "support": ("0", "oo")}
    args.update(kw)
    return from_log_density(args.pop("name", "my-bad"), **args)


BAD = [
    ("eval-variance", lambda: _mm(variance="__import__('os')"), r"call .*__import__.* not allowed"),
    ("eval-mean", lambda: _mm(mean="theta.__class__"), r"not allowed"),
    ("unknown-name", lambda: _mm(mean="theta + y"), r"unknown name 'y' in mean of family my-bad"),
    ("x-in-moment-map", lambda: _mm(variance="x/n"), r"unknown name 'x'"),
    ("empty-name", lambda: _mm(name=""), r"family name must not be empty"),
    ("bad-name", lambda: _mm(name="My Family"), r"family name 'My Family' is not allowed"),
    ("trailing-hyphen", lambda: _mm(name="fam-"), r"is not allowed"),
    ("parameter-n", lambda: _mm(parameter="n"), r"parameter 'n' is reserved"),
    ("parameter-bad", lambda: _mm(parameter="2x"), r"parameter '2x' is not a valid name"),
    ("parameter-dunder", lambda: _mm(parameter="__x"), r"not a valid name"),
    ("domain", lambda: _mm(domain="complex"), r"domain must be one of real, positive"),
    ("kind", lambda: _mm(kind="covariance"), r"kind must be one of location, scale"),
    ("default", lambda: _mm(default=-1.0), r"must be a finite number > 0, got -1.0"),
    ("min-size", lambda: _mm(min_size=0), r"min_size must be an integer >= 1"),
    ("negative-variance", lambda: _mm(variance="-theta/n"), r"variance .* is negative"),
    ("pole-everywhere", lambda: _mm(variance="theta/(n - n)"), r"division by zero"),
    ("eval-density", lambda: _ld(log_density="__import__('os').system('ls')"), r"not allowed"),
    ("not-normalised", lambda: _ld(log_density="log(lam) - 2*lam*x"),
     r"density integrates to 1/2 over \(0, oo\), not 1"),
    ("not-normalised-theta", lambda: _ld(log_density="-lam*x"),
     r"density integrates to 1/lam over \(0, oo\), not 1"),
    ("support-text", lambda: _ld(support=("0", "banana")),
     r"unknown name 'banana' in support bound"),
    ("support-eval", lambda: _ld(support=("0", "__import__('os')")), r"not allowed"),
    ("support-order", lambda: _ld(support=("1", "0")), r"low < high"),
    ("support-shape", lambda: _ld(support=("0",)), r"support must be a pair"),
    ("no-parameter", lambda: _ld(log_density="-x"), r"does not depend on lam"),
    ("no-variable", lambda: _ld(log_density="log(lam)"), r"does not depend on x"),
    ("variable-is-parameter", lambda: _ld(variable="lam"), r"must differ"),
    # a law free of the parameter used to be accepted, then derive failed with KeyError
    ("law-no-parameter", lambda: _mm(mean=None, variance=None, law="Gamma(n, 1)/n"),
     r"family my-bad: the law 'Gamma\(n, 1\)/n' does not depend on theta"),
    ("law-no-parameter-normal", lambda: _mm(mean=None, variance=None,
                                            law="1 + 2*Normal(0, 1/n)"),
     r"does not depend on theta"),
    ("law-no-parameter-density", lambda: _ld(law="Gamma(n, 1)/n"), r"does not depend on lam"),
    ("sympy-cannot", lambda: _ld(log_density="-x**2/2 - lam*exp(x)", support=("-oo", "oo")),
     r"SymPy could not compute the integral of the density"),
]


@pytest.mark.parametrize(("make", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_inputs_raise_one_line_value_errors(make, message):
    with pytest.raises(ValueError, match=message) as info:
        make()
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------------------------------
# registry
# ------------------------------------------------------------------------------------------
def test_register_and_duplicate():
    fam = from_moment_map("my-registered", parameter="theta", mean="theta", variance="1/n",
                          register=True)
    assert get_family("my-registered") is fam
    assert "my-registered" in family_names()
    with pytest.raises(ValueError, match="registered already"):
        from_moment_map("my-registered", parameter="theta", mean="theta", variance="2/n",
                        register=True)
    with pytest.raises(ValueError, match="registered already"):
        from_log_density("gaussian", parameter="mu", log_density="-(x-mu)**2/2 - log(sqrt(2*pi))",
                         domain="real", kind="location", default=0.0, register=True)
    assert get_family("my-registered") is fam


def test_not_registered_by_default():
    from_moment_map("my-unregistered", parameter="theta", mean="theta", variance="1/n")
    assert "my-unregistered" not in family_names()


def test_registry_was_cleaned():
    # runs after the tests above: none of their families is left behind
    assert not [name for name in family_names() if name.startswith("my-")]


def test_manual_register_works_too():
    fam = from_moment_map("my-manual", parameter="theta", mean="theta", variance="1/n")
    register(fam)
    assert get_family("my-manual") is fam
