"""Tables of cases: reading files, mapping a modeller's columns and codes, weights, rejected
rows, the summary, and the optional dependency on polars."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nonpunish
from nonpunish import InputError, NonpunishError
from nonpunish._dates import age_on
from strategies import AS_OF

pl = pytest.importorskip("polars")

S45 = "uk-ew/modern-slavery-act-2015/s45"
ADULT = {
    "offence": "uk-ew/misuse-of-drugs-act-1971/s4-3",
    "date_of_birth": "1990-01-01",
    "act_date": "2020-06-01",
    "victim_of_trafficking": "true",
    "exploitation_types": "forced_criminality",
    "compelled": "true",
    "compulsion_is_exploitation_conduct": "true",
    "reasonable_person_no_realistic_alternative": "evidence_raised",
}


def _table(*rows: dict[str, Any]) -> pl.DataFrame:
    names = list(dict.fromkeys(k for r in rows for k in r))
    return pl.DataFrame({n: [r.get(n) for r in rows] for n in names})


def _results(out: nonpunish.TableOutcome) -> list[str]:
    return out.results.get_column("result").cast(pl.String).to_list()


# --- the basics -------------------------------------------------------------------------------

def test_a_table_gets_one_result_per_row_in_order() -> None:
    table = _table(
        {**ADULT, "case_id": "a"},
        {**ADULT, "case_id": "b", "offence": "uk-ew/theft-act-1968/s8"},
        {**ADULT, "case_id": "c", "act_date": "2014-06-01"},
        {**ADULT, "case_id": "d", "compelled": "false"},
        {"case_id": "e", "offence": "uk-ew/theft-act-1968/s1"},
    )
    out = nonpunish.evaluate_table(table, S45, as_of=AS_OF)
    assert out.results.columns == ["row", "case_id", "result", "legal_effect", "limb"]
    assert out.results.get_column("row").to_list() == [1, 2, 3, 4, 5]
    assert out.results.get_column("case_id").to_list() == ["a", "b", "c", "d", "e"]
    assert _results(out) == ["protected", "excluded_offence", "not_in_force",
                             "not_protected", "undetermined"]
    assert out.results.get_column("legal_effect").to_list() == ["not_guilty", None, None,
                                                                  None, None]
    assert out.results.get_column("limb").to_list() == ["adult", "adult", None, "adult", None]
    assert out.rejects.height == 0
    assert (out.ruleset_id, out.engine, out.as_of) == (S45, "vectorised", AS_OF)


def test_a_disputed_age_is_evaluated_on_both_sides() -> None:
    """An age range across 18 is evaluated on each side (vectorised): the same result on
    both stands; different results give undetermined."""
    both = {**ADULT, "date_of_birth": None, "age_at_act_min": "16", "age_at_act_max": "19",
            "act_direct_consequence_of_exploitation": "true",
            "reasonable_person_would_do_act": "true"}
    one = {**both, "act_direct_consequence_of_exploitation": "false"}
    out = nonpunish.evaluate_table(_table(both, one), S45, as_of=AS_OF, explain=True)
    assert _results(out) == ["protected", "undetermined"]
    assert out.results.get_column("limb").to_list() == [None, None]
    assert out.results.get_column("open_questions").to_list()[1][0] == "age_at_act"


def test_an_act_date_across_commencement() -> None:
    row = {**ADULT, "act_date": None, "act_date_earliest": "2015-07-01",
           "act_date_latest": "2015-08-31"}
    out = nonpunish.evaluate_table(_table(row), S45, as_of=AS_OF)
    assert _results(out) == ["undetermined"]
    want = nonpunish.evaluate({
        "person": {"date_of_birth": dt.date(1990, 1, 1)},
        "facts": {"victim_of_trafficking": True, "exploitation_types": ["forced_criminality"],
                  "compelled": True, "compulsion_is_exploitation_conduct": True,
                  "reasonable_person_no_realistic_alternative": {"evidence": "evidence_raised"}},
        "counts": [{"offence": {"id": ADULT["offence"]},
                    "act_date": {"earliest": dt.date(2015, 7, 1),
                                 "latest": dt.date(2015, 8, 31)}}]}, S45, as_of=AS_OF)
    assert want.counts[0].result == "undetermined"


def test_evidence_goes_through_the_burden_model() -> None:
    rows = [{**ADULT, "reasonable_person_no_realistic_alternative": None,
             "reasonable_person_no_realistic_alternative_evidence": level,
             "reasonable_person_no_realistic_alternative_disproved": disproved}
            for level, disproved in (("evidence_raised", "false"), ("slight_indication", None),
                                     ("beyond_reasonable_doubt", "true"),
                                     ("not_assessed", None))]
    out = nonpunish.evaluate_table(_table(*rows), S45, as_of=AS_OF)
    assert _results(out) == ["protected", "not_protected", "not_protected", "undetermined"]


def test_offences_by_statute_and_section() -> None:
    row = {**ADULT, "offence": None, "offence_statute": "Theft Act 1968",
           "offence_section": "s.8"}
    out = nonpunish.evaluate_table(_table(row), S45, as_of=AS_OF)
    assert _results(out) == ["excluded_offence"]


def test_rows_with_the_same_leaves_but_different_open_list_entries_are_asked_apart() -> None:
    """Burglary and aggravated vehicle-taking are each on Schedule 4 only with a qualifier.
    With the qualifier unknown, both rows have the same leaves (the exclusion check open,
    everything else alike), but each asks about its own qualifier: the question key holds
    what an open list check read."""
    open_facts = {**ADULT, "compelled": None}
    rows = [{**open_facts, "offence": "uk-ew/theft-act-1968/s9"},
            {**open_facts, "offence": "uk-ew/theft-act-1968/s12A"},
            {**open_facts, "offence": "uk-ew/theft-act-1968/s9", "act_date": "2021-03-01"}]
    out = nonpunish.evaluate_table(_table(*rows), S45, as_of=AS_OF, explain=True)
    assert _results(out) == ["undetermined"] * 3
    questions = out.results.get_column("open_questions").to_list()
    assert questions[0] == questions[2]
    assert {q for q in questions[0] if q != "compelled"} == {
        "burglary_with_intent_to_cause_gbh_or_damage"}
    assert {q for q in questions[1] if q != "compelled"} == {"vehicle_taking_caused_death"}


def test_reference_engine_and_explanations() -> None:
    table = _table(ADULT, {**ADULT, "compelled": None})
    vec = nonpunish.evaluate_table(table, S45, as_of=AS_OF, explain=True)
    ref = nonpunish.evaluate_table(table, S45, as_of=AS_OF, explain=True, engine="reference")
    assert vec.results.to_dicts() == ref.results.to_dicts()
    assert vec.results.get_column("deciding_elements").to_list()[0] == ["s45-1"]
    assert vec.results.get_column("open_questions").to_list() == [[], ["compelled"]]
    with pytest.raises(nonpunish.EngineUnavailableError) as err:
        nonpunish.evaluate_table(table, S45, as_of=AS_OF, engine="durable")  # type: ignore[arg-type]
    assert err.value.code == "unknown_engine"


def test_an_empty_table() -> None:
    out = nonpunish.evaluate_table(_table(ADULT).clear(), S45, as_of=AS_OF)
    assert out.results.height == 0 and out.rejects.height == 0
    assert out.summary().rows == 0


# --- files --------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_files_give_the_same_results_as_the_frame(tmp_path: Path, suffix: str) -> None:
    rows = [ADULT, {**ADULT, "offence": "uk-ew/theft-act-1968/s8", "case_id": "x"},
            {**ADULT, "age_at_act": None, "date_of_birth": None}]
    table = _table(*rows)
    path = tmp_path / f"cases{suffix}"
    if suffix == ".csv":
        table.write_csv(path)
    elif suffix == ".parquet":
        table.write_parquet(path)
    else:
        table.write_ndjson(path)
    from_file = nonpunish.evaluate_table(path, S45, as_of=AS_OF)
    from_str = nonpunish.evaluate_table(str(path), S45, as_of=AS_OF)
    direct = nonpunish.evaluate_table(table, S45, as_of=AS_OF)
    assert from_file.results.to_dicts() == direct.results.to_dicts()
    assert from_str.results.to_dicts() == direct.results.to_dicts()


def test_csv_codes_keep_their_form(tmp_path: Path) -> None:
    """A CSV file is read as text: a code ``01`` is not read as the number 1."""
    path = tmp_path / "cases.csv"
    path.write_text("offence,act_date,age_at_act,slachtoffer\n"
                    "uk-ew/theft-act-1968/s1,2020-06-01,17,01\n"
                    "uk-ew/theft-act-1968/s1,2020-06-01,17,1\n", encoding="utf-8")
    mapping = {"columns": {"slachtoffer": "victim_of_trafficking"},
               "values": {"slachtoffer": {"01": True}}}
    out = nonpunish.evaluate_table(path, S45, as_of=AS_OF, mapping=mapping)
    assert out.results.get_column("row").to_list() == [1]
    assert out.rejects.select("row", "column", "code").rows() == [
        (2, "slachtoffer", "fact_value")]


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        nonpunish.evaluate_table(tmp_path / "nothing.csv", S45, as_of=AS_OF)
    assert err.value.code == "file_not_found"
    other = tmp_path / "cases.xlsx"
    other.write_bytes(b"PK")
    with pytest.raises(InputError) as err:
        nonpunish.evaluate_table(other, S45, as_of=AS_OF)
    assert err.value.code == "invalid_value"
    broken = tmp_path / "cases.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(InputError) as err:
        nonpunish.evaluate_table(broken, S45, as_of=AS_OF)
    assert err.value.code == "file_unreadable"
    with pytest.raises(InputError) as err:
        nonpunish.evaluate_table([ADULT], S45, as_of=AS_OF)
    assert err.value.code == "invalid_type"


def test_pandas_frames_are_accepted() -> None:
    pandas = pytest.importorskip("pandas", reason="pandas is the optional 'pandas' extra")
    frame = pandas.DataFrame([ADULT])
    out = nonpunish.evaluate_table(frame, S45, as_of=AS_OF)
    assert _results(out) == ["protected"]


def test_pandas_without_pyarrow_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    pandas = pytest.importorskip("pandas", reason="pandas is the optional 'pandas' extra")
    import polars as pl

    def no_pyarrow(*args: object, **kwargs: object) -> None:
        raise ImportError("pyarrow")

    monkeypatch.setattr(pl, "from_pandas", no_pyarrow)
    with pytest.raises(nonpunish.NonpunishError) as info:
        nonpunish.evaluate_table(pandas.DataFrame([ADULT]), S45, as_of=AS_OF)
    assert info.value.code == "missing_dependency"
    assert "pyarrow" in str(info.value)


# --- mapping ----------------------------------------------------------------------------------

DUTCH = {
    "leeftijd": "17", "delict": "drugs", "datum": "2020-06-01", "mh": "ja",
    "uitbuiting": "crimineel", "rechtstreeks": "ja", "redelijk": "ja", "regio": "Noord",
}
MAPPING = {
    "columns": {"leeftijd": "age_at_act", "delict": "offence", "datum": "act_date",
                "mh": "victim_of_trafficking", "uitbuiting": "exploitation_types",
                "rechtstreeks": "act_direct_consequence_of_exploitation",
                "redelijk": "reasonable_person_would_do_act"},
    "values": {"victim_of_trafficking": {"ja": True, "nee": False, "?": None},
               "delict": {"drugs": "uk-ew/misuse-of-drugs-act-1971/s4-2",
                          "diefstal": "uk-ew/theft-act-1968/s1"},
               "uitbuiting": {"crimineel": "forced_criminality", "seksueel":
                              "sexual_exploitation", "geen": []},
               "rechtstreeks": {"ja": True, "nee": False},
               "redelijk": {"ja": True, "nee": False, "aanwijzing": "slight_indication"}},
    "ignore": ["regio"],
}


def test_a_mapping_translates_columns_and_codes() -> None:
    rows = [DUTCH, {**DUTCH, "mh": "?"}, {**DUTCH, "redelijk": "aanwijzing"},
            {**DUTCH, "uitbuiting": "geen"}, {**DUTCH, "mh": "misschien"}]
    out = nonpunish.evaluate_table(_table(*rows), S45, as_of=AS_OF, mapping=MAPPING)
    # "geen" (none) leaves only slavery, not given: undetermined, never silently false.
    assert _results(out) == ["protected", "undetermined", "not_protected", "undetermined"]
    assert out.rejects.select("row", "column", "code").rows() == [(5, "mh", "fact_value")]


def test_a_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(
        "columns:\n"
        "  leeftijd: age_at_act\n  delict: offence\n  datum: act_date\n"
        "  mh: victim_of_trafficking\n  uitbuiting: exploitation_types\n"
        "  rechtstreeks: act_direct_consequence_of_exploitation\n"
        "  redelijk: reasonable_person_would_do_act\n"
        "values:\n"
        "  mh: {ja: true, nee: false, '?': null}\n"
        "  delict: {drugs: uk-ew/misuse-of-drugs-act-1971/s4-2}\n"
        "  uitbuiting: {crimineel: [forced_criminality]}\n"
        "  rechtstreeks: {ja: true}\n  redelijk: {ja: true}\n"
        "ignore: [regio]\n", encoding="utf-8")
    out = nonpunish.evaluate_table(_table(DUTCH), S45, as_of=AS_OF, mapping=path)
    assert _results(out) == ["protected"]


@pytest.mark.parametrize(("text", "code", "line"), [
    ("columns:\n  leeftijd: age_at_ac\n", "unknown_fact", 2),
    ("columns: {}\nvalues:\n  mh:\n    ja: yes-ish\n", "unknown_fact", 4),
    ("columns:\n  mh: victim_of_trafficking\nvalues:\n  mh:\n    ja: maybe\n", "invalid_value",
     5),
    ("columns:\n  d: offence\nvalues:\n  d:\n    x: uk-ew/no-such-offence\n",
     "unknown_offence", 5),
    ("colums:\n  a: b\n", "unknown_field", 2),
    ("columns:\n  a: offence\n  b: offence\n", "invalid_value", 3),
])
def test_mapping_errors_name_the_file_and_line(tmp_path: Path, text: str, code: str,
                                               line: int) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        nonpunish.evaluate_table(_table(ADULT), S45, as_of=AS_OF, mapping=path)
    assert err.value.code == code
    assert err.value.location == f"{path}:{line}"


def test_mapping_errors_name_the_key() -> None:
    bad = {"values": {"victim_of_trafficking": {"ja": "sure"}}}
    with pytest.raises(InputError) as err:
        nonpunish.evaluate_table(_table(ADULT), S45, as_of=AS_OF, mapping=bad)
    assert err.value.code == "invalid_value"
    assert err.value.location == "mapping['values']['victim_of_trafficking']['ja']"
    with pytest.raises(InputError) as err:
        nonpunish.evaluate_table(_table(ADULT), S45, as_of=AS_OF,
                                 mapping={"columns": {"x": "age_at_acts"}})
    assert err.value.code == "unknown_fact"
    assert "did you mean 'age_at_act'" in err.value.message


def test_unknown_columns_are_refused_unless_ignored() -> None:
    table = _table({**ADULT, "regio": "Noord", "victim_of_trafficing": "true"})
    with pytest.raises(InputError) as err:
        nonpunish.evaluate_table(table, S45, as_of=AS_OF)
    assert err.value.code == "unknown_field"
    assert "victim_of_trafficking" in err.value.message or len(err.value.details) == 2
    out = nonpunish.evaluate_table(table, S45, as_of=AS_OF,
                                   mapping={"ignore": ["regio", "victim_of_trafficing"]})
    assert _results(out) == ["protected"]
    with pytest.raises(InputError) as err:
        nonpunish.evaluate_table(_table(ADULT), S45, as_of=AS_OF,
                                 mapping={"columns": {"leeftijd": "age_at_act"}})
    assert err.value.code == "missing_field"


# --- weights, rejects and the summary -----------------------------------------------------------

def test_weights_are_carried_and_summed() -> None:
    table = _table({**ADULT, "w": 2.5}, {**ADULT, "w": 1.0},
                   {**ADULT, "compelled": "false", "w": 4.0}, {**ADULT, "w": -1.0},
                   {**ADULT, "w": None})
    out = nonpunish.evaluate_table(table, S45, as_of=AS_OF, weights="w")
    assert out.results.get_column("weight").to_list() == [2.5, 1.0, 4.0]
    assert out.rejects.select("row", "column", "code").rows() == [
        (4, "w", "invalid_value"), (5, "w", "invalid_value")]
    summary = out.summary()
    assert summary.weighted is not None
    assert summary.weighted["protected"] == 3.5
    assert summary.weighted["not_protected"] == 4.0
    frame = summary.to_frame()
    assert frame.filter(pl.col("result") == "protected").get_column("weighted_share")[0] == \
        pytest.approx(3.5 / 7.5)
    with pytest.raises(InputError) as err:
        nonpunish.evaluate_table(table, S45, as_of=AS_OF, weights="gewicht")
    assert err.value.code == "missing_field"


BAD_ROWS: list[tuple[dict[str, Any], str, str]] = [
    ({"act_date": "2020-02-30"}, "act_date", "invalid_type"),
    ({"act_date": "1 June 2020"}, "act_date", "invalid_type"),
    ({"offence": "uk-ew/no-such-act/s1"}, "offence", "unknown_offence"),
    ({"offence": None}, "offence", "missing_field"),
    ({"date_of_birth": None, "age_at_act": "121"}, "age_at_act", "impossible_age"),
    ({"date_of_birth": None, "age_at_act": "seventeen"}, "age_at_act", "invalid_type"),
    ({"age_at_act": "17"}, "age_at_act", "age_source"),
    ({"compelled": "yes"}, "compelled", "fact_value"),
    ({"burglary_with_intent_to_cause_gbh_or_damage": "evidence_raised"},
     "burglary_with_intent_to_cause_gbh_or_damage", "fact_value"),
    ({"exploitation_types": "forced_criminality;dancing"}, "exploitation_types", "fact_value"),
    ({"participation": "bystander"}, "participation", "fact_value"),
    ({"act_date": "2027-01-01"}, "act_date", "act_in_future"),
    ({"act_date": "1980-01-01"}, "act_date", "act_before_birth"),
    ({"reasonable_person_no_realistic_alternative_evidence": "evidence_raised"},
     "reasonable_person_no_realistic_alternative_evidence", "fact_value"),
    ({"compelled_disproved": "true"}, "compelled_disproved", "fact_value"),
    ({"act_date_earliest": "2020-01-01"}, "act_date", "invalid_value"),
    ({"offence_statute": "Theft Act 1968"}, "offence", "invalid_value"),
]


@pytest.mark.parametrize(("change", "column", "code"), BAD_ROWS,
                         ids=[f"{c}-{k}" for _, k, c in BAD_ROWS])
def test_bad_rows_are_rejected_with_their_row_number(change: dict[str, Any], column: str,
                                                     code: str) -> None:
    """A bad row is reported (row number, column, code, reason) and not evaluated; the rows
    around it are evaluated as if it were not there, with the same results either way."""
    table = _table(ADULT, {**ADULT, **change}, {**ADULT, "compelled": "false"})
    out = nonpunish.evaluate_table(table, S45, as_of=AS_OF)
    assert out.results.get_column("row").to_list() == [1, 3]
    assert _results(out) == ["protected", "not_protected"]
    assert (2, column, code) in out.rejects.select("row", "column", "code").rows()
    assert set(out.rejects.get_column("row").to_list()) == {2}
    for reason in out.rejects.get_column("reason").to_list():
        for value in change.values():
            if isinstance(value, str) and len(value) > 4:
                assert value not in reason  # reasons never repeat a value from the table
    summary = out.summary()
    assert (summary.rows, summary.evaluated, summary.rejected) == (3, 2, 1)


CASE = {"person": {"date_of_birth": "1990-01-01"},
        "counts": [{"offence": {"id": ADULT["offence"]}, "act_date": "2020-06-01"}]}


@pytest.mark.parametrize(("change", "case", "code"), [
    ({"act_date": "2027-01-01"},
     {**CASE, "counts": [{**CASE["counts"][0], "act_date": "2027-01-01"}]}, "act_in_future"),
    ({"act_date": "1980-01-01"},
     {**CASE, "counts": [{**CASE["counts"][0], "act_date": "1980-01-01"}]}, "act_before_birth"),
    ({"age_at_act": "17"},
     {**CASE, "counts": [{**CASE["counts"][0], "age_at_act": 17}]}, "age_source"),
    ({"offence": "uk-ew/no-such-act/s1"},
     {**CASE, "counts": [{**CASE["counts"][0], "offence": {"id": "uk-ew/no-such-act/s1"}}]},
     "unknown_offence"),
    ({"date_of_birth": None, "age_at_act": "121"},
     {"person": {"age_at_act": 121}, "counts": CASE["counts"]}, "impossible_age"),
    ({"date_of_birth": "1890-01-01"},
     {**CASE, "person": {"date_of_birth": "1890-01-01"}}, "impossible_age"),
    ({"decision_date": "2019-01-01"},
     {**CASE, "counts": [{**CASE["counts"][0], "decision_date": "2019-01-01"}]}, "date_range"),
    ({"burglary_with_intent_to_cause_gbh_or_damage": "evidence_raised"},
     {**CASE, "facts": {"burglary_with_intent_to_cause_gbh_or_damage":
                        {"evidence": "evidence_raised"}}}, "fact_value"),
])
def test_a_row_is_rejected_as_its_case_is_refused(change: dict[str, Any], case: dict[str, Any],
                                                  code: str) -> None:
    """A row is rejected with the code that ``nonpunish.evaluate`` refuses the same case with,
    so both engines see the same rows."""
    with pytest.raises(nonpunish.CaseError) as err:
        nonpunish.evaluate(case, S45, as_of=AS_OF)
    assert err.value.code == code
    out = nonpunish.evaluate_table(_table({**ADULT, **change}), S45, as_of=AS_OF)
    assert out.results.height == 0
    assert code in out.rejects.get_column("code").to_list()


def test_the_summary_counts_every_row() -> None:
    table = _table(ADULT, ADULT, {**ADULT, "compelled": "false"}, {**ADULT, "act_date": "x"},
                   {**ADULT, "offence": "uk-ew/theft-act-1968/s8"})
    out = nonpunish.evaluate_table(table, S45, as_of=AS_OF)
    summary = out.summary()
    assert summary.rows == 5 and summary.evaluated == 4 and summary.rejected == 1
    assert summary.results == {"protected": 2, "not_protected": 1, "excluded_offence": 1,
                               "not_in_force": 0, "undetermined": 0}
    assert summary.weighted is None
    assert "5 rows: 4 evaluated, 1 rejected" in str(summary)
    assert summary.to_frame().get_column("cases").sum() == 4


def test_large_tables_are_evaluated_in_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    from nonpunish import _batch

    rows = [{**ADULT, "case_id": str(i), "compelled": ["true", "false", None][i % 3]}
            for i in range(10)]
    rows[4]["act_date"] = "bad"
    whole = nonpunish.evaluate_table(_table(*rows), S45, as_of=AS_OF)
    monkeypatch.setattr(_batch, "CHUNK_ROWS", 3)
    sliced = nonpunish.evaluate_table(_table(*rows), S45, as_of=AS_OF)
    assert sliced.results.to_dicts() == whole.results.to_dicts()
    assert sliced.rejects.to_dicts() == whole.rejects.to_dicts()
    assert sliced.rejects.get_column("row").to_list() == [5]


def test_codes_are_decoded_the_same_way_cell_by_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Columns with few distinct values are decoded once per value; the result is the same
    as decoding every cell."""
    from nonpunish import _batch

    rows = [{**DUTCH, "mh": ["ja", "nee", "?", "x"][i % 4], "leeftijd": str(15 + i % 5)}
            for i in range(12)]
    once = nonpunish.evaluate_table(_table(*rows), S45, as_of=AS_OF, mapping=MAPPING)
    monkeypatch.setattr(_batch, "DISTINCT_LIMIT", 0)
    every = nonpunish.evaluate_table(_table(*rows), S45, as_of=AS_OF, mapping=MAPPING)
    assert once.results.to_dicts() == every.results.to_dicts()
    assert once.rejects.to_dicts() == every.rejects.to_dicts()
    assert once.rejects.height == 3


