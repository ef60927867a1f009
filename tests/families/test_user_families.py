"""Families the library does not ship, declared by a user in Python and in a family file.

The promise under test (SPEC sections 2-3, "Any family, from its moment map"; DESIGN "family
files"): a family declared with :func:`from_moment_map` / :func:`from_log_density` and a
``law``, or in a TOML file of a few lines (``tests/families/data/*.toml``), gets the right
collapse verdict and required growth exponent p*, the exact moments and log-moments of
theta_T, exact simulation and a passing ``validate``.

Oracles are independent of the library: the sizes are written out here, the moments are
mpmath products and digamma/trigamma sums over t = 0..T (generation 0 included) from textbook
formulas of the declared law, written as a factor R_t = theta_t / theta_(t-1) = c(n) X with X a
Beta, Gamma or chi-square variable:

* E[B] = a/(a+b), E[B^2] = a(a+1)/((a+b)(a+b+1)), E log B = psi(a) - psi(a+b),
  Var log B = psi'(a) - psi'(a+b) for B ~ Beta(a, b);
* E[G^r] = Gamma(a+r)/Gamma(a), E log G = psi(a), Var log G = psi'(a) for G ~ Gamma(a, 1);
* chi^2_n = 2 G with G ~ Gamma(n/2, 1);

so that E theta_T = theta prod E[R_t], E theta_T^2 = theta^2 prod E[R_t^2],
E log(theta_T/theta) = sum E log R_t, Var log theta_T = sum Var log R_t. The Monte Carlo
reference draws R_t directly with numpy (fixed seeds). Tolerances for Monte Carlo come from
the standard errors (|z| < 5), never tuned.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mpmath
import numpy as np
import pytest
from scipy import stats

from modelcollapse.families import _REGISTRY, get_family, load
from modelcollapse.families.custom import (
    UserFamily,
    fisher_information,
    from_log_density,
    from_moment_map,
)
from modelcollapse.schedules import Schedule
from modelcollapse.symbols import n as N
from modelcollapse.theory import derive
from modelcollapse.validation import simulate
from modelcollapse.validation.checks import validate
from tests.validation.zscores import mean_z, variance_z

DATA = Path(__file__).parent / "data"
REL = 1e-9
Z_MAX = 5.0
mp = mpmath.mp


@pytest.fixture(autouse=True)
def clean_registry():
    """Remove every family a test registers."""
    before = set(_REGISTRY)
    yield
    for name in set(_REGISTRY) - before:
        del _REGISTRY[name]


# ------------------------------------------------------------------------------------------
# the sizes, written out independently of Schedule
# ------------------------------------------------------------------------------------------
#: g(t) of each schedule used below, as mpmath functions (n_t = ceil(n0 g(t)), t >= 1)
GROWTH: dict[str, Callable[[mpmath.mpf], mpmath.mpf]] = {
    "n0": lambda t: mpmath.mpf(1),
    "n0*t": lambda t: t,
    "n0*t**1.5": lambda t: t ** mpmath.mpf(1.5),
    "n0*t**2": lambda t: t**2,
    "n0*t**2.5": lambda t: t ** mpmath.mpf(2.5),
    "n0*2**t": lambda t: 2**t,
}


def sizes(schedule: str, n0: int, T: int) -> list[int]:
    """n_0 = n0, n_t = ceil(n0 g(t)) for t = 1..T (SPEC section 1)."""
    with mpmath.workdps(40):
        return [n0] + [int(mpmath.ceil(n0 * GROWTH[schedule](mpmath.mpf(t))))
                       for t in range(1, T + 1)]


@pytest.mark.parametrize("schedule", sorted(GROWTH))
def test_written_out_sizes_match_the_schedule(schedule):
    assert Schedule(schedule, n0=10).sizes(30).tolist() == sizes(schedule, 10, 30)


# ------------------------------------------------------------------------------------------
# one-step moments of the factor R = theta_t / theta_(t-1), from textbook formulas
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """E R, E R^2, E log R, Var log R of one step."""

    mean: mpmath.mpf
    second: mpmath.mpf
    log_mean: mpmath.mpf
    log_var: mpmath.mpf


def beta_step(c, a, b) -> Step:
    """R = c B, B ~ Beta(a, b)."""
    return Step(c * a / (a + b), c**2 * a * (a + 1) / ((a + b) * (a + b + 1)),
                mpmath.log(c) + mpmath.digamma(a) - mpmath.digamma(a + b),
                mpmath.psi(1, a) - mpmath.psi(1, a + b))


def gamma_step(c, a) -> Step:
    """R = c G, G ~ Gamma(a, 1): E G^r = Gamma(a + r)/Gamma(a)."""
    return Step(c * mpmath.gamma(a + 1) / mpmath.gamma(a),
                c**2 * mpmath.gamma(a + 2) / mpmath.gamma(a),
                mpmath.log(c) + mpmath.digamma(a), mpmath.psi(1, a))


K = mpmath.mpf(5) / 2  # the known Gamma shape of gamma-scale


def bias_factor(n):
    return 1 - 1 / mpmath.sqrt(n)


@dataclass(frozen=True)
class Declared:
    """A family the library does not ship: how a user declares it (Python and file), the law
    of its step factor (mpmath moments, numpy draws) and what the theory must say about it."""

    name: str
    build: Callable[[], UserFamily]
    step: Callable[[mpmath.mpf], Step]
    draw: Callable[[np.random.Generator, int, int], np.ndarray]
    p_star: float
    #: schedule (n0 = 10) -> collapses
    verdicts: dict[str, bool]
    parameter: str = "theta"

    @property
    def file(self) -> Path:
        return DATA / f"{self.name}.toml"


LAW_FAMILIES = [
    Declared(
        "uniform-max",
        lambda: from_moment_map("uniform-max", parameter="theta", domain="positive",
                                kind="scale", default=1.0, mean="theta",
                                variance="theta**2/(n*(n + 2))",
                                law="theta * (n + 1)/n * Beta(n, 1)"),
        lambda n: beta_step((n + 1) / n, n, 1),
        lambda rng, n, size: (n + 1) / n * rng.beta(n, 1, size),
        0.5,
        # w(n) = 1/(n(n + 2)) ~ n^-2, no bias: sum n_t^-2 < oo iff p > 1/2
        {"n0": True, "n0*sqrt(t)": True, "n0*t**0.75": False, "n0*t": False,
         "n0*sqrt(t)*log(t+1)": False, "n0*sqrt(t)*log(t+1)**0.25": True},
    ),
    Declared(
        "uniform-max-raw",
        lambda: from_moment_map("uniform-max-raw", parameter="theta", domain="positive",
                                kind="scale", law="theta * Beta(n, 1)"),
        lambda n: beta_step(mpmath.mpf(1), n, 1),
        lambda rng, n, size: rng.beta(n, 1, size),
        1.0,
        # b(n) = 1/(n + 1) ~ 1/n
        {"n0*t": True, "n0*t*log(t+1)": True, "n0*t*log(t+1)**2": False, "n0*t**1.5": False},
    ),
    Declared(
        "gamma-scale",
        lambda: from_moment_map("gamma-scale", parameter="theta", domain="positive",
                                kind="scale", constants={"k": 2.5},
                                law="theta * Gamma(n*k, 1)/(n*k)"),
        lambda n: gamma_step(1 / (n * K), n * K),
        lambda rng, n, size: rng.gamma(n * 2.5, 1.0, size) / (n * 2.5),
        1.0,
        {"n0": True, "n0*t": True, "n0*t**1.5": False},
    ),
    Declared(
        "laplace-scale",
        lambda: from_moment_map("laplace-scale", parameter="b", domain="positive",
                                kind="scale", mean="b", variance="b**2/n",
                                law="b * Gamma(n, 1)/n"),
        lambda n: gamma_step(1 / n, n),
        lambda rng, n, size: rng.gamma(n, 1.0, size) / n,
        1.0,
        {"n0*t": True, "n0*t**1.5": False},
        parameter="b",
    ),
    Declared(
        "laplace-scale-density",
        lambda: from_log_density("laplace-scale-density", parameter="b",
                                 log_density="-log(2*b) - abs(x)/b", support=("-oo", "oo"),
                                 domain="positive", kind="scale", law="b * Gamma(n, 1)/n"),
        lambda n: gamma_step(1 / n, n),
        # mean |x| of n Laplace draws: a sum of n standard exponentials, over n
        lambda rng, n, size: rng.standard_exponential((size, n)).sum(axis=1) / n
        if n <= 20 else rng.gamma(n, 1.0, size) / n,
        1.0,
        {"n0*t": True, "n0*t**1.5": False},
        parameter="b",
    ),
    Declared(
        "biased-chisq",
        lambda: from_moment_map("biased-chisq", parameter="theta", domain="positive",
                                kind="scale", mean="theta*(1 - 1/sqrt(n))",
                                variance="2*theta**2*(1 - 1/sqrt(n))**2/n",
                                law="theta*(1 - 1/sqrt(n))*ChiSquare(n)/n"),
        # chi^2_n / n = (2/n) Gamma(n/2, 1)
        lambda n: gamma_step(2 * bias_factor(n) / n, n / 2),
        lambda rng, n, size: (1 - 1 / math.sqrt(n)) * rng.chisquare(n, size) / n,
        2.0,
        # b(n) = n^-1/2 read off the map: sum n_t^-1/2 < oo iff p > 2 (log factor q > 2)
        {"n0*t": True, "n0*t**1.5": True, "n0*t**2": True, "n0*t**2*log(t+1)**2": True,
         "n0*t**2*log(t+1)**3": False, "n0*t**2.5": False, "n0*2**t": False},
    ),
]
BY_NAME = {f.name: f for f in LAW_FAMILIES}
law_families = pytest.mark.parametrize("spec", LAW_FAMILIES, ids=lambda f: f.name)


def build_biased_normal() -> UserFamily:
    """The biased family of the brief, moment map only: no law, normal approximation."""
    return from_moment_map("biased-normal", parameter="theta", domain="positive",
                           kind="scale", mean="theta*(1 - 1/sqrt(n))", variance="2*theta**2/n")


def build_contracting() -> UserFamily:
    """Half of each generation comes from fresh real data (truth 1): m = theta/2 + 1/2."""
    return from_moment_map("contracting", parameter="theta", domain="real", kind="location",
                           default=3.0, mean="theta/2 + 1/2", variance="1/(4*n)")


NO_LAW = {"biased-normal": build_biased_normal, "contracting": build_contracting}


# ------------------------------------------------------------------------------------------
# the oracle: products and sums over t = 0..T
# ------------------------------------------------------------------------------------------
def exact_moments(spec: Declared, theta: float, ns: list[int]) -> dict[str, float]:
    """mean_T, variance_T, log_mean_T, log_variance_T of a multiplicative walk."""
    with mpmath.workdps(40):
        th = mpmath.mpf(theta)
        steps = [spec.step(mpmath.mpf(k)) for k in ns]
        m1 = th * mpmath.fprod(s.mean for s in steps)
        m2 = th**2 * mpmath.fprod(s.second for s in steps)
        return {"mean_T": float(m1), "variance_T": float(m2 - m1**2),
                "log_mean_T": float(mpmath.fsum(s.log_mean for s in steps)),
                "log_variance_T": float(mpmath.fsum(s.log_var for s in steps))}


def biased_normal_moments(theta: float, ns: list[int]) -> dict[str, float]:
    """E theta_t = c E theta_(t-1), E theta_t^2 = (c^2 + 2/n) E theta_(t-1)^2."""
    with mpmath.workdps(40):
        th = mpmath.mpf(theta)
        m1 = th * mpmath.fprod(bias_factor(mpmath.mpf(k)) for k in ns)
        m2 = th**2 * mpmath.fprod(bias_factor(mpmath.mpf(k)) ** 2 + mpmath.mpf(2) / k
                                  for k in ns)
        return {"mean_T": float(m1), "variance_T": float(m2 - m1**2)}


def iterate_contracting(theta: float, ns) -> tuple[mpmath.mpf, mpmath.mpf]:
    """m_t = m_(t-1)/2 + 1/2, V_t = V_(t-1)/4 + 1/(4 n_t), from m_(-1) = theta, V_(-1) = 0."""
    m, v = mpmath.mpf(theta), mpmath.mpf(0)
    for k in ns:
        m, v = m / 2 + mpmath.mpf(1) / 2, v / 4 + 1 / (4 * mpmath.mpf(k))
    return m, v


# ------------------------------------------------------------------------------------------
# Python declaration == file declaration
# ------------------------------------------------------------------------------------------
@law_families
def test_file_declares_the_same_family_as_python(spec):
    api, file = spec.build(), load(spec.file)
    assert isinstance(file, UserFamily) and type(file) is type(api)
    assert file == api
    assert repr(file.estimator().laws) == repr(api.estimator().laws)
    assert file.estimator().exact  # a declared law is an exact one-step law
    assert get_family(spec.file) == api  # the path works wherever a family name does


@pytest.mark.parametrize("name", sorted(NO_LAW))
def test_file_declares_the_same_moment_map_family_as_python(name):
    api, file = NO_LAW[name](), load(DATA / f"{name}.toml")
    assert file == api
    assert not file.estimator().exact


def test_laplace_density_has_the_textbook_fisher_information():
    """I(b) = 1/b^2 for the Laplace scale: the log-density with abs(x) integrates exactly."""
    for fam in (BY_NAME["laplace-scale-density"].build(),
                load(DATA / "laplace-scale-density.toml")):
        b = fam.parameters[0].symbol
        assert (fisher_information(fam) * b**2).simplify() == 1
    asymptotic = from_log_density("laplace-asymptotic", parameter="b",
                                  log_density="-log(2*b) - abs(x)/b")
    b = asymptotic.parameters[0].symbol
    law = asymptotic.estimator().laws["b"]
    assert (law.loc - b).simplify() == 0 and (law.var - b**2 / N).simplify() == 0


# ------------------------------------------------------------------------------------------
# collapse verdicts and p*
# ------------------------------------------------------------------------------------------
VERDICT_CASES = [(f.name, s, v) for f in LAW_FAMILIES for s, v in f.verdicts.items()] + [
    ("biased-normal", "n0*t**1.5", True), ("biased-normal", "n0*t**2.5", False),
    ("contracting", "n0", False), ("contracting", "n0*t", False),
]
P_STAR = {**{f.name: f.p_star for f in LAW_FAMILIES}, "biased-normal": 2.0, "contracting": 0.0}


@functools.cache
def family_of(name: str, source: str) -> UserFamily:
    """One object per declaration (the engines cache their symbolic work per object)."""
    if source == "file":
        return load(DATA / f"{name}.toml")
    return BY_NAME[name].build() if name in BY_NAME else NO_LAW[name]()


@pytest.mark.parametrize("source", ["python", "file"])
@pytest.mark.parametrize(("name", "schedule", "expected"), VERDICT_CASES)
def test_collapse_verdict_and_required_growth(name, schedule, expected, source):
    d = derive(family_of(name, source), schedule=Schedule(schedule, n0=10), T=5)
    assert d.values["collapses"] is expected
    assert d.values["required_growth_exponent"] == P_STAR[name]


def test_brief_headline_verdicts():
    """The five statements of the brief, spelled out once."""
    def verdict(fam, schedule):
        return derive(fam, schedule=Schedule(schedule, n0=10), T=5).values

    corrected, raw = BY_NAME["uniform-max"].build(), BY_NAME["uniform-max-raw"].build()
    assert verdict(corrected, "n0*t")["collapses"] is False
    assert verdict(raw, "n0*t")["collapses"] is True
    assert verdict(BY_NAME["gamma-scale"].build(), "n0*t")["required_growth_exponent"] == 1.0
    biased = BY_NAME["biased-chisq"].build()
    assert verdict(biased, "n0*t**1.5")["collapses"] is True
    assert verdict(biased, "n0*t**2.5")["collapses"] is False
    assert verdict(build_contracting(), "n0")["required_growth_exponent"] == 0.0


# ------------------------------------------------------------------------------------------
# exact moments and log-moments
# ------------------------------------------------------------------------------------------
MOMENT_CASES = [("n0*t", 10, 50), ("n0*t**1.5", 20, 30), ("n0", 25, 40), ("n0*2**t", 10, 12)]


@pytest.mark.parametrize("source", ["python", "file"])
@pytest.mark.parametrize(("schedule", "n0", "T"), MOMENT_CASES)
@law_families
def test_moments_and_log_moments_are_exact(spec, schedule, n0, T, source):
    theta = 2.5
    d = derive(family_of(spec.name, source), schedule=Schedule(schedule, n0=n0), T=T,
               params={spec.parameter: theta})
    expected = exact_moments(spec, theta, sizes(schedule, n0, T))
    for key, value in expected.items():
        assert math.isclose(d.values[key], value, rel_tol=REL), (key, d.values[key], value)


@pytest.mark.parametrize("schedule", ["n0*t", "n0*t**2.5"])
def test_moments_of_the_moment_map_without_law(schedule):
    """No law: mean and variance still close (m linear, v quadratic in theta); no log-moments
    (they need a law)."""
    theta = 1.5
    d = derive(build_biased_normal(), schedule=Schedule(schedule, n0=10), T=40,
               params={"theta": theta})
    expected = biased_normal_moments(theta, sizes(schedule, 10, 40))
    for key, value in expected.items():
        assert math.isclose(d.values[key], value, rel_tol=REL), (key, d.values[key], value)
    assert d.values["log_mean_T"] is None and d.values["log_variance_T"] is None


def test_limits_of_the_corrected_maximum_in_closed_form():
    """n_t = 10 t, T = inf: prod_{t>=1} (10t + 1)^2/(10t (10t + 2)) =
    Gamma(1) Gamma(6/5) / Gamma(11/10)^2 (Weierstrass product), so
    Var = theta^2 ((1 + w(10)) Gamma(6/5)/Gamma(11/10)^2 - 1); E log and Var log from
    sum_t [log(1 + a/t) - a/t] = -gamma a - log Gamma(1 + a) and sum_t 1/t^2 = pi^2/6."""
    theta = 2.0
    d = derive(BY_NAME["uniform-max"].build(), schedule=Schedule("n0*t", n0=10),
               T=math.inf, params={"theta": theta})
    with mpmath.workdps(30):
        a = mpmath.mpf(1) / 10
        first = 1 + mpmath.mpf(1) / (10 * 12)
        var = theta**2 * (first * mpmath.gamma(1 + 2 * a) / mpmath.gamma(1 + a) ** 2 - 1)
        log_mean = (mpmath.log(mpmath.mpf(11) / 10) - a) + (-mpmath.euler * a
                                                             - mpmath.loggamma(1 + a))
        log_var = a**2 + a**2 * mpmath.pi**2 / 6
    assert d.values["collapses"] is False
    assert math.isclose(d.values["mean_T"], theta, rel_tol=REL)
    assert math.isclose(d.values["variance_T"], float(var), rel_tol=REL)
    assert math.isclose(d.values["log_mean_T"], float(log_mean), rel_tol=REL)
    assert math.isclose(d.values["log_variance_T"], float(log_var), rel_tol=REL)


def test_limits_of_the_plain_maximum_in_closed_form():
    """n_t = 10 t^2, T = inf: E theta_inf = theta (10/11) prod (1 + a^2/t^2)^-1 with
    a^2 = 1/10, and prod (1 + a^2/t^2) = sinh(pi a)/(pi a); E log = -(1/10)(1 + pi^2/6)."""
    theta = 2.0
    d = derive(BY_NAME["uniform-max-raw"].build(), schedule=Schedule("n0*t**2", n0=10),
               T=math.inf, params={"theta": theta})
    with mpmath.workdps(30):
        a = mpmath.sqrt(mpmath.mpf(1) / 10)
        mean = theta * mpmath.mpf(10) / 11 * mpmath.pi * a / mpmath.sinh(mpmath.pi * a)
        log_mean = -(mpmath.mpf(1) / 10) * (1 + mpmath.pi**2 / 6)
        log_var = mpmath.mpf(1) / 100 * (1 + mpmath.pi**4 / 90)
    assert d.values["collapses"] is False
    assert math.isclose(d.values["mean_T"], float(mean), rel_tol=REL)
    assert math.isclose(d.values["log_mean_T"], float(log_mean), rel_tol=REL)
    assert math.isclose(d.values["log_variance_T"], float(log_var), rel_tol=REL)


# ------------------------------------------------------------------------------------------
# the contracting map: stationary moments
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n0", [10, 37])
@pytest.mark.parametrize("source", ["python", "file"])
def test_contracting_map_limit_is_the_stationary_law(source, n0):
    fam = build_contracting() if source == "python" else load(DATA / "contracting.toml")
    d = derive(fam, schedule=Schedule("n0", n0=n0), T=math.inf, params={"theta": 3.0})
    with mpmath.workdps(40):
        m, v = iterate_contracting(3.0, [n0] * 400)  # contraction 1/4 per step: converged
        m_prev, v_prev = iterate_contracting(3.0, [n0] * 399)
        assert abs(m - m_prev) < mpmath.mpf(10) ** -35 and abs(v - v_prev) < mpmath.mpf(10) ** -35
        assert abs(m - 1) < 1e-30 and abs(v - mpmath.mpf(1) / (3 * n0)) < 1e-30
    assert math.isclose(d.values["mean_T"], float(m), rel_tol=REL)
    assert math.isclose(d.values["variance_T"], float(v), rel_tol=REL)
    assert d.values["collapses"] is False and d.values["required_growth_exponent"] == 0.0


@pytest.mark.parametrize(("schedule", "T"), [("n0*t", 50), ("n0", 7), ("n0*2**t", 20)])
def test_contracting_map_finite_horizon(schedule, T):
    d = derive(build_contracting(), schedule=Schedule(schedule, n0=10), T=T,
               params={"theta": 3.0})
    with mpmath.workdps(40):
        m, v = iterate_contracting(3.0, sizes(schedule, 10, T))
    assert math.isclose(d.values["mean_T"], float(m), rel_tol=REL)
    assert math.isclose(d.values["variance_T"], float(v), rel_tol=REL)


# ------------------------------------------------------------------------------------------
# exact simulation against the oracle and against our own numpy Monte Carlo
# ------------------------------------------------------------------------------------------
SIM_SCHEDULE, SIM_N0, SIM_T, SIM_REPS = "n0*t", 50, 10, 20_000


def own_monte_carlo(spec: Declared, theta: float, ns: list[int], reps: int,
                    seed: int) -> np.ndarray:
    """theta_T = theta prod R_t with R_t drawn directly from the declared law."""
    rng = np.random.default_rng(seed)
    x = np.full(reps, theta)
    for k in ns:
        x = x * spec.draw(rng, k, reps)
    return x


def two_sample_z(a: np.ndarray, b: np.ndarray) -> float:
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    return float((a.mean() - b.mean()) / se)


@pytest.mark.parametrize("source", ["python", "file"])
@law_families
def test_exact_simulation_matches_the_law(spec, source):
    theta = 2.0
    fam = spec.build() if source == "python" else str(spec.file)
    ds = simulate(fam, schedule=Schedule(SIM_SCHEDULE, n0=SIM_N0), T=SIM_T, reps=SIM_REPS,
                  seed=11, mode="exact", params={spec.parameter: theta}, progress=False)
    assert ds.attrs["mode"] == "exact"
    ns = sizes(SIM_SCHEDULE, SIM_N0, SIM_T)
    assert ds["n"].values.tolist() == ns
    x = ds["final"].values[:, 0]
    assert np.all(x > 0)
    theory = exact_moments(spec, theta, ns)
    logs = np.log(x / theta)
    zs = {"mean": mean_z(x, theory["mean_T"]),
          "variance": variance_z(x, theory["variance_T"]),
          "log mean": mean_z(logs, theory["log_mean_T"]),
          "log variance": variance_z(logs, theory["log_variance_T"])}
    assert all(abs(z) < Z_MAX for z in zs.values()), zs
    # our own draws of the declared law: same distribution
    ours = own_monte_carlo(spec, theta, ns, SIM_REPS, seed=2024)
    assert abs(mean_z(ours, theory["mean_T"])) < Z_MAX  # the reference itself is right
    assert abs(two_sample_z(x, ours)) < Z_MAX
    assert abs(two_sample_z(logs, np.log(ours / theta))) < Z_MAX
    assert stats.ks_2samp(x, ours).pvalue > 2 * stats.norm.sf(Z_MAX)


def test_simulation_summaries_follow_the_final_values():
    spec = BY_NAME["uniform-max-raw"]
    ds = simulate(spec.build(), schedule=Schedule("n0*t", n0=10), T=30, reps=4000, seed=3,
                  progress=False)
    x = ds["final"].values[:, 0]
    last = ds.isel(t=-1, component=0)
    assert math.isclose(float(last["mean"]), x.mean(), rel_tol=1e-12)
    assert math.isclose(float(last["median"]), float(np.median(x)), rel_tol=1e-12)
    assert float(last["q05"]) <= float(last["median"]) <= float(last["q95"]) <= 1.0


# ------------------------------------------------------------------------------------------
# families without a law: normal approximation
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("source", ["python", "file"])
def test_exact_mode_needs_a_law(source):
    fam = build_biased_normal() if source == "python" else str(DATA / "biased-normal.toml")
    with pytest.raises(ValueError, match="needs an exact one-step law"):
        simulate(fam, schedule="n0*t", T=3, reps=100, mode="exact", progress=False)


def test_default_mode_without_law_is_normal_and_stays_positive():
    """n = 2: N(0.29 theta, theta^2) would be negative about 40 % of the time; the normal
    approximation of a positive parameter must keep the draws positive."""
    ds = simulate(build_biased_normal(), schedule=Schedule("n0", n0=2), T=30, reps=5000,
                  seed=5, progress=False)
    assert ds.attrs["mode"] == "normal"
    assert np.all(ds["final"].values > 0)
    assert np.all(ds["q05"].values > 0)


def test_default_mode_with_law_is_exact():
    ds = simulate(BY_NAME["gamma-scale"].build(), schedule="n0", T=2, reps=100,
                  progress=False)
    assert ds.attrs["mode"] == "exact"


def test_normal_mode_keeps_the_moment_map():
    """The normal approximation has the declared mean and variance at every step, so the
    exact moment recursion holds for theta_T."""
    theta = 1.5
    ns = sizes("n0*t", 50, 10)
    ds = simulate(build_biased_normal(), schedule=Schedule("n0*t", n0=50), T=10,
                  reps=SIM_REPS, seed=8, params={"theta": theta}, progress=False)
    x = ds["final"].values[:, 0]
    theory = biased_normal_moments(theta, ns)
    zs = (mean_z(x, theory["mean_T"]), variance_z(x, theory["variance_T"]))
    assert all(abs(z) < Z_MAX for z in zs), zs


def test_contracting_simulation_reaches_the_stationary_law():
    """A location: the walk is Gaussian, mean and variance from our own iteration."""
    ns = sizes("n0", 10, 15)
    ds = simulate(str(DATA / "contracting.toml"), schedule=Schedule("n0", n0=10), T=15,
                  reps=SIM_REPS, seed=9, progress=False)
    assert ds.attrs["mode"] == "normal"
    x = ds["final"].values[:, 0]
    with mpmath.workdps(30):
        m, v = iterate_contracting(3.0, ns)
    zs = (mean_z(x, float(m)), variance_z(x, float(v)))
    assert all(abs(z) < Z_MAX for z in zs), zs
    assert abs(float(m) - 1.0) < 1e-4 and abs(float(v) - 1 / 30) < 1e-9


# ------------------------------------------------------------------------------------------
# validate
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", [
    pytest.param(f, id=f.name,
                 # the same law as laplace-scale-density: only in the slow run
                 marks=[pytest.mark.slow] if f.name == "laplace-scale" else [])
    for f in LAW_FAMILIES])
def test_validate_quick_passes_for_the_file(spec):
    report = validate(quick=True, families=[str(spec.file)], progress=False)
    assert report.checks and report.passed, [c for c in report.checks if not c.passed]
    names = " ".join(c.name for c in report.checks)
    assert "E log" in names and "Var log" in names  # the law's log-moments are checked


def test_validate_quick_passes_for_python_families_together():
    fams = [BY_NAME["laplace-scale"].build(), build_contracting()]
    report = validate(quick=True, families=fams, progress=False)
    assert report.passed
    assert {c.name.split("/")[0] for c in report.checks} == {"laplace-scale", "contracting"}


def test_registered_file_family_is_found_by_name():
    fam = load(DATA / "gamma-scale.toml", register=True)
    assert get_family("gamma-scale") is fam
    d = derive("gamma-scale", schedule=Schedule("n0*t", n0=10), T=5)
    assert d.values["required_growth_exponent"] == 1.0


# ------------------------------------------------------------------------------------------
# more maps the rule of SPEC section 3 covers (Python API only)
# ------------------------------------------------------------------------------------------
def location_drift() -> UserFamily:
    """A location estimator with bias n^-1/2 and variance n^-2: p* = max(2, 1/2) = 2."""
    return from_moment_map("location-drift", parameter="theta", domain="real",
                           kind="location", mean="theta + 1/sqrt(n)", variance="1/n**2")


def fast_noise() -> UserFamily:
    """Unbiased, variance theta^2 n^-3/2: p* = 1/beta = 2/3."""
    return from_moment_map("fast-noise", parameter="theta", domain="positive", kind="scale",
                           mean="theta", variance="theta**2/n**1.5")


def upward_bias() -> UserFamily:
    """The bias may be upward: b(n) = -n^-1/2, the scale grows without limit; p* = 2."""
    return from_moment_map("upward-bias", parameter="theta", domain="positive", kind="scale",
                           mean="theta*(1 + 1/sqrt(n))", variance="theta**2/n")


def expanding() -> UserFamily:
    """m = 2 theta: no schedule stops it (b(n) = -1 does not shrink): p* = inf."""
    return from_moment_map("expanding", parameter="theta", domain="positive", kind="scale",
                           mean="2*theta", variance="theta**2/n")


def alternating() -> UserFamily:
    """m = 1 - theta/2: a contracting map with a negative slope (|a| = 1/2 < 1)."""
    return from_moment_map("alternating", parameter="theta", domain="real", kind="location",
                           mean="1 - theta/2", variance="1/n")


def fresh_only() -> UserFamily:
    """m = 2: every generation refits on fresh real data only (a = 0)."""
    return from_moment_map("fresh-only", parameter="theta", domain="real", kind="location",
                           mean="2", variance="1/n")


def contracting_exact() -> UserFamily:
    """The contracting map of the brief with its exact (normal) law."""
    return from_moment_map("contracting-exact", parameter="theta", domain="real",
                           kind="location", default=3.0,
                           law="theta/2 + 1/2 + Normal(0, 1/(4*n))")


@pytest.mark.parametrize(("build", "schedule", "collapses", "p_star"), [
    (location_drift, "n0*t**1.5", True, 2.0),
    (location_drift, "n0*t**2.5", False, 2.0),
    (fast_noise, "n0*t**0.6", True, 2 / 3),
    (fast_noise, "n0*t**0.7", False, 2 / 3),
    (upward_bias, "n0*t**1.5", True, 2.0),
    (upward_bias, "n0*t**2.5", False, 2.0),
    (expanding, "n0*2**t", True, math.inf),
    (alternating, "n0", False, 0.0),
    (contracting_exact, "n0", False, 0.0),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_rule_read_off_other_moment_maps(build, schedule, collapses, p_star):
    d = derive(build(), schedule=Schedule(schedule, n0=10), T=5)
    assert d.values["collapses"] is collapses
    assert math.isclose(d.values["required_growth_exponent"], p_star, rel_tol=1e-12) \
        if math.isfinite(p_star) else d.values["required_growth_exponent"] == p_star


def test_location_drift_moments_are_sums():
    """E theta_T = theta + sum 1/sqrt(n_t), Var theta_T = sum 1/n_t^2 (t = 0..T)."""
    ns = sizes("n0*t**1.5", 10, 40)
    d = derive(location_drift(), schedule=Schedule("n0*t**1.5", n0=10), T=40,
               params={"theta": -1.0})
    with mpmath.workdps(30):
        mean = -1 + mpmath.fsum(1 / mpmath.sqrt(k) for k in ns)
        var = mpmath.fsum(mpmath.mpf(1) / k**2 for k in ns)
    assert math.isclose(d.values["mean_T"], float(mean), rel_tol=REL)
    assert math.isclose(d.values["variance_T"], float(var), rel_tol=REL)


def test_upward_bias_moments_are_products():
    ns = sizes("n0*t", 10, 30)
    d = derive(upward_bias(), schedule=Schedule("n0*t", n0=10), T=30, params={"theta": 0.5})
    with mpmath.workdps(30):
        a = [1 + 1 / mpmath.sqrt(k) for k in ns]
        m1 = mpmath.mpf(0.5) * mpmath.fprod(a)
        m2 = mpmath.mpf(0.25) * mpmath.fprod(x**2 + mpmath.mpf(1) / k
                                             for x, k in zip(a, ns, strict=True))
    assert math.isclose(d.values["mean_T"], float(m1), rel_tol=REL)
    assert math.isclose(d.values["variance_T"], float(m2 - m1**2), rel_tol=REL)


def test_alternating_map_limit_is_the_stationary_law():
    """m = 1 - theta/2, v = 1/n: fixed point 2/3, stationary variance (1/n)/(1 - 1/4)."""
    d = derive(alternating(), schedule=Schedule("n0", n0=10), T=math.inf,
               params={"theta": 3.0})
    m, v = mpmath.mpf(3), mpmath.mpf(0)
    for _ in range(400):
        m, v = 1 - m / 2, v / 4 + mpmath.mpf(1) / 10
    assert math.isclose(d.values["mean_T"], float(m), rel_tol=REL)
    assert math.isclose(d.values["variance_T"], float(v), rel_tol=REL)
    assert abs(float(v) - 4 / 30) < 1e-15


@pytest.mark.parametrize(("build", "slope", "shift"), [(alternating, -0.5, 1), (fresh_only, 0, 2)],
                         ids=["a=-1/2", "a=0"])
def test_contracting_map_with_non_positive_slope_at_finite_horizon(build, slope, shift):
    """m_t = a m_(t-1) + c, V_t = a^2 V_(t-1) + 1/n over t = 0..5 from theta* = 3 (every
    |a| < 1 contracts, also a <= 0, whose products of slopes have no logarithm)."""
    d = derive(build(), schedule=Schedule("n0", n0=10), T=5, params={"theta": 3.0})
    a, m, v = mpmath.mpf(slope), mpmath.mpf(3), mpmath.mpf(0)
    for _ in range(6):
        m, v = a * m + shift, a**2 * v + mpmath.mpf(1) / 10
    assert math.isclose(d.values["mean_T"], float(m), rel_tol=REL)
    assert math.isclose(d.values["variance_T"], float(v), rel_tol=REL)


def test_expanding_map_has_no_limit():
    """DESIGN: T = inf gives null where a limit does not exist."""
    d = derive(expanding(), schedule=Schedule("n0", n0=10), T=math.inf)
    assert d.values["mean_T"] is None and d.values["variance_T"] is None
    assert d.values["collapses"] is True


def test_contracting_exact_law_simulates_the_iteration():
    ns = sizes("n0*t", 10, 12)
    ds = simulate(contracting_exact(), schedule=Schedule("n0*t", n0=10), T=12, reps=SIM_REPS,
                  seed=21, progress=False)
    assert ds.attrs["mode"] == "exact"
    x = ds["final"].values[:, 0]
    m, v = iterate_contracting(3.0, ns)
    zs = (mean_z(x, float(m)), variance_z(x, float(v)))
    assert all(abs(z) < Z_MAX for z in zs), zs


def test_validate_passes_for_a_user_random_walk_with_exact_normal_law():
    """Control for the next test: the walk of SPEC section 4 declared by a user."""
    fam = from_moment_map("user-walk", parameter="theta", domain="real", kind="location",
                          law="theta + Normal(0, 2/n)")
    report = validate(quick=True, families=[fam], progress=False)
    assert report.passed
    assert any("improvement" in c.name for c in report.checks)


def test_validate_passes_for_a_contracting_map_with_exact_law():
    """The improvement probability of SPEC section 4 is for the martingale walk m = theta only;
    a contracting map with an exact normal law must not get that check."""
    report = validate(quick=True, families=[contracting_exact()], progress=False)
    assert report.passed, [c.name for c in report.checks if not c.passed]
    assert report.checks and not any("improvement" in c.name for c in report.checks)


@pytest.mark.parametrize("variance", [
    "2*theta**2*(1 - 1/sqrt(n))**2/n", "2*theta**2*(sqrt(n) - 1)**2/n**2",
    "theta**2*(2/n - 4/n**1.5 + 2/n**2)", "2*(theta - theta/sqrt(n))**2/n",
    "2*theta**2*(1 - n**(-0.5))**2/n",
])
def test_law_check_accepts_equivalent_forms_of_the_map(variance):
    fam = from_moment_map("biased-chisq", parameter="theta", domain="positive", kind="scale",
                          mean="theta - theta/sqrt(n)", variance=variance,
                          law="theta*(1 - 1/sqrt(n))*ChiSquare(n)/n")
    assert fam.estimator().exact
