"""Tests for modelcollapse.validation.checks: the theory-versus-Monte-Carlo suite."""

from __future__ import annotations

import csv
import dataclasses
import json
import math

import numpy as np
import pytest

from modelcollapse.cli import _cmd_validate, build_parser
from modelcollapse.validation import checks
from modelcollapse.validation.checks import (
    KS_P_MIN,
    Z_TOL,
    Check,
    ValidationReport,
    median_check,
    proportion_check,
    run_validate,
    validate,
    variance_check,
)

CHECK_KEYS = {"name", "theory", "mc", "se", "z", "passed"}


@pytest.fixture(scope="module")
def quick_report() -> ValidationReport:
    return validate(quick=True, seed=0, progress=False)


def test_quick_run_passes(quick_report: ValidationReport) -> None:
    failed = "\n".join(f"{c.name}: theory {c.theory:.6g}, mc {c.mc:.6g}, z {c.z:.2f}"
                       for c in quick_report.failures)
    assert quick_report.passed, f"failed checks:\n{failed}"
    assert len(quick_report.checks) > 300
    assert quick_report.quick


def test_quick_run_covers_every_family_and_kind(quick_report: ValidationReport) -> None:
    names = [c.name for c in quick_report.checks]
    for family in ("gaussian-mean", "gaussian-variance", "gaussian/", "bernoulli", "poisson",
                   "exponential", "categorical", "mvgaussian"):
        assert any(n.startswith(family) for n in names), family
        assert any(n.startswith(f"exact-vs-brute {family}") for n in names), family
    for kind in (": mean ", ": variance ", ": median mu", ": E log sigma2", ": Var log det",
                 "P(fixation by T) p", "P(extinction by T) lam", "improvement P(T) d=1",
                 "improvement P(T) d=2", "accumulate", "bias(", ": KS p="):
        assert any(kind in n for n in names), kind
    dichotomy = [c for c in quick_report.checks if c.name.startswith("dichotomy")]
    assert len(dichotomy) == 2
    falling, level = dichotomy
    assert falling.mc < checks.FALLING_RATIO < checks.LEVEL_RATIO < level.mc < 1


def test_z_scores_look_standard_normal(quick_report: ValidationReport) -> None:
    # not a tolerance tuned to pass: with ~400 roughly independent N(0, 1) scores the mean is
    # within 0.25 and the sd within [0.8, 1.2] except with negligible probability
    zs = np.array([c.z for c in quick_report.checks if not c.name.split(": ")[-1]
                   .startswith("KS")])
    assert abs(zs.mean()) < 0.25
    assert 0.8 < zs.std() < 1.2


def test_json_shape(quick_report: ValidationReport, tmp_path) -> None:
    out = quick_report.to_dict()
    assert {"checks", "passed", "seconds", "quick"} <= set(out)
    assert out["passed"] is True and out["quick"] is True
    assert isinstance(out["seconds"], float)
    for row in out["checks"]:
        assert set(row) == CHECK_KEYS
        assert isinstance(row["name"], str) and isinstance(row["passed"], bool)
        for key in ("theory", "mc", "se", "z"):
            assert row[key] is None or isinstance(row[key], float)
    text = json.dumps(out, allow_nan=False)
    assert json.loads(text)["checks"][0]["name"] == quick_report.checks[0].name
    path = tmp_path / "report.json"
    quick_report.to_json(path)
    assert json.loads(path.read_text())["passed"] is True


def test_csv_and_table(quick_report: ValidationReport, tmp_path) -> None:
    path = tmp_path / "report.csv"
    quick_report.to_csv(path)
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(quick_report.checks)
    assert set(rows[0]) == CHECK_KEYS
    assert float(rows[0]["theory"]) == quick_report.checks[0].theory
    table = str(quick_report)
    assert "theory" in table.splitlines()[0] and "FAIL" not in table
    assert f"{len(quick_report.checks)} checks" in table.splitlines()[-1]


def _inflate(real, family: str):
    """A derive that returns mean_T * 1.1 for ``family`` (a deliberately wrong theory)."""

    def wrong(fam, **kwargs):
        d = real(fam, **kwargs)
        if d.family != family:
            return d
        values = dict(d.values)
        values["mean_T"] = 1.1 * values["mean_T"]
        return dataclasses.replace(d, values=values)

    return wrong


