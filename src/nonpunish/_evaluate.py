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

Steps 1 and 2 live in ``_prepare``, step 4 in ``_explain``; this module runs them and merges.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ._case import Case, Count, DateRange, Offence
from ._engine import REFERENCE, Engine, Tri, evaluate_nodes
from ._explain import (
    _CAVEAT_AGE_NOT_GIVEN,
    _CAVEAT_GIVEN_BROADLY,
    _CAVEAT_LEAP_DAY,
    ScenarioResult,
    _dedupe_caveats,
    _evaluate_scenario,
    _fixed_caveats,
    _layout,
    _merge_questions,
    _result_of,
    _split_question,
    scenario_leaves,
)
from ._memo import OwnedCache
from ._offences import catalogues
from ._outcome import (
    Caveat,
    CountOutcome,
    Outcome,
    Provenance,
    Result,
    RulesetRef,
    Scenario,
    build_question,
)
from ._prepare import (
    Given,
    ResolvedOffence,
    _findings,
    _resolve_offence,
    _text,
    age_question,
    charge_facts,
    leaf_values,
    plan,
)
from ._ruleset import Ruleset
from ._text import Text
from ._truth import truth_table
from ._vocabulary import vocabulary

_FAVOUR = {"protected": 3, "undetermined": 2, "not_protected": 1, "excluded_offence": 1,
           "not_in_force": 0}


def evaluate_count(ruleset: Ruleset, case: Case, count: Count, as_of: dt.date,
                   engine: Engine) -> CountOutcome:
    """One count's outcome. A statute and section that hold several catalogued offences (one
    per class of drug) are read as each of them: the result stands if every reading gives it,
    and is undetermined otherwise, with each reading shown as a scenario."""
    offence = _resolve_offence(ruleset, count)
    if not offence.candidates:
        return _with_lex_mitior(ruleset, case, count, as_of, engine, offence)
    catalogue = catalogues()[ruleset.spec.catalogue or ""]
    readings = [(key, _with_lex_mitior(ruleset, case, count.model_copy(update={
        "offence": Offence(id=catalogue.full_id(key))}), as_of, engine))
        for key in offence.candidates]
    outs = [o for _, o in readings]
    results = {o.result for o in outs}
    limbs = {o.limb for o in outs}
    same = len(results) == 1
    result = outs[0].result if same else "undetermined"
    names = "; ".join(f"{catalogue.offences[k].title}: {o.result.replace('_', ' ')}"
                      for k, o in readings)
    names_nl = "; ".join(f"{catalogue.offences[k].title}: {_RESULT_NL[o.result]}"
                         for k, o in readings)
    caveat = Caveat(id="offence-read-each-way", kind="uncatalogued_offence", text=_text(
        "The statute and section given hold several offences in the catalogue (one per class "
        "of drug, say); the count was read as each of them. Give the offence's catalogue id "
        "to settle which.",
        "Het opgegeven wetsartikel omvat meerdere feiten in de catalogus (bijvoorbeeld één "
        "per klasse drugs); de tenlastelegging is als elk daarvan gelezen. Geef de "
        "catalogus-id van het feit om te bepalen welk."))
    return CountOutcome(
        count_id=count.id, offence=offence.ref, participation=count.participation,
        result=result,
        legal_effect=outs[0].legal_effect if same and result == "protected" else None,
        limb=limbs.pop() if same and len(limbs) == 1 else None,
        reason=_text((f"Whichever offence the section means, the result is the same: {names}."
                      if same else f"The result depends on which offence the section means: "
                      f"{names}."),
                     (f"Welk feit het artikel ook bedoelt, de uitkomst is dezelfde: {names_nl}."
                      if same else f"De uitkomst hangt af van welk feit het artikel bedoelt: "
                      f"{names_nl}.")),
        deciding_elements=(list(dict.fromkeys(d for o in outs for d in o.deciding_elements))
                           if same else []),
        scenarios=[Scenario(label=_text(catalogue.offences[k].title,
                                        catalogue.offences[k].title),
                            result=o.result, limb=o.limb, version_from=o.version_from,
                            elements=o.elements, exclusion=o.exclusion) for k, o in readings],
        caveats=_dedupe_caveats([caveat, *(c for o in outs for c in o.caveats)]),
        questions=[] if same and result != "undetermined" else _merge_questions(
            [o.questions for o in outs]))


