"""The expression language's functions, named constants and SymPy input (as_expression)."""

from __future__ import annotations

import builtins
import math
import re
from fractions import Fraction
from unittest import mock

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcollapse.expressions import as_expression, parse_expression
from modelcollapse.symbols import n0, s, t
from tests.strategies import grammar_tokens

NAMES = {"t": t, "n0": n0, "s": s}


def parse(text: str, **kwargs: object) -> sp.Expr:
    return parse_expression(text, NAMES, what="schedule", **kwargs)  # type: ignore[arg-type]


def one_line_error(kind: type[Exception], call, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(kind) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


# -- functions -----------------------------------------------------------------------------
def test_functions_map_to_sympy() -> None:
    assert parse("abs(t - 5)") == sp.Abs(t - 5)
    assert parse("gamma(t + 1)") == sp.gamma(t + 1)
    assert parse("loggamma(s)") == sp.loggamma(s)
    assert parse("digamma(s)") == sp.polygamma(0, s)
    assert parse("beta(s, 2)") == sp.beta(s, 2)
    assert parse("min(t, 3)") == sp.Min(t, 3)
    assert parse("max(t, 3, n0)") == sp.Max(t, 3, n0)
    assert parse("max(t, min(n0, 2*t))") == sp.Max(t, sp.Min(n0, 2 * t))


def test_function_values_agree_with_mpmath() -> None:
    # exact where SymPy evaluates: gamma(5) = 4!, B(2, 3) = 1!2!/4! = 1/12, psi(1) = -gamma_E
    assert parse("gamma(5)") == 24
    assert parse("beta(2, 3)") == sp.Rational(1, 12)
    assert parse("digamma(1)") == -sp.EulerGamma
    assert parse("abs(-2.5) + min(1, 0.5, 2) + max(-1, -3)") == 2
    cases = {
        "gamma(2.5)": mpmath.gamma(2.5),
        "gamma(-0.5)": mpmath.gamma(-0.5),
        "gamma(1/3)": mpmath.gamma(mpmath.mpf(1) / 3),
        "loggamma(0.5)": mpmath.loggamma(0.5),
        "loggamma(7.25)": mpmath.loggamma(7.25),
        "digamma(3.5)": mpmath.digamma(3.5),
        "digamma(1/3)": mpmath.digamma(mpmath.mpf(1) / 3),
        "beta(0.5, 0.5)": mpmath.beta(0.5, 0.5),
        "beta(2, 3.5)": mpmath.beta(2, 3.5),
        "exp(loggamma(30))": mpmath.gamma(30),
    }
    for text, expected in cases.items():
        assert float(parse(text).evalf(30)) == pytest.approx(float(expected), rel=1e-14), text


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("abs(t, 2)", r"abs takes exactly one argument, got 'abs\(t, 2\)'"),
        ("gamma()", r"gamma takes exactly one argument"),
        ("loggamma(t, t)", r"loggamma takes exactly one argument"),
        ("digamma(x=t)", r"digamma takes exactly one argument"),
        ("beta(t)", r"beta takes exactly two arguments, got 'beta\(t\)'"),
        ("beta(t, 1, 2)", r"beta takes exactly two arguments"),
        ("min(t)", r"min takes two or more arguments, got 'min\(t\)'"),
        ("max()", r"max takes two or more arguments"),
        ("max(*t, 2)", r"max takes two or more arguments"),
        ("min", r"function 'min' must be called with two or more arguments"),
        ("beta", r"function 'beta' must be called with two arguments"),
        ("abs", r"function 'abs' must be called with one argument"),
        ("Abs(t)", r"call 'Abs\(t\)' is not allowed"),
        ("polygamma(0, t)", r"call 'polygamma\(0, t\)' is not allowed"),
        ("gamma(0)", r"'gamma\(0\)' is undefined or infinite"),
        ("loggamma(-2)", r"undefined or infinite"),
        ("loggamma(-2.5)", r"'loggamma\(-2.5\)' is not real .* use log\(abs\(gamma\(x\)\)\)"),
        ("digamma(-1)", r"undefined or infinite"),
        ("beta(0, 1)", r"undefined or infinite"),
        ("gamma(10**6)", r"'gamma\(10\*\*6\)' is out of range"),
        ("loggamma(1000)", r"out of range"),
        ("digamma(10**4)", r"out of range"),
        ("beta(100, 100)", r"gamma\(200\) is about 10\^373"),
        ("gamma(gamma(10))", r"out of range"),
        ("gamma(-1000.5)", r"out of range"),
    ],
)
def test_function_misuse_is_refused(text: str, pattern: str) -> None:
    message = one_line_error(ValueError, parse, text)
    assert re.search(pattern, message), message
    assert "allowed: t, n0, s, pi, e, numbers" in message
    assert "abs, gamma, loggamma, digamma, beta(a, b), min, max" in message


