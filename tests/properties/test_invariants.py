"""Legal invariants that must hold for every shipped ruleset, whatever the facts.

Each property is stated in its docstring as the legal rule it protects. Cases come from
``tests/strategies.py`` as the mappings a caller passes, so every example is validated the way
a real case is. Example counts come from the Hypothesis profile (``tests/conftest.py``).
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from hypothesis import assume, event, example, given
from hypothesis import strategies as st

import nonpunish
from nonpunish import CountOutcome, EvidenceLevel, Outcome
from nonpunish._dates import birthday_of_age
from nonpunish._offences import catalogues
from strategies import (
    AS_OF,
    LEAP_DOBS,
    adverse_facts,
    answers,
    cases,
    fact_values,
    facts_in_mapping,
    is_unknown,
    offence_refs,
    per_ruleset,
    refinements,
    unknowns,
)

RULESETS = [pytest.param(info.id, id=info.id) for info in nonpunish.list_rulesets()]
JURISDICTION = {info.id: info.jurisdiction for info in nonpunish.list_rulesets()}
S45 = "uk-ew/modern-slavery-act-2015/s45"
UNDETERMINED = "undetermined"


def _same_result(before: str, after: str) -> bool:
    """Whether learning more kept the result. "Not protected" with the exclusion check still
    open may sharpen to "excluded offence": either way the person is not protected, and a
    failing element does not wait on the list. Nothing else may change."""
    return after == before or (before == "not_protected" and after == "excluded_offence")

#: Heavier properties run fewer examples, in proportion to the profile.
#: Heavier per-ruleset properties run a third of the examples.
FEW = per_ruleset(3)


def _cases(ruleset_id: str, **kwargs: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Cases with offences from the ruleset's own catalogue (any catalogue if it has none)."""
    jurisdiction = JURISDICTION[ruleset_id]
    return cases(jurisdiction=jurisdiction if jurisdiction in catalogues() else None, **kwargs)


def _evaluate(case: dict[str, Any], ruleset_id: str, engine: str = "reference") -> Outcome:
    return nonpunish.evaluate(case, ruleset_id, as_of=AS_OF, engine=engine)  # type: ignore[arg-type]


def _by_id(outcome: Outcome) -> dict[str, CountOutcome]:
    return {c.count_id: c for c in outcome.counts}


# --- 1. soundness of three-valued evaluation --------------------------------------------------

@pytest.mark.parametrize("ruleset_id", RULESETS)
@per_ruleset()
@given(data=st.data())
def test_learning_more_never_changes_a_determined_result(ruleset_id: str,
                                                         data: st.DataObject) -> None:
    """Unknown is never silently false. If the outcome of a count is determined (protected,
    not protected, excluded offence, not in force) while some fact is still unknown, that
    fact cannot matter: finding it out (or assessing evidence not yet assessed, or narrowing
    a disputed age or an uncertain act date) must give the same result. Otherwise the library
    would have decided a point that the facts do not settle. (The one refinement allowed: a
    count not protected on its elements while the exclusion list is still open may turn out
    to be an excluded offence; see ``_same_result``.)"""
    case = data.draw(_cases(ruleset_id), label="case")
    before = _by_id(_evaluate(case, ruleset_id))
    refined = data.draw(refinements(case), label="refined")
    after = _by_id(_evaluate(refined, ruleset_id))
    for count_id, b in before.items():
        if b.result != UNDETERMINED:
            event(f"determined: {b.result}")
            assert _same_result(b.result, after[count_id].result), (
                f"count {count_id}: {b.result} became {after[count_id].result} on learning more"
                f"\nbefore: {b.reason.en}\nafter:  {after[count_id].reason.en}")


def _open_questions(case: dict[str, Any]) -> list[str]:
    """The facts a single-count ``case`` leaves open, whether or not the outcome asks them."""
    count = case["counts"][0]
    person = case.get("person") or {}
    out = [n for n in facts_in_mapping()
           if is_unknown((count.get("facts") or {}).get(
               n, (case.get("facts") or {}).get(n)))]
    out += [f for f in ("participation", "conduct") if count.get(f) is None]
    if not isinstance(count.get("act_date"), dt.date) and not _one_day(count.get("act_date")):
        out.append("act_date")
    dob = person.get("date_of_birth")
    if isinstance(dob, dict) and not _one_day(dob):
        out.append("date_of_birth")
    age = count.get("age_at_act", person.get("age_at_act"))
    if dob is None and not isinstance(age, int) and not (
            isinstance(age, dict) and age["min"] == age["max"]):
        out.append("age_at_act")
    return out


