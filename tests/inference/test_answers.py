"""Answers from draws of the bias (kappa, alpha): :mod:`modelcollapse.inference.answers`.

Reference numbers are computed independently here: growth exponents and safety by hand from
the rule "p alpha > 1, or p alpha = 1 and q alpha > 1" (SPEC section 3), log drifts with
``scipy.special``, first-passage probabilities by a direct loop over generations written out
below with ``Generator.chisquare`` / ``Generator.gamma`` (another seed than the library's).

Seeds are fixed; no test is retried. Two-sample z-scores are held below ``Z_TOL``.
"""

from __future__ import annotations

import json
import math
import re

import arviz as az
import numpy as np
import pytest
from scipy import special, stats

from modelcollapse.families import Bias, from_moment_map, get_family
from modelcollapse.inference.answers import (
    CollapseAnswer,
    collapse_probability,
    collapse_table,
    format_table,
    growth_floor,
    growth_summary,
    prior_draws,
    prior_predictive,
    required_growth_exponent,
    safety_probability,
    why_unsupported,
)
from modelcollapse.schedules import Schedule
from modelcollapse.theory.moments import log_moments

#: two-sided normal tail at 4.5 sigma: 6.8e-6 per comparison
Z_TOL = 4.5
#: user families declared with an exact multiplicative law (no built-in name anywhere)
USER = {
    "uniform-max": from_moment_map("uniform-max", parameter="theta",
                                   law="theta * (n + 1)/n * Beta(n, 1)", domain="positive",
                                   kind="scale"),
    "gamma-scale": from_moment_map("gamma-scale", parameter="theta",
                                   law="theta * Gamma(n*k, 1)/(n*k)", constants={"k": 2.5},
                                   domain="positive", kind="scale"),
}


# ---------------------------------------------------------------------------------------------
# independent references
# ---------------------------------------------------------------------------------------------
def direct_first_passage(family: str, sizes: np.ndarray, kappa: float, alpha: float,
                         epsilon: float, reps: int, seed: int) -> tuple[float, float, float]:
    """Walks of the positive parameter, one generation at a time, from value 1.

    ``sizes`` are the sizes of the generations walked. Returns the fractions of walks that
    fall below ``epsilon`` at some generation, that end below it, and the mean final log.
    """
    rng = np.random.default_rng(seed)
    theta = np.ones(reps)
    hit = np.zeros(reps, dtype=bool)
    for n in sizes:
        c = 1.0 - kappa * float(n) ** (-alpha)
        if family == "gaussian-variance":
            theta = c * theta * rng.chisquare(n - 1, size=reps) / (n - 1)
        elif family == "uniform-max":
            theta = c * theta * (n + 1) / n * rng.beta(n, 1.0, size=reps)
        elif family == "gamma-scale":
            theta = c * theta * rng.gamma(2.5 * n, 1.0, size=reps) / (2.5 * n)
        else:
            theta = c * theta * (n - 1) / rng.gamma(n, 1.0, size=reps)
        hit |= theta < epsilon
    return float(hit.mean()), float(np.mean(theta < epsilon)), float(np.mean(np.log(theta)))


def z_two_sample(p1: float, p2: float, m1: int, m2: int) -> float:
    pooled = (p1 * m1 + p2 * m2) / (m1 + m2)
    se = math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / m1 + 1 / m2))
    return abs(p1 - p2) / se


def variance_drift(sizes: np.ndarray) -> float:
    n = np.asarray(sizes, dtype=float)
    return float(np.sum(special.digamma((n - 1) / 2) + np.log(2 / (n - 1))))


def variance_log_var(sizes: np.ndarray) -> float:
    n = np.asarray(sizes, dtype=float)
    return float(np.sum(special.polygamma(1, (n - 1) / 2)))


# ---------------------------------------------------------------------------------------------
# growth exponent and summaries
# ---------------------------------------------------------------------------------------------
def test_required_growth_exponent() -> None:
    got = required_growth_exponent([0.1, 0.25, 0.5, 1.0, 3.0])
    np.testing.assert_allclose(got, [10.0, 4.0, 2.0, 1.0, 1.0])


