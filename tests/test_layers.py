"""Dependencies point one way (DESIGN.md, Layout):

    families/schedules <- theory <- validation <- inference <- studies <- cli

Every module under ``modelcollapse/`` is parsed with :mod:`ast` (imports inside functions and
``TYPE_CHECKING`` blocks count, and so do ``importlib.import_module("modelcollapse...")`` and
``find_spec`` calls with a literal name); no module may import a module of a higher layer, only
``cli.py`` imports :mod:`argparse`, and nothing below the inference layer imports PyMC.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "modelcollapse"
#: rank of each layer (a module may import its own rank or lower); top-level helper modules
#: (schedules, expressions, errors, ...) sit at the bottom with the families
LAYERS = {"families": 0, "theory": 1, "validation": 2, "inference": 3, "studies": 4, "cli": 5,
          "__main__": 5,
          # the published results call theory and validation; studies (F9) draws them
          "published": 3}
#: packages that only the inference layer and above may import (DESIGN: theory never imports
#: PyMC)
BAYESIAN = ("pymc", "pytensor", "nutpie")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.get(parts[1], 0) if len(parts) > 1 else 0


def _package(path: Path) -> str:
    """The package that relative imports of ``path`` start from."""
    module = _module_name(path)
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _imports(path: Path, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file; for ``from m import a`` both
    ``m`` and ``m.a`` (``a`` may be a submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and node.args[0].value.startswith("modelcollapse.")
              and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                  "import_module", "find_spec")):
            found.append((node.lineno, node.args[0].value))
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_package_is_found() -> None:
    names = {_module_name(p) for p in MODULES}
    assert {"modelcollapse.cli", "modelcollapse.validation.checks",
            "modelcollapse.studies.reproduce", "modelcollapse.inference.fit"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_imports_point_down(path: Path) -> None:
    module = _module_name(path)
    rank = _layer(module)
    wrong = []
    for line, name in _imports(path, _package(path)):
        top = name.split(".")[0]
        if top == "modelcollapse" and _layer(name) > rank:
            wrong.append(f"line {line}: {name} (layer {_layer(name)} > {rank})")
        if top in BAYESIAN and rank < LAYERS["inference"]:
            wrong.append(f"line {line}: {name} (PyMC below the inference layer)")
        if top == "argparse" and module != "modelcollapse.cli":
            wrong.append(f"line {line}: argparse outside cli.py")
    assert not wrong, f"{module} imports upwards:\n" + "\n".join(wrong)


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The test above can fail: lazy and dynamic imports are found, relative ones resolved."""
    source = tmp_path / "mod.py"
    source.write_text("def f():\n    from modelcollapse.inference.calibration import sbc\n"
                      "    from ..studies import reproduce\n"
                      "    import importlib\n"
                      "    return importlib.import_module('modelcollapse.studies.output')\n")
    names = [name for _, name in _imports(source, "modelcollapse.validation")]
    assert "modelcollapse.inference.calibration" in names
    assert "modelcollapse.studies.reproduce" in names
    assert "modelcollapse.studies.output" in names
    assert {_layer(n) for n in names if n.startswith("modelcollapse")} == {3, 4}
