r"""F8, the posterior probability of collapse per candidate schedule under uncertain estimator
bias (only when the inference part imports)."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from modelcollapse.families import Bias
from modelcollapse.schedules import Schedule
from modelcollapse.studies.figures.style import COLOURS, POINT, legend, new_figure, schedule_latex
from modelcollapse.studies.session import Session
from modelcollapse.validation.simulate import simulate

__all__ = ["CANDIDATES", "F8_TRUTH", "make", "plot_posterior"]

#: candidate future schedules of F8 (all at least the smallest observed size)
CANDIDATES = {"constant": "n0", "linear": "n0*t", "quadratic": "n0*t**2",
              "power2.5": "n0*t**2.5", "cubic": "n0*t**3"}
#: true bias of the simulated data set of F8
F8_TRUTH = {"kappa": 1.0, "alpha": 0.5}


def make(run: Session) -> None:
    """Fit the bias model to simulated trajectories, tabulate the collapse probability of
    each schedule of :data:`CANDIDATES`, draw F8 and write ``table_posterior``; skipped with a
    note when the inference part does not import."""
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
        row["latex"] = schedule_latex(expr, n0)
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
        "files": run.figure(plot_posterior({
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


def plot_posterior(data: Mapping[str, Any]):
    """Posterior of (kappa, alpha) and the collapse probability per candidate schedule."""
    fig = new_figure(1, 2, width=5.0, height=4.0)
    ax, bx = fig.axes
    ax.plot(data["alpha_draws"], data["kappa_draws"], ".", ms=2, alpha=0.35, color=COLOURS[0],
            label="posterior draws")
    ax.plot([data["truth"]["alpha"]], [data["truth"]["kappa"]], "*", ms=14, color=COLOURS[1],
            mec="k", label="truth (simulated data)")
    ax.set_xlabel(r"bias exponent $\alpha$")
    ax.set_ylabel(r"bias amplitude $\kappa$")
    ax.grid(alpha=0.25)
    legend(ax, loc="upper right")
    ax.set_title(f"posterior from {data['n_trajectories']} simulated trajectories", fontsize=10)
    rows = data["rows"]
    x = np.arange(len(rows))
    prob = np.array([r["collapse_probability"] for r in rows])
    bx.bar(x, prob, width=0.6, color=COLOURS[0], alpha=0.35,
           label="posterior predictive (simulated walks)")
    bx.errorbar(x, prob, yerr=[2 * r["collapse_se"] for r in rows], color=COLOURS[0],
                label=r"$\pm 2$ Monte Carlo s.e.", **POINT)
    lo = np.array([r["interval"][0] for r in rows])
    hi = np.array([r["interval"][1] for r in rows])
    bx.vlines(x + 0.18, lo, hi, color="k", lw=2.2,
              label="90% posterior interval (per-draw, analytic)")
    bx.plot(x - 0.18, [r["truth_probability"] for r in rows], "D", color=COLOURS[1], mec="k",
            ms=6, lw=0, label="under the true bias (simulated)")
    bx.set_xticks(x, [f"${r['latex']}$" for r in rows], fontsize=8)
    bx.set_ylim(-0.02, 1.12)
    bx.set_xlabel("candidate future schedule $n_t$")
    bx.set_ylabel(rf"P(collapse: $\hat\sigma^2 < {data['epsilon']:g}\,\hat\sigma^2_T$ "
                  rf"within {data['horizon']} gen.)")
    bx.grid(alpha=0.25, axis="y")
    legend(bx, loc="upper right")
    bx.set_title(rf"required growth $p^* = \max(1, 1/\alpha)$: "
                 rf"posterior mean {data['p_star_mean']:.2f}", fontsize=10)
    fig.suptitle("F8. Posterior probability of collapse under uncertain estimator bias",
                 fontsize=11)
    return fig
