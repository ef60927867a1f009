r"""``modelcollapse reproduce``: every figure, table and headline number of the study.

:func:`run_reproduce` writes into one folder, for each figure ``F1``-``F8`` a PNG and a PDF
(theory as lines, simulation as points with error bars or bands), its tables as CSV and LaTeX
(``table_*.csv``, ``table_*.tex``), ``macros.tex`` (one ``\newcommand`` per headline number)
and ``results.json`` (every number, every theory-versus-Monte-Carlo check, the list of files).

========  ===================================================================================
F1        collapse dichotomy: median and 5-95 % band of :math:`\hat\sigma^2_t` (SPEC 3)
F2        improvement probability :math:`P(T)`, closed form against Monte Carlo (SPEC 4)
F3        phase diagram over bias exponent :math:`\alpha` and growth exponent :math:`p`
F4        compute against utility, the data-expansion guideline (SPEC 5)
F5        Bernoulli fixation and Poisson extinction, exact against Monte Carlo
F6        replace against accumulate for the Gaussian mean, the :math:`\pi^2/6` limit
F7        the real-data study (only when :mod:`modelcollapse.validation.realdata` exists)
F8        posterior probability of collapse per schedule (only when the inference part imports)
========  ===================================================================================

``quick=True`` uses fewer replications and shorter horizons (about a minute on two cores);
the full run takes a few minutes. Results depend on ``seed`` only.
"""

from __future__ import annotations

import csv
import importlib
import importlib.util
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from modelcollapse.families import Bias, get_family
from modelcollapse.schedules import Schedule
from modelcollapse.theory import (
    bernoulli_fixation_probability,
    derive,
    improvement_probability,
    poisson_extinction_probability,
)
from modelcollapse.theory.guideline import guideline_table
from modelcollapse.theory.latex import macro_name
from modelcollapse.theory.moments import log_moments
from modelcollapse.validation import figures
from modelcollapse.validation.simulate import simulate

__all__ = ["run_reproduce", "Settings", "QUICK", "FULL", "SPEC_IMPROVEMENT"]

#: SPEC section 4, public reference values of P(T) (n0 = 100, d = 1) by (schedule, T)
SPEC_IMPROVEMENT = {
    ("n0", 1): 0.3524, ("n0", 10): 0.1795, ("n0", 100): 0.0628,
    ("n0*t", 1): 0.3524, ("n0*t", 10): 0.2747, ("n0*t", 100): 0.2294,
    ("n0*t**1.5", 1): 0.3524, ("n0*t**1.5", 10): 0.3043, ("n0*t**1.5", 100): 0.2898,
    ("n0*t**2", 1): 0.3524, ("n0*t**2", 10): 0.3228, ("n0*t**2", 100): 0.3189,
    ("n0*2**t", 1): 0.3918, ("n0*2**t", 10): 0.3525, ("n0*2**t", 100): 0.3524,
}
#: schedules of F1 (n0 small): constant, linear, t log t, t^1.5, t^2
DICHOTOMY = {"constant": "n0", "linear": "n0*t", "tlogt": "n0*t*log(t+1)",
             "threehalves": "n0*t**1.5", "quadratic": "n0*t**2"}
#: schedules of F2 and F5
IMPROVE = {"constant": "n0", "linear": "n0*t", "threehalves": "n0*t**1.5",
           "quadratic": "n0*t**2"}
ABSORB = {"constant": "n0", "linear": "n0*t", "threehalves": "n0*t**1.5"}
#: candidate future schedules of F8 (all at least the smallest observed size)
CANDIDATES = {"constant": "n0", "linear": "n0*t", "quadratic": "n0*t**2",
              "power2.5": "n0*t**2.5", "cubic": "n0*t**3"}
#: true bias of the simulated data set of F8
F8_TRUTH = {"kappa": 1.0, "alpha": 0.5}


@dataclass(frozen=True)
class Settings:
    """Replications and horizons of one run (:data:`QUICK` or :data:`FULL`)."""

    f1_T: int
    f1_reps: int
    f2_reps: int
    f3_grid: int
    f3_T: int
    f3_reps: int
    f4_T: int
    f4_reps: int
    f5_T: int
    f5_reps: int
    f5_max_work: int
    f6_T: int
    f6_reps: int
    f8_trajectories: int
    f8_T: int
    f8_draws: int
    f8_chains: int
    f8_horizon: int
    f8_walks: int


QUICK = Settings(f1_T=300, f1_reps=2000, f2_reps=2000, f3_grid=8, f3_T=300, f3_reps=300,
                 f4_T=300, f4_reps=2000, f5_T=50, f5_reps=4000, f5_max_work=20_000_000,
                 f6_T=200, f6_reps=4000, f8_trajectories=6, f8_T=30, f8_draws=300,
                 f8_chains=2, f8_horizon=100, f8_walks=1000)
