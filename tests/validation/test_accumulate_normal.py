"""Pooled sample mean and S^2 under the accumulate workflow (theory.pooled_normal): derive's
exact means against our own Monte Carlo that keeps every data point, and against exact
fractions of the recursion written out by hand."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from modelcollapse.schedules import Schedule
from modelcollapse.theory import derive
from modelcollapse.theory.pooled_normal import variance_means
from tests.validation.zscores import mean_z, variance_z

#: fixed seeds; |z| below this is agreement
Z_TOL = 5.0
SIZES = [6, 4, 4, 5, 4]


def _own_walk(reps, ddof, centred, rng):
    """Every point kept; generation t draws around the pooled mean (centred) or 0."""
    data, mu, s2 = None, np.zeros(reps), np.ones(reps)
    for n in SIZES:
        loc = mu if centred else np.zeros(reps)
        batch = loc[:, None] + np.sqrt(s2)[:, None] * rng.standard_normal((reps, n))
        data = batch if data is None else np.concatenate([data, batch], axis=1)
        mu, s2 = data.mean(axis=1), data.var(axis=1, ddof=ddof)
    return mu, s2


@pytest.mark.parametrize(("family", "estimator", "ddof"), [
    ("gaussian-variance", "unbiased", 1), ("gaussian-variance", "mle", 0),
    ("gaussian", "unbiased", 1), ("gaussian", "mle", 0)])
def test_exact_means_match_our_pooled_monte_carlo(family, estimator, ddof):
    d = derive(family, schedule=Schedule.from_sizes(SIZES), T=len(SIZES) - 1,
               estimator=estimator, workflow="accumulate")
    centred = family == "gaussian"
    mu, s2 = _own_walk(20_000, ddof, centred, np.random.default_rng(61 + ddof))
    mean = d.values["mean_T"]["sigma2"] if centred else d.values["mean_T"]
    assert abs(mean_z(s2, mean)) < Z_TOL
    if centred:  # the pooled mean: a martingale with an exact variance
        assert d.values["mean_T"]["mu"] == 0.0
        assert abs(variance_z(mu, d.values["variance_T"]["mu"])) < Z_TOL
        assert d.values["variance_T"]["sigma2"] is None
    else:
        assert d.values["variance_T"] is None
    assert any("no closed form" in note for note in d.notes)


def test_known_mean_pooled_s2_stays_unbiased_and_the_mle_recursion_by_hand():
    # data centred at 0, S^2 around the pooled mean: E M_t = (N_t - 1) sigma^2 exactly
    np.testing.assert_allclose(variance_means(np.array(SIZES), 2.0, 1, centred=False), 2.0,
                               rtol=1e-13)
    m2, q, total, want = Fraction(5), Fraction(1, 6), 6, []  # ddof 0: E M_0 = 5, E xbar^2 = 1/6
    want.append(m2 / total)
    for n in SIZES[1:]:
        s = m2 / total
        after = total + n
        m2 += s * Fraction(n * (after - 1), after) + Fraction(total * n, after) * q
        q = (total**2 * q + n * s) / after**2
        total = after
        want.append(m2 / total)
    got = variance_means(np.array(SIZES), 1.0, 0, centred=False)
    np.testing.assert_allclose(got, [float(w) for w in want], rtol=1e-13)


def test_accumulated_variance_does_not_collapse_in_the_mean():
    # E S^2_T = sigma^2 (n0 - 1)/(n0 - 1) prod (1 - n_t/(N_t(N_t - 1))) > 0 at T = inf
    d = derive("gaussian", schedule=Schedule("n0", n0=10), T=float("inf"),
               workflow="accumulate")
    big = 10.0 * np.arange(2, 10**6 + 1)  # N_t = 10 (t + 1), t = 1 .. 10^6 - 1
    direct = np.exp(np.sum(np.log1p(-10 / (big * (big - 1)))))
    assert d.values["mean_T"]["sigma2"] == pytest.approx(direct, rel=1e-6)
    assert d.values["collapses"] is False
