"""The ruleset format: a provision as data, validated by pydantic.

A ruleset file (``rulesets/<jurisdiction>/<instrument>/<provision>.yaml``) says what kind of
protection a provision gives, when it is in force, how its burden of proof turns evidence into
findings, and, in dated versions, the condition tree of its limbs and elements and the
exclusion list it applies. Conditions are data: ``all``, ``any``, ``not``, fact tests, age
tests, references to shared definitions, and the exclusion test. Nothing in a file is code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from ._case import EvidenceLevel
from ._errors import ErrorDetail, RulesetError, UnknownRulesetError
from ._files import Document, as_mapping, details_from_validation, read_document
from ._offences import ExclusionList, load_exclusion_list
from ._paths import shipped_root
from ._text import Text
from ._vocabulary import vocabulary

Kind = Literal["defence", "exemption_from_penalty", "presumption_against_prosecution",
               "prosecutorial_discretion", "minimum_standard"]
LegalEffect = Literal["not_guilty", "no_penalty", "presumption_against_prosecution",
                      "rebuttable_presumption_against_prosecution", "discretion_not_to_prosecute",
                      "entitlement_under_minimum_standard"]
Status = Literal["in_force", "proposal", "repealed"]
Limb = Literal["adult", "child"]
#: Leaves that test the person's age.
AGE_LEAVES = ("age_at_least", "age_under", "age_over")

_OPERATORS = ("all", "any", "not_", "fact", "age_at_least", "age_under", "age_over", "ref",
              "excluded", "listed", "choose")


class Node(BaseModel):
    """One node of a condition tree. A node with an ``id`` is an element of the provision
    and must carry its citation and label."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str | None = Field(default=None, pattern=r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$")
    citation: str | None = None
    label: Text | None = None
    wording: str | None = Field(default=None, description="The statutory words, in the "
                                "law's own language.")
    paraphrase: Text | None = None
    url: str | None = None
    limb: Limb | None = None
    reads: tuple[str, ...] = Field(default=(), description="Facts shown with the element "
                                   "to explain it, without affecting its value.")

    all: tuple[Node, ...] | None = None
    any: tuple[Node, ...] | None = None
    not_: Node | None = Field(default=None, alias="not")
    fact: str | None = None
    is_: str | None = Field(default=None, alias="is")
    includes_any: tuple[str, ...] | None = None
    age_at_least: int | None = Field(default=None, ge=0, le=120)
    age_under: int | None = Field(default=None, ge=1, le=121)
    age_over: int | None = Field(default=None, ge=0, le=120, description="\"Over the age of "
                                 "N\": unknown at exactly N, where the words read either way.")
    ref: str | None = None
    excluded: Literal[True] | None = None
    listed: str | None = Field(default=None, description="The offence is on this offence "
                               "list (a list file beside the ruleset).")
    choose: Choose | None = Field(default=None, description="The sub-tree a policy "
                                  "parameter's chosen option names.")

    @model_validator(mode="after")
    def _one_operator(self) -> Node:
        ops = [op for op in _OPERATORS if getattr(self, op) is not None]
        if len(ops) != 1:
            names = ", ".join(o.rstrip("_") for o in _OPERATORS)
            raise ValueError(f"a condition needs exactly one of {names}; found "
                             f"{', '.join(o.rstrip('_') for o in ops) or 'none'}")
        if (self.is_ is not None or self.includes_any is not None) and self.fact is None:
            raise ValueError("`is` and `includes_any` go with `fact`")
        if self.is_ is not None and self.includes_any is not None:
            raise ValueError("use one of `is` and `includes_any`")
        if self.id is not None and self.citation is None:
            raise PydanticCustomError("missing_citation",
                                      "element '{id}' needs a citation", {"id": self.id})
        if self.id is not None and self.label is None:
            raise PydanticCustomError("missing_label",
                                      "element '{id}' needs a label", {"id": self.id})
        if (self.all is not None and len(self.all) == 0) or (self.any is not None and not self.any):
            raise ValueError("`all` and `any` need at least one condition")
        return self

    def children(self) -> tuple[Node, ...]:
        if self.all is not None:
            return self.all
        if self.any is not None:
            return self.any
        if self.not_ is not None:
            return (self.not_,)
        return ()


class Choose(BaseModel):
    """Where a policy parameter picks the sub-tree; an option of null drops the node."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    parameter: str
    options: dict[str, Node | None] = Field(min_length=1)


Node.model_rebuild()


class BurdenModel(BaseModel):
    """How a state of the evidence becomes a finding under this provision."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    label: Text
    citation: str
    url: str | None = None
    finding_true_from: EvidenceLevel = Field(description="The lowest level at which an "
                                             "element counts as established.")
    disproof_defeats: bool = Field(description="Whether evidence that the other side has "
                                   "disproved the element makes it false.")
    caveat: Text = Field(description="Shown when an outcome rests on a finding made from "
                         "evidence.")

    @model_validator(mode="after")
    def _threshold(self) -> BurdenModel:
        if self.finding_true_from in (EvidenceLevel.NOT_ASSESSED, EvidenceLevel.NO_EVIDENCE):
            raise ValueError("finding_true_from must be above no_evidence")
        return self


