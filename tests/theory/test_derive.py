"""Correctness of :func:`modelcollapse.theory.derive` against SPEC sections 1-3.

Every expected number is computed here, independently of the library: the SPEC formulas
written out as direct products and sums in mpmath at ``DPS`` digits (or exact enumeration,
or a fixed-seed Monte Carlo), never by calling the library's solvers. Only the schedule's
sizes ``n_0..n_T`` (``Schedule.sizes``, tested in ``tests/test_schedules.py``) are shared.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache
from typing import Any

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy import special, stats

from modelcollapse import symbols
from modelcollapse.families import Bias, get_family
from modelcollapse.schedules import Schedule
from modelcollapse.theory import derive

try:
    from tests.cases import ALL_CASES, CASES, Case, case
except ImportError:  # pytest's "prepend" import mode puts tests/ itself on sys.path
    from cases import ALL_CASES, CASES, Case, case

#: working precision of the oracle. Products of up to 10**5 factors 1 - 1/n_t^2 with
#: n_t <= 1e12 lose at most ~10**5 ulps = 1e-25 absolutely, and the smallest difference we
#: form (MLE variance: prod(1 - 1/n^2) - prod(1 - 1/n)^2 ~ 2 sum 1/n >= 1e-9 here) keeps
#: >= 15 correct digits.
DPS = 30
#: relative tolerance of derive's float64 numbers against the oracle: sums and products of
#: up to 10**6 well-conditioned terms evaluated with log1p/expm1 lose ~1e-13 relatively; 1e-10
#: leaves room and still catches any cancellation (computing 1 - 1/n_t naively at n_t = 1e12
#: already errs by ~1e-4 relatively).
REL_TOL = 1e-10
#: T = inf values are extrapolated from T = 10**6 with an analytic tail, SPEC-accuracy 1e-8
REL_TOL_LIMIT = 1e-8
#: symbolic expressions evaluated at small exact sizes: only float round-off of evalf
REL_TOL_SYMBOLIC = 1e-12
#: Monte Carlo acceptance: |z| < Z_TOL with z in binomial standard errors. With ~10 such
#: checks the chance of a false failure at a fixed seed is < 1e-3 (and the seed is fixed).
Z_TOL = 4.0
#: Monte Carlo replications (vectorised; each run < 0.2 s)
MC_REPS = 200_000


# ---------------------------------------------------------------------------------------------
# the oracle: SPEC section 3 written out in mpmath
# ---------------------------------------------------------------------------------------------


def _mp_sizes(sizes: list[int]) -> list[mpmath.mpf]:
    return [mpmath.mpf(n) for n in sizes]


def _bias_factors(c: Case, ns: list[mpmath.mpf]) -> list[mpmath.mpf]:
    """c_t = 1 - kappa n_t^-alpha (1 without bias)."""
    if c.bias is None:
        return [mpmath.mpf(1)] * len(ns)
    kappa, alpha = (mpmath.mpf(x) for x in c.bias)
    return [1 - kappa * n ** (-alpha) for n in ns]


def _bias_shifts(c: Case, ns: list[mpmath.mpf]) -> list[mpmath.mpf]:
    """kappa n_t^-alpha for a location parameter (0 without bias)."""
    if c.bias is None:
        return [mpmath.mpf(0)] * len(ns)
    kappa, alpha = (mpmath.mpf(x) for x in c.bias)
    return [kappa * n ** (-alpha) for n in ns]


def _prod(xs) -> mpmath.mpf:
    out = mpmath.mpf(1)
    for x in xs:
        out *= x
    return out


def _trigamma_sum(xs: list) -> mpmath.mpf:
    """sum psi'(x): positive terms without cancellation, so scipy's float64 trigamma (relative
    error ~1e-15 per term) summed exactly by math.fsum is within ~1e-14 relatively; mpmath's
    psi(1, x) would cost ~30 us a term (seconds at T = 10**5)."""
    vals = special.polygamma(1, np.array([float(x) for x in xs]))
    return mpmath.mpf(math.fsum(vals.tolist()))


def _pool_terms(ns: list[mpmath.mpf]) -> list[mpmath.mpf]:
    """n_t / N_t^2 with N_t = n_0 + ... + n_t: the accumulate workflow's step variance of a
    sample mean per unit of the one-observation variance (SPEC section 3)."""
    out, total = [], mpmath.mpf(0)
    for n in ns:
        total += n
        out.append(n / total**2)
    return out


def _scale_chain(theta, a: list, q: list) -> tuple[mpmath.mpf, mpmath.mpf]:
    """Mean and variance of theta * prod R_t for independent factors with E R_t = a_t and
    E R_t^2 = q_t: E = theta prod a, Var = theta^2 (prod q - prod a^2)."""
    prod_a = _prod(a)
    return theta * prod_a, theta**2 * (_prod(q) - prod_a**2)


def _location_variance(scale0, ns: list, a: list) -> mpmath.mpf:
    """Var of a Gaussian mean whose step variance is E[scale_{t-1}]/n_t, the scale's mean
    being scale0 * prod_{s<t} a_s (SPEC: joint Gaussian with the MLE variance)."""
    total, running = mpmath.mpf(0), mpmath.mpf(1)
    for n, a_t in zip(ns, a, strict=True):
        total += running / n
        running *= a_t
    return scale0 * total


def _variance_chain(c: Case, ns, cs, theta):
    """Gaussian variance (S^2 or MLE), times the bias factor: SPEC section 3.
    S^2: E R_t = c_t, E R_t^2 = c_t^2 (n_t+1)/(n_t-1);
    MLE: E R_t = c_t (1 - 1/n_t), E R_t^2 = c_t^2 (1 - 1/n_t^2)."""
    if c.estimator == "unbiased":
        a = list(cs)
        q = [ct * ct * (n + 1) / (n - 1) for ct, n in zip(cs, ns, strict=True)]
    else:
        a = [ct * (n - 1) / n for ct, n in zip(cs, ns, strict=True)]
        q = [ct * ct * (n * n - 1) / (n * n) for ct, n in zip(cs, ns, strict=True)]
    return a, q, *_scale_chain(theta, a, q)


def _log_variance_scale(c: Case, ns, cs, d: int = 1):
    """E and Var of log(sigma^2_T / sigma^2) (d = 1) or log det(Sigma_T Sigma^-1):
    sum_t [sum_i psi((n_t - i)/2) + d log(2/(n_t - 1)) (S^2) or d log(2/n_t) (MLE) + d log c_t],
    sum_t sum_i psi'((n_t - i)/2). Plain mpmath accumulation: at DPS digits 10**5 additions
    lose < 1e-24."""
    shift = 1 if c.estimator == "unbiased" else 0
    mean = mpmath.mpf(0)
    for n in ns:
        for i in range(1, d + 1):
            mean += mpmath.digamma((n - i) / 2)
        mean += d * mpmath.log(2 / (n - shift))
    if c.bias is not None:
        mean += d * mpmath.fsum(mpmath.log(ct) for ct in cs)
    return mean, _trigamma_sum([(n - i) / 2 for n in ns for i in range(1, d + 1)])


def _bernoulli_cell(c: Case, ns, p):
    """E p_T = p; Var = p(1-p)(1 - prod(1 - 1/n_t)) (replace) or, accumulating,
    p(1-p)(1 - prod(1 - n_t/N_t^2)): E[p_t(1-p_t) | p_{t-1}] = p_{t-1}(1-p_{t-1})(1 - w_t^2/n_t)
    with the pooling weight w_t = n_t/N_t."""
    p = mpmath.mpf(p)
    steps = _pool_terms(ns) if c.workflow == "accumulate" else [1 / n for n in ns]
    return p, p * (1 - p) * (1 - _prod(1 - x for x in steps))


def oracle_gaussian_mean(c: Case, ns, P):
    mu, s2 = mpmath.mpf(P["mu"]), mpmath.mpf(P["sigma2"])
    steps = _pool_terms(ns) if c.workflow == "accumulate" else [1 / n for n in ns]
    return {"mean_T": mu + mpmath.fsum(_bias_shifts(c, ns)), "variance_T": s2 * mpmath.fsum(steps),
            "log_mean_T": None, "log_variance_T": None}


def oracle_gaussian_variance(c: Case, ns, P):
    cs = _bias_factors(c, ns)
    _, _, mean, var = _variance_chain(c, ns, cs, mpmath.mpf(P["sigma2"]))
    lm, lv = _log_variance_scale(c, ns, cs)
    return {"mean_T": mean, "variance_T": var, "log_mean_T": lm, "log_variance_T": lv}


def oracle_gaussian(c: Case, ns, P):
    """Joint Gaussian: sigma^2 as gaussian-variance; Var mu_T = sum_t E[sigma^2_{t-1}]/n_t."""
    cs = _bias_factors(c, ns)
    s2 = mpmath.mpf(P["sigma2"])
    a, _, mean_s2, var_s2 = _variance_chain(c, ns, cs, s2)
    lm, lv = _log_variance_scale(c, ns, cs)
    return {"mean_T": {"mu": P["mu"] + mpmath.fsum(_bias_shifts(c, ns)), "sigma2": mean_s2},
            "variance_T": {"mu": _location_variance(s2, ns, a), "sigma2": var_s2},
            "log_mean_T": lm, "log_variance_T": lv}


def oracle_bernoulli(c: Case, ns, P):
    mean, var = _bernoulli_cell(c, ns, P["p"])
    return {"mean_T": mean, "variance_T": var, "log_mean_T": None, "log_variance_T": None}


def oracle_categorical(c: Case, ns, P):
    cells = [_bernoulli_cell(c, ns, p) for p in P["p"]]
    return {"mean_T": [m for m, _ in cells], "variance_T": [v for _, v in cells],
            "log_mean_T": None, "log_variance_T": None}


def oracle_poisson(c: Case, ns, P):
    """Var = lam sum 1/n_t (replace), lam sum n_t/N_t^2 (accumulate). With bias c_t the
    counts are thinned, Poisson(n_t c_t lam)/n_t (SPEC section 2, "biased Poisson rate"): mean
    c_t lam, variance c_t lam/n_t, so M_t = c_t M_{t-1} and the second moment
    Q_t = c_t^2 Q_{t-1} + c_t M_{t-1}/n_t."""
    lam = mpmath.mpf(P["lam"])
    if c.workflow == "accumulate":
        return {"mean_T": lam, "variance_T": lam * mpmath.fsum(_pool_terms(ns)),
                "log_mean_T": None, "log_variance_T": None}
    m, q = lam, lam**2
    for n, ct in zip(ns, _bias_factors(c, ns), strict=True):
        m, q = ct * m, ct**2 * q + ct * m / n
    return {"mean_T": m, "variance_T": q - m**2, "log_mean_T": None, "log_variance_T": None}


def oracle_exponential(c: Case, ns, P):
    r"""lambda_t = lambda_{t-1} R_t with R = n/G (MLE) or (n-1)/G (unbiased), G ~ Gamma(n, 1).
    From E G^-1 = 1/(n-1), E G^-2 = 1/((n-1)(n-2)) and E log G = psi(n), Var log G = psi'(n):
    MLE:      E R = n/(n-1),  E R^2 = n^2/((n-1)(n-2)),  E log R = log n - psi(n);
    unbiased: E R = 1,        E R^2 = (n-1)/(n-2),       E log R = log(n-1) - psi(n);
    Var log R = psi'(n) for both; the bias multiplies R by c_t."""
    cs = _bias_factors(c, ns)
    if c.estimator == "mle":
        a = [ct * n / (n - 1) for ct, n in zip(cs, ns, strict=True)]
        q = [ct**2 * n**2 / ((n - 1) * (n - 2)) for ct, n in zip(cs, ns, strict=True)]
        center = list(ns)
    else:
        a = list(cs)
        q = [ct**2 * (n - 1) / (n - 2) for ct, n in zip(cs, ns, strict=True)]
        center = [n - 1 for n in ns]
    mean, var = _scale_chain(mpmath.mpf(P["rate"]), a, q)
    lm = mpmath.mpf(0)
    for k, n in zip(center, ns, strict=True):
        lm += mpmath.log(k) - mpmath.digamma(n)
    if c.bias is not None:
        lm += mpmath.fsum(mpmath.log(ct) for ct in cs)
    lv = _trigamma_sum(ns)
    return {"mean_T": mean, "variance_T": var, "log_mean_T": lm, "log_variance_T": lv}


