"""MkDocs hook: each executed notebook in docs/notebooks becomes a page under examples/.

The committed notebooks keep their outputs (tests/test_notebooks.py checks that they do, and
executes them afresh in a Jupyter kernel), so the site shows them as a reader's Jupyter does
without running anything at build time: markdown cells as Markdown (their math goes through
arithmatex like every page), code cells as highlighted Python, PNG outputs as image files
beside the page, HTML outputs as they are, LaTeX-only outputs as display math, text as text.
Only nbformat is needed (no nbconvert, whose templates load MathJax from a CDN).
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import nbformat
from mkdocs.structure.files import File, Files

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _text(text: str) -> str:
    text = ANSI.sub("", text).rstrip("\n")
    fence = "````" if "```" in text else "```"
    return f"{fence}text\n{text}\n{fence}\n"


def _output(out: dict, slug: str, name: str, images: dict[str, bytes]) -> str:
    if out["output_type"] == "stream":
        return _text(out["text"])
    if out["output_type"] == "error":
        return _text("\n".join(out["traceback"]))
    data = out.get("data", {})
    if "image/png" in data:
        images[f"{name}.png"] = base64.b64decode(data["image/png"])
        return f"![output {name}]({slug}/{name}.png)\n"
    if "text/html" in data:  # one raw HTML block: no blank line inside
        body = "\n".join(line for line in data["text/html"].splitlines() if line.strip())
        return f'<div class="nb-output">\n{body}\n</div>\n'
    if "text/latex" in data:
        return "\n" + data["text/latex"].strip() + "\n"
    if "text/plain" in data:
        return _text(data["text/plain"])
    return ""


def convert(path: Path, slug: str) -> tuple[str, dict[str, bytes]]:
    """The page's Markdown and its images (file name -> PNG bytes)."""
    nb = nbformat.read(path, as_version=4)
    parts: list[str] = []
    images: dict[str, bytes] = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            parts.append(cell.source.strip() + "\n")
        elif cell.cell_type == "code":
            parts.append(f"```python\n{cell.source.rstrip()}\n```\n")
            for j, out in enumerate(cell.get("outputs", [])):
                parts.append(_output(out, slug, f"cell{i}-{j}", images))
    note = (f"*This page is the notebook `docs/notebooks/{path.name}` of the repository, as "
            "executed; open it in Jupyter to run it.*\n")
    return "\n".join([parts[0], note, *parts[1:]]), images


def on_files(files: Files, config) -> Files:  # noqa: ANN001 - MkDocs hook signature
    for path in sorted(Path(config["docs_dir"], "notebooks").glob("*.ipynb")):
        slug = path.stem.replace("_", "-")
        markdown, images = convert(path, slug)
        files.append(File.generated(config, f"examples/{slug}.md", content=markdown))
        for name, data in images.items():
            files.append(File.generated(config, f"examples/{slug}/{name}", content=data))
    return files
