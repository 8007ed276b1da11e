"""Outcomes for people: plain text and Markdown, in English or Dutch."""

from __future__ import annotations

from typing import Literal

from ._outcome import CountOutcome, ElementOutcome, ExclusionCheck, FactUse, Outcome, Question
from ._text import Language
from ._words import word

Format = Literal["text", "markdown", "json"]





def _value(v: bool | None, lang: Language) -> str:
    return word("true" if v is True else "false" if v is False else "unknown", lang)


def _fact(f: FactUse, lang: Language) -> str:
    if f.basis == "not_given":
        shown = word("not_given", lang)
    elif f.basis == "evidence":
        shown = f"{word('evidence', lang)}: {f.given}" + (
            f", {word('disproved', lang)}" if f.disproved else "")
    elif isinstance(f.given, list):
        shown = ", ".join(map(str, f.given)) or "[]"
    elif isinstance(f.given, dict):
        shown = f"{f.given.get('min')}–{f.given.get('max')}"
    else:
        shown = str(f.given).lower() if isinstance(f.given, bool) else str(f.given)
    return f"{f.fact} = {shown}"


def _elements_lines(elements: list[ElementOutcome], lang: Language, md: bool) -> list[str]:
    lines = []
    for e in elements:
        d = e.depth
        facts = [_fact(f, lang) for f in e.facts]
        fact_text = f" [{'; '.join(facts)}]" if facts else ""
        mark = {True: "✔", False: "✘", None: "?"}[e.value]
        text = (f"{mark} {e.citation.provision} {e.label(lang)}: {_value(e.value, lang)}"
                f"{fact_text}")
        lines.append(("  " * d) + ("- " if md else "") + text)
    return lines


def _exclusion_lines(x: ExclusionCheck, lang: Language, md: bool) -> list[str]:
    state = ("excluded_yes" if x.excluded else "excluded_no" if x.excluded is False
             else "excluded_open")
    bullet = "- " if md else "  "
    lines = [f"{x.citation.instrument}, {x.citation.provision}: {word(state, lang)}"]
    for m in x.matches:
        cond = f"; {m.condition_fact} = {_value(m.condition, lang)}" if m.condition_fact else ""
        via = f"; {m.via}" if m.via else ""
        lines.append(f"{bullet}para {m.paragraph}: {m.title}{cond}{via} → "
                     f"{_value(m.applies, lang)}")
    return lines


def _question_lines(qs: list[Question], lang: Language, md: bool) -> list[str]:
    out = []
    for i, q in enumerate(qs, 1):
        tag = f" ({word('decisive', lang)})" if q.decisive else ""
        out.append(f"{i}. {q.text(lang)}{tag}")
        out.append(f"   {q.help(lang)}" if not md else f"   *{q.help(lang)}*")
    return out


def _category_label(category: str | None, lang: Language) -> str:
    from ._offences import categories

    if category is None:
        return "?"
    label = categories().get(category)
    return f"{label(lang) if label is not None else category} ({category})"


def _count_lines(c: CountOutcome, lang: Language, md: bool, h: str) -> list[str]:
    o = c.offence
    title = o.title or (f"{o.statute} {o.section}" if o.statute else
                        _category_label(o.category, lang))
    lines = [f"{h} {word('count', lang)} {c.count_id}: {title}", ""]
    bold = "**" if md else ""
    lines.append(f"{bold}{word('result', lang)}:{bold} {word(c.result, lang)}")
    if c.legal_effect:
        lines.append(f"{bold}{word('effect', lang)}:{bold} {word(c.legal_effect, lang)}")
    if c.limb:
        lines.append(f"{bold}{word('limb', lang)}:{bold} {word(c.limb, lang)}")
    lines.append(f"{bold}{word('why', lang)}:{bold} {c.reason(lang)}")
    if c.applies_instead:
        lines += ["", f"{bold}{word('instead', lang)}:{bold} {c.applies_instead(lang)}"]
    if c.elements:
        lines += ["", f"{h}{'#' if md else '='} {word('elements', lang)}", ""]
        lines += _elements_lines(c.elements, lang, md)
    if c.exclusion:
        lines += ["", f"{h}{'#' if md else '='} {word('exclusion', lang)}", ""]
        lines += _exclusion_lines(c.exclusion, lang, md)
    for s in c.scenarios:
        head = f"{h}{'#' if md else '='} {word('scenario', lang)}: {s.label(lang)}"
        lines += ["", f"{head} → {word(s.result, lang)}", ""]
        lines += _elements_lines(s.elements, lang, md)
        if s.exclusion:
            lines += ["", *_exclusion_lines(s.exclusion, lang, md)]
    if c.questions:
        lines += ["", f"{h}{'#' if md else '='} {word('questions', lang)}", ""]
        lines += _question_lines(c.questions, lang, md)
    if c.caveats:
        lines += ["", f"{h}{'#' if md else '='} {word('caveats', lang)}", ""]
        for cav in c.caveats:
            cite = f" ({cav.citation})" if cav.citation else ""
            lines.append(f"- [{cav.kind}] {cav.text(lang)}{cite}")
    return lines


def render(outcome: Outcome, fmt: Format = "text", lang: Language = "en") -> str:
    """Render an outcome as ``"text"``, ``"markdown"`` or ``"json"``, in ``"en"`` or ``"nl"``."""
    if fmt == "json":
        return outcome.model_dump_json(indent=2)
    md = fmt == "markdown"
    h = "##" if md else "=="  # text: "==" a count, "===" a part of it
    r = outcome.ruleset
    lines = [
        f"{'#' if md else '='} {r.title(lang)}",
        "",
        f"{r.jurisdiction_name(lang)} — {r.instrument}, {r.provision} ({r.url})",
        f"{word('burden', lang)}: {r.burden(lang)}",
        "",
        f"{'> ' if md else ''}{outcome.disclaimer(lang)}",
    ]
    for c in outcome.counts:
        lines += ["", *_count_lines(c, lang, md, h)]
    if len(outcome.counts) > 1 and outcome.questions:
        lines += ["", f"{h} {word('questions_case', lang)}", ""]
        lines += _question_lines(outcome.questions, lang, md)
    p = outcome.provenance
    lines += ["", f"{word('produced', lang)}: nonpunish {p.library_version}, {p.ruleset_id} "
              f"({p.ruleset_content_hash[:19]}), engine {p.engine}, as of {p.as_of}, "
              f"schema {p.schema_version}"]
    return "\n".join(lines) + "\n"
