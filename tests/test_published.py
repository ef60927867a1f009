"""Every published result against an independent number: exact rational chains (fractions),
mpmath Gamma ratios and products, exact enumeration of small Markov chains, direct sums, and
our own Monte Carlo of the estimators (fixed seeds, |z| < Z_TOL); plus the documented command
of each entry, run, printing the number."""

from __future__ import annotations

import functools
import json
import math
import shlex
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
from scipy import special, stats

from modelcollapse import published
from modelcollapse.cli import main
from modelcollapse.schedules import Schedule

#: |z| of a Monte Carlo comparison above which a test fails (two-sided tail 5.7e-7)
Z_TOL = 5.0


@functools.cache
def _default(key: str) -> published.Reproduction:
    """The entry's documented call (computed once for the module)."""
    return published.reproduce(key)


def _z(mc: float, theory: float, se: float) -> float:
    return (mc - theory) / se


# -- registry ---------------------------------------------------------------------------------


def test_registry_lists_every_required_entry():
    keys = published.keys()
    for key in ("shumailov2024", "bertrand2024", "seddik2024", "suresh2025-bernoulli",
                "suresh2025-poisson", "suresh2025-gaussian", "dey-donoho2024",
                "gerstgrasser2024-regression", "he-xu-cheng2025", "seed-superlinear",
                "seed-bias", "seed-improvement"):
        assert key in keys
    for entry in published.list():
        assert entry.citation and entry.paper_formula and entry.index_mapping
        assert entry.cli.startswith("modelcollapse ")
        assert published.get(entry.key) is entry


def test_bad_keys_and_arguments_name_what_is_allowed():
    with pytest.raises(ValueError, match="unknown published result 'nope'; allowed: "
                                         "shumailov2024"):
        published.get("nope")
    with pytest.raises(TypeError, match="key must be a string"):
        published.get(3)
    with pytest.raises(ValueError, match="unknown argument 'lam' for bertrand2024; allowed: "
                                         "n0, schedule, T, sigma2"):
        published.reproduce("bertrand2024", lam=1.0)
    with pytest.raises(ValueError, match="explicit sizes"):
        published.reproduce("shumailov2024", schedule="100,x")
    with pytest.raises(ValueError, match="T = inf: this entry's formula is a finite product"):
        published.reproduce("suresh2025-bernoulli", T=math.inf)
    with pytest.raises(TypeError, match="T must be an integer >= 0, got 2.5"):
        published.reproduce("suresh2025-bernoulli", T=2.5)


# -- Shumailov et al. 2024 --------------------------------------------------------------------


@pytest.mark.parametrize("schedule, T", [("100,200,400", 2), ("n0*2**t", 100), ("n0*t", 30)])
def test_shumailov_is_the_exact_rational_sum(schedule, T):
    r = published.reproduce("shumailov2024", schedule=schedule, T=T, sigma2=2.0)
    if "," in schedule:
        sizes = [int(x) for x in schedule.split(",")]
    elif "2**t" in schedule:
        sizes = [100] + [100 * 2**t for t in range(1, T + 1)]  # beyond 2**53: exact ints
    else:
        sizes = [100] + [100 * t for t in range(1, T + 1)]
    exact = 2 * sum(Fraction(1, m) for m in sizes)
    assert r.value == pytest.approx(float(exact), rel=1e-13)
    assert r.holds is True


