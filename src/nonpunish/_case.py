"""Case facts: what is known about a person and the counts against them, and how well.

A case is validated in two steps. Pydantic checks shapes and types; :func:`check_case` then
checks meaning against the fact vocabulary, the offence catalogues and the as-of date. Both
report the field (and, for files, the line) of every problem.
"""

from __future__ import annotations

import datetime as dt
import difflib
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ._errors import ErrorDetail


class EvidenceLevel(StrEnum):
    """The state of the evidence on one element, on one ordered scale (lowest first)."""

    NOT_ASSESSED = "not_assessed"
    NO_EVIDENCE = "no_evidence"
    SLIGHT_INDICATION = "slight_indication"
    EVIDENCE_RAISED = "evidence_raised"
    BALANCE_OF_PROBABILITIES = "balance_of_probabilities"
    BEYOND_REASONABLE_DOUBT = "beyond_reasonable_doubt"

    @property
    def rank(self) -> int:
        return _EVIDENCE_RANK[self]


_EVIDENCE_RANK = {level: rank for rank, level in enumerate(EvidenceLevel)}


class Evidence(BaseModel):
    """The state of the evidence on an element, for the ruleset's burden model to weigh.

    ``disproved`` records that the other side has shown the contrary to the standard it needs.
    It describes the record as it stands: leaving it out means nothing has been disproved
    *so far*, and outcomes that rest on it say that the other side may still disprove it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    evidence: EvidenceLevel
    disproved: Annotated[bool, Strict()] = False
    source: str | None = Field(default=None, max_length=500,
                               description="Where the evidence comes from (not evaluated).")


FactValue = Annotated[bool, Strict()] | Evidence | list[str] | str | None


class DateRange(BaseModel):
    """A date known only roughly: the earliest and the latest it can be (either may be open)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    earliest: dt.date | None = None
    latest: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.earliest is None and self.latest is None:
            raise ValueError("give at least one of earliest and latest")
        if self.earliest and self.latest and self.earliest > self.latest:
            raise ValueError("earliest is after latest")
        return self


#: The oldest age accepted, in whole years.
MAX_AGE = 120


def _plausible_age(value: Any) -> Any:
    """Refuse an impossible age with its own code, before type checks (and before the
    int-or-range union, so the error is one clear line)."""
    if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= MAX_AGE:
        # The age itself is not repeated: error messages hold no case facts.
        raise PydanticCustomError(
            "impossible_age", "not a possible age (give a whole number of years, 0 to {max})",
            {"max": MAX_AGE})
    return value


Age = Annotated[int, Strict(), Field(ge=0, le=MAX_AGE), BeforeValidator(_plausible_age)]


