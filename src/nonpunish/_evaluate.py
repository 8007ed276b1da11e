"""From a validated case to a reasoned outcome under one ruleset.

For each count:

1. *Plan*: the date the provision looks at (the act, or the decision) and the person's age
   may be known only as ranges. The range is cut at every date on which the ruleset changes
   (commencement, a new version, a list entry's insertion) and every age threshold a limb
   uses, giving one or more *scenarios*, each on one side of every boundary.
2. *Prepare*: for each scenario, every leaf of the condition tree gets a three-valued value,
   in Python, once: findings through the ruleset's burden model, choice and set tests, ages,
   and whether the offence is on the exclusion list.
3. *Evaluate*: an engine computes every node of the tree from those leaves.
4. *Explain*: the result, the limb, the elements with the facts they read, the exclusion
   check, caveats, and the questions whose answers could still change the result.
5. *Merge*: scenarios that agree give that result; scenarios that disagree give
   ``undetermined`` with the date or age question first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._case import Case, Count, Evidence, EvidenceLevel
from ._dates import EARLIEST, age_on, fmt, leap_day_matters
from ._engine import REFERENCE, Engine, Tri, evaluate_nodes
from ._offences import (
    Catalogue,
    ExclusionList,
    ListEntry,
    catalogues,
    find_offence,
    match_by_statute,
    normalise_statute,
    section_tokens,
)
from ._outcome import (
    Caveat,
    Citation,
    CountOutcome,
    ElementOutcome,
    ExclusionCheck,
    ExclusionMatch,
    FactUse,
    OffenceRef,
    Outcome,
    Provenance,
    Question,
    Result,
    RulesetRef,
    Scenario,
)
from ._ruleset import CaveatSpec, CompiledVersion, LeafKey, Limb, Ruleset
from ._text import Language, Text
from ._truth import truth_table
from ._vocabulary import vocabulary

_UNCATALOGUED = Text(
    en="The offence is not in the offence catalogue. It was checked against the exclusion "
       "list by its statute and section as given; check the list's wording yourself.",
    nl="Het strafbare feit staat niet in de catalogus. Het is aan de uitsluitingslijst "
       "getoetst op de wet en het artikel zoals opgegeven; controleer de tekst van de lijst zelf.",
)
_GIVEN_BROADLY = Text(
    en="The offence was given by a section that is broader than an entry on the exclusion "
       "list (for example a section where the list names one subsection), so whether it is "
       "excluded stays open. Give the offence's catalogue id, or its subsection.",
    nl="Het strafbare feit is opgegeven met een artikel dat ruimer is dan een vermelding op de "
       "uitsluitingslijst (bijvoorbeeld een artikel waar de lijst één lid noemt), dus of het is "
       "uitgesloten blijft open. Geef de catalogus-id van het feit, of het lid.",
)
_AGE_NOT_GIVEN = Text(
    en="No date of birth or age was given, so every limb was evaluated; where they differ, "
       "the age is asked for.",
    nl="Er is geen geboortedatum of leeftijd opgegeven, dus alle toetsen zijn beoordeeld; "
       "waar die verschillen, wordt naar de leeftijd gevraagd.",
)
_LEAP_DAY = Text(
    en="The person was born on 29 February. The engine takes the birthday in a common year to "
       "be 1 March (as the Age of Legal Capacity (Scotland) Act 1991 s.6(2) provides); no "
       "statutory rule for this jurisdiction was verified, and the limb turns on it here.",
    nl="De persoon is geboren op 29 februari. De verjaardag in een niet-schrikkeljaar wordt op "
       "1 maart gesteld (zoals de Age of Legal Capacity (Scotland) Act 1991 s.6(2) bepaalt); "
       "een wettelijke regel voor dit rechtsgebied is niet geverifieerd, en de toets hangt er "
       "hier van af.",
)


def _text(en: str, nl: str) -> Text:
    return Text(en=en, nl=nl)


# --- facts -------------------------------------------------------------------------------

@dataclass(slots=True)  # not frozen: built for every fact of every case, and never changed
class Given:
    """A fact as the case gave it, and the finding the burden model made of it."""

    raw: Any
    finding: Any  # bool | None for findings; str | list | None for choice and set facts
    basis: str


def _findings(ruleset: Ruleset, case: Case, count: Count) -> dict[str, Given]:
    burden = ruleset.spec.burden
    merged: dict[str, Any] = {**case.facts, **count.facts}
    merged["conduct"] = count.conduct
    merged["participation"] = count.participation
    out: dict[str, Given] = {}
    for name, raw in merged.items():
        value = None if raw == "unknown" else raw
        if isinstance(value, Evidence):
            if value.evidence == EvidenceLevel.NOT_ASSESSED and not value.disproved:
                finding: Any = None
            elif value.disproved and burden.disproof_defeats:
                finding = False
            else:
                finding = value.evidence.rank >= burden.finding_true_from.rank
            out[name] = Given(value, finding, "evidence")
        elif value is None:
            out[name] = Given(None, None, "not_given")
        else:
            out[name] = Given(value, value, "finding")
    return out


# --- offences and exclusion ----------------------------------------------------------------

@dataclass(frozen=True)
class ResolvedOffence:
    ref: OffenceRef
    catalogue_key: str | None  # key in the ruleset's catalogue, if matched


_resolved: dict[tuple[int, str], tuple[Ruleset, ResolvedOffence]] = {}


def _resolve_offence(ruleset: Ruleset, count: Count) -> ResolvedOffence:
    """The offence charged, matched to the ruleset's catalogue (cached for catalogue ids:
    the result is frozen reference data)."""
    off = count.offence
    if off.id is None:
        return _resolve_uncached(ruleset, count)
    key = (id(ruleset), off.id)
    hit = _resolved.get(key)
    if hit is not None and hit[0] is ruleset:
        return hit[1]
    made = _resolve_uncached(ruleset, count)
    _resolved[key] = (ruleset, made)
    return made


def _resolve_uncached(ruleset: Ruleset, count: Count) -> ResolvedOffence:
    off = count.offence
    cat: Catalogue | None = catalogues().get(ruleset.spec.catalogue or "")
    if off.id is not None:
        found = find_offence(off.id)
        assert found is not None  # checked when the case was validated
        fcat, key, entry = found
        ref = OffenceRef(id=off.id, statute=entry.statute, section=entry.section,
                         title=entry.title, category=entry.category, catalogued=True)
        if cat is not None and fcat.jurisdiction == cat.jurisdiction:
            return ResolvedOffence(ref, key)
        statute, section = entry.statute, entry.section
    else:
        assert off.statute is not None and off.section is not None
        statute, section = off.statute, off.section
    key_match = match_by_statute(cat, statute, section) if cat is not None else None
    if key_match is not None and cat is not None:
        entry = cat.offences[key_match]
        ref = OffenceRef(id=cat.full_id(key_match), statute=entry.statute, section=entry.section,
                         title=entry.title, category=entry.category, catalogued=True)
        if off.id is None:
            # match_by_statute matched the catalogue's section as a prefix of the one given:
            # "9(1)(a)" is burglary under section 9.
            return ResolvedOffence(ref, key_match)
    ref = OffenceRef(id=off.id, statute=statute, section=section,
                     title=off.title if off.id is None else ref.title,
                     category=None if off.id is None else ref.category, catalogued=False)
    return ResolvedOffence(ref, None)


_ALL_MODES = ("principal", "attempt", "conspiracy", "aiding_abetting", "encouraging_assisting")


def _kleene_or(values: Sequence[Tri]) -> Tri:
    if any(v is True for v in values):
        return True
    if all(v is False for v in values):
        return False
    return None


_list_index: dict[int, tuple[ExclusionList, dict[str, list[ListEntry]], dict[str, str | None]]] = {}


def _indexed(xl: ExclusionList) -> tuple[dict[str, list[ListEntry]], dict[str, str | None]]:
    """A list's entries by catalogue key, and the paragraph reaching each form of
    participation (None: the entry itself), worked out once per list."""
    hit = _list_index.get(id(xl))
    if hit is not None and hit[0] is xl:
        return hit[1], hit[2]
    by_key: dict[str, list[ListEntry]] = {}
    for entry in xl.entries:
        by_key.setdefault(entry.offence, []).append(entry)
    modes: dict[str, str | None] = {"principal": None}
    for anc in xl.ancillary:
        for mode in anc.participation:
            modes[mode] = anc.paragraph
    _list_index[id(xl)] = (xl, by_key, modes)
    return by_key, modes


def _candidate_entries(xl: ExclusionList, offence: ResolvedOffence) -> list[ListEntry]:
    """The list's entries for this offence (on any date, whatever their conditions)."""
    by_key, _ = _indexed(xl)
    if offence.catalogue_key is not None:
        return by_key.get(offence.catalogue_key, [])
    cat = catalogues()[xl.catalogue]
    want_statute = normalise_statute(offence.ref.statute)
    want_section = section_tokens(offence.ref.section)
    candidates = []
    for entry in xl.entries:
        target = cat.offences[entry.offence]
        if normalise_statute(target.statute) != want_statute:
            continue
        have = section_tokens(target.section)
        # The entry's section, or one given more broadly than it ("section 1" for s.1(3)).
        if want_section[: len(have)] == have or have[: len(want_section)] == want_section:
            candidates.append(entry)
    return candidates


