"""Beyond one machine: :func:`evaluate_dask`, the batch run over a Dask DataFrame.

Each partition is evaluated by :func:`nonpunish.evaluate_table` (the vectorised engine) where
it lives: on Dask's local scheduler by default, or on a cluster when its address is given. The
results come back as one :class:`TableOutcome`, with row numbers counted over the whole table.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._batch import TableOutcome, evaluate_table, load_mapping, require_polars
from ._errors import InputError, NonpunishError
from ._ruleset import Ruleset


def _require_dask() -> None:
    try:
        import dask.dataframe  # noqa: F401
    except ImportError:
        raise NonpunishError(
            "evaluating a Dask DataFrame needs dask, which is not installed: "
            "pip install 'nonpunish[dask]'", code="missing_dependency") from None


def _partition(part: Any, ruleset: str | Path | Ruleset, as_of: dt.date,
               mapping: Mapping[str, Any] | None, weights: str | None,
               explain: bool) -> TableOutcome:
    """One partition (a pandas DataFrame), evaluated where it lives."""
    return evaluate_table(part, ruleset, as_of=as_of, mapping=mapping, weights=weights,
                          explain=explain)


def evaluate_dask(table: Any, ruleset: str | Path | Ruleset, *, as_of: dt.date | None = None,
                  mapping: Mapping[str, Any] | str | Path | None = None,
                  weights: str | None = None, explain: bool = False,
                  address: str | None = None) -> TableOutcome:
    """Evaluate every row of a Dask DataFrame of cases, one partition at a time.

    The columns are those of :func:`evaluate_table`, and so are ``ruleset``, ``as_of``,
    ``mapping``, ``weights`` and ``explain``; the outcome is the same as evaluating the whole
    table at once (``row`` counts from the first row of the first partition). ``address``:
    the scheduler of a Dask cluster (``"tcp://10.0.0.5:8786"``); by default the partitions run
    on Dask's local threaded scheduler. The mapping is read and checked here, before any work
    is sent out, and travels as data, so workers need no access to its file.
    """
    require_polars()
    _require_dask()
    import polars as pl

    # dask ships no type information: its modules are used as Any.
    dask: Any = importlib.import_module("dask")
    dd: Any = importlib.import_module("dask.dataframe")

    if not isinstance(table, dd.DataFrame):
        raise InputError(f"expected a Dask DataFrame, not {type(table).__name__}",
                         code="invalid_value", location="table")
    as_of = as_of or dt.date.today()
    cmap = load_mapping(mapping)
    plain = None if mapping is None else {
        "columns": dict(cmap.columns), "values": {k: dict(v) for k, v in cmap.values.items()},
        "ignore": sorted(cmap.ignore)}

    def run(*work: Any) -> tuple[Any, ...]:
        if address is None:
            return tuple(dask.compute(*work, scheduler="threads"))
        distributed: Any = importlib.import_module("distributed")
        with distributed.Client(address) as client:
            return tuple(client.compute(list(work), sync=True))

    lengths = [int(n) for n in run(*(dask.delayed(len)(p) for p in table.to_delayed()))]
    parts = [(p, n) for p, n in zip(table.to_delayed(), lengths, strict=True) if n]
    if not parts:
        return evaluate_table(pl.DataFrame(), ruleset, as_of=as_of, weights=weights,
                              explain=explain)
    outs: list[TableOutcome] = list(run(*(
        dask.delayed(_partition)(p, ruleset, as_of, plain, weights, explain)
        for p, _ in parts)))
    offset, results, rejects = 0, [], []
    for out, (_, n) in zip(outs, parts, strict=True):
        results.append(out.results.with_columns(pl.col("row") + offset))
        rejects.append(out.rejects.with_columns(pl.col("row") + offset))
        offset += n
    first = outs[0]
    return TableOutcome(
        results=pl.concat(results, how="vertical_relaxed"),
        rejects=pl.concat(rejects, how="vertical_relaxed"),
        rows=offset, ruleset_id=first.ruleset_id,
        ruleset_content_hash=first.ruleset_content_hash, engine=f"{first.engine} (dask)",
        as_of=first.as_of, library_version=first.library_version)
