"""Griffe extension for the API reference: render the library's reST-flavoured docstrings.

Only the rendered documentation changes, never the docstrings themselves:

* doctest blocks outside a numpydoc ``Examples`` section (from a ``>>>`` line to the next blank
  line) are wrapped in a fenced ``pycon`` block, so Markdown does not read ``>>>`` as nested
  block quotes and ``[1, 2]`` outputs as reference links;
* reST ``.. math::`` directives become display math ``\\[ ... \\]``;
* reST simple tables (``====  ====`` borders) become Markdown tables;
* the Sphinx roles ``:math:`x``` become MathJax inline math ``\\(x\\)`` (pymdownx.arithmatex);
* ``:func:``, ``:class:``, ``:mod:``, ``:meth:``, ``:attr:`` and ``:data:`` become inline code,
  linked (as optional mkdocs-autorefs references, so nothing warns) when the name resolves to an
  object of the package from the docstring's scope.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_MATH = re.compile(r":math:`([^`]+)`")
_ROLE = re.compile(r":(?:func|class|mod|meth|attr|data|obj|exc):`(~?)([^`]+)`")


def fence_doctests(text: str) -> str:
    """Wrap doctest blocks that are not in an ``Examples`` section in ```` ```pycon ```` fences."""
    lines = text.split("\n")
    out: list[str] = []
    section = ""
    in_fence = False  # inside a fence written by the docstring's author
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            in_fence = not in_fence
        if (not in_fence and i + 1 < len(lines) and stripped
                and _UNDERLINE.match(lines[i + 1])):
            section = stripped.lower()
        if not in_fence and stripped.startswith(">>>") and section != "examples":
            indent = line[: len(line) - len(line.lstrip())]
            cut = 0
            previous = next((k for k in range(len(out) - 1, -1, -1) if out[k].strip()), None)
            if previous is not None and out[previous].rstrip().endswith("::"):
                # a reST literal block (``text::`` then an indented doctest): dedent it
                prose = out[previous]
                out[previous] = prose.rstrip()[:-1]
                base = prose[: len(prose) - len(prose.lstrip())]
                cut, indent = max(len(indent) - len(base), 0), base
            out.append(f"{indent}```pycon")
            while i < len(lines) and lines[i].strip():
                out.append(indent + lines[i][len(indent) + cut:])
                i += 1
            out.append(f"{indent}```")
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def math_directives(text: str) -> str:
    """Turn reST ``.. math::`` directives into display math ``\\[ ... \\]`` (arithmatex)."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith(".. math::"):
            indent = line[: len(line) - len(line.lstrip())]
            body = [line.strip()[len(".. math::"):].strip()]
            i += 1
            while i < len(lines) and (not lines[i].strip()
                                      or len(lines[i]) - len(lines[i].lstrip()) > len(indent)):
                body.append(lines[i])
                i += 1
            body = [b for b in body if b.strip()]
            cut = min((len(b) - len(b.lstrip()) for b in body), default=0)
            if out and out[-1].strip():
                out.append("")
            out.append(f"{indent}\\[")
            out.extend(f"{indent}{b[cut:]}" for b in body)
            out.append(f"{indent}\\]")
            out.append("")
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


_BORDER = re.compile(r"^\s*=+(\s+=+)+\s*$")


def simple_tables(text: str) -> str:
    """Turn reST simple tables (``====  ====`` borders) into Markdown tables."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not _BORDER.match(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        border = lines[i]
        indent = border[: len(border) - len(border.lstrip())]
        starts = [m.start() for m in re.finditer(r"=+", border)]
        rows: list[list[str]] = []
        header: list[str] | None = None
        borders = 1
        i += 1
        while i < len(lines) and borders < 3:
            line = lines[i]
            i += 1
            if _BORDER.match(line):
                borders += 1
                if borders == 2 and len(rows) == 1 and i < len(lines) and lines[i].strip():
                    header = rows.pop()
                elif borders == 2:
                    break
                continue
            if not line.strip():
                continue
            cells = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [None], strict=True)]
            if rows and not cells[0]:
                rows[-1] = [f"{old} {new}".strip() for old, new in zip(rows[-1], cells,
                                                                        strict=True)]
            else:
                rows.append(cells)
        header = header or [" "] * len(starts)
        if out and out[-1].strip():
            out.append("")
        for row in [header, ["---"] * len(starts), *rows]:
            out.append(indent + "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
        out.append("")
    return "\n".join(out)


def _resolve(obj: griffe.Object, name: str) -> str | None:
    """The full path of ``name`` seen from ``obj`` (walking up its parents), if it is ours."""
    if name.startswith("modelcollapse"):
        return name
    head = name.split(".")[0]
    scope: griffe.Object | None = obj
    while scope is not None:
        if head in scope.members:
            return f"{scope.path}.{name}"
        scope = scope.parent
    return None


def convert_roles(text: str, obj: griffe.Object | None = None) -> str:
    """Replace Sphinx roles outside code (fences and doctest blocks)."""

    def role(match: re.Match[str]) -> str:
        short, name = match.group(1), match.group(2).strip()
        name = name.rstrip("()")
        title = name.rsplit(".", 1)[-1] if short else name
        target = _resolve(obj, name) if obj is not None else None
        if target is None:
            return f"`{title}`"
        return f'<autoref identifier="{target}" optional><code>{title}</code></autoref>'

    chunks: list[tuple[bool, list[str]]] = []  # (is code, lines); roles may span lines
    in_code = False
    in_doctest = False
    for line in text.split("\n"):
        stripped = line.strip()
        fence = stripped.startswith("```")
        if not fence and not in_code:
            in_doctest = stripped.startswith(">>>") or (in_doctest and bool(stripped))
        code = in_code or fence or in_doctest
        if fence:
            in_code = not in_code
        if chunks and chunks[-1][0] == code:
            chunks[-1][1].append(line)
        else:
            chunks.append((code, [line]))
    out = []
    for code, lines in chunks:
        chunk = "\n".join(lines)
        if not code:
            chunk = _MATH.sub(lambda m: "\\(" + m.group(1) + "\\)", chunk)
            chunk = _ROLE.sub(role, chunk)
        out.append(chunk)
    return "\n".join(out)


class FenceDoctests(griffe.Extension):
    """Rewrite every docstring of the package once it is fully loaded."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        seen: set[str] = set()
        stack: list[griffe.Object] = [pkg]
        while stack:
            obj = stack.pop()
            if obj.path in seen:
                continue
            seen.add(obj.path)
            if obj.docstring is not None:
                value = obj.docstring.value
                if ">>>" in value:
                    value = fence_doctests(value)
                if "==  " in value:
                    value = simple_tables(value)
                if ".. math::" in value:
                    value = math_directives(value)
                obj.docstring.value = convert_roles(value, obj)
            stack.extend(m for m in obj.members.values() if not m.is_alias)
