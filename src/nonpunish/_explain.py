"""Explaining an evaluated tree: the elements with the facts they read, the result and its
reason, the caveats that apply, and the questions whose answers could still change it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._case import Count, Evidence
from ._dates import fmt
from ._engine import Engine, Tri, evaluate_nodes
from ._memo import OwnedCache
from ._offences import (
    ExclusionList,
)
from ._outcome import (
    Caveat,
    Citation,
    ElementOutcome,
    ExclusionCheck,
    FactUse,
    Question,
    Result,
)
from ._prepare import (
    _ALL_MODES,
    Given,
    Plan,
    ResolvedOffence,
    _check_exclusion,
    _indexed,
    _leaf_fact,
    _leaf_value,
    _text,
    charge_facts,
    with_charge_facts,
)
from ._ruleset import AGE_LEAVES, CaveatSpec, CompiledVersion, LeafKey, Limb, Ruleset
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
    #: Whether a fact can be read twice here (two values of one choice), so the facts shown
    #: must be merged.
    repeats: bool = False


@dataclass(frozen=True)
class _Layout:
    """What explaining a version needs, worked out once per version."""

    occurrences: tuple[_Occurrence, ...]
    element_of: dict[int, str]
    limb_age_leaves: dict[Limb, tuple[int, ...]]
    leaf_keys: tuple[LeafKey, ...]
    #: For each leaf key of the tree: a node that reads it, and the elements that ask for it.
    leaf_node: dict[LeafKey, int]
    elements_of_leaf: dict[LeafKey, tuple[str, ...]]


_layouts: OwnedCache[CompiledVersion, _Layout] = OwnedCache()


def _layout(ruleset: Ruleset, cv: CompiledVersion) -> _Layout:
    """The version's layout (a compiled version belongs to one ruleset)."""
    return _layouts.get(cv, None, lambda: _make_layout(ruleset, cv))


def _may_repeat(leaves: Sequence[_LeafRef], reads: Sequence[str]) -> bool:
    names = [leaf.fact for leaf in leaves if leaf.fact] + list(reads)
    dynamic = any(leaf.key[0] in ("excluded", "listed") for leaf in leaves)
    return len(names) != len(set(names)) or (dynamic and len(leaves) + len(reads) > 1)


def _make_layout(ruleset: Ruleset, cv: CompiledVersion) -> _Layout:
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
                    leaf.key[0] in AGE_LEAVES for leaf in leaves),
                _may_repeat(leaves, src.reads)))
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
            if n.leaf is not None and n.leaf[0] in AGE_LEAVES:
                ages.append(i)
            stack.extend(n.children)
        limb_age_leaves[limb] = tuple(ages)
    keys = set(cv.leaves)
    for nodes in ruleset.caveat_conditions.values():
        keys.update(n.leaf for n in nodes if n.leaf is not None)
    leaf_node: dict[LeafKey, int] = {}
    elements_of_leaf: dict[LeafKey, list[str]] = {}
    for n in cv.nodes:
        if n.leaf is not None:
            leaf_node.setdefault(n.leaf, n.index)
            el = element_of.get(n.index)
            ids = elements_of_leaf.setdefault(n.leaf, [])
            if el and el not in ids:
                ids.append(el)
    return _Layout(tuple(occurrences), element_of, limb_age_leaves, tuple(keys), leaf_node,
                   {k: tuple(v) for k, v in elements_of_leaf.items()})


def _fact_use(name: str, findings: Mapping[str, Given], finding: Tri, role: str,
              p: Plan) -> FactUse:
    """How an element read a fact."""
    return _make_fact_use(name, findings.get(name), finding, role, p)


def _make_fact_use(name: str, g: Given | None, finding: Tri, role: str, p: Plan) -> FactUse:
    if name == "age_at_act":
        given: Any = p.age_lo if p.age_lo == p.age_hi else {"min": p.age_lo, "max": p.age_hi}
        return FactUse(fact=name, given=given, finding=finding, basis="derived",
                       role=role)  # type: ignore[arg-type]
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
               exclusion: ExclusionCheck | None = None) -> Result:
    root = values[cv.root]
    if root is True:
        return "protected"
    if cv.excluded_node is not None and values[cv.excluded_node] is True:
        return "excluded_offence"
    if root is False:
        return "not_protected"
    return "undetermined"


