"""Offence catalogues and exclusion lists: the offences a provision does not reach, as data.

A catalogue (``rulesets/<jurisdiction>/offences.yaml``) names each offence once, with its
statute, section, title and a neutral category. An exclusion list names catalogue entries,
each perhaps only under a condition (``only_if``) or from a date, and says which forms of
ancillary liability (attempt, conspiracy, aiding, encouraging) the list also reaches.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ._case import Participation
from ._errors import ErrorDetail, RulesetError
from ._files import Document, as_mapping, details_from_validation, read_document
from ._memo import OwnedCache
from ._paths import shipped_root
from ._text import Text

_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_OFFENCE_KEY = re.compile(rf"^{_SLUG}/[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$")
_JURISDICTION = re.compile(rf"^{_SLUG}$")


class DatedValue(BaseModel):
    """A fact of the charge from one date to another (either end open)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: str | bool
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    verified: bool = True
    note: str | None = Field(default=None, description="Why the value is unverified, or "
                             "where it comes from.")

    @model_validator(mode="after")
    def _note_if_unverified(self) -> DatedValue:
        if not self.verified and not self.note:
            raise ValueError("an unverified value needs a `note` saying what is not verified")
        return self

    def holds_on(self, day: dt.date) -> bool:
        return ((self.valid_from is None or self.valid_from <= day)
                and (self.valid_to is None or day <= self.valid_to))


class CatalogueOffence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    statute: str = Field(min_length=1)
    chapter: str | None = None
    section: str = Field(min_length=1)
    title: str = Field(min_length=1)
    category: str
    url: str | None = None
    facts: dict[str, str | bool | list[DatedValue]] = Field(
        default_factory=dict, description="Facts of the charge this offence settles (its "
        "maximum penalty, its class), plain or dated.")

    def fact_values(self) -> dict[str, tuple[DatedValue, ...]]:
        return {name: (tuple(v) if isinstance(v, list) else (DatedValue(value=v),))
                for name, v in self.facts.items()}

    def fact_dates(self) -> set[dt.date]:
        out: set[dt.date] = set()
        for values in self.fact_values().values():
            for dv in values:
                if dv.valid_from is not None:
                    out.add(dv.valid_from)
                if dv.valid_to is not None:
                    out.add(dv.valid_to + dt.timedelta(days=1))
        return out


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: Literal["nonpunish-offences/1"] = Field(alias="schema")
    jurisdiction: str = Field(pattern=_JURISDICTION.pattern)
    name: Text
    offences: dict[str, CatalogueOffence]

    @model_validator(mode="after")
    def _keys(self) -> Catalogue:
        for key in self.offences:
            if not _OFFENCE_KEY.match(key):
                raise ValueError(f"offence key {key!r} is not of the form statute-slug/section")
        return self

    def full_id(self, key: str) -> str:
        return f"{self.jurisdiction}/{key}"


