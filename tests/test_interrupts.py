"""Ctrl-C with real signals, and concurrent runs: every command ends promptly with exit status
130, one line ``interrupted`` and no traceback, and leaves no partial output behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from modelcollapse.cli import main
from tests.pipelines import write_variance_pipeline

#: seconds a command may take to end after SIGINT (the contract says "a second or two"; the
#: margin is for a loaded test machine)
STOP_WITHIN = 3.0


def _sigint_as_default() -> None:
    """In the child: SIGINT at its default, whatever the test run inherited (a background
    job of a non-interactive shell starts with SIGINT ignored, and so would the child)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "modelcollapse", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_sigint_as_default)


def interrupt(proc: subprocess.Popen, limit: float = STOP_WITHIN) -> tuple[float, str]:
    """Send SIGINT; the seconds until the process ended, and its stderr."""
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:  # pragma: no cover - the failure being tested for
        proc.kill()
        proc.communicate()
        pytest.fail("the command did not end within 30 s of SIGINT")
    return time.perf_counter() - sent, err


def assert_interrupted(proc: subprocess.Popen, seconds: float, err: str,
                       limit: float = STOP_WITHIN) -> None:
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    assert err.strip().splitlines()[-1:] == ["interrupted"], err
    assert seconds < limit, f"{seconds:.1f} s after SIGINT"


def test_simulate_stops_on_sigint_and_leaves_nothing(tmp_path):
    (tmp_path / "mine.txt").write_text("an unrelated file")
    # minutes of work on two threads
    proc = start(["simulate", "gaussian-variance", "--T", "50000", "--reps", "200000",
                  "--workers", "2", "--out", "x.nc"], tmp_path)
    time.sleep(3.0)  # imports done, the walk running
    assert proc.poll() is None
    seconds, err = interrupt(proc)
    assert_interrupted(proc, seconds, err)
    assert os.listdir(tmp_path) == ["mine.txt"]  # no x.nc, no temporary file


@pytest.mark.slow
def test_simulate_interrupted_leaves_an_earlier_output_untouched(tmp_path):
    out = tmp_path / "x.nc"
    out.write_bytes(b"results of an earlier run")
    proc = start(["simulate", "gaussian-variance", "--T", "50000", "--reps", "200000",
                  "--out", "x.nc", "--overwrite"], tmp_path)
    time.sleep(3.0)
    seconds, err = interrupt(proc)
    assert_interrupted(proc, seconds, err)
    assert os.listdir(tmp_path) == ["x.nc"]
    assert out.read_bytes() == b"results of an earlier run"