def _given_broadly(offence: ResolvedOffence, xl: ExclusionList, entry: ListEntry) -> bool:
    """True if the offence was given by a section broader than the entry's (a section for a
    subsection), so it may or may not be the listed offence."""
    if offence.catalogue_key is not None:
        return False
    have = section_tokens(catalogues()[xl.catalogue].offences[entry.offence].section)
    want = section_tokens(offence.ref.section)
    return len(want) < len(have)


def _check_exclusion(xl: ExclusionList, offence: ResolvedOffence,
                     participation: str | None, findings: Mapping[str, Given],
                     day: dt.date, citation: str) -> ExclusionCheck:
    cat = catalogues()[xl.catalogue]
    _, modes = _indexed(xl)
    # Whether this form of participation is reached: principal always; others by paragraph.
    if participation is None:
        reach: Tri = True if all(m in modes for m in _ALL_MODES) else None
        via = None
    else:
        reach = participation in modes
        via = modes.get(participation)
    candidates = _candidate_entries(xl, offence)
    matches: list[ExclusionMatch] = []
    for entry in candidates:
        if entry.valid_from and day < entry.valid_from:
            continue
        if entry.valid_to and day > entry.valid_to:
            continue
        cond: Tri = True
        if entry.only_if is not None:
            given = findings.get(entry.only_if.fact)
            cond = None if given is None else given.finding
        if _given_broadly(offence, xl, entry):
            cond = _kleene_and([cond, None])
        matches.append(ExclusionMatch(
            paragraph=entry.paragraph, offence=cat.full_id(entry.offence),
            title=cat.offences[entry.offence].title, wording=entry.wording,
            condition_fact=entry.only_if.fact if entry.only_if else None,
            condition=cond if entry.only_if else None, via=via,
            applies=_kleene_and([cond, reach]),
            given_broadly=_given_broadly(offence, xl, entry)))
    excluded = _kleene_or([m.applies for m in matches]) if matches else False
    return ExclusionCheck(
        list_id=xl.id, title=xl.title,
        citation=_list_citation(xl, citation),
        closed=xl.closed, excluded=excluded, matches=matches,
        matched_by="catalogue" if offence.catalogue_key is not None else "statute_and_section")


_list_citations: dict[tuple[int, str], tuple[ExclusionList, Citation]] = {}


def _list_citation(xl: ExclusionList, citation: str) -> Citation:
    """The list's citation (frozen, so built once and shared)."""
    hit = _list_citations.get((id(xl), citation))
    if hit is not None and hit[0] is xl:
        return hit[1]
    made = Citation(instrument=xl.instrument, provision=f"{xl.provision} ({citation})",
                    url=xl.url)
    _list_citations[(id(xl), citation)] = (xl, made)
    return made


def _kleene_and(values: Sequence[Tri]) -> Tri:
    if any(v is False for v in values):
        return False
    if all(v is True for v in values):
        return True
    return None


# --- scenarios -----------------------------------------------------------------------------

@dataclass
class Plan:
    """One scenario: a stretch of the relevant date and of the age, each on one side of
    every boundary that matters."""

    date_lo: dt.date
    date_hi: dt.date
    age_lo: int
    age_hi: int
    version: CompiledVersion | None
    date_split: bool
    age_split: bool
    leap_day: bool = False
    label_parts: list[Text] = field(default_factory=list)


def _bounds(value: Any, default_lo: dt.date, default_hi: dt.date) -> tuple[dt.date, dt.date]:
    if value is None:
        return default_lo, default_hi
    if isinstance(value, dt.date):
        return value, value
    return value.earliest or default_lo, value.latest or default_hi


