r"""Calibration of the bias model: simulation-based calibration (SBC) and parameter recovery.

* :func:`sbc`: draw :math:`(b, \alpha)` from the prior (so :math:`\kappa = b\,n_{\min}^{\alpha}`
  for the design's smallest :math:`n_t`), simulate trajectories with that bias
  (:func:`modelcollapse.validation.simulate`, exact one-step law), fit, and record the rank of
  the true value among thinned posterior draws. For a correct model and sampler the ranks are
  uniform (Talts et al. 2018); a chi-square test over equal bins checks it, failing a correct
  model with probability at most :data:`SBC_FAILURE_RATE`.
* :func:`recovery_grid`: one data set per true :math:`(\kappa, \alpha)`, its posterior mean,
  94% HDI, whether the HDI covers the truth, and the quality gates (no divergences,
  :math:`\hat R \le 1.01`, bulk ESS :math:`\ge 400` for every parameter).

Both refit one compiled model on every new data set (:class:`Refitter`): with nutpie the model
is compiled once per process (about 10 s) and a refit costs about 0.1 s; with PyMC's sampler
the data are swapped with :func:`~modelcollapse.inference.model.set_data`.
"""

from __future__ import annotations

import importlib.util
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats as _stats

from modelcollapse.arguments import choice, integer, probability, real
from modelcollapse.families import Bias, Family
from modelcollapse.inference.data import Trajectories, load_trajectories, resolve_family
from modelcollapse.inference.fit import (
    ESS_MIN,
    HDI_PROB,
    RHAT_MAX,
    BiasPosterior,
    ConvergenceWarning,
    fit_bias,
)
from modelcollapse.inference.fit import _quiet as _fit_quiet
from modelcollapse.inference.model import (
    Priors,
    build_model,
    set_data,
    sufficient_statistics,
)
from modelcollapse.schedules import Schedule

__all__ = ["sbc", "SBCResult", "recovery_grid", "RecoveryRow", "format_recovery",
           "rank_uniformity", "Refitter", "Design", "simulate_design", "draw_truth",
           "SBC_FAILURE_RATE", "SBC_PARAMETERS", "DEFAULT_SIZES", "DEFAULT_GRID",
           "RANK_DRAWS"]

#: a correct model fails :func:`sbc` (any parameter) with at most this probability: each
#: parameter's chi-square test runs at ``SBC_FAILURE_RATE / len(SBC_PARAMETERS)`` (Bonferroni)
SBC_FAILURE_RATE = 1e-3
#: the parameters whose ranks SBC tests
SBC_PARAMETERS = ("kappa", "alpha", "b")
#: thinned posterior draws per rank: ranks take the values 0..RANK_DRAWS (100 values)
RANK_DRAWS = 99
#: sizes n_t cycled over t = 0..T by default: small and large n together identify kappa and
#: alpha separately (a single n only fixes the bias kappa n^-alpha at that n)
DEFAULT_SIZES = (20, 50, 150, 400, 1200)
#: true (kappa, alpha) of the default recovery grid (bias at n = 20: 0.11, 0.05, 0.045)
DEFAULT_GRID = ((0.5, 0.5), (1.0, 1.0), (4.0, 1.5))
#: smallest expected count per bin of the chi-square test
_MIN_EXPECTED = 5


@contextmanager
def _quiet() -> Iterator[None]:
    """The fit's quiet mode (no PyMC info lines, no BLAS note), and no ConvergenceWarning:
    diagnostics are recorded and judged by the caller (gates, SBC), not warned about."""
    with _fit_quiet(False), warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        yield


