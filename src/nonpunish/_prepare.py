"""Preparing a count for evaluation: everything decided once, in Python, before an engine runs.

The burden model turns states of the evidence into findings; the offence charged is matched
to the catalogue and checked against the exclusion list (three-valued: a condition still
unknown leaves it open); the relevant date and the age, when known only as ranges, are cut
at every boundary the ruleset has into *plans* (scenarios), each on one side of every
boundary; and every leaf of the condition tree gets its value for a plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._case import Case, Count, Evidence, EvidenceLevel
from ._dates import EARLIEST, age_on, born_on_leap_day, fmt, leap_day_matters
from ._engine import Tri
from ._memo import OwnedCache
from ._offences import (
    Catalogue,
    CatalogueOffence,
    DatedValue,
    ExclusionList,
    ListEntry,
    catalogue_by_statute,
    catalogues,
    find_offence,
    match_by_statute,
    matches_by_statute,
    normalise_statute,
    section_tokens,
)
from ._outcome import (
    Citation,
    ExclusionCheck,
    ExclusionMatch,
    OffenceRef,
    build_exclusion_check,
    build_exclusion_match,
)
from ._ruleset import AGE_LEAVES, CompiledVersion, LeafKey, Ruleset
from ._text import Text


def _text(en: str, nl: str) -> Text:
    return Text(en=en, nl=nl)


# --- facts -------------------------------------------------------------------------------

@dataclass(slots=True)  # not frozen: built for every fact of every case, and never changed
class Given:
    """A fact as the case gave it, and the finding the burden model made of it."""

    raw: Any
    finding: Any  # bool | None for findings; str | list | None for choice and set facts
    basis: str


def _findings(ruleset: Ruleset, case: Case, count: Count,
              offence: ResolvedOffence | None = None) -> dict[str, Given]:
    burden = ruleset.spec.burden
    merged: dict[str, Any] = {**case.facts, **count.facts}
    merged["conduct"] = count.conduct
    merged["participation"] = count.participation
    merged["offence_category"] = offence.ref.category if offence is not None else None
    true_from = burden.finding_true_from.rank
    out: dict[str, Given] = {}
    for name, raw in merged.items():
        # Plain values first: isinstance against a pydantic model is slow.
        if raw is None or (isinstance(raw, str) and raw == "unknown"):
            out[name] = Given(None, None, "not_given")
        elif isinstance(raw, (bool, str, list)) or not isinstance(raw, Evidence):
            out[name] = Given(raw, raw, "finding")
        else:
            if raw.evidence == EvidenceLevel.NOT_ASSESSED and not raw.disproved:
                finding: Any = None
            elif raw.disproved and burden.disproof_defeats:
                finding = False
            else:
                finding = raw.evidence.rank >= true_from
            out[name] = Given(raw, finding, "evidence")
    return out


# --- offences and exclusion ----------------------------------------------------------------

@dataclass(frozen=True)
class ResolvedOffence:
    ref: OffenceRef
    catalogue_key: str | None  # key in the ruleset's catalogue, if matched
    #: When the statute and section hold several catalogued offences: their keys. The count
    #: is then read as each of them in turn.
    candidates: tuple[str, ...] = ()


_resolved: OwnedCache[Ruleset, ResolvedOffence] = OwnedCache()


def _resolve_offence(ruleset: Ruleset, count: Count) -> ResolvedOffence:
    """The offence charged, matched to the ruleset's catalogue (cached for catalogue ids:
    the result is frozen reference data)."""
    if count.offence.id is None:
        return _resolve_uncached(ruleset, count)
    return _resolved.get(ruleset, count.offence.id, lambda: _resolve_uncached(ruleset, count))


def _resolve_uncached(ruleset: Ruleset, count: Count) -> ResolvedOffence:
    off = count.offence
    cat: Catalogue | None = catalogues().get(ruleset.spec.catalogue or "")
    if off.id is None and off.statute is None:
        return ResolvedOffence(OffenceRef(id=None, statute=None, section=None, title=off.title,
                                          category=off.category, catalogued=False), None)
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
        # The section given may be narrower than the catalogue's ("9(1)(a)" is burglary
        # under section 9); another catalogue's offence under the same statute and section
        # (a UK-wide Act) is this catalogue's offence.
        ref = OffenceRef(id=cat.full_id(key_match) if off.id is None else off.id,
                         statute=entry.statute, section=entry.section,
                         title=entry.title, category=entry.category, catalogued=True)
        return ResolvedOffence(ref, key_match)
    ref = OffenceRef(id=off.id, statute=statute, section=section,
                     title=off.title if off.id is None else entry.title,
                     category=off.category if off.id is None else entry.category,
                     catalogued=False)
    tied = matches_by_statute(cat, statute, section) if cat is not None else []
    return ResolvedOffence(ref, None, tuple(tied) if len(tied) > 1 else ())


_dated_values: OwnedCache[CatalogueOffence, dict[str, tuple[DatedValue, ...]]] = OwnedCache()


def charge_facts(ruleset: Ruleset, offence: ResolvedOffence,
                 day: dt.date) -> tuple[dict[str, Any], list[str]]:
    """The facts of the charge the catalogue settles for this offence on ``day``, and the
    notes of any unverified value among them."""
    if offence.catalogue_key is None or not ruleset.spec.catalogue:
        return {}, []
    entry = catalogues()[ruleset.spec.catalogue].offences[offence.catalogue_key]
    if not entry.facts:
        return {}, []
    values: dict[str, Any] = {}
    notes: list[str] = []
    for name, dated in _dated_values.get(entry, None, entry.fact_values).items():
        for dv in dated:
            if dv.holds_on(day):
                values[name] = dv.value
                if not dv.verified and dv.note:
                    notes.append(f"{name}: {dv.note}")
                break
    return values, notes


def with_charge_facts(findings: Mapping[str, Given],
                      values: Mapping[str, Any]) -> Mapping[str, Given]:
    """Findings with the catalogue's facts of the charge. The catalogue's value is the law
    for a catalogued offence, so it stands over anything the case says; a case's own value
    counts only for what the catalogue does not settle."""
    if not values:
        return findings
    out = dict(findings)
    for name, value in values.items():
        out[name] = Given(value, value, "derived")
    return out


_ALL_MODES = ("principal", "attempt", "conspiracy", "aiding_abetting", "encouraging_assisting")
_EVERY_MODE = frozenset(_ALL_MODES)


def _kleene_or(values: Sequence[Tri]) -> Tri:
    result: Tri = False
    for v in values:
        if v is True:
            return True
        if v is not False:
            result = None
    return result


_list_index: OwnedCache[ExclusionList, tuple[dict[str, list[ListEntry]],
                                              dict[str, str | None]]] = OwnedCache()


def _indexed(xl: ExclusionList) -> tuple[dict[str, list[ListEntry]], dict[str, str | None]]:
    """A list's entries by catalogue key, and the paragraph reaching each form of
    participation (None: the entry itself), worked out once per list."""
    return _list_index.get(xl, None, lambda: _make_index(xl))


def _make_index(xl: ExclusionList) -> tuple[dict[str, list[ListEntry]], dict[str, str | None]]:
    by_key: dict[str, list[ListEntry]] = {}
    for entry in xl.entries:
        by_key.setdefault(entry.offence, []).append(entry)
    modes: dict[str, str | None] = {"principal": None}
    for anc in xl.ancillary:
        for mode in anc.participation:
            modes[mode] = anc.paragraph
    return by_key, modes


def _candidate_entries(xl: ExclusionList, offence: ResolvedOffence,
                       by_key: Mapping[str, list[ListEntry]] | None = None) -> list[ListEntry]:
    """The list's entries for this offence (on any date, whatever their conditions). For an
    offence given only by its category: every entry of that category. ``by_key``: the list's
    entries by catalogue key, if at hand."""
    if by_key is None:
        by_key, _ = _indexed(xl)
    if offence.catalogue_key is not None:
        return by_key.get(offence.catalogue_key, [])
    cat = catalogues()[xl.catalogue]
    if offence.ref.statute is None or offence.ref.section is None:
        if offence.ref.category is None:
            return list(xl.entries)
        return [e for e in xl.entries if cat.offences[e.offence].category == offence.ref.category]
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
    subsection), or by a section that holds several offences, so it may or may not be the
    listed offence."""
    if offence.catalogue_key is not None:
        return False
    if offence.ref.section is None:
        return True  # given only by category: it may or may not be this offence
    cat = catalogues()[xl.catalogue]
    target = cat.offences[entry.offence]
    have = section_tokens(target.section)
    want = section_tokens(offence.ref.section)
    if len(want) < len(have):
        return True
    # A section that holds several catalogued offences (one per class of drug) names none.
    same_statute = catalogue_by_statute(cat).get(normalise_statute(target.statute), ())
    return sum(1 for _, section in same_statute if section == have) > 1