def _questions(cv: CompiledVersion, layout: _Layout, values: Sequence[Tri],
               leaves: dict[LeafKey, Tri], exclusion: ExclusionCheck | None,
               findings: Mapping[str, Given], count_id: str, p: Plan | None = None,
               listed: Mapping[str, ExclusionCheck] | None = None) -> list[Question]:
    """The facts whose answers could still change the result, most decisive first.

    A fact is asked only if some answers to the other open questions make its own answer
    matter, and marked decisive if one answer to it alone settles the result; both are read
    from the truth table of the tree over its unknown leaves."""
    vocab = vocabulary().facts
    # Only leaves reachable through open nodes can matter; the others are not variables.
    reachable = _relevant_unknown_leaves(cv, values)
    variables: tuple[LeafKey, ...] = tuple(dict.fromkeys(
        leaf for leaf in (cv.nodes[i].leaf for i in reachable) if leaf is not None))
    table = truth_table(cv.nodes, cv.root, leaves, variables, values)
    if table is not None:
        candidates = [(layout.leaf_node[key], j) for j, key in enumerate(table.variables)
                      if table.depends_on(j)]
    else:  # too many unknowns for a table: fall back on the tree's shape
        candidates = [(i, -1) for i in reachable]
    wanted: dict[str, list[str]] = {}
    variables_of: dict[str, list[int]] = {}
    for i, j in candidates:
        leaf = cv.nodes[i].leaf
        assert leaf is not None
        if leaf[0] == "excluded":
            names = _exclusion_facts(exclusion, findings, cv.exclusion_list)
        elif leaf[0] == "listed":
            names = _exclusion_facts((listed or {}).get(leaf[1]), findings, cv.lists[leaf[1]])
        elif leaf[0] in AGE_LEAVES and p is not None and p.age_lo == p.age_hi:
            names = []  # the age is known: what is open is how the words read
        else:
            name = _leaf_fact(leaf)
            names = [name] if name else []
        for name in names:
            wanted.setdefault(name, [])
            variables_of.setdefault(name, []).append(j)
            for el in layout.elements_of_leaf.get(leaf, ()):
                if el not in wanted[name]:
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
        end = ruleset.compiled[-1].version.valid_to
        ended = end is not None and p.date_lo > end
        verb_en, verb_nl = ("applied until", "gold tot en met") if ended else (
            "applies from", "geldt vanaf")
        day = fmt(end if ended and end is not None else ruleset.commencement)
        this_en, this_nl = (("this decision", "deze beslissing")
                            if spec.temporal.relevant_date == "decision"
                            else ("this act", "dit feit"))
        reason = _text(f"Not in force for {this_en}: {spec.provision} {verb_en} {day}.",
                       f"Niet van toepassing op {this_nl}: {spec.provision} {verb_nl} {day}.")
        return ScenarioResult(p, "not_in_force", None, [], [], None, [], [], reason, [])
    layout = _layout(ruleset, cv)
    findings, exclusion, listed, unverified, leaves = scenario_leaves(
        ruleset, cv, layout, p, findings, offence)
    values = engine.evaluate(cv, leaves)
    result = _result_of(cv, values, exclusion)
    limb = _applied_limb(cv, layout, values)

    elements: list[ElementOutcome] = []
    # A fact read in several places (a shared definition) is described once per outcome.
    uses: dict[tuple[Any, ...], FactUse] = {}
    for occ in layout.occurrences:
        # The limb that does not apply is shown by its own node and its age test alone.
        if limb is not None and occ.limb is not None and occ.limb != limb and not occ.heads_limb:
            continue
        facts = []
        for leaf in occ.leaves:
            if leaf.key[0] in ("excluded", "listed"):
                check = exclusion if leaf.key[0] == "excluded" else listed.get(leaf.key[1])
                for name in _exclusion_facts_all(check):
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
        if occ.repeats and len(facts) > 1:
            # One fact tested twice (two values of a choice, as alternatives) is shown once;
            # its test holds if either does.
            seen_facts: dict[tuple[str, str], FactUse] = {}
            for use in facts:
                key = (use.fact, use.role)
                first = seen_facts.get(key)
                if first is None:
                    seen_facts[key] = use
                elif first.finding is not True and use.finding is not False:
                    seen_facts[key] = dataclasses.replace(first, finding=use.finding)
            facts = list(seen_facts.values())
        elements.append(ElementOutcome(
            id=occ.id, citation=occ.citation, label=occ.label, wording=occ.wording,
            value=values[occ.index], parent=occ.parent, limb=occ.limb, depth=occ.depth,
            facts=facts))

    questions = (_questions(cv, layout, values, leaves, exclusion, findings, count.id, p,
                            listed)
                 if result == "undetermined" else [])
    deciding, reason = _reason(ruleset, cv, result, limb, elements, exclusion, values)
    # In a caveat's condition, `excluded` is whether the version's exclusions apply (the
    # list, or the condition on the charge); in the tree it is the list alone.
    read = leaves if cv.excluded_node is None else {**leaves,
                                                     ("excluded",): values[cv.excluded_node]}
    caveats = _ruleset_caveats(ruleset, read, result)
    caveats += _scenario_caveats(ruleset, cv, p, leaves, offence, exclusion, listed,
                                 unverified, result)
    return ScenarioResult(p, result, limb, values, elements, exclusion, questions, deciding,
                          reason, caveats, leaves)


