"""LaTeX for papers: several exports in one document (macro prefixes), inputs as macros, the
bias factor in the step law, readable row labels; compiled with a real pdflatex."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
import sympy as sp

from modelcollapse.cli import main
from modelcollapse.families import Bias, get_family
from modelcollapse.schedules import Schedule
from modelcollapse.theory import derive
from modelcollapse.theory.latex import (
    check_prefix,
    latex_fragment,
    latex_macros,
    macro_name,
    row_label,
    write_latex,
)

PDFLATEX = shutil.which("pdflatex")


def _need_pdflatex() -> str:
    if PDFLATEX is None:
        if os.environ.get("MODELCOLLAPSE_REQUIRE_LATEX"):
            pytest.fail("pdflatex is required here (MODELCOLLAPSE_REQUIRE_LATEX) but not found")
        pytest.skip("pdflatex not installed (see README)")
    return PDFLATEX


def compile_tex(folder: Path, body: str, *, preamble: str = "",
                options: Sequence[str] = ()) -> subprocess.CompletedProcess:
    """Compile ``paper.tex`` (article + amsmath) in ``folder``; never halts for input."""
    (folder / "paper.tex").write_text("\\documentclass{article}\n\\usepackage{amsmath}\n"
                                      f"{preamble}\\begin{{document}}\n{body}\n\\end{{document}}\n")
    return subprocess.run([_need_pdflatex(), "-interaction=nonstopmode", "-halt-on-error",
                           *options, "paper.tex"], cwd=folder, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def _macros(text: str) -> dict[str, str]:
    """``\\newcommand{\\name}{body}`` lines of a macros file, by name."""
    out = {}
    for line in text.splitlines():
        found = re.fullmatch(r"\\newcommand\{\\([A-Za-z]+)\}\{(.*)\}", line)
        if found:
            out[found[1]] = found[2]
    return out


def test_three_families_compile_in_one_document(tmp_path: Path) -> None:
    """The issue's case: with one prefix each, three exports share one paper (the same
    prefix twice fails with 'already defined', which the next test shows)."""
    exports = {"gv": derive("gaussian-variance", schedule=Schedule("n0*t**1.5", n0=10), T=20,
                            bias=Bias(0.5, 1)),
               "bern": derive("bernoulli", schedule=Schedule("n0", n0=50), T=10),
               "pois": derive("poisson", schedule=Schedule("n0*(t+1)", n0=20), T=float("inf"))}
    preamble, body = [], []
    for prefix, result in exports.items():
        fragment, macros = write_latex(result, tmp_path / f"{prefix}.tex", prefix=prefix)
        preamble.append(f"\\input{{{Path(macros).name}}}\n")
        body.append(f"\\input{{{Path(fragment).name}}}\n"
                    f"$n_0 = \\{prefix}NZero$, $T = \\{prefix}T$, $\\kappa = \\{prefix}Kappa$, "
                    f"$\\alpha = \\{prefix}Alpha$, family \\{prefix}Family, "
                    f"estimator \\{prefix}Estimator, schedule \\{prefix}ScheduleText; "
                    f"$\\{prefix}MeanTLabel = \\{prefix}MeanT$, "
                    f"$\\{prefix}VarianceTLabel = \\{prefix}VarianceTValue$.\n\n")
    proc = compile_tex(tmp_path, "".join(body), preamble="".join(preamble))
    log = (tmp_path / "paper.log").read_text(errors="replace")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert not re.search(r"^! ", log, flags=re.M), log[-3000:]
    assert (tmp_path / "paper.pdf").stat().st_size > 1000
    # the inputs are the derivations' own
    gv = _macros((tmp_path / "gv-macros.tex").read_text())
    assert (gv["gvNZero"], gv["gvT"], gv["gvKappa"], gv["gvAlpha"]) == ("10", "20", "0.5", "1")
    assert gv["gvScheduleText"] == r"\text{n0*t**1.5}"
    pois = _macros((tmp_path / "pois-macros.tex").read_text())
    assert (pois["poisNZero"], pois["poisT"], pois["poisKappa"]) == \
        ("20", r"\ensuremath{\infty}", "0")
    assert pois["poisFamily"] == r"\text{poisson}"
    # the numbers are the derivation's values
    variance = exports["gv"].values["variance_T"]
    assert float(gv["gvVarianceTValue"]) == pytest.approx(variance, rel=1e-5)


def test_every_number_macro_reads_in_text_and_in_math(tmp_path: Path) -> None:
    """A paper writes a value in a sentence or in a formula whatever the run gives: a tiny
    probability (a power of ten), a negative log-mean, T = inf, a small bias."""
    exports = {"ca": derive("categorical", dim=3, T=5),
               "gv": derive("gaussian-variance", schedule=Schedule("n0*t**1.2", n0=20), T=30,
                            bias=Bias(2, 0.5)),
               "pois": derive("poisson", schedule=Schedule("n0*(t+1)", n0=20), T=float("inf")),
               "big": derive("gaussian-variance", schedule=Schedule("n0", n0=2), T=10**6,
                             bias=Bias(1e-7, 2))}
    preamble, body, bodies = [], [], set()
    for prefix, result in exports.items():
        _, macros = write_latex(result, tmp_path / f"{prefix}.tex", prefix=prefix)
        preamble.append(f"\\input{{{Path(macros).name}}}\n")
        defined = _macros(Path(macros).read_text())
        numbers = [name for name in defined
                   if name.endswith("Value") or name[len(prefix):] in ("T", "Kappa", "Alpha", "S")]
        bodies.update(defined[name] for name in numbers)
        body += [f"In text \\{name}{{}} and in math $x = \\{name}$.\n" for name in numbers]
    # the cases the test is about are there
    assert any(r"\times 10^" in b for b in bodies), bodies
    assert any(b.startswith(r"\ensuremath{-") for b in bodies), bodies
    assert r"\ensuremath{\infty}" in bodies
    proc = compile_tex(tmp_path, "".join(body), preamble="".join(preamble))
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_one_prefix_twice_is_a_latex_error(tmp_path: Path) -> None:
    """Why the prefix exists: two exports with the default prefix clash in LaTeX."""
    for name, family in (("a", "poisson"), ("b", "bernoulli")):
        write_latex(derive(family, T=3), tmp_path / f"{name}.tex")
    proc = compile_tex(tmp_path, "x", preamble="\\input{a-macros.tex}\\input{b-macros.tex}\n")
    assert proc.returncode != 0
    assert "already defined" in proc.stdout


def test_biased_step_law_has_the_bias_factor() -> None:
    """The step law's LaTeX is that of the biased law: its mean is c(n) times the unbiased
    one, c(n) = 1 - kappa n^-alpha, checked by parsing the LaTeX's law back at numbers."""
    kappa, alpha = sp.symbols("kappa alpha", positive=True)
    plain = derive("exponential", T=5).expressions["step_law"]
    biased = derive("exponential", T=5, bias=Bias(0.5, 1)).expressions["step_law"]
    assert r"\kappa" not in plain
    assert r"\kappa n^{- \alpha}" in biased
    # the same factor as the family's own biased law, drawn independently of derive
    law = get_family("exponential").law(bias=Bias(kappa, alpha))
    assert biased == law.latex()
    n, lam = sp.Symbol("n", positive=True), sp.Symbol("lambda", positive=True)
    unbiased_law = get_family("exponential").law()
    ratio = sp.simplify(law.mean() / unbiased_law.mean())
    value = ratio.subs({kappa: 0.5, alpha: 1, n: 10, lam: 2})
    assert float(value) == pytest.approx(1 - 0.5 / 10)


