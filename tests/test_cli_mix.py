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


@pytest.mark.parametrize("schedule", ["max(10, n0 - t)", "n0/10 + 100/t", "min(n0*t, 10)"])
def test_derive_mix_at_infinity_uses_the_size_the_schedule_settles_at(capsys, schedule):
    """Sizes settling at n = 10 (n0 = 100): the stationary variance at n = 10,
    sigma^2 (w^2/K + (1 - w)^2)/n / (1 - (1 - w)^2), whatever the sizes were on the way."""
    out = _json(capsys, "derive", "gaussian-mean", "--workflow", "mix", "--real-ratio", "2",
                "--real-weight", "0.5", "--T", "inf", "--n0", "100", "--schedule", schedule)
    assert out["variance_T"] == pytest.approx(0.1 * (0.125 + 0.25) / 0.75, rel=1e-12)


@pytest.mark.parametrize(("schedule", "message"), [
    ("n0*(2 + (-1)**t)", "error: T = inf needs sizes that settle or grow without bound; those "
                         "of 'n0*(2 + (-1)**t)' have no limit that could be decided"),
    ("100,200,400", "error: T = inf needs a schedule given by an expression, not a list of "
                    "sizes"),
])
def test_derive_mix_at_infinity_without_a_limiting_size_is_refused(capsys, schedule, message):
    code = main(["derive", "gaussian-mean", "--workflow", "mix", "--real-weight", "0.5",
                 "--T", "inf", "--schedule", schedule])
    assert code == 2
    assert capsys.readouterr().err == message + "\n"
