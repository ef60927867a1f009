"""The documentation site builds with ``mkdocs build --strict`` (warnings are errors).

Skipped when MkDocs and mkdocstrings are not installed (``pip install ".[docs]"``), unless
``MODELCOLLAPSE_REQUIRE_DOCS`` is set: then their absence fails the test (CI sets it).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NEEDED = ("mkdocs", "mkdocstrings", "mkdocstrings_handlers.python", "pymdownx")


def _missing() -> list[str]:
    missing = []
    for name in NEEDED:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:  # a parent package is missing
            found = False
        if not found:
            missing.append(name)
    return missing


def test_docs_build_strictly(tmp_path: Path) -> None:
    missing = _missing()
    if missing:
        message = f"docs tools not installed ({', '.join(missing)}); pip install '.[docs]'"
        if os.environ.get("MODELCOLLAPSE_REQUIRE_DOCS"):
            pytest.fail(f"MODELCOLLAPSE_REQUIRE_DOCS is set but {message}")
        pytest.skip(message)
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    for page in ("index.html", "concepts/index.html", "guide-new-family/index.html",
                 "api/theory/index.html", "benchmarks/index.html"):
        assert (site / page).is_file(), page
    api = (site / "api" / "theory" / "index.html").read_text()
    assert 'id="modelcollapse.theory.derive.derive"' in api  # generated from the docstrings
    assert ":math:" not in api  # reST roles are rendered (docs/_griffe_doctest.py)
