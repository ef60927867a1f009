"""Packaging: the lean core works without the optional extras, a missing extra is one line,
and the distribution carries its version, license, citation and typing marker.

The lean-core test runs in a fresh interpreter in which PyMC, PyTensor, ArviZ, scikit-learn and
Dask are blocked the way Python marks a module as unavailable (``sys.modules[name] = None``:
``import`` raises ModuleNotFoundError and ``importlib.util.find_spec`` returns None), so it
sees what a user of ``pip install modelcollapse`` sees. CI also installs the package without
extras into a fresh venv (``.ci/run``).
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import modelcollapse
from modelcollapse.cli import main
from modelcollapse.extras import EXTRAS, MissingExtraError, missing, require

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
BLOCKED = ("pymc", "pytensor", "arviz", "sklearn", "dask", "distributed", "nutpie", "numba",
           "llvmlite")
INFER_ERROR = 'error: \'infer\' needs the inference extra: pip install "modelcollapse[inference]"'

# runs in the child: every command's exit status, stdout and stderr, and what got imported
LEAN_SCRIPT = """
import contextlib, io, json, os, sys
for name in {blocked!r}:
    sys.modules[name] = None
from modelcollapse.cli import main

def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return {{"code": code, "out": out.getvalue(), "err": err.getvalue()}}

tmp = sys.argv[1]
csv = os.path.join(tmp, "data.csv")
with open(csv, "w") as fh:
    fh.write("t,n,estimate\\n0,10,1.0\\n1,10,0.8\\n2,10,0.9\\n")
result = {{
    "derive": run("derive", "gaussian-variance", "--n0", "10", "--T", "3", "--json"),
    "simulate": run("simulate", "gaussian-variance", "--n0", "10", "--T", "3", "--reps",
                    "4000", "--json"),
    "infer": run("infer", csv, "--out", os.path.join(tmp, "post.nc"), "--json"),
    "validate": run("validate", "--inference", "--quick", "--family", "poisson", "--json"),
    "reproduce": run("reproduce", "--out", os.path.join(tmp, "results"), "--quick"),
}}
from modelcollapse.extras import MissingExtraError
from modelcollapse.inference import load_trajectories  # numpy only: no extra needed
try:
    from modelcollapse.inference import fit_bias
except MissingExtraError as exc:
    result["python"] = [type(exc).__name__, isinstance(exc, ModuleNotFoundError), str(exc)]
import importlib, pkgutil, modelcollapse
failed = {{}}  # every module of the package, imported: which need an extra
for info in pkgutil.walk_packages(modelcollapse.__path__, "modelcollapse."):
    if not info.name.endswith("__main__"):
        try:
            importlib.import_module(info.name)
        except ImportError as exc:
            failed[info.name] = exc.name
