"""Assertions shared by the hostile-input tests."""

from __future__ import annotations


def assert_refused(code: int, out: str, err: str) -> str:
    """Exit status 2, nothing on stdout, exactly one stderr line ``error: ...``, no traceback;
    the message."""
    assert "Traceback" not in err and "Traceback" not in out, err
    lines = err.splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert len(lines[0]) > len("error: ") + 5
    assert out == "", out
    return lines[0]
