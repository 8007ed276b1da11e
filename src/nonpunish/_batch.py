"""Evaluating a table of cases at once: :func:`evaluate_table`.

A table has one row per count (a single-count case) and one column per fact, named after the
fact vocabulary (``rulesets/facts.yaml``), plus these:

==============================  ===========================================================
``case_id``                     optional; carried into the results
``offence``                     a catalogue id (``uk-ew/theft-act-1968/s1``), or else
``offence_statute``,            the statute and section, as in a case file
``offence_section``
``offence_category``            or only a neutral category (``drugs_production``), alone or
                                with the statute and section
``act_date``                    the date of the act, or a range:
``act_date_earliest``,          either end may be left empty (open)
``act_date_latest``
``decision_date``               for provisions that look at the date of the decision
``date_of_birth``               or a range: ``date_of_birth_earliest``,
                                ``date_of_birth_latest``
``age_at_act``                  or a range: ``age_at_act_min``, ``age_at_act_max``
``<finding>``                   ``true``, ``false``, ``unknown`` (or empty), or an evidence
                                level (``evidence_raised``)
``<finding>_evidence``,         the state of the evidence and whether it was disproved
``<finding>_disproved``         (for facts that take evidence)
``<choice>``                    one of the fact's values, ``unknown`` or empty
``<set>``                       a list, or text with the values separated by ``;``;
                                ``none`` for none, ``unknown`` or empty for unknown
==============================  ===========================================================

Dates are ISO (``2020-06-01``) or date columns. An empty cell is unknown, never false. A
*mapping* (a dict, or a YAML or JSON file) translates a modeller's own column names and codes
into these::

    columns:              # your column: the vocabulary's
      leeftijd: age_at_act
      delict: offence
    values:               # per column (yours or the vocabulary's): your code: the value
      victim_of_trafficking: {ja: true, nee: false, "?": null}
      delict: {diefstal: uk-ew/theft-act-1968/s1}
    ignore: [regio]       # columns of yours that are not facts

Once a column has ``values``, every code in it must be listed (an unlisted code rejects the
row). A column that is neither a known column nor mapped nor ignored is an error: a typo must
not silently leave a fact unknown.

Rows that cannot be evaluated (an unparseable date, an unknown offence id, an impossible age,
an unknown code, anything a case file would be refused for) are reported, with their row
number (1 for the first data row), the column, a stable code and a reason, in
``TableOutcome.rejects``; the other rows are evaluated as if they were alone.
"""

from __future__ import annotations

import datetime as dt
import difflib
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ._case import MAX_AGE, EvidenceLevel
from ._errors import ErrorDetail, InputError, NonpunishError
from ._outcome import RESULTS, Result
from ._ruleset import Ruleset

if TYPE_CHECKING:
    import polars as pl

TableEngine = Literal["vectorised", "reference"]

#: Rows evaluated at once; larger tables are evaluated in slices of this size, which bounds
#: the memory the intermediate columns take.
CHUNK_ROWS = 1_000_000

_LEVELS: tuple[str, ...] = tuple(lv.value for lv in EvidenceLevel)
_MAX_LENGTH = {"case_id": 200, "offence": 200, "offence_statute": 300, "offence_section": 100,
               "offence_category": 100}
_STRUCTURAL: dict[str, str] = {
    "case_id": "text", "offence": "offence", "offence_statute": "text",
    "offence_section": "text", "offence_category": "text", "act_date": "date",
    "act_date_earliest": "date",
    "act_date_latest": "date", "decision_date": "date", "date_of_birth": "date",
    "date_of_birth_earliest": "date", "date_of_birth_latest": "date", "age_at_act": "age",
    "age_at_act_min": "age", "age_at_act_max": "age",
}


#: The oldest polars the vectorised engine gives right answers on (1.20 to 1.25 mis-size
#: nested when/then chains over enum literals).
MIN_POLARS = (1, 26)


def require_polars() -> None:
    """Raise a clear error, naming the extra that installs it, if polars is missing or too
    old."""
    try:
        import polars
    except ImportError:
        raise NonpunishError(
            "evaluating a table needs polars, which is not installed: "
            "pip install 'nonpunish[model]'", code="missing_dependency") from None
    found = tuple(int(p) for p in polars.__version__.split(".")[:2] if p.isdigit())
    if found < MIN_POLARS:
        raise NonpunishError(
            f"evaluating a table needs polars {'.'.join(map(str, MIN_POLARS))} or later; "
            f"{polars.__version__} is installed: pip install 'nonpunish[model]'",
            code="missing_dependency")


@cache
def column_kinds() -> dict[str, str]:
    """Every column a table may have, with its kind."""
    from ._vocabulary import vocabulary

    kinds = dict(_STRUCTURAL)
    for name, spec in vocabulary().facts.items():
        if spec.type == "finding":
            # A finding about the charge itself takes true or false, never evidence.
            kinds[name] = "finding" if spec.evidence else "plain"
            if spec.evidence:
                kinds[f"{name}_evidence"] = "evidence"
                kinds[f"{name}_disproved"] = "flag"
        elif spec.type in ("choice", "set"):
            kinds[name] = spec.type
    return kinds


def _values_of(column: str) -> tuple[str, ...]:
    from ._vocabulary import vocabulary

    return vocabulary().facts[column].values


# --- the mapping -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ColumnMapping:
    """A modeller's column names and codes, in the fact vocabulary's terms."""

    columns: dict[str, str] = field(default_factory=dict)  # theirs -> the vocabulary's
    values: dict[str, dict[str, str | None]] = field(default_factory=dict)  # ours -> code -> text
    ignore: frozenset[str] = frozenset()
    source: str = "mapping"


def _mapping_error(message: str, code: str, where: str) -> InputError:
    return InputError(message, code=code, location=where)


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, dt.date):
        return key.isoformat()
    return str(key).strip()