FULL = Settings(f1_T=2000, f1_reps=10_000, f2_reps=10_000, f3_grid=15, f3_T=2000, f3_reps=1000,
                f4_T=1000, f4_reps=10_000, f5_T=100, f5_reps=20_000, f5_max_work=100_000_000,
                f6_T=1000, f6_reps=20_000, f8_trajectories=12, f8_T=40, f8_draws=1000,
                f8_chains=4, f8_horizon=200, f8_walks=4000)
#: |z| above which a theory-versus-Monte-Carlo check is reported as failed (two-sided tail
#: 5.7e-7 per check; the run has about a hundred checks)
Z_TOL = 5.0


class _Run:
    """State of one reproduction: the folder, files, tables, macros and results."""

    def __init__(self, out: Path, settings: Settings, seed: int, progress: bool) -> None:
        self.out, self.settings, self.seed, self.progress = out, settings, seed, progress
        self.files: list[str] = []
        self.macros: dict[str, float] = {}
        self.checks: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.figures: dict[str, Any] = {}

    def seed_for(self, *keys: int) -> int:
        """An independent integer seed per simulation, from ``seed`` and ``keys`` only."""
        return int(np.random.SeedSequence([self.seed, *keys]).generate_state(1)[0])

    def log(self, message: str) -> None:
        if self.progress:
            print(f"reproduce: {message}", file=sys.stderr, flush=True)

    def figure(self, fig, stem: str) -> list[str]:
        paths = figures.save(fig, self.out, stem)
        self.files += paths
        return paths

    def table(self, stem: str, caption: str, columns: Sequence[str],
              rows: Sequence[Sequence[Any]]) -> list[str]:
        paths = _write_tables(self.out, stem, caption, columns, rows)
        self.files += paths
        return paths

    def macro(self, key: str, value: float | None) -> None:
        if value is not None and math.isfinite(value):
            self.macros[macro_name(key)] = float(value)

    def check(self, figure: str, name: str, theory: float, mc: float, se: float) -> dict:
        z = (mc - theory) / se if se > 0 else (0.0 if mc == theory else math.inf)
        row = {"figure": figure, "name": name, "theory": theory, "mc": mc, "se": se, "z": z,
               "passed": bool(abs(z) < Z_TOL)}
        self.checks.append(row)
        return row


