"""Tests for modelcollapse.theory.absorption_times (absorption-time distributions, categorical
fixation and cell loss), against chains written out independently here."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from modelcollapse.families.laws import MultinomialMean
from modelcollapse.theory.absorption import (
    absorption_probability,
    bernoulli_fixation_probabilities,
    bernoulli_fixation_probability,
    poisson_extinction_probability,
)
from modelcollapse.theory.absorption_times import (
    AbsorptionTimes,
    CategoricalFixation,
    bernoulli_fixation_times,
    categorical_fixation,
    categorical_fixation_probability,
    category_loss_probabilities,
    poisson_extinction_times,
    wright_fisher_mean_time,
)

# ---------------------------------------------------------------------------------------------
# exact rational chains, written independently of the implementation
# ---------------------------------------------------------------------------------------------


def _binomial_chain(p: Fraction, sizes: tuple[int, ...]) -> list[dict[int, Fraction]]:
    """Exact distributions of K_t (successes at generation t), t = 0..T."""
    def row(n: int, q: Fraction) -> dict[int, Fraction]:
        return {k: math.comb(n, k) * q**k * (1 - q) ** (n - k) for k in range(n + 1)}

    dists = [row(sizes[0], p)]
    for prev, cur in zip(sizes[:-1], sizes[1:], strict=True):
        new = {k: Fraction(0) for k in range(cur + 1)}
        for k, w in dists[-1].items():
            for k2, w2 in row(cur, Fraction(k, prev)).items():
                new[k2] += w * w2
        dists.append(new)
    return dists


def _compositions(n: int, k: int) -> list[tuple[int, ...]]:
    if k == 1:
        return [(n,)]
    return [(first, *rest) for first in range(n + 1) for rest in _compositions(n - first, k - 1)]


def _multinomial_pmf(counts: tuple[int, ...], probs: tuple[Fraction, ...]) -> Fraction:
    out = Fraction(math.factorial(sum(counts)))
    for c, q in zip(counts, probs, strict=True):
        out = out / math.factorial(c) * q**c
    return out


def _multinomial_chain(p: tuple[Fraction, ...], sizes: tuple[int, ...]
                       ) -> list[dict[tuple[int, ...], Fraction]]:
    k = len(p)
    dists = [{c: _multinomial_pmf(c, p) for c in _compositions(sizes[0], k)}]
    for prev, cur in zip(sizes[:-1], sizes[1:], strict=True):
        new = {c: Fraction(0) for c in _compositions(cur, k)}
        for c, w in dists[-1].items():
            if w == 0:
                continue
            probs = tuple(Fraction(x, prev) for x in c)
            for c2 in new:
                new[c2] += w * _multinomial_pmf(c2, probs)
        dists.append(new)
    return dists


BERNOULLI_CASES = [
    (Fraction(3, 10), (2, 3, 2)),
    (Fraction(1, 2), (3, 3, 3, 3, 3)),
    (Fraction(71, 100), (3, 1, 4, 2)),
    (Fraction(1, 5), (5, 4, 6, 3, 5, 5)),
    (Fraction(9, 10), (6,)),
]


@pytest.mark.parametrize(("p", "sizes"), BERNOULLI_CASES)
def test_bernoulli_times_exact_rational(p: Fraction, sizes: tuple[int, ...]) -> None:
    dists = _binomial_chain(p, sizes)
    zero = [float(d[0]) for d in dists]
    one = [float(d[n]) for d, n in zip(dists, sizes, strict=True)]
    res = bernoulli_fixation_times(float(p), np.array(sizes))
    assert isinstance(res, AbsorptionTimes)
    assert res.method == "exact" and res.reps is None
    np.testing.assert_allclose(res.at_zero, zero, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(res.at_one, one, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(res.cdf, np.add(zero, one), rtol=1e-12, atol=1e-15)
    assert np.all(res.stderr == 0)
    assert np.all(np.diff(res.cdf) >= -1e-15)
    assert res.truncated_mean == pytest.approx(sum(1 - z - o for z, o in zip(zero, one,
                                                                             strict=True)))


@pytest.mark.parametrize(("p", "sizes"), BERNOULLI_CASES)
def test_bernoulli_times_end_at_fixation_probability(p: Fraction, sizes: tuple[int, ...]) -> None:
    res = bernoulli_fixation_times(float(p), sizes)
    assert res.cdf[-1] == pytest.approx(bernoulli_fixation_probability(float(p), sizes),
                                        rel=1e-12)
    both = bernoulli_fixation_probabilities(float(p), sizes)
    assert (res.at_zero[-1], res.at_one[-1]) == pytest.approx(tuple(both), rel=1e-12, abs=1e-15)
    for t in range(len(sizes)):  # every entry is the fixation probability of the prefix
        assert res.cdf[t] == pytest.approx(
            bernoulli_fixation_probability(float(p), sizes[:t + 1]), rel=1e-12)


def test_wright_fisher_mean_time_rational() -> None:
    # n = 3: h = (I - Q)^(-1) 1 on states 1, 2, solved with sympy rationals
    n = 3
    q = sp.Matrix(2, 2, lambda i, j: sp.binomial(n, j + 1) * sp.Rational(i + 1, n) ** (j + 1)
                  * (1 - sp.Rational(i + 1, n)) ** (n - j - 1))
    h = (sp.eye(2) - q).solve(sp.ones(2, 1))
    np.testing.assert_allclose(wright_fisher_mean_time(n), [0.0, *map(float, h), 0.0],
                               rtol=1e-12)


def test_wright_fisher_mean_time_diffusion() -> None:
    # diffusion approximation E tau ~ -2n [p log p + (1-p) log(1-p)]
    n = 400
    h = wright_fisher_mean_time(n)
    for k in (100, 200, 300):
        x = k / n
        approx = -2 * n * (x * math.log(x) + (1 - x) * math.log(1 - x))
        assert h[k] == pytest.approx(approx, rel=0.02)


def test_bernoulli_mean_time_exact_matches_monte_carlo_of_tau() -> None:
    # E tau with the size held at n_T after T, against an unbounded simulation of tau
    p, sizes = 0.3, (6, 4, 8)
    res = bernoulli_fixation_times(p, sizes)
    rng = np.random.default_rng(11)
    reps = 40_000
    k = rng.binomial(sizes[0], p, size=reps)
    tau = np.zeros(reps)
    prev = sizes[0]
    t = 0
    while True:
        alive = (k > 0) & (k < prev)
        if not alive.any():
            break
        tau += alive
        t += 1
        cur = sizes[min(t, len(sizes) - 1)]
        k = rng.binomial(cur, k / prev)
        prev = cur
    z = (tau.mean() - res.mean_time) / (tau.std(ddof=1) / math.sqrt(reps))
    assert abs(z) < 5
    assert res.mean_time >= res.truncated_mean


def test_bernoulli_monte_carlo_method_against_exact() -> None:
    p, sizes = 0.35, [20, 15, 30, 30, 10, 25]
    exact = bernoulli_fixation_times(p, sizes, method="exact")
    mc = bernoulli_fixation_times(p, sizes, method="monte carlo", reps=50_000, seed=3)
    assert mc.method == "monte carlo" and mc.reps == 50_000
    ok = mc.stderr > 0
    assert ok.any()
    assert np.all(np.abs((mc.cdf - exact.cdf)[ok] / mc.stderr[ok]) < 5)
    assert abs(mc.truncated_mean - exact.truncated_mean) < 5 * mc.truncated_mean_stderr
    assert abs(mc.mean_time - exact.mean_time) < 5 * mc.mean_time_stderr


def test_bernoulli_auto_switches_to_monte_carlo() -> None:
    res = bernoulli_fixation_times(0.5, [3000] * 4, max_work=1000, reps=2000)
    assert res.method == "monte carlo"
    assert res.mean_time is None  # n_T beyond the fundamental-matrix limit
    with pytest.raises(ValueError, match="too large"):
        bernoulli_fixation_times(0.5, [3000] * 4, method="exact", max_work=1000)
    with pytest.raises(ValueError, match="method"):
        bernoulli_fixation_times(0.5, [3], method="brute")


def test_bernoulli_own_numpy_monte_carlo() -> None:
    p, sizes = 0.15, [12, 12, 9, 20, 12, 12, 7]
    exact = bernoulli_fixation_times(p, sizes)
    rng = np.random.default_rng(2024)
    reps = 60_000
    x = (rng.random((reps, sizes[0])) < p).sum(axis=1)  # raw draws, not rng.binomial
    fixed = [np.mean((x == 0) | (x == sizes[0]))]
    for prev, cur in zip(sizes[:-1], sizes[1:], strict=True):
        x = (rng.random((reps, cur)) < (x / prev)[:, None]).sum(axis=1)
        fixed.append(np.mean((x == 0) | (x == cur)))
    fixed = np.array(fixed)
    se = np.sqrt(exact.cdf * (1 - exact.cdf) / reps)
    assert np.all(np.abs(fixed - exact.cdf) < 5 * se)


# ---------------------------------------------------------------------------------------------
# Poisson
# ---------------------------------------------------------------------------------------------


def _poisson_chain(lam: float, sizes: tuple[int, ...], cutoff: int = 80) -> list[float]:
    """P(Z_t = 0) by propagating the count distribution truncated at ``cutoff``."""
    def pmf(mu: float) -> np.ndarray:
        k = np.arange(cutoff + 1)
        return np.array([math.exp(-mu + i * math.log(mu) - math.lgamma(i + 1)) if mu > 0
                         else float(i == 0) for i in k])

    dist = pmf(sizes[0] * lam)
    out = [dist[0]]
    for prev, cur in zip(sizes[:-1], sizes[1:], strict=True):
        new = np.zeros(cutoff + 1)
        for z, w in enumerate(dist):
            new += w * pmf(z * cur / prev)
        dist = new
        out.append(dist[0])
    return out


@pytest.mark.parametrize(("lam", "sizes"),
                         [(0.5, (2, 2, 2, 2)), (0.3, (3, 5, 2, 4)), (1.2, (1, 1, 2, 1, 3))])
def test_poisson_times_against_truncated_chain(lam: float, sizes: tuple[int, ...]) -> None:
    res = poisson_extinction_times(lam, sizes)
    assert res.method == "exact" and res.mean_time == math.inf
    np.testing.assert_allclose(res.cdf, _poisson_chain(lam, sizes), rtol=1e-10)


def test_poisson_times_end_at_extinction_probability() -> None:
    sizes = [5 * 2**t for t in range(101)]  # n_t beyond 2**53: exact integers
    res = poisson_extinction_times(0.2, sizes)
    assert res.cdf[-1] == poisson_extinction_probability(0.2, sizes)
    for t in (0, 1, 7, 50, 100):
        assert res.cdf[t] == pytest.approx(poisson_extinction_probability(0.2, sizes[:t + 1]),
                                           rel=1e-13)
    assert np.all(np.diff(res.cdf) >= 0)
    const = poisson_extinction_times(1.0, [1] * 101)
    assert const.cdf[-1] == pytest.approx(poisson_extinction_probability(1.0, [1] * 101))


def test_poisson_monte_carlo_against_exact() -> None:
    lam, sizes = 0.4, [3, 3, 6, 4, 4, 2, 8]
    exact = poisson_extinction_times(lam, sizes)
    mc = poisson_extinction_times(lam, sizes, method="monte carlo", reps=50_000, seed=5)
    assert np.all(np.abs(mc.cdf - exact.cdf) < 5 * mc.stderr)
    assert abs(mc.truncated_mean - exact.truncated_mean) < 5 * mc.truncated_mean_stderr
    # own numpy chain
    rng = np.random.default_rng(99)
    reps = 50_000
    z = rng.poisson(sizes[0] * lam, size=reps)
    dead = [np.mean(z == 0)]
    for prev, cur in zip(sizes[:-1], sizes[1:], strict=True):
        z = rng.poisson(z * cur / prev)
        dead.append(np.mean(z == 0))
    se = np.sqrt(exact.cdf * (1 - exact.cdf) / reps)
    assert np.all(np.abs(np.array(dead) - exact.cdf) < 5 * se)


# ---------------------------------------------------------------------------------------------
# Categorical
# ---------------------------------------------------------------------------------------------

CATEGORICAL_CASES = [
    ((Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)), (2, 3, 2)),
    ((Fraction(1, 3), Fraction(1, 3), Fraction(1, 3)), (3, 3, 3, 3)),
    ((Fraction(1, 10), Fraction(2, 10), Fraction(3, 10), Fraction(4, 10)), (4, 2, 5)),
    ((Fraction(0), Fraction(1, 2), Fraction(1, 2)), (2, 4)),
    ((Fraction(3, 5), Fraction(2, 5)), (4, 3, 5)),
]


@pytest.mark.parametrize(("p", "sizes"), CATEGORICAL_CASES)
def test_categorical_exact_rational(p: tuple[Fraction, ...], sizes: tuple[int, ...]) -> None:
    dists = _multinomial_chain(p, sizes)
    fixed = [float(sum(w for c, w in d.items() if sum(x > 0 for x in c) == 1)) for d in dists]
    lost = [[float(sum(w for c, w in d.items() if c[k] == 0)) for d in dists]
            for k in range(len(p))]
    res = categorical_fixation([float(x) for x in p], sizes)
    assert isinstance(res, CategoricalFixation) and res.method == "exact"
    np.testing.assert_allclose(res.cdf, fixed, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(res.lost, lost, rtol=1e-12, atol=1e-15)
    assert res.probability == pytest.approx(fixed[-1], rel=1e-12)
    law = MultinomialMean(sp.Symbol("n"), sp.Symbol("p"))
    assert absorption_probability(law, np.array([float(x) for x in p]), sizes) == \
        pytest.approx(fixed[-1], rel=1e-12)
    np.testing.assert_allclose(category_loss_probabilities([float(x) for x in p], sizes),
                               np.array(lost)[:, -1], rtol=1e-12, atol=1e-15)


def test_categorical_two_cells_is_bernoulli() -> None:
    sizes = [7, 5, 9, 9, 4]
    res = categorical_fixation([0.3, 0.7], sizes)
    bern = bernoulli_fixation_times(0.3, sizes)
    np.testing.assert_allclose(res.cdf, bern.cdf, rtol=1e-12)
    np.testing.assert_allclose(res.lost[0], bern.at_zero, rtol=1e-12)
    np.testing.assert_allclose(res.lost[1], bern.at_one, rtol=1e-12)
    assert categorical_fixation_probability([0.3, 0.7], sizes) == pytest.approx(
        bernoulli_fixation_probability(0.3, sizes), rel=1e-12)


def test_categorical_monte_carlo_against_exact_and_own_simulation() -> None:
    p, sizes = [0.5, 0.3, 0.15, 0.05], [6, 8, 5, 6, 6]
    exact = categorical_fixation(p, sizes)
    assert exact.method == "exact"
    mc = categorical_fixation(p, sizes, method="monte carlo", reps=40_000, seed=8)
    assert mc.method == "monte carlo" and mc.reps == 40_000
    ok = mc.stderr > 0
    assert np.all(np.abs((mc.cdf - exact.cdf)[ok] / mc.stderr[ok]) < 5)
    assert abs(mc.truncated_mean - exact.truncated_mean) < 5 * mc.truncated_mean_stderr
    ok = mc.lost_stderr > 0
    assert np.all(np.abs((mc.lost - exact.lost)[ok] / mc.lost_stderr[ok]) < 5)
    # own simulation from raw draws (categorical sampling by inverse CDF)
    rng = np.random.default_rng(17)
    reps = 40_000

    def draw(probs: np.ndarray, n: int) -> np.ndarray:
        cum = np.cumsum(probs, axis=1)
        cum[:, -1] = 1.0
        u = rng.random((len(probs), n))
        cells = (u[:, :, None] >= cum[:, None, :]).sum(axis=2)
        return np.stack([(cells == j).sum(axis=1) for j in range(len(p))], axis=1)

    c = draw(np.tile(p, (reps, 1)), sizes[0])
    fixed, lost0 = [np.mean((c > 0).sum(axis=1) == 1)], [np.mean(c[:, 3] == 0)]
    for prev, cur in zip(sizes[:-1], sizes[1:], strict=True):
        c = draw(c / prev, cur)
        fixed.append(np.mean((c > 0).sum(axis=1) == 1))
        lost0.append(np.mean(c[:, 3] == 0))
    se = np.sqrt(exact.cdf * (1 - exact.cdf) / reps)
    ok = se > 0
    assert np.all(np.abs((np.array(fixed) - exact.cdf)[ok] / se[ok]) < 5)
    se_lost = np.sqrt(exact.lost[3] * (1 - exact.lost[3]) / reps)
    assert np.all(np.abs(np.array(lost0) - exact.lost[3]) < 5 * se_lost)


def test_categorical_auto_and_errors() -> None:
    res = categorical_fixation([0.25] * 4, [60] * 3, max_work=1000, reps=3000, seed=1)
    assert res.method == "monte carlo"
    with pytest.raises(ValueError, match="too large"):
        categorical_fixation_probability([0.25] * 4, [60] * 3, max_work=1000)
    law = MultinomialMean(sp.Symbol("n"), sp.Symbol("p"))
    with pytest.raises(ValueError, match="too large"):  # derive turns this into None
        absorption_probability(law, [0.25] * 4, [5 * 2**t for t in range(30)])
    with pytest.raises(ValueError, match="summing to 1"):
        categorical_fixation([0.5, 0.4], [3])
    with pytest.raises(ValueError):
        categorical_fixation([1.2, -0.2], [3])
    with pytest.raises(ValueError):
        categorical_fixation(0.5, [3])


def test_categorical_many_cells_large_n_against_monte_carlo() -> None:
    # beyond any chain on compositions (C(124, 4) ~ 9.5e6 states): exact from the marginals
    p, sizes = [0.4, 0.3, 0.2, 0.07, 0.03], [120] * 200
    exact = categorical_fixation(p, sizes)
    assert exact.method == "exact" and 0.05 < exact.probability < 0.95
    mc = categorical_fixation(p, sizes, method="monte carlo", reps=20_000, seed=4)
    ok = mc.stderr > 0
    assert np.all(np.abs((mc.cdf - exact.cdf)[ok] / mc.stderr[ok]) < 5)
    ok = mc.lost_stderr > 0
    assert np.all(np.abs((mc.lost - exact.lost)[ok] / mc.lost_stderr[ok]) < 5)
    assert abs(mc.truncated_mean - exact.truncated_mean) < 5 * mc.truncated_mean_stderr
    # consistency with the Bernoulli functions, cell by cell
    for k in (0, 4):
        both = bernoulli_fixation_probabilities(p[k], sizes)
        assert exact.lost[k, -1] == pytest.approx(both.at_zero, rel=1e-12, abs=1e-300)
    assert exact.probability == pytest.approx(
        sum(bernoulli_fixation_probabilities(x, sizes).at_one for x in p), rel=1e-12)


def test_absorption_probability_takes_coordinate_arrays() -> None:
    # derive hands over values[name], a 1-D array (one entry for a scalar family)
    from modelcollapse.families import get_family

    sizes = [4, 6, 5]
    bern = get_family("bernoulli").law("p", "unbiased")
    pois = get_family("poisson").law("lam", "unbiased")
    cat = get_family("categorical").law("p", "unbiased")
    assert absorption_probability(bern, np.array([0.3]), sizes) == \
        bernoulli_fixation_probability(0.3, sizes)
    assert absorption_probability(pois, np.array([0.7]), sizes) == \
        poisson_extinction_probability(0.7, sizes)
    assert absorption_probability(cat, np.array([0.3, 0.7]), sizes) == pytest.approx(
        bernoulli_fixation_probability(0.3, sizes), rel=1e-12)
    with pytest.raises(ValueError, match="one parameter value"):
        absorption_probability(bern, np.array([0.3, 0.7]), sizes)


def test_bernoulli_times_banded_chain_matches_fixation_probability() -> None:
    # matrices beyond 2**22 entries go by banded blocks in both functions
    p, sizes = 0.002, [2500, 2600, 2100]
    res = bernoulli_fixation_times(p, sizes)
    assert res.method == "exact" and res.mean_time is None  # n_T beyond the mean's limit
    for t in range(len(sizes)):
        both = bernoulli_fixation_probabilities(p, sizes[:t + 1])
        assert res.at_zero[t] == pytest.approx(both.at_zero, rel=1e-12)
        assert res.at_one[t] == pytest.approx(both.at_one, rel=1e-12, abs=1e-300)
    assert 0.001 < res.cdf[-1] < 0.999
