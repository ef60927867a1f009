"""Tests for modelcollapse.theory.absorption (SPEC section 3, Bernoulli and Poisson)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import sympy as sp

from modelcollapse.symbols import T, n0, n_t, t
from modelcollapse.theory.absorption import (
    P_T,
    FixationProbabilities,
    bernoulli_fixation_probabilities,
    bernoulli_fixation_probability,
    lambda_,
    poisson_extinction_probability,
    poisson_extinction_symbolic,
    q,
)

# ---------------------------------------------------------------------------------------------
# Bernoulli: exact enumeration, independent of the implementation
# ---------------------------------------------------------------------------------------------


def _binom_pmf(k: int, n: int, p: float) -> float:
    return math.comb(n, k) * p**k * (1.0 - p) ** (n - k)


def _enumerate_paths(p: float, sizes: tuple[int, ...]) -> tuple[float, float]:
    """Sum over every path (k_0, ..., k_T) of the product of binomial probabilities."""
    at_zero = at_one = 0.0
    for path in itertools.product(*(range(n + 1) for n in sizes)):
        prob = _binom_pmf(path[0], sizes[0], p)
        for i in range(1, len(sizes)):
            prob *= _binom_pmf(path[i], sizes[i], path[i - 1] / sizes[i - 1])
        if path[-1] == 0:
            at_zero += prob
        elif path[-1] == sizes[-1]:
            at_one += prob
    return at_zero, at_one


@pytest.mark.parametrize(
    ("p", "sizes"),
    [(0.3, (2, 3, 2)), (0.5, (2, 3, 2)), (0.71, (3, 1, 4, 2)), (0.2, (4, 4, 4, 4)), (0.9, (5,))],
)
def test_bernoulli_exact_enumeration(p: float, sizes: tuple[int, ...]) -> None:
    expected_zero, expected_one = _enumerate_paths(p, sizes)
    res = bernoulli_fixation_probabilities(p, np.array(sizes))
    assert isinstance(res, FixationProbabilities)
    assert res.at_zero == pytest.approx(expected_zero, rel=1e-12, abs=1e-15)
    assert res.at_one == pytest.approx(expected_one, rel=1e-12, abs=1e-15)
    total = bernoulli_fixation_probability(p, np.array(sizes))
    assert total == pytest.approx(expected_zero + expected_one, rel=1e-12)


def test_bernoulli_sizes_232_by_hand() -> None:
    # sizes (2, 3, 2), written out with math.comb: P(k_2 = 0) and P(k_2 = 2)
    p = 0.3
    at_zero = at_one = 0.0
    for k0 in range(3):
        w0 = math.comb(2, k0) * p**k0 * (1 - p) ** (2 - k0)
        for k1 in range(4):
            p0 = k0 / 2
            w1 = math.comb(3, k1) * p0**k1 * (1 - p0) ** (3 - k1)
            p1 = k1 / 3
            at_zero += w0 * w1 * (1 - p1) ** 2
            at_one += w0 * w1 * p1**2
    res = bernoulli_fixation_probabilities(p, np.array([2, 3, 2]))
    assert res == pytest.approx((at_zero, at_one), rel=1e-13)


def test_bernoulli_time_zero() -> None:
    for n, p in [(1, 0.4), (7, 0.3), (20, 0.05)]:
        expected = (1 - p) ** n + p**n
        assert bernoulli_fixation_probability(p, np.array([n])) == pytest.approx(expected)
    assert bernoulli_fixation_probability(0.5, np.array([1])) == 1.0


def test_bernoulli_degenerate_p() -> None:
    assert bernoulli_fixation_probabilities(0.0, np.array([3, 4, 5])) == (1.0, 0.0)
    assert bernoulli_fixation_probabilities(1.0, np.array([3, 4, 5])) == (0.0, 1.0)


def test_bernoulli_mean_is_a_martingale_in_the_fixed_part() -> None:
    # as T grows with constant sizes, fixation at 1 tends to p and fixation at 0 to 1 - p
    res = bernoulli_fixation_probabilities(0.3, np.full(2001, 5))
    assert res.at_one == pytest.approx(0.3, abs=1e-9)
    assert res.at_zero == pytest.approx(0.7, abs=1e-9)


def test_bernoulli_constant_sizes_increase_to_one() -> None:
    values = [bernoulli_fixation_probability(0.4, np.full(h + 1, 10)) for h in range(0, 200, 10)]
    assert all(b > a for a, b in zip(values, values[1:], strict=False))
    assert values[-1] > 0.99
    assert bernoulli_fixation_probability(0.4, np.full(1001, 10)) == pytest.approx(1.0, abs=1e-12)


def test_bernoulli_superlinear_growth_keeps_fixation_away_from_one() -> None:
    def growing(h: int) -> np.ndarray:
        return np.array([10] + [10 * t * t for t in range(1, h + 1)])

    p4 = bernoulli_fixation_probability(0.4, growing(4))
    p8 = bernoulli_fixation_probability(0.4, growing(8))
    assert p4 < p8 < 0.05
    assert p8 - p4 < 0.005  # the fixation probability levels off when S_oo < oo
    assert bernoulli_fixation_probability(0.4, np.full(9, 10)) > 0.5  # constant sizes: no


def test_bernoulli_repeated_and_changing_sizes() -> None:
    # cached transition matrices reused across repeats must give the same as fresh ones
    sizes = np.array([6, 6, 6, 4, 4, 6, 6])
    res = bernoulli_fixation_probabilities(0.45, sizes)
    expected = _enumerate_paths(0.45, tuple(int(x) for x in sizes))
    assert res == pytest.approx(expected, rel=1e-12)


def test_bernoulli_monte_carlo() -> None:
    p, n, horizon = 0.3, 10, 20
    rng = np.random.default_rng(12345)
    draws = 200_000
    k = rng.binomial(n, p, size=draws)
    for _ in range(horizon):
        k = rng.binomial(n, k / n)
    fixed = np.mean((k == 0) | (k == n))
    prob = bernoulli_fixation_probability(p, np.full(horizon + 1, n))
    se = math.sqrt(prob * (1 - prob) / draws)
    assert abs(fixed - prob) / se < 4


def test_bernoulli_monte_carlo_growing() -> None:
    p = 0.2
    sizes = np.array([8, 9, 11, 14, 18, 23, 29, 36])
    rng = np.random.default_rng(777)
    draws = 200_000
    k = rng.binomial(sizes[0], p, size=draws)
    for prev, cur in zip(sizes[:-1], sizes[1:], strict=True):
        k = rng.binomial(cur, k / prev)
    res = bernoulli_fixation_probabilities(p, sizes)
    for observed, prob in [(np.mean(k == 0), res.at_zero), (np.mean(k == sizes[-1]), res.at_one)]:
        se = math.sqrt(prob * (1 - prob) / draws)
        assert abs(observed - prob) / se < 4


def test_bernoulli_max_work_guard() -> None:
    sizes = np.full(11, 100)  # work = 10 * 101 * 101 = 102010
    with pytest.raises(ValueError, match=r"exact chain is too large.*102010.*Monte Carlo"):
        bernoulli_fixation_probability(0.5, sizes, max_work=100_000)
    assert 0 < bernoulli_fixation_probability(0.5, sizes, max_work=102_010) < 1
    with pytest.raises(ValueError, match=r"exact chain is too large"):
        bernoulli_fixation_probabilities(0.5, np.array([10**6, 10**6]))


@pytest.mark.parametrize(
    ("p", "sizes", "exc", "match"),
    [
        (1.5, [3, 3], ValueError, r"p must be a real number in \[0, 1\], got p = 1.5"),
        (-0.1, [3, 3], ValueError, r"p must be a real number in \[0, 1\]"),
        (math.nan, [3, 3], ValueError, r"p must be a real number in \[0, 1\]"),
        ("0.5", [3, 3], TypeError, r"p must be a real number in \[0, 1\]"),
        (0.5, [3, 0], ValueError, r"sizes must hold integers >= 1, got sizes\[1\] = 0"),
        (0.5, [3, -2], ValueError, r"sizes must hold integers >= 1, got sizes\[1\] = -2"),
        (0.5, [3, 2.5], ValueError, r"sizes must hold integers >= 1, got sizes\[1\] = 2.5"),
        (0.5, [], ValueError, r"sizes must be a non-empty 1-D array"),
        (0.5, [[3, 3]], ValueError, r"sizes must be a non-empty 1-D array"),
        (0.5, [True, 3.0 + 1j], ValueError, r"sizes must hold integers >= 1"),
    ],
)
def test_bernoulli_rejects(p: object, sizes: object, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        bernoulli_fixation_probability(p, sizes)


def test_bernoulli_rejects_max_work() -> None:
    with pytest.raises(ValueError, match=r"max_work must be an integer >= 1, got max_work = 0"):
        bernoulli_fixation_probability(0.5, [2, 2], max_work=0)
    with pytest.raises(TypeError, match=r"max_work must be an integer"):
        bernoulli_fixation_probability(0.5, [2, 2], max_work=1e9)


def test_integral_float_sizes_accepted() -> None:
    assert bernoulli_fixation_probability(0.3, np.array([2.0, 3.0, 2.0])) == pytest.approx(
        sum(_enumerate_paths(0.3, (2, 3, 2)))
    )


# ---------------------------------------------------------------------------------------------
# Poisson: extinction of a branching process in a varying environment
# ---------------------------------------------------------------------------------------------


def test_poisson_time_zero() -> None:
    for n, lam in [(1, 0.5), (4, 0.5), (30, 2.0)]:
        assert poisson_extinction_probability(lam, np.array([n])) == pytest.approx(
            math.exp(-n * lam), rel=1e-15
        )


def test_poisson_galton_watson_constant_one() -> None:
    # n_t = 1: Z_0 ~ Poisson(lam), offspring Poisson(1): iterate s <- exp(s - 1) directly
    lam = 0.8
    for horizon in (1, 2, 5, 50, 400):
        s = 0.0
        for _ in range(horizon):
            s = math.exp(s - 1.0)
        expected = math.exp(lam * (s - 1.0))
        value = poisson_extinction_probability(lam, np.ones(horizon + 1, dtype=int))
        assert value == pytest.approx(expected, rel=1e-12)


def test_poisson_two_steps_closed_form() -> None:
    # sizes (a, b, c): G_0(f_1(f_2(0))) written out
    a, b, c, lam = 3, 5, 2, 0.7
    inner = math.exp((c / b) * (0.0 - 1.0))
    mid = math.exp((b / a) * (inner - 1.0))
    expected = math.exp(a * lam * (mid - 1.0))
    assert poisson_extinction_probability(lam, np.array([a, b, c])) == pytest.approx(
        expected, rel=1e-14
    )


def test_poisson_precision_when_survival_is_tiny() -> None:
    # critical GW with T = 10^6: survival of one line ~ 2/T; naive s-composition loses digits
    value = poisson_extinction_probability(1.0, np.ones(10**6 + 1, dtype=int))
    assert value == pytest.approx(math.exp(-2.0 / 10**6), rel=1e-6)
    assert value < 1.0


def _simulate_poisson(lam: float, sizes: np.ndarray, draws: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    z = rng.poisson(sizes[0] * lam, size=draws)
    for prev, cur in zip(sizes[:-1], sizes[1:], strict=True):
        z = rng.poisson((cur / prev) * z)
    return float(np.mean(z == 0))


@pytest.mark.parametrize(
    ("lam", "sizes"),
    [
        (0.5, np.full(16, 5)),
        (0.5, np.array([5] + [5 * (t + 1) for t in range(1, 16)])),
        (0.3, np.array([4, 2, 1, 3, 8, 8, 1, 2])),
    ],
)
def test_poisson_monte_carlo(lam: float, sizes: np.ndarray) -> None:
    draws = 200_000
    observed = _simulate_poisson(lam, sizes, draws, seed=int(sizes.sum()))
    prob = poisson_extinction_probability(lam, sizes)
    se = math.sqrt(prob * (1 - prob) / draws)
    assert abs(observed - prob) / se < 4


def test_poisson_extinction_limits() -> None:
    # constant sizes: extinction certain as T -> oo (slowly: 1 - P ~ 2 n0 lam / T ... bounded)
    values = [poisson_extinction_probability(0.5, np.full(h + 1, 5)) for h in (0, 10, 100, 10**4)]
    assert all(b > a for a, b in zip(values, values[1:], strict=False))
    assert values[-1] > 0.99
    # quadratic growth: S_oo < oo, extinction probability stays bounded away from 1
    sizes = np.array([5] + [5 * t * t for t in range(1, 10**4 + 1)])
    assert poisson_extinction_probability(0.5, sizes) < 0.5


def test_poisson_large_horizon_critical_asymptotics() -> None:
    # constant sizes: a critical Galton-Watson process with Poisson(1) offspring (variance 1),
    # whose survival probability from one ancestor is 2 / T (1 + O(log T / T)) (Kolmogorov);
    # Z_0 ~ Poisson(7 * 0.5), so P(extinct) = exp(-3.5 q_T)
    T = 10**6
    value = poisson_extinction_probability(0.5, np.full(T + 1, 7))
    survival_one = -math.log(value) / 3.5
    assert survival_one == pytest.approx(2 / T, rel=1e-3)


def test_poisson_huge_integer_sizes() -> None:
    sizes = [1, 2**70, 2**71]
    assert poisson_extinction_probability(0.5, sizes) == pytest.approx(
        math.exp(-0.5 * -math.expm1(-(2**70) * -math.expm1(-2.0))), rel=1e-14
    )


@pytest.mark.parametrize(
    ("lam", "sizes", "exc", "match"),
    [
        (0.0, [3], ValueError, r"lam must be a finite real number > 0, got lam = 0.0"),
        (-1.0, [3], ValueError, r"lam must be a finite real number > 0"),
        (math.inf, [3], ValueError, r"lam must be a finite real number > 0"),
        (None, [3], TypeError, r"lam must be a finite real number > 0, got lam = None"),
        (0.5, [3, 0], ValueError, r"sizes must hold integers >= 1, got sizes\[1\] = 0"),
        (0.5, [1.5], ValueError, r"sizes must hold integers >= 1, got sizes\[0\] = 1.5"),
        (0.5, np.array([], dtype=int), ValueError, r"sizes must be a non-empty 1-D array"),
        (0.5, "5", TypeError, r"sizes must be a 1-D array of integers"),
    ],
)
def test_poisson_rejects(lam: object, sizes: object, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        poisson_extinction_probability(lam, sizes)


# ---------------------------------------------------------------------------------------------
# symbolic recursion
# ---------------------------------------------------------------------------------------------


def test_poisson_symbolic_recursion_reproduces_numeric() -> None:
    start, step, result = poisson_extinction_symbolic()
    assert start == sp.Eq(q[T], 1)
    assert result.lhs == P_T
    assert result.rhs.free_symbols >= {n0, lambda_}
    sizes = [3, 5, 2, 8]
    horizon = len(sizes) - 1
    # evaluate q_{t-1} from q_t with the symbolic step, T = horizon
    values = {horizon: sp.Integer(1)}
    for tt in range(horizon, 0, -1):
        rhs = step.rhs.subs(t, tt).subs(q[tt], values[tt])
        rhs = rhs.subs({n_t[tt]: sizes[tt], n_t[tt - 1]: sizes[tt - 1]})
        values[tt - 1] = rhs
    prob = result.rhs.subs({q[0]: values[0], n0: sizes[0], lambda_: sp.Rational(1, 2)})
    assert float(prob) == pytest.approx(
        poisson_extinction_probability(0.5, np.array(sizes)), rel=1e-14
    )
    assert sp.latex(start) == "{q}_{T} = 1"
