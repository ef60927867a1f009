"""Hostile Python API calls: a value of the wrong kind raises ``TypeError``, a bad value
``ValueError``, each with a one-line message, before any work, leaving the user's files as
they were."""

from __future__ import annotations

import math

import pytest

from modelcollapse.families import Bias, get_family, load
from modelcollapse.families.custom import from_log_density, from_moment_map, linearised
from modelcollapse.inference.data import load_trajectories
from modelcollapse.schedules import Schedule
from modelcollapse.theory import derive
from modelcollapse.theory.improvement import (
    improvement_probability,
    improvement_probability_general,
)
from modelcollapse.validation import simulate
from modelcollapse.validation.checks import validate
from modelcollapse.validation.improvement import family_improvement_probability

GV = "gaussian-variance"
S = Schedule("n0", n0=10)


def _sim(**kw):
    return simulate(GV, **{"T": 2, "reps": 10, "progress": False, **kw})


def _mm(**kw):
    return from_moment_map(**{"name": "a", "parameter": "theta", "mean": "theta",
                              "variance": "1/n", **kw})


TYPE_ERRORS = {
    "derive family list": lambda: derive([GV]),
    "derive family None": lambda: derive(None),
    "derive family int": lambda: derive(3),
    "derive T bool": lambda: derive(GV, T=True),
    "derive T str": lambda: derive(GV, T="10"),
    "derive schedule list": lambda: derive(GV, schedule=["n0"]),
    "derive schedule int": lambda: derive(GV, schedule=5),
    "derive estimator int": lambda: derive(GV, estimator=3),
    "derive workflow list": lambda: derive(GV, workflow=["replace"]),
    "derive params list": lambda: derive(GV, params=["sigma2", 2]),
    "derive param str": lambda: derive(GV, params={"sigma2": "2"}),
    "derive param None": lambda: derive(GV, params={"sigma2": None}),
    "derive dim float": lambda: derive("mvgaussian", dim=2.0),
    "derive dim bool": lambda: derive("mvgaussian", dim=True),
    "derive bias str": lambda: derive(GV, bias="0.5"),
    "derive moment str": lambda: derive(GV, moment="1"),
    "improvement n0 float": lambda: improvement_probability(10.0, 0.1),
    "improvement n0 bool": lambda: improvement_probability(True, 0.1),
    "improvement S str": lambda: improvement_probability(10, "0.1"),
    "improvement S None": lambda: improvement_probability(10, None),
    "improvement dim float": lambda: improvement_probability(10, 0.1, dim=1.0),
    "improvement method int": lambda: improvement_probability(10, 0.1, method=1),
    "general covariance text": lambda: improvement_probability_general(10, 0.1, "abc"),
    "general covariance None": lambda: improvement_probability_general(10, 0.1, None),
    "general draws float": lambda: improvement_probability_general(10, 0.1, [[1.0]],
                                                                   draws=10.0),
    "simulate reps float": lambda: _sim(reps=10.0),
    "simulate reps bool": lambda: _sim(reps=True),
    "simulate T float": lambda: _sim(T=2.5),
    "simulate T None": lambda: _sim(T=None),
    "simulate family list": lambda: simulate([GV], T=2, reps=10, progress=False),
    "simulate family None": lambda: simulate(None, T=2, reps=10, progress=False),
    "simulate schedule int": lambda: _sim(schedule=5),
    "simulate schedule dict": lambda: _sim(schedule={"a": 1}),
    "simulate seed str": lambda: _sim(seed="1"),
    "simulate mode int": lambda: _sim(mode=1),
    "simulate workflow int": lambda: _sim(workflow=1),
    "simulate workflow list": lambda: _sim(workflow=["replace"]),
    "simulate threshold str": lambda: _sim(threshold="0.1"),
    "simulate workers float": lambda: _sim(workers=1.5),
    "simulate backend int": lambda: _sim(backend=1),
    "simulate params list": lambda: _sim(params=[1]),
    "simulate bias float": lambda: _sim(bias=0.5),
    "simulate chunk float": lambda: _sim(chunk_size=2.5),
    "validate seed str": lambda: validate(seed="1"),
    "validate quick str": lambda: validate(quick="yes"),
    "validate families ints": lambda: validate(families=[3]),
    "improve reps float": lambda: family_improvement_probability("poisson", T=1, reps=5.0),
    "improve T float": lambda: family_improvement_probability("poisson", T=1.5),
    "improve family list": lambda: family_improvement_probability(["poisson"], T=1),
    "improve method int": lambda: family_improvement_probability("poisson", T=1, method=2),
    "improve bias str": lambda: family_improvement_probability("poisson", T=1, bias="x"),
    "schedule n0 float": lambda: Schedule("n0", n0=10.0),
    "schedule n0 bool": lambda: Schedule("n0", n0=True),
    "schedule n0 None": lambda: Schedule("n0", n0=None),
    "schedule s str": lambda: Schedule("n0", s="1"),
    "schedule list": lambda: Schedule(["n0"]),
    "schedule None": lambda: Schedule(None),
    "schedule bytes": lambda: Schedule(b"n0"),
    "sizes T float": lambda: S.sizes(2.0),
    "inverse_sum str": lambda: S.inverse_sum("3"),
    "inverse_sum float": lambda: S.inverse_sum(2.5),
    "power_sum a str": lambda: S.power_sum(3, "1"),
    "from_sizes str": lambda: Schedule.from_sizes("100,200"),
    "from_sizes floats": lambda: Schedule.from_sizes([100.0, 200.0]),
    "from_sizes None": lambda: Schedule.from_sizes(None),
    "cost float": lambda: S.cost(2.0),
    "size str": lambda: S.size("1"),
    "load int": lambda: load(3),
    "load list": lambda: load(["a.toml"]),
    "load None": lambda: load(None),
    "get_family int": lambda: get_family(3),
    "get_family None": lambda: get_family(None),
    "moment map name list": lambda: _mm(name=["a"]),
    "moment map parameter int": lambda: _mm(parameter=3),
    "moment map mean list": lambda: _mm(mean=["theta"]),
    "moment map domain int": lambda: _mm(domain=1),
    "moment map kind list": lambda: _mm(kind=["scale"]),
    "moment map default str": lambda: _mm(default="1"),
    "moment map min_size float": lambda: _mm(min_size=2.0),
    "moment map constants list": lambda: _mm(constants=[1]),
    "moment map constant str": lambda: _mm(mean="theta*k", constants={"k": "2"}),
    "moment map law int": lambda: _mm(mean=None, variance=None, law=3),
    "moment map register str": lambda: _mm(register="yes"),
    "moment map description int": lambda: _mm(description=3),
    "linearised theta str": lambda: linearised("gaussian-mean", "1"),
    "linearised family int": lambda: linearised(3, 1.0),
    "log-density support str": lambda: from_log_density(
        "a", parameter="theta", variable="x", log_density="-x/theta - log(theta)",
        support="0,oo"),
    "log-density text int": lambda: from_log_density(
        "a", parameter="theta", variable="x", log_density=3, support=(0, "oo")),
    "trajectories int": lambda: load_trajectories(3),
    "trajectories list": lambda: load_trajectories([1, 2]),
    "trajectories family int": lambda: load_trajectories(
        {"t": [0, 1], "n": [20, 20], "estimate": [1.0, 0.9]}, family=3),
    "bias kappa str": lambda: Bias("0.5", 1.0),
    "bias alpha None": lambda: Bias(0.5, None),
}

