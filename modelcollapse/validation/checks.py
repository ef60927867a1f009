r"""Theory versus Monte Carlo: the automated validation suite (``modelcollapse validate``).

Every result (moments, collapse, improvement probability) that
:func:`~modelcollapse.theory.derive` computes is compared with a simulation of the walk
(:func:`~modelcollapse.validation.simulate`) for every family, estimator and a range of
schedules. Each comparison is a :class:`Check` with a
z-score

.. math::

    z = \frac{\widehat{m} - m}{\widehat{\mathrm{se}}},

where :math:`m` is the theoretical value, :math:`\widehat m` its Monte Carlo estimate from
:math:`R` replications and :math:`\widehat{\mathrm{se}}` the Monte Carlo standard error:

* a mean: :math:`\widehat{\mathrm{se}} = s/\sqrt R`;
* a variance: :math:`\widehat{\mathrm{se}} = \sqrt{(\hat m_4 - s^4)/R}`, with
  :math:`\hat m_4` the sample fourth central moment (the asymptotic variance of :math:`s^2`);
* :math:`E\log` and :math:`\operatorname{Var}\log` of a scale or rate (of
  :math:`\log\det` for a covariance): the same two rules applied to the logarithms;
* a probability (fixation, extinction, improvement): :math:`\sqrt{\theta(1-\theta)/R}`
  under the null; the reported z is the normal equivalent
  :math:`\operatorname{sign}(\widehat m - \theta)\,\Phi^{-1}(1 - p/2)` of the exact two-sided
  binomial p-value :math:`p` (equal to :math:`(\widehat m-\theta)/\mathrm{se}` in the normal
  regime, and still valid when :math:`R\theta` is small);
* a median :math:`m` of a continuous law: with :math:`k = \#\{x_i < m\}`, the sign test
  :math:`z = (R/2 - k)/(\sqrt R/2)`; :math:`|z| \le` :data:`Z_TOL` is the same as :math:`m`
  lying inside the distribution-free order-statistic confidence interval
  :math:`[x_{(R/2 - z\sqrt R/2)}, x_{(R/2 + z\sqrt R/2)}]`; the reported se is half the
  width of the one-sigma interval.

Two-sample checks compare the ``exact`` sampler with ``brute`` force (draw the data, refit)
with :math:`z = (\widehat m_1 - \widehat m_2)/\sqrt{\mathrm{se}_1^2 + \mathrm{se}_2^2}` and a
Kolmogorov-Smirnov test. A check passes when :math:`|z| \le` :data:`Z_TOL`.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from scipy import special, stats

from modelcollapse.arguments import flag, integer
from modelcollapse.families import Bias, Family, family_names, get_family
from modelcollapse.families.laws import BinomialMean, MultinomialMean, Normal, PoissonMean
from modelcollapse.jsonable import jsonable
from modelcollapse.progress import show_progress
from modelcollapse.schedules import Schedule
from modelcollapse.theory.absorption import bernoulli_fixation_probability
from modelcollapse.theory.accumulate import accumulate_route
from modelcollapse.theory.derive import derive, parameter_values
from modelcollapse.theory.improvement import improvement_probability
from modelcollapse.validation.engine import Component, components
from modelcollapse.validation.simulate import simulate

__all__ = [
    "Z_TOL",
    "KS_P_MIN",
    "TAIL_SE_ACCURACY",
    "FALLING_RATIO",
    "LEVEL_RATIO",
    "Check",
    "ValidationReport",
    "validate",
    "run_validate",
]

#: A check passes when :math:`|z| \le` ``Z_TOL``. For a standard normal z,
#: :math:`P(|z| > 4.5) = 2\Phi(-4.5) \approx 6.8\times 10^{-6}`; by Bonferroni the chance that
#: *any* of :math:`N` correct checks fails is at most :math:`N \cdot 6.8\times 10^{-6}`:
#: about 0.3 % for the 429 checks of the quick run and 0.6 % for the 929 of the full run
#: (the seeds are fixed, so a given run is reproducible either way).
Z_TOL: Final[float] = 4.5
#: Kolmogorov-Smirnov p-value below which exact and brute force are declared different;
#: :math:`2\Phi(-Z_{TOL})`, so a KS check has the same false-alarm rate as a z check.
KS_P_MIN: Final[float] = float(2.0 * stats.norm.sf(Z_TOL))
#: Heavy tails. A scale walk is close to log-normal, :math:`\log\hat\theta_T \approx
#: N(\mu, v)`. A moment check of order :math:`k` (mean: 1, variance: 2) needs its standard
#: error from the sample moment of order :math:`2k`, itself estimated with relative standard
#: error :math:`\approx\sqrt{E X^{4k}/(E X^{2k})^2/R} = \sqrt{e^{4k^2 v}/R}`. The check is
#: made only when this is at most ``TAIL_SE_ACCURACY`` (the se is then known to ~10 %):
#: :math:`v \le \ln(R\,\epsilon^2)/(4k^2)`. For :math:`R = 10^5`, a variance check needs
#: :math:`v \le 0.43` and a mean check :math:`v \le 1.73` (:math:`R = 2\cdot 10^4`: 0.33 and
#: 1.32). The horizons of the plans (``n0 = 50``: constant schedule up to T = 5 for variances,
#: T = 30 for means only) are chosen from :math:`v \approx 2(T+1)/n_0` so that most checks
#: are made; those that are not are listed in :attr:`ValidationReport.skipped`.
TAIL_SE_ACCURACY: Final[float] = 0.1
#: Collapse dichotomy: with :math:`n_t = n_0 t` the median of :math:`\hat\sigma^2_T` keeps
#: falling: median(T) / median(T/10) :math:`\approx 10^{-1/n_0}` (0.79 for n0 = 10) must be
#: at most ``FALLING_RATIO``.
FALLING_RATIO: Final[float] = 0.9
#: With :math:`n_t = n_0 t^{1.5}` it levels off: the ratio
#: :math:`\approx \exp(-2(T_1^{-1/2} - T^{-1/2})/n_0)` (0.97 at T = 200, 0.986 at T = 1000) must
#: be at least ``LEVEL_RATIO``.
LEVEL_RATIO: Final[float] = 0.95

#: laws with integer counts behind them: small n0 so that absorption is visible
_DISCRETE_LAWS = (BinomialMean, PoissonMean, MultinomialMean)


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One comparison of a theoretical value with its Monte Carlo estimate.

    ``z`` is the standardised difference (see the module docstring for each kind of check)
    and ``passed`` is :math:`|z| \\le` :data:`Z_TOL` unless the check documents another rule.
    """

    name: str
    theory: float
    mc: float
    se: float
    z: float
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: non-finite numbers become ``None``."""
        return jsonable({"name": self.name, "theory": self.theory, "mc": self.mc,
                         "se": self.se, "z": self.z, "passed": bool(self.passed)})


@dataclass
class ValidationReport:
    """The result of :func:`validate`: a list of :class:`Check` and how long it took.

    Prints as an aligned table; :meth:`to_dict` is the JSON object of
    ``modelcollapse validate --json``.
    """

    checks: list[Check]
    seconds: float = 0.0
    quick: bool = False
    seed: int = 0
    skipped: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        """The checks that failed."""
        return [c for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        """``{"checks": [...], "passed": bool, "seconds": float, "quick": bool, ...}``."""
        return {"checks": [c.to_dict() for c in self.checks], "passed": self.passed,
                "seconds": float(self.seconds), "quick": bool(self.quick),
                "seed": int(self.seed), "n_checks": len(self.checks),
                "n_failed": len(self.failures), "z_tol": Z_TOL, "skipped": list(self.skipped)}

    def to_json(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        """Write :meth:`to_dict` as JSON (strict: no NaN), atomically; an existing file only
        with ``overwrite=True`` (:func:`modelcollapse.outputs.write_text`)."""
        from modelcollapse.outputs import write_text

        write_text(path, json.dumps(jsonable(self.to_dict()), indent=1, allow_nan=False),
                   overwrite=overwrite, name="path")

    def to_csv(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        """Write one row per check: ``name, theory, mc, se, z, passed``; atomically, an
        existing file only with ``overwrite=True``."""
        from modelcollapse.outputs import write_text

        buf = io.StringIO(newline="")
        writer = csv.writer(buf)
        writer.writerow(["name", "theory", "mc", "se", "z", "passed"])
        for c in self.checks:
            writer.writerow([c.name, repr(float(c.theory)), repr(float(c.mc)),
                             repr(float(c.se)), repr(float(c.z)), c.passed])
        write_text(path, buf.getvalue(), overwrite=overwrite, name="path")

    def __str__(self) -> str:
        width = min(100, max([len(c.name) for c in self.checks] + [5]))
        head = (f"{'check':<{width}} {'theory':>12} {'mc':>12} {'se':>10} {'z':>7}  result")
        lines = [head, "-" * len(head)]
        for c in self.checks:
            name = c.name if len(c.name) <= width else c.name[:width - 3] + "..."
            lines.append(f"{name:<{width}} {c.theory:>12.6g} {c.mc:>12.6g} {c.se:>10.3g} "
                         f"{c.z:>7.2f}  {'ok' if c.passed else 'FAIL'}")
        mode = "quick" if self.quick else "full"
        lines.append(f"{len(self.checks)} checks ({mode}, seed {self.seed}), "
                     f"{len(self.failures)} failed, |z| <= {Z_TOL}, {self.seconds:.1f} s"
                     + (f"; {len(self.skipped)} skipped (heavy tails or no theory)"
                        if self.skipped else ""))
        return "\n".join(lines)

    def __len__(self) -> int:
        return len(self.checks)


# ---------------------------------------------------------------------------------------------
# statistics of one check
# ---------------------------------------------------------------------------------------------


def _z(mc: float, theory: float, se: float) -> float:
    if se > 0 and math.isfinite(se):
        return (mc - theory) / se
    return 0.0 if mc == theory else math.copysign(math.inf, mc - theory)


def _make(name: str, theory: float, mc: float, se: float, z: float | None = None) -> Check:
    z = _z(mc, theory, se) if z is None else z
    return Check(name, float(theory), float(mc), float(se), float(z),
                 bool(math.isfinite(z) and abs(z) <= Z_TOL))


def mean_check(name: str, theory: float, x: np.ndarray) -> Check:
    r"""Sample mean against ``theory``, :math:`\mathrm{se} = s/\sqrt R`."""
    R = len(x)
    return _make(name, theory, float(np.mean(x)), float(np.std(x, ddof=1) / math.sqrt(R)))


def _variance_and_se(x: np.ndarray) -> tuple[float, float]:
    r""":math:`s^2` and :math:`\sqrt{(\hat m_4 - s^4)/R}`."""
    R = len(x)
    dev = x - np.mean(x)
    s2 = float(np.sum(dev**2) / (R - 1))
    m4 = float(np.mean(dev**4))
    return s2, math.sqrt(max(m4 - s2 * s2, 0.0) / R)


def variance_check(name: str, theory: float, x: np.ndarray) -> Check:
    r"""Sample variance against ``theory``, :math:`\mathrm{se} = \sqrt{(\hat m_4 - s^4)/R}`."""
    s2, se = _variance_and_se(x)
    return _make(name, theory, s2, se)


def proportion_check(name: str, theory: float, hits: np.ndarray) -> Check:
    r"""Frequency of ``hits`` against a probability, by the exact binomial test."""
    R = int(hits.size)
    k = int(np.count_nonzero(hits))
    theory = float(min(max(theory, 0.0), 1.0))
    se = math.sqrt(theory * (1.0 - theory) / R)
    if theory in (0.0, 1.0):
        p = 1.0 if k == round(theory * R) else 0.0
    else:
        p = float(stats.binomtest(k, R, theory).pvalue)
    z = math.copysign(float(stats.norm.isf(min(p, 1.0) / 2.0)), k / R - theory)
    return _make(name, theory, k / R, se, z)


def median_check(name: str, theory: float, x: np.ndarray) -> Check:
    r"""Sample median against the median of a continuous law (sign test, order statistics)."""
    R = len(x)
    xs = np.sort(x)
    half = math.sqrt(R) / 2.0
    lo = xs[max(0, int(math.floor(R / 2 - half)))]
    hi = xs[min(R - 1, int(math.ceil(R / 2 + half)))]
    k = int(np.count_nonzero(x < theory))
    z = (R / 2.0 - k) / half
    return _make(name, theory, float(np.median(x)), float(hi - lo) / 2.0, z)


def _two_sample(name: str, a: np.ndarray, b: np.ndarray) -> list[Check]:
    """Means, variances and a KS test of ``a`` (exact) and ``b`` (brute force)."""
    out = []
    se = math.hypot(np.std(a, ddof=1) / math.sqrt(len(a)), np.std(b, ddof=1) / math.sqrt(len(b)))
    out.append(_make(f"{name}: mean", float(np.mean(a)), float(np.mean(b)), se))
    va, sa = _variance_and_se(a)
    vb, sb = _variance_and_se(b)
    out.append(_make(f"{name}: variance", va, vb, math.hypot(sa, sb)))
    ks = stats.ks_2samp(a, b, method="asymp")
    p = float(ks.pvalue)
    z = float(stats.norm.isf(p / 2.0))
    scale = math.sqrt((len(a) + len(b)) / (len(a) * len(b)))
    out.append(Check(f"{name}: KS p={p:.3g} (fails below {KS_P_MIN:.2g})", 0.0,
                     float(ks.statistic), scale, z, bool(p >= KS_P_MIN)))
    return out


def _tail_ok(order: int, log_var: float, reps: int) -> bool:
    """Whether a moment check of ``order`` has a meaningful se (:data:`TAIL_SE_ACCURACY`)."""
    return 4 * order**2 * log_var <= math.log(reps * TAIL_SE_ACCURACY**2)


# ---------------------------------------------------------------------------------------------
# plans
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    reps: int
    schedules: tuple[tuple[str, int], ...]
    bias_schedules: tuple[tuple[str, int], ...]
    accumulate_schedules: tuple[tuple[str, int], ...]
    all_estimators: bool
    brute_reps: int
    brute_T: int
    dichotomy_T: int
    dichotomy_reps: int
    improvement_mv: tuple[int, str, int, int]  # n0, schedule, T, reps
    #: mix workflow: schedules, and (K, w) pairs
    mix_schedules: tuple[tuple[str, int], ...] = ()
    mix_weights: tuple[tuple[float, float], ...] = ()


_QUICK = _Plan(
    reps=20_000,
    schedules=(("n0", 5), ("n0*t", 20), ("n0*t**1.5", 20), ("n0*2**t", 10)),
    bias_schedules=(("n0*t**1.5", 20),),
    accumulate_schedules=(("n0", 20),),
    all_estimators=False,
    brute_reps=10_000, brute_T=5,
    dichotomy_T=200, dichotomy_reps=20_000,
    improvement_mv=(1000, "n0*t", 10, 20_000),
    mix_schedules=(("n0", 20),),
    mix_weights=((2.0, 0.4),),
)
_FULL = _Plan(
    reps=100_000,
    schedules=(("n0", 5), ("n0", 30), ("n0*t", 50), ("n0*t*log(t+1)", 50), ("n0*t**1.5", 50),
               ("n0*t**2", 50), ("n0*2**t", 20)),
    bias_schedules=(("n0*t", 50), ("n0*t**2", 50)),
    accumulate_schedules=(("n0", 50), ("n0*t", 50)),
    all_estimators=True,
    brute_reps=40_000, brute_T=5,
    dichotomy_T=1000, dichotomy_reps=100_000,
    improvement_mv=(1000, "n0*t", 10, 100_000),
    mix_schedules=(("n0", 50), ("n0*t", 30)),
    mix_weights=((1.0, 0.5), (2.0, 0.2), (0.5, 0.8)),
)

#: bias used in the biased cases: :math:`c(n) = 1 - n^{-1/2}`
_BIAS = Bias(1.0, 0.5)


def _discrete(fam: Family) -> bool:
    return any(isinstance(law, _DISCRETE_LAWS) for est in fam.estimators.values()
               for law in est.laws.values())


def _n0(fam: Family) -> int:
    # discrete families: small n0 so that fixation / extinction have visible probabilities;
    # continuous: n0 = 50 keeps the log-variance v ~ 2(T+1)/n0 of scale walks small enough
    # for variance checks (see TAIL_SE_ACCURACY)
    return 10 if _discrete(fam) else 50


def _normal_location(fam: Family) -> bool:
    """One location parameter with an exact normal law whose variance does not depend on it:
    the Gaussian-mean walk, whose improvement probability has a closed form."""
    if len(fam.parameters) != 1 or fam.vector or fam.parameters[0].kind != "location":
        return False
    est = fam.estimator()
    law = est.laws[fam.parameters[0].name]
    theta = fam.parameters[0].symbol
    return est.exact and isinstance(law, Normal) and law.loc == theta and not law.var.has(theta)


def _estimators(fam: Family, all_estimators: bool) -> list[str]:
    """All estimators, or (quick) one per distinct step law."""
    if all_estimators:
        return list(fam.estimators)
    seen: dict[str, str] = {}
    for est in [fam.default_estimator, *fam.estimators]:
        seen.setdefault(repr(fam.step_law(est)), est)
    return list(dict.fromkeys(seen.values()))


def _seed(base: int, name: str) -> int:
    """A per-task seed that depends on the base seed and the task's name only."""
    ss = np.random.SeedSequence([base, zlib.crc32(name.encode())])
    return int(ss.generate_state(1, dtype=np.uint32)[0])