def oracle_mvgaussian(c: Case, ns, P):
    """Coordinates: mu_i like the joint Gaussian mean with sigma^2 = Sigma_ii, Sigma_ii like
    gaussian-variance (a Wishart diagonal entry is Sigma_ii chi^2_{n-1}); log det from the
    Bartlett decomposition (SPEC section 3)."""
    cs = _bias_factors(c, ns)
    shift = mpmath.fsum(_bias_shifts(c, ns))
    out = {"mean_T": {"mu": [], "Sigma": []}, "variance_T": {"mu": [], "Sigma": []}}
    for mu, sig in zip(P["mu"], P["Sigma"], strict=True):
        a, _, mean_s, var_s = _variance_chain(c, ns, cs, mpmath.mpf(sig))
        out["mean_T"]["mu"].append(mu + shift)
        out["mean_T"]["Sigma"].append(mean_s)
        out["variance_T"]["mu"].append(_location_variance(mpmath.mpf(sig), ns, a))
        out["variance_T"]["Sigma"].append(var_s)
    out["log_mean_T"], out["log_variance_T"] = _log_variance_scale(c, ns, cs, d=c.dim)
    return out


ORACLES = {
    "gaussian-mean": oracle_gaussian_mean,
    "gaussian-variance": oracle_gaussian_variance,
    "gaussian": oracle_gaussian,
    "bernoulli": oracle_bernoulli,
    "poisson": oracle_poisson,
    "exponential": oracle_exponential,
    "categorical": oracle_categorical,
    "mvgaussian": oracle_mvgaussian,
}


