"""The outcome builders the evaluator uses for speed make the same objects as the classes."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

import pytest

from nonpunish._case import EvidenceLevel
from nonpunish._outcome import (
    Citation,
    ElementOutcome,
    ExclusionCheck,
    ExclusionMatch,
    FactUse,
    Question,
    build_element_outcome,
    build_exclusion_check,
    build_exclusion_match,
    build_fact_use,
    build_question,
)
from nonpunish._text import Text

TEXT = Text(en="a", nl="b")
EXAMPLES: list[tuple[type, Callable[..., Any], dict[str, Any]]] = [
    (FactUse, build_fact_use,
     {"fact": "f", "given": {"evidence": "x"}, "finding": True, "basis": "evidence",
      "evidence": EvidenceLevel.EVIDENCE_RAISED, "disproved": False, "role": "context"}),
    (ElementOutcome, build_element_outcome,
     {"id": "e", "citation": Citation(instrument="i", provision="p"), "label": TEXT,
      "wording": "w", "value": None, "parent": "p", "limb": "adult", "depth": 2,
      "facts": []}),
    (Question, build_question,
     {"fact": "f", "text": TEXT, "help": TEXT, "decisive": True, "elements": ["e"],
      "counts": ["1"]}),
    (ExclusionMatch, build_exclusion_match,
     {"paragraph": "14", "offence": "o", "title": "t", "wording": "w", "condition_fact": "c",
      "condition": None, "applies": None, "via": "36", "given_broadly": True}),
    (ExclusionCheck, build_exclusion_check,
     {"list_id": "l", "title": TEXT, "citation": Citation(instrument="i", provision="p"),
      "closed": True, "excluded": None, "matched_by": "catalogue", "matches": []}),
]


@pytest.mark.parametrize(("cls", "build", "fields"), EXAMPLES,
                         ids=[cls.__name__ for cls, _, _ in EXAMPLES])
def test_builder_makes_what_the_class_makes(cls: type, build: Callable[..., Any],
                                            fields: dict[str, Any]) -> None:
    # Every field, and nothing else, is a parameter of the builder.
    assert set(inspect.signature(build).parameters) == {
        f.name for f in dataclasses.fields(cls)} == set(fields)
    built = build(**fields)
    assert type(built) is cls
    assert built == cls(**fields)
    assert built.model_dump_json() == cls(**fields).model_dump_json()
