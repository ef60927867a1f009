"""Hostile command lines, run in-process: each exits 2 with one line ``error: ...`` on stderr,
no traceback, nothing on stdout, and leaves the sandbox of user files as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hostile.files import CSV_FILES, TABLE_FILES, TOML_FILES
from tests.hostile.helpers import assert_refused

GV = ["derive", "gaussian-variance"]
SIM = ["simulate", "gaussian-variance", "--T", "3", "--reps", "10", "--quiet"]
IMP = ["improve"]

#: schedules the expression language must refuse
BAD_SCHEDULES = [
    "", " ", "x", "n0*x", "__import__('os').system('touch pwned')", "open('pwned', 'w')",
    "exec('1')", "eval('1')", "n0.__class__", "n0*t; import os", "lambda: 1", "[1, 2]", "'a'",
    "{1: 2}", "n0 if t else 1", "n0*t\n#\\input{/etc/passwd}", "n0*t # comment", "n0*t\\x",
    "ｎ0*ｔ", "n0\u2212t", "n0*t\u200b", "n0\u00b7t", "\u0661\u0660\u0660", "n0*t\x00",
    "n0*t\r", "t^2", "n0//t", "n0%t", "n0 @ t", "not t", "t < 2", "t == 2", "f'{t}'", "...",
    "(t + 1)**2000", "t**101", "n0*(t**50)**3", "exp(t**500)", "2**2**2**2**2",
    "gamma(10**6)", "1e999", "9" * 400, "1/0", "log(0)", "(" * 100 + "t" + ")" * 100,
    "-" * 60 + "t", "n0*" * 200 + "t", "sin(t)", "Abs(t)", "log(t, 2)", "min(t)",
    "100,abc", "100,-5", "100,", ",", "100,,200", "1e3,2e3", "100, 0x10",
]

CASES: list[list[str]] = [
    # the command itself
    [], ["nope"], ["--bogus"], ["families", "extra"], ["families", "--bogus"],
    # derive: family, horizon, sizes
    ["derive"], ["derive", "nope"], ["derive", ""], ["derive", "gaussian-variance", "extra"],
    [*GV, "--T", "-1"], [*GV, "--T", "abc"], [*GV, "--T", "1e3"], [*GV, "--T", "nan"],
    [*GV, "--T", ""], [*GV, "--T", "-inf"], [*GV, "--T", "10**6"],
    [*GV, "--n0", "0"], [*GV, "--n0", "-5"], [*GV, "--n0", "abc"], [*GV, "--n0", "1e3"],
    [*GV, "--n0", "1" + "0" * 10001],
    # look-alike digits, which int() and float() alone would read as numbers
    [*GV, "--n0", "\uff11\uff10"], [*GV, "--T", "\uff15"], [*GV, "--bias-kappa", "\uff10.5"],
    [*GV, "--param", "sigma2=\uff12"], [*SIM, "--reps", "\u0661\u0660"],
    [*GV, "--workflow", "mix", "--real-weight", "\uff10.5"],
    [*GV, "--schedule", "n0*t", "--s", "0"], [*GV, "--schedule", "n0*t**s", "--s", "-1"],
    [*GV, "--s", "nan"], [*GV, "--s", "abc"],
    [*GV, "--schedule", "n0*t**(10**6)", "--T", "inf"],
    # derive: estimator, workflow, parameters, bias, dimension, moment, output
    [*GV, "--estimator", "zzz"], [*GV, "--workflow", "zzz"], [*GV, "--param", "sigma2=-1"],
    [*GV, "--param", "sigma2=abc"], [*GV, "--param", "=1"], [*GV, "--param", "sigma2"],
    [*GV, "--param", "nope=1"], [*GV, "--param", "sigma2=nan"], [*GV, "--param", "sigma2=inf"],
    [*GV, "--param", "sigma2=1,2"], [*GV, "--bias-kappa", "-1"], [*GV, "--bias-exponent", "0"],
    [*GV, "--bias-kappa", "nan"], [*GV, "--bias-kappa", "1e6"],
    ["derive", "mvgaussian", "--dim", "0"], ["derive", "mvgaussian", "--dim", "-1"],
    ["derive", "mvgaussian", "--dim", "1000000"], ["derive", "mvgaussian", "--dim", "2.5"],
    ["derive", "categorical", "--dim", "10000"], ["derive", "categorical", "--dim", "1"],
    ["derive", "categorical", "--dim", "4", "--param", "p=0.5,0.5"],
    ["derive", "categorical", "--param", "p=0.5,0.6"], [*GV, "--dim", "3"],
    [*GV, "--moment", "abc"], [*GV, "--moment", "1e6"], [*GV, "--moment=-1e300"],
    [*GV, "--format", "latex"], [*GV, "--out", "x.tex"],
    [*GV, "--format", "pdf"], [*GV, "--format", "latex", "--out", "@in/missing/x.tex"],
    [*GV, "--format", "latex", "--out", "@in"], [*GV, "--format", "latex", "--out", ""],
    [*GV, "--format", "latex", "--out", "paper/frag.tex"],
    [*GV, "--workflow", "mix", "--real-weight", "abc"],
    [*GV, "--workflow", "mix", "--real-weight", "2"],
    [*GV, "--workflow", "mix", "--real-ratio", "-1"],
    [*GV, "--real-weight", "0.5"],
    # improve
    [*IMP, "--T", "-1"], [*IMP, "--T", "1000000000000"], [*IMP, "--reps", "0"],
    [*IMP, "--family", "poisson", "--reps", "-1"], [*IMP, "--reps", "abc"],
    [*IMP, "--family", "poisson", "--seed", "-1"], [*IMP, "--family", "nope"],
    [*IMP, "--family", "@in/missing.toml"], [*IMP, "--dim", "0"], [*IMP, "--schedule", "x"],
    [*IMP, "--family", "poisson", "--T", "inf"], [*IMP, "--n0", "0"],
    [*IMP, "--family", "poisson", "--T", "3", "--reps", "1000000000000"],
    # simulate
    [*SIM[:2], "--T", "inf"], [*SIM, "--reps", "0"], [*SIM, "--reps", "-5"],
    [*SIM, "--mode", "zzz"], [*SIM, "--threshold", "2"], [*SIM, "--threshold", "0"],
    [*SIM, "--backend", "zzz"], [*SIM, "--workers", "0"], [*SIM, "--out", "x.txt"],
    [*SIM, "--out", "@in/missing/x.nc"], [*SIM, "--out", "results.nc"],
    [*SIM, "--out", "@in"], [*SIM, "--seed", "-1"], [*SIM[:2], "--T", "1000000000000"],
    [*SIM[:2], "--T", "1000", "--reps", "1000000000000"], [*SIM, "--schedule", "1"],
    [*SIM, "--workflow", "accumulate", "--mode", "exact"],
    ["simulate", "nope", "--T", "3"], ["simulate", "mvgaussian", "--dim", "1000000"],
    # infer (arguments; the data files are below)
    ["infer"], ["infer", "@in/missing.csv"], ["infer", "@in"], ["infer", "@fifo"],
    ["infer", "/dev/zero"], ["infer", "data.csv", "--draws", "1000000000"],
    ["infer", "data.csv", "--draws", "0"], ["infer", "data.csv", "--chains", "0"],
    ["infer", "data.csv", "--horizon", "0"], ["infer", "data.csv", "--epsilon", "2"],
    ["infer", "data.csv", "--out", "x.txt"], ["infer", "data.csv", "--family", "nope"],
    ["infer", "data.csv", "--future-schedule", "__import__('os')"],
    ["infer", "data.csv", "--sampler", "zzz"], ["infer", "data.csv", "--out", "results.nc"],
    # reproduce
    ["reproduce"], ["reproduce", "--out", "@in/out", "--data", "@in/missing.csv",
                    "--target", "y"],
    ["reproduce", "--out", "@in/out", "--data", "data.csv"],
    ["reproduce", "--out", "@in/out", "--target", "y"],
    ["reproduce", "--out", "@in/out", "--seed", "-1"], ["reproduce", "--out", "notes.txt"],
    ["reproduce", "--out", "paper"],
    ["reproduce", "--out", "@in/out", "--data", "@in", "--target", "y"],
    ["reproduce", "--out", "@in/out", "--data", "@fifo", "--target", "y"],
    # validate
    ["validate", "--family", "nope"], ["validate", "--seed", "-1"],
    ["validate", "--out", "x.txt"], ["validate", "--out", "@in/missing/x.csv"],
    ["validate", "--out", "data.csv", "--family", "gaussian-mean", "--quick"],
]
CASES += [[*GV, "--schedule", text] for text in BAD_SCHEDULES]
CASES += [["derive", f"@toml:{name}"] for name in TOML_FILES]
CASES += [["derive", "@in/folder.toml"], ["derive", "@fifo.toml"], ["derive", "/dev/zero"],
          ["derive", "@in/missing.toml"], ["improve", "--family", "@fifo.toml"],
          ["simulate", "@fifo.toml", "--T", "2"], ["infer", "data.csv", "--family", "@fifo.toml"]]
CASES += [["infer", f"@csv:{name}"] for name in CSV_FILES]
CASES += [["reproduce", "--quick", "--out", "@in/out", "--data", f"@table:{name}", "--target",
           "y"] for name in TABLE_FILES]
CASES += [["published", "nope"], ["published", "shumailov2024", "--T", "-1"],
          ["published", "shumailov2024", "--schedule", "__import__('os')"],
          ["published", "bertrand2024", "--n0", "0"], ["published", "--bogus"],
          ["published", "shumailov2024", "--param", "nope=1"],
          ["published", "seddik2024", "--param", "p=abc"],
          ["published", "shumailov2024", "--schedule", "max(n0, t),5"]]


def _resolve(argv: list[str], inputs: Path) -> list[str]:
    out = []
    for arg in argv:
        if arg.startswith(("@toml:", "@csv:", "@table:")):
            kind, name = arg[1:].split(":")
            path = inputs / f"{name}.{kind}"
            path.write_bytes({"toml": TOML_FILES, "csv": CSV_FILES, "table": TABLE_FILES}[kind][
                name])
            arg = str(path)
        elif arg in ("@fifo", "@fifo.toml"):
            path = inputs / ("fifo.csv" if arg == "@fifo" else "fifo.toml")
            if not path.exists():
                os.mkfifo(path)
            arg = str(path)
        elif arg == "@in/folder.toml":
            (inputs / "folder.toml").mkdir(exist_ok=True)
            arg = str(inputs / "folder.toml")
        elif arg.startswith("@in"):
            arg = str(inputs) + arg[3:]
        out.append(arg)
    return out


def _id(argv: list[str]) -> str:
    text = " ".join(argv) or "(nothing)"
    return ascii(text if len(text) <= 60 else text[:57] + "...")


@pytest.mark.parametrize("argv", CASES, ids=[_id(a) for a in CASES])
def test_refused(argv, cli, sandbox, inputs):
    code, out, err = cli(_resolve(argv, inputs))
    assert_refused(code, out, err)
    assert not (sandbox / "pwned").exists()


def test_at_least_150_cases():
    assert len(CASES) >= 150