def test_min_max_compare_numbers_but_keep_symbolic_arguments() -> None:
    assert parse("min(3, 0.5, pi)") == sp.Rational(1, 2)
    assert parse("max(gamma(0.5), pi, 1)") == sp.pi  # compared numerically
    assert parse("max(1, digamma(3)**1000)") == 1  # SymPy's own comparison takes minutes
    assert parse("min(sqrt(2)**2, 2)") == 2
    assert parse("max(t, 2, 5)") == sp.Max(5, t)
    # SymPy would spend seconds comparing t**170 with t - 1 through its assumptions
    got = parse("max(t**170, t - 1, 2, 3)")
    assert set(got.args) == {sp.Integer(3), t**170, t - 1}
    assert got.subs(t, 2) == 2**170
    assert parse("min(n0, n0)") == n0
    message = one_line_error(ValueError, parse, "max(sqrt(-2), 1)")
    assert "max of the non-real number 'sqrt(2)*I'" in message
    message = one_line_error(ValueError, parse, "abs(sqrt(-2) + 1)")
    assert "abs of the non-real number '1 + sqrt(2)*I'" in message
    # gamma-type functions of complex numbers too (SymPy takes minutes over some)
    message = one_line_error(ValueError, parse, "loggamma(exp(sqrt(-2)))")
    assert "loggamma of the non-real number" in message
    assert "beta of the non-real number" in one_line_error(ValueError, parse, "beta(1, sqrt(-2))")
    # a symbolic argument SymPy would rewrite with re/im/atan2: the plain absolute value
    assert parse("abs(sqrt(gamma(-t - 0.5)))") == sp.Abs(
        sp.sqrt(sp.gamma(-t - sp.Rational(1, 2))), evaluate=False)
    assert "undefined or infinite (a pole of beta)" in one_line_error(
        ValueError, parse, "beta(0, pi)")


def test_gamma_guard_allows_moderate_arguments() -> None:
    assert parse("gamma(160)") == math.factorial(159)
    assert parse("gamma(-160.5)") != 0
    assert parse("gamma(1e-10)") == sp.gamma(sp.Rational(1, 10**10))
    # symbolic arguments are never evaluated, so they are not limited
    assert parse("gamma(10**6*t)") == sp.gamma(10**6 * t)


# -- named constants -----------------------------------------------------------------------
def test_constants_are_substituted_exactly() -> None:
    assert parse("c*t", constants={"c": 0.1}) == t / 10  # the decimal repr, not the binary float
    assert parse("c*t", constants={"c": 3}) == 3 * t
    assert parse("c*t", constants={"c": Fraction(1, 3)}) == t / 3
    assert parse("c*t", constants={"c": np.float64(2.5)}) == sp.Rational(5, 2) * t
    assert parse("c*t", constants={"c": np.int64(7)}) == 7 * t
    assert parse("c*t", constants={"c": sp.Float("0.25")}) == t / 4
    assert parse("c*t", constants={"c": sp.sqrt(2)}) == sp.sqrt(2) * t
    assert parse("k_1 + k2*t", constants={"k_1": 1, "k2": 2}) == 1 + 2 * t
    assert parse("c", constants={"c": 0}) == 0
    assert parse("t", constants={}) == t
    # constants are numbers: the guards see them
    message = one_line_error(ValueError, parse, "c**c**c", constants={"c": 10})
    assert "out of range" in message
    # listed among the allowed names in messages
    assert "allowed: t, n0, s, c, pi, e" in one_line_error(
        ValueError, parse, "x", constants={"c": 1})


