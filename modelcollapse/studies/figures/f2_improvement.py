r"""F2, the improvement probability :math:`P(T)`: closed form against Monte Carlo for
:math:`d = 1, 2, 5`, and a table of reference values."""

from __future__ import annotations

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
from modelcollapse.theory import improvement_probability
from modelcollapse.validation.simulate import simulate

__all__ = ["REFERENCE_IMPROVEMENT", "IMPROVE", "make", "plot_improvement"]

#: public reference values of P(T) (n0 = 100, d = 1) by (schedule, T)
REFERENCE_IMPROVEMENT = {
    ("n0", 1): 0.3524, ("n0", 10): 0.1795, ("n0", 100): 0.0628,
    ("n0*t", 1): 0.3524, ("n0*t", 10): 0.2747, ("n0*t", 100): 0.2294,
    ("n0*t**1.5", 1): 0.3524, ("n0*t**1.5", 10): 0.3043, ("n0*t**1.5", 100): 0.2898,
    ("n0*t**2", 1): 0.3524, ("n0*t**2", 10): 0.3228, ("n0*t**2", 100): 0.3189,
    ("n0*2**t", 1): 0.3918, ("n0*2**t", 10): 0.3525, ("n0*2**t", 100): 0.3524,
}
#: schedules of F2 and F5
IMPROVE = {"constant": "n0", "linear": "n0*t", "threehalves": "n0*t**1.5",
           "quadratic": "n0*t**2"}


def make(run: Session) -> None:
    """Simulate :math:`P(T)` for the schedules of :data:`IMPROVE` and d = 1, 2, 5, draw F2 and
    write ``table_improvement`` (the closed form against :data:`REFERENCE_IMPROVEMENT`)."""
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
        curves.append({"name": name, "latex": schedule_latex(expr, n0), "by_dim": by_dim})
        out[expr] = {str(d): {"T": mc_T, "closed_form": np.asarray(v["theory"])[mc_T - 1],
                              "mc": v["mc"], "se": v["se"]} for d, v in by_dim.items()}
    reference_rows, reference_out = [], []
    for expr in ("n0", "n0*t", "n0*t**1.5", "n0*t**2", "n0*2**t"):
        sched = Schedule(expr, n0=n0)
        row: list[Any] = [expr]
        for t in (1, 10, 100):
            value = improvement_probability(n0, sched.inverse_sum(t))
            ref = REFERENCE_IMPROVEMENT[(expr, t)]
            reference_out.append({"schedule": expr, "T": t, "probability": value, "reference": ref})
            row += [value, ref]
        reference_rows.append(row)
    run.macro("improvement r one d one", improvement_probability(100, 0.01, dim=1))
    run.macro("improvement r one d two", improvement_probability(100, 0.01, dim=2))
    run.macro("improvement r one d five", improvement_probability(100, 0.01, dim=5))
    run.figures["F2"] = {"n0": n0, "T": T, "dims": list(dims), "reps": s.f2_reps,
                         "schedules": out, "reference_table": reference_out,
                         "files": run.figure(plot_improvement(
                             {"curves": curves, "dims": dims, "theory_T": theory_T, "mc_T": mc_T,
                              "n0": n0, "reps": s.f2_reps}), "F2_improvement")}
    run.figures["F2"]["tables"] = run.table(
        "table_improvement", f"Probability $P(T)$ that generation $T$ beats the real data "
        f"($n_0 = {n0}$, $d = 1$): closed form and the reference values",
        ["schedule", "P(1)", "ref", "P(10)", "ref", "P(100)", "ref"], reference_rows)


def plot_improvement(data: Mapping[str, Any]):
    """P(T) against T per schedule, closed form (lines) against Monte Carlo (points)."""
    dims = data["dims"]
    fig = new_figure(1, len(dims), width=4.2, height=3.6, sharey=True)
    for ax, dim in zip(fig.axes, dims, strict=True):
        for i, curve in enumerate(data["curves"]):
            c = curve["by_dim"][str(dim)]
            ax.plot(data["theory_T"], c["theory"], color=COLOURS[i], lw=1.6,
                    label=f"${curve['latex']}$" if ax is fig.axes[-1] else None)
            p = np.asarray(c["mc"])
            ax.errorbar(data["mc_T"], p, yerr=2 * np.asarray(c["se"]), color=COLOURS[i],
                        mec="k", mew=0.4, **POINT)
        ax.axhline(0.5, color="0.5", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_ylim(0, 0.55)
        ax.set_title(f"dimension $d = {dim}$", fontsize=10)
        ax.set_xlabel("generation $T$ (log scale)")
        ax.grid(alpha=0.25)
    fig.axes[0].set_ylabel(r"$P(T) = \Pr(\|\hat\theta_T-\theta^*\| < \|\hat\theta_0-\theta^*\|)$")
    simulation_key(fig.axes[-1], f"Monte Carlo $\\pm 2$ s.e. ({data['reps']} reps)")
    legend(fig.axes[-1], loc="upper right", title=rf"closed form (lines), $n_0 = {data['n0']}$",
            title_fontsize=7.5)
    fig.suptitle("F2. Probability that recursive training beats the real data (stays < 1/2)",
                 fontsize=11)
    return fig
