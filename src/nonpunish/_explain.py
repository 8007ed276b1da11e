"""Explaining an evaluated tree: the elements with the facts they read, the result and its
reason, the caveats that apply, and the questions whose answers could still change it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from ._case import Count
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
    build_element_outcome,
    build_fact_use,
    build_question,
)
from ._prepare import (
    _ALL_MODES,
    FINDING_LEAVES,
    Given,
    Plan,
    ResolvedOffence,
    _check_exclusion,
    _indexed,
    _leaf_fact,
    _text,
    charge_facts,
    leaf_values,
    with_charge_facts,
)
from ._ruleset import AGE_LEAVES, CompiledNode, CompiledVersion, LeafKey, Limb, Ruleset
from ._text import Text
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


#: How an element reads a fact it shows: through a leaf of its own, as context only, or as a
#: condition of an offence list's entries (the exclusion list, or a list read by name).
_BY_LEAF, _AS_CONTEXT, _BY_EXCLUSION_LIST, _BY_NAMED_LIST = range(4)
_BY_LIST = frozenset({_BY_EXCLUSION_LIST, _BY_NAMED_LIST})


class _FactRead(NamedTuple):
    kind: int
    #: A fact is described once per outcome for each key (a leaf's key, or ("reads", fact)
    #: for context); this numbers the key within the version.
    slot: int
    #: The fact read (for a named list: the list's name).
    name: str
    #: The leaf's node (-1 if none).
    node: int


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
    #: The facts shown, in order: the leaves', then the context's.
    fact_reads: tuple[_FactRead, ...] = ()
    #: The slots of those facts, when each is one key's (no offence list's check, nothing to
    #: merge); None otherwise.
    slots: tuple[int, ...] | None = None


class _Ask(NamedTuple):
    """What asking about a leaf means."""

    #: "excluded", "listed" (an offence list's check), "age", or "fact".
    kind: str
    #: The fact asked for ("age_at_act" for an age), or the list's name.
    name: str | None
    #: The elements that ask for the leaf.
    elements: tuple[str, ...]


def _ask(leaf: LeafKey, elements_of_leaf: Mapping[LeafKey, Sequence[str]]) -> _Ask:
    elements = tuple(elements_of_leaf.get(leaf, ()))
    if leaf[0] == "excluded":
        return _Ask("excluded", None, elements)
    if leaf[0] == "listed":
        return _Ask("listed", leaf[1], elements)
    return _Ask("age" if leaf[0] in AGE_LEAVES else "fact", _leaf_fact(leaf), elements)


@dataclass(frozen=True, slots=True)
class _Scope:
    """What a reason speaks of: the limb applied, or the provision as a whole."""

    id: str | None
    head: Text
    #: The reason when every element is met: it names no facts, so it is built once.
    protected: Text
    #: Where the elements directly under the scope are among the elements shown.
    top: tuple[int, ...]
    #: Each element shown, as a reason names it (label and provision), in English and Dutch.
    names: dict[str, tuple[str, str]]


def _scope(ruleset: Ruleset, cv: CompiledVersion, limb: Limb | None,
           shown: Sequence[_Occurrence]) -> _Scope:
    node = cv.nodes[cv.protection if limb is None else cv.limb_nodes[limb]]
    label = node.source.label
    provision = ruleset.spec.provision
    head = _text(label.en, label.nl) if label else _text(provision, provision)
    excludes = cv.not_excluded is not None
    return _Scope(
        node.source.id, head,
        _text(f"{head.en}: every element is met"
              + (", and the offence is not excluded." if excludes else "."),
              f"{head.nl}: aan alle elementen is voldaan"
              + (", en het feit is niet uitgesloten." if excludes else ".")),
        tuple(k for k, occ in enumerate(shown) if occ.parent == node.source.id),
        {occ.id: (f"{occ.label.en} ({occ.citation.provision})",
                  f"{occ.label.nl} ({occ.citation.provision})") for occ in shown})


@dataclass(frozen=True)
class _Layout:
    """What explaining a version needs, worked out once per version."""

    occurrences: tuple[_Occurrence, ...]
    element_of: dict[int, str]
    limb_age_leaves: dict[Limb, tuple[int, ...]]
    #: The occurrences shown when a limb applies (None: no limb applies, all are shown).
    shown: dict[Limb | None, tuple[_Occurrence, ...]]
    #: For each limb, the first read of each slot among the occurrences shown.
    first_reads: dict[Limb | None, tuple[_FactRead, ...]]
    #: The leaf keys that test a finding, a choice or a set (read straight from the
    #: findings), and the others (ages and offence lists).
    finding_leaves: tuple[LeafKey, ...]
    other_leaves: tuple[LeafKey, ...]
    #: Every leaf key of the tree and of the caveats' conditions, unknown (to copy).
    unknown_leaves: dict[LeafKey, Tri]
    #: The finding leaves of each fact, and the nodes of the tree whose value they reach
    #: (their leaf nodes and every node above, in evaluation order).
    finding_leaves_of: dict[str, tuple[LeafKey, ...]]
    reached_by: dict[str, tuple[CompiledNode, ...]]
    #: The facts an offence list's check reads (the form of participation, and the
    #: conditions of entries).
    check_facts: frozenset[str]
    #: For each node: its key if it is a leaf, and its children last first (for a stack).
    leaf_of: tuple[LeafKey | None, ...]
    children_last_first: tuple[tuple[int, ...], ...]
    #: For each leaf node, what asking about it means.
    asks: dict[int, _Ask]
    #: What the reason speaks of, for each limb that may apply (None: none does).
    scopes: dict[Limb | None, _Scope]
    #: The leaves that test whether the person is "over" an age.
    age_over_leaves: tuple[LeafKey, ...]


_layouts: OwnedCache[CompiledVersion, _Layout] = OwnedCache()


def _layout(ruleset: Ruleset, cv: CompiledVersion) -> _Layout:
    """The version's layout (a compiled version belongs to one ruleset)."""
    return _layouts.get(cv, None, lambda: _make_layout(ruleset, cv))


