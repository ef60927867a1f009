r"""F9, the published results (:mod:`modelcollapse.published`): one panel per entry, theory
as lines, the papers' own formulas or bounds dashed, Monte Carlo of the exact one-step laws as
points; every entry's value and paper formula in ``table_published``."""

from __future__ import annotations

import math
from typing import Any

from modelcollapse import published
from modelcollapse.published.figure import figure_data, plot_grid
from modelcollapse.studies.session import QUICK, Session

__all__ = ["make", "REPS", "panel_checks"]

#: the relation of the value to the paper's formula, in words (LaTeX text has no < or >)
RELATIONS = {"=": "equals", "<=": "at most", ">=": "at least", "<": "below", "claim": "claim"}
#: Monte Carlo walks per panel: (quick, full)
REPS = (1000, 5000)


def panel_checks(panel: dict[str, Any]) -> list[tuple[str, float, float, float]]:
    """``(name, theory, mc, se)`` at the last Monte Carlo point of each series, where its
    theory line (the series' own, else the first) has a value at the same abscissa."""
    solid = [line for line in panel["lines"] if len(line) == 3]
    out = []
    for i, (x, y, se, _) in enumerate(panel["points"]):
        lx, ly, label = solid[i] if i < len(solid) else solid[0]
        at = [j for j, v in enumerate(lx) if math.isclose(v, x[-1], rel_tol=1e-9)]
        if at and ly[at[0]] is not None and se[-1] > 0:
            out.append((f"{panel['title']}: {label} at {x[-1]:.4g}", float(ly[at[0]]),
                        float(y[-1]), float(se[-1])))
    return out


def make(run: Session) -> None:
    """Every published result at its documented call, F9 and ``table_published``."""
    reps = REPS[0] if run.settings == QUICK else REPS[1]
    data = figure_data(reps=reps, seed=run.seed_for(9))
    for panel in data.values():
        for name, theory, mc, se in panel_checks(panel):
            run.check("F9", name, theory, mc, se)
    rows = []
    for entry in published.list():
        r = published.reproduce(entry.key)
        rows.append([entry.key, entry.quantity, r.value, RELATIONS[entry.relation],
                     r.paper_value, r.holds])
    run.figures["F9"] = {"reps": reps, "entries": {row[0]: {
        "quantity": row[1], "value": row[2], "relation": row[3], "paper_value": row[4],
        "holds": row[5]} for row in rows}, "files": run.figure(plot_grid(data), "F9_published")}
    run.figures["F9"]["tables"] = run.table(
        "table_published", "Published results at their documented calls: the library's exact "
        "value and the paper's formula or bound", ["entry", "quantity", "value", "relation",
                                                    "paper", "holds"], rows)