def _canonical(target: str, kind: str, value: Any, where: str) -> str | None:
    """A mapped value as the text a cell of ``target`` would hold; errors name ``where``."""
    from ._offences import catalogue_has

    if value is None or (isinstance(value, str) and value.strip().lower() == "unknown"):
        return "unknown" if kind == "set" else None
    if kind == "finding":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and value in _LEVELS:
            return value
        raise _mapping_error(f"{target} is a finding: map codes to true, false, null or an "
                             f"evidence level ({', '.join(_LEVELS)})", "invalid_value", where)
    if kind == "evidence":
        if isinstance(value, str) and value in _LEVELS:
            return value
        raise _mapping_error(f"map codes of {target} to an evidence level "
                             f"({', '.join(_LEVELS)}) or null", "invalid_value", where)
    if kind in ("flag", "plain"):
        if isinstance(value, bool):
            return "true" if value else "false"
        raise _mapping_error(f"map codes of {target} to true, false or null",
                             "invalid_value", where)
    if kind == "choice":
        allowed = _values_of(target)
        if isinstance(value, str) and value in allowed:
            return value
        raise _mapping_error(f"map codes of {target} to one of {', '.join(allowed)} or null",
                             "invalid_value", where)
    if kind == "set":
        allowed = _values_of(target)
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) and v in allowed
                                                  for v in items):
            raise _mapping_error(f"map codes of {target} to a value or a list of values of "
                                 f"{', '.join(allowed)} ([] for none), or null",
                                 "invalid_value", where)
        return ";".join(items) if items else "none"
    if kind == "offence":
        if isinstance(value, str) and catalogue_has(value):
            return value
        raise _mapping_error("map offence codes to catalogue ids (see `nonpunish offences`)"
                             if isinstance(value, str) else "map offence codes to catalogue ids",
                             "unknown_offence" if isinstance(value, str) else "invalid_type",
                             where)
    if kind == "date":
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                pass
        raise _mapping_error(f"map codes of {target} to ISO dates (2020-06-01) or null",
                             "invalid_type", where)
    if kind == "age":
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_AGE:
            return str(value)
        raise _mapping_error(f"map codes of {target} to whole years (0 to {MAX_AGE}) or null",
                             "impossible_age" if isinstance(value, int) else "invalid_type",
                             where)
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)
    raise _mapping_error(f"map codes of {target} to text", "invalid_type", where)