def test_wrong_theory_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "derive", _inflate(checks.derive, "gaussian-variance"))
    report = validate(quick=True, families=["gaussian-variance"], progress=False)
    means = [c for c in report.checks if ": mean sigma2" in c.name
             and not c.name.startswith("exact-vs-brute")]
    assert means and all(not c.passed and abs(c.z) > Z_TOL for c in means)
    assert not report.passed
    assert not report.to_dict()["passed"]
    # only the wrong quantity fails
    assert {c.name for c in report.failures} == {c.name for c in means}


def test_unknown_family_raises() -> None:
    with pytest.raises(ValueError, match="unknown family 'gaussian-varience'.*allowed"):
        validate(quick=True, families=["gaussian-varience"])
    with pytest.raises(ValueError, match="seed"):
        validate(quick=True, seed=-1)
    with pytest.raises(ValueError, match="at least one"):
        validate(quick=True, families=[])


def test_single_checks_detect_errors() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 2.0, 50_000)
    assert variance_check("v", 4.0, x).passed
    assert not variance_check("v", 4.4, x).passed
    assert median_check("m", 0.0, x).passed
    assert not median_check("m", 0.1, x).passed
    hits = rng.random(50_000) < 0.3
    assert proportion_check("p", 0.3, hits).passed
    assert not proportion_check("p", 0.32, hits).passed
    # tiny probabilities: exact binomial, not a normal approximation
    rare = np.zeros(100_000, dtype=bool)
    rare[:2] = True
    assert proportion_check("p", 1e-6, rare).passed  # P(>= 2 | mean 0.1) = 0.005
    assert not proportion_check("p", 0.0, rare).passed
    assert KS_P_MIN == pytest.approx(2 * 3.3976731247300535e-06)


def test_check_to_dict_non_finite() -> None:
    c = Check("x", 0.0, 1.0, 0.0, math.inf, False)
    assert c.to_dict() == {"name": "x", "theory": 0.0, "mc": 1.0, "se": 0.0, "z": None,
                           "passed": False}


def test_cli_pair(tmp_path, capsys) -> None:
    parser = build_parser()
    out_file = tmp_path / "v.csv"
    args = parser.parse_args(["validate", "--json", "--quick", "--family", "gaussian-mean",
                              "--out", str(out_file)])
    out = _cmd_validate(args)
    assert out["passed"] is True and out["files"] == [str(out_file)]
    assert all(set(row) == CHECK_KEYS for row in out["checks"])
    assert capsys.readouterr().out == ""  # --json: the caller prints the object
    bad = parser.parse_args(["validate", "--quick", "--family", "nope"])
    with pytest.raises(ValueError, match="unknown family 'nope'"):
        _cmd_validate(bad)


def test_run_validate_keywords(tmp_path, capsys) -> None:
    """The plain keyword API: extra checks of a higher layer are appended, ``echo`` prints."""
    extra = Check("extra: a check of a higher layer", 1.0, 1.0, 0.1, 0.0, True)
    out_file = tmp_path / "v.json"
    out = run_validate(quick=True, families=["gaussian-mean"], out=out_file,
                       extra_checks=lambda: [extra], progress=False, echo=True)
    assert out["checks"][-1] == extra.to_dict()
    assert out["n_checks"] == len(out["checks"]) and out["files"] == [str(out_file)]
    assert json.loads(out_file.read_text())["checks"][-1]["name"] == extra.name
    assert extra.name in capsys.readouterr().out
    with pytest.raises(ValueError, match=r"must end in \.csv or \.json, got 'v\.txt'"):
        run_validate(quick=True, families=["gaussian-mean"], out="v.txt")
    with pytest.raises(ValueError, match="folder of the output file does not exist"):
        run_validate(quick=True, families=["gaussian-mean"], out=tmp_path / "no" / "v.csv")


@pytest.mark.slow
def test_full_run_passes() -> None:
    report = validate(quick=False, seed=0, progress=False)
    failed = "\n".join(f"{c.name}: theory {c.theory:.6g}, mc {c.mc:.6g}, z {c.z:.2f}"
                       for c in report.failures)
    assert report.passed, f"failed checks:\n{failed}"
    assert report.seconds < 15 * 60
