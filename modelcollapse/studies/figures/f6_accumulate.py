r"""F6, replace against accumulate for the Gaussian mean: :math:`n\,\mathrm{Var}(\hat\mu_t)` and
the :math:`\pi^2/6` limit of the accumulate workflow."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from modelcollapse.schedules import Schedule
from modelcollapse.studies.figures.style import COLOURS, POINT, legend, new_figure
from modelcollapse.studies.session import Session
from modelcollapse.theory import derive
from modelcollapse.validation.simulate import simulate

__all__ = ["make", "plot_accumulate"]


def make(run: Session) -> None:
    """Variance of the Gaussian mean under both workflows, the accumulate limit, F6 and
    ``table_accumulate``."""
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
                         "files": run.figure(plot_accumulate(data), "F6_accumulate")}
    run.figures["F6"]["tables"] = run.table(
        "table_accumulate", f"Gaussian mean, constant $n = {n}$, $\\sigma^2 = 1$: "
        f"$\\mathrm{{Var}}\\,\\hat\\mu_T$ at $T = {T}$ and the accumulate limit",
        ["workflow", "Var at T (theory)", "Var at T (MC)", "z", "limit (theory)"],
        [["replace", out["replace"]["variance_T_theory"], out["replace"]["variance_T_mc"],
          out["replace"]["z"], None],
         ["accumulate", out["accumulate"]["variance_T_theory"],
          out["accumulate"]["variance_T_mc"], out["accumulate"]["z"], out["accumulate_limit"]]])


def plot_accumulate(data: Mapping[str, Any]):
    r""":math:`n\,\mathrm{Var}(\hat\mu_t)/\sigma^2` for the two workflows, with the
    :math:`\pi^2/6` limit."""
    fig = new_figure(1, 1, width=6.2, height=4.4)
    ax = fig.axes[0]
    for i, key in enumerate(("replace", "accumulate")):
        w = data[key]
        ax.plot(data["theory_t"], w["theory"], color=COLOURS[i], lw=1.8, label=f"{key}: theory")
        ax.errorbar(data["mc_t"], w["mc"], yerr=2 * np.asarray(w["se"]), color=COLOURS[i],
                    mec="k", mew=0.4, label=f"{key}: Monte Carlo $\\pm 2$ s.e.", **POINT)
    ax.axhline(math.pi**2 / 6, color="0.3", lw=1, ls="--", label=r"$\pi^2/6$ (accumulate limit)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("generation $t$ (log scale)")
    ax.set_ylabel(r"$n\,\mathrm{Var}(\hat\mu_t)/\sigma^2$ (ratio, log scale)")
    ax.grid(alpha=0.25, which="both")
    legend(ax, loc="upper left")
    ax.set_title(rf"F6. Gaussian mean, constant $n = {data['n']}$ ({data['reps']} reps):"
                 "\nreplace diverges, accumulate stays bounded", fontsize=10)
    return fig