def scenario_leaves(ruleset: Ruleset, cv: CompiledVersion, layout: _Layout, p: Plan,
                    findings: Mapping[str, Given], offence: ResolvedOffence
                    ) -> tuple[Mapping[str, Given], ExclusionCheck | None,
                               dict[str, ExclusionCheck], list[str], dict[LeafKey, Tri]]:
    """Every leaf's value in one scenario, with what they rest on: the findings with the
    catalogue's facts of the charge, the exclusion list's check, the checks of the lists the
    tree reads, and the notes of unverified catalogue values."""
    charge, unverified = charge_facts(ruleset, offence, p.date_lo)
    findings = with_charge_facts(findings, charge)
    participation = findings.get("participation")
    mode = None if participation is None else participation.finding
    exclusion = None
    if cv.exclusion_list is not None and cv.version.exclusions is not None:
        exclusion = _check_exclusion(cv.exclusion_list, offence, mode, findings, p.date_lo,
                                     cv.version.exclusions.citation)
    listed = {name: _check_exclusion(xl, offence, mode, findings, p.date_lo, xl.provision)
              for name, xl in cv.lists.items()}
    leaves = {k: _leaf_value(k, p, findings, exclusion, listed) for k in layout.leaf_keys}
    return findings, exclusion, listed, unverified, leaves


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
            elements: Sequence[ElementOutcome], exclusion: ExclusionCheck | None,
            values: Sequence[Tri]) -> tuple[list[str], Text]:
    spec = ruleset.spec
    if result == "excluded_offence" and (exclusion is None or not exclusion.excluded):
        xr = cv.version.exclusions
        where = xr.citation if xr is not None else spec.provision
        return ["not-excluded"], _text(
            f"The offence is excluded ({where}), so the provision does not apply to it.",
            f"Het feit is uitgesloten ({where}), dus de regeling is er niet op van toepassing.")
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
    excludes = cv.not_excluded is not None
    if result == "protected":
        return [scope_id or ""], _text(
            f"{head_en}: every element is met"
            + (", and the offence is not excluded." if excludes else "."),
            f"{head_nl}: aan alle elementen is voldaan"
            + (", en het feit is niet uitgesloten." if excludes else "."))
    if result == "not_protected":
        failed = [e.id for e in top if e.value is False]
        return failed, _text(
            f"{head_en}: not met: {_element_labels(elements, failed, 'en')}.",
            f"{head_nl}: niet voldaan: {_element_labels(elements, failed, 'nl')}.")
    open_ids = [e.id for e in top if e.value is None]
    if cv.not_excluded is not None and values[cv.not_excluded] is None:
        open_ids.append("not-excluded")
    return open_ids, _text(
        f"{head_en}: still open: {_element_labels(elements, open_ids, 'en')}.",
        f"{head_nl}: nog open: {_element_labels(elements, open_ids, 'nl')}.")


_AGE_OVER = Text(
    en="The provision says \"over the age of {n}\". The person was aged exactly {n} (in "
       "completed years) at the time of the act, and no authority was found on whether a "
       "person of that age is \"over the age of {n}\" (from their birthday) or only from "
       "the next, so the person is not placed in either limb by age alone.",
    nl="De regeling spreekt van \"over the age of {n}\" (ouder dan {n}). De persoon was ten "
       "tijde van het feit precies {n} jaar oud, en er is geen rechtspraak gevonden over de "
       "vraag of iemand van die leeftijd al \"ouder dan {n}\" is (vanaf de verjaardag) of "
       "pas vanaf de volgende, dus de persoon wordt niet op leeftijd alleen in een van de "
       "toetsen geplaatst.")
_BY_CATEGORY = Text(
    en="The offence was given only by its category, which does not decide whether it is "
       "excluded here (an excluded offence shares the category, or the exclusion turns on the "
       "offence's penalty). Name the offence (statute and section) to settle it.",
    nl="Het feit is alleen met zijn categorie opgegeven, en die beslist hier niet of het is "
       "uitgesloten (een uitgesloten feit valt in dezelfde categorie, of de uitsluiting hangt "
       "af van de strafbedreiging). Noem het feit zelf (wet en artikel) om dat te beslissen.")
_LEX_MITIOR = Text(
    en="The act was done before the provision began, but it is applied as the more favourable "
       "later law to an act decided after it began.",
    nl="Het feit is gepleegd vóór de regeling in werking trad, maar zij wordt als gunstiger "
       "latere wet toegepast op een feit waarover na dat moment wordt beslist.")