def _check_exclusion(xl: ExclusionList, offence: ResolvedOffence,
                     participation: str | None, findings: Mapping[str, Given],
                     day: dt.date, citation: str) -> ExclusionCheck:
    cat = catalogues()[xl.catalogue]
    by_key, modes = _indexed(xl)
    # Whether this form of participation is reached: principal always; others by paragraph.
    if participation is None:
        reach: Tri = True if modes.keys() >= _EVERY_MODE else None
        via = None
    else:
        reach = participation in modes
        via = modes.get(participation)
    candidates = _candidate_entries(xl, offence, by_key)
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
        broadly = _given_broadly(offence, xl, entry)
        if broadly:
            cond = _kleene_and([cond, None])
        matches.append(build_exclusion_match(
            paragraph=entry.paragraph, offence=cat.full_id(entry.offence),
            title=cat.offences[entry.offence].title, wording=entry.wording,
            condition_fact=entry.only_if.fact if entry.only_if else None,
            condition=cond if entry.only_if else None, via=via,
            applies=_kleene_and([cond, reach]), given_broadly=broadly))
    excluded = _kleene_or([m.applies for m in matches]) if matches else False
    return build_exclusion_check(
        list_id=xl.id, title=xl.title,
        citation=_list_citation(xl, citation),
        closed=xl.closed, excluded=excluded, matches=matches,
        matched_by="catalogue" if offence.catalogue_key is not None
        else "statute_and_section" if offence.ref.section is not None else "category")


