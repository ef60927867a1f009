"""Figure F7 of the reproduction and its CSV table: the real-data study on the bundled
tables (and a user table)."""

from __future__ import annotations

import csv
import io
import os
from typing import Any

import numpy as np

from modelcollapse.outputs import atomic_paths, check_output
from modelcollapse.studies.figures.style import PDF_METADATA, new_figure
from modelcollapse.studies.realdata.study import RealDataResult, run_realdata
from modelcollapse.studies.realdata.tables import DATASETS

__all__ = ["figure_realdata", "F7_STEM"]

_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
F7_STEM = "F7_realdata"


def _csv_rows(res: RealDataResult) -> list[list[Any]]:
    rows = []
    for i, v in enumerate(res.variants):
        for j, s in enumerate(res.schedules):
            for t in range(res.T + 1):
                rows.append(
                    [
                        res.dataset,
                        res.kind,
                        v,
                        s,
                        t,
                        int(res.sizes[j, t]),
                        f"{res.mse[i, j, t]:.8g}",
                        f"{res.mse_se[i, j, t]:.8g}",
                        f"{res.median[i, j, t]:.8g}",
                        f"{res.theory[i, j, t]:.8g}",
                        f"{res.z[i, j, t]:.4g}",
                        f"{res.degenerate[i, j, t]:.4g}",
                    ]
                )
    return rows


def figure_realdata(
    out_dir: str | os.PathLike,
    *,
    quick: bool = False,
    seed: int = 0,
    data: str | None = None,
    target: str | None = None,
    overwrite: bool = False,
) -> list[str]:
    """Figure F7 (PNG and PDF) and its CSV table: squared error against generation on real
    tables, simulation as points with error bars (±2 standard errors), theory as lines, one panel
    per table (the two bundled ones, plus ``data``/``target`` when given). Lower error bars are
    cut at 10% of the point on the log axis.

    Returns the paths written: ``F7_realdata.png``, ``F7_realdata.pdf``, ``F7_realdata.csv``,
    all three atomically (:mod:`modelcollapse.outputs`); existing ones are replaced only with
    ``overwrite=True`` (checked before the work).
    """
    os.makedirs(out_dir, exist_ok=True)
    stem = os.path.join(os.fspath(out_dir), F7_STEM)
    paths = [stem + ".png", stem + ".pdf", stem + ".csv"]
    for path in paths:
        check_output(path, name="out_dir file", overwrite=overwrite)
    runs = [run_realdata(dataset=ds, quick=quick, seed=seed) for ds in DATASETS]
    if data is not None:
        runs.append(run_realdata(data=data, target=target, quick=quick, seed=seed))
    fig = new_figure(1, len(runs), width=5.0, height=4.2)
    axes = fig.axes
    markers = {"synthetic": ("o", "-"), "real": ("s", "--")}
    for ax, res in zip(axes, runs, strict=True):
        t = np.arange(res.T + 1)
        for j, s in enumerate(res.schedules):
            c = _COLOURS[j % len(_COLOURS)]
            for i, v in enumerate(res.variants):
                mk, ls = markers[v]
                lower = np.minimum(2 * res.mse_se[i, j], 0.9 * res.mse[i, j])  # log axis
                ax.errorbar(
                    t,
                    res.mse[i, j],
                    yerr=[lower, 2 * res.mse_se[i, j]],
                    fmt=mk,
                    ms=3.5,
                    color=c,
                    mfc=c if v == "synthetic" else "none",
                    elinewidth=0.8,
                    capsize=0,
                    label=f"{s}, gen 0 {v}",
                    alpha=0.85,
                )
                ax.plot(t, res.theory[i, j], ls, color=c, lw=1.2)
        ax.set_yscale("log")
        ax.set_xlabel("generation t")
        ax.set_ylabel(r"$E\,\|\hat\theta_t-\theta^*\|^2$")
        ax.set_title(
            f"{res.dataset} ({res.kind}, N={res.n_rows}, d={len(res.theta_star)}), $n_0$={res.n0}",
            fontsize=9,
        )
        ax.grid(alpha=0.3, which="both", lw=0.4)
    axes[0].legend(fontsize=7, title="points: simulation ±2 SE; lines: theory", title_fontsize=7)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        [
            "dataset",
            "model",
            "generation0",
            "schedule",
            "t",
            "n_t",
            "mse",
            "mse_se",
            "median",
            "theory",
            "z",
            "degenerate_fraction",
        ]
    )
    for res in runs:
        writer.writerows(_csv_rows(res))
    with atomic_paths(paths, overwrite=overwrite, name="out_dir file") as (png, pdf, table):
        fig.savefig(png, dpi=150)
        fig.savefig(pdf, metadata=PDF_METADATA)  # no date: the same seed, the same bytes
        table.write_text(buf.getvalue(), encoding="utf-8")
    return paths
