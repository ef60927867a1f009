"""Tests of the whitelist expression parser (modelcollapse.expressions)."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcollapse.expressions import MAX_DEPTH, MAX_LENGTH, parse_expression
from modelcollapse.symbols import n0, s, t
from tests.strategies import grammar_tokens

NAMES = {"t": t, "n0": n0, "s": s}


def parse(text: str) -> sp.Expr:
    return parse_expression(text, NAMES, what="schedule")


# -- what is accepted ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.5", sp.Rational(3, 2)),
        ("0.1", sp.Rational(1, 10)),  # exact decimal, not the binary float 0.1000000000000000055
        ("1e-3", sp.Rational(1, 1000)),
        ("2.5e2", sp.Integer(250)),
        ("1_000", sp.Integer(1000)),
        ("0x10", sp.Integer(16)),
        ("7", sp.Integer(7)),
        ("-3", sp.Integer(-3)),
        ("+3", sp.Integer(3)),
        ("2**-1", sp.Rational(1, 2)),
        ("1/3 + 1/6", sp.Rational(1, 2)),
        ("10 - 2 - 3", sp.Integer(5)),  # left associative
        ("2**3**2", sp.Integer(512)),  # right associative
        ("-2**2", sp.Integer(-4)),  # unary minus binds weaker than **
        ("(1 + 2) * 3", sp.Integer(9)),
        ("24 / 2 / 3", sp.Integer(4)),
    ],
)
def test_numbers_are_exact(text: str, expected: sp.Expr) -> None:
    value = parse(text)
    assert value == expected
    assert value.is_Rational


def test_symbols_and_functions_map_to_the_shared_objects() -> None:
    assert parse("n0*t**1.5") == n0 * t ** sp.Rational(3, 2)
    assert parse("n0*t*log(t+1)") == n0 * t * sp.log(t + 1)
    assert parse("ln(t)") == sp.log(t)
    assert parse("exp(t) + sqrt(t)") == sp.exp(t) + sp.sqrt(t)
    assert parse("n0*t**(1+s)") == n0 * t ** (1 + s)
    assert parse("pi*e**t") == sp.pi * sp.exp(t)
    assert parse(" n0 ") == n0
    with pytest.raises(ValueError, match=r"U\+000A \(a line break\) at column 3"):
        parse("(t\n+ 1)")  # one line only: a second line could carry a comment along


def test_result_uses_only_the_given_symbols() -> None:
    expr = parse_expression("t*2", {"t": t})
    assert expr.free_symbols == {t}
    with pytest.raises(ValueError, match="unknown name 'n0'"):
        parse_expression("n0*t", {"t": t})


def test_names_may_stand_for_numbers() -> None:
    assert parse_expression("n0*t", {"t": t, "n0": sp.Integer(7)}) == 7 * t
    with pytest.raises(ValueError, match="out of range"):
        parse_expression("n0**n0**n0", {"n0": sp.Integer(10)})
    with pytest.raises(TypeError, match="must be a SymPy object"):
        parse_expression("n0", {"n0": "__import__('os')"})  # type: ignore[dict-item]


def test_symbols_mapping_may_shadow_constants() -> None:
    e_sym = sp.Symbol("e_custom")
    assert parse_expression("e + 1", {"e": e_sym}) == e_sym + 1


# -- what is refused -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("n0*x", r"unknown name 'x' in schedule 'n0\*x'; allowed: t, n0, s, .*log, exp, sqrt"),
        ("__import__('os')", r"call .*__import__.* is not allowed"),
        ("__import__('os').system('echo hacked')", r"not allowed"),
        ("t.real", r"'t\.real' is not allowed"),
        ("t.__class__", r"not allowed"),
        ("t[0]", r"'t\[0\]' is not allowed"),
        ("lambda: 1", r"'lambda: 1' is not allowed"),
        ("t < 1", r"not allowed"),
        ("'abc'", r"literal .* is not allowed"),
        ("f'{t}'", r"not allowed"),
        ("True", r"literal 'True' is not allowed"),
        ("2j", r"imaginary number '2j' is not allowed"),
        ("t^2", r"'\^' in 't\^2' is not allowed \(use \*\* for powers\)"),
        ("t // 2", r"operator '//' in 't // 2' is not allowed"),
        ("t % 2", r"operator '%' .* not allowed"),
        ("not t", r"not allowed"),
        ("~t", r"not allowed"),
        ("log", r"function 'log' must be called with one argument"),
        ("log(t, 2)", r"log takes exactly one argument"),
        ("exp(x=t)", r"exp takes exactly one argument"),
        ("sqrt(*t)", r"sqrt takes exactly one argument"),
        ("sin(t)", r"call 'sin\(t\)' is not allowed"),
        ("E", r"unknown name 'E'"),
        ("", r"empty text in schedule ''"),
        ("   ", r"empty text"),
        ("n0*", r"invalid syntax"),
        ("t;1", r"invalid syntax"),
        ("t\n+1", r"U\+000A \(a line break\) at column 2 is not allowed"),
        ("1/0", r"division by zero"),
        ("t/(t - t)", r"division by zero"),
        ("0**-1", r"undefined or infinite"),
        ("log(0)", r"undefined or infinite"),
        ("1e999", r"number '1e999' is outside"),
        ("1e-999", r"number '1e-999' is outside"),
        ("1" + "0" * 301, r"exceeds 1e300"),
        ("2**2**2**2**2", r"power '2\*\*2\*\*2\*\*2\*\*2' is out of range"),
        ("(2*t)**(10**200)", r"out of range"),
        ("sqrt(2)**(10**200)", r"out of range"),
        ("0.5**100000", r"out of range"),
        ("exp(10**6)", r"out of range"),
        ("[t]", r"not allowed"),
        ("t if t else 1", r"not allowed"),
        ("\x00", r"U\+0000 \(a control character\) at column 1 is not allowed"),
    ],
)
def test_refused_with_one_line_message(text: str, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern) as info:
        parse(text)
    assert "\n" not in str(info.value)


def test_length_limit() -> None:
    ok = "+".join(["t"] * 200)  # 399 characters: accepted, and flattened (not nested)
    assert parse(ok) == 200 * t
    with pytest.raises(ValueError, match=f"longer than {MAX_LENGTH}") as info:
        parse("t+" * 300 + "t")
    assert "\n" not in str(info.value)


def test_depth_limit() -> None:
    assert parse("-" * (MAX_DEPTH - 2) + "t") == t  # an even number of minus signs
    with pytest.raises(ValueError, match=f"nested deeper than {MAX_DEPTH}"):
        parse("-" * (MAX_DEPTH + 5) + "t")
    with pytest.raises(ValueError, match="nested|syntax"):
        parse("log(" * 60 + "t" + ")" * 60)


def test_moderate_numeric_powers_are_allowed() -> None:
    assert parse("10**300") == sp.Integer(10) ** 300
    assert parse("2**-10") == sp.Rational(1, 1024)
    # symbolic exponents are never computed, so they are not limited
    assert parse("(t + 1)**100000") == (t + 1) ** 100000


def test_rejects_non_str() -> None:
    with pytest.raises(TypeError, match="must be a str"):
        parse_expression(3, NAMES)  # type: ignore[arg-type]


# -- properties ----------------------------------------------------------------------------
token_text = grammar_tokens(max_size=40)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=60), token_text))
def test_any_text_gives_an_expression_or_a_one_line_value_error(text: str) -> None:
    try:
        expr = parse(text)
    except ValueError as exc:
        assert "\n" not in str(exc)
        assert "allowed" in str(exc)
    else:
        assert isinstance(expr, sp.Expr)
        assert expr.free_symbols <= {t, n0, s}


def _render_and_value(draw: st.DrawFn, depth: int = 0) -> tuple[str, Fraction]:
    """A random arithmetic text and its exact value, computed with fractions (not the parser)."""
    if depth > 3 or draw(st.booleans()):
        k = draw(st.integers(0, 30))
        if draw(st.booleans()):
            return str(k), Fraction(k)
        digits = draw(st.integers(1, 99))
        return f"{k}.{digits:02d}", Fraction(k * 100 + digits, 100)
    op = draw(st.sampled_from(["+", "-", "*", "/", "neg", "pow"]))
    left, lv = _render_and_value(draw, depth + 1)
    if op == "neg":
        return f"-({left})", -lv
    if op == "pow":
        k = draw(st.integers(0, 4))
        return f"({left})**{k}", lv**k
    right, rv = _render_and_value(draw, depth + 1)
    if op == "/" and rv == 0:
        rv, right = Fraction(1), "1"
    value = {"+": lv + rv, "-": lv - rv, "*": lv * rv, "/": lv / rv if rv else lv}[op]
    return f"({left}) {op} ({right})", value


@st.composite
def arithmetic(draw: st.DrawFn) -> tuple[str, Fraction]:
    return _render_and_value(draw)


@settings(max_examples=200, deadline=None)
@given(arithmetic())
def test_arithmetic_is_exact(case: tuple[str, Fraction]) -> None:
    text, value = case
    result = parse(text)
    assert result == sp.Rational(value.numerator, value.denominator)