def _with_lex_mitior(ruleset: Ruleset, case: Case, count: Count, as_of: dt.date,
                     engine: Engine, offence: ResolvedOffence | None = None) -> CountOutcome:
    """One count's outcome. Under lex mitior with a predecessor, an act done before the
    provision began gets the more favourable of the predecessor's outcome (the law at the
    time) and this provision's (the later law); an act that may fall on either side stands
    only if both sides agree. ``offence``: the count's, if already resolved."""
    out = _evaluate_count(ruleset, case, count, as_of, engine, offence)
    temporal = ruleset.spec.temporal
    if temporal.rule != "lex_mitior" or temporal.predecessor is None:
        return out
    start = ruleset.commencement
    # Open ends stay None here: an act with no known start may lie before the change.
    act_lo, act_hi = _bounds_or_none(count.act_date)
    dob_lo, _ = _bounds_or_none(case.person.date_of_birth)
    if (act_lo is not None and act_lo >= start) or (dob_lo is not None and dob_lo >= start):
        return out  # the act cannot have been done before the change
    from ._ruleset import load_shipped

    wholly_before = act_hi is not None and act_hi < start
    before_count = count if wholly_before else count.model_copy(
        update={"act_date": DateRange(earliest=act_lo, latest=start - dt.timedelta(days=1))})
    at_the_time = _evaluate_count(load_shipped(temporal.predecessor), case, before_count,
                                  as_of, engine)
    later_law = out if wholly_before else _evaluate_count(ruleset, case, before_count, as_of,
                                                          engine)
    before = later_law
    if _FAVOUR[at_the_time.result] > _FAVOUR[later_law.result]:
        before = _as_predecessors(ruleset, at_the_time)
    if wholly_before:
        return before
    after = _evaluate_count(ruleset, case, count.model_copy(
        update={"act_date": DateRange(earliest=start, latest=act_hi)}), as_of, engine)
    if before.result == after.result:
        return out if out.result == after.result else after
    return dataclasses.replace(
        out, result="undetermined", legal_effect=None, limb=None, deciding_elements=[],
        reason=_text(
            f"The act may have been done before {ruleset.spec.provision} began "
            f"({before.result.replace('_', ' ')}, under the more favourable law), or after "
            f"({after.result.replace('_', ' ')}): the result depends on the date.",
            f"Het feit kan vóór de inwerkingtreding van {ruleset.spec.provision} zijn "
            f"gepleegd ({_RESULT_NL[before.result]}, naar de gunstigste wet), of daarna "
            f"({_RESULT_NL[after.result]}): de uitkomst hangt af van de datum."),
        questions=_merge_questions([[_split_question("act_date", True, count.id)],
                                    out.questions]))


def _as_predecessors(ruleset: Ruleset, outcome: CountOutcome) -> CountOutcome:
    """The predecessor's outcome, shown as the more favourable law at the time of the act."""
    temporal = ruleset.spec.temporal
    extra = [Caveat(
        id="lex-mitior-predecessor", kind="interpretation",
        text=_text(
            f"The act was done before {ruleset.spec.provision} began. The law in force at the "
            f"time ({temporal.predecessor}) gives the more favourable outcome, so it is the "
            "one shown: the more favourable law applies.",
            f"Het feit is gepleegd vóór {ruleset.spec.provision} in werking trad. Het recht "
            f"dat toen gold ({temporal.predecessor}) geeft de gunstigere uitkomst, dus die "
            "wordt getoond: de gunstigste wet is van toepassing."),
        citation=temporal.citation, url=temporal.url)]
    if temporal.lex_mitior is not None:
        extra.append(Caveat(id="lex-mitior", kind="interpretation", text=temporal.lex_mitior,
                            citation=temporal.citation, url=temporal.url))
    return dataclasses.replace(outcome, applied_ruleset=temporal.predecessor,
                               caveats=_dedupe_caveats([*outcome.caveats, *extra]))


def _bounds_or_none(value: dt.date | DateRange | None) -> tuple[dt.date | None, dt.date | None]:
    if value is None or isinstance(value, dt.date):
        return value, value
    return value.earliest, value.latest


