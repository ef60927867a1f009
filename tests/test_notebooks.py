"""The notebooks in docs/ run from top to bottom (jupytext percent scripts)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "docs" / "notebooks").glob("*.py"))

pytestmark = pytest.mark.filterwarnings(
    # ArviZ 0.23 plotting passes arguments that matplotlib deprecates; not our code
    "ignore::DeprecationWarning",
    "ignore::PendingDeprecationWarning",
    # our own ConvergenceWarning at the small number of draws used here
    "ignore::UserWarning:modelcollapse.inference.fit",
)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(notebook: Path, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MODELCOLLAPSE_NOTEBOOK_OUT", str(tmp_path))
    monkeypatch.setenv("MODELCOLLAPSE_NOTEBOOK_DRAWS", "300")
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(notebook), run_name="__main__")
    assert any(tmp_path.glob("*.png"))
