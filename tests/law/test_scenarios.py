"""Runs every scenario file that sits beside a ruleset (``<ruleset folder>/scenarios/*.yaml``).

A scenario file is written for lawyers: a case in, the outcome expected out. Format::

    ruleset: uk-ew/modern-slavery-act-2015/s45
    as_of: 2026-11-01
    scenarios:
      - name: Child in a cannabis factory, trafficked
        ruleset: ...                 # optional: another ruleset or RULESET@VARIANT
        as_of: 2026-11-01            # optional: overrides the file's
        source: R v Brecani [2021] EWCA Crim 731 (facts simplified)
        case: {...}                  # a case, as in a case file
        expect:                      # for count "1" unless `count` is given
          result: protected
          legal_effect: not_guilty
          limb: child
          elements: {s45-4-b: true, s45-4-c: null}
          excluded: false            # the list's check, or not the `not-excluded` element
          paragraphs: ["14"]         # Schedule paragraphs that matched and apply
          questions: [age_at_act]    # the first questions, in order
          decisive: [act_date]       # facts whose questions are marked decisive
          caveats: [disputed-age]    # caveat ids that must be present
          no_questions: true
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

import nonpunish
from nonpunish._paths import shipped_root


def _scenario_files() -> list[Path]:
    return sorted(shipped_root().glob("**/scenarios/*.yaml"))


def _cases() -> list[Any]:
    params = []
    for path in _scenario_files():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for i, sc in enumerate(data["scenarios"]):
            rel = path.relative_to(shipped_root()).as_posix()
            params.append(pytest.param(data, sc, id=f"{rel}::{i}:{sc['name'][:60]}"))
    return params


def test_there_are_scenarios() -> None:
    assert _scenario_files(), "no scenario files found beside the rulesets"


def _check(outcome: nonpunish.Outcome, expect: dict[str, Any], name: str) -> None:
    count_id = str(expect.get("count", "1"))
    count = next(c for c in outcome.counts if c.count_id == count_id)
    if "result" in expect:
        assert count.result == expect["result"], f"{name}: {count.reason.en}"
    if "legal_effect" in expect:
        assert count.legal_effect == expect["legal_effect"], name
    if "limb" in expect:
        assert count.limb == expect["limb"], name
    elements = {e.id: e.value for e in count.elements}
    for sc in count.scenarios:
        for e in sc.elements:
            elements.setdefault(e.id, e.value)
    for eid, value in (expect.get("elements") or {}).items():
        assert eid in elements, f"{name}: no element {eid}"
        assert elements[eid] is value, f"{name}: element {eid} is {elements[eid]}, not {value}"
    if "excluded" in expect:
        # The list's check, or (for exclusions by a condition on the charge) the element.
        if count.exclusion is not None:
            excluded = count.exclusion.excluded
        else:
            assert "not-excluded" in elements, f"{name}: no exclusion to check"
            held = elements["not-excluded"]
            excluded = None if held is None else not held
        assert excluded is expect["excluded"], f"{name}: excluded is {excluded}"
    if "paragraphs" in expect:
        assert count.exclusion is not None, name
        got = [m.paragraph for m in count.exclusion.matches if m.applies]
        assert got == [str(p) for p in expect["paragraphs"]], name
    if "questions" in expect:
        got = [q.fact for q in count.questions][: len(expect["questions"])]
        assert got == expect["questions"], f"{name}: questions {[q.fact for q in count.questions]}"
    if "decisive" in expect:
        got = sorted(q.fact for q in count.questions if q.decisive)
        assert got == sorted(expect["decisive"]), f"{name}: decisive {got}"
    if expect.get("no_questions"):
        assert count.questions == [], name
    for cid in expect.get("caveats") or []:
        assert cid in {c.id for c in count.caveats}, f"{name}: caveat {cid} missing"
    for cid in expect.get("no_caveats") or []:
        assert cid not in {c.id for c in count.caveats}, f"{name}: caveat {cid} present"


@pytest.mark.parametrize(("file", "scenario"), _cases())
def test_scenario(file: dict[str, Any], scenario: dict[str, Any]) -> None:
    as_of = scenario.get("as_of") or file.get("as_of") or dt.date(2026, 11, 1)
    ruleset = scenario.get("ruleset") or file["ruleset"]
    if ruleset.endswith(".yaml"):  # a variant or ruleset file: rulesets/<path>
        ruleset = shipped_root() / ruleset.removeprefix("rulesets/")
    outcome = nonpunish.evaluate(scenario["case"], ruleset, as_of=as_of)
    _check(outcome, scenario["expect"], scenario["name"])
