"""Draw the figures of the "Published results" guide into docs/figures/published-*.png.

Run from the repository root: ``python docs/make_figures.py`` (about a minute). Each figure
is :func:`modelcollapse.published.figure.plot_one` of one entry: theory from the entry's
engines, the paper's formula dashed, Monte Carlo of the exact one-step laws (fixed seeds).
"""

from __future__ import annotations

import sys
from pathlib import Path

from modelcollapse.published import figure

#: Monte Carlo walks per panel and the base seed
REPS, SEED = 4000, 2026
#: where the guide finds the figures
OUT = Path(__file__).resolve().parent / "figures"


def main(out: Path = OUT) -> list[Path]:
    out.mkdir(exist_ok=True)
    written = []
    for key, panel in figure.figure_data(reps=REPS, seed=SEED).items():
        path = out / f"published-{key}.png"
        figure.plot_one(panel).savefig(path, dpi=100)
        written.append(path)
        print(path.name, file=sys.stderr)
    return written


if __name__ == "__main__":
    main()
