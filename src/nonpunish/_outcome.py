"""The reasoned outcome: what was decided, on which elements and facts, and what is still open.

Outcome types are frozen dataclasses, cheap to build on every evaluation. They serialise and
validate through pydantic with the same method names as the case models:
``outcome.model_dump_json()``, ``Outcome.model_validate_json(text)``, and
``outcome_json_schema()`` for other languages. They carry no date of birth and no free-text
facts: only what the reasoning needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import Field, TypeAdapter

from ._case import EvidenceLevel, Participation
from ._ruleset import Kind, LegalEffect, Limb, Status
from ._text import Text

#: Bump when the JSON shape of an outcome changes incompatibly.
OUTCOME_SCHEMA_VERSION = "1"

Result = Literal["protected", "not_protected", "excluded_offence", "not_in_force",
                 "undetermined"]
RESULTS: tuple[Result, ...] = ("protected", "not_protected", "excluded_offence",
                               "not_in_force", "undetermined")

DISCLAIMER = Text(
    en="Decision support, not legal advice. This outcome applies encoded rules to the facts "
       "given; it does not replace the judgement of a lawyer or a court. Check the caveats and "
       "the primary sources cited.",
    nl="Beslissingsondersteuning, geen juridisch advies. Deze uitkomst past vastgelegde regels "
       "toe op de gegeven feiten; zij vervangt niet het oordeel van een advocaat of rechter. "
       "Controleer de kanttekeningen en de aangehaalde bronnen.",
)


_adapters: dict[type, TypeAdapter[Any]] = {}


def _adapter(cls: type) -> TypeAdapter[Any]:
    adapter = _adapters.get(cls)
    if adapter is None:
        adapter = _adapters[cls] = TypeAdapter(cls)
    return adapter


class _Serialisable:
    """pydantic-style (de)serialisation for the outcome dataclasses."""

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, Any]]

    def model_dump(self, *, mode: Literal["python", "json"] = "python",
                   exclude_none: bool = False) -> dict[str, Any]:
        return _adapter(type(self)).dump_python(self, mode=mode,  # type: ignore[no-any-return]
                                                exclude_none=exclude_none)

    def model_dump_json(self, *, indent: int | None = None, exclude_none: bool = False) -> str:
        return _adapter(type(self)).dump_json(self, indent=indent,
                                              exclude_none=exclude_none).decode()

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        return _adapter(cls).validate_python(data)  # type: ignore[no-any-return]

    @classmethod
    def model_validate_json(cls, text: str | bytes) -> Self:
        return _adapter(cls).validate_json(text)  # type: ignore[no-any-return]

    @classmethod
    def model_json_schema(cls) -> dict[str, Any]:
        return _adapter(cls).json_schema()


# Outcome parts built on every evaluation are plain dataclasses: a frozen one costs three
# times as much to build. Treat them as values all the same. Reference data built once per
# ruleset and shared by every outcome (Citation, Caveat, RulesetRef) is frozen.


@dataclass(frozen=True, slots=True, kw_only=True)
class Citation(_Serialisable):
    instrument: str
    provision: str
    url: str | None = None

    def __str__(self) -> str:
        return f"{self.instrument}, {self.provision}"


@dataclass(slots=True, kw_only=True)
class FactUse(_Serialisable):
    """A fact an element read: as given, and the finding the rule used."""

    fact: str
    given: Annotated[Any, Field(description="The value as the case gave it (null: not given).")]
    finding: Annotated[bool | None, Field(
        description="The three-valued finding the rule used; for choice and set facts, "
        "whether the element's test held.")]
    basis: Literal["finding", "evidence", "not_given", "derived"]
    evidence: EvidenceLevel | None = None
    disproved: bool | None = None
    role: Literal["condition", "context"] = "condition"


@dataclass(slots=True, kw_only=True)
class ElementOutcome(_Serialisable):
    """One element of the provision, its value and what it rested on."""

    id: str
    citation: Citation
    label: Text
    wording: str | None = None
    value: bool | None
    parent: str | None = None
    limb: Annotated[Limb | None, Field(description="The limb this occurrence sits in.")] = None
    depth: Annotated[int, Field(ge=0, description="Nesting depth, for display.")] = 0
    facts: list[FactUse] = field(default_factory=list)


# A class called with keyword arguments packs them into a dict for __init__, which doubles
# the cost of building these small objects. The evaluator builds one per element, per fact
# an element reads, per offence list checked and per question, of every case, so it uses
# these builders: the same keywords, every field required (tests/unit/test_outcome.py holds
# them to the fields).

def build_fact_use(*, fact: str, given: Any, finding: bool | None,
                   basis: Literal["finding", "evidence", "not_given", "derived"],
                   evidence: EvidenceLevel | None, disproved: bool | None,
                   role: Literal["condition", "context"]) -> FactUse:
    use = FactUse.__new__(FactUse)
    use.fact = fact
    use.given = given
    use.finding = finding
    use.basis = basis
    use.evidence = evidence
    use.disproved = disproved
    use.role = role
    return use


def build_element_outcome(*, id: str, citation: Citation, label: Text, wording: str | None,
                          value: bool | None, parent: str | None, limb: Limb | None,
                          depth: int, facts: list[FactUse]) -> ElementOutcome:
    element = ElementOutcome.__new__(ElementOutcome)
    element.id = id
    element.citation = citation
    element.label = label
    element.wording = wording
    element.value = value
    element.parent = parent
    element.limb = limb
    element.depth = depth
    element.facts = facts
    return element


@dataclass(slots=True, kw_only=True)
class ExclusionMatch(_Serialisable):
    paragraph: str
    offence: str
    title: str
    wording: str | None = None
    condition_fact: str | None = None
    condition: bool | None = None
    applies: bool | None
    via: Annotated[str | None, Field(description="The paragraph that reaches this form of "
                                     "participation, if not the principal offence.")] = None
    given_broadly: Annotated[bool, Field(
        description="The offence was given by a broader section than this entry's, so it may "
        "or may not be the listed offence.")] = False


@dataclass(slots=True, kw_only=True)
class ExclusionCheck(_Serialisable):
    """Whether the offence is on the provision's exclusion list."""

    list_id: str
    title: Text
    citation: Citation
    closed: bool
    excluded: bool | None
    matched_by: Literal["catalogue", "statute_and_section", "category"]
    matches: list[ExclusionMatch] = field(default_factory=list)


