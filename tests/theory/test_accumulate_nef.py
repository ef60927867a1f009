"""Accumulate, exactly, for natural exponential families with a quadratic variance function
(SPEC section 3): Var mu_t = Var mu_(t-1) + n_t E V(mu_(t-1)) / N_t^2,
E V(mu) = V(mu) + v2 Var mu."""

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from modelcollapse.families import get_family
from modelcollapse.schedules import Schedule
from modelcollapse.theory.derive import derive
from modelcollapse.theory.recursion import recursion_for, variance_function


def _exact(mu, v0, v1, v2, sizes):
    """The rational recursion, generation 0 included (Var mu_0 = V(mu)/n_0)."""
    var, total = Fraction(0), 0
    big_v = v0 + v1 * mu + v2 * mu * mu
    for n in sizes:
        total += n
        var = var + Fraction(n, total**2) * (big_v + v2 * var) if total != n \
            else big_v / n
    return var


@pytest.mark.parametrize("sizes", [[2, 3, 5], [10] * 8, [1, 1, 1, 1], [7, 20, 3, 50, 11]])
def test_poisson_exact_rational(sizes):
    lam = Fraction(3, 2)
    d = derive("poisson", schedule=Schedule.from_sizes(sizes), T=len(sizes) - 1,
               workflow="accumulate", params={"lam": float(lam)})
    assert d.values["variance_T"] == pytest.approx(float(_exact(lam, 0, 1, 0, sizes)),
                                                   rel=1e-13)
    assert d.values["mean_T"] == pytest.approx(1.5)


@pytest.mark.parametrize("sizes", [[2, 3, 5], [10] * 8, [1, 1, 1, 1], [7, 20, 3, 50, 11]])
@pytest.mark.parametrize("p", [Fraction(1, 2), Fraction(1, 5)])
def test_bernoulli_exact_rational(sizes, p):
    d = derive("bernoulli", schedule=Schedule.from_sizes(sizes), T=len(sizes) - 1,
               workflow="accumulate", params={"p": float(p)})
    assert d.values["variance_T"] == pytest.approx(float(_exact(p, 0, 1, -1, sizes)),
                                                   rel=1e-13)


def test_hand_values():
    sched = Schedule.from_sizes([2, 3, 5])
    assert derive("poisson", schedule=sched, T=2, workflow="accumulate",
                  params={"lam": 1.0}).values["variance_T"] == pytest.approx(0.67)
    assert derive("bernoulli", schedule=sched, T=2, workflow="accumulate",
                  params={"p": 0.5}).values["variance_T"] == pytest.approx(0.1455)


def test_variance_functions_read_off_moment_maps():
    assert variance_function(recursion_for(get_family("poisson"), "lam")) == (0, 1, 0)
    assert variance_function(recursion_for(get_family("bernoulli"), "p")) == (0, 1, -1)
    v0, v1, v2 = variance_function(recursion_for(get_family("gaussian-mean"), "mu"))
    assert (v1, v2) == (0, 0) and v0 == sp.Symbol("sigma^2", positive=True)
    d = derive("bernoulli", T=3, workflow="accumulate")
    p = get_family("bernoulli").parameters[0].symbol
    assert sp.expand(d.expressions["variance_function"] - (p - p**2)) == 0


def _mc_pooled(draw, mu, sizes, reps, rng):
    """S_t = S_(t-1) + X_t, X_t the sum of n_t draws at mu_(t-1); mu_t = S_t / N_t."""
    s = np.zeros(reps)
    est = np.full(reps, mu)
    total = 0
    for n in sizes:
        s = s + draw(rng, n, est)
        total += n
        est = s / total
    return est


@pytest.mark.parametrize(("family", "params", "draw", "mu"), [
    ("poisson", {"lam": 2.0}, lambda rng, n, m: rng.poisson(n * m), 2.0),
    ("bernoulli", {"p": 0.3}, lambda rng, n, m: rng.binomial(n, m), 0.3),
])
def test_monte_carlo_of_pooled_estimator(family, params, draw, mu):
    sizes = [5, 5, 8, 3, 10, 5, 5, 20]
    reps = 200_000
    d = derive(family, schedule=Schedule.from_sizes(sizes), T=len(sizes) - 1,
               workflow="accumulate", params=params)
    est = _mc_pooled(draw, mu, sizes, reps, np.random.default_rng(2024))
    var = d.values["variance_T"]
    assert abs(est.mean() - mu) / np.sqrt(var / reps) < 5
    dev = est - est.mean()
    se = np.sqrt((np.mean(dev**4) - np.mean(dev**2) ** 2) / reps)
    assert abs(est.var(ddof=1) - var) / se < 5


def test_no_closed_form_names_the_reason():
    for family in ("exponential", "mvgaussian"):
        d = derive(family, T=3, workflow="accumulate")
        assert d.values["variance_T"] is None
        assert any("is not a pooled sample mean" in note and family in note
                   for note in d.notes)
    reason = variance_function(recursion_for(get_family("gaussian-variance"), "sigma2"))
    assert isinstance(reason, str) and "depends on n" in reason
