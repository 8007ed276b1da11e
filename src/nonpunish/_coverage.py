"""Comparing runs of :func:`nonpunish.evaluate_table`: :func:`coverage` and :func:`changes`.

:func:`coverage` says, per run, how many cases (and how much weight) fall in each result and
legal effect; :func:`changes` lists the rows of one table whose result, legal effect or limb
differ between two runs (two rulesets, say, or a ruleset and a variant of it);
:func:`sensitivity` changes one policy parameter at a time from a base variant and shows how
coverage moves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._batch import TableOutcome, require_polars
from ._errors import InputError, NonpunishError
from ._outcome import RESULTS
from ._ruleset import Ruleset

if TYPE_CHECKING:
    import polars as pl


def coverage(*outcomes: TableOutcome, labels: Sequence[str] | None = None) -> pl.DataFrame:
    """How many cases each run puts in each result and legal effect, as a long table.

    One row per run and (result, legal effect) pair, runs in the order given, results in
    their usual order (protected, not protected, excluded offence, not in force,
    undetermined); a result no row reached still gets a row, with ``cases`` 0 and no legal
    effect. Columns:

    ``label``: the run's label (``labels``, or else its ruleset id; two runs with the same
    label are refused, so give ``labels`` to compare a ruleset with a variant of it).
    ``result``, ``legal_effect``: the band. Undetermined is a band of its own, and legal
    effects are never added up across effects: each pair is its own row.
    ``cases``: the number of evaluated rows in the band; ``share``: that over the run's
    evaluated rows. ``weighted``, ``weighted_share``: the same with the run's weights, or
    null if the run had none.
    ``rejected``: the number of the run's rows that were rejected, hence counted in no band
    (the same on every row of a run).
    """
    require_polars()
    import polars as pl

    from ._vectorised import LEGAL_EFFECT_DTYPE, RESULT_DTYPE

    if labels is None:
        names = [o.ruleset_id for o in outcomes]
    else:
        names = list(labels)
        if isinstance(labels, str) or len(names) != len(outcomes):
            raise InputError(f"give one label per run ({len(outcomes)} runs, "
                             f"{1 if isinstance(labels, str) else len(names)} labels)",
                             code="invalid_value", location="labels")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(f"two runs are labelled {name!r}; give `labels` to tell them "
                             "apart", code="invalid_value", location="labels")
        seen.add(name)

    schema: dict[str, Any] = {
        "label": pl.String, "result": RESULT_DTYPE, "legal_effect": LEGAL_EFFECT_DTYPE,
        "cases": pl.UInt32, "weighted": pl.Float64, "share": pl.Float64,
        "weighted_share": pl.Float64, "rejected": pl.UInt32}
    frames = [pl.DataFrame(schema=schema)]
    for name, out in zip(names, outcomes, strict=True):
        res = out.results
        weighted = "weight" in res.columns
        bands = res.group_by("result", "legal_effect").agg(
            pl.len().cast(pl.UInt32).alias("cases"),
            (pl.col("weight").sum() if weighted else pl.lit(None, pl.Float64)).alias(
                "weighted"))
        missing = [r for r in RESULTS if r not in set(bands.get_column("result").to_list())]
        if missing:
            bands = pl.concat([bands, pl.DataFrame(
                {"result": missing, "legal_effect": [None] * len(missing),
                 "cases": [0] * len(missing), "weighted": [0.0 if weighted else None]
                 * len(missing)},
                schema=bands.schema)], how="vertical")
        evaluated = res.height
        total = float(res.get_column("weight").sum()) if weighted else None
        rejected = out.rejects.get_column("row").n_unique() if out.rejects.height else 0
        frames.append(bands.sort("result", "legal_effect", nulls_last=True).select(
            pl.lit(name, pl.String).alias("label"), "result", "legal_effect", "cases",
            pl.col("weighted").cast(pl.Float64),
            (pl.col("cases") / evaluated if evaluated else pl.lit(0.0)).cast(
                pl.Float64).alias("share"),
            (pl.col("weighted") / total if total else pl.lit(0.0 if weighted else None)).cast(
                pl.Float64).alias("weighted_share"),
            pl.lit(rejected, pl.UInt32).alias("rejected")))
    return pl.concat(frames, how="vertical")


def changes(before: TableOutcome, after: TableOutcome) -> pl.DataFrame:
    """The rows whose result, legal effect or limb differ between two runs of one table.

    Rows are matched on ``row`` (the input row number). Both runs must be of the same table:
    the same number of rows, the same rows evaluated (not rejected), and the same case ids;
    otherwise a :class:`NonpunishError` with code ``tables_differ`` is raised.

    Columns: ``row``, ``case_id`` (if the table has one), ``result_before``,
    ``result_after``, ``legal_effect_before``, ``legal_effect_after``, ``limb_before``,
    ``limb_after``, and, when both runs were made with ``explain=True``,
    ``deciding_before`` and ``deciding_after`` (the deciding elements), in row order.
    """
    require_polars()
    import polars as pl

    def differ(why: str) -> NonpunishError:
        return NonpunishError(f"the two runs are not of the same table: {why}",
                              code="tables_differ")

    if before.rows != after.rows:
        raise differ(f"{before.rows} rows before, {after.rows} after")
    left, right = before.results, after.results
    rows_before = set(left.get_column("row").to_list())
    rows_after = set(right.get_column("row").to_list())
    if rows_before != rows_after:
        only = sorted(rows_before ^ rows_after)
        raise differ(f"row {only[0]} was evaluated in one run and rejected in the other"
                     + (f" ({len(only) - 1} more like it)" if len(only) > 1 else ""))
    has_id = "case_id" in left.columns and "case_id" in right.columns
    if ("case_id" in left.columns) != ("case_id" in right.columns):
        raise differ("one run has case ids and the other has none")
    explained = "deciding_elements" in left.columns and "deciding_elements" in right.columns
    keep = ["row", *(["case_id"] if has_id else []), "result", "legal_effect", "limb",
            *(["deciding_elements"] if explained else [])]
    joined = left.select(keep).join(right.select(keep), on="row", how="inner",
                                    suffix="_after", maintain_order="left")
    if has_id:
        mismatch = joined.filter(pl.col("case_id").ne_missing(pl.col("case_id_after")))
        if mismatch.height:
            raise differ(f"row {mismatch.item(0, 'row')} has another case id in each run")
    changed = joined.filter(pl.any_horizontal(
        pl.col(c).ne_missing(pl.col(f"{c}_after")) for c in ("result", "legal_effect", "limb")))
    renames = {"result": "result_before", "legal_effect": "legal_effect_before",
               "limb": "limb_before"}
    columns = ["row", *(["case_id"] if has_id else []), "result_before", "result_after",
               "legal_effect_before", "legal_effect_after", "limb_before", "limb_after"]
    if explained:
        renames |= {"deciding_elements": "deciding_before",
                    "deciding_elements_after": "deciding_after"}
        columns += ["deciding_before", "deciding_after"]
    return changed.rename(renames).select(columns).sort("row")


def sensitivity(table: Any, ruleset: str | Path | Ruleset, *,
                parameters: Sequence[str] | None = None, as_of: dt.date | None = None,
                mapping: Mapping[str, Any] | str | Path | None = None,
                weights: str | None = None) -> pl.DataFrame:
    """How coverage moves when one policy parameter at a time is changed from a base variant.

    ``ruleset`` is the base: a variant of a ruleset with parameters
    (``"nl/proposal/273f-non-punishment@ckm-fier"``, or a variant file). Every option of
    every parameter (or of those named in ``parameters``) is tried in turn, the others kept
    as in the base, and the table is evaluated under each. Returns :func:`coverage`'s columns
    for each run, with ``parameter`` and ``option`` in front (the base run has both null),
    ``base_option``, and ``change``: the run's share minus the base's share for the same
    result and legal effect.
    """
    require_polars()
    import polars as pl

    from ._api import load_ruleset
    from ._batch import evaluate_table
    from ._ruleset import with_choices

    base = ruleset if isinstance(ruleset, Ruleset) else load_ruleset(ruleset)
    spec, chosen = base.source_spec, base.variant_spec
    if spec is None or chosen is None:
        raise NonpunishError(f"{base.id} has no policy parameters to vary",
                             code="unknown_parameter")
    names = list(parameters) if parameters is not None else list(spec.parameters)
    unknown = [n for n in names if n not in spec.parameters]
    if unknown:
        raise NonpunishError(f"no parameter {unknown[0]!r} (the ruleset has "
                             f"{', '.join(spec.parameters)})", code="unknown_parameter")
    runs: list[tuple[str | None, str | None, Ruleset]] = [(None, None, base)]
    for name in names:
        for option in spec.parameters[name].options:
            if option != chosen.values[name]:
                variant = with_choices(base, {name: option},
                                       f"{base.variant or 'base'}-{name}-{option}"
                                       .replace("_", "-"))
                runs.append((name, option, variant))
    outcomes = [evaluate_table(table, rs, as_of=as_of, mapping=mapping, weights=weights)
                for _, _, rs in runs]
    labels = [rs.id for _, _, rs in runs]
    cov = coverage(*outcomes, labels=labels)
    meta = pl.DataFrame({"label": labels,
                         "parameter": [p for p, _, _ in runs],
                         "option": [o for _, o, _ in runs],
                         "base_option": [None if p is None else chosen.values[p]
                                         for p, _, _ in runs]},
                        schema={"label": pl.String, "parameter": pl.String,
                                "option": pl.String, "base_option": pl.String})
    # Every band any run reaches is shown for every run (0 where a run has none), so a band
    # that a choice empties shows its fall.
    keys = ["result", "legal_effect"]
    weighted = weights is not None
    reached = cov.filter(pl.col("cases") > 0).select(keys).unique()
    empty = cov.select(keys).unique().join(reached.select("result"), on="result", how="anti")
    bands = pl.concat([reached, empty])
    totals = cov.select("label", "rejected").unique(subset="label")
    cov = (meta.select("label").join(bands, how="cross").join(totals, on="label")
           .join(cov.drop("rejected"), on=["label", *keys], how="left", nulls_equal=True)
           .with_columns(pl.col("cases").fill_null(0), pl.col("share").fill_null(0.0),
                         *(pl.col(c).fill_null(0.0) if weighted else pl.col(c)
                           for c in ("weighted", "weighted_share")))
           .sort(pl.col("label").replace_strict({x: i for i, x in enumerate(labels)},
                                                 return_dtype=pl.Int32), "result", "legal_effect",
                 nulls_last=True))
    base_share = cov.filter(pl.col("label") == labels[0]).select(
        "result", "legal_effect", pl.col("share").alias("base_share"))
    out = (cov.join(meta, on="label", how="left")
           .join(base_share, on=["result", "legal_effect"], how="left", nulls_equal=True)
           .with_columns((pl.col("share") - pl.col("base_share").fill_null(0.0))
                         .alias("change")))
    return out.select("parameter", "option", "base_option", "label", "result",
                      "legal_effect", "cases", "share", "weighted", "weighted_share",
                      "change", "rejected")
