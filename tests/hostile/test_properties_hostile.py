"""Random text and bytes as every text input (schedule, moment map, law, family file, CSV):
each call returns or raises ValueError/TypeError within a bounded time (Hypothesis deadline),
and nothing of the text is ever executed: payloads that would create a file are mixed in, and
``eval``/``exec`` are watched for them. The default suite runs a few examples; the slow one
runs many."""

from __future__ import annotations

import builtins
import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelcollapse.families import load
from modelcollapse.families.custom import from_moment_map
from modelcollapse.families.lawtext import parse_law
from modelcollapse.inference.data import load_trajectories
from modelcollapse.schedules import Schedule
from tests.strategies import ALLOWED_TOKENS, FORBIDDEN_TOKENS, FUNCTION_TOKENS

#: text that would leave a file named CANARY behind if any part of the input were executed
CANARY = "pwned-by-input"
PAYLOADS = [f"__import__('os').system('touch {CANARY}')", f"open('{CANARY}', 'w')",
            f"exec(\"open('{CANARY}','w')\")", f"eval(\"open('{CANARY}','w')\")",
            "().__class__.__base__.__subclasses__()", f"\n#\\input{{{CANARY}}}",
            "ｎ0", "\u0661", "\x00", "\ufeff", "\u202e"]
LAW_TOKENS = ["theta", "n", "Gamma(", "Normal(", "Beta(", "ChiSquared(", "Poisson(", "1", "2",
              "*", "/", "+", "-", "(", ")", ", ", "**"]

#: any text; glued grammar tokens (often valid) with payloads mixed in
TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(ALLOWED_TOKENS + FUNCTION_TOKENS + FORBIDDEN_TOKENS + PAYLOADS),
             max_size=25).map("".join),
)
#: the same in the names of a moment map (n and the parameter theta)
MM_TEXT = st.one_of(st.text(max_size=60), st.lists(st.sampled_from(
    [{"t": "n", "n0": "theta", "s": "2"}.get(tok, tok) for tok in ALLOWED_TOKENS + FUNCTION_TOKENS]
    + FORBIDDEN_TOKENS + PAYLOADS), max_size=25).map("".join))
LAW_TEXT = st.one_of(st.text(max_size=60), st.lists(
    st.sampled_from(LAW_TOKENS + PAYLOADS), max_size=20).map("".join))