@dataclass(frozen=True)
class _Task:
    name: str
    run: Callable[[int], tuple[list[Check], list[str]]]


def _tasks(plan: _Plan, families: Sequence[Family]) -> Iterator[_Task]:
    for fam in families:
        fname = fam.name
        n0 = _n0(fam)
        biasable = all(p.kind != "probability" for p in fam.parameters)
        for est in _estimators(fam, plan.all_estimators):
            cases: list[tuple[str, int, str, Bias | None]] = [
                (expr, T, "replace", None) for expr, T in plan.schedules]
            if biasable:
                cases += [(expr, T, "replace", _BIAS) for expr, T in plan.bias_schedules]
            if not accumulate_route(fam, est).startswith("no closed form"):
                # exact pooled moments (pooled sample means, pooled least squares); the rest is
                # Monte Carlo only
                cases += [(expr, T, "accumulate", None) for expr, T in plan.accumulate_schedules]
            for expr, T, workflow, bias in cases:
                label = (f"{fname}/{est}/{workflow}"
                         + (f"/bias(k={_BIAS.kappa:g},a={_BIAS.alpha:g})" if bias else "")
                         + f"/{expr} n0={n0} T={T}")
                yield _Task(label, _theory_task(label, fam, est, Schedule(expr, n0=n0), T,
                                                workflow, bias, plan.reps))
            if _mix_closes(fam, est):
                for (expr, T), (ratio, weight) in itertools.product(plan.mix_schedules,
                                                                    plan.mix_weights):
                    label = f"{fname}/{est}/mix(K={ratio:g},w={weight:g})/{expr} n0={n0} T={T}"
                    yield _Task(label, _theory_task(label, fam, est, Schedule(expr, n0=n0), T,
                                                    "mix", None, plan.reps,
                                                    mix={"real_ratio": ratio,
                                                         "real_weight": weight}))
        bn0 = 10 if _discrete(fam) else 20
        brute = [e for e in (fam.estimators if plan.all_estimators else [fam.default_estimator])
                 if fam.data is not None and fam.estimator(e).exact]
        for e in brute:
            label = f"exact-vs-brute {fname}/{e}/n0*t n0={bn0} T={plan.brute_T}"
            yield _Task(label, _brute_task(label, fam, e, Schedule("n0*t", n0=bn0),
                                           plan.brute_T, plan.brute_reps))
        for make in _RESULT_TASKS.get(fname, ()):  # results stated for one family
            yield from make(plan)


