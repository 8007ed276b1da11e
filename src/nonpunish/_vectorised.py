"""The vectorised engine: a ruleset's condition tree as polars expressions over a column table.

Two steps, each the column-wise twin of a step of the reference path (``_evaluate``):

1. **Preparation** (:func:`evaluate_cases`) turns a table of *case columns* (one row per count:
   the offence, dates, age or date of birth, and a column per fact) into *prepared rows*: one
   column per leaf of the tree, and the index of the ruleset version in force. It applies the
   same semantics as the reference, column-wise: findings through the ruleset's burden model
   (the evidence level and the disproved flag, or a plain true / false / unknown finding);
   choice and set tests; ages from an age (or range) or from a date of birth (or range) and
   the dates of the act, by the calendar rule of :mod:`nonpunish._dates` (a 29 February
   birthday falls on 1 March in a common year); the exclusion leaf from the offence, the form
   of participation, the condition facts and the list's entries, dated entries included; and
   the temporal rule (an act before commencement is ``not_in_force``, unless the ruleset is
   evaluated as if in force).

   **Ranges are evaluated here too, vectorised** (no row is routed to the reference
   evaluator). A row whose relevant date is known only as a range that crosses a date on
   which the ruleset changes, or whose age (given, or worked out from the dates) straddles an
   age threshold, is expanded into one *scenario* per side of every boundary: the range is
   clamped to each segment between the ruleset's boundary dates and, within it, to each band
   between its age thresholds. Every scenario is evaluated like an exact row, and the
   scenarios of a row are merged as ``evaluate_count`` merges them: if they agree, that
   result (and the limb, if they share it); otherwise ``undetermined``. The reference cuts a
   row's date range only at the boundaries that concern its own offence (a list entry's own
   dates); cutting at every boundary of the ruleset, as here, gives extra scenarios that
   repeat the leaf values of their neighbours, so the merged result, limb and deciding
   elements are the same. The equivalence property in ``tests/model`` holds the two to it.

2. **Evaluation** (:class:`VectorisedEngine`) compiles each version's DAG of ``all`` /
   ``any`` / ``not`` nodes into polars expressions (Boolean columns with nulls follow
   Kleene's strong three-valued logic for ``&``, ``|`` and ``~``, and so do
   ``all_horizontal`` and ``any_horizontal``) and derives, per row, the result, the legal
   effect (when protected), the limb and, on request, the deciding elements, exactly as
   ``_result_of``, ``_applied_limb`` and ``_reason`` do for one scenario.

The text of an outcome (reasons, questions, caveats) is not produced here: a caller that
needs it for a row asks the reference evaluator (see :func:`nonpunish.evaluate_table`).

Prepared rows have one Boolean column per leaf, named by :func:`leaf_column`, and an
``Int16`` column :data:`VERSION` (the index into ``ruleset.compiled``; null when no version
is in force).

polars before 1.26 gets some of these queries wrong (nested when/then chains over enum
literals come back with the wrong number of rows); :func:`nonpunish.evaluate_table` refuses
to run on it. The code also avoids what tripped 1.2x: it does not rely on common-subexpression
elimination, puts no list literals in when/then chains, and materialises the scenario parts
before evaluating them.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast, get_args

import polars as pl

from ._case import Count, EvidenceLevel, Offence
from ._dates import EARLIEST
from ._engine import Tri
from ._explain import _layout
from ._memo import OwnedCache
from ._offences import ExclusionList, catalogues
from ._outcome import RESULTS
from ._prepare import (
    _ALL_MODES,
    ResolvedOffence,
    _candidate_entries,
    _given_broadly,
    _indexed,
    _resolve_offence,
)
from ._ruleset import CompiledVersion, LeafKey, LegalEffect, Limb, Ruleset

#: Output dtypes: the vocabulary of the reference evaluator, as enums.
RESULT_DTYPE = pl.Enum(list(RESULTS))
LIMB_DTYPE = pl.Enum(list(get_args(Limb)))
LEGAL_EFFECT_DTYPE = pl.Enum(list(get_args(LegalEffect)))
DECIDING_DTYPE = pl.List(pl.String)

#: Column of prepared rows: the index of the ruleset version in force (null: none).
VERSION = "version"

#: Internal columns of the case table (see :func:`evaluate_cases`).
ROW = "__row"
_DAY, _AGE_LO, _AGE_HI, _OFFENCE = "__day", "__age_lo", "__age_hi", "__offence"
_SCENARIO = "__scenario"
#: Output column on request (``question_keys``): what the reference evaluator's questions for
#: the row depend on (see :func:`_question_key`); null where that is not known.
QUESTION_KEY = "__question_key"


def leaf_column(key: LeafKey) -> str:
    """The column of prepared rows that holds the leaf ``key``."""
    kind = key[0]
    if kind == "fact":
        return f"fact:{key[1]}"
    if kind == "is":
        return f"is:{key[1]}={key[2]}"
    if kind == "includes_any":
        return f"includes_any:{key[1]}={'|'.join(key[2])}"
    if kind in ("age_at_least", "age_under", "age_over"):
        return f"{kind}:{key[1]}"
    if kind == "excluded":
        return "excluded"
    if kind == "listed":
        return f"listed:{key[1]}"
    raise AssertionError(key)


def _lit(value: str | None, dtype: pl.DataType) -> pl.Expr:
    return pl.lit(value, dtype=dtype)


_NULL_BOOL = pl.lit(None, dtype=pl.Boolean)


def _cases(branches: Sequence[tuple[pl.Expr, pl.Expr]], otherwise: pl.Expr) -> pl.Expr:
    """``when(c1).then(v1).when(c2).then(v2)...otherwise(otherwise)``: the value of the first
    condition that holds (a null condition does not hold)."""
    if not branches:
        return otherwise
    (cond, value), *rest = branches
    chain: Any = pl.when(cond).then(value)
    for cond, value in rest:
        chain = chain.when(cond).then(value)
    return cast(pl.Expr, chain.otherwise(otherwise))


# --- evaluation: the condition tree as expressions -------------------------------------------

@dataclass(frozen=True)
class _VersionExprs:
    #: Every node's value, as a column (internal nodes) or a leaf column.
    nodes: tuple[pl.Expr, ...]
    #: The internal nodes' definitions, by level: a node's children are in earlier levels.
    levels: tuple[tuple[pl.Expr, ...], ...]
    result: pl.Expr
    limb: pl.Expr
    #: Candidate deciding elements, in order: a condition (on the node, ``result`` and
    #: ``limb`` columns) and the element id it adds.
    deciding: list[tuple[pl.Expr, str]]


class VectorisedEngine:
    """A ruleset's versions compiled to polars expressions over prepared rows.

    Every internal node of a version's DAG becomes a column of its own (``__v<version>n<node>``),
    computed level by level from its children's columns, so each node is evaluated once and
    no expression repeats a subtree. (A shared definition, such as s.45's victim status, is
    read by three elements; leaving its reuse to polars' common-subexpression elimination
    gave wrong results in polars 1.20 to 1.25.) The result, limb and deciding elements are
    then read from those columns."""

    name = "vectorised"

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        keys: dict[LeafKey, None] = {}
        for cv in ruleset.compiled:
            keys.update(dict.fromkeys(cv.leaves))
        #: Every leaf of every version, and its column.
        self.leaf_keys: tuple[LeafKey, ...] = tuple(keys)
        self.columns: dict[LeafKey, str] = {k: leaf_column(k) for k in self.leaf_keys}
        self._versions = tuple(self._compile(k, cv) for k, cv in enumerate(ruleset.compiled))

    def node_exprs(self, index: int) -> tuple[pl.Expr, ...]:
        """The value of every node of version ``index``, indexed like its ``nodes``; read
        them from a frame that went through :meth:`with_nodes`."""
        return self._versions[index].nodes

    def _compile(self, k: int, cv: CompiledVersion) -> _VersionExprs:
        exprs: list[pl.Expr] = []
        level_of: list[int] = []
        levels: list[list[pl.Expr]] = []
        for node in cv.nodes:
            if node.op == "leaf":
                assert node.leaf is not None
                exprs.append(pl.col(self.columns[node.leaf]))
                level_of.append(0)
                continue
            kids = [exprs[c] for c in node.children]
            if node.op == "all":
                value = kids[0] if len(kids) == 1 else pl.all_horizontal(kids)
            elif node.op == "any":
                value = kids[0] if len(kids) == 1 else pl.any_horizontal(kids)
            else:
                value = ~kids[0]
            level = 1 + max(level_of[c] for c in node.children)
            level_of.append(level)
            while len(levels) < level:
                levels.append([])
            name = f"__v{k}n{node.index}"
            levels[level - 1].append(value.alias(name))
            exprs.append(pl.col(name))
        root = exprs[cv.root]
        excluded = exprs[cv.excluded_node] if cv.excluded_node is not None else None

        # _result_of
        branches = [(root, _lit("protected", RESULT_DTYPE))]
        if excluded is not None:
            branches.append((excluded, _lit("excluded_offence", RESULT_DTYPE)))
        branches.append((~root, _lit("not_protected", RESULT_DTYPE)))
        result = _cases(branches, _lit("undetermined", RESULT_DTYPE))

        # _applied_limb: the only limb, or the first whose age tests all hold.
        layout = _layout(self.ruleset, cv)
        if len(cv.limb_nodes) == 1:
            limb = _lit(next(iter(cv.limb_nodes)), LIMB_DTYPE)
        else:
            limb = _cases([(pl.all_horizontal([exprs[i] for i in ages]), _lit(name, LIMB_DTYPE))
                           for name, ages in layout.limb_age_leaves.items() if ages],
                          _lit(None, LIMB_DTYPE))
        deciding = self._deciding(cv, exprs, excluded)
        return _VersionExprs(tuple(exprs), tuple(tuple(lv) for lv in levels), result, limb,
                             deciding)

    def _deciding(self, cv: CompiledVersion, exprs: Sequence[pl.Expr],
                  excluded: pl.Expr | None) -> list[tuple[pl.Expr, str]]:
        """The deciding elements, as ``_reason`` gives them for one scenario, as candidate
        ids in order, each a string column that is null unless its condition holds (read
        from the node columns and the ``result`` and ``limb`` columns). At most one of the
        groups applies to a row: the scope when protected, ``not-excluded`` when excluded,
        the top elements that failed when not protected, those still open (and the
        exclusion check, if open) when undetermined."""
        layout = _layout(self.ruleset, cv)
        result, limb = pl.col("result"), pl.col("limb")
        scopes: list[tuple[Limb | None, int]] = [(None, cv.protection)]
        scopes += [(name, idx) for name, idx in cv.limb_nodes.items()]
        protected, failed, still_open = [], [], []
        for name, idx in scopes:
            scope_id = cv.nodes[idx].source.id
            top = [occ for occ in layout.occurrences if occ.parent == scope_id
                   and not (name is not None and occ.limb is not None and occ.limb != name
                            and not occ.heads_limb)]
            this_limb = (limb == pl.lit(name)) if name is not None else limb.is_null()
            protected.append(((result == pl.lit("protected")) & this_limb, scope_id or ""))
            for occ in top:
                failed.append(((result == pl.lit("not_protected")) & this_limb
                               & (exprs[occ.index] == pl.lit(False)), occ.id))
                still_open.append(((result == pl.lit("undetermined")) & this_limb
                                   & exprs[occ.index].is_null(), occ.id))
        ids = [*protected, ((result == pl.lit("excluded_offence")), "not-excluded"),
               *failed, *still_open]
        if excluded is not None:
            ids.append(((result == pl.lit("undetermined")) & excluded.is_null(),
                        "not-excluded"))
        return ids

    def _by_version(self, part: Callable[[_VersionExprs], pl.Expr],
                    out_of_force: pl.Expr) -> pl.Expr:
        version = pl.col(VERSION)
        if len(self._versions) == 1:
            return _cases([(version.is_null(), out_of_force)], part(self._versions[0]))
        return _cases([(version == i, part(v)) for i, v in enumerate(self._versions)],
                      out_of_force)

    def with_nodes(self, prepared: pl.LazyFrame) -> pl.LazyFrame:
        """Prepared rows with a column for every internal node of every version."""
        depth = max(len(v.levels) for v in self._versions)
        for level in range(depth):
            exprs = [e for v in self._versions if level < len(v.levels) for e in v.levels[level]]
            prepared = prepared.with_columns(exprs)
        return prepared

    def evaluate(self, prepared: pl.DataFrame | pl.LazyFrame, *, deciding: bool = False,
                 keep: Sequence[str] = ()) -> pl.DataFrame:
        """Result, legal effect and limb (and the deciding elements) of every prepared row,
        with the columns in ``keep`` carried over."""
        result = self._by_version(lambda v: v.result, _lit("not_in_force", RESULT_DTYPE))
        limb = self._by_version(lambda v: v.limb, _lit(None, LIMB_DTYPE))
        effect = (pl.when(pl.col("result") == pl.lit("protected"))
                  .then(_lit(self.ruleset.spec.legal_effect, LEGAL_EFFECT_DTYPE))
                  .otherwise(_lit(None, LEGAL_EFFECT_DTYPE)))
        out = [*keep, "result", "legal_effect", "limb"]
        lf = (self.with_nodes(prepared.lazy())
              .with_columns(result.alias("result"), limb.alias("limb"))
              .with_columns(effect.alias("legal_effect")))
        if not deciding:
            return lf.select(out).collect()
        # Which candidates apply to a row, as bits of a few integer columns; the few distinct
        # patterns are turned into lists of ids once and joined back, which is far cheaper
        # than building a list in every row.
        version = pl.col(VERSION)
        pairs = [((version == k) & cond, ident) for k, v in enumerate(self._versions)
                 for cond, ident in v.deciding]
        masks = []
        for c, start in enumerate(range(0, max(len(pairs), 1), 63)):
            chunk = pairs[start:start + 63]
            bits = [pl.when(cond).then(pl.lit(1 << j, dtype=pl.UInt64))
                    .otherwise(pl.lit(0, dtype=pl.UInt64)) for j, (cond, _) in enumerate(chunk)]
            masks.append((pl.sum_horizontal(bits) if bits else pl.lit(0, dtype=pl.UInt64))
                         .cast(pl.UInt64).alias(f"__dm{c}"))
        names = [m.meta.output_name() for m in masks]
        frame = lf.with_columns(masks).select([*out, *names]).collect()
        patterns = frame.select(names).unique()
        lists = []
        for row in patterns.iter_rows():
            ids = [pairs[c * 63 + j][1] for c, mask in enumerate(row)
                   for j in range(63) if mask >> j & 1]
            lists.append(ids)
        lookup = patterns.with_columns(pl.Series("deciding", lists, dtype=pl.List(pl.String)))
        return (frame.join(lookup, on=names, how="left", maintain_order="left")
                .select([*out, "deciding"]))


_engines: OwnedCache[Ruleset, VectorisedEngine] = OwnedCache()
_engines_lock = threading.Lock()


def vectorised_engine(ruleset: Ruleset) -> VectorisedEngine:
    """The compiled engine of a ruleset (built once per ruleset object)."""
    with _engines_lock:  # compiling is not cheap: once, even with threads
        return _engines.get(ruleset, None, lambda: VectorisedEngine(ruleset))


class NodeEngine:
    """The vectorised expressions behind the :class:`~nonpunish._engine.Engine` interface:
    one case's leaves as a one-row table, every node's value back. Slow; it exists so the
    reference path can run on the vectorised expressions and be compared node by node."""

    name = "vectorised"

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset

    def evaluate(self, version: CompiledVersion, leaves: Mapping[LeafKey, Tri]) -> list[Tri]:
        ruleset = self.ruleset
        if not any(cv is version for cv in ruleset.compiled):
            # Under lex mitior the predecessor's versions are evaluated too.
            from ._ruleset import load_shipped

            assert ruleset.spec.temporal.predecessor is not None
            ruleset = load_shipped(ruleset.spec.temporal.predecessor)
        engine = vectorised_engine(ruleset)
        index = next(i for i, cv in enumerate(ruleset.compiled) if cv is version)
        row = pl.DataFrame({engine.columns[k]: pl.Series([leaves.get(k)], dtype=pl.Boolean)
                            for k in engine.leaf_keys})
        exprs = engine.node_exprs(index)
        values = (engine.with_nodes(row.lazy())
                  .select([e.alias(str(i)) for i, e in enumerate(exprs)]).collect().row(0))
        return [None if v is None else bool(v) for v in values]


# --- preparation: case columns to prepared rows -------------------------------------------

def _age_on(born: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Completed years on ``day``, as :func:`nonpunish._dates.age_on` (29 February birthdays
    fall on 1 March in common years)."""
    born_md = born.dt.month().cast(pl.Int32) * 100 + born.dt.day().cast(pl.Int32)
    day_md = day.dt.month().cast(pl.Int32) * 100 + day.dt.day().cast(pl.Int32)
    anniversary = pl.when((born_md == 229) & ~day.dt.is_leap_year()).then(301).otherwise(born_md)
    return (day.dt.year().cast(pl.Int32) - born.dt.year().cast(pl.Int32)
            - (day_md < anniversary).cast(pl.Int32))