def _fact_reads(leaves: Sequence[_LeafRef], reads: Sequence[str],
                slots: dict[LeafKey, int]) -> tuple[_FactRead, ...]:
    """What an element shows of its facts; ``slots`` numbers the keys read so far."""
    def slot(key: LeafKey) -> int:
        return slots.setdefault(key, len(slots))

    out = []
    for leaf in leaves:
        if leaf.key[0] == "excluded":
            out.append(_FactRead(_BY_EXCLUSION_LIST, -1, "", leaf.index))
        elif leaf.key[0] == "listed":
            out.append(_FactRead(_BY_NAMED_LIST, -1, leaf.key[1], leaf.index))
        elif leaf.fact:
            out.append(_FactRead(_BY_LEAF, slot(leaf.key), leaf.fact, leaf.index))
    out.extend(_FactRead(_AS_CONTEXT, slot(("reads", name)), name, -1) for name in reads)
    return tuple(out)


def _may_repeat(leaves: Sequence[_LeafRef], reads: Sequence[str]) -> bool:
    names = [leaf.fact for leaf in leaves if leaf.fact] + list(reads)
    dynamic = any(leaf.key[0] in ("excluded", "listed") for leaf in leaves)
    return len(names) != len(set(names)) or (dynamic and len(leaves) + len(reads) > 1)


