"""Shared Hypothesis strategies: valid cases, in the mapping form a caller passes to
``nonpunish.evaluate``, so every example goes through validation.

Everything is driven by the data the library ships, so a new fact, a new offence or a new
ruleset is covered without touching this file:

* the fact vocabulary (``rulesets/facts.yaml``) gives the facts, their types and their values;
* the offence catalogues give the offence ids, and the exclusion lists say which are listed
  (and which only under a condition);
* the shipped rulesets give the dates on which the law changes and the age thresholds.

Cases respect :func:`nonpunish._case.check_case`: no act before birth, nothing after
:data:`AS_OF`, unique count ids, no date of birth together with an age. Dates cluster around the
boundaries that matter (commencement, a list entry's insertion, 18th birthdays, 29 February).

:func:`refinements` turns a case into a *more informed* copy of itself: an unknown fact given a
definite value, or a date or age range narrowed. A determined result must survive it.

Public strategies: :func:`finding_values`, :func:`fact_values`, :func:`facts_for`,
:func:`offence_refs`, :func:`dates`, :func:`date_ranges`, :func:`dates_of_birth`,
:func:`persons`, :func:`counts`, :func:`cases`, :func:`refinements`.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st

import nonpunish
from nonpunish._case import EvidenceLevel
from nonpunish._dates import EARLIEST, age_on, birthday_of_age
from nonpunish._offences import catalogues
from nonpunish._vocabulary import FactSpec, vocabulary

#: "Today" for every generated case: nothing may happen after it.
AS_OF = dt.date(2026, 11, 1)
#: Earliest date generated (a date of birth); old enough for any age, recent enough that no
#: one is over 120 at an act.
FIRST_DATE = dt.date(1935, 1, 1)
LEVELS: tuple[EvidenceLevel, ...] = tuple(EvidenceLevel)
UNKNOWN_VALUES: tuple[Any, ...] = (None, "unknown")
LEAP_DOBS = tuple(dt.date(y, 2, 29) for y in range(1960, 2025, 4))

Case = dict[str, Any]


# --- what the library ships ---------------------------------------------------------------

@cache
def ruleset_ids() -> tuple[str, ...]:
    return tuple(info.id for info in nonpunish.list_rulesets())


def per_ruleset(share: int = 1, *, floor: int = 15) -> settings:
    """Settings for a property that runs once per shipped ruleset and variant: the profile's
    example budget spread over them (three times the profile's count in all, divided by
    ``share`` for heavier properties), at least ``floor`` examples each. Filtering is not
    relied on: strategies are drawn for what a property needs, and the too-much-filtering
    health check stays on."""
    n = max(1, len(ruleset_ids()))
    return settings(max_examples=max(floor, settings.default.max_examples * 3 // (n * share)),
                    suppress_health_check=[HealthCheck.too_slow])


@cache
def _rulesets() -> tuple[nonpunish.Ruleset, ...]:
    return tuple(nonpunish.load_ruleset(rid) for rid in ruleset_ids())


@cache
def boundary_dates() -> tuple[dt.date, ...]:
    """Every date on which some shipped ruleset changes (commencement, new versions,
    exclusion-list entries), plus the two the brief names."""
    out = {dt.date(2015, 7, 31), dt.date(2019, 4, 12)}
    for rs in _rulesets():
        out |= rs.boundaries()
    return tuple(sorted(d for d in out if FIRST_DATE <= d <= AS_OF))


@cache
def first_commencement() -> dt.date:
    return min((rs.commencement for rs in _rulesets()), default=FIRST_DATE)


@cache
def age_thresholds() -> tuple[int, ...]:
    out = {18}
    for rs in _rulesets():
        out |= rs.age_thresholds()
    return tuple(sorted(out))


def _vocab() -> dict[str, FactSpec]:
    return vocabulary().facts


@cache
def facts_in_mapping(scope: str | None = None) -> tuple[str, ...]:
    """Names of the facts given in a ``facts`` mapping (not ``given_as``), of one scope."""
    return tuple(n for n, s in _vocab().items()
                 if s.given_as is None and (scope is None or s.scope == scope))


@cache
def _jurisdictions() -> tuple[str, ...]:
    return tuple(sorted(catalogues()))


@cache
def _listed_offences(jurisdiction: str) -> tuple[frozenset[str], frozenset[str]]:
    """Keys in ``jurisdiction``'s catalogue that an exclusion list names outright, and those
    it names only under a condition (``only_if``)."""
    listed: set[str] = set()
    conditional: set[str] = set()
    for rs in _rulesets():
        for cv in rs.compiled:
            xl = cv.exclusion_list
            if xl is None or xl.catalogue != jurisdiction:
                continue
            for entry in xl.entries:
                (conditional if entry.only_if is not None else listed).add(entry.offence)
    return frozenset(listed), frozenset(conditional - listed)


@cache
def exclusion_condition_facts() -> frozenset[str]:
    """Facts that put an offence on an exclusion list (``only_if``): for the person, a
    favourable value of these is *false*."""
    return frozenset(entry.only_if.fact for rs in _rulesets() for cv in rs.compiled
                     if cv.exclusion_list is not None
                     for entry in cv.exclusion_list.entries if entry.only_if is not None)


@cache
def adverse_facts() -> frozenset[str]:
    """Findings whose truth counts against the person somewhere: the conditions that put an
    offence on a list, and the findings some ruleset tests under a ``not`` (acted
    voluntarily, a serious or violent felony, punishment indispensable). A favourable case
    leans toward *false* for these."""
    out = set(exclusion_condition_facts())
    for rs in _rulesets():
        for cv in rs.compiled:
            stack, seen = [(cv.root, True)], set()
            while stack:
                i, positive = stack.pop()
                if (i, positive) in seen:
                    continue
                seen.add((i, positive))
                node = cv.nodes[i]
                if node.op == "leaf":
                    if not positive and node.leaf is not None and node.leaf[0] == "fact":
                        out.add(node.leaf[1])
                else:
                    flip = node.op == "not"
                    stack.extend((c, positive != flip) for c in node.children)
    return frozenset(out)


# --- facts ----------------------------------------------------------------------------------

@cache
def evidence(*, levels: Sequence[EvidenceLevel] = LEVELS,
             disproved: st.SearchStrategy[bool] | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """A state of the evidence, as a mapping: ``{"evidence": level, "disproved": bool}``."""
    return st.fixed_dictionaries(
        {"evidence": st.sampled_from([lv.value for lv in levels])},
        optional={"disproved": disproved if disproved is not None else st.booleans(),
                  "source": st.sampled_from(["witness statement", "NRM referral", "x" * 500])},
    )


@cache
def finding_values(*, favourable: bool = False,
                   established_from: EvidenceLevel = EvidenceLevel.EVIDENCE_RAISED
                   ) -> st.SearchStrategy[Any]:
    """A value for a ``finding`` fact that takes evidence: true, false, null, "unknown", or a
    state of the evidence at every level, disproved or not (facts with ``evidence: false``
    take the first four only; see :func:`fact_values`). ``favourable`` leans toward values a burden
    model reads as true (so that protected outcomes are common enough to test)."""
    if favourable:
        strong = tuple(lv for lv in LEVELS if lv.rank >= established_from.rank)
        return st.one_of(
            st.just(True),
            evidence(levels=strong, disproved=st.just(False)),
            evidence(levels=strong, disproved=st.just(False)),
            finding_values(),
        )
    return st.one_of(
        st.sampled_from([True, False, *UNKNOWN_VALUES]),
        evidence(),
    )


@cache
def definite_finding_values() -> st.SearchStrategy[Any]:
    """A finding value that is not unknown in any form: true, false, or a state of the
    evidence that has been assessed (or disproved)."""
    assessed = tuple(lv for lv in LEVELS if lv != EvidenceLevel.NOT_ASSESSED)
    return st.one_of(
        st.booleans(),
        evidence(levels=assessed),
        st.just({"evidence": EvidenceLevel.NOT_ASSESSED.value, "disproved": True}),
    )


@cache
def fact_values(name: str, *, favourable: bool = False,
                established_from: EvidenceLevel = EvidenceLevel.EVIDENCE_RAISED,
                definite: bool = False) -> st.SearchStrategy[Any]:
    """A type-correct value for the vocabulary fact ``name``. ``definite`` leaves out every
    unknown form (null, "unknown", evidence not assessed and not disproved)."""
    spec = _vocab()[name]
    if spec.type == "finding" and not getattr(spec, "evidence", True):
        # A fact about what is charged takes a finding only, never a state of the evidence.
        plain = (True, False) if definite else (True, False, *UNKNOWN_VALUES)
        if favourable and name in adverse_facts():
            return st.sampled_from((False, False, *plain))
        if favourable:
            return st.sampled_from((True, True, *plain))
        return st.sampled_from(plain)
    if spec.type == "finding" and definite:
        return definite_finding_values()
    if favourable and name in adverse_facts():
        return st.one_of(st.just(False), st.just(False), finding_values())
    if spec.type == "finding":
        return finding_values(favourable=favourable, established_from=established_from)
    if spec.type == "choice":
        known: st.SearchStrategy[Any] = st.sampled_from(spec.values)
    elif spec.type == "set":
        known = st.lists(st.sampled_from(spec.values), unique=True,
                         min_size=1 if favourable else 0, max_size=len(spec.values))
    else:
        raise ValueError(f"fact {name!r} of type {spec.type} is not given in `facts`")
    if definite:
        return known
    if favourable:
        return st.one_of(known, known, st.sampled_from(UNKNOWN_VALUES))
    return st.one_of(known, st.sampled_from(UNKNOWN_VALUES))


@cache
def facts_for(scope: str | None = None, *, complete: bool = False,
              favourable: bool = False,
              established_from: EvidenceLevel = EvidenceLevel.EVIDENCE_RAISED
              ) -> st.SearchStrategy[dict[str, Any]]:
    """A ``facts`` mapping over the vocabulary's facts of ``scope`` ("person", "count", or
    None for both). ``complete`` gives every such fact (some may still be unknown)."""
    names = facts_in_mapping(scope)
    strategies = {n: fact_values(n, favourable=favourable, established_from=established_from)
                  for n in names}
    if complete:
        return st.fixed_dictionaries(strategies)
    return st.fixed_dictionaries({}, optional=strategies)


def is_unknown(value: Any) -> bool:
    """True for every way a case can leave a fact unknown."""
    if value is None or value == "unknown":
        return True
    if isinstance(value, dict) and "evidence" in value:
        return (value["evidence"] == EvidenceLevel.NOT_ASSESSED.value
                and not value.get("disproved", False))
    return False


# --- offences -------------------------------------------------------------------------------

def _section_forms(section: str) -> list[str]:
    if not section[:1].isdigit():
        return [section]
    return [section, f"s.{section}", f"section {section}", f"s {section}", f"{section}(1)"]


@st.composite
def _by_statute(draw: st.DrawFn, jurisdiction: str, keys: tuple[str, ...]) -> dict[str, Any]:
    entry = catalogues()[jurisdiction].offences[draw(st.sampled_from(keys))]
    statute = draw(st.sampled_from([entry.statute, entry.statute.upper(),
                                    f"The {entry.statute}"]))
    ref = {"statute": statute, "section": draw(st.sampled_from(_section_forms(entry.section)))}
    if draw(st.booleans()):
        ref["title"] = entry.title
    return ref


@cache
def offence_refs(jurisdiction: str | None = None, *,
                 favourable: bool = False,
              established_from: EvidenceLevel = EvidenceLevel.EVIDENCE_RAISED
              ) -> st.SearchStrategy[dict[str, Any]]:
    """An ``offence`` mapping: mostly a catalogue id (``<jurisdiction>/<key>``), with listed,
    conditionally listed and unlisted offences equally likely; sometimes the statute and
    section of a catalogued offence written as a caller might; rarely an offence no catalogue
    knows. ``favourable`` leans toward offences no exclusion list names."""
    jurisdictions = [jurisdiction] if jurisdiction else list(_jurisdictions())
    options: list[st.SearchStrategy[dict[str, Any]]] = []
    for j in jurisdictions:
        cat = catalogues()[j]
        listed, conditional = _listed_offences(j)
        unlisted = tuple(sorted(set(cat.offences) - listed - conditional))
        # Conditionally listed offences (burglary only with intent to cause GBH...) are few
        # but the most intricate, so they get as much weight as the whole list.
        groups = [(unlisted, 6)] if favourable else [
            (tuple(sorted(listed)), 2), (tuple(sorted(conditional)), 2), (unlisted, 3)]
        for keys, weight in groups:
            if keys:
                options += [st.sampled_from([{"id": cat.full_id(k)} for k in keys])] * weight
                options.append(_by_statute(j, keys))
    options.append(st.just({"statute": "Imaginary Offences Act 2001", "section": "3",
                            "title": "An offence no catalogue lists"}))
    # Choose the group first (uniformly over the weighted list), then the offence.
    return st.sampled_from(options).flatmap(lambda strategy: strategy)


# --- dates and ages -------------------------------------------------------------------------

def _clip(day: dt.date, lo: dt.date, hi: dt.date) -> dt.date:
    return min(max(day, lo), hi)


_INDEX = st.integers(0, 2**16)
_NEAR_OFFSET = st.integers(-2, 1)


@st.composite
def dates(draw: st.DrawFn, lo: dt.date = FIRST_DATE, hi: dt.date = AS_OF,
          anchors: Iterable[dt.date] = ()) -> dt.date:
    """A date in [lo, hi], often within a few days of a boundary (when the law changes, or
    an ``anchor`` such as an 18th birthday)."""
    assert lo <= hi, (lo, hi)
    # Built from a few fixed strategies: constructing strategies per draw is slow.
    if draw(st.booleans()):
        near = sorted({d for d in (*boundary_dates(), *anchors) if lo <= d <= hi} | {lo, hi})
        day = near[draw(_INDEX) % len(near)] + dt.timedelta(days=draw(_NEAR_OFFSET))
        return _clip(day, lo, hi)
    return lo + dt.timedelta(days=draw(st.integers(0, (hi - lo).days)))


@st.composite
def date_ranges(draw: st.DrawFn, lo: dt.date = FIRST_DATE, hi: dt.date = AS_OF,
                anchors: Iterable[dt.date] = (), *, open_ends: bool = True) -> dict[str, Any]:
    """A ``DateRange`` mapping inside [lo, hi]: both ends, or (``open_ends``) just one."""
    anchors = tuple(anchors)
    a = draw(dates(lo, hi, anchors))
    b = draw(dates(lo, hi, anchors))
    a, b = min(a, b), max(a, b)
    form = draw(st.sampled_from(["both", "earliest", "latest"] if open_ends else ["both"]))
    if form == "earliest":
        return {"earliest": a}
    if form == "latest":
        return {"latest": b}
    return {"earliest": a, "latest": b}


@cache
def dates_of_birth() -> st.SearchStrategy[dt.date]:
    """Dates of birth that make the age thresholds interesting: a threshold birthday near a
    date on which the law changes, a 29 February, or any date."""
    def turning(boundary: dt.date, age: int, days: int) -> dt.date:
        born = boundary - dt.timedelta(days=days)
        try:
            born = born.replace(year=born.year - age)
        except ValueError:  # 29 February
            born = dt.date(born.year - age, 3, 1)
        return _clip(born, FIRST_DATE, AS_OF)  # a boundary near the as-of date, at age 0

    return st.one_of(
        st.builds(turning, st.sampled_from(boundary_dates()), st.sampled_from(age_thresholds()),
                  st.integers(-400, 400)),
        st.sampled_from(LEAP_DOBS),
        coming_of_age(),
        coming_of_age(),
        coming_of_age(),
        st.dates(dt.date(1990, 1, 1), dt.date(2012, 12, 31)),
        st.dates(FIRST_DATE, AS_OF),
    )


@cache
def coming_of_age() -> st.SearchStrategy[dt.date]:
    """Dates of birth of people who turned 18 while some shipped provision was in force: their
    limb depends on the act date, so an unknown or ranged act date splits the evaluation."""
    return st.dates(_years_before(first_commencement(), 18), _years_before(AS_OF, 18))


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return dt.date(day.year - years, 3, 1)


@cache
def ages() -> st.SearchStrategy[int]:
    near = sorted({a for t in age_thresholds() for a in (t - 1, t, t + 1) if 0 <= a <= 120})
    return st.one_of(st.sampled_from(near), st.integers(0, 120))


@st.composite
def age_ranges(draw: st.DrawFn) -> dict[str, int]:
    a, b = draw(ages()), draw(ages())
    return {"min": min(a, b), "max": max(a, b)}


@st.composite
def persons(draw: st.DrawFn) -> dict[str, Any]:
    """A ``person`` mapping: a date of birth (exact or a range), an age at the act (exact or
    a range), or nothing. Never both a date of birth and an age."""
    # Ranges of one day are drawn often: they are exact dates in another form, and every
    # stage must read them as such (a one-day date of birth once got other questions from a
    # table than from the single-case evaluator).
    form = draw(st.sampled_from(["nothing", "age", "age_range", "dob", "dob_range",
                                 "dob_one_day", "dob_one_day", "dob_one_day", "dob_one_day"]))
    if form == "dob":
        return {"date_of_birth": draw(dates_of_birth())}
    if form == "dob_one_day":
        # A range whose first and last day are the same is an exact date in another form;
        # every stage must read it as one. Drawn where it matters most: a person who came of
        # age while some provision was in force, whose limb turns on the date.
        day = draw(coming_of_age())
        return {"date_of_birth": {"earliest": day, "latest": day}}
    if form == "dob_range":
        a = draw(dates_of_birth())
        b = draw(st.one_of(dates_of_birth(),
                           st.builds(lambda d, n: _clip(d + dt.timedelta(days=n), FIRST_DATE,
                                                        AS_OF),
                                     st.just(a), st.integers(-800, 800))))
        a, b = min(a, b), max(a, b)
        form2 = draw(st.sampled_from(["both", "both", "earliest", "latest"]))
        rng = {"earliest": a, "latest": b}
        if form2 != "both":
            del rng["latest" if form2 == "earliest" else "earliest"]
        return {"date_of_birth": rng}
    if form == "age":
        return {"age_at_act": draw(ages())}
    if form == "age_range":
        age_range = draw(age_ranges())
        if draw(st.integers(0, 3)) == 3:  # a range of one year is that age
            age_range["max"] = age_range["min"]
        return {"age_at_act": age_range}
    return {}


def bounds(value: Any, lo: dt.date | None = None,
           hi: dt.date | None = None) -> tuple[dt.date | None, dt.date | None]:
    """(earliest, latest) of a date or a DateRange mapping; ``lo``/``hi`` for open ends."""
    if value is None:
        return lo, hi
    if isinstance(value, dt.date):
        return value, value
    return value.get("earliest") or lo, value.get("latest") or hi


def _birthdays(person: dict[str, Any]) -> list[dt.date]:
    """Threshold birthdays (and the eves) for an exact or ranged date of birth."""
    out = []
    dob_lo, dob_hi = bounds(person.get("date_of_birth"))
    for born in {d for d in (dob_lo, dob_hi) if d is not None}:
        for t in age_thresholds():
            day = birthday_of_age(born, t)
            out += [day, day - dt.timedelta(days=1)]
    return out


_ACT_WINDOW_STARTS = st.sampled_from([dt.date(2010, 1, 1), FIRST_DATE])


@cache
def _ids() -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(["1", "2", "3", "A", "count 4", "ä"]),
                    min_size=1, max_size=3, unique=True)


@st.composite
def counts(draw: st.DrawFn, person: dict[str, Any] | None = None, count_id: str = "1",
           *, jurisdiction: str | None = None, favourable: bool = False,
           in_force_from: dt.date | None = None,
           established_from: EvidenceLevel = EvidenceLevel.EVIDENCE_RAISED) -> dict[str, Any]:
    """A ``count`` mapping consistent with ``person``: offence, perhaps participation and
    conduct, an act date (exact, a range, or unknown) not before birth, perhaps a decision
    date after the act, perhaps its own age (only if the person has no date of birth), and
    facts about the act."""
    person = person or {}
    vocab = _vocab()
    count: dict[str, Any] = {"id": count_id,
                             "offence": draw(offence_refs(jurisdiction, favourable=favourable))}
    for field in ("participation", "conduct"):
        if field in vocab and draw(st.booleans()):
            count[field] = draw(st.sampled_from(vocab[field].values))
    dob_lo, _ = bounds(person.get("date_of_birth"))
    # With no date of birth to start from, most acts are recent, as most cases are.
    first = dob_lo or draw(_ACT_WINDOW_STARTS)
    anchors = _birthdays(person)
    if favourable:  # mostly acts the law reaches
        first = max(first, in_force_from or first_commencement())
    form = draw(st.sampled_from(["date", "date", "range", "one_day", "none", "none", "none"]))
    if form == "date":
        count["act_date"] = draw(dates(min(first, AS_OF), AS_OF, anchors))
    elif form == "one_day":
        day = draw(dates(min(first, AS_OF), AS_OF, anchors))
        count["act_date"] = {"earliest": day, "latest": day}
    elif form == "range":
        count["act_date"] = draw(date_ranges(min(first, AS_OF), AS_OF, anchors,
                                             open_ends=not favourable))
    act_lo, act_hi = bounds(count.get("act_date"))
    if act_lo is not None and act_hi is not None and draw(st.integers(0, 3)) == 3:
        count["decision_date"] = draw(dates(act_hi, AS_OF))
    if "date_of_birth" not in person and draw(st.integers(0, 3)) == 3:
        count["age_at_act"] = draw(st.one_of(ages(), age_ranges()))
    count["facts"] = draw(facts_for("count", complete=favourable, favourable=favourable,
                                    established_from=established_from))
    if not count["facts"] and draw(st.booleans()):
        del count["facts"]
    return count


@st.composite
def cases(draw: st.DrawFn, *, jurisdiction: str | None = None,
          favourable: bool | None = None, max_counts: int = 3,
          in_force_from: dt.date | None = None,
          established_from: EvidenceLevel = EvidenceLevel.EVIDENCE_RAISED) -> Case:
    """A valid case mapping with one to ``max_counts`` counts. ``favourable`` (drawn if None)
    gives every fact, leaning toward values that satisfy the elements, so that protected
    outcomes are common; its acts are mostly done from ``in_force_from`` (a ruleset's
    commencement; by default the earliest of any shipped ruleset), and its evidence mostly
    reaches ``established_from`` (the level at which a ruleset's burden model finds an
    element established)."""
    if favourable is None:
        favourable = draw(st.integers(0, 2)) == 2
    person = draw(persons())
    ids = draw(_ids())[:max_counts]
    case: Case = {
        "person": person,
        "facts": draw(facts_for("person", complete=favourable, favourable=favourable,
                                established_from=established_from)),
        "counts": [draw(counts(person, i, jurisdiction=jurisdiction, favourable=favourable,
                               in_force_from=in_force_from,
                               established_from=established_from))
                   for i in ids],
    }
    # Findings about the acts may also be given once, for every count.
    shared = draw(facts_for("count"))
    for name, value in shared.items():
        case["facts"].setdefault(name, value)
    if draw(st.integers(0, 3)) == 3:
        case["case_id"] = draw(st.sampled_from(["R v A", "2026/0001", "ç"]))
    if draw(st.integers(0, 4)) == 4:
        case["competent_authority"] = [draw(st.fixed_dictionaries({
            "stage": st.sampled_from(["reasonable_grounds", "conclusive_grounds"]),
            "outcome": st.sampled_from(["positive", "negative", "pending"]),
        }))]
    if not person and draw(st.booleans()):
        del case["person"]
    return case


# --- refinements ----------------------------------------------------------------------------

def _effective(case: Case, count: dict[str, Any], name: str) -> Any:
    facts = count.get("facts") or {}
    if name in facts:
        return facts[name]
    return (case.get("facts") or {}).get(name)


def unknowns(case: Case) -> list[tuple[Any, ...]]:
    """Every point at which ``case`` leaves something open that a refinement can settle."""
    out: list[tuple[Any, ...]] = []
    vocab = _vocab()
    for name in facts_in_mapping():
        if is_unknown((case.get("facts") or {}).get(name)):
            out.append(("case_fact", name))
    person = case.get("person") or {}
    dob = person.get("date_of_birth")
    for i, count in enumerate(case["counts"]):
        for name in facts_in_mapping():
            if is_unknown(_effective(case, count, name)):
                out.append(("count_fact", i, name))
        for field in ("participation", "conduct"):
            if field in vocab and count.get(field) is None:
                out.append(("count_field", i, field))
        if not isinstance(count.get("act_date"), dt.date):
            out.append(("act_date", i))
        if dob is None and not isinstance(_count_age(case, count), int):
            out.append(("count_age", i))
    if isinstance(dob, dict):
        out.append(("dob",))
    if dob is None and "age_at_act" not in person and not any(
            "age_at_act" in c for c in case["counts"]):
        out.append(("add_dob",))
    if isinstance(person.get("age_at_act"), dict):
        out.append(("person_age",))
    return out


def _count_age(case: Case, count: dict[str, Any]) -> Any:
    if "age_at_act" in count:
        return count["age_at_act"]
    return (case.get("person") or {}).get("age_at_act")


@st.composite
def _narrow_dates(draw: st.DrawFn, lo: dt.date, hi: dt.date, keep_open_lo: bool,
                  keep_open_hi: bool, anchors: Sequence[dt.date] = ()) -> Any:
    """A sub-range of [lo, hi], or a point in it; an open end may stay open."""
    a = draw(dates(lo, hi, anchors))
    if draw(st.booleans()):
        return a
    b = draw(dates(lo, hi, anchors))
    a, b = min(a, b), max(a, b)
    out: dict[str, Any] = {"earliest": a, "latest": b}
    if keep_open_lo and draw(st.booleans()):
        del out["earliest"]
    elif keep_open_hi and draw(st.booleans()):
        del out["latest"]
    return out


@st.composite
def _narrow_age(draw: st.DrawFn, lo: int, hi: int) -> Any:
    near = [a for t in age_thresholds() for a in (t - 1, t) if lo <= a <= hi] or [lo]
    a = draw(st.one_of(st.sampled_from(near), st.integers(lo, hi)))
    if draw(st.booleans()):
        return a
    b = draw(st.one_of(st.sampled_from(near), st.integers(lo, hi)))
    return {"min": min(a, b), "max": max(a, b)}


def _min_act_hi(case: Case) -> dt.date:
    """The latest date a date of birth may take: not after any act (nor after as-of)."""
    his = [bounds(c.get("act_date"), None, AS_OF)[1] for c in case["counts"]
           if c.get("act_date") is not None]
    return min([AS_OF, *[h for h in his if h is not None]])


def _apply(draw: st.DrawFn, case: Case, point: tuple[Any, ...]) -> None:
    kind = point[0]
    vocab = _vocab()
    person = case.setdefault("person", {})
    if kind == "case_fact":
        case.setdefault("facts", {})[point[1]] = draw(fact_values(point[1], definite=True))
    elif kind == "count_fact":
        count = case["counts"][point[1]]
        if not is_unknown(_effective(case, count, point[2])):
            return  # an earlier refinement settled it
        count.setdefault("facts", {})[point[2]] = draw(fact_values(point[2], definite=True))
    elif kind == "count_field":
        case["counts"][point[1]][point[2]] = draw(st.sampled_from(vocab[point[2]].values))
    elif kind == "act_date":
        count = case["counts"][point[1]]
        value = count.get("act_date")
        if isinstance(value, dt.date):
            return
        lo, hi = bounds(value)
        dob_lo, _ = bounds(person.get("date_of_birth"))
        # Stay valid: not before birth, not after the decision (nor as-of).
        new_lo = max(lo or FIRST_DATE, dob_lo or FIRST_DATE)
        new_hi = min(hi or AS_OF, count.get("decision_date") or AS_OF)
        if new_lo > new_hi:
            return
        count["act_date"] = draw(_narrow_dates(
            new_lo, new_hi, keep_open_lo=lo is None and dob_lo is None,
            keep_open_hi=hi is None and "decision_date" not in count,
            anchors=_birthdays(person)))
    elif kind == "count_age":
        count = case["counts"][point[1]]
        if "date_of_birth" in person:
            return
        age = _count_age(case, count)
        lo, hi = (0, 120) if age is None else (age["min"], age["max"]) if isinstance(
            age, dict) else (age, age)
        if lo == hi:
            return
        count["age_at_act"] = draw(_narrow_age(lo, hi))
    elif kind == "person_age":
        age = person.get("age_at_act")
        if isinstance(age, dict):
            person["age_at_act"] = draw(_narrow_age(age["min"], age["max"]))
    elif kind in ("dob", "add_dob"):
        if kind == "add_dob" and ("age_at_act" in person
                                  or any("age_at_act" in c for c in case["counts"])):
            return
        lo, hi = bounds(person.get("date_of_birth"))
        if isinstance(person.get("date_of_birth"), dt.date):
            return
        new_lo = lo or FIRST_DATE
        new_hi = min(hi or AS_OF, _min_act_hi(case))
        if new_lo > new_hi:
            return
        person["date_of_birth"] = draw(_narrow_dates(
            new_lo, new_hi, keep_open_lo=False, keep_open_hi=False))
    else:  # pragma: no cover
        raise AssertionError(point)


@st.composite
def refinements(draw: st.DrawFn, case: Case, *, max_steps: int = 3,
                complete: bool | None = None) -> Case:
    """A copy of ``case`` that knows more: one or more unknown facts (absent, null,
    "unknown", or evidence not assessed) given a definite value, or a date or age range (an
    absent one counting as unbounded) narrowed to a sub-range or a point. Up to ``max_steps``
    of them, or (``complete``; drawn if None) every one at once, which completes the case
    as far as one refinement step can. Rejects the example if nothing in ``case`` is open."""
    points = unknowns(case)
    assume(points)
    if complete is None:
        complete = draw(st.booleans())
    if complete:
        chosen = points
    else:
        chosen = draw(st.lists(st.sampled_from(points), min_size=1, max_size=max_steps,
                               unique=True))
    refined = copy.deepcopy(case)
    for point in chosen:
        _apply(draw, refined, point)
    assume(refined != case)
    return refined


# --- answering one question -----------------------------------------------------------------

def answers(case: Case, count_index: int, fact: str) -> list[Case]:
    """Copies of ``case`` in which the question about ``fact`` is answered for one count,
    one copy per representative answer. Representative: for a finding, true and false; for a
    choice, every value; for a set, none and each single value (enough for any
    ``includes_any`` test); for the age, each side of every threshold the case allows; for
    the act date, each side of every boundary inside the range; for the date of birth, each
    side of every threshold birthday an act may fall on. Every copy is a refinement of
    ``case`` that keeps everything it gave, so a question the case cannot take as it stands
    (an age beside a date of birth) fails here."""
    spec = _vocab()[fact]
    count = case["counts"][count_index]

    def with_count(**changes: Any) -> Case:
        new = copy.deepcopy(case)
        new["counts"][count_index].update(changes)
        return new

    if spec.given_as is None:
        values: list[Any]
        if spec.type == "finding":
            values = [True, False]
        elif spec.type == "choice":
            values = list(spec.values)
        else:
            values = [[], *[[v] for v in spec.values]]
        return [with_count(facts={**(count.get("facts") or {}), fact: v}) for v in values]
    if fact in ("participation", "conduct"):
        return [with_count(**{fact: v}) for v in spec.values]
    if fact == "offence_category":
        # Asked only of an offence the catalogue does not know (by statute and section).
        return [with_count(offence={**count["offence"], "category": v}) for v in spec.values]
    if fact == "act_date":
        return [with_count(act_date=d) for d in _act_date_answers(case, count)]
    if fact == "age_at_act":
        # Given as the count's age. A case with a date of birth cannot take an age beside it
        # (``age_source``): the age is then asked as the act date or the date of birth.
        person = case.get("person") or {}
        assert person.get("date_of_birth") is None, (
            "age_at_act asked of a case that gives a date of birth")
        return [with_count(age_at_act=age) for age in _age_answers(case, count)]
    if fact == "date_of_birth":
        out = []
        for born in _dob_answers(case):
            new = copy.deepcopy(case)
            new["person"] = {**(case.get("person") or {}), "date_of_birth": born}
            out.append(new)
        return out
    raise AssertionError(f"no way to answer a question about {fact!r}")


def _act_date_answers(case: Case, count: dict[str, Any]) -> list[dt.date]:
    person = case.get("person") or {}
    dob_lo, _ = bounds(person.get("date_of_birth"))
    lo, hi = bounds(count.get("act_date"), EARLIEST, AS_OF)
    assert lo is not None and hi is not None
    lo = max(lo, dob_lo or lo)
    hi = min(hi, count.get("decision_date") or hi)
    _, dob_hi = bounds(person.get("date_of_birth"))
    if dob_hi is not None:  # nobody is over 120 at an act (``impossible_age``)
        hi = min(hi, birthday_of_age(dob_hi, 121) - dt.timedelta(days=1))
    cands = {lo, hi}
    for d in (*boundary_dates(), *_birthdays(person)):
        cands |= {d - dt.timedelta(days=1), d}
    return sorted(d for d in cands if lo <= d <= hi)


def _dob_answers(case: Case) -> list[dt.date]:
    """Exact dates of birth inside the range given, on each side of every threshold birthday
    that an act of the case may fall on (and not after any act)."""
    person = case.get("person") or {}
    lo, hi = bounds(person.get("date_of_birth"), EARLIEST, AS_OF)
    assert lo is not None and hi is not None
    hi = min(hi, _min_act_hi(case))
    cands = {lo, hi}
    for count in case["counts"]:
        act_lo, act_hi = bounds(count.get("act_date"), lo, AS_OF)
        for day in {d for d in (act_lo, act_hi) if d is not None}:
            for t in age_thresholds():
                try:
                    born = day.replace(year=day.year - t)
                except ValueError:  # 29 February
                    born = dt.date(day.year - t, 3, 1)
                cands |= {born - dt.timedelta(days=1), born, born + dt.timedelta(days=1)}
    # Nobody is over 120 at an act (``impossible_age``).
    first_acts = [bounds(c.get("act_date"))[0] for c in case["counts"]]
    last_start = max((d for d in first_acts if d is not None), default=None)
    return sorted(d for d in cands if lo <= d <= hi and (
        last_start is None or age_on(d, last_start) <= 120))


def _age_answers(case: Case, count: dict[str, Any]) -> list[int]:
    age = _count_age(case, count)
    if isinstance(age, int):
        lo = hi = age
    elif isinstance(age, dict):
        lo, hi = age["min"], age["max"]
    else:
        lo, hi = 0, 120
    cands = {lo, hi} | {a for t in age_thresholds() for a in (t - 1, t)}
    return sorted(a for a in cands if lo <= a <= hi)


# --- tables: one row per single-count case ----------------------------------------------------

def _cell(value: Any) -> Any:
    """A value as a CSV cell would hold it (text), None staying empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(value) if value else "none"
    return str(value)