def _evaluate_count(ruleset: Ruleset, case: Case, count: Count, as_of: dt.date,
                    engine: Engine, offence: ResolvedOffence | None = None) -> CountOutcome:
    spec = ruleset.spec
    if offence is None:
        offence = _resolve_offence(ruleset, count)
    findings = _findings(ruleset, case, count, offence)
    plans = plan(ruleset, case, count, as_of, offence)
    results = [_evaluate_scenario(ruleset, count, p, findings, offence, engine)
               for p in plans]

    fixed = _fixed_caveats(ruleset)
    caveats: list[Caveat] = []
    by_category = offence.ref.section is None and offence.catalogue_key is None
    if "uncatalogued-offence" in fixed and not by_category and (
            not offence.ref.catalogued or (
                count.offence.id is None and offence.catalogue_key is None)):
        caveats.append(fixed["uncatalogued-offence"])
    # What the scenarios have in common, in one pass.
    given_broadly = leap_day = age_split = date_split = may_protect = out_of_force = False
    for r in results:
        if r.exclusion is not None and r.exclusion.matches and not given_broadly:
            given_broadly = any(m.given_broadly and m.applies is None
                                for m in r.exclusion.matches)
        p = r.plan
        leap_day = leap_day or p.leap_day
        age_split = age_split or p.age_split
        date_split = date_split or p.date_split
        may_protect = may_protect or r.result in ("protected", "undetermined")
        out_of_force = out_of_force or r.result == "not_in_force"
    if given_broadly:
        caveats.append(_CAVEAT_GIVEN_BROADLY)
    if leap_day:
        caveats.append(_CAVEAT_LEAP_DAY)
    if age_split:
        age_given = (case.person.date_of_birth is not None
                     or case.person.age_at_act is not None or count.age_at_act is not None)
        if not age_given:
            caveats.append(_CAVEAT_AGE_NOT_GIVEN)
        elif "disputed-age" in fixed:
            caveats.append(fixed["disputed-age"])
    if date_split and "date-straddles-boundary" in fixed:
        caveats.append(fixed["date-straddles-boundary"])
    if may_protect:
        for g in findings.values():
            if g.basis == "evidence":
                caveats.append(fixed["burden-of-proof"])
                break
    if case.competent_authority and "competent-authority-decision" in fixed:
        caveats.append(fixed["competent-authority-decision"])
    for r in results:
        caveats.extend(r.caveats)

    first = results[0]
    applies_instead = spec.temporal.before_commencement if out_of_force else None
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

    same = all(r.result == first.result for r in results)
    labels = [_join_labels(r.plan.label_parts) for r in results]
    scenarios = [Scenario(label=label, result=r.result, limb=r.limb,
                          version_from=r.plan.version.version.valid_from
                          if r.plan.version else None,
                          elements=r.elements, exclusion=r.exclusion)
                 for label, r in zip(labels, results, strict=True)]
    questions = _merge_questions([r.questions for r in results])
    split_qs = []
    for dim, fact in (("date", "act_date"), ("age", age_question(case, count))):
        if not any(getattr(r.plan, f"{dim}_split") for r in results):
            continue
        if not _split_matters(results, dim, ruleset.age_threshold_list):
            continue
        split_qs.append(_split_question(fact, _decisive_split(results, dim), count.id))
    if questions:
        # Each reading's values, from which each answer is evaluated.
        bases = [None if r.plan.version is None else evaluate_nodes(r.plan.version.nodes,
                                                                     r.leaves)
                 for r in results]
        questions = [build_question(fact=q.fact, text=q.text, help=q.help,
                                    decisive=_decisive_across(ruleset, results, bases, findings,
                                                              offence, q.fact),
                                    elements=q.elements, counts=q.counts) for q in questions]
    questions = _merge_questions([split_qs, questions])
    if same:
        limbs = {r.limb for r in results}
        result = first.result
        limb = limbs.pop() if len(limbs) == 1 else None
        reason = first.reason if len({r.reason.en for r in results}) == 1 else _text(
            "Every reading of the disputed age or date gives the same result: "
            + " / ".join(f"{label.en}: {r.reason.en}"
                         for label, r in zip(labels, results, strict=True)),
            "Elke lezing van de betwiste leeftijd of datum geeft dezelfde uitkomst: "
            + " / ".join(f"{label.nl}: {r.reason.nl}"
                         for label, r in zip(labels, results, strict=True)))
        deciding = list(dict.fromkeys(d for r in results for d in r.deciding))
        if result != "undetermined":
            questions = []
    else:
        result = "undetermined"
        limb = None
        reason = _text(
            "The result depends on facts known only as a range: "
            + "; ".join(f"{label.en}: {r.result.replace('_', ' ')}"
                        for label, r in zip(labels, results, strict=True)) + ".",
            "De uitkomst hangt af van feiten die alleen als bandbreedte bekend zijn: "
            + "; ".join(f"{label.nl}: {_RESULT_NL[r.result]}"
                        for label, r in zip(labels, results, strict=True)) + ".")
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