def _make_layout(ruleset: Ruleset, cv: CompiledVersion) -> _Layout:
    occurrences: list[_Occurrence] = []
    slots: dict[LeafKey, int] = {}

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
            repeats = _may_repeat(leaves, src.reads)
            reads = _fact_reads(leaves, src.reads, slots)
            occurrences.append(_Occurrence(
                idx, src.id, parent, limb, depth,
                Citation(instrument=ruleset.spec.instrument, provision=src.citation or "",
                         url=src.url or ruleset.spec.url),
                src.label or _text(src.id, src.id), src.wording, leaves, src.reads,
                node.limb is not None or any(
                    leaf.key[0] in AGE_LEAVES for leaf in leaves),
                repeats, reads, None if repeats or any(
                    r.kind in _BY_LIST for r in reads) else tuple(r.slot for r in reads)))
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
    elements_of_leaf: dict[LeafKey, list[str]] = {}
    for n in cv.nodes:
        if n.leaf is not None:
            el = element_of.get(n.index)
            ids = elements_of_leaf.setdefault(n.leaf, [])
            if el and el not in ids:
                ids.append(el)
    # The limb that does not apply is shown by its own node and its age test alone.
    shown: dict[Limb | None, tuple[_Occurrence, ...]] = {None: tuple(occurrences)}
    for limb in cv.limb_nodes:
        shown[limb] = tuple(occ for occ in occurrences
                            if occ.limb is None or occ.limb == limb or occ.heads_limb)
    first_reads: dict[Limb | None, tuple[_FactRead, ...]] = {}
    for applied, occs in shown.items():
        firsts: dict[int, _FactRead] = {}
        for occ in occs:
            for read in occ.fact_reads:
                if read.kind not in _BY_LIST:
                    firsts.setdefault(read.slot, read)
        first_reads[applied] = tuple(firsts.values())
    leaf_keys = tuple(keys)
    finding_leaves = tuple(k for k in leaf_keys if k[0] in FINDING_LEAVES)
    finding_leaves_of: dict[str, list[LeafKey]] = {}
    for key in finding_leaves:
        finding_leaves_of.setdefault(key[1], []).append(key)
    checked = [xl for xl in (cv.exclusion_list, *cv.lists.values()) if xl is not None]
    check_facts = frozenset({"participation"} if checked else ()) | {
        entry.only_if.fact for xl in checked for entry in xl.entries
        if entry.only_if is not None}
    return _Layout(
        occurrences=tuple(occurrences), element_of=element_of,
        limb_age_leaves=limb_age_leaves, shown=shown, first_reads=first_reads,
        finding_leaves=finding_leaves,
        other_leaves=tuple(k for k in leaf_keys if k[0] not in FINDING_LEAVES),
        unknown_leaves=dict.fromkeys(leaf_keys),
        finding_leaves_of={name: tuple(keys) for name, keys in finding_leaves_of.items()},
        reached_by=_reached_by(cv),
        check_facts=check_facts,
        leaf_of=tuple(n.leaf if n.op == "leaf" else None for n in cv.nodes),
        children_last_first=tuple(tuple(reversed(n.children)) for n in cv.nodes),
        asks={n.index: _ask(n.leaf, elements_of_leaf) for n in cv.nodes
              if n.op == "leaf" and n.leaf is not None},
        scopes={limb: _scope(ruleset, cv, limb, occs) for limb, occs in shown.items()},
        age_over_leaves=tuple(k for k in leaf_keys if k[0] == "age_over"))


def _reached_by(cv: CompiledVersion) -> dict[str, tuple[CompiledNode, ...]]:
    """For each fact the tree tests as found: the nodes whose value it reaches."""
    reached: dict[str, set[int]] = {}
    for node in cv.nodes:
        if node.op == "leaf" and node.leaf is not None and node.leaf[0] in FINDING_LEAVES:
            above = reached.setdefault(node.leaf[1], set())
            stack = [node.index]
            while stack:
                i = stack.pop()
                if i not in above:
                    above.add(i)
                    stack.extend(cv.parents.get(i, ()))
    return {fact: tuple(cv.nodes[i] for i in sorted(nodes)) for fact, nodes in reached.items()}


def _fact_use(name: str, g: Given | None, finding: Tri, role: Literal["condition", "context"],
              p: Plan) -> FactUse:
    """How an element read a fact (``g``: the fact as given, if at all)."""
    if name == "age_at_act":
        given: Any = p.age_lo if p.age_lo == p.age_hi else {"min": p.age_lo, "max": p.age_hi}
        return build_fact_use(fact=name, given=given, finding=finding, basis="derived",
                              evidence=None, disproved=None, role=role)
    if g is None or g.basis == "not_given":
        return build_fact_use(fact=name, given=None, finding=finding, basis="not_given",
                              evidence=None, disproved=None, role=role)
    if g.basis == "evidence":  # the raw value is an Evidence
        return build_fact_use(fact=name, given=g.raw.evidence.value, finding=finding,
                              basis="evidence", evidence=g.raw.evidence,
                              disproved=g.raw.disproved, role=role)
    return build_fact_use(fact=name, given=g.raw, finding=finding, basis="finding",
                          evidence=None, disproved=None, role=role)


def _applied_limb(cv: CompiledVersion, layout: _Layout, values: Sequence[Tri]) -> Limb | None:
    """The limb whose age test holds (or the only limb)."""
    if len(cv.limb_nodes) == 1:
        return next(iter(cv.limb_nodes))
    for limb, ages in layout.limb_age_leaves.items():
        if ages and all(values[i] is True for i in ages):
            return limb
    return None