def test_hdi_is_the_shortest_window() -> None:
    x = np.random.default_rng(5).gamma(2.0, size=1001)
    low, high = az.hdi(x, hdi_prob=0.9)
    s = np.sort(x)
    k = int(math.floor(0.9 * s.size))
    best = min((s[i + k] - s[i], s[i], s[i + k]) for i in range(s.size - k))
    assert (low, high) == (best[1], best[2])
    assert np.mean((x >= low) & (x <= high)) >= 0.9


def test_growth_summary() -> None:
    rng = np.random.default_rng(3)
    kappa, alpha = rng.gamma(2.0, size=500), 0.2 + rng.random(500)
    out = growth_summary(kappa, alpha, hdi_prob=0.8)
    assert out["draws"] == 500 and out["hdi_prob"] == 0.8
    p = np.maximum(1, 1 / alpha)
    for key, values in (("kappa", kappa), ("alpha", alpha), ("required_growth_exponent", p)):
        s = out[key]
        assert s["mean"] == pytest.approx(values.mean())
        assert s["sd"] == pytest.approx(values.std(ddof=1))
        assert (s["hdi_low"], s["hdi_high"]) == tuple(az.hdi(values, hdi_prob=0.8))
        assert s["hdi_low"] <= s["mean"] <= s["hdi_high"]
    json.dumps(out)


# ---------------------------------------------------------------------------------------------
# safety
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("expression", "expected"), [
    ("n0*t**2", 0.0),                     # p alpha = 0.8 < 1
    ("n0*t**3", 1.0),                     # 1.2 > 1
    ("n0*t**2.5", 0.0),                   # exactly 1 with q = 0
    ("n0*t**2.5*log(t+1)**2.5", 0.0),     # p alpha = 1, q alpha = 1: still diverges
    ("n0*t**2.5*log(t+1)**3", 1.0),       # p alpha = 1, q alpha = 1.2
    ("n0*2**t", 1.0),                     # exponential growth
    ("n0", 0.0),
])
def test_safety_probability_alpha_04(expression: str, expected: float) -> None:
    alpha = np.full(100, 0.4)
    assert safety_probability(alpha, Schedule(expression, n0=10)) == expected


def test_safety_probability_mixture_and_linear_series() -> None:
    alpha = np.array([0.3, 0.45, 0.5, 0.55, 0.9, 1.5, 2.0, 4.0])
    # t^2: safe iff 2 alpha > 1 (alpha = 0.5 sits on the boundary, q = 0: unsafe)
    assert safety_probability(alpha, Schedule("n0*t**2")) == 5 / 8
    # t log^2 t: sum 1/n_t converges but the t alpha rule needs alpha > 1 ... or alpha = 1
    assert safety_probability(alpha, Schedule("n0*t*log(t+1)**2")) == 3 / 8
    # linear growth is never safe, whatever alpha (sum 1/n_t diverges)
    assert safety_probability(alpha, Schedule("n0*t")) == 0.0


def test_safety_probability_undecided_names_schedule() -> None:
    with pytest.raises(ValueError, match=r"Schedule\.from_sizes\(\[10, 20\]\).*undecided"):
        safety_probability([0.5], Schedule.from_sizes([10, 20]))
    with pytest.raises(ValueError, match=r"n0\*t\*\*\(1\+s\).*undecided"):
        safety_probability([0.5], Schedule("n0*t**(1+s)"))
    assert safety_probability([0.5, 0.9], Schedule("n0*t**(1+s)", s=1.5)) == 1.0


# ---------------------------------------------------------------------------------------------
# collapse probability: simulation against a direct loop
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("family", "expression", "n0", "horizon", "epsilon"), [
    ("gaussian-variance", "10", 10, 30, 0.05),
    ("gaussian-variance", "n0*t", 5, 40, 0.2),
    ("exponential", "8", 8, 25, 0.2),
])
def test_unbiased_simulation_matches_direct_walk(family: str, expression: str, n0: int,
                                                 horizon: int, epsilon: float) -> None:
    reps = 20_000
    schedule = Schedule(expression, n0=n0)
    ans = collapse_probability(np.zeros(reps), np.ones(reps), family=family,
                               schedules={"s": schedule}, horizon=horizon, epsilon=epsilon,
                               seed=11)["s"]
    sizes = schedule.sizes(horizon)
    ref, ref_end, _ = direct_first_passage(family, sizes[1:], 0.0, 1.0, epsilon, reps, 99)
    ref_fresh, _, _ = direct_first_passage(family, sizes, 0.0, 1.0, epsilon, reps, 98)
    assert 0.05 < ref < 0.95  # the comparison has power
    assert z_two_sample(ans.probability, ref, reps, reps) < Z_TOL
    assert z_two_sample(ans.endpoint_probability, ref_end, reps, reps) < Z_TOL
    assert z_two_sample(ans.fresh_probability, ref_fresh, reps, reps) < Z_TOL
    assert ans.se == pytest.approx(math.sqrt(ans.probability * (1 - ans.probability) / reps))
    assert ans.probability >= ans.endpoint_probability
    assert ans.draws == reps and ans.method == "simulate"