def _one_day(value: Any) -> bool:
    """A date range whose first and last day are the same (an exact date)."""
    return isinstance(value, dict) and value.get("earliest") is not None and value.get(
        "earliest") == value.get("latest")


@pytest.mark.parametrize("ruleset_id", RULESETS)
@FEW
@given(data=st.data())
def test_no_single_answer_changes_a_determined_result(ruleset_id: str,
                                                      data: st.DataObject) -> None:
    """The same rule as above, checked exhaustively one fact at a time: for a count whose
    result is determined, every fact still open (asked or not) is answered every way (see
    ``strategies.answers``), and each answer must leave the result as it was. This reaches
    the rare combinations a random refinement seldom hits, such as the one form of an offence
    that a list names (burglary with intent to cause grievous bodily harm)."""
    case = data.draw(_cases(ruleset_id, max_counts=1), label="case")
    before = _evaluate(case, ruleset_id).counts[0]
    # Drawn toward a determined result, not filtered: while the count is undetermined,
    # learn a little more (never everything, so that some facts stay open).
    for _ in range(4):
        if before.result != UNDETERMINED or not unknowns(case):
            break
        case = data.draw(refinements(case, max_steps=2, complete=False), label="learnt")
        before = _evaluate(case, ruleset_id).counts[0]
    event(f"determined: {before.result != UNDETERMINED}")
    if before.result == UNDETERMINED:
        return
    for fact in _open_questions(case):
        for answered in answers(case, 0, fact):
            after = _evaluate(answered, ruleset_id).counts[0]
            assert _same_result(before.result, after.result), (
                f"answering {fact!r} turned {before.result} into {after.result}"
                f"\nanswer: {answered['counts'][0]}\nbefore: {before.reason.en}"
                f"\nafter:  {after.reason.en}")


# --- 2. questions on undetermined results only ------------------------------------------------

def _static_caveats(ruleset_id: str) -> set[str]:
    """Caveats the ruleset attaches to every outcome (no ``when``): they cannot explain why one
    outcome in particular is undetermined."""
    rs = nonpunish.load_ruleset(ruleset_id)
    return {c.id for c in rs.spec.caveats if c.when is None}


@pytest.mark.parametrize("ruleset_id", RULESETS)
@per_ruleset()
@given(data=st.data())
def test_undetermined_results_say_what_to_ask(ruleset_id: str, data: st.DataObject) -> None:
    """An undetermined outcome must tell the caseworker what to find out next (or, where no
    fact can settle it, carry a caveat naming the legal uncertainty). A determined outcome asks
    nothing: a question there would suggest the result could still change. The case-level
    question list is every count's open questions, once each."""
    case = data.draw(_cases(ruleset_id), label="case")
    outcome = _evaluate(case, ruleset_id)
    static = _static_caveats(ruleset_id)
    for count in outcome.counts:
        if count.result == UNDETERMINED:
            explained = [c for c in count.caveats
                         if c.kind in ("unverified", "interpretation") and c.id not in static]
            assert count.questions or explained, (
                f"count {count.count_id} is undetermined but asks nothing: {count.reason.en}")
        else:
            assert count.questions == [], (
                f"count {count.count_id} is {count.result} but asks "
                f"{[q.fact for q in count.questions]}")
        for q in count.questions:
            assert count.count_id in q.counts
    per_count = {q.fact for c in outcome.counts for q in c.questions}
    assert {q.fact for q in outcome.questions} == per_count
    assert len(outcome.questions) == len(per_count)


#: A date of birth given as a range of one day, and no act date: once asked for an age the
#: case could not take beside its date of birth.
ONE_DAY_DOB = {
    "person": {"date_of_birth": {"earliest": dt.date(2000, 5, 1),
                                 "latest": dt.date(2000, 5, 1)}},
    "facts": {"victim_of_trafficking": True},
    "counts": [{"id": "1", "offence": {"id": "uk-ew/misuse-of-drugs-act-1971/s4-2"}}],
}
#: The same with a wider range: the age then depends on the date of birth as well.
DOB_RANGE = {**ONE_DAY_DOB, "person": {"date_of_birth": {"earliest": dt.date(2000, 5, 1),
                                                         "latest": dt.date(2001, 4, 30)}}}