# --- polars is optional -------------------------------------------------------------------------

def test_missing_polars_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "polars", None)  # makes `import polars` fail
    with pytest.raises(NonpunishError) as err:
        nonpunish.evaluate_table("cases.csv", S45, as_of=AS_OF)
    assert err.value.code == "missing_dependency"
    assert "nonpunish[model]" in err.value.message


def test_too_old_polars_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pl, "__version__", "1.25.2")
    with pytest.raises(NonpunishError) as err:
        nonpunish.evaluate_table(_table(ADULT), S45, as_of=AS_OF)
    assert err.value.code == "missing_dependency"
    assert "1.26 or later" in err.value.message


def test_importing_nonpunish_does_not_import_polars() -> None:
    code = ("import sys, nonpunish; nonpunish.evaluate({'counts': [{'offence': "
            "{'id': 'uk-ew/theft-act-1968/s1'}}]}, 'uk-ew/modern-slavery-act-2015/s45'); "
            "assert 'polars' not in sys.modules, 'polars imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- the calendar rule, column-wise ---------------------------------------------------------------

@given(born=st.dates(dt.date(1930, 1, 1), dt.date(2026, 12, 31)),
       days=st.lists(st.dates(dt.date(1930, 1, 1), dt.date(2030, 12, 31)), min_size=1,
                     max_size=20),
       leap=st.sampled_from([None, 1960, 1996, 2000, 2004]))
def test_ages_column_wise_match_the_calendar_rule(born: dt.date, days: list[dt.date],
                                                  leap: int | None) -> None:
    """Ages worked out column-wise follow ``nonpunish._dates.age_on``: a person born on
    29 February turns a year older on 1 March in a common year."""
    from nonpunish._vectorised import _age_on

    if leap is not None:
        born = dt.date(leap, 2, 29)
        days = [*days, *(dt.date(y, m, d) for y in (leap + 17, leap + 18, leap + 20)
                         for m, d in ((2, 28), (3, 1)))]
    frame = pl.DataFrame({"born": [born] * len(days), "day": days})
    got = frame.select(_age_on(pl.col("born"), pl.col("day"))).to_series().to_list()
    assert got == [age_on(born, d) for d in days]