def load_mapping(mapping: Mapping[str, Any] | str | Path | None) -> ColumnMapping:
    """Read and check a mapping (a dict, or a YAML or JSON file). Errors name the file and
    line, or the key, of the problem."""
    from ._files import Document, as_mapping, read_document

    if mapping is None:
        return ColumnMapping()
    doc: Document | None = None
    if isinstance(mapping, str | Path):
        doc = read_document(mapping)
        data: Any = as_mapping(doc, "a column mapping")
        source = str(mapping)
    elif isinstance(mapping, Mapping):
        data, source = mapping, "mapping"
    else:
        raise InputError(f"a mapping is a dict or the path of a YAML or JSON file, not "
                         f"{type(mapping).__name__}", code="invalid_type", location="mapping")

    def where(*path: str) -> str:
        if doc is not None:
            return doc.where(path)
        return source + "".join(f"[{p!r}]" for p in path)

    kinds = column_kinds()
    for key in data:
        if key not in ("columns", "values", "ignore"):
            raise _mapping_error(f"unknown key {key!r} (a mapping has columns, values and "
                                 "ignore)", "unknown_field", where(str(key)))
    columns_in = data.get("columns") or {}
    if not isinstance(columns_in, Mapping):
        raise _mapping_error("`columns` maps your column names to the vocabulary's",
                             "invalid_type", where("columns"))
    columns: dict[str, str] = {}
    for theirs, ours in columns_in.items():
        if not isinstance(ours, str):
            raise _mapping_error("a column maps to a column name", "invalid_type",
                                 where("columns", str(theirs)))
        if ours not in kinds:
            close = difflib.get_close_matches(ours, list(kinds), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _mapping_error(f"{ours!r} is not a column of the fact vocabulary{hint}",
                                 "unknown_fact", where("columns", str(theirs)))
        if ours in columns.values():
            raise _mapping_error(f"two columns are mapped to {ours!r}", "invalid_value",
                                 where("columns", str(theirs)))
        columns[str(theirs)] = ours
    values_in = data.get("values") or {}
    if not isinstance(values_in, Mapping):
        raise _mapping_error("`values` maps, per column, your codes to values", "invalid_type",
                             where("values"))
    values: dict[str, dict[str, str | None]] = {}
    for col, codes in values_in.items():
        target = columns.get(str(col), str(col))
        if target not in kinds:
            raise _mapping_error(f"{col!r} is neither one of your mapped columns nor a column "
                                 "of the fact vocabulary", "unknown_fact",
                                 where("values", str(col)))
        if target in values:
            raise _mapping_error(f"codes for {target!r} are given twice", "invalid_value",
                                 where("values", str(col)))
        if not isinstance(codes, Mapping) or not codes:
            raise _mapping_error("give the codes as a mapping of your code to a value",
                                 "invalid_type", where("values", str(col)))
        values[target] = {
            _key_text(code): _canonical(target, kinds[target], value,
                                        where("values", str(col), str(code)))
            for code, value in codes.items()}
    ignore_in = data.get("ignore") or []
    if not isinstance(ignore_in, list) or not all(isinstance(c, str) for c in ignore_in):
        raise _mapping_error("`ignore` is a list of column names", "invalid_type",
                             where("ignore"))
    return ColumnMapping(columns, values, frozenset(ignore_in), source)


# --- reading a table -------------------------------------------------------------------------

def read_table(table: Any) -> pl.DataFrame:
    """A polars DataFrame from a polars or pandas frame, or a CSV, Parquet or JSON Lines
    file. CSV is read as text, so codes keep their form (``01`` stays ``01``)."""
    require_polars()
    import polars as pl
    if isinstance(table, pl.DataFrame):
        return table
    if isinstance(table, pl.LazyFrame):
        return table.collect()
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(table, pandas.DataFrame):
        try:
            return pl.from_pandas(table)
        except ImportError:
            raise NonpunishError(
                "reading a pandas DataFrame needs pyarrow: pip install 'nonpunish[pandas]'",
                code="missing_dependency") from None
        except Exception as exc:  # pragma: no cover - depends on pandas' dtypes
            raise InputError("cannot convert the pandas DataFrame to polars "
                             f"({type(exc).__name__})", code="invalid_type",
                             location="table") from None
    if not isinstance(table, str | Path):
        raise InputError("a table is a polars or pandas DataFrame, or the path of a CSV, "
                         f"Parquet or JSON Lines file, not {type(table).__name__}",
                         code="invalid_type", location="table")
    path = Path(table)
    if not path.is_file():
        raise InputError("no table file at this path", code="file_not_found",
                         location=str(path))
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            return pl.read_csv(path, infer_schema=False)
        if suffix in (".parquet", ".pq"):
            return pl.read_parquet(path)
        if suffix in (".jsonl", ".ndjson"):
            return pl.read_ndjson(path, infer_schema_length=None)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        # The reader's own message may quote the file's contents: only its kind is given.
        json_lines = suffix in (".jsonl", ".ndjson")
        kind = "JSON Lines" if json_lines else "CSV" if suffix in (".csv", ".txt") else "Parquet"
        raise InputError(f"cannot read the table as {kind} ({type(exc).__name__})",
                         code="json_syntax" if json_lines else "file_unreadable",
                         location=str(path)) from None
    raise InputError("a table file ends in .csv, .parquet or .jsonl (JSON Lines)",
                     code="invalid_value", location=str(path))


# --- from raw columns to typed columns, with rejects --------------------------------------

#: A column with at most this many distinct values is decoded once per value, and the
#: decoded values joined back (codes, dates and ages repeat a lot); a column with more is
#: decoded cell by cell.
DISTINCT_LIMIT = 100_000

_UNKNOWN_CODE = "\x00unknown code"

#: A problem a cell can have: the expression that finds it, its code and its reason.
Problem = tuple["pl.Expr", str, str]


def _text(src: pl.Expr, *, lower: bool = False) -> pl.Expr:
    """Text cells stripped, an empty cell as null."""
    import polars as pl

    text = src.str.strip_chars()
    if lower:
        text = text.str.to_lowercase()
    return pl.when(text == "").then(pl.lit(None, dtype=pl.String)).otherwise(text)


class _Decoder:
    """How the cells of one column become typed values, and which cells are bad."""

    def __init__(self, ours: str, codes: dict[str, str | None] | None) -> None:
        self.ours = ours
        self.kind = column_kinds()[ours]
        self.codes = codes
        self.problems: list[Problem] = []

    def bad(self, expr: pl.Expr, code: str, reason: str) -> None:
        self.problems.append((expr, code, reason))

    def native(self, dtype: Any) -> bool:
        """Whether the column is decoded as it is, cell by cell (no text to parse)."""
        import polars as pl
        if self.codes is not None:
            return False
        kind = self.kind
        return bool(kind == "text"
                    or (kind in ("finding", "flag", "plain") and dtype == pl.Boolean)
                    or (kind == "date" and (dtype == pl.Date or isinstance(dtype, pl.Datetime)))
                    or (kind == "age" and (dtype.is_integer() or dtype.is_float())))

    def as_string(self, src: pl.Expr, dtype: Any) -> pl.Expr:
        """Any column as text; a list (a set fact) as its values joined by ``;``."""
        import polars as pl
        if dtype == pl.String:
            return src
        if dtype == pl.Null:
            return pl.lit(None, dtype=pl.String)
        if isinstance(dtype, pl.List):
            return (pl.when(src.list.len() == 0).then(pl.lit("none"))
                    .otherwise(src.cast(pl.List(pl.String)).list.join(";")))
        return src.cast(pl.String)

    def text(self, src: pl.Expr, *, lower: bool = False) -> pl.Expr:
        """Text cells with the mapping's codes replaced; an unlisted code is a problem."""
        import polars as pl
        if self.codes is None:
            return _text(src, lower=lower)
        keys, values = list(self.codes), list(self.codes.values())
        if self.kind == "set":
            tokens = _text(src).str.split(";").list.eval(pl.element().str.strip_chars())
            mapped = tokens.list.eval(pl.element().replace_strict(
                keys, values, default=_UNKNOWN_CODE, return_dtype=pl.String))
            self.bad(mapped.list.contains(_UNKNOWN_CODE), "fact_value",
                     "a code that the mapping does not list")
            return mapped.list.join(";")
        one = _text(src).replace_strict(keys, values, default=_UNKNOWN_CODE,
                                            return_dtype=pl.String)
        code = ("fact_value" if self.kind in ("finding", "plain", "evidence", "flag", "choice",
                                              "set")
                else "unknown_offence" if self.kind == "offence" else "invalid_value")
        self.bad(one == _UNKNOWN_CODE, code, "a code that the mapping does not list")
        one = pl.when(one == _UNKNOWN_CODE).then(pl.lit(None, dtype=pl.String)).otherwise(one)
        return one.str.to_lowercase() if lower else one

    def decode(self, src: pl.Expr, dtype: Any) -> dict[str, pl.Expr]:
        """The typed values of the column (by name), from the cells ``src`` of type
        ``dtype``; text if the column is not :meth:`native`."""
        import polars as pl
        kind = self.kind
        levels = {lv: i for i, lv in enumerate(_LEVELS)}
        if kind == "date":
            if self.native(dtype):
                return {"value": src if dtype == pl.Date else src.dt.date()}
            text = self.text(src)
            parsed = text.str.to_date("%Y-%m-%d", strict=False)
            self.bad(text.is_not_null() & parsed.is_null(), "invalid_type",
                     "not a date (give YYYY-MM-DD)")
            return {"value": parsed}
        if kind == "age":
            if self.native(dtype) and dtype.is_integer():
                value = src.cast(pl.Int64)
            elif self.native(dtype):
                whole = src.is_finite() & (src == src.floor())
                self.bad(src.is_not_null() & ~whole, "invalid_type",
                         "not a whole number of years")
                value = pl.when(whole).then(src).cast(pl.Int64)
            else:
                text = self.text(src)
                value = text.cast(pl.Int64, strict=False)
                self.bad(text.is_not_null() & value.is_null(), "invalid_type",
                         "not a whole number of years")
            self.bad((value < 0) | (value > MAX_AGE), "impossible_age",
                     f"not a possible age (give a whole number of years, 0 to {MAX_AGE})")
            return {"value": pl.when((value >= 0) & (value <= MAX_AGE)).then(value)
                    .cast(pl.Int16)}
        if kind in ("finding", "flag", "plain"):
            if self.native(dtype):
                return {"value": src}
            text = self.text(src, lower=True)
            allowed = ["true", "false", "unknown", *(levels if kind == "finding" else ())]
            self.bad(text.is_not_null() & ~text.is_in(allowed), "fact_value",
                     "expected true, false, unknown or an evidence level" if kind == "finding"
                     else "expected true or false")
            value = (pl.when(text == "true").then(pl.lit(True))
                     .when(text == "false").then(pl.lit(False))
                     .otherwise(pl.lit(None, dtype=pl.Boolean)))
            if kind != "finding":
                return {"value": value}
            return {"value": value,
                    "level": text.replace_strict(levels, default=None, return_dtype=pl.Int8)}
        if kind == "evidence":
            text = self.text(src, lower=True)
            self.bad(text.is_not_null() & ~text.is_in([*levels, "unknown"]), "fact_value",
                     f"expected an evidence level ({', '.join(_LEVELS)})")
            return {"level": text.replace_strict(levels, default=None, return_dtype=pl.Int8)}
        if kind == "choice":
            allowed = list(_values_of(self.ours))
            text = self.text(src, lower=True)
            self.bad(text.is_not_null() & ~text.is_in([*allowed, "unknown"]), "fact_value",
                     f"expected one of {', '.join(allowed)} or unknown")
            return {"value": pl.when(text.is_in(allowed)).then(text)}
        if kind == "set":
            allowed = list(_values_of(self.ours))
            bits = {v: 1 << i for i, v in enumerate(allowed)}
            tokens = (self.text(src, lower=True).str.split(";")
                      .list.eval(pl.element().str.strip_chars())
                      .list.eval(pl.element().filter(pl.element() != "")))
            self.bad(tokens.list.eval(~pl.element().is_in([*allowed, "none", "unknown"]))
                     .list.any(), "fact_value",
                     f"expected values of {', '.join(allowed)}, none or unknown")
            mask = (tokens.list.eval(pl.element().replace_strict(
                bits, default=0, return_dtype=pl.UInt32)).list.unique().list.sum()
                .cast(pl.UInt32))
            return {"value": pl.when(~tokens.list.contains("unknown")).then(mask)}
        # offence ids, statutes, sections, case ids
        value = self.text(src)
        limit = _MAX_LENGTH.get(self.ours)
        if limit is not None:
            self.bad(value.str.len_chars() > limit, "invalid_value",
                     f"longer than {limit} characters")
            value = pl.when(value.str.len_chars() <= limit).then(value)
        return {"value": value}


def _decode_column(frame: pl.DataFrame, ours: str, column: str,
                   codes: dict[str, str | None] | None,
                   ) -> tuple[pl.DataFrame, dict[str, pl.Expr], list[Problem]]:
    """The typed values and problems of one column. A column of codes, dates or ages is
    decoded once per distinct value and the results joined back to the rows."""
    import polars as pl
    dtype = frame.schema[column]
    dec = _Decoder(ours, codes)
    if dec.native(dtype):
        if dec.kind == "text":
            return frame, dec.decode(pl.col(column).cast(pl.String), pl.String), dec.problems
        return frame, dec.decode(pl.col(column), dtype), dec.problems
    key = f"__key:{ours}"
    keyed = dec.as_string(pl.col(column), dtype)
    distinct = frame.select(keyed.alias(key)).unique()
    if distinct.height > DISTINCT_LIMIT:
        return frame, dec.decode(keyed, pl.String), dec.problems
    outs = dec.decode(pl.col(key), pl.String)
    names = {k: f"__{ours}:{k}" for k in outs}
    bads = [f"__{ours}:bad{i}" for i in range(len(dec.problems))]
    small = distinct.select(pl.col(key), *(e.alias(names[k]) for k, e in outs.items()),
                            *(b.fill_null(False).alias(n)
                              for n, (b, _, _) in zip(bads, dec.problems, strict=True)))
    joined = (frame.with_columns(keyed.alias(key))
              .join(small, on=key, how="left", maintain_order="left").drop(key))
    return (joined, {k: pl.col(n) for k, n in names.items()},
            [(pl.col(n), code, reason)
             for n, (_, code, reason) in zip(bads, dec.problems, strict=True)])


def _parse(frame: pl.DataFrame, mapping: ColumnMapping, theirs: dict[str, str],
           as_of: dt.date, row_offset: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed case columns for the rows that pass every check, and the problems of the rest
    (row, column, code, reason)."""
    import polars as pl

    from ._offences import catalogue_has
    from ._vectorised import ROW
    problems: list[tuple[pl.Expr, str, str, str]] = []  # (bad, column, code, reason)

    def check(bad: pl.Expr, ours: str, code: str, reason: str) -> None:
        problems.append((bad, theirs.get(ours, ours), code, reason))

    decoded: dict[str, dict[str, pl.Expr]] = {}
    for ours, column in theirs.items():
        frame, outs, found = _decode_column(frame, ours, column, mapping.values.get(ours))
        decoded[ours] = outs
        for bad, code, reason in found:
            check(bad, ours, code, reason)

    def value(ours: str, part: str = "value") -> pl.Expr | None:
        return decoded.get(ours, {}).get(part)

    typed: dict[str, pl.Expr] = {}
    kinds = column_kinds()
    for name, kind in kinds.items():
        if kind == "finding":
            plain, cell_level = value(name), value(name, "level")
            level, disproved = value(f"{name}_evidence", "level"), value(f"{name}_disproved")
            if level is not None and (plain is not None or cell_level is not None):
                given = pl.lit(False)
                for x in (plain, cell_level):
                    if x is not None:
                        given = given | x.is_not_null()
                check(given & level.is_not_null(), f"{name}_evidence", "fact_value",
                      "give a finding or the state of the evidence, not both")
            if cell_level is not None:
                level = cell_level if level is None else pl.coalesce(level, cell_level)
            if disproved is not None:
                check(disproved & (level.is_null() if level is not None else pl.lit(True)),
                      f"{name}_disproved", "fact_value",
                      "disproved needs the state of the evidence (the _evidence column)")
                typed[f"{name}_disproved"] = disproved
            if plain is not None:
                typed[name] = plain
            if level is not None:
                typed[f"{name}_evidence"] = level
        elif kind in ("plain", "choice", "set") and value(name) is not None:
            typed[name] = value(name)  # type: ignore[assignment]
    # Offences: a catalogue id, or a statute and section; not both, not neither.
    null = pl.lit(None, dtype=pl.String)
    off = value("offence")
    statute, section = value("offence_statute"), value("offence_section")
    category = value("offence_category")
    o, st, se = (off if off is not None else null, statute if statute is not None else null,
                 section if section is not None else null)
    ca = category if category is not None else null
    check(o.is_null() & st.is_null() & se.is_null() & ca.is_null(), "offence",
          "missing_field", "no offence: give its catalogue id (offence), offence_statute and "
          "offence_section, or offence_category")
    check(o.is_not_null() & (st.is_not_null() | se.is_not_null()), "offence",
          "invalid_value", "give either the offence id or its statute and section, not both")
    check(o.is_not_null() & ca.is_not_null(), "offence_category", "invalid_value",
          "give either the offence id or its category, not both (the catalogue knows it)")
    check(o.is_null() & (st.is_null() ^ se.is_null()), "offence_statute", "invalid_value",
          "give both offence_statute and offence_section")
    if off is not None:
        distinct = frame.select(off.alias("o")).get_column("o").drop_nulls().unique().to_list()
        unknown = [x for x in distinct if not catalogue_has(x)]
        if unknown:
            check(off.is_in(unknown), "offence", "unknown_offence",
                  "no offence with this id in the offence catalogues")
    for name, expr in (("offence", off), ("offence_statute", statute),
                       ("offence_section", section), ("offence_category", category)):
        if expr is not None:
            typed[name] = expr
    # Dates and ages: exact, or a range (either end open); not both.
    spans: dict[str, tuple[pl.Expr | None, pl.Expr | None]] = {}
    for exact, lo, hi in (("act_date", "act_date_earliest", "act_date_latest"),
                          ("date_of_birth", "date_of_birth_earliest", "date_of_birth_latest"),
                          ("age_at_act", "age_at_act_min", "age_at_act_max")):
        e, a, b = value(exact), value(lo), value(hi)
        ends = [x for x in (a, b) if x is not None]
        if e is not None and ends:
            either = pl.lit(False)
            for x in ends:
                either = either | x.is_not_null()
            check(e.is_not_null() & either, exact, "invalid_value",
                  f"give {exact} or a range ({lo}, {hi}), not both")
        if exact == "age_at_act" and ends:
            a_given = a.is_not_null() if a is not None else pl.lit(False)
            b_given = b.is_not_null() if b is not None else pl.lit(False)
            check(a_given ^ b_given, lo if a is not None else hi, "missing_field",
                  f"an age range needs both {lo} and {hi}")
        if a is not None and b is not None:
            check(a > b, lo, "invalid_value",
                  f"{lo} is after {hi}" if exact != "age_at_act"
                  else f"{lo} is greater than {hi}")
        lo_e = e if a is None else (a if e is None else pl.coalesce(e, a))
        hi_e = e if b is None else (b if e is None else pl.coalesce(e, b))
        spans[exact] = (lo_e, hi_e)
    act_lo, act_hi = spans["act_date"]
    dob_lo, dob_hi = spans["date_of_birth"]
    age_min, age_max = spans["age_at_act"]
    decision = value("decision_date")
    day = pl.lit(as_of, dtype=pl.Date)
    dob_given = [x for x in (dob_lo, dob_hi) if x is not None]
    if age_min is not None and dob_given:
        either = pl.lit(False)
        for x in dob_given:
            either = either | x.is_not_null()
        check(age_min.is_not_null() & either,
              "age_at_act" if "age_at_act" in theirs else "age_at_act_min", "age_source",
              "give a date of birth or an age at the act, not both")
    dob_col = next((n for n in ("date_of_birth", "date_of_birth_earliest",
                                "date_of_birth_latest") if n in theirs), "date_of_birth")
    act_col = next((n for n in ("act_date", "act_date_earliest", "act_date_latest")
                    if n in theirs), "act_date")
    if dob_lo is not None:
        check(dob_lo > day, dob_col, "act_in_future",
              f"date of birth is after the as-of date {as_of}")
        if dob_hi is not None:
            check((dob_hi - dob_lo).dt.total_days() > 366 * MAX_AGE, dob_col, "date_range",
                  "date-of-birth range is implausibly wide")
    if act_lo is not None:
        check(act_lo > day, act_col, "act_in_future",
              f"the act date is after the as-of date {as_of}")
    if act_hi is not None and dob_lo is not None:
        check(act_hi < dob_lo, act_col, "act_before_birth",
              "the act date is before the person's date of birth")
    if act_lo is not None and dob_hi is not None:
        def md(d: pl.Expr) -> pl.Expr:
            return d.dt.month().cast(pl.Int32) * 100 + d.dt.day().cast(pl.Int32)

        years = (act_lo.dt.year().cast(pl.Int32) - dob_hi.dt.year().cast(pl.Int32)
                 - (md(act_lo) < md(dob_hi)).cast(pl.Int32))
        check(years > MAX_AGE, act_col, "impossible_age",
              f"the person would have been over {MAX_AGE} at the act")
    if decision is not None:
        check(decision > day, "decision_date", "act_in_future",
              f"the decision date is after the as-of date {as_of}")
        if act_lo is not None:
            check(decision < act_lo, "decision_date", "date_range",
                  "the decision date is before the act")
    for name, expr in (("act_lo", act_lo), ("act_hi", act_hi), ("dob_lo", dob_lo),
                       ("dob_hi", dob_hi), ("decision_date", decision), ("age_min", age_min),
                       ("age_max", age_max)):
        if expr is not None:
            typed[name] = expr
    row = (pl.int_range(pl.len(), dtype=pl.UInt32) + (row_offset + 1)).alias(ROW)
    bad_cols = [f"__bad{i}" for i in range(len(problems))]
    checked = frame.select(row, *(e.alias(n) for n, e in typed.items()),
                           *(b.fill_null(False).alias(n)
                             for n, (b, _, _, _) in zip(bad_cols, problems, strict=True)))
    if not bad_cols:
        return checked, _empty_rejects()
    rejected = pl.any_horizontal(bad_cols)
    info = pl.DataFrame({"__check": bad_cols,
                         "column": [c for _, c, _, _ in problems],
                         "code": [c for _, _, c, _ in problems],
                         "reason": [r for _, _, _, r in problems]})
    rejects = (checked.lazy().filter(rejected).select(ROW, *bad_cols)
               .unpivot(index=ROW, on=bad_cols, variable_name="__check", value_name="__bad")
               .filter(pl.col("__bad"))
               .join(info.lazy(), on="__check", how="left")
               .with_columns(pl.col("__check").str.slice(5).cast(pl.Int32).alias("__order"))
               .sort([ROW, "__order"])
               # The first problem with a cell explains it; later checks on the same cell
               # only follow from it (an unlisted offence code is also a missing offence).
               .unique(subset=[ROW, "column"], keep="first", maintain_order=True)
               .select(ROW, "column", "code", "reason").collect())
    good = checked.filter(~rejected).drop(bad_cols)
    return good, rejects


def _empty_rejects() -> pl.DataFrame:
    import polars as pl

    from ._vectorised import ROW
    return pl.DataFrame(schema={ROW: pl.UInt32, "column": pl.String, "code": pl.String,
                                "reason": pl.String})


# --- from typed columns to a case, for the reference evaluator -------------------------------

def case_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """The case (a mapping, as ``nonpunish.evaluate`` takes it) that a typed row stands for."""
    kinds = column_kinds()
    count: dict[str, Any] = {"id": "1"}
    if row.get("offence") is not None:
        count["offence"] = {"id": row["offence"]}
    elif row.get("offence_statute") is not None:
        count["offence"] = {"statute": row.get("offence_statute"),
                            "section": row.get("offence_section")}
        if row.get("offence_category") is not None:
            count["offence"]["category"] = row["offence_category"]
    else:
        count["offence"] = {"category": row.get("offence_category")}
    for name in ("participation", "conduct"):
        if row.get(name) is not None:
            count[name] = row[name]

    def span(lo: Any, hi: Any) -> Any:
        if lo is not None and lo == hi:
            return lo
        out = {k: v for k, v in (("earliest", lo), ("latest", hi)) if v is not None}
        return out or None

    act = span(row.get("act_lo"), row.get("act_hi"))
    if act is not None:
        count["act_date"] = act
    if row.get("decision_date") is not None:
        count["decision_date"] = row["decision_date"]
    person: dict[str, Any] = {}
    dob = span(row.get("dob_lo"), row.get("dob_hi"))
    if dob is not None:
        person["date_of_birth"] = dob
    if row.get("age_min") is not None:
        lo, hi = row["age_min"], row["age_max"]
        count["age_at_act"] = lo if lo == hi else {"min": lo, "max": hi}
    facts: dict[str, Any] = {}
    for name, kind in kinds.items():
        if name in ("participation", "conduct", "offence_category"):
            continue  # fields of the count, set above
        if kind == "finding":
            level = row.get(f"{name}_evidence")
            if level is not None:
                facts[name] = {"evidence": _LEVELS[level],
                               "disproved": bool(row.get(f"{name}_disproved") or False)}
            elif row.get(name) is not None:
                facts[name] = row[name]
        elif kind in ("plain", "choice") and row.get(name) is not None:
            facts[name] = row[name]
        elif kind == "set" and row.get(name) is not None:
            mask = row[name]
            facts[name] = [v for i, v in enumerate(_values_of(name)) if mask >> i & 1]
    case: dict[str, Any] = {"counts": [count], "facts": facts}
    if person:
        case["person"] = person
    if row.get("case_id") is not None:
        case["case_id"] = row["case_id"]
    return case


# --- the outcome of a table ------------------------------------------------------------------

@dataclass(frozen=True)
class TableSummary:
    """How many rows were read, evaluated and rejected, and the results (weighted, if the
    table had weights)."""

    rows: int
    evaluated: int
    rejected: int
    results: dict[Result, int]
    weighted: dict[Result, float] | None = None

    def to_frame(self) -> pl.DataFrame:
        """One row per result: cases, share of the evaluated rows, and (with weights) the
        weight and its share."""
        import polars as pl
        data: dict[str, Any] = {
            "result": list(RESULTS),
            "cases": [self.results[r] for r in RESULTS],
            "share": [self.results[r] / self.evaluated if self.evaluated else 0.0
                      for r in RESULTS],
        }
        if self.weighted is not None:
            total = sum(self.weighted.values())
            data["weight"] = [self.weighted[r] for r in RESULTS]
            data["weighted_share"] = [self.weighted[r] / total if total else 0.0
                                      for r in RESULTS]
        return pl.DataFrame(data)

    def __str__(self) -> str:
        lines = [f"{self.rows} rows: {self.evaluated} evaluated, {self.rejected} rejected"]
        for r in RESULTS:
            share = self.results[r] / self.evaluated if self.evaluated else 0.0
            line = f"  {r.replace('_', ' ')}: {self.results[r]} ({share:.1%})"
            if self.weighted is not None:
                line += f", weighted {self.weighted[r]:g}"
            lines.append(line)
        return "\n".join(lines)


@dataclass(frozen=True)
class TableOutcome:
    """The outcome of :func:`evaluate_table`.

    ``results``: one row per evaluated input row, in input order: ``row`` (1 for the first
    data row), ``case_id`` (if the table has one), ``result``, ``legal_effect`` (when
    protected), ``limb``, ``weight`` (with ``weights``), and with ``explain``
    ``deciding_elements`` and ``open_questions`` (the facts to ask about, most decisive
    first, for undetermined rows).
    ``rejects``: one row per problem found in a row that was therefore not evaluated:
    ``row``, ``case_id``, ``column`` (as named in the table), ``code`` (see the error
    reference) and ``reason``. Reasons never repeat a value from the table.
    """

    results: pl.DataFrame
    rejects: pl.DataFrame
    rows: int
    ruleset_id: str
    ruleset_content_hash: str
    engine: str
    as_of: dt.date
    library_version: str

    def summary(self) -> TableSummary:
        import polars as pl
        counts = dict.fromkeys(RESULTS, 0)
        for result, n in self.results.group_by("result").len().iter_rows():
            counts[result] = n
        weighted = None
        if "weight" in self.results.columns:
            weighted = dict.fromkeys(RESULTS, 0.0)
            for result, w in self.results.group_by("result").agg(
                    pl.col("weight").sum()).iter_rows():
                weighted[result] = float(w)
        rejected = self.rejects.get_column("row").n_unique() if self.rejects.height else 0
        return TableSummary(rows=self.rows, evaluated=self.results.height, rejected=rejected,
                            results=counts, weighted=weighted)


# --- the verb --------------------------------------------------------------------------------

def _slices(frame: pl.DataFrame, size: int) -> Iterator[tuple[int, pl.DataFrame]]:
    if frame.height == 0:
        yield 0, frame
        return
    for start in range(0, frame.height, size):
        yield start, frame.slice(start, size)


def _columns_of(frame: pl.DataFrame, mapping: ColumnMapping,
                weights: str | None) -> dict[str, str]:
    """Our column -> the table's, checking that every column of the table is accounted for."""
    kinds = column_kinds()
    theirs: dict[str, str] = {}
    for theirs_name, ours in mapping.columns.items():
        if theirs_name not in frame.columns:
            raise InputError(f"the mapping names a column {theirs_name!r} that the table does "
                             "not have", code="missing_field", location=mapping.source)
        theirs[ours] = theirs_name
    unknown = []
    for col in frame.columns:
        if col in mapping.columns or col in mapping.ignore or col == weights:
            continue
        if col in kinds:
            if col in theirs:
                raise InputError(f"column {col!r} is in the table and is also the target of a "
                                 "mapped column", code="invalid_value", location=col)
            theirs[col] = col
            continue
        unknown.append(col)
    if unknown:
        col = unknown[0]
        close = difflib.get_close_matches(col, list(kinds), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(
            f"column {col!r} is not a column of the fact vocabulary{hint}; map it to one, or "
            "list it under `ignore` in the mapping" + (
                f" ({len(unknown) - 1} more like it)" if len(unknown) > 1 else ""),
            code="unknown_field", location=col,
            details=[ErrorDetail("unknown_field", "not a column of the fact vocabulary", c)
                     for c in unknown])
    for ours in mapping.values:
        if ours not in theirs:
            raise InputError(f"the mapping gives codes for {ours!r}, which the table does not "
                             "have", code="missing_field", location=mapping.source)
    return theirs


def _weights(frame: pl.DataFrame, column: str, row_offset: int) -> tuple[pl.DataFrame,
                                                                          pl.DataFrame]:
    """Row numbers and weights, and the rows whose weight is not a number >= 0."""
    import polars as pl

    from ._vectorised import ROW
    raw = pl.col(column)
    dtype = frame.schema[column]
    value = (raw.cast(pl.Float64, strict=False) if dtype.is_numeric()
             else _text(raw.cast(pl.String)).cast(pl.Float64, strict=False))
    bad = value.is_null() | ~value.is_finite() | (value < 0)
    row = (pl.int_range(pl.len(), dtype=pl.UInt32) + (row_offset + 1)).alias(ROW)
    table = frame.select(row, value.alias("weight"), bad.fill_null(True).alias("__bad"))
    rejects = table.filter(pl.col("__bad")).select(
        pl.col(ROW), pl.lit(column).alias("column"), pl.lit("invalid_value").alias("code"),
        pl.lit("a weight must be a number, zero or more").alias("reason"))
    return table.select(ROW, "weight"), rejects


def evaluate_table(table: Any, ruleset: str | Path | Ruleset, *, as_of: dt.date | None = None,
                   mapping: Mapping[str, Any] | str | Path | None = None,
                   engine: TableEngine = "vectorised", weights: str | None = None,
                   explain: bool = False) -> TableOutcome:
    """Evaluate every row of a table of cases (one count per row) under a ruleset.

    ``table``: a polars DataFrame, a pandas DataFrame (if pandas is installed), or the path
    of a CSV, Parquet or JSON Lines (``.jsonl``) file, with the columns described in
    :mod:`nonpunish._batch` (the fact vocabulary's names, or your own through ``mapping``).
    ``mapping``: a dict, or the path of a YAML or JSON file, with ``columns`` (your name:
    the vocabulary's), ``values`` (per column, your code: the value) and ``ignore``.
    ``engine``: ``"vectorised"`` (polars, the whole table at once) or ``"reference"`` (the
    reference evaluator, row by row; slow, the specification). Both give the same results.
    ``weights``: the name of a column of non-negative numbers, carried into the results and
    summed by result in :meth:`TableOutcome.summary`.
    ``explain``: add the deciding elements and, for undetermined rows, the facts to ask
    about (from the reference evaluator, once for each group of rows it cannot tell apart).

    Needs polars (``pip install 'nonpunish[model]'``). Rows that cannot be evaluated are
    listed in ``rejects``, with their row number and the reason; they never stop the rest.
    """
    require_polars()
    import polars as pl

    from ._api import __version__, load_ruleset

    if engine not in ("vectorised", "reference"):
        from ._errors import EngineUnavailableError

        raise EngineUnavailableError(
            f"unknown engine {engine!r} for a table (use 'vectorised' or 'reference')",
            code="unknown_engine")
    as_of = as_of or dt.date.today()
    rs = ruleset if isinstance(ruleset, Ruleset) else load_ruleset(ruleset)
    cmap = load_mapping(mapping)
    frame = read_table(table)
    if weights is not None and weights not in frame.columns:
        raise InputError(f"no weights column {weights!r} in the table", code="missing_field",
                         location=weights)
    theirs = _columns_of(frame, cmap, weights)
    case_id_col = theirs.get("case_id")
    results: list[pl.DataFrame] = []
    rejects: list[pl.DataFrame] = []
    from ._vectorised import ROW

    front = [ROW, *(["case_id"] if case_id_col is not None else [])]

    def in_order(part: pl.DataFrame) -> pl.DataFrame:
        return part.select(*front, *(c for c in part.columns if c not in front)).rename(
            {ROW: "row"})

    # Case ids are joined and columns put in order slice by slice: done once over the whole
    # table, either would copy every column.
    for start, part in _slices(frame, CHUNK_ROWS):
        res, rej = _evaluate_slice(part, rs, as_of, cmap, theirs, start, engine, explain,
                                   weights, __version__)
        if case_id_col is not None:
            ids = part.select(
                (pl.int_range(pl.len(), dtype=pl.UInt32) + (start + 1)).alias(ROW),
                pl.col(case_id_col).cast(pl.String).alias("case_id"))
            res = res.join(ids, on=ROW, how="left", maintain_order="left")
            rej = rej.join(ids, on=ROW, how="left", maintain_order="left")
        results.append(in_order(res))
        rejects.append(in_order(rej))
    result_frame = pl.concat(results, how="vertical")
    reject_frame = pl.concat(rejects, how="vertical")
    return TableOutcome(results=result_frame, rejects=reject_frame, rows=frame.height,
                        ruleset_id=rs.id, ruleset_content_hash=rs.content_hash,
                        engine=engine, as_of=as_of, library_version=__version__)


def _evaluate_slice(part: pl.DataFrame, rs: Ruleset, as_of: dt.date, cmap: ColumnMapping,
                    theirs: dict[str, str], start: int, engine: TableEngine, explain: bool,
                    weights: str | None, library_version: str) -> tuple[pl.DataFrame,
                                                                        pl.DataFrame]:
    import polars as pl

    from ._vectorised import QUESTION_KEY, ROW, evaluate_cases
    good, rejects = _parse(part, cmap, theirs, as_of, start)
    weight_table = None
    if weights is not None:
        weight_table, weight_rejects = _weights(part, weights, start)
        if weight_rejects.height:
            rejects = pl.concat([rejects, weight_rejects], how="vertical").sort(
                ROW, maintain_order=True)
            good = good.join(weight_rejects.select(ROW), on=ROW, how="anti",
                             maintain_order="left")
    if engine == "vectorised":
        out = evaluate_cases(good, rs, as_of, deciding=explain, question_keys=explain)
        if explain:
            out = out.rename({"deciding": "deciding_elements"})
            out = out.with_columns(_questions(good, out, rs, as_of, library_version)
                                   ).drop(QUESTION_KEY)
    else:
        out, more = _reference(good, rs, as_of, explain, library_version)
        if more.height:
            rejects = pl.concat([rejects, more], how="vertical").sort(ROW, maintain_order=True)
    if weight_table is not None:
        out = out.join(weight_table, on=ROW, how="left", maintain_order="left")
    return out, rejects


def _questions(good: pl.DataFrame, out: pl.DataFrame, rs: Ruleset, as_of: dt.date,
               library_version: str) -> pl.Series:
    """The facts to ask about, for every row of ``out``: none for a determined row; for an
    undetermined one, the reference evaluator's questions. Rows with the same question key
    (see ``_question_key`` in the vectorised engine) have the same questions, so the
    reference evaluator answers for the first of them only; rows without a key, one by
    one."""
    import polars as pl

    from ._vectorised import DECIDING_DTYPE, QUESTION_KEY, ROW

    def ask(frame: pl.DataFrame) -> pl.Series:
        rows = good.join(frame.select(ROW), on=ROW, how="semi", maintain_order="left")
        return pl.Series("open_questions", [
            [q.fact for q in _reference_outcome(row, rs, as_of, library_version).questions]
            for row in rows.iter_rows(named=True)], dtype=DECIDING_DTYPE)

    open_rows = out.filter(pl.col("result") == "undetermined").select(ROW, QUESTION_KEY)
    keyed = open_rows.filter(pl.col(QUESTION_KEY).is_not_null())
    firsts = keyed.unique(subset=QUESTION_KEY, keep="first", maintain_order=True)
    answers = firsts.select(QUESTION_KEY).with_columns(ask(firsts))
    shared = (keyed.join(answers, on=QUESTION_KEY, how="left", maintain_order="left")
              .select(ROW, "open_questions"))
    alone = open_rows.filter(pl.col(QUESTION_KEY).is_null())
    own = alone.select(ROW).with_columns(ask(alone))
    found = pl.concat([shared, own], how="vertical")
    return (out.select(ROW).join(found, on=ROW, how="left", maintain_order="left")
            .select(pl.when(pl.col("open_questions").is_null())
                    .then(pl.lit([], dtype=DECIDING_DTYPE))
                    .otherwise(pl.col("open_questions")).alias("open_questions"))
            .get_column("open_questions"))


def _reference_outcome(row: Mapping[str, Any], rs: Ruleset, as_of: dt.date,
                       library_version: str) -> Any:
    from ._api import parse_case
    from ._engine import REFERENCE
    from ._evaluate import evaluate_case

    case = parse_case(case_from_row(row), as_of=as_of)
    return evaluate_case(rs, case, as_of, REFERENCE, library_version)


def _reference(good: pl.DataFrame, rs: Ruleset, as_of: dt.date, explain: bool,
               library_version: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The reference evaluator, row by row."""
    import polars as pl

    from ._errors import CaseError
    from ._vectorised import DECIDING_DTYPE, LEGAL_EFFECT_DTYPE, LIMB_DTYPE, RESULT_DTYPE, ROW
    out: dict[str, list[Any]] = {ROW: [], "result": [], "legal_effect": [], "limb": []}
    if explain:
        out["deciding_elements"] = []
        out["open_questions"] = []
    bad: dict[str, list[Any]] = {ROW: [], "column": [], "code": [], "reason": []}
    for row in good.iter_rows(named=True):
        try:
            outcome = _reference_outcome(row, rs, as_of, library_version)
        except CaseError as exc:  # pragma: no cover - the checks above should catch it all
            for d in exc.details or [ErrorDetail(exc.code, exc.message, exc.location)]:
                bad[ROW].append(row[ROW])
                bad["column"].append(d.location or "")
                bad["code"].append(d.code)
                bad["reason"].append(d.message)
            continue
        count = outcome.counts[0]
        out[ROW].append(row[ROW])
        out["result"].append(count.result)
        out["legal_effect"].append(count.legal_effect)
        out["limb"].append(count.limb)
        if explain:
            out["deciding_elements"].append(list(count.deciding_elements))
            out["open_questions"].append([q.fact for q in outcome.questions])
    schema: dict[str, Any] = {ROW: pl.UInt32, "result": RESULT_DTYPE,
                              "legal_effect": LEGAL_EFFECT_DTYPE, "limb": LIMB_DTYPE}
    if explain:
        schema["deciding_elements"] = DECIDING_DTYPE
        schema["open_questions"] = DECIDING_DTYPE
    return (pl.DataFrame(out, schema=schema),
            pl.DataFrame(bad, schema={ROW: pl.UInt32, "column": pl.String, "code": pl.String,
                                      "reason": pl.String}))