def test_a_concurrent_run_into_the_same_folder_is_refused(tmp_path, capsys):
    """Another process holds the folder (as a running reproduce does): refused at once."""
    ready = tmp_path / "ready"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from pathlib import Path
        from modelcollapse.outputs import atomic_folder
        with atomic_folder({str(tmp_path / "r")!r}) as tmp:
            (tmp / "results.json").write_text("{{}}")
            Path({str(ready)!r}).write_text("")
            time.sleep(60)
        """)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_sigint_as_default)
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert holder.poll() is None and time.monotonic() < deadline, holder.stderr
            time.sleep(0.05)
        start_time = time.perf_counter()
        assert main(["reproduce", "--quick", "--quiet", "--out", str(tmp_path / "r"),
                     "--overwrite"]) == 2
        assert time.perf_counter() - start_time < 5
        err = capsys.readouterr().err
        assert err.startswith("error: another run is writing into --out") and \
            err.count("\n") == 1, err
    finally:
        holder.send_signal(signal.SIGINT)
        try:
            holder.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - the failure being tested for
            holder.kill()
            holder.communicate()
            pytest.fail("the holder did not end within 30 s of SIGINT")
    # the holder was interrupted: its folder never appeared, nothing is left beside it
    assert sorted(os.listdir(tmp_path)) == ["ready"]


@pytest.mark.slow
@pytest.mark.parametrize("delay", [4.0, 10.0, 25.0])
def test_reproduce_stops_on_sigint_and_leaves_nothing(tmp_path, delay):
    # the full run (minutes): still at work after the longest delay on a fast machine too
    proc = start(["reproduce", "--out", "r"], tmp_path)
    time.sleep(delay)
    assert proc.poll() is None
    seconds, err = interrupt(proc)
    assert_interrupted(proc, seconds, err, limit=5.0)
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_two_reproduce_runs_into_one_folder(tmp_path):
    first = start(["reproduce", "--quick", "--out", "r"], tmp_path)
    deadline = time.monotonic() + 60
    while not (tmp_path / ".r.lock").exists():
        assert first.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    second = subprocess.run([sys.executable, "-m", "modelcollapse", "reproduce", "--quick",
                             "--out", "r"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert second.returncode == 2
    assert second.stderr.startswith("error: another run is writing into --out")
    assert second.stderr.count("\n") == 1
    seconds, err = interrupt(first)
    assert_interrupted(first, seconds, err, limit=5.0)
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_dask_simulate_stops_on_sigint(tmp_path):
    pytest.importorskip("distributed")
    proc = start(["simulate", "gaussian-variance", "--T", "50000", "--reps", "200000",
                  "--backend", "dask", "--out", "x.nc"], tmp_path)
    time.sleep(12.0)  # the local cluster up and the tasks running
    seconds, err = interrupt(proc)
    assert_interrupted(proc, seconds, err, limit=5.0)
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_python_api_simulate_stops_its_threads_on_ctrl_c(tmp_path):
    """In Python (a notebook), Ctrl-C reaches the main thread only; the worker threads stop
    at their next generation instead of running to the end, and the next call works."""
    script = textwrap.dedent("""
        import os, signal, threading, time
        from modelcollapse.validation import simulate
        sent = []
        def fire():
            time.sleep(2.0)
            sent.append(time.perf_counter())
            os.kill(os.getpid(), signal.SIGINT)
        threading.Thread(target=fire, daemon=True).start()
        try:
            simulate("gaussian-variance", T=50000, reps=200000, workers=2, progress=False)
        except KeyboardInterrupt:
            print(time.perf_counter() - sent[0])
        ds = simulate("gaussian-variance", T=5, reps=100, workers=2, progress=False)
        print(int(ds.attrs["reps"]))
        """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, preexec_fn=_sigint_as_default)
    assert proc.returncode == 0, proc.stderr
    seconds, reps = proc.stdout.split()
    assert float(seconds) < STOP_WITHIN and reps == "100"


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["pymc", "auto"])
def test_infer_stops_on_sigint_even_where_pymc_catches_it(tmp_path, sampler):
    """PyMC ends a chain on KeyboardInterrupt and starts the next one (or returns the draws
    so far): the command still ends at once, with no posterior file."""
    pytest.importorskip("pymc")
    write_variance_pipeline(tmp_path / "d.csv")
    proc = start(["infer", "d.csv", "--draws", "200000", "--chains", "2", "--sampler", sampler,
                  "--out", "p.nc"], tmp_path)
    time.sleep(20.0)  # PyMC imported, the model compiled, the first chain sampling
    assert proc.poll() is None
    seconds, err = interrupt(proc)
    assert_interrupted(proc, seconds, err)
    assert os.listdir(tmp_path) == ["d.csv"]


def test_ctrl_c_while_the_command_line_imports_is_exit_130_and_one_line(monkeypatch, capsys):
    """The ``modelcollapse`` command and ``python -m`` start in ``__main__.run``: a Ctrl-C
    that lands in the import of the command line, before it handles interrupts itself."""
    import types

    from modelcollapse.__main__ import run

    class Interrupted(types.ModuleType):
        def __getattr__(self, name):
            raise KeyboardInterrupt

    monkeypatch.setitem(sys.modules, "modelcollapse.cli", Interrupted("modelcollapse.cli"))
    assert run() == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_the_console_script_enters_through_run():
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "modelcollapse"]
    assert script.value == "modelcollapse.__main__:run"


def test_reproduce_stops_on_sigterm_and_leaves_nothing(tmp_path):
    """SIGTERM (timeout, kill, a cancelled CI job) cleans up as SIGINT does: no hidden
    temporary folder, no lock, one line, exit status 128 + 15."""
    proc = start(["reproduce", "--quick", "--out", "r"], tmp_path)
    deadline = time.monotonic() + 30
    while not (tmp_path / ".r.lock").exists():  # the temporary folder is made under the lock
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    time.sleep(0.5)
    assert proc.poll() is None
    sent = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert "Traceback" not in err and err.strip().splitlines()[-1:] == ["terminated"], err
    assert time.perf_counter() - sent < STOP_WITHIN
    assert os.listdir(tmp_path) == []


def test_deferred_interrupt_holds_a_handled_sigterm_back():
    from modelcollapse.outputs import deferred_interrupt

    seen: list[str] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append("handled"))
    try:
        with deferred_interrupt():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            seen.append("body done")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert seen == ["body done", "handled"]


def test_main_restores_the_signal_handlers(capsys):
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    assert main(["families", "--json"]) == 0
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
