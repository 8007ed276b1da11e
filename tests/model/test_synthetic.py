"""Synthetic populations: ``nonpunish.synthesise`` draws rows, reproducibly, in the column
format ``evaluate_table`` reads, with the shares the spec states; a bad spec is refused with
a coded error naming the field."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import nonpunish
from nonpunish import FileFormatError, InputError, NonpunishError
from nonpunish._batch import _values_of, column_kinds
from nonpunish._offences import categories
from strategies import AS_OF

pl = pytest.importorskip("polars")
pytest.importorskip("numpy")

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "examples" / "tables" / "synthetic-population.yaml"
S45 = "uk-ew/modern-slavery-act-2015/s45"
LEVELS = [lv.value for lv in nonpunish.EvidenceLevel]
#: A share drawn from 100,000 rows is within this of the stated one (over six standard
#: deviations for any share).
TOLERANCE = 0.01


def spec_data() -> dict[str, Any]:
    data = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def population() -> pl.DataFrame:
    return nonpunish.synthesise(SPEC, 100_000, seed=2026)


def shares(column: pl.Series) -> dict[Any, float]:
    counts = column.value_counts()
    return {value: n / column.len() for value, n in counts.iter_rows()}


# --- reproducible --------------------------------------------------------------------------------

def test_the_same_seed_gives_the_same_table() -> None:
    first = nonpunish.synthesise(SPEC, 5_000, seed=11)
    again = nonpunish.synthesise(SPEC, 5_000, seed=11)
    assert first.equals(again)


def test_different_seeds_give_different_tables() -> None:
    one = nonpunish.synthesise(SPEC, 5_000, seed=11)
    two = nonpunish.synthesise(SPEC, 5_000, seed=12)
    assert one.columns == two.columns
    for name in ("offence_category", "age_at_act", "act_date", "compelled"):
        assert not one.get_column(name).equals(two.get_column(name)), name


def test_a_file_and_the_same_mapping_give_the_same_table() -> None:
    assert nonpunish.synthesise(spec_data(), 2_000, seed=5).equals(
        nonpunish.synthesise(SPEC, 2_000, seed=5))


def test_adding_a_fact_leaves_the_other_columns_as_they_were() -> None:
    data = spec_data()
    before = nonpunish.synthesise(data, 3_000, seed=9)
    data["facts"] = {**data["facts"], "victim_of_slavery": {"true": 1, "unknown": 1}}
    after = nonpunish.synthesise(data, 3_000, seed=9)
    assert after.drop("victim_of_slavery").equals(before)


def test_the_first_rows_of_a_longer_table_are_the_shorter_table() -> None:
    short = nonpunish.synthesise(SPEC, 1_000, seed=4)
    long = nonpunish.synthesise(SPEC, 4_000, seed=4)
    assert long.head(1_000).equals(short)


# --- the column format ---------------------------------------------------------------------------

def test_columns_and_types(population: pl.DataFrame) -> None:
    data = spec_data()
    assert population.columns == ["offence_category", "age_at_act", "act_date",
                                  "exploitation_types", *data["facts"], *data["fixed"]]
    assert population.height == 100_000
    schema = population.schema
    assert schema["offence_category"] == pl.String
    assert schema["age_at_act"] == pl.Int16
    assert schema["act_date"] == pl.Date
    assert schema["exploitation_types"] == pl.String
    # A finding with evidence levels is text; one of true/false/unknown only is boolean.
    assert schema["compelled"] == pl.String
    assert schema["victim_of_trafficking"] == pl.Boolean
    assert schema["conduct"] == pl.String


def test_zero_rows_is_an_empty_table_with_the_columns() -> None:
    empty = nonpunish.synthesise(SPEC, 0, seed=1)
    assert empty.height == 0
    assert "offence_category" in empty.columns
    out = nonpunish.evaluate_table(empty, S45, as_of=AS_OF)
    assert out.rows == 0
    assert out.results.height == 0


@pytest.mark.parametrize("ruleset", [
    S45, "nl/proposal/273f-non-punishment@ckm-fier", "be/code-penal-2024/art-264",
    "es/codigo-penal/art-177-bis-11", "uk-sc/hte-act-2015/s8"])
def test_every_row_is_accepted_by_evaluate_table(population: pl.DataFrame,
                                                 ruleset: str) -> None:
    table = population.head(20_000)
    out = nonpunish.evaluate_table(table, ruleset, as_of=AS_OF)
    assert out.rejects.height == 0, out.rejects.head()
    assert out.results.height == table.height


def _every_fact_spec() -> dict[str, Any]:
    """A spec that gives every fact of the vocabulary every outcome it can have."""
    facts: dict[str, dict[str, float]] = {}
    for name, kind in column_kinds().items():
        if name == "offence_category":
            continue
        if kind == "finding":
            facts[name] = dict.fromkeys(("true", "false", "unknown", *LEVELS), 1.0)
        elif kind == "plain":
            facts[name] = {"true": 1.0, "false": 1.0, "unknown": 1.0}
        elif kind == "choice":
            facts[name] = {**dict.fromkeys(_values_of(name), 1.0), "unknown": 1.0}
    return {
        "offence_category": dict.fromkeys(categories(), 1.0),
        "age_at_act": [{"min": 0, "max": 120, "weight": 1}, {"unknown": True, "weight": 1}],
        "act_date": {"earliest": "1990-01-01", "latest": "2026-10-31", "unknown": 0.5},
        "exploitation_types": {**dict.fromkeys(_values_of("exploitation_types"), 0.5),
                               "unknown": 0.2},
        "facts": facts,
        "fixed": {"decision_date": "2026-11-01"},
    }


def test_every_outcome_of_every_fact_is_accepted() -> None:
    table = nonpunish.synthesise(_every_fact_spec(), 20_000, seed=3)
    for name, dist in _every_fact_spec()["facts"].items():
        seen = {("unknown" if v is None else str(v).lower())
                for v in table.get_column(name).unique().to_list()}
        assert seen == set(dist), name
    out = nonpunish.evaluate_table(table, S45, as_of=AS_OF)
    assert out.rejects.height == 0, out.rejects.head()


@settings(max_examples=25, deadline=None)
@given(category=st.sampled_from(sorted(categories())),
       fact=st.sampled_from(["compelled", "victim_of_trafficking",
                             "act_direct_consequence_of_exploitation"]),
       outcomes=st.sets(st.sampled_from(["true", "false", "unknown", *LEVELS]), min_size=1),
       low=st.integers(0, 120), width=st.integers(0, 30), seed=st.integers(0, 2**32))
def test_any_small_spec_gives_rows_that_are_all_accepted(
        category: str, fact: str, outcomes: set[str], low: int, width: int,
        seed: int) -> None:
    spec = {"offence_category": {category: 1},
            "age_at_act": [{"min": low, "max": min(120, low + width), "weight": 1}],
            "act_date": {"earliest": "2010-01-01", "latest": "2026-01-01"},
            "facts": {fact: dict.fromkeys(sorted(outcomes), 1)}}
    table = nonpunish.synthesise(spec, 200, seed=seed)
    out = nonpunish.evaluate_table(table, S45, as_of=AS_OF)
    assert out.rejects.height == 0
    ages = table.get_column("age_at_act")
    assert low <= ages.min() <= ages.max() <= min(120, low + width)


# --- the stated shares ---------------------------------------------------------------------------

def test_offence_categories_have_their_weights(population: pl.DataFrame) -> None:
    weights = spec_data()["offence_category"]
    total = sum(weights.values())
    got = shares(population.get_column("offence_category"))
    assert set(got) == set(weights)
    for name, weight in weights.items():
        assert got[name] == pytest.approx(weight / total, abs=TOLERANCE), name


def test_ages_fall_in_their_bands_with_their_weights(population: pl.DataFrame) -> None:
    bands = spec_data()["age_at_act"]
    total = sum(b["weight"] for b in bands)
    ages = population.get_column("age_at_act")
    for band in bands:
        if band.get("unknown"):
            share = ages.null_count() / ages.len()
        else:
            inside = ages.is_between(band["min"], band["max"]).sum()
            share = inside / ages.len()
            # Uniform within the band: both ends are drawn.
            values = set(ages.filter(ages.is_between(band["min"], band["max"])).to_list())
            assert {band["min"], band["max"]} <= values
        assert share == pytest.approx(band["weight"] / total, abs=TOLERANCE), band
    known = ages.drop_nulls()
    assert known.min() == min(b["min"] for b in bands if "min" in b)
    assert known.max() == max(b["max"] for b in bands if "max" in b)


def test_act_dates_are_in_the_range(population: pl.DataFrame) -> None:
    stated = spec_data()["act_date"]
    dates = population.get_column("act_date")
    assert dates.null_count() / dates.len() == pytest.approx(stated["unknown"], abs=TOLERANCE)
    assert dates.min() == stated["earliest"]
    assert dates.max() == stated["latest"]
    # Uniform: about half the known dates fall in the first half of the range.
    middle = stated["earliest"] + (stated["latest"] - stated["earliest"]) / 2
    known = dates.drop_nulls()
    assert (known <= middle).sum() / known.len() == pytest.approx(0.5, abs=TOLERANCE)


def test_exploitation_types_have_their_probabilities(population: pl.DataFrame) -> None:
    stated = spec_data()["exploitation_types"]
    column = population.get_column("exploitation_types")
    assert column.null_count() / column.len() == pytest.approx(stated["unknown"],
                                                               abs=TOLERANCE)
    known = column.drop_nulls().str.split(";")
    for value in _values_of("exploitation_types"):
        share = known.list.contains(value).sum() / known.len()
        assert share == pytest.approx(stated.get(value, 0.0), abs=TOLERANCE), value
    # Drawn independently: a row has none of them as often as the product says.
    none = 1.0
    for value, p in stated.items():
        if value != "unknown":
            none *= 1 - p
    assert (column.drop_nulls() == "none").sum() / known.len() == pytest.approx(
        none, abs=TOLERANCE)


def test_facts_have_their_weights(population: pl.DataFrame) -> None:
    for name, dist in spec_data()["facts"].items():
        total = sum(dist.values())
        got = shares(population.get_column(name))
        for outcome, weight in dist.items():
            key = {"unknown": None, True: True, False: False}.get(outcome, outcome)
            if population.schema[name] == pl.String and isinstance(outcome, bool):
                key = str(outcome).lower()
            assert got.get(key, 0.0) == pytest.approx(weight / total, abs=TOLERANCE), (
                name, outcome)


def test_fixed_values_are_on_every_row(population: pl.DataFrame) -> None:
    for name, value in spec_data()["fixed"].items():
        assert population.get_column(name).unique().to_list() == [value]


def test_fixed_offence_decision_date_and_set() -> None:
    table = nonpunish.synthesise(
        {"fixed": {"offence": "uk-ew/theft-act-1968/s1", "decision_date": "2026-01-31",
                   "exploitation_types": ["forced_labour", "forced_begging"],
                   "victim_of_trafficking": "evidence_raised", "compelled": None}},
        10, seed=0)
    assert table.columns == ["offence", "decision_date", "exploitation_types",
                             "victim_of_trafficking", "compelled"]
    assert table.row(0) == ("uk-ew/theft-act-1968/s1", dt.date(2026, 1, 31),
                            "forced_labour;forced_begging", "evidence_raised", None)
    out = nonpunish.evaluate_table(table, S45, as_of=AS_OF)
    assert out.rejects.height == 0


def test_a_million_rows_take_a_few_seconds() -> None:
    start = time.perf_counter()
    table = nonpunish.synthesise(SPEC, 1_000_000, seed=1)
    elapsed = time.perf_counter() - start
    assert table.height == 1_000_000
    assert elapsed < 10, f"{elapsed:.1f} s"


# --- synthetic, and said to be ----------------------------------------------------------------

def test_it_is_documented_as_synthetic() -> None:
    doc = " ".join((nonpunish.synthesise.__doc__ or "").split())
    assert "synthetic" in doc
    assert "never data about real people" in doc
    text = SPEC.read_text(encoding="utf-8")
    assert "illustrative, not statistics" in text
    assert "never data about real people" in text


# --- bad specs -------------------------------------------------------------------------------

BASE: dict[str, Any] = {"offence_category": {"theft": 1}}


@pytest.mark.parametrize(("spec", "code", "where"), [
    ({**BASE, "population": 10}, "unknown_field", "population"),
    ({**BASE, "age_at_act": [{"min": 1, "max": 2, "weight": 1, "mean": 3}]}, "unknown_field",
     "age_at_act[0].mean"),
    ({"offence_category": {"thef": 1}}, "unknown_category", "offence_category.thef"),
    ({"offence_category": {"theft": -1}}, "invalid_value", "offence_category.theft"),
    ({"offence_category": {"theft": 0}}, "invalid_value", "offence_category"),
    ({"offence_category": {"theft": "many"}}, "invalid_type", "offence_category.theft"),
    ({"offence_category": {}}, "invalid_value", "offence_category"),
    ({}, "missing_field", "offence_category"),
    ({**BASE, "facts": {"compeled": {"true": 1}}}, "unknown_fact", "facts.compeled"),
    ({**BASE, "facts": {"age_at_act": {"true": 1}}}, "unknown_fact", "facts.age_at_act"),
    ({**BASE, "facts": {"exploitation_types": {"other": 1}}}, "unknown_fact",
     "facts.exploitation_types"),
    ({**BASE, "facts": {"compelled": {"evidence_rised": 1}}}, "fact_value",
     "facts.compelled.evidence_rised"),
    ({**BASE, "facts": {"serious_offending": {"evidence_raised": 1}}}, "fact_value",
     "facts.serious_offending.evidence_raised"),
    ({**BASE, "facts": {"participation": {"lookout": 1}}}, "fact_value",
     "facts.participation.lookout"),
    ({**BASE, "facts": {"compelled": {"true": True}}}, "invalid_type", "facts.compelled.true"),
    ({**BASE, "age_at_act": [{"min": 20, "max": 10, "weight": 1}]}, "invalid_value",
     "age_at_act[0].min"),
    ({**BASE, "age_at_act": [{"min": 20, "weight": 1}]}, "missing_field", "age_at_act[0]"),
    ({**BASE, "age_at_act": [{"min": 20, "max": 130, "weight": 1}]}, "invalid_value",
     "age_at_act[0].max"),
    ({**BASE, "age_at_act": [{"unknown": True, "min": 3, "weight": 1}]}, "invalid_value",
     "age_at_act[0]"),
    ({**BASE, "age_at_act": [{"min": 1, "max": 2}]}, "missing_field", "age_at_act[0].weight"),
    ({**BASE, "age_at_act": []}, "invalid_value", "age_at_act"),
    ({**BASE, "act_date": {"earliest": "2020-01-01", "latest": "2019-01-01"}}, "date_range",
     "act_date.earliest"),
    ({**BASE, "act_date": {"earliest": "2020-13-01", "latest": "2021-01-01"}},
     "invalid_type", "act_date.earliest"),
    ({**BASE, "act_date": {"earliest": "2020-01-01", "latest": "2021-01-01", "unknown": 2}},
     "invalid_value", "act_date.unknown"),
    ({**BASE, "exploitation_types": {"forced_crime": 0.5}}, "fact_value",
     "exploitation_types.forced_crime"),
    ({**BASE, "exploitation_types": {"forced_labour": 1.5}}, "invalid_value",
     "exploitation_types.forced_labour"),
    ({**BASE, "fixed": {"compelled": "yes"}}, "fact_value", "fixed.compelled"),
    ({**BASE, "fixed": {"offence_category": "theft"}}, "invalid_value",
     "fixed.offence_category"),
    ({**BASE, "fixed": {"offence": "uk-ew/theft-act-1968/s1"}}, "invalid_value",
     "fixed.offence"),
    ({"fixed": {"offence": "uk-ew/no-such-act/s1"}}, "unknown_offence", "fixed.offence"),
    ({"fixed": {"offence_category": "thef"}}, "unknown_category", "fixed.offence_category"),
    ({**BASE, "fixed": {"victim": True}}, "unknown_fact", "fixed.victim"),
    ({**BASE, "fixed": {"age_at_act": 16}}, "unknown_fact", "fixed.age_at_act"),
    ({**BASE, "fixed": {"exploitation_types": ["slavery"]}}, "fact_value",
     "fixed.exploitation_types"),
    ({**BASE, "facts": {"compelled": {"true": 1}}, "fixed": {"compelled": True}},
     "invalid_value", "fixed.compelled"),
    ({**BASE, "fixed": {"decision_date": "soon"}}, "invalid_type", "fixed.decision_date"),
    ({**BASE, "act_date": {"earliest": "2020-01-01", "latest": "2024-01-01"},
      "fixed": {"decision_date": "2022-01-01"}}, "date_range", "fixed.decision_date"),
    ({**BASE, "schema": "nonpunish-synthetic/2"}, "invalid_value", "schema"),
])
def test_a_bad_spec_is_refused_with_its_code_and_field(spec: dict[str, Any], code: str,
                                                       where: str) -> None:
    with pytest.raises(InputError) as info:
        nonpunish.synthesise(spec, 10, seed=0)
    assert info.value.code == code, str(info.value)
    assert info.value.location == where, str(info.value)
    assert "Traceback" not in str(info.value)


def test_a_close_name_is_suggested() -> None:
    with pytest.raises(InputError, match="did you mean 'compelled'"):
        nonpunish.synthesise({**BASE, "facts": {"compeled": {"true": 1}}}, 1, seed=0)


def test_every_problem_is_listed() -> None:
    spec = {"offence_category": {"thef": 1},
            "facts": {"compeled": {"true": 1}, "compelled": {"maybe": 1}}}
    with pytest.raises(InputError) as info:
        nonpunish.synthesise(spec, 1, seed=0)
    assert [d.code for d in info.value.details] == ["unknown_category", "unknown_fact",
                                                     "fact_value"]


def test_an_error_in_a_file_names_the_file_and_line(tmp_path: Path) -> None:
    text = SPEC.read_text(encoding="utf-8").replace(
        "  compelled: {evidence_raised: 45", "  compelled: {evidence_rased: 45")
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "evidence_rased" in t)
    with pytest.raises(InputError) as info:
        nonpunish.synthesise(path, 10, seed=0)
    assert info.value.code == "fact_value"
    assert info.value.location == f"{path}:{line} (facts.compelled.evidence_rased)"


def test_a_schema_error_in_a_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("offence_category:\n  theft: 1\nage_at_act:\n  - {min: 1, max: 2}\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as info:
        nonpunish.synthesise(path, 10, seed=0)
    assert info.value.code == "missing_field"
    assert info.value.location == f"{path}:4 (age_at_act[0].weight)"


@pytest.mark.parametrize(("text", "code"), [
    ("", "empty_file"),
    ("- theft\n", "not_a_mapping"),
    ("offence_category: !!python/object {}\n", "yaml_tag"),
    ("offence_category: {theft: 1\n", "yaml_syntax"),
])
def test_a_malformed_file_is_a_file_format_error(tmp_path: Path, text: str, code: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FileFormatError) as info:
        nonpunish.synthesise(path, 10, seed=0)
    assert info.value.code == code
    assert str(path) in str(info.value.location)


def test_no_such_file(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError) as info:
        nonpunish.synthesise(tmp_path / "missing.yaml", 10, seed=0)
    assert info.value.code == "file_not_found"


@pytest.mark.parametrize(("n", "seed", "where"), [
    (-1, 0, "n"), (1.5, 0, "n"), (True, 0, "n"), (10, -1, "seed"), (10, "x", "seed"),
    (10, False, "seed")])
def test_bad_row_count_or_seed(n: Any, seed: Any, where: str) -> None:
    with pytest.raises(InputError) as info:
        nonpunish.synthesise(SPEC, n, seed=seed)
    assert info.value.code == "invalid_value"
    assert info.value.location == where


def test_a_spec_of_the_wrong_type() -> None:
    with pytest.raises(InputError) as info:
        nonpunish.synthesise(42, 10, seed=0)  # type: ignore[arg-type]
    assert info.value.code == "invalid_type"


def test_missing_numpy_is_the_missing_dependency_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numpy", None)  # makes `import numpy` fail
    with pytest.raises(NonpunishError) as info:
        nonpunish.synthesise(SPEC, 10, seed=0)
    assert info.value.code == "missing_dependency"
    assert "nonpunish[model]" in str(info.value)