class Temporal(BaseModel):
    """Which date the provision looks at, and what it does with earlier acts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    relevant_date: Literal["act", "decision"]
    rule: Literal["no_retrospection", "lex_mitior", "as_if_in_force"]
    citation: str
    url: str | None = None
    before_commencement: Text = Field(description="What applies instead to earlier acts.")
    straddle_caveat: Text | None = Field(default=None, description="Shown when the date is "
                                         "known only as a range across a boundary.")
    lex_mitior: Text | None = Field(default=None, description="Under rule lex_mitior: shown "
                                    "when the provision reaches an act done before it "
                                    "commenced.")
    predecessor: str | None = Field(default=None, description="Under rule lex_mitior: the "
                                    "ruleset in force before this one; an earlier act gets "
                                    "the more favourable of the two outcomes.")


class ExclusionRef(BaseModel):
    """The offences a version does not reach: those on a list, or those a condition on the
    charge picks out (or both)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    list: str | None = Field(default=None, description="Path of the list file, relative to "
                             "the ruleset file, without .yaml")
    when: Node | None = Field(default=None, description="A condition on the offence charged "
                              "under which it is excluded.")
    citation: str
    wording: str | None = None

    @model_validator(mode="after")
    def _something(self) -> ExclusionRef:
        if self.list is None and self.when is None:
            raise ValueError("exclusions need a `list`, a `when` condition, or both")
        return self


class Version(BaseModel):
    """The provision as it reads from ``valid_from`` until ``valid_to`` (inclusive)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    valid_from: dt.date
    valid_to: dt.date | None = None
    source: str
    url: str | None = None
    exclusions: ExclusionRef | None = None
    protection: Node


class CaveatSpec(BaseModel):
    """A point the outcome must show: an assumption, an unverified point, or a note."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    kind: Literal["assumption", "unverified", "interpretation", "note"]
    text: Text
    citation: str | None = None
    url: str | None = None
    when: Node | None = Field(default=None, description="Shown when this holds or may hold; "
                              "always shown if absent.")


class BurdenPatch(BaseModel):
    """The fields of the burden model that a policy option sets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = None
    label: Text | None = None
    citation: str | None = None
    url: str | None = None
    finding_true_from: EvidenceLevel | None = None
    finding_true_from_at_least: EvidenceLevel | None = Field(
        default=None, description="Raise the level at which an element counts as established "
        "to at least this (a standard of proof the person must meet), never lower it.")
    disproof_defeats: bool | None = None
    caveat: Text | None = None


class ParameterOption(BaseModel):
    """One choice a legislator could make, and what it sets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Text
    help: Text | None = None
    source: str | None = Field(default=None, description="The model this option comes "
                               "from (a provision, a proposal).")
    kind: Kind | None = None
    legal_effect: LegalEffect | None = None
    burden: BurdenPatch | None = None
    exclusions: ExclusionRef | None = Field(default=None, description="Replaces every "
                                            "version's exclusions; null for none.")


class Parameter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Text
    help: Text | None = None
    order: Literal["lowest_first"] | None = Field(
        default=None, description="lowest_first: options run from the lowest bar for the "
        "person to the highest, so an earlier option never protects fewer cases.")
    options: dict[str, ParameterOption] = Field(min_length=1)


class VariantSpec(BaseModel):
    """A named bundle of choices: one option for every parameter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Text
    description: Text | None = None
    source: str | None = None
    values: dict[str, str]
    commencement: dt.date | None = Field(default=None, description="For a proposal: the "
                                         "date from which it applies (else: as if in force).")


class VariantFile(BaseModel):
    """A modeller's own variant of a shipped ruleset with parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: Literal["nonpunish-variant/1"] = Field(alias="schema")
    ruleset: str
    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    label: Text
    description: Text | None = None
    source: str | None = None
    base: str | None = Field(default=None, description="A named variant to start from.")
    values: dict[str, str] = Field(default_factory=dict)
    commencement: dt.date | None = None


class RulesetFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: Literal["nonpunish-ruleset/1"] = Field(alias="schema")
    id: str
    title: Text
    jurisdiction: str
    jurisdiction_name: Text
    instrument: str
    provision: str
    language: str = Field(pattern=r"^[a-z]{2}$")
    url: str
    kind: Kind
    legal_effect: LegalEffect
    status: Status
    summary: Text
    catalogue: str | None = None
    burden: BurdenModel
    temporal: Temporal
    definitions: dict[str, Node] = Field(default_factory=dict)
    versions: list[Version] = Field(min_length=1)
    caveats: list[CaveatSpec] = Field(default_factory=list)
    competent_authority_note: Text | None = Field(
        default=None, description="Shown when the case records a competent authority's "
        "decision: how this provision treats it.")
    disputed_age_caveat: Text | None = Field(
        default=None, description="Shown when the age is known only as a range that "
        "straddles a limb's threshold.")
    parameters: dict[str, Parameter] = Field(default_factory=dict, description="Policy "
                                             "choices (for a proposal).")
    variants: dict[str, VariantSpec] = Field(default_factory=dict)
    default_variant: str | None = None


# --- compiled form ---------------------------------------------------------------------------

