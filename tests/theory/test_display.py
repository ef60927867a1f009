"""How a Derivation shows in a notebook: values, verdict, p* and formulas (HTML and LaTeX),
and a collapse condition that says when the walk collapses."""

from __future__ import annotations

import dataclasses
import math
import re

import pytest
import sympy as sp

from modelcollapse import symbols
from modelcollapse.families import Bias
from modelcollapse.schedules import Schedule
from modelcollapse.theory.derive import derive
from modelcollapse.theory.display import rows


def _holds(condition: sp.Basic, growth: sp.Expr) -> bool:
    """The condition with n_t = growth(t) (n_0 = 1), its sums evaluated by SymPy."""
    t = symbols.t
    concrete = condition.replace(lambda e: isinstance(e, sp.Indexed), lambda e: growth.subs(
        t, e.indices[0]))
    return bool(concrete.doit())


@pytest.mark.parametrize(("text", "bias"), [
    ("n0", None), ("n0*t", None), ("n0*t**2", None),
    ("n0*t**1.5", Bias(2.0, 0.5)), ("n0*t**3", Bias(2.0, 0.5)),
])
def test_collapse_condition_agrees_with_the_verdict(text: str, bias: Bias | None) -> None:
    d = derive("gaussian-variance", schedule=Schedule(text, n0=10), T=10, bias=bias)
    t = symbols.t
    growth = sp.sympify(text.replace("n0", "1"), locals={"t": t})
    if bias is not None:  # the symbolic alpha at the bias's value
        condition = d.expressions["collapse_condition"].subs(symbols.alpha, sp.Rational(1, 2))
    else:
        condition = d.expressions["collapse_condition"]
    assert _holds(condition, sp.Max(growth, 1)) is d.values["collapses"]


def test_html_shows_values_verdict_and_formulas() -> None:
    d = derive("gaussian-variance", schedule=Schedule("n0*t**3", n0=10), T=20,
               bias=Bias(2.0, 0.5))
    page = d._repr_html_()
    assert "Verdict: does not collapse" in page
    assert r"p^* = 2" in page
    for key in ("mean_T", "variance_T", "log_mean_T", "log_variance_T", "collapse_condition"):
        assert f"<code>{key}</code>" in page
    for key in ("mean_T", "variance_T", "log_mean_T"):
        assert f"{d.values[key]:.6g}" in page
    assert page.count("<tr>") == len(rows(d)) + 1  # the header row
    # every math span holds balanced delimiters and no raw "<" (escaped for HTML)
    spans = re.findall(r'<span class="arithmatex">(.*?)</span>', page)
    assert spans and all(s.startswith(r"\(") and s.endswith(r"\)") and "<" not in s
                         for s in spans)


def test_multi_parameter_rows_pair_each_value_with_its_formula() -> None:
    d = derive("gaussian", schedule="n0*t", T=5)
    by_label = {(r.key, r.label): r for r in rows(d)}
    mu = next(r for (k, label), r in by_label.items() if k == "variance_T" and "mu" in label)
    assert mu.value == f"{d.values['variance_T']['mu']:.6g}"
    assert mu.formula == d.latex()["variance_T_mu"]


def test_latex_shows_values_and_formulas() -> None:
    d = derive("gaussian-variance", schedule=Schedule("n0*t", n0=10), T=1000)
    tex = d._repr_latex_()
    assert tex.startswith("$$\\begin{aligned}") and tex.endswith("\\end{aligned}$$")
    assert r"\text{collapses}" in tex and r"p^* &= 1" in tex
    assert d.latex()["variance_T"] in tex and f"{d.values['variance_T']:.6g}" in tex
    assert r"\text{collapse iff} &: \sum_{t=1}^{\infty} \frac{1}{n_{t}} = \infty" in tex


def test_missing_values_show_as_n_a_and_the_horizon_as_infinity() -> None:
    # the variance sum over an infinite horizon has no value here (values["variance_T"] None)
    d = derive("poisson", schedule=Schedule("n0*(t+1)"), T=math.inf)
    assert d.values["variance_T"] is None
    tex, page = d._repr_latex_(), d._repr_html_()
    assert "None" not in tex and "None" not in page
    assert d.latex()["variance_T"] + r" = \text{n/a}" in tex
    assert "<td style='text-align:right'>n/a</td>" in page
    # as the other labels at T = inf (E lambda_inf), not "collapse probability T"
    assert r"\text{collapse probability}\ \infty &= 1" in tex
    assert r"\mathrm{E}\,\widehat{\lambda}_{\infty}" in tex
    assert r"\text{collapse probability}\ \infty" in page
    finite = derive("poisson", schedule=Schedule("n0*(t+1)"), T=5)
    assert r"\text{collapse probability}\ T &= " in finite._repr_latex_()


def test_missing_growth_exponent_shows_as_n_a() -> None:
    d = derive("gaussian-variance", schedule=Schedule("n0*t", n0=10), T=10)
    d = dataclasses.replace(d, values={**d.values, "required_growth_exponent": None})
    assert r"p^* &= \text{n/a}" in d._repr_latex_()
    assert r"p^* = \text{n/a}" in d._repr_html_()