def _age_range(case: Case, count: Count, act_lo: dt.date, act_hi: dt.date,
               as_of: dt.date) -> tuple[int, int, dt.date | None]:
    age = count.age_at_act if count.age_at_act is not None else case.person.age_at_act
    if age is not None:
        return (age, age, None) if isinstance(age, int) else (age.min, age.max, None)
    dob = case.person.date_of_birth
    if dob is None:
        return 0, 120, None
    dob_lo, dob_hi = _bounds(dob, EARLIEST, as_of)
    lo = max(0, age_on(dob_hi, max(act_lo, dob_hi)))
    hi = max(0, age_on(dob_lo, act_hi))
    exact = dob_lo if dob_lo == dob_hi else None
    return lo, hi, exact


def _date_label(lo: dt.date, hi: dt.date, open_lo: bool, open_hi: bool) -> Text:
    if lo == hi:
        return _text(f"act on {fmt(lo)}", f"feit op {fmt(lo)}")
    if open_lo:
        return _text(f"act on or before {fmt(hi)}", f"feit op of vóór {fmt(hi)}")
    if open_hi:
        return _text(f"act on or after {fmt(lo)}", f"feit op of na {fmt(lo)}")
    return _text(f"act between {fmt(lo)} and {fmt(hi)}", f"feit tussen {fmt(lo)} en {fmt(hi)}")


_boundary_cache: dict[tuple[int, str], tuple[Ruleset, Sequence[dt.date]]] = {}


def _boundary_dates(ruleset: Ruleset, offence: ResolvedOffence | None) -> Sequence[dt.date]:
    """The dates on which the ruleset changes for this offence, in order: every version and
    list start or end, but a list entry's own dates (an offence added to the list later)
    only when the entry is this offence. Other entries' dates change nothing here."""
    if offence is None:
        return ruleset.boundary_dates
    if offence.catalogue_key is not None:
        key = (id(ruleset), offence.catalogue_key)
        hit = _boundary_cache.get(key)
        if hit is not None and hit[0] is ruleset:
            return hit[1]
        dates = _boundary_dates_uncached(ruleset, offence)
        _boundary_cache[key] = (ruleset, dates)
        return dates
    return _boundary_dates_uncached(ruleset, offence)


def _boundary_dates_uncached(ruleset: Ruleset, offence: ResolvedOffence) -> Sequence[dt.date]:
    dates: set[dt.date] = set()
    for cv in ruleset.compiled:
        dates.add(cv.version.valid_from)
        if cv.version.valid_to is not None:
            dates.add(cv.version.valid_to + dt.timedelta(days=1))
        xl = cv.exclusion_list
        if xl is not None:
            dates.add(xl.valid_from)
            for entry in _candidate_entries(xl, offence):
                if entry.valid_from:
                    dates.add(entry.valid_from)
                if entry.valid_to:
                    dates.add(entry.valid_to + dt.timedelta(days=1))
    return sorted(dates)


def plan(ruleset: Ruleset, case: Case, count: Count, as_of: dt.date,
         offence: ResolvedOffence | None = None) -> list[Plan]:
    spec = ruleset.spec
    thresholds = ruleset.age_threshold_list
    if isinstance(count.act_date, dt.date) and spec.temporal.relevant_date == "act":
        # The common case, one exact date: a single scenario unless the age straddles a limb.
        day = count.act_date
        age_lo, age_hi, exact_dob = _age_range(case, count, day, day, as_of)
        if not any(age_lo < t <= age_hi for t in thresholds):
            version = ruleset.version_on(day)
            if spec.temporal.rule == "as_if_in_force" and version is None:
                version = ruleset.compiled[0]
            leap = exact_dob is not None and any(
                leap_day_matters(exact_dob, t, day, day) for t in thresholds)
            return [Plan(day, day, age_lo, age_hi, version, False, False, leap, [])]
    act_lo, act_hi = _bounds(count.act_date, EARLIEST, as_of)
    act_hi = min(act_hi, as_of)
    if spec.temporal.relevant_date == "decision":
        rel_lo, rel_hi = _bounds(count.decision_date, act_lo, as_of)
    else:
        rel_lo, rel_hi = act_lo, act_hi
    cuts = [b for b in _boundary_dates(ruleset, offence) if rel_lo < b <= rel_hi]
    pieces: list[tuple[dt.date, dt.date]] = []
    start = rel_lo
    for b in cuts:
        pieces.append((start, b - dt.timedelta(days=1)))
        start = b
    pieces.append((start, rel_hi))
    date_split = len(pieces) > 1
    plans: list[Plan] = []
    for i, (lo, hi) in enumerate(pieces):
        version = ruleset.version_on(lo)
        if spec.temporal.rule == "as_if_in_force" and version is None:
            version = ruleset.compiled[0]
        if spec.temporal.relevant_date == "act":
            a_lo, a_hi = lo, hi
        else:
            a_lo, a_hi = act_lo, act_hi
        age_lo, age_hi, exact_dob = _age_range(case, count, a_lo, a_hi, as_of)
        # Cut the age range at every threshold a limb uses.
        age_cuts = [t for t in thresholds if age_lo < t <= age_hi]
        bands: list[tuple[int, int]] = []
        s = age_lo
        for t in age_cuts:
            bands.append((s, t - 1))
            s = t
        bands.append((s, age_hi))
        date_part = (_date_label(lo, hi, (i == 0 and count.act_date is None) or lo == EARLIEST,
                                 hi == as_of and i == len(pieces) - 1)
                     if date_split else None)
        for band_lo, band_hi in bands:
            leap = exact_dob is not None and any(
                leap_day_matters(exact_dob, t, a_lo, a_hi) for t in thresholds)
            parts = [date_part] if date_part else []
            if len(bands) > 1:
                parts.append(_age_label(band_lo, band_hi))
            plans.append(Plan(lo, hi, band_lo, band_hi, version, date_split, len(bands) > 1,
                              leap, parts))
    return plans


def _age_label(lo: int, hi: int) -> Text:
    if lo == hi:
        return _text(f"aged {lo}", f"{lo} jaar oud")
    if hi >= 120:
        return _text(f"aged {lo} or over", f"{lo} jaar of ouder")
    if lo == 0:
        return _text(f"aged under {hi + 1}", f"jonger dan {hi + 1}")
    return _text(f"aged {lo} to {hi}", f"{lo} tot en met {hi} jaar oud")


# --- leaves --------------------------------------------------------------------------------

