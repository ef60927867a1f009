"""The real command with a user family file as FAMILY (``python -m modelcollapse ...``).

DESIGN: FAMILY (for ``derive``, ``simulate``, ``validate --family``) is a built-in name or the
path of a family file; ``--json`` prints exactly one JSON object; bad input exits 2 with one
``error: ...`` line on stderr and no traceback. Expected numbers come from the independent
mpmath oracle of ``tests/families/test_user_families.py``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from tests.families.test_user_families import BY_NAME, exact_moments, iterate_contracting, sizes

DATA = Path(__file__).parent / "families" / "data"
REL = 1e-9


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "modelcollapse", *map(str, args)],
                          capture_output=True, text=True, timeout=120, cwd=cwd)


def run_json(*args: str, cwd: Path | None = None) -> dict:
    proc = run(*args, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout  # exactly one JSON object
    return json.loads(lines[0])


# family file -> (collapses under n_t = 10 t, p*)
VERDICTS = {
    "uniform-max": (False, 0.5),  # variance ~ n^-2: only sum n_t^-2 must converge
    "uniform-max-raw": (True, 1.0),  # bias ~ 1/n
    "laplace-scale-density": (True, 1.0),
    "biased-chisq": (True, 2.0),  # bias ~ n^-1/2
    "contracting": (False, 0.0),  # m = theta/2 + 1/2 contracts
}
#: one subprocess costs about a second: the default run keeps three files, CI runs all
SLOW_FILES = {"uniform-max-raw", "laplace-scale-density"}


@pytest.mark.parametrize(("name", "expected"), [
    pytest.param(name, expected, id=name,
                 marks=[pytest.mark.slow] if name in SLOW_FILES else [])
    for name, expected in VERDICTS.items()])
def test_derive_file_gives_verdict_and_growth_exponent(name, expected, tmp_path):
    out = run_json("derive", DATA / f"{name}.toml", "--json", "--schedule", "n0*t", "--n0",
                   "10", "--T", "50", cwd=tmp_path)
    assert (out["collapses"], out["required_growth_exponent"]) == expected
    assert out["family"] == name and out["T"] == 50 and out["n0"] == 10
    ns = sizes("n0*t", 10, 50)
    if name in BY_NAME:
        for key, value in exact_moments(BY_NAME[name], 1.0, ns).items():
            assert math.isclose(out[key], value, rel_tol=REL), key
    else:
        m, v = iterate_contracting(3.0, ns)  # default = 3.0 in the file
        assert math.isclose(out["mean_T"], float(m), rel_tol=REL)
        assert math.isclose(out["variance_T"], float(v), rel_tol=REL)
        assert out["log_mean_T"] is None and out["log_variance_T"] is None
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_derive_file_with_param_and_constants():
    theta = 2.5
    out = run_json("derive", DATA / "gamma-scale.toml", "--json", "--schedule", "n0*t**1.5",
                   "--n0", "20", "--T", "30", "--param", f"theta={theta}")
    assert (out["collapses"], out["required_growth_exponent"]) == (False, 1.0)
    for key, value in exact_moments(BY_NAME["gamma-scale"], theta,
                                    sizes("n0*t**1.5", 20, 30)).items():
        assert math.isclose(out[key], value, rel_tol=REL), key


def test_simulate_file_follows_the_contract():
    out = run_json("simulate", DATA / "uniform-max.toml", "--json", "--reps", "2000",
                   "--quiet")
    for key in ("mean", "variance", "median", "q05", "q95", "collapsed_fraction", "reps",
                "seed", "seconds"):
        assert key in out, key
    assert out["reps"] == 2000 and out["mode"] == "exact" and out["family"] == "uniform-max"
    # defaults n0 = 100, constant schedule, T = 100: E theta_T = 1 exactly
    variance = exact_moments(BY_NAME["uniform-max"], 1.0, sizes("n0", 100, 100))["variance_T"]
    assert abs(out["mean"] - 1.0) < 5 * math.sqrt(variance / 2000)
    assert out["q05"] < out["median"] < out["q95"]


def test_simulate_file_without_law_uses_the_normal_approximation_by_default():
    out = run_json("simulate", DATA / "contracting.toml", "--json", "--reps", "2000",
                   "--quiet", "--n0", "10", "--T", "10")
    assert out["mode"] == "normal"


@pytest.mark.slow
def test_simulate_file_without_law_in_normal_mode():
    out = run_json("simulate", DATA / "contracting.toml", "--json", "--reps", "2000",
                   "--quiet", "--n0", "10", "--T", "10", "--mode", "normal")
    assert out["mode"] == "normal"
    m, v = iterate_contracting(3.0, sizes("n0", 10, 10))
    assert abs(out["mean"] - float(m)) < 5 * math.sqrt(float(v) / 2000)


def test_validate_quick_on_a_file_passes():
    out = run_json("validate", "--family", DATA / "biased-chisq.toml", "--quick", "--json")
    assert out["passed"] is True and out["checks"]
    assert all(c["passed"] for c in out["checks"])
    assert all(c["name"].startswith("biased-chisq/") for c in out["checks"])
    for check in out["checks"]:
        assert set(check) >= {"name", "theory", "mc", "se", "z", "passed"}


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    unknown = tmp_path / "unknown-key.toml"
    unknown.write_text((DATA / "uniform-max.toml").read_text() + 'colour = "red"\n')
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    code = tmp_path / "code.toml"
    code.write_text((DATA / "uniform-max.toml").read_text().replace(
        'mean = "theta"', "mean = \"__import__('os').system('touch PWNED')\""))
    return {"unknown-key": unknown, "folder": folder, "code": code,
            "missing": tmp_path / "missing.toml"}


@pytest.mark.parametrize(("command", "which"), [
    (["derive", "{path}", "--json"], "unknown-key"),
    (["simulate", "{path}", "--json", "--reps", "10"], "missing"),
    (["derive", "{path}", "--json"], "folder"),
    # validate imports the whole Monte Carlo stack before it reads the file: 3 s
    pytest.param(["validate", "--family", "{path}", "--quick", "--json"], "folder",
                 marks=pytest.mark.slow),
    pytest.param(["derive", "{path}"], "code", marks=pytest.mark.slow),
])
def test_bad_file_exits_2_with_one_error_line(command, which, tmp_path):
    path = _bad_files(tmp_path)[which]
    proc = run(*[a.format(path=path) for a in command], cwd=tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert str(path) in lines[0]
    assert not (tmp_path / "PWNED").exists()