def test_biased_simulation_matches_direct_walk() -> None:
    reps, horizon, epsilon = 20_000, 30, 0.1
    kappa, alpha = 0.5, 0.5
    schedule = Schedule("n0*t**0.5", n0=20)
    ans = collapse_probability(np.full(reps, kappa), np.full(reps, alpha),
                               schedules={"s": schedule}, horizon=horizon, epsilon=epsilon,
                               seed=5)["s"]
    ref, _, _ = direct_first_passage("gaussian-variance", schedule.sizes(horizon)[1:], kappa,
                                     alpha, epsilon, reps, 123)
    assert 0.05 < ref < 0.95
    assert z_two_sample(ans.probability, ref, reps, reps) < Z_TOL


def test_simulated_endpoint_close_to_analytic() -> None:
    k, a = np.full(40_000, 0.5), np.full(40_000, 0.7)
    plans = {"c": Schedule("n0", n0=30), "g": Schedule("n0*t", n0=10)}
    sim = collapse_probability(k, a, schedules=plans, horizon=60, epsilon=0.2, seed=1)
    ana = collapse_probability(k, a, schedules=plans, horizon=60, epsilon=0.2,
                               method="analytic")
    for name in plans:
        assert sim[name].endpoint_probability == pytest.approx(ana[name].probability, abs=0.02)
        assert sim[name].drift == pytest.approx(ana[name].drift)


# ---------------------------------------------------------------------------------------------
# analytic drift
# ---------------------------------------------------------------------------------------------
def test_analytic_drift_unbiased() -> None:
    schedule = Schedule("n0*t**1.2", n0=7)
    horizon, eps = 50, 0.3
    ans = collapse_probability(np.zeros(10), np.ones(10), schedules={"s": schedule},
                               horizon=horizon, epsilon=eps, method="analytic")["s"]
    sizes = schedule.sizes(horizon)
    drift, var = variance_drift(sizes[1:]), variance_log_var(sizes[1:])
    assert ans.drift == pytest.approx(drift, rel=1e-12)
    assert ans.log_sd == pytest.approx(math.sqrt(var), rel=1e-12)
    assert ans.probability == pytest.approx(stats.norm.cdf((math.log(eps) - drift)
                                                           / math.sqrt(var)), rel=1e-12)
    assert ans.se == pytest.approx(0.0, abs=1e-12)  # every draw has the same drift
    assert ans.fresh_drift == pytest.approx(variance_drift(sizes), rel=1e-12)
    fresh_sd = math.sqrt(variance_log_var(sizes))
    assert ans.fresh_probability == pytest.approx(
        stats.norm.cdf((math.log(eps) - variance_drift(sizes)) / fresh_sd), rel=1e-12)
    assert ans.endpoint_probability is None and ans.sizes == (int(sizes[1]), int(sizes[-1]))


def test_analytic_drift_with_bias() -> None:
    schedule = Schedule("n0*t", n0=40)
    horizon, eps = 80, 0.5
    kappa, alpha = np.array([0.0, 0.5, 2.0, 4.0]), np.array([1.0, 0.3, 0.6, 0.9])
    ans = collapse_probability(kappa, alpha, schedules={"s": schedule}, horizon=horizon,
                               epsilon=eps, method="analytic")["s"]
    n = schedule.sizes(horizon)[1:].astype(float)
    per_draw = np.array([variance_drift(n) + np.sum(np.log(1 - k * n ** -a))
                         for k, a in zip(kappa, alpha, strict=True)])
    assert ans.drift == pytest.approx(per_draw.mean(), rel=1e-12)
    sd = math.sqrt(variance_log_var(n))
    probs = stats.norm.cdf((math.log(eps) - per_draw) / sd)
    assert ans.probability == pytest.approx(probs.mean(), rel=1e-10)
    assert ans.se == pytest.approx(probs.std(ddof=1) / 2, rel=1e-10)


