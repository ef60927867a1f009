"""The CLI's --workflow mix options of derive and simulate."""

from __future__ import annotations

import json
import math

import pytest

from modelcollapse.cli import main


def _json(capsys, *args: str) -> dict:
    main([*args, "--json"])
    return json.loads(capsys.readouterr().out)


def test_derive_mix_optimal(capsys):
    out = _json(capsys, "derive", "gaussian-mean", "--workflow", "mix", "--real-ratio", "1",
                "--T", "inf", "--n0", "10")
    assert out["optimal_real_weight"] == pytest.approx((math.sqrt(5) - 1) / 2)
    assert out["collapses"] is False and out["required_growth_exponent"] == 0


def test_derive_mix_weight(capsys):
    out = _json(capsys, "derive", "gaussian-mean", "--workflow", "mix", "--real-ratio", "2",
                "--real-weight", "0.5", "--T", "inf", "--n0", "10")
    assert out["variance_T"] == pytest.approx(0.1 * (0.125 + 0.25) / 0.75)


def test_simulate_mix(capsys):
    out = _json(capsys, "simulate", "gaussian-mean", "--workflow", "mix", "--real-weight",
                "0.5", "--T", "3", "--reps", "200")
    assert math.isfinite(out["variance"] if "variance" in out else 0.0)


def test_bad_weight(capsys):
    code = main(["derive", "gaussian-mean", "--workflow", "mix", "--real-weight", "x"])
    assert code != 0
    assert "--real-weight must be a number" in capsys.readouterr().err