VALUE_ERRORS = {
    "derive T negative": lambda: derive(GV, T=-1),
    "derive T nan": lambda: derive(GV, T=float("nan")),
    "derive T -inf": lambda: derive(GV, T=-math.inf),
    "derive T 2.5": lambda: derive(GV, T=2.5),
    "derive estimator unknown": lambda: derive(GV, estimator="zzz"),
    "derive workflow unknown": lambda: derive(GV, workflow="x"),
    "derive param negative": lambda: derive(GV, params={"sigma2": -1}),
    "derive family empty": lambda: derive(""),
    "derive family unknown": lambda: derive("nope"),
    "derive dim huge": lambda: derive("mvgaussian", dim=10**6),
    "derive categorical dim huge": lambda: derive("categorical", dim=10**4),
    "derive categorical dim disagrees": lambda: derive("categorical", dim=4,
                                                       params={"p": (0.5, 0.5)}),
    "derive degree": lambda: derive(GV, schedule="(t+1)**2000"),
    "derive exponent at inf": lambda: derive(GV, schedule="n0*t**(10**6)", T=math.inf),
    "derive T huge": lambda: derive(GV, T=10**12),
    "derive moment huge": lambda: derive(GV, moment=1e6),
    "improvement n0 negative": lambda: improvement_probability(-1, 0.1),
    "improvement S negative": lambda: improvement_probability(10, -0.1),
    "improvement method unknown": lambda: improvement_probability(10, 0.1, method="zz"),
    "simulate reps negative": lambda: _sim(reps=-1),
    "simulate seed negative": lambda: _sim(seed=-1),
    "simulate workers 0": lambda: _sim(workers=0),
    "simulate T huge": lambda: _sim(T=10**12),
    "simulate memory": lambda: _sim(T=1000, reps=10**12),
    "simulate dim huge": lambda: simulate("mvgaussian", T=2, reps=10, dim=10**6,
                                          progress=False),
    "validate seed negative": lambda: validate(seed=-1),
    "validate family unknown": lambda: validate(families=["nope"]),
    "improve reps negative": lambda: family_improvement_probability("poisson", T=1, reps=-5),
    "improve T huge": lambda: family_improvement_probability(GV, T=10**12),
    "schedule degree": lambda: Schedule("(t+1)**2000"),
    "schedule exponent": lambda: Schedule("n0*t**(10**6)"),
    "schedule product degree": lambda: Schedule("t**60*t**60"),
    "sizes T negative": lambda: S.sizes(-1),
    "sizes T huge": lambda: S.sizes(10**12),
    "power_sum a negative": lambda: S.power_sum(3, -1),
    "from_sizes empty": lambda: Schedule.from_sizes([]),
    "load missing": lambda: load("/nonexistent/x.toml"),
    "moment map no moments": lambda: from_moment_map("a", parameter="theta"),
    "moment map domain unknown": lambda: _mm(domain="zz"),
    "moment map variance degree": lambda: _mm(variance="1/(n**997+n+1)"),
    "moment map mean degree": lambda: _mm(mean="theta**150"),
    "moment map law degree": lambda: _mm(mean=None, variance=None,
                                         law="Normal(theta, 1/n**997)"),
    "bias kappa negative": lambda: Bias(-0.5, 1.0),
}


