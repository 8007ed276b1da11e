"""The shared vocabulary of case facts, read from ``rulesets/facts.yaml``."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ._errors import RulesetError
from ._files import as_mapping, details_from_validation, read_document
from ._paths import shipped_root
from ._text import Text

FactType = Literal["finding", "choice", "set", "age", "date"]


class FactSpec(BaseModel):
    """One fact: its type, the question a caseworker would ask, and help text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: FactType
    scope: Literal["person", "count"]
    question: Text
    help: Text
    values: tuple[str, ...] = ()
    given_as: str | None = Field(
        default=None, description="Where a case gives this fact, if not in `facts`."
    )
    evidence: bool = Field(
        default=True, description="Whether a case may give the state of the evidence for "
        "this finding. False for facts about the charge itself, which are matters of law, "
        "not of proof.")

    @model_validator(mode="after")
    def _values_match_type(self) -> FactSpec:
        if self.type in ("choice", "set") and not self.values:
            raise ValueError("a choice or set fact needs `values`")
        if self.type not in ("choice", "set") and self.values:
            raise ValueError("only choice and set facts take `values`")
        return self


class Vocabulary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: Literal["nonpunish-vocabulary/1"] = Field(alias="schema")
    facts: dict[str, FactSpec]

    @property
    def in_facts_mapping(self) -> frozenset[str]:
        """Facts a case gives in its ``facts`` mapping (the others have fields of their own)."""
        return frozenset(n for n, s in self.facts.items() if s.given_as is None)


@cache
def vocabulary(path: Path | None = None) -> Vocabulary:
    """The fact vocabulary (cached; it is read-only data)."""
    doc = read_document(path or shipped_root() / "facts.yaml")
    try:
        return Vocabulary.model_validate(as_mapping(doc, "the fact vocabulary"))
    except ValidationError as exc:
        details = details_from_validation(exc, doc)
        raise RulesetError(
            details[0].message, code="invalid_vocabulary", location=details[0].location,
            details=details,
        ) from None
