r"""F4, compute against utility: the data-expansion guideline for :math:`n_t = n_0 t^{1+s}`
theory against the Monte Carlo mean-squared error of the Gaussian mean."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from modelcollapse.schedules import Schedule
from modelcollapse.studies.figures.style import COLOURS, POINT, legend, new_figure
from modelcollapse.studies.session import Session
from modelcollapse.theory import derive
from modelcollapse.theory.guideline import guideline_table
from modelcollapse.validation.simulate import simulate

__all__ = ["make", "plot_guideline"]


def make(run: Session) -> None:
    """Check the mean-squared error at T for five values of s, draw F4 and write
    ``table_guideline``."""
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
        "files": run.figure(plot_guideline({
            "line": {"cost_T": [r.cost_T for r in line],
                     "error_factor": [r.error_factor for r in line]},
            "points": points, "T": T, "n0": n0, "reps": s.f4_reps}), "F4_guideline")}
    run.figures["F4"]["tables"] = run.table(
        "table_guideline", f"Data-expansion guideline, $n_t = {n0}\\,t^{{1+s}}$: cost to "
        f"$T = {T}$ and limiting error (factor of the real-data error $V/n_0$)",
        ["s", "cost to T", "cost / cost(s=1)", "error factor", "limit error (V=1)"], rows)


def plot_guideline(data: Mapping[str, Any]):
    r"""Total synthetic samples against the limiting error factor for :math:`n_0 t^{1+s}`."""
    fig = new_figure(1, 1, width=6.4, height=4.6)
    ax = fig.axes[0]
    line = data["line"]
    ax.plot(line["cost_T"], line["error_factor"], color=COLOURS[0], lw=1.8,
            label=r"theory limit $1 + \zeta(1+s)$ (guideline, no rounding)")
    pts = data["points"]
    ax.plot([p["cost_T"] for p in pts], [p["theory_T"] for p in pts], color=COLOURS[1], lw=1,
            ls="--", marker="x", ms=5, label=rf"theory at $T = {data['T']}$ (rounded $n_t$)")
    ax.errorbar([p["cost_T"] for p in pts], [p["mc"] for p in pts],
                yerr=[2 * p["se"] for p in pts], color=COLOURS[1], mec="k", mew=0.4,
                label=rf"Monte Carlo at $T = {data['T']}$, $\pm 2$ s.e. ({data['reps']} reps)",
                **POINT)
    for p in pts:
        ax.annotate(f"s = {p['s']:g}", (p["cost_T"], p["mc"]), textcoords="offset points",
                    xytext=(5, 6), fontsize=7.5)
    ax.axhline(1.0, color="0.4", lw=0.8, ls=":", label="real data only ($V/n_0$)")
    ax.set_xscale("log")
    ax.set_ylim(0.8, None)
    ax.set_xlabel(rf"total synthetic samples to $T = {data['T']}$ (count, log scale)")
    ax.set_ylabel(r"mean-squared error / $(\sigma^2/n_0)$ (ratio)")
    ax.grid(alpha=0.25, which="both")
    legend(ax, loc="upper right")
    ax.set_title(rf"F4. Compute against utility, $n_t = n_0 t^{{1+s}}$, $n_0 = {data['n0']}$ "
                 "(Gaussian mean)", fontsize=10)
    return fig