def _mix_closes(fam: Family, est: str) -> bool:
    """The mix workflow has exact moments where every parameter's moment map closes (scalar
    parameters; a covariance walks entrywise, not by a closing map of the matrix)."""
    return all(p.domain != "spd" and fam.moment_map(p.name, est).closes
               for p in fam.parameters)


def _mv_improvement_tasks(plan: _Plan) -> Iterator[_Task]:
    n0m, expr, T, reps = plan.improvement_mv
    label = f"improvement mvgaussian/mu d=2/{expr} n0={n0m} T={T}"
    yield _Task(label, _mv_improvement_task(label, Schedule(expr, n0=n0m), T, reps))


def _dichotomy_tasks(plan: _Plan) -> Iterator[_Task]:
    for expr, rule in (("n0*t", "falling"), ("n0*t**1.5", "level")):
        label = f"dichotomy gaussian-variance/unbiased/{expr} n0=10 T={plan.dichotomy_T}"
        yield _Task(label, _dichotomy_task(label, Schedule(expr, n0=10), plan.dichotomy_T,
                                           plan.dichotomy_reps, rule))


#: checks of results stated about one built-in family (the improvement probability
#: in two dimensions, the collapse dichotomy of the variance), by the family they are about
_RESULT_TASKS: dict[str, tuple[Callable[[_Plan], Iterator[_Task]], ...]] = {
    "mvgaussian": (_mv_improvement_tasks,),
    "gaussian-variance": (_dichotomy_tasks,),
}