def _scenario_caveats(ruleset: Ruleset, cv: CompiledVersion, p: Plan,
                      leaves: Mapping[LeafKey, Tri], offence: ResolvedOffence,
                      exclusion: ExclusionCheck | None,
                      listed: Mapping[str, ExclusionCheck], unverified: Sequence[str],
                      result: Result) -> list[Caveat]:
    """Caveats that come from how this scenario was read, not from the ruleset's text."""
    out: list[Caveat] = []
    for key, value in leaves.items():
        if key[0] == "age_over" and value is None and p.age_lo == p.age_hi == key[1]:
            n = key[1]
            out.append(Caveat(id="age-over-wording", kind="interpretation",
                              text=_text(_AGE_OVER.en.format(n=n), _AGE_OVER.nl.format(n=n))))
    by_category = offence.catalogue_key is None and offence.ref.section is None
    if by_category and result == "undetermined":
        checks = [c for c in [exclusion, *listed.values()] if c is not None]
        open_check = any(c.excluded is None for c in checks)
        open_charge = any(v is None and k[0] in ("is", "fact", "includes_any")
                          and k[1] in _CHARGE_FACTS for k, v in leaves.items())
        if open_check or open_charge:
            out.append(Caveat(id="category-does-not-decide", kind="uncatalogued_offence",
                              text=_BY_CATEGORY))
    if unverified and result != "not_in_force":
        out.append(Caveat(
            id="catalogue-value-unverified", kind="unverified",
            text=_text("The offence catalogue's value used here is not verified: "
                       + "; ".join(unverified),
                       "De waarde uit de catalogus die hier is gebruikt, is niet "
                       "geverifieerd: " + "; ".join(unverified))))
    if p.retroactive:
        temporal = ruleset.spec.temporal
        out.append(Caveat(id="lex-mitior", kind="interpretation",
                          text=temporal.lex_mitior or _LEX_MITIOR, citation=temporal.citation,
                          url=temporal.url))
    return out


def _charge_fact_names() -> frozenset[str]:
    return frozenset(name for name, spec in vocabulary().facts.items()
                     if spec.scope == "count" and not spec.evidence)


_CHARGE_FACTS = _charge_fact_names()


def _ruleset_caveats(ruleset: Ruleset, leaves: Mapping[LeafKey, Tri],
                     result: Result) -> list[Caveat]:
    """The ruleset's caveats that hold, or may hold, for this case. Notes only when they hold.
    For an excluded offence, a conditional caveat only when its condition holds (those about
    how the exclusion was read); an act out of force gets none."""
    if result == "not_in_force":
        return []
    out = []
    for cav, caveat in _caveats_of(ruleset):
        if cav.when is not None:
            nodes = ruleset.caveat_conditions[cav.id]
            value = evaluate_nodes(nodes, leaves)[nodes[-1].index]
            if value is False or (cav.kind == "note" and value is None):
                continue
            if result == "excluded_offence" and value is not True:
                continue
        out.append(caveat)
    return out


_caveats: OwnedCache[Ruleset, list[tuple[CaveatSpec, Caveat]]] = OwnedCache()


def _caveats_of(ruleset: Ruleset) -> list[tuple[CaveatSpec, Caveat]]:
    """The ruleset's caveats as outcome objects, built once (they are frozen)."""
    return _caveats.get(ruleset, None, lambda: [
        (cav, Caveat(id=cav.id, kind=cav.kind, text=cav.text, citation=cav.citation,
                     url=cav.url)) for cav in ruleset.spec.caveats])


# --- merging scenarios into a count outcome -------------------------------------------------

_CAVEAT_UNCATALOGUED = Caveat(id="uncatalogued-offence", kind="uncatalogued_offence",
                              text=_UNCATALOGUED)
_CAVEAT_GIVEN_BROADLY = Caveat(id="offence-given-broadly", kind="uncatalogued_offence",
                               text=_GIVEN_BROADLY)
_CAVEAT_LEAP_DAY = Caveat(id="leap-day-birthday", kind="assumption", text=_LEAP_DAY)
_CAVEAT_AGE_NOT_GIVEN = Caveat(id="age-not-given", kind="disputed_age", text=_AGE_NOT_GIVEN)
_fixed: OwnedCache[Ruleset, dict[str, Caveat]] = OwnedCache()


def _fixed_caveats(ruleset: Ruleset) -> dict[str, Caveat]:
    """The caveats a ruleset states once (burden, disputed age, dates, competent authority),
    built once; Caveat is frozen, so outcomes can share them."""
    return _fixed.get(ruleset, None, lambda: _make_fixed_caveats(ruleset))


def _make_fixed_caveats(ruleset: Ruleset) -> dict[str, Caveat]:
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