def test_row_labels_read_as_mathematics() -> None:
    text = latex_fragment(derive("gaussian", T=4))
    assert r"\text{mean T}" not in text and r"\text{variance T" not in text
    assert r"\mathrm{E}\,\widehat{\mu}_{T} &= \mu" in text
    assert r"\mathrm{Var}\,\widehat{\sigma^{2}}_{T} &=" in text
    assert r"\widehat{\mu} \mid \mu, n &\sim \mathcal{N}" in text
    assert row_label("mean_T", r"\lambda", horizon=r"\infty")[0] == \
        r"\mathrm{E}\,\widehat{\lambda}_{\infty}"


def test_every_macro_of_a_multi_parameter_family_is_defined_once() -> None:
    text = latex_macros(derive("gaussian", T=4, bias=Bias(0.2, 0.5)), prefix="g")
    names = re.findall(r"\\newcommand\{\\([^}]*)\}", text)
    assert len(names) == len(set(names)) > 20
    assert all(name.isalpha() and name.startswith("g") for name in names)
    assert {"gMeanTMu", "gMeanTMuLabel", "gMeanTMuValue", "gStepLawSigmaTwo", "gKappa",
            "gAlpha"} <= set(names)


@pytest.mark.parametrize("prefix", ["", "mc1", "mc_a", "m c", "\\mc", "ｍｃ", "a" * 41])
def test_bad_prefix(prefix: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="macro prefix must be 1 to 40 ASCII letters"):
        check_prefix(prefix)
    with pytest.raises(ValueError, match="macro prefix"):
        write_latex(derive("poisson", T=2), tmp_path / "p.tex", prefix=prefix)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(TypeError, match="macro prefix must be a str"):
        macro_name("mean_T", prefix=3)  # type: ignore[arg-type]


def test_cli_macro_prefix(tmp_path: Path, capsys) -> None:
    out = tmp_path / "var.tex"
    assert main(["derive", "gaussian-variance", "--T", "5", "--format", "latex", "--out",
                 str(out), "--macro-prefix", "varA", "--json"]) == 0
    macros = _macros((tmp_path / "var-macros.tex").read_text())
    assert "varAVarianceT" in macros and not any(k.startswith("mc") for k in macros)
    capsys.readouterr()
    assert main(["derive", "poisson", "--T", "5", "--format", "latex", "--out",
                 str(tmp_path / "p.tex"), "--macro-prefix", "p2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: macro prefix must be 1 to 40 ASCII letters") and \
        err.count("\n") == 1
    assert main(["derive", "poisson", "--T", "5", "--macro-prefix", "p"]) == 2
    assert "--macro-prefix needs --format latex" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["var-macros.tex", "var.tex"]


def test_an_unrelated_macros_file_is_never_replaced(tmp_path: Path, capsys) -> None:
    """``--out frag.tex`` must not overwrite an existing ``frag-macros.tex`` (nor write
    ``frag.tex`` beside it) unless ``--overwrite``."""
    unrelated = tmp_path / "frag-macros.tex"
    unrelated.write_text("% my own macros\n")
    args = ["derive", "poisson", "--T", "3", "--format", "latex", "--out",
            str(tmp_path / "frag.tex")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "frag-macros.tex" in err and "exists" in err and "--overwrite" in err
    assert unrelated.read_text() == "% my own macros\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frag-macros.tex"]
    with pytest.raises(ValueError, match="exists; pass overwrite=True"):
        write_latex(derive("poisson", T=3), tmp_path / "frag.tex")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frag-macros.tex"]
    assert main([*args, "--overwrite", "--json"]) == 0
    assert "\\newcommand{\\mcMeanT}" in unrelated.read_text()