def build_exclusion_match(*, paragraph: str, offence: str, title: str, wording: str | None,
                          condition_fact: str | None, condition: bool | None,
                          applies: bool | None, via: str | None,
                          given_broadly: bool) -> ExclusionMatch:
    match = ExclusionMatch.__new__(ExclusionMatch)
    match.paragraph = paragraph
    match.offence = offence
    match.title = title
    match.wording = wording
    match.condition_fact = condition_fact
    match.condition = condition
    match.applies = applies
    match.via = via
    match.given_broadly = given_broadly
    return match


def build_exclusion_check(*, list_id: str, title: Text, citation: Citation, closed: bool,
                          excluded: bool | None,
                          matched_by: Literal["catalogue", "statute_and_section", "category"],
                          matches: list[ExclusionMatch]) -> ExclusionCheck:
    check = ExclusionCheck.__new__(ExclusionCheck)
    check.list_id = list_id
    check.title = title
    check.citation = citation
    check.closed = closed
    check.excluded = excluded
    check.matched_by = matched_by
    check.matches = matches
    return check


@dataclass(frozen=True, slots=True, kw_only=True)
class Caveat(_Serialisable):
    id: str
    kind: Literal["assumption", "unverified", "interpretation", "note", "disputed_age",
                  "uncatalogued_offence", "evidence"]
    text: Text
    citation: str | None = None
    url: str | None = None