def _open_region(cv: CompiledVersion, layout: _Layout, values: Sequence[Tri]
                 ) -> tuple[list[int], list[int], tuple[LeafKey, ...], tuple[int, ...]]:
    """The unknown nodes reachable from the (unknown) root through unknown nodes only, in
    evaluation order; the leaves among them in reading order, the ones whose value could
    still change the result; and their keys, once each, with the first node of each."""
    if values[cv.root] is not None:
        return [], [], (), ()
    leaf_of, children = layout.leaf_of, layout.children_last_first
    region: list[int] = []
    out: list[int] = []
    keys: dict[LeafKey, int] = {}
    seen: set[int] = set()
    stack = [cv.root]
    while stack:
        i = stack.pop()
        if i in seen or values[i] is not None:
            continue
        seen.add(i)
        region.append(i)
        key = leaf_of[i]
        if key is None:
            stack.extend(children[i])
        else:
            out.append(i)
            keys.setdefault(key, i)
    region.sort()  # nodes are numbered children first
    return region, out, tuple(keys), tuple(keys.values())


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
    region, reachable, variables, variable_nodes = _open_region(cv, layout, values)
    table = truth_table(cv.nodes, cv.root, leaves, variables, values, region)
    candidates: list[tuple[int, int]] = []  # a leaf's node, and its variable
    if table is not None:
        for j, node in enumerate(variable_nodes):
            if table.depends_on(j):
                candidates.append((node, j))
    else:  # too many unknowns for a table: fall back on the tree's shape
        candidates = [(i, -1) for i in reachable]
    wanted: dict[str, list[str]] = {}
    variables_of: dict[str, list[int]] = {}
    for i, j in candidates:
        kind, fact, asked_by = layout.asks[i]
        if kind == "excluded":
            names = _exclusion_facts(exclusion, findings, cv.exclusion_list)
        elif kind == "listed":
            assert fact is not None
            names = _exclusion_facts((listed or {}).get(fact), findings, cv.lists[fact])
        elif kind == "age" and p is not None and p.age_lo == p.age_hi:
            names = []  # the age is known: what is open is how the words read
        elif kind == "age" and p is not None:
            names = [p.age_fact]
        else:
            names = [fact] if fact else []
        for name in names:
            elements = wanted.get(name)
            if elements is None:
                elements = wanted[name] = []
                variables_of[name] = [j]
            else:
                variables_of[name].append(j)
            for el in asked_by:
                if el not in elements:
                    elements.append(el)
    decisive_first: list[Question] = []
    others: list[Question] = []
    for name, elements in wanted.items():
        js = variables_of[name]
        if table is not None:
            decisive = table.settled_by(js)
        else:
            decisive = _settles_by_forcing(cv, leaves, [
                cv.nodes[i].leaf for i, _ in candidates
                if _leaf_fact(cv.nodes[i].leaf or ()) == name])
        spec = vocab[name]
        (decisive_first if decisive else others).append(build_question(
            fact=name, text=spec.question, help=spec.help, decisive=decisive,
            elements=elements, counts=[count_id]))
    return decisive_first + others


def _open_first(q: Question) -> bool:
    """Sort key: decisive questions first."""
    return not q.decisive


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


def _element_labels(scope: _Scope, ids: Sequence[str]) -> tuple[str, str]:
    """The elements ``ids`` by label and provision, in English and in Dutch."""
    en, nl = [], []
    for i in ids:
        name_en, name_nl = scope.names[i]
        en.append(name_en)
        nl.append(name_nl)
    return "; ".join(en), "; ".join(nl)


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

    # A fact read in several places (a shared definition) is described once per outcome, as
    # it is first shown.
    uses: dict[int, FactUse] = {}
    for kind, slot, name, node in layout.first_reads[limb]:
        g = findings.get(name)
        if kind == _BY_LEAF:
            uses[slot] = _fact_use(name, g, values[node], "condition", p)
        else:
            uses[slot] = _fact_use(name, g, _finding_of(g), "context", p)
    use_of = uses.__getitem__
    elements: list[ElementOutcome] = []
    for occ in layout.shown[limb]:
        if occ.slots is not None:  # only facts described above
            facts = list(map(use_of, occ.slots)) if occ.slots else []
        else:
            facts = _facts_shown(occ, uses, findings, exclusion, listed, p)
        elements.append(build_element_outcome(
            id=occ.id, citation=occ.citation, label=occ.label, wording=occ.wording,
            value=values[occ.index], parent=occ.parent, limb=occ.limb, depth=occ.depth,
            facts=facts))

    questions = (_questions(cv, layout, values, leaves, exclusion, findings, count.id, p,
                            listed)
                 if result == "undetermined" else [])
    deciding, reason = _reason(ruleset, cv, layout, result, limb, elements, exclusion, values)
    caveats = _ruleset_caveats(ruleset, cv, leaves, values, result)
    caveats += _scenario_caveats(ruleset, layout, p, leaves, offence, exclusion, listed,
                                 unverified, result)
    return ScenarioResult(p, result, limb, values, elements, exclusion, questions, deciding,
                          reason, caveats, leaves)


