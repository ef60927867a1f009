"""Sizes as exact integers however large (modelcollapse.schedules beyond 2**53).

References are computed independently: exact Python integer and Fraction arithmetic, SymPy's
exact ceiling (adaptive evalf, which either proves the integer part or fails) and mpmath.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcollapse.schedules import (
    MAX_EXACT_SIZE,
    MAX_HEAD_SIZE,
    MAX_SIZE_DIGITS,
    MAX_TOTAL_DIGITS,
    Schedule,
)
from modelcollapse.symbols import n0, t

INT64_MAX = int(np.iinfo(np.int64).max)


def ceil_fraction(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


# -- representation ------------------------------------------------------------------------
def test_int64_while_sizes_fit_then_python_ints() -> None:
    # 100*2**56 = 7.2e18 < 2**63 - 1 < 100*2**57
    fits = Schedule("n0*2**t", n0=100).sizes(56)
    assert fits.dtype == np.int64
    assert fits.tolist() == [100] + [100 * 2**k for k in range(1, 57)]
    beyond = Schedule("n0*2**t", n0=100).sizes(57)
    assert beyond.dtype == object
    assert beyond[-1] == 100 * 2**57 and type(beyond[-1]) is int
    assert beyond.astype(float)[-1] == float(100 * 2**57)  # what consumers do


def test_brief_example_two_to_the_hundred() -> None:
    got = Schedule("n0*2**t", n0=100).sizes(100)
    assert got.tolist() == [100] + [ceil_fraction(Fraction(100 * 2**k)) for k in range(1, 101)]
    assert got[100] == 100 * 2**100 and got[100].bit_length() == 107


def test_huge_n0_and_explicit_sizes() -> None:
    sched = Schedule("n0*t", n0=2**70)
    assert sched.sizes(2).tolist() == [2**70, 2**70, 2**71]
    assert sched.sizes(0).dtype == object
    explicit = Schedule.from_sizes([20, 2**70, 3])
    got = explicit.sizes(2)
    assert got.dtype == object and got.tolist() == [20, 2**70, 3]
    assert explicit.size(1) == 2**70
    assert explicit.cost(2) == 2**70 + 3
    expected = float(Fraction(1, 2**70) + Fraction(1, 3))
    assert explicit.inverse_sum(2) == pytest.approx(expected, rel=4.5e-16)
    assert explicit.power_sum(2, 0.5) == pytest.approx(2**-35 + 3**-0.5, rel=4.5e-16)
    assert explicit.exact_horizon() == 0  # n_1 is beyond 2**40
    assert Schedule.from_sizes([5, 6, 2**60, 7]).exact_horizon() == 1
    assert Schedule.from_sizes([5, 6, 7]).exact_horizon() == 2
    with pytest.raises(ValueError, match=r">= 2361183241434822606848, got 2 at t=2"):
        Schedule.from_sizes([2**71, 2**71, 2]).sizes(2, minimum=2**71)
    with pytest.raises(ValueError, match=r"n0 must be an integer >= 1 below 10\*\*10000"):
        Schedule("n0", n0=10**MAX_SIZE_DIGITS)


# -- exact ceilings ------------------------------------------------------------------------
def test_rational_schedules_are_exact() -> None:
    big = [k for k in range(50, 80)]
    sched = Schedule("n0*2**t + 1/1000", n0=100)  # ceil adds one to every size
    assert [sched.size(k) for k in big] == [100 * 2**k + 1 for k in big]
    sched = Schedule("n0*2**t - 1/3", n0=100)  # ceil removes the third
    assert [sched.size(k) for k in big] == [100 * 2**k for k in big]
    sched = Schedule("2**t/3")  # beyond 2**53 from t = 55 on
    assert [sched.size(k) for k in range(55, 80)] == [
        ceil_fraction(Fraction(2**k, 3)) for k in range(55, 80)]
    sched = Schedule("n0*t**3 + t/7", n0=10**12)
    assert sched.sizes(500)[1:].tolist() == [
        ceil_fraction(Fraction(10**12 * k**3) + Fraction(k, 7)) for k in range(1, 501)]
    # (2**t + 1)/2**t overflows float64 (inf/inf = nan) yet is just above 1
    assert Schedule("(2**t + 1)/2**t").size(2000) == 2
    # gamma of integers is a factorial
    assert Schedule("gamma(t + 1)").size(40) == math.factorial(40)
    assert Schedule("beta(t, 2)*gamma(t + 2)").size(30) == math.factorial(29)


def test_irrational_schedules_agree_with_exact_integer_roots() -> None:
    # ceil(10**12 t**1.5) = isqrt(10**24 t**3 - 1) + 1; beyond 2**53 from t = 433 on
    sched = Schedule("n0*t**1.5", n0=10**12)
    got = sched.sizes(3000)
    ks = [k for k in range(1, 3001) if 10**24 * k**3 > MAX_EXACT_SIZE**2]
    assert ks[0] == 433
    assert [got[k] for k in ks] == [math.isqrt(10**24 * k**3 - 1) + 1 for k in ks]
    for k in (10**12, 10**12 + 1, 2**45 + 3):  # a perfect square (exact), then irrational
        assert Schedule("n0*t**1.5", n0=100).size(k) == math.isqrt(10**4 * k**3 - 1) + 1


def mp_ceiling(f, k: int) -> int:  # type: ignore[no-untyped-def]
    """ceil(f(k)) with mpmath at 250 digits more than e**k has (f(k) is about e**k)."""
    with mpmath.workdps(int(k / 2.3) + 250):
        value = f(mpmath.mpf(k))
        assert abs(value - mpmath.nint(value)) > mpmath.mpf(10) ** -100  # not a near-tie
        return int(mpmath.ceil(value))


@pytest.mark.parametrize("k", [37, 38, 100, 250, 709, 710, 2000])
def test_exponential_sizes_agree_with_high_precision_mpmath(k: int) -> None:
    assert Schedule("n0*exp(t)", n0=1).size(k) == mp_ceiling(mpmath.exp, k)
    assert Schedule("n0*pi**t", n0=3).size(k) == mp_ceiling(lambda x: 3 * mpmath.pi**x, k)
    # SymPy's exact ceiling (adaptive evalf) agrees where it succeeds
    if k <= 100:
        assert Schedule("n0*exp(t)", n0=1).size(k) == int(sp.ceiling(sp.exp(k)))


def test_near_integers_beyond_float_range() -> None:
    # 300*2**t written with logarithms: exactly an integer, but only mpmath can see it
    sched = Schedule("n0*2**t*log(8)/log(2)", n0=100)
    assert [sched.size(k) for k in (60, 200, 1100)] == [300 * 2**k for k in (60, 200, 1100)]
    # a genuine fractional part of 3e-12 is ceiled (found by the refined evaluation)
    sched = Schedule("n0*2**t + pi/10**12", n0=100)
    assert [sched.size(k) for k in (60, 200)] == [100 * 2**k + 1 for k in (60, 200)]


def test_poles_and_complex_values_beyond_float_range() -> None:
    with pytest.raises(ValueError, match=r"undefined at t=50: E\(50\) = inf \(a pole\)"):
        Schedule("n0*2**t/abs(t - 50)").sizes(60)
    with pytest.raises(ValueError, match=r"undefined at t=50: E\(50\) = inf \(a pole\)"):
        Schedule("exp(t)/abs(t - 50)").sizes(60)
    with pytest.raises(ValueError, match=r"at t=51: E\(51\) = nan \(not a real number\)"):
        Schedule("2**t*sqrt(50.5 - t)").sizes(60)


def test_size_limits() -> None:
    # one size: 100*10**t has t + 3 digits
    assert Schedule("n0*10**t").size(MAX_SIZE_DIGITS - 3) == 10 ** (MAX_SIZE_DIGITS - 1)
    with pytest.raises(ValueError, match=r"n_t at t=9998 has about 1e\+04 digits .*"
                                         r"allowed: sizes below 10\*\*10000"):
        Schedule("n0*10**t").size(MAX_SIZE_DIGITS - 2)
    with pytest.raises(ValueError, match=r"n_t at t=30 has about .* digits"):
        Schedule("exp(exp(t))").size(30)  # found from mpmath's magnitude, not computed
    # all sizes of one call: sum_t (t + 3) digits passes 10**7 near t = 4470
    with pytest.raises(ValueError, match=r"the sizes up to t=44\d\d have more than 10000000 "
                                         r"digits in all"):
        Schedule("n0*10**t").sizes(5000)
    assert MAX_TOTAL_DIGITS == 10**7
    assert len(Schedule("n0*10**t").sizes(4000)) == 4001
    # mpmath at thousands of digits: gamma(pi) at 12000 bits takes seconds per size, so the
    # predicted time is checked before any is computed (digits alone would be allowed)
    with pytest.raises(ValueError, match=r"the exact sizes up to t=5\d need too long an mpmath "
                                         r"evaluation \(n_t has \d+ bits there; schedule"):
        Schedule("gamma(pi)*10**(t**2)").sizes(60)
    with mpmath.workdps(1900):
        expected = int(mpmath.ceil(mpmath.gamma(mpmath.pi) * mpmath.mpf(10) ** 1600))
    assert Schedule("gamma(pi)*10**(t**2)").size(40) == expected


# -- sums, cost, horizon -------------------------------------------------------------------
def test_cost_and_sums_with_python_int_sizes() -> None:
    sched = Schedule("n0*2**t", n0=1)
    assert sched.cost(100) == 2**101 - 2
    assert sched.cost(3000) == 2**3001 - 2
    # 1/n_t underflows to 0 beyond t = 1074: the sums stay finite, no OverflowError
    assert sched.inverse_sum(3000) == pytest.approx(1.0, rel=4.5e-16)
    with mpmath.workdps(40):
        expected = mpmath.nsum(lambda k: mpmath.power(2, -k / 2), [1, 3000])
    assert sched.power_sum(3000, 0.5) == pytest.approx(float(expected), rel=1e-15)
    # a tiny exponent keeps the terms of huge sizes visible: 2**(-t/100) for t up to 3000
    with mpmath.workdps(40):
        expected = mpmath.nsum(lambda k: mpmath.power(2, -k / 100), [1, 3000])
    assert sched.power_sum(3000, 0.01) == pytest.approx(float(expected), rel=1e-13)
    assert sched.inverse_sum(math.inf) == pytest.approx(1.0, rel=1e-13)


def test_exact_horizon_is_where_sizes_pass_two_to_the_forty() -> None:
    # the head that limits and S_inf sum term by term; beyond, the tail is analytic
    assert MAX_HEAD_SIZE == 2**40
    assert Schedule("n0*2**t", n0=100).exact_horizon() == 33  # 100*2**33 < 2**40 < 100*2**34
    last = max(k for k in range(1, 3000) if 100 * k**3 <= MAX_HEAD_SIZE)
    assert Schedule("n0*t**3", n0=100).exact_horizon() == last
    assert Schedule("n0*t", n0=100).exact_horizon() == 10**6
    assert Schedule("1e300*1e300*t").exact_horizon() == 0
    # S_inf is unchanged by where the head stops: sum 1/(3*2**t) = 1/3 and zeta(3)/100
    assert Schedule("n0*2**t", n0=3).inverse_sum(math.inf) == pytest.approx(1 / 3, rel=1e-14)
    assert Schedule("n0*t**3", n0=100).inverse_sum(math.inf) == pytest.approx(
        float(mpmath.zeta(3)) / 100, rel=1e-13)


def test_sizes_below_two_to_the_53_are_exact_ceilings() -> None:
    # float64 alone would round these to the nearest integer (64 ulps >= 0.5 from 2**45 on)
    sched = Schedule("2**t/3")
    assert sched.sizes(60)[1:].tolist() == [ceil_fraction(Fraction(2**k, 3))
                                             for k in range(1, 61)]
    sched = Schedule("n0*t**2.5", n0=100)
    got = sched.sizes(60_000)
    step = [*range(1, 60_001, 7), 60_000]
    assert [got[k] for k in step] == [math.isqrt(10**4 * k**5 - 1) + 1 for k in step]
    # and cheaply where float64 decides: n0*t**1.5 up to 10**6 has few sizes near integers
    got = Schedule("n0*t**1.5", n0=100).sizes(10**6)
    step = range(1, 10**6 + 1, 997)
    assert [got[k] for k in step] == [math.isqrt(10**4 * k**3 - 1) + 1 for k in step]


# -- SymPy input ---------------------------------------------------------------------------
def test_schedule_from_a_sympy_expression() -> None:
    plain_n0, plain_t = sp.Symbol("n0"), sp.Symbol("t")
    sched = Schedule(plain_n0 * plain_t**1.5, n0=10)
    assert sched == Schedule("n0*t**1.5", n0=10)
    assert sched.text == "n0*t**(3/2)"
    assert Schedule(n0 * t**2, n0=3).sizes(3).tolist() == [3, 3, 12, 27]
    sched = Schedule(sp.Max(plain_n0, sp.Abs(plain_t - 5)) + sp.E, n0=2)
    assert sched.text == "max(n0, abs(t - 5)) + e"
    assert sched.sizes(6).tolist() == Schedule(sched.text, n0=2).sizes(6).tolist()
    assert Schedule(50).sizes(2).tolist() == [100, 50, 50]
    with pytest.raises(ValueError, match=r"function sin in 'sin\(t\)' is not allowed"):
        Schedule(sp.sin(plain_t))
    # the guards see the numeric n0 (10**(10**11) would never finish)
    with pytest.raises(ValueError, match=r"out of range"):
        Schedule((plain_n0**plain_n0) ** (plain_n0**plain_n0), n0=10)
    with pytest.raises(TypeError, match=r"expression must be a str or a SymPy expression"):
        Schedule([1, 2])  # type: ignore[arg-type]


# -- property: exact against Fraction arithmetic -------------------------------------------
@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 10**6),
    st.sampled_from(["2", "3", "3/2", "10"]),
    st.integers(-1000, 1000),
    st.fractions(min_value=-5, max_value=5, max_denominator=1000),
    st.integers(40, 400),
)
def test_rational_sizes_equal_exact_fraction_ceilings(
    a: int, base: str, b: int, c: Fraction, horizon: int
) -> None:
    text = f"{a}*({base})**t + {b}*t + ({c.numerator})/({c.denominator})"
    base_value = Fraction(base)

    def exact(k: int) -> Fraction:
        return a * base_value**k + b * k + c

    try:
        got = Schedule(text).sizes(horizon)
    except ValueError as exc:  # a size below 1 (negative b): report the first one exactly
        first = next(k for k in range(1, horizon + 1) if ceil_fraction(exact(k)) < 1)
        assert f"at t={first} " in str(exc)
        return
    for k in range(1, horizon + 1):
        if exact(k) > MAX_EXACT_SIZE:  # the exact path (below: float64, tested elsewhere)
            assert got[k] == ceil_fraction(exact(k)), k
    assert got.dtype == (np.int64 if max(got.tolist()) <= INT64_MAX else object)