_list_citations: OwnedCache[ExclusionList, Citation] = OwnedCache()


def _list_citation(xl: ExclusionList, citation: str) -> Citation:
    """The list's citation (frozen, so built once and shared)."""
    return _list_citations.get(xl, citation, lambda: Citation(
        instrument=xl.instrument, provision=f"{xl.provision} ({citation})", url=xl.url))


def _kleene_and(values: Sequence[Tri]) -> Tri:
    result: Tri = True
    for v in values:
        if v is False:
            return False
        if v is not True:
            result = None
    return result


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
    #: The version reaches this earlier act only as the more favourable later law.
    retroactive: bool = False
    #: What to ask for when the age is in doubt (see :func:`age_question`).
    age_fact: str = "age_at_act"


def _version_for(ruleset: Ruleset, count: Count, day: dt.date,
                 as_of: dt.date) -> tuple[CompiledVersion | None, bool]:
    """The version that governs ``day``, and whether it does so only retroactively."""
    version = ruleset.version_on(day)
    if version is not None or day >= ruleset.commencement:
        return version, False
    rule = ruleset.spec.temporal.rule
    if rule == "as_if_in_force":
        return ruleset.compiled[0], False
    if rule == "lex_mitior" and ruleset.spec.temporal.relevant_date == "act":
        # A later, more favourable law reaches an earlier act that is decided after it began.
        # (Where the decision is the relevant date, ``day`` is already the decision's.)
        decided = count.decision_date or as_of
        if decided >= ruleset.commencement:
            return ruleset.compiled[0], True
    return None, False


def _bounds(value: Any, default_lo: dt.date, default_hi: dt.date) -> tuple[dt.date, dt.date]:
    if value is None:
        return default_lo, default_hi
    if isinstance(value, dt.date):
        return value, value
    return value.earliest or default_lo, value.latest or default_hi


def age_question(case: Case, count: Count) -> str:
    """The fact to ask for when the age at the act is in doubt, in a form the case can take
    as it stands: the act date when the date of birth is exact (the doubt is then about the
    date), the date of birth when it is a range (an age cannot be given beside it), and
    otherwise the age itself."""
    dob = case.person.date_of_birth
    if dob is None:
        return "age_at_act"
    return "act_date" if isinstance(dob, dt.date) else "date_of_birth"


def _age_range(case: Case, count: Count, act_lo: dt.date, act_hi: dt.date,
               as_of: dt.date) -> tuple[int, int, dt.date | None]:
    age = count.age_at_act if count.age_at_act is not None else case.person.age_at_act
    if age is not None:
        return (age, age, None) if isinstance(age, int) else (age.min, age.max, None)
    dob = case.person.date_of_birth
    if dob is None:
        return 0, 120, None
    if isinstance(dob, dt.date) and act_lo == act_hi:  # the common case: one age
        age = max(0, age_on(dob, max(act_lo, dob)))
        return age, age, dob
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


_boundaries: OwnedCache[Ruleset, Sequence[dt.date]] = OwnedCache()


def _boundary_dates(ruleset: Ruleset, offence: ResolvedOffence | None) -> Sequence[dt.date]:
    """The dates on which the ruleset changes for this offence, in order: every version and
    list start or end, but a list entry's own dates (an offence added to the list later)
    only when the entry is this offence. Other entries' dates change nothing here."""
    if offence is None:
        return ruleset.boundary_dates
    if offence.catalogue_key is not None:
        return _boundaries.get(ruleset, offence.catalogue_key,
                               lambda: _boundary_dates_uncached(ruleset, offence))
    return _boundary_dates_uncached(ruleset, offence)