@pytest.mark.parametrize("ruleset_id", RULESETS)
@per_ruleset()
@given(case=cases(max_counts=2))
@example(case=ONE_DAY_DOB)
@example(case=DOB_RANGE)
def test_every_question_can_be_answered_as_the_case_stands(ruleset_id: str,
                                                            case: dict[str, Any]) -> None:
    """A question is something a caseworker can answer: every allowed answer to every
    question an outcome asks, added to the case as it stands (nothing it gave taken away),
    gives a case that is still valid. No question asks for an age beside a date of birth,
    or for a fact in a form the case cannot hold."""
    outcome = _evaluate(case, ruleset_id)
    index = {c["id"]: i for i, c in enumerate(case["counts"])}
    for q in outcome.questions:
        event(f"asks {q.fact}")
        for count_id in q.counts:
            for answered in answers(case, index[count_id], q.fact):
                try:
                    nonpunish.parse_case(answered, as_of=AS_OF)
                except nonpunish.CaseError as exc:
                    raise AssertionError(
                        f"the answer to {q.fact!r} (count {count_id}) makes the case "
                        f"invalid: {exc}") from None


# --- 3. excluded offences ---------------------------------------------------------------------

@pytest.mark.parametrize("ruleset_id", RULESETS)
@per_ruleset()
@given(data=st.data())
def test_an_excluded_offence_is_never_protected(ruleset_id: str, data: st.DataObject) -> None:
    """An offence on the provision's exclusion list (for s.45, Schedule 4: s.45(7)) is outside
    the protection whatever the other facts: where the exclusion check says excluded, the
    result is "excluded offence", and a protected result always rests on an exclusion check
    that found the offence not excluded."""
    case = data.draw(_cases(ruleset_id), label="case")
    for count in _evaluate(case, ruleset_id).counts:
        readings = [(count.result, count.exclusion)] if not count.scenarios else [
            (s.result, s.exclusion) for s in count.scenarios]
        for result, exclusion in readings:
            if exclusion is None:
                continue
            if exclusion.excluded is True:
                event("excluded")
                assert result == "excluded_offence", (count.count_id, result)
            if result == "protected":
                assert exclusion.excluded is False, (count.count_id, exclusion.excluded)
        if count.scenarios and all(s.exclusion is not None and s.exclusion.excluded is True
                                   for s in count.scenarios):
            assert count.result == "excluded_offence"


# --- 4. order of the facts --------------------------------------------------------------------

@pytest.mark.parametrize("ruleset_id", RULESETS)
@per_ruleset()
@given(data=st.data())
def test_the_order_of_the_facts_does_not_matter(ruleset_id: str, data: st.DataObject) -> None:
    """Facts are a set of findings, not a narrative: stating them in another order (in the
    case or in a count) gives exactly the same outcome, down to the order of the questions and
    caveats, so an outcome filed with a case can be reproduced from a re-typed case file."""
    case = data.draw(_cases(ruleset_id), label="case")

    def shuffled(facts: dict[str, Any]) -> dict[str, Any]:
        keys = data.draw(st.permutations(list(facts)))
        return {k: facts[k] for k in keys}

    other = copy.deepcopy(case)
    other["facts"] = shuffled(case.get("facts") or {})
    for count in other["counts"]:
        if "facts" in count:
            count["facts"] = shuffled(count["facts"])
    assert _evaluate(other, ruleset_id).model_dump_json() == \
        _evaluate(case, ruleset_id).model_dump_json()


# --- 5. engine independence -------------------------------------------------------------------

@pytest.mark.durable
@pytest.mark.parametrize("ruleset_id", RULESETS)
def test_the_engine_does_not_matter(ruleset_id: str) -> None:
    """A caller never needs to know which engine ran: the durable-rules engine gives the same
    outcome as the reference evaluator (same result, limb, every element's value, exclusions,
    questions and caveats); only the provenance, which names the engine, differs."""
    pytest.importorskip("durable.lang", reason="durable-rules is not installed (optional "
                        "extra 'durable'; it builds on Python 3.10-3.12 only, with a C compiler)")

    @FEW
    @given(case=_cases(ruleset_id))
    def check(case: dict[str, Any]) -> None:
        reference = _evaluate(case, ruleset_id).model_dump()
        durable = _evaluate(case, ruleset_id, engine="durable").model_dump()
        assert durable.pop("provenance")["engine"] == "durable"
        reference.pop("provenance")
        assert durable == reference

    check()


# --- 6. JSON round trip -----------------------------------------------------------------------

