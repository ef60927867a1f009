"""SymPy users pass expressions, not only strings: schedules (to Schedule, derive, simulate)
and moment maps (from_moment_map) give the same results as the equivalent text, through the
same whitelist."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from modelcollapse.families.custom import fisher_information, from_log_density, from_moment_map
from modelcollapse.schedules import Schedule
from modelcollapse.theory.derive import derive
from modelcollapse.validation import simulate

t, n0, n, theta = sp.symbols("t n0 n theta")  # plain symbols: matched by name


def test_schedule_from_sympy_equals_text() -> None:
    expr = n0 * t**sp.Rational(3, 2) + 5
    assert Schedule(expr, n0=7).sizes(40).tolist() == \
        Schedule("n0*t**(3/2) + 5", n0=7).sizes(40).tolist()


def test_derive_and_simulate_take_a_sympy_schedule() -> None:
    by_text = derive("gaussian-variance", schedule="n0*t**2", T=30)
    by_sympy = derive("gaussian-variance", schedule=n0 * t**2, T=30)
    assert by_sympy.values == by_text.values
    a = simulate("gaussian-variance", schedule=n0 * t, T=5, reps=200, progress=False)
    b = simulate("gaussian-variance", schedule="n0*t", T=5, reps=200, progress=False)
    np.testing.assert_array_equal(a["mean"].values, b["mean"].values)
    grid = simulate("gaussian-variance", schedule=[n0, n0 * t], T=5, reps=200, progress=False)
    np.testing.assert_array_equal(grid["mean"].isel(schedule=1).values, b["mean"].values)


def test_moment_map_from_sympy_equals_text() -> None:
    sym = from_moment_map("sympy-input-a", parameter="theta", mean=theta * (1 - 1 / n),
                          variance=theta**2 / n, domain="positive", kind="scale")
    txt = from_moment_map("sympy-input-b", parameter="theta", mean="theta*(1 - 1/n)",
                          variance="theta**2/n", domain="positive", kind="scale")
    a, b = sym.moment_map("theta", "user"), txt.moment_map("theta", "user")
    assert sp.simplify(a.mean - b.mean) == 0 and sp.simplify(a.variance - b.variance) == 0
    da = derive(sym, schedule="n0*t", T=20).values
    db = derive(txt, schedule="n0*t", T=20).values
    assert da["variance_T"] == pytest.approx(db["variance_T"], rel=1e-12)


@pytest.mark.parametrize(("mean", "match"), [
    (sp.sin(theta), "function sin"), (theta * sp.Symbol("q"), "unknown name 'q'"),
])
def test_sympy_moment_map_goes_through_the_whitelist(mean, match) -> None:
    with pytest.raises(ValueError, match=match):
        from_moment_map("sympy-input-c", parameter="theta", mean=mean, variance=theta**2 / n)


def test_schedule_refuses_a_sympy_function_outside_the_whitelist() -> None:
    with pytest.raises(ValueError, match="function sin"):
        derive("gaussian-variance", schedule=n0 * sp.sin(t), T=5)


def test_log_density_from_sympy_equals_text() -> None:
    lam, x = sp.symbols("lam x")
    sym = from_log_density("sympy-input-d", parameter="lam", log_density=sp.log(lam) - lam * x,
                           support=("0", "oo"))
    txt = from_log_density("sympy-input-e", parameter="lam", log_density="log(lam) - lam*x",
                           support=("0", "oo"))
    assert sp.simplify(fisher_information(sym) - fisher_information(txt)) == 0
    info = fisher_information(sym)  # exponential: 1/lambda^2, at lambda = 2
    assert info.subs({s: 2 for s in info.free_symbols}) == sp.Rational(1, 4)