def _facts_shown(occ: _Occurrence, uses: Mapping[int, FactUse], findings: Mapping[str, Given],
                 exclusion: ExclusionCheck | None, listed: Mapping[str, ExclusionCheck],
                 p: Plan) -> list[FactUse]:
    """The facts an element shows that are not all read by key: those of an offence list's
    check, or a fact tested twice."""
    facts = []
    for kind, slot, name, _ in occ.fact_reads:
        if kind in _BY_LIST:
            check = exclusion if kind == _BY_EXCLUSION_LIST else listed.get(name)
            for fact in _exclusion_facts_all(check):
                g = findings.get(fact)
                facts.append(_fact_use(fact, g, _finding_of(g), "condition", p))
        else:
            facts.append(uses[slot])
    if occ.repeats and len(facts) > 1:
        # One fact tested twice (two values of a choice, as alternatives) is shown once; its
        # test holds if either does.
        seen_facts: dict[tuple[str, str], FactUse] = {}
        for use in facts:
            seen = (use.fact, use.role)
            first = seen_facts.get(seen)
            if first is None:
                seen_facts[seen] = use
            elif first.finding is not True and use.finding is not False:
                # A copy: the first may be shared with other elements.
                seen_facts[seen] = dataclasses.replace(first, finding=use.finding)
        facts = list(seen_facts.values())
    return facts


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
              for name, xl in cv.lists.items()} if cv.lists else {}
    leaves = leaf_values(layout.unknown_leaves, layout.finding_leaves, layout.other_leaves, p,
                         findings, exclusion, listed)
    return findings, exclusion, listed, unverified, leaves


def _finding_of(g: Given | None) -> Tri:
    """A fact's finding as true or false (a choice or set given counts as true)."""
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


def _reason(ruleset: Ruleset, cv: CompiledVersion, layout: _Layout, result: Result,
            limb: Limb | None, elements: Sequence[ElementOutcome],
            exclusion: ExclusionCheck | None, values: Sequence[Tri]) -> tuple[list[str], Text]:
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
    scope = layout.scopes[limb]
    if result == "protected":
        return [scope.id or ""], scope.protected
    # The elements directly under the scope that failed, or are still open.
    wanted: Tri = False if result == "not_protected" else None
    ids = []
    for k in scope.top:
        if elements[k].value is wanted:
            ids.append(elements[k].id)
    head_en, head_nl = scope.head.en, scope.head.nl
    if result == "not_protected":
        en, nl = _element_labels(scope, ids)
        return ids, _text(f"{head_en}: not met: {en}.", f"{head_nl}: niet voldaan: {nl}.")
    if cv.not_excluded is not None and values[cv.not_excluded] is None:
        ids.append("not-excluded")
    en, nl = _element_labels(scope, ids)
    return ids, _text(f"{head_en}: still open: {en}.", f"{head_nl}: nog open: {nl}.")


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


def _scenario_caveats(ruleset: Ruleset, layout: _Layout, p: Plan,
                      leaves: Mapping[LeafKey, Tri], offence: ResolvedOffence,
                      exclusion: ExclusionCheck | None,
                      listed: Mapping[str, ExclusionCheck], unverified: Sequence[str],
                      result: Result) -> list[Caveat]:
    """Caveats that come from how this scenario was read, not from the ruleset's text."""
    out: list[Caveat] = []
    for key in layout.age_over_leaves:
        if leaves[key] is None and p.age_lo == p.age_hi == key[1]:
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


