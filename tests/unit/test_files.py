"""Reading YAML and JSON: data only, with line numbers for errors."""

from __future__ import annotations

import pytest

from nonpunish import FileFormatError
from nonpunish._files import parse_json, parse_yaml


def test_lines_are_kept_for_every_value() -> None:
    doc = parse_yaml("a: 1\nb:\n  - x\n  - y: 2\n", "f.yaml")
    assert doc.data == {"a": 1, "b": ["x", {"y": 2}]}
    assert doc.line_of(("a",)) == 1
    assert doc.line_of(("b", 1, "y")) == 4
    assert doc.where(("b", 0)) == "f.yaml:3"
    # An unknown path falls back to its nearest known ancestor.
    assert doc.line_of(("b", 1, "nope")) == 4


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a: !!python/object/apply:os.system ['echo hi']\n", "yaml_tag"),
        ("a: !custom 1\n", "yaml_tag"),
        ("a: &x 1\nb: *x\n", "yaml_anchor"),
        ("a: 1\na: 2\n", "duplicate_key"),
        ("a: [1, 2\n", "yaml_syntax"),
        ("? [a, b]\n: 1\n", "yaml_key"),
    ],
)
def test_unsafe_or_malformed_yaml_is_refused(text: str, code: str) -> None:
    with pytest.raises(FileFormatError) as info:
        parse_yaml(text, "f.yaml")
    assert info.value.code == code
    assert info.value.location is not None
    assert info.value.location.startswith("f.yaml")


def test_alias_bomb_is_refused_before_expansion() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    with pytest.raises(FileFormatError) as info:
        parse_yaml(bomb, "bomb.yaml")
    assert info.value.code == "yaml_anchor"


def test_json_errors_name_the_line() -> None:
    with pytest.raises(FileFormatError) as info:
        parse_json('{\n  "a": 1,\n  "b": \n}', "c.json")
    assert info.value.code == "json_syntax"
    assert info.value.location == "c.json:4"


def test_only_true_and_false_are_booleans() -> None:
    # YAML 1.1 would read "no" as false: an answer typed as "no" must not become a finding.
    doc = parse_yaml("a: no\nb: yes\nc: true\nd: False\ne: off\n", "f.yaml")
    assert doc.data == {"a": "no", "b": "yes", "c": True, "d": False, "e": "off"}


def test_json_documents_know_their_lines_when_asked() -> None:
    doc = parse_json('{\n  "a": 1,\n  "b": {"c": [1,\n    2]}\n}', "c.json")
    assert doc.line_of(("a",)) == 2
    assert doc.line_of(("b", "c", 1)) == 4