def _date(day: dt.date) -> pl.Expr:
    return pl.lit(day, dtype=pl.Date)


@dataclass(frozen=True)
class CaseColumns:
    """Names of the typed case columns :func:`evaluate_cases` reads. Absent columns are
    unknown. A finding ``f`` is read from ``f`` (Boolean), ``f_evidence`` (Int8: the rank of
    the evidence level) and ``f_disproved`` (Boolean); a set fact is a UInt32 bit mask in the
    order of the vocabulary's values; a choice fact is a String."""

    act_lo: str = "act_lo"
    act_hi: str = "act_hi"
    decision: str = "decision_date"
    dob_lo: str = "dob_lo"
    dob_hi: str = "dob_hi"
    age_min: str = "age_min"
    age_max: str = "age_max"
    offence: str = "offence"
    statute: str = "offence_statute"
    section: str = "offence_section"
    category: str = "offence_category"


COLUMNS = CaseColumns()


class _Prep:
    """Expressions over the typed case table for one ruleset and as-of date."""

    def __init__(self, ruleset: Ruleset, as_of: dt.date, schema: Mapping[str, pl.DataType],
                 offences: Mapping[int, ResolvedOffence]) -> None:
        self.ruleset = ruleset
        self.as_of = as_of
        self.schema = schema
        self.offences = offences
        self.engine = vectorised_engine(ruleset)

    def col(self, name: str, dtype: pl.DataType) -> pl.Expr:
        return pl.col(name) if name in self.schema else pl.lit(None, dtype=dtype)

    def charge_fact(self, fact: str, dtype: pl.DataType) -> pl.Expr | None:
        """The catalogue's value of a fact of the charge (``charge_facts``), by offence code
        and relevant date; None if no offence in the table has one. ``offence_category``
        comes from the offence itself."""
        if fact == "offence_category":
            cats = {code: o.ref.category for code, o in self.offences.items()
                    if o.ref.category is not None}
            if not cats:
                return None
            return pl.col(_OFFENCE).replace_strict(cats, default=None, return_dtype=dtype)
        catalogue = catalogues().get(self.ruleset.spec.catalogue or "")
        if catalogue is None:
            return None
        day = pl.col(_DAY)
        branches = []
        for code, offence in self.offences.items():
            if offence.catalogue_key is None:
                continue
            for dv in catalogue.offences[offence.catalogue_key].fact_values().get(fact, ()):
                cond = pl.col(_OFFENCE) == code
                if dv.valid_from is not None:
                    cond = cond & (day >= _date(dv.valid_from))
                if dv.valid_to is not None:
                    cond = cond & (day <= _date(dv.valid_to))
                branches.append((cond, pl.lit(dv.value, dtype=dtype)))
        if not branches:
            return None
        return _cases(branches, pl.lit(None, dtype=dtype))

    def given_or_charge(self, fact: str, dtype: pl.DataType) -> pl.Expr:
        given = self.col(fact, dtype) if fact != "offence_category" else pl.lit(None, dtype=dtype)
        charge = self.charge_fact(fact, dtype)
        return given if charge is None else pl.coalesce(charge, given)

    # findings through the burden model (_findings)
    def finding(self, fact: str) -> pl.Expr:
        burden = self.ruleset.spec.burden
        plain = self.given_or_charge(fact, pl.Boolean())
        if f"{fact}_evidence" not in self.schema:
            return plain
        level = pl.col(f"{fact}_evidence")
        disproved = self.col(f"{fact}_disproved", pl.Boolean()).fill_null(False)
        branches = [((level == EvidenceLevel.NOT_ASSESSED.rank) & ~disproved, _NULL_BOOL)]
        if burden.disproof_defeats:
            branches.append((disproved, pl.lit(False)))
        from_evidence = _cases(branches, level >= burden.finding_true_from.rank)
        return pl.when(level.is_not_null()).then(from_evidence).otherwise(plain)

    def leaf(self, key: LeafKey, excluded: pl.Expr,
             listed: Mapping[str, pl.Expr] | None = None) -> pl.Expr:
        kind = key[0]
        if kind == "fact":
            return self.finding(key[1])
        if kind == "is":
            return self.given_or_charge(key[1], pl.String()) == pl.lit(key[2])
        if kind == "includes_any":
            from ._vocabulary import vocabulary

            values = vocabulary().facts[key[1]].values
            bits = sum(1 << values.index(v) for v in key[2])
            return (self.col(key[1], pl.UInt32()) & pl.lit(bits, dtype=pl.UInt32)) != 0
        lo, hi = pl.col(_AGE_LO), pl.col(_AGE_HI)
        if kind == "age_at_least":
            return (pl.when(lo >= key[1]).then(pl.lit(True)).when(hi < key[1])
                    .then(pl.lit(False)).otherwise(_NULL_BOOL))
        if kind == "age_under":
            return (pl.when(hi < key[1]).then(pl.lit(True)).when(lo >= key[1])
                    .then(pl.lit(False)).otherwise(_NULL_BOOL))
        if kind == "age_over":
            return (pl.when(lo > key[1]).then(pl.lit(True)).when(hi < key[1])
                    .then(pl.lit(False)).otherwise(_NULL_BOOL))
        if kind == "excluded":
            return excluded
        if kind == "listed":
            return (listed or {}).get(key[1], _NULL_BOOL)
        raise AssertionError(key)

    def version(self) -> pl.Expr:
        day = pl.col(_DAY)
        compiled = self.ruleset.compiled
        temporal = self.ruleset.spec.temporal
        fallback = pl.lit(0 if temporal.rule == "as_if_in_force" else None, dtype=pl.Int16)
        if temporal.rule == "lex_mitior" and temporal.relevant_date == "act":
            # _version_for: an earlier act decided once the provision has begun.
            decided = self.col(COLUMNS.decision, pl.Date()).fill_null(_date(self.as_of))
            start = _date(self.ruleset.commencement)
            fallback = (pl.when((day < start) & (decided >= start))
                        .then(pl.lit(0, dtype=pl.Int16)).otherwise(pl.lit(None, dtype=pl.Int16)))
        branches = []
        for i, cv in enumerate(compiled):
            v = cv.version
            cond = day >= _date(v.valid_from)
            if v.valid_to is not None:
                cond = cond & (day <= _date(v.valid_to))
            branches.append((cond, pl.lit(i, dtype=pl.Int16)))
        return _cases(branches, fallback)

    def excluded(self, cv: CompiledVersion) -> pl.Expr:
        """The exclusion leaf under ``cv`` (``_check_exclusion``)."""
        return self.on_list(cv.exclusion_list)

    def on_list(self, xl: ExclusionList | None) -> pl.Expr:
        """Whether the offence is on ``xl`` (``_check_exclusion``), one term per kind of
        list entry an offence can meet, over the offence codes that meet it."""
        if xl is None:
            return _NULL_BOOL
        _, modes = _indexed(xl)
        participation = self.col("participation", pl.String())
        reach_unknown = True if all(m in modes for m in _ALL_MODES) else None
        reach = (pl.when(participation.is_null()).then(pl.lit(reach_unknown, dtype=pl.Boolean))
                 .otherwise(participation.is_in(list(modes))))
        kinds: dict[tuple[dt.date | None, dt.date | None, str | None, bool], list[int]] = {}
        for code, offence in self.offences.items():
            for entry in _candidate_entries(xl, offence):
                sig = (entry.valid_from, entry.valid_to,
                       entry.only_if.fact if entry.only_if else None,
                       _given_broadly(offence, xl, entry))
                kinds.setdefault(sig, []).append(code)
        day = pl.col(_DAY)
        terms = []
        for (valid_from, valid_to, fact, broadly), codes in kinds.items():
            term = pl.col(_OFFENCE).is_in(sorted(set(codes)))
            if valid_from is not None:
                term = term & (day >= _date(valid_from))
            if valid_to is not None:
                term = term & (day <= _date(valid_to))
            cond = self.finding(fact) if fact is not None else pl.lit(True)
            if broadly:
                cond = cond & _NULL_BOOL
            terms.append(term & cond & reach)
        if not terms:
            return pl.lit(False)
        return terms[0] if len(terms) == 1 else pl.any_horizontal(terms)

    def leaves(self) -> list[pl.Expr]:
        compiled = self.ruleset.compiled
        names = sorted({n for cv in compiled for n in cv.lists})
        if len(compiled) == 1:
            excluded = self.excluded(compiled[0])
            listed = {n: self.on_list(compiled[0].lists.get(n)) for n in names}
        else:
            version = pl.col(VERSION)
            excluded = _cases([(version == i, self.excluded(cv))
                               for i, cv in enumerate(compiled)], _NULL_BOOL)
            listed = {n: _cases([(version == i, self.on_list(cv.lists.get(n)))
                                 for i, cv in enumerate(compiled)], _NULL_BOOL) for n in names}
        return [self.leaf(k, excluded, listed).alias(self.engine.columns[k])
                for k in self.engine.leaf_keys]

    # dates and ages (plan)
    def windows(self) -> list[pl.Expr]:
        """The relevant date range, the window of act dates the age is taken over, and the
        whole age range, as ``plan`` and ``_age_range`` work them out."""
        c = COLUMNS
        as_of = _date(self.as_of)
        act_lo = pl.max_horizontal(  # no act before birth
            self.col(c.act_lo, pl.Date()).fill_null(_date(EARLIEST)),
            self.col(c.dob_lo, pl.Date()).fill_null(_date(EARLIEST)))
        act_hi = pl.min_horizontal(self.col(c.act_hi, pl.Date()).fill_null(as_of), as_of)
        if self.ruleset.spec.temporal.relevant_date == "decision":
            decision = self.col(c.decision, pl.Date())
            rel_lo, rel_hi = decision.fill_null(act_lo), decision.fill_null(as_of)
        else:
            rel_lo, rel_hi = act_lo, act_hi
        return [act_lo.alias("__act_lo"), act_hi.alias("__act_hi"),
                rel_lo.alias("__rel_lo"), rel_hi.alias("__rel_hi")]

    def age_range(self, a_lo: pl.Expr, a_hi: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        c = COLUMNS
        age_min = self.col(c.age_min, pl.Int16())
        age_max = self.col(c.age_max, pl.Int16())
        dob_given = self.col(c.dob_lo, pl.Date()).is_not_null() | self.col(
            c.dob_hi, pl.Date()).is_not_null()
        dob_lo = self.col(c.dob_lo, pl.Date()).fill_null(_date(EARLIEST))
        dob_hi = self.col(c.dob_hi, pl.Date()).fill_null(_date(self.as_of))
        from_dob_lo = pl.max_horizontal(
            pl.lit(0), _age_on(dob_hi, pl.max_horizontal(a_lo, dob_hi)))
        from_dob_hi = pl.max_horizontal(pl.lit(0), _age_on(dob_lo, a_hi))
        lo = (pl.when(age_min.is_not_null()).then(age_min.cast(pl.Int32))
              .when(dob_given).then(from_dob_lo).otherwise(pl.lit(0)))
        hi = (pl.when(age_max.is_not_null()).then(age_max.cast(pl.Int32))
              .when(dob_given).then(from_dob_hi).otherwise(pl.lit(120)))
        return lo, hi

    def age_window(self, piece_lo: pl.Expr, piece_hi: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        if self.ruleset.spec.temporal.relevant_date == "act":
            return piece_lo, piece_hi
        return pl.col("__act_lo"), pl.col("__act_hi")


def _cut_dates(ruleset: Ruleset, offences: Mapping[int, ResolvedOffence]) -> list[dt.date]:
    """The dates on which the ruleset changes, and those on which a fact of the charge of an
    offence in the table changes (a maximum penalty raised by a later Act), in order."""
    dates = set(ruleset.boundary_dates)
    catalogue = catalogues().get(ruleset.spec.catalogue or "")
    if catalogue is not None:
        for offence in offences.values():
            if offence.catalogue_key is not None:
                dates |= catalogue.offences[offence.catalogue_key].fact_dates()
    return sorted(dates)


def _segments(cuts: Sequence[dt.date]) -> list[tuple[dt.date | None, dt.date | None]]:
    """The stretches between the dates ``cuts`` (open at both ends)."""
    cuts = list(cuts)
    starts: list[dt.date | None] = [None, *cuts]
    ends: list[dt.date | None] = [*(b - dt.timedelta(days=1) for b in cuts), None]
    return list(zip(starts, ends, strict=True))


def _bands(ruleset: Ruleset) -> list[tuple[int, int]]:
    ts = list(ruleset.age_threshold_list)
    los = [-1, *ts]
    his = [*(t - 1 for t in ts), 10_000]
    return list(zip(los, his, strict=True))


def resolve_offence(ruleset: Ruleset, *, offence_id: str | None = None,
                    statute: str | None = None, section: str | None = None,
                    category: str | None = None) -> ResolvedOffence:
    """An offence as the reference resolves it against the ruleset's catalogue."""
    off = (Offence(id=offence_id) if offence_id is not None
           else Offence(statute=statute, section=section, category=category))
    return _resolve_offence(ruleset, Count(offence=off))


def offence_key() -> pl.Expr:
    """One string per distinct offence as given: its id, or its statute and section."""
    c = COLUMNS
    category = pl.col(c.category).fill_null("")
    return (pl.when(pl.col(c.offence).is_not_null())
            .then(pl.lit("id\x1f") + pl.col(c.offence))
            .when(pl.col(c.statute).is_not_null())
            .then(pl.lit("st\x1f") + pl.col(c.statute) + pl.lit("\x1f") + pl.col(c.section)
                  + pl.lit("\x1f") + category)
            .otherwise(pl.lit("ca\x1f\x1f\x1f") + category))


def _with_offence_codes(frame: pl.DataFrame,
                        ruleset: Ruleset) -> tuple[pl.DataFrame, dict[int, ResolvedOffence]]:
    c = COLUMNS
    for name in (c.offence, c.statute, c.section, c.category):
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    keyed = frame.with_columns(offence_key().alias("__offence_key"))
    distinct = keyed.get_column("__offence_key").unique(maintain_order=True).to_list()
    codes: dict[str, int] = {}
    offences: dict[int, ResolvedOffence] = {}
    for i, key in enumerate(distinct):
        parts = key.split("\x1f")
        if parts[0] == "id":
            resolved = resolve_offence(ruleset, offence_id=parts[1])
        else:
            resolved = resolve_offence(ruleset, statute=parts[1] or None,
                                       section=parts[2] or None, category=parts[3] or None)
        codes[key] = i
        offences[i] = resolved
    keyed = keyed.with_columns(
        pl.col("__offence_key").replace_strict(codes, return_dtype=pl.UInt32).alias(_OFFENCE)
    ).drop("__offence_key")
    return keyed, offences


_FAVOUR = {"protected": 3, "undetermined": 2, "not_protected": 1, "excluded_offence": 1,
           "not_in_force": 0}


def evaluate_cases(frame: pl.DataFrame, ruleset: Ruleset, as_of: dt.date, *,
                   deciding: bool = False, question_keys: bool = False) -> pl.DataFrame:
    """Evaluate a table of *valid* typed case rows (see :func:`_evaluate_cases`). As
    ``evaluate_count`` does, a statute and section that hold several catalogued offences are
    read as each of them, and the result stands only if every reading gives it."""
    out = _lex_mitior_cases(frame, ruleset, as_of, deciding=deciding,
                            question_keys=question_keys)
    catalogue = catalogues().get(ruleset.spec.catalogue or "")
    if catalogue is None:
        return out
    keyed, offences = _with_offence_codes(frame, ruleset)
    tied = {code: o.candidates for code, o in offences.items() if o.candidates}
    if not tied:
        return out
    c = COLUMNS
    runs = []
    for k in range(max(len(keys) for keys in tied.values())):
        ids = {code: catalogue.full_id(keys[k]) for code, keys in tied.items() if len(keys) > k}
        reading = keyed.filter(pl.col(_OFFENCE).is_in(list(ids))).with_columns(
            pl.col(_OFFENCE).replace_strict(ids, return_dtype=pl.String).alias(c.offence),
            *(pl.lit(None, dtype=pl.String).alias(name)
              for name in (c.statute, c.section, c.category))).drop(_OFFENCE)
        runs.append(_lex_mitior_cases(reading, ruleset, as_of, deciding=deciding)
                    .with_columns(pl.lit(k, dtype=pl.Int32).alias("__reading")))
    aggregates = [pl.col("result").n_unique().alias("__results"),
                  pl.col("result").first().alias("__result"),
                  pl.col("legal_effect").first().alias("__legal_effect"),
                  pl.col("limb").n_unique().alias("__limbs"),
                  pl.col("limb").first().alias("__limb")]
    if deciding:
        aggregates.append(pl.col("deciding").explode().alias("__deciding"))
    merged = (pl.concat(runs, how="vertical").sort([ROW, "__reading"])
              .group_by(ROW, maintain_order=True).agg(aggregates))
    same = pl.col("__results") == 1
    picked = {
        "result": pl.when(same).then(pl.col("__result"))
        .otherwise(_lit("undetermined", RESULT_DTYPE)),
        "legal_effect": pl.when(same).then(pl.col("__legal_effect"))
        .otherwise(_lit(None, LEGAL_EFFECT_DTYPE)),
        "limb": pl.when(same & (pl.col("__limbs") == 1)).then(pl.col("__limb"))
        .otherwise(_lit(None, LIMB_DTYPE)),
    }
    if deciding:
        ids_expr = pl.col("__deciding").list.drop_nulls().list.unique(maintain_order=True)
        picked["deciding"] = pl.when(same).then(ids_expr).otherwise(ids_expr.list.head(0))
    merged = merged.select(pl.col(ROW), *(e.alias(f"__m_{name}") for name, e in picked.items()))
    joined = out.join(merged, on=ROW, how="left")
    has = pl.col("__m_result").is_not_null()
    # A row read several ways has no one set of leaves: no question key.
    return joined.select(pl.col(ROW), *(
        pl.when(has).then(None if col == QUESTION_KEY else pl.col(f"__m_{col}"))
        .otherwise(pl.col(col)).alias(col)
        for col in out.columns if col != ROW))


def _lex_mitior_cases(frame: pl.DataFrame, ruleset: Ruleset, as_of: dt.date, *,
                      deciding: bool = False, question_keys: bool = False) -> pl.DataFrame:
    """:func:`_evaluate_cases`, and under lex mitior with a predecessor, as
    ``evaluate_count`` does: an act before the provision began gets the more favourable of
    the predecessor's result and this provision's; an act that may fall on either side stands
    only if both sides agree."""
    out = _evaluate_cases(frame, ruleset, as_of, deciding=deciding,
                          question_keys=question_keys)
    temporal = ruleset.spec.temporal
    if temporal.rule != "lex_mitior" or temporal.predecessor is None:
        return out
    from ._ruleset import load_shipped

    start = ruleset.commencement
    c = COLUMNS

    def bound(name: str) -> pl.Expr:
        return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.Date)

    act_lo, act_hi, dob_lo = bound(c.act_lo), bound(c.act_hi), bound(c.dob_lo)
    wholly = act_hi.is_not_null() & (act_hi < start)
    # The act's range on each side of the change (meaningless, and unused, where a row has
    # no such side).
    before = frame.with_columns(
        pl.when(wholly).then(act_hi).otherwise(_date(start - dt.timedelta(days=1)))
        .alias(c.act_hi))
    after = frame.with_columns(pl.max_horizontal(act_lo, _date(start)).alias(c.act_lo))
    runs = {"t": _evaluate_cases(before, load_shipped(temporal.predecessor), as_of,
                                 deciding=deciding),
            "l": _evaluate_cases(before, ruleset, as_of, deciding=deciding),
            "a": _evaluate_cases(after, ruleset, as_of, deciding=deciding)}
    sides = frame.select(
        pl.col(ROW),
        ((act_lo.is_null() | (act_lo < start)) & (dob_lo.is_null() | (dob_lo < start)))
        .alias("__eligible"),
        wholly.alias("__wholly"))
    joined = out.join(sides, on=ROW, how="left")
    for key, run in runs.items():
        joined = joined.join(run.rename({col: f"__{key}_{col}" for col in run.columns
                                         if col != ROW}), on=ROW, how="left")
    favour = dict(_FAVOUR)

    def rank(key: str) -> pl.Expr:
        return (pl.col(f"__{key}_result").cast(pl.String)
                .replace_strict(favour, default=0, return_dtype=pl.Int8))

    prefer_time = rank("t") > rank("l")
    best_result = pl.when(prefer_time).then(pl.col("__t_result")).otherwise(
        pl.col("__l_result"))
    agree = best_result == pl.col("__a_result")
    out_agrees = pl.col("result") == pl.col("__a_result")
    undetermined = {"result": _lit("undetermined", RESULT_DTYPE),
                    "legal_effect": _lit(None, LEGAL_EFFECT_DTYPE),
                    "limb": _lit(None, LIMB_DTYPE)}
    picked = []
    for col in (x for x in out.columns if x != ROW):
        if col == QUESTION_KEY:  # an act that may be before the change is read twice
            picked.append(pl.when(~pl.col("__eligible")).then(pl.col(col)).otherwise(None)
                          .alias(col))
            continue
        best = pl.when(prefer_time).then(pl.col(f"__t_{col}")).otherwise(pl.col(f"__l_{col}"))
        torn = pl.col(col).list.head(0) if col == "deciding" else undetermined[col]
        picked.append(
            pl.when(~pl.col("__eligible")).then(pl.col(col))
            .when(pl.col("__wholly")).then(best)
            .when(agree & out_agrees).then(pl.col(col))
            .when(agree).then(pl.col(f"__a_{col}"))
            .otherwise(torn).alias(col))
    return joined.select(pl.col(ROW), *picked)


def _evaluate_cases(frame: pl.DataFrame, ruleset: Ruleset, as_of: dt.date, *,
                    deciding: bool = False, question_keys: bool = False) -> pl.DataFrame:
    """Evaluate a table of *valid* typed case rows (one count each) under ``ruleset``.

    ``frame`` holds :data:`ROW` (a row number), the columns of :class:`CaseColumns` that are
    known (dates as Date, ages as integers, the offence as a catalogue id or a statute and
    section) and a column per fact (see :class:`CaseColumns`). Validation is the caller's:
    rows must be what ``check_case`` accepts. Returns :data:`ROW`, ``result``,
    ``legal_effect`` and ``limb`` (and ``deciding``, and :data:`QUESTION_KEY`), one row per
    input row, in order.
    """
    engine = vectorised_engine(ruleset)
    frame, offences = _with_offence_codes(frame, ruleset)
    prep = _Prep(ruleset, as_of, frame.schema, offences)
    lf = frame.lazy().with_columns(prep.windows())
    a_lo, a_hi = prep.age_window(pl.col("__rel_lo"), pl.col("__rel_hi"))
    whole_lo, whole_hi = prep.age_range(a_lo, a_hi)
    rel_lo, rel_hi = pl.col("__rel_lo"), pl.col("__rel_hi")
    cuts = _cut_dates(ruleset, offences)
    crosses = [(rel_lo < _date(b)) & (_date(b) <= rel_hi) for b in cuts]
    crosses += [(pl.col(_AGE_LO) < t) & (pl.lit(t) <= pl.col(_AGE_HI))
                for t in ruleset.age_threshold_list]
    split = pl.any_horizontal(crosses) if crosses else pl.lit(False)
    base = (lf.with_columns(whole_lo.alias(_AGE_LO), whole_hi.alias(_AGE_HI))
            .with_columns(split.alias("__split")).collect())
    columns = [ROW, "result", "legal_effect", "limb", *(["deciding"] if deciding else [])]
    n_split = int(base.get_column("__split").sum())

    # One scenario: the relevant date's first day, and the whole age range.
    single = base.filter(~pl.col("__split")) if n_split else base
    if single.height:
        prepared = (single.lazy().with_columns(rel_lo.alias(_DAY))
                    .with_columns(prep.version().alias(VERSION))
                    .with_columns(prep.leaves()))
        keep = [ROW]
        if question_keys:
            prepared = prepared.with_columns(_question_key(engine, frame.columns))
            keep.append(QUESTION_KEY)
        single_df = engine.evaluate(prepared, deciding=deciding, keep=keep)
    else:  # (polars 1.2x mis-sizes literal columns on an empty frame)
        single_df = pl.DataFrame(schema={ROW: pl.UInt32, "result": RESULT_DTYPE,
                                         "legal_effect": LEGAL_EFFECT_DTYPE,
                                         "limb": LIMB_DTYPE,
                                         **({"deciding": DECIDING_DTYPE} if deciding else {}),
                                         **({QUESTION_KEY: pl.Null()} if question_keys
                                            else {})})
    if not n_split:
        return single_df

    # Several: one per segment between boundary dates and band between age thresholds.
    multi = base.filter(pl.col("__split")).lazy()
    parts = []
    order = 0
    for seg_lo, seg_hi in _segments(cuts):
        piece_lo = rel_lo if seg_lo is None else pl.max_horizontal(rel_lo, _date(seg_lo))
        piece_hi = rel_hi if seg_hi is None else pl.min_horizontal(rel_hi, _date(seg_hi))
        w_lo, w_hi = prep.age_window(piece_lo, piece_hi)
        age_lo, age_hi = prep.age_range(w_lo, w_hi)
        piece = multi.with_columns(piece_lo.alias(_DAY), piece_hi.alias("__piece_hi"),
                                   age_lo.alias("__p_age_lo"), age_hi.alias("__p_age_hi")
                                   ).filter(pl.col(_DAY) <= pl.col("__piece_hi"))
        for band_lo, band_hi in _bands(ruleset):
            p_lo, p_hi = pl.col("__p_age_lo"), pl.col("__p_age_hi")
            parts.append(
                piece.filter((p_lo <= band_hi) & (p_hi >= band_lo))
                .with_columns(pl.max_horizontal(p_lo, pl.lit(band_lo)).alias(_AGE_LO),
                              pl.min_horizontal(p_hi, pl.lit(band_hi)).alias(_AGE_HI),
                              pl.lit(order, dtype=pl.Int32).alias(_SCENARIO)))
            order += 1
    # Each part is materialised before the leaves are worked out: one lazy query over the
    # concatenated parts has dropped rows in polars 1.x.
    scenarios = engine.evaluate(
        pl.concat([part.collect() for part in parts], how="vertical")
        .with_columns(prep.version().alias(VERSION))
        .with_columns(prep.leaves()),
        deciding=deciding, keep=[ROW, _SCENARIO]).sort([ROW, _SCENARIO])
    aggregates = [pl.col("result").n_unique().alias("__results"),
                  pl.col("result").first().alias("result"),
                  pl.col("limb").n_unique().alias("__limbs"),
                  pl.col("limb").first().alias("limb")]
    if deciding:
        aggregates.append(pl.col("deciding").explode().alias("deciding"))
    same = pl.col("__results") == 1
    merged_cols = [
        pl.when(same).then(pl.col("result")).otherwise(_lit("undetermined", RESULT_DTYPE))
        .alias("result"),
        pl.when(same & (pl.col("__limbs") == 1)).then(pl.col("limb"))
        .otherwise(_lit(None, LIMB_DTYPE)).alias("limb"),
    ]
    if deciding:
        ids = pl.col("deciding").list.drop_nulls().list.unique(maintain_order=True)
        merged_cols.append(pl.when(same).then(ids).otherwise(ids.list.head(0))
                           .alias("deciding"))
    effect = (pl.when(pl.col("result") == pl.lit("protected"))
              .then(_lit(ruleset.spec.legal_effect, LEGAL_EFFECT_DTYPE))
              .otherwise(_lit(None, LEGAL_EFFECT_DTYPE)).alias("legal_effect"))
    merged = (scenarios.group_by(ROW, maintain_order=True).agg(aggregates)
              .with_columns(merged_cols).with_columns(effect).select(columns))
    # Rows read in several scenarios get no question key (null).
    return pl.concat([single_df, merged],
                     how="diagonal_relaxed" if question_keys else "vertical").sort(ROW)


def _question_key(engine: VectorisedEngine, case_columns: Sequence[str]) -> pl.Expr:
    """What the reference evaluator's open questions depend on, for a row read in one
    scenario on one exact relevant date: the version, every leaf's value (the questions come
    from the truth table of the tree over its unknown leaves), whether the age is one number
    (an unknown age test is then a question of wording, not of fact) and, where an offence
    list's check is open, what that check read (the offence, the day, and every column of
    the case, since the facts it names are the list's open conditions). Rows with equal keys
    get the same questions, so the reference evaluator need answer for only one of them.
    Null for a relevant date known only as a range."""
    fields: list[pl.Expr] = [pl.col(VERSION)]
    fields += [pl.col(engine.columns[k]) for k in engine.leaf_keys]
    fields.append((pl.col(_AGE_LO) == pl.col(_AGE_HI)).alias("__age_exact"))
    on_lists = [pl.col(engine.columns[k]).is_null() for k in engine.leaf_keys
                if k[0] in ("excluded", "listed")]
    if on_lists:
        check_open = pl.any_horizontal(on_lists)
        read = [_OFFENCE, _DAY, *(c for c in case_columns if c not in (ROW, _OFFENCE))]
        fields += [pl.when(check_open).then(pl.col(c)).alias(f"__case_{c}") for c in read]
    one_day = pl.col("__rel_lo") == pl.col("__rel_hi")
    return pl.when(one_day).then(pl.struct(fields)).alias(QUESTION_KEY)
