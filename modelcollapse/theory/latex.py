r"""LaTeX for papers: readable expressions, a fragment and a macros file to ``\input``.

:func:`latex` is ``sympy.latex`` with the paper's notation: :math:`\psi` and :math:`\psi'` for
the digamma and trigamma functions, :math:`n_{t}` for the indexed schedule.
:func:`write_latex` writes ``FILE.tex`` (an ``align*`` block of the named results with readable
row labels, needs ``amsmath``) and ``FILE-macros.tex`` with one ``\newcommand`` per named
result, per number and per input (:math:`n_0`, :math:`T`, :math:`\kappa`, :math:`\alpha`, the
schedule, family and estimator). Every macro starts with a prefix (letters, default ``mc``), so
several exports can be ``\input`` into one paper. Text that reaches the files (a schedule as
typed, a family's description from a user's file) goes through :func:`latex_escape`: it prints
as itself and can never become a command.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sympy as sp
from sympy.printing.latex import LatexPrinter

if TYPE_CHECKING:
    from modelcollapse.families import Family
    from modelcollapse.theory.derive import Derivation

__all__ = ["latex", "latex_escape", "check_prefix", "macro_name", "row_label", "latex_macros",
           "latex_fragment", "latex_paths", "write_latex"]


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


#: each LaTeX special character of text mode and what prints it as itself
_SPECIALS = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
             "#": r"\#", "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}",
             "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
             "|": r"\textbar{}"}


def latex_escape(text: str) -> str:
    r"""Text as LaTeX that prints the text itself, in text mode or inside ``\text{...}``.

    Every special character is replaced by the command that prints it (``\`` by
    ``\textbackslash{}``, ``#`` by ``\#``, ``^`` by ``\textasciicircum{}``, so ``^^`` notation
    cannot form either); line breaks and other control characters become a space (a comment
    line stays one line); any other non-ASCII character is shown as its code point, ``[U+FF4E]``
    (pdfLaTeX has no glyph for most of them). The result has balanced braces and no line break.

    >>> latex_escape(r"\immediate\write18{rm -rf ~}")
    '\\textbackslash{}immediate\\textbackslash{}write18\\{rm -rf \\textasciitilde{}\\}'
    >>> latex_escape("50% of n_0\n# x")
    '50\\% of n\\_0 \\# x'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    out = []
    for char in text:
        if char in _SPECIALS:
            out.append(_SPECIALS[char])
        elif " " <= char <= "~":
            out.append(char)
        elif char.isascii() or not char.isprintable():  # control, line break, bidi, zero width
            out.append(" ")
        else:
            out.append(f"[U+{ord(char):04X}]")
    return "".join(out)


def check_prefix(prefix: Any) -> str:
    """A macro prefix: 1 to 40 ASCII letters (a LaTeX command name has no digits or symbols).

    >>> check_prefix("mcB")
    'mcB'
    >>> check_prefix("mc2")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: macro prefix must be 1 to 40 ASCII letters ..., got 'mc2'
    """
    if not isinstance(prefix, str):
        raise TypeError(f"macro prefix must be a str, got {type(prefix).__name__}")
    if not re.fullmatch(r"[A-Za-z]{1,40}", prefix):
        raise ValueError(f"macro prefix must be 1 to 40 ASCII letters (LaTeX macro names have no "
                         f"digits or symbols), e.g. 'mc' or 'mcB', got {prefix!r}")
    return prefix


def macro_name(key: str, prefix: str = "mc") -> str:
    r"""A LaTeX macro name (letters only) for a result key: ``mean_T_mu`` -> ``\mcMeanTMu``.

    >>> macro_name("log_variance_T")
    'mcLogVarianceT'
    >>> macro_name("mean_T", prefix="gauss")
    'gaussMeanT'
    """
    digits = {"0": "Zero", "1": "One", "2": "Two", "3": "Three", "4": "Four", "5": "Five",
              "6": "Six", "7": "Seven", "8": "Eight", "9": "Nine"}
    parts = re.split(r"[^A-Za-z0-9]+", key)
    word = "".join(p[:1].upper() + p[1:] for p in parts if p)
    return check_prefix(prefix) + "".join(digits.get(c, c) for c in word if c.isascii())