@pytest.mark.parametrize("ruleset_id", RULESETS)
@per_ruleset()
@given(data=st.data())
def test_outcomes_survive_json(ruleset_id: str, data: st.DataObject) -> None:
    """An outcome filed as JSON (with the case, or sent to software in another language) reads
    back as the same outcome, and serialises the same way again."""
    outcome = _evaluate(data.draw(_cases(ruleset_id), label="case"), ruleset_id)
    text = outcome.model_dump_json()
    back = Outcome.model_validate_json(text)
    assert back == outcome
    assert back.model_dump_json() == text
    assert Outcome.model_validate(outcome.model_dump(mode="json")) == outcome
    try:
        import jsonschema  # type: ignore[import-untyped]
    except ImportError:  # not a dependency; validated where it happens to be installed
        return
    import json

    jsonschema.validate(json.loads(text), nonpunish.outcome_json_schema())


# --- 7. the age limb flips at the 18th birthday -----------------------------------------------

@st.composite
def _turning_18(draw: st.DrawFn, ruleset: nonpunish.Ruleset) -> dt.date:
    """A date of birth whose 18th birthday, and its eve, fall while s.45 is in force."""
    start = ruleset.commencement
    lo = dt.date(start.year - 18, start.month, start.day) + dt.timedelta(days=2)
    hi = dt.date(AS_OF.year - 18, AS_OF.month, AS_OF.day) - dt.timedelta(days=1)
    leap = [d for d in LEAP_DOBS if lo <= d <= hi]
    born = draw(st.one_of(st.sampled_from(leap), st.dates(lo, hi)))
    assume(birthday_of_age(born, 18) - dt.timedelta(days=1) >= start)
    assume(birthday_of_age(born, 18) <= AS_OF)
    return born


@given(data=st.data())
def test_the_child_limb_ends_on_the_18th_birthday(data: st.DataObject) -> None:
    """Section 45 has two limbs: s.45(4) for a person "under the age of 18 when the person does
    the act", and s.45(1) for one "aged 18 or over". An act on the day before the 18th birthday
    is judged under the child limb, an act on the birthday under the adult limb, for every date
    of birth, including 29 February (whose birthday in a common year is taken as 1 March, with
    a caveat on the act of 28 February, where that assumption decides the limb)."""
    if S45 not in JURISDICTION:
        pytest.skip(f"{S45} is not shipped")
    rs = nonpunish.load_ruleset(S45)
    born = data.draw(_turning_18(rs), label="date_of_birth")
    facts = data.draw(st.fixed_dictionaries(
        {n: fact_values(n, definite=True) for n in facts_in_mapping()}), label="facts")
    offence = data.draw(offence_refs(JURISDICTION[S45]), label="offence")
    birthday = birthday_of_age(born, 18)
    case = {"person": {"date_of_birth": born}, "facts": facts, "counts": [
        {"id": "eve", "offence": offence, "participation": "principal", "conduct": "act",
         "act_date": birthday - dt.timedelta(days=1)},
        {"id": "birthday", "offence": offence, "participation": "principal", "conduct": "act",
         "act_date": birthday}]}
    counts = _by_id(_evaluate(case, S45))
    eve, on = counts["eve"], counts["birthday"]
    assert eve.result != UNDETERMINED and on.result != UNDETERMINED
    assert (eve.limb, on.limb) == ("child", "adult")
    leap_day = (born.month, born.day) == (2, 29)
    assert ("leap-day-birthday" in {c.id for c in eve.caveats}) == leap_day
    assert "leap-day-birthday" not in {c.id for c in on.caveats}


# --- 8. questions are relevant ----------------------------------------------------------------

class _Budget:
    def __init__(self, evaluations: int) -> None:
        self.left = evaluations


def _outcome_of(case: dict[str, Any], ruleset_id: str, budget: _Budget) -> CountOutcome:
    budget.left -= 1
    return _evaluate(case, ruleset_id).counts[0]


def _can_matter(case: dict[str, Any], ruleset_id: str, fact: str,
                budget: _Budget) -> bool | None:
    """Whether some way of completing the single-count ``case`` makes the answer to ``fact``
    change the result: True (found one), False (proved that none does), None (out of budget).

    Answer ``fact`` every way (see ``strategies.answers``). Two different determined results:
    it matters. All the same determined result: by soundness (property 1) nothing learnt later
    can change that, so it does not matter here. Otherwise answer one more of the questions the
    outcome asks, every way, and look again."""
    options = answers(case, 0, fact)
    if not options:
        return None
    outs = [_outcome_of(o, ruleset_id, budget) for o in options]
    results = {o.result for o in outs}
    if len(results - {UNDETERMINED}) > 1:
        return True
    if UNDETERMINED not in results:
        return False
    still_open = next(o for o in outs if o.result == UNDETERMINED)
    others = [q.fact for q in still_open.questions if q.fact != fact]
    if not others:
        return None  # an undetermined count that asks nothing: property 2's business
    inconclusive = False
    for branch in answers(case, 0, others[0]):
        if budget.left <= 0:
            return None
        found = _can_matter(branch, ruleset_id, fact, budget)
        if found:
            return True
        inconclusive = inconclusive or found is None
    return None if inconclusive else False


