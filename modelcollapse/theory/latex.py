r"""LaTeX for papers: readable expressions, a fragment and a macros file to ``\input``.

:func:`latex` is ``sympy.latex`` with the paper's notation: :math:`\psi` and :math:`\psi'` for
the digamma and trigamma functions, :math:`n_{t}` for the indexed schedule.
:func:`write_latex` writes ``FILE.tex`` (an ``align*`` block of the named results, needs
``amsmath``) and ``FILE-macros.tex`` with one ``\newcommand`` per named result and per number.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sympy as sp
from sympy.printing.latex import LatexPrinter

if TYPE_CHECKING:
    from modelcollapse.theory.derive import Derivation

__all__ = ["latex", "macro_name", "write_latex"]


class _Printer(LatexPrinter):
    def _print_polygamma(self, expr, exp=None):  # noqa: ANN001 - SymPy printer hook
        order, arg = expr.args
        head = r"\psi" if order == 0 else (r"\psi'" if order == 1 else rf"\psi^{{({order})}}")
        out = rf"{head}\left({self._print(arg)}\right)"
        return out if exp is None else rf"{out}^{{{exp}}}"

    def _print_Indexed(self, expr):  # noqa: ANN001
        base = self._print(expr.base.label)
        return f"{base}_{{{','.join(self._print(i) for i in expr.indices)}}}"


def latex(expr: sp.Basic | str) -> str:
    r"""LaTeX of a SymPy expression in the library's notation (strings pass through).

    >>> from modelcollapse import symbols
    >>> latex(sp.polygamma(0, symbols.n_t[symbols.t] / 2))
    '\\psi\\left(\\frac{n_{t}}{2}\\right)'
    """
    if isinstance(expr, str):
        return expr
    return _Printer().doprint(expr)


def macro_name(key: str, prefix: str = "mc") -> str:
    r"""A LaTeX macro name (letters only) for a result key: ``mean_T_mu`` -> ``\mcMeanTMu``.

    >>> macro_name("log_variance_T")
    'mcLogVarianceT'
    """
    digits = {"0": "Zero", "1": "One", "2": "Two", "3": "Three", "4": "Four", "5": "Five",
              "6": "Six", "7": "Seven", "8": "Eight", "9": "Nine"}
    parts = re.split(r"[^A-Za-z0-9]+", key)
    word = "".join(p[:1].upper() + p[1:] for p in parts if p)
    return prefix + "".join(digits.get(c, c) for c in word)


def _number(value: float) -> str:
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    if -3 <= exponent < 6:
        return f"{value:.6g}"
    mantissa = value / 10**exponent
    return rf"{mantissa:.4g} \times 10^{{{exponent}}}"


def _flat_numbers(values: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, val in values.items():
        if isinstance(val, dict):
            out.update(_flat_numbers({f"{key}_{k}": v for k, v in val.items()}))
        elif isinstance(val, list):
            out.update(_flat_numbers({f"{key}_{i + 1}": v for i, v in enumerate(val)}))
        elif isinstance(val, bool) or val is None:
            continue
        elif isinstance(val, int | float) and math.isfinite(val):
            out[key] = float(val)
    return out


def write_latex(result: Derivation, path: str | Path) -> list[str]:
    """Write the fragment ``path`` and ``<stem>-macros.tex`` beside it; return both paths.

    Every named expression becomes ``\\mc<Name>`` and every number ``\\mc<Name>Value`` (for
    example ``\\mcVarianceT`` and ``\\mcVarianceTValue``), so a paper can write
    ``$\\mathrm{Var}\\,\\hat\\theta_T = \\mcVarianceT$``.
    """
    path = Path(path)
    if path.suffix != ".tex":
        raise ValueError(f"--out must name a .tex file, got {str(path)!r}")
    if not path.parent.exists():
        raise ValueError(f"the folder of --out does not exist: {str(path.parent)!r}")
    macros_path = path.with_name(f"{path.stem}-macros.tex")
    expressions = result.latex()
    header = (f"% modelcollapse: {result.family} ({result.estimator}, {result.workflow}), "
              f"schedule {result.schedule.text}, n0 = {result.schedule.n0}, T = {result.T}\n")
    macros = [header]
    for key, tex in expressions.items():
        macros.append(f"\\newcommand{{\\{macro_name(key)}}}{{{tex}}}\n")
    for key, value in _flat_numbers(result.values).items():
        macros.append(f"\\newcommand{{\\{macro_name(key)}Value}}{{{_number(value)}}}\n")
    macros_path.write_text("".join(macros))
    rows = [rf"  \text{{{key.replace('_', ' ')}}} &: {tex}" for key, tex in expressions.items()]
    path.write_text(header + "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n")
    return [str(path), str(macros_path)]