@pytest.mark.parametrize("family", ["gaussian-variance", "exponential", *USER])
def test_fresh_drift_agrees_with_theory_log_moments(family: str) -> None:
    """The answers add log c(n) to the unbiased law's log-moments; the theory reads the law
    biased by Family.law: the two agree for every multiplicative law."""
    fam = USER.get(family) or get_family(family)
    estimator = "unbiased" if "unbiased" in fam.estimators else None
    schedule = Schedule("n0*t**1.5", n0=12)
    ans = collapse_probability([0.8], [0.6], family=fam, schedules={"s": schedule},
                               horizon=40, method="analytic")["s"]
    mean, var = log_moments(fam, schedule.sizes(40), estimator=estimator, bias=Bias(0.8, 0.6))
    assert ans.fresh_drift == pytest.approx(mean, rel=1e-10)
    mean_f, var_f = log_moments(fam, schedule.sizes(40)[1:], estimator=estimator,
                                bias=Bias(0.8, 0.6))
    assert ans.drift == pytest.approx(mean_f, rel=1e-10)
    assert ans.log_sd == pytest.approx(math.sqrt(var_f), rel=1e-10)


# ---------------------------------------------------------------------------------------------
# monotonicity, options
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["simulate", "analytic"])
def test_larger_kappa_larger_collapse_probability(method: str) -> None:
    plans = {"s": Schedule("n0*t**0.5", n0=25)}
    probs = []
    for kappa in (0.0, 0.1, 0.2, 0.4):
        ans = collapse_probability(np.full(4000, kappa), np.full(4000, 0.5), schedules=plans,
                                   horizon=100, epsilon=0.1, seed=2, method=method)["s"]
        probs.append((ans.probability, ans.fresh_probability, ans.drift))
    p, pf, drift = map(list, zip(*probs, strict=True))
    assert p == sorted(p) and len(set(p)) == 4
    assert pf == sorted(pf) and len(set(pf)) == 4
    assert drift == sorted(drift, reverse=True)


def test_seed_reproducible_and_draw_selection() -> None:
    k, a = np.linspace(0, 1, 300), np.linspace(0.3, 1.2, 300)
    plans = {"s": Schedule("n0", n0=30)}
    kw = dict(schedules=plans, horizon=40, epsilon=0.3)
    one = collapse_probability(k, a, seed=4, **kw)["s"]
    assert one == collapse_probability(k, a, seed=4, **kw)["s"]
    assert one.probability != collapse_probability(k, a, seed=5, **kw)["s"].probability
    assert collapse_probability(k, a, draws=100, **kw)["s"].draws == 100
    assert collapse_probability(k, a, draws=1000, **kw)["s"].draws == 1000
    gen = collapse_probability(k, a, seed=np.random.default_rng(0), **kw)["s"]
    assert 0 <= gen.probability <= 1


def test_last_n_resumes_schedule_and_start_threshold() -> None:
    schedule = Schedule("n0*t", n0=10)
    ans = collapse_probability([0.1], [1.0], schedules={"s": schedule}, horizon=5,
                               last_n=35, start=2.0, epsilon=0.25, method="analytic")["s"]
    assert ans.sizes == (40, 80)
    assert ans.drift == pytest.approx(variance_drift(np.arange(40, 81, 10))
                                      + np.sum(np.log(1 - 0.1 / np.arange(40, 81, 10))))
    assert ans.threshold == 0.5
    fast = collapse_probability([0.1], [1.0], schedules={"e": Schedule("n0*2**t", n0=20)},
                                horizon=10, last_n=1000, method="analytic")["e"]
    assert fast.sizes == (1280, 1280 * 2**9)
    with pytest.raises(ValueError, match="never reaches last_n=100"):
        collapse_probability([0.1], [1.0], schedules={"c": Schedule("50", n0=50)}, horizon=5,
                             last_n=100)


