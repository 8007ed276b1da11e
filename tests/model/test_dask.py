"""The batch run over a Dask DataFrame: the same outcome as the whole table at once, on the
local scheduler and on a small local cluster of worker processes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import nonpunish

dd = pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")
pl = pytest.importorskip("polars")

AS_OF = dt.date(2026, 11, 1)
S45 = "uk-ew/modern-slavery-act-2015/s45"
SPEC = Path(__file__).parents[2] / "examples" / "tables" / "synthetic-population.yaml"


@pytest.fixture(scope="module")
def population() -> Any:
    table = nonpunish.synthesise(SPEC, 3_000, seed=7)
    # One bad row, in the last partition: its row number must count from the table's start.
    return table.with_columns(
        pl.when(pl.int_range(pl.len()) == 2_900).then(pl.lit("no-such-category"))
        .otherwise(pl.col("offence_category")).alias("offence_category"))


def _same(out: nonpunish.TableOutcome, whole: nonpunish.TableOutcome) -> None:
    assert out.rows == whole.rows
    assert out.results.equals(whole.results)
    assert out.rejects.select("row", "column", "code").equals(
        whole.rejects.select("row", "column", "code"))


def test_partitions_on_the_local_scheduler_give_the_whole_tables_outcome(population: Any
                                                                         ) -> None:
    whole = nonpunish.evaluate_table(population, S45, as_of=AS_OF, explain=True)
    assert whole.rejects.get_column("row").unique().to_list() == [2_901]
    ddf = dd.from_pandas(population.to_pandas(), npartitions=5)
    out = nonpunish.evaluate_dask(ddf, S45, as_of=AS_OF, explain=True)
    _same(out, whole)
    assert out.engine.endswith("(dask)")


def test_a_local_cluster_of_worker_processes(population: Any) -> None:
    distributed = pytest.importorskip("distributed")
    variant = "nl/proposal/273f-non-punishment@ckm-fier"
    whole = nonpunish.evaluate_table(population, variant, as_of=AS_OF)
    ddf = dd.from_pandas(population.to_pandas(), npartitions=4)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        out = nonpunish.evaluate_dask(ddf, variant, as_of=AS_OF, address=cluster.scheduler_address)
    _same(out, whole)


def test_a_mapping_travels_as_data(tmp_path: Path, population: Any) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns: {categorie: offence_category}\n", encoding="utf-8")
    renamed = population.rename({"offence_category": "categorie"})
    whole = nonpunish.evaluate_table(renamed, S45, as_of=AS_OF, mapping=mapping)
    ddf = dd.from_pandas(renamed.to_pandas(), npartitions=3)
    _same(nonpunish.evaluate_dask(ddf, S45, as_of=AS_OF, mapping=mapping), whole)


def test_not_a_dask_frame_is_a_clear_error(population: Any) -> None:
    with pytest.raises(nonpunish.InputError) as err:
        nonpunish.evaluate_dask(population, S45, as_of=AS_OF)
    assert err.value.code == "invalid_value"