def _ruleset_caveats(ruleset: Ruleset, cv: CompiledVersion, leaves: Mapping[LeafKey, Tri],
                     values: Sequence[Tri], result: Result) -> list[Caveat]:
    """The ruleset's caveats that hold, or may hold, for this case. Notes only when they hold.
    For an excluded offence, a conditional caveat only when its condition holds (those about
    how the exclusion was read); an act out of force gets none."""
    if result == "not_in_force":
        return []
    caveats = _caveats_of(ruleset)
    # In a caveat's condition, `excluded` is whether the version's exclusions apply (the
    # list, or the condition on the charge); in the tree it is the list alone.
    if caveats.read_excluded and cv.excluded_node is not None:
        excluded = values[cv.excluded_node]
        if leaves.get(("excluded",)) is not excluded:
            leaves = {**leaves, ("excluded",): excluded}
    out = []
    for rc in caveats.caveats:
        if rc.condition is not None:
            if rc.leaf is not None:
                value = leaves.get(rc.leaf)
            else:
                value = evaluate_nodes(rc.condition, leaves)[rc.condition[-1].index]
            if value is False or (rc.note and value is None):
                continue
            if result == "excluded_offence" and value is not True:
                continue
        out.append(rc.caveat)
    return out


@dataclass(frozen=True, slots=True)
class _RulesetCaveat:
    caveat: Caveat
    note: bool
    #: The nodes of the condition (None: none, the caveat always applies), and its leaf
    #: when the condition is a single test.
    condition: tuple[CompiledNode, ...] | None
    leaf: LeafKey | None


@dataclass(frozen=True, slots=True)
class _RulesetCaveats:
    caveats: tuple[_RulesetCaveat, ...]
    #: Whether some condition reads `excluded`.
    read_excluded: bool


_caveats: OwnedCache[Ruleset, _RulesetCaveats] = OwnedCache()


def _caveats_of(ruleset: Ruleset) -> _RulesetCaveats:
    """The ruleset's caveats as outcome objects with their conditions, built once (they are
    frozen)."""
    return _caveats.get(ruleset, None, lambda: _make_caveats(ruleset))


def _make_caveats(ruleset: Ruleset) -> _RulesetCaveats:
    out = []
    for cav in ruleset.spec.caveats:
        nodes = ruleset.caveat_conditions[cav.id] if cav.when is not None else None
        single = nodes is not None and len(nodes) == 1 and nodes[0].op == "leaf"
        out.append(_RulesetCaveat(
            Caveat(id=cav.id, kind=cav.kind, text=cav.text, citation=cav.citation,
                   url=cav.url),
            cav.kind == "note", nodes, nodes[0].leaf if nodes is not None and single else None))
    read_excluded = any(n.leaf == ("excluded",) for nodes in ruleset.caveat_conditions.values()
                        for n in nodes)
    return _RulesetCaveats(tuple(out), read_excluded)


# --- merging scenarios into a count outcome -------------------------------------------------

_CAVEAT_UNCATALOGUED = Caveat(id="uncatalogued-offence", kind="uncatalogued_offence",
                              text=_UNCATALOGUED)
_CAVEAT_GIVEN_BROADLY = Caveat(id="offence-given-broadly", kind="uncatalogued_offence",
                               text=_GIVEN_BROADLY)
_CAVEAT_LEAP_DAY = Caveat(id="leap-day-birthday", kind="assumption", text=_LEAP_DAY)
_CAVEAT_AGE_NOT_GIVEN = Caveat(id="age-not-given", kind="disputed_age", text=_AGE_NOT_GIVEN)
_fixed: OwnedCache[Ruleset, dict[str, Caveat]] = OwnedCache()


def _fixed_caveats(ruleset: Ruleset) -> dict[str, Caveat]:
    """The caveats a ruleset states once (burden, disputed age, dates, competent authority,
    and an uncatalogued offence where some version checks the offence against a list),
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
    if any(cv.exclusion_list is not None or cv.lists for cv in ruleset.compiled):
        fixed["uncatalogued-offence"] = _CAVEAT_UNCATALOGUED
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
            old = merged.get(q.fact)
            if old is None:
                merged[q.fact] = q
            else:
                merged[q.fact] = build_question(
                    fact=old.fact, text=old.text, help=old.help,
                    decisive=old.decisive or q.decisive,
                    elements=list(dict.fromkeys([*old.elements, *q.elements])),
                    counts=list(dict.fromkeys([*old.counts, *q.counts])))
    return sorted(merged.values(), key=_open_first)


def _split_question(name: str, decisive: bool, count_id: str) -> Question:
    spec = vocabulary().facts[name]
    return Question(fact=name, text=spec.question, help=spec.help, decisive=decisive,
                    elements=[], counts=[count_id])