@cache
def spec_values(c: Case, sizes: tuple[int, ...] | None = None) -> dict[str, Any]:
    """The SPEC values for a case (at its own sizes unless given), as floats."""
    with mpmath.workdps(DPS):
        out = ORACLES[c.family](c, _mp_sizes(list(sizes or c.sizes())), c.param_dict)
    return _to_float(out)


def _to_float(val):
    if isinstance(val, dict):
        return {k: _to_float(v) for k, v in val.items()}
    if isinstance(val, list):
        return [_to_float(v) for v in val]
    return None if val is None else float(val)


@cache
def derived(c: Case):
    return derive(c.family, **c.derive_kwargs())


def assert_close(actual, expected, rel: float, where: str = "") -> None:
    """Recursive comparison of dicts, lists and numbers at relative tolerance ``rel``."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), where
        for k in expected:
            assert_close(actual[k], expected[k], rel, f"{where}[{k}]")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_close(a, e, rel, f"{where}[{i}]")
    elif expected is None:
        assert actual is None, f"{where}: expected None, got {actual!r}"
    else:
        assert actual is not None and math.isclose(actual, expected, rel_tol=rel, abs_tol=0.0), \
            f"{where}: derive gives {actual!r}, SPEC gives {expected!r}"


QUANTITIES = ("mean_T", "variance_T", "log_mean_T", "log_variance_T")


# ---------------------------------------------------------------------------------------------
# 2. numbers: SPEC section 3 formulas for every case
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("c", ALL_CASES, ids=lambda c: c.id)
def test_values_match_spec(c: Case):
    """mean_T, variance_T, log_mean_T, log_variance_T against SPEC section 3 (all reported
    in one failure message)."""
    values, spec = derived(c).values, spec_values(c)
    errors = []
    for quantity in QUANTITIES:
        try:
            assert_close(values[quantity], spec[quantity], REL_TOL, quantity)
        except AssertionError as exc:
            errors.append(str(exc))
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("c", ALL_CASES, ids=lambda c: c.id)
def test_log_moments_reported_iff_capable(c: Case):
    vals = derived(c).values
    assert (vals["log_mean_T"] is not None) == c.log_moments
    assert (vals["log_variance_T"] is not None) == c.log_moments


def test_case_table_covers_every_family_estimator_and_growth_class():
    names = {(c.family, c.estimator) for c in CASES}
    for fam in ORACLES:
        for est in get_family(fam).estimators:
            assert (fam, est) in names
    schedules = {c.schedule for c in CASES}
    assert {"n0", "n0*t", "n0*t*log(t+1)", "n0*t**1.5", "n0*t**2", "n0*2**t"} <= schedules
    assert max(max(c.sizes()) for c in ALL_CASES if c.large) >= 10**12
    assert max(c.T for c in ALL_CASES) >= 10**5
    assert any(c.bias for c in CASES) and any(c.workflow == "accumulate" for c in CASES)


def test_large_sizes_use_stable_arithmetic():
    """At n_t ~ 1e12 the MLE variance is a difference of two products near 1; a naive
    float64 evaluation of prod(1 - 1/n^2) - prod(1 - 1/n)^2 keeps ~4 digits only. The SPEC
    value (mpmath) equals ~2 sigma^4 sum 1/n_t, and derive must give it to REL_TOL."""
    c = case("gaussian-variance", "mle", "n0*t**2", 10**12, 3)
    ns = c.sizes()
    assert ns == [10**12, 10**12, 4 * 10**12, 9 * 10**12]
    expected = spec_values(c)["variance_T"]
    with mpmath.workdps(DPS):
        approx = 2 * 4.0 * float(mpmath.fsum(mpmath.mpf(1) / n for n in ns))
    assert math.isclose(expected, approx, rel_tol=1e-11)  # the oracle is what we think
    naive = 4.0 * (math.prod(1 - 1 / n**2 for n in ns) - math.prod(1 - 1 / n for n in ns) ** 2)
    assert not math.isclose(naive, expected, rel_tol=1e-9)  # ... and the case is hard
    assert_close(derived(c).values["variance_T"], expected, REL_TOL, "variance_T")


def test_accumulate_constant_size_approaches_dey_donoho_constant():
    """Accumulate, constant n: Var = (sigma^2/n) sum_{k=1}^{T+1} 1/k^2 -> (sigma^2/n) pi^2/6,
    from below, the gap being (sigma^2/n)(zeta(2) - H^(2)_{T+1}) ~ (sigma^2/n)/(T+1)."""
    n, s2 = 50, 2.0
    limit = s2 / n * math.pi**2 / 6
    previous = 0.0
    for T in (10, 100, 1000, 10**5):
        var = derive("gaussian-mean", schedule=Schedule("n0", n0=n), T=T,
                     workflow="accumulate", params={"sigma2": s2}).values["variance_T"]
        with mpmath.workdps(DPS):
            gap = float(s2 / n * (mpmath.zeta(2) - mpmath.fsum(
                mpmath.mpf(1) / k**2 for k in range(1, T + 2))))
        assert previous < var < limit
        assert math.isclose(limit - var, gap, rel_tol=1e-6)  # the gap is a small difference
        assert 0.9 / (T + 1) < gap / (s2 / n) < 1.0 / (T + 1) * 1.01
        previous = var


def test_accumulate_without_closed_form_gives_none_and_the_reason():
    d = derive("exponential", schedule=Schedule("n0", n0=10), T=5, workflow="accumulate")
    assert d.values["mean_T"] is None and d.values["variance_T"] is None
    assert d.values["collapses"] is None
    assert any(note.startswith("accumulate workflow: no closed form") for note in d.notes)
    with pytest.raises(ValueError, match="workflow must be one of .*got 'pool'"):
        derive("gaussian-mean", schedule=Schedule("n0", n0=10), T=5, workflow="pool")


def test_bias_on_probability_is_rejected():
    with pytest.raises(ValueError, match="bias is defined for location, scale and rate"):
        derive("bernoulli", schedule=Schedule("n0", n0=10), T=5, bias=Bias(1.0, 0.5))


def test_bias_composes_as_spec_says():
    """Bias on the variance multiplies the mean by prod c_t and adds sum log c_t to E log;
    on the Gaussian mean it shifts the mean by sum kappa n_t^-alpha and leaves Var alone."""
    sched, T, b = Schedule("n0*t**1.5", n0=10), 50, Bias(0.7, 0.5)
    ns = [int(x) for x in sched.sizes(T)]
    with mpmath.workdps(DPS):
        cs = [1 - mpmath.mpf(0.7) * mpmath.mpf(n) ** -0.5 for n in ns]
        prod_c = float(_prod(cs))
        sum_log_c = float(mpmath.fsum(mpmath.log(x) for x in cs))
        shift = float(mpmath.fsum(mpmath.mpf(0.7) * mpmath.mpf(n) ** -0.5 for n in ns))
    plain = derive("gaussian-variance", schedule=sched, T=T, params={"sigma2": 2.0}).values
    biased = derive("gaussian-variance", schedule=sched, T=T, params={"sigma2": 2.0},
                    bias=b).values
    assert math.isclose(biased["mean_T"], plain["mean_T"] * prod_c, rel_tol=REL_TOL)
    assert math.isclose(biased["log_mean_T"], plain["log_mean_T"] + sum_log_c, rel_tol=REL_TOL)
    assert math.isclose(biased["log_variance_T"], plain["log_variance_T"], rel_tol=REL_TOL)
    plain = derive("gaussian-mean", schedule=sched, T=T, params={"mu": 1.0}).values
    biased = derive("gaussian-mean", schedule=sched, T=T, params={"mu": 1.0}, bias=b).values
    assert math.isclose(biased["mean_T"], 1.0 + shift, rel_tol=REL_TOL)
    assert biased["variance_T"] == pytest.approx(plain["variance_T"], rel=REL_TOL)


def test_zero_bias_is_no_bias():
    kwargs = {"schedule": Schedule("n0*t", n0=10), "T": 40}
    assert derive("exponential", bias=Bias(0.0, 0.5), **kwargs).values == \
        derive("exponential", **kwargs).values


def test_horizon_zero_is_generation_zero_only():
    """T = 0: the fit on real data alone, e.g. Var mu_0 = sigma^2/n_0 and
    E sigma^2_0 (MLE) = sigma^2 (1 - 1/n_0)."""
    d = derive("gaussian", schedule=Schedule("n0*t", n0=8), T=0, estimator="mle",
               params={"sigma2": 2.0}).values
    assert math.isclose(d["variance_T"]["mu"], 2.0 / 8, rel_tol=REL_TOL)
    assert math.isclose(d["mean_T"]["sigma2"], 2.0 * 7 / 8, rel_tol=REL_TOL)


def test_to_dict_round_trips_values():
    c = case("gaussian", "mle", "n0*t", 10, 20)
    out = derived(c).to_dict()
    assert out["family"] == "gaussian" and out["estimator"] == "mle" and out["T"] == 20
    assert out["schedule"] == "n0*t" and out["n0"] == 10
    for q in QUANTITIES:
        assert out[q] == derived(c).values[q]


# ---------------------------------------------------------------------------------------------
# 3. symbolic expressions at a small concrete schedule
# ---------------------------------------------------------------------------------------------

SMALL_SIZES = (5, 7, 9, 12)
N = [symbols.n_t[i] for i in range(len(SMALL_SIZES))]


def _sym(family: str, name: str) -> sp.Symbol:
    return get_family(family).parameter(name).symbol


def _prod_sym(xs) -> sp.Expr:
    return sp.Mul(*xs)


def _spec_symbolic(family: str, estimator: str) -> dict[str, sp.Expr]:
    """SPEC section 3 at T = 3, written with the symbols n[0..3] (no bias)."""
    out: dict[str, sp.Expr] = {}
    mle = estimator == "mle"

    def variance_of_scale(th):
        if mle:
            a = _prod_sym(1 - 1 / n for n in N)
            return th * a, th**2 * (_prod_sym(1 - 1 / n**2 for n in N) - a**2)
        return th, th**2 * (_prod_sym((n + 1) / (n - 1) for n in N) - 1)

    def log_of_scale(d=1):
        div = (lambda n: n) if mle else (lambda n: n - 1)
        return sp.Add(*[sum(sp.polygamma(0, (n - i) / 2) for i in range(1, d + 1))
                        + d * sp.log(2 / div(n)) for n in N])

    def location_var(scale):
        a = [(1 - 1 / n) if mle else sp.Integer(1) for n in N]
        return scale * sp.Add(*[_prod_sym(a[:k]) / N[k] for k in range(len(N))])

    if family == "gaussian-mean":
        mu, s2 = _sym(family, "mu"), _sym(family, "sigma2")
        out["mean_T"], out["variance_T"] = mu, s2 * sp.Add(*[1 / n for n in N])
    elif family in ("gaussian-variance", "gaussian", "mvgaussian"):
        name = "Sigma" if family == "mvgaussian" else "sigma2"
        suffix = "" if family == "gaussian-variance" else f"_{name}"
        th = _sym(family, name)
        out[f"mean_T{suffix}"], out[f"variance_T{suffix}"] = variance_of_scale(th)
        out["log_mean_T"] = log_of_scale(3 if family == "mvgaussian" else 1)
        if suffix:
            out["mean_T_mu"] = _sym(family, "mu")
            out["variance_T_mu"] = location_var(th)
    elif family in ("bernoulli", "categorical"):
        p = _sym(family, "p")
        out["mean_T"] = p
        out["variance_T"] = p * (1 - p) * (1 - _prod_sym(1 - 1 / n for n in N))
    elif family == "poisson":
        lam = _sym(family, "lam")
        out["mean_T"], out["variance_T"] = lam, lam * sp.Add(*[1 / n for n in N])
    elif family == "exponential":
        lam = _sym(family, "rate")
        if mle:
            a = _prod_sym(n / (n - 1) for n in N)
            out["mean_T"] = lam * a
            out["variance_T"] = lam**2 * (_prod_sym(n**2 / ((n - 1) * (n - 2)) for n in N) - a**2)
            out["log_mean_T"] = sp.Add(*[sp.log(n) - sp.polygamma(0, n) for n in N])
        else:
            out["mean_T"] = lam
            out["variance_T"] = lam**2 * (_prod_sym((n - 1) / (n - 2) for n in N) - 1)
            out["log_mean_T"] = sp.Add(*[sp.log(n - 1) - sp.polygamma(0, n) for n in N])
    return out


SYMBOLIC_CASES = [(f, e) for f in ORACLES for e in ("mle", "unbiased")]


def _expressions_at(family: str, estimator: str, T: int = len(SMALL_SIZES) - 1):
    d = derive(family, schedule=Schedule("n0*t", n0=10), T=5, estimator=estimator,
               dim=3 if family == "mvgaussian" else None)
    return {k: v.subs(symbols.T, T).doit() for k, v in d.expressions.items()
            if isinstance(v, sp.Expr) and k.startswith(("mean_T", "variance_T", "log_mean_T"))}


@pytest.mark.parametrize(("family", "estimator"),
                         SYMBOLIC_CASES, ids=[f"{f}-{e}" for f, e in SYMBOLIC_CASES])
def test_symbolic_expressions_equal_spec(family: str, estimator: str):
    """expression.subs(T, 3).doit() - SPEC formula simplifies to 0 (in the symbols n[0..3])."""
    exprs = _expressions_at(family, estimator)
    spec = _spec_symbolic(family, estimator)
    assert set(spec) <= set(exprs), sorted(exprs)
    for key, expected in spec.items():
        diff = exprs[key] - expected
        if key == "log_mean_T":
            diff = sp.expand_log(diff, force=True)
        assert sp.simplify(diff) == 0, (key, exprs[key], expected)
        assert exprs[key].free_symbols <= expected.free_symbols | set(N), key


@pytest.mark.parametrize(("family", "estimator"),
                         SYMBOLIC_CASES, ids=[f"{f}-{e}" for f, e in SYMBOLIC_CASES])
def test_symbolic_expressions_evaluate_to_the_numbers(family: str, estimator: str):
    """At n = (5, 7, 9, 12) and the case's parameter values (first coordinate of a vector),
    each expression evaluates to derive's number and to the SPEC (mpmath) number."""
    c = case(family, estimator, "n0", 5, len(SMALL_SIZES) - 1)
    numbers = derive(family, **c.derive_kwargs(schedule=Schedule.from_sizes(list(SMALL_SIZES))))
    spec = spec_values(c, SMALL_SIZES)
    fam = get_family(family)
    subs = {N[i]: n for i, n in enumerate(SMALL_SIZES)}
    for p in (*fam.parameters, *fam.constants):
        v = c.param_dict.get(p.name, p.default)
        subs[p.symbol] = v[0] if isinstance(v, tuple) else v
    for key, expr in _expressions_at(family, estimator).items():
        quantity, _, name = key.partition("_T")
        quantity, name = f"{quantity}_T", name.lstrip("_")

        def first(vals, quantity=quantity, name=name):
            v = vals[quantity]
            v = v[name] if isinstance(v, dict) else v
            return v[0] if isinstance(v, list) else v

        got = float(sp.N(expr.subs(subs), 20))
        assert math.isclose(got, first(numbers.values), rel_tol=REL_TOL_SYMBOLIC), key
        assert math.isclose(got, first(spec), rel_tol=REL_TOL_SYMBOLIC), key


