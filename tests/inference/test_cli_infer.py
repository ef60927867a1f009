"""``modelcollapse infer`` through a real subprocess: the JSON contract and bad CSVs."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import arviz as az
import pytest

from modelcollapse.families import Bias
from modelcollapse.inference import BiasPosterior, Priors, from_simulation
from modelcollapse.schedules import Schedule
from modelcollapse.validation import simulate

SUMMARY_KEYS = {"mean", "sd", "hdi_low", "hdi_high"}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "modelcollapse", "infer", *args],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory) -> str:
    ds = simulate("gaussian-variance", schedule=Schedule("n0*t**1.2", n0=20), T=15, reps=8,
                  seed=11, bias=Bias(2.0, 0.5), trajectories=True, progress=False)
    cols = from_simulation(ds).to_dict()
    path = tmp_path_factory.mktemp("infer") / "pipeline.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["trajectory", "t", "n", "estimate"])
        writer.writerows(zip(cols["trajectory"], cols["t"], cols["n"], cols["estimate"],
                             strict=True))
    return str(path)


def test_infer_json_contract(data_csv: str) -> None:
    proc = run(data_csv, "--json", "--draws", "200", "--tune", "200", "--chains", "2",
               "--sampler", "pymc", "--horizon", "50", "--future-schedule", "n0",
               "--future-schedule", "n0*t**3")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for key in ("kappa", "alpha", "required_growth_exponent"):
        assert SUMMARY_KEYS <= set(out[key])
        assert out[key]["hdi_low"] <= out[key]["mean"] <= out[key]["hdi_high"]
    assert set(out["collapse_probability"]) == {"n0", "n0*t**3"}
    # constant sizes under an estimated bias collapse far more often than cubic growth
    assert (out["collapse_probability"]["n0"]["collapse_probability"]
            >= out["collapse_probability"]["n0*t**3"]["collapse_probability"])
    assert out["collapse_probability"]["n0*t**3"]["safety_probability"] >= \
        out["collapse_probability"]["n0"]["safety_probability"]
    assert isinstance(out["divergences"], int) and out["rhat_max"] > 0
    assert out["transitions"] == 8 * 15
    for line in proc.stderr.splitlines():  # warnings, if any, are one readable line each
        assert line.startswith("warning: ")


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("t,n,estimate\n0,20,1.0\n", "has a single row"),
        ("t,n,estimate\n0,20,1.0\n1,20,abc\n", "row 2, column 'estimate': 'abc' is not a number"),
        ("t,n\n0,20\n1,20\n", "estimate"),
        ("t,n,estimate\n0,20,1.0\n1,1,0.5\n", "column 'n'"),
        ("t,n,estimate\n0,20,1.0\n1,20,-0.5\n", "column 'estimate'"),
    ],
)
def test_bad_csv_exits_2_with_one_line(tmp_path, content: str, needle: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    proc = run(str(path))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], proc.stderr


def test_bad_options_exit_2(data_csv: str) -> None:
    for args, needle in ((["--horizon", "0"], "--horizon"), (["--epsilon", "2"], "--epsilon"),
                         (["--out", "x.txt"], "--out must end in .nc")):
        proc = run(data_csv, *args)
        assert proc.returncode == 2 and needle in proc.stderr


GAMMA_FILE = '''name = "gamma-scale"
parameter = "theta"
domain = "positive"
kind = "scale"
law = "theta * Gamma(n*k, 1)/(n*k)"

[constants]
k = 2.5
'''
MOMENTS_FILE = '''name = "moments-only"
parameter = "theta"
domain = "positive"
kind = "scale"
mean = "theta"
variance = "theta**2/(2.5*n)"
'''


@pytest.fixture(scope="module")
def user_family(tmp_path_factory) -> tuple[str, str]:
    """A family file with an exact ScaledGamma law and a CSV simulated from it."""
    folder = tmp_path_factory.mktemp("user")
    family = folder / "gamma.toml"
    family.write_text(GAMMA_FILE)
    ds = simulate(str(family), schedule=Schedule("n0*t**1.2", n0=20), T=12, reps=6, seed=5,
                  bias=Bias(2.0, 0.5), trajectories=True, progress=False)
    cols = from_simulation(ds, family=str(family)).to_dict()
    path = folder / "pipeline.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["trajectory", "t", "n", "estimate"])
        writer.writerows(zip(cols["trajectory"], cols["t"], cols["n"], cols["estimate"],
                             strict=True))
    return str(family), str(path)


def test_infer_with_a_family_file(user_family, tmp_path) -> None:
    family, data = user_family
    nc = tmp_path / "post.nc"
    proc = run(data, "--family", family, "--json", "--draws", "200", "--tune", "300",
               "--chains", "2", "--sampler", "pymc", "--horizon", "30",
               "--future-schedule", "n0", "--future-schedule", "n0*t**3", "--out", str(nc))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    # the file: InferenceData that ArviZ reads and az.loo accepts, reloaded as the library's
    # object with the family file's text, the priors and the data
    idata = az.from_netcdf(nc)
    assert {"posterior", "observed_data", "log_likelihood"} <= set(idata.groups())
    assert idata.log_likelihood["ratio"].dims == ("chain", "draw", "transition")
    assert az.loo(idata)["n_data_points"] == 6 * 12
    back = BiasPosterior.from_netcdf(nc)
    assert back.family == "gamma-scale" and back.family_file == GAMMA_FILE
    assert back.data.n_transitions == 6 * 12 and back.priors == Priors()
    assert back.stats("kappa")["mean"] == pytest.approx(out["kappa"]["mean"])
    assert out["family"] == "gamma-scale" and out["likelihood"] == "gamma"
    assert out["likelihood_exact"] is True and out["transitions"] == 6 * 12
    assert out["kappa"]["hdi_low"] <= out["kappa"]["mean"] <= out["kappa"]["hdi_high"]
    rows = out["collapse_probability"]
    assert set(rows) == {"n0", "n0*t**3"}
    assert rows["n0"]["collapse_probability"] >= rows["n0*t**3"]["collapse_probability"]


def test_infer_with_a_moment_map_family_file(user_family, tmp_path) -> None:
    """No exact law: the normal approximation, said so, and no collapse probabilities (they
    need a multiplicative law), with the reason."""
    _, data = user_family
    family = tmp_path / "moments.toml"
    family.write_text(MOMENTS_FILE)
    proc = run(data, "--family", str(family), "--json", "--draws", "100", "--tune", "100",
               "--chains", "1", "--sampler", "pymc", "--horizon", "10")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["family"] == "moments-only" and out["likelihood_exact"] is False
    assert out["collapse_probability"] is None
    assert out["collapse_probability_note"].startswith(
        "family 'moments-only' is not supported by the collapse answers: it declares no exact")


FUTURE_CHECK = """
import sys
from modelcollapse.cli import main
status = main(sys.argv[1:])
print(status, "pymc" in sys.modules)
"""


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--future-schedule", "n0*t**-1", "--n0", "20"],
         "--future-schedule 'n0*t**-1': Schedule('n0*t**-1', n0=20) has a sample size n_t < 2"),
        (["--future-schedule", "n0", "--future-schedule", "n0*t**("],
         "--future-schedule 'n0*t**(': invalid syntax"),
        (["--future-schedule", "n0*log(t-1)"], "--future-schedule 'n0*log(t-1)': n_t = ceil"),
        (["--n0", "0"], "--n0 must be an integer >= 1, got 0"),
        (["--seed", "-1"], "--seed must be an integer >= 0, got -1"),
    ],
)
def test_options_are_checked_before_sampling(tmp_path, args: list[str], needle: str) -> None:
    path = tmp_path / "walk.csv"
    path.write_text("t,n,estimate\n0,20,1.0\n1,20,0.9\n2,20,1.1\n3,20,0.8\n")
    proc = subprocess.run([sys.executable, "-c", FUTURE_CHECK, "infer", str(path), *args],
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.split() == ["2", "False"], proc.stdout + proc.stderr  # PyMC not loaded
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], lines


def test_future_schedule_boundary_of_the_smallest_size() -> None:
    from modelcollapse.cli import UsageError, _future_schedules

    # n_t = ceil(20/t): 2 up to t = 19, then 1 at t = 20, below the variance's smallest n = 2
    assert list(_future_schedules(["n0*t**-1"], 20, 19, "gaussian-variance", 0.01,
                                  check=True)) == ["n0*t**-1"]
    with pytest.raises(UsageError, match="n_t < 2 within the horizon"):
        _future_schedules(["n0*t**-1"], 20, 20, "gaussian-variance", 0.01, check=True)