# ---------------------------------------------------------------------------------------------
# theory versus simulation for one case
# ---------------------------------------------------------------------------------------------


def _theory_of(values: Mapping[str, Any], key: str, fam: Family, comp: Component) -> Any:
    """The value of ``values[key]`` for one component (None where derive gives none)."""
    val = values.get(key)
    if val is None:
        return None
    if isinstance(val, dict):
        val = val.get(comp.parameter)
        if val is None:  # this parameter has no closed form (the pooled S^2's variance)
            return None
    if isinstance(val, list):
        if comp.rule == "logdet":
            return None
        i = comp.index[0]
        if len(comp.index) == 2 and comp.index[0] != comp.index[1]:
            # off-diagonal of a covariance: E Sigma_T = c_T Sigma entrywise, Sigma_01 = 0
            return 0.0 if key == "mean_T" else None
        return float(val[i])
    return None if comp.rule == "logdet" else float(val)


def _theory_task(label: str, fam: Family, est: str, schedule: Schedule, T: int, workflow: str,
                 bias: Bias | None, reps: int, mix: Mapping[str, float] | None = None,
                 ) -> Callable[[int], tuple[list[Check], list[str]]]:
    def run(seed: int) -> tuple[list[Check], list[str]]:
        d = derive(fam, schedule=schedule, T=T, estimator=est, workflow=workflow, bias=bias,
                   **(mix or {}))
        improve = _normal_location(fam) and workflow == "replace" and bias is None
        ds = simulate(fam, schedule=schedule, T=T, reps=reps, seed=seed, estimator=est,
                      workflow=workflow, bias=bias, progress=False, trajectories=improve,
                      **(mix or {}))
        comps = components(fam, parameter_values(fam, None))
        final = np.asarray(ds["final"].values, dtype=float)
        checks: list[Check] = []
        skipped: list[str] = []
        log_var = _log_variances(comps, final)
        for k, comp in enumerate(comps):
            x = final[:, k]
            tag = f"{label}: {{}} {comp.name}"
            mean = _theory_of(d.values, "mean_T", fam, comp)
            var = _theory_of(d.values, "variance_T", fam, comp)
            v = log_var.get(comp.name)
            if mean is not None:
                if v is None or _tail_ok(1, v, reps):
                    checks.append(mean_check(tag.format("mean"), mean, x))
                else:
                    skipped.append(f"{tag.format('mean')} (heavy tail: Var log = {v:.3g})")
            if var is not None:
                if v is None or _tail_ok(2, v, reps):
                    checks.append(variance_check(tag.format("variance"), var, x))
                else:
                    skipped.append(f"{tag.format('variance')} (heavy tail: Var log = {v:.3g})")
            if fam.parameter(comp.parameter).kind == "location" and mean is not None:
                # location walks are symmetric about their mean: the median is the mean
                checks.append(median_check(tag.format("median"), mean, x))
        checks += _log_checks(label, d.values, comps, final)
        checks += _absorption_checks(label, fam, d.values, comps, final, ds, workflow, bias)
        if improve:
            checks += _improvement_checks(label, ds, schedule, T)
        return checks, skipped

    return run


