r"""Plotting style shared by the reproduction figures (:mod:`modelcollapse.studies.figures`).

Every figure overlays theory on simulation with one convention: **theory as lines** (and
shaded bands), **simulation as points with error bars** (:data:`POINT`). Figures are drawn on
:class:`matplotlib.figure.Figure` objects rendered by the Agg canvas, never through
``pyplot``: nothing here selects a global backend or keeps figures alive, so a notebook
session that imports this module keeps its own backend.

Each figure module's ``plot_*`` function takes the plain data dict computed by its ``make``
step and returns a ``Figure`` made by :func:`new_figure`; :func:`save` writes it as PNG and PDF.

>>> fig = new_figure(1, 1)
>>> len(fig.axes)
1
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["new_figure", "save", "legend", "simulation_key", "schedule_latex", "COLOURS",
           "POINT", "PDF_METADATA"]

#: one colour per schedule, in the order the figures list them (colour-blind safe, Okabe-Ito)
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
#: the simulation marker and its error-bar style
POINT = {"fmt": "o", "ms": 4, "capsize": 2, "elinewidth": 1, "lw": 0}


def new_figure(rows: int, cols: int, *, width: float = 4.2, height: float = 3.4, **kwargs: Any):
    """A ``Figure`` with a ``rows x cols`` grid of axes (Agg canvas, constrained layout)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    FigureCanvasAgg(fig)
    fig.subplots(rows, cols, squeeze=False, **kwargs)
    return fig


#: no creation date in the PDF (PNG has none): the same seed gives the same bytes
PDF_METADATA = {"CreationDate": None}


def save(fig, out: Path, stem: str) -> list[str]:
    """Write ``stem.png`` (150 dpi) and ``stem.pdf`` into ``out``; return both paths.

    Both files depend on the figure only (no date inside), so a rerun with the same seed
    writes the same bytes.
    """
    paths = [out / f"{stem}.png", out / f"{stem}.pdf"]
    fig.savefig(paths[0], dpi=150)
    fig.savefig(paths[1], metadata=PDF_METADATA)
    return [str(p) for p in paths]


def legend(ax, **kwargs: Any) -> None:
    """The figures' legend style: small type, no frame."""
    ax.legend(fontsize=7.5, frameon=False, **kwargs)


def simulation_key(ax, label: str = "simulation (points, error bars)") -> None:
    """A legend entry for the simulation points, drawn in grey."""
    ax.errorbar([], [], yerr=[], color="0.3", label=label, **POINT)


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