def _leaf_value(leaf: LeafKey, p: Plan, findings: Mapping[str, Given],
                exclusion: ExclusionCheck | None) -> Tri:
    kind = leaf[0]
    if kind == "fact":
        g = findings.get(leaf[1])
        return None if g is None else bool(g.finding) if g.finding is not None else None
    if kind == "is":
        g = findings.get(leaf[1])
        if g is None or g.finding is None:
            return None
        return bool(g.finding == leaf[2])
    if kind == "includes_any":
        g = findings.get(leaf[1])
        if g is None or g.finding is None:
            return None
        return any(v in g.finding for v in leaf[2])
    if kind == "age_at_least":
        return True if p.age_lo >= leaf[1] else False if p.age_hi < leaf[1] else None
    if kind == "age_under":
        return True if p.age_hi < leaf[1] else False if p.age_lo >= leaf[1] else None
    if kind == "excluded":
        return None if exclusion is None else exclusion.excluded
    raise AssertionError(leaf)


def _leaf_fact(leaf: LeafKey) -> str | None:
    if leaf[0] in ("fact", "is", "includes_any"):
        return str(leaf[1])
    if leaf[0] in ("age_at_least", "age_under"):
        return "age_at_act"
    return None


# --- explanation ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _LeafRef:
    index: int
    key: LeafKey
    fact: str | None


@dataclass(frozen=True, slots=True)
class _Occurrence:
    """One place an element appears in the reading order of the tree."""

    index: int
    id: str
    parent: str | None
    limb: Limb | None
    depth: int
    citation: Citation
    label: Text
    wording: str | None
    leaves: tuple[_LeafRef, ...]
    reads: tuple[str, ...]
    #: A limb's own node, or its age test: shown even when another limb applies.
    heads_limb: bool


@dataclass(frozen=True)
class _Layout:
    """What explaining a version needs, worked out once per version."""

    occurrences: tuple[_Occurrence, ...]
    element_of: dict[int, str]
    limb_age_leaves: dict[Limb, tuple[int, ...]]
    leaf_keys: tuple[LeafKey, ...]


_layouts: dict[int, tuple[CompiledVersion, _Layout]] = {}


def _layout(ruleset: Ruleset, cv: CompiledVersion) -> _Layout:
    hit = _layouts.get(id(cv))
    if hit is not None and hit[0] is cv:
        return hit[1]
    occurrences: list[_Occurrence] = []

    def direct_leaves(idx: int) -> tuple[_LeafRef, ...]:
        found: list[_LeafRef] = []
        stack = [idx] if cv.nodes[idx].op == "leaf" else list(reversed(cv.nodes[idx].children))
        while stack:
            node = cv.nodes[stack.pop()]
            if node.element and node.index != idx:
                continue
            if node.op == "leaf":
                assert node.leaf is not None
                found.append(_LeafRef(node.index, node.leaf, _leaf_fact(node.leaf)))
            else:
                stack.extend(reversed(node.children))
        return tuple(found)

    def visit(idx: int, parent: str | None, limb: Limb | None, depth: int) -> None:
        # A shared definition is listed under every element that uses it.
        node = cv.nodes[idx]
        limb = node.limb or limb
        if node.element:
            src = node.source
            assert src.id is not None
            leaves = direct_leaves(idx)
            occurrences.append(_Occurrence(
                idx, src.id, parent, limb, depth,
                Citation(instrument=ruleset.spec.instrument, provision=src.citation or "",
                         url=src.url or ruleset.spec.url),
                src.label or _text(src.id, src.id), src.wording, leaves, src.reads,
                node.limb is not None or any(
                    leaf.key[0] in ("age_at_least", "age_under") for leaf in leaves)))
            parent, depth = src.id, depth + 1
        for child in node.children:
            visit(child, parent, limb, depth)

    visit(cv.root, None, None, 0)
    element_of = {leaf.index: occ.id for occ in occurrences for leaf in occ.leaves}
    limb_age_leaves: dict[Limb, tuple[int, ...]] = {}
    for limb, idx in cv.limb_nodes.items():
        stack, seen, ages = [idx], set(), []
        while stack:
            i = stack.pop()
            if i in seen:
                continue
            seen.add(i)
            n = cv.nodes[i]
            if n.leaf is not None and n.leaf[0] in ("age_at_least", "age_under"):
                ages.append(i)
            stack.extend(n.children)
        limb_age_leaves[limb] = tuple(ages)
    keys = set(cv.leaves)
    for nodes in ruleset.caveat_conditions.values():
        keys.update(n.leaf for n in nodes if n.leaf is not None)
    layout = _Layout(tuple(occurrences), element_of, limb_age_leaves, tuple(keys))
    _layouts[id(cv)] = (cv, layout)
    return layout


def _fact_use(name: str, findings: Mapping[str, Given], finding: Tri, role: str,
              p: Plan) -> FactUse:
    if name == "age_at_act":
        given: Any = p.age_lo if p.age_lo == p.age_hi else {"min": p.age_lo, "max": p.age_hi}
        return FactUse(fact=name, given=given, finding=finding, basis="derived",
                       role=role)  # type: ignore[arg-type]
    g = findings.get(name)
    if g is None or g.basis == "not_given":
        return FactUse(fact=name, given=None, finding=finding, basis="not_given",
                       role=role)  # type: ignore[arg-type]
    if isinstance(g.raw, Evidence):
        return FactUse(fact=name, given=g.raw.evidence.value, finding=finding, basis="evidence",
                       evidence=g.raw.evidence, disproved=g.raw.disproved,
                       role=role)  # type: ignore[arg-type]
    return FactUse(fact=name, given=g.raw, finding=finding, basis="finding",
                   role=role)  # type: ignore[arg-type]


def _applied_limb(cv: CompiledVersion, layout: _Layout, values: Sequence[Tri]) -> Limb | None:
    """The limb whose age test holds (or the only limb)."""
    if len(cv.limb_nodes) == 1:
        return next(iter(cv.limb_nodes))
    for limb, ages in layout.limb_age_leaves.items():
        if ages and all(values[i] is True for i in ages):
            return limb
    return None


def _relevant_unknown_leaves(cv: CompiledVersion, values: Sequence[Tri]) -> list[int]:
    """Unknown leaves reachable from the (unknown) root through unknown nodes only: the ones
    whose value could still change the result."""
    if values[cv.root] is not None:
        return []
    out: list[int] = []
    seen: set[int] = set()
    stack = [cv.root]
    while stack:
        i = stack.pop()
        if i in seen or values[i] is not None:
            continue
        seen.add(i)
        node = cv.nodes[i]
        if node.op == "leaf":
            out.append(i)
        else:
            stack.extend(reversed(node.children))
    return out