def _log_variances(comps: Sequence[Component], final: np.ndarray) -> dict[str, float]:
    """Sample Var log of each positive scale/rate component (diagonal ones for a covariance;
    an off-diagonal entry gets the largest diagonal value)."""
    out: dict[str, float] = {}
    for k, c in enumerate(comps):
        if c.rule in ("below", "above") and np.all(final[:, k] > 0):
            out[c.name] = float(np.var(np.log(final[:, k]), ddof=1))
    diag = [v for c in comps for name, v in out.items() if name == c.name]
    for c in comps:
        if c.rule == "none" and len(c.index) == 2 and diag:
            out[c.name] = max(diag)
    return out


def _log_checks(label: str, values: Mapping[str, Any], comps: Sequence[Component],
                final: np.ndarray) -> list[Check]:
    r""":math:`E\log(\hat\theta_T/\theta^*)` and :math:`\operatorname{Var}\log` (log det)."""
    if values.get("log_mean_T") is None:
        return []
    logdet = [k for k, c in enumerate(comps) if c.rule == "logdet"]
    scale = [k for k, c in enumerate(comps) if c.rule in ("below", "above")]
    if logdet:
        k = logdet[0]
        y = final[:, k] - comps[k].truth
    elif len(scale) == 1 and np.all(final[:, scale[0]] > 0):
        k = scale[0]
        y = np.log(final[:, k] / comps[k].truth)
    else:
        return []
    what = "log det" if logdet else f"log {comps[k].name}"
    out = [mean_check(f"{label}: E {what}", float(values["log_mean_T"]), y)]
    if values.get("log_variance_T") is not None:
        out.append(variance_check(f"{label}: Var {what}", float(values["log_variance_T"]), y))
    return out