@pytest.mark.parametrize(
    ("constants", "kind", "pattern"),
    [
        ({"t": 1}, ValueError, r"constant name 't' of schedule collides with a symbol 't'"),
        ({"pi": 3}, ValueError, r"constant name 'pi' .* collides with the constant 'pi'"),
        ({"e": 3}, ValueError, r"constant name 'e' .* collides with the constant"),
        ({"gamma": 1}, ValueError, r"constant name 'gamma' .* collides with a function"),
        ({"ln": 1}, ValueError, r"constant name 'ln' .* collides with a function"),
        ({"1c": 1}, ValueError, r"constant name '1c' of schedule is not allowed"),
        ({"c d": 1}, ValueError, r"constant name 'c d' .* not allowed"),
        ({"lambda": 1}, ValueError, r"constant name 'lambda' .* not allowed"),
        ({"None": 1}, ValueError, r"constant name 'None' .* not allowed"),
        ({"\u00e9": 1}, ValueError, r"not allowed; allowed: ASCII identifiers"),
        ({"": 1}, ValueError, r"constant name '' .* not allowed"),
        ({"c": math.nan}, ValueError, r"constant 'c' of schedule must be a finite number"),
        ({"c": math.inf}, ValueError, r"constant 'c' .* finite"),
        ({"c": sp.oo}, ValueError, r"constant 'c' .* finite real number"),
        ({"c": sp.I}, ValueError, r"constant 'c' .* finite real number, got I"),
        ({"c": 10**400}, ValueError, r"constant 'c' of schedule = 1000.* is outside 1e-300"),
        ({"c": 1e-320}, ValueError, r"constant 'c' .* is outside"),
        ({1: 2}, TypeError, r"constant names of schedule must be str, got 1"),
        ({"c": "1"}, TypeError, r"constant 'c' of schedule must be an int, float, Fraction"),
        ({"c": None}, TypeError, r"constant 'c' .* got None"),
        ({"c": True}, TypeError, r"constant 'c' .* got the bool True"),
        ({"c": 1j}, TypeError, r"constant 'c'"),
        ({"c": sp.Symbol("x")}, TypeError, r"constant 'c' .* SymPy number, got x"),
        ([("c", 1)], TypeError, r"constants of schedule must be a mapping"),
    ],
)
def test_bad_constants(constants: object, kind: type[Exception], pattern: str) -> None:
    with pytest.raises(kind, match=pattern) as info:
        parse("t", constants=constants)
    assert "\n" not in str(info.value)


# -- SymPy input ---------------------------------------------------------------------------
def test_as_expression_text_and_numbers() -> None:
    assert as_expression("n0*t**1.5", NAMES) == n0 * t ** sp.Rational(3, 2)
    assert as_expression(3, NAMES) == 3 and isinstance(as_expression(3, NAMES), sp.Integer)
    assert as_expression(0.1, NAMES) == sp.Rational(1, 10)
    assert as_expression(Fraction(2, 3), NAMES) == sp.Rational(2, 3)
    assert as_expression("c*t", NAMES, constants={"c": 2}) == 2 * t


def test_as_expression_maps_symbols_by_name() -> None:
    plain_t, plain_n0 = sp.Symbol("t"), sp.Symbol("n0")
    assert plain_t != t  # no assumptions: a different SymPy symbol
    got = as_expression(plain_n0 * plain_t**2 + sp.log(plain_t + 1), NAMES)
    assert got == n0 * t**2 + sp.log(t + 1)
    assert got.free_symbols == {n0, t}
    # the shared symbols themselves, and a plain symbol carrying the shared name n_0
    assert as_expression(n0 * t, NAMES) == n0 * t
    assert as_expression(sp.Symbol("n_0") * t, NAMES) == n0 * t
    # names standing for numbers, and constants
    assert as_expression(plain_n0 * plain_t, {"t": t, "n0": sp.Integer(7)}) == 7 * t
    assert as_expression(sp.Symbol("c") * plain_t, NAMES, constants={"c": 0.5}) == t / 2
    # floats become the rationals of their decimal repr, as in text
    assert as_expression(plain_t**1.5, NAMES) == t ** sp.Rational(3, 2)
    assert as_expression(sp.Float(0.1) * plain_t, NAMES) == t / 10


def test_as_expression_accepts_the_whitelisted_classes() -> None:
    x = sp.Symbol("s")
    expr = (sp.Abs(x - 1) + sp.gamma(x) + sp.loggamma(x) + sp.polygamma(0, x)
            + sp.polygamma(1, x) + sp.beta(x, 2) + sp.Min(x, 1) + sp.Max(x, 2)
            + sp.exp(x) * sp.sqrt(x) / sp.log(x + 1) + sp.pi + sp.E + sp.EulerGamma)
    assert as_expression(expr, NAMES) == expr.xreplace({x: s})


N0_IS_10 = {"t": t, "n0": sp.Integer(10), "s": s}
N0_IS_7 = {"t": t, "n0": sp.Integer(7), "s": s}


