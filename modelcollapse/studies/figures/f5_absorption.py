r"""F5, absorbing states: Bernoulli fixation and Poisson extinction probabilities, exact against
Monte Carlo."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from modelcollapse.schedules import Schedule
from modelcollapse.studies.figures.style import (
    COLOURS,
    POINT,
    legend,
    new_figure,
    schedule_latex,
    simulation_key,
)
from modelcollapse.studies.session import Session
from modelcollapse.theory import bernoulli_fixation_probability, poisson_extinction_probability
from modelcollapse.validation.simulate import simulate

__all__ = ["ABSORB", "make", "plot_absorption"]

ABSORB = {"constant": "n0", "linear": "n0*t", "threehalves": "n0*t**1.5"}


def make(run: Session) -> None:
    """Exact absorption probabilities against Monte Carlo for the schedules of
    :data:`ABSORB`, F5 and ``table_absorption``."""
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
            curves.append({"latex": schedule_latex(expr, n0), "exact_T": exact_T,
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
                         "files": run.figure(plot_absorption(data), "F5_absorption")}
    run.figures["F5"]["tables"] = run.table(
        "table_absorption", f"Absorption ($n_0 = {n0}$): exact probability at the last "
        f"generation the exact chain reaches, and Monte Carlo at $T = {T}$",
        ["family", "schedule", "exact up to T", "exact", "MC at T", "T"], rows)


def plot_absorption(data: Mapping[str, Any]):
    """Bernoulli fixation and Poisson extinction probabilities against T."""
    fig = new_figure(1, 2, width=4.8, height=3.8, sharey=True)
    for ax, key, title in zip(fig.axes, ("bernoulli", "poisson"),
                              (rf"Bernoulli fixation, $p = {data['p']}$",
                               rf"Poisson extinction, $\lambda = {data['lam']}$"), strict=True):
        for i, curve in enumerate(data[key]):
            ax.plot(curve["exact_T"], curve["exact"], color=COLOURS[i], lw=1.6)
            ax.errorbar(curve["mc_T"], curve["mc"], yerr=2 * np.asarray(curve["se"]),
                        color=COLOURS[i], mec="k", mew=0.4, **POINT)
        ax.set_xscale("log")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("generation $T$ (log scale)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.25)
    fig.axes[0].set_ylabel("probability of absorption by $T$")
    for i, curve in enumerate(data["bernoulli"]):  # the legend sits in the emptier panel
        fig.axes[1].plot([], [], color=COLOURS[i], lw=1.6, label=f"${curve['latex']}$")
    simulation_key(fig.axes[1], f"Monte Carlo $\\pm 2$ s.e. ({data['reps']} reps)")
    legend(fig.axes[1], loc="upper left", title=rf"exact (lines), $n_0 = {data['n0']}$",
            title_fontsize=7.5)
    fig.suptitle("F5. Absorbing states: certain iff $\\sum_t 1/n_t = \\infty$", fontsize=11)
    return fig