def _absorption_checks(label: str, fam: Family, values: Mapping[str, Any],
                       comps: Sequence[Component], final: np.ndarray, ds: Any, workflow: str,
                       bias: Bias | None) -> list[Check]:
    """Fixation (Bernoulli, each categorical cell), extinction (Poisson) and, for a vector of
    probabilities, the loss of all categories but one by T."""
    out = []
    prob = values.get("collapse_probability_T")
    fixing = [k for k, c in enumerate(comps) if c.rule == "fixation"]
    if fam.vector and fixing and prob is not None:  # one cell at 1: all others lost
        hits = (final[:, fixing] == 1).any(axis=1)
        out.append(proportion_check(f"{label}: P(one category left by T)", float(prob), hits))
    for k, c in enumerate(comps):
        hits = None
        if c.rule == "fixation":
            hits = (final[:, k] == 0) | (final[:, k] == 1)
        elif c.rule == "extinction":
            hits = final[:, k] == 0
        if hits is None:
            continue
        theory = None if fam.vector else prob
        if fam.vector and workflow == "replace" and bias is None:
            # a categorical cell is itself a Wright-Fisher (Bernoulli) walk: Multinomial
            # margins are Binomial(n, p_k)
            try:
                theory = bernoulli_fixation_probability(c.truth, np.asarray(ds["n"].values))
            except ValueError:  # the exact chain is too large for these sizes
                theory = None
        if theory is not None:
            event = "fixation" if c.rule == "fixation" else "extinction"
            out.append(proportion_check(f"{label}: P({event} by T) {c.name}", float(theory),
                                        hits))
    return out


def _improvement_checks(label: str, ds: Any, schedule: Schedule, T: int) -> list[Check]:
    r""":math:`P(T)` for d = 1 (each walk) and d = 2 (pairs of independent
    walks, the isotropic 2-d Gaussian mean with known covariance)."""
    traj = np.asarray(ds["trajectory"].values[:, :, 0], dtype=float)
    mu = float(ds["truth"].values[0])
    x0, xT = traj[:, 0] - mu, traj[:, -1] - mu
    s_T = schedule.inverse_sum(T)
    out = [proportion_check(f"{label}: improvement P(T) d=1",
                            improvement_probability(schedule.n0, s_T, dim=1),
                            np.abs(xT) < np.abs(x0))]
    half = len(x0) // 2
    d0 = x0[:half] ** 2 + x0[half:2 * half] ** 2
    dT = xT[:half] ** 2 + xT[half:2 * half] ** 2
    out.append(proportion_check(f"{label}: improvement P(T) d=2 (paired walks)",
                                improvement_probability(schedule.n0, s_T, dim=2), dT < d0))
    return out


def _mv_improvement_task(label: str, schedule: Schedule, T: int,
                         reps: int) -> Callable[[int], tuple[list[Check], list[str]]]:
    r"""mvgaussian's :math:`\mu` with d = 2. The walk re-estimates :math:`\Sigma`, so the
    increments are a scale mixture :math:`N(0, \sum_t \hat\Sigma_{t-1}/n_t)` rather than
    :math:`N(0, S_T I)`: the closed form is then exact only as
    :math:`n_0 \to \infty`. Measured excess for the constant schedule, T = 10: +0.018 at
    :math:`n_0 = 20`, +0.0036 at :math:`n_0 = 100` (it scales like the relative variance of
    :math:`\hat\Sigma`, :math:`O(1/n_0)`); :math:`n_0 = 1000` puts it near 4e-4, a quarter of
    the se at R = 1e5."""

    def run(seed: int) -> tuple[list[Check], list[str]]:
        ds = simulate("mvgaussian", schedule=schedule, T=T, reps=reps, seed=seed,
                      trajectories=True, progress=False)
        names = list(map(str, ds["component"].values))
        idx = [names.index("mu[0]"), names.index("mu[1]")]
        traj = np.asarray(ds["trajectory"].values[:, :, idx], dtype=float)
        truth = np.asarray(ds["truth"].values[idx], dtype=float)
        d0 = np.sum((traj[:, 0] - truth) ** 2, axis=1)
        dT = np.sum((traj[:, -1] - truth) ** 2, axis=1)
        theory = improvement_probability(schedule.n0, schedule.inverse_sum(T), dim=2)
        return [proportion_check(f"{label}: improvement P(T)", theory, dT < d0)], []

    return run