# ---------------------------------------------------------------------------------------------
# designs and simulation
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Design:
    r"""An experiment: ``trajectories`` independent pipelines of ``generations`` steps each
    (``T``; generation 0 is the real data), all with the sample sizes of ``schedule``.

    ``schedule`` is a :class:`~modelcollapse.schedules.Schedule`, an expression in ``t`` and
    ``n0`` (with ``n0`` = 100, or the schedule's own), or a sequence of sizes repeated over
    :math:`t = 0, \dots, T` (``(20, 1200)`` alternates; a list of length :math:`T + 1` is
    used as it is).

    >>> d = Design(2, 4, (20, 1200))
    >>> d.sizes().tolist(), d.n_min, d.n_transitions, d.cost
    ([20, 1200, 20, 1200, 20], 20, 8, 4880)
    """

    trajectories: int = 5
    generations: int = 30
    schedule: Schedule | str | Sequence[int] = DEFAULT_SIZES

    def __post_init__(self) -> None:
        integer("trajectories", self.trajectories, low=1)
        integer("generations", self.generations, low=1)
        s = self.schedule
        if isinstance(s, Schedule | str):
            return
        if not isinstance(s, Sequence) or len(s) == 0:
            raise ValueError(f"schedule must be a Schedule, an expression or a non-empty "
                             f"sequence of sizes, got {s!r}")
        sizes = tuple(integer("schedule sizes", v, low=2, allowed="integers >= 2") for v in s)
        object.__setattr__(self, "schedule", sizes)

    def as_schedule(self) -> Schedule:
        s = self.schedule
        if isinstance(s, Schedule):
            return s
        if isinstance(s, str):
            return Schedule(s)
        T1 = self.generations + 1
        return Schedule.from_sizes([s[t % len(s)] for t in range(T1)])

    def sizes(self) -> np.ndarray:
        """:math:`n_0, \\dots, n_T` (int64)."""
        return self.as_schedule().sizes(self.generations)

    @property
    def n_min(self) -> int:
        """Smallest :math:`n_t` with :math:`t \\ge 1` (the model's :math:`n_{\\min}`)."""
        return int(self.sizes()[1:].min())

    @property
    def n_transitions(self) -> int:
        return self.trajectories * self.generations

    @property
    def cost(self) -> int:
        """Data points drawn over all trajectories and generations 1..T."""
        return int(self.trajectories * self.sizes()[1:].sum())

    def label(self) -> str:
        n = self.sizes()[1:]
        return (f"{self.trajectories} x T={self.generations}, n {int(n.min())}..{int(n.max())}"
                f" (median {int(np.median(n))})")


def _as_design(design: Design | None, trajectories: int, generations: int,
               schedule: Any) -> Design:
    if design is not None:
        if not isinstance(design, Design):
            raise TypeError(f"design must be a Design, not {type(design).__name__}")
        return design
    return Design(trajectories, generations, schedule)


def _check_truth(kappa: Any, alpha: Any, design: Design, family: Family) -> tuple[float, float]:
    kappa, alpha = real("true kappa", kappa), real("true alpha", alpha)
    if kappa < 0:
        raise ValueError(f"true kappa must be >= 0, got {kappa}")
    if alpha <= 0:
        raise ValueError(f"true alpha must be > 0, got {alpha}")
    n = design.sizes()
    if family.parameters[0].kind != "location":
        bias = kappa * float(n.min()) ** -alpha
        if bias >= 1:
            raise ValueError(f"true (kappa, alpha) = ({kappa:g}, {alpha:g}) gives a bias factor "
                             f"1 - kappa n^-alpha = {1 - bias:.4g} <= 0 at n = {int(n.min())} "
                             "of the design; allowed: kappa < n_min^alpha")
    return kappa, alpha