def _number(value: float) -> str:
    r"""``value`` as LaTeX that reads the same in text and in math: a plain decimal, or in
    ``\ensuremath`` where it needs math mode (a minus sign, a power of ten, infinity), so a
    paper may write ``\mcVarianceTValue`` in a sentence or in a formula, whatever the run."""
    if math.isinf(value):
        return _in_math(r"\infty" if value > 0 else r"-\infty")
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    if -3 <= exponent < 6:
        text = f"{value:.6g}"
        return _in_math(text) if value < 0 else text
    mantissa = value / 10**exponent
    return _in_math(rf"{mantissa:.4g} \times 10^{{{exponent}}}")


def _in_math(text: str) -> str:
    return rf"\ensuremath{{{text}}}"


def _flat_values(values: dict[str, Any]) -> dict[str, str]:
    r"""Each value as LaTeX, nested ones flattened (``mean_T_1``): a number (:func:`_number`),
    ``\text{yes}``/``\text{no}``, or ``\text{n/a}`` where there is none (so a paper's macro
    stays defined from one run to the next)."""
    out: dict[str, str] = {}
    for key, val in values.items():
        if isinstance(val, dict):
            out.update(_flat_values({f"{key}_{k}": v for k, v in val.items()}))
        elif isinstance(val, list | tuple):
            out.update(_flat_values({f"{key}_{i + 1}": v for i, v in enumerate(val)}))
        elif isinstance(val, bool):
            out[key] = r"\text{yes}" if val else r"\text{no}"
        elif isinstance(val, int | float) and not math.isnan(val):
            out[key] = _number(float(val))
        elif val is None or isinstance(val, int | float):
            out[key] = r"\text{n/a}"
    return out


# -- readable row labels ---------------------------------------------------------------------
#: key (without a parameter suffix) -> (label with {x} for the estimate's symbol, {h} for the
#: horizon, relation to the expression)
_LABELS = {
    "mean_T": (r"\mathrm{{E}}\,\widehat{{{x}}}_{{{h}}}", "="),
    "variance_T": (r"\mathrm{{Var}}\,\widehat{{{x}}}_{{{h}}}", "="),
    "step_law": (r"\widehat{{{x}}} \mid {x}, n", r"\sim"),
    "variance_function": (r"V\left({x}\right)", "="),
    "log_mean_T": (r"\mathrm{{E}}\log\left(\widehat{{{x}}}_{{{h}}}/{x}\right)", "="),
    "log_variance_T": (r"\mathrm{{Var}}\log\widehat{{{x}}}_{{{h}}}", "="),
    "moment_T": (r"\mathrm{{E}}\,\widehat{{{x}}}_{{{h}}}^{{\,r}}", "="),
    "inverse_sum_T": (r"\text{{sum of inverse sizes up to }} {h}", "="),
    "inverse_sum_limit": (r"\text{{sum of inverse sizes, limit}}", "="),
    "schedule": (r"\text{{schedule}}", ":"),
    "collapse_condition": (r"\text{{collapse iff}}", ":"),
    "required_growth_exponent": (r"\text{{required growth exponent}}", "="),
    "optimal_real_weight": (r"w^{{*}}", "="),
}


def row_label(key: str, symbol: str = r"\theta", *, horizon: str = "T") -> tuple[str, str]:
    r"""A readable LaTeX label for a result key and its relation to the expression.

    ``symbol`` is the LaTeX of the parameter (``\sigma^{2}``), ``horizon`` that of the last
    generation (``T`` or ``\infty``). Unknown keys read as their words, a final ``_T`` as
    the horizon.

    >>> row_label("variance_T", r"\sigma^{2}")
    ('\\mathrm{Var}\\,\\widehat{\\sigma^{2}}_{T}', '=')
    >>> row_label("step_law", r"\mu")
    ('\\widehat{\\mu} \\mid \\mu, n', '\\sim')
    >>> row_label("new_thing")
    ('\\text{new thing}', '=')
    >>> row_label("collapse_probability_T", horizon=r"\infty")
    ('\\text{collapse probability}\\ \\infty', '=')
    """
    if key in _LABELS:
        form, relation = _LABELS[key]
        return form.format(x=symbol, h=horizon), relation
    if key.endswith("_T"):  # a value at the last generation
        return rf"\text{{{latex_escape(key[:-2].replace('_', ' '))}}}\ {horizon}", "="
    return rf"\text{{{latex_escape(key.replace('_', ' '))}}}", "="


