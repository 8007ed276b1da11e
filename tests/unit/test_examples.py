"""The shipped example cases evaluate to what examples/README.md says."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import nonpunish

EXAMPLES = Path(__file__).parents[2] / "examples"
S45 = "uk-ew/modern-slavery-act-2015/s45"

EXPECTED = {
    "child-cannabis-farm.yaml": [("protected", "child")],
    "adult-county-lines.json": [("protected", "adult"), ("not_protected", "adult")],
    "burglary-intent-unknown.yaml": [("undetermined", "adult")],
    "before-commencement.yaml": [("not_in_force", None)],
    "disputed-age.yaml": [("undetermined", None)],
}


def test_every_example_is_listed() -> None:
    shipped = {p.name for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json")}
    assert shipped == set(EXPECTED)
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_outcome(name: str) -> None:
    outcome = nonpunish.evaluate(EXAMPLES / name, S45, as_of=dt.date(2026, 11, 1))
    assert [(c.result, c.limb) for c in outcome.counts] == EXPECTED[name]


def test_the_burglary_example_asks_only_about_the_intent() -> None:
    outcome = nonpunish.evaluate(EXAMPLES / "burglary-intent-unknown.yaml", S45,
                                 as_of=dt.date(2026, 11, 1))
    assert [q.fact for q in outcome.questions] == ["burglary_with_intent_to_cause_gbh_or_damage"]
    assert outcome.questions[0].decisive
