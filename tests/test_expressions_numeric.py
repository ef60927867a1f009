"""The numpy evaluator (modelcollapse.numeric) on the expression language's functions.

References: mpmath at 30 digits and scipy.special, point by point.
"""

from __future__ import annotations

import math
import subprocess
import sys

import mpmath
import numpy as np
import pytest
import scipy.special as sc
import sympy as sp

from modelcollapse.numeric import compile_expression, evaluate

x = sp.Symbol("x")
y = sp.Symbol("y")
k = sp.Symbol("k", integer=True, positive=True)

POSITIVE = np.array([0.01, 0.5, 1.0, 1.5, 2.0, 3.7, 10.0, 41.25, 170.5])
NEGATIVE = np.array([-0.5, -1.5, -2.25, -7.9])


def mp_values(f, xs: np.ndarray) -> list[float]:  # type: ignore[no-untyped-def]
    with mpmath.workdps(30):
        return [float(f(mpmath.mpf(float(v)))) for v in xs]


@pytest.mark.parametrize(
    ("expr", "reference", "xs"),
    [
        (sp.gamma(x), mpmath.gamma, np.concatenate([POSITIVE, NEGATIVE])),
        (sp.loggamma(x), mpmath.loggamma, POSITIVE),
        (sp.polygamma(0, x), mpmath.digamma, np.concatenate([POSITIVE, NEGATIVE])),
        (sp.polygamma(1, x), lambda v: mpmath.psi(1, v), np.concatenate([POSITIVE, NEGATIVE])),
        (sp.Abs(x - 2), lambda v: abs(v - 2), np.concatenate([POSITIVE, NEGATIVE])),
        (sp.gamma(x / 2) * sp.polygamma(0, x + 1),
         lambda v: mpmath.gamma(v / 2) * mpmath.digamma(v + 1), POSITIVE),
    ],
)
def test_functions_match_mpmath(expr: sp.Expr, reference, xs: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    got = evaluate(expr, {x: xs})
    assert got.dtype == np.float64 and got.shape == xs.shape
    np.testing.assert_allclose(got, mp_values(reference, xs), rtol=5e-14)


def test_beta_matches_mpmath_and_broadcasts() -> None:
    a = np.array([0.5, 1.0, 2.5, 30.0])
    b = np.array([[0.5], [3.0]])
    got = evaluate(sp.beta(x, y), {x: a, y: b})
    assert got.shape == (2, 4)
    with mpmath.workdps(30):
        expected = [[float(mpmath.beta(float(u), float(v))) for u in a] for v in b[:, 0]]
    np.testing.assert_allclose(got, expected, rtol=5e-14)
    assert evaluate(sp.beta(x, 2), {x: np.array([3.0])})[0] == pytest.approx(1 / 12, rel=1e-15)


def test_min_max_reduce_elementwise() -> None:
    xs = np.array([-3.0, 0.5, 2.0, 9.0])
    got = evaluate(sp.Max(x, 1, 2 * x - 5, evaluate=False), {x: xs})
    assert got.tolist() == [max(v, 1.0, 2 * v - 5) for v in xs.tolist()]
    got = evaluate(sp.Min(x, sp.Rational(1, 3), evaluate=False), {x: xs})
    assert got.tolist() == [min(v, 1 / 3) for v in xs.tolist()]
    # scalars broadcast against arrays; nan propagates as in numpy
    got = evaluate(sp.Min(x, y, evaluate=False), {x: np.array([1.0, np.nan]), y: 2.0})
    assert got[0] == 1.0 and math.isnan(got[1])


def test_log_gamma_of_large_integers_does_not_overflow() -> None:
    # SymPy writes loggamma(k + 1) as log(gamma(k + 1)) for integer k; gamma overflows at 171
    expr = sp.loggamma(k + 1)
    assert expr == sp.log(sp.gamma(k + 1))
    got = evaluate(expr, {k: np.array([0.0, 5.0, 1000.0, 1e6])})
    np.testing.assert_allclose(got, mp_values(lambda v: mpmath.loggamma(v + 1),
                                              np.array([0.0, 5.0, 1000.0, 1e6])), rtol=1e-14)
    assert got[2] == pytest.approx(sc.gammaln(1001.0), rel=1e-15)
    # where gamma is negative the logarithm is not real: nan, as for log of a negative number
    assert math.isnan(evaluate(sp.log(sp.gamma(x)), {x: np.array([-0.5])})[0])


def test_constants_poles_and_non_real_values() -> None:
    assert evaluate(sp.gamma(sp.Rational(1, 3)) + sp.EulerGamma, {})[()] == pytest.approx(
        float(mpmath.gamma(mpmath.mpf(1) / 3) + mpmath.euler), rel=1e-15)
    with np.errstate(all="raise"):  # warnings are errors in the tests anyway
        poles = evaluate(sp.gamma(x) + sp.polygamma(0, x), {x: np.array([0.0, -1.0])})
    assert not np.isfinite(poles).any()
    assert math.isnan(evaluate(sp.loggamma(x), {x: np.array([-2.5])})[0])


def test_other_orders_and_functions_are_refused() -> None:
    with pytest.raises(ValueError, match=r"cannot evaluate polygamma of order 2 .*allowed:"):
        compile_expression(sp.polygamma(2, x))
    with pytest.raises(ValueError, match=r"cannot evaluate sin numerically here; allowed: "
                                         r"numbers, symbols, .*gamma, loggamma"):
        compile_expression(sp.sin(x))


def test_importing_and_plain_trees_need_numpy_only() -> None:
    code = (
        "import sys, numpy as np, sympy as sp\n"
        "import modelcollapse.numeric as m\n"
        "x = sp.Symbol('x')\n"
        "m.evaluate(sp.Max(x, 1, evaluate=False) + sp.Abs(x) + sp.log(x), {x: np.ones(2)})\n"
        "print('scipy' in sys.modules)\n"
        "m.evaluate(sp.gamma(x), {x: np.ones(2)})\n"
        "print('scipy.special' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.split() == ["False", "True"]