FAST = settings(max_examples=50, deadline=3000, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
MANY = settings(max_examples=400, deadline=3000,
                suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def watched(folder: Path):
    """Run in ``folder`` with ``eval``/``exec`` watched for the canary; then no canary file."""
    real_eval, real_exec = builtins.eval, builtins.exec

    def check(source: object) -> None:
        if CANARY in str(source):
            raise AssertionError(f"user text reached eval/exec: {source!r}")

    def eval_(source, *args, **kwargs):
        check(source)
        return real_eval(source, *args, **kwargs)

    def exec_(source, *args, **kwargs):
        check(source)
        return real_exec(source, *args, **kwargs)

    before = os.getcwd()
    os.chdir(folder)
    try:
        with mock.patch.object(builtins, "eval", eval_), \
                mock.patch.object(builtins, "exec", exec_):
            yield
    finally:
        os.chdir(before)
    assert not (folder / CANARY).exists(), "a payload of the input was executed"


def accepts_or_refuses(call: Callable[[], object], folder: Path) -> None:
    """``call()`` returns, or raises ValueError/TypeError with a one-line message."""
    with watched(folder):
        try:
            call()
        except (ValueError, TypeError) as exc:
            assert str(exc) and "\n" not in str(exc), repr(str(exc))


@pytest.fixture(scope="module")
def folder() -> Path:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def _schedule(text: str, folder: Path) -> None:
    accepts_or_refuses(lambda: Schedule(text, n0=10), folder)


def _moment_map(text: str, folder: Path) -> None:
    accepts_or_refuses(lambda: from_moment_map("random", parameter="theta", mean="theta",
                                               variance=text, domain="positive",
                                               kind="scale"), folder)


def _law(text: str, folder: Path) -> None:
    theta, n = sp.Symbol("theta", positive=True), sp.Symbol("n", positive=True)
    accepts_or_refuses(lambda: parse_law(text, {"theta": theta, "n": n}), folder)


def _family_file(data: bytes, folder: Path) -> None:
    path = folder / "random.toml"
    path.write_bytes(data)
    accepts_or_refuses(lambda: load(path), folder)


def _csv(data: bytes, folder: Path) -> None:
    path = folder / "random.csv"
    path.write_bytes(data)
    accepts_or_refuses(lambda: load_trajectories(path), folder)


TOML_BYTES = st.one_of(st.binary(max_size=300), st.lists(st.sampled_from(
    [b'name = "r"\n', b'parameter = "theta"\n', b'mean = "theta"\n', b'variance = "1/n"\n',
     b'domain = "positive"\n', b'kind = "scale"\n', b"[constants]\n", b"k = 2\n", b"=",
     b'"', b"\n", b"\x00", b"\xff", b"variance = ", b'law = "theta*Gamma(n, 1)/n"\n']),
    max_size=12).map(b"".join))
CSV_BYTES = st.one_of(st.binary(max_size=300), st.lists(st.sampled_from(
    [b"t,n,estimate\n", b"0,20,1.0\n", b"1,20,0.9\n", b"2,", b"1e30", b",", b'"', b"\n",
     b"\r\n", b"nan", b"-1", b"\x00", b"\xef\xbb\xbf", b"trajectory"]), max_size=15).map(
    b"".join))


@FAST
@given(text=TEXT)
def test_schedule_text(text, folder):
    _schedule(text, folder)


@FAST
@given(text=MM_TEXT)
def test_moment_map_text(text, folder):
    _moment_map(text, folder)


@FAST
@given(text=LAW_TEXT)
def test_law_text(text, folder):
    _law(text, folder)


@FAST
@given(data=TOML_BYTES)
def test_family_file_bytes(data, folder):
    _family_file(data, folder)


@FAST
@given(data=CSV_BYTES)
def test_csv_bytes(data, folder):
    _csv(data, folder)


@pytest.mark.slow
@MANY
@given(text=TEXT, mm=MM_TEXT, law=LAW_TEXT, toml=TOML_BYTES, csv=CSV_BYTES)
def test_every_text_input_many(text, mm, law, toml, csv, folder):
    _schedule(text, folder)
    _cli(["improve", "--schedule", text, "--T", "5"], folder)
    _moment_map(mm, folder)
    _law(law, folder)
    _family_file(toml, folder)
    _csv(csv, folder)


def test_the_watch_catches_execution(folder):
    """The watch itself works: text handed to eval is caught, a created canary is seen."""
    with pytest.raises(AssertionError, match="reached eval"), watched(folder):
        eval(f"'{CANARY}'")  # noqa: S307 - the point of the test
    with pytest.raises(AssertionError, match="was executed"), watched(folder):
        (folder / CANARY).touch()
    (folder / CANARY).unlink()


def _cli(argv: list[str], folder: Path) -> None:
    """The command line in-process: exit 0, or exit 2 with one ``error:`` line; no traceback."""
    import contextlib
    import io

    from modelcollapse.cli import main

    out, err = io.StringIO(), io.StringIO()
    with watched(folder), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert "Traceback" not in err.getvalue()
    if code == 2:
        lines = err.getvalue().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err.getvalue()
    else:
        assert code == 0, (code, err.getvalue())


@FAST
@given(text=TEXT)
def test_cli_schedule_text(text, folder):
    _cli(["improve", "--schedule", text, "--T", "5"], folder)


@FAST
@given(text=st.text(max_size=40))
def test_cli_family_text(text, folder):
    _cli(["derive", text, "--T", "3"], folder)