def test_unbiased_variance_identity_simplifies():
    """variance_T - sigma^4 (Product((n_t+1)/(n_t-1)) - 1) simplifies to 0 after doit at T=3."""
    expr = derive("gaussian-variance", schedule=Schedule("n0", n0=10), T=3,
                  estimator="unbiased").expressions["variance_T"]
    s2, t = _sym("gaussian-variance", "sigma2"), symbols.t
    spec = s2**2 * (sp.Product((symbols.n_t[t] + 1) / (symbols.n_t[t] - 1), (t, 0, 3)) - 1)
    assert sp.simplify((expr.subs(symbols.T, 3) - spec).doit()) == 0


def test_biased_expressions_keep_kappa_alpha_and_evaluate():
    """With bias the expressions carry kappa and alpha; at (kappa, alpha) = (0.5, 0.5) and the
    small sizes they evaluate to the SPEC numbers."""
    c = case("gaussian-variance", "mle", "n0", 5, 3, bias=(0.5, 0.5))
    sched = Schedule.from_sizes(list(SMALL_SIZES))
    exprs = derive(c.family, **c.derive_kwargs(schedule=sched)).expressions
    spec = spec_values(c, SMALL_SIZES)
    subs = {symbols.kappa: sp.Rational(1, 2), symbols.alpha: sp.Rational(1, 2),
            _sym(c.family, "sigma2"): 2, **{N[i]: n for i, n in enumerate(SMALL_SIZES)}}
    for key in ("mean_T", "variance_T", "log_mean_T"):
        assert {symbols.kappa, symbols.alpha} <= exprs[key].free_symbols
        got = float(sp.N(exprs[key].subs(symbols.T, 3).doit().subs(subs), 20))
        assert math.isclose(got, spec[key], rel_tol=REL_TOL_SYMBOLIC), key


