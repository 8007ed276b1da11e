"""The reasoned outcome: what was decided, on which elements and facts, and what is still open.

Outcomes serialise to JSON (``Outcome.model_dump_json()``), validate back
(``Outcome.model_validate_json``), and have a JSON Schema (``outcome_json_schema()``).
They carry no date of birth and no free-text facts: only what the reasoning needs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class Citation(BaseModel):
    model_config = _FROZEN

    instrument: str
    provision: str
    url: str | None = None

    def __str__(self) -> str:
        return f"{self.instrument}, {self.provision}"


class FactUse(BaseModel):
    """A fact an element read: as given, and the finding the rule used."""

    model_config = _FROZEN

    fact: str
    given: Any = Field(description="The value as the case gave it (null: not given).")
    finding: bool | None = Field(description="The three-valued finding the rule used; for "
                                 "choice and set facts, whether the element's test held.")
    basis: Literal["finding", "evidence", "not_given", "derived"]
    evidence: EvidenceLevel | None = None
    disproved: bool | None = None
    role: Literal["condition", "context"] = "condition"


class ElementOutcome(BaseModel):
    """One element of the provision, its value and what it rested on."""

    model_config = _FROZEN

    id: str
    citation: Citation
    label: Text
    wording: str | None = None
    value: bool | None
    parent: str | None = None
    limb: Limb | None = Field(default=None, description="The limb this occurrence sits in.")
    depth: int = Field(default=0, ge=0, description="Nesting depth, for display.")
    facts: list[FactUse] = Field(default_factory=list)


class ExclusionMatch(BaseModel):
    model_config = _FROZEN

    paragraph: str
    offence: str
    title: str
    wording: str | None = None
    condition_fact: str | None = None
    condition: bool | None = None
    via: str | None = Field(default=None, description="The paragraph that reaches this form "
                            "of participation, if not the principal offence.")
    applies: bool | None


class ExclusionCheck(BaseModel):
    """Whether the offence is on the provision's exclusion list."""

    model_config = _FROZEN

    list_id: str
    title: Text
    citation: Citation
    closed: bool
    excluded: bool | None
    matches: list[ExclusionMatch] = Field(default_factory=list)
    matched_by: Literal["catalogue", "statute_and_section"]


class Caveat(BaseModel):
    model_config = _FROZEN

    id: str
    kind: Literal["assumption", "unverified", "interpretation", "note", "disputed_age",
                  "uncatalogued_offence", "evidence"]
    text: Text
    citation: str | None = None
    url: str | None = None


class Question(BaseModel):
    """A fact still needed, with the question to ask and why it matters."""

    model_config = _FROZEN

    fact: str
    text: Text
    help: Text
    decisive: bool = Field(description="True if one answer to this question alone would "
                           "settle the result.")
    elements: list[str] = Field(default_factory=list,
                                description="The elements this fact feeds.")
    counts: list[str] = Field(default_factory=list)


class OffenceRef(BaseModel):
    model_config = _FROZEN

    id: str | None
    statute: str
    section: str
    title: str | None
    category: str | None
    catalogued: bool


class Scenario(BaseModel):
    """One reading of a disputed age or a date known only as a range."""

    model_config = _FROZEN

    label: Text
    result: Result
    limb: Limb | None
    version_from: dt.date | None = None
    elements: list[ElementOutcome] = Field(default_factory=list)
    exclusion: ExclusionCheck | None = None


class CountOutcome(BaseModel):
    model_config = _FROZEN

    count_id: str
    offence: OffenceRef
    participation: Participation | None
    result: Result
    legal_effect: LegalEffect | None = Field(description="The protection's effect, when "
                                             "the result is protected.")
    limb: Limb | None
    reason: Text
    deciding_elements: list[str] = Field(default_factory=list)
    version_from: dt.date | None = Field(default=None, description="valid_from of the "
                                         "ruleset version applied.")
    elements: list[ElementOutcome] = Field(default_factory=list)
    exclusion: ExclusionCheck | None = None
    scenarios: list[Scenario] = Field(default_factory=list)
    caveats: list[Caveat] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)
    applies_instead: Text | None = None


class RulesetRef(BaseModel):
    model_config = _FROZEN

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


class Provenance(BaseModel):
    """What produced the outcome, so a filed outcome can be reproduced."""

    model_config = _FROZEN

    library: Literal["nonpunish"] = "nonpunish"
    library_version: str
    ruleset_id: str
    ruleset_versions: list[dt.date]
    ruleset_content_hash: str
    engine: str
    as_of: dt.date
    schema_version: str = OUTCOME_SCHEMA_VERSION


class Outcome(BaseModel):
    """The reasoned outcome for a case under one ruleset: one :class:`CountOutcome` a count."""

    model_config = _FROZEN

    schema_version: str = OUTCOME_SCHEMA_VERSION
    disclaimer: Text = DISCLAIMER
    case_id: str | None
    ruleset: RulesetRef
    result: Result | None = Field(description="The result shared by every count, or null if "
                                  "counts differ (see counts).")
    counts: list[CountOutcome]
    questions: list[Question] = Field(default_factory=list,
                                      description="Every count's open questions, once each.")
    caveats: list[Caveat] = Field(default_factory=list)
    provenance: Provenance


def outcome_json_schema() -> dict[str, Any]:
    return Outcome.model_json_schema()
