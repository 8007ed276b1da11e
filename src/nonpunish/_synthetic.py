"""Synthetic populations of cases: :func:`synthesise`.

A policy modeller who has no table of real cases (or must not use one) can state, in a small
YAML file or a mapping, how the cases of a population are distributed, and draw as many rows
as needed in exactly the column format :func:`nonpunish.evaluate_table` reads. The rows are
**synthetic**: random draws from the stated distributions, never data about real people, and
only as good as the numbers put in.

A spec (every key optional except an offence, given by ``offence_category`` or in ``fixed``)::

    schema: nonpunish-synthetic/1      # optional
    offence_category:                  # weights over the neutral categories
      drugs_production: 40             # (rulesets/categories.yaml); weights are relative
      theft: 25
    age_at_act:                        # bands of whole years, chosen by weight; the age is
      - {min: 12, max: 17, weight: 30} # uniform within the band
      - {min: 18, max: 40, weight: 65}
      - {unknown: true, weight: 5}     # a band of rows whose age is unknown
    act_date:                          # uniform over the days of the range
      earliest: 2016-01-01
      latest: 2025-12-31
      unknown: 0.05                    # the share of rows whose act date is unknown
    exploitation_types:                # the probability of each type, drawn independently
      forced_criminality: 0.7          # (a row may have several, or none)
      sexual_exploitation: 0.2
      unknown: 0.1                     # the share of rows whose types are unknown
    facts:                             # per fact, weights over its outcomes:
      victim_of_trafficking: {true: 80, unknown: 20}
      act_direct_consequence_of_exploitation:   # a finding: true, false, unknown, or an
        evidence_raised: 50                     # evidence level (slight_indication, ...)
        slight_indication: 30
        unknown: 20
      participation: {principal: 90, aiding_abetting: 10}   # a choice: its values, unknown
    fixed:                             # the same value on every row
      compelled: true
      decision_date: 2026-06-01

Every column is drawn from a random stream of its own, seeded by ``seed`` and the column's
name, so the same spec and seed give the same table, and adding a fact to a spec leaves the
columns already in it as they were.
"""

from __future__ import annotations

import datetime as dt
import difflib
import numbers
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._batch import column_kinds, require_polars
from ._case import MAX_AGE, EvidenceLevel
from ._errors import ErrorDetail, InputError, NonpunishError
from ._files import Document, as_mapping, details_from_validation, read_document

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import polars as pl

SPEC_SCHEMA = "nonpunish-synthetic/1"
#: The columns a spec gives a key of its own; they are not listed under ``facts``.
_OWN_KEYS = ("offence_category", "age_at_act", "act_date", "exploitation_types")
_LEVELS: tuple[str, ...] = tuple(lv.value for lv in EvidenceLevel)
#: The columns ``fixed`` may set besides the facts of the vocabulary.
_FIXED_STRUCTURAL = ("offence", "decision_date")

Weight = Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0, le=1, strict=True, allow_inf_nan=False)]
Age = Annotated[int, Field(ge=0, le=MAX_AGE, strict=True)]


class AgeBand(BaseModel):
    """Ages from ``min`` to ``max`` (whole years, both included), or ``unknown: true``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: Age | None = None
    max: Age | None = None
    unknown: bool = False
    weight: Weight


class ActDates(BaseModel):
    """Act dates drawn uniformly from ``earliest`` to ``latest``; ``unknown`` is the share of
    rows with no act date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    earliest: dt.date
    latest: dt.date
    unknown: Probability = 0.0


