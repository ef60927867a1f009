"""``run_reproduce`` (the ``reproduce`` command): files, numbers against theory, LaTeX.

One quick run (about a minute on two cores) is shared by the tests of this module. The numbers
in ``results.json`` are compared with the theory computed here independently (derive, the
closed forms, SPEC reference values); the Monte Carlo checks are judged by the z-score
tolerance of the module (``Z_TOL``), with fixed seeds.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from modelcollapse import published
from modelcollapse.schedules import Schedule
from modelcollapse.studies import reproduce
from modelcollapse.studies.figures import f7_realdata, f8_posterior
from modelcollapse.studies.reproduce import REFERENCE_IMPROVEMENT, Z_TOL, run_reproduce
from modelcollapse.studies.session import Session
from modelcollapse.theory import derive, improvement_probability

#: figures always produced (F7 and F8 depend on optional parts)
CORE_FIGURES = ("F1_dichotomy", "F2_improvement", "F3_phase_diagram", "F4_guideline",
                "F5_absorption", "F6_accumulate", "F9_published")
TABLES = ("table_dichotomy", "table_improvement", "table_phase", "table_guideline",
          "table_absorption", "table_accumulate", "table_published")
#: SPEC section 4 prints four decimals
SPEC_DECIMALS = 5e-5


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce") / "nested" / "out"
    results = run_reproduce(out, quick=True, seed=0, progress=False)
    return out, results


def test_every_file_is_written(quick_run):
    out, results = quick_run
    names = {Path(f).name for f in results["files"]}
    for stem in CORE_FIGURES:
        assert {f"{stem}.png", f"{stem}.pdf"} <= names
        assert (out / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (out / f"{stem}.pdf").read_bytes()[:5] == b"%PDF-"
    for stem in TABLES:
        assert {f"{stem}.csv", f"{stem}.tex"} <= names
    assert {"macros.tex", "results.json"} <= names
    for f in results["files"]:
        assert Path(f).is_file() and Path(f).stat().st_size > 0, f
    # the file is the returned record without the run time (same seed, same bytes)
    assert results["seconds"] > 0
    assert json.loads((out / "results.json").read_text()) == \
        {k: v for k, v in results.items() if k != "seconds"}


def test_optional_figures_are_made_or_skipped_with_a_note(quick_run):
    out, results = quick_run
    names = {Path(f).name for f in results["files"]}
    if importlib.util.find_spec("modelcollapse.studies.realdata") is None:
        assert any(n.startswith("F7 skipped") for n in results["notes"])
    else:
        assert results["figures"]["F7"]["files"]
    f8 = results["figures"]["F8"]
    if "skipped" in f8:
        assert f8["skipped"] in results["notes"]
    else:
        assert {"F8_posterior.png", "F8_posterior.pdf", "table_posterior.csv"} <= names
        assert [r["schedule"] for r in f8["rows"]] == list(reproduce.CANDIDATES)
        for r in f8["rows"]:
            assert 0 <= r["interval"][0] <= r["interval"][1] <= 1


def test_monte_carlo_agrees_with_theory(quick_run):
    _, results = quick_run
    assert len(results["checks"]) > 50
    failed = [c for c in results["checks"] if not abs(c["z"]) < Z_TOL]
    assert not failed
    assert results["checks_passed"] is True
    assert {c["figure"] for c in results["checks"]} == {"F1", "F2", "F3", "F4", "F5", "F6",
                                                      "F9"}


def test_improvement_closed_form_matches_the_reference_table(quick_run):
    _, results = quick_run
    rows = results["figures"]["F2"]["reference_table"]
    assert len(rows) == len(REFERENCE_IMPROVEMENT)
    for row in rows:
        assert abs(row["probability"] - REFERENCE_IMPROVEMENT[(row["schedule"], row["T"])]) \
            < SPEC_DECIMALS, row
    quadratic = next(r for r in rows if r["schedule"] == "n0*t**2" and r["T"] == 100)
    assert round(quadratic["probability"], 4) == 0.3189
    # the curves of the figure are the same closed form
    curve = results["figures"]["F2"]["schedules"]["n0*t**2"]["1"]
    expected = improvement_probability(100, Schedule("n0*t**2", n0=100).inverse_sum(100))
    assert curve["T"][-1] == 100
    assert curve["closed_form"][-1] == pytest.approx(expected, rel=1e-12)


def test_accumulate_limit_is_pi_squared_over_six(quick_run):
    _, results = quick_run
    f6 = results["figures"]["F6"]
    n = f6["n"]
    limit = derive("gaussian-mean", schedule=Schedule("n0", n0=n), T=math.inf,
                   workflow="accumulate").values["variance_T"]
    assert f6["accumulate_limit"] == pytest.approx(limit, rel=1e-12)
    assert f6["accumulate_limit"] == pytest.approx(f6["sigma2"] / n * math.pi**2 / 6, rel=1e-9)
    replace = derive("gaussian-mean", schedule=Schedule("n0", n0=n), T=f6["T"]).values
    assert f6["replace"]["variance_T_theory"] == pytest.approx((1 + f6["T"]) / n, rel=1e-12)
    assert f6["replace"]["variance_T_theory"] == pytest.approx(replace["variance_T"])


def test_published_results_hold_at_their_documented_calls(quick_run):
    _, results = quick_run
    entries = results["figures"]["F9"]["entries"]
    assert set(entries) == set(published.keys())
    assert all(e["holds"] is not False for e in entries.values())
    assert entries["he-xu-cheng2025"]["value"] == pytest.approx((math.sqrt(5) - 1) / 2)
    assert entries["shumailov2024"]["value"] == pytest.approx(0.0175)
    assert len([c for c in results["checks"] if c["figure"] == "F9"]) >= len(entries)


def test_guideline_and_dichotomy_numbers(quick_run):
    _, results = quick_run
    factors = {r["s"]: r["error_factor"] for r in results["figures"]["F4"]["guideline"]}
    assert round(factors[1.0], 3) == 2.645 and round(factors[2.0], 3) == 2.202
    schedules = results["figures"]["F1"]["schedules"]
    verdicts = {expr: v["collapses"] for expr, v in schedules.items()}
    assert verdicts == {"n0": True, "n0*t": True, "n0*t*log(t+1)": True, "n0*t**1.5": False,
                        "n0*t**2": False}
    T = results["figures"]["F1"]["T"]
    d = derive("gaussian-variance", schedule=Schedule("n0*t", n0=10), T=T)
    assert schedules["n0*t"]["log_mean_T"] == pytest.approx(d.values["log_mean_T"], rel=1e-12)


def test_macros_are_one_newcommand_per_number(quick_run):
    out, results = quick_run
    lines = [ln for ln in (out / "macros.tex").read_text().splitlines()
             if not ln.startswith("%")]
    names = [re.fullmatch(r"\\newcommand\{\\(mc[A-Za-z]+)\}\{.+\}", ln).group(1) for ln in lines]
    assert len(names) == len(set(names)) == len(results["macros"])
    assert "mcImprovementQuadraticDOneAtHundred" in names
    assert results["macros"]["mcImprovementQuadraticDOneAtHundred"] == pytest.approx(
        0.31893277, abs=1e-8)


def test_latex_compiles(quick_run, tmp_path):
    if shutil.which("pdflatex") is None:
        if os.environ.get("MODELCOLLAPSE_REQUIRE_LATEX"):
            pytest.fail("MODELCOLLAPSE_REQUIRE_LATEX is set but pdflatex is not installed")
        pytest.skip("pdflatex is not installed")
    out, results = quick_run
    for f in results["files"]:
        if f.endswith(".tex"):
            shutil.copy(f, tmp_path)
    uses = " ".join(f"\\{name}{{}}" for name in results["macros"])
    tables = "\n".join(f"\\input{{{stem}.tex}}" for stem in TABLES)
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\input{macros.tex}\n\\begin{document}\n"
        f"{uses}\n{tables}\n\\end{{document}}\n")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "doc.pdf").is_file()


def test_output_folder_that_cannot_be_created(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ValueError, match=r"cannot create the output folder") as info:
        run_reproduce(blocker / "out", quick=True, progress=False)
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match=r"seed must be an integer >= 0, got -1"):
        run_reproduce(tmp_path / "out", quick=True, seed=-1)


def test_missing_optional_parts_are_skipped_with_a_note(tmp_path, monkeypatch):
    run = Session(tmp_path, reproduce.QUICK, 0, False)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name.endswith(
        "realdata") else real_find_spec(name, *a))
    f7_realdata.make(run)
    assert run.figures["F7"]["skipped"].startswith("F7 skipped")

    real_import = importlib.import_module

    def no_inference(name, *args):
        if name.startswith("modelcollapse.inference"):
            raise ImportError("No module named 'pymc'")
        return real_import(name, *args)

    monkeypatch.setattr(importlib, "import_module", no_inference)
    f8_posterior.make(run)
    assert "F8 skipped" in run.figures["F8"]["skipped"] and "pymc" in run.notes[-1]
    assert run.files == []
