"""The Python examples in README.md run as written and print what their comments say."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).parents[2] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_a_python_example() -> None:
    assert _python_blocks()


@pytest.mark.parametrize("block", _python_blocks(), ids=lambda b: b.split("\n")[0][:40])
def test_readme_python_examples_run_and_print_what_they_say(block: str) -> None:
    """Each block runs; a line ending in ``# -> text`` must print a line starting with it.
    A block about tables needs the ``model`` extra, as the README says."""
    if "evaluate_table" in block and importlib.util.find_spec("polars") is None:
        pytest.skip("tables need the model extra (polars): pip install -e '.[model]'")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, str(README), "exec"), {})  # noqa: S102 - our own documentation
    printed = out.getvalue().splitlines()
    for expected in re.findall(r"#\s*->\s*(.+?)\s*$", block, re.M):
        assert any(line.startswith(expected) for line in printed), (expected, printed)


def test_readme_examples_promise_output() -> None:
    assert all("# ->" in block for block in _python_blocks())
