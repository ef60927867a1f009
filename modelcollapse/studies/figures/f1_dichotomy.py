r"""F1, the collapse dichotomy: median and 5-95 % band of :math:`\hat\sigma^2_t/\sigma^2` for the
Gaussian variance (unbiased :math:`S^2`) under five schedules, theory against Monte Carlo."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from modelcollapse.families import get_family
from modelcollapse.schedules import Schedule
from modelcollapse.studies.figures.style import COLOURS, POINT, legend, new_figure, schedule_latex
from modelcollapse.studies.session import Session
from modelcollapse.theory import derive
from modelcollapse.theory.moments import log_moments
from modelcollapse.validation.simulate import simulate

__all__ = ["DICHOTOMY", "make", "plot_dichotomy"]

#: schedules of F1 (n0 small): constant, linear, t log t, t^1.5, t^2
DICHOTOMY = {"constant": "n0", "linear": "n0*t", "tlogt": "n0*t*log(t+1)",
             "threehalves": "n0*t**1.5", "quadratic": "n0*t**2"}


def make(run: Session) -> None:
    """Simulate the five schedules of :data:`DICHOTOMY`, check E log against theory, draw F1
    and write ``table_dichotomy``."""
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
            "name": name, "latex": schedule_latex(expr, n0), "collapses": d["collapses"],
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
                         "files": run.figure(plot_dichotomy(
                             {"curves": curves, "n0": n0, "reps": s.f1_reps}), "F1_dichotomy")}
    run.figures["F1"]["tables"] = run.table(
        "table_dichotomy", f"Gaussian variance (unbiased), $n_0 = {n0}$, $T = {T}$: "
        "log-drift and median of $\\hat\\sigma^2_T/\\sigma^2$, theory against Monte Carlo",
        ["schedule", "n_T", "S_T", "collapses", "E log (theory)", "E log (MC)", "z",
         "median (theory)", "median (MC)", "q05 (MC)", "q95 (MC)"], rows)


def plot_dichotomy(data: Mapping[str, Any]):
    r"""Median and 5-95 % band of :math:`\hat\sigma^2_t/\sigma^2` per schedule (log scale)."""
    curves = data["curves"]
    fig = new_figure(2, 3, width=4.0, height=3.2)
    axes = fig.axes
    summary = axes[-1]
    for i, curve in enumerate(curves):
        ax, colour = axes[i], COLOURS[i]
        t = np.asarray(curve["theory_t"])
        ax.fill_between(t, curve["theory_q05"], curve["theory_q95"], color=colour, alpha=0.18,
                        lw=0, label="theory 5-95% (log-normal)")
        ax.plot(t, curve["theory_median"], color=colour, lw=1.8, label="theory median")
        st = np.asarray(curve["sim_t"])
        med = np.asarray(curve["sim_median"])
        err = [med - np.asarray(curve["sim_q05"]), np.asarray(curve["sim_q95"]) - med]
        ax.errorbar(st, med, yerr=err, color=colour, mec="k", mew=0.4,
                    label=f"simulation median, 5-95% ({data['reps']} reps)", **POINT)
        verdict = "collapses" if curve["collapses"] else "no collapse"
        ax.set_title(f"$n_t = {curve['latex']}$: {verdict}", fontsize=9)
        summary.plot(t, curve["theory_median"], color=colour, lw=1.8,
                     label=f"${curve['latex']}$")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("generation $t$ (log scale)")
        ax.set_ylabel(r"$\hat\sigma^2_t/\sigma^2$ (ratio, log scale)")
        ax.axhline(1.0, color="0.6", lw=0.6, ls=":")
        ax.grid(alpha=0.25, which="major")
    legend(axes[0], loc="lower left")
    summary.set_title("theory medians (all schedules)", fontsize=9)
    legend(summary, loc="lower left", title=rf"$n_0 = {data['n0']}$", title_fontsize=7.5)
    fig.suptitle(r"F1. Gaussian variance (unbiased $S^2$): median collapses iff "
                 r"$\sum_t 1/n_t = \infty$", fontsize=11)
    return fig