@dataclass
class ScenarioResult:
    plan: Plan
    result: Result
    limb: Limb | None
    values: list[Tri]
    elements: list[ElementOutcome]
    exclusion: ExclusionCheck | None
    questions: list[Question]
    deciding: list[str]
    reason: Text
    caveats: list[Caveat]
    leaves: dict[LeafKey, Tri] = field(default_factory=dict)


def _result_of(cv: CompiledVersion, values: Sequence[Tri],
               exclusion: ExclusionCheck | None) -> Result:
    root = values[cv.root]
    if root is True:
        return "protected"
    if exclusion is not None and exclusion.excluded is True:
        return "excluded_offence"
    if root is False:
        return "not_protected"
    return "undetermined"


def _questions(cv: CompiledVersion, layout: _Layout, values: Sequence[Tri],
               leaves: dict[LeafKey, Tri], exclusion: ExclusionCheck | None,
               findings: Mapping[str, Given], count_id: str) -> list[Question]:
    """The facts whose answers could still change the result, most decisive first.

    A fact is asked only if some answers to the other open questions make its own answer
    matter, and marked decisive if one answer to it alone settles the result; both are read
    from the truth table of the tree over its unknown leaves."""
    vocab = vocabulary().facts
    table = truth_table(cv.nodes, cv.root, leaves)
    if table is not None:
        open_leaves = {cv.nodes[i].leaf: i for i in range(len(cv.nodes))
                       if cv.nodes[i].leaf is not None and values[i] is None}
        candidates = [(open_leaves[key], j) for j, key in enumerate(table.variables)
                      if table.depends_on(j)]
    else:  # too many unknowns for a table: fall back on the tree's shape
        candidates = [(i, -1) for i in _relevant_unknown_leaves(cv, values)]
    wanted: dict[str, list[str]] = {}
    variables_of: dict[str, list[int]] = {}
    for i, j in candidates:
        leaf = cv.nodes[i].leaf
        assert leaf is not None
        if leaf[0] == "excluded":
            names = _exclusion_facts(exclusion, findings, cv.exclusion_list)
        else:
            name = _leaf_fact(leaf)
            names = [name] if name else []
        for name in names:
            wanted.setdefault(name, [])
            variables_of.setdefault(name, []).append(j)
            for k in (k for k, n in enumerate(cv.nodes) if n.leaf == leaf):
                el = layout.element_of.get(k)
                if el and el not in wanted[name]:
                    wanted[name].append(el)
    questions = []
    for name, elements in wanted.items():
        js = variables_of[name]
        if table is not None:
            decisive = table.settled_by(js)
        else:
            decisive = _settles_by_forcing(cv, leaves, [cv.nodes[i].leaf for i, _ in candidates
                                                        if _leaf_fact(cv.nodes[i].leaf or ())
                                                        == name])
        spec = vocab[name]
        questions.append(Question(fact=name, text=spec.question, help=spec.help,
                                  decisive=decisive, elements=elements, counts=[count_id]))
    questions.sort(key=lambda q: not q.decisive)
    return questions


def _settles_by_forcing(cv: CompiledVersion, leaves: Mapping[LeafKey, Tri],
                        keys: Sequence[LeafKey | None]) -> bool:
    for forced in (True, False):
        trial = dict(leaves)
        for key in keys:
            if key is not None:
                trial[key] = forced
        if evaluate_nodes(cv.nodes, trial)[cv.root] is not None:
            return True
    return False


def _exclusion_facts(exclusion: ExclusionCheck | None, findings: Mapping[str, Given],
                     xl: ExclusionList | None = None) -> list[str]:
    """The facts that would settle an open exclusion check."""
    if exclusion is None:
        return []
    # The form of participation matters only if the list does not reach every form.
    every_mode = xl is not None and all(m in _indexed(xl)[1] for m in _ALL_MODES)
    names: list[str] = []
    for m in exclusion.matches:
        if m.applies is None:
            if m.condition is None and m.condition_fact and m.condition_fact not in names:
                names.append(m.condition_fact)
            g = findings.get("participation")
            if (not every_mode and (g is None or g.finding is None)
                    and "participation" not in names):
                names.append("participation")
    return names


def _element_labels(elements: Sequence[ElementOutcome], ids: Sequence[str],
                    lang: Language) -> str:
    by_id = {e.id: e for e in elements}
    return "; ".join(f"{by_id[i].label(lang)} ({by_id[i].citation.provision})" for i in ids)


def _evaluate_scenario(ruleset: Ruleset, count: Count, p: Plan,
                       findings: Mapping[str, Given], offence: ResolvedOffence,
                       engine: Engine) -> ScenarioResult:
    spec = ruleset.spec
    cv = p.version
    if cv is None:
        return ScenarioResult(
            p, "not_in_force", None, [], [], None, [], [],
            _text(f"Not in force for this act: {spec.provision} applies from "
                  f"{fmt(ruleset.commencement)}.",
                  f"Niet van toepassing op dit feit: {spec.provision} geldt vanaf "
                  f"{fmt(ruleset.commencement)}."), [])
    layout = _layout(ruleset, cv)
    exclusion = None
    if cv.exclusion_list is not None and cv.version.exclusions is not None:
        participation = findings.get("participation")
        exclusion = _check_exclusion(
            cv.exclusion_list, offence,
            None if participation is None else participation.finding, findings, p.date_lo,
            cv.version.exclusions.citation)
    leaves = {k: _leaf_value(k, p, findings, exclusion) for k in layout.leaf_keys}
    values = engine.evaluate(cv, leaves)
    result = _result_of(cv, values, exclusion)
    limb = _applied_limb(cv, layout, values)

    exclusion_facts = _exclusion_facts_all(exclusion)
    elements: list[ElementOutcome] = []
    # A fact read in several places (a shared definition) is described once per outcome.
    uses: dict[tuple[Any, ...], FactUse] = {}
    for occ in layout.occurrences:
        # The limb that does not apply is shown by its own node and its age test alone.
        if limb is not None and occ.limb is not None and occ.limb != limb and not occ.heads_limb:
            continue
        facts = []
        for leaf in occ.leaves:
            if leaf.key[0] == "excluded":
                for name in exclusion_facts:
                    facts.append(_fact_use(name, findings, _given_finding(findings, name),
                                           "condition", p))
            elif leaf.fact:
                use = uses.get(leaf.key)
                if use is None:
                    use = uses[leaf.key] = _fact_use(leaf.fact, findings, values[leaf.index],
                                                     "condition", p)
                facts.append(use)
        for name in occ.reads:
            key = ("reads", name)
            use = uses.get(key)
            if use is None:
                use = uses[key] = _fact_use(name, findings, _given_finding(findings, name),
                                            "context", p)
            facts.append(use)
        elements.append(ElementOutcome(
            id=occ.id, citation=occ.citation, label=occ.label, wording=occ.wording,
            value=values[occ.index], parent=occ.parent, limb=occ.limb, depth=occ.depth,
            facts=facts))

    questions = (_questions(cv, layout, values, leaves, exclusion, findings, count.id)
                 if result == "undetermined" else [])
    deciding, reason = _reason(ruleset, cv, result, limb, elements, exclusion)
    caveats = _ruleset_caveats(ruleset, leaves, result)
    return ScenarioResult(p, result, limb, values, elements, exclusion, questions, deciding,
                          reason, caveats, leaves)