def run_reproduce(out: str | os.PathLike, *, quick: bool, seed: int = 0,
                  progress: bool | None = None) -> dict[str, Any]:
    """Write every figure, table, ``macros.tex`` and ``results.json`` into ``out``.

    Parameters
    ----------
    out : str or path
        Output folder, created (with parents) when missing.
    quick : bool
        Fewer replications and shorter horizons (:data:`QUICK` instead of :data:`FULL`).
    seed : int, optional
        Base seed; every simulation gets its own stream from it. Default 0.
    progress : bool, optional
        One line per figure on stderr; default: when stderr is a terminal.

    Returns
    -------
    dict
        The content of ``results.json``: ``files`` (every path written, ``results.json``
        last), ``figures`` (numbers per figure), ``checks`` (theory against Monte Carlo with
        z-scores), ``macros``, ``notes``, ``seconds``, ``quick``, ``seed``, ``settings``.

    Raises
    ------
    ValueError
        When ``out`` cannot be created or written, or ``seed`` is not an integer >= 0.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    folder = _output_folder(out)
    settings = QUICK if quick else FULL
    show = sys.stderr.isatty() if progress is None else bool(progress)
    run = _Run(folder, settings, int(seed), show)
    start = time.perf_counter()
    steps: list[tuple[str, str, Callable[[_Run], None]]] = [
        ("F1", "collapse dichotomy", _f1), ("F2", "improvement probability", _f2),
        ("F3", "phase diagram", _f3), ("F4", "compute against utility", _f4),
        ("F5", "absorption", _f5), ("F6", "replace against accumulate", _f6),
        ("F7", "real-data study", _f7), ("F8", "posterior probability of collapse", _f8)]
    for i, (key, label, step) in enumerate(steps, 1):
        t0 = time.perf_counter()
        run.log(f"[{i}/{len(steps)}] {key} {label} ...")
        step(run)
        run.log(f"[{i}/{len(steps)}] {key} done in {time.perf_counter() - t0:.1f} s")
    macros_path = folder / "macros.tex"
    macros_path.write_text(_macros_text(run.macros, quick=quick, seed=int(seed)))
    run.files.append(str(macros_path))
    results_path = folder / "results.json"
    run.files.append(str(results_path))
    results = {"files": run.files, "quick": bool(quick), "seed": int(seed),
               "seconds": time.perf_counter() - start, "settings": asdict(settings),
               "figures": run.figures, "checks": run.checks,
               "checks_passed": all(c["passed"] for c in run.checks), "macros": run.macros,
               "notes": run.notes}
    results = _clean(results)
    results_path.write_text(json.dumps(results, indent=1, allow_nan=False) + "\n")
    run.log(f"wrote {len(run.files)} files into {folder} in {results['seconds']:.1f} s")
    return results


def _output_folder(out: Any) -> Path:
    if not isinstance(out, str | os.PathLike):
        raise ValueError(f"--out must be a folder path, got {out!r}")
    path = Path(out)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot create the output folder {str(path)!r}: "
                         f"{exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ValueError(f"the output folder {str(path)!r} is not writable")
    return path.resolve()


# --------------------------------------------------------------------------------------------
# F1: the collapse dichotomy
# --------------------------------------------------------------------------------------------
def _f1(run: _Run) -> None:
    s, n0, fam = run.settings, 10, get_family("gaussian-variance")
    T = s.f1_T
    grid = np.unique(np.round(np.geomspace(1, T, 80)).astype(int))
    curves, rows, out = [], [], {}
    for k, (name, expr) in enumerate(DICHOTOMY.items()):
        sched = Schedule(expr, n0=n0)
        sizes = sched.sizes(T, minimum=2, family=fam.name)
        moments = np.array([log_moments(fam, sizes[: t + 1], estimator="unbiased")
                            for t in grid])
        mu, sd = moments[:, 0], np.sqrt(moments[:, 1])
        d = derive(fam, schedule=sched, T=T, estimator="unbiased").values
        ds = simulate(fam, schedule=sched, T=T, reps=s.f1_reps, seed=run.seed_for(1, k),
                      estimator="unbiased", progress=False)
        comp = ds.sel(component="sigma2")
        finite = np.flatnonzero(np.isfinite(comp["median"].values))
        pick = np.unique(finite[np.searchsorted(finite, np.geomspace(1, T, 14)
                                                .round().astype(int)).clip(0, len(finite) - 1)])
        logs = np.log(comp["final"].values)
        chk = run.check("F1", f"E log sigma2_T/sigma2, {expr}", d["log_mean_T"],
                        float(logs.mean()), float(logs.std(ddof=1) / math.sqrt(len(logs))))
        q = {key: float(comp[key].sel(t=T)) for key in ("median", "q05", "q95")}
        theory_median = math.exp(d["log_mean_T"])
        curves.append({
            "name": name, "latex": figures.schedule_latex(expr, n0), "collapses": d["collapses"],
            "theory_t": grid, "theory_median": np.exp(mu),
            "theory_q05": np.exp(mu - 1.645 * sd), "theory_q95": np.exp(mu + 1.645 * sd),
            "sim_t": pick, **{f"sim_{key}": comp[key].values[pick]
                              for key in ("median", "q05", "q95")}})
        out[expr] = {"collapses": d["collapses"], "inverse_sum_T": sched.inverse_sum(T),
                     "log_mean_T": d["log_mean_T"], "log_variance_T": d["log_variance_T"],
                     "theory_median_T": theory_median, "mc_median_T": q["median"],
                     "mc_q05_T": q["q05"], "mc_q95_T": q["q95"], "z_log_mean": chk["z"]}
        rows.append([expr, int(sizes[-1]), sched.inverse_sum(T), d["collapses"],
                     d["log_mean_T"], float(logs.mean()), chk["z"], theory_median, q["median"],
                     q["q05"], q["q95"]])
        run.macro(f"dichotomy median theory {name}", theory_median)
        run.macro(f"dichotomy median mc {name}", q["median"])
    run.figures["F1"] = {"n0": n0, "T": T, "reps": s.f1_reps, "schedules": out,
                         "files": run.figure(figures.plot_dichotomy(
                             {"curves": curves, "n0": n0, "reps": s.f1_reps}), "F1_dichotomy")}
    run.figures["F1"]["tables"] = run.table(
        "table_dichotomy", f"Gaussian variance (unbiased), $n_0 = {n0}$, $T = {T}$: "
        "log-drift and median of $\\hat\\sigma^2_T/\\sigma^2$, theory against Monte Carlo",
        ["schedule", "n_T", "S_T", "collapses", "E log (theory)", "E log (MC)", "z",
         "median (theory)", "median (MC)", "q05 (MC)", "q95 (MC)"], rows)


# --------------------------------------------------------------------------------------------
# F2: improvement probability
# --------------------------------------------------------------------------------------------
def _f2(run: _Run) -> None:
    s, n0, T, dims = run.settings, 100, 100, (1, 2, 5)
    theory_T = np.arange(1, T + 1)
    mc_T = np.array([1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100])
    curves, out = [], {}
    for k, (name, expr) in enumerate(IMPROVE.items()):
        sched = Schedule(expr, n0=n0)
        inv = np.cumsum(1.0 / sched.sizes(T)[1:])
        ds = simulate("gaussian-mean", schedule=sched, T=T, reps=s.f2_reps * max(dims),
                      seed=run.seed_for(2, k), trajectories=True, progress=False)
        err = ds["trajectory"].sel(component="mu").values - float(ds["truth"].sel(component="mu"))
        by_dim = {}
        for dim in dims:
            theory = [improvement_probability(n0, float(inv[t - 1]), dim=dim) for t in theory_T]
            sq = (err[: s.f2_reps * dim].reshape(s.f2_reps, dim, T + 1) ** 2).sum(axis=1)
            mc = (sq[:, mc_T] < sq[:, [0]]).mean(axis=0)
            p = np.asarray(theory)[mc_T - 1]
            se = np.sqrt(p * (1 - p) / s.f2_reps)
            for t, pt, m, e in zip(mc_T, p, mc, se, strict=True):
                if t in (1, 10, 100):
                    run.check("F2", f"P({t}), d={dim}, {expr}", float(pt), float(m), float(e))
            by_dim[str(dim)] = {"theory": theory, "mc": mc, "se": se}
            run.macro(f"improvement {name} d {dim} at hundred", theory[-1])
        curves.append({"name": name, "latex": figures.schedule_latex(expr, n0), "by_dim": by_dim})
        out[expr] = {str(d): {"T": mc_T, "closed_form": np.asarray(v["theory"])[mc_T - 1],
                              "mc": v["mc"], "se": v["se"]} for d, v in by_dim.items()}
    spec_rows, spec_out = [], []
    for expr in ("n0", "n0*t", "n0*t**1.5", "n0*t**2", "n0*2**t"):
        sched = Schedule(expr, n0=n0)
        row: list[Any] = [expr]
        for t in (1, 10, 100):
            # 2**t passes 2**53 after t = 46: later terms 1/n_t < 1e-15 are dropped
            value = improvement_probability(n0, sched.inverse_sum(min(t, sched.exact_horizon())))
            ref = SPEC_IMPROVEMENT[(expr, t)]
            spec_out.append({"schedule": expr, "T": t, "probability": value, "reference": ref})
            row += [value, ref]
        spec_rows.append(row)
    run.macro("improvement r one d one", improvement_probability(100, 0.01, dim=1))
    run.macro("improvement r one d two", improvement_probability(100, 0.01, dim=2))
    run.macro("improvement r one d five", improvement_probability(100, 0.01, dim=5))
    run.figures["F2"] = {"n0": n0, "T": T, "dims": list(dims), "reps": s.f2_reps,
                         "schedules": out, "spec_table": spec_out,
                         "files": run.figure(figures.plot_improvement(
                             {"curves": curves, "dims": dims, "theory_T": theory_T, "mc_T": mc_T,
                              "n0": n0, "reps": s.f2_reps}), "F2_improvement")}
    run.figures["F2"]["tables"] = run.table(
        "table_improvement", f"Probability $P(T)$ that generation $T$ beats the real data "
        f"($n_0 = {n0}$, $d = 1$): closed form and the SPEC reference",
        ["schedule", "P(1)", "ref", "P(10)", "ref", "P(100)", "ref"], spec_rows)


# --------------------------------------------------------------------------------------------
# F3: phase diagram
# --------------------------------------------------------------------------------------------
def _f3(run: _Run) -> None:
    s, n0, T, fam = run.settings, 20, run.settings.f3_T, get_family("gaussian-variance")
    # steps of 1/8 at most: an exponent is turned into an exact rational for the symbolic
    # moment map, and a float such as 0.58333333 would become a rational of huge denominator
    alphas = np.arange(0.25, 2.0 + 1e-9, 1.75 / (s.f3_grid - 1))
    ps = np.arange(0.5, 4.0 + 1e-9, 3.5 / (s.f3_grid - 1))
    z = np.empty((len(ps), len(alphas)))
    rows, zs = [], []
    for i, p in enumerate(ps):
        sched = Schedule(f"n0*t**{p:.6g}", n0=n0)
        sizes = sched.sizes(T, minimum=2, family=fam.name)
        for j, a in enumerate(alphas):
            bias = Bias(1.0, float(a))
            ds = simulate(fam, schedule=sched, T=T, reps=s.f3_reps, bias=bias,
                          estimator="unbiased", seed=run.seed_for(3, i, j), progress=False)
            final = ds["final"].sel(component="sigma2").values
            median = float(ds["median"].sel(t=T, component="sigma2"))
            z[i, j] = math.log10(median) if median > 0 else -math.inf
            mean_log, _ = log_moments(fam, sizes, estimator="unbiased", bias=bias)
            safe = bool(p > max(1.0, 1.0 / a))
            zz = None
            if np.all(final > 0):
                logs = np.log(final)
                zz = run.check("F3", f"E log, alpha={a:.3g}, p={p:.3g}", mean_log,
                               float(logs.mean()),
                               float(logs.std(ddof=1) / math.sqrt(len(logs))))["z"]
                zs.append(abs(zz))
            rows.append([float(a), float(p), safe, mean_log / math.log(10), z[i, j], zz])
    floor = -6.0
    run.macro("phase cells", float(z.size))
    run.macro("phase max abs z", max(zs) if zs else None)
    run.figures["F3"] = {
        "n0": n0, "T": T, "reps": s.f3_reps, "alphas": alphas, "ps": ps,
        "log10_median": z, "max_abs_z": max(zs) if zs else None,
        "files": run.figure(figures.plot_phase({"alphas": alphas, "ps": ps, "log10_median": z,
                                                "floor": floor, "T": T, "n0": n0,
                                                "reps": s.f3_reps}), "F3_phase_diagram")}
    run.figures["F3"]["tables"] = run.table(
        "table_phase", f"Biased variance walk, $\\kappa = 1$, $n_t = {n0} t^p$, $T = {T}$: "
        "theory verdict $p > \\max(1, 1/\\alpha)$, theory $E\\log_{10}$ and simulated "
        "$\\log_{10}$ median of $\\hat\\sigma^2_T/\\sigma^2$",
        ["alpha", "p", "no collapse (theory)", "E log10 (theory)", "log10 median (MC)",
         "z of E log"], rows)


# --------------------------------------------------------------------------------------------
# F4: compute against utility
# --------------------------------------------------------------------------------------------
def _f4(run: _Run) -> None:
    s, n0, T = run.settings, 100, run.settings.f4_T
    line = guideline_table(n0, s_values=tuple(np.linspace(0.3, 3.0, 60)), T=T)
    points = []
    for k, sv in enumerate((0.5, 1.0, 1.5, 2.0, 3.0)):
        sched = Schedule("n0*t**(1+s)", n0=n0, s=sv)
        theory = derive("gaussian-mean", schedule=sched, T=T).values["variance_T"] * n0
        ds = simulate("gaussian-mean", schedule=sched, T=T, reps=s.f4_reps,
                      seed=run.seed_for(4, k), progress=False)
        final = ds["final"].sel(component="mu").values
        mc = float(np.mean(final**2)) * n0  # the truth is known: mean-squared error
        se = float(np.std(final**2, ddof=1)) * n0 / math.sqrt(len(final))
        run.check("F4", f"MSE at T, s={sv:g}", theory, mc, se)
        points.append({"s": sv, "cost_T": sched.cost(T), "theory_T": theory, "mc": mc, "se": se})
    table = guideline_table(n0, s_values=(0.25, 0.5, 1.0, 2.0, 3.0), T=T)
    base = table[2].cost_T
    rows = [[r.s, r.cost_T, r.cost_T / base, r.error_factor, r.limit_error] for r in table]
    for r in table:
        run.macro(f"guideline factor s {r.s:g}".replace(".", " point "), r.error_factor)
    run.macro("guideline cost ratio two to one", table[3].cost_T / table[2].cost_T)
    run.figures["F4"] = {
        "n0": n0, "T": T, "reps": s.f4_reps, "points": points,
        "guideline": [r.to_dict() for r in table],
        "files": run.figure(figures.plot_guideline({
            "line": {"cost_T": [r.cost_T for r in line],
                     "error_factor": [r.error_factor for r in line]},
            "points": points, "T": T, "n0": n0, "reps": s.f4_reps}), "F4_guideline")}
    run.figures["F4"]["tables"] = run.table(
        "table_guideline", f"Data-expansion guideline, $n_t = {n0}\\,t^{{1+s}}$: cost to "
        f"$T = {T}$ and limiting error (factor of the real-data error $V/n_0$)",
        ["s", "cost to T", "cost / cost(s=1)", "error factor", "limit error (V=1)"], rows)


# --------------------------------------------------------------------------------------------
# F5: absorption
# --------------------------------------------------------------------------------------------
def _f5(run: _Run) -> None:
    s, n0, p, lam, T = run.settings, 5, 0.5, 1.0, run.settings.f5_T
    grid = np.unique(np.round(np.geomspace(1, T, 16)).astype(int))
    mc_T = grid[:: max(1, len(grid) // 8)]
    data: dict[str, Any] = {"p": p, "lam": lam, "n0": n0, "reps": s.f5_reps}
    out, rows = {}, []
    for f, (family, params) in enumerate((("bernoulli", {"p": p}), ("poisson", {"lam": lam}))):
        curves = []
        for k, (name, expr) in enumerate(ABSORB.items()):
            sched = Schedule(expr, n0=n0)
            sizes = sched.sizes(T)
            exact_T, exact = [], []
            for t in grid:
                if family == "bernoulli":
                    work = int(np.sum((sizes[:t] + 1.0) * (sizes[1: t + 1] + 1.0)))
                    if work > s.f5_max_work:
                        break
                    exact.append(bernoulli_fixation_probability(p, sizes[: t + 1]))
                else:
                    exact.append(poisson_extinction_probability(lam, sizes[: t + 1]))
                exact_T.append(int(t))
            ds = simulate(family, schedule=sched, T=T, reps=s.f5_reps, params=params,
                          seed=run.seed_for(5, f, k), progress=False)
            frac = ds["collapsed_fraction"].isel(component=0).values[mc_T]
            se = np.sqrt(frac * (1 - frac) / s.f5_reps)
            for t, m in zip(mc_T, frac, strict=True):
                if t in exact_T:
                    e = exact[exact_T.index(t)]
                    run.check("F5", f"{family} absorbed by {t}, {expr}", e, float(m),
                              math.sqrt(max(e * (1 - e), 1e-12) / s.f5_reps))
            curves.append({"latex": figures.schedule_latex(expr, n0), "exact_T": exact_T,
                           "exact": exact, "mc_T": mc_T, "mc": frac, "se": se})
            last = exact[-1] if exact_T and exact_T[-1] == T else None
            out[f"{family} {expr}"] = {"exact_T": exact_T, "exact": exact, "mc_T": mc_T,
                                       "mc": frac, "at_T": last}
            rows.append([family, expr, exact_T[-1] if exact_T else None,
                         exact[-1] if exact else None, float(ds["collapsed_fraction"]
                                                             .isel(component=0, t=T)), T])
            run.macro(f"absorption {family} {name}", last)
        data[family] = curves
    run.figures["F5"] = {"n0": n0, "p": p, "lam": lam, "T": T, "reps": s.f5_reps, "curves": out,
                         "files": run.figure(figures.plot_absorption(data), "F5_absorption")}
    run.figures["F5"]["tables"] = run.table(
        "table_absorption", f"Absorption ($n_0 = {n0}$): exact probability at the last "
        f"generation the exact chain reaches, and Monte Carlo at $T = {T}$",
        ["family", "schedule", "exact up to T", "exact", "MC at T", "T"], rows)


# --------------------------------------------------------------------------------------------
# F6: replace against accumulate
# --------------------------------------------------------------------------------------------
def _f6(run: _Run) -> None:
    s, n, T = run.settings, 20, run.settings.f6_T
    sched = Schedule("n0", n0=n)
    theory_t = np.unique(np.round(np.geomspace(1, T, 60)).astype(int))
    mc_t = np.unique(np.round(np.geomspace(1, T, 12)).astype(int))
    data: dict[str, Any] = {"n": n, "reps": s.f6_reps, "theory_t": theory_t, "mc_t": mc_t}
    out: dict[str, Any] = {}
    for k, workflow in enumerate(("replace", "accumulate")):
        theory = [derive("gaussian-mean", schedule=sched, T=int(t), workflow=workflow)
                  .values["variance_T"] * n for t in theory_t]
        ds = simulate("gaussian-mean", schedule=sched, T=T, reps=s.f6_reps, workflow=workflow,
                      seed=run.seed_for(6, k), progress=False)
        var = ds["variance"].sel(component="mu").values[mc_t] * n
        se = var * math.sqrt(2.0 / (s.f6_reps - 1))
        at_T = derive("gaussian-mean", schedule=sched, T=T, workflow=workflow).values
        final = ds["final"].sel(component="mu").values
        mc = float(np.var(final, ddof=1))
        chk = run.check("F6", f"Var at T, {workflow}", at_T["variance_T"], mc,
                        mc * math.sqrt(2.0 / (len(final) - 1)))
        data[workflow] = {"theory": theory, "mc": var, "se": se}
        out[workflow] = {"variance_T_theory": at_T["variance_T"], "variance_T_mc": mc,
                         "z": chk["z"]}
    limit = derive("gaussian-mean", schedule=sched, T=math.inf, workflow="accumulate")
    anchor = math.pi**2 / 6 / n  # (sigma^2 / n) pi^2 / 6 with sigma^2 = 1
    out["accumulate_limit"] = limit.values["variance_T"]
    out["pi2_over_6_anchor"] = anchor
    run.macro("accumulate limit", limit.values["variance_T"])
    run.macro("accumulate limit over anchor", limit.values["variance_T"] / anchor)
    run.macro("accumulate variance mc", out["accumulate"]["variance_T_mc"])
    run.macro("replace variance theory", out["replace"]["variance_T_theory"])
    run.figures["F6"] = {"n": n, "sigma2": 1.0, "T": T, "reps": s.f6_reps, **out,
                         "files": run.figure(figures.plot_accumulate(data), "F6_accumulate")}
    run.figures["F6"]["tables"] = run.table(
        "table_accumulate", f"Gaussian mean, constant $n = {n}$, $\\sigma^2 = 1$: "
        f"$\\mathrm{{Var}}\\,\\hat\\mu_T$ at $T = {T}$ and the accumulate limit",
        ["workflow", "Var at T (theory)", "Var at T (MC)", "z", "limit (theory)"],
        [["replace", out["replace"]["variance_T_theory"], out["replace"]["variance_T_mc"],
          out["replace"]["z"], None],
         ["accumulate", out["accumulate"]["variance_T_theory"],
          out["accumulate"]["variance_T_mc"], out["accumulate"]["z"], out["accumulate_limit"]]])


# --------------------------------------------------------------------------------------------
# F7 and F8: optional parts
# --------------------------------------------------------------------------------------------
def _f7(run: _Run) -> None:
    name = "modelcollapse.validation.realdata"
    if importlib.util.find_spec(name) is None:
        note = f"F7 skipped: {name} is not installed in this version"
        run.notes.append(note)
        run.figures["F7"] = {"skipped": note}
        return
    module = importlib.import_module(name)
    result = module.figure_realdata(str(run.out), quick=run.settings is QUICK)
    files = result.get("files", []) if isinstance(result, dict) else list(result or [])
    run.files += [str(f) for f in files]
    run.figures["F7"] = result if isinstance(result, dict) else {"files": files}


def _f8(run: _Run) -> None:
    try:
        fit = importlib.import_module("modelcollapse.inference.fit")
        answers = importlib.import_module("modelcollapse.inference.answers")
        data_mod = importlib.import_module("modelcollapse.inference.data")
    except Exception as exc:  # noqa: BLE001 - an optional part: any import failure skips F8
        note = f"F8 skipped: the inference part does not import ({type(exc).__name__}: {exc})"
        run.notes.append(" ".join(note.split()))
        run.figures["F8"] = {"skipped": run.notes[-1]}
        return
    s, n0, eps = run.settings, 10, 0.1
    truth = Bias(F8_TRUTH["kappa"], F8_TRUTH["alpha"])
    ds = simulate("gaussian-variance", schedule=Schedule("n0*t", n0=n0), T=s.f8_T,
                  reps=s.f8_trajectories, bias=truth, seed=run.seed_for(8, 0),
                  trajectories=True, progress=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        post = fit.fit_bias(data_mod.from_simulation(ds), draws=s.f8_draws, tune=s.f8_draws,
                            chains=s.f8_chains, seed=run.seed_for(8, 1), cores=1)
    run.notes += [f"F8: {w.message}" for w in caught
                  if issubclass(w.category, fit.ConvergenceWarning)]
    kappa, alpha = post.kappa, post.alpha
    plans = {name: Schedule(expr, n0=n0) for name, expr in CANDIDATES.items()}
    rows = answers.collapse_table(kappa, alpha, plans, s.f8_horizon, epsilon=eps,
                                  draws=s.f8_walks, seed=run.seed_for(8, 2))
    true_rows = answers.collapse_table(np.full(s.f8_walks, truth.kappa),
                                       np.full(s.f8_walks, truth.alpha), plans, s.f8_horizon,
                                       epsilon=eps, seed=run.seed_for(8, 3))
    thin = np.linspace(0, len(kappa) - 1, min(len(kappa), 200)).astype(int)
    per_draw = np.array([[a.probability for a in answers.collapse_probability(
        kappa[i: i + 1], alpha[i: i + 1], schedules=plans, horizon=s.f8_horizon, epsilon=eps,
        method="analytic").values()] for i in thin])
    table = []
    for j, (row, true_row, expr) in enumerate(zip(rows, true_rows, CANDIDATES.values(),
                                                   strict=True)):
        row["interval"] = [float(np.quantile(per_draw[:, j], 0.05)),
                           float(np.quantile(per_draw[:, j], 0.95))]
        row["truth_probability"] = true_row["collapse_probability"]
        row["latex"] = figures.schedule_latex(expr, n0)
        table.append([expr, row["safety_probability"], row["collapse_probability"],
                      row["collapse_se"], *row["interval"], row["analytic_probability"],
                      row["truth_probability"]])
        run.macro(f"posterior collapse {row['schedule']}".replace(".", " point "),
                  row["collapse_probability"])
    summary = {key: post.stats(key) for key in ("kappa", "alpha", "required_growth_exponent")}
    run.macro("posterior alpha mean", summary["alpha"]["mean"])
    run.macro("posterior required growth mean", summary["required_growth_exponent"]["mean"])
    run.figures["F8"] = {
        "truth": F8_TRUTH, "n0": n0, "trajectories": s.f8_trajectories, "T": s.f8_T,
        "horizon": s.f8_horizon, "epsilon": eps, "posterior": summary, "rows": rows,
        "sampler": post.sampler, "rhat_max": post.rhat_max, "divergences": post.divergences,
        "files": run.figure(figures.plot_posterior({
            "alpha_draws": alpha, "kappa_draws": kappa, "truth": F8_TRUTH, "rows": rows,
            "n_trajectories": s.f8_trajectories, "epsilon": eps, "horizon": s.f8_horizon,
            "p_star_mean": summary["required_growth_exponent"]["mean"]}), "F8_posterior")}
    run.figures["F8"]["tables"] = run.table(
        "table_posterior", f"Posterior predictive probability of collapse "
        f"($\\hat\\sigma^2 < {eps:g}\\,\\hat\\sigma^2_T$ within {s.f8_horizon} generations) "
        f"per candidate schedule; data: {s.f8_trajectories} simulated trajectories with "
        f"$\\kappa = {truth.kappa:g}$, $\\alpha = {truth.alpha:g}$",
        ["schedule", "P(safe)", "P(collapse)", "s.e.", "5%", "95%", "analytic (end)",
         "under truth"], table)


# --------------------------------------------------------------------------------------------
# tables, macros, JSON
# --------------------------------------------------------------------------------------------
_TEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}"}


def _tex_escape(text: str) -> str:
    r"""Plain text for LaTeX.

    >>> _tex_escape("n0*t**1.5 & 50%")
    'n0*t**1.5 \\& 50\\%'
    """
    return "".join(_TEX_ESCAPES.get(c, c) for c in text)


def _tex_number(value: Any) -> str:
    r"""A table cell or macro body in LaTeX.

    >>> _tex_number(0.31894), _tex_number(1.5e9), _tex_number(None), _tex_number(True)
    ('0.3189', '\\ensuremath{1.5\\times 10^{9}}', '--', 'yes')
    """
    if value is None:
        return "--"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        if not math.isfinite(v):
            return "--" if math.isnan(v) else ("\\ensuremath{\\infty}" if v > 0
                                                else "\\ensuremath{-\\infty}")
        text = f"{v:.4g}"
        if "e" in text:
            mantissa, exponent = text.split("e")
            return f"\\ensuremath{{{mantissa}\\times 10^{{{int(exponent)}}}}}"
        return text
    return _tex_escape(str(value))


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    return value


def _write_tables(out: Path, stem: str, caption: str, columns: Sequence[str],
                  rows: Sequence[Sequence[Any]]) -> list[str]:
    """``stem.csv`` (full precision) and ``stem.tex`` (a ``table`` float, plain LaTeX)."""
    csv_path, tex_path = out / f"{stem}.csv", out / f"{stem}.tex"
    with csv_path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows([[_csv_cell(v) for v in row] for row in rows])
    spec = "l" + "r" * (len(columns) - 1)
    lines = ["% written by modelcollapse reproduce", "\\begin{table}[ht]", "\\centering",
             f"\\caption{{{caption}}}", f"\\label{{tab:{stem.replace('_', '-')}}}",
             f"\\begin{{tabular}}{{{spec}}}", "\\hline",
             " & ".join(_tex_escape(c) for c in columns) + " \\\\", "\\hline"]
    lines += [" & ".join(_tex_number(v) for v in row) + " \\\\" for row in rows]
    lines += ["\\hline", "\\end{tabular}", "\\end{table}", ""]
    tex_path.write_text("\n".join(lines))
    return [str(csv_path), str(tex_path)]


def _macros_text(macros: dict[str, float], *, quick: bool, seed: int) -> str:
    head = (f"% modelcollapse reproduce ({'quick' if quick else 'full'} run, seed {seed}): "
            "one macro per headline number\n")
    return head + "".join(f"\\newcommand{{\\{name}}}{{{_tex_number(value)}}}\n"
                          for name, value in macros.items())


def _clean(value: Any) -> Any:
    """JSON-ready: arrays to lists, numpy scalars to Python, non-finite floats to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_clean(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value