def _boundary_dates_uncached(ruleset: Ruleset, offence: ResolvedOffence) -> Sequence[dt.date]:
    dates: set[dt.date] = set()
    if offence.catalogue_key is not None and ruleset.spec.catalogue:
        dates |= catalogues()[ruleset.spec.catalogue].offences[offence.catalogue_key].fact_dates()
    for cv in ruleset.compiled:
        dates.add(cv.version.valid_from)
        if cv.version.valid_to is not None:
            dates.add(cv.version.valid_to + dt.timedelta(days=1))
        for xl in ([cv.exclusion_list] if cv.exclusion_list is not None else []) + list(
                cv.lists.values()):
            dates.add(xl.valid_from)
            for listed in _candidate_entries(xl, offence):
                if listed.valid_from:
                    dates.add(listed.valid_from)
                if listed.valid_to:
                    dates.add(listed.valid_to + dt.timedelta(days=1))
    return sorted(dates)


def plan(ruleset: Ruleset, case: Case, count: Count, as_of: dt.date,
         offence: ResolvedOffence | None = None) -> list[Plan]:
    spec = ruleset.spec
    thresholds = ruleset.age_threshold_list
    if isinstance(count.act_date, dt.date) and spec.temporal.relevant_date == "act":
        # The common case, one exact date: a single scenario unless the age straddles a limb.
        day = count.act_date
        age_lo, age_hi, exact_dob = _age_range(case, count, day, day, as_of)
        if age_lo == age_hi or not any(age_lo < t <= age_hi for t in thresholds):
            version, retro = _version_for(ruleset, count, day, as_of)
            leap = exact_dob is not None and born_on_leap_day(exact_dob) and any(
                leap_day_matters(exact_dob, t, day, day) for t in thresholds)
            return [Plan(day, day, age_lo, age_hi, version, False, False, leap, [], retro,
                         age_question(case, count))]
    act_lo, act_hi = _bounds(count.act_date, EARLIEST, as_of)
    act_hi = min(act_hi, as_of)
    dob_lo, _ = _bounds(case.person.date_of_birth, EARLIEST, as_of)
    act_lo = max(act_lo, dob_lo)  # no act before birth
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
        version, retro = _version_for(ruleset, count, lo, as_of)
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
                              leap, parts, retro, age_question(case, count)))
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

#: Leaves that test a fact as found: a finding, a choice's value, or a set's members.
FINDING_LEAVES = ("fact", "is", "includes_any")


def leaf_values(unknown: Mapping[LeafKey, Tri], finding_leaves: Sequence[LeafKey],
                other_leaves: Sequence[LeafKey], p: Plan, findings: Mapping[str, Given],
                exclusion: ExclusionCheck | None,
                listed: Mapping[str, ExclusionCheck] | None = None) -> dict[LeafKey, Tri]:
    """The value of every leaf of ``unknown`` (a mapping of each key to None, built once: a
    copy is cheaper than a new dict): ``finding_leaves`` are those of kinds in
    :data:`FINDING_LEAVES`, ``other_leaves`` the rest. A fact not found leaves its leaves
    open."""
    leaves = dict(unknown)
    for leaf in finding_leaves:
        g = findings.get(leaf[1])
        if g is None or g.finding is None:
            continue
        kind = leaf[0]
        if kind == "fact":
            leaves[leaf] = bool(g.finding)
        elif kind == "is":
            leaves[leaf] = bool(g.finding == leaf[2])
        else:  # includes_any
            leaves[leaf] = any(v in g.finding for v in leaf[2])
    for leaf in other_leaves:
        leaves[leaf] = _leaf_value(leaf, p, exclusion, listed)
    return leaves


def _leaf_value(leaf: LeafKey, p: Plan, exclusion: ExclusionCheck | None,
                listed: Mapping[str, ExclusionCheck] | None = None) -> Tri:
    """The value of a leaf that tests the age or an offence list."""
    kind = leaf[0]
    if kind == "age_at_least":
        return True if p.age_lo >= leaf[1] else False if p.age_hi < leaf[1] else None
    if kind == "age_under":
        return True if p.age_hi < leaf[1] else False if p.age_lo >= leaf[1] else None
    if kind == "age_over":
        # "Over N": plainly so from N + 1; aged exactly N the words read either way.
        return True if p.age_lo > leaf[1] else False if p.age_hi < leaf[1] else None
    if kind == "excluded":
        return None if exclusion is None else exclusion.excluded
    if kind == "listed":
        check = None if listed is None else listed.get(leaf[1])
        return None if check is None else check.excluded
    raise AssertionError(leaf)


def _leaf_fact(leaf: LeafKey) -> str | None:
    if leaf[0] in ("fact", "is", "includes_any"):
        return str(leaf[1])
    if leaf[0] in AGE_LEAVES:
        return "age_at_act"
    return None


# --- explanation ---------------------------------------------------------------------------

