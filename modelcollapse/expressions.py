"""Whitelist parser for user expressions such as schedules ``"n0*t**1.5"``.

User text is never handed to :func:`eval` or to :func:`sympy.sympify` (both execute code).
Instead :func:`parse_expression` parses the text with :func:`ast.parse` and walks the syntax
tree, building SymPy objects directly from an explicit whitelist:

* numeric literals; decimal literals become exact rationals (``"1.5"`` is :math:`3/2`),
* the names of the given symbols, named constants (``constants={"c": 2.5}``), ``pi`` and ``e``,
* binary ``+ - * / **``, unary ``+ -`` and parentheses,
* calls ``log(x)`` (also spelled ``ln(x)``), ``exp(x)``, ``sqrt(x)``, ``abs(x)``, ``gamma(x)``,
  ``loggamma(x)``, ``digamma(x)`` with one argument, ``beta(a, b)`` (the Beta function
  :math:`B(a, b)`) with two, and ``min(a, b, ...)``, ``max(a, b, ...)`` with two or more.

Anything else raises :class:`ValueError` with a one-line message that names the offending
text and lists what is allowed. Inputs that could make SymPy compute forever (very long text,
deep nesting, numeric powers such as ``2**2**2**2**2``, ``gamma(10**6)`` which SymPy would
expand into a factorial) are refused before they are built.

The Python API also accepts SymPy expressions wherever it accepts text: :func:`as_expression`
takes either, and walks a SymPy expression through the same whitelist and the same guards.

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
import keyword
import math
import numbers
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

__all__ = ["parse_expression", "as_expression", "check_characters", "MAX_LENGTH", "MAX_DEPTH",
           "MAX_LOG10"]

#: longest accepted text (characters)
MAX_LENGTH = 500
#: deepest accepted nesting of the syntax tree (chains of + - or * / count once)
MAX_DEPTH = 50
#: largest accepted |log10| of a number or of a numeric power
MAX_LOG10 = 300


#: what :func:`check_characters` accepts, for its messages
_ALLOWED_CHARACTERS = ("printable ASCII (letters, digits, spaces, + - * / ** ( ) . ,); no line "
                       "breaks, comments '#', backslashes, control or non-ASCII characters")


def _describe(char: str) -> str:
    """``'#' (U+0023)``, ``U+000A (a line break)``, ``U+FF4E (FULLWIDTH LATIN SMALL LETTER N)``."""
    code = f"U+{ord(char):04X}"
    if char.isascii() and char.isprintable():
        return f"{char!r} ({code})"
    if char in "\n\r\v\f\x85\u2028\u2029":
        return f"{code} (a line break)"
    return f"{code} ({unicodedata.name(char, 'a control character')})"


def check_characters(text: str, what: str = "expression") -> str:
    r"""Refuse any character outside printable ASCII, and ``#`` (a comment) and ``\``.

    Text of the expression language is one line of ASCII: this keeps a comment or a second
    line from riding along in an accepted expression (and from there into a LaTeX file), and
    keeps look-alikes out that Python's parser would NFKC-normalise into accepted names
    (fullwidth ``ｎ0`` is ``n0``) or digits (``١`` is 1). Returns ``text``.

    >>> check_characters("n0*t**1.5")
    'n0*t**1.5'
    >>> check_characters("n0*t # x", "schedule")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: character '#' (U+0023) at column 6 is not allowed in schedule 'n0*t # x'; ...
    """
    for column, char in enumerate(text, 1):
        if not (" " <= char <= "~") or char in "#\\":
            shown = text if len(text) <= 60 else text[:57] + "..."
            raise ValueError(f"character {_describe(char)} at column {column} is not allowed "
                             f"in {what} {ascii(shown)}; allowed: {_ALLOWED_CHARACTERS}")
    return text


def _digamma(x: sp.Expr) -> sp.Expr:
    return sp.polygamma(0, x)


def _trigamma(x: sp.Expr) -> sp.Expr:
    return sp.polygamma(1, x)


#: name in the text -> (SymPy constructor, smallest and largest number of arguments)
_FUNCTIONS: dict[str, tuple[Callable[..., sp.Expr], int, int | None]] = {
    "log": (sp.log, 1, 1),
    "ln": (sp.log, 1, 1),
    "exp": (sp.exp, 1, 1),
    "sqrt": (sp.sqrt, 1, 1),
    "abs": (sp.Abs, 1, 1),
    "gamma": (sp.gamma, 1, 1),
    "loggamma": (sp.loggamma, 1, 1),
    "digamma": (_digamma, 1, 1),
    "beta": (sp.beta, 2, 2),
    "min": (sp.Min, 2, None),
    "max": (sp.Max, 2, None),
}
#: the same functions as SymPy classes (for SymPy input); polygamma is handled apart
_CLASSES: dict[type, str] = {
    sp.log: "log",
    sp.exp: "exp",
    sp.Abs: "abs",
    sp.gamma: "gamma",
    sp.loggamma: "loggamma",
    sp.beta: "beta",
    sp.Min: "min",
    sp.Max: "max",
}
_GAMMA_LIKE = {"gamma", "loggamma", "digamma", "trigamma"}
_FUNCTION_NAMES = {"trigamma": "polygamma(1, .)"}
_CONSTANTS = {"pi": sp.pi, "e": sp.E}
_BAD = (sp.zoo, sp.nan, sp.oo, sp.S.NegativeInfinity)
_GRAMMAR = ("numbers, + - * / ** ( ), log, exp, sqrt, abs, gamma, loggamma, digamma, "
            "beta(a, b), min, max")


def _arity(name: str) -> str:
    low, high = _FUNCTIONS[name][1:]
    if high is None:
        return "two or more arguments"
    return {1: "one argument", 2: "two arguments"}[low]


def _log10_abs(value: sp.Expr) -> float:
    """:math:`\\log_{10}|value|` of a nonzero SymPy number (inf where it cannot be bounded)."""
    if value.is_Integer:
        return math.log10(abs(int(value)))
    if value.is_Rational:
        return math.log10(abs(int(value.p))) - math.log10(int(value.q))
    try:
        return float(sp.log(sp.Abs(value)).evalf(15)) / math.log(10)
    except (TypeError, ValueError):
        return math.inf


def _numeric(value: sp.Expr) -> Any:
    """A SymPy number as an mpmath number (15 digits), or None where it cannot be evaluated.

    Numerically, not with ``sympy.Abs``/``sympy.re``: those take the number apart
    symbolically, which can take minutes for nested gamma-type functions of complex numbers.
    """
    try:
        return sp.N(value, 15)._to_mpmath(53)
    except (TypeError, ValueError, AttributeError, ArithmeticError):
        return None


def _numeric_abs_log10(value: sp.Expr, *, log: bool = True) -> float:
    """:math:`\\log_{10}|value|` (or :math:`|value|` with ``log=False``); inf if unknown."""
    number = _numeric(value)
    if number is None or not mpmath.isfinite(number):
        return math.inf
    size = abs(number)
    if not log:
        return float(size)
    return float(mpmath.log10(size)) if size else -math.inf


def _min_max(function: Callable[..., sp.Expr], args: list[sp.Expr]) -> sp.Expr:
    """``Min``/``Max``: numbers are compared numerically, symbolic arguments kept as given.

    SymPy compares through its assumptions and evalf, which takes seconds or more for
    ``Max(t**170, t - 1)``, ``Max((s - 2)**170, 1)`` or ``Max(1, digamma(3)**1000)``; the
    value is the same either way. Rationals are compared exactly; other numbers within a
    relative 1e-12 of the extreme are all kept (they may be equal).
    """
    symbolic = [a for a in args if not a.is_number]
    numeric = list(dict.fromkeys(a for a in args if a.is_number))
    if len(numeric) > 1:
        if all(a.is_Rational for a in numeric):
            numeric = [function(*numeric)]
        else:
            values = [_numeric(a) for a in numeric]
            if all(v is not None and mpmath.isfinite(v) for v in values):
                reals = [mpmath.re(v) for v in values]
                best = min(reals) if function is sp.Min else max(reals)
                tolerance = 1e-12 * abs(best)
                numeric = [a for a, v in zip(numeric, reals, strict=True)
                           if abs(v - best) <= tolerance]
    parts = numeric + symbolic
    if len(parts) == 1:
        return parts[0]
    return function(*parts, evaluate=False)


def _is_real_number(value: sp.Expr) -> bool:
    """Whether a SymPy number is real, decided numerically (15 digits), not symbolically."""
    number = _numeric(value)
    return number is not None and not (isinstance(number, mpmath.mpc) and number.imag != 0)


def _foreign(expr: sp.Basic) -> str | None:
    """The name of the first node of ``expr`` outside the whitelist, or None."""
    for node in sp.preorder_traversal(expr):
        if (isinstance(node, sp.Symbol | sp.NumberSymbol | sp.core.numbers.ImaginaryUnit)
                or node.is_Number or node.is_Add or node.is_Mul or node.is_Pow
                or type(node) in _CLASSES
                or (isinstance(node, sp.polygamma) and node.args[0] in (0, 1))):
            continue
        return type(node).__name__
    return None


def _exact_decimal(text: str) -> sp.Rational:
    """The exact rational of a decimal text such as ``"0.1"`` or ``"1e-5"``."""
    frac = Fraction(Decimal(text))
    return sp.Rational(frac.numerator, frac.denominator)


def _number_value(value: Any, label: str) -> sp.Expr:
    """A constant given as int, float, Fraction or SymPy number, as an exact SymPy number.

    ``label`` names the value in messages (``"constant 'c'"``).
    """
    if isinstance(value, bool):
        raise TypeError(f"{label} must be a number, got the bool {value!r}")
    if isinstance(value, numbers.Integral):
        result: sp.Expr = sp.Integer(int(value))
    elif isinstance(value, numbers.Rational):
        result = sp.Rational(int(value.numerator), int(value.denominator))
    elif isinstance(value, numbers.Real) and not isinstance(value, sp.Basic):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{label} must be a finite number, got {value!r}")
        result = _exact_decimal(repr(number))  # the decimal repr, as for literals in text
    elif isinstance(value, sp.Basic):
        if not isinstance(value, sp.Expr) or not value.is_number:
            raise TypeError(f"{label} must be a number or a SymPy number, got {value!r}")
        if value.has(*_BAD) or not _is_real_number(value):
            raise ValueError(f"{label} must be a finite real number, got {value}")
        result = _exact_decimal(str(value)) if isinstance(value, sp.Float) else value
    else:
        raise TypeError(
            f"{label} must be an int, float, Fraction or SymPy number, got {value!r} "
            f"({type(value).__name__})"
        )
    if result != 0 and not abs(_log10_abs(result)) <= MAX_LOG10:
        raise ValueError(
            f"{label} = {_short(str(value))} is outside 1e-{MAX_LOG10} .. 1e{MAX_LOG10} in "
            "magnitude"
        )
    return result


def _check_constants(
    constants: Mapping[str, Any] | None, symbols: Mapping[str, sp.Expr], what: str
) -> dict[str, sp.Expr]:
    """Validate named constants: ASCII identifiers that collide with nothing, numeric values."""
    if constants is None:
        return {}
    if not isinstance(constants, Mapping):
        raise TypeError(
            f"constants of {what} must be a mapping NAME -> number, got {type(constants).__name__}"
        )
    taken = [*symbols, *_FUNCTIONS, *_CONSTANTS]
    out: dict[str, sp.Expr] = {}
    for name, value in constants.items():
        if not isinstance(name, str):
            raise TypeError(f"constant names of {what} must be str, got {name!r}")
        if not (name.isascii() and name.isidentifier()) or keyword.iskeyword(name):
            raise ValueError(
                f"constant name {name!r} of {what} is not allowed; allowed: ASCII identifiers "
                "such as c, k_1, alpha (not Python keywords)"
            )
        if name in taken:
            kind = ("a symbol" if name in symbols else
                    "a function" if name in _FUNCTIONS else "the constant")
            raise ValueError(
                f"constant name {name!r} of {what} collides with {kind} {name!r}; allowed: "
                f"names other than {', '.join(dict.fromkeys(taken))}"
            )
        out[name] = _number_value(value, f"constant {name!r} of {what}")
    return out


class _Parser:
    """One parse: holds the text, the allowed names and the label for messages."""

    def __init__(
        self,
        text: str,
        symbols: Mapping[str, sp.Expr],
        what: str,
        constants: Mapping[str, Any] | None = None,
    ) -> None:
        self.text = text
        self.symbols = dict(symbols)
        for key, value in self.symbols.items():
            if not isinstance(value, sp.Basic):
                raise TypeError(f"symbols[{key!r}] must be a SymPy object, got {value!r}")
        self.what = what
        self.constants = _check_constants(constants, self.symbols, what)
        names = [*self.symbols, *self.constants,
                 *(c for c in _CONSTANTS if c not in self.symbols)]
        self.allowed = ", ".join([*names, _GRAMMAR])

    # -- messages -------------------------------------------------------------------------
    def where(self) -> str:
        shown = self.text if len(self.text) <= 80 else self.text[:77] + "..."
        return f"{self.what} {shown!r}"

    def fail(self, problem: str) -> ValueError:
        message = f"{problem} in {self.where()}; allowed: {self.allowed}"
        return ValueError(" ".join(message.splitlines()))

    def segment(self, node: ast.AST) -> str:
        try:
            seg = ast.get_source_segment(self.text, node)
        except Exception:  # pragma: no cover - defensive: positions always exist here
            seg = None
        if seg is None:
            seg = type(node).__name__
        return _short(seg)

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
                return self.checked(-self.build(node.operand, depth + 1), self.segment(node))
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand, depth + 1)
            raise self.fail(f"operator in {self.segment(node)!r} is not allowed")
        if isinstance(node, ast.BinOp):
            return self.binop(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise self.fail(f"{self.segment(node)!r} is not allowed")

    def checked(self, value: sp.Expr, shown: str) -> sp.Expr:
        if value.has(*_BAD):
            raise self.fail(
                f"{shown!r} is undefined or infinite (division by zero, log(0) or a pole)"
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
        if node.id in self.constants:
            return self.constants[node.id]
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if node.id in _FUNCTIONS:
            raise self.fail(f"function {node.id!r} must be called with {_arity(node.id)}")
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
            return self.power(base, exponent, self.segment(node))
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
                # structurally zero only: assumptions (is_zero) on numbers such as
                # gamma(gamma(x)) can take forever, and a hidden zero gives zoo (checked)
                if value == 0:
                    raise self.fail(f"division by zero (divisor {self.segment(operand)!r})")
                result = result / value
            if i:
                result = self.checked(result, self.segment(operand))
        assert result is not None
        return result

    def power(self, base: sp.Expr, exponent: sp.Expr, shown: str) -> sp.Expr:
        self.guard_power(base, exponent, shown)
        return self.checked(base**exponent, shown)

    def guard_power(self, base: sp.Expr, exponent: sp.Expr, shown: str) -> None:
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
        size = _numeric_abs_log10(exponent, log=False)
        if size == 0:
            return
        estimate = size * abs(_numeric_abs_log10(numeric))
        if not estimate <= MAX_LOG10:
            shown_size = f"about 10^{estimate:.3g}" if math.isfinite(estimate) else "unbounded"
            raise self.fail(
                f"power {shown!r} is out of range ({shown_size}; "
                f"magnitudes up to 1e{MAX_LOG10} are allowed)"
            )

    def guard_exp(self, arg: sp.Expr, shown: str) -> None:
        if not arg.is_number:
            return
        value = _numeric(arg)
        size = abs(float(mpmath.re(value))) / math.log(10) if value is not None else math.inf
        if not size <= MAX_LOG10:
            raise self.fail(
                f"{shown!r} is out of range (magnitudes up to 1e{MAX_LOG10} are allowed)"
            )

    def guard_gamma(self, args: list[sp.Expr], shown: str) -> None:
        """Refuse gamma-type functions of numbers x where gamma(x) is beyond 1e300.

        SymPy evaluates ``gamma(n)``, ``loggamma(n)``, ``digamma(n)``, ``beta(a, b)`` exactly
        at integers and half-integers, as factorials and harmonic numbers: ``gamma(10**6)``
        would build a number with millions of digits; and its assumptions round
        ``gamma(x)`` to an integer to decide whether ``gamma(gamma(x))`` is real (forever for
        ``gamma(exp(170))``). The size is estimated numerically, with mpmath.
        """
        for arg in args:
            if not arg.is_number:
                continue
            z = _numeric(arg)
            try:
                if z is not None and mpmath.im(z) == 0 and z <= 0 and z == mpmath.floor(z):
                    continue  # a pole: reported as undefined once built
                log10_gamma = float(mpmath.re(mpmath.loggamma(z))) / math.log(10)
            except (TypeError, ValueError, ArithmeticError):
                log10_gamma = math.inf
            if not abs(log10_gamma) <= MAX_LOG10:
                shown_size = (f"gamma({_short(_show(arg))}) is about 10^{log10_gamma:.3g}"
                              if math.isfinite(log10_gamma) else "unbounded")
                raise self.fail(
                    f"{shown!r} is out of range ({shown_size}; numeric arguments of gamma, "
                    f"loggamma, digamma and beta are allowed where gamma stays within "
                    f"1e-{MAX_LOG10} .. 1e{MAX_LOG10}, about |x| <= 167)"
                )

    def apply(self, name: str, args: list[sp.Expr], shown: str) -> sp.Expr:
        """``name(*args)`` for a whitelisted function name, after the guards."""
        if name not in ("log", "ln", "exp", "sqrt"):
            for arg in args:
                # SymPy takes complex numbers apart symbolically inside abs, min, max and the
                # gamma-type functions (minutes for nested ones), and cannot order them
                if arg.is_number and not _is_real_number(arg):
                    raise self.fail(f"{_FUNCTION_NAMES.get(name, name)} of the non-real number "
                                    f"{_short(_show(arg))!r} in {shown!r} is not allowed")
        if name == "exp":
            self.guard_exp(args[0], shown)
        elif name in _GAMMA_LIKE:
            if (name == "loggamma" and args[0].is_number and not args[0].is_Integer
                    and mpmath.re(_numeric(args[0])) < 0):
                # complex there; SymPy's assumptions on loggamma(-pi) take seconds
                raise self.fail(f"{shown!r} is not real (loggamma of a negative number); "
                                "use log(abs(gamma(x)))")
            self.guard_gamma(args, shown)
        elif name == "beta":
            if any(a.is_Integer and a <= 0 for a in args):  # SymPy leaves beta(0, pi) alone
                raise self.fail(f"{shown!r} is undefined or infinite (a pole of beta)")
            self.guard_gamma([args[0], args[1], args[0] + args[1]], shown)
        function = _trigamma if name == "trigamma" else _FUNCTIONS[name][0]
        try:
            value = _min_max(function, args) if name in ("min", "max") else function(*args)
        except (ValueError, TypeError, ArithmeticError) as exc:  # e.g. Min of incomparables
            raise self.fail(f"{shown!r} cannot be built ({_short(str(exc))})") from None
        if name == "abs" and _foreign(value) is not None:
            # Abs of a possibly complex symbolic argument: SymPy rewrites it with re, im,
            # atan2, ... which are outside the whitelist; keep the plain absolute value
            value = sp.Abs(*args, evaluate=False)
        return self.checked(value, shown)

    def call(self, node: ast.Call, depth: int) -> sp.Expr:
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in _FUNCTIONS:
            raise self.fail(f"call {self.segment(node)!r} is not allowed")
        _, low, high = _FUNCTIONS[func.id]
        count = len(node.args)
        if (node.keywords or any(isinstance(a, ast.Starred) for a in node.args)
                or count < low or (high is not None and count > high)):
            exactly = "" if high is None else "exactly "
            raise self.fail(
                f"{func.id} takes {exactly}{_arity(func.id)}, got {self.segment(node)!r}"
            )
        args = [self.build(a, depth + 1) for a in node.args]
        return self.apply(func.id, args, self.segment(node))

    # -- SymPy input ----------------------------------------------------------------------
    def lookup(self, symbol: sp.Symbol) -> sp.Expr:
        """A free symbol of a SymPy input, matched by name onto the allowed names."""
        name = symbol.name
        if name in self.symbols:
            return self.symbols[name]
        for value in self.symbols.values():
            if value == symbol or (isinstance(value, sp.Symbol) and value.name == name):
                return value
        if name in self.constants:
            return self.constants[name]
        raise self.fail(f"unknown name {name!r}")

    def rebuild(self, expr: sp.Basic, depth: int) -> sp.Expr:
        """Walk a SymPy expression through the whitelist, rebuilding it with the guards."""
        if depth > MAX_DEPTH:
            raise self.fail(f"expression nested deeper than {MAX_DEPTH} levels")
        shown = _short(_show(expr))
        if isinstance(expr, sp.Symbol):
            return self.lookup(expr)
        if expr in _BAD:
            raise self.fail(f"{shown!r} is undefined or infinite")
        if isinstance(expr, sp.Float):
            return _exact_decimal(str(expr))
        if expr.is_Number or isinstance(expr, sp.NumberSymbol | sp.core.numbers.ImaginaryUnit):
            return expr
        if not isinstance(expr, sp.Expr) or expr.is_Atom:
            raise self.fail(f"{shown!r} ({type(expr).__name__}) is not allowed")
        if isinstance(expr, sp.polygamma):
            order = expr.args[0]
            if order not in (sp.S.Zero, sp.S.One):
                raise self.fail(f"{shown!r} is not allowed (polygamma of order 0 or 1 only)")
            arg = self.rebuild(expr.args[1], depth + 1)
            return self.apply("digamma" if order == 0 else "trigamma", [arg], shown)
        name = _CLASSES.get(type(expr))
        if name is None and not (expr.is_Add or expr.is_Mul or expr.is_Pow):
            kind = "function" if isinstance(expr, sp.Function) else "construct"
            raise self.fail(f"{kind} {type(expr).__name__} in {shown!r} is not allowed")
        args = [self.rebuild(a, depth + 1) for a in expr.args]
        if expr.is_Add:
            return self.checked(sp.Add(*args), shown)
        if expr.is_Mul:
            return self.checked(sp.Mul(*args), shown)
        if expr.is_Pow:
            return self.power(args[0], args[1], shown)
        assert name is not None
        return self.apply(name, args, shown)

    def check_result(self, result: sp.Expr) -> sp.Expr:
        given = set().union(*(v.free_symbols for v in self.symbols.values()))
        extra = result.free_symbols - given
        if extra:  # pragma: no cover - impossible by construction, kept as a safety net
            raise self.fail(f"unexpected symbols {sorted(map(str, extra))}")
        return result


def _show(expr: sp.Basic) -> str:
    """``sympy.sstr(expr)``, also where it holds an integer too long for ``str`` (4300 digits)."""
    try:
        return sp.sstr(expr)
    except ValueError:
        return f"<{type(expr).__name__} with a number of more than 4300 digits>"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def parse_expression(
    text: str,
    symbols: Mapping[str, sp.Expr],
    *,
    what: str = "expression",
    constants: Mapping[str, Any] | None = None,
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
    constants : Mapping[str, number], optional
        Named constants ``NAME -> value`` the text may use; each name is replaced by its
        exact value (an int, a float, a :class:`fractions.Fraction` or a real SymPy number;
        floats become the exact rational of their decimal repr, ``0.1`` is :math:`1/10`).
        Names are ASCII identifiers, not Python keywords, and differ from the names of
        ``symbols``, of the functions, ``pi`` and ``e``; values are finite, within
        :math:`10^{-300} .. 10^{300}` in magnitude (or 0).

    Returns
    -------
    sympy.Expr
        The expression. Decimal literals are exact rationals: ``"1.5"`` gives
        :math:`\tfrac{3}{2}`. Its free symbols are among those of ``symbols.values()``.
        ``digamma(x)`` is ``polygamma(0, x)``, ``abs`` is :class:`sympy.Abs`, ``min``/``max``
        are :class:`sympy.Min`/:class:`sympy.Max`, ``beta`` is :class:`sympy.beta`.

    Raises
    ------
    ValueError
        With a one-line message naming the offending text and what is allowed: unknown
        names, attributes, subscripts, strings, ``^`` (use ``**``), other calls, wrong
        numbers of arguments, syntax errors, empty or too long text, nesting deeper than
        ``MAX_DEPTH``, numbers or numeric powers beyond :math:`10^{300}` in magnitude,
        gamma-type functions of numbers whose gamma is beyond that range, division by zero,
        poles; bad constant names or values (naming the constant).
    TypeError
        If ``text`` is not a str, a value of ``symbols`` not a SymPy object, or a constant
        name or value of the wrong kind.

    Examples
    --------
    >>> from modelcollapse.symbols import n0, t
    >>> parse_expression("n0*t*ln(t + 1)", {"t": t, "n0": n0})
    n_0*t*log(t + 1)
    >>> parse_expression("0.1 + 2**-1", {})
    3/5
    >>> parse_expression("c*max(t, 2) + beta(2, 3)", {"t": t}, constants={"c": 0.5})
    Max(2, t)/2 + 1/12
    >>> parse_expression("t^2", {"t": t})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: '^' in 't^2' is not allowed (use ** for powers) in expression 't^2'; allowed: ...
    """
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, got {type(text).__name__}")
    parser = _Parser(text.strip(), symbols, what, constants)
    if len(text) > MAX_LENGTH:
        raise parser.fail(f"text of {len(text)} characters is longer than {MAX_LENGTH}")
    check_characters(text, what)
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
    return parser.check_result(result)


