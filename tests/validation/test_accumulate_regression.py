"""Linear regression under the accumulate workflow (Gerstgrasser et al. 2024): the exact
:math:`\\sigma^2 d\\sum_t n_t/(N_t(N_t - d - 1))` against exact fractions, mpmath's infinite sum,
our own pooled least squares on simulated designs, and the engine's pooled walk."""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from modelcollapse.schedules import Schedule
from modelcollapse.theory import derive
from modelcollapse.validation.simulate import simulate
from tests.validation.zscores import mean_z, variance_z

#: fixed seeds; |z| below this is agreement
Z_TOL = 5.0


def _exact(sizes, sigma2, d):
    """Per-coefficient variance sigma^2 sum_t n_t / (N_t (N_t - d - 1)), exactly."""
    total, out = 0, Fraction(0)
    for n in sizes:
        total += n
        out += Fraction(n, total * (total - d - 1))
    return Fraction(sigma2) * out


@pytest.mark.parametrize(("sizes", "d", "sigma2"), [([5, 4, 4, 4], 2, 1.0),
                                                    ([7, 20, 5, 40, 6], 3, 0.25)])
def test_derive_accumulate_is_the_exact_sum(sizes, d, sigma2):
    out = derive("linear-regression", schedule=Schedule.from_sizes(sizes), T=len(sizes) - 1,
                 dim=d, workflow="accumulate", params={"sigma2": sigma2, "beta": -0.5})
    want = float(_exact(sizes, sigma2, d))
    assert out.values["mean_T"] == [-0.5] * d
    assert out.values["variance_T"] == pytest.approx([want] * d, rel=1e-12)
    assert out.values["squared_error_T"] == pytest.approx(d * want, rel=1e-12)
    assert out.values["collapses"] is False


def test_accumulate_limit_is_bounded_and_equals_the_series():
    n, d = 10, 2
    out = derive("linear-regression", schedule=Schedule("n0", n0=n), T=math.inf, dim=d,
                 workflow="accumulate")
    series = mpmath.nsum(lambda t: 1 / ((t + 1) * (n * (t + 1) - d - 1)), [0, mpmath.inf])
    assert out.values["variance_T"][0] == pytest.approx(float(series), rel=1e-6)
    assert out.values["squared_error_T"] < 2 * d / (n - d - 1)  # the telescoping bound
    replaced = derive("linear-regression", schedule=Schedule("n0", n0=n), T=math.inf, dim=d)
    assert replaced.values["squared_error_T"] is None  # replace: the error grows without bound


def _own_pooled_lstsq(sizes, beta, sigma2, reps, rng):
    """Keep every (x, y); label generation t's inputs with the last fit; lstsq on all data."""
    d = len(beta)
    out = np.empty((reps, d))
    for r in range(reps):
        b = np.asarray(beta, dtype=float)
        xs, ys = np.empty((0, d)), np.empty(0)
        for n in sizes:
            x = rng.standard_normal((n, d))
            xs = np.vstack([xs, x])
            ys = np.concatenate([ys, x @ b + math.sqrt(sigma2) * rng.standard_normal(n)])
            b = np.linalg.lstsq(xs, ys, rcond=None)[0]
        out[r] = b
    return out


def test_closed_form_matches_our_pooled_least_squares():
    sizes, beta, sigma2, reps = [6, 4, 4, 5], [1.0, -2.0], 2.0, 3000
    final = _own_pooled_lstsq(sizes, beta, sigma2, reps, np.random.default_rng(31))
    want = float(_exact(sizes, sigma2, 2))
    for i in range(2):
        assert abs(mean_z(final[:, i], beta[i])) < Z_TOL
        assert abs(variance_z(final[:, i], want)) < Z_TOL
    assert abs(mean_z(((final - beta) ** 2).sum(axis=1), 2 * want)) < Z_TOL


def test_engine_pooled_walk_matches_the_closed_form():
    sizes = [6, 5, 5, 6, 5]
    ds = simulate("linear-regression", schedule=Schedule.from_sizes(sizes), T=4, reps=10_000,
                  seed=5, dim=3, workflow="accumulate", params={"sigma2": 0.5},
                  progress=False)
    assert ds.attrs["mode"] == "brute" and ds.attrs["workflow"] == "accumulate"
    final = np.asarray(ds["final"].values)
    want = float(_exact(sizes, 0.5, 3))
    for i in range(3):
        assert abs(mean_z(final[:, i], 0.0)) < Z_TOL
        assert abs(variance_z(final[:, i], want)) < Z_TOL


def test_summary_law_matches_the_data_it_stands_for():
    # one pooled batch: the refit from drawn (X'X, X'y) against lstsq on drawn data
    from modelcollapse.families.data import LeastSquaresFit, RegressionData
    from modelcollapse.validation.pooling import draw_summary, merge
    from modelcollapse.validation.sampling import draw_data

    reps, n, model, stat = 20_000, 6, RegressionData("beta", "sigma2"), LeastSquaresFit()
    values = {"beta": np.tile([0.5, -1.0], (reps, 1)), "sigma2": np.full(reps, 2.0)}
    summary = draw_summary(stat, model, values, n, np.random.default_rng(41))
    _, from_summary = merge(stat, None, summary, values["beta"])
    _, from_data = merge(stat, None, draw_data(model, values, n, np.random.default_rng(42)),
                         values["beta"])
    for i in range(2):  # both N(beta, sigma^2 (X'X)^-1): variance 2/(6 - 3) per coefficient
        assert abs(mean_z(from_summary[:, i], values["beta"][0, i])) < Z_TOL
        assert abs(variance_z(from_summary[:, i], 2.0 / 3)) < Z_TOL
        assert abs(variance_z(from_data[:, i], 2.0 / 3)) < Z_TOL