def simulate_design(design: Design, kappa: float, alpha: float, *,
                    family: str | Family = "gaussian-variance", seed: int = 0,
                    params: Mapping[str, float] | None = None) -> Trajectories:
    """One data set of ``design`` under the bias :math:`(\\kappa, \\alpha)`: the exact one-step
    law of the estimator the model assumes, by the simulation engine
    (:func:`modelcollapse.validation.sampling.step`), from the family's default true value
    (or ``params``). Generation 0 (the fit on the real data) has the bias too.

    >>> simulate_design(Design(3, 10, (20, 200)), 1.0, 0.5)
    Trajectories(gaussian-variance: 3 trajectories, 30 transitions, generations per \
trajectory 11..11, n 20..200)
    """
    # The engine, not modelcollapse.validation.simulate: simulate checks the bias by building
    # the symbolic moment map, which with a float alpha drawn from a prior (an exact rational
    # with a 16-digit denominator as the exponent) runs out of memory in SymPy's factor().
    from modelcollapse.theory.derive import parameter_values
    from modelcollapse.validation.sampling import step
    from modelcollapse.validation.walk import walk

    fam, estimator = resolve_family(family)
    kappa, alpha = _check_truth(kappa, alpha, design, fam)
    seed = integer("seed", seed, low=0)
    values = parameter_values(fam, params)
    p = fam.parameters[0]
    constants = {c.name: float(values[c.name][0]) for c in fam.constants}
    reps, sizes = design.trajectories, design.sizes()
    state = {p.name: np.full(reps, float(values[p.name][0]))}
    bias = Bias(kappa, alpha) if kappa > 0 else None
    rng = np.random.default_rng(seed)
    path = np.empty((reps, len(sizes)))

    def biased(state: dict[str, np.ndarray], t: int, n: int) -> dict[str, np.ndarray]:
        return step(fam, estimator, state, int(n), rng, mode="exact", bias=bias,
                    constants=constants)

    def record(t: int, state: dict[str, np.ndarray]) -> None:
        path[:, t] = state[p.name]

    walk(state, sizes.tolist(), biased, observe=record)
    T1 = len(sizes)
    columns = {"t": np.tile(np.arange(T1), reps), "n": np.tile(sizes, reps),
               "estimate": path.ravel(), "trajectory": np.repeat(np.arange(reps), T1)}
    return load_trajectories(columns, family=fam)


def _is_location(family: str | Family) -> bool:
    """Whether the bias of ``family`` is a shift (a location parameter), not a factor."""
    return resolve_family(family)[0].parameters[0].kind == "location"


def draw_truth(rng: np.random.Generator, n_min: float, priors: Priors | None = None, *,
               family: str | Family = "gaussian-variance") -> dict[str, float]:
    r"""One draw of ``b``, ``alpha``, ``kappa`` from the model's prior (:class:`Priors`):
    :math:`b \sim \mathrm{Beta}` (HalfNormal for a location), :math:`\alpha` scaled Beta,
    :math:`\kappa = b\, n_{\min}^{\alpha}`.

    >>> t = draw_truth(np.random.default_rng(0), 20)
    >>> abs(t["kappa"] * 20 ** -t["alpha"] - t["b"]) < 1e-12
    True
    """
    priors = Priors() if priors is None else priors
    if _is_location(family):
        b = abs(rng.normal(0.0, priors.location_b_sigma))
    else:
        b = rng.beta(*priors.b)
    alpha = priors.alpha_low + (priors.alpha_high - priors.alpha_low) * rng.beta(*priors.alpha)
    return {"b": float(b), "alpha": float(alpha), "kappa": float(b * n_min ** alpha)}


# ---------------------------------------------------------------------------------------------
# a compiled model refitted on new data
# ---------------------------------------------------------------------------------------------
#: compiled nutpie models by (family, priors, params): the structure does not depend on the
#: data (the arrays' lengths are free), so one compilation serves every data set
_COMPILED: dict[tuple, Any] = {}


def _choose(sampler: str) -> str:
    sampler = choice("sampler", sampler, ("auto", "pymc", "nutpie"))
    available = importlib.util.find_spec("nutpie") is not None
    if sampler == "nutpie" and not available:
        raise ValueError("sampler 'nutpie' needs the nutpie package (pip install nutpie); "
                         "allowed: pymc, auto")
    if sampler == "auto":
        return "nutpie" if available else "pymc"
    return sampler