@pytest.mark.parametrize(
    ("value", "names", "pattern"),
    [
        (sp.sin(sp.Symbol("t")), NAMES, r"^function sin in 'sin\(t\)' is not allowed in schedule"),
        (sp.Function("f")(t), NAMES, r"function f in 'f\(t\)' is not allowed"),
        (sp.Symbol("x") * t, NAMES, r"unknown name 'x' in schedule 't\*x'; allowed: t, n0, s, pi"),
        (sp.Integral(t, t), NAMES, r"construct Integral .* is not allowed"),
        (sp.Sum(t, (t, 1, 3)), NAMES, r"not allowed"),
        (sp.Piecewise((t, t > 1), (1, True)), NAMES, r"not allowed"),
        (sp.polygamma(2, s), NAMES, r"polygamma of order 0 or 1 only"),
        (sp.zoo * t, NAMES, r"'zoo' is undefined or infinite"),
        (sp.nan + t, NAMES, r"undefined or infinite"),
        (sp.gamma(sp.Symbol("x")), NAMES, r"unknown name 'x'"),
        (sp.Pow(2, 2**20, evaluate=False), NAMES, r"out of range"),
        (sp.gamma(sp.Integer(10**6), evaluate=False), NAMES, r"out of range"),
        (sp.exp(sp.Integer(10**6), evaluate=False), NAMES, r"out of range"),
        # the guards see the numbers that names stand for
        (sp.Symbol("n0") ** sp.Symbol("n0") ** sp.Symbol("n0"), N0_IS_10, r"out of range"),
        (1 / (sp.Symbol("n0") - 7), N0_IS_7, r"undefined or infinite"),
    ],
)
def test_as_expression_refuses(value: sp.Expr, names: dict, pattern: str) -> None:
    message = one_line_error(ValueError, as_expression, value, names, what="schedule")
    assert re.search(pattern, message), message


@pytest.mark.parametrize("value", [t < 1, sp.Eq(t, 1), [t], None, True, b"x", 1j,
                                   sp.Matrix([t]), {"t": 1}])
def test_as_expression_type_errors(value: object) -> None:
    message = one_line_error(TypeError, as_expression, value, NAMES, what="schedule")
    assert message.startswith("schedule must be a str, a number or a SymPy expression")


# -- properties ----------------------------------------------------------------------------
FUNCTION_CALLS = ["abs(", "gamma(", "loggamma(", "digamma(", "beta(", "min(", "max("]


def _no_code_execution():  # type: ignore[no-untyped-def]
    """Fail loudly if anything calls eval or exec while parsing (SymPy's parse_expr does)."""
    boom = AssertionError("eval/exec called while parsing")
    return mock.patch.multiple(builtins, eval=mock.Mock(side_effect=boom),
                               exec=mock.Mock(side_effect=boom))


@settings(max_examples=300, deadline=None)
@given(st.one_of(grammar_tokens(max_size=40), st.text(max_size=60),
                 st.lists(st.sampled_from([*FUNCTION_CALLS, "t", "2", "0.5", ",", ")", "-",
                                           "**", "n0", "(", "1e3", "x"]),
                          max_size=25).map("".join)))
def test_random_text_parses_or_raises_a_one_line_value_error(text: str) -> None:
    with _no_code_execution():
        try:
            expr = parse(text)
        except ValueError as exc:
            assert "\n" not in str(exc)
            assert "allowed" in str(exc)
            return
    assert isinstance(expr, sp.Expr)
    assert expr.free_symbols <= {t, n0, s}
    # whatever the parser builds, the SymPy route accepts, with the same value
    again = as_expression(expr, NAMES)
    assert again.free_symbols <= expr.free_symbols
    assert again == expr or _same_value(again, expr)


def _same_value(a: sp.Expr, b: sp.Expr) -> bool:
    """Equal at a generic point (t = 3, n0 = 7, s = 1/3) to 12 digits, or not finite there."""
    point = {t: 3, n0: 7, s: sp.Rational(1, 3)}
    with mpmath.workdps(30):
        try:
            x, y = (complex(v.xreplace(point).evalf(30)) for v in (a, b))
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            return True  # not a finite number at this point (a pole, an overflow)
    if not all(map(math.isfinite, (x.real, x.imag, y.real, y.imag))):
        return True
    return abs(x - y) <= 1e-12 * max(1.0, abs(x), abs(y))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(FUNCTION_CALLS), st.lists(st.integers(1, 40), min_size=1, max_size=3),
       st.sampled_from(["", ".5", ".25"]))
def test_numeric_function_calls_match_mpmath(call: str, ints: list[int], frac: str) -> None:
    args = [f"{k}{frac}" for k in ints]
    text = f"{call}{', '.join(args)})"
    values = [mpmath.mpf(a) for a in args]
    reference = {
        "abs(": lambda v: abs(v[0]),
        "gamma(": lambda v: mpmath.gamma(v[0]),
        "loggamma(": lambda v: mpmath.loggamma(v[0]),
        "digamma(": lambda v: mpmath.digamma(v[0]),
        "beta(": lambda v: mpmath.beta(v[0], v[1]),
        "min(": min,
        "max(": max,
    }[call]
    arity = {"beta(": (2, 2), "min(": (2, 9), "max(": (2, 9)}.get(call, (1, 1))
    if not arity[0] <= len(args) <= arity[1]:
        message = one_line_error(ValueError, parse, text)
        assert "takes" in message
        return
    got = parse(text)
    assert got.free_symbols == set()
    with mpmath.workdps(30):
        assert float(got.evalf(30)) == pytest.approx(float(reference(values)), rel=1e-14)
