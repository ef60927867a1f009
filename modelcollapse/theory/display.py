r"""How a :class:`~modelcollapse.theory.derive.Derivation` shows in a notebook.

One row per result: a readable label, its value at the given :math:`T` and its formula, with
the verdict (``collapses``) and the required growth exponent :math:`p^*` on top. The HTML form
(``_repr_html_``, which Jupyter prefers) is a table whose math is typeset by the notebook's
MathJax (``\(...\)`` in spans of class ``arithmatex``, which the documentation site typesets
too); the LaTeX form (``_repr_latex_``, for LaTeX-only front ends and nbconvert) is one
``aligned`` block.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modelcollapse.families import Family, get_family
from modelcollapse.theory.latex import _symbols, row_label

if TYPE_CHECKING:
    from modelcollapse.theory.derive import Derivation

__all__ = ["Row", "rows", "to_html", "to_latex"]

# shown in the header, not as rows
VERDICT = ("collapses", "required_growth_exponent")
#: a value that is not there (as the LaTeX macros show it)
MISSING = "n/a"


@dataclass(frozen=True)
class Row:
    """One displayed result: its key, LaTeX label, the relation of label to formula (``=``,
    ``:`` or ``\\sim``), value as text (or None) and formula as LaTeX (or None)."""

    key: str
    label: str
    relation: str
    value: str | None
    formula: str | None


def _family(result: Derivation) -> Family | None:
    try:
        return get_family(result.family)
    except (ValueError, TypeError):  # a user family that was never registered
        return None


def _number(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.6g}"
    if isinstance(value, list):
        return "[" + ", ".join(_number(v) for v in value) + "]"
    return str(value)


def rows(result: Derivation) -> list[Row]:
    """The displayed rows of ``result``: each value with its formula (a parameter's own
    formula where the value is a dict by parameter), then the formulas without a value.

    >>> from modelcollapse.theory.derive import derive
    >>> [r.key for r in rows(derive("gaussian-variance", T=10))][:3]
    ['mean_T', 'variance_T', 'log_mean_T']
    """
    formulas = result.latex()
    symbols = _symbols(result, _family(result))  # the labels of the LaTeX export
    horizon = r"\infty" if math.isinf(result.T) else "T"

    def row(key: str, param: str | None, value: str | None, formula: str | None) -> Row:
        label, relation = row_label(key, symbols.get(param or "", symbols[""]),
                                    horizon=horizon)
        return Row(key, label, relation, value, formula)

    used: set[str] = set()
    out: list[Row] = []
    for key, value in result.values.items():
        if key in VERDICT:
            continue
        if isinstance(value, dict):
            for param, val in value.items():
                name = f"{key}_{param}"
                used.add(name)
                out.append(row(key, param, _number(val), formulas.get(name)))
        else:
            used.add(key)
            if value is None and key not in formulas:  # not defined for this family
                continue
            out.append(row(key, None, _number(value), formulas.get(key)))
    for name, tex in formulas.items():
        if name in used or name in VERDICT:
            continue
        key, param = _split(name, result)
        out.append(row(key, param, None, tex))
    return out


def _split(name: str, result: Derivation) -> tuple[str, str | None]:
    """``step_law_sigma2`` -> (``step_law``, ``sigma2``) for a parameter's own formula."""
    for param in result.step_laws:
        if name.endswith(f"_{param}"):
            return name[: -len(param) - 1], param
    return name, None


def _verdict(result: Derivation) -> tuple[str, str]:
    collapses = result.values.get("collapses")
    verdict = {True: "collapses", False: "does not collapse"}.get(collapses, "undecided")
    p = result.values.get("required_growth_exponent")
    return verdict, _number(p)


def _title(result: Derivation) -> tuple[str, str]:
    """The text and the LaTeX of the schedule and horizon."""
    horizon = r"T = \infty" if math.isinf(result.T) else f"T = {result.T}"
    schedule = result.latex().get("schedule", "")
    return (f"{result.family} ({result.estimator} estimator, {result.workflow} workflow)",
            rf"{schedule},\ n_0 = {result.schedule.n0},\ {horizon}")


def _math(tex: str) -> str:
    return f'<span class="arithmatex">\\({html.escape(tex, quote=False)}\\)</span>'


def to_html(result: Derivation) -> str:
    """An HTML table: header with the verdict and :math:`p^*`, one row per result, notes.

    >>> from modelcollapse.theory.derive import derive
    >>> page = to_html(derive("gaussian-variance", T=10))
    >>> "<table" in page and "collapses" in page and "p^*" in page
    True
    """
    title, setting = _title(result)
    verdict, p = _verdict(result)
    body = "".join(
        f"<tr><td>{_math(r.label)}</td><td><code>{html.escape(r.key)}</code></td>"
        f"<td style='text-align:right'>{html.escape(r.value) if r.value is not None else ''}"
        f"</td><td style='text-align:left'>{_math(r.formula) if r.formula else ''}</td></tr>"
        for r in rows(result))
    laws = "".join(f"<li>step law of <code>{html.escape(k)}</code>: {html.escape(v)}</li>"
                   for k, v in result.step_laws.items())
    notes = "".join(f"<li>note: {html.escape(n)}</li>" for n in result.notes)
    return (
        f'<div class="modelcollapse-derivation"><p><b>{html.escape(title)}</b>, '
        f"{_math(setting)}</p>"
        f"<p><b>Verdict: {verdict}</b>; required growth exponent "
        f"{_math('p^* = ' + _tex_value(p))} "
        "(a schedule <i>n<sub>t</sub></i> &asymp; <i>t<sup>p</sup></i> is safe iff "
        "<i>p</i> &gt; <i>p</i>*)</p>"
        "<table><thead><tr><th>quantity</th><th>key</th><th>value</th><th>formula</th></tr>"
        f"</thead><tbody>{body}</tbody></table>"
        + (f"<ul>{laws}{notes}</ul>" if laws or notes else "") + "</div>")


def _text(s: str) -> str:
    escaped = s.replace("\\", r"\textbackslash ").replace("_", r"\_").replace("%", r"\%")
    return r"\text{" + escaped.replace("&", r"\&").replace("#", r"\#") + "}"


def _tex_value(value: str) -> str:
    """A number in math (``1.5e-05`` as :math:`1.5 \\times 10^{-5}`), anything else as text."""
    try:
        number = float(value)
    except ValueError:
        return _text(value)
    if math.isinf(number):
        return r"\infty" if number > 0 else r"-\infty"
    mantissa, _, exponent = value.partition("e")
    return mantissa if not exponent else rf"{mantissa} \times 10^{{{int(exponent)}}}"


def to_latex(result: Derivation) -> str:
    r"""One ``aligned`` block: the setting, the verdict, :math:`p^*`, then
    ``label = formula = value`` per result.

    >>> from modelcollapse.theory.derive import derive
    >>> tex = to_latex(derive("gaussian-variance", T=10))
    >>> tex.startswith("$$") and r"p^* &= 1" in tex
    True
    """
    title, setting = _title(result)
    verdict, p = _verdict(result)
    lines = [rf"&{_text(title)}\quad {setting}", rf"&\text{{{verdict}}}",
             rf"p^* &= {_tex_value(p)}"]
    for r in rows(result):
        parts = [part for part in (r.formula, None if r.value is None else _tex_value(r.value))
                 if part]
        lines.append(rf"{r.label} &{r.relation} " + " = ".join(parts))
    return "$$\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}$$"
