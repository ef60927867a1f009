"""Improvement probability for any family (SPEC section 7): closed form for the Gaussian mean,
detected from the law; numeric quadrature for multiplicative laws; the exact walk's Monte Carlo
elsewhere; checked against direct numpy loops written here (fixed seeds, |z| < 5)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from modelcollapse.families import get_family
from modelcollapse.theory.improvement import improvement_probability
from modelcollapse.validation.improvement import family_improvement_probability

Z = 5.0


def _own(improved: np.ndarray) -> tuple[float, float]:
    p = float(np.mean(improved))
    return p, math.sqrt(p * (1 - p) / improved.size)


def _z(a: float, se_a: float, b: float, se_b: float) -> float:
    return (a - b) / math.hypot(se_a, se_b)


def test_gaussian_mean_closed_form_equals_monte_carlo() -> None:
    closed = family_improvement_probability("gaussian-mean", n0=100, schedule="n0*t", T=10)
    assert closed.method == "closed-form" and closed.se == 0.0
    assert closed.probability == pytest.approx(0.2747, abs=5e-5)  # SPEC section 4 table
    mc = family_improvement_probability("gaussian-mean", n0=100, schedule="n0*t", T=10,
                                        reps=100_000, seed=3, method="monte-carlo")
    assert mc.method == "monte-carlo" and mc.se > 0
    assert abs(mc.probability - closed.probability) / mc.se < Z


def test_gaussian_mean_limit_and_dimension_match_the_isotropic_formula() -> None:
    res = family_improvement_probability("gaussian-mean", n0=1, schedule="n0*t**2", T=math.inf)
    assert res.probability == pytest.approx(math.atan(2 / math.sqrt(math.pi**2 / 6)) / math.pi)
    res = family_improvement_probability("gaussian-mean", n0=100, T=1, dim=5)
    assert res.probability == improvement_probability(100, 0.01, dim=5)


def test_closed_form_with_known_variance_parameter() -> None:
    # v = sigma2/n: sigma2 cancels in r, so P is the same as for sigma2 = 1
    res = family_improvement_probability("gaussian-mean", n0=100, T=10, params={"sigma2": 4.0})
    assert res.probability == pytest.approx(improvement_probability(100, 0.1))


def _variance_walk(n: int, T: int, reps: int, seed: int) -> np.ndarray:
    """sigma2_t = sigma2_(t-1) chi2_(n-1)/(n-1), sigma2* = 1, a direct loop."""
    rng = np.random.default_rng(seed)
    s0 = rng.chisquare(n - 1, size=reps) / (n - 1)
    s = s0.copy()
    for _ in range(T):
        s = s * rng.chisquare(n - 1, size=reps) / (n - 1)
    return np.abs(s - 1) < np.abs(s0 - 1)


def test_variance_walk_below_half_and_about_9_percent_below_the_gaussian_mean() -> None:
    n, T, reps = 10, 10, 200_000
    lib = family_improvement_probability("gaussian-variance", n0=n, T=T)
    assert lib.method == "numeric" and lib.se == 0.0
    own, own_se = _own(_variance_walk(n, T, reps, seed=12345))
    assert abs(_z(lib.probability, 0.0, own, own_se)) < Z
    mc = family_improvement_probability("gaussian-variance", n0=n, T=T, reps=reps, seed=1,
                                        method="monte-carlo")
    assert mc.method == "monte-carlo"
    assert mc.se == pytest.approx(math.sqrt(mc.probability * (1 - mc.probability) / reps))
    assert abs(_z(mc.probability, mc.se, own, own_se)) < Z
    assert abs(_z(mc.probability, mc.se, lib.probability, 0.0)) < Z
    assert lib.probability < 0.5
    gauss = family_improvement_probability("gaussian-mean", n0=n, T=T).probability
    # SPEC section 7: "for the variance walk at n = 10 by about 9%": 8.4% (relative) at T = 10
    assert 1 - lib.probability / gauss == pytest.approx(0.09, abs=0.01)


def test_numeric_one_generation_equals_a_direct_quadrature() -> None:
    """T = 1: P = E[F_1(2/R_0 - 1) - F_1(1)] over R_0 < 1 (and the mirror over R_0 > 1), with
    R_t = chi2_(n-1)/(n-1): scipy's chi-square law and quad, no characteristic function."""
    from scipy import integrate, stats

    n = 6
    law = stats.chi2(n - 1, scale=1 / (n - 1))

    def inner(x: float) -> float:
        y = max(2 / x - 1, 0.0)
        return law.pdf(x) * abs(law.cdf(y) - law.cdf(1.0))

    direct = sum(integrate.quad(inner, a, b, epsabs=1e-12, limit=200)[0]
                 for a, b in ((0, 1), (1, 2), (2, np.inf)))
    res = family_improvement_probability("gaussian-variance", n0=n, T=1)
    assert res.method == "numeric"
    assert res.probability == pytest.approx(direct, abs=1e-8)
    assert family_improvement_probability("gaussian-variance", n0=n, T=0).probability == 0.0