# ---------------------------------------------------------------------------------------------
# 4. collapse verdicts and the required growth exponent
# ---------------------------------------------------------------------------------------------

#: (schedule, bias, collapses): SPEC section 3 "Dichotomy" and "Bias of order n^-alpha"
VERDICTS = [
    ("n0", None, True),
    ("n0*t", None, True),
    ("n0*t*log(t+1)", None, True),
    ("n0*t**1.5", None, False),
    ("n0*t*log(t+1)**2", None, False),
    ("n0*t**2", None, False),
    ("n0*2**t", None, False),
    ("n0*t**1.5", (1.0, 0.5), True),      # needs p > 1/alpha = 2
    ("n0*t**2.5", (1.0, 0.5), False),
    ("n0*t**2", (1.0, 0.5), True),        # boundary p alpha = 1, q = 0
    ("n0*t**2*log(t+1)**3", (1.0, 0.5), False),  # boundary, q alpha = 1.5 > 1
    ("n0*t**2*log(t+1)**2", (1.0, 0.5), True),   # boundary, q alpha = 1: diverges
    ("n0*t**1.5", (1.0, 2.0), False),     # alpha > 1: the 1/n_t noise decides
    ("n0*t", (1.0, 2.0), True),
]


@pytest.mark.parametrize(("schedule", "bias", "expected"), VERDICTS,
                         ids=[f"{s}-{b}" for s, b, _ in VERDICTS])