def _given_finding(findings: Mapping[str, Given], name: str) -> Tri:
    g = findings.get(name)
    if g is None or g.finding is None:
        return None
    return g.finding if isinstance(g.finding, bool) else True


def _exclusion_facts_all(exclusion: ExclusionCheck | None) -> list[str]:
    if exclusion is None:
        return []
    names = []
    for m in exclusion.matches:
        if m.condition_fact and m.condition_fact not in names:
            names.append(m.condition_fact)
    return names


def _reason(ruleset: Ruleset, cv: CompiledVersion, result: Result, limb: Limb | None,
            elements: Sequence[ElementOutcome],
            exclusion: ExclusionCheck | None) -> tuple[list[str], Text]:
    spec = ruleset.spec
    if result == "excluded_offence" and exclusion is not None:
        paras = ", ".join(f"para {m.paragraph}" + (f" with {m.via}" if m.via else "")
                          for m in exclusion.matches if m.applies)
        paras_nl = paras.replace(" with ", " met ")
        where = exclusion.citation.provision.split(" (")[0]
        return ["not-excluded"], _text(
            f"The offence is listed in {where} ({paras}), so the provision does not apply "
            "to it.",
            f"Het feit staat in {where} ({paras_nl}), dus de regeling is er niet op van "
            "toepassing.")
    limb_node = cv.nodes[cv.limb_nodes[limb]] if limb in cv.limb_nodes else None
    scope = limb_node if limb_node is not None else cv.nodes[cv.protection]
    scope_id = scope.source.id
    top = [e for e in elements if e.parent == scope_id]
    label = scope.source.label
    head_en, head_nl = (label.en, label.nl) if label else (spec.provision, spec.provision)
    if result == "protected":
        return [scope_id or ""], _text(
            f"{head_en}: every element is met"
            + (", and the offence is not excluded." if exclusion else "."),
            f"{head_nl}: aan alle elementen is voldaan"
            + (", en het feit is niet uitgesloten." if exclusion else "."))
    if result == "not_protected":
        failed = [e.id for e in top if e.value is False]
        return failed, _text(
            f"{head_en}: not met: {_element_labels(elements, failed, 'en')}.",
            f"{head_nl}: niet voldaan: {_element_labels(elements, failed, 'nl')}.")
    open_ids = [e.id for e in top if e.value is None]
    if exclusion is not None and exclusion.excluded is None:
        open_ids.append("not-excluded")
    return open_ids, _text(
        f"{head_en}: still open: {_element_labels(elements, open_ids, 'en')}.",
        f"{head_nl}: nog open: {_element_labels(elements, open_ids, 'nl')}.")


def _ruleset_caveats(ruleset: Ruleset, leaves: Mapping[LeafKey, Tri],
                     result: Result) -> list[Caveat]:
    """The ruleset's caveats that hold, or may hold, for this case. Notes only when they hold."""
    if result in ("excluded_offence", "not_in_force"):
        return []
    out = []
    for cav, caveat in _caveats_of(ruleset):
        if cav.when is not None:
            nodes = ruleset.caveat_conditions[cav.id]
            value = evaluate_nodes(nodes, leaves)[nodes[-1].index]
            if value is False or (cav.kind == "note" and value is None):
                continue
        out.append(caveat)
    return out


_caveat_cache: dict[int, tuple[Ruleset, list[tuple[CaveatSpec, Caveat]]]] = {}


def _caveats_of(ruleset: Ruleset) -> list[tuple[CaveatSpec, Caveat]]:
    """The ruleset's caveats as outcome objects, built once (they are frozen)."""
    hit = _caveat_cache.get(id(ruleset))
    if hit is not None and hit[0] is ruleset:
        return hit[1]
    built = [(cav, Caveat(id=cav.id, kind=cav.kind, text=cav.text, citation=cav.citation,
                          url=cav.url)) for cav in ruleset.spec.caveats]
    _caveat_cache[id(ruleset)] = (ruleset, built)
    return built


# --- merging scenarios into a count outcome -------------------------------------------------

_CAVEAT_UNCATALOGUED = Caveat(id="uncatalogued-offence", kind="uncatalogued_offence",
                              text=_UNCATALOGUED)
_CAVEAT_GIVEN_BROADLY = Caveat(id="offence-given-broadly", kind="uncatalogued_offence",
                               text=_GIVEN_BROADLY)
_CAVEAT_LEAP_DAY = Caveat(id="leap-day-birthday", kind="assumption", text=_LEAP_DAY)
_CAVEAT_AGE_NOT_GIVEN = Caveat(id="age-not-given", kind="disputed_age", text=_AGE_NOT_GIVEN)
_fixed_cache: dict[int, tuple[Ruleset, dict[str, Caveat]]] = {}


def _fixed_caveats(ruleset: Ruleset) -> dict[str, Caveat]:
    """The caveats a ruleset states once (burden, disputed age, dates, competent authority),
    built once; Caveat is frozen, so outcomes can share them."""
    hit = _fixed_cache.get(id(ruleset))
    if hit is not None and hit[0] is ruleset:
        return hit[1]
    spec = ruleset.spec
    fixed = {"burden-of-proof": Caveat(id="burden-of-proof", kind="evidence",
                                       text=spec.burden.caveat, citation=spec.burden.citation,
                                       url=spec.burden.url)}
    if spec.disputed_age_caveat is not None:
        fixed["disputed-age"] = Caveat(id="disputed-age", kind="disputed_age",
                                       text=spec.disputed_age_caveat)
    if spec.temporal.straddle_caveat is not None:
        fixed["date-straddles-boundary"] = Caveat(
            id="date-straddles-boundary", kind="unverified", text=spec.temporal.straddle_caveat,
            citation=spec.temporal.citation)
    if spec.competent_authority_note is not None:
        fixed["competent-authority-decision"] = Caveat(
            id="competent-authority-decision", kind="note", text=spec.competent_authority_note)
    _fixed_cache[id(ruleset)] = (ruleset, fixed)
    return fixed


