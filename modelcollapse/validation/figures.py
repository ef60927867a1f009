r"""Plotting helpers of ``modelcollapse reproduce`` (:mod:`modelcollapse.validation.reproduce`).

Every figure overlays theory on simulation with one convention: **theory as lines** (and
shaded bands), **simulation as points with error bars**. Figures are drawn on
:class:`matplotlib.figure.Figure` objects rendered by the Agg canvas, never through
``pyplot``: nothing here selects a global backend or keeps figures alive, so a notebook
session that imports this module keeps its own backend.

Each ``plot_*`` function takes the plain data dict computed by ``reproduce`` and returns a
``Figure``; :func:`save` writes it as PNG and PDF.

>>> fig = new_figure(1, 1)
>>> len(fig.axes)
1
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["new_figure", "save", "plot_dichotomy", "plot_improvement", "plot_phase",
           "plot_guideline", "plot_absorption", "plot_accumulate", "plot_posterior",
           "schedule_latex", "COLOURS"]

#: one colour per schedule, in the order the figures list them (colour-blind safe, Okabe-Ito)
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
#: the simulation marker and its error-bar style
_POINT = {"fmt": "o", "ms": 4, "capsize": 2, "elinewidth": 1, "lw": 0}


def new_figure(rows: int, cols: int, *, width: float = 4.2, height: float = 3.4, **kwargs: Any):
    """A ``Figure`` with a ``rows x cols`` grid of axes (Agg canvas, constrained layout)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    FigureCanvasAgg(fig)
    fig.subplots(rows, cols, squeeze=False, **kwargs)
    return fig


def save(fig, out: Path, stem: str) -> list[str]:
    """Write ``stem.png`` (150 dpi) and ``stem.pdf`` into ``out``; return both paths."""
    paths = [out / f"{stem}.png", out / f"{stem}.pdf"]
    fig.savefig(paths[0], dpi=150)
    fig.savefig(paths[1])
    return [str(p) for p in paths]


def _legend(ax, **kwargs: Any) -> None:
    ax.legend(fontsize=7.5, frameon=False, **kwargs)


def _simulation_key(ax, label: str = "simulation (points, error bars)") -> None:
    ax.errorbar([], [], yerr=[], color="0.3", label=label, **_POINT)


# --------------------------------------------------------------------------------------------
# F1: the collapse dichotomy
# --------------------------------------------------------------------------------------------
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
                    label=f"simulation median, 5-95% ({data['reps']} reps)", **_POINT)
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
    _legend(axes[0], loc="lower left")
    summary.set_title("theory medians (all schedules)", fontsize=9)
    _legend(summary, loc="lower left", title=rf"$n_0 = {data['n0']}$", title_fontsize=7.5)
    fig.suptitle(r"F1. Gaussian variance (unbiased $S^2$): median collapses iff "
                 r"$\sum_t 1/n_t = \infty$", fontsize=11)
    return fig


