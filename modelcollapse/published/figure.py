r"""Theory against simulation for every published result: one panel per entry.

Theory lines come from :func:`modelcollapse.published.reproduce` (or the same engine, as
labelled) at each generation; points from the library's Monte Carlo engine
(:func:`modelcollapse.validation.simulate`, exact one-step laws) with error bars of two standard
errors; dashed lines are the papers' own formulas or bounds. :func:`figure_data` computes every
panel, :func:`plot_panel` draws one on a matplotlib axis, :func:`plot_grid` all of them.

>>> sorted(PANELS) == sorted(published.keys())
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from modelcollapse import published
from modelcollapse.families import Bias
from modelcollapse.schedules import Schedule
from modelcollapse.theory import derive
from modelcollapse.validation.simulate import simulate

__all__ = ["PANELS", "figure_data", "panel_data", "plot_panel", "plot_grid", "plot_one"]

Panel = dict[str, Any]


def _grid(T: int, count: int = 16) -> list[int]:
    return sorted({int(round(x)) for x in np.linspace(0, T, count)})


def _walks(family: str, schedule: Schedule, T: int, reps: int, seed: int, **kw) -> np.ndarray:
    """Trajectories (rep, t) of the first component, from the exact one-step law."""
    ds = simulate(family, schedule=schedule, T=T, reps=reps, seed=seed, trajectories=True,
                  progress=False, **kw)
    return ds["trajectory"].values[:, :, 0]


def _mean_points(values: np.ndarray, ts: list[int]) -> tuple[list[float], list[float]]:
    x = values[:, ts]
    return x.mean(axis=0).tolist(), (x.std(axis=0, ddof=1) / math.sqrt(len(x))).tolist()


def _fraction_points(hits: np.ndarray, ts: list[int]) -> tuple[list[float], list[float]]:
    p = hits[:, ts].mean(axis=0)
    # a fraction of 0 or 1 has no spread of its own: judge it as if one walk had differed
    return p.tolist(), np.sqrt(np.maximum(p * (1 - p), 1 / len(hits)) / len(hits)).tolist()


def _label(text: str) -> str:
    """``n0*t**1.5`` as :math:`n_0 t^{1.5}`."""
    body = text.replace("n0*", "n_0 ").replace("n0", "n_0")
    if "**" in body:
        head, _, power = body.partition("**")
        body = f"{head}^{{{power}}}"
    return f"${body}$"


def _panel(title: str, xlabel: str, ylabel: str, **kw: Any) -> Panel:
    return {"title": title, "xlabel": xlabel, "ylabel": ylabel, "lines": [], "points": [],
            "refs": [], "xscale": "linear", "yscale": "linear", **kw}


def _shumailov(reps: int, seed: int) -> Panel:
    sizes = [100 * 2**t for t in range(8)]
    text = ",".join(map(str, sizes))
    ts = list(range(len(sizes)))
    theory = [published.reproduce("shumailov2024", schedule=text, T=t).value for t in ts]
    mu = _walks("gaussian-mean", Schedule.from_sizes(sizes), len(sizes) - 1, reps, seed)
    var = mu.var(axis=0, ddof=1)
    p = _panel("Shumailov et al.: sizes 100, 200, 400, ...", "generation t",
               r"$\mathrm{Var}\,\hat\mu_t$")
    p["lines"].append((ts, theory, r"$\sigma^2\sum_{i\leq t} 1/M_i$ (exact)"))
    p["points"].append((ts, var.tolist(), (var * math.sqrt(2 / (reps - 1))).tolist(), "MC"))
    p["refs"].append((2 / sizes[0], r"$2\sigma^2/M_0$ (limit)"))
    return p


def _bertrand(reps: int, seed: int) -> Panel:
    n, T = 10, 30
    ts = _grid(T)
    theory = [published.reproduce("bertrand2024", n0=n, T=t).value for t in ts]
    walks = _walks("gaussian-variance", Schedule("n0", n0=n), T, reps, seed)
    mean, se = _mean_points(np.sqrt(walks), ts)
    p = _panel(rf"Bertrand et al.: $E\hat\sigma_t$, $n = {n}$", "generation t",
               r"$E\,\hat\sigma_t/\sigma$", yscale="log")
    p["lines"].append((ts, theory, r"$\alpha(n)^{t+1}$ (moment $r = 1/2$)"))
    p["points"].append((ts, mean, se, "MC"))
    return p


def _seddik(reps: int, seed: int) -> Panel:
    n, T, probs = 20, 60, (0.2, 0.3, 0.5)
    ts = _grid(T)
    runs = [published.reproduce("seddik2024", n0=n, T=t, p=probs) for t in range(T + 1)]
    walks = simulate("categorical", schedule=Schedule("n0", n0=n), T=T, reps=reps, seed=seed,
                     params={"p": probs}, trajectories=True, progress=False)
    dirac = walks["trajectory"].values.max(axis=2) >= 1 - 1e-12
    frac, se = _fraction_points(dirac, ts)
    p = _panel(rf"Seddik et al.: Dirac mass by $t$, $n = {n}$, $K = 3$", "generation t",
               "probability")
    p["lines"].append((list(range(T + 1)), [r.value for r in runs], "exact chain"))
    p["lines"].append((list(range(T + 1)), [max(r.paper_value, 0.0) for r in runs],
                       r"bound from $S_m$", "--"))
    p["points"].append((ts, frac, se, "MC"))
    return p


def _forgetting(key: str, family: str, option: str, rate: float, reps: int,
                seed: int) -> Panel:
    n, T = 50, 100
    ts = _grid(T)
    runs = [published.reproduce(key, n0=n, T=t, **{option: rate}) for t in ts]
    walks = _walks(family, Schedule("n0", n0=n), T, reps, seed, params={option: rate})
    frac, se = _fraction_points(walks == 0, ts)
    name = "Bernoulli" if family == "bernoulli" else "Poisson"
    symbol = "p" if option == "p" else r"\lambda"
    p = _panel(rf"Suresh et al.: {name}, $n{symbol} = {n * rate:g}$", "generation t",
               "probability forgotten (estimate = 0)")
    p["lines"].append((ts, [r.value for r in runs], "exact"))
    p["lines"].append((ts, [r.paper_value for r in runs], r"$e^{-\lambda/k}$, $k = t + 1$",
                       "--"))
    p["points"].append((ts, frac, se, "MC"))
    return p


def _suresh_gaussian(reps: int, seed: int) -> Panel:
    n, T = 20, 120
    ts = _grid(T)
    runs = [published.reproduce("suresh2025-gaussian", n0=n, T=t) for t in ts]
    walks = _walks("gaussian-variance", Schedule("n0", n0=n), T, reps, seed)
    mean, se = _mean_points(np.sqrt(walks), ts)
    p = _panel(rf"Suresh et al.: Gaussian scale, $n = {n}$", "generation t",
               r"$E\,\hat\sigma_t/\sigma$", yscale="log")
    p["lines"].append((ts, [r.value for r in runs], "exact"))
    p["lines"].append((ts, [r.paper_value for r in runs], r"$e^{-k/(4n)}$, $k = t + 1$", "--"))
    p["points"].append((ts, mean, se, "MC"))
    return p


def _accumulate(reps: int, seed: int) -> Panel:
    n, T = 20, 60
    ts = _grid(T)
    theory = [n * published.reproduce("dey-donoho2024", n0=n, T=t).value
              for t in range(T + 1)]
    ds = simulate("gaussian-mean", schedule=Schedule("n0", n0=n), T=T, reps=reps, seed=seed,
                  workflow="accumulate", progress=False)
    var = n * ds["variance"].values[ts, 0]
    p = _panel(rf"Dey & Donoho, Gerstgrasser et al.: accumulate, $n = {n}$",
               "generation t", r"$n\,\mathrm{Var}\,\hat\mu_t/\sigma^2$")
    p["lines"].append((list(range(T + 1)), theory, r"$\sum_{k\leq t+1} 1/k^2$ (exact)"))
    p["points"].append((ts, var.tolist(), (var * math.sqrt(2 / (reps - 1))).tolist(), "MC"))
    p["refs"].append((math.pi**2 / 6, r"$\pi^2/6$"))
    return p


def _regression(reps: int, seed: int) -> Panel:
    n, d, T = 20, 3, 10
    ts = list(range(T + 1))
    runs = [published.reproduce("gerstgrasser2024-regression", n0=n, dim=d, T=t) for t in ts]
    p = _panel(rf"Gerstgrasser et al.: regression, $d = {d}$, $n = {n}$", "generation t",
               r"$E\|\hat\beta_t - \beta^*\|^2/\sigma^2$")
    p["lines"].append((ts, [r.extra["replace squared_error_T"] for r in runs], "replace"))
    p["lines"].append((ts, [r.value for r in runs], "accumulate"))
    # pooled least squares has no exact one-step law: fewer walks for the accumulate points
    for i, (workflow, walks) in enumerate((("replace", reps), ("accumulate", min(reps, 400)))):
        ds = simulate("linear-regression", dim=d, schedule=Schedule("n0", n0=n), T=T,
                      reps=walks, seed=seed + i, workflow=workflow, trajectories=True,
                      progress=False)
        mean, se = _mean_points((ds["trajectory"].values ** 2).sum(axis=2), ts)
        p["points"].append((ts, mean, se, None))
    p["refs"].append((runs[0].paper_value, r"$\frac{d}{n-d-1}\,\frac{\pi^2}{6}$"))
    return p


def _mixing(reps: int, seed: int) -> Panel:
    n, T = 20, 40
    ws = np.linspace(0.1, 1.0, 10).tolist()
    sched = Schedule("n0", n0=n)
    theory = [n * derive("gaussian-mean", schedule=sched, T=math.inf, workflow="mix",
                         real_ratio=1, real_weight=w).values["variance_T"] for w in ws]
    w_star = published.reproduce("he-xu-cheng2025", n0=n).value
    mc_w = [0.2, 0.4, w_star, 0.8, 1.0]
    var, se = [], []
    for i, w in enumerate(mc_w):
        ds = simulate("gaussian-mean", schedule=sched, T=T, reps=reps, seed=seed + i,
                      workflow="mix", real_ratio=1, real_weight=w, progress=False)
        v = n * float(np.var(ds["final"].values[:, 0], ddof=1))
        var.append(v)
        se.append(v * math.sqrt(2 / (reps - 1)))
    p = _panel(r"He, Xu & Cheng: mixing weight, $K = 1$", "weight w of the real data",
               r"$n\,\mathrm{Var}\,\hat\mu_\infty/\sigma^2$")
    p["lines"].append((ws, theory, "stationary variance (exact)"))
    p["points"].append((mc_w, var, se, f"MC at t = {T}"))
    p["vrefs"] = [(w_star, r"$w^* = 1/\varphi$")]
    return p


def _log_drift(title: str, schedules: list[str], reps: int, seed: int,
               bias: Bias | None = None) -> Panel:
    n0, T = 10, 200
    ts = _grid(T)
    p = _panel(title, "generation t", r"$E\log(\hat\sigma^2_t/\sigma^2)$")
    for i, text in enumerate(schedules):
        sched = Schedule(text, n0=n0)
        theory = [derive("gaussian-variance", schedule=sched, T=t, bias=bias)
                  .values["log_mean_T"] for t in ts]
        walks = _walks("gaussian-variance", sched, T, reps, seed + i, bias=bias)
        mean, se = _mean_points(np.log(walks), ts)
        p["lines"].append((ts, theory, _label(text)))
        p["points"].append((ts, mean, se, None))
    return p


def _superlinear(reps: int, seed: int) -> Panel:
    return _log_drift("Claim 3: linear collapses, superlinear does not", ["n0*t", "n0*t**1.5"],
                      reps, seed)


def _bias(reps: int, seed: int) -> Panel:
    return _log_drift(r"Claim 3: bias $\kappa n^{-1/2}$ needs $p > p^* = 2$",
                      ["n0*t**1.5", "n0*t**2.5"], reps, seed, Bias(1.0, 0.5))


def _improvement(reps: int, seed: int) -> Panel:
    n0, T = 100, 40
    ts = _grid(T)[1:]
    p = _panel(r"Claim 4: $P(T) < 1/2$, $n_0 = 100$", "generation T",
               "probability of beating the real fit")
    for i, text in enumerate(("n0", "n0*t**2")):
        sched = Schedule(text, n0=n0)
        theory = [published.reproduce("seed-improvement", schedule=text, T=t).value
                  for t in ts]
        walks = _walks("gaussian-mean", sched, T, reps, seed + i)
        hits = np.abs(walks) < np.abs(walks[:, :1])
        frac, se = _fraction_points(hits, ts)
        p["lines"].append((ts, theory, _label(text)))
        p["points"].append((ts, frac, se, None))
    p["refs"].append((0.5, "1/2"))
    return p


#: one panel per entry, in the guide's order: (reps, seed) -> panel data
PANELS: dict[str, Callable[[int, int], Panel]] = {
    "shumailov2024": _shumailov,
    "bertrand2024": _bertrand,
    "seddik2024": _seddik,
    "suresh2025-bernoulli": lambda reps, seed: _forgetting(
        "suresh2025-bernoulli", "bernoulli", "p", 0.04, reps, seed),
    "suresh2025-poisson": lambda reps, seed: _forgetting(
        "suresh2025-poisson", "poisson", "lam", 0.04, reps, seed),
    "suresh2025-gaussian": _suresh_gaussian,
    "dey-donoho2024": _accumulate,
    "gerstgrasser2024-regression": _regression,
    "he-xu-cheng2025": _mixing,
    "seed-superlinear": _superlinear,
    "seed-bias": _bias,
    "seed-improvement": _improvement,
}


def panel_data(key: str, *, reps: int = 2000, seed: int = 0) -> Panel:
    """Theory and Monte Carlo of the entry ``key`` (``reps`` walks, seeded by ``seed``)."""
    published.get(key)  # a clear error for an unknown key
    return PANELS[key](reps, seed)


def figure_data(*, reps: int = 2000, seed: int = 0) -> dict[str, Panel]:
    """Every panel; each entry gets its own seed from ``seed`` (SeedSequence)."""
    out = {}
    for i, key in enumerate(PANELS):
        sub = int(np.random.SeedSequence([seed, 9, i]).generate_state(1)[0])
        out[key] = panel_data(key, reps=reps, seed=sub)
    return out


def plot_panel(ax, panel: Panel) -> None:
    """Theory as lines, the papers' formulas dashed, Monte Carlo as points (2 s.e.)."""
    colours = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
    for i, line in enumerate(panel["lines"]):
        x, y, label, *style = line
        colour = colours[0] if style else colours[i % len(colours)]
        ax.plot(x, [np.nan if v is None else v for v in y], style[0] if style else "-",
                color="0.25" if style else colour, lw=1.6, label=label)
    solid = [ln for ln in panel["lines"] if len(ln) == 3]
    for i, (x, y, se, label) in enumerate(panel["points"]):
        colour = colours[i % len(colours)] if len(solid) > 1 else colours[0]
        ax.errorbar(x, y, yerr=2 * np.asarray(se), fmt="o", ms=3.5, capsize=2, lw=0,
                    elinewidth=1, color=colour, mec="k", mew=0.3,
                    label=label or ("MC" if i == 0 else None))
    for y, label in panel["refs"]:
        ax.axhline(y, color="0.4", lw=1, ls=":", label=label)
    for x, label in panel.get("vrefs", []):
        ax.axvline(x, color="0.4", lw=1, ls=":", label=label)
    ax.set_xscale(panel["xscale"])
    ax.set_yscale(panel["yscale"])
    ax.set_title(panel["title"], fontsize=9)
    ax.set_xlabel(panel["xlabel"], fontsize=8)
    ax.set_ylabel(panel["ylabel"], fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.25)
    ax.legend(fontsize=6.5, frameon=False)