def _dedupe_caveats(caveats: Sequence[Caveat]) -> list[Caveat]:
    seen: dict[str, Caveat] = {}
    for c in caveats:
        seen.setdefault(c.id, c)
    return list(seen.values())


def _merge_questions(groups: Sequence[Sequence[Question]]) -> list[Question]:
    merged: dict[str, Question] = {}
    for group in groups:
        for q in group:
            if q.fact in merged:
                old = merged[q.fact]
                merged[q.fact] = dataclasses.replace(
                    old, decisive=old.decisive or q.decisive,
                    elements=list(dict.fromkeys([*old.elements, *q.elements])),
                    counts=list(dict.fromkeys([*old.counts, *q.counts])))
            else:
                merged[q.fact] = q
    return sorted(merged.values(), key=lambda q: not q.decisive)


def _split_question(name: str, decisive: bool, count_id: str) -> Question:
    spec = vocabulary().facts[name]
    return Question(fact=name, text=spec.question, help=spec.help, decisive=decisive,
                    elements=[], counts=[count_id])


def evaluate_count(ruleset: Ruleset, case: Case, count: Count, as_of: dt.date,
                   engine: Engine) -> CountOutcome:
    spec = ruleset.spec
    findings = _findings(ruleset, case, count)
    offence = _resolve_offence(ruleset, count)
    plans = plan(ruleset, case, count, as_of, offence)
    results = [_evaluate_scenario(ruleset, count, p, findings, offence, engine)
               for p in plans]

    fixed = _fixed_caveats(ruleset)
    caveats: list[Caveat] = []
    if not offence.ref.catalogued or (count.offence.id is None
                                      and offence.catalogue_key is None):
        caveats.append(_CAVEAT_UNCATALOGUED)
    if any(r.exclusion is not None and any(m.given_broadly and m.applies is None
                                            for m in r.exclusion.matches) for r in results):
        caveats.append(_CAVEAT_GIVEN_BROADLY)
    if any(r.plan.leap_day for r in results):
        caveats.append(_CAVEAT_LEAP_DAY)
    if any(r.plan.age_split for r in results):
        age_given = (case.person.date_of_birth is not None
                     or case.person.age_at_act is not None or count.age_at_act is not None)
        if not age_given:
            caveats.append(_CAVEAT_AGE_NOT_GIVEN)
        elif "disputed-age" in fixed:
            caveats.append(fixed["disputed-age"])
    if any(r.plan.date_split for r in results) and "date-straddles-boundary" in fixed:
        caveats.append(fixed["date-straddles-boundary"])
    used_evidence = any(g.basis == "evidence" for g in findings.values())
    if used_evidence and any(r.result in ("protected", "undetermined") for r in results):
        caveats.append(fixed["burden-of-proof"])
    if case.competent_authority and "competent-authority-decision" in fixed:
        caveats.append(fixed["competent-authority-decision"])
    for r in results:
        caveats.extend(r.caveats)

    first = results[0]
    same = all(r.result == first.result for r in results)
    applies_instead = spec.temporal.before_commencement if any(
        r.result == "not_in_force" for r in results) else None
    if len(results) == 1:
        r = first
        return CountOutcome(
            count_id=count.id, offence=offence.ref, participation=count.participation,
            result=r.result,
            legal_effect=spec.legal_effect if r.result == "protected" else None,
            limb=r.limb, reason=r.reason, deciding_elements=r.deciding,
            version_from=r.plan.version.version.valid_from if r.plan.version else None,
            elements=r.elements, exclusion=r.exclusion, caveats=_dedupe_caveats(caveats),
            questions=r.questions, applies_instead=applies_instead)

    scenarios = [Scenario(label=_join_labels(r.plan.label_parts), result=r.result, limb=r.limb,
                          version_from=r.plan.version.version.valid_from
                          if r.plan.version else None,
                          elements=r.elements, exclusion=r.exclusion) for r in results]
    questions = _merge_questions([r.questions for r in results])
    split_qs = []
    # With an exact date of birth, an age in doubt is a date in doubt: ask for the date.
    dob = case.person.date_of_birth
    age_fact = "act_date" if isinstance(dob, dt.date) else "age_at_act"
    for dim, fact in (("date", "act_date"), ("age", age_fact)):
        if not any(getattr(r.plan, f"{dim}_split") for r in results):
            continue
        if not _split_matters(results, dim):
            continue
        split_qs.append(_split_question(fact, _decisive_split(results, dim), count.id))
    questions = [dataclasses.replace(q, decisive=_decisive_across(
        ruleset, results, findings, offence, q.fact)) for q in questions]
    questions = _merge_questions([split_qs, questions])
    if same:
        limbs = {r.limb for r in results}
        result = first.result
        limb = limbs.pop() if len(limbs) == 1 else None
        reason = first.reason if len({r.reason.en for r in results}) == 1 else _text(
            "Every reading of the disputed age or date gives the same result: "
            + " / ".join(f"{_join_labels(r.plan.label_parts).en}: {r.reason.en}"
                         for r in results),
            "Elke lezing van de betwiste leeftijd of datum geeft dezelfde uitkomst: "
            + " / ".join(f"{_join_labels(r.plan.label_parts).nl}: {r.reason.nl}"
                         for r in results))
        deciding = list(dict.fromkeys(d for r in results for d in r.deciding))
        if result != "undetermined":
            questions = []
    else:
        result = "undetermined"
        limb = None
        reason = _text(
            "The result depends on facts known only as a range: "
            + "; ".join(f"{_join_labels(r.plan.label_parts).en}: {r.result.replace('_', ' ')}"
                        for r in results) + ".",
            "De uitkomst hangt af van feiten die alleen als bandbreedte bekend zijn: "
            + "; ".join(f"{_join_labels(r.plan.label_parts).nl}: {_RESULT_NL[r.result]}"
                        for r in results) + ".")
        deciding = []
    return CountOutcome(
        count_id=count.id, offence=offence.ref, participation=count.participation,
        result=result, legal_effect=spec.legal_effect if result == "protected" else None,
        limb=limb, reason=reason, deciding_elements=deciding, version_from=None, elements=[],
        exclusion=None, scenarios=scenarios, caveats=_dedupe_caveats(caveats),
        questions=questions, applies_instead=applies_instead)