def as_expression(
    value: str | sp.Expr | int | float,
    symbols: Mapping[str, sp.Expr],
    *,
    what: str = "expression",
    constants: Mapping[str, Any] | None = None,
) -> sp.Expr:
    r"""User input given as text or as a SymPy expression, checked against the whitelist.

    Parameters
    ----------
    value : str, sympy.Expr, int, float or fractions.Fraction
        Text goes to :func:`parse_expression`. A SymPy expression is walked through the same
        whitelist and guards: its free symbols are matched **by name** onto ``symbols`` (a
        key, or the name of a symbol among the values, so ``sympy.Symbol("theta")`` built
        without assumptions becomes the given ``theta``) or onto ``constants``; its nodes
        must be numbers, ``+ * **`` (so also ``-``, ``/``, ``sqrt``), :class:`sympy.log`,
        :class:`sympy.exp`, :class:`sympy.Abs`, :class:`sympy.gamma`,
        :class:`sympy.loggamma`, :class:`sympy.polygamma` of order 0 or 1,
        :class:`sympy.beta`, :class:`sympy.Min`, :class:`sympy.Max`. SymPy floats and Python
        floats become the exact rationals of their decimal repr. Numbers are returned as
        SymPy numbers.
    symbols : Mapping[str, sympy.Expr]
        The allowed names and what they stand for, as for :func:`parse_expression`.
    what : str, optional
        What the value is, used in error messages.
    constants : Mapping[str, number], optional
        Named constants, as for :func:`parse_expression`.

    Returns
    -------
    sympy.Expr
        The expression in the given symbols.

    Raises
    ------
    ValueError
        One line naming the offending part and what is allowed (unknown names, functions
        outside the whitelist, undefined values, out-of-range numeric powers), as for text.
    TypeError
        For anything that is neither a str, a number nor a SymPy expression (e.g. a
        relation ``Eq(t, 1)``, a list, ``None``, a bool).

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.symbols import n0, t
    >>> theta = sp.Symbol("t")  # no assumptions: matched by name onto the shared t
    >>> as_expression(sp.Symbol("n0") * theta**1.5, {"t": t, "n0": n0})
    n_0*t**(3/2)
    >>> as_expression(sp.sin(theta), {"t": t}, what="schedule")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: function sin in 'sin(t)' is not allowed in schedule 'sin(t)'; allowed: t, ...
    """
    if isinstance(value, str):
        return parse_expression(value, symbols, what=what, constants=constants)
    if isinstance(value, bool) or not isinstance(value, numbers.Real | sp.Expr):
        raise TypeError(
            f"{what} must be a str, a number or a SymPy expression, got "
            f"{_short(repr(value))} ({type(value).__name__})"
        )
    if not isinstance(value, sp.Basic):
        return _number_value(value, what)
    parser = _Parser(_show(value), symbols, what, constants)
    try:
        result = parser.rebuild(value, 1)
    except RecursionError:  # pragma: no cover - MAX_DEPTH keeps recursion shallow
        raise parser.fail("expression too deeply nested") from None
    return parser.check_result(result)
