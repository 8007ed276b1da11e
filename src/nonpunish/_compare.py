"""One case under many rulesets, side by side: :func:`compare`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field

from ._case import Case
from ._outcome import DISCLAIMER, Outcome, Result, RulesetRef, _Serialisable
from ._ruleset import LegalEffect, Limb, Ruleset
from ._text import Language, Text
from ._words import WORDS


@dataclass(slots=True, kw_only=True)
class ComparisonRow(_Serialisable):
    """One count of the case under one ruleset (or variant)."""

    ruleset: RulesetRef
    count_id: str
    result: Result
    legal_effect: LegalEffect | None
    limb: Limb | None
    deciding_elements: list[str] = field(default_factory=list)
    reason: Text
    questions: Annotated[list[str], Field(description="The facts still needed, most decisive "
                                          "first.")] = field(default_factory=list)
    falls_short_of: Annotated[list[str], Field(
        description="Minimum standards under which this count is protected while this "
        "ruleset does not protect it.")] = field(default_factory=list)
    applied_ruleset: Annotated[str | None, Field(
        description="Set when the result is the predecessor's (lex mitior).")] = None


@dataclass(slots=True, kw_only=True)
class Comparison(_Serialisable):
    """A case under several rulesets: a row per ruleset and count, and each full outcome."""

    case_id: str | None
    as_of: dt.date
    rows: list[ComparisonRow]
    outcomes: list[Outcome]
    disclaimer: Text = DISCLAIMER


def compare_outcomes(case: Case, rulesets: Iterable[Ruleset], as_of: dt.date,
                     evaluate: Any) -> Comparison:
    outcomes: list[Outcome] = [evaluate(case, rs) for rs in rulesets]
    minimum: dict[str, set[str]] = {}
    for o in outcomes:
        if o.ruleset.kind == "minimum_standard":
            for c in o.counts:
                if c.result == "protected":
                    minimum.setdefault(c.count_id, set()).add(o.ruleset.id)
    rows = []
    for o in outcomes:
        for c in o.counts:
            short = ([] if o.ruleset.kind == "minimum_standard"
                     or c.result in ("protected", "undetermined")
                     else sorted(minimum.get(c.count_id, ())))
            rows.append(ComparisonRow(
                ruleset=o.ruleset, count_id=c.count_id, result=c.result,
                legal_effect=c.legal_effect, limb=c.limb,
                deciding_elements=list(c.deciding_elements), reason=c.reason,
                questions=[q.fact for q in c.questions], falls_short_of=short,
                applied_ruleset=c.applied_ruleset))
    return Comparison(case_id=case.case_id, as_of=as_of, rows=rows, outcomes=outcomes)


def render_comparison(comparison: Comparison, fmt: str = "text",
                      lang: Language = "en") -> str:
    """A table: ruleset, count, result, effect, what decided it, what is still needed."""
    head = {"en": ("RULESET", "COUNT", "RESULT", "EFFECT", "DECIDED BY", "STILL NEEDED"),
            "nl": ("REGELING", "FEIT", "UITKOMST", "RECHTSGEVOLG", "BESLIST DOOR",
                   "NOG NODIG")}[lang]
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    for r in comparison.rows:
        effect = WORDS[r.legal_effect][lang] if r.legal_effect else "-"
        decided = ", ".join(r.deciding_elements) or "-"
        if r.applied_ruleset:
            decided = f"{r.applied_ruleset}: {decided}"
        rows.append((r.ruleset.id, r.count_id, WORDS[r.result][lang], effect, decided,
                     ", ".join(r.questions) or "-"))
        if r.falls_short_of:
            what = ", ".join(r.falls_short_of)
            notes.append(f"{r.ruleset.id} (count {r.count_id}) falls short of {what}"
                         if lang == "en" else
                         f"{r.ruleset.id} (feit {r.count_id}) blijft achter bij {what}")
    if fmt == "markdown":
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
                  for row in rows]
    else:
        widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head) - 1)]
        lines = ["  ".join([*(row[i].ljust(widths[i]) for i in range(len(widths))), row[-1]])
                 .rstrip() for row in [head, *rows]]
    if notes:
        lines += ["", *notes]
    lines += ["", DISCLAIMER.en if lang == "en" else DISCLAIMER.nl]
    return "\n".join(lines) + "\n"
