"""Atomic outputs (:mod:`modelcollapse.outputs`): nothing is truncated, mixed or overwritten
unless asked, every ``--out`` and ``--data`` is checked before the work, and figures are
bit-reproducible."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path

import pytest

from modelcollapse.cli import main
from modelcollapse.outputs import (
    OutputExistsError,
    atomic_folder,
    atomic_path,
    atomic_paths,
    check_input,
    check_output,
    write_text,
    write_with,
)

ROOT = os.geteuid() == 0  # root writes into read-only folders: that check cannot be seen


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with the SHA-256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            if p.is_file() else "dir" for p in sorted(folder.rglob("*"))}


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


# --- the module -------------------------------------------------------------------------------

def test_write_text_refuses_an_existing_file_unless_asked(tmp_path):
    path = tmp_path / "a.txt"
    assert write_text(path, "one") == str(path)
    with pytest.raises(OutputExistsError, match=r"exists; pass overwrite=True to replace it"):
        write_text(path, "two")
    with pytest.raises(ValueError, match=r"--out .* exists; pass --overwrite"):
        write_text(path, "two", name="--out")
    assert path.read_text() == "one"
    write_text(path, "two", overwrite=True)
    assert path.read_text() == "two"
    assert os.listdir(tmp_path) == ["a.txt"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "r.nc"
    path.write_bytes(b"old results")
    with pytest.raises(RuntimeError, match="disk full"), \
            atomic_path(path, overwrite=True) as tmp:
        assert tmp.parent == tmp_path and tmp.name.endswith(".nc") and tmp.name[0] == "."
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")
    assert path.read_bytes() == b"old results"
    assert os.listdir(tmp_path) == ["r.nc"]


def test_a_pair_of_files_is_written_together_or_not_at_all(tmp_path):
    frag, macros = tmp_path / "f.tex", tmp_path / "f-macros.tex"
    with pytest.raises(KeyboardInterrupt), atomic_paths([frag, macros]) as (a, b):
        a.write_text("fragment")
        raise KeyboardInterrupt  # Ctrl-C between the two files
    assert os.listdir(tmp_path) == []
    macros.write_text("the user's own file")
    with pytest.raises(OutputExistsError):  # checked before anything is written
        with atomic_paths([frag, macros]) as (a, b):
            pytest.fail("the body must not run")
    assert sorted(os.listdir(tmp_path)) == ["f-macros.tex"]


def test_new_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = Path(write_text(tmp_path / "a.txt", "x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_file_that_appears_meanwhile_is_not_replaced(tmp_path):
    path = tmp_path / "a.txt"
    with pytest.raises(OutputExistsError), atomic_path(path) as tmp:
        tmp.write_text("mine")
        path.write_text("a concurrent writer's")  # after the check, before the commit
    assert path.read_text() == "a concurrent writer's"
    assert os.listdir(tmp_path) == ["a.txt"]


@pytest.mark.parametrize(("make", "pattern"), [
    (lambda d: "", r"out must be a non-empty path, got ''"),
    (lambda d: str(d / "missing" / "a.nc"), r"the folder of out does not exist"),
    (lambda d: str(d), r"is a folder; allowed: a file path"),
    (lambda d: str(d) + "/.", r"out must end in a file name"),
    (lambda d: str(d) + "/", r"out must end in a file name"),
])
def test_check_output_refuses_bad_targets(tmp_path, make, pattern):
    with pytest.raises(ValueError, match=pattern) as info:
        check_output(make(tmp_path))
    assert "\n" not in str(info.value)


def test_check_output_kinds(tmp_path):
    with pytest.raises(TypeError, match="out must be a path"):
        check_output(3)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is a file; allowed: a folder"):
        check_output(tmp_path / "file", folder=True)
    (tmp_path / "empty").mkdir()
    assert check_output(tmp_path / "empty", folder=True) == tmp_path / "empty"


@pytest.mark.skipif(ROOT, reason="root may write into a read-only folder")
def test_check_output_refuses_a_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(ValueError, match="is not writable"):
            check_output(folder / "a.nc")
    finally:
        folder.chmod(0o755)


def test_check_input_takes_regular_files_only(tmp_path):
    good = tmp_path / "a.csv"
    good.write_text("t,n\n")
    assert check_input(good) == good
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path, "/dev/zero"):
        with pytest.raises(ValueError, match="is not a regular file"):
            check_input(path)
    with pytest.raises(ValueError, match="does not exist"):
        check_input(tmp_path / "missing.csv")


def test_atomic_folder_moves_a_complete_folder_into_place(tmp_path):
    target = tmp_path / "out"
    with atomic_folder(target) as tmp:
        assert not target.exists() and tmp.parent == tmp_path
        (tmp / "a.txt").write_text("run 1")
        assert (tmp_path / ".out.lock").exists()
    assert tree(tmp_path) == {"out": "dir", "out/a.txt": hashlib.sha256(b"run 1").hexdigest()}
    with pytest.raises(OutputExistsError, match="exists; pass overwrite=True"):
        with atomic_folder(target):
            pytest.fail("the body must not run")
    with atomic_folder(target, overwrite=True) as tmp:  # replaced as a whole: a.txt goes
        (tmp / "b.txt").write_text("run 2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]


def test_an_interrupted_folder_leaves_the_old_one_untouched(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "a.txt").write_text("run 1")
    before = tree(tmp_path)
    with pytest.raises(KeyboardInterrupt), atomic_folder(target, overwrite=True) as tmp:
        (tmp / "a.txt").write_text("half of run 2")
        raise KeyboardInterrupt
    assert tree(tmp_path) == before


def test_a_second_run_into_the_same_folder_is_refused(tmp_path):
    target = tmp_path / "out"
    with atomic_folder(target) as tmp:
        (tmp / "a.txt").write_text("first")
        with pytest.raises(ValueError, match=r"another run is writing into out"):
            with atomic_folder(target):
                pytest.fail("the body must not run")
    assert (target / "a.txt").read_text() == "first"
    with atomic_folder(tmp_path / "other"):  # the lock is per target
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other", "out"]


def test_write_with_holds_sigint_back_during_a_library_write(tmp_path):
    import signal

    import numpy as np
    import xarray as xr

    ds = xr.Dataset({"x": ("i", np.arange(1000.0))})

    def writer(path: str) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C in the middle of the write
        ds.to_netcdf(path)

    with pytest.raises(KeyboardInterrupt):
        write_with(tmp_path / "x.nc", writer)
    assert os.listdir(tmp_path) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# --- the command line -------------------------------------------------------------------------

SIM = ["simulate", "gaussian-variance", "--T", "5", "--reps", "200", "--quiet"]


def test_simulate_out_is_never_replaced_unless_asked(tmp_path, capsys):
    out = tmp_path / "x.nc"
    assert main([*SIM, "--out", str(out)]) == 0
    first = out.read_bytes()
    assert main([*SIM, "--seed", "1", "--out", str(out)]) == 2
    assert one_error_line(capsys) == f"error: --out {str(out)!r} exists; pass --overwrite " \
                                     "to replace it"
    assert out.read_bytes() == first
    assert main([*SIM, "--seed", "1", "--out", str(out), "--overwrite"]) == 0
    assert out.read_bytes() != first
    assert sorted(os.listdir(tmp_path)) == ["x.nc"]


def test_bad_out_is_refused_before_the_work(tmp_path, capsys):
    big = ["simulate", "gaussian-variance", "--T", "100000", "--reps", "1000000", "--quiet"]
    (tmp_path / "d.nc").mkdir()
    for out in ("", str(tmp_path / "missing" / "x.nc"), str(tmp_path / "d.nc")):
        start = time.perf_counter()
        assert main([*big, "--out", out]) == 2
        assert time.perf_counter() - start < 5  # the run itself would take minutes
        one_error_line(capsys)
    assert tree(tmp_path) == {"d.nc": "dir"}


def test_derive_latex_never_touches_an_unrelated_macros_file(tmp_path, capsys):
    frag, macros = tmp_path / "frag.tex", tmp_path / "frag-macros.tex"
    macros.write_text("% the user's own macros\n")
    before = tree(tmp_path)
    assert main(["derive", "poisson", "--T", "3", "--format", "latex", "--out", str(frag)]) == 2
    assert "frag-macros.tex' exists; pass --overwrite" in one_error_line(capsys)
    assert tree(tmp_path) == before
    assert main(["derive", "poisson", "--T", "3", "--format", "latex", "--out", str(frag),
                 "--overwrite"]) == 0
    assert "\\newcommand" in macros.read_text() and frag.is_file()


def test_reproduce_checks_data_and_out_before_the_work(tmp_path, capsys):
    os.mkfifo(tmp_path / "fifo.csv")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "paper.tex").write_text("my paper")
    before = tree(tmp_path)
    cases = [
        (["--out", str(tmp_path / "r"), "--data", str(tmp_path / "missing.csv"), "--target",
          "y"], "does not exist"),
        (["--out", str(tmp_path / "r"), "--data", str(tmp_path / "fifo.csv"), "--target", "y"],
         "is not a regular file"),
        (["--out", str(tmp_path / "r"), "--data", "/dev/zero", "--target", "y"],
         "is not a regular file"),
        (["--out", ""], "non-empty path"),
        (["--out", str(tmp_path / "mine")], "exists; pass --overwrite to replace it as a whole"),
        (["--out", str(tmp_path / "mine"), "--overwrite"], "not the output of an earlier run"),
    ]
    for args, message in cases:
        start = time.perf_counter()
        assert main(["reproduce", "--quick", "--quiet", *args]) == 2
        assert time.perf_counter() - start < 5
        assert message in one_error_line(capsys)
    assert tree(tmp_path) == before


def test_figures_are_bit_reproducible(tmp_path):
    from modelcollapse.studies.figures.style import new_figure, save

    def draw(folder: Path) -> dict[str, str]:
        folder.mkdir()
        fig = new_figure(1, 1)
        fig.axes[0].plot([0, 1, 2], [1.0, 0.5, 0.25], "o-", label="a line")
        fig.axes[0].legend()
        save(fig, folder, "fig")
        return tree(folder)

    first = draw(tmp_path / "a")
    assert draw(tmp_path / "b") == first
    assert b"CreationDate" not in (tmp_path / "a" / "fig.pdf").read_bytes()


def test_csv_input_must_be_a_regular_file(tmp_path, capsys):
    """A FIFO would block and /dev/zero never ends: both are refused at once, as a folder."""
    from modelcollapse.csvreader import read_csv

    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    for path, pattern in ((fifo, "not a regular file"), ("/dev/zero", "not a regular file"),
                          (tmp_path, "is a folder")):
        start = time.perf_counter()
        with pytest.raises(OSError, match=pattern):
            read_csv(path)
        assert time.perf_counter() - start < 2
    assert main(["infer", str(fifo), "--json"]) == 2
    assert "not a regular file" in one_error_line(capsys)


@pytest.mark.slow
def test_reproduce_is_bit_reproducible(tmp_path):
    """Two quick runs with one seed: every file the same bytes (results.json apart from its
    own folder's paths; it holds no run time)."""
    import json

    from modelcollapse.studies.reproduce import run_reproduce

    runs = [run_reproduce(tmp_path / name, quick=True, seed=3, progress=False)
            for name in ("a", "b")]
    a, b = tree(tmp_path / "a"), tree(tmp_path / "b")
    a.pop("results.json"), b.pop("results.json")
    assert a == b and len(a) > 30
    texts = [(tmp_path / name / "results.json").read_text().replace(str(tmp_path / name), "X")
             for name in "ab"]
    assert texts[0] == texts[1] and '"seconds"' not in texts[0]
    for run, name in zip(runs, "ab", strict=True):
        run.pop("seconds")
        assert json.loads(json.dumps(run).replace(str(tmp_path / name), "X")) == \
            json.loads(json.dumps(runs[0]).replace(str(tmp_path / "a"), "X"))


@pytest.mark.slow
def test_reproduce_with_user_data_lands_in_the_folder(tmp_path, monkeypatch):
    """--data: F7 is drawn again with the user's table inside the temporary folder (the
    figure steps are left out here), and the folder appears complete."""
    import numpy as np

    from modelcollapse.studies import reproduce

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    y = x @ [1.0, -0.5] + rng.normal(size=200)
    data = tmp_path / "mine.csv"
    data.write_text("a,b,y\n" + "".join(f"{u:.17g},{v:.17g},{w:.17g}\n"
                                         for (u, v), w in zip(x, y, strict=True)))
    monkeypatch.setattr(reproduce, "STEPS", (("F7", "real-data study",
                                              reproduce.f7_realdata.make),))
    results = reproduce.run_reproduce(tmp_path / "r", quick=True, progress=False,
                                      data=data, target="y")
    names = sorted(p.name for p in (tmp_path / "r").iterdir())
    assert names == ["F7_realdata.csv", "F7_realdata.pdf", "F7_realdata.png", "macros.tex",
                     "results.json"]
    assert "mine" in (tmp_path / "r" / "F7_realdata.csv").read_text()
    assert all(Path(f).parent == tmp_path / "r" for f in results["files"])
    assert sorted(os.listdir(tmp_path)) == ["mine.csv", "r"]


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path):
    import errno

    def full(path: str) -> None:
        Path(path).write_bytes(b"part of it")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(ValueError, match=r"^cannot write out '.*x\.nc': No space left on "
                                         r"device$") as info:
        write_with(tmp_path / "x.nc", full)
    assert info.value.errno == errno.ENOSPC
    with pytest.raises(ValueError, match=r"cannot write out '.*r': No space left"), \
            atomic_folder(tmp_path / "r") as tmp:
        full(str(tmp / "F1.pdf"))
    assert os.listdir(tmp_path) == []


def test_long_names_work_and_too_long_ones_are_refused_before_the_work(tmp_path):
    """A 250-byte name still gets its hidden temporary files and lock (names within 255 bytes);
    a name over the limit is one line at the check, not a traceback after the work."""
    write_text(tmp_path / ("x" * 246 + ".txt"), "kept")
    with atomic_folder(tmp_path / ("y" * 250)) as tmp:
        (tmp / "a.txt").write_text("kept")
    assert sorted(len(n) for n in os.listdir(tmp_path)) == [250, 250]
    with pytest.raises(ValueError, match="cannot be written: File name too long"):
        check_output(tmp_path / ("z" * 300 + ".nc"))