LeafKey = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class CompiledNode:
    index: int
    op: str  # "all" | "any" | "not" | "leaf"
    children: tuple[int, ...]
    leaf: LeafKey | None
    source: Node
    element: bool
    limb: Limb | None


@dataclass(frozen=True)
class CompiledVersion:
    """A version's condition tree as a DAG in evaluation order (children before parents)."""

    version: Version
    nodes: tuple[CompiledNode, ...]
    root: int
    protection: int
    leaves: tuple[LeafKey, ...]
    exclusion_list: ExclusionList | None
    limb_nodes: dict[Limb, int]
    parents: dict[int, tuple[int, ...]]
    #: Offence lists the tree reads with ``listed``, by name.
    lists: dict[str, ExclusionList]
    #: The node that is true when the offence is excluded, and the ``not-excluded`` element.
    excluded_node: int | None
    not_excluded: int | None


class _Compiler:
    def __init__(self, definitions: dict[str, Node]) -> None:
        self.definitions = definitions
        self.nodes: list[CompiledNode] = []
        self.memo: dict[int, int] = {}  # id(source node) -> index, so definitions are shared
        self.leaves: dict[LeafKey, int] = {}

    def add(self, node: Node, stack: tuple[str, ...] = ()) -> int:
        if node.ref is not None:
            target = self.definitions[node.ref]
            if node.ref in stack:
                raise RulesetError(f"definition {node.ref!r} refers to itself",
                                   code="invalid_condition")
            return self.add(target, (*stack, node.ref))
        key = id(node)
        if key in self.memo:
            return self.memo[key]
        children: tuple[int, ...] = tuple(self.add(c, stack) for c in node.children())
        leaf: LeafKey | None = None
        if node.all is not None:
            op = "all"
        elif node.any is not None:
            op = "any"
        elif node.not_ is not None:
            op = "not"
        else:
            op = "leaf"
            leaf = leaf_key(node)
        idx = len(self.nodes)
        self.nodes.append(CompiledNode(idx, op, children, leaf, node, node.id is not None,
                                       node.limb))
        self.memo[key] = idx
        return idx


def leaf_key(node: Node) -> LeafKey:
    if node.fact is not None:
        if node.is_ is not None:
            return ("is", node.fact, node.is_)
        if node.includes_any is not None:
            return ("includes_any", node.fact, tuple(node.includes_any))
        return ("fact", node.fact)
    if node.age_at_least is not None:
        return ("age_at_least", node.age_at_least)
    if node.age_under is not None:
        return ("age_under", node.age_under)
    if node.age_over is not None:
        return ("age_over", node.age_over)
    if node.excluded:
        return ("excluded",)
    if node.listed is not None:
        return ("listed", node.listed)
    raise AssertionError(f"not a leaf: {node}")


_EXCLUDED_NODE = Node(excluded=True)


def compile_condition(node: Node, definitions: dict[str, Node]) -> tuple[CompiledNode, ...]:
    """Compile a stand-alone condition (a caveat's ``when``)."""
    c = _Compiler(definitions)
    c.add(node)
    return tuple(c.nodes)


def _compile_version(version: Version, definitions: dict[str, Node],
                     exclusion_list: ExclusionList | None,
                     lists: dict[str, ExclusionList]) -> CompiledVersion:
    c = _Compiler(definitions)
    protection = c.add(version.protection)
    excluded_node = not_excluded = None
    xr = version.exclusions
    if xr is not None:
        parts = ([_EXCLUDED_NODE] if xr.list is not None else []) + (
            [xr.when] if xr.when is not None else [])
        excluded_src = parts[0] if len(parts) == 1 else Node(any=tuple(parts))
        not_excluded_src = Node(
            id="not-excluded", citation=xr.citation,
            label=Text(en="The offence is not excluded", nl="Het feit is niet uitgesloten"),
            wording=xr.wording, **{"not": excluded_src})
        root_src = Node(all=(not_excluded_src, version.protection))
        root = c.add(root_src)
        not_excluded = c.add(not_excluded_src)  # memoised: the indices already compiled
        excluded_node = c.add(excluded_src)
    else:
        root = protection
    limb_nodes = {n.limb: n.index for n in c.nodes if n.limb is not None}
    parents: dict[int, list[int]] = {}
    for n in c.nodes:
        for ch in n.children:
            parents.setdefault(ch, []).append(n.index)
    leaves = tuple(dict.fromkeys(n.leaf for n in c.nodes if n.leaf is not None))
    used = {leaf[1] for leaf in leaves if leaf[0] == "listed"}
    return CompiledVersion(version, tuple(c.nodes), root, protection, leaves,
                           exclusion_list, limb_nodes,
                           {k: tuple(v) for k, v in parents.items()},
                           {name: lists[name] for name in sorted(used)},
                           excluded_node, not_excluded)


