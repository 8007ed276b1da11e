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


def test_readme_python_example_runs_and_prints_what_it_says() -> None:
    for block in _python_blocks():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, str(README), "exec"), {})  # noqa: S102 - our own documentation
        printed = out.getvalue().splitlines()
        # Lines like `print(x)   # expected` must print the expected text.
        expected = [m.group(1).strip() for m in
                    re.finditer(r"^print\([^\n]*\)\s+#\s*(\S[^\n]*)$", block, re.M)]
        first_words = [e.split(" ")[0] for e in expected]
        assert printed[0] == first_words[0], printed[0]
