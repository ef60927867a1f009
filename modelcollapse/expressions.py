"""Whitelist parser for user expressions such as schedules ``"n0*t**1.5"``.

User text is never handed to :func:`eval` or to :func:`sympy.sympify` (both execute code).
Instead :func:`parse_expression` parses the text with :func:`ast.parse` and walks the syntax
tree, building SymPy objects directly from an explicit whitelist:

* numeric literals; decimal literals become exact rationals (``"1.5"`` is :math:`3/2`),
* the names of the given symbols, plus ``pi`` and ``e``,
* binary ``+ - * / **``, unary ``+ -`` and parentheses,
* calls ``log(x)`` (also spelled ``ln(x)``), ``exp(x)`` and ``sqrt(x)`` with one argument.

Anything else raises :class:`ValueError` with a one-line message that names the offending
text and lists what is allowed. Inputs that could make SymPy compute forever (very long text,
deep nesting, numeric powers such as ``2**2**2**2**2``) are refused before they are built.

Examples
--------
>>> from modelcollapse.symbols import n0, t
>>> parse_expression("n0*t**1.5", {"t": t, "n0": n0})
n_0*t**(3/2)
>>> parse_expression("n0*x", {"t": t, "n0": n0}, what="schedule")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: unknown name 'x' in schedule 'n0*x'; allowed: t, n0, pi, e, numbers, + - * / ** ...
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import sympy as sp

__all__ = ["parse_expression", "MAX_LENGTH", "MAX_DEPTH", "MAX_LOG10"]

#: longest accepted text (characters)
MAX_LENGTH = 500
#: deepest accepted nesting of the syntax tree (chains of + - or * / count once)
MAX_DEPTH = 50
#: largest accepted |log10| of a number or of a numeric power
MAX_LOG10 = 300

_FUNCTIONS = {"log": sp.log, "ln": sp.log, "exp": sp.exp, "sqrt": sp.sqrt}
_CONSTANTS = {"pi": sp.pi, "e": sp.E}
_BAD = (sp.zoo, sp.nan, sp.oo, sp.S.NegativeInfinity)


class _Parser:
    """One parse: holds the text, the allowed names and the label for messages."""

    def __init__(self, text: str, symbols: Mapping[str, sp.Expr], what: str) -> None:
        self.text = text
        self.symbols = dict(symbols)
        for key, value in self.symbols.items():
            if not isinstance(value, sp.Basic):
                raise TypeError(f"symbols[{key!r}] must be a SymPy object, got {value!r}")
        self.what = what
        names = [*self.symbols, *(c for c in _CONSTANTS if c not in self.symbols)]
        self.allowed = ", ".join([*names, "numbers, + - * / ** ( ), log, exp, sqrt"])

    # -- messages -------------------------------------------------------------------------
    def where(self) -> str:
        shown = self.text if len(self.text) <= 80 else self.text[:77] + "..."
        return f"{self.what} {shown!r}"

    def fail(self, problem: str) -> ValueError:
        message = f"{problem} in {self.where()}; allowed: {self.allowed}"
        return ValueError(" ".join(message.split("\n")))

    def segment(self, node: ast.AST) -> str:
        try:
            seg = ast.get_source_segment(self.text, node)
        except Exception:  # pragma: no cover - defensive: positions always exist here
            seg = None
        if seg is None:
            seg = type(node).__name__
        seg = " ".join(seg.split())
        return seg if len(seg) <= 60 else seg[:57] + "..."

    # -- tree walk ------------------------------------------------------------------------
    def build(self, node: ast.AST, depth: int) -> sp.Expr:
        if depth > MAX_DEPTH:
            raise self.fail(f"expression nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return self.checked(-self.build(node.operand, depth + 1), node)
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand, depth + 1)
            raise self.fail(f"operator in {self.segment(node)!r} is not allowed")
        if isinstance(node, ast.BinOp):
            return self.binop(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise self.fail(f"{self.segment(node)!r} is not allowed")

    def checked(self, value: sp.Expr, node: ast.AST) -> sp.Expr:
        if value.has(*_BAD):
            raise self.fail(
                f"{self.segment(node)!r} is undefined or infinite (division by zero or log(0))"
            )
        return value

    def constant(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = "imaginary number" if isinstance(value, complex) else "literal"
            raise self.fail(f"{kind} {self.segment(node)!r} is not allowed")
        if isinstance(value, int):
            if value != 0 and abs(math.log10(value)) > MAX_LOG10:
                raise self.fail(f"number {self.segment(node)!r} exceeds 1e{MAX_LOG10}")
            return sp.Integer(value)
        # A float literal: rebuild it exactly from its source text ("1.5" -> 3/2), never
        # from the binary float (which would turn 0.1 into 3602879701896397/36028797018963968).
        source = (ast.get_source_segment(self.text, node) or repr(value)).replace("_", "")
        try:
            dec = Decimal(source)
        except InvalidOperation:  # pragma: no cover - ast only yields valid literals
            dec = Decimal(repr(value))
        if dec == 0:
            return sp.Integer(0)
        if not dec.is_finite() or abs(dec.adjusted()) > MAX_LOG10:
            raise self.fail(
                f"number {self.segment(node)!r} is outside 1e-{MAX_LOG10} .. 1e{MAX_LOG10}"
            )
        frac = Fraction(dec)
        return sp.Rational(frac.numerator, frac.denominator)

    def name(self, node: ast.Name) -> sp.Expr:
        if node.id in self.symbols:
            return self.symbols[node.id]
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if node.id in _FUNCTIONS:
            raise self.fail(f"function {node.id!r} must be called with one argument")
        raise self.fail(f"unknown name {node.id!r}")

    def binop(self, node: ast.BinOp, depth: int) -> sp.Expr:
        op = node.op
        if isinstance(op, ast.BitXor):
            raise self.fail(f"'^' in {self.segment(node)!r} is not allowed (use ** for powers)")
        if isinstance(op, ast.Add | ast.Sub | ast.Mult | ast.Div):
            return self.chain(node, depth)
        if isinstance(op, ast.Pow):
            base = self.build(node.left, depth + 1)
            exponent = self.build(node.right, depth + 1)
            self.guard_power(base, exponent, node)
            return self.checked(base**exponent, node)
        symbol = {
            ast.FloorDiv: "//",
            ast.Mod: "%",
            ast.MatMult: "@",
            ast.LShift: "<<",
            ast.RShift: ">>",
            ast.BitAnd: "&",
            ast.BitOr: "|",
        }.get(type(op), "?")
        raise self.fail(f"operator {symbol!r} in {self.segment(node)!r} is not allowed")

    def chain(self, node: ast.BinOp, depth: int) -> sp.Expr:
        """A left-associative chain ``a + b - c`` or ``a * b / c``, walked without recursion."""
        additive = isinstance(node.op, ast.Add | ast.Sub)
        family = (ast.Add, ast.Sub) if additive else (ast.Mult, ast.Div)
        items: list[tuple[ast.operator | None, ast.AST]] = []
        cur: ast.AST = node
        while isinstance(cur, ast.BinOp) and isinstance(cur.op, family):
            items.append((cur.op, cur.right))
            cur = cur.left
        items.append((None, cur))
        items.reverse()
        result: sp.Expr | None = None
        for i, (op, operand) in enumerate(items):
            value = self.build(operand, depth + 1)
            if result is None:
                result = value
            elif isinstance(op, ast.Add):
                result = result + value
            elif isinstance(op, ast.Sub):
                result = result - value
            elif isinstance(op, ast.Mult):
                result = result * value
            else:
                if value.is_zero:
                    raise self.fail(f"division by zero (divisor {self.segment(operand)!r})")
                result = result / value
            if i:
                result = self.checked(result, operand)
        assert result is not None
        return result

    def guard_power(self, base: sp.Expr, exponent: sp.Expr, node: ast.AST) -> None:
        """Refuse numeric powers whose value SymPy would compute exactly and that are huge.

        ``2**(10**6)`` or ``(2*t)**(10**200)`` make SymPy build an integer with millions of
        digits (or never finish). We estimate :math:`|e \\log_{10}|c||` for the numeric part
        ``c`` of the base before building the power.
        """
        if not exponent.is_number:
            return
        if base.is_number:
            numeric = base
        elif base.is_Mul:
            numeric = sp.Mul(*[f for f in base.args if f.is_number])
        else:
            return
        if numeric in (sp.S.Zero, sp.S.One, sp.S.NegativeOne):
            return
        try:
            log10_base = float(abs(sp.log(sp.Abs(numeric)).evalf(15))) / math.log(10)
            size = float(abs(sp.Abs(exponent).evalf(15)))
        except (TypeError, ValueError):
            size, log10_base = math.inf, 1.0
        estimate = size * log10_base
        if not estimate <= MAX_LOG10:
            shown = f"about 10^{estimate:.3g}" if math.isfinite(estimate) else "unbounded"
            raise self.fail(
                f"power {self.segment(node)!r} is out of range ({shown}; "
                f"magnitudes up to 1e{MAX_LOG10} are allowed)"
            )

    def call(self, node: ast.Call, depth: int) -> sp.Expr:
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in _FUNCTIONS:
            raise self.fail(f"call {self.segment(node)!r} is not allowed")
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise self.fail(f"{func.id} takes exactly one argument, got {self.segment(node)!r}")
        arg = self.build(node.args[0], depth + 1)
        if func.id == "exp" and arg.is_number:
            try:
                size = float(abs(sp.re(arg).evalf(15))) / math.log(10)
            except (TypeError, ValueError):
                size = math.inf
            if not size <= MAX_LOG10:
                raise self.fail(
                    f"{self.segment(node)!r} is out of range "
                    f"(magnitudes up to 1e{MAX_LOG10} are allowed)"
                )
        return self.checked(_FUNCTIONS[func.id](arg), node)


def parse_expression(
    text: str, symbols: Mapping[str, sp.Expr], *, what: str = "expression"
) -> sp.Expr:
    r"""Parse user text into a SymPy expression, allowing only a small arithmetic whitelist.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"n0*t*log(t+1)"``. At most ``MAX_LENGTH`` (500) characters.
    symbols : Mapping[str, sympy.Expr]
        The names the text may use and what they stand for: usually symbols, but a name may
        also stand for a number (e.g. ``{"n0": sympy.Integer(100)}``), in which case the
        guards against huge numeric powers see its value. ``pi`` and ``e`` are also
        understood (as :math:`\pi` and Euler's number) unless ``symbols`` redefines them.
    what : str, optional
        What the text is, used in error messages (``"schedule"``, ``"moment map"``...).

    Returns
    -------
    sympy.Expr
        The expression. Decimal literals are exact rationals: ``"1.5"`` gives
        :math:`\tfrac{3}{2}`. Its free symbols are among those of ``symbols.values()``.

    Raises
    ------
    ValueError
        With a one-line message naming the offending text and what is allowed: unknown
        names, attributes, subscripts, strings, ``^`` (use ``**``), other calls, syntax
        errors, empty or too long text, nesting deeper than ``MAX_DEPTH``, numbers or
        numeric powers beyond :math:`10^{300}` in magnitude, division by zero.

    Examples
    --------
    >>> from modelcollapse.symbols import n0, t
    >>> parse_expression("n0*t*ln(t + 1)", {"t": t, "n0": n0})
    n_0*t*log(t + 1)
    >>> parse_expression("0.1 + 2**-1", {})
    3/5
    >>> parse_expression("t^2", {"t": t})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: '^' in 't^2' is not allowed (use ** for powers) in expression 't^2'; allowed: ...
    """
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, got {type(text).__name__}")
    parser = _Parser(text.strip(), symbols, what)
    if len(text) > MAX_LENGTH:
        raise parser.fail(f"text of {len(text)} characters is longer than {MAX_LENGTH}")
    if not parser.text:
        raise parser.fail("empty text")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(parser.text, mode="eval")
    except SyntaxError as exc:
        column = f" at column {exc.offset}" if exc.offset else ""
        raise parser.fail(f"invalid syntax ({exc.msg}{column})") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise parser.fail(f"unparsable text ({type(exc).__name__})") from None
    try:
        result = parser.build(tree.body, 1)
    except RecursionError:  # pragma: no cover - MAX_DEPTH keeps recursion shallow
        raise parser.fail("expression too deeply nested") from None
    given = set().union(*(v.free_symbols for v in parser.symbols.values()))
    extra = result.free_symbols - given
    if extra:  # pragma: no cover - impossible by construction, kept as a safety net
        raise parser.fail(f"unexpected symbols {sorted(map(str, extra))}")
    return result