class Refitter:
    """The bias model compiled once and sampled on new data sets of one family.

    ``refitter.fit(data)`` returns a :class:`~modelcollapse.inference.fit.BiasPosterior` like
    :func:`~modelcollapse.inference.fit.fit_bias` (same priors, sampler settings and
    diagnostics) without compiling again: with nutpie the compiled model is cached per process
    and the data swapped with ``with_data``; with PyMC's sampler the data go in by
    :func:`~modelcollapse.inference.model.set_data`. Diagnostics are not warned about (read
    ``problems()`` of the result).
    """

    def __init__(self, data: Any, *, family: str | Family | None = None,
                 priors: Priors | None = None, sampler: str = "auto",
                 params: Mapping[str, float] | None = None) -> None:
        self.sampler = _choose(sampler)
        self.priors = Priors() if priors is None else priors
        self.params = dict(params or {})
        self.compile_seconds = 0.0
        start = time.perf_counter()
        with _quiet():
            # the sufficient form: calibration needs no pointwise log-likelihood, and nutpie's
            # with_data below swaps exactly these arrays
            self.model = build_model(data, family=family, priors=self.priors, params=params,
                                     sufficient=True)
        self.family: Family = self.model._modelcollapse["family"]
        self._compiled = None
        if self.sampler == "nutpie":
            key = (self.family.name, id(self.family), self.priors,
                   tuple(sorted(self.params.items())))
            compiled = _COMPILED.get(key)
            if compiled is None:
                import nutpie

                with _quiet():
                    compiled = nutpie.compile_pymc_model(self.model)
                _COMPILED[key] = compiled
            self._compiled = compiled
        self.compile_seconds = time.perf_counter() - start

    def fit(self, data: Any, *, draws: int = 1000, tune: int = 1000, chains: int = 4,
            seed: int = 0, cores: int | None = None, target_accept: float = 0.9
            ) -> BiasPosterior:
        draws = integer("draws", draws, low=1)
        tune = integer("tune", tune, low=0)
        chains = integer("chains", chains, low=1)
        seed = integer("seed", seed, low=0)
        target_accept = probability("target_accept", target_accept)
        start = time.perf_counter()
        with _quiet():
            set_data(self.model, data)
            tr = data if isinstance(data, Trajectories) else None
            if tr is None or tr.family != self.family.name:
                tr = load_trajectories(data, family=self.family)
            if self._compiled is None:
                return fit_bias(tr, model=self.model, priors=self.priors, draws=draws,
                                tune=tune, chains=chains, seed=seed, sampler="pymc",
                                cores=cores, target_accept=target_accept, params=self.params)
            import nutpie

            st = sufficient_statistics(tr, params=self.params)
            compiled = self._compiled.with_data(**st.arrays, n_min=np.asarray(st.n_min))
            kwargs: dict[str, Any] = {}
            if cores is not None:
                kwargs["cores"] = integer("cores", cores, low=1)
            idata = nutpie.sample(compiled, draws=draws, tune=tune, chains=chains, seed=seed,
                                  progress_bar=False, save_warmup=False,
                                  target_accept=target_accept, **kwargs)
        return BiasPosterior(idata=idata, family=tr.family, sampler="nutpie",
                             seconds=time.perf_counter() - start, n_trajectories=len(tr),
                             n_transitions=tr.n_transitions, priors=self.priors)


# ---------------------------------------------------------------------------------------------
# simulation-based calibration
# ---------------------------------------------------------------------------------------------
def _bins_for(replications: int, rank_draws: int) -> int:
    """Most bins dividing the rank_draws + 1 rank values with >= 5 expected per bin."""
    values = rank_draws + 1
    best = 1
    for b in range(2, values + 1):
        if values % b == 0 and replications / b >= _MIN_EXPECTED:
            best = b
    return best


