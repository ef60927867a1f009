"""What ``modelcollapse improve`` reports: the method used, the schedule, the dimension."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from scipy import integrate, stats

from modelcollapse.cli import main
from modelcollapse.validation.improvement import family_improvement_probability


def run_text(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["improve", *args]) == 0
    return capsys.readouterr().out


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["improve", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def improvement_chi2(n: int) -> float:
    """P(|s1 - 1| < |s0 - 1|) for s0 = Y/(n-1), s1 = s0 X/(n-1), X, Y ~ chi2(n-1): one step of
    the unbiased variance at size n, by scipy quadrature (independent of the package)."""
    law = stats.chi2(n - 1)

    def inner(y: float) -> float:
        s0 = y / (n - 1)
        d = abs(s0 - 1)
        return law.pdf(y) * (law.cdf((1 + d) * (n - 1) / s0)
                             - law.cdf(max(0.0, (1 - d) * (n - 1) / s0)))

    return integrate.quad(inner, 0, np.inf, limit=200)[0]


def test_text_names_the_numeric_method(capsys: pytest.CaptureFixture[str]) -> None:
    text = run_text(capsys, "--family", "gaussian-variance", "--n0", "10", "--T", "1")
    assert "numeric" in text and "Monte Carlo" not in text and "None" not in text
    assert float(re.search(r"P\(T\) = (\S+)", text)[1]) == pytest.approx(
        improvement_chi2(10), rel=1e-5)
    out = run_json(capsys, "--family", "gaussian-variance", "--n0", "10", "--T", "1")
    assert out["method"] == "numeric"


def test_text_names_closed_form_and_monte_carlo(capsys: pytest.CaptureFixture[str]) -> None:
    assert "(closed form;" in run_text(capsys, "--n0", "100", "--T", "1")
    text = run_text(capsys, "--family", "poisson", "--T", "2", "--reps", "2000", "--seed", "3")
    assert "Monte Carlo +/- " in text and "2000 walks, seed 3" in text


def test_explicit_sizes_are_reported_as_given(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "--schedule", "100, 200,400", "--T", "2")
    assert out["schedule"] == "100,200,400" and out["n0"] == 100
    assert out["inverse_sum"] == pytest.approx(1 / 200 + 1 / 400, rel=1e-12)
    derived = main(["derive", "gaussian-mean", "--schedule", "100, 200,400", "--T", "2",
                    "--json"])
    assert derived == 0 and json.loads(capsys.readouterr().out)["schedule"] == out["schedule"]
    assert "schedule 100,200,400," in run_text(capsys, "--schedule", "100,200,400", "--T", "2")


def test_scalar_family_refuses_a_dimension(capsys: pytest.CaptureFixture[str]) -> None:
    # the numeric route answered for dim = 1 while the report said dim = 3
    for family in ("gaussian-variance", "poisson"):
        assert main(["improve", "--family", family, "--dim", "3", "--T", "2"]) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and err[0].startswith("error: dim = 3 needs a vector family")
        assert f"{family} is scalar: allowed dim = 1" in err[0]
    with pytest.raises(ValueError, match="allowed dim = 1"):
        family_improvement_probability("gaussian-variance", n0=10, T=1, dim=3)
    assert run_json(capsys, "--family", "gaussian-variance", "--dim", "1", "--T", "1",
                    "--n0", "10")["probability"] == pytest.approx(improvement_chi2(10), rel=1e-5)


def test_reported_dimension_is_the_one_used(capsys: pytest.CaptureFixture[str]) -> None:
    # closed form, T = 1, n_1 = n_0: improvement is ||Z0 + Z1|| < ||Z0||, i.e. Z0.Z1/||Z1|| <
    # -||Z1||/2, so P = E[Phi(-R/2)] with R ~ chi(dim): one scipy quadrature
    law = stats.chi(3)
    exact = integrate.quad(lambda r: law.pdf(r) * stats.norm.cdf(-r / 2), 0, np.inf)[0]
    out = run_json(capsys, "--dim", "3", "--T", "1")
    assert out["probability"] == pytest.approx(exact, rel=1e-8)
    assert out["dim"] == 3 and out["method"] == "closed-form"
    out = run_json(capsys, "--family", "mvgaussian", "--T", "1", "--reps", "200")
    assert out["dim"] == 2  # the family's default, as simulate uses it (was reported as 1)
    out = run_json(capsys, "--family", "categorical", "--param", "p=0.2,0.3,0.5", "--T", "1",
                   "--reps", "200")
    assert out["dim"] == 3


def test_dimension_help_says_each_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["improve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "isotropic Gaussian mean (closed form, default 1)" in text
