"""Family ``linear-regression`` (SPEC section 7): closed forms against direct sums, against
our own least-squares Monte Carlo on simulated designs (numpy.linalg.lstsq, one design at a
time), and the engines' exact and brute-force walks; the n_t <= d + 1 refusal; the CLI lists.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest

from modelcollapse.cli import main
from modelcollapse.families import get_family
from modelcollapse.families.data import LeastSquaresFit
from modelcollapse.schedules import Schedule
from modelcollapse.theory import derive
from modelcollapse.validation.sampling import fit
from modelcollapse.validation.simulate import simulate
from tests.validation.zscores import mean_z, variance_z

#: fixed seeds; |z| below this is agreement (a 5-sigma miss has probability 6e-7 per check)
Z_TOL = 5.0


def _exact_error(sizes, sigma2, d):
    """sigma^2 d sum_t 1/(n_t - d - 1), as an exact fraction."""
    return Fraction(sigma2) * d * sum(Fraction(1, n - d - 1) for n in sizes)


@pytest.mark.parametrize(("schedule", "n0", "T", "d", "sigma2"),
                         [("n0", 10, 6, 2, 1.0), ("n0*t**2", 8, 9, 3, 2.5), ("5,9,30", 5, 2, 2,
                                                                            0.5)])
def test_derive_matches_the_exact_sum(schedule, n0, T, d, sigma2):
    sched = Schedule(schedule, n0=n0) if "," not in schedule else Schedule.from_sizes(
        [int(n) for n in schedule.split(",")])
    out = derive("linear-regression", schedule=sched, T=T, dim=d, params={"sigma2": sigma2,
                                                                          "beta": 1.5})
    sizes = [int(n) for n in sched.sizes(T)]
    total = float(_exact_error(sizes, sigma2, d))
    assert out.values["mean_T"] == [1.5] * d
    assert out.values["variance_T"] == pytest.approx([total / d] * d, rel=1e-12)
    assert out.values["squared_error_T"] == pytest.approx(total, rel=1e-12)
    if sched.expression is not None:  # S_inf = inf for a constant size only
        assert out.values["collapses"] is (schedule == "n0")


def test_derive_limit_of_a_growing_schedule_matches_the_series():
    # n_t = n0 * 2^t: sum_t 1/(n0 2^t - d - 1), summed directly far beyond double precision
    out = derive("linear-regression", schedule=Schedule("n0*2**t", n0=10), T=math.inf, dim=2)
    direct = 2 * sum(1 / (10 * 2**t - 3) for t in range(200))
    assert out.values["squared_error_T"] == pytest.approx(direct, rel=1e-9)


def _lstsq_walk(sizes, beta, sigma2, reps, rng):
    """Our own Monte Carlo: draw X and y = X beta_prev + eps, refit with numpy.linalg.lstsq,
    one replication and one generation at a time."""
    d = len(beta)
    out = np.empty((reps, d))
    for r in range(reps):
        b = np.array(beta, dtype=float)
        for n in sizes:
            x = rng.standard_normal((n, d))
            y = x @ b + math.sqrt(sigma2) * rng.standard_normal(n)
            b = np.linalg.lstsq(x, y, rcond=None)[0]
        out[r] = b
    return out


def test_closed_form_matches_least_squares_on_simulated_designs():
    rng = np.random.default_rng(20241)
    sizes, beta, sigma2 = [8, 6, 6, 7], [0.5, -1.0], 1.5
    sched = Schedule.from_sizes(sizes)
    final = _lstsq_walk(sizes, beta, sigma2, 3000, rng)
    out = derive("linear-regression", schedule=sched, T=3, dim=2,
                 params={"beta": beta, "sigma2": sigma2})
    for i in range(2):
        assert abs(mean_z(final[:, i], beta[i])) < Z_TOL
        assert abs(variance_z(final[:, i], out.values["variance_T"][i])) < Z_TOL
    err = ((final - beta) ** 2).sum(axis=1)
    assert abs(mean_z(err, out.values["squared_error_T"])) < Z_TOL


@pytest.mark.parametrize("mode", ["exact", "brute"])
def test_engine_walks_match_the_closed_form(mode):
    sched = Schedule("n0", n0=7)
    ds = simulate("linear-regression", schedule=sched, T=4, reps=20_000, seed=3, mode=mode,
                  dim=3, params={"beta": 2.0, "sigma2": 0.8}, progress=False)
    theory = 0.8 * 5 / (7 - 4)
    final = np.asarray(ds["final"].values)
    assert final.shape == (20_000, 3) and ds.attrs["mode"] == mode
    for i in range(3):
        assert abs(mean_z(final[:, i], 2.0)) < Z_TOL
        assert abs(variance_z(final[:, i], theory)) < Z_TOL
    # the coefficients are uncorrelated: E||error||^2 = d times one coefficient's variance
    err = ((final - 2.0) ** 2).sum(axis=1)
    assert abs(mean_z(err, 3 * theory)) < Z_TOL


def test_least_squares_fit_equals_lstsq():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 12, 4))  # 5 designs of 12 rows, 3 inputs and the label
    got = fit(LeastSquaresFit(), x, 12, np.zeros((5, 3)))
    want = np.stack([np.linalg.lstsq(xi[:, :-1], xi[:, -1], rcond=None)[0] for xi in x])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("d", [1, 2, 4])
def test_sizes_up_to_d_plus_one_are_refused(d):
    fam = get_family("linear-regression")
    assert fam.min_size(dim=d) == d + 2
    with pytest.raises(ValueError, match=rf"n_t must be an integer >= {d + 2} for "
                                         "linear-regression, got"):
        derive("linear-regression", schedule=Schedule(str(d + 1), n0=50), T=2, dim=d)
    with pytest.raises(ValueError, match=rf">= {d + 2} for linear-regression"):
        simulate("linear-regression", schedule=Schedule("n0", n0=d + 1), T=1, reps=10, dim=d,
                 progress=False)


def test_cli_lists_of_length_d(capsys):
    main(["derive", "linear-regression", "--dim", "3", "--T", "4", "--n0", "9", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert len(out["mean_T"]) == len(out["variance_T"]) == 3
    assert out["squared_error_T"] == pytest.approx(float(_exact_error([9] * 5, 1, 3)))
    main(["simulate", "linear-regression", "--dim", "3", "--T", "2", "--n0", "9", "--reps",
          "200", "--json", "--quiet"])
    sim = json.loads(capsys.readouterr().out)
    assert sorted(sim["mean"]) == ["beta[0]", "beta[1]", "beta[2]"]


def test_cli_refuses_small_sizes_in_one_line(capsys):
    assert main(["derive", "linear-regression", "--dim", "2", "--schedule", "3", "--json"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: n_t must be an integer >= 4")


def test_the_noise_variance_is_one_number():
    with pytest.raises(ValueError, match=r"constant sigma2 of linear-regression takes one value, "
                                         r"got 2"):
        derive("linear-regression", params={"sigma2": [1.0, 2.0]}, T=2)