def rank_uniformity(ranks: Any, rank_draws: int = RANK_DRAWS, bins: int | None = None
                    ) -> float:
    r"""P-value of the chi-square test that ``ranks`` (integers in 0..``rank_draws``) are
    uniform, over ``bins`` equal bins of rank values (default: as many as divide the
    ``rank_draws + 1`` values with at least 5 expected per bin).

    >>> rank_uniformity(np.arange(100) % 100) > 0.99
    True
    >>> rank_uniformity(np.zeros(50, dtype=int)) < 1e-10
    True
    """
    r = np.asarray(ranks)
    rank_draws = integer("rank_draws", rank_draws, low=1)
    if r.ndim != 1 or r.size == 0 or not np.issubdtype(r.dtype, np.integer):
        raise ValueError("ranks must be a non-empty one-dimensional array of integers")
    if r.min() < 0 or r.max() > rank_draws:
        raise ValueError(f"ranks must lie in 0..{rank_draws}, got {r.min()}..{r.max()}")
    values = rank_draws + 1
    bins = _bins_for(r.size, rank_draws) if bins is None else integer("bins", bins, low=2)
    if values % bins:
        raise ValueError(f"bins must divide the {values} rank values, got {bins}")
    if bins < 2:
        raise ValueError(f"{r.size} ranks are too few for a chi-square test (need at least "
                         f"{2 * _MIN_EXPECTED})")
    counts = np.bincount(r * bins // values, minlength=bins)
    expected = r.size / bins
    chi2 = float(np.sum((counts - expected) ** 2) / expected)
    return float(_stats.chi2.sf(chi2, bins - 1))


def _ranks_of(post: BiasPosterior, truth: Mapping[str, float], rank_draws: int
              ) -> dict[str, int]:
    out = {}
    for name in SBC_PARAMETERS:
        x = post.draws(name)
        stride = x.size // rank_draws
        if stride < 1:
            raise ValueError(f"{x.size} posterior draws are fewer than the {rank_draws} "
                             "thinned draws a rank needs; raise draws or chains")
        thinned = x[: stride * rank_draws : stride]
        out[name] = int(np.count_nonzero(thinned < truth[name]))
    return out


@dataclass
class SBCResult:
    """Ranks of the true ``kappa``, ``alpha``, ``b`` among :data:`RANK_DRAWS` thinned posterior
    draws, one per replication, and their chi-square uniformity test."""

    ranks: dict[str, np.ndarray]
    p_values: dict[str, float]
    failure_rate: float
    bins: int
    rank_draws: int
    truths: dict[str, np.ndarray]
    divergences: np.ndarray
    rhat_max: np.ndarray
    ess_bulk_min: np.ndarray
    design: Design
    family: str
    sampler: str
    seconds: float
    compile_seconds: float = 0.0
    draws: int = 1000
    chains: int = 4

    @property
    def replications(self) -> int:
        return int(self.divergences.size)

    @property
    def level(self) -> float:
        """The significance level of each parameter's test (Bonferroni)."""
        return self.failure_rate / len(self.p_values)

    @property
    def passed(self) -> bool:
        """Every parameter's ranks pass the test at :attr:`level`."""
        return all(p >= self.level for p in self.p_values.values())

    def failed(self) -> list[str]:
        return [k for k, p in self.p_values.items() if p < self.level]

    def histogram(self, name: str) -> np.ndarray:
        """Counts of the ranks of ``name`` per bin."""
        r = self.ranks[name]
        return np.bincount(r * self.bins // (self.rank_draws + 1), minlength=self.bins)

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "failure_rate": self.failure_rate, "level": self.level,
                "p_values": dict(self.p_values), "bins": self.bins,
                "rank_draws": self.rank_draws, "replications": self.replications,
                "ranks": {k: v.tolist() for k, v in self.ranks.items()},
                "histograms": {k: self.histogram(k).tolist() for k in self.ranks},
                "truths": {k: v.tolist() for k, v in self.truths.items()},
                "divergences_total": int(self.divergences.sum()),
                "replications_with_divergences": int(np.count_nonzero(self.divergences)),
                "rhat_max": float(np.nanmax(self.rhat_max)),
                "ess_bulk_min": float(np.nanmin(self.ess_bulk_min)),
                "trajectories": self.design.trajectories,
                "generations": self.design.generations,
                "sizes": self.design.sizes().tolist(), "family": self.family,
                "sampler": self.sampler, "draws": self.draws, "chains": self.chains,
                "seconds": self.seconds, "compile_seconds": self.compile_seconds}

    def __str__(self) -> str:
        lines = [f"SBC of the bias model ({self.family}, {self.design.label()}): "
                 f"{self.replications} replications, ranks among {self.rank_draws} thinned "
                 f"draws, chi-square over {self.bins} bins",
                 f"{'':8}{'p-value':>10}  histogram"]
        for k, p in self.p_values.items():
            hist = " ".join(str(c) for c in self.histogram(k))
            lines.append(f"{k:8}{p:10.3g}  {hist}")
        verdict = "passed" if self.passed else f"FAILED ({', '.join(self.failed())})"
        lines.append(f"{verdict} at failure rate {self.failure_rate:g} (each test at "
                     f"{self.level:.3g}); {self.sampler}, {self.chains} x {self.draws} draws, "
                     f"{self.seconds:.1f} s; divergences in "
                     f"{int(np.count_nonzero(self.divergences))} replications, r-hat max "
                     f"{float(np.nanmax(self.rhat_max)):.3f}")
        return "\n".join(lines)


def sbc(*, replications: int = 100, trajectories: int = 5, generations: int = 30,
        schedule: Schedule | str | Sequence[int] = DEFAULT_SIZES, design: Design | None = None,
        draws: int = 1000, tune: int = 1000, chains: int = 4, seed: int = 0,
        family: str | Family = "gaussian-variance", priors: Priors | None = None,
        sampler: str = "auto", rank_draws: int = RANK_DRAWS,
        failure_rate: float = SBC_FAILURE_RATE, cores: int | None = None) -> SBCResult:
    """Simulation-based calibration of the bias model on ``design`` (or
    ``Design(trajectories, generations, schedule)``).

    Each of ``replications`` draws a truth from ``priors`` (:func:`draw_truth`), simulates a
    data set, refits the compiled model (:class:`Refitter`) with ``chains`` x ``draws`` draws
    after ``tune``, and ranks the truth of kappa, alpha and b among ``rank_draws`` evenly
    thinned draws. The result passes when every parameter's chi-square p-value is at least
    ``failure_rate / 3``, so a correct model fails with probability at most ``failure_rate``.
    ``seed`` fixes everything.
    """
    replications = integer("replications", replications, low=2 * _MIN_EXPECTED)
    rank_draws = integer("rank_draws", rank_draws, low=1)
    failure_rate = probability("failure_rate", failure_rate)
    seed = integer("seed", seed, low=0)
    if draws * chains < rank_draws:
        raise ValueError(f"chains x draws = {chains * draws} is below rank_draws = "
                         f"{rank_draws}")
    design = _as_design(design, trajectories, generations, schedule)
    fam, _ = resolve_family(family)
    priors = Priors() if priors is None else priors
    n_min = design.n_min
    start = time.perf_counter()
    children = np.random.SeedSequence(seed).spawn(replications)
    refitter: Refitter | None = None
    ranks = {k: np.empty(replications, dtype=np.int64) for k in SBC_PARAMETERS}
    truths = {k: np.empty(replications) for k in SBC_PARAMETERS}
    div = np.empty(replications, dtype=np.int64)
    rhat, ess = np.empty(replications), np.empty(replications)
    for i, child in enumerate(children):
        rng = np.random.default_rng(child)
        truth = draw_truth(rng, n_min, priors, family=fam)
        sim_seed, fit_seed = (int(v) for v in rng.integers(0, 2**31 - 1, size=2))
        data = simulate_design(design, truth["kappa"], truth["alpha"], family=fam,
                               seed=sim_seed)
        if refitter is None:
            refitter = Refitter(data, priors=priors, sampler=sampler)
        post = refitter.fit(data, draws=draws, tune=tune, chains=chains, seed=fit_seed,
                            cores=cores)
        for k, r in _ranks_of(post, truth, rank_draws).items():
            ranks[k][i] = r
            truths[k][i] = truth[k]
        div[i], rhat[i], ess[i] = post.divergences, post.rhat_max, post.ess_bulk_min
    assert refitter is not None
    bins = _bins_for(replications, rank_draws)
    p_values = {k: rank_uniformity(ranks[k], rank_draws, bins) for k in SBC_PARAMETERS}
    return SBCResult(ranks=ranks, p_values=p_values, failure_rate=float(failure_rate),
                     bins=bins, rank_draws=rank_draws, truths=truths, divergences=div,
                     rhat_max=rhat, ess_bulk_min=ess, design=design, family=fam.name,
                     sampler=refitter.sampler, seconds=time.perf_counter() - start,
                     compile_seconds=refitter.compile_seconds, draws=draws, chains=chains)


# ---------------------------------------------------------------------------------------------
# parameter recovery
# ---------------------------------------------------------------------------------------------
@dataclass
class RecoveryRow:
    """One cell of :func:`recovery_grid`: the truth, the posterior and the quality gates."""

    kappa: float
    alpha: float
    kappa_mean: float
    alpha_mean: float
    kappa_hdi: tuple[float, float]
    alpha_hdi: tuple[float, float]
    divergences: int
    rhat_max: float
    ess_bulk_min: float
    seconds: float = 0.0
    hdi_prob: float = HDI_PROB
    posterior: BiasPosterior | None = field(default=None, repr=False)

    @property
    def kappa_covered(self) -> bool:
        return self.kappa_hdi[0] <= self.kappa <= self.kappa_hdi[1]

    @property
    def alpha_covered(self) -> bool:
        return self.alpha_hdi[0] <= self.alpha <= self.alpha_hdi[1]

    @property
    def covered(self) -> bool:
        return self.kappa_covered and self.alpha_covered

    def problems(self) -> list[str]:
        """The quality gates that fail: divergences, r-hat > 1.01, bulk ESS < 400."""
        out = []
        if self.divergences > 0:
            out.append(f"{self.divergences} divergences")
        if not self.rhat_max <= RHAT_MAX:
            out.append(f"r-hat {self.rhat_max:.3f} > {RHAT_MAX}")
        if not self.ess_bulk_min >= ESS_MIN:
            out.append(f"bulk ESS {self.ess_bulk_min:.0f} < {ESS_MIN}")
        return out

    @property
    def gates_passed(self) -> bool:
        return not self.problems()

    def to_dict(self) -> dict[str, Any]:
        return {"kappa": self.kappa, "alpha": self.alpha, "kappa_mean": self.kappa_mean,
                "alpha_mean": self.alpha_mean, "kappa_hdi": list(self.kappa_hdi),
                "alpha_hdi": list(self.alpha_hdi), "kappa_covered": self.kappa_covered,
                "alpha_covered": self.alpha_covered, "divergences": self.divergences,
                "rhat_max": self.rhat_max, "ess_bulk_min": self.ess_bulk_min,
                "gates_passed": self.gates_passed, "problems": self.problems(),
                "hdi_prob": self.hdi_prob, "seconds": self.seconds}


def format_recovery(rows: Sequence[RecoveryRow]) -> str:
    """Plain-text table of :func:`recovery_grid` rows."""
    head = (f"{'kappa':>7}{'alpha':>7}{'kappa mean':>12}{'kappa HDI':>22}{'alpha mean':>12}"
            f"{'alpha HDI':>18}  cov  div  r-hat  ESS  gates")
    lines = [head]
    for r in rows:
        cov = ("k" if r.kappa_covered else "-") + ("a" if r.alpha_covered else "-")
        khdi = f"[{r.kappa_hdi[0]:.3g}, {r.kappa_hdi[1]:.3g}]"
        ahdi = f"[{r.alpha_hdi[0]:.3g}, {r.alpha_hdi[1]:.3g}]"
        lines.append(f"{r.kappa:7.3g}{r.alpha:7.3g}{r.kappa_mean:12.4g}{khdi:>22}"
                     f"{r.alpha_mean:12.4g}{ahdi:>18}  {cov:>3}{r.divergences:5d}"
                     f"{r.rhat_max:7.3f}{r.ess_bulk_min:5.0f}  "
                     f"{'ok' if r.gates_passed else '; '.join(r.problems())}")
    return "\n".join(lines)


def fit_simulated(design: Design, truths: Sequence[tuple[float, float]], *, family: Family,
                  seed: int, priors: Priors | None, sampler: str, draws: int, tune: int,
                  chains: int, cores: int | None) -> Iterator[BiasPosterior]:
    """For each true ``(kappa, alpha)``: simulate one data set of ``design`` and fit it with one
    compiled model, refitted (seeds from one spawned child per truth)."""
    refitter: Refitter | None = None
    children = np.random.SeedSequence(seed).spawn(len(truths))
    for (kappa, alpha), child in zip(truths, children, strict=True):
        sim_seed, fit_seed = (int(v) for v in child.generate_state(2) % (2**31 - 1))
        data = simulate_design(design, kappa, alpha, family=family, seed=sim_seed)
        if refitter is None:
            refitter = Refitter(data, priors=priors, sampler=sampler)
        yield refitter.fit(data, draws=draws, tune=tune, chains=chains, seed=fit_seed,
                           cores=cores)


def recovery_grid(grid: Sequence[tuple[float, float]] = DEFAULT_GRID, *,
                  trajectories: int = 20, generations: int = 30,
                  schedule: Schedule | str | Sequence[int] = DEFAULT_SIZES,
                  design: Design | None = None, family: str | Family = "gaussian-variance",
                  priors: Priors | None = None, draws: int = 1000, tune: int = 1000,
                  chains: int = 4, seed: int = 0, sampler: str = "auto",
                  cores: int | None = None, keep_posteriors: bool = False
                  ) -> list[RecoveryRow]:
    """Fit one simulated data set of ``design`` per true ``(kappa, alpha)`` of ``grid`` and
    report the posterior mean, the 94% HDI, coverage and the quality gates per cell
    (:meth:`RecoveryRow.problems`). Every truth must keep the bias factor positive at the
    design's smallest n.
    """
    design = _as_design(design, trajectories, generations, schedule)
    fam, _ = resolve_family(family)
    cells = list(grid)
    if not cells:
        raise ValueError("grid must hold at least one (kappa, alpha) pair")
    checked = []
    for cell in cells:
        if not isinstance(cell, Sequence) or len(cell) != 2:
            raise ValueError(f"grid cells must be (kappa, alpha) pairs, got {cell!r}")
        checked.append(_check_truth(cell[0], cell[1], design, fam))
    seed = integer("seed", seed, low=0)
    rows = []
    fits = fit_simulated(design, checked, family=fam, seed=seed, priors=priors,
                         sampler=sampler, draws=draws, tune=tune, chains=chains, cores=cores)
    for (kappa, alpha), post in zip(checked, fits, strict=True):
        k, a = post.stats("kappa"), post.stats("alpha")
        rows.append(RecoveryRow(
            kappa=kappa, alpha=alpha, kappa_mean=k["mean"], alpha_mean=a["mean"],
            kappa_hdi=(k["hdi_low"], k["hdi_high"]), alpha_hdi=(a["hdi_low"], a["hdi_high"]),
            divergences=post.divergences, rhat_max=post.rhat_max,
            ess_bulk_min=post.ess_bulk_min, seconds=post.seconds, hdi_prob=post.hdi_prob,
            posterior=post if keep_posteriors else None))
    return rows