def _figure(rows: int, cols: int, *, width: float, height: float, layout: str | None = None):
    """A Figure on the Agg canvas (never pyplot: no global backend, nothing kept alive)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * cols, height * rows), layout=layout)
    FigureCanvasAgg(fig)
    fig.subplots(rows, cols, squeeze=False)
    return fig


def plot_one(panel: Panel):
    """One panel as its own figure (the guide's per-entry figures)."""
    fig = _figure(1, 1, width=4.6, height=3.4, layout="constrained")
    plot_panel(fig.axes[0], panel)
    return fig


def plot_grid(data: dict[str, Panel]):
    """Every panel on a grid of four columns."""
    rows = math.ceil(len(data) / 4)
    fig = _figure(rows, 4, width=4.0, height=3.1)
    for ax, panel in zip(fig.axes, data.values(), strict=False):
        plot_panel(ax, panel)
    for ax in fig.axes[len(data):]:
        ax.set_axis_off()
    fig.suptitle("Published results: theory (lines), papers' formulas (dashed), "
                 "Monte Carlo (points, 2 s.e.)", fontsize=11)
    # fixed margins: the constrained layout would double the drawing time of twelve panels
    fig.subplots_adjust(left=0.045, right=0.99, bottom=0.05, top=0.93, wspace=0.28,
                        hspace=0.38)
    return fig