def _symbols(result: Derivation, family: Family | None) -> dict[str, str]:
    """LaTeX of each parameter by name, and under '' the one the log-moments are about."""
    from modelcollapse.families.laws import Multiplicative, Wishart

    if family is None:
        return {"": r"\theta"}
    out = {p.name: p.latex for p in family.parameters}
    out[""] = out[family.parameters[0].name]
    for p in family.parameters:  # the log-moments are those of the first multiplicative law
        try:
            law = family.law(p.name, result.estimator)
        except (ValueError, TypeError):  # pragma: no cover - derive already built these laws
            break
        if isinstance(law, Wishart):  # of log det Sigma
            out[""] = _DET
            break
        if isinstance(law, Multiplicative):
            out[""] = out[p.name]
            break
    return out


#: the log-moments of a covariance matrix are those of its determinant
_DET = r"\det\Sigma"
_DET_LABELS = {
    "log_mean_T": r"\mathrm{{E}}\log\left(\det\widehat{{\Sigma}}_{{{h}}}/\det\Sigma\right)",
    "log_variance_T": r"\mathrm{{Var}}\log\det\widehat{{\Sigma}}_{{{h}}}",
}


def _labelled(result: Derivation, family: Family | None) -> list[tuple[str, str, str, str]]:
    """(key, label, relation, expression) for every named expression."""
    names = _symbols(result, family)
    horizon = r"\infty" if math.isinf(result.T) else "T"
    rows = []
    for key, tex in result.latex().items():
        base, symbol = key, names[""]
        for name in names:  # a parameter suffix: mean_T_mu
            if name and key.endswith(f"_{name}") and key[:-len(name) - 1] in _LABELS:
                base, symbol = key[:-len(name) - 1], names[name]
                break
        if symbol == _DET and base in _DET_LABELS:
            label, relation = _DET_LABELS[base].format(h=horizon), "="
        else:
            label, relation = row_label(base, symbol, horizon=horizon)
        rows.append((key, label, relation, tex))
    return rows


def _family_of(result: Derivation, family: Family | None) -> Family | None:
    if family is not None:
        return family
    from modelcollapse.families import get_family

    try:
        return get_family(result.family)
    except (ValueError, TypeError):  # a user family that is not registered: generic theta
        return None


def _schedule_text(result: Derivation) -> str:
    schedule = result.schedule
    if schedule.text is not None:
        return schedule.text
    return ",".join(str(n) for n in schedule.sizes_given)


def _header(result: Derivation) -> str:
    from modelcollapse import __version__

    horizon = "inf" if math.isinf(result.T) else str(result.T)
    return "% " + latex_escape(f"modelcollapse {__version__}: {result.family} "
                               f"({result.estimator}, {result.workflow}), schedule "
                               f"{_schedule_text(result)}, n0 = {result.schedule.n0}, "
                               f"T = {horizon}") + "\n"


