"""Fixtures of the hostile-input suite: a sandbox of unrelated user files that no refused
command may touch, and the command line run in-process with its exit status and streams."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from modelcollapse.cli import main

#: unrelated files a user keeps in the folder a command runs in
USER_FILES = {
    "notes.txt": b"my notes\n",
    "paper/frag.tex": b"\\section{Results}\n",
    "paper/frag-macros.tex": b"\\newcommand{\\mine}{1}\n",
    "results.nc": b"\x89HDF\r\n\x1a\n" + bytes(range(256)),
    "data.csv": b"t,n,estimate\n0,20,1.0\n1,20,0.9\n",
}


def tree_hash(root: Path) -> dict[str, str]:
    """Every path below ``root`` (folders too) with the SHA-256 of its bytes and its mode."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            out[os.path.relpath(os.path.join(folder, name), root) + "/"] = "dir"
        for name in files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()
            else:  # a FIFO or link made by the case itself: compare its kind only
                digest = f"special {st.st_mode:o}"
            out[os.path.relpath(path, root)] = f"{digest} {st.st_mode:o}"
    return out


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder of user files, the current folder of the case; unchanged at the end (no file
    modified, created or removed), checked by hash. Inputs a case builds go to ``inputs/``
    beside it, never inside."""
    root = tmp_path / "sandbox"
    for rel, data in USER_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (tmp_path / "inputs").mkdir()
    monkeypatch.chdir(root)
    before = tree_hash(root)
    yield root
    assert tree_hash(root) == before, "the sandbox of user files changed"


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """Where a case writes the hostile input files it passes (outside the sandbox)."""
    folder = tmp_path / "inputs"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[[Sequence[str]], tuple[int, str, str]]:
    """Run ``modelcollapse ARGV`` in this process: (exit status, stdout, stderr)."""

    def run(argv: Sequence[str]) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse's --help or --version
            code = exc.code if isinstance(exc.code, int) else 2
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