def _brute_task(label: str, fam: Family, est: str, schedule: Schedule, T: int,
                reps: int) -> Callable[[int], tuple[list[Check], list[str]]]:
    def run(seed: int) -> tuple[list[Check], list[str]]:
        a = simulate(fam, schedule=schedule, T=T, reps=reps, seed=seed, estimator=est,
                     mode="exact", progress=False)
        b = simulate(fam, schedule=schedule, T=T, reps=reps, seed=seed + 1, estimator=est,
                     mode="brute", progress=False)
        checks: list[Check] = []
        fa, fb = np.asarray(a["final"].values), np.asarray(b["final"].values)
        for k, comp in enumerate(map(str, a["component"].values)):
            checks += _two_sample(f"{label}: {comp}", fa[:, k], fb[:, k])
        return checks, []

    return run


def _median_log_cf(values: Mapping[str, Any], sizes: np.ndarray) -> float:
    r"""Median of :math:`\log(\hat\sigma^2_T/\sigma^2)` (unbiased walk) to first Cornish-Fisher
    order: :math:`\kappa_1 - \kappa_3/(6\kappa_2)`, with :math:`\kappa_1, \kappa_2` from
    ``derive`` and :math:`\kappa_3 = \sum_t \psi''((n_t-1)/2)` (log-Gamma cumulants)."""
    k1, k2 = float(values["log_mean_T"]), float(values["log_variance_T"])
    k3 = float(np.sum(special.polygamma(2, (np.asarray(sizes, dtype=float) - 1) / 2)))
    return k1 - k3 / (6 * k2)


def _median_se(x: np.ndarray) -> float:
    """Half the width of the one-sigma order-statistic interval of the median."""
    xs = np.sort(x)
    R, half = len(x), math.sqrt(len(x)) / 2
    return float(xs[min(R - 1, math.ceil(R / 2 + half))] - xs[max(0, math.floor(R / 2 - half))]) / 2


def _dichotomy_task(label: str, schedule: Schedule, T: int, reps: int,
                    rule: str) -> Callable[[int], tuple[list[Check], list[str]]]:
    r"""Median of :math:`\hat\sigma^2_T` over median at :math:`T/10`, same replications (the
    run to :math:`T/10` with the same seed is the prefix of the run to :math:`T`). Theory:
    :math:`\exp(\mathrm{med}_T - \mathrm{med}_{T/10})` from :func:`_median_log_cf`; se by
    the delta method from the order-statistic se of each median (conservative: the two
    medians are positively correlated)."""

    def run(seed: int) -> tuple[list[Check], list[str]]:
        T1 = T // 10
        long = simulate("gaussian-variance", schedule=schedule, T=T, reps=reps, seed=seed,
                        progress=False)
        short = simulate("gaussian-variance", schedule=schedule, T=T1, reps=reps, seed=seed,
                         progress=False)
        xa = np.asarray(long["final"].values[:, 0], dtype=float)
        xb = np.asarray(short["final"].values[:, 0], dtype=float)
        ma, mb = float(np.median(xa)), float(np.median(xb))
        ratio = ma / mb
        se = ratio * math.hypot(_median_se(xa) / ma, _median_se(xb) / mb)
        da = derive("gaussian-variance", schedule=schedule, T=T)
        db = derive("gaussian-variance", schedule=schedule, T=T1)
        theory = math.exp(_median_log_cf(da.values, long["n"].values)
                          - _median_log_cf(db.values, short["n"].values))
        z = _z(ratio, theory, se)
        if rule == "falling":
            ok, text = ratio <= FALLING_RATIO, f"keeps falling (ratio <= {FALLING_RATIO})"
        else:
            ok, text = ratio >= LEVEL_RATIO, f"levels off (ratio >= {LEVEL_RATIO})"
        name = f"{label}: median(T={T})/median(T={T1}) = {ma:.4g}/{mb:.4g} {text}"
        return [Check(name, theory, ratio, se, z, bool(ok and abs(z) <= Z_TOL))], []

    return run


# ---------------------------------------------------------------------------------------------
# the suite
# ---------------------------------------------------------------------------------------------


