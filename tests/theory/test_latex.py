"""LaTeX export: the fragment and macros compile with a real pdflatex."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from modelcollapse.cli import main
from modelcollapse.schedules import Schedule
from modelcollapse.theory import derive
from modelcollapse.theory.latex import latex, macro_name, write_latex

PDFLATEX = shutil.which("pdflatex")


def _need_pdflatex() -> None:
    if PDFLATEX is None:
        if os.environ.get("MODELCOLLAPSE_REQUIRE_LATEX"):
            pytest.fail("pdflatex is required here (MODELCOLLAPSE_REQUIRE_LATEX) but not found")
        pytest.skip("pdflatex not installed (see README)")


def test_macro_names_are_letters_only() -> None:
    for key in ("mean_T", "variance_T_sigma2", "log_mean_T", "mean_T_1"):
        assert macro_name(key).isalpha()
    assert macro_name("variance_T_sigma2") == "mcVarianceTSigmaTwo"


def test_digamma_prints_as_psi() -> None:
    import sympy as sp

    x = sp.Symbol("x")
    assert latex(sp.polygamma(0, x)) == r"\psi\left(x\right)"
    assert latex(sp.polygamma(1, x)) == r"\psi'\left(x\right)"


@pytest.mark.parametrize("family", ["gaussian-variance", "gaussian", "bernoulli", "mvgaussian",
                                    "exponential"])
def test_exported_latex_compiles(tmp_path, family: str) -> None:
    _need_pdflatex()
    result = derive(family, schedule=Schedule("n0*t**1.5", n0=10), T=20)
    fragment, macros = write_latex(result, tmp_path / "results.tex")
    keys = list(result.expressions)
    uses = " \\\\\n".join(f"\\texttt{{{k.replace('_', '-')}}}: ${{\\{macro_name(k)}}}$"
                          for k in keys)
    doc = tmp_path / "paper.tex"
    doc.write_text(
        "\\documentclass{article}\n\\usepackage{amsmath}\n"
        f"\\input{{{macros}}}\n\\begin{{document}}\n\\input{{{fragment}}}\n{uses}\n"
        "\\end{document}\n"
    )
    proc = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", doc.name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "paper.pdf").stat().st_size > 1000


def test_cli_writes_fragment_and_macros(tmp_path, capsys) -> None:
    out = tmp_path / "var.tex"
    assert main(["derive", "gaussian-variance", "--T", "10", "--format", "latex",
                 "--out", str(out), "--json"]) == 0
    macros = (tmp_path / "var-macros.tex").read_text()
    assert "\\newcommand{\\mcVarianceT}" in macros
    assert "\\newcommand{\\mcVarianceTValue}" in macros
    assert "\\begin{align*}" in out.read_text()


def test_bad_out_path(tmp_path) -> None:
    result = derive("poisson", T=3)
    with pytest.raises(ValueError, match="--out must name a .tex file, got"):
        write_latex(result, tmp_path / "x.pdf")
    with pytest.raises(ValueError, match="the folder of out does not exist"):
        write_latex(result, tmp_path / "nope" / "x.tex")
