"""F7, the real-data study (:mod:`modelcollapse.studies.realdata`), as a step of the
reproduction; skipped with a note when that module is not installed."""

from __future__ import annotations

import importlib
import importlib.util

from modelcollapse.studies.session import QUICK, Session

__all__ = ["make"]


def make(run: Session) -> None:
    """Run :func:`~modelcollapse.studies.realdata.figure_realdata` into the output folder, or
    note why F7 is skipped."""
    name = "modelcollapse.studies.realdata"
    if importlib.util.find_spec(name) is None:
        note = f"F7 skipped: {name} is not installed in this version"
        run.notes.append(note)
        run.figures["F7"] = {"skipped": note}
        return
    module = importlib.import_module(name)
    result = module.figure_realdata(str(run.out), quick=run.settings is QUICK)
    files = result.get("files", []) if isinstance(result, dict) else list(result or [])
    run.files += [str(f) for f in files]
    run.figures["F7"] = result if isinstance(result, dict) else {"files": files}