@dataclass(frozen=True)
class Ruleset:
    """A loaded, checked ruleset, ready to evaluate."""

    spec: RulesetFile
    path: Path
    content_hash: str
    compiled: tuple[CompiledVersion, ...]
    caveat_conditions: dict[str, tuple[CompiledNode, ...]]
    #: For a ruleset with parameters: the variant applied, and the file as written (with
    #: every option), which ``spec`` resolves.
    variant: str | None = None
    variant_spec: VariantSpec | None = None
    source_spec: RulesetFile | None = None
    #: Every offence list the file names (in any option), by name.
    lists: Mapping[str, ExclusionList] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The ruleset id, with ``@variant`` for a variant of a ruleset with parameters."""
        return self.spec.id if self.variant is None else f"{self.spec.id}@{self.variant}"

    @property
    def commencement(self) -> dt.date:
        return self.compiled[0].version.valid_from

    def version_on(self, day: dt.date) -> CompiledVersion | None:
        for cv in self.compiled:
            v = cv.version
            if v.valid_from <= day and (v.valid_to is None or day <= v.valid_to):
                return cv
        return None

    @cached_property
    def boundary_dates(self) -> tuple[dt.date, ...]:
        """Dates on which something in the ruleset changes, in order."""
        return tuple(sorted(self.boundaries()))

    @cached_property
    def age_threshold_list(self) -> tuple[int, ...]:
        return tuple(sorted(self.age_thresholds()))

    def boundaries(self) -> set[dt.date]:
        """Dates on which something in the ruleset changes."""
        dates: set[dt.date] = set()
        for cv in self.compiled:
            dates.add(cv.version.valid_from)
            if cv.version.valid_to is not None:
                dates.add(cv.version.valid_to + dt.timedelta(days=1))
            if cv.exclusion_list is not None:
                dates |= cv.exclusion_list.boundaries()
            for xl in cv.lists.values():
                dates |= xl.boundaries()
        return dates

    def age_thresholds(self) -> set[int]:
        out: set[int] = set()
        # Only the trees' own thresholds: a caveat that depends on the age is shown when it
        # may hold, and is no reason to evaluate the provision once per age band.
        leaves = [leaf for cv in self.compiled for leaf in cv.leaves]
        for leaf in leaves:
            if leaf[0] in ("age_at_least", "age_under"):
                out.add(leaf[1])
            elif leaf[0] == "age_over":
                # "Over N" is unknown for a person aged exactly N: that year is its own band.
                out |= {leaf[1], leaf[1] + 1}
        return out


# --- loading and checking -------------------------------------------------------------------

def _check_fact(name: str, expected: str, *, value: str | None = None,
                values: tuple[str, ...] | None = None) -> str | None:
    spec = vocabulary().facts.get(name)
    if spec is None:
        return f"unknown fact {name!r} (not in the fact vocabulary)"
    if expected == "finding" and spec.type != "finding":
        return f"fact {name!r} is a {spec.type}, not a finding; use `is` or `includes_any`"
    if expected == "is":
        if spec.type != "choice":
            return f"`is` needs a choice fact; {name!r} is a {spec.type}"
        if value not in spec.values:
            return f"{value!r} is not a value of {name!r} ({', '.join(spec.values)})"
    if expected == "includes_any":
        if spec.type != "set":
            return f"`includes_any` needs a set fact; {name!r} is a {spec.type}"
        bad = [v for v in values or () if v not in spec.values]
        if bad:
            return f"{', '.join(map(repr, bad))} not values of {name!r}"
    return None


def _walk(node: Node, path: tuple[str | int, ...]) -> Iterator[tuple[Node, tuple[str | int, ...]]]:
    yield node, path
    if node.all is not None:
        for i, child in enumerate(node.all):
            yield from _walk(child, (*path, "all", i))
    if node.any is not None:
        for i, child in enumerate(node.any):
            yield from _walk(child, (*path, "any", i))
    if node.not_ is not None:
        yield from _walk(node.not_, (*path, "not"))
    if node.choose is not None:
        for name, option in node.choose.options.items():
            if option is not None:
                yield from _walk(option, (*path, "choose", "options", name))


def _check_tree(node: Node, path: tuple[str | int, ...], spec: RulesetFile, doc: Document,
                problems: list[ErrorDetail], ids: dict[str, str], *, has_exclusions: bool,
                lists: set[str], in_definition: bool = False) -> None:
    for n, p in _walk(node, path):
        where = doc.where(p)
        # Point at the offending line (the `fact:`, `is:` or `reads:` entry), not the node's.
        err = None
        err_at: tuple[str | int, ...] = (*p, "fact")
        if n.fact is not None:
            known = n.fact in vocabulary().facts
            if n.is_ is not None:
                err = _check_fact(n.fact, "is", value=n.is_)
                err_at = err_at if not known else (*p, "is")
            elif n.includes_any is not None:
                err = _check_fact(n.fact, "includes_any", values=n.includes_any)
                err_at = err_at if not known else (*p, "includes_any")
            else:
                err = _check_fact(n.fact, "finding")
        if err:
            problems.append(ErrorDetail("unknown_fact", err, doc.where(err_at)))
        for j, r in enumerate(n.reads):
            if r not in vocabulary().facts:
                problems.append(ErrorDetail("unknown_fact", f"unknown fact {r!r} in reads",
                                            doc.where((*p, "reads", j))))
        if n.ref is not None and n.ref not in spec.definitions:
            problems.append(ErrorDetail("unknown_definition",
                                        f"no definition {n.ref!r}", doc.where((*p, "ref"))))
        if n.excluded and not has_exclusions:
            problems.append(ErrorDetail("invalid_condition",
                                        "`excluded` used but the version has no exclusions",
                                        where))
        if n.listed is not None:
            lists.add(n.listed)
        if n.choose is not None:
            param = spec.parameters.get(n.choose.parameter)
            if param is None:
                problems.append(ErrorDetail(
                    "unknown_parameter", f"no parameter {n.choose.parameter!r}",
                    doc.where((*p, "choose", "parameter"))))
            elif set(n.choose.options) != set(param.options):
                problems.append(ErrorDetail(
                    "invalid_condition", f"`choose` must give every option of "
                    f"{n.choose.parameter!r} ({', '.join(param.options)})",
                    doc.where((*p, "choose", "options"))))
        if n.id is not None and not in_definition and "choose" not in p:
            if n.id in ids and ids[n.id] != where:
                problems.append(ErrorDetail("duplicate_id", f"element id {n.id!r} used twice",
                                            where))
            ids[n.id] = where


_RULESET_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*){1,3}$")
_VARIANT_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _hash_files(paths: list[Path], extra: str = "") -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    h.update(extra.encode())
    return "sha256:" + h.hexdigest()


def _raise(problems: list[ErrorDetail]) -> None:
    if problems:
        raise RulesetError(problems[0].message, code=problems[0].code,
                           location=problems[0].location, details=problems)


def _check_variant_values(spec: RulesetFile, values: Mapping[str, str], doc: Document,
                          at: tuple[str | int, ...], problems: list[ErrorDetail], *,
                          complete: bool = True) -> None:
    for name, value in values.items():
        param = spec.parameters.get(name)
        if param is None:
            problems.append(ErrorDetail("unknown_parameter", f"no parameter {name!r} (the "
                                        f"ruleset has {', '.join(spec.parameters) or 'none'})",
                                        doc.where((*at, name))))
        elif value not in param.options:
            problems.append(ErrorDetail("unknown_option", f"{value!r} is not an option of "
                                        f"{name!r} ({', '.join(param.options)})",
                                        doc.where((*at, name))))
    if complete:
        missing = [n for n in spec.parameters if n not in values]
        if missing:
            problems.append(ErrorDetail("incomplete_variant", "the variant gives no value for "
                                        f"{', '.join(missing)}", doc.where(at)))


def _check_spec(spec: RulesetFile, doc: Document, path: Path,
                expected_id: str | None) -> dict[str, ExclusionList]:
    """Every check of a ruleset file, against the file as written (every option of every
    parameter). Returns the offence lists it names, loaded."""
    problems: list[ErrorDetail] = []
    if not _RULESET_ID.match(spec.id):
        problems.append(ErrorDetail("invalid_id", f"ruleset id {spec.id!r} is not a name "
                                    "like jurisdiction/instrument/provision", doc.where(("id",))))
    if expected_id is not None and spec.id != expected_id:
        problems.append(ErrorDetail("invalid_id", f"ruleset id {spec.id!r} does not match its "
                                    f"path ({expected_id})", doc.where(("id",))))
    versions = spec.versions
    for i, v in enumerate(versions):
        if v.valid_to is not None and v.valid_to < v.valid_from:
            problems.append(ErrorDetail("invalid_dates", "valid_to is before valid_from",
                                        doc.where(("versions", i, "valid_to"))))
        if i > 0:
            prev = versions[i - 1]
            if v.valid_from <= prev.valid_from:
                problems.append(ErrorDetail("invalid_dates", "versions must be in date order",
                                            doc.where(("versions", i, "valid_from"))))
            elif prev.valid_to is None or prev.valid_to >= v.valid_from:
                problems.append(ErrorDetail(
                    "overlapping_versions",
                    f"version from {v.valid_from} overlaps the version from {prev.valid_from}"
                    " (give the earlier one a valid_to before this date)",
                    doc.where(("versions", i, "valid_from"))))
    if spec.temporal.predecessor is not None and spec.temporal.rule != "lex_mitior":
        problems.append(ErrorDetail("invalid_temporal", "a predecessor is only used under "
                                    "rule lex_mitior", doc.where(("temporal", "predecessor"))))
    if spec.temporal.predecessor is not None and not _RULESET_ID.match(spec.temporal.predecessor):
        problems.append(ErrorDetail("invalid_id", f"{spec.temporal.predecessor!r} is not a "
                                    "ruleset id", doc.where(("temporal", "predecessor"))))
    listed: set[str] = set()
    for name, node in spec.definitions.items():
        _check_tree(node, ("definitions", name), spec, doc, problems, {}, has_exclusions=False,
                    lists=listed, in_definition=True)
    # Exclusions: each version's, and every option's that replaces them.
    exclusion_refs: list[tuple[ExclusionRef, tuple[str | int, ...]]] = [
        (v.exclusions, ("versions", i, "exclusions")) for i, v in enumerate(versions)
        if v.exclusions is not None]
    for pname, param in spec.parameters.items():
        for oname, opt in param.options.items():
            if opt.exclusions is not None:
                exclusion_refs.append((opt.exclusions, ("parameters", pname, "options", oname,
                                                        "exclusions")))
    option_sets_exclusions = any(opt.exclusions is not None or "exclusions" in opt.model_fields_set
                                 for param in spec.parameters.values()
                                 for opt in param.options.values())
    for xr, at in exclusion_refs:
        if xr.when is not None:
            _check_tree(xr.when, (*at, "when"), spec, doc, problems, {}, has_exclusions=False,
                        lists=listed, in_definition=True)
    for i, v in enumerate(versions):
        ids_v: dict[str, str] = {}
        _check_tree(v.protection, ("versions", i, "protection"), spec, doc, problems, ids_v,
                    has_exclusions=v.exclusions is not None or option_sets_exclusions,
                    lists=listed)
        limbs = [n.limb for n, p in _walk(v.protection, ()) if n.limb is not None
                 and "choose" not in p]
        if len(limbs) != len(set(limbs)):
            problems.append(ErrorDetail("invalid_condition", "a limb is marked twice",
                                        doc.where(("versions", i, "protection"))))
    for i, cav in enumerate(spec.caveats):
        if cav.when is not None:
            _check_tree(cav.when, ("caveats", i, "when"), spec, doc, problems, {},
                        has_exclusions=True, lists=listed, in_definition=True)
    # Variants.
    for vname, vs in spec.variants.items():
        if not _VARIANT_ID.match(vname):
            problems.append(ErrorDetail("invalid_id", f"variant name {vname!r} is not a name "
                                        "like uk-style", doc.where(("variants", vname))))
        _check_variant_values(spec, vs.values, doc, ("variants", vname, "values"), problems)
    if spec.parameters and not spec.variants:
        problems.append(ErrorDetail("incomplete_variant", "a ruleset with parameters needs at "
                                    "least one named variant", doc.where(("parameters",))))
    if spec.variants and not spec.parameters:
        problems.append(ErrorDetail("unknown_parameter", "variants need parameters",
                                    doc.where(("variants",))))
    if spec.default_variant is not None and spec.default_variant not in spec.variants:
        problems.append(ErrorDetail("unknown_variant", f"no variant {spec.default_variant!r}",
                                    doc.where(("default_variant",))))
    # Offence lists: the exclusion lists and those read with `listed`, beside the ruleset.
    lists: dict[str, ExclusionList] = {}
    wanted = [(xr.list, (*at, "list")) for xr, at in exclusion_refs if xr.list is not None]
    wanted += [(name, ("versions",)) for name in sorted(listed)]
    for ref, at in wanted:
        if ref in lists:
            continue
        list_path = (path.parent / f"{ref}.yaml").resolve()
        if ".." in Path(ref).parts or not list_path.is_file():
            problems.append(ErrorDetail("unknown_list", f"no offence list {ref!r} beside "
                                        "the ruleset", doc.where(at)))
            continue
        lists[ref] = load_exclusion_list(list_path, lambda name, kind: _check_fact(name, kind))
    _raise(problems)
    return lists


_UNSET: Any = object()


def _resolve_node(node: Node, values: Mapping[str, str]) -> Node | None:
    """The tree with every ``choose`` replaced by the chosen option (None: dropped)."""
    if node.choose is not None:
        option = node.choose.options[values[node.choose.parameter]]
        return None if option is None else _resolve_node(option, values)
    for op in ("all", "any"):
        children = getattr(node, op)
        if children is not None:
            kept = tuple(c for c in (_resolve_node(ch, values) for ch in children)
                         if c is not None)
            if not kept:
                return None
            return node if kept == children else node.model_copy(update={op: kept})
    if node.not_ is not None:
        inner = _resolve_node(node.not_, values)
        if inner is None:
            return None
        return node if inner is node.not_ else node.model_copy(update={"not_": inner})
    return node


def _resolve_variant(spec: RulesetFile, vs: VariantSpec) -> RulesetFile:
    """The ruleset as one variant reads: options applied, choices made."""
    values = vs.values
    burden, kind, effect, exclusions = spec.burden, spec.kind, spec.legal_effect, _UNSET
    for pname, param in spec.parameters.items():
        opt = param.options[values[pname]]
        kind = opt.kind or kind
        effect = opt.legal_effect or effect
        if opt.burden is not None:
            patch = {k: getattr(opt.burden, k) for k in opt.burden.model_fields_set
                     if getattr(opt.burden, k) is not None}
            floor = patch.pop("finding_true_from_at_least", None)
            burden = burden.model_copy(update=patch)
            if floor is not None and floor.rank > burden.finding_true_from.rank:
                burden = burden.model_copy(update={"finding_true_from": floor})
        if "exclusions" in opt.model_fields_set:
            exclusions = opt.exclusions
    versions = []
    for v in spec.versions:
        protection = _resolve_node(v.protection, values)
        if protection is None:
            raise RulesetError("the variant's choices leave the provision with no test",
                               code="invalid_condition")
        update: dict[str, Any] = {"protection": protection}
        if exclusions is not _UNSET:
            update["exclusions"] = exclusions
        versions.append(v.model_copy(update=update))
    definitions = {k: d for k, d in ((k, _resolve_node(d, values))
                                     for k, d in spec.definitions.items()) if d is not None}
    temporal = spec.temporal
    if vs.commencement is not None:
        if (len(versions) > 1 and vs.commencement >= versions[1].valid_from) or (
                versions[0].valid_to is not None and vs.commencement > versions[0].valid_to):
            raise RulesetError(f"commencement {vs.commencement} is not before the first "
                               "version's end", code="invalid_dates")
        versions[0] = versions[0].model_copy(update={"valid_from": vs.commencement})
    elif spec.status == "proposal":
        temporal = temporal.model_copy(update={"rule": "as_if_in_force"})
    return spec.model_copy(update={"burden": burden, "kind": kind, "legal_effect": effect,
                                   "versions": versions, "definitions": definitions,
                                   "temporal": temporal})


def _build(spec: RulesetFile, path: Path, lists: dict[str, ExclusionList],
           variant: str | None = None, vs: VariantSpec | None = None,
           extra_files: Sequence[Path] = ()) -> Ruleset:
    source = spec
    if vs is not None:
        spec = _resolve_variant(spec, vs)
        for i, v in enumerate(spec.versions):
            ids = [n.id for n, _ in _walk(v.protection, ()) if n.id is not None]
            dup = sorted({x for x in ids if ids.count(x) > 1})
            if dup:
                raise RulesetError(f"variant {variant!r}: element id {dup[0]!r} used twice in "
                                   f"version {i + 1}", code="duplicate_id")
    compiled = []
    for v in spec.versions:
        xl = lists.get(v.exclusions.list) if v.exclusions and v.exclusions.list else None
        compiled.append(_compile_version(v, spec.definitions, xl, lists))
    caveat_conditions = {c.id: compile_condition(c.when, spec.definitions)
                         for c in spec.caveats if c.when is not None}
    files = [path, *extra_files, *(path.parent / f"{name}.yaml" for name in sorted(lists))]
    files += [shipped_root() / "facts.yaml"]
    if spec.catalogue:
        files.append(shipped_root() / spec.catalogue / "offences.yaml")
    extra = "" if vs is None else vs.model_dump_json()
    return Ruleset(spec, path, _hash_files(files, extra), tuple(compiled), caveat_conditions,
                   variant, vs, source if vs is not None else None, lists)


def with_choices(ruleset: Ruleset, values: Mapping[str, str], name: str,
                 label: Text | None = None) -> Ruleset:
    """A variant of ``ruleset`` (itself a variant of a ruleset with parameters) with some
    parameters set otherwise: what a modeller's variant file does, from code."""
    spec, base = ruleset.source_spec, ruleset.variant_spec
    if spec is None or base is None:
        raise RulesetError(f"{ruleset.id} has no parameters", code="unknown_parameter")
    if not _VARIANT_ID.match(name):
        raise RulesetError(f"variant name {name!r} is not a name like uk-style",
                           code="invalid_id")
    for pname, option in values.items():
        param = spec.parameters.get(pname)
        if param is None:
            raise RulesetError(f"no parameter {pname!r} (the ruleset has "
                               f"{', '.join(spec.parameters)})", code="unknown_parameter")
        if option not in param.options:
            raise RulesetError(f"{option!r} is not an option of {pname!r} "
                               f"({', '.join(param.options)})", code="unknown_option")
    vs = VariantSpec(label=label or Text(en=name, nl=name), values={**base.values, **values},
                     commencement=base.commencement)
    return _build(spec, ruleset.path, dict(ruleset.lists), name, vs)


