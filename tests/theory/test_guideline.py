"""The data-expansion guideline (SPEC section 5) against closed sums and mpmath zeta."""

from __future__ import annotations

import math

import mpmath
import pytest

from modelcollapse.schedules import Schedule
from modelcollapse.theory import derive
from modelcollapse.theory.guideline import cheapest_schedule, error_for_budget, guideline_table

REL = 1e-12  # closed forms in double precision


def test_spec_factors_and_costs() -> None:
    rows = guideline_table(100, s_values=(1.0, 2.0), T=50, variance=2.0)
    assert rows[0].error_factor == pytest.approx(1 + float(mpmath.zeta(2)), rel=REL)
    assert rows[1].error_factor == pytest.approx(1 + float(mpmath.zeta(3)), rel=REL)
    assert round(rows[0].error_factor, 3) == 2.645 and round(rows[1].error_factor, 3) == 2.202
    T = 50
    assert rows[0].cost_T == pytest.approx(100 * T * (T + 1) * (2 * T + 1) / 6, rel=REL)
    assert rows[1].cost_T == pytest.approx(100 * (T * (T + 1) / 2) ** 2, rel=REL)
    assert rows[0].limit_error == pytest.approx(2.0 / 100 * (1 + math.pi**2 / 6), rel=REL)


def test_limit_error_matches_derive_limit() -> None:
    # n0 = 1 and s = 1: the schedule t**2 has integer values, so rounding does nothing and the
    # derived T = inf variance of the Gaussian mean is exactly (V / n0)(1 + zeta(2))
    row = guideline_table(1, s_values=(1.0,), T=10)[0]
    limit = derive("gaussian-mean", schedule=Schedule("n0*t**2", n0=1), T=math.inf)
    assert limit.values["variance_T"] == pytest.approx(row.limit_error, rel=1e-8)


def test_cheapest_meets_target_and_is_minimal() -> None:
    delta = 0.25
    grid = (0.5, 1.0, 1.5, 2.0)
    best = cheapest_schedule(100, delta, T=30, s_values=grid)
    assert best.error_factor <= 1 + delta + 1e-12
    # multiplier is the smallest that meets the target: a slightly smaller one misses it
    assert 1 + float(mpmath.zeta(1 + best.s)) / (best.multiplier * 0.999) > 1 + delta
    for s in grid:
        c = max(1.0, float(mpmath.zeta(1 + s)) / delta)
        cost = c * 100 * sum(t ** (1 + s) for t in range(1, 31))
        assert best.cost_T <= cost * (1 + 1e-12)


def test_budget_is_respected() -> None:
    budget = 5e7
    row = error_for_budget(100, budget, T=40, s_values=(0.5, 1.0, 2.0))
    assert row.cost_T <= budget * (1 + 1e-12)
    richer = error_for_budget(100, 10 * budget, T=40, s_values=(0.5, 1.0, 2.0))
    assert richer.limit_error < row.limit_error


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: guideline_table(0), "n0 must be an integer >= 1, got 0"),
        (lambda: guideline_table(10, s_values=(-1,)), "s values must be finite numbers > 0"),
        (lambda: cheapest_schedule(10, 0), "delta must be a finite number > 0, got 0"),
        (lambda: error_for_budget(10, 1.0, T=10), "budget 1 cannot pay for any schedule"),
    ],
)
def test_bad_input(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