def table_row(case: Case, *, level_in_finding: bool = False) -> dict[str, Any]:
    """The row of a table for ``nonpunish.evaluate_table`` that stands for a single-count
    ``case`` (columns named after the fact vocabulary; see ``nonpunish._batch``). A state of
    the evidence goes in ``<fact>_evidence`` and ``<fact>_disproved``, or (with
    ``level_in_finding``, when not disproved) as the level in the fact's own column."""
    assert len(case["counts"]) == 1, "a table row is one count"
    count = case["counts"][0]
    person = case.get("person") or {}
    row: dict[str, Any] = {}
    if "case_id" in case:
        row["case_id"] = case["case_id"]
    offence = count["offence"]
    if "id" in offence:
        row["offence"] = offence["id"]
    else:
        row["offence_statute"] = offence["statute"]
        row["offence_section"] = offence["section"]
    for name in ("participation", "conduct", "decision_date"):
        if count.get(name) is not None:
            row[name] = count[name]
    for value, column in ((count.get("act_date"), "act_date"),
                          (person.get("date_of_birth"), "date_of_birth")):
        if isinstance(value, dt.date):
            row[column] = value
        elif isinstance(value, dict):
            for end in ("earliest", "latest"):
                if value.get(end) is not None:
                    row[f"{column}_{end}"] = value[end]
    age = count.get("age_at_act", person.get("age_at_act"))
    if isinstance(age, int):
        row["age_at_act"] = age
    elif isinstance(age, dict):
        row["age_at_act_min"], row["age_at_act_max"] = age["min"], age["max"]
    facts = {**(case.get("facts") or {}), **(count.get("facts") or {})}
    for name, value in facts.items():
        if isinstance(value, dict):  # a state of the evidence
            if level_in_finding and not value.get("disproved"):
                row[name] = value["evidence"]
            else:
                row[f"{name}_evidence"] = value["evidence"]
                if "disproved" in value:
                    row[f"{name}_disproved"] = value["disproved"]
        else:
            row[name] = value
    return row


def table_columns(rows: Sequence[dict[str, Any]], *, text: bool = False) -> dict[str, list[Any]]:
    """Rows as columns (a missing cell is None). With ``text`` every cell is text, as read
    from a CSV file; otherwise values keep their types, except that a column mixing types
    (true and "unknown", a list and "unknown") is made text."""
    names = list(dict.fromkeys(k for r in rows for k in r))
    columns: dict[str, list[Any]] = {}
    for name in names:
        values = [r.get(name) for r in rows]
        kinds = {type(v) for v in values if v is not None}
        if text or len(kinds) > 1:
            values = [_cell(v) for v in values]
        columns[name] = values
    return columns