def test_answer_to_dict_is_json() -> None:
    ans = collapse_probability([0.5], [0.5], schedules={"s": Schedule("n0")}, horizon=3)["s"]
    assert isinstance(ans, CollapseAnswer)
    d = ans.to_dict()
    assert d["probability"] == ans.probability and d["horizon"] == 3
    json.loads(json.dumps(d))


# ---------------------------------------------------------------------------------------------
# table and prior predictive
# ---------------------------------------------------------------------------------------------
def test_collapse_table_rows() -> None:
    k, a = np.full(2000, 1.0), np.full(2000, 0.6)
    plans = {"const": Schedule("n0", n0=20), "quad": Schedule("n0*t**2", n0=20),
             "list": Schedule.from_sizes([20] * 11)}
    rows = collapse_table(k, a, plans, 10, epsilon=0.3, seed=7)
    assert [r["schedule"] for r in rows] == ["const", "quad", "list"]
    assert rows[0]["safety_probability"] == 0.0 and rows[1]["safety_probability"] == 1.0
    assert rows[2]["safety_probability"] is None
    sim = collapse_probability(k, a, schedules=plans, horizon=10, epsilon=0.3, seed=7)
    ana = collapse_probability(k, a, schedules=plans, horizon=10, epsilon=0.3,
                               method="analytic")
    for row, name in zip(rows, plans, strict=True):
        assert row["collapse_probability"] == sim[name].probability
        assert row["fresh_collapse_probability"] == sim[name].fresh_probability
        assert row["analytic_probability"] == ana[name].probability
        assert row["expected_log_drift"] == pytest.approx(ana[name].drift)
    # the explicit list equals the constant schedule
    assert rows[2]["analytic_probability"] == rows[0]["analytic_probability"]
    json.loads(json.dumps(rows))
    text = format_table(rows)
    assert text.splitlines()[0].startswith("schedule") and len(text.splitlines()) == 4


def test_prior_draws_follow_the_prior() -> None:
    kappa, alpha = prior_draws(20_000, n_min=20, seed=8)
    b = kappa * 20.0 ** -alpha
    assert stats.kstest(b, stats.beta(1, 3).cdf).pvalue > 1e-4
    assert stats.kstest((alpha - 0.05) / 2.95, stats.beta(2, 2).cdf).pvalue > 1e-4
    assert np.all(b < 1)  # c(n) > 0 for every n >= n_min
    kappa5, alpha5 = prior_draws(10, n_min=5, seed=8)
    assert np.all(kappa5 * 5.0 ** -alpha5 < 1)


def test_prior_predictive() -> None:
    out = prior_predictive({"lin": Schedule("n0*t", n0=20), "cube": Schedule("n0*t**3", n0=20)},
                           50, epsilon=0.2, draws=1000)
    assert out["n_min"] == 20 and out["growth"]["draws"] == 1000
    assert out["growth"]["alpha"]["mean"] == pytest.approx(1.525, abs=0.1)
    lin, cube = out["table"]
    assert lin["safety_probability"] == 0.0
    kappa, alpha = prior_draws(1000)
    assert cube["safety_probability"] == pytest.approx(np.mean(alpha > 1 / 3), abs=0.05)
    assert lin["collapse_probability"] >= cube["collapse_probability"]
    json.dumps(out)
    with pytest.raises(ValueError, match="bias factor .* not positive"):
        prior_predictive({"small": Schedule("n0", n0=2)}, 5, draws=200)


