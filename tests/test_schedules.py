"""Tests of Schedule (modelcollapse.schedules) against hand-computed and independent numbers."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcollapse.schedules import Growth, Schedule
from modelcollapse.symbols import n0, s, t
from tests.strategies import grammar_tokens


# -- sizes ---------------------------------------------------------------------------------
def test_sizes_hand_computed() -> None:
    # 10*t**1.5 at t = 1..4: 10, 28.28.., 51.96.., 80
    got = Schedule("n0*t**1.5", n0=10).sizes(4)
    assert got.dtype == np.int64
    assert got.tolist() == [10, 10, 29, 52, 80]


def test_generation_zero_is_n0_not_the_expression() -> None:
    # E(0) would be 0 (or undefined for log(t)); n_0 is the real data size
    assert Schedule("n0*t", n0=7).sizes(2).tolist() == [7, 7, 14]
    assert Schedule("50", n0=7).sizes(3).tolist() == [7, 50, 50, 50]
    assert Schedule(n0=5).sizes(2).tolist() == [5, 5, 5]  # default "n0": constant
    assert Schedule("n0*t", n0=7).sizes(0).tolist() == [7]


def test_sizes_log_and_geometric() -> None:
    # 100*t*log(t+1): 69.31.., 219.72.., 415.88..
    assert Schedule("n0*t*log(t+1)", n0=100).sizes(3).tolist() == [100, 70, 220, 416]
    assert Schedule("n0*2**t", n0=3).sizes(4).tolist() == [3, 6, 12, 24, 48]
    assert Schedule("n0*exp(t)", n0=1).sizes(2).tolist() == [1, 3, 8]  # e=2.718.., e^2=7.389..


def test_exact_integers_are_not_bumped_by_round_off() -> None:
    # 100*4**1.5 = 800 exactly; 27**(1/3) is 3.0000000000000004 in floating point
    assert Schedule("n0*t**1.5", n0=100).sizes(16)[[4, 9, 16]].tolist() == [800, 2700, 6400]
    assert Schedule("n0*t**(1/3)", n0=100).size(27) == 300
    assert Schedule("n0*t**0.1", n0=1).size(1024) == 2
    assert Schedule("n0*log(t)/log(2)", n0=10).size(8) == 30


def test_genuine_fractions_are_ceiled() -> None:
    assert Schedule("n0*t + 1/1000", n0=10).sizes(2).tolist() == [10, 11, 21]
    # a fractional part far above round-off is ceiled also for large values
    assert Schedule("1000000*t + 0.01").size(5) == 5_000_001
    assert Schedule("t/3").sizes(3).tolist() == [100, 1, 1, 1]


def test_sizes_match_exact_integer_ceiling() -> None:
    # ceil(100 t^1.5) = ceil(sqrt(10^4 t^3)) = isqrt(10^4 t^3 - 1) + 1, in exact integers
    expected = [math.isqrt(10**4 * k**3 - 1) + 1 for k in range(1, 3001)]
    assert Schedule("n0*t**1.5", n0=100).sizes(3000)[1:].tolist() == expected


def test_size_agrees_with_sizes() -> None:
    sched = Schedule("n0*t*log(t+1)", n0=30)
    all_sizes = sched.sizes(50)
    assert [sched.size(k) for k in (0, 1, 17, 50)] == all_sizes[[0, 1, 17, 50]].tolist()


def test_large_horizon() -> None:
    sched = Schedule("n0*t*log(t+1)", n0=100)
    got = sched.sizes(10**6)
    assert len(got) == 10**6 + 1
    assert got[-1] == math.ceil(100 * 10**6 * math.log(10**6 + 1))


def test_s_value_is_used() -> None:
    assert Schedule("n0*t**(1+s)", n0=10, s=0.5).sizes(4).tolist() == [10, 10, 29, 52, 80]
    assert Schedule("n0*t**(1+s)", n0=1, s=1).size(7) == 49


# -- errors --------------------------------------------------------------------------------
def test_minimum_error_names_family_t_value_and_schedule() -> None:
    sched = Schedule("n0/t", n0=3)
    assert sched.sizes(2, minimum=2).tolist() == [3, 3, 2]
    message = (
        "n_t must be an integer >= 2 for gaussian-variance, got 1 at t=3 (schedule 'n0/t', n0=3)"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        sched.sizes(5, minimum=2, family="gaussian-variance")
    with pytest.raises(ValueError, match=r"^n_t must be an integer >= 2, got 1 at t=3 \("):
        sched.sizes(5, minimum=2)


def test_minimum_applies_to_generation_zero() -> None:
    with pytest.raises(ValueError, match=r">= 2, got 1 at t=0"):
        Schedule("n0*t", n0=1).sizes(3, minimum=2)


def test_negative_values_are_reported() -> None:
    with pytest.raises(ValueError, match=r"got -1 at t=1 \(schedule 't - 2'"):
        Schedule("t - 2").sizes(3)


def test_sizes_beyond_float_range_are_exact_integers() -> None:
    # (replaces the test of the former 2**53 cap: such sizes are now exact Python ints)
    # 100*2**46 = 7.04e15 <= 2**53 = 9.007e15 < 100*2**47
    assert Schedule("n0*2**t", n0=100).size(46) == 100 * 2**46
    got = Schedule("n0*2**t", n0=100).sizes(100)
    assert got.dtype == object
    assert got.tolist() == [100] + [100 * 2**k for k in range(1, 101)]
    assert all(type(v) is int for v in got.tolist())
    # far beyond the float range: exact too, and no numpy warning (warnings are errors)
    assert Schedule("n0*2**t", n0=100).sizes(5000)[-1] == 100 * 2**5000
    # 1e300*1e300 overflows float64 but is the exact integer 10**600
    assert Schedule("1e300*1e300*t").sizes(2).tolist() == [100, 10**600, 2 * 10**600]


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("log(t-1)", r"undefined at t=1: E\(1\) = -inf .*schedule 'log\(t-1\)'"),
        ("1/(t-1)", r"undefined at t=1: E\(1\) = inf"),
        ("n0*log(t-2)", r"undefined at t=1: E\(1\) = nan \(not a real number\)"),
        ("sqrt(-t)", r"undefined at t=1: E\(1\) = nan \(not a real number\)"),
        ("n0*sqrt(3.5 - t)", r"undefined at t=4"),
    ],
)
def test_non_finite_or_non_real_values(text: str, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern) as info:
        Schedule(text).sizes(6)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("n0*x", r"unknown name 'x' in schedule 'n0\*x'; allowed: t, n0, s"),
        ("__import__('os')", r"is not allowed in schedule"),
        ("t.real", r"'t\.real' is not allowed"),
        ("2**2**2**2**2", r"out of range"),
        ("t^2", r"use \*\* for powers"),
        ("", r"empty text in schedule"),
    ],
)
def test_bad_expressions(text: str, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        Schedule(text)


def test_numeric_n0_and_s_are_checked_by_the_parser() -> None:
    # log(10**10 - 10**10) = log(0) only once n0 = 10 is known
    with pytest.raises(ValueError, match=r"undefined or infinite"):
        Schedule("log(10**n0 - n0**n0)", n0=10)
    assert Schedule("log(10**n0 - n0**n0)", n0=9).size(1) == math.ceil(math.log(10**9 - 9**9))
    with pytest.raises(ValueError, match=r"division by zero"):
        Schedule("t/(s - 0.5)", s=0.5)
    assert Schedule("t/(s - 0.5)").expression == t / (s - sp.Rational(1, 2))
    # with n0 = 10 this is 10**(10**11): refused at once, not computed (else this would hang)
    with pytest.raises(ValueError, match=r"out of range"):
        Schedule("(n0**n0)**(n0**n0)", n0=10)
    with pytest.raises(ValueError, match=r"out of range"):
        Schedule("exp(exp(n0**n0))", n0=10)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"n0 must be an integer >= 1.*got 0"):
        Schedule("n0", n0=0)
    with pytest.raises(ValueError, match=r"got -5"):
        Schedule("n0", n0=-5)
    with pytest.raises(TypeError, match=r"n0 must be an int"):
        Schedule("n0", n0=10.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"n0 must be an int"):
        Schedule("n0", n0=True)
    with pytest.raises(ValueError, match=r"s must be a finite number > 0, got -1"):
        Schedule("n0*t**(1+s)", s=-1)
    with pytest.raises(ValueError, match=r"uses s but no value was given"):
        Schedule("n0*t**(1+s)").sizes(3)
    with pytest.raises(ValueError, match=r"T must be an integer >= 0, got -1"):
        Schedule().sizes(-1)
    for bad_T in (2.0, True, "3"):  # wrong kinds (STYLE 5)
        with pytest.raises(TypeError, match=r"T must be an integer >= 0"):
            Schedule().sizes(bad_T)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"minimum must be an integer >= 1"):
        Schedule().sizes(3, minimum=0)
    with pytest.raises(ValueError, match=r"t must be an integer >= 0"):
        Schedule().size(-1)


# -- inverse sums and cost -----------------------------------------------------------------
# positive terms each rounded once, then summed exactly: at most ~1 ulp from the exact sum
ULPS = 4.5e-16


def test_inverse_sum_finite_horizon() -> None:
    expected = float(Fraction(1, 2) + Fraction(1, 4) + Fraction(1, 6))
    assert Schedule("n0*t", n0=2).inverse_sum(3) == pytest.approx(expected, rel=ULPS)
    expected = float(Fraction(1, 10) + Fraction(1, 29) + Fraction(1, 52) + Fraction(1, 80))
    assert Schedule("n0*t**1.5", n0=10).inverse_sum(4) == pytest.approx(expected, rel=ULPS)
    assert Schedule("n0*t", n0=2).inverse_sum(0) == 0.0
    assert Schedule("50", n0=1).inverse_sum(1000) == pytest.approx(20.0, rel=1e-15)


def test_inverse_sum_is_accurately_summed() -> None:
    # 10**6 terms 1/3: naive left-to-right summation drifts, fsum is correctly rounded
    assert Schedule("3").inverse_sum(10**6) == float(Fraction(10**6, 3))


def test_inverse_sum_limit_zeta_two() -> None:
    # n_t = t**2 are integers, so S_inf = zeta(2) = pi^2/6 exactly
    assert Schedule("n0*t**2", n0=1).inverse_sum(math.inf) == pytest.approx(
        math.pi**2 / 6, rel=1e-12
    )
    assert Schedule("n0*t**2", n0=7).inverse_sum(math.inf) == pytest.approx(
        math.pi**2 / 42, rel=1e-12
    )


def test_inverse_sum_limit_past_the_exact_range() -> None:
    # 100 t^3 passes 2**53 near t = 44814: the tail is added analytically; integers again
    assert Schedule("n0*t**3", n0=100).inverse_sum(math.inf) == pytest.approx(
        float(mpmath.zeta(3)) / 100, rel=1e-12
    )
    # geometric: sum_t 1/(3*2^t) = 1/3
    assert Schedule("n0*2**t", n0=3).inverse_sum(math.inf) == pytest.approx(1 / 3, rel=1e-13)


def test_inverse_sum_limit_with_rounding() -> None:
    # exact integer head up to K, Hurwitz-zeta tail (the ceiling changes the tail terms by a
    # relative 1/n_t < 1e-9 here)
    k_max = 100_000
    head = math.fsum(1 / (math.isqrt(10**4 * k**3 - 1) + 1) for k in range(1, k_max + 1))
    tail = float(mpmath.zeta(1.5, k_max + 1)) / 100
    got = Schedule("n0*t**1.5", n0=100).inverse_sum(math.inf)
    assert got == pytest.approx(head + tail, rel=1e-11)


def test_inverse_sum_limit_log_squared() -> None:
    # head: exact sum of 1/ceil(t log(t+1)^2) up to N; tail: integral from N + 1/2
    # (midpoint rule, error ~ f''/24 per term) computed in the variable u = log x
    n_max = 2 * 10**6
    ks = np.arange(1, n_max + 1, dtype=np.float64)
    head = math.fsum((1 / np.ceil(ks * np.log(ks + 1) ** 2)).tolist())
    with mpmath.workdps(30):
        tail = mpmath.quad(
            lambda u: mpmath.exp(u) / (mpmath.exp(u) * mpmath.log(mpmath.exp(u) + 1) ** 2),
            [mpmath.log(n_max + 0.5), 30, 100, 1000, mpmath.inf],
        )
    got = Schedule("n0*t*log(t+1)**2", n0=1).inverse_sum(math.inf)
    assert got == pytest.approx(head + float(tail), rel=1e-9)


def test_inverse_sum_limit_diverging_undecided_and_explicit() -> None:
    assert Schedule("n0*t").inverse_sum(math.inf) == math.inf
    assert Schedule("n0*t*log(t+1)").inverse_sum(math.inf) == math.inf
    with pytest.raises(ValueError, match=r"cannot decide whether S_inf is finite"):
        Schedule("log(log(t+2))*t").inverse_sum(math.inf)
    with pytest.raises(ValueError, match=r"finite list of sizes"):
        Schedule.from_sizes([1, 2, 3]).inverse_sum(math.inf)


def test_cost() -> None:
    assert Schedule("n0*t", n0=10).cost(4) == 10 + 20 + 30 + 40
    assert Schedule("n0*t", n0=10).cost(0) == 0
    # beyond int64: 5000 * 2**52 + 5000*5001/2 > 2**63
    got = Schedule("2**52 + t").cost(5000)
    assert isinstance(got, int)
    assert got == 5000 * 2**52 + 5000 * 5001 // 2
    assert got > 2**63


# -- symbolic sums -------------------------------------------------------------------------
def test_inverse_sum_symbolic() -> None:
    assert Schedule("n0*t**1.5").inverse_sum_symbolic() == sp.zeta(sp.Rational(3, 2)) / n0
    assert Schedule("n0*t**(1+s)").inverse_sum_symbolic() == sp.zeta(1 + s) / n0
    assert Schedule("n0*t**2").inverse_sum_symbolic() == sp.pi**2 / (6 * n0)
    assert sp.simplify(Schedule("n0*2**t").inverse_sum_symbolic() - 1 / n0) == 0
    assert sp.simplify(Schedule("n0*3**t").inverse_sum_symbolic() - 1 / (2 * n0)) == 0
    assert sp.simplify(Schedule("n0*exp(t)").inverse_sum_symbolic() - 1 / (n0 * (sp.E - 1))) == 0
    assert Schedule("n0*t").inverse_sum_symbolic() is sp.oo
    assert Schedule("n0").inverse_sum_symbolic() is sp.oo
    # sum_t 1/(t 2^t) = log 2
    value = Schedule("n0*t*2**t").inverse_sum_symbolic().subs(n0, 1)
    assert float(value.evalf(30)) == pytest.approx(math.log(2), rel=1e-14)
    # sum_t 1/(t^2 2^t) = Li_2(1/2) = pi^2/12 - log(2)^2/2
    value = Schedule("n0*t**2*2**t").inverse_sum_symbolic().subs(n0, 1)
    expected = math.pi**2 / 12 - math.log(2) ** 2 / 2
    assert float(value.evalf(30)) == pytest.approx(expected, rel=1e-14)
    unevaluated = Schedule("n0*t*log(t+1)**2").inverse_sum_symbolic()
    assert isinstance(unevaluated, sp.Sum)
    assert unevaluated.function == 1 / (n0 * t * sp.log(t + 1) ** 2)
    with pytest.raises(ValueError, match="no symbolic form"):
        Schedule.from_sizes([1, 2]).inverse_sum_symbolic()


def test_symbolic_and_numeric_limits_agree_for_integer_sizes() -> None:
    sched = Schedule("n0*t**2", n0=3)
    symbolic = float(sched.inverse_sum_symbolic().subs(n0, 3).evalf(20))
    assert sched.inverse_sum(math.inf) == pytest.approx(symbolic, rel=1e-12)


# -- convergence ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "a", "verdict"),
    [
        ("n0", 1, "diverges"),
        ("50", 1, "diverges"),
        ("n0*t", 1, "diverges"),
        ("n0*t*log(t+1)", 1, "diverges"),
        ("n0*t*log(t+1)**2", 1, "converges"),
        ("n0*t**1.5", 1, "converges"),
        ("n0*t**1.5", 0.5, "diverges"),
        ("n0*t**1.5", sp.Rational(2, 3), "diverges"),  # p*a = 1, no log factor
        ("n0*t**(1+s)", 1, "converges"),
        ("n0*2**t", 1, "converges"),
        ("n0*2**t", 0.01, "converges"),
        ("n0*t**2 + 5*t", 1, "converges"),
        ("t**2 - t**2 + t", 1, "diverges"),
        ("(t+1)**2 - t**2", 1, "diverges"),  # 2t + 1 after expansion
        ("n0*exp(t)", 1, "converges"),
        ("n0*exp(-t) + 1", 1, "diverges"),
        ("exp(t)/t**5", 1, "converges"),
        ("sqrt(t)", 2, "diverges"),  # p*a = 1, q = 0
        ("sqrt(t)", 3, "converges"),
        ("(t*log(t+1))**2", sp.Rational(1, 2), "diverges"),  # p*a = 1, q*a = 1
        ("(t*log(t+1))**2", 0.5, "diverges"),
        ("(t*log(t+1))**2", 0.6, "converges"),
        ("t*log(t)**(1+s)", 1, "converges"),
        ("t*ln(t**3 + 1)**2", 1, "converges"),
        ("n0*t*log(2**t)", 1, "converges"),  # log(2^t) = t log 2
        ("log(t+1)", 5, "diverges"),
        ("log(log(t+2))*t", 1, "undecided"),
        ("exp(sqrt(t))", 1, "undecided"),
        ("t**s", 1, "undecided"),  # s > 0 does not say s > 1
        ("t**(2*s)", sp.Rational(1, 2), "undecided"),
        ("-t**2", 1, "undecided"),  # not a valid schedule: never a guess
        ("n0*t**2 - n0*t**2*(1 + 1/t)", 1, "undecided"),  # = -n0*t
    ],
)
def test_converges(text: str, a: object, verdict: str) -> None:
    assert Schedule(text).converges(a) == verdict


def test_converges_uses_numeric_values_when_given() -> None:
    assert Schedule("t**s", s=2).converges() == "converges"
    assert Schedule("t**s", s=0.5).converges() == "diverges"
    assert Schedule("t**n0", n0=1).converges() == "diverges"
    assert Schedule("t**n0", n0=3).converges() == "converges"


def test_converges_with_symbolic_exponent() -> None:
    alpha = sp.Symbol("alpha", positive=True)
    assert Schedule("n0*2**t").converges(alpha) == "converges"
    assert Schedule("n0*t**2").converges(alpha) == "undecided"  # 2*alpha > 1 unknown
    with pytest.raises(ValueError, match="a must be positive"):
        Schedule("n0*t").converges(0)
    with pytest.raises(ValueError, match="a must be positive"):
        Schedule("n0*t").converges(-1.5)


def test_growth() -> None:
    assert Schedule("n0*t*log(t+1)**2").growth() == Growth(1, 1, 2)
    assert Schedule("n0*2**t*sqrt(t)").growth() == Growth(2, sp.Rational(1, 2), 0)
    assert Schedule("n0*t**(1+s)").growth() == Growth(1, 1 + s, 0)
    assert Schedule("3*exp(2*t) + t**9").growth() == Growth(sp.exp(2), 0, 0)
    assert Schedule("log(log(t+2))*t").growth() is None
    assert Schedule.from_sizes([3, 4]).growth() is None


# -- explicit sizes ------------------------------------------------------------------------
def test_from_sizes() -> None:
    sched = Schedule.from_sizes([10, 20, 40, 80])
    assert sched.expression is None
    assert sched.sizes_given == (10, 20, 40, 80)
    assert sched.n0 == 10
    assert sched.sizes(2).tolist() == [10, 20, 40]
    assert sched.size(3) == 80
    assert sched.inverse_sum(3) == pytest.approx(0.0875, rel=ULPS)
    assert sched.cost(3) == 140
    assert sched.converges() == "undecided"
    with pytest.raises(ValueError, match=r"T=4 is beyond the 4 explicit sizes.*T <= 3"):
        sched.sizes(4)
    with pytest.raises(ValueError, match=r"got 1 at t=0"):
        Schedule.from_sizes([1, 5]).sizes(1, minimum=2)
    with pytest.raises(ValueError, match=r"got 0 at t=1"):
        Schedule.from_sizes([3, 0])
    with pytest.raises(TypeError, match=r"got 2.5 at t=1"):
        Schedule.from_sizes([3, 2.5])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"empty"):
        Schedule.from_sizes([])
    assert Schedule.from_sizes(np.array([5, 6])).sizes(1).tolist() == [5, 6]


# -- display and identity ------------------------------------------------------------------
def test_attributes_and_repr() -> None:
    sched = Schedule("n0*t**1.5", n0=100)
    assert (sched.text, sched.n0, sched.s, sched.sizes_given) == ("n0*t**1.5", 100, None, None)
    assert sched.expression == n0 * t ** sp.Rational(3, 2)
    assert repr(sched) == "Schedule('n0*t**1.5', n0=100)"
    assert repr(Schedule("n0*t**(1+s)", n0=5, s=0.5)) == "Schedule('n0*t**(1+s)', n0=5, s=0.5)"
    assert repr(Schedule.from_sizes([3, 4])) == "Schedule.from_sizes([3, 4])"
    latex = sched._repr_latex_()
    assert latex.startswith("$") and latex.endswith("$")
    assert r"\left\lceil n_{0} t^{\frac{3}{2}} \right\rceil" in latex
    assert "100" in latex


def test_equality_and_hash() -> None:
    a = Schedule("n0*t**1.5", n0=100)
    b = Schedule("n0 * t**(3/2)", n0=100)
    assert a == b and hash(a) == hash(b)
    assert a != Schedule("n0*t**1.5", n0=101)
    assert a != Schedule("n0*t**2", n0=100)
    assert Schedule("t**s", s=1.0) != Schedule("t**s", s=2.0)
    assert Schedule.from_sizes([1, 2]) == Schedule.from_sizes([1, 2])
    assert Schedule.from_sizes([100]) != Schedule("n0", n0=100)
    assert len({a, b, Schedule("n0", n0=100)}) == 2
    assert a != "n0*t**1.5"


# -- robustness ----------------------------------------------------------------------------
token_text = grammar_tokens(max_size=30)
leaf = st.sampled_from(["t", "n0", "s", "1", "2", "0.5", "3", "10", "pi"])
grammar_text = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner).map(
            lambda p: f"({p[0]}){p[1]}({p[2]})"
        ),
        st.tuples(st.sampled_from(["log", "exp", "sqrt", "-"]), inner).map(
            lambda p: f"{p[0]}({p[1]})"
        ),
    ),
    max_leaves=8,
)


def _check_sizes_or_value_error(text: str) -> None:
    try:
        got = Schedule(text, n0=10, s=0.5).sizes(5)
    except ValueError as exc:
        assert "\n" not in str(exc)
        return
    # int64, or Python ints where some size is beyond int64 (there was a 2**53 cap before)
    assert got.dtype == np.int64 or max(got.tolist()) > np.iinfo(np.int64).max
    assert got.shape == (6,)
    assert (got >= 1).all()
    assert got[0] == 10


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=40), token_text))
def test_arbitrary_text_gives_sizes_or_value_error(text: str) -> None:
    _check_sizes_or_value_error(text)


@settings(max_examples=200, deadline=None)
@given(grammar_text)
def test_grammar_text_gives_sizes_or_value_error(text: str) -> None:
    _check_sizes_or_value_error(text)


@settings(max_examples=100, deadline=None)
@given(grammar_text, st.sampled_from([0.5, 1, 2]))
def test_converges_is_one_of_three_words(text: str, a: float) -> None:
    try:
        sched = Schedule(text, n0=10)
    except ValueError:
        return
    assert sched.converges(a) in {"converges", "diverges", "undecided"}


def test_inverse_sum_limit_slow_exponential() -> None:
    # b = e^(1/1000) is close to 1: exact head while n_t <= 2**53, then a geometric tail
    ks = np.arange(1, 100_000, dtype=np.float64)
    values = np.exp(ks / 1000)
    m = int(np.argmax(values > 2**53))  # number of exact terms
    head = math.fsum((1 / np.ceil(values[:m])).tolist())
    tail = math.exp(-(m + 1) / 1000) / -math.expm1(-1 / 1000)
    got = Schedule("exp(t/1000)").inverse_sum(math.inf)
    assert got == pytest.approx(head + tail, rel=1e-12)


def test_inverse_sum_limit_refuses_what_it_cannot_sum() -> None:
    assert Schedule("exp(t) + sqrt(-t)").converges() == "undecided"  # complex: no class
    with pytest.raises(ValueError, match=r"not a positive real number near t=1"):
        Schedule("exp(t)/log(t)").inverse_sum(math.inf)  # pole at t = 1
    with pytest.raises(ValueError, match=r"cannot sum the tail of S_inf numerically"):
        Schedule("log(2**t + 3)*t**2").inverse_sum(math.inf)
    # log(pi**t)**2 is summed: pi**t overflows float64 near t = 620, so the exact head stops
    # there and the unrounded tail starts early; dropping the ceiling in the tail costs
    # about sum_{t>620} 1/(2 E(t)^2) ~ 5e-10 (the documented relative O(1/n_t) of the tail)
    assert Schedule("log(pi**t)**2").inverse_sum(math.inf) == pytest.approx(
        math.fsum(1 / math.ceil((k * math.log(math.pi)) ** 2) for k in range(1, 10**6 + 1))
        + 1 / (math.log(math.pi) ** 2 * (10**6 + 0.5)),
        rel=2e-9,
    )


@pytest.mark.parametrize(("expr", "limit"), [
    ("n0", 100), ("n0*t", math.inf), ("n0*2**t", math.inf), ("n0*log(t+2)", math.inf),
    ("max(10, n0 - t)", 10), ("max(n0, 1000 - 10*t)", 100), ("min(n0*t, 500)", 500),
    ("2*max(10, n0 - t) + 1/t", 20), ("100 - 1/t", 100),
    # an integer limit approached from above: sizes within 1e-9 of it are that integer
    ("n0 + 100/t", 100), ("n0 + 1/(2*t) + 0.5", 101),
    # sizes that fall below 1 (no schedule there) and ones that shrink to 1
    ("n0 - t", 0), ("max(n0 - t, -5)", 0), ("n0/t", 1),
])
def test_limiting_size(expr, limit):
    schedule = Schedule(expr, n0=100)
    assert schedule.limiting_size() == limit
    if 1 <= limit < math.inf:  # the sizes themselves, far out
        assert schedule.size(10**12) == schedule.size(10**12 + 1) == limit


@pytest.mark.parametrize("expr", ["n0*(2 + (-1)**t)"])
def test_limiting_size_none_without_a_limit(expr):
    assert Schedule(expr, n0=100).limiting_size() is None
    assert Schedule.from_sizes([100, 200, 400]).limiting_size() is None


@pytest.mark.parametrize(("expr", "message"), [
    ("0", "got 0 at t=1"), ("t", "got 1 at t=1"), ("n0*t**-1", "got 1 as t -> inf"),
    ("n0/(t+1)", "got 1 as t -> inf"), ("n0 - t", "got 0 as t -> inf"),
])
def test_t_inf_checks_the_sizes_as_a_finite_horizon_does(capsys, expr, message):
    """derive --T inf refused nothing: sizes 0, 1 or negative gave 'collapses True'."""
    from modelcollapse.cli import main

    assert main(["derive", "gaussian-variance", "--schedule", expr, "--T", "inf"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: n_t must be an integer >= 2 for gaussian-variance, ")
    assert message in err and err.count("\n") == 1
    assert main(["improve", "--schedule", "0", "--T", "inf"]) == 2
    err = capsys.readouterr().err
    assert "n_t must be an integer >= 1 for gaussian-mean, got 0 at t=1" in err
