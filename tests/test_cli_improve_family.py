"""``modelcollapse improve --family FAMILY`` (DESIGN: ``probability``, ``method``, ``se``)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from modelcollapse.validation.improvement import family_improvement_probability


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "modelcollapse", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def run_json(*args: str) -> dict:
    proc = run(*args, "--json")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout
    return json.loads(lines[0])


def test_default_family_is_the_gaussian_mean_closed_form() -> None:
    out = run_json("improve", "--n0", "100", "--schedule", "n0*t", "--T", "10")
    assert out["method"] == "closed-form" and out["se"] == 0
    assert out["family"] == "gaussian-mean"
    assert round(out["probability"], 4) == 0.2747  # SPEC section 4 table
    assert out["r"] == math.sqrt(out["n0"] * out["inverse_sum"])
    assert run_json("improve", "--family", "gaussian-mean", "--n0", "100", "--schedule", "n0*t",
                    "--T", "10") == out


def test_variance_walk_is_numeric() -> None:
    out = run_json("improve", "--family", "gaussian-variance", "--n0", "10", "--T", "10")
    assert out["method"] == "numeric" and out["se"] == 0
    same = family_improvement_probability("gaussian-variance", n0=10, T=10)
    assert out["probability"] == same.probability  # the CLI is the Python call
    assert 0.16 < out["probability"] < 0.17


def test_poisson_is_monte_carlo_with_its_standard_error() -> None:
    out = run_json("improve", "--family", "poisson", "--param", "lam=2", "--n0", "20", "--T",
                   "5", "--reps", "20000", "--seed", "3")
    assert out["method"] == "monte-carlo" and (out["reps"], out["seed"]) == (20000, 3)
    p = out["probability"]
    assert out["se"] == math.sqrt(p * (1 - p) / 20000)
    same = family_improvement_probability("poisson", n0=20, T=5, params={"lam": 2.0},
                                          reps=20000, seed=3)
    assert p == same.probability


def test_param_and_family_file(tmp_path: Path) -> None:
    out = run_json("improve", "--family", "bernoulli", "--param", "p=0.3", "--n0", "50",
                   "--T", "5", "--reps", "5000")
    assert out["method"] == "monte-carlo" and 0 < out["probability"] < 0.5
    path = tmp_path / "loc.toml"
    path.write_text('name = "my-location"\nparameter = "theta"\ndomain = "real"\n'
                    'kind = "location"\nlaw = "theta + Normal(0, 4/n)"\n')
    out = run_json("improve", "--family", str(path), "--n0", "100", "--T", "1")
    assert out["method"] == "closed-form" and round(out["probability"], 4) == 0.3524
    assert out["family"] == "my-location"


def test_bad_input_exits_2_with_one_line() -> None:
    for args, word in ((("--family", "nope"), "nope"),
                       (("--family", "poisson", "--T", "inf"), "finite T"),
                       (("--family", "poisson", "--param", "rate=2"), "rate")):
        proc = run("improve", *args)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert proc.stderr.startswith("error:") and word in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