def _read_spec(doc: Document) -> RulesetFile:
    try:
        return RulesetFile.model_validate(as_mapping(doc, "a ruleset"))
    except ValidationError as exc:
        details = details_from_validation(exc, doc)
        raise RulesetError(details[0].message, code=details[0].code,
                           location=details[0].location, details=details) from None


def load_ruleset_file(path: str | Path, *, expected_id: str | None = None,
                      variant: str | None = None) -> Ruleset:
    """Load and fully check one ruleset file, or a variant file of a shipped ruleset with
    parameters. Problems raise RulesetError with file:line. A ruleset with parameters is
    loaded as ``variant`` (default: its ``default_variant``, else its first variant)."""
    path = Path(path)
    doc = read_document(path)
    data = as_mapping(doc, "a ruleset")
    if data.get("schema") == "nonpunish-variant/1":
        return _load_variant_file(path, doc)
    spec = _read_spec(doc)
    lists = _check_spec(spec, doc, path, expected_id)
    if not spec.parameters:
        if variant is not None:
            raise UnknownRulesetError(f"{spec.id} has no variants", code="unknown_variant")
        return _build(spec, path, lists)
    name = variant or spec.default_variant or next(iter(spec.variants))
    vs = spec.variants.get(name)
    if vs is None:
        raise UnknownRulesetError(f"{spec.id} has no variant {name!r} (it has "
                                  f"{', '.join(spec.variants)})", code="unknown_variant")
    return _build(spec, path, lists, name, vs)