result["failed_imports"] = failed
result["files"] = sorted(os.listdir(tmp))
result["imported"] = sorted(n for n in {blocked!r} if sys.modules.get(n) is not None)
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def lean(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("lean")
    proc = subprocess.run([sys.executable, "-c", LEAN_SCRIPT.format(blocked=BLOCKED), str(tmp)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_lean_core_derives_and_simulates_without_the_extras(lean) -> None:
    derive, simulate = lean["derive"], lean["simulate"]
    assert derive["code"] == 0 and derive["err"] == "", derive["err"]
    assert simulate["code"] == 0 and simulate["err"] == "", simulate["err"]
    # unbiased variance estimates, T + 1 fits (generation 0 is fitted to the real data):
    # E sigma_T^2 = 1, Var = (1 + 2/(n-1))^(T+1) - 1, a product of chi-square moments
    n, T = 10, 3
    variance = (1 + 2 / (n - 1)) ** (T + 1) - 1
    out = json.loads(derive["out"])
    assert out["mean_T"] == pytest.approx(1.0, rel=1e-12)
    assert out["variance_T"] == pytest.approx(variance, rel=1e-12)
    mc = json.loads(simulate["out"])
    se = (variance / mc["reps"]) ** 0.5
    assert abs(mc["mean"] - 1.0) < 5 * se
    assert lean["imported"] == []


def test_only_the_pymc_modules_need_the_inference_extra(lean) -> None:
    failed = lean["failed_imports"]
    # the model and the fit import PyMC (and what builds on them); everything else, the studies
    # included, imports without any extra
    assert {"modelcollapse.inference.model", "modelcollapse.inference.fit"} <= set(failed)
    assert all(name.startswith("modelcollapse.inference.") for name in failed), failed
    assert set(failed.values()) <= {"pymc", "pytensor", "arviz"}, failed
    assert not {"modelcollapse.inference.data", "modelcollapse.inference.answers"} & set(failed)


def test_a_missing_extra_is_one_line_and_exit_2_before_any_file(lean) -> None:
    infer = lean["infer"]
    assert (infer["code"], infer["out"], infer["err"]) == (2, "", INFER_ERROR + "\n")
    validate = lean["validate"]
    assert validate["code"] == 2 and validate["err"].count("\n") == 1
    assert "'validate --inference' needs the inference extra" in validate["err"]
    reproduce = lean["reproduce"]
    assert reproduce["code"] == 2 and reproduce["err"] == (
        "error: 'reproduce' needs the data and inference extras: "
        'pip install "modelcollapse[data,inference]"\n')
    assert lean["files"] == ["data.csv"]  # neither post.nc nor results/


def test_python_api_raises_a_module_not_found_error_naming_the_extra(lean) -> None:
    name, is_module_not_found, message = lean["python"]
    assert name == "MissingExtraError" and is_module_not_found
    assert message == INFER_ERROR.replace("error: 'infer'", "'fit_bias'")


def test_require_names_only_the_missing_extras(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)
    assert missing("data") == ("sklearn",)
    with pytest.raises(MissingExtraError) as info:
        require("job", "data", "inference")
    # PyMC is installed in the test environment: only the data extra is named
    assert str(info.value) == "'job' needs the data extra: pip install \"modelcollapse[data]\""
    assert info.value.name == "sklearn" and info.value.extras == ("data",)
    require("job", "inference")  # installed: no error
    with pytest.raises(ValueError, match=r"unknown extra 'gpu'; allowed: inference, nutpie"):
        missing("gpu")


def test_the_extras_table_matches_pyproject() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert set(EXTRAS) <= set(extras)
    core = " ".join(PYPROJECT["project"]["dependencies"]).lower()
    for module in ("pymc", "pytensor", "arviz", "scikit-learn", "dask", "nutpie", "numba"):
        assert module not in core
    assert any(d.startswith("pymc") for d in extras["inference"])
    assert "modelcollapse[all,docs]" in extras["dev"]
    assert "modelcollapse[inference,nutpie,data,dask]" in extras["all"]


def test_pins_are_lower_bounds_with_caps_only_on_breaking_majors() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    pins = PYPROJECT["project"]["dependencies"] + [p for v in extras.values() for p in v]
    caps = {re.split(r"[<>=\[ ]", p)[0]: p for p in pins if "<" in p}
    # PyMC 6 and ArviZ 1 changed the API, nutpie 0.16.9 returns ArviZ 1's DataTree (seen on
    # Python 3.12, where it is the newest wheel); nothing else is capped
    assert caps == {"pymc": "pymc>=5.28.5,<6", "arviz": "arviz>=0.23.4,<1",
                    "nutpie": "nutpie>=0.16,<0.16.9"}
    assert all(">=" in p for p in pins if not p.startswith("modelcollapse["))


def test_version_is_one_number_everywhere(capsys) -> None:
    version = modelcollapse.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert importlib.metadata.version("modelcollapse") == version
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"modelcollapse {version}\n"
    cff = (ROOT / "CITATION.cff").read_text()
    assert re.search(r"^version: (\S+)$", cff, flags=re.M).group(1) == version


def test_every_json_object_carries_the_version(lean, capsys) -> None:
    # one place adds it (cli.main); derive and simulate ran in the lean child
    assert main(["families", "--json"]) == 0
    outputs = [capsys.readouterr().out, lean["derive"]["out"], lean["simulate"]["out"]]
    assert [json.loads(out)["version"] for out in outputs] == [modelcollapse.__version__] * 3


def test_license_citation_and_typing_marker() -> None:
    project = PYPROJECT["project"]
    license_text = (ROOT / "LICENSE").read_text()
    assert project["license"] == "BSD-3-Clause" and project["license-files"] == ["LICENSE"]
    assert license_text.startswith("BSD 3-Clause License")
    assert "the modelcollapse developers" in license_text
    assert "Neither the name of the copyright holder" in license_text  # the third clause
    assert (ROOT / "modelcollapse" / "py.typed").is_file()
    assert PYPROJECT["tool"]["setuptools"]["package-data"]["modelcollapse"] == ["py.typed"]
    cff = (ROOT / "CITATION.cff").read_text()
    assert "cff-version: 1.2.0" in cff and "type: software" in cff
    assert 'title: "A Probabilistic Perspective on Model Collapse"' in cff
    assert "arXiv:2505.13947" in cff
    assert [line.split()[-1] for line in cff.splitlines() if "family-names" in line] == [
        "Xu", "He", "Cheng"]


def test_classifiers_and_urls() -> None:
    project = PYPROJECT["project"]
    versions = {c.rsplit(" ", 1)[-1] for c in project["classifiers"]
                if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)}
    assert versions == {"3.11", "3.12", "3.13"}
    assert project["requires-python"] == ">=3.11"
    assert "Typing :: Typed" in project["classifiers"]
    assert not any(c.startswith("License ::") for c in project["classifiers"])  # PEP 639
    urls = project["urls"]
    assert urls and all(u.startswith("https://") for u in urls.values())
    assert urls["Paper"] == "https://arxiv.org/abs/2505.13947"