def test_a_comma_inside_parentheses_is_an_argument_not_a_list_of_sizes(capsys):
    # 'max(n0, 2*n0*t)' was refused as 'a schedule with commas takes explicit sizes'
    r = published.reproduce("shumailov2024", n0=10, schedule="max(n0, 2*n0*t)", T=3,
                            sigma2=2.0)
    exact = 2 * sum(Fraction(1, m) for m in (10, 20, 40, 60))
    assert r.value == pytest.approx(float(exact), rel=1e-13)
    assert main(["published", "shumailov2024", "--schedule", "max(n0, t)", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["value"] == pytest.approx(0.03, rel=1e-13)  # sigma2 = 1, sizes 100 x 3: 3/100
    with pytest.raises(ValueError, match=r"commas outside parentheses takes explicit sizes"):
        published.reproduce("shumailov2024", schedule="max(n0, t),5")


def test_shumailov_against_our_monte_carlo_of_sample_means():
    rng = np.random.default_rng(20240724)
    reps, sizes = 4000, (100, 200, 400)
    mu = np.zeros(reps)
    for n in sizes:  # draw the data and refit the mean, generation by generation
        mu = rng.normal(mu[:, None], 1.0, size=(reps, n)).mean(axis=1)
    theory = _default("shumailov2024").value
    mc = mu.var(ddof=1)
    assert abs(_z(mc, theory, mc * math.sqrt(2 / (reps - 1)))) < Z_TOL


# -- Bertrand et al. 2024: fractional moment --------------------------------------------------


def _alpha(n: int, mle: bool = False) -> mp.mpf:
    """E sqrt(chi2_(n-1)/k), k = n (MLE) or n - 1 (unbiased), by mpmath Gamma ratios."""
    k = n if mle else n - 1
    return mp.sqrt(mp.mpf(2) / k) * mp.gamma(mp.mpf(n) / 2) / mp.gamma(mp.mpf(n - 1) / 2)


@pytest.mark.parametrize("n0, schedule, T", [(10, "n0", 4), (5, "n0*t", 6), (3, "n0", 0)])
def test_bertrand_is_the_gamma_ratio_product(n0, schedule, T):
    r = published.reproduce("bertrand2024", n0=n0, schedule=schedule, T=T, sigma2=4.0)
    sizes = Schedule(schedule, n0=n0).sizes(T).tolist()
    exact = 2 * mp.fprod(_alpha(n) for n in sizes)
    assert r.value == pytest.approx(float(exact), rel=1e-11)
    if schedule == "n0":  # the paper's alpha(n)^(T+1)
        assert r.value == pytest.approx(2 * float(_alpha(n0)) ** (T + 1), rel=1e-11)


def test_bertrand_against_our_monte_carlo_of_sample_variances():
    rng = np.random.default_rng(7)
    reps, n, T = 20000, 10, 4
    s2 = np.ones(reps)
    for _ in range(T + 1):
        data = rng.normal(0.0, np.sqrt(s2)[:, None], size=(reps, n))
        s2 = data.var(axis=1, ddof=1)
    sd = np.sqrt(s2)
    theory = _default("bertrand2024").value
    assert abs(_z(sd.mean(), theory, sd.std(ddof=1) / math.sqrt(reps))) < Z_TOL


# -- Seddik et al. 2024 / Wright-Fisher -------------------------------------------------------


def _multinomial_chain(p, sizes):
    """Exact law of the counts after resampling n_0, ..., n_T tokens (enumeration)."""
    k = len(p)

    def states(n):
        return [c for c in np.ndindex(*(n + 1,) * k) if sum(c) == n]

    cur = states(sizes[0])
    law = np.array([stats.multinomial.pmf(c, sizes[0], p) for c in cur])
    for prev_n, n in zip(sizes[:-1], sizes[1:], strict=True):
        nxt = states(n)
        trans = np.array([[stats.multinomial.pmf(c2, n, np.array(c1) / prev_n) for c2 in nxt]
                          for c1 in cur])
        law, cur = law @ trans, nxt
    return cur, law


def test_seddik_fixation_by_exact_enumeration_and_the_bound():
    p, sizes = (0.2, 0.3, 0.5), [5, 5, 6, 4, 5]
    r = published.reproduce("seddik2024", schedule=",".join(map(str, sizes)), T=4, p=p)
    states, law = _multinomial_chain(p, sizes)
    dirac = sum(w for c, w in zip(states, law, strict=True) if max(c) == sum(c))
    assert r.value == pytest.approx(dirac, abs=1e-12)
    assert r.value >= r.paper_value


@pytest.mark.parametrize("n, T", [(20, 49), (7, 3), (50, 10)])
def test_seddik_s_m_is_the_exact_rational_chain(n, T):
    p = (Fraction(1, 5), Fraction(3, 10), Fraction(1, 2))
    r = published.reproduce("seddik2024", n0=n, T=T, p=tuple(float(q) for q in p))
    one_minus_s = (1 - sum(q * q for q in p)) * Fraction(n - 1, n) ** (T + 1)
    assert r.extra["E[1 - S_T] (library)"] == pytest.approx(float(one_minus_s), rel=1e-10)
    assert r.extra["1 - S_m (paper, m = T + 1)"] == pytest.approx(float(one_minus_s),
                                                                  rel=1e-12)
    assert r.holds is True


# -- Suresh et al. 2025 -----------------------------------------------------------------------


def test_suresh_bernoulli_by_the_binomial_chain_and_the_bound():
    n, T, p = 30, 20, 0.1
    k = np.arange(n + 1)
    law = stats.binom.pmf(k, n, p)
    trans = stats.binom.pmf(k[None, :], n, k[:, None] / n)
    for _ in range(T):
        law = law @ trans
    r = published.reproduce("suresh2025-bernoulli", n0=n, T=T, p=p)
    assert r.value == pytest.approx(law[0], rel=1e-10)
    assert r.value <= math.exp(-n * p / (T + 1)) == r.paper_value


@pytest.mark.parametrize("n, T, p", [(100, 99, 0.05), (10, 5, 0.3), (40, 200, 0.01),
                                     (25, 0, 0.04)])
def test_suresh_forgetting_bounds_hold(n, T, p):
    for key, opt in (("suresh2025-bernoulli", "p"), ("suresh2025-poisson", "lam")):
        r = published.reproduce(key, n0=n, T=T, **{opt: p})
        assert r.holds is True, (key, r.value, r.paper_value)


def test_suresh_bound_is_not_evaluated_off_its_assumption():
    r = published.reproduce("suresh2025-poisson", n0=10, schedule="n0*t", T=5)
    assert r.paper_value is None and r.holds is None and "constant size" in r.notes[0]


def test_suresh_poisson_against_our_monte_carlo_of_the_counts():
    rng = np.random.default_rng(11)
    reps, lam = 200_000, 0.05
    sizes = Schedule("n0*t", n0=20).sizes(15).tolist()
    counts = rng.poisson(sizes[0] * lam, size=reps)
    for prev, n in zip(sizes[:-1], sizes[1:], strict=True):  # draw n points at rate Z/prev
        counts = rng.poisson(counts * n / prev)
    mc = float(np.mean(counts == 0))
    theory = published.reproduce("suresh2025-poisson", n0=20, schedule="n0*t", T=15,
                                 lam=lam).value
    assert abs(_z(mc, theory, math.sqrt(mc * (1 - mc) / reps))) < Z_TOL


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
def test_suresh_gaussian_gamma_products_and_the_bound(estimator):
    n, T = 100, 399
    r = published.reproduce("suresh2025-gaussian", n0=n, T=T, estimator=estimator)
    exact = _alpha(n, mle=estimator == "mle") ** (T + 1)
    assert r.value == pytest.approx(float(exact), rel=1e-9)
    assert r.value <= math.exp(-(T + 1) / (4 * n)) == pytest.approx(r.paper_value)
    assert r.holds is True


def test_suresh_gaussian_step_factor_is_below_the_papers_rate():
    # the bound holds for every schedule because each step satisfies alpha(n) <= e^(-1/(4n))
    for n in range(2, 400):
        assert _alpha(n) <= mp.exp(-mp.mpf(1) / (4 * n))


# -- Dey & Donoho 2024, Gerstgrasser et al. 2024 (accumulate) ---------------------------------


def test_accumulate_limit_is_pi_squared_over_six():
    r = _default("dey-donoho2024")  # n = 100, sigma^2 = 1, T = inf
    assert r.value == pytest.approx(float(mp.pi**2 / 6 / 100), rel=1e-9)
    assert r.holds is True


@pytest.mark.parametrize("schedule, T", [("n0", 9), ("n0*t", 12), ("30,10,90,5", 3)])
def test_accumulate_is_the_exact_rational_sum(schedule, T):
    sched = published.as_schedule(schedule, 20)
    sizes = sched.sizes(T).tolist()
    pooled = np.cumsum(sizes).tolist()
    exact = Fraction(1, sizes[0]) + sum(Fraction(n, N * N) for n, N in
                                        zip(sizes[1:], pooled[1:], strict=True))
    # explicit sizes carry their n0 (30): n0=20 with them is refused as a disagreement
    n0 = {} if "," in schedule else {"n0": 20}
    r = published.reproduce("dey-donoho2024", schedule=schedule, T=T, **n0)
    assert r.value == pytest.approx(float(exact), rel=1e-12)
    if schedule == "n0":  # the paper's (sigma^2/n) sum_{k=1}^{t} 1/k^2, t = T + 1
        assert float(exact) == pytest.approx(float(sum(Fraction(1, 20 * k * k)
                                                       for k in range(1, T + 2))))
        assert r.holds is True
    else:
        assert r.holds is None


def test_accumulate_against_our_monte_carlo_of_the_pooled_mean():
    rng = np.random.default_rng(3)
    reps, n, T = 4000, 20, 9
    total = rng.normal(0.0, 1.0, size=(reps, n)).sum(axis=1)
    pooled = n
    for _ in range(T):  # draw from the current fit, pool with everything so far
        total = total + rng.normal(total[:, None] / pooled, 1.0, size=(reps, n)).sum(axis=1)
        pooled += n
    mu = total / pooled
    theory = published.reproduce("dey-donoho2024", n0=n, T=T).value
    mc = mu.var(ddof=1)
    assert abs(_z(mc, theory, mc * math.sqrt(2 / (reps - 1)))) < Z_TOL


# -- Gerstgrasser et al. 2024: linear regression ----------------------------------------------


def test_regression_replace_is_linear_in_the_generations():
    r = published.reproduce("gerstgrasser2024-regression", n0=20, dim=3, T=9, sigma2=2.0)
    exact = 2 * 3 * sum(Fraction(1, 20 - 3 - 1) for _ in range(10))
    assert r.extra["replace squared_error_T"] == pytest.approx(float(exact), rel=1e-12)
    assert r.extra["replace (paper)"] == pytest.approx(float(exact), rel=1e-12)


@pytest.mark.parametrize("n, d", [(50, 5), (8, 2)])
def test_regression_accumulate_stays_below_the_bound(n, d):
    r = (_default("gerstgrasser2024-regression") if (n, d) == (50, 5) else
         published.reproduce("gerstgrasser2024-regression", n0=n, dim=d))
    assert r.holds is True and r.value <= r.paper_value
    assert r.paper_value == pytest.approx(float(d * mp.pi**2 / 6 / (n - d - 1)), rel=1e-12)


def test_regression_accumulate_against_our_monte_carlo_of_pooled_least_squares():
    rng = np.random.default_rng(13)
    reps, n, d, T = 4000, 20, 3, 5
    xtx, xty = np.zeros((reps, d, d)), np.zeros((reps, d))
    beta = np.zeros((reps, d))  # the truth is 0; labels come from the latest fit
    for _ in range(T + 1):
        x = rng.normal(size=(reps, n, d))
        y = np.einsum("rnd,rd->rn", x, beta) + rng.normal(size=(reps, n))
        xtx += np.einsum("rnd,rne->rde", x, x)
        xty += np.einsum("rnd,rn->rd", x, y)
        beta = np.linalg.solve(xtx, xty[..., None])[..., 0]
    err = (beta**2).sum(axis=1)
    theory = published.reproduce("gerstgrasser2024-regression", n0=n, dim=d, T=T).value
    assert abs(_z(err.mean(), theory, err.std(ddof=1) / math.sqrt(reps))) < Z_TOL


# -- He, Xu & Cheng 2025 (mixing) -------------------------------------------------------------


@pytest.mark.parametrize("k", [1.0, 2.0, 0.5])
def test_mixing_weight_is_the_papers_closed_form(k):
    r = published.reproduce("he-xu-cheng2025", real_ratio=k)
    expected = (mp.sqrt(k * (k + 4)) - k) / 2
    assert r.value == pytest.approx(float(expected), rel=1e-10)
    if k == 1.0:
        assert r.value == pytest.approx(float(1 / mp.phi), rel=1e-12)


@pytest.mark.parametrize("k", [1e-300, 1e-5, 1.0, 1e8, 1e15, 1e300, 1.7e308])
def test_mixing_paper_value_is_accurate_at_every_ratio(k):
    # (sqrt(K(K + 4)) - K)/2 in floats lost six digits at K = 1e8 (holds: false) and was inf
    # from K ~ 1e154 on; the exact value from mpmath at 700 digits (enough for K = 1e308)
    with mp.workdps(700):
        K = mp.mpf(k)
        expected = float((mp.sqrt(K * (K + 4)) - K) / 2)
    r = published.reproduce("he-xu-cheng2025", real_ratio=k)
    assert r.paper_value == pytest.approx(expected, rel=4e-16)
    assert r.holds is True


def test_a_vector_option_that_is_not_numbers_names_the_option(capsys):
    # p=abc reached float('abc'): 'could not convert string to float' named nothing
    with pytest.raises(TypeError, match=r"^p takes numbers, a vector such as 0.2,0.3,0.5, "
                                        r"got 'abc'$"):
        published.reproduce("seddik2024", p="abc")
    with pytest.raises(TypeError, match=r"got True"):
        published.reproduce("seddik2024", p=(0.5, True))
    assert main(["published", "seddik2024", "--param", "p=abc"]) == 2
    assert capsys.readouterr().err == ("error: p takes numbers, a vector such as 0.2,0.3,0.5, "
                                       "got 'abc'\n")
    assert published.reproduce("seddik2024", p=[0.5, 0.5], T=3).arguments["p"] == (0.5, 0.5)


def test_mixing_against_our_monte_carlo_of_the_mixed_estimator():
    rng = np.random.default_rng(5)
    reps, n, T, k = 20000, 20, 40, 1
    r = published.reproduce("he-xu-cheng2025", n0=n, real_ratio=float(k))
    w = r.value
    mu = rng.normal(0.0, 1.0, size=(reps, n)).mean(axis=1)
    for _ in range(T):  # fresh real data (mean 0) and synthetic data from the last fit
        real = rng.normal(0.0, 1.0 / math.sqrt(k * n), size=reps)
        synth = rng.normal(mu, 1.0 / math.sqrt(n))
        mu = w * real + (1 - w) * synth
    stationary = (w * w / k + (1 - w) ** 2) / (1 - (1 - w) ** 2) / n
    assert r.extra["variance_T at w*"] == pytest.approx(stationary, rel=1e-10)
    mc = mu.var(ddof=1)
    assert abs(_z(mc, stationary, mc * math.sqrt(2 / (reps - 1)))) < Z_TOL


# -- this library's seed claims ---------------------------------------------------------------


def test_superlinear_growth_has_a_finite_log_drift():
    T = 40
    r = published.reproduce("seed-superlinear", T=T)
    sizes = Schedule("n0*t**1.5", n0=100).sizes(T).tolist()
    direct = mp.fsum(mp.digamma(mp.mpf(n - 1) / 2) + mp.log(mp.mpf(2) / (n - 1)) for n in sizes)
    assert r.value == pytest.approx(float(direct), rel=1e-10)
    limit = _default("seed-superlinear")  # T = inf
    half = (Schedule("n0*t**1.5", n0=100).sizes(20000).astype(float) - 1) / 2
    head = math.fsum(special.digamma(half) - np.log(half))
    tail = 2 * 2 / (100 * math.sqrt(20000))  # sum over t > 20000 of about 1/n_t, doubled
    assert head - tail < limit.value < head and limit.holds is True
    linear = published.reproduce("seed-superlinear", schedule="n0*t")
    assert linear.value is None and linear.extra["collapses"] is True


@pytest.mark.parametrize("alpha", [0.25, 0.5, 1.0, 2.0])
def test_bias_exponent_separates_collapse_from_none(alpha):
    r = published.reproduce("seed-bias", alpha=alpha)
    p_star = r.value
    assert p_star == max(1.0, 1 / alpha) and r.holds is True
    assert published.reproduce("seed-bias", alpha=alpha,
                               schedule=f"n0*t**{p_star + 0.5}").extra["collapses"] is False
    assert published.reproduce("seed-bias", alpha=alpha,
                               schedule=f"n0*t**{p_star - 0.25}").extra["collapses"] is True


def _biased_log_drift(p: float, T: int, kappa: float = 1.0, alpha: float = 0.5) -> float:
    """E log(sigma2_T/sigma2) of the biased unbiased-variance walk by a direct sum:
    each step adds E log(chi2_(n-1)/(n-1)) + log(1 - kappa n^-alpha)."""
    t = np.arange(1, T + 1, dtype=float)
    n = np.concatenate([[10.0], np.ceil(10 * t**p - 1e-9)])  # n_0 = 10, n_t = ceil(10 t^p)
    return math.fsum(special.digamma((n - 1) / 2) + np.log(2 / (n - 1))
                     + np.log1p(-kappa * n**-alpha))


def test_bias_drift_is_the_direct_sum_and_diverges_below_p_star():
    from modelcollapse.families import Bias
    from modelcollapse.theory import derive

    for p in (1.5, 2.5):
        exact = derive("gaussian-variance", schedule=Schedule(f"n0*t**{p}", n0=10), T=200,
                       bias=Bias(1.0, 0.5)).values["log_mean_T"]
        assert exact == pytest.approx(_biased_log_drift(p, 200), rel=1e-10)
    # the fall over [T, 16 T] scales like 16^(1 - p/2) from one such block to the next: it
    # grows below p* = 2 (the drift diverges) and shrinks above it (the drift converges)
    for p, grows in ((1.5, True), (2.5, False)):
        a, b, c = (_biased_log_drift(p, T) for T in (1000, 16000, 256000))
        assert ((c - b) / (b - a) > 1) is grows


def test_improvement_probability_is_the_arctan_and_below_one_half():
    r = _default("seed-improvement")
    s_t = mp.fsum(mp.mpf(1) / (100 * t * t) for t in range(1, 101))
    exact = mp.atan(2 / mp.sqrt(100 * s_t)) / mp.pi
    assert r.value == pytest.approx(float(exact), rel=1e-12)
    assert round(r.value, 4) == 0.3189  # SPEC section 4's reference table
    assert r.value < 0.5 and r.holds is True


def test_improvement_against_our_monte_carlo():
    rng = np.random.default_rng(9)
    reps, n0, T = 200_000, 100, 10
    x = rng.normal(0.0, 1 / math.sqrt(n0), size=reps)
    theta = x.copy()
    for t in range(1, T + 1):
        theta = rng.normal(theta, 1 / math.sqrt(n0 * t * t))
    mc = float(np.mean(np.abs(theta) < np.abs(x)))
    theory = published.reproduce("seed-improvement", T=T).value
    assert abs(_z(mc, theory, math.sqrt(mc * (1 - mc) / reps))) < Z_TOL


# -- the documented commands ------------------------------------------------------------------


@pytest.mark.parametrize("key", published.keys())
def test_documented_command_prints_the_number(key, capsys):
    entry = published.get(key)
    assert main([*shlex.split(entry.cli)[1:], "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[entry.json_key] == pytest.approx(_default(key).value, rel=1e-12)


def test_documented_command_prints_the_number_as_text(capsys):
    entry = published.get("shumailov2024")
    assert main(shlex.split(entry.cli)[1:]) == 0
    assert "variance_T                 0.0175" in capsys.readouterr().out


def test_published_command_lists_and_reproduces(capsys):
    assert main(["published", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["published"]
    assert [e["key"] for e in listed] == published.keys()
    assert main(["published", "he-xu-cheng2025", "--param", "real_ratio=2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["value"] == pytest.approx(math.sqrt(3) - 1) and out["holds"] is True
    assert main(["published", "nope"]) == 2
    assert "error: unknown published result 'nope'" in capsys.readouterr().err


def test_a_reproduction_prints_the_call_for_its_own_arguments(capsys):
    r = published.reproduce("suresh2025-gaussian", n0=20, schedule="n0*t", T=50,
                            estimator="mle")
    assert r.cli == ('modelcollapse published suresh2025-gaussian --n0 20 --schedule "n0*t" '
                     "--T 50 --param estimator=mle")
    assert main([*shlex.split(r.cli)[1:], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["value"] == r.value
    again = eval(r.python_call, {"published": published, "math": math})  # noqa: S307
    assert again.value == r.value and r.python_call in str(r)


def test_json_writes_T_inf_as_null_like_derive(capsys):
    assert main(["published", "dey-donoho2024", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["arguments"]["T"] is None and "nulls" not in out
    assert main(["derive", "gaussian-mean", "--workflow", "accumulate", "--T", "inf",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["T"] is None
    r = published.reproduce("dey-donoho2024", T=math.inf, n0=10)
    assert "T = inf" in str(r) and r.to_dict()["arguments"]["T"] is None
    assert r.python_call == "published.reproduce('dey-donoho2024', T=math.inf, n0=10)"
    assert r.cli == "modelcollapse published dey-donoho2024 --T inf --n0 10"
    again = eval(r.python_call, {"published": published, "math": math})  # noqa: S307
    assert again.value == r.value == pytest.approx(math.pi**2 / 6 / 10, rel=1e-9)


def test_T_inf_on_the_default_list_of_sizes_names_the_finite_sum(capsys):
    # derive's "needs a schedule given by an expression, not a list of sizes" spoke of sizes
    # the user never gave (the entry's default); the entry's own limit is the finite horizon
    assert main(["published", "shumailov2024", "--T", "inf"]) == 2
    err = capsys.readouterr().err
    assert err == ("error: T = inf: this entry's formula is a finite product or sum; "
                   "allowed: an integer >= 0\n")
    with pytest.raises(ValueError, match="finite product or sum"):
        published.reproduce("shumailov2024", T=math.inf)


def test_n0_that_disagrees_with_the_schedule_is_refused(capsys):
    with pytest.raises(ValueError, match=r"^n0 = 70 disagrees with the schedule's n0 = 50$"):
        published.reproduce("bertrand2024", schedule=Schedule("n0", n0=50), n0=70)
    with pytest.raises(ValueError, match=r"^n0 = 70 disagrees with the schedule's n0 = 100$"):
        published.reproduce("shumailov2024", schedule="100,200,400", n0=70)
    assert main(["published", "shumailov2024", "--n0", "70"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: n0 = 70 disagrees with the schedule's n0 = 100; the default "
                          "schedule of shumailov2024 is a list of sizes (100,200,400): pass "
                          "--schedule") and err.count("\n") == 1
    # agreeing is fine: alpha(50)^5, alpha(n) = E sqrt(chi2_(n-1)/(n-1))
    r = published.reproduce("bertrand2024", schedule=Schedule("n0", n0=50), n0=50)
    alpha = math.sqrt(2 / 49) * math.exp(special.gammaln(25) - special.gammaln(24.5))
    assert r.value == pytest.approx(alpha**5, rel=1e-12)


@pytest.mark.slow
def test_every_panel_agrees_with_the_library_monte_carlo_at_every_point():
    """Each theory line against the Monte Carlo engine's walks at every plotted point (20000
    walks per series; the points of one series share walks, so each is judged alone)."""
    from modelcollapse.published import figure

    for key, panel in figure.figure_data(reps=20000, seed=77).items():
        solid = [line for line in panel["lines"] if len(line) == 3]
        for j, (x, y, se, _) in enumerate(panel["points"]):
            lx, ly, _ = solid[j] if j < len(solid) else solid[0]
            for xv, yv, sv in zip(x, y, se, strict=True):
                at = [k for k, v in enumerate(lx) if math.isclose(v, xv, rel_tol=1e-9)]
                if at and sv > 0 and ly[at[0]] is not None:
                    assert abs(_z(yv, ly[at[0]], sv)) < Z_TOL, (key, xv, yv, ly[at[0]], sv)