# --------------------------------------------------------------------------------------------
# F2: improvement probability
# --------------------------------------------------------------------------------------------
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
                        mec="k", mew=0.4, **_POINT)
        ax.axhline(0.5, color="0.5", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_ylim(0, 0.55)
        ax.set_title(f"dimension $d = {dim}$", fontsize=10)
        ax.set_xlabel("generation $T$ (log scale)")
        ax.grid(alpha=0.25)
    fig.axes[0].set_ylabel(r"$P(T) = \Pr(\|\hat\theta_T-\theta^*\| < \|\hat\theta_0-\theta^*\|)$")
    _simulation_key(fig.axes[-1], f"Monte Carlo $\\pm 2$ s.e. ({data['reps']} reps)")
    _legend(fig.axes[-1], loc="upper right", title=rf"closed form (lines), $n_0 = {data['n0']}$",
            title_fontsize=7.5)
    fig.suptitle("F2. Probability that recursive training beats the real data (stays < 1/2)",
                 fontsize=11)
    return fig


# --------------------------------------------------------------------------------------------
# F3: phase diagram
# --------------------------------------------------------------------------------------------
def plot_phase(data: Mapping[str, Any]):
    r"""Simulated :math:`\log_{10}` median ratio over (alpha, p) with the boundary
    :math:`p = \max(1, 1/\alpha)`."""
    from matplotlib.colors import Normalize

    alphas, ps = np.asarray(data["alphas"]), np.asarray(data["ps"])
    z = np.asarray(data["log10_median"], dtype=float)  # (p, alpha)
    fig = new_figure(1, 1, width=6.2, height=4.8)
    ax = fig.axes[0]
    floor = data["floor"]
    mesh = ax.pcolormesh(_edges(alphas), _edges(ps), np.clip(z, floor, 0.5), cmap="viridis",
                         norm=Normalize(floor, 0.5), shading="flat")
    bar = fig.colorbar(mesh, ax=ax, extend="min")
    bar.set_label(r"simulated $\log_{10}$ median of $\hat\sigma^2_T/\sigma^2$ at "
                  rf"$T = {data['T']}$")
    a = np.linspace(alphas.min() - 0.5 * _step(alphas), alphas.max() + 0.5 * _step(alphas), 400)
    ax.plot(a, np.maximum(1.0, 1.0 / a), color="w", lw=3.2)
    ax.plot(a, np.maximum(1.0, 1.0 / a), color="#D55E00", lw=1.8,
            label=r"theory boundary $p = \max(1, 1/\alpha)$")
    ax.set_ylim(ps.min() - 0.5 * _step(ps), ps.max() + 0.5 * _step(ps))
    ax.set_xlim(a.min(), a.max())
    ax.text(0.97, 0.95, "no collapse", transform=ax.transAxes, ha="right", va="top",
            color="k", fontsize=10, bbox={"fc": "w", "alpha": 0.7, "lw": 0})
    ax.text(0.97, 0.05, "collapse", transform=ax.transAxes, ha="right", va="bottom",
            color="k", fontsize=10, bbox={"fc": "w", "alpha": 0.7, "lw": 0})
    ax.set_xlabel(r"bias exponent $\alpha$ (bias $= -\kappa n^{-\alpha}$, $\kappa = 1$)")
    ax.set_ylabel(r"growth exponent $p$ ($n_t = n_0 t^p$)")
    _legend(ax, loc="upper center", facecolor="w", framealpha=0.8)
    ax.set_title(rf"F3. Phase diagram of the biased variance walk ($n_0 = {data['n0']}$, "
                 rf"{data['reps']} reps per cell)", fontsize=10)
    return fig


def _step(x: np.ndarray) -> float:
    return float(np.min(np.diff(x))) if len(x) > 1 else 1.0


def _edges(x: np.ndarray) -> np.ndarray:
    mid = (x[1:] + x[:-1]) / 2
    h = _step(x)
    return np.concatenate([[x[0] - h / 2], mid, [x[-1] + h / 2]])


# --------------------------------------------------------------------------------------------
# F4: compute against utility
# --------------------------------------------------------------------------------------------
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
                **_POINT)
    for p in pts:
        ax.annotate(f"s = {p['s']:g}", (p["cost_T"], p["mc"]), textcoords="offset points",
                    xytext=(5, 6), fontsize=7.5)
    ax.axhline(1.0, color="0.4", lw=0.8, ls=":", label="real data only ($V/n_0$)")
    ax.set_xscale("log")
    ax.set_ylim(0.8, None)
    ax.set_xlabel(rf"total synthetic samples to $T = {data['T']}$ (count, log scale)")
    ax.set_ylabel(r"mean-squared error / $(\sigma^2/n_0)$ (ratio)")
    ax.grid(alpha=0.25, which="both")
    _legend(ax, loc="upper right")
    ax.set_title(rf"F4. Compute against utility, $n_t = n_0 t^{{1+s}}$, $n_0 = {data['n0']}$ "
                 "(Gaussian mean)", fontsize=10)
    return fig


