"""Assertions shared by test modules (Hypothesis strategies live in strategies.py)."""

from __future__ import annotations


def assert_one_line_error(code: int, out: str, err: str, *fragments: str) -> None:
    """The command failed on the user's input: exit status 2, nothing on stdout, and one
    line on stderr naming the problem, never a traceback."""
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("nonpunish: error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
