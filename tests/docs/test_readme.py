"""The Python example in README.md runs as written and prints what its comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_a_python_example() -> None:
    assert _python_blocks()


def test_readme_python_examples_run_and_print_what_they_say() -> None:
    """Each block runs; a line ending in ``# -> text`` must print a line starting with it."""
    for block in _python_blocks():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, str(README), "exec"), {})  # noqa: S102 - our own documentation
        printed = out.getvalue().splitlines()
        for expected in re.findall(r"#\s*->\s*(.+?)\s*$", block, re.M):
            assert any(line.startswith(expected) for line in printed), (expected, printed)


def test_readme_examples_promise_output() -> None:
    assert all("# ->" in block for block in _python_blocks())