def _load_variant_file(path: Path, doc: Document) -> Ruleset:
    try:
        vf = VariantFile.model_validate(as_mapping(doc, "a variant"))
    except ValidationError as exc:
        details = details_from_validation(exc, doc)
        raise RulesetError(details[0].message, code=details[0].code,
                           location=details[0].location, details=details) from None
    base = load_shipped(vf.ruleset)
    spec = base.source_spec
    if spec is None:
        # A ruleset without parameters has one variant of interest to a modeller: another
        # commencement date (a date that is itself uncertain, say).
        if vf.values or vf.base is not None or vf.commencement is None:
            raise RulesetError(f"{vf.ruleset} has no parameters: a variant of it can only "
                               "set `commencement`", code="unknown_parameter",
                               location=doc.where(("ruleset",)))
        spec = base.spec
    problems: list[ErrorDetail] = []
    values: dict[str, str] = {}
    if vf.base is not None:
        if vf.base not in spec.variants:
            problems.append(ErrorDetail("unknown_variant", f"{vf.ruleset} has no variant "
                                        f"{vf.base!r} ({', '.join(spec.variants)})",
                                        doc.where(("base",))))
        else:
            values.update(spec.variants[vf.base].values)
    _check_variant_values(spec, vf.values, doc, ("values",), problems, complete=False)
    values.update(vf.values)
    _check_variant_values(spec, values, doc, ("values",), problems)
    _raise(problems)
    commencement = vf.commencement
    if commencement is None and vf.base is not None and vf.base in spec.variants:
        commencement = spec.variants[vf.base].commencement
    vs = VariantSpec(label=vf.label, description=vf.description, source=vf.source,
                     values=values, commencement=commencement)
    return _build(spec, base.path, dict(base.lists), vf.id, vs, extra_files=[path])