class Condition(BaseModel):
    """``only_if`` of a list entry: a finding that must hold for the entry to apply."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fact: str


class ListEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    paragraph: str = Field(min_length=1)
    offence: str
    only_if: Condition | None = None
    wording: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    inserted_by: str | None = None

    @model_validator(mode="after")
    def _conditional_has_wording(self) -> ListEntry:
        if self.only_if is not None and not self.wording:
            raise ValueError("a conditional entry (only_if) needs the list's `wording`")
        return self


class AncillaryEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    paragraph: str
    participation: list[Participation] = Field(min_length=1)
    wording: str


class ExclusionList(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: Literal["nonpunish-exclusion-list/1"] = Field(alias="schema")
    id: str
    title: Text
    instrument: str
    provision: str
    url: str
    catalogue: str
    closed: bool = Field(description="True if the list is exhaustive: what is not on it is "
                         "not excluded.")
    valid_from: dt.date
    source: str | None = None
    entries: list[ListEntry] = Field(min_length=1)
    ancillary: list[AncillaryEntry] = Field(default_factory=list)

    def boundaries(self) -> set[dt.date]:
        dates = {self.valid_from}
        for entry in self.entries:
            if entry.valid_from:
                dates.add(entry.valid_from)
            if entry.valid_to:
                dates.add(entry.valid_to + dt.timedelta(days=1))
        return dates


def _raise_validation(exc: ValidationError, doc: Document, code: str) -> RulesetError:
    details = details_from_validation(exc, doc)
    return RulesetError(details[0].message, code=code, location=details[0].location,
                        details=details)


@cache
def categories() -> dict[str, Text]:
    doc = read_document(shipped_root() / "categories.yaml")
    data = as_mapping(doc, "the category list")
    try:
        return {k: Text.model_validate(v) for k, v in data["categories"].items()}
    except (KeyError, AttributeError, ValidationError) as exc:
        raise RulesetError(f"invalid category list: {exc}", code="invalid_categories",
                           location=doc.source) from None


def _check_offence_facts(offence: CatalogueOffence) -> str | None:
    from ._vocabulary import vocabulary

    facts = vocabulary().facts
    for name, values in offence.fact_values().items():
        spec = facts.get(name)
        if spec is None:
            return f"unknown fact {name!r} (not in the fact vocabulary)"
        if spec.scope != "count" or spec.evidence:
            return f"{name!r} is not a fact of the charge (scope count, evidence false)"
        for dv in values:
            ok = (isinstance(dv.value, bool) if spec.type == "finding"
                  else dv.value in spec.values if spec.type == "choice" else False)
            if not ok:
                return f"{dv.value!r} is not a value of {name!r}"
    return None


def _load_catalogue(path: Path) -> Catalogue:
    doc = read_document(path)
    try:
        cat = Catalogue.model_validate(as_mapping(doc, "an offence catalogue"))
    except ValidationError as exc:
        raise _raise_validation(exc, doc, "invalid_catalogue") from None
    known = categories()
    for key, offence in cat.offences.items():
        problem = _check_offence_facts(offence)
        if problem is not None:
            raise RulesetError(problem, code="unknown_fact",
                               location=doc.where(("offences", key, "facts")))
        if offence.category not in known:
            raise RulesetError(
                f"unknown category {offence.category!r}", code="unknown_category",
                location=doc.where(("offences", key, "category")))
    return cat


@cache
def catalogues() -> dict[str, Catalogue]:
    """Every shipped offence catalogue, by jurisdiction."""
    result = {}
    for path in sorted(shipped_root().glob("*/offences.yaml")):
        cat = _load_catalogue(path)
        if cat.jurisdiction != path.parent.name:
            raise RulesetError(
                f"catalogue says jurisdiction {cat.jurisdiction!r} but lives in "
                f"{path.parent.name!r}", code="invalid_catalogue", location=str(path))
        result[cat.jurisdiction] = cat
    return result


def find_offence(offence_id: str) -> tuple[Catalogue, str, CatalogueOffence] | None:
    jurisdiction, _, key = offence_id.partition("/")
    cat = catalogues().get(jurisdiction)
    if cat is None or key not in cat.offences:
        return None
    return cat, key, cat.offences[key]


def catalogue_has(offence_id: str) -> bool:
    return find_offence(offence_id) is not None


# --- matching an offence given by statute and section -------------------------------------

@lru_cache(maxsize=4096)  # pure, and called for every offence given by statute and section
def normalise_statute(statute: str) -> str:
    text = statute.lower()
    text = re.sub(r"\([^)]*\)", " ", text)  # "(c. 60)"
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = re.sub(r"^the ", "", text.strip())
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=4096)
def section_tokens(section: str) -> tuple[str, ...]:
    """``"s.17(1)(a)"`` -> ``("17", "1", "a")``; ``"section 9"`` -> ``("9",)``."""
    text = section.strip().lower()
    text = re.sub(r"^(section|sect\.|sec\.|s\.|ss\.|s|art\.|article|para\.|paragraph)\s*", "",
                  text)
    return tuple(t for t in re.split(r"[()\s.,]+", text) if t)


def matches_by_statute(catalogue: Catalogue, statute: str, section: str) -> list[str]:
    """The catalogue keys that best match a statute and section: the entries with the most
    specific section that the one given falls under. Several when the section holds several
    offences (one per class of drug)."""
    want = section_tokens(section)
    best: list[str] = []
    depth = -1
    for key, have in catalogue_by_statute(catalogue).get(normalise_statute(statute), ()):
        if want[: len(have)] == have:
            if len(have) > depth:
                best, depth = [key], len(have)
            elif len(have) == depth:
                best.append(key)
    return best


#: Normalised statute -> (catalogue key, section tokens) of each of its offences, in order.
StatuteIndex = dict[str, tuple[tuple[str, tuple[str, ...]], ...]]
_statute_index: OwnedCache[Catalogue, StatuteIndex] = OwnedCache()


def catalogue_by_statute(catalogue: Catalogue) -> StatuteIndex:
    """The catalogue's offences by normalised statute (worked out once per catalogue)."""
    def make() -> StatuteIndex:
        index: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for key, offence in catalogue.offences.items():
            index.setdefault(normalise_statute(offence.statute), []).append(
                (key, section_tokens(offence.section)))
        return {statute: tuple(entries) for statute, entries in index.items()}

    return _statute_index.get(catalogue, None, make)


def match_by_statute(catalogue: Catalogue, statute: str, section: str) -> str | None:
    """The catalogue key for a statute and section, preferring the most specific match; None
    if two entries match equally well (the section holds several offences)."""
    found = matches_by_statute(catalogue, statute, section)
    return found[0] if len(found) == 1 else None


# --- exclusion lists -----------------------------------------------------------------------

def load_exclusion_list(path: Path, check_fact: Any) -> ExclusionList:
    """Load and check an exclusion list; ``check_fact(name, where)`` validates fact names."""
    doc = read_document(path)
    try:
        xl = ExclusionList.model_validate(as_mapping(doc, "an exclusion list"))
    except ValidationError as exc:
        raise _raise_validation(exc, doc, "invalid_exclusion_list") from None
    cat = catalogues().get(xl.catalogue)
    if cat is None:
        raise RulesetError(f"no offence catalogue {xl.catalogue!r}", code="unknown_catalogue",
                           location=doc.where(("catalogue",)))
    problems: list[ErrorDetail] = []
    for i, entry in enumerate(xl.entries):
        if entry.offence not in cat.offences:
            problems.append(ErrorDetail(
                "dangling_offence",
                f"offence {entry.offence!r} is not in the {xl.catalogue} catalogue",
                doc.where(("entries", i, "offence"))))
        if entry.only_if is not None:
            err = check_fact(entry.only_if.fact, "finding")
            if err:
                problems.append(ErrorDetail("unknown_fact", err,
                                            doc.where(("entries", i, "only_if", "fact"))))
        if entry.valid_from and entry.valid_from < xl.valid_from:
            problems.append(ErrorDetail("invalid_dates", "entry starts before the list",
                                        doc.where(("entries", i, "valid_from"))))
        if entry.valid_from and entry.valid_to and entry.valid_to < entry.valid_from:
            problems.append(ErrorDetail("invalid_dates", "valid_to is before valid_from",
                                        doc.where(("entries", i, "valid_to"))))
    if problems:
        raise RulesetError(problems[0].message, code=problems[0].code,
                           location=problems[0].location, details=problems)
    return xl