# ---------------------------------------------------------------------------------------------
# bad inputs
# ---------------------------------------------------------------------------------------------
_PLANS = {"s": Schedule("n0", n0=20)}


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(kappa=[0.1, 0.2], alpha=[0.5]), "kappa and alpha must have the same length"),
    (dict(epsilon=0.0), r"epsilon must be in \(0, 1\)"),
    (dict(epsilon=1.0), r"epsilon must be in \(0, 1\)"),
    (dict(epsilon=1.5), r"epsilon must be in \(0, 1\)"),
    (dict(horizon=0), "horizon must be an integer >= 1"),
    (dict(kappa=[-0.1]), "kappa must be >= 0"),
    (dict(alpha=[0.0]), "alpha must be > 0"),
    (dict(alpha=[-1.0]), "alpha must be > 0"),
    (dict(alpha=[np.nan]), "alpha draws must be finite"),
    (dict(kappa=[]), "kappa must hold at least one draw"),
    (dict(family="poisson"), "family 'poisson' is not supported"),
    (dict(method="exact"), "method must be one of simulate, analytic"),
    (dict(schedules={}), "schedules must be a non-empty mapping"),
    (dict(schedules={"s": "n0*t"}), r"schedules\['s'\] must be a Schedule"),
    (dict(draws=0), "draws must be an integer >= 1"),
    (dict(start=-1.0), "start must be a finite number > 0"),
    (dict(kappa=[30.0]), r"bias factor 1 - kappa n\^-alpha is not positive at n_t=20"),
    (dict(schedules={"s": Schedule("1", n0=1)}), "sample size n_t < 2"),
])
def test_bad_inputs(kwargs: dict, match: str) -> None:
    args = dict(kappa=[0.5], alpha=[0.5], schedules=_PLANS, horizon=5, epsilon=0.1)
    args.update(kwargs)
    kappa, alpha = args.pop("kappa"), args.pop("alpha")
    with pytest.raises(ValueError, match=match):
        collapse_probability(kappa, alpha, **args)


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(horizon=2.5), "horizon must be an integer >= 1, got 2.5"),
    (dict(epsilon="0.1"), r"epsilon must be in \(0, 1\), got '0.1'"),
    (dict(start="1"), "start must be a finite number > 0 or None, got '1'"),
])
def test_bad_kinds(kwargs: dict, match: str) -> None:
    """A value of the wrong kind (a float for an integer, a string for a number) is a
    TypeError (STYLE 5)."""
    args = {"schedules": _PLANS, "horizon": 5, "epsilon": 0.1, **kwargs}
    with pytest.raises(TypeError, match=match):
        collapse_probability([0.5], [0.5], **args)


def test_bad_inputs_elsewhere() -> None:
    with pytest.raises(ValueError, match="alpha must be > 0"):
        required_growth_exponent([0.5, 0.0])
    with pytest.raises(ValueError, match="alpha must be > 0"):
        safety_probability([-0.5], Schedule("n0*t**2"))
    with pytest.raises(ValueError, match="kappa and alpha must have the same length"):
        growth_summary([1.0, 2.0], [0.5])
    with pytest.raises(ValueError, match="kappa must be >= 0"):
        collapse_table([-1.0], [0.5], _PLANS, 5)
    with pytest.raises(ValueError, match=r"hdi_prob must be in \(0, 1\)"):
        growth_summary([1.0], [0.5], hdi_prob=1.0)
    with pytest.raises(ValueError, match="n_min must be an integer >= 1"):
        prior_draws(10, n_min=0)


# ---------------------------------------------------------------------------------------------
# user families: any exact multiplicative law
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("family", "expression", "n0", "kappa", "alpha", "epsilon"), [
    ("uniform-max", "n0", 6, 0.1, 1.0, 0.2),
    ("gamma-scale", "n0*t**0.5", 8, 0.2, 0.5, 0.3),
])
def test_user_law_simulation_matches_direct_walk(family: str, expression: str, n0: int,
                                                 kappa: float, alpha: float,
                                                 epsilon: float) -> None:
    reps, horizon = 20_000, 30
    schedule = Schedule(expression, n0=n0)
    ans = collapse_probability(np.full(reps, kappa), np.full(reps, alpha), family=USER[family],
                               schedules={"s": schedule}, horizon=horizon, epsilon=epsilon,
                               seed=3)["s"]
    sizes = schedule.sizes(horizon)
    ref, ref_end, mean_log = direct_first_passage(family, sizes[1:], kappa, alpha, epsilon,
                                                  reps, 77)
    ref_fresh, _, _ = direct_first_passage(family, sizes, kappa, alpha, epsilon, reps, 78)
    assert 0.05 < ref < 0.95  # the comparison has power
    assert z_two_sample(ans.probability, ref, reps, reps) < Z_TOL
    assert z_two_sample(ans.endpoint_probability, ref_end, reps, reps) < Z_TOL
    assert z_two_sample(ans.fresh_probability, ref_fresh, reps, reps) < Z_TOL
    # the exact drift against the direct walks' mean log (standard error: log_sd / sqrt(reps))
    assert abs(ans.drift - mean_log) < Z_TOL * ans.log_sd / math.sqrt(reps)