@pytest.mark.parametrize("ruleset_id", RULESETS)
@FEW
@given(data=st.data())
def test_every_question_can_matter(ruleset_id: str, data: st.DataObject) -> None:
    """A question is only asked if its answer can change the outcome: no caseworker should be
    sent to find out a fact that cannot matter (or one that needs no finding, like the way a
    person took part in an offence that every form of participation leaves on the list).
    Checked by answering the question every way, and, while that leaves the result open,
    answering the other open questions too, until some answers to it give different results
    (it matters) or all give the same determined result (it does not)."""
    single = data.draw(_cases(ruleset_id, max_counts=1), label="case")
    count = _evaluate(single, ruleset_id).counts[0]
    event(f"asks: {bool(count.questions)}")
    if not count.questions:  # determined, or open on a caveat alone: nothing to check
        return
    question = data.draw(st.sampled_from([q.fact for q in count.questions]), label="question")
    verdict = _can_matter(single, ruleset_id, question, _Budget(400))
    event(f"question {question}: {'inconclusive' if verdict is None else verdict}")
    assert verdict is not False, (
        f"count {count.count_id} asks about {question!r}, but no answer to it can change the "
        f"result ({count.reason.en})")


# --- 9. monotonicity of evidence --------------------------------------------------------------

def _evidence_points(case: dict[str, Any]) -> list[tuple[int | None, str]]:
    """(count index or None for the case's facts, fact) of every assessed state of the
    evidence on a finding that favours the person (not one whose truth counts against them,
    such as having acted voluntarily: stronger evidence of that is not evidence for the
    defendant). Evidence not assessed is unknown, not weak: assessing it is learning, which
    may go either way."""
    adverse = adverse_facts()

    def assessed(value: Any) -> bool:
        return isinstance(value, dict) and value["evidence"] != EvidenceLevel.NOT_ASSESSED

    out: list[tuple[int | None, str]] = [
        (None, n) for n, v in (case.get("facts") or {}).items()
        if assessed(v) and n not in adverse]
    for i, count in enumerate(case["counts"]):
        out += [(i, n) for n, v in (count.get("facts") or {}).items()
                if assessed(v) and n not in adverse]
    return out


#: How well each result serves the person, lowest first: learning that the evidence is
#: stronger may move a count up this order, never down.
FAVOUR = {"not_in_force": 0, "excluded_offence": 1, "not_protected": 1, "undetermined": 2,
          "protected": 3}


@pytest.mark.parametrize("ruleset_id", RULESETS)
@per_ruleset()
@given(data=st.data())
def test_more_evidence_never_takes_protection_away(ruleset_id: str,
                                                   data: st.DataObject) -> None:
    """Under an evidential burden (R v MK; R v Gega [2018] EWCA Crim 667), stronger evidence
    for the defendant on an element can only help: raising the state of the evidence on any
    element, without the prosecution disproving anything, never moves a count down the order
    not protected < undetermined < protected. Cases are drawn for the ruleset (acts from its
    commencement, evidence around the level its burden model needs), so that every result,
    protected included, comes up without filtering."""
    rs = nonpunish.load_ruleset(ruleset_id)
    case = data.draw(_cases(ruleset_id, favourable=True, in_force_from=rs.commencement,
                            established_from=rs.spec.burden.finding_true_from), label="case")
    points = _evidence_points(case)
    assume(points)
    chosen = data.draw(st.lists(st.sampled_from(points), min_size=1, max_size=4, unique=True),
                       label="raised")
    stronger = copy.deepcopy(case)
    for where, name in chosen:
        facts = stronger["facts"] if where is None else stronger["counts"][where]["facts"]
        level = EvidenceLevel(facts[name]["evidence"])
        higher = [lv for lv in EvidenceLevel if lv.rank > level.rank]
        if higher:
            facts[name] = {**facts[name],
                           "evidence": data.draw(st.sampled_from(higher)).value}
    before = _by_id(_evaluate(case, ruleset_id))
    after = _by_id(_evaluate(stronger, ruleset_id))
    for count_id, b in before.items():
        a = after[count_id]
        event(f"{b.result} -> {a.result}")
        assert FAVOUR[a.result] >= FAVOUR[b.result], (
            f"count {count_id}: stronger evidence turned {b.result} into {a.result}: "
            f"{a.reason.en}")
