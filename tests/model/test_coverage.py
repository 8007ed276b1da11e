"""Comparing runs of a table: coverage (counts and shares per result and legal effect) and
changes (the rows whose result differs between two rulesets)."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nonpunish
from nonpunish import InputError, NonpunishError
from nonpunish._outcome import RESULTS
from nonpunish._paths import shipped_root
from strategies import AS_OF

pl = pytest.importorskip("polars")

S45 = "uk-ew/modern-slavery-act-2015/s45"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "tables"
INTAKE = EXAMPLES / "intake.csv"
MAPPING = EXAMPLES / "intake-mapping.yaml"
DRUGS = "uk-ew/misuse-of-drugs-act-1971/s4-2"


def _variant(folder: Path, level: str) -> Path:
    """s45 with ``finding_true_from`` lowered to ``level``, beside a copy of Schedule 4."""
    source = shipped_root() / "uk-ew" / "modern-slavery-act-2015"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "schedule-4.yaml", folder)
    text = (source / "s45.yaml").read_text(encoding="utf-8")
    assert "finding_true_from: evidence_raised" in text
    path = folder / f"s45-{level}.yaml"
    path.write_text(text.replace("finding_true_from: evidence_raised",
                                 f"finding_true_from: {level}"), encoding="utf-8")
    return path


def _intake(**kwargs: Any) -> nonpunish.TableOutcome:
    return nonpunish.evaluate_table(INTAKE, S45, mapping=MAPPING, weights="gewicht",
                                    as_of=AS_OF, **kwargs)


# --- coverage ---------------------------------------------------------------------------------

def test_coverage_matches_the_summary() -> None:
    out = _intake()
    cov = nonpunish.coverage(out)
    assert cov.columns == ["label", "result", "legal_effect", "cases", "weighted", "share",
                           "weighted_share", "rejected"]
    assert set(cov.get_column("label").to_list()) == {S45}
    summary = out.summary()
    per_result = {r: sum(c for res, c in cov.select("result", "cases").iter_rows() if res == r)
                  for r in RESULTS}
    assert per_result == summary.results
    assert summary.weighted is not None
    weighted = {r: sum(w for res, w in cov.select("result", "weighted").iter_rows() if res == r)
                for r in RESULTS}
    assert weighted == pytest.approx(summary.weighted)
    assert math.isclose(cov.get_column("share").sum(), 1.0)
    assert math.isclose(cov.get_column("weighted_share").sum(), 1.0)
    # Weighted shares use the weights (gewicht), not the head count: 3 of 7 rows are
    # undetermined, but they weigh 6 of 10.
    undetermined = cov.filter(pl.col("result") == "undetermined").row(0, named=True)
    assert undetermined["cases"] == 3
    assert undetermined["share"] == pytest.approx(3 / 7)
    assert undetermined["weighted"] == pytest.approx(6.0)
    assert undetermined["weighted_share"] == pytest.approx(6 / 10)
    # The legal effect is kept apart: the protected band is not_guilty, the others have none.
    assert cov.filter(pl.col("result") == "protected").select(
        "legal_effect", "cases").rows() == [("not_guilty", 1)]
    assert cov.filter(pl.col("result") != "protected").get_column(
        "legal_effect").null_count() == len(RESULTS) - 1
    assert cov.get_column("rejected").to_list() == [0] * cov.height


def test_coverage_gives_every_result_a_row_and_counts_rejected_rows_apart() -> None:
    table = pl.read_csv(INTAKE, infer_schema=False).drop("gewicht").with_columns(
        pl.when(pl.col("dossier") == "A-01").then(pl.lit("oplichting"))
        .otherwise(pl.col("delict")).alias("delict"))
    out = nonpunish.evaluate_table(table, S45, mapping=MAPPING, as_of=AS_OF)
    cov = nonpunish.coverage(out, labels=["bad A-01"])
    assert cov.get_column("result").cast(pl.String).to_list() == list(RESULTS)
    protected = cov.filter(pl.col("result") == "protected").row(0, named=True)
    assert (protected["cases"], protected["share"], protected["legal_effect"]) == (0, 0.0, None)
    assert cov.get_column("cases").sum() == 6  # the rejected row is in no band
    assert cov.get_column("rejected").to_list() == [1] * cov.height
    assert math.isclose(cov.get_column("share").sum(), 1.0)
    # Without weights the weighted columns are null, never a copy of the head count.
    assert cov.get_column("weighted").null_count() == cov.height
    assert cov.get_column("weighted_share").null_count() == cov.height


def test_coverage_of_several_runs_is_one_long_table(tmp_path: Path) -> None:
    out = _intake()
    lowered = nonpunish.evaluate_table(INTAKE, _variant(tmp_path, "slight_indication"),
                                       mapping=MAPPING, weights="gewicht", as_of=AS_OF)
    cov = nonpunish.coverage(out, lowered, labels=["as enacted", "lowered"])
    assert cov.get_column("label").unique(maintain_order=True).to_list() == [
        "as enacted", "lowered"]
    for label in ("as enacted", "lowered"):
        part = cov.filter(pl.col("label") == label)
        assert part.get_column("cases").sum() == 7
        assert math.isclose(part.get_column("share").sum(), 1.0)
    # Both runs carry the same ruleset id, so without labels they cannot be told apart.
    with pytest.raises(InputError) as err:
        nonpunish.coverage(out, lowered)
    assert err.value.code == "invalid_value"
    with pytest.raises(InputError):
        nonpunish.coverage(out, lowered, labels=["only one"])


# --- changes ----------------------------------------------------------------------------------

def _evidence() -> pl.DataFrame:
    """The last example of the modelling tutorial: B-1 has slight indications only."""
    return pl.DataFrame({
        "case_id": ["B-1", "B-2"], "age_at_act": ["16", "16"], "offence": [DRUGS] * 2,
        "act_date": ["2021-03-02"] * 2, "victim_of_trafficking": ["true"] * 2,
        "exploitation_types": ["forced_criminality"] * 2,
        "act_direct_consequence_of_exploitation": ["slight_indication", "evidence_raised"],
        "reasonable_person_would_do_act": ["slight_indication", "evidence_raised"]})


def test_changes_lists_exactly_the_row_a_lowered_burden_protects(tmp_path: Path) -> None:
    variant = _variant(tmp_path, "slight_indication")
    before = nonpunish.evaluate_table(_evidence(), S45, as_of=AS_OF)
    after = nonpunish.evaluate_table(_evidence(), variant, as_of=AS_OF)
    diff = nonpunish.changes(before, after)
    assert diff.columns == ["row", "case_id", "result_before", "result_after",
                            "legal_effect_before", "legal_effect_after", "limb_before",
                            "limb_after"]
    assert diff.rows() == [(1, "B-1", "not_protected", "protected", None, "not_guilty",
                            "child", "child")]
    assert nonpunish.changes(before, before).height == 0


def test_changes_shows_the_deciding_elements_when_both_runs_explain(tmp_path: Path) -> None:
    variant = _variant(tmp_path, "slight_indication")
    before = nonpunish.evaluate_table(_evidence(), S45, as_of=AS_OF, explain=True)
    after = nonpunish.evaluate_table(_evidence(), variant, as_of=AS_OF, explain=True)
    diff = nonpunish.changes(before, after)
    assert diff.columns[-2:] == ["deciding_before", "deciding_after"]
    assert diff.get_column("row").to_list() == [1]
    row = diff.row(0, named=True)
    assert row["deciding_before"] == before.results.row(0, named=True)["deciding_elements"]
    assert row["deciding_after"] == after.results.row(0, named=True)["deciding_elements"]
    assert row["deciding_before"] != row["deciding_after"]
    # Only one run explained: no deciding columns.
    plain = nonpunish.evaluate_table(_evidence(), variant, as_of=AS_OF)
    assert "deciding_before" not in nonpunish.changes(before, plain).columns


def test_changes_refuses_runs_of_different_tables() -> None:
    two = nonpunish.evaluate_table(_evidence(), S45, as_of=AS_OF)
    one = nonpunish.evaluate_table(_evidence().head(1), S45, as_of=AS_OF)
    with pytest.raises(NonpunishError) as err:
        nonpunish.changes(two, one)
    assert err.value.code == "tables_differ"
    # Same number of rows, but another row rejected.
    bad = _evidence().with_columns(pl.Series("act_date", ["2021-03-02", "not a date"]))
    rejected = nonpunish.evaluate_table(bad, S45, as_of=AS_OF)
    assert rejected.rejects.height == 1
    with pytest.raises(NonpunishError) as err:
        nonpunish.changes(two, rejected)
    assert err.value.code == "tables_differ"
    # Same rows, other case ids.
    renamed = nonpunish.evaluate_table(
        _evidence().with_columns(pl.Series("case_id", ["C-1", "C-2"])), S45, as_of=AS_OF)
    with pytest.raises(NonpunishError) as err:
        nonpunish.changes(two, renamed)
    assert err.value.code == "tables_differ"


# --- monotonicity of the burden ---------------------------------------------------------------

#: The levels below evidence_raised a ruleset may take (no_evidence is refused by the schema).
LOWER_LEVELS = ("slight_indication",)
EVIDENCE_FINDINGS = ("victim_of_trafficking", "compelled", "compulsion_is_exploitation_conduct",
                     "compulsion_direct_consequence_of_exploitation",
                     "reasonable_person_no_realistic_alternative",
                     "act_direct_consequence_of_exploitation", "reasonable_person_would_do_act")
FINDING_CELLS = st.sampled_from([None, "true", "false", "not_assessed", "no_evidence",
                                 "slight_indication", "evidence_raised",
                                 "balance_of_probabilities", "beyond_reasonable_doubt"])


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, nonpunish.Ruleset]:
    folder = tmp_path_factory.mktemp("variants")
    return {lv: nonpunish.load_ruleset(_variant(folder / lv, lv)) for lv in LOWER_LEVELS}


@st.composite
def tables(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(1, 12))
    data: dict[str, list[Any]] = {
        "age_at_act": draw(st.lists(st.sampled_from(["15", "17", "18", "30", None]),
                                    min_size=n, max_size=n)),
        "offence": [DRUGS] * n, "act_date": ["2021-03-02"] * n,
        "exploitation_types": ["forced_criminality"] * n,
    }
    for name in EVIDENCE_FINDINGS:
        data[name] = draw(st.lists(FINDING_CELLS, min_size=n, max_size=n))
    return pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))


@settings(max_examples=40)
@given(table=tables(), level=st.sampled_from(LOWER_LEVELS))
def test_lowering_the_burden_never_takes_protection_away(
        variants: dict[str, nonpunish.Ruleset], table: pl.DataFrame, level: str) -> None:
    before = nonpunish.evaluate_table(table, S45, as_of=AS_OF)
    after = nonpunish.evaluate_table(table, variants[level], as_of=AS_OF)
    diff = nonpunish.changes(before, after)
    lost = diff.filter(pl.col("result_before") == "protected")
    assert lost.height == 0, lost.rows()
    # And nothing becomes less favourable than it was: a not_protected row may become
    # protected or undetermined, an undetermined one protected, never the other way.
    worse = diff.filter((pl.col("result_before") == "undetermined")
                        & (pl.col("result_after") == "not_protected"))
    assert worse.height == 0, worse.rows()