def test_user_beta_law_analytic_drift_by_hand() -> None:
    """E log[(n+1)/n Beta(n, 1)] = log((n+1)/n) - 1/n; Var = 1/n^2 (psi'(n) - psi'(n+1))."""
    n = np.arange(10, 41, 10, dtype=float)
    ans = collapse_probability([0.2], [1.0], family=USER["uniform-max"],
                               schedules={"s": Schedule.from_sizes([10, *n.astype(int)])},
                               horizon=4, epsilon=0.5, method="analytic")["s"]
    expected = np.sum(np.log((n + 1) / n) - 1 / n + np.log(1 - 0.2 / n))
    assert ans.drift == pytest.approx(expected, rel=1e-12)
    assert ans.log_sd == pytest.approx(math.sqrt(np.sum(1 / n**2)), rel=1e-12)


def test_family_file_is_accepted(tmp_path) -> None:
    path = tmp_path / "umax.toml"
    path.write_text('name = "uniform-max"\nparameter = "theta"\ndomain = "positive"\n'
                    'kind = "scale"\nlaw = "theta * (n + 1)/n * Beta(n, 1)"\n')
    kw = dict(schedules={"s": Schedule("n0*t", n0=10)}, horizon=20, epsilon=0.3, seed=1)
    from_file = collapse_probability([0.5, 1.0], [0.5, 0.8], family=str(path), **kw)["s"]
    declared = collapse_probability([0.5, 1.0], [0.5, 0.8], family=USER["uniform-max"], **kw)
    assert from_file == declared["s"]
    assert why_unsupported(str(path)) is None


@pytest.mark.parametrize(("family", "missing"), [
    ("poisson", r"its law PoissonMean has no exact log-moments; the answers need a "
                r"multiplicative law \(InverseGamma, ScaledBeta, ScaledChiSquare, ScaledGamma\)"),
    ("gaussian-mean", r"its parameter mu is a location"),
    ("gaussian", r"one scalar parameter"),
    (from_moment_map("moments-only", parameter="theta", mean="theta", variance="theta**2/n",
                     domain="positive", kind="scale"), r"it declares no exact one-step law"),
])
def test_unsupported_families_name_what_is_missing(family, missing: str) -> None:
    name = getattr(family, "name", family)
    with pytest.raises(ValueError, match=rf"^family '{name}' is not supported by the collapse "
                                         rf"answers: .*{missing}"):
        collapse_probability([0.5], [0.5], family=family, schedules=_PLANS, horizon=5)
    reason = why_unsupported(family)
    assert reason is not None and "\n" not in reason and re.search(missing, reason)


def test_user_sizes_below_the_family_minimum() -> None:
    fam = from_moment_map("inverse-rate", parameter="lam", law="lam * (n - 1) / Gamma(n, 1)",
                          domain="positive", kind="rate", min_size=3)
    with pytest.raises(ValueError, match=r"sample size n_t < 3 within the horizon; allowed for "
                                         r"inverse-rate: n_t >= 3"):
        collapse_probability([0.1], [1.0], family=fam, horizon=3,
                             schedules={"s": Schedule("2", n0=2)})


def test_safety_and_p_star_follow_the_family_noise_exponent():
    """The unbiased uniform maximum has noise of order n^-2: n_t = n0 t^0.6 is safe for it
    under a fast-decaying bias (0.6 * 2 > 1, 0.6 * 5 > 1) and p* = max(1/2, 1/alpha); for the
    Gaussian variance (noise 1/n) the same schedule collapses (0.6 * 1 < 1)."""
    umax = from_moment_map("tmp-answers-umax", parameter="theta", domain="positive",
                           kind="scale", law="theta * (n + 1)/n * Beta(n, 1)")
    kappa, alpha = np.full(50, 0.1), np.full(50, 5.0)
    sched = {"slow": Schedule("n0*t**0.6", n0=10)}
    safe = {name: collapse_table(kappa, alpha, sched, 5, family=fam, seed=1)[0]
            ["safety_probability"] for name, fam in (("umax", umax),
                                                     ("variance", "gaussian-variance"))}
    assert safe == {"umax": 1.0, "variance": 0.0}
    assert growth_floor(umax) == 0.5 and growth_floor("gaussian-variance") == 1.0
    assert required_growth_exponent([0.5, 4.0], floor=growth_floor(umax)).tolist() == [2.0, 0.5]