class SyntheticSpec(BaseModel):
    """The distributions of a synthetic population (see :mod:`nonpunish._synthetic`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: Literal["nonpunish-synthetic/1"] | None = Field(default=None, alias="schema")
    offence_category: dict[str, Weight] | None = None
    age_at_act: list[AgeBand] | None = None
    act_date: ActDates | None = None
    exploitation_types: dict[str, Probability] | None = None
    facts: dict[str, dict[str, Weight]] = Field(default_factory=dict)
    fixed: dict[str, Any] = Field(default_factory=dict)


# --- reading and checking a spec -------------------------------------------------------------

def _outcome_key(key: Any) -> Any:
    """An outcome as written in YAML (``true:`` is a boolean key) as its name."""
    if isinstance(key, bool):
        return "true" if key else "false"
    return key


def _normalised(data: Mapping[str, Any]) -> dict[str, Any]:
    """The spec with the boolean keys of the fact distributions named, and a decision date
    given as ISO text read as a date."""
    out = dict(data)
    fixed = out.get("fixed")
    if isinstance(fixed, Mapping) and isinstance(fixed.get("decision_date"), str):
        try:
            day = dt.date.fromisoformat(fixed["decision_date"])
        except ValueError:
            pass
        else:
            out["fixed"] = {**fixed, "decision_date": day}
    facts = out.get("facts")
    if isinstance(facts, Mapping):
        out["facts"] = {name: ({_outcome_key(k): v for k, v in dist.items()}
                               if isinstance(dist, Mapping) else dist)
                        for name, dist in facts.items()}
    return out


class _Checker:
    """Collects the problems of a spec, each with its code and where it is."""

    def __init__(self, doc: Document | None) -> None:
        self.doc = doc
        self.details: list[ErrorDetail] = []

    def where(self, *path: str | int) -> str:
        field = ""
        for part in path:
            field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else part)
        if self.doc is None:
            return field
        line = self.doc.line_of(path)
        return f"{self.doc.source}:{line} ({field})" if line else f"{self.doc.source} ({field})"

    def add(self, code: str, message: str, *path: str | int) -> None:
        self.details.append(ErrorDetail(code, message, self.where(*path)))


def _hint(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _fact_outcomes(name: str, kind: str) -> tuple[str, ...]:
    """The outcomes a distribution over the fact may name, ``unknown`` last."""
    from ._batch import _values_of

    if kind == "finding":
        return ("true", "false", *_LEVELS, "unknown")
    if kind == "plain":
        return ("true", "false", "unknown")
    return (*_values_of(name), "unknown")


def _check_weights(check: _Checker, weights: Mapping[str, float], *path: str) -> None:
    if not weights:
        check.add("invalid_value", "give at least one outcome with its weight", *path)
    elif sum(weights.values()) <= 0:
        check.add("invalid_value", "the weights add up to zero; give at least one a weight "
                  "above zero", *path)


def _check(spec: SyntheticSpec, check: _Checker) -> None:
    """The problems a schema cannot see: names, ranges and conflicts."""
    from ._batch import _values_of
    from ._offences import categories

    kinds = column_kinds()
    known_categories = list(categories())
    if spec.offence_category is not None:
        for name in spec.offence_category:
            if name not in known_categories:
                check.add("unknown_category", "not an offence category (see "
                          f"rulesets/categories.yaml){_hint(name, known_categories)}",
                          "offence_category", name)
        _check_weights(check, spec.offence_category, "offence_category")
    if spec.age_at_act is not None:
        if not spec.age_at_act:
            check.add("invalid_value", "give at least one age band", "age_at_act")
        for i, band in enumerate(spec.age_at_act):
            if band.unknown:
                if band.min is not None or band.max is not None:
                    check.add("invalid_value", "a band of unknown ages has no min or max",
                              "age_at_act", i)
            elif band.min is None or band.max is None:
                check.add("missing_field", "a band needs min and max (or unknown: true)",
                          "age_at_act", i)
            elif band.min > band.max:
                check.add("invalid_value", "min is greater than max", "age_at_act", i, "min")
        if spec.age_at_act and sum(b.weight for b in spec.age_at_act) <= 0:
            check.add("invalid_value", "the weights of the bands add up to zero",
                      "age_at_act")
    if spec.act_date is not None and spec.act_date.earliest > spec.act_date.latest:
        check.add("date_range", "earliest is after latest", "act_date", "earliest")
    if spec.exploitation_types is not None:
        allowed = list(_values_of("exploitation_types"))
        for name in spec.exploitation_types:
            if name != "unknown" and name not in allowed:
                check.add("fact_value", "not a type of exploitation (expected "
                          f"{', '.join(allowed)} or unknown){_hint(name, allowed)}",
                          "exploitation_types", name)
    fact_names = [n for n, k in kinds.items() if k in ("finding", "plain", "choice", "set")]
    for name, dist in spec.facts.items():
        kind = kinds.get(name)
        if name in _OWN_KEYS:
            check.add("unknown_fact", f"{name} has a key of its own at the top of the spec, "
                      "not under facts", "facts", name)
            continue
        if kind == "set":
            check.add("unknown_fact", f"{name} is a set of values: give the probability of "
                      "each at the top of the spec", "facts", name)
            continue
        if kind not in ("finding", "plain", "choice"):
            check.add("unknown_fact", "not a fact of the vocabulary (rulesets/facts.yaml)"
                      + _hint(name, fact_names), "facts", name)
            continue
        outcomes = _fact_outcomes(name, kind)
        for outcome in dist:
            if outcome not in outcomes:
                what = ("evidence levels are not given for a fact about the charge itself; "
                        if kind == "plain" and outcome in _LEVELS else "")
                check.add("fact_value", f"{what}expected one of {', '.join(outcomes)}",
                          "facts", name, outcome)
        _check_weights(check, dist, "facts", name)
    for name, value in spec.fixed.items():
        _check_fixed(check, spec, name, value, kinds, fact_names)
    fixed_offence = "offence" in spec.fixed or "offence_category" in spec.fixed
    if spec.offence_category is None and not fixed_offence:
        check.add("missing_field", "no offence: give weights over offence categories "
                  "(offence_category), or a fixed offence or offence_category", "offence_category")
    dated = spec.fixed.get("decision_date")
    if (spec.act_date is not None and isinstance(dated, dt.date)
            and dated < spec.act_date.latest):
        check.add("date_range", "the decision date is before the latest act date",
                  "fixed", "decision_date")


def _check_fixed(check: _Checker, spec: SyntheticSpec, name: str, value: Any,
                 kinds: dict[str, str], fact_names: list[str]) -> None:
    from ._batch import _values_of
    from ._offences import catalogue_has, categories

    where = ("fixed", name)
    if name in spec.facts or (name in _OWN_KEYS and getattr(spec, name) is not None):
        check.add("invalid_value", f"{name} is given a distribution and a fixed value; give "
                  "one", *where)
        return
    if name == "offence":
        if "offence_category" in spec.fixed or spec.offence_category is not None:
            check.add("invalid_value", "give an offence or its category, not both", *where)
        elif not isinstance(value, str) or not catalogue_has(value):
            check.add("unknown_offence", "no offence with this id in the offence catalogues "
                      "(see `nonpunish show`)", *where)
        return
    if name == "decision_date":
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            check.add("invalid_type", "a date (YYYY-MM-DD)", *where)
        return
    if name in ("age_at_act", "act_date"):
        check.add("unknown_fact", f"give {name} as a distribution at the top of the spec "
                  "(a band or a range of one value)", *where)
        return
    kind = kinds.get(name)
    if kind not in ("finding", "plain", "choice", "set"):
        check.add("unknown_fact", "not a fact of the vocabulary (rulesets/facts.yaml) nor "
                  f"offence or decision_date{_hint(name, [*fact_names, *_FIXED_STRUCTURAL])}",
                  *where)
        return
    if value is None:
        return
    if name == "offence_category":
        known = list(categories())
        if not isinstance(value, str) or value not in known:
            check.add("unknown_category", "not an offence category (see "
                      "rulesets/categories.yaml)"
                      + (_hint(value, known) if isinstance(value, str) else ""), *where)
        return
    if kind == "finding":
        if not isinstance(value, bool) and value not in _LEVELS:
            check.add("fact_value", "expected true, false, null or an evidence level "
                      f"({', '.join(_LEVELS)})", *where)
    elif kind == "plain":
        if not isinstance(value, bool):
            check.add("fact_value", "expected true, false or null", *where)
    elif kind == "choice":
        allowed = _values_of(name)
        if value not in allowed:
            check.add("fact_value", f"expected one of {', '.join(allowed)} or null", *where)
    else:
        allowed = _values_of(name)
        if not isinstance(value, list) or not all(v in allowed for v in value):
            check.add("fact_value", f"expected a list of values of {', '.join(allowed)} "
                      "([] for none), or null", *where)


def load_spec(spec: SyntheticSpec | Mapping[str, Any] | str | Path) -> SyntheticSpec:
    """Read and check a spec (a mapping, or the path of a YAML or JSON file). Errors name
    the file, line and field (or the field, for a mapping), with a stable code."""
    if isinstance(spec, SyntheticSpec):
        return spec
    doc: Document | None = None
    if isinstance(spec, str | Path):
        doc = read_document(spec)
        data: Any = as_mapping(doc, "a synthetic population spec")
    elif isinstance(spec, Mapping):
        data = spec
    else:
        raise InputError("a synthetic population spec is a mapping or the path of a YAML "
                         f"file, not {type(spec).__name__}", code="invalid_type",
                         location="spec")
    data = _normalised(data)
    try:
        model = SyntheticSpec.model_validate(data)
    except ValidationError as exc:
        details = details_from_validation(exc, doc, data=data)
        raise InputError(details[0].message, code=details[0].code,
                         location=details[0].location, details=details) from None
    check = _Checker(doc)
    _check(model, check)
    if check.details:
        first = check.details[0]
        raise InputError(first.message, code=first.code, location=first.location,
                         details=check.details)
    return model


# --- drawing ---------------------------------------------------------------------------------

def _require_numpy() -> None:
    try:
        import numpy  # noqa: F401
    except ImportError:
        raise NonpunishError("a synthetic population needs numpy, which is not installed: "
                             "pip install 'nonpunish[model]'",
                             code="missing_dependency") from None


def _uniform(seed: int, stream: str, n: int) -> npt.NDArray[np.float64]:
    """``n`` uniform draws in [0, 1) from the stream of one column (its own seed sequence,
    from ``seed`` and the stream's name)."""
    import numpy as np

    rng = np.random.Generator(np.random.PCG64([seed, zlib.crc32(stream.encode("utf-8"))]))
    return rng.random(n)


def _pick(seed: int, stream: str, n: int,
          weights: list[float]) -> npt.NDArray[np.intp]:
    """For each of ``n`` rows, the index of an outcome drawn with these weights."""
    import numpy as np

    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    cdf /= cdf[-1]
    cdf[-1] = 1.0
    picked: npt.NDArray[np.intp] = np.searchsorted(cdf, _uniform(seed, stream, n),
                                                   side="right")
    return picked


def _categorical(seed: int, name: str, n: int, dist: Mapping[str, float],
                 value_of: Mapping[str, Any], dtype: Any) -> pl.Series:
    """A column of outcomes drawn with the weights of ``dist``."""
    import polars as pl

    outcomes = [k for k, w in dist.items() if w > 0]
    labels = pl.Series(name, [value_of[k] for k in outcomes], dtype=dtype)
    if len(outcomes) == 1:
        import numpy as np

        return labels.gather(np.zeros(n, dtype=np.intp))
    index = _pick(seed, name, n, [dist[k] for k in outcomes])
    return labels.gather(index)


def _with_nulls(name: str, values: npt.NDArray[Any], unknown: npt.NDArray[np.bool_],
                dtype: Any) -> pl.Series:
    import polars as pl

    series = pl.Series(name, values)
    if unknown.any():
        series = series.to_frame().select(
            pl.when(pl.Series(unknown)).then(None).otherwise(pl.col(name)).alias(name)
        ).to_series()
    return series.cast(dtype)


def _ages(seed: int, n: int, bands: list[AgeBand]) -> pl.Series:
    import numpy as np
    import polars as pl

    kept = [b for b in bands if b.weight > 0]
    index = _pick(seed, "age_at_act", n, [b.weight for b in kept])
    lo = np.array([b.min if b.min is not None else 0 for b in kept], dtype=np.int64)
    width = np.array([(b.max - b.min + 1) if b.min is not None and b.max is not None else 1
                      for b in kept], dtype=np.int64)
    within = np.floor(_uniform(seed, "age_at_act:within", n) * width[index]).astype(np.int64)
    unknown = np.array([b.unknown for b in kept], dtype=np.bool_)[index]
    return _with_nulls("age_at_act", lo[index] + within, unknown, pl.Int16)


def _act_dates(seed: int, n: int, dates: ActDates) -> pl.Series:
    import numpy as np
    import polars as pl

    epoch = dt.date(1970, 1, 1)
    first = (dates.earliest - epoch).days
    span = (dates.latest - dates.earliest).days + 1
    days = first + np.floor(_uniform(seed, "act_date", n) * span).astype(np.int64)
    unknown = (_uniform(seed, "act_date:unknown", n) < dates.unknown
               if dates.unknown > 0 else np.zeros(n, dtype=np.bool_))
    return _with_nulls("act_date", days.astype(np.int32), unknown, pl.Int32).cast(pl.Date)


def _set_text(values: tuple[str, ...], mask: int) -> str:
    chosen = [v for i, v in enumerate(values) if mask >> i & 1]
    return ";".join(chosen) if chosen else "none"


def _exploitation(seed: int, n: int, probabilities: Mapping[str, float]) -> pl.Series:
    import numpy as np
    import polars as pl

    from ._batch import _values_of

    name = "exploitation_types"
    values = _values_of(name)
    mask = np.zeros(n, dtype=np.int64)
    for i, value in enumerate(values):
        p = probabilities.get(value, 0.0)
        if p > 0:
            mask |= (_uniform(seed, f"{name}:{value}", n) < p).astype(np.int64) << i
    unknown_share = probabilities.get("unknown", 0.0)
    if unknown_share > 0:
        mask[_uniform(seed, f"{name}:unknown", n) < unknown_share] = 1 << len(values)
    labels = pl.Series(name, [_set_text(values, m) for m in range(1 << len(values))] + [None],
                       dtype=pl.String)
    return labels.gather(mask)


def _outcome_value(name: str, kind: str, dist: Mapping[str, float]) -> tuple[
        dict[str, Any], Any]:
    """The cell value of each outcome of a fact, and the column's type: a finding (true,
    false, unknown) is a boolean column, and a text column once it has evidence levels."""
    import polars as pl

    if kind in ("finding", "plain"):
        if any(k in _LEVELS for k in dist):
            return {k: None if k == "unknown" else k for k in dist}, pl.String
        return {"true": True, "false": False, "unknown": None}, pl.Boolean
    return {k: None if k == "unknown" else k for k in dist}, pl.String


def _fixed_column(name: str, value: Any, kind: str | None, n: int) -> pl.Series:
    import polars as pl

    if name == "decision_date":
        dtype: Any = pl.Date
    elif kind in ("finding", "plain") and (value is None or isinstance(value, bool)):
        dtype = pl.Boolean
    elif kind == "set":
        value = None if value is None else (";".join(value) if value else "none")
        dtype = pl.String
    else:
        dtype = pl.String
    return pl.repeat(value, n, dtype=dtype, eager=True).alias(name)


def synthesise(spec: SyntheticSpec | Mapping[str, Any] | str | Path, n: int, *,
               seed: int) -> pl.DataFrame:
    """A **synthetic** population of ``n`` cases, drawn from the distributions in ``spec``.

    The rows are random draws, never data about real people: they say what a provision
    would do *if* cases were distributed as the spec states, and no more than that.

    ``spec``: a mapping, or the path of a small YAML (or JSON) file, stating the
    distributions: ``offence_category`` (weights over the neutral categories of
    ``rulesets/categories.yaml``), ``age_at_act`` (a list of bands ``{min, max, weight}``,
    or ``{unknown: true, weight}``), ``act_date`` (``{earliest, latest}``, and the share
    ``unknown``), ``exploitation_types`` (a probability per type, and the share
    ``unknown``), ``facts`` (per finding, weights over ``true``, ``false``, ``unknown`` and
    the evidence levels; per choice, over its values and ``unknown``), and ``fixed`` values
    (a fact, ``offence`` or ``decision_date`` the same on every row). A whole spec, with a
    comment on every part: ``examples/tables/synthetic-population.yaml``.

    ``seed``: a whole number, 0 or more. The same spec, ``n`` and seed give the same table.

    Returns a polars DataFrame in the column format :func:`nonpunish.evaluate_table` reads:
    ``offence_category`` (or ``offence``), ``age_at_act`` (whole years), ``act_date``
    (dates), ``decision_date``, ``exploitation_types`` (values joined by ``;``, ``none``
    for none), then the facts (a finding is a boolean column, or text when it has evidence
    levels; a choice is text). An unknown value is null. Columns the spec does not give are
    left out, hence unknown.

    Needs polars and numpy (``pip install 'nonpunish[model]'``). A bad spec raises an
    :class:`InputError` naming the file, line and field, with a stable code.
    """
    require_polars()
    _require_numpy()
    import polars as pl

    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise InputError("the number of rows is a whole number, 0 or more",
                         code="invalid_value", location="n")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InputError("the seed is a whole number, 0 or more", code="invalid_value",
                         location="seed")
    n, seed = int(n), int(seed)
    model = load_spec(spec)
    kinds = column_kinds()
    columns: list[pl.Series] = []
    if "offence" in model.fixed:
        columns.append(_fixed_column("offence", model.fixed["offence"], None, n))
    if model.offence_category is not None:
        columns.append(_categorical(seed, "offence_category", n, model.offence_category,
                                    {k: k for k in model.offence_category}, pl.String))
    elif "offence_category" in model.fixed:
        columns.append(_fixed_column("offence_category", model.fixed["offence_category"],
                                     "choice", n))
    if model.age_at_act is not None:
        columns.append(_ages(seed, n, model.age_at_act))
    if model.act_date is not None:
        columns.append(_act_dates(seed, n, model.act_date))
    if "decision_date" in model.fixed:
        columns.append(_fixed_column("decision_date", model.fixed["decision_date"], None, n))
    if model.exploitation_types is not None:
        columns.append(_exploitation(seed, n, model.exploitation_types))
    for name, dist in model.facts.items():
        value_of, dtype = _outcome_value(name, kinds[name], dist)
        columns.append(_categorical(seed, name, n, dist, value_of, dtype))
    for name, value in model.fixed.items():
        if name not in ("offence", "offence_category", "decision_date"):
            columns.append(_fixed_column(name, value, kinds[name], n))
    return pl.DataFrame(columns)


__all__ = ["SyntheticSpec", "load_spec", "synthesise"]