@dataclass(slots=True, kw_only=True)
class Question(_Serialisable):
    """A fact still needed, with the question to ask and why it matters."""

    fact: str
    text: Text
    help: Text
    decisive: Annotated[bool, Field(description="True if one answer to this question alone "
                                    "would settle the result.")]
    elements: Annotated[list[str], Field(description="The elements this fact feeds.")] = field(
        default_factory=list)
    counts: list[str] = field(default_factory=list)


def build_question(*, fact: str, text: Text, help: Text, decisive: bool, elements: list[str],
                   counts: list[str]) -> Question:
    question = Question.__new__(Question)
    question.fact = fact
    question.text = text
    question.help = help
    question.decisive = decisive
    question.elements = elements
    question.counts = counts
    return question


@dataclass(frozen=True, slots=True, kw_only=True)
class OffenceRef(_Serialisable):
    id: str | None
    statute: str | None
    section: str | None
    title: str | None
    category: str | None
    catalogued: bool


@dataclass(slots=True, kw_only=True)
class Scenario(_Serialisable):
    """One reading of a disputed age or a date known only as a range."""

    label: Text
    result: Result
    limb: Limb | None
    version_from: dt.date | None = None
    elements: list[ElementOutcome] = field(default_factory=list)
    exclusion: ExclusionCheck | None = None


@dataclass(slots=True, kw_only=True)
class CountOutcome(_Serialisable):
    count_id: str
    offence: OffenceRef
    participation: Participation | None
    result: Result
    legal_effect: Annotated[LegalEffect | None, Field(
        description="The protection's effect, when the result is protected.")]
    limb: Limb | None
    reason: Text
    deciding_elements: list[str] = field(default_factory=list)
    version_from: Annotated[dt.date | None, Field(
        description="valid_from of the ruleset version applied.")] = None
    elements: list[ElementOutcome] = field(default_factory=list)
    exclusion: ExclusionCheck | None = None
    scenarios: list[Scenario] = field(default_factory=list)
    caveats: list[Caveat] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    applies_instead: Text | None = None
    applied_ruleset: Annotated[str | None, Field(
        description="Set when the outcome is another ruleset's: the law at the time of the "
        "act, which was more favourable (lex mitior).")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RulesetRef(_Serialisable):
    id: str
    title: Text
    jurisdiction: str
    jurisdiction_name: Text
    instrument: str
    provision: str
    url: str
    kind: Kind
    legal_effect: LegalEffect
    status: Status
    burden: Text
    variant: Annotated[str | None, Field(description="For a ruleset with policy parameters: "
                                         "the variant evaluated.")] = None
    variant_label: Text | None = None
    parameters: Annotated[dict[str, str], Field(description="The option chosen for each "
                                                "policy parameter.")] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Provenance(_Serialisable):
    """What produced the outcome, so a filed outcome can be reproduced."""

    library_version: str
    ruleset_id: str
    ruleset_versions: tuple[dt.date, ...]
    ruleset_content_hash: str
    engine: str
    as_of: dt.date
    library: Literal["nonpunish"] = "nonpunish"
    schema_version: str = OUTCOME_SCHEMA_VERSION


@dataclass(slots=True, kw_only=True)
class Outcome(_Serialisable):
    """The reasoned outcome for a case under one ruleset: one :class:`CountOutcome` a count."""

    case_id: str | None
    ruleset: RulesetRef
    result: Annotated[Result | None, Field(
        description="The result shared by every count, or null if counts differ (see counts).")]
    counts: list[CountOutcome]
    provenance: Provenance
    questions: Annotated[list[Question], Field(
        description="Every count's open questions, once each.")] = field(default_factory=list)
    caveats: list[Caveat] = field(default_factory=list)
    disclaimer: Text = DISCLAIMER
    schema_version: str = OUTCOME_SCHEMA_VERSION


def outcome_json_schema() -> dict[str, Any]:
    """JSON Schema of an outcome, for software in any language."""
    return Outcome.model_json_schema()
