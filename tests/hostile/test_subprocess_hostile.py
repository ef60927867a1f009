"""A few hostile runs of the real ``python -m modelcollapse`` process: inputs that used to hang
or exhaust memory end within seconds with exit 2 and one ``error:`` line, and a server that
answers the Dask probe with a banner gives one line, not a thread's traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.hostile.files import TOML_FILES

#: wall-clock bound of one refused run (start-up included, on a loaded machine)
TIMEOUT = 60


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COV")}
    return subprocess.run([sys.executable, "-m", "modelcollapse", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT,
                          stdin=subprocess.DEVNULL)


def assert_one_line_refusal(proc: subprocess.CompletedProcess[str], limit: str) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert limit in lines[0], lines[0]
    assert proc.stdout == ""


@pytest.mark.parametrize(("args", "limit"), [
    (["derive", "gaussian-variance", "--schedule", "(t+1)**2000"], "MAX_DEGREE"),
    (["derive", "gaussian-variance", "--schedule", "n0*t**(10**6)", "--T", "inf"],
     "MAX_DEGREE"),
    (["derive", "mvgaussian", "--dim", "1000000"], "MAX_DIMENSION"),
    (["improve", "--T", "1000000000000"], "MAX_HORIZON"),
])
def test_former_hangs_end_at_once(args, limit, sandbox):
    assert_one_line_refusal(run(args, sandbox), limit)


def test_moment_map_of_huge_degree(sandbox, inputs):
    path = inputs / "big.toml"
    path.write_bytes(TOML_FILES["variance-degree"])
    assert_one_line_refusal(run(["derive", str(path)], sandbox), "MAX_DEGREE")


def test_fifo_as_data_does_not_block(sandbox, inputs):
    fifo = inputs / "data.csv"
    os.mkfifo(fifo)
    assert_one_line_refusal(run(["infer", str(fifo)], sandbox), "not a regular file")


def _banner_server() -> tuple[socket.socket, int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed by the test
                return
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n" * 4)

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


def test_dask_banner_is_one_line(sandbox):
    pytest.importorskip("distributed")
    server, port = _banner_server()
    try:
        proc = run(["simulate", "gaussian-variance", "--T", "3", "--reps", "10", "--quiet",
                    "--backend", "dask", "--scheduler", f"tcp://127.0.0.1:{port}"], sandbox)
    finally:
        server.close()
    assert_one_line_refusal(proc, "does not answer with the Dask protocol")


def test_version_is_one_line(sandbox):
    proc = run(["--version"], sandbox)
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.startswith("modelcollapse ") and len(proc.stdout.splitlines()) == 1
