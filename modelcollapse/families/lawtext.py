r"""A one-step law written as text, e.g. ``"theta * Gamma(n, 1) / n"``, read into the vocabulary.

The text is a coefficient times (or over) one law call, the coefficient and the call's
arguments being expressions of the whitelist language
(:func:`modelcollapse.expressions.parse_expression`) in the parameter, ``n`` and named constants:

=================================  ============================================================
text                               law
=================================  ============================================================
``c * Gamma(shape, rate)``         :math:`c\,G/\mathrm{rate}`, :math:`G\sim\Gamma(\mathrm{shape},1)`
                                   (:class:`~modelcollapse.families.laws.ScaledGamma`)
``c / Gamma(shape, rate)``         :math:`c\,\mathrm{rate}/G` (``InverseGamma``)
``c * ChiSquare(df)``              :math:`c\,\chi^2_{df}` (``ScaledChiSquare``)
``c / ChiSquare(df)``              :math:`(c/2)/G`, :math:`G\sim\Gamma(df/2, 1)` (``InverseGamma``)
``c * Beta(a, b)``                 :math:`c\,B`, :math:`B\sim\mathrm{Beta}(a, b)` (``ScaledBeta``)
``Poisson(n * lam) / n``           :math:`\mathrm{Poisson}(n\lambda)/n` (``PoissonMean``)
``Binomial(n, p) / n``             :math:`\mathrm{Binomial}(n, p)/n` (``BinomialMean``)
``d + c * Normal(loc, var)``       :math:`N(d + c\,\mathrm{loc}, c^2\mathrm{var})` (``Normal``)
=================================  ============================================================

The text never reaches :func:`eval`: it is parsed with :mod:`ast`, the law call is replaced by a
placeholder name, and every piece goes through the whitelist parser.

>>> import sympy as sp
>>> from modelcollapse.symbols import n
>>> theta = sp.Symbol("theta", positive=True)
>>> parse_law("theta * Gamma(n, 1) / n", {"theta": theta, "n": n}, what="law")
ScaledGamma(shape=n, scale=theta/n)
>>> parse_law("theta * Beta(n, 1)", {"theta": theta, "n": n}, what="law")
ScaledBeta(a=n, b=1, scale=theta)
>>> parse_law("theta * Gamma(n)", {"theta": theta, "n": n}, what="law")
Traceback (most recent call last):
...
ValueError: Gamma takes 2 arguments (shape, rate), got 1 in law 'theta * Gamma(n)'
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

import sympy as sp

from modelcollapse.expressions import MAX_LENGTH, check_characters, parse_expression
from modelcollapse.families.laws import (
    BinomialMean,
    InverseGamma,
    Law,
    Normal,
    PoissonMean,
    ScaledBeta,
    ScaledChiSquare,
    ScaledGamma,
)

__all__ = ["parse_law", "LAW_CALLS"]

#: the law calls of the text, with the names of their arguments
LAW_CALLS: dict[str, tuple[str, ...]] = {
    "Gamma": ("shape", "rate"),
    "ChiSquare": ("df",),
    "Beta": ("a", "b"),
    "Poisson": ("mean",),
    "Binomial": ("size", "p"),
    "Normal": ("loc", "var"),
}
_PLACEHOLDER = "LAWDRAW"
_FORMS = ("c * LAW or c / LAW (Normal also d + c * LAW), with LAW one of "
          + ", ".join(f"{k}({', '.join(v)})" for k, v in LAW_CALLS.items()))


def _fail(problem: str, text: str, what: str) -> ValueError:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return ValueError(" ".join(f"{problem} in {what} {shown!r}".split()))


def parse_law(text: str, names: Mapping[str, sp.Expr], *, what: str = "law") -> Law:
    """Read ``text`` into a law of the vocabulary (module docstring); ``names`` maps the
    allowed names (the parameter, ``n``, constants as numbers) to SymPy objects.

    Raises ``ValueError`` with one line naming the text for anything else.
    """
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise _fail(f"text longer than {MAX_LENGTH} characters", text, what)
    check_characters(text, what)  # one ASCII line: no comment, no NFKC look-alike
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise _fail(f"not an expression; allowed: {_FORMS}", text, what) from None
    calls: list[tuple[str, list[str]]] = []
    source = text.strip()

    class _Replace(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            func = node.func.id if isinstance(node.func, ast.Name) else None
            if func not in LAW_CALLS:
                return self.generic_visit(node)
            if node.keywords:
                raise _fail(f"{func} takes positional arguments only", text, what)
            wanted = LAW_CALLS[func]
            if len(node.args) != len(wanted):
                raise _fail(f"{func} takes {len(wanted)} argument{'s' * (len(wanted) > 1)} "
                            f"({', '.join(wanted)}), got {len(node.args)}", text, what)
            calls.append((func, [ast.get_source_segment(source, a) or "" for a in node.args]))
            return ast.copy_location(ast.Name(id=f"{_PLACEHOLDER}{len(calls) - 1}",
                                              ctx=ast.Load()), node)

    outer_tree = _Replace().visit(tree)
    if len(calls) != 1:
        raise _fail(f"{'no law call' if not calls else 'more than one law call'}; allowed: "
                    f"{_FORMS}", text, what)
    draw = sp.Dummy("X", positive=True)
    outer = parse_expression(ast.unparse(outer_tree), {**names, f"{_PLACEHOLDER}0": draw},
                             what=what)
    func, arg_texts = calls[0]
    args = [parse_expression(a, names, what=f"argument {k} of {func} in {what}")
            for a, k in zip(arg_texts, LAW_CALLS[func], strict=True)]
    return _build(func, args, outer, draw, text, what)


def _build(func: str, args: list[sp.Expr], outer: sp.Expr, draw: sp.Symbol, text: str,
           what: str) -> Law:
    if func == "Normal":
        shift, slope = outer.subs(draw, 0), sp.diff(outer, draw)
        if slope.has(draw) or sp.cancel(outer - shift - slope * draw) != 0 or slope == 0:
            raise _fail(f"a Normal law must enter as d + c * Normal(...); allowed: {_FORMS}",
                        text, what)
        return Normal(sp.cancel(shift + slope * args[0]), sp.cancel(slope**2 * args[1]))
    factor, power = sp.cancel(outer / draw), 1
    if factor.has(draw):
        factor, power = sp.cancel(outer * draw), -1
    if factor.has(draw) or factor == 0:
        raise _fail(f"the law must be a coefficient times or over {func}(...); allowed: "
                    f"{_FORMS}", text, what)
    if func == "Gamma":
        shape, rate = args
        return ScaledGamma(shape, sp.cancel(factor / rate)) if power == 1 else \
            InverseGamma(shape, sp.cancel(factor * rate))
    if func == "ChiSquare":
        (df,) = args
        return ScaledChiSquare(df, factor) if power == 1 else \
            InverseGamma(sp.cancel(df / 2), sp.cancel(factor / 2))
    if power == -1:
        raise _fail(f"{func}(...) cannot be in a denominator; allowed: {_FORMS}", text, what)
    if func == "Beta":
        return ScaledBeta(args[0], args[1], factor)
    if func == "Poisson":
        return PoissonMean(sp.cancel(1 / factor), sp.cancel(factor * args[0]))
    size, p = args
    if sp.cancel(factor * size - 1) != 0:
        raise _fail("a Binomial law must be divided by its size: Binomial(n, p) / n", text, what)
    return BinomialMean(size, p)
