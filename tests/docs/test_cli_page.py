"""docs/cli.md describes every command and option of the parser, and the command-line examples
in docs/ print what they show.

A ``console`` block in a page is a terminal session: lines starting with ``$ nonpunish`` are
commands, run from the project's top folder; the lines after a command are what it prints
(standard output and standard error, as a terminal shows them). A line ``...`` stands for any
number of lines left out.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import re
import shlex
from pathlib import Path

import pytest

from nonpunish import _cli

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"
CLI_PAGE = DOCS / "cli.md"


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = _cli._parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("the parser has no subcommands")


def _sections(text: str) -> dict[str, str]:
    """The text under each `## \\`nonpunish COMMAND ...\\`` heading, by command."""
    out: dict[str, str] = {}
    for m in re.finditer(r"^## `nonpunish (\w+)[^`]*`\n(.*?)(?=^## |\Z)", text, re.M | re.S):
        out[m.group(1)] = m.group(0)
    return out


def test_every_subcommand_has_a_section() -> None:
    sections = _sections(CLI_PAGE.read_text(encoding="utf-8"))
    assert set(_subcommands()) == set(sections)


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_option_and_choice_of_a_subcommand_is_described(command: str) -> None:
    section = _sections(CLI_PAGE.read_text(encoding="utf-8"))[command]
    missing = []
    for action in _subcommands()[command]._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if action.help == argparse.SUPPRESS and not action.option_strings:
            # `evaluate`'s and `batch`'s positionals ("[RULESET] CASE") are described by name.
            names = str(action.metavar).replace("[", "").replace("]", "").split()
        else:
            names = list(action.option_strings) or [str(action.metavar or action.dest)]
        names += [str(c) for c in action.choices or ()]
        missing += [n for n in names if n not in section]
    assert not missing, f"not described in the `nonpunish {command}` section: {missing}"


def test_the_top_level_options_are_described() -> None:
    text = CLI_PAGE.read_text(encoding="utf-8")
    for action in _cli._parser()._actions:
        for option in action.option_strings:
            assert f"`{option}`" in text, option


def _console_blocks() -> list[tuple[str, str, list[str]]]:
    """(page, command, expected lines) for every command in a console block in docs/."""
    out = []
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r"^```console\n(.*?)^```", text, re.M | re.S):
            command: str | None = None
            expected: list[str] = []
            for line in block.splitlines():
                if line.startswith("$ "):
                    if command is not None:
                        out.append((page.name, command, expected))
                    command, expected = line[2:], []
                else:
                    expected.append(line)
            if command is not None:
                out.append((page.name, command, expected))
    return out


def _matches(expected: list[str], printed: list[str]) -> bool:
    pattern = "".join(r"(?:[^\n]*\n)*?" if line == "..." else re.escape(line) + r"\n"
                      for line in expected)
    return re.fullmatch(pattern + (r"(?:[^\n]*\n)*" if expected[-1:] == ["..."] else ""),
                        "".join(p + "\n" for p in printed)) is not None


EXAMPLES = _console_blocks()


def test_the_pages_have_console_examples() -> None:
    assert {page for page, _, _ in EXAMPLES} >= {"cli.md", "getting-started.md"}


@pytest.mark.parametrize(("page", "command", "expected"), EXAMPLES,
                         ids=[f"{p}: {c[:60]}" for p, c, _ in EXAMPLES])
def test_console_example_prints_what_the_page_shows(page: str, command: str,
                                                    expected: list[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    argv = shlex.split(command)
    assert argv[0] == "nonpunish", f"{page}: only nonpunish commands are run: {command}"
    if argv[1] in ("batch", "model") and importlib.util.find_spec("polars") is None:
        pytest.skip(f"`nonpunish {argv[1]}` needs the model extra (polars): "
                    "pip install -e '.[model]'")
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        _cli.main(argv[1:])
    printed = out.getvalue().splitlines()
    assert _matches(expected, printed), (
        f"{page}: `{command}` printed:\n" + "\n".join(printed[:40]))
