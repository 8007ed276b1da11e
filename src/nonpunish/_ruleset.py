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
from collections.abc import Iterator
from dataclasses import dataclass
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

_OPERATORS = ("all", "any", "not_", "fact", "age_at_least", "age_under", "ref", "excluded")


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
    ref: str | None = None
    excluded: Literal[True] | None = None

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


class ExclusionRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    list: str = Field(description="Path of the list file, relative to the ruleset file, "
                      "without .yaml")
    citation: str
    wording: str | None = None


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
    if node.excluded:
        return ("excluded",)
    raise AssertionError(f"not a leaf: {node}")


_EXCLUDED_NODE = Node(excluded=True)


def compile_condition(node: Node, definitions: dict[str, Node]) -> tuple[CompiledNode, ...]:
    """Compile a stand-alone condition (a caveat's ``when``)."""
    c = _Compiler(definitions)
    c.add(node)
    return tuple(c.nodes)


def _compile_version(version: Version, definitions: dict[str, Node],
                     exclusion_list: ExclusionList | None) -> CompiledVersion:
    c = _Compiler(definitions)
    protection = c.add(version.protection)
    if version.exclusions is not None:
        excluded = c.add(_EXCLUDED_NODE)
        not_excluded_src = Node(
            id="not-excluded", citation=version.exclusions.citation,
            label=Text(en="The offence is not excluded", nl="Het feit is niet uitgesloten"),
            wording=version.exclusions.wording, **{"not": _EXCLUDED_NODE})
        not_excluded = len(c.nodes)
        c.nodes.append(CompiledNode(not_excluded, "not", (excluded,), None, not_excluded_src,
                                    True, None))
        root_src = Node(**{"all": (not_excluded_src, version.protection)})
        root = len(c.nodes)
        c.nodes.append(CompiledNode(root, "all", (not_excluded, protection), None, root_src,
                                    False, None))
    else:
        root = protection
    limb_nodes = {n.limb: n.index for n in c.nodes if n.limb is not None}
    parents: dict[int, list[int]] = {}
    for n in c.nodes:
        for ch in n.children:
            parents.setdefault(ch, []).append(n.index)
    leaves = tuple(dict.fromkeys(n.leaf for n in c.nodes if n.leaf is not None))
    return CompiledVersion(version, tuple(c.nodes), root, protection, leaves,
                           exclusion_list, limb_nodes,
                           {k: tuple(v) for k, v in parents.items()})


@dataclass(frozen=True)
class Ruleset:
    """A loaded, checked ruleset, ready to evaluate."""

    spec: RulesetFile
    path: Path
    content_hash: str
    compiled: tuple[CompiledVersion, ...]
    caveat_conditions: dict[str, tuple[CompiledNode, ...]]

    @property
    def id(self) -> str:
        return self.spec.id

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
        return dates

    def age_thresholds(self) -> set[int]:
        out: set[int] = set()
        for cv in self.compiled:
            for leaf in cv.leaves:
                if leaf[0] in ("age_at_least", "age_under"):
                    out.add(leaf[1])
        for nodes in self.caveat_conditions.values():
            for n in nodes:
                if n.leaf and n.leaf[0] in ("age_at_least", "age_under"):
                    out.add(n.leaf[1])
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


def _check_tree(node: Node, path: tuple[str | int, ...], spec: RulesetFile, doc: Document,
                problems: list[ErrorDetail], ids: dict[str, str], *, has_exclusions: bool,
                in_definition: bool = False) -> None:
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
                                        "`excluded` used but the version has no exclusion list",
                                        where))
        if n.id is not None and not in_definition:
            if n.id in ids and ids[n.id] != where:
                problems.append(ErrorDetail("duplicate_id", f"element id {n.id!r} used twice",
                                            where))
            ids[n.id] = where


_RULESET_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*){1,3}$")


