"""Schedule 4 to the Modern Slavery Act 2015, tested from its own data.

Every test here is generated from ``schedule-4.yaml`` and the uk-ew offence catalogue, so a
change to either is checked at once: every listed offence is excluded (s.45(7)); a conditional
entry only when its condition holds; para 37 reaches attempts, conspiracies, secondary
participation and encouraging or assisting, for listed offences only; and, the list being
closed, every catalogue offence not on it leaves the defence to run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import nonpunish
from nonpunish._offences import ListEntry, catalogues

RULESET = "uk-ew/modern-slavery-act-2015/s45"
AS_OF = dt.date(2026, 11, 1)
ACT = dt.date(2020, 6, 1)
BORN = dt.date(1990, 1, 1)

_RULESET = nonpunish.load_ruleset(RULESET)
_LIST = _RULESET.compiled[0].exclusion_list
assert _LIST is not None
SCHEDULE = _LIST
CATALOGUE = catalogues()["uk-ew"]
ENTRIES: list[ListEntry] = list(SCHEDULE.entries)
LISTED = {e.offence for e in ENTRIES}
UNLISTED = sorted(set(CATALOGUE.offences) - LISTED)
CONDITIONAL = [e for e in ENTRIES if e.only_if is not None]
DATED = [e for e in ENTRIES if e.valid_from is not None]
#: The forms of participation para 37 reaches, and the sub-paragraph that reaches each.
ANCILLARY = {mode: anc.paragraph for anc in SCHEDULE.ancillary for mode in anc.participation}
#: An offence that is not listed, for the para 37 negative tests.
NOT_LISTED = "misuse-of-drugs-act-1971/s4-3"


def _id(entry: ListEntry) -> str:
    return f"para{entry.paragraph}:{entry.offence}"


def adult_case(offence: str | dict[str, str], *, participation: str = "principal",
               act_date: dt.date = ACT, **count_facts: Any) -> dict[str, Any]:
    """A case in which every element of the adult limb (s.45(1)) is met, so the only thing
    that can stop the defence is Schedule 4. ``offence`` is a catalogue key (without the
    ``uk-ew/`` prefix) or an ``{statute, section}`` mapping."""
    facts = {
        "compelled": True,
        "compulsion_is_exploitation_conduct": True,
        "compulsion_direct_consequence_of_exploitation": True,
        "reasonable_person_no_realistic_alternative": True,
        **count_facts,
    }
    return {
        "person": {"date_of_birth": BORN},
        "facts": {"victim_of_trafficking": True, "exploitation_types": ["forced_criminality"]},
        "counts": [{
            "id": "1",
            "offence": {"id": f"uk-ew/{offence}"} if isinstance(offence, str) else offence,
            "participation": participation,
            "act_date": act_date,
            "facts": facts,
        }],
    }


def count_of(case: dict[str, Any]) -> nonpunish.CountOutcome:
    return nonpunish.evaluate(case, RULESET, as_of=AS_OF).counts[0]


def _act_date(entry: ListEntry) -> dt.date:
    return max(ACT, entry.valid_from) if entry.valid_from else ACT


def _qualifier(entry: ListEntry, value: bool | None) -> dict[str, Any]:
    return {entry.only_if.fact: value} if entry.only_if is not None else {}


# --- the data itself -------------------------------------------------------------------------

def test_the_list_is_closed_and_complete() -> None:
    assert SCHEDULE.closed
    assert SCHEDULE.valid_from == dt.date(2015, 7, 31)
    # Paragraphs 1 to 36 each list at least one offence; para 37 is the ancillary paragraph.
    assert {e.paragraph for e in ENTRIES} == {str(n) for n in range(1, 37)}
    assert [a.paragraph for a in SCHEDULE.ancillary] == ["37(1)", "37(2)", "37(3)"]


def test_para_37_reaches_every_form_of_participation() -> None:
    assert ANCILLARY == {"attempt": "37(1)", "conspiracy": "37(1)",
                         "aiding_abetting": "37(2)", "encouraging_assisting": "37(3)"}


def test_each_offence_is_listed_once() -> None:
    assert len(LISTED) == len(ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
def test_entry_names_a_catalogue_offence(entry: ListEntry) -> None:
    assert entry.offence in CATALOGUE.offences
    assert nonpunish._offences.catalogue_has(f"uk-ew/{entry.offence}")


# --- listed offences --------------------------------------------------------------------------

@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
def test_listed_offence_is_excluded(entry: ListEntry) -> None:
    count = count_of(adult_case(entry.offence, act_date=_act_date(entry),
                                **_qualifier(entry, True)))
    assert count.result == "excluded_offence", count.reason.en
    assert count.legal_effect is None
    assert count.deciding_elements == ["not-excluded"]
    assert f"para {entry.paragraph}" in count.reason.en
    assert count.exclusion is not None and count.exclusion.excluded is True
    applying = [m for m in count.exclusion.matches if m.applies]
    assert [(m.paragraph, m.offence) for m in applying] == [
        (entry.paragraph, f"uk-ew/{entry.offence}")]
    assert applying[0].via is None
    # Every element of the defence is met: only the exclusion stops it.
    values = {e.id: e.value for e in count.elements}
    assert values["not-excluded"] is False
    assert values["s45-1"] is True
    assert count.questions == []


@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
def test_listed_offence_given_by_statute_and_section_is_excluded(entry: ListEntry) -> None:
    target = CATALOGUE.offences[entry.offence]
    given = {"statute": target.statute, "section": target.section}
    count = count_of(adult_case(given, act_date=_act_date(entry), **_qualifier(entry, True)))
    assert count.result == "excluded_offence", count.reason.en
    assert count.offence.id == f"uk-ew/{entry.offence}"
    assert count.offence.catalogued


# --- conditional entries (only_if) -----------------------------------------------------------

@pytest.mark.parametrize("entry", CONDITIONAL, ids=_id)
def test_conditional_entry_not_excluded_when_condition_false(entry: ListEntry) -> None:
    count = count_of(adult_case(entry.offence, **_qualifier(entry, False)))
    assert count.result == "protected", count.reason.en
    assert count.exclusion is not None and count.exclusion.excluded is False
    (match,) = [m for m in count.exclusion.matches if m.offence == f"uk-ew/{entry.offence}"]
    assert match.condition is False and match.applies is False
    assert match.condition_fact == entry.only_if.fact  # type: ignore[union-attr]
    assert match.wording == entry.wording


@pytest.mark.parametrize("entry", CONDITIONAL, ids=_id)
def test_conditional_entry_open_when_condition_unknown(entry: ListEntry) -> None:
    assert entry.only_if is not None
    count = count_of(adult_case(entry.offence, **_qualifier(entry, None)))
    assert count.result == "undetermined", count.reason.en
    assert count.exclusion is not None and count.exclusion.excluded is None
    assert count.deciding_elements == ["not-excluded"]
    # The condition is the one thing left to ask, and it settles the case.
    assert [(q.fact, q.decisive) for q in count.questions] == [(entry.only_if.fact, True)]
    assert count.questions[0].elements == ["not-excluded"]


@pytest.mark.parametrize("entry", CONDITIONAL, ids=_id)
def test_conditional_entry_unknown_but_defence_fails_anyway(entry: ListEntry) -> None:
    count = count_of(adult_case(entry.offence, compelled=False, **_qualifier(entry, None)))
    assert count.result == "not_protected"
    assert count.questions == []


def test_unconditional_entries_ignore_the_conditions_of_others() -> None:
    # Criminal damage endangering life (s.1(2)) is listed whether or not by fire.
    count = count_of(adult_case("criminal-damage-act-1971/s1-2", criminal_damage_by_fire=False))
    assert count.result == "excluded_offence"


# --- para 37: ancillary liability --------------------------------------------------------------

@pytest.mark.parametrize("mode", sorted(ANCILLARY))
@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
def test_para_37_reaches_listed_offence(entry: ListEntry, mode: str) -> None:
    count = count_of(adult_case(entry.offence, participation=mode, act_date=_act_date(entry),
                                **_qualifier(entry, True)))
    assert count.result == "excluded_offence", count.reason.en
    assert count.participation == mode
    assert count.exclusion is not None
    applying = [m for m in count.exclusion.matches if m.applies]
    assert [(m.paragraph, m.via) for m in applying] == [(entry.paragraph, ANCILLARY[mode])]
    assert f"para {entry.paragraph} with {ANCILLARY[mode]}" in count.reason.en


@pytest.mark.parametrize("mode", ["principal", *sorted(ANCILLARY)])
def test_para_37_does_not_reach_unlisted_offence(mode: str) -> None:
    count = count_of(adult_case(NOT_LISTED, participation=mode))
    assert count.result == "protected", count.reason.en
    assert count.exclusion is not None
    assert count.exclusion.excluded is False and count.exclusion.matches == []


@pytest.mark.parametrize("entry", CONDITIONAL, ids=_id)
def test_para_37_with_condition_false(entry: ListEntry) -> None:
    """Attempting a form of the offence that is not listed (e.g. attempted burglary with
    intent to steal) is not reached by para 37 either."""
    count = count_of(adult_case(entry.offence, participation="attempt",
                                **_qualifier(entry, False)))
    assert count.result == "protected"


def test_participation_not_given_is_not_asked() -> None:
    """Schedule 4 reaches every form of participation, so when it is not given it is
    neither needed nor asked."""
    case = adult_case("theft-act-1968/s9")
    del case["counts"][0]["participation"]
    count = count_of(case)
    assert count.result == "undetermined"
    assert [q.fact for q in count.questions] == ["burglary_with_intent_to_cause_gbh_or_damage"]
    case = adult_case("common-law/murder")
    del case["counts"][0]["participation"]
    assert count_of(case).result == "excluded_offence"


# --- the list is closed ---------------------------------------------------------------------

@pytest.mark.parametrize("key", UNLISTED)
def test_offence_not_on_the_list_is_not_excluded(key: str) -> None:
    count = count_of(adult_case(key))
    assert count.result == "protected", count.reason.en
    assert count.legal_effect == "not_guilty"
    assert count.exclusion is not None
    assert count.exclusion.excluded is False
    assert count.exclusion.matches == []
    assert count.exclusion.closed


# --- dated entries ------------------------------------------------------------------------------

def test_s67a_is_the_only_dated_entry() -> None:
    assert [(e.offence, e.valid_from) for e in DATED] == [
        ("sexual-offences-act-2003/s67A", dt.date(2019, 4, 12))]


@pytest.mark.parametrize("entry", DATED, ids=_id)
def test_dated_entry_applies_from_its_date(entry: ListEntry) -> None:
    assert entry.valid_from is not None
    day_before = entry.valid_from - dt.timedelta(days=1)
    before = count_of(adult_case(entry.offence, act_date=day_before, **_qualifier(entry, True)))
    assert before.result == "protected"
    assert before.exclusion is not None and before.exclusion.excluded is False
    on = count_of(adult_case(entry.offence, act_date=entry.valid_from,
                             **_qualifier(entry, True)))
    assert on.result == "excluded_offence"


@pytest.mark.parametrize("entry", DATED, ids=_id)
def test_dated_entry_with_act_date_across_its_date(entry: ListEntry) -> None:
    assert entry.valid_from is not None
    span = {"earliest": entry.valid_from - dt.timedelta(days=10),
            "latest": entry.valid_from + dt.timedelta(days=10)}
    case = adult_case(entry.offence, **_qualifier(entry, True))
    case["counts"][0]["act_date"] = span
    count = count_of(case)
    assert count.result == "undetermined"
    assert [s.result for s in count.scenarios] == ["protected", "excluded_offence"]
    assert [(q.fact, q.decisive) for q in count.questions] == [("act_date", True)]
    assert "date-straddles-boundary" in {c.id for c in count.caveats}


def test_date_of_an_entry_does_not_split_other_offences() -> None:
    """The 2019 insertion of s.67A changes nothing for other offences: an act date across
    it is not a question and no straddling caveat is shown."""
    case = adult_case(NOT_LISTED)
    case["counts"][0]["act_date"] = {"earliest": dt.date(2019, 1, 1),
                                     "latest": dt.date(2019, 12, 31)}
    count = count_of(case)
    assert count.result == "protected"
    assert count.scenarios == []
    assert "date-straddles-boundary" not in {c.id for c in count.caveats}


# --- offences given by statute and section ---------------------------------------------------

def test_uncatalogued_offence_is_not_excluded_but_flagged() -> None:
    count = count_of(adult_case({"statute": "Made-up Act 2020", "section": "3"}))
    assert count.result == "protected"
    assert not count.offence.catalogued
    assert count.exclusion is not None and count.exclusion.excluded is False
    assert count.exclusion.matched_by == "statute_and_section"
    assert "uncatalogued-offence" in {c.id for c in count.caveats}


def test_subsection_of_a_listed_section_matches_the_entry() -> None:
    count = count_of(adult_case({"statute": "Theft Act 1968", "section": "9(1)(a)"},
                                burglary_with_intent_to_cause_gbh_or_damage=True))
    assert count.result == "excluded_offence"
    assert count.exclusion is not None
    assert [m.offence for m in count.exclusion.matches] == ["uk-ew/theft-act-1968/s9"]


def test_offence_given_more_coarsely_than_the_list_is_not_cleared() -> None:
    """Criminal Damage Act 1971 'section 1' may be arson under s.1(3) or s.1(2): open,
    with a caveat that says why, never silently "not excluded"."""
    count = count_of(adult_case({"statute": "Criminal Damage Act 1971", "section": "1"},
                                criminal_damage_by_fire=True))
    assert count.exclusion is not None
    assert count.exclusion.excluded is None
    assert count.result == "undetermined"
    assert "offence-given-broadly" in {c.id for c in count.caveats}
