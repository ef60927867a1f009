r"""F3, the phase diagram of the biased variance walk over the bias exponent :math:`\alpha` and
the growth exponent :math:`p`, with the boundary :math:`p = \max(1, 1/\alpha)`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from modelcollapse.families import Bias, get_family
from modelcollapse.schedules import Schedule
from modelcollapse.studies.figures.style import legend, new_figure
from modelcollapse.studies.session import Session
from modelcollapse.theory.moments import log_moments
from modelcollapse.validation.simulate import simulate

__all__ = ["make", "plot_phase"]


def make(run: Session) -> None:
    """Simulate the biased variance walk on an (alpha, p) grid, draw F3 and write
    ``table_phase``."""
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
        "files": run.figure(plot_phase({"alphas": alphas, "ps": ps, "log10_median": z,
                                                "floor": floor, "T": T, "n0": n0,
                                                "reps": s.f3_reps}), "F3_phase_diagram")}
    run.figures["F3"]["tables"] = run.table(
        "table_phase", f"Biased variance walk, $\\kappa = 1$, $n_t = {n0} t^p$, $T = {T}$: "
        "theory verdict $p > \\max(1, 1/\\alpha)$, theory $E\\log_{10}$ and simulated "
        "$\\log_{10}$ median of $\\hat\\sigma^2_T/\\sigma^2$",
        ["alpha", "p", "no collapse (theory)", "E log10 (theory)", "log10 median (MC)",
         "z of E log"], rows)


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
    legend(ax, loc="upper center", facecolor="w", framealpha=0.8)
    ax.set_title(rf"F3. Phase diagram of the biased variance walk ($n_0 = {data['n0']}$, "
                 rf"{data['reps']} reps per cell)", fontsize=10)
    return fig


def _step(x: np.ndarray) -> float:
    return float(np.min(np.diff(x))) if len(x) > 1 else 1.0


def _edges(x: np.ndarray) -> np.ndarray:
    mid = (x[1:] + x[:-1]) / 2
    h = _step(x)
    return np.concatenate([[x[0] - h / 2], mid, [x[-1] + h / 2]])