def _split_matters(results: Sequence[ScenarioResult], dim: str,
                   thresholds: Sequence[int] = ()) -> bool:
    """Whether knowing this dimension (the act date, or the age) could change the result:
    with the other dimension fixed, two readings along it differ for some answers to the
    open questions (their truth tables over the same unknown leaves differ)."""
    other = "age" if dim == "date" else "date"
    variables = tuple(dict.fromkeys(
        key for r in results if r.plan.version is not None
        for key, value in r.leaves.items() if value is None))
    groups: dict[Any, list[ScenarioResult]] = {}
    # Readings differ along the other dimension only if it was split; an age that merely
    # grows across the date's pieces is not a second question.
    other_split = any(getattr(r.plan, f"{other}_split") for r in results)
    for r in results:
        # An age reading is a band between thresholds: the same band in two date pieces is
        # the same reading, though the ages in it grow with the date.
        key = (None if not other_split else (r.plan.date_lo, r.plan.date_hi)
               if other == "date" else tuple(r.plan.age_lo >= t for t in thresholds))
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
                     bases: Sequence[list[Tri] | None], findings: Mapping[str, Given],
                     offence: ResolvedOffence, fact: str) -> bool:
    """Whether one answer to ``fact`` alone would settle the result of a count whose age or
    date is known only as a range: some answer gives every reading the same determined
    result. Each reading is evaluated again with the answer, exclusion check included:
    from its values as they are (``bases``), only the leaves that test the fact and the nodes
    above them."""
    # The readings in force, each with whether the catalogue settles the fact for the
    # charge (its value then stands over any answer).
    readings = []
    for r, base in zip(results, bases, strict=True):
        cv = r.plan.version
        if cv is not None and base is not None:
            settled = fact in charge_facts(ruleset, offence, r.plan.date_lo)[0]
            readings.append((r, cv, _layout(ruleset, cv), base, settled))
    out_of_force = len(readings) < len(results)
    for value in _trial_values(fact):
        answer = Given(value, value, "finding")
        seen: set[Result] = {"not_in_force"} if out_of_force else set()
        for r, cv, layout, base, settled in readings:
            if fact in layout.check_facts:
                # The answer may change an offence list's check: prepare the reading again.
                *_, leaves = scenario_leaves(ruleset, cv, layout, r.plan,
                                             {**findings, fact: answer}, offence)
                values = evaluate_nodes(cv.nodes, leaves)
            elif settled:
                values = base
            else:
                keys = layout.finding_leaves_of.get(fact, ())
                answered = leaf_values(dict.fromkeys(keys), keys, (), r.plan, {fact: answer},
                                       None)
                values = evaluate_nodes(layout.reached_by.get(fact, ()), answered, list(base))
            seen.add(_result_of(cv, values))
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
    counts: list[CountOutcome] = []
    results: set[Result] = set()
    versions: set[dt.date] = set()
    for count in case.counts:
        c = evaluate_count(ruleset, case, count, as_of, engine)
        counts.append(c)
        results.add(c.result)
        if c.version_from is not None:
            versions.add(c.version_from)
        for s in c.scenarios:
            if s.version_from is not None:
                versions.add(s.version_from)
    if len(counts) == 1:
        # A count's questions are already merged (one a fact, decisive first), and its
        # caveats already once each.
        questions = list(counts[0].questions)
        caveats = list(counts[0].caveats)
    else:
        questions = _merge_questions([c.questions for c in counts])
        caveats = _dedupe_caveats([cav for c in counts for cav in c.caveats])
    return Outcome(
        case_id=case.case_id, ruleset=_ruleset_ref(ruleset),
        result=results.pop() if len(results) == 1 else None,
        counts=counts, questions=questions, caveats=caveats,
        provenance=_provenance(ruleset, tuple(sorted(versions)), engine.name, as_of,
                               library_version),
    )


_provenances: OwnedCache[Ruleset, Provenance] = OwnedCache()
_refs: OwnedCache[Ruleset, RulesetRef] = OwnedCache()


def _provenance(ruleset: Ruleset, versions: tuple[dt.date, ...], engine: str,
                as_of: dt.date, library_version: str) -> Provenance:
    """What produced an outcome (frozen, so shared by outcomes made alike)."""
    return _provenances.get(ruleset, (versions, engine, as_of, library_version),
                            lambda: Provenance(
                                library_version=library_version, ruleset_id=ruleset.id,
                                ruleset_versions=versions,
                                ruleset_content_hash=ruleset.content_hash, engine=engine,
                                as_of=as_of))


def _ruleset_ref(ruleset: Ruleset) -> RulesetRef:
    return _refs.get(ruleset, None, lambda: _make_ruleset_ref(ruleset))


def _make_ruleset_ref(ruleset: Ruleset) -> RulesetRef:
    spec = ruleset.spec
    vs = ruleset.variant_spec
    return RulesetRef(id=ruleset.id, title=spec.title, jurisdiction=spec.jurisdiction,
                      jurisdiction_name=spec.jurisdiction_name, instrument=spec.instrument,
                      provision=spec.provision, url=spec.url, kind=spec.kind,
                      legal_effect=spec.legal_effect, status=spec.status,
                      burden=spec.burden.label, variant=ruleset.variant,
                      variant_label=vs.label if vs is not None else None,
                      parameters=dict(vs.values) if vs is not None else {})