class AgeRange(BaseModel):
    """An age known only as a range, in whole years (both ends included)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: Age
    max: Age

    @model_validator(mode="after")
    def _ordered(self) -> AgeRange:
        if self.min > self.max:
            raise ValueError("min is greater than max")
        return self


def _exact_if_one_day(value: dt.date | DateRange) -> dt.date | DateRange:
    """A range whose first and last day are the same is that day: every stage (and every
    question asked of the case) then treats it as the exact date it is."""
    if isinstance(value, DateRange) and value.earliest is not None \
            and value.earliest == value.latest:
        return value.earliest
    return value


def _exact_if_one_age(value: int | AgeRange) -> int | AgeRange:
    """An age range of one year is that age."""
    if isinstance(value, AgeRange) and value.min == value.max:
        return value.min
    return value


DateInput = Annotated[dt.date | DateRange, AfterValidator(_exact_if_one_day)]
AgeInput = Annotated[Annotated[int, Strict(), Field(ge=0, le=MAX_AGE)] | AgeRange,
                     BeforeValidator(_plausible_age), AfterValidator(_exact_if_one_age)]

Participation = Literal[
    "principal", "attempt", "conspiracy", "aiding_abetting", "encouraging_assisting"
]
Conduct = Literal["act", "omission"]


class CompetentAuthorityDecision(BaseModel):
    """A decision of the body that identifies victims (in the UK, the NRM's competent authority).

    Recorded and reported, never used as a finding: the tribunal decides for itself
    (R v Brecani [2021] EWCA Crim 731).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    stage: Literal["reasonable_grounds", "conclusive_grounds"]
    outcome: Literal["positive", "negative", "pending"]
    date: dt.date | None = None
    authority: str | None = Field(default=None, max_length=200)


class Person(BaseModel):
    """What is known about the person. Give a date of birth where you can."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date_of_birth: DateInput | None = None
    age_at_act: AgeInput | None = Field(
        default=None,
        description="Age when doing the act(s), if no date of birth is known; a count may "
        "give its own.",
    )


class Offence(BaseModel):
    """The offence charged: a catalogue identifier, or a statute and section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(default=None, max_length=200,
                           description="Catalogue identifier, e.g. uk-ew/theft-act-1968/s9")
    statute: str | None = Field(default=None, max_length=300)
    section: str | None = Field(default=None, max_length=100)
    title: str | None = Field(default=None, max_length=300)
    category: str | None = Field(default=None, max_length=100, description="A neutral "
                                 "offence category (rulesets/categories.yaml), to compare "
                                 "across jurisdictions; alone, or with statute and section.")

    @model_validator(mode="after")
    def _identified(self) -> Offence:
        if self.id is None and not (self.statute and self.section) and not self.category:
            raise ValueError("give the offence's catalogue id, its statute and section, or "
                             "its category")
        if (self.statute is None) != (self.section is None):
            raise ValueError("give both statute and section")
        if self.id is not None and self.category is not None:
            raise ValueError("give either id or category, not both (the catalogue knows "
                             "the category)")
        if self.id is not None and (self.statute or self.section):
            raise ValueError("give either id or statute and section, not both")
        return self


class Count(BaseModel):
    """One count (charge): an offence, when the act was done and how the person took part."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(default="1", min_length=1, max_length=100)
    offence: Offence
    participation: Participation | None = None
    conduct: Conduct | None = None
    act_date: DateInput | None = None
    decision_date: dt.date | None = Field(
        default=None, description="Date of the prosecutorial decision, for schemes that look at it."
    )
    age_at_act: AgeInput | None = None
    facts: dict[str, FactValue] = Field(
        default_factory=dict, description="Findings about this act; they override the case's."
    )


def _some_counts(value: Any) -> Any:
    if isinstance(value, list) and not value:
        raise PydanticCustomError("no_counts", "a case needs at least one count")
    return value


class Case(BaseModel):
    """A case: the person, shared findings, and one or more counts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: str | None = Field(default=None, max_length=200)
    person: Person = Field(default_factory=Person)
    facts: dict[str, FactValue] = Field(
        default_factory=dict, description="Findings shared by every count."
    )
    counts: Annotated[list[Count], BeforeValidator(_some_counts)] = Field(min_length=1,
                                                                         max_length=500)
    competent_authority: list[CompetentAuthorityDecision] = Field(default_factory=list)


# --- meaning checks --------------------------------------------------------------------

Loc = tuple[str | int, ...]


def _detail(code: str, message: str, loc: Loc) -> tuple[Loc, ErrorDetail]:
    return loc, ErrorDetail(code=code, message=message)


def _check_facts(facts: dict[str, Any], loc: Loc) -> list[tuple[Loc, ErrorDetail]]:
    from ._vocabulary import vocabulary

    vocab = vocabulary()
    problems = []
    for name, value in facts.items():
        spec = vocab.facts.get(name)
        here = (*loc, name)
        if spec is None:
            close = difflib.get_close_matches(name, list(vocab.in_facts_mapping), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(_detail("unknown_fact", f"unknown fact {name!r}{hint}", here))
            continue
        if spec.given_as is not None:
            problems.append(_detail(
                "unknown_fact", f"{name!r} is not given in facts; give it as {spec.given_as}",
                here))
            continue
        if value is None or value == "unknown":
            continue
        if spec.type == "finding":
            if isinstance(value, Evidence) and not spec.evidence:
                problems.append(_detail(
                    "fact_value", "this fact is about the charge, not a matter of proof: "
                    "give true, false or null", here))
            elif not isinstance(value, bool | Evidence):
                problems.append(_detail(
                    "fact_value",
                    "expected true, false, null (unknown) or {evidence: LEVEL}", here))
        elif spec.type == "choice":
            if not isinstance(value, str) or value not in spec.values:
                problems.append(_detail(
                    "fact_value", f"expected one of {', '.join(spec.values)} or null", here))
        elif spec.type == "set":
            if not isinstance(value, list):
                problems.append(_detail(
                    "fact_value", f"expected a list of {', '.join(spec.values)}, or null", here))
            else:
                for i, item in enumerate(value):
                    if item not in spec.values:
                        problems.append(_detail(
                            "fact_value",
                            f"{item!r} is not one of {', '.join(spec.values)}", (*here, i)))
    return problems


def _date_bounds(value: DateInput | None) -> tuple[dt.date | None, dt.date | None]:
    if value is None:
        return None, None
    if isinstance(value, dt.date):
        return value, value
    return value.earliest, value.latest


def _whole_years(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def check_case(case: Case, as_of: dt.date) -> list[tuple[Loc, ErrorDetail]]:
    """Meaning checks that a schema cannot express. Returns (field path, problem) pairs."""
    from ._offences import catalogue_has, categories

    problems: list[tuple[Loc, ErrorDetail]] = []
    problems += _check_facts(case.facts, ("facts",))
    dob_lo, dob_hi = _date_bounds(case.person.date_of_birth)
    if dob_lo is not None and dob_lo > as_of:
        problems.append(_detail(
            "act_in_future", f"date of birth is after the as-of date {as_of}",
            ("person", "date_of_birth")))
    if dob_hi is not None and dob_lo is not None and (dob_hi - dob_lo).days > 366 * 120:
        problems.append(_detail("date_range", "date-of-birth range is implausibly wide",
                                ("person", "date_of_birth")))
    seen: set[str] = set()
    for i, count in enumerate(case.counts):
        loc: Loc = ("counts", i)
        if count.id in seen:
            problems.append(_detail("duplicate_count", f"count id {count.id!r} is used twice",
                                    (*loc, "id")))
        seen.add(count.id)
        problems += _check_facts(count.facts, (*loc, "facts"))
        if count.offence.category is not None and count.offence.category not in categories():
            problems.append(_detail(
                "unknown_category", f"{count.offence.category!r} is not an offence category "
                "(see rulesets/categories.yaml)", (*loc, "offence", "category")))
        if count.offence.id is not None and not catalogue_has(count.offence.id):
            problems.append(_detail(
                "unknown_offence", f"no offence {count.offence.id!r} in the offence catalogues",
                (*loc, "offence", "id")))
        act_lo, act_hi = _date_bounds(count.act_date)
        if act_lo is not None and act_lo > as_of:
            problems.append(_detail(
                "act_in_future", f"the act date is after the as-of date {as_of}",
                (*loc, "act_date")))
        if act_hi is not None and dob_lo is not None and act_hi < dob_lo:
            problems.append(_detail(
                "act_before_birth", "the act date is before the person's date of birth",
                (*loc, "act_date")))
        if (act_lo is not None and dob_hi is not None
                and _whole_years(dob_hi, act_lo) > MAX_AGE):
            problems.append(_detail(
                "impossible_age", f"the person would have been over {MAX_AGE} at the act",
                (*loc, "act_date")))
        if count.decision_date is not None:
            if count.decision_date > as_of:
                problems.append(_detail(
                    "act_in_future", f"the decision date is after the as-of date {as_of}",
                    (*loc, "decision_date")))
            if act_lo is not None and count.decision_date < act_lo:
                problems.append(_detail(
                    "date_range", "the decision date is before the act",
                    (*loc, "decision_date")))
        if count.age_at_act is not None and case.person.date_of_birth is not None:
            problems.append(_detail(
                "age_source", "give a date of birth or an age at the act, not both",
                (*loc, "age_at_act")))
    if case.person.age_at_act is not None and case.person.date_of_birth is not None:
        problems.append(_detail("age_source",
                                "give a date of birth or an age at the act, not both",
                                ("person", "age_at_act")))
    return problems
