"""The command line through a real subprocess: JSON contract, exit codes, one-line errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import mpmath
import pytest

CONTRACT_DERIVE = {"mean_T", "variance_T", "log_mean_T", "log_variance_T",
                   "collapse_probability_T", "collapses", "required_growth_exponent", "latex"}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "modelcollapse", *args],
                          capture_output=True, text=True, timeout=120)


def run_json(*args: str) -> dict:
    proc = run(*args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_families_lists_every_family_with_contract_keys() -> None:
    out = run_json("families")
    names = [f["name"] for f in out["families"]]
    assert names == ["gaussian-mean", "gaussian-variance", "gaussian", "bernoulli", "poisson",
                     "exponential", "categorical", "mvgaussian", "linear-regression"]
    for fam in out["families"]:
        assert {"name", "parameters", "estimators", "step_law"} <= set(fam)


def test_derive_issue_example_prints_spec_values() -> None:
    out = run_json("derive", "gaussian-variance", "--estimator", "unbiased", "--n0", "10",
                   "--schedule", "n0*t", "--T", "1000")
    assert CONTRACT_DERIVE <= set(out)
    sizes = [10] + [10 * t for t in range(1, 1001)]
    with mpmath.workdps(30):
        var = mpmath.fprod((n + 1) / mpmath.mpf(n - 1) for n in sizes) - 1
        log_mean = mpmath.fsum(mpmath.digamma(mpmath.mpf(n - 1) / 2) + mpmath.log(
            mpmath.mpf(2) / (n - 1)) for n in sizes)
    assert out["mean_T"] == pytest.approx(1.0, rel=1e-12)  # the positive martingale
    assert out["variance_T"] == pytest.approx(float(var), rel=1e-10)
    assert out["log_mean_T"] == pytest.approx(float(log_mean), rel=1e-10)
    assert out["collapses"] is True and out["required_growth_exponent"] == 1.0
    assert out["collapse_probability_T"] is None
    assert "\\prod" in out["latex"]["variance_T"]


def test_improve_issue_example_prints_the_reference_value() -> None:
    out = run_json("improve", "--n0", "100", "--schedule", "n0*t**2", "--T", "100")
    assert round(out["probability"], 4) == 0.3189  # SPEC section 4 table, g = t^2, T = 100


def test_improve_limit_and_dimension() -> None:
    out = run_json("improve", "--n0", "1", "--schedule", "n0*t**2", "--T", "inf")
    assert out["probability"] == pytest.approx(math.atan(2 / math.sqrt(1 + math.pi**2 / 6 - 1))
                                               / math.pi, rel=1e-8)
    assert run_json("improve", "--n0", "100", "--T", "1", "--dim", "2")["probability"] == \
        pytest.approx(0.276, abs=5e-4)


def test_derive_limit_has_nulls_where_limits_do_not_exist() -> None:
    out = run_json("derive", "gaussian-variance", "--T", "inf")
    assert out["mean_T"] == pytest.approx(1.0) and out["variance_T"] is None
    assert out["log_mean_T"] is None and out["collapses"] is True


def test_text_output_is_readable() -> None:
    proc = run("derive", "bernoulli", "--T", "3", "--n0", "4")
    assert proc.returncode == 0
    assert "collapse_probability_T" in proc.stdout and "step law of p" in proc.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["derive", "nosuch"], "unknown family 'nosuch'"),
        (["derive", "bernoulli", "--param", "p=2"], "must be a number in [0, 1], got 2.0"),
        (["derive", "bernoulli", "--param", "p"], "--param takes NAME=VALUE, got 'p'"),
        (["derive", "bernoulli", "--param", "q=0.1"], "unknown parameter 'q' for bernoulli"),
        (["derive", "bernoulli", "--T", "-1"], "--T must be an integer >= 0 or 'inf'"),
        (["derive", "bernoulli", "--T", "x"], "--T must be an integer >= 0 or 'inf', got 'x'"),
        (["derive", "gaussian-variance", "--schedule", "1"],
         "n_t must be an integer >= 2 for gaussian-variance, got 1 at t=1"),
        (["derive", "bernoulli", "--schedule", "__import__('os').system('true')"],
         "is not allowed in schedule"),
        (["derive", "bernoulli", "--estimator", "bayes"], "unknown estimator 'bayes'"),
        (["derive", "gaussian-variance", "--bias-kappa", "-1"], "bias kappa must be"),
        (["derive", "bernoulli", "--bias-kappa", "1"], "bias is defined for location, scale"),
        (["derive", "gaussian-variance", "--workflow", "accumulate", "--bias-kappa", "1"],
         "bias is not supported"),
        (["derive", "bernoulli", "--n0", "abc"], "invalid int value: 'abc'"),
        (["derive", "bernoulli", "--format", "latex"], "--format latex needs --out"),
        (["improve", "--dim", "0"], "dim"),
        (["nosuch"], "invalid choice: 'nosuch'"),
        ([], "the following arguments are required: command"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], needle: str) -> None:
    proc = run(*args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert needle in lines[0]


def test_validate_quick_for_one_family_follows_the_contract() -> None:
    out = run_json("validate", "--quick", "--family", "poisson")
    assert out["passed"] is True and out["checks"]
    assert {"name", "theory", "mc", "se", "z", "passed"} <= set(out["checks"][0])


def test_simulate_contract_keys() -> None:
    out = run_json("simulate", "bernoulli", "--T", "5", "--reps", "2000", "--n0", "5")
    assert {"mean", "variance", "median", "q05", "q95", "collapsed_fraction", "reps", "seed",
            "seconds"} <= set(out)
    assert out["reps"] == 2000 and out["seed"] == 0


def test_derive_does_not_import_pymc() -> None:
    code = ("import sys; from modelcollapse.cli import main; main(['derive', 'poisson', '--T', "
            "'5', '--json']); assert 'pymc' not in sys.modules and 'pytensor' not in sys.modules")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_derive_moment_of_real_order():
    """--moment R adds moment_T; E sigma_T = alpha(n)^(T+1) for the variance walk (r = 1/2)."""
    import mpmath

    n, T = 10, 9
    out = run_json("derive", "gaussian-variance", "--n0", str(n), "--T", str(T),
                   "--moment", "0.5", "--json")
    alpha = mpmath.sqrt(mpmath.mpf(2) / (n - 1)) * mpmath.gamma(mpmath.mpf(n) / 2) \
        / mpmath.gamma(mpmath.mpf(n - 1) / 2)
    assert abs(out["moment_T"] / float(alpha ** (T + 1)) - 1) < 1e-10
    assert r"\Gamma" in out["latex"]["moment_T"]
    bad = run("derive", "gaussian-variance", "--moment", "nan")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: moment must be a finite number, got nan"


def test_explicit_sizes_on_the_command_line():
    """Shumailov et al. (2024): Var mu_T = sigma^2 sum_i 1/M_i over the fits, explicit sizes."""
    out = run_json("derive", "gaussian-mean", "--schedule", "100,200,400", "--T", "2",
                   "--param", "sigma2=2", "--json")
    assert abs(out["variance_T"] - 2 * (1 / 100 + 1 / 200 + 1 / 400)) < 1e-15
    assert out["schedule"] == "100,200,400"
    big = str(2**70)  # exact integers beyond 2**53: 1/n_t is tiny but exact in the sum
    out = run_json("derive", "gaussian-mean", "--schedule", f"100,{big}", "--T", "1", "--json")
    assert abs(out["variance_T"] - (1 / 100 + 1 / 2**70)) < 1e-18
    bad = run("derive", "gaussian-mean", "--schedule", "100,2e3")
    assert bad.returncode == 2
    assert bad.stderr.strip() == ("error: --schedule with commas outside parentheses takes "
                                  "explicit sizes n_0,n_1,... (integers >= 1), got '100,2e3'")
    beyond = run("derive", "gaussian-mean", "--schedule", "100,200", "--T", "5")
    assert beyond.returncode == 2 and "allowed: T <= 1" in beyond.stderr


def test_min_and_max_schedules_on_the_command_line_are_expressions():
    """Commas inside parentheses separate a function's arguments, not sizes."""
    out = run_json("derive", "gaussian-mean", "--schedule", "max(n0, 2*n0*t)", "--n0", "10",
                   "--T", "3", "--json")
    sizes = [10, 20, 40, 60]  # max(10, 20 t) for t = 0..3
    assert abs(out["variance_T"] - sum(1 / n for n in sizes)) < 1e-15
    out = run_json("derive", "gaussian-mean", "--schedule", "min(n0*t+1,50)", "--n0", "30",
                   "--T", "2", "--json")
    # generation 0 is the real data, n_0 = n0 = 30; then min(31, 50), min(61, 50)
    assert abs(out["variance_T"] - (1 / 30 + 1 / 31 + 1 / 50)) < 1e-15