def validate(*, quick: bool = False, seed: int = 0, progress: bool | None = None,
             families: Sequence[str] | None = None) -> ValidationReport:
    r"""Compare every result with Monte Carlo; return the checks.

    For each family, estimator and schedule (constant, :math:`n_0 t`,
    :math:`n_0 t\log(t+1)`, :math:`n_0 t^{1.5}`, :math:`n_0 t^2`, :math:`n_0 2^t`; fewer in
    quick mode), plus biased (:math:`c(n) = 1 - n^{-1/2}`) and accumulate-workflow cases:
    means and variances of :math:`\hat\theta_T`, :math:`E\log` and
    :math:`\operatorname{Var}\log` of scales, medians of locations, fixation and extinction
    probabilities, the improvement probability :math:`P(T)` (d = 1, 2), exact-versus-brute
    two-sample tests and the collapse dichotomy of the Gaussian variance.

    Parameters
    ----------
    quick : bool, optional
        Fewer schedules, :math:`R = 2\cdot 10^4` replications (under a minute on 2 cores);
        the full run uses :math:`R = 10^5` (about 5 minutes).
    seed : int, optional
        Base seed; each task's seed is derived from it and the task's name.
    progress : bool or None, optional
        Progress bar over the tasks (``None``: only when stderr is a terminal).
    families : sequence of str, optional
        Restrict to these families (default: all registered families).

    Returns
    -------
    ValidationReport
        ``.passed`` is True when every :math:`|z| \le` :data:`Z_TOL`.

    Raises
    ------
    ValueError
        For an unknown family name or a negative seed.
    TypeError
        For a seed that is not an integer.

    Examples
    --------
    >>> report = validate(quick=True, families=["gaussian-mean"], progress=False)
    >>> report.passed, report.to_dict()["quick"]
    (True, True)
    """
    seed = integer("seed", seed, low=0)
    quick = flag("quick", quick)
    known = family_names()
    if families is None:
        chosen = [get_family(name) for name in known]
    else:
        if isinstance(families, str | Family | os.PathLike):
            families = [families]
        chosen = [get_family(f) for f in families]  # names, family files or Family objects
        chosen = list({id(f): f for f in chosen}.values())
        if not chosen:
            raise ValueError(f"families must name at least one of: {', '.join(known)}, or "
                             "a family file")
    plan = _QUICK if quick else _FULL
    tasks = list(_tasks(plan, chosen))
    show = show_progress(progress)  # a terminal or a notebook
    start = time.perf_counter()
    checks: list[Check] = []
    skipped: list[str] = []
    from tqdm import tqdm

    with tqdm(tasks, desc="validate", unit="run", disable=not show, leave=False) as bar:
        for task in bar:
            got, skip = task.run(_seed(int(seed), task.name))
            checks += got
            skipped += skip
            bar.set_postfix(checks=len(checks), failed=sum(not c.passed for c in checks))
    return ValidationReport(checks, time.perf_counter() - start, bool(quick), int(seed),
                            skipped)


# ---------------------------------------------------------------------------------------------
# the command
# ---------------------------------------------------------------------------------------------


def run_validate(*, quick: bool = False, seed: int = 0, families: Sequence[str] | None = None,
                 out: str | os.PathLike[str] | None = None,
                 extra_checks: Callable[[], Iterable[Check]] | None = None,
                 progress: bool | None = None, echo: bool = False,
                 overwrite: bool = False) -> dict[str, Any]:
    """Run ``modelcollapse validate``: the JSON object (``checks``, ``passed``, ...).

    Parameters
    ----------
    quick, seed, families, progress
        As for :func:`validate`.
    out : str or path, optional
        Also write the checks to this file: ``.csv`` (:meth:`ValidationReport.to_csv`) or
        ``.json`` (:meth:`ValidationReport.to_json`); its folder must exist. Written
        atomically (:mod:`modelcollapse.outputs`), over an existing file only with
        ``overwrite=True``.
    extra_checks : callable, optional
        Called after :func:`validate`; the checks it returns are appended to the report (the
        command line passes the Bayesian calibration of a higher layer this way,
        :func:`modelcollapse.inference.checks.inference_checks`).
    echo : bool, optional
        Print the report as a table on stdout. Default False.

    Returns
    -------
    dict
        :meth:`ValidationReport.to_dict`, with ``files`` when ``out`` is given.

    Raises
    ------
    ValueError
        For bad input (the CLI turns it into exit status 2); the caller exits with status 1
        when ``result["passed"]`` is False.
    """
    path = None if out is None else os.fspath(out)
    if path and not path.endswith((".csv", ".json")):
        raise ValueError(f"the output file must end in .csv or .json, got {path!r}")
    if path:
        from modelcollapse.outputs import check_output

        check_output(path, name="the output file", overwrite=overwrite)
    report = validate(quick=quick, seed=seed, families=families, progress=progress)
    if extra_checks is not None:
        report.checks.extend(extra_checks())
    result = report.to_dict()
    if path:
        (report.to_csv if path.endswith(".csv") else report.to_json)(path, overwrite=overwrite)
        result["files"] = [path]
    if echo:
        print(report)
    return result