@pytest.mark.parametrize("call", TYPE_ERRORS.values(), ids=TYPE_ERRORS.keys())
def test_wrong_kind_is_type_error(call, sandbox):
    with pytest.raises(TypeError) as info:
        call()
    assert "\n" not in str(info.value) and str(info.value)


@pytest.mark.parametrize("call", VALUE_ERRORS.values(), ids=VALUE_ERRORS.keys())
def test_bad_value_is_value_error(call, sandbox):
    with pytest.raises(ValueError) as info:
        call()
    assert not isinstance(info.value, TypeError)
    assert "\n" not in str(info.value) and str(info.value)


def test_posterior_size_is_refused_before_sampling(sandbox):
    from modelcollapse.inference.fit import fit_bias

    data = {"t": [0, 1, 2], "n": [20, 20, 20], "estimate": [1.0, 0.9, 0.8]}
    with pytest.raises(ValueError, match="MAX_ELEMENTS"):
        fit_bias(data, draws=10**9)
    with pytest.raises(TypeError):
        fit_bias(data, draws=10.0)
    with pytest.raises(TypeError):
        fit_bias(None)


def test_outputs_are_never_replaced_unless_asked(sandbox):
    """The atomic-output checks in Python: an existing user file is refused (ValueError), a
    path of the wrong kind is a TypeError, and the file is left as it was (the sandbox)."""
    from modelcollapse.outputs import check_output
    from modelcollapse.theory.latex import write_latex
    from modelcollapse.validation.checks import run_validate

    with pytest.raises(ValueError, match="exists"):
        check_output("data.csv")
    with pytest.raises(ValueError):
        check_output("")
    with pytest.raises(TypeError):
        check_output(3)
    with pytest.raises(ValueError, match="exists"):
        write_latex(derive(GV, T=3), "paper/frag.tex")
    with pytest.raises(ValueError, match="exists"):
        run_validate(quick=True, families=["gaussian-mean"], out="data.csv")
