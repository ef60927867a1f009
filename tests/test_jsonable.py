"""JSON never holds NaN or infinity (:mod:`modelcollapse.jsonable`): ``null``, with the reason
said where the object is written."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy

from modelcollapse.cli import main
from modelcollapse.jsonable import jsonable, null_reasons
from tests.pipelines import write_variance_pipeline

NESTED = {
    "a": np.float64("nan"),
    "b": [1.0, np.inf, {"c/d": -math.inf, "e~f": 2}],
    "g": np.array([[0.5, np.nan], [np.inf, 1.0]]),
    "h": (sympy.nan, sympy.oo, sympy.Rational(1, 2)),
    "i": None,
    "j": "NaN",  # text stays text
    "k": True,
}


def _pointers(value, path=""):
    """Every leaf's JSON pointer, by a walk of its own (RFC 6901 escapes)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _pointers(v, f"{path}/{str(k).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(value, list | tuple | np.ndarray):
        for i, v in enumerate(list(value)):
            yield from _pointers(v, f"{path}/{i}")
    else:
        yield path, value


def _resolve(doc, pointer):
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def test_non_finite_numbers_become_null_and_strict_json_accepts_the_result():
    clean = jsonable(NESTED)
    text = json.dumps(clean, allow_nan=False)
    assert "NaN" not in text.replace('"NaN"', "") and "Infinity" not in text
    back = json.loads(text)
    assert back["a"] is None and back["b"][1] is None and back["b"][2]["c/d"] is None
    assert back["g"] == [[0.5, None], [None, 1.0]]
    assert back["h"] == [None, None, 0.5]
    assert back["j"] == "NaN" and back["k"] is True and back["i"] is None


def test_null_reasons_name_exactly_the_non_finite_leaves():
    reasons = null_reasons(NESTED)
    expected = {}
    for pointer, leaf in _pointers(NESTED):
        if isinstance(leaf, str | bool | type(None)):
            continue
        value = float(leaf)
        if not math.isfinite(value):
            expected[pointer] = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    assert set(reasons) == set(expected) == {"/a", "/b/1", "/b/2/c~1d", "/g/0/1", "/g/1/0",
                                             "/h/0", "/h/1"}
    clean = jsonable(NESTED)
    for pointer, kind in expected.items():
        assert _resolve(clean, pointer) is None  # each pointer finds its null
        assert reasons[pointer].startswith({"nan": "not a number", "inf": "+infinity",
                                            "-inf": "-infinity"}[kind])
    assert null_reasons({"x": 1.0, "y": [2, "a"], "z": None}) == {}


def test_a_command_with_an_undefined_value_says_why_it_is_null(capsys):
    # one replication: the variance across replications is undefined (NaN)
    assert main(["simulate", "gaussian-variance", "--T", "3", "--reps", "1", "--json",
                 "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["variance"] is None
    assert out["nulls"]["/variance"].startswith("not a number")
    assert all(out[p.lstrip("/")] is None for p in out["nulls"])


@pytest.mark.slow
def test_infer_with_an_undefined_diagnostic_finishes(tmp_path, capsys):
    """One chain has no R-hat (NaN): infer still writes its file and one JSON object."""
    pytest.importorskip("pymc")
    data = write_variance_pipeline(tmp_path / "d.csv")
    from modelcollapse.inference.fit import ConvergenceWarning

    out_nc = tmp_path / "post.nc"
    with pytest.warns(ConvergenceWarning, match="r-hat needs at least 2 chains"):
        assert main(["infer", str(data), "--chains", "1", "--draws", "100", "--tune", "100",
                     "--json", "--quiet", "--out", str(out_nc)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out_nc.is_file()
    assert out["rhat_max"] is None
    assert out["nulls"]["/rhat_max"].startswith("not a number")


def test_overflow_names_an_infinity_of_finite_inputs():
    """``overflow=True``: an infinity stands for a finite number beyond the float range
    (here sys.float_info.max * 2); NaN keeps its own reason."""
    import sys

    big = sys.float_info.max * 2
    assert big == math.inf
    reasons = null_reasons({"v": [1.0, big, -big], "w": math.nan}, overflow=True)
    assert reasons == {"/v/1": "overflow: beyond the float range (magnitude above 1.8e308)",
                       "/v/2": "overflow: beyond the float range (magnitude above 1.8e308)",
                       "/w": reasons["/w"]}
    assert reasons["/w"].startswith("not a number")
    assert null_reasons([big])["/0"].startswith("+infinity")  # the default: a true infinity