@pytest.mark.parametrize("family", ["gaussian-variance", "gaussian-mean", "exponential"])
def test_collapse_verdict(family, schedule, bias, expected):
    d = derive(family, schedule=Schedule(schedule, n0=10), T=10,
               bias=None if bias is None else Bias(*bias))
    assert d.values["collapses"] is expected


@pytest.mark.parametrize(("bias", "exponent"), [
    (None, 1.0), (Bias(1.0, 0.5), 2.0), (Bias(0.3, 0.25), 4.0), (Bias(1.0, 1.0), 1.0),
    (Bias(2.0, 3.0), 1.0), (Bias(1.0, 0.8), 1.25)])
def test_required_growth_exponent(bias, exponent):
    d = derive("gaussian-variance", schedule=Schedule("n0*t**3", n0=10), T=5, bias=bias)
    assert d.values["required_growth_exponent"] == pytest.approx(exponent, rel=1e-15)


# ---------------------------------------------------------------------------------------------
# 5. T = inf
# ---------------------------------------------------------------------------------------------


def test_limit_gaussian_mean_zeta():
    """n_t = t^2 (ceil does nothing), n_0 = 1: Var -> sigma^2 (1/n_0 + zeta(2))."""
    d = derive("gaussian-mean", schedule=Schedule("n0*t**2", n0=1), T=math.inf,
               params={"sigma2": 2.0, "mu": 0.25}).values
    with mpmath.workdps(DPS):
        expected = float(2 * (1 + mpmath.zeta(2)))
    assert math.isclose(d["variance_T"], expected, rel_tol=REL_TOL_LIMIT)
    assert d["mean_T"] == pytest.approx(0.25, rel=REL_TOL_LIMIT)
    assert d["collapses"] is False


def test_limit_gaussian_mean_geometric():
    """n_t = 3 * 2^t: S_inf = (1/3) sum 2^-t = 1/3, Var -> sigma^2 (1/3 + 1/3)."""
    d = derive("gaussian-mean", schedule=Schedule("n0*2**t", n0=3), T=math.inf,
               params={"sigma2": 1.5}).values
    assert math.isclose(d["variance_T"], 1.5 * 2 / 3, rel_tol=REL_TOL_LIMIT)


def test_limit_unbiased_variance_constant_schedule():
    """The martingale mean stays sigma^2; the variance and log-moments diverge (None)."""
    d = derive("gaussian-variance", schedule=Schedule("n0", n0=20), T=math.inf,
               estimator="unbiased", params={"sigma2": 2.0}).values
    assert d["mean_T"] == pytest.approx(2.0, rel=REL_TOL)
    assert d["variance_T"] is None and d["log_mean_T"] is None and d["log_variance_T"] is None
    assert d["collapses"] is True


def test_limit_mle_variance_constant_schedule_mean_dies_out():
    d = derive("gaussian-variance", schedule=Schedule("n0", n0=20), T=math.inf,
               estimator="mle").values
    assert d["mean_T"] == 0.0


def test_limit_mle_variance_constant_schedule_variance_dies_out():
    d = derive("gaussian-variance", schedule=Schedule("n0", n0=20), T=math.inf,
               estimator="mle").values
    assert d["variance_T"] == 0.0


def test_limit_accumulate_gaussian_mean_dey_donoho():
    """SPEC: accumulate with constant n gives (sigma^2/n) pi^2/6 in the limit."""
    d = derive("gaussian-mean", schedule=Schedule("n0", n0=50), T=math.inf,
               workflow="accumulate", params={"sigma2": 2.0}).values
    assert d["variance_T"] is not None
    assert math.isclose(d["variance_T"], 2.0 / 50 * math.pi**2 / 6, rel_tol=REL_TOL_LIMIT)


def test_limit_accumulate_bernoulli():
    """Var p_T = p(1-p)(1 - prod_{k>=1}(1 - 1/(n k^2))) with N_t = n(t+1); by Euler's product
    sin(pi z)/(pi z) = prod(1 - z^2/k^2), z = 1/sqrt(n), the limit is
    p(1-p)(1 - sin(pi/sqrt(n))/(pi/sqrt(n))) (0.0068 for n = 50, p = 0.3), not p(1-p)."""
    n, p = 50, 0.3
    d = derive("bernoulli", schedule=Schedule("n0", n0=n), T=math.inf,
               workflow="accumulate", params={"p": p}).values
    x = math.pi / math.sqrt(n)
    assert math.isclose(d["variance_T"], p * (1 - p) * (1 - math.sin(x) / x),
                        rel_tol=REL_TOL_LIMIT)


@pytest.mark.parametrize("family", ["gaussian-mean", "bernoulli", "poisson"])
def test_accumulate_constant_schedule_does_not_collapse(family):
    """SPEC collapse = E(theta_T - theta*)^2 -> inf or fixation; pooled with constant n the
    variance stays below (sigma^2/n) pi^2/6 (Dey-Donoho), so the verdict must be False."""
    d = derive(family, schedule=Schedule("n0", n0=50), T=100, workflow="accumulate")
    assert d.values["collapses"] is False


def test_accumulate_bernoulli_finite_horizon_tends_to_euler_product():
    """The finite-T accumulate values do approach the Euler-product limit (oracle check)."""
    n, p, T = 50, 0.3, 10**4
    d = derive("bernoulli", schedule=Schedule("n0", n0=n), T=T, workflow="accumulate",
               params={"p": p}).values
    x = math.pi / math.sqrt(n)
    limit = p * (1 - p) * (1 - math.sin(x) / x)
    # the tail prod_{k > T+1}(1 - 1/(n k^2)) ~ 1 - 1/(n (T+1)): relative gap below 1e-4
    assert d["variance_T"] < limit
    assert math.isclose(d["variance_T"], limit, rel_tol=1e-4)