def test_numeric_equals_monte_carlo_for_other_multiplicative_laws() -> None:
    for family, kw in (("exponential", {"n0": 10, "T": 5}),
                       ("gaussian-variance", {"n0": 20, "T": 30, "schedule": "n0*t",
                                              "estimator": "mle"})):
        num = family_improvement_probability(family, **kw)
        mc = family_improvement_probability(family, reps=100_000, seed=8,
                                            method="monte-carlo", **kw)
        assert num.method == "numeric"
        assert abs(_z(mc.probability, mc.se, num.probability, 0.0)) < Z


def test_bernoulli_against_a_binomial_loop() -> None:
    n, T, reps, p = 50, 5, 100_000, 0.3
    lib = family_improvement_probability("bernoulli", n0=n, T=T, reps=reps, seed=2,
                                         params={"p": p})
    rng = np.random.default_rng(99)
    x0 = rng.binomial(n, p, size=reps) / n
    x = x0.copy()
    for _ in range(T):
        x = rng.binomial(n, x) / n
    own, own_se = _own(np.abs(x - p) < np.abs(x0 - p))
    assert lib.method == "monte-carlo"
    assert abs(_z(lib.probability, lib.se, own, own_se)) < Z
    assert lib.probability < 0.5


def test_poisson_against_a_poisson_loop() -> None:
    n, T, reps, lam = 20, 5, 100_000, 2.0
    lib = family_improvement_probability("poisson", n0=n, T=T, reps=reps, seed=4,
                                         params={"lam": lam})
    rng = np.random.default_rng(7)
    x0 = rng.poisson(n * lam, size=reps) / n
    x = x0.copy()
    for _ in range(T):
        x = rng.poisson(n * x) / n
    own, own_se = _own(np.abs(x - lam) < np.abs(x0 - lam))
    assert abs(_z(lib.probability, lib.se, own, own_se)) < Z


def test_user_family_file_with_a_law(tmp_path: Path) -> None:
    path = tmp_path / "gamma-scale.toml"
    path.write_text('name = "my-gamma-scale"\nparameter = "theta"\ndomain = "positive"\n'
                    'kind = "scale"\nlaw = "theta * Gamma(n*k, 1)/(n*k)"\n\n[constants]\n'
                    'k = 2.5\n')
    n, T, reps = 8, 6, 100_000
    lib = family_improvement_probability(str(path), n0=n, T=T)
    assert lib.method == "numeric" and lib.family == "my-gamma-scale"
    rng = np.random.default_rng(11)
    x0 = rng.standard_gamma(n * 2.5, size=reps) / (n * 2.5)
    x = x0.copy()
    for _ in range(T):
        x = x * rng.standard_gamma(n * 2.5, size=reps) / (n * 2.5)
    own, own_se = _own(np.abs(x - 1) < np.abs(x0 - 1))
    assert abs(_z(lib.probability, lib.se, own, own_se)) < Z


def test_closed_form_is_detected_from_the_law_not_the_name(tmp_path: Path) -> None:
    path = tmp_path / "loc.toml"
    path.write_text('name = "my-location"\nparameter = "theta"\ndomain = "real"\n'
                    'kind = "location"\ndefault = 3.0\nlaw = "theta + Normal(0, 4/n)"\n')
    res = family_improvement_probability(str(path), n0=100, schedule="n0*t", T=10)
    assert res.method == "closed-form"
    assert res.probability == pytest.approx(0.2747, abs=5e-5)
    # a variance depending on n otherwise than c/n: r^2 = sum v(n_t) / v(n_0)
    path.write_text('name = "my-location-2"\nparameter = "theta"\ndomain = "real"\n'
                    'kind = "location"\nlaw = "theta + Normal(0, 1/n**2)"\n')
    res = family_improvement_probability(str(path), n0=10, schedule="n0*2**t", T=3)
    rr = math.sqrt(sum(1 / (10 * 2**t) ** 2 for t in (1, 2, 3)) * 100)
    assert res.method == "closed-form" and res.r == pytest.approx(rr)
    assert res.probability == pytest.approx(math.atan2(2, rr) / math.pi)


def test_a_biased_mean_is_not_the_closed_form() -> None:
    from modelcollapse.families import Bias

    res = family_improvement_probability("gaussian-mean", n0=20, T=3, bias=Bias(1.0, 1.0),
                                         reps=20_000)
    assert res.method == "monte-carlo"


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="finite T"):
        family_improvement_probability("gaussian-variance", T=math.inf)
    with pytest.raises(ValueError, match="method"):
        family_improvement_probability("poisson", T=2, method="closed-form")
    with pytest.raises(ValueError, match="method"):
        family_improvement_probability("poisson", T=2, method="numeric")
    with pytest.raises(ValueError, match="method"):
        family_improvement_probability("gaussian-mean", T=2, method="numeric")
    with pytest.raises(ValueError, match="dim"):
        family_improvement_probability("poisson", T=2, dim=3)
    assert get_family("gaussian-mean").name == "gaussian-mean"
