"""Element by element: each element of both limbs of s.45, and the facts that drive it.

A baseline case meets every element of one limb. Each test changes the fact (or facts) behind
one element and checks that element's value, the result, the deciding elements, that the
reason names the element by its citation, and that the element shows its citation and the
facts it read. The citations are the statute's own (checked against s.45 as enacted, which is
unamended), so a change to the ruleset's citations fails here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import nonpunish

RULESET = "uk-ew/modern-slavery-act-2015/s45"
AS_OF = dt.date(2026, 11, 1)
INSTRUMENT = "Modern Slavery Act 2015 (c. 30)"
ACT = dt.date(2020, 6, 1)
BORN = {"adult": dt.date(1990, 1, 1), "child": dt.date(2004, 1, 1)}  # 30 and 16 at the act
PERSON_FACTS = {"victim_of_slavery", "victim_of_trafficking", "exploitation_types"}

VICTIM = {"victim_of_trafficking": True, "exploitation_types": ["forced_criminality"]}
MET = {
    "adult": {
        "compelled": True,
        "compulsion_is_exploitation_conduct": True,
        "compulsion_direct_consequence_of_exploitation": True,
        "reasonable_person_no_realistic_alternative": True,
    },
    "child": {
        "act_direct_consequence_of_exploitation": True,
        "reasonable_person_would_do_act": True,
    },
}
LIMB_ID = {"adult": "s45-1", "child": "s45-4"}
LIMB_LABEL = {"adult": "Adult limb (aged 18 or over)", "child": "Child limb (under 18)"}

#: Every element of s.45 as encoded: its citation, and the facts it reads (with their role).
ELEMENTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "not-excluded": ("s.45(7)", []),
    "s45": ("s.45(1), (4)", []),
    "s45-1": ("s.45(1)", []),
    "s45-1-a": ("s.45(1)(a)", [("age_at_act", "condition")]),
    "s45-1-b": ("s.45(1)(b), (2), (6)", [("compelled", "condition"),
                                         ("compulsion_source", "context"),
                                         ("conduct", "context")]),
    "s45-1-c": ("s.45(1)(c), (3)", []),
    "s45-3-a": ("s.45(3)(a)", [("compulsion_is_exploitation_conduct", "condition")]),
    "s45-3-b": ("s.45(3)(b)", [("compulsion_direct_consequence_of_exploitation", "condition")]),
    "victim-status": ("s.45(3), (4)(b), (5); s.56", [("victim_of_slavery", "condition")]),
    "relevant-exploitation": ("s.45(5)", [("victim_of_trafficking", "condition"),
                                          ("exploitation_types", "condition")]),
    "s45-1-d": ("s.45(1)(d), (5)", [("reasonable_person_no_realistic_alternative",
                                     "condition")]),
    "s45-4": ("s.45(4)", []),
    "s45-4-a": ("s.45(4)(a)", [("age_at_act", "condition")]),
    "s45-4-b": ("s.45(4)(b), (6)", [("act_direct_consequence_of_exploitation", "condition"),
                                    ("conduct", "context")]),
    "s45-4-c": ("s.45(4)(c), (5)", [("reasonable_person_would_do_act", "condition")]),
}


def make_case(limb: str, *, born: dt.date | None = None, act_date: Any = ACT,
              offence: str = "uk-ew/misuse-of-drugs-act-1971/s4-2",
              **changes: Any) -> dict[str, Any]:
    """Every element of ``limb`` met, then ``changes`` applied (a value of ``...`` removes
    the fact). Facts about the person go to the case, the rest to the count."""
    person_facts: dict[str, Any] = dict(VICTIM)
    count_facts: dict[str, Any] = dict(MET[limb])
    for name, value in changes.items():
        target = person_facts if name in PERSON_FACTS else count_facts
        if value is ...:
            target.pop(name, None)
        else:
            target[name] = value
    return {
        "person": {"date_of_birth": born or BORN[limb]},
        "facts": person_facts,
        "counts": [{"id": "1", "offence": {"id": offence}, "act_date": act_date,
                    "facts": count_facts}],
    }


def count_of(case: dict[str, Any]) -> nonpunish.CountOutcome:
    return nonpunish.evaluate(case, RULESET, as_of=AS_OF).counts[0]


def values(count: nonpunish.CountOutcome) -> dict[str, bool | None]:
    return {e.id: e.value for e in count.elements}


# --- baselines ----------------------------------------------------------------------------

@pytest.mark.parametrize("limb", ["adult", "child"])
def test_baseline_every_element_met(limb: str) -> None:
    count = count_of(make_case(limb))
    assert count.result == "protected", count.reason.en
    assert count.legal_effect == "not_guilty"
    assert count.limb == limb
    assert count.deciding_elements == [LIMB_ID[limb]]
    assert count.reason.en.startswith(f"{LIMB_LABEL[limb]}: every element is met")
    assert count.questions == []
    other = LIMB_ID["child" if limb == "adult" else "adult"]
    for eid, value in values(count).items():
        if eid != other and not eid.startswith(other + "-"):
            assert value is True, eid


# --- one element fails ----------------------------------------------------------------------

#: (limb, element that fails, the facts that make it fail)
FAILING = [
    ("adult", "s45-1-b", {"compelled": False}),
    ("adult", "s45-1-c", {"compulsion_is_exploitation_conduct": False,
                          "compulsion_direct_consequence_of_exploitation": False}),
    ("adult", "s45-1-c", {"victim_of_slavery": False, "victim_of_trafficking": False}),
    ("adult", "s45-1-c", {"victim_of_slavery": False, "exploitation_types": ["other"]}),
    ("adult", "s45-1-d", {"reasonable_person_no_realistic_alternative": False}),
    ("child", "s45-4-b", {"act_direct_consequence_of_exploitation": False}),
    ("child", "s45-4-b", {"victim_of_slavery": False, "victim_of_trafficking": False}),
    ("child", "s45-4-b", {"victim_of_slavery": False, "exploitation_types": []}),
    ("child", "s45-4-c", {"reasonable_person_would_do_act": False}),
]


def _fid(param: tuple[str, str, dict[str, Any]]) -> str:
    _, eid, facts = param
    return f"{eid}:{'+'.join(f'{k}={v}' for k, v in facts.items())}"


@pytest.mark.parametrize(("limb", "element", "facts"), FAILING, ids=map(_fid, FAILING))
def test_element_fails_alone(limb: str, element: str, facts: dict[str, Any]) -> None:
    count = count_of(make_case(limb, **facts))
    citation = ELEMENTS[element][0]
    assert count.result == "not_protected", count.reason.en
    assert count.legal_effect is None
    assert count.limb == limb
    assert count.deciding_elements == [element]
    got = values(count)
    assert got[element] is False
    assert got[LIMB_ID[limb]] is False
    assert got["s45"] is False
    # The other elements of the limb are still met: this one fails alone.
    for other in (e for e in ELEMENTS if e.startswith(LIMB_ID[limb] + "-") and e != element):
        assert got[other] is True, other
    assert count.reason.en.startswith(f"{LIMB_LABEL[limb]}: not met:")
    assert f"({citation})" in count.reason.en
    assert f"({citation})" in count.reason.nl
    assert count.questions == []


#: (limb, element, facts left unknown, the questions in order, those that are decisive)
OPEN = [
    ("adult", "s45-1-b", {"compelled": None}, ["compelled"], ["compelled"]),
    ("adult", "s45-1-c", {"compulsion_is_exploitation_conduct": None,
                          "compulsion_direct_consequence_of_exploitation": None},
     # Either route alone would make (c) met, and so the case: both are decisive.
     ["compulsion_is_exploitation_conduct", "compulsion_direct_consequence_of_exploitation"],
     ["compulsion_is_exploitation_conduct", "compulsion_direct_consequence_of_exploitation"]),
    ("adult", "s45-1-c", {"victim_of_slavery": None, "victim_of_trafficking": None},
     ["victim_of_slavery", "victim_of_trafficking"],
     ["victim_of_slavery", "victim_of_trafficking"]),
    ("adult", "s45-1-d", {"reasonable_person_no_realistic_alternative": None},
     ["reasonable_person_no_realistic_alternative"],
     ["reasonable_person_no_realistic_alternative"]),
    ("child", "s45-4-b", {"act_direct_consequence_of_exploitation": None},
     ["act_direct_consequence_of_exploitation"], ["act_direct_consequence_of_exploitation"]),
    ("child", "s45-4-b", {"victim_of_trafficking": ..., "exploitation_types": ...},
     ["victim_of_slavery", "victim_of_trafficking", "exploitation_types"],
     ["victim_of_slavery"]),
    ("child", "s45-4-c", {"reasonable_person_would_do_act": None},
     ["reasonable_person_would_do_act"], ["reasonable_person_would_do_act"]),
]


@pytest.mark.parametrize(("limb", "element", "facts", "questions", "decisive"), OPEN,
                         ids=[_fid(o[:3]) for o in OPEN])
def test_element_open(limb: str, element: str, facts: dict[str, Any], questions: list[str],
                      decisive: list[str]) -> None:
    count = count_of(make_case(limb, **facts))
    citation = ELEMENTS[element][0]
    assert count.result == "undetermined", count.reason.en
    assert count.limb == limb
    assert count.deciding_elements == [element]
    assert values(count)[element] is None
    assert count.reason.en.startswith(f"{LIMB_LABEL[limb]}: still open:")
    assert f"({citation})" in count.reason.en
    # Exactly the facts that could change the result, decisive first.
    assert [q.fact for q in count.questions] == questions
    assert [q.fact for q in count.questions if q.decisive] == decisive
    assert all(q.counts == ["1"] for q in count.questions)


@pytest.mark.parametrize(("limb", "element", "facts"),
                         [(f[0], f[1], f[2]) for f in FAILING],
                         ids=map(_fid, FAILING))
def test_element_met_again_when_facts_are_true(limb: str, element: str,
                                               facts: dict[str, Any]) -> None:
    restored = {k: (["forced_criminality"] if k == "exploitation_types" else True)
                for k in facts}
    restored.pop("victim_of_slavery", None)
    count = count_of(make_case(limb, **restored))
    assert count.result == "protected"
    assert values(count)[element] is True


# --- sub-elements: the two routes of s.45(3) ------------------------------------------------

@pytest.mark.parametrize(("route", "fact", "other"), [
    ("s45-3-a", "compulsion_is_exploitation_conduct", "s45-3-b"),
    ("s45-3-b", "compulsion_direct_consequence_of_exploitation", "s45-3-a"),
])
def test_one_route_of_s45_3_fails(route: str, fact: str, other: str) -> None:
    count = count_of(make_case("adult", **{fact: False}))
    got = values(count)
    assert got[route] is False
    assert got[other] is True
    assert got["s45-1-c"] is True
    assert count.result == "protected"
    assert count.deciding_elements == ["s45-1"]


@pytest.mark.parametrize(("route", "fact"), [
    ("s45-3-a", "compulsion_is_exploitation_conduct"),
    ("s45-3-b", "compulsion_direct_consequence_of_exploitation"),
])
def test_one_route_of_s45_3_is_enough_with_the_other_unknown(route: str, fact: str) -> None:
    other_fact = ({"compulsion_is_exploitation_conduct",
                   "compulsion_direct_consequence_of_exploitation"} - {fact}).pop()
    count = count_of(make_case("adult", **{other_fact: None}))
    assert values(count)[route] is True
    assert count.result == "protected"
    assert count.questions == []


# --- the age elements ------------------------------------------------------------------------

@pytest.mark.parametrize(("born", "age", "limb"), [
    (dt.date(2002, 6, 2), 17, "child"),   # the day before the 18th birthday
    (dt.date(2002, 6, 1), 18, "adult"),   # the 18th birthday
    (dt.date(2010, 1, 1), 10, "child"),
    (dt.date(1950, 1, 1), 70, "adult"),
])
def test_age_selects_the_limb(born: dt.date, age: int, limb: str) -> None:
    case = make_case("adult", born=born)
    case["counts"][0]["facts"].update(MET["child"])
    count = count_of(case)
    got = values(count)
    assert (got["s45-1-a"], got["s45-4-a"]) == ((True, False) if limb == "adult"
                                                else (False, True))
    assert count.limb == limb
    assert count.result == "protected"
    assert count.deciding_elements == [LIMB_ID[limb]]
    for eid in ("s45-1-a", "s45-4-a"):
        (element,) = [e for e in count.elements if e.id == eid]
        assert [(f.fact, f.given, f.basis) for f in element.facts] == [
            ("age_at_act", age, "derived")]


@pytest.mark.parametrize("limb", ["adult", "child"])
def test_the_other_limb_is_shown_by_its_age_test_only(limb: str) -> None:
    count = count_of(make_case(limb))
    other = "child" if limb == "adult" else "adult"
    shown = [e.id for e in count.elements if e.limb == other]
    assert shown == [LIMB_ID[other], f"{LIMB_ID[other]}-a"]


def test_child_limb_needs_no_compulsion() -> None:
    count = count_of(make_case("child", compelled=False))
    assert count.result == "protected"
    assert "s45-1-b" not in values(count)


# --- the burden model, element by element ------------------------------------------------------

SINGLE_FACT = [
    ("adult", "s45-1-b", "compelled"),
    ("adult", "s45-1-d", "reasonable_person_no_realistic_alternative"),
    ("adult", "s45-3-a", "compulsion_is_exploitation_conduct"),
    ("adult", "s45-3-b", "compulsion_direct_consequence_of_exploitation"),
    ("child", "s45-4-b", "act_direct_consequence_of_exploitation"),
    ("child", "s45-4-c", "reasonable_person_would_do_act"),
]
EVIDENCE = [
    ({"evidence": "beyond_reasonable_doubt"}, True),
    ({"evidence": "balance_of_probabilities"}, True),
    ({"evidence": "evidence_raised"}, True),
    ({"evidence": "slight_indication"}, False),
    ({"evidence": "no_evidence"}, False),
    ({"evidence": "not_assessed"}, None),
    ({"evidence": "evidence_raised", "disproved": True}, False),
    ({"evidence": "not_assessed", "disproved": True}, False),
]


@pytest.mark.parametrize(("given", "finding"), EVIDENCE,
                         ids=[f"{g['evidence']}{'-disproved' if g.get('disproved') else ''}"
                              for g, _ in EVIDENCE])
@pytest.mark.parametrize(("limb", "element", "fact"), SINGLE_FACT,
                         ids=[f"{e}:{f}" for _, e, f in SINGLE_FACT])
def test_evidence_becomes_a_finding(limb: str, element: str, fact: str, given: dict[str, Any],
                                   finding: bool | None) -> None:
    count = count_of(make_case(limb, **{fact: given}))
    (el,) = [e for e in count.elements if e.id == element]
    assert el.value is finding
    (use,) = [f for f in el.facts if f.fact == fact]
    assert use.basis == "evidence"
    assert use.evidence == given["evidence"]
    assert use.disproved is bool(given.get("disproved"))
    assert use.finding is finding
    # On the burden model of R v MK, an outcome that rests on evidence says so, unless the
    # defence has failed.
    caveats = {c.id for c in count.caveats}
    assert ("burden-of-proof" in caveats) is (count.result != "not_protected")


# --- every element carries its citation and the facts it read -----------------------------------

@pytest.mark.parametrize("limb", ["adult", "child"])
def test_elements_carry_citation_and_facts(limb: str) -> None:
    count = count_of(make_case(limb))
    assert count.elements
    seen = set()
    for element in count.elements:
        citation, facts = ELEMENTS[element.id]
        assert element.citation.instrument == INSTRUMENT
        assert element.citation.provision == citation
        assert str(element.citation) == f"{INSTRUMENT}, {citation}"
        assert (element.citation.url or "").startswith(
            "https://www.legislation.gov.uk/ukpga/2015/30/section/45")
        assert element.label.en and element.label.nl
        assert [(f.fact, f.role) for f in element.facts] == facts, element.id
        seen.add(element.id)
    shown = {"adult": {"s45-4", "s45-4-a", "s45-4-b", "s45-4-c"},
             "child": {"s45-1", "s45-1-a", "s45-1-b", "s45-1-c", "s45-1-d", "s45-3-a",
                       "s45-3-b"}}
    expected = set(ELEMENTS) - shown[limb] | {LIMB_ID["child" if limb == "adult" else "adult"],
                                              LIMB_ID["child" if limb == "adult"
                                                      else "adult"] + "-a"}
    assert seen == expected


def test_fact_uses_report_what_was_given() -> None:
    case = make_case("adult", compelled={"evidence": "evidence_raised"},
                     compulsion_source="person", reasonable_person_no_realistic_alternative=None)
    case["counts"][0]["conduct"] = "act"
    count = count_of(case)
    (b,) = [e for e in count.elements if e.id == "s45-1-b"]
    assert [(f.fact, f.given, f.finding, f.basis, f.role) for f in b.facts] == [
        ("compelled", "evidence_raised", True, "evidence", "condition"),
        ("compulsion_source", "person", True, "finding", "context"),
        ("conduct", "act", True, "finding", "context"),
    ]
    (d,) = [e for e in count.elements if e.id == "s45-1-d"]
    assert [(f.fact, f.given, f.finding, f.basis) for f in d.facts] == [
        ("reasonable_person_no_realistic_alternative", None, None, "not_given")]
    # The definition is shown under both routes of s.45(3), reading the same facts.
    uses = [[(f.fact, f.given, f.finding) for f in e.facts]
            for e in count.elements if e.id == "relevant-exploitation"]
    assert uses == 2 * [[("victim_of_trafficking", True, True),
                         ("exploitation_types", ["forced_criminality"], True)]]


def test_elements_are_nested_as_in_the_statute() -> None:
    count = count_of(make_case("adult"))
    parents = {(e.id, e.parent) for e in count.elements}
    assert {("s45", None), ("not-excluded", None), ("s45-1", "s45"), ("s45-4", "s45"),
            ("s45-1-a", "s45-1"), ("s45-1-b", "s45-1"), ("s45-1-c", "s45-1"),
            ("s45-1-d", "s45-1"), ("s45-3-a", "s45-1-c"), ("s45-3-b", "s45-1-c"),
            ("victim-status", "s45-3-a"), ("victim-status", "s45-3-b"),
            ("relevant-exploitation", "victim-status"), ("s45-4-a", "s45-4")} == parents


# --- questions ------------------------------------------------------------------------------

def test_child_limb_never_asks_adult_facts() -> None:
    case = {"person": {"date_of_birth": BORN["child"]},
            "counts": [{"offence": {"id": "uk-ew/misuse-of-drugs-act-1971/s4-2"},
                        "act_date": ACT}]}
    count = count_of(case)
    assert [q.fact for q in count.questions] == [
        "act_direct_consequence_of_exploitation", "reasonable_person_would_do_act",
        "victim_of_slavery", "victim_of_trafficking", "exploitation_types"]
    adult_only = {"compelled", "compulsion_source", "compulsion_is_exploitation_conduct",
                  "compulsion_direct_consequence_of_exploitation",
                  "reasonable_person_no_realistic_alternative"}
    assert not adult_only & {q.fact for q in count.questions}


def test_adult_limb_never_asks_child_facts() -> None:
    case = {"person": {"date_of_birth": BORN["adult"]}, "facts": VICTIM,
            "counts": [{"offence": {"id": "uk-ew/misuse-of-drugs-act-1971/s4-2"},
                        "act_date": ACT}]}
    count = count_of(case)
    assert [(q.fact, q.decisive) for q in count.questions] == [
        ("compelled", True), ("reasonable_person_no_realistic_alternative", True),
        ("compulsion_is_exploitation_conduct", False),
        ("compulsion_direct_consequence_of_exploitation", False)]


def test_questions_name_their_elements() -> None:
    count = count_of(make_case("child", victim_of_trafficking=..., exploitation_types=...,
                               reasonable_person_would_do_act=None))
    elements = {q.fact: q.elements for q in count.questions}
    assert elements == {"reasonable_person_would_do_act": ["s45-4-c"],
                        "victim_of_slavery": ["victim-status"],
                        "victim_of_trafficking": ["relevant-exploitation"],
                        "exploitation_types": ["relevant-exploitation"]}


def test_decisive_across_scenarios() -> None:
    """When an age or date range splits a count, a question is decisive only if one answer
    settles the count, not just one reading: an act some time in 2015, age unknown, can be
    settled only by the act date."""
    case = {"counts": [{"offence": {"id": "uk-ew/misuse-of-drugs-act-1971/s4-2"},
                        "act_date": {"earliest": dt.date(2015, 1, 1),
                                     "latest": dt.date(2015, 12, 31)}}]}
    count = count_of(case)
    assert count.result == "undetermined"
    assert [q.fact for q in count.questions if q.decisive] == ["act_date"]