def test_limit_bernoulli_constant_schedule():
    """Fixation is certain: Var p_T -> p(1 - p), P(fixed) -> 1."""
    d = derive("bernoulli", schedule=Schedule("n0", n0=20), T=math.inf,
               params={"p": 0.3}).values
    assert d["mean_T"] == pytest.approx(0.3, rel=REL_TOL)
    assert math.isclose(d["variance_T"], 0.3 * 0.7, rel_tol=REL_TOL)
    assert d["collapse_probability_T"] == 1.0


def test_limit_poisson_constant_schedule():
    d = derive("poisson", schedule=Schedule("n0", n0=20), T=math.inf,
               params={"lam": 2.0}).values
    assert d["collapse_probability_T"] == 1.0
    assert d["mean_T"] == pytest.approx(2.0, rel=REL_TOL)
    assert d["variance_T"] is None  # lam (1/n_0 + S_T) diverges


def test_limit_unbiased_variance_converging_schedule():
    """n_t = 10 t^2: E log -> sum_{t>=0}[psi((n_t-1)/2) + log(2/(n_t-1))] and the variance
    -> sigma^4 (prod (n_t+1)/(n_t-1) - 1): the oracle at T = 10**4 plus the tail, whose
    terms are -1/n_t and 2/n_t up to O(n_t^-2) (below 1e-13 in all)."""
    sched = Schedule("n0*t**2", n0=10)
    d = derive("gaussian-variance", schedule=sched, T=math.inf, params={"sigma2": 2.0}).values
    T = 10**4
    spec = spec_values(case("gaussian-variance", "unbiased", "n0*t**2", 10, T))
    with mpmath.workdps(DPS):
        tail = float(mpmath.zeta(2, T + 1) / 10)  # sum_{t > T} 1/(10 t^2), Hurwitz zeta
    assert math.isclose(d["log_mean_T"], spec["log_mean_T"] - tail, rel_tol=REL_TOL_LIMIT)
    # prod_{t>T} (n_t+1)/(n_t-1) = exp(2 tail) up to O(sum n_t^-2) ~ 1e-14
    expected = 4 * ((spec["variance_T"] / 4 + 1) * math.exp(2 * tail) - 1)
    assert math.isclose(d["variance_T"], expected, rel_tol=REL_TOL_LIMIT)


# ---------------------------------------------------------------------------------------------
# 6. collapse probabilities: exact enumeration and Monte Carlo
# ---------------------------------------------------------------------------------------------


def _wright_fisher_fixation(p: Fraction, sizes: list[int]) -> Fraction:
    """P(p_T in {0, 1}) by exact propagation of the distribution of the count k_t."""
    dist = {k: math.comb(sizes[0], k) * p**k * (1 - p) ** (sizes[0] - k)
            for k in range(sizes[0] + 1)}
    for prev, cur in zip(sizes[:-1], sizes[1:], strict=True):
        new = dict.fromkeys(range(cur + 1), Fraction(0))
        for k, w in dist.items():
            q = Fraction(k, prev)
            for j in range(cur + 1):
                new[j] += w * math.comb(cur, j) * q**j * (1 - q) ** (cur - j)
        dist = new
    return dist[0] + dist[sizes[-1]]


def _poisson_extinction_enumerated(lam: float, sizes: list[int], cap: int = 400) -> float:
    """P(Z_T = 0) for Z_0 ~ Poisson(n_0 lam), Z_t | Z_{t-1} ~ Poisson(n_t Z_{t-1}/n_{t-1}),
    by propagating the pmf of Z on 0..cap (the mass above cap is < 1e-100 here)."""
    ks = np.arange(cap + 1)
    dist = stats.poisson.pmf(ks, sizes[0] * lam)
    for prev, cur in zip(sizes[:-1], sizes[1:], strict=True):
        trans = stats.poisson.pmf(ks[None, :], ks[:, None] * cur / prev)
        dist = dist @ trans
    return float(dist[0])


ABSORPTION_SCHEDULES = [("n0", 4, 6), ("n0*t", 3, 5), ("n0*t**2", 2, 4), ("n0*2**t", 3, 4)]


@pytest.mark.parametrize(("schedule", "n0", "T"), ABSORPTION_SCHEDULES)
@pytest.mark.parametrize("p", [0.3, 0.5])
def test_bernoulli_fixation_exact(schedule, n0, T, p):
    sizes = [int(x) for x in Schedule(schedule, n0=n0).sizes(T)]
    expected = float(_wright_fisher_fixation(Fraction(p).limit_denominator(100), sizes))
    got = derive("bernoulli", schedule=Schedule(schedule, n0=n0), T=T,
                 params={"p": p}).values["collapse_probability_T"]
    assert math.isclose(got, expected, rel_tol=REL_TOL)


@pytest.mark.parametrize(("schedule", "n0", "T"), ABSORPTION_SCHEDULES)
@pytest.mark.parametrize("lam", [0.3, 1.0])
def test_poisson_extinction_exact(schedule, n0, T, lam):
    sizes = [int(x) for x in Schedule(schedule, n0=n0).sizes(T)]
    expected = _poisson_extinction_enumerated(lam, sizes)
    got = derive("poisson", schedule=Schedule(schedule, n0=n0), T=T,
                 params={"lam": lam}).values["collapse_probability_T"]
    assert math.isclose(got, expected, rel_tol=REL_TOL)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20250513)


def _z(successes: int, reps: int, prob: float) -> float:
    return (successes / reps - prob) / math.sqrt(max(prob * (1 - prob), 1e-300) / reps)


@pytest.mark.parametrize(("schedule", "n0", "T"), [("n0", 5, 8), ("n0*t", 4, 10)])
def test_bernoulli_fixation_monte_carlo(rng, schedule, n0, T):
    sizes = Schedule(schedule, n0=n0).sizes(T)
    p = np.full(MC_REPS, 0.3)
    for n in sizes:
        p = rng.binomial(int(n), p) / n
    fixed = int(np.count_nonzero((p == 0) | (p == 1)))
    prob = derive("bernoulli", schedule=Schedule(schedule, n0=n0), T=T,
                  params={"p": 0.3}).values["collapse_probability_T"]
    assert abs(_z(fixed, MC_REPS, prob)) < Z_TOL