def latex_macros(result: Derivation, prefix: str = "mc", *, family: Family | None = None) -> str:
    r"""The macros file: one ``\newcommand`` per named result, label, number and input.

    For a key such as ``variance_T``: ``\<prefix>VarianceT`` (the expression),
    ``\<prefix>VarianceTLabel`` (:func:`row_label`) and ``\<prefix>VarianceTValue`` (its
    number at :math:`T`; ``\text{n/a}`` where there is none, yes/no for a verdict such as
    ``\<prefix>CollapsesValue``). Inputs: ``\<prefix>NZero``, ``\<prefix>T`` (a number or
    :math:`\infty`), ``\<prefix>Kappa``, ``\<prefix>Alpha`` (0 and 1 without bias),
    ``\<prefix>S`` (where the schedule has one). Numbers that need math mode (a minus sign, a
    power of ten, infinity) are in ``\ensuremath``: every number macro reads in a sentence
    and in a formula. As text in ``\text{...}``:
    ``\<prefix>ScheduleText``, ``\<prefix>Family``, ``\<prefix>FamilyTitle``,
    ``\<prefix>Estimator``,
    ``\<prefix>Workflow``. Needs ``amsmath``.

    >>> from modelcollapse.theory import derive
    >>> text = latex_macros(derive("poisson", T=3), prefix="pois")
    >>> print([line for line in text.splitlines() if "poisT}" in line or "NZero" in line])
    ['\\newcommand{\\poisNZero}{100}', '\\newcommand{\\poisT}{3}']
    """
    prefix = check_prefix(prefix)
    family = _family_of(result, family)
    bias = result.bias if result.bias is not None and result.bias.active else None
    inputs: dict[str, str] = {
        "n_0": str(result.schedule.n0),
        "T": _number(math.inf) if math.isinf(result.T) else str(result.T),
        "kappa": "0" if bias is None else _number(float(bias.kappa)),
        "alpha": "1" if bias is None else _number(float(bias.alpha)),
    }
    if result.schedule.s is not None:
        inputs["s"] = _number(float(result.schedule.s))
    texts = {"schedule_text": _schedule_text(result), "family": result.family,
             "family_title": getattr(family, "title", None) or result.family,
             "estimator": result.estimator, "workflow": result.workflow}
    inputs.update({k: rf"\text{{{latex_escape(v)}}}" for k, v in texts.items()})
    lines: dict[str, str] = {}

    def define(key: str, body: str, suffix: str = "") -> None:
        name = macro_name(key, prefix) + suffix
        if name in lines:  # two keys that spell the same macro: a bug, never a silent loss
            raise ValueError(f"two results would both define \\{name}")
        lines[name] = f"\\newcommand{{\\{name}}}{{{body}}}\n"

    for key, label, _relation, tex in _labelled(result, family):
        define(key, tex)
        define(key, label, "Label")
    for key, value in _flat_values(result.values).items():
        define(key, value, "Value")
    for key, body in inputs.items():
        define(key, body)
    return _header(result) + "".join(lines.values())


def latex_fragment(result: Derivation, *, family: Family | None = None) -> str:
    r"""The fragment: an ``align*`` block, one row per named result with a readable label.

    >>> from modelcollapse.theory import derive
    >>> print(latex_fragment(derive("gaussian-variance", T=3)).splitlines()[2])
      \mathrm{E}\,\widehat{\sigma^{2}}_{T} &= \sigma^{2} \\
    """
    rows = [f"  {label} &{relation} {tex}"
            for _key, label, relation, tex in _labelled(result, _family_of(result, family))]
    return _header(result) + "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


def latex_paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """The fragment ``path`` and the macros file ``<stem>-macros.tex`` beside it.

    >>> [str(p) for p in latex_paths("paper/var.tex")]
    ['paper/var.tex', 'paper/var-macros.tex']
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"out must be a path (str or os.PathLike), got {path!r}")
    path = Path(path)
    if path.suffix != ".tex" or path.stem in ("", "."):
        raise ValueError(f"--out must name a .tex file, got {str(path)!r}")
    return path, path.with_name(f"{path.stem}-macros.tex")


def write_latex(result: Derivation, path: str | os.PathLike[str], *, prefix: str = "mc",
                overwrite: bool = False, family: Family | None = None) -> list[str]:
    r"""Write the fragment ``path`` and ``<stem>-macros.tex`` beside it; return both paths.

    Every named expression becomes ``\<prefix><Name>`` and every number
    ``\<prefix><Name>Value`` (for example ``\mcVarianceT`` and ``\mcVarianceTValue``), so a
    paper can write ``$\mcVarianceTLabel = \mcVarianceT$`` (:func:`latex_macros`). Exports with
    different prefixes can be ``\input`` into one document. Both files are written completely
    or not at all (temporary files renamed into place); existing files are kept unless
    ``overwrite``. ``family`` (default: looked up by name) gives the parameters' symbols.

    >>> import tempfile, pathlib
    >>> from modelcollapse.theory import derive
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     files = write_latex(derive("poisson", T=3), pathlib.Path(folder) / "p.tex")
    ...     print([pathlib.Path(f).name for f in files])
    ['p.tex', 'p-macros.tex']
    """
    from modelcollapse.outputs import atomic_paths

    prefix = check_prefix(prefix)
    path, macros_path = latex_paths(path)
    texts = [latex_fragment(result, family=family), latex_macros(result, prefix, family=family)]
    # both files or neither; an existing one (an unrelated frag-macros.tex) only if overwrite
    with atomic_paths([path, macros_path], overwrite=overwrite) as temps:
        for tmp, text in zip(temps, texts, strict=True):
            tmp.write_text(text, encoding="ascii")
    return [str(path), str(macros_path)]
