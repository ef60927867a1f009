"""Tables and macros of the reproduction: CSV (full precision) and plain LaTeX."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from modelcollapse.theory.latex import latex_escape

__all__ = ["write_tables", "macros_text", "tex_escape", "tex_number"]

def tex_escape(text: str) -> str:
    r"""Plain text for LaTeX (:func:`modelcollapse.theory.latex.latex_escape`: every special
    character, line breaks and control characters too, so a column name from a user's CSV
    prints as itself).

    >>> tex_escape("n0*t**1.5 & 50%")
    'n0*t**1.5 \\& 50\\%'
    """
    return latex_escape(text)


def tex_number(value: Any) -> str:
    r"""A table cell or macro body in LaTeX.

    >>> tex_number(0.31894), tex_number(1.5e9), tex_number(None), tex_number(True)
    ('0.3189', '\\ensuremath{1.5\\times 10^{9}}', '--', 'yes')
    """
    if value is None:
        return "--"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        if not math.isfinite(v):
            return "--" if math.isnan(v) else ("\\ensuremath{\\infty}" if v > 0
                                                else "\\ensuremath{-\\infty}")
        text = f"{v:.4g}"
        if "e" in text:
            mantissa, exponent = text.split("e")
            return f"\\ensuremath{{{mantissa}\\times 10^{{{int(exponent)}}}}}"
        return text
    return tex_escape(str(value))


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    return value


def write_tables(out: Path, stem: str, caption: str, columns: Sequence[str],
                  rows: Sequence[Sequence[Any]]) -> list[str]:
    """``stem.csv`` (full precision) and ``stem.tex`` (a ``table`` float, plain LaTeX)."""
    csv_path, tex_path = out / f"{stem}.csv", out / f"{stem}.tex"
    with csv_path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows([[_csv_cell(v) for v in row] for row in rows])
    spec = "l" + "r" * (len(columns) - 1)
    lines = ["% written by modelcollapse reproduce", "\\begin{table}[ht]", "\\centering",
             f"\\caption{{{caption}}}", f"\\label{{tab:{stem.replace('_', '-')}}}",
             f"\\begin{{tabular}}{{{spec}}}", "\\hline",
             " & ".join(tex_escape(c) for c in columns) + " \\\\", "\\hline"]
    lines += [" & ".join(tex_number(v) for v in row) + " \\\\" for row in rows]
    lines += ["\\hline", "\\end{tabular}", "\\end{table}", ""]
    tex_path.write_text("\n".join(lines))
    return [str(csv_path), str(tex_path)]


def macros_text(macros: dict[str, float], *, quick: bool, seed: int) -> str:
    head = (f"% modelcollapse reproduce ({'quick' if quick else 'full'} run, seed {seed}): "
            "one macro per headline number\n")
    return head + "".join(f"\\newcommand{{\\{name}}}{{{tex_number(value)}}}\n"
                          for name, value in macros.items())

