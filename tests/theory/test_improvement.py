"""Tests for modelcollapse.theory.improvement (SPEC section 4)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from modelcollapse.symbols import s as s_sym
from modelcollapse.theory.improvement import (
    improvement_limit_power,
    improvement_probability,
    improvement_probability_general,
    improvement_probability_symbolic,
    r,
)

# ---------------------------------------------------------------------------------------------
# SPEC section 4 reference table: n0 = 100, n_t = ceil(100 g(t)), d = 1
# ---------------------------------------------------------------------------------------------


def _ceil_100_g(name: str, t: int) -> int:
    """ceil(100 * g(t)) in exact integer arithmetic (100 t^1.5 is an integer for square t)."""
    if name == "1":
        return 100
    if name == "t":
        return 100 * t
    if name == "t^1.5":
        m = 10_000 * t**3  # (100 t^1.5)^2
        k = math.isqrt(m)
        return k if k * k == m else k + 1
    if name == "t^2":
        return 100 * t * t
    if name == "2^t":
        return 100 * 2**t
    raise AssertionError(name)


def _inverse_sum(name: str, horizon: int) -> float:
    sizes = np.array([float(_ceil_100_g(name, t)) for t in range(1, horizon + 1)])
    return float(np.sum(1.0 / sizes))


TABLE = {
    1: {"1": 0.3524, "t": 0.3524, "t^1.5": 0.3524, "t^2": 0.3524, "2^t": 0.3918},
    10: {"1": 0.1795, "t": 0.2747, "t^1.5": 0.3043, "t^2": 0.3228, "2^t": 0.3525},
    100: {"1": 0.0628, "t": 0.2294, "t^1.5": 0.2898, "t^2": 0.3189, "2^t": 0.3524},
}
CELLS = [(h, g, v) for h, row in TABLE.items() for g, v in row.items()]


def test_ceil_integer_arithmetic_matches_float_where_unambiguous() -> None:
    for t in range(1, 101):
        exact = _ceil_100_g("t^1.5", t)
        approx = 100.0 * t**1.5
        if abs(approx - round(approx)) > 1e-6:
            assert exact == math.ceil(approx)
        else:
            assert exact == round(approx)
    assert _ceil_100_g("t^1.5", 4) == 800
    assert _ceil_100_g("t^1.5", 2) == 283


@pytest.mark.parametrize(("horizon", "g", "expected"), CELLS)
def test_reference_table(horizon: int, g: str, expected: float) -> None:
    value = improvement_probability(100, _inverse_sum(g, horizon))
    assert value == pytest.approx(expected, abs=5e-5)


@pytest.mark.parametrize(("dim", "expected"), [(1, 0.352), (2, 0.276), (5, 0.157), (10, 0.072)])
def test_spec_dimension_values_r_equal_1(dim: int, expected: float) -> None:
    assert improvement_probability(100, 0.01, dim=dim) == pytest.approx(expected, abs=5e-4)
    assert improvement_probability(100, 0.01, dim=dim, method="quad") == pytest.approx(
        expected, abs=5e-4
    )


# ---------------------------------------------------------------------------------------------
# formula properties and exactness
# ---------------------------------------------------------------------------------------------


def _mp_reference(rr: float, dim: int) -> float:
    """0.5 * I_{4/(4+r^2)}(d/2, 1/2) at 50 digits."""
    with mpmath.workdps(50):
        rr_mp = mpmath.mpf(rr)
        x = 4 / (4 + rr_mp**2)
        return float(
            mpmath.betainc(mpmath.mpf(dim) / 2, mpmath.mpf(1) / 2, 0, x, regularized=True) / 2
        )


def _mp_integral(rr: float, dim: int) -> float:
    """The defining integral E[Phi(-r chi_d / 2)] at 30 digits (independent of the beta form)."""
    with mpmath.workdps(30):
        rr_mp = mpmath.mpf(rr)
        d = mpmath.mpf(dim)

        def f(x: mpmath.mpf) -> mpmath.mpf:
            pdf = x ** (d - 1) * mpmath.exp(-(x**2) / 2) / (2 ** (d / 2 - 1) * mpmath.gamma(d / 2))
            return mpmath.erfc(rr_mp * x / (2 * mpmath.sqrt(2))) / 2 * pdf

        scale = 1 / (1 / mpmath.sqrt(d) + rr_mp / 2)
        return float(mpmath.quad(f, [0, scale, 4 * scale, 16 * scale, mpmath.inf]))


@pytest.mark.parametrize("dim", [1, 2, 3, 5, 10])
@pytest.mark.parametrize("rr", [1e-9, 1e-3, 0.5, 1.0, 3.0, 40.0, 1e4])
def test_exact_and_quad_agree_with_high_precision(rr: float, dim: int) -> None:
    n0 = 1
    inverse_sum = rr**2
    ref = _mp_reference(rr, dim)
    assert improvement_probability(n0, inverse_sum, dim=dim) == pytest.approx(ref, rel=1e-10)
    assert improvement_probability(n0, inverse_sum, dim=dim, method="quad") == pytest.approx(
        ref, rel=1e-10
    )


@pytest.mark.parametrize(("rr", "dim"), [(0.3, 2), (1.0, 3), (2.0, 5), (1.0, 10)])
def test_beta_form_equals_defining_integral(rr: float, dim: int) -> None:
    assert _mp_reference(rr, dim) == pytest.approx(_mp_integral(rr, dim), rel=1e-12)


def test_huge_r_keeps_relative_accuracy() -> None:
    # d = 1: (1/pi) atan(2/r) ~ 2/(pi r)
    value = improvement_probability(1, 1e200)
    assert value == pytest.approx(2.0 / (math.pi * 1e100), rel=1e-12)
    # d = 3 at r = 1e6: tail of the beta function
    assert improvement_probability(1, 1e12, dim=3) == pytest.approx(
        _mp_reference(1e6, 3), rel=1e-10
    )


@pytest.mark.parametrize("rr", [1e-150, 1e-8, 0.2, 1.0, 7.0, 1e8])
def test_d1_formula_equals_integral_route(rr: float) -> None:
    # r > 0 only (rr**2 > 0 in floats): S_T = 0 is T = 0, P = 0 (test_edge_values...)
    closed = improvement_probability(1, rr**2, dim=1)
    assert closed == pytest.approx(math.atan2(2.0, rr) / math.pi, rel=1e-14)
    assert improvement_probability(1, rr**2, dim=1, method="quad") == pytest.approx(
        closed, rel=1e-10
    )


def test_edge_values_and_monotonicity() -> None:
    # T = 0 (S_T = 0): theta_T = theta_0, and |x| < |x| never holds; the limit S_T -> 0+ is 1/2
    assert improvement_probability(50, 0.0) == 0.0
    assert improvement_probability(50, 0.0, dim=4) == 0.0
    assert improvement_probability(50, 0.0, dim=4, method="quad") == 0.0
    assert improvement_probability(50, 1e-300) == pytest.approx(0.5)
    assert improvement_probability(50, math.inf) == 0.0
    assert improvement_probability(50, math.inf, dim=4, method="quad") == 0.0
    grid = [1e-4, 1e-3, 1e-2, 0.1, 1.0]
    for dim in (1, 2, 7):
        values = [improvement_probability(10, x, dim=dim) for x in grid]
        assert all(0.0 < v < 0.5 for v in values)
        assert all(a > b for a, b in zip(values, values[1:], strict=False))
    # improvement is rarer in higher dimension
    by_dim = [improvement_probability(10, 0.05, dim=d) for d in range(1, 8)]
    assert all(a > b for a, b in zip(by_dim, by_dim[1:], strict=False))


def test_numpy_scalars_accepted() -> None:
    assert improvement_probability(np.int64(100), np.float64(0.01)) == pytest.approx(
        math.atan(2.0) / math.pi
    )


# ---------------------------------------------------------------------------------------------
# independent Monte Carlo of X and Y
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("dim", "n0", "inverse_sum"), [(1, 50, 0.013), (3, 20, 0.09)])
def test_monte_carlo_direct(dim: int, n0: int, inverse_sum: float) -> None:
    rng = np.random.default_rng(20240517 + dim)
    draws = 400_000
    x = rng.standard_normal((draws, dim)) / math.sqrt(n0)
    y = rng.standard_normal((draws, dim)) * math.sqrt(inverse_sum)
    hits = np.sum((x + y) ** 2, axis=1) < np.sum(x**2, axis=1)
    p_hat = float(np.mean(hits))
    p = improvement_probability(n0, inverse_sum, dim=dim)
    se = math.sqrt(p * (1 - p) / draws)
    assert abs(p_hat - p) / se < 4


# ---------------------------------------------------------------------------------------------
# general covariance (Euclidean metric)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("v", "dim"), [(0.3, 1), (2.5, 2), (1.0, 4)])
def test_general_isotropic_matches_formula(v: float, dim: int) -> None:
    est, se = improvement_probability_general(40, 0.02, v * np.eye(dim), draws=100_000, seed=3)
    p = improvement_probability(40, 0.02, dim=dim)
    assert se > 0
    assert abs(est - p) < 4 * se


def test_general_anisotropic_matches_direct_simulation() -> None:
    cov = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 0.25]])
    n0, inverse_sum = 30, 0.05
    est, se = improvement_probability_general(n0, inverse_sum, cov, draws=200_000, seed=11)

    rng = np.random.default_rng(99)
    draws = 400_000
    chol = np.linalg.cholesky(cov)
    x = rng.standard_normal((draws, 3)) @ chol.T / math.sqrt(n0)
    y = rng.standard_normal((draws, 3)) @ chol.T * math.sqrt(inverse_sum)
    hits = np.sum((x + y) ** 2, axis=1) < np.sum(x**2, axis=1)
    p_hat = float(np.mean(hits))
    se_direct = math.sqrt(p_hat * (1 - p_hat) / draws)
    assert abs(est - p_hat) / math.hypot(se, se_direct) < 4
    # anisotropy matters: the isotropic value for this r and d differs
    assert abs(est - improvement_probability(n0, inverse_sum, dim=3)) > 10 * se


def test_general_reproducible_and_degenerate() -> None:
    cov = [[1.0, 0.2], [0.2, 0.5]]
    a = improvement_probability_general(10, 0.1, cov, draws=1000, seed=5)
    b = improvement_probability_general(10, 0.1, cov, draws=1000, seed=5)
    assert a == b
    assert improvement_probability_general(10, 0.0, cov) == (0.0, 0.0)  # T = 0
    assert improvement_probability_general(10, math.inf, cov) == (0.0, 0.0)
    est, se = improvement_probability_general(10, 0.1, 2.0, draws=1000, seed=None)  # 1 x 1
    assert 0 < est < 0.5 and se > 0


# ---------------------------------------------------------------------------------------------
# symbolic forms
# ---------------------------------------------------------------------------------------------


def test_symbolic_d1() -> None:
    expr = improvement_probability_symbolic()
    assert expr == sp.atan(2 / r) / sp.pi
    assert r.is_positive
    for rr in (0.1, 1.0, 5.0):
        assert float(expr.subs(r, rr)) == pytest.approx(improvement_probability(1, rr**2))


@pytest.mark.parametrize("dim", [2, 5])
def test_symbolic_integral(dim: int) -> None:
    expr = improvement_probability_symbolic(dim=dim)
    assert isinstance(expr, sp.Integral)
    assert expr.free_symbols == {r}
    value = float(expr.subs(r, sp.Rational(3, 2)).evalf(20))
    assert value == pytest.approx(improvement_probability(1, 2.25, dim=dim), rel=1e-10)
    assert "erfc" in sp.latex(expr)


def test_power_limit() -> None:
    expected = math.atan(2.0 / math.sqrt(math.pi**2 / 6)) / math.pi
    limit = improvement_limit_power(1)
    assert float(limit) == pytest.approx(expected, rel=1e-14)
    assert sp.simplify(limit - sp.atan(2 / sp.sqrt(sp.pi**2 / 6)) / sp.pi) == 0
    assert float(improvement_limit_power(0.5)) == pytest.approx(
        math.atan(2.0 / math.sqrt(float(mpmath.zeta(1.5)))) / math.pi, rel=1e-12
    )
    symbolic = improvement_limit_power(s_sym)
    assert symbolic.free_symbols == {s_sym}
    assert float(symbolic.subs(s_sym, 1)) == pytest.approx(expected, rel=1e-14)


def test_power_limit_matches_long_schedule() -> None:
    # n_t = n0 t^2 without rounding: n0 S_T -> zeta(2)
    n0, horizon = 100, 10**6
    t = np.arange(1, horizon + 1, dtype=float)
    inverse_sum = float(np.sum(1.0 / (n0 * t**2)))
    assert improvement_probability(n0, inverse_sum) == pytest.approx(
        float(improvement_limit_power(1)), abs=1e-6
    )


# ---------------------------------------------------------------------------------------------
# input validation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n0": 0, "inverse_sum": 0.1}, ValueError, r"n0 must be an integer >= 1, got n0 = 0"),
        ({"n0": 2.0, "inverse_sum": 0.1}, TypeError, r"n0 must be an integer"),
        ({"n0": True, "inverse_sum": 0.1}, TypeError, r"n0 must be an integer"),
        ({"n0": 5, "inverse_sum": -1.0}, ValueError, r"inverse_sum must be .* >= 0.*-1\.0"),
        ({"n0": 5, "inverse_sum": math.nan}, ValueError, r"inverse_sum must be"),
        ({"n0": 5, "inverse_sum": "0.1"}, TypeError, r"inverse_sum must be"),
        ({"n0": 5, "inverse_sum": 0.1, "dim": 0}, ValueError, r"dim must be an integer >= 1"),
        ({"n0": 5, "inverse_sum": 0.1, "method": "mc"}, ValueError, r"method must be one of"),
    ],
)
def test_improvement_probability_rejects(kwargs: dict, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        improvement_probability(**kwargs)


@pytest.mark.parametrize(
    ("cov", "exc", "match"),
    [
        ([[1.0, 0.5], [0.0, 1.0]], ValueError, r"covariance must be symmetric"),
        ([[1.0, 2.0], [2.0, 1.0]], ValueError, r"covariance must be positive definite"),
        ([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], ValueError, r"covariance must be a square"),
        ([[1.0, math.nan], [math.nan, 1.0]], ValueError, r"covariance must be finite"),
        ([["a", "b"], ["c", "d"]], TypeError, r"covariance must be a real"),
    ],
)
def test_general_rejects_covariance(cov: object, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        improvement_probability_general(10, 0.1, cov)


def test_general_rejects_options() -> None:
    with pytest.raises(ValueError, match=r"draws must be an integer >= 2, got draws = 1"):
        improvement_probability_general(10, 0.1, np.eye(2), draws=1)
    with pytest.raises(TypeError, match=r"seed must be an integer or None"):
        improvement_probability_general(10, 0.1, np.eye(2), seed=1.5)


def test_symbolic_rejects() -> None:
    with pytest.raises(ValueError, match=r"dim must be an integer >= 1, got dim = 0"):
        improvement_probability_symbolic(dim=0)
    with pytest.raises(ValueError, match=r"s must be a finite real number > 0, got s = -1"):
        improvement_limit_power(-1)
    with pytest.raises(ValueError, match=r"s must be a finite real number > 0"):
        improvement_limit_power(0)
    with pytest.raises(TypeError, match=r"s must be a positive number or a SymPy expression"):
        improvement_limit_power("abc")
    with pytest.raises(ValueError, match=r"s must be > 0"):
        improvement_limit_power(-sp.Symbol("a", positive=True))


def test_no_improvement_at_t_zero_on_the_command_line(capsys) -> None:
    """``improve --T 0``: generation T is generation 0, so Pr(|theta_T - theta*| <
    |theta_0 - theta*|) = 0 for the Gaussian mean's closed form, as for every other family;
    the same at T = 0 of an explicit schedule; T = 1 is the Cauchy tail atan(2/r)/pi, r = 1."""
    import json

    from modelcollapse.cli import main

    for args in (["improve", "--T", "0"], ["improve", "--T", "0", "--dim", "3"],
                 ["improve", "--family", "gaussian-variance", "--n0", "10", "--T", "0"]):
        assert main([*args, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["probability"] == 0.0
    assert main(["improve", "--n0", "100", "--T", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["probability"] == pytest.approx(math.atan(2.0) / math.pi, rel=1e-12)