# --------------------------------------------------------------------------------------------
# F5: absorption
# --------------------------------------------------------------------------------------------
def plot_absorption(data: Mapping[str, Any]):
    """Bernoulli fixation and Poisson extinction probabilities against T."""
    fig = new_figure(1, 2, width=4.8, height=3.8, sharey=True)
    for ax, key, title in zip(fig.axes, ("bernoulli", "poisson"),
                              (rf"Bernoulli fixation, $p = {data['p']}$",
                               rf"Poisson extinction, $\lambda = {data['lam']}$"), strict=True):
        for i, curve in enumerate(data[key]):
            ax.plot(curve["exact_T"], curve["exact"], color=COLOURS[i], lw=1.6)
            ax.errorbar(curve["mc_T"], curve["mc"], yerr=2 * np.asarray(curve["se"]),
                        color=COLOURS[i], mec="k", mew=0.4, **_POINT)
        ax.set_xscale("log")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("generation $T$ (log scale)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.25)
    fig.axes[0].set_ylabel("probability of absorption by $T$")
    for i, curve in enumerate(data["bernoulli"]):  # the legend sits in the emptier panel
        fig.axes[1].plot([], [], color=COLOURS[i], lw=1.6, label=f"${curve['latex']}$")
    _simulation_key(fig.axes[1], f"Monte Carlo $\\pm 2$ s.e. ({data['reps']} reps)")
    _legend(fig.axes[1], loc="upper left", title=rf"exact (lines), $n_0 = {data['n0']}$",
            title_fontsize=7.5)
    fig.suptitle("F5. Absorbing states: certain iff $\\sum_t 1/n_t = \\infty$", fontsize=11)
    return fig


# --------------------------------------------------------------------------------------------
# F6: replace against accumulate
# --------------------------------------------------------------------------------------------
def plot_accumulate(data: Mapping[str, Any]):
    r""":math:`n\,\mathrm{Var}(\hat\mu_t)/\sigma^2` for the two workflows, with the
    :math:`\pi^2/6` limit."""
    fig = new_figure(1, 1, width=6.2, height=4.4)
    ax = fig.axes[0]
    for i, key in enumerate(("replace", "accumulate")):
        w = data[key]
        ax.plot(data["theory_t"], w["theory"], color=COLOURS[i], lw=1.8, label=f"{key}: theory")
        ax.errorbar(data["mc_t"], w["mc"], yerr=2 * np.asarray(w["se"]), color=COLOURS[i],
                    mec="k", mew=0.4, label=f"{key}: Monte Carlo $\\pm 2$ s.e.", **_POINT)
    ax.axhline(math.pi**2 / 6, color="0.3", lw=1, ls="--", label=r"$\pi^2/6$ (accumulate limit)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("generation $t$ (log scale)")
    ax.set_ylabel(r"$n\,\mathrm{Var}(\hat\mu_t)/\sigma^2$ (ratio, log scale)")
    ax.grid(alpha=0.25, which="both")
    _legend(ax, loc="upper left")
    ax.set_title(rf"F6. Gaussian mean, constant $n = {data['n']}$ ({data['reps']} reps):"
                 "\nreplace diverges, accumulate stays bounded", fontsize=10)
    return fig


# --------------------------------------------------------------------------------------------
# F8: posterior probability of collapse
# --------------------------------------------------------------------------------------------
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
    _legend(ax, loc="upper right")
    ax.set_title(f"posterior from {data['n_trajectories']} simulated trajectories", fontsize=10)
    rows = data["rows"]
    x = np.arange(len(rows))
    prob = np.array([r["collapse_probability"] for r in rows])
    bx.bar(x, prob, width=0.6, color=COLOURS[0], alpha=0.35,
           label="posterior predictive (simulated walks)")
    bx.errorbar(x, prob, yerr=[2 * r["collapse_se"] for r in rows], color=COLOURS[0],
                label=r"$\pm 2$ Monte Carlo s.e.", **_POINT)
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
    _legend(bx, loc="upper right")
    bx.set_title(rf"required growth $p^* = \max(1, 1/\alpha)$: "
                 rf"posterior mean {data['p_star_mean']:.2f}", fontsize=10)
    fig.suptitle("F8. Posterior probability of collapse under uncertain estimator bias",
                 fontsize=11)
    return fig


def schedule_latex(text: str, n0: int, values: Sequence[tuple[str, str]] = ()) -> str:
    r"""A short LaTeX label of a schedule expression with ``n0`` replaced by its value.

    >>> schedule_latex("n0*t**1.5", 10)
    '10\\,t^{1.5}'
    >>> schedule_latex("n0*t*log(t+1)", 10)
    '10\\,t\\log(t+1)'
    """
    body = text.replace("n0*", "").replace("n0", "")
    body = body.replace("**", "^").replace("*", "")
    for old, new in (("log", r"\log"), *values):
        body = body.replace(old, new)
    if "^" in body:
        head, _, power = body.partition("^")
        body = f"{head}^{{{power}}}"
    return f"{n0}\\,{body}" if body else str(n0)
