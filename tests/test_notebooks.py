"""The notebooks in docs/notebooks run in a real Jupyter kernel and show their plots.

Each notebook is executed from top to bottom by nbclient in an IPython kernel started from this
interpreter (a kernelspec written to a temporary JUPYTER_PATH), as a notebook user runs it: the
test sees what the user sees, so a ``matplotlib.use("Agg")`` (no inline image) or a cell that
raises fails it. The committed copy keeps its outputs, since the documentation site renders it
as it is; that copy must show the same images and no error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "docs" / "notebooks").glob("*.ipynb"))
KERNEL = "modelcollapse-test"


def _kernelspec(root: Path) -> Path:
    """A kernelspec running ipykernel with this interpreter (no user-level install)."""
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "modelcollapse tests", "language": "python"}))
    return root


def _outputs(nb, output_type: str | None = None) -> list[dict]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
            if output_type is None or out.output_type == output_type]


def _images(nb) -> int:
    return sum("image/png" in out.get("data", {}) for out in _outputs(nb, "display_data"))


def _check(nb, where: str) -> None:
    errors = _outputs(nb, "error")
    assert not errors, f"{where}: {errors[0]['ename']}: {errors[0]['evalue']}"
    plots = sum("plt.show()" in cell.source for cell in nb.cells if cell.cell_type == "code")
    assert plots > 0
    assert _images(nb) >= plots, f"{where}: {_images(nb)} inline images for {plots} plots"
    for cell in nb.cells:  # every code cell ran and left something to see
        if cell.cell_type == "code":
            assert cell.execution_count is not None, f"{where}: a cell did not run"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_a_kernel(notebook: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("JUPYTER_PATH", str(_kernelspec(tmp_path / "jupyter")))
    monkeypatch.setenv("MODELCOLLAPSE_NOTEBOOK_DRAWS", "300")  # a smaller posterior sample
    monkeypatch.setenv("MPLBACKEND", "agg")  # the notebook must still ask for inline plots
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:  # start from a blank notebook
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=600,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    _check(nb, f"{notebook.name} executed")
    html = [out for out in _outputs(nb, "execute_result") if "text/html" in out["data"]]
    assert html, "no rich (HTML) display in the notebook"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_has_its_outputs(notebook: Path) -> None:
    """The site renders the committed notebook: it must be an executed one."""
    _check(nbformat.read(notebook, as_version=4), f"{notebook.name} as committed")