_RESULT_NL = {"protected": "beschermd", "not_protected": "niet beschermd",
              "excluded_offence": "uitgesloten feit", "not_in_force": "niet van kracht",
              "undetermined": "onbepaald"}


def _split_matters(results: Sequence[ScenarioResult], dim: str) -> bool:
    """Whether knowing this dimension (the act date, or the age) could change the result:
    with the other dimension fixed, two readings along it differ for some answers to the
    open questions (their truth tables over the same unknown leaves differ)."""
    other = "age" if dim == "date" else "date"
    variables = tuple(dict.fromkeys(
        key for r in results if r.plan.version is not None
        for key, value in r.leaves.items() if value is None))
    groups: dict[Any, list[ScenarioResult]] = {}
    for r in results:
        key = ((r.plan.date_lo, r.plan.date_hi) if other == "date"
               else (r.plan.age_lo, r.plan.age_hi))
        groups.setdefault(key, []).append(r)
    for group in groups.values():
        if len(group) < 2:
            continue
        if len({r.result for r in group}) > 1 and not all(
                r.result in ("not_protected", "excluded_offence") for r in group):
            return True
        signatures: set[tuple[str, int]] = set()
        for r in group:
            cv = r.plan.version
            if cv is None:
                signatures.add(("not_in_force", 0))
                continue
            table = truth_table(cv.nodes, cv.root, r.leaves, variables)
            if table is None:  # too large to compare exactly: assume it matters
                return True
            signatures.add(("table", table.table))
        if len(signatures) > 1:
            return True
    return False


def _decisive_split(results: Sequence[ScenarioResult], dim: str) -> bool:
    """True if one answer on this dimension alone would settle the result (as for every
    other question): within at least one of its values, the scenarios all agree on a
    determined result."""
    groups: dict[Any, set[Result]] = {}
    for r in results:
        key = ((r.plan.date_lo, r.plan.date_hi) if dim == "date"
               else (r.plan.age_lo, r.plan.age_hi))
        groups.setdefault(key, set()).add(r.result)
    return any(len(g) == 1 and "undetermined" not in g for g in groups.values())


def _trial_values(fact: str) -> list[Any]:
    spec = vocabulary().facts[fact]
    if spec.type == "finding":
        return [True, False]
    if spec.type == "choice":
        return list(spec.values)
    return [[]] + [[v] for v in spec.values]


def _decisive_across(ruleset: Ruleset, results: Sequence[ScenarioResult],
                     findings: Mapping[str, Given], offence: ResolvedOffence,
                     fact: str) -> bool:
    """Whether one answer to ``fact`` alone would settle the result of a count whose age or
    date is known only as a range: some answer gives every reading the same determined
    result. Each reading is evaluated again with the answer, exclusion check included."""
    for value in _trial_values(fact):
        trial = {**findings, fact: Given(value, value, "finding")}
        seen: set[Result] = set()
        for r in results:
            cv = r.plan.version
            if cv is None:
                seen.add("not_in_force")
                continue
            exclusion = None
            if cv.exclusion_list is not None and cv.version.exclusions is not None:
                part = trial.get("participation")
                exclusion = _check_exclusion(
                    cv.exclusion_list, offence, None if part is None else part.finding,
                    trial, r.plan.date_lo, cv.version.exclusions.citation)
            layout = _layout(ruleset, cv)
            leaves = {k: _leaf_value(k, r.plan, trial, exclusion) for k in layout.leaf_keys}
            seen.add(_result_of(cv, evaluate_nodes(cv.nodes, leaves), exclusion))
            if len(seen) > 1 or "undetermined" in seen:
                break
        if len(seen) == 1 and "undetermined" not in seen:
            return True
    return False


def _join_labels(parts: Sequence[Text]) -> Text:
    if not parts:
        return _text("as given", "zoals opgegeven")
    return _text(", ".join(p.en for p in parts), ", ".join(p.nl for p in parts))


def evaluate_case(ruleset: Ruleset, case: Case, as_of: dt.date, engine: Engine = REFERENCE,
                  library_version: str = "0") -> Outcome:
    counts = [evaluate_count(ruleset, case, c, as_of, engine) for c in case.counts]
    results = {c.result for c in counts}
    versions = sorted({c.version_from for c in counts if c.version_from is not None}
                      | {s.version_from for c in counts for s in c.scenarios
                         if s.version_from is not None})
    return Outcome(
        case_id=case.case_id, ruleset=_ruleset_ref(ruleset),
        result=results.pop() if len(results) == 1 else None,
        counts=counts,
        questions=_merge_questions([c.questions for c in counts]),
        caveats=_dedupe_caveats([cav for c in counts for cav in c.caveats]),
        provenance=_provenance(ruleset, tuple(versions), engine.name, as_of, library_version),
    )


_provenance_cache: dict[tuple[Any, ...], tuple[Ruleset, Provenance]] = {}


def _provenance(ruleset: Ruleset, versions: tuple[dt.date, ...], engine: str,
                as_of: dt.date, library_version: str) -> Provenance:
    key = (id(ruleset), versions, engine, as_of, library_version)
    hit = _provenance_cache.get(key)
    if hit is not None and hit[0] is ruleset:
        return hit[1]
    made = Provenance(library_version=library_version, ruleset_id=ruleset.spec.id,
                      ruleset_versions=versions, ruleset_content_hash=ruleset.content_hash,
                      engine=engine, as_of=as_of)
    if len(_provenance_cache) > 4096:  # as-of dates vary in long batch runs; stay small
        _provenance_cache.clear()
    _provenance_cache[key] = (ruleset, made)
    return made


_refs: dict[int, tuple[Ruleset, RulesetRef]] = {}


def _ruleset_ref(ruleset: Ruleset) -> RulesetRef:
    hit = _refs.get(id(ruleset))
    if hit is not None and hit[0] is ruleset:
        return hit[1]
    spec = ruleset.spec
    ref = RulesetRef(id=spec.id, title=spec.title, jurisdiction=spec.jurisdiction,
                     jurisdiction_name=spec.jurisdiction_name, instrument=spec.instrument,
                     provision=spec.provision, url=spec.url, kind=spec.kind,
                     legal_effect=spec.legal_effect, status=spec.status,
                     burden=spec.burden.label)
    _refs[id(ruleset)] = (ruleset, ref)
    return ref
