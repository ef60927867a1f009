"""simulate(workflow="mix") against derive's exact moments of the mixed walk."""

import math

import pytest

from modelcollapse.schedules import Schedule
from modelcollapse.theory.derive import derive
from modelcollapse.validation.simulate import simulate


@pytest.mark.parametrize(("family", "mode"), [
    ("gaussian-mean", "exact"), ("gaussian-variance", "exact"), ("bernoulli", "exact"),
    ("poisson", "exact"), ("gaussian-variance", "brute"),
])
def test_simulate_mix_matches_derive(family, mode):
    sched, T, reps = Schedule("n0", n0=10), 15, 40_000
    ds = simulate(family, schedule=sched, T=T, reps=reps, seed=7, workflow="mix",
                  real_ratio=2, real_weight=0.4, mode=mode, progress=False)
    d = derive(family, schedule=sched, T=T, workflow="mix", real_ratio=2, real_weight=0.4)
    mean = float(ds["mean"].sel(t=T)[0])
    var = float(ds["variance"].sel(t=T)[0])
    v = d.values["variance_T"]
    assert abs(mean - d.values["mean_T"]) / math.sqrt(v / reps) < 5
    # the sample variance's relative standard error is about sqrt(2 / reps) (near normal)
    assert abs(var / v - 1) / math.sqrt(3 / reps) < 5
    assert ds.attrs["workflow"] == "mix" and ds.attrs["real_weight"] == 0.4


def test_simulate_mix_optimal_weight():
    ds = simulate("gaussian-mean", T=3, reps=100, workflow="mix", real_ratio=1, progress=False)
    assert ds.attrs["real_weight"] == pytest.approx((math.sqrt(5) - 1) / 2)


def test_simulate_mix_arguments():
    with pytest.raises(ValueError, match="apply to workflow 'mix'"):
        simulate("gaussian-mean", T=3, reps=10, real_ratio=2, progress=False)
    with pytest.raises(ValueError, match="rounds below"):
        simulate("gaussian-variance", schedule=Schedule("n0", n0=2), T=3, reps=10,
                 workflow="mix", real_ratio=0.2, real_weight=0.5, progress=False)