# --- the registry of shipped rulesets ------------------------------------------------------

_lock = threading.Lock()
_cache: dict[str, Ruleset] = {}


def _is_ruleset_file(path: Path) -> bool:
    if path.name in ("offences.yaml", "facts.yaml", "categories.yaml", "not-encoded.yaml"):
        return False
    if "scenarios" in path.parts or "variants" in path.parts:
        return False
    try:
        head = path.read_text(encoding="utf-8")[:2000]
    except OSError:
        return False
    return "schema: nonpunish-ruleset/1" in head


class NotEncodedSource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    url: str


class NotEncoded(BaseModel):
    """A provision known to exist whose text is not encoded (and is not guessed at)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_RULESET_ID.pattern)
    title: Text
    status: Status
    reason: Text
    sources: list[NotEncodedSource] = Field(default_factory=list)


class NotEncodedList(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: Literal["nonpunish-not-encoded/1"] = Field(alias="schema")
    provisions: list[NotEncoded]


def not_encoded() -> dict[str, NotEncoded]:
    """Provisions listed in ``rulesets/not-encoded.yaml``, by id."""
    path = shipped_root() / "not-encoded.yaml"
    if not path.is_file():
        return {}
    doc = read_document(path)
    try:
        data = NotEncodedList.model_validate(as_mapping(doc, "the not-encoded list"))
    except ValidationError as exc:
        details = details_from_validation(exc, doc)
        raise RulesetError(details[0].message, code="invalid_ruleset",
                           location=details[0].location, details=details) from None
    return {p.id: p for p in data.provisions}


def _not_shipped(ruleset_id: str) -> UnknownRulesetError:
    pending = not_encoded().get(ruleset_id)
    if pending is not None:
        return UnknownRulesetError(
            f"{ruleset_id} is known but its text is not encoded: {pending.reason.en}",
            code="not_encoded")
    return UnknownRulesetError(f"no shipped ruleset {ruleset_id!r} (see `nonpunish list`)",
                               code="unknown_ruleset")


def shipped_ids() -> list[str]:
    root = shipped_root()
    ids = []
    for p in sorted(root.rglob("*.yaml")):
        if _is_ruleset_file(p):
            ids.append(p.relative_to(root).with_suffix("").as_posix())
    return ids


def load_shipped(ruleset_id: str) -> Ruleset:
    """Load a shipped ruleset by id (cached). The id must be one of :func:`shipped_ids`,
    perhaps with ``@variant`` for a ruleset with parameters."""
    base_id, _, variant = ruleset_id.partition("@") if isinstance(ruleset_id, str) else ("", "", "")
    if isinstance(ruleset_id, str) and "@" in ruleset_id:
        if not _VARIANT_ID.match(variant) or not _RULESET_ID.match(base_id):
            raise UnknownRulesetError(
                f"{ruleset_id!r} is not a ruleset variant (they look like "
                "'nl/proposal/273f-non-punishment@ckm-fier')", code="invalid_ruleset_id")
        with _lock:
            hit = _cache.get(ruleset_id)
        if hit is not None:
            return hit
        if base_id not in shipped_ids():
            raise _not_shipped(base_id)
        rs = load_ruleset_file(shipped_root() / f"{base_id}.yaml", expected_id=base_id,
                               variant=variant)
        with _lock:
            _cache[ruleset_id] = rs
        return rs
    if not isinstance(ruleset_id, str) or not _RULESET_ID.match(ruleset_id):
        raise UnknownRulesetError(
            f"{ruleset_id!r} is not a ruleset id (ids look like "
            "'uk-ew/modern-slavery-act-2015/s45'; see `nonpunish list`)",
            code="invalid_ruleset_id")
    with _lock:
        hit = _cache.get(ruleset_id)
        if hit is not None:
            return hit
        if ruleset_id not in shipped_ids():
            raise _not_shipped(ruleset_id)
        rs = load_ruleset_file(shipped_root() / f"{ruleset_id}.yaml", expected_id=ruleset_id)
        _cache[ruleset_id] = rs
        return rs