def _hash_files(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return "sha256:" + h.hexdigest()


def load_ruleset_file(path: str | Path, *, expected_id: str | None = None) -> Ruleset:
    """Load and fully check one ruleset file. Problems raise RulesetError with file:line."""
    path = Path(path)
    doc = read_document(path)
    try:
        spec = RulesetFile.model_validate(as_mapping(doc, "a ruleset"))
    except ValidationError as exc:
        details = details_from_validation(exc, doc)
        raise RulesetError(details[0].message, code=details[0].code,
                           location=details[0].location, details=details) from None
    problems: list[ErrorDetail] = []
    if not _RULESET_ID.match(spec.id):
        problems.append(ErrorDetail("invalid_id", f"ruleset id {spec.id!r} is not a name "
                                    "like jurisdiction/instrument/provision", doc.where(("id",))))
    if expected_id is not None and spec.id != expected_id:
        problems.append(ErrorDetail("invalid_id", f"ruleset id {spec.id!r} does not match its "
                                    f"path ({expected_id})", doc.where(("id",))))
    # Versions: ordered, not overlapping.
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
    ids: dict[str, str] = {}
    for name, node in spec.definitions.items():
        _check_tree(node, ("definitions", name), spec, doc, problems, {}, has_exclusions=False,
                    in_definition=True)
    lists: dict[str, ExclusionList] = {}
    files = [path]
    for i, v in enumerate(versions):
        xl = None
        if v.exclusions is not None:
            ref = v.exclusions.list
            list_path = (path.parent / f"{ref}.yaml").resolve()
            if ".." in Path(ref).parts or not list_path.is_file():
                problems.append(ErrorDetail("unknown_list", f"no exclusion list {ref!r} beside "
                                            "the ruleset", doc.where(("versions", i, "exclusions",
                                                                      "list"))))
            else:
                if ref not in lists:
                    lists[ref] = load_exclusion_list(
                        list_path, lambda name, kind: _check_fact(name, kind))
                    files.append(list_path)
                xl = lists[ref]
        ids_v: dict[str, str] = {}
        _check_tree(v.protection, ("versions", i, "protection"), spec, doc, problems, ids_v,
                    has_exclusions=xl is not None)
        ids.update(ids_v)
        limbs = [n.limb for n, _ in _walk(v.protection, ()) if n.limb is not None]
        if len(limbs) != len(set(limbs)):
            problems.append(ErrorDetail("invalid_condition", "a limb is marked twice",
                                        doc.where(("versions", i, "protection"))))
    for i, cav in enumerate(spec.caveats):
        if cav.when is not None:
            _check_tree(cav.when, ("caveats", i, "when"), spec, doc, problems, {},
                        has_exclusions=True, in_definition=True)
    if problems:
        raise RulesetError(problems[0].message, code=problems[0].code,
                           location=problems[0].location, details=problems)
    compiled = []
    for v in versions:
        xl = lists.get(v.exclusions.list) if v.exclusions else None
        compiled.append(_compile_version(v, spec.definitions, xl))
    caveat_conditions = {c.id: compile_condition(c.when, spec.definitions)
                         for c in spec.caveats if c.when is not None}
    files += [shipped_root() / "facts.yaml"]
    if spec.catalogue:
        files.append(shipped_root() / spec.catalogue / "offences.yaml")
    return Ruleset(spec, path, _hash_files(files), tuple(compiled), caveat_conditions)


# --- the registry of shipped rulesets ------------------------------------------------------

_lock = threading.Lock()
_cache: dict[str, Ruleset] = {}


def _is_ruleset_file(path: Path) -> bool:
    if path.name in ("offences.yaml", "facts.yaml", "categories.yaml"):
        return False
    if "scenarios" in path.parts or "variants" in path.parts:
        return False
    try:
        head = path.read_text(encoding="utf-8")[:2000]
    except OSError:
        return False
    return "schema: nonpunish-ruleset/1" in head


def shipped_ids() -> list[str]:
    root = shipped_root()
    ids = []
    for p in sorted(root.rglob("*.yaml")):
        if _is_ruleset_file(p):
            ids.append(p.relative_to(root).with_suffix("").as_posix())
    return ids


def load_shipped(ruleset_id: str) -> Ruleset:
    """Load a shipped ruleset by id (cached). The id must be one of :func:`shipped_ids`."""
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
            raise UnknownRulesetError(f"no shipped ruleset {ruleset_id!r} (see `nonpunish list`)",
                                      code="unknown_ruleset")
        rs = load_ruleset_file(shipped_root() / f"{ruleset_id}.yaml", expected_id=ruleset_id)
        _cache[ruleset_id] = rs
        return rs