@pytest.mark.parametrize(("schedule", "n0", "T"), [("n0", 3, 10), ("n0*t", 2, 10)])
def test_poisson_extinction_monte_carlo(rng, schedule, n0, T):
    sizes = Schedule(schedule, n0=n0).sizes(T)
    lam = np.full(MC_REPS, 0.7)
    for n in sizes:
        lam = rng.poisson(int(n) * lam) / n
    extinct = int(np.count_nonzero(lam == 0))
    prob = derive("poisson", schedule=Schedule(schedule, n0=n0), T=T,
                  params={"lam": 0.7}).values["collapse_probability_T"]
    assert abs(_z(extinct, MC_REPS, prob)) < Z_TOL


@pytest.mark.parametrize("c", [c for c in CASES if c.absorbing is None][:3] + [
    case("bernoulli", "mle", "n0", 10, 5, workflow="accumulate"),
    case("poisson", "mle", "n0*t**1.5", 10, 5, bias=(0.5, 0.5))], ids=lambda c: c.id)
def test_no_collapse_probability_where_undefined(c: Case):
    """Only the replace workflow of an unbiased absorbing family has an exact probability."""
    assert derived(c).values["collapse_probability_T"] is None


@pytest.mark.parametrize("power", [1.01, 1.5])
def test_variance_at_infinity_when_the_sum_of_inverse_sizes_converges_slowly(power):
    """Var S^2_inf = sigma^4 (prod_t (n_t + 1)/(n_t - 1) - 1) for n_t = ceil(100 t^p): summed
    directly in numpy to t = 10^7, the rest by its integral (sizes there exceed 10^9, where
    log((n + 1)/(n - 1)) = 2/n to 1e-18). At p = 1.01 the tail is most of the sum; a linear
    extrapolation in sum 1/n_t gave 2.65 instead of 6.63."""
    horizon = 10**7
    t = np.arange(1, horizon + 1, dtype=float)
    n = np.ceil(100 * t**power)
    log_product = math.log(101 / 99) + float(np.sum(np.log1p(2 / (n - 1))))
    log_product += 2 / (100 * (power - 1) * horizon ** (power - 1))
    result = derive("gaussian-variance", schedule=Schedule(f"n0*t**{power}", n0=100),
                    T=math.inf)
    assert result.values["mean_T"] == pytest.approx(1.0, rel=1e-12)
    assert result.values["variance_T"] == pytest.approx(math.expm1(log_product), rel=1e-7)


@pytest.mark.parametrize(("family", "name"), [("gaussian-variance", "sigma2"),
                                              ("exponential", "rate")])
def test_an_overflowing_moment_is_null_with_its_reason_and_no_warning(family, name, capsys):
    """sigma2 = 1e300: Var = sigma2^2 ((101/99)^6 - 1) > 1e600 is beyond the float range
    (1e300 * 1e300 is inf in float arithmetic); the JSON says so under ``nulls``, stderr stays
    empty (numpy's overflow warning is not shown)."""
    from modelcollapse.cli import main

    assert 1e300 * 1e300 == math.inf  # the exact variance is no float
    assert main(["derive", family, "--param", f"{name}=1e300", "--T", "5", "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    import json

    out = json.loads(captured.out)
    assert out["mean_T"] == pytest.approx(1e300) and out["variance_T"] is None
    assert out["nulls"] == {"/variance_T": "overflow: beyond the float range (magnitude above "
                                           "1.8e308)"}
    # below the range the same moment is a number: sigma2^2 ((n0+1)/(n0-1))^6 - 1) for
    # gaussian-variance (unbiased S^2, chi-square with n0 - 1 degrees of freedom)
    if family == "gaussian-variance":
        d = derive("gaussian-variance", params={"sigma2": 1e150}, T=5)
        assert d.values["variance_T"] == pytest.approx(1e300 * ((101 / 99) ** 6 - 1), rel=1e-12)
        assert "nulls" not in d.to_dict()


@pytest.mark.parametrize(("family", "kwargs"), [("bernoulli", {"params": {"p": 1e-4}}),
                                                ("categorical", {"dim": 3})])
def test_a_chain_too_large_for_the_exact_probability_says_so(family, kwargs):
    """n = 20000 for T = 10: the exact chain's work sum (n+1)^2 over 10 steps is 4e9 > 2e8
    (absorption's max_work), so collapse_probability_T is None, and the notes say why."""
    assert 10 * 20001**2 > 200_000_000
    d = derive(family, schedule=Schedule("n0", n0=20000), T=10, **kwargs)
    assert d.values["collapse_probability_T"] is None
    reason = [note for note in d.notes if note.startswith("collapse_probability_T:")]
    assert len(reason) == 1
    assert "exact Wright-Fisher chain is too large for n_t up to 20000" in reason[0]
    assert "modelcollapse simulate" in reason[0]
    # where the chain fits, the number and no such note: n = 2, p = 1/2 is fixed at t = 0
    # with probability 1/4 + 1/4, else (p_0 = 1/2) fixed at t = 1 with probability 1/2
    small = derive("bernoulli", params={"p": 0.5}, schedule=Schedule("n0", n0=2), T=1)
    assert small.values["collapse_probability_T"] == pytest.approx(1 / 2 + 1 / 2 * 1 / 2)
    assert not any(n.startswith("collapse_probability_T:") for n in small.notes)


def test_huge_parameters_give_values_or_nulls_never_errors():
    """A location of 1e160 squares to inf in the moment recursion: its variance does not
    depend on it (sigma^2 sum 1/n_t = 6/100 over t = 0..5); a mix at a huge variance and
    limits beyond the float range are nulls with a note, not OverflowError."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning either
        out = derive("gaussian-mean", T=5, params={"mu": 1e160}).values
        assert out["mean_T"] == 1e160 and out["variance_T"] == pytest.approx(0.06, rel=1e-12)
        mixed = derive("gaussian-variance", T=5, params={"sigma2": 1e160}, workflow="mix",
                       real_weight=0.5)
        assert mixed.values["mean_T"] == pytest.approx(1e160)
        limit = derive("poisson", T=math.inf, params={"lam": 1e160})
        assert limit.values["mean_T"] is None
        assert any("overflow the float range" in note for note in limit.notes)
